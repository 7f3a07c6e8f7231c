#include "criu.h"
#include "cgroup.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

void berth_argv_add(struct berth_argv *a, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    a->v = xrealloc(a->v, (a->n + 2) * sizeof(char *));
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

void berth_argv_free(struct berth_argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

char *berth_criu_find(const char *env, const char *path, struct berth_error **err)
{
    if (env && *env) {
        if (access(env, X_OK) == 0)
            return xstrdup(env);
        berth_error_set(err, ENOENT, "criu is not available: BERTH_CRIU='%s' is not an executable",
                        env);
        return NULL;
    }
    char *p = path && *path ? path_lookup("criu", path) : NULL;
    if (p)
        return p;
    berth_error_set(err, ENOENT,
                    "criu is not available: no 'criu' on PATH '%s' (install Debian's criu "
                    "package, or set BERTH_CRIU)",
                    path ? path : "");
    return NULL;
}

/* The first "Error (file:line): text" of criu's log, as "text", past the
 * ones criu logs while probing for optional tools (iptables-legacy-save …)
 * and the summaries that follow the real one. */
static char *first_log_error(const char *log)
{
    static const char *const noise[] = {"execvp(", " -V failed",
                                        "exited, status=", "Dumping FAILED", "Restoring FAILED"};
    _cleanup_fclose_ FILE *f = log ? fopen(log, "re") : NULL;
    char line[1024];

    while (f && fgets(line, sizeof(line), f)) {
        char *e = strstr(line, "Error (");
        bool skip = e == NULL;
        for (size_t i = 0; !skip && i < ARRAY_SIZE(noise); i++)
            skip = strstr(e, noise[i]) != NULL;
        if (skip)
            continue;
        char *text = strstr(e, "): ");
        text = text ? text + 3 : e;
        text[strcspn(text, "\n")] = '\0';
        return xstrdup(text);
    }
    return NULL;
}

/* In the child, before exec: nothing here may allocate. */
static void child_setup(const struct berth_criu_spawn *s, int gate)
{
    char c;
    sigset_t none;

    /* the caller may block signals to forward them: criu needs its own */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* criu logs to its file; what its libraries print is no message of ours */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = 0; i < 3; i++)
        if (null < 0 || dup2(null, i) < 0)
            _exit(126);
    for (size_t i = 0; i < s->n_keep; i++)
        fcntl(s->keep_fds[i], F_SETFD, 0);
    /* wait until the parent has put us in the container's cgroup */
    if (gate >= 0 && read(gate, &c, 1) != 1)
        _exit(126);
    if (s->root_mnt == NULL)
        return;
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
        mount(s->rootfs, s->root_mnt, NULL, MS_BIND | MS_REC, NULL) < 0 ||
        mount(NULL, s->root_mnt, NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        _exit(125);
}

static int wait_child(pid_t pid, int *ret_status)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -errno;
    *ret_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

/* Starts criu; with a cgroup, holds it at a gate until it is in there. */
static pid_t start(char **argv, const struct berth_criu_spawn *s, struct berth_error **err)
{
    int gate[2] = {-1, -1};
    if (s->cgroup && pipe2(gate, O_CLOEXEC) < 0)
        return berth_error_set(err, errno, "cannot create a pipe");
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(gate[0]), close(gate[1]);
        return berth_error_set(err, e, "cannot fork criu");
    }
    if (pid == 0) {
        close(gate[1]);
        child_setup(s, gate[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(gate[0]);
    _cleanup_close_ int go = gate[1];
    if (s->cgroup == NULL)
        return pid;
    int r = berth_cgroup_setup(s->cgroup, s->resources, pid, false, err);
    if (r >= 0 && write(go, "g", 1) != 1)
        r = berth_error_set(err, errno, "cannot start criu");
    if (r < 0) {
        int st;
        kill(pid, SIGKILL);
        wait_child(pid, &st);
        return r;
    }
    return pid;
}

int berth_criu_run(char **argv, const struct berth_criu_spawn *s, const char *what, const char *log,
                   struct berth_error **err)
{
    int st = 0;
    _cleanup_free_ char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    for (size_t i = 0; f && argv[i]; i++)
        fprintf(f, "%s%s", i ? " " : "", argv[i]);
    if (f)
        fclose(f);
    berth_log(BERTH_LOG_DEBUG, "running %s", line ? line : argv[0]);
    pid_t pid = start(argv, s, err);
    if (pid < 0)
        return pid;
    int r = wait_child(pid, &st);
    if (r < 0)
        return berth_error_set(err, -r, "cannot wait for criu");
    if (st == 0)
        return 0;
    if (st == 127)
        return berth_error_set(err, ENOENT, "cannot run criu '%s'", argv[0]);
    if (st == 125)
        return berth_error_set(err, EPERM, "cannot prepare criu's mount namespace");
    _cleanup_free_ char *why = first_log_error(log);
    return berth_error_set(err, EIO, "criu %s failed (status %d): %s (log: %s)", what, st,
                           why ? why : "no error in its log", log ? log : "none");
}
