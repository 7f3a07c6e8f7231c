/* berth-api: drives libberth's container API the way berth-shim will, in
 * process, for tests/integration/api.bats: the container's stdio as fds,
 * another cgroup root, the start outcome on the status fd, the exit and
 * OOM verdict from wait, and a caller left as it was.
 *
 *   berth-api run ROOT ID BUNDLE [CGROUP_ROOT]
 *   berth-api start-status ROOT ID BUNDLE
 *   berth-api console SOCKET INPUT
 *
 * `run` prints the payload's stdout and stderr as "out: LINE" / "err:
 * LINE", then "exit CODE signal SIG oom 0|1", then "caller unchanged" or
 * what changed. `start-status` creates, starts, and prints "started" or
 * "late error: MESSAGE" from the status fd. Errors: "error: MESSAGE", exit 1. */
#include "container.h"
#include "error.h"
#include "init.h"
#include "process.h"
#include "sync.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct caller {
    int dumpable;
    sigset_t mask;
    char cwd[PATH_MAX], pid_ns[64], mnt_ns[64];
};

static void snapshot(struct caller *c)
{
    memset(c, 0, sizeof(*c));
    c->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    sigprocmask(SIG_SETMASK, NULL, &c->mask);
    if (getcwd(c->cwd, sizeof(c->cwd)) == NULL)
        c->cwd[0] = '\0';
    ssize_t n = readlink("/proc/self/ns/pid_for_children", c->pid_ns, sizeof(c->pid_ns) - 1);
    c->pid_ns[n < 0 ? 0 : n] = '\0';
    n = readlink("/proc/self/ns/mnt", c->mnt_ns, sizeof(c->mnt_ns) - 1);
    c->mnt_ns[n < 0 ? 0 : n] = '\0';
}

static void compare(const struct caller *a, const struct caller *b)
{
    const char *what = a->dumpable != b->dumpable                         ? "dumpable"
                       : memcmp(&a->mask, &b->mask, sizeof(a->mask)) != 0 ? "signal mask"
                       : strcmp(a->cwd, b->cwd) != 0                      ? "cwd"
                       : strcmp(a->pid_ns, b->pid_ns) != 0                ? "pid namespace"
                       : strcmp(a->mnt_ns, b->mnt_ns) != 0                ? "mount namespace"
                                                                          : NULL;
    printf("caller %s%s\n", what ? "changed: " : "unchanged", what ? what : "");
}

static int fail(struct berth_error *e)
{
    char *msg = berth_error_format(e);
    printf("error: %s\n", msg);
    free(msg);
    berth_error_clear(&e);
    return 1;
}

/* Prints what arrived on `fd` until EOF, each line prefixed. */
static void drain(int fd, const char *prefix)
{
    FILE *f = fdopen(fd, "r");
    char line[4096];
    while (f && fgets(line, sizeof(line), f))
        printf("%s: %s", prefix, line);
    if (f)
        fclose(f);
}

static int cmd_run(char **argv)
{
    struct berth_error *e = NULL;
    struct berth_container *c = NULL;
    struct berth_exit ex;
    struct caller before, after;
    int out[2], errp[2];
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || devnull < 0)
        return 1;
    int stdio[3] = {devnull, out[1], errp[1]};
    struct berth_create_opts o = {.state_root = argv[0],
                                  .id = argv[1],
                                  .bundle = argv[2],
                                  .cgroup_root = argv[3],
                                  .stdio = stdio};
    snapshot(&before);
    if (berth_container_create(&o, &c, &e) < 0)
        return fail(e);
    snapshot(&after);
    close(out[1]);
    close(errp[1]);
    drain(out[0], "out");
    drain(errp[0], "err");
    if (berth_container_wait(c, &ex, &e) < 0)
        return fail(e);
    printf("exit %d signal %d oom %d\n", ex.code, ex.signal, ex.oom_killed);
    compare(&before, &after);
    berth_container_free(c);
    return berth_container_delete(argv[0], argv[1], true, &e) < 0 ? fail(e) : 0;
}

static int cmd_start_status(char **argv)
{
    struct berth_error *e = NULL;
    struct berth_container *c = NULL;
    struct berth_create_opts o = {.state_root = argv[0],
                                  .id = argv[1],
                                  .bundle = argv[2],
                                  .wait_start = true,
                                  .keep_status = true};
    if (berth_container_create(&o, &c, &e) < 0)
        return fail(e);
    if (berth_container_start(argv[0], argv[1], &e) < 0)
        return fail(e);
    int r = berth_sync_recv(c->status_fd, NULL, &e);
    if (r == 0)
        printf("started\n");
    else if (r < 0)
        printf("late error: %s\n", e->msg);
    berth_error_clear(&e);
    berth_container_free(c);
    return berth_container_delete(argv[0], argv[1], true, &e) < 0 ? fail(e) : 0;
}

/* A console socket as containerd's or podman's: listens on `path`, takes
 * one pty master, types `input` into it and copies what comes out to
 * stdout until every writer of the pty is gone. */
static int cmd_console(char **argv)
{
    struct berth_error *e = NULL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char buf[4096];
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[0]);
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
        return perror("console socket"), 1;
    int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    int master = c < 0 ? -1 : berth_recv_fd(c, &e);
    if (master < 0)
        return fail(e);
    printf("got a terminal\n");
    fflush(stdout);
    if (write(master, argv[1], strlen(argv[1])) < 0)
        return 1;
    for (ssize_t n; (n = read(master, buf, sizeof(buf))) > 0;)
        fwrite(buf, 1, (size_t)n, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    /* this binary is the container's init when re-executed as one */
    berth_init_dispatch(argc, argv);
    if (argc >= 5 && strcmp(argv[1], "run") == 0)
        return cmd_run(argv + 2);
    if (argc == 5 && strcmp(argv[1], "start-status") == 0)
        return cmd_start_status(argv + 2);
    if (argc == 4 && strcmp(argv[1], "console") == 0)
        return cmd_console(argv + 2);

    fprintf(stderr, "usage: berth-api run|start-status ROOT ID BUNDLE [CGROUP_ROOT]\n");
    return 2;
}
