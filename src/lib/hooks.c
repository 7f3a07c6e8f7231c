#include "hooks.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

char *berth_hooks_state(const struct berth_config *c, const char *id, const char *status, int pid,
                        const char *bundle)
{
    json_t *ann = c->annotations_json ? json_loads(c->annotations_json, 0, NULL) : NULL;
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:o}", "ociVersion",
                          c->oci_version ? c->oci_version : "1.0.2", "id", id, "status", status,
                          "pid", pid, "bundle", bundle, "annotations", ann ? ann : json_object());
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (text == NULL)
        abort();
    return text;
}

/* The hook process: stdin from `in`, the exec errno written to `report`
 * (close-on-exec: silent when the exec works). */
static _Noreturn void hook_child(const struct berth_hook *h, int in, int report)
{
    char *path_only[] = {h->path, NULL};
    int keep[] = {report};

    if (dup2(in, STDIN_FILENO) < 0)
        _exit(127);
    close_fds_except(keep, 1);
    execve(h->path, h->args[0] ? h->args : path_only, h->env);
    int e = errno;
    (void)!write(report, &e, sizeof(e));
    _exit(127);
}

/* Waits for the hook, killing it at its timeout; 0 or a failure message. */
static int wait_hook(pid_t pid, int pidfd, const struct berth_hook *h, char *why, size_t n)
{
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int status = 0;
    int r;

    while ((r = poll(&p, 1, h->timeout > 0 ? h->timeout * 1000 : -1)) < 0 && errno == EINTR)
        ;
    if (r == 0)
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (r == 0)
        snprintf(why, n, "timed out after %d s", h->timeout);
    else if (WIFSIGNALED(status))
        snprintf(why, n, "killed by signal %d", WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        snprintf(why, n, "exited with status %d", WEXITSTATUS(status));
    else
        return 0;
    return -1;
}

static int run_one(const struct berth_hook *h, const char *state, char *why, size_t n)
{
    int in[2], report[2], e = 0;

    /* a socket for stdin: MSG_NOSIGNAL spares us a SIGPIPE from a hook that
     * does not read it, without touching the caller's signal handling */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 ||
        pipe2(report, O_CLOEXEC) < 0) {
        snprintf(why, n, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    int pidfd = -1;
    pid_t pid = fork();
    if (pid == 0)
        hook_child(h, in[0], report[1]);
    close(in[0]);
    close(report[1]);
    if (pid < 0 || (pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0) {
        snprintf(why, n, "cannot start it: %s", strerror(errno));
        close(in[1]);
        close(report[0]);
        return -1;
    }
    (void)!send(in[1], state, strlen(state), MSG_NOSIGNAL);
    close(in[1]);
    ssize_t got = read(report[0], &e, sizeof(e));
    close(report[0]);
    int r = wait_hook(pid, pidfd, h, why, n);
    close(pidfd);
    if (got == (ssize_t)sizeof(e)) {
        snprintf(why, n, "cannot execute it: %s", strerror(e));
        return -1;
    }
    return r;
}

int berth_hooks_run(const struct berth_config *c, enum berth_hook_kind kind, const char *state_json,
                    bool warn_only, struct berth_error **err)
{
    char why[160];

    for (size_t i = 0; i < c->n_hooks[kind]; i++) {
        const struct berth_hook *h = &c->hooks[kind][i];
        if (run_one(h, state_json, why, sizeof(why)) == 0)
            continue;
        if (!warn_only)
            return berth_error_set(err, EIO, "hook '%s' #%zu '%s': %s", berth_hook_name(kind), i,
                                   h->path, why);
        berth_log(BERTH_LOG_WARNING, "hook '%s' #%zu '%s': %s, ignoring", berth_hook_name(kind), i,
                  h->path, why);
    }
    return 0;
}
