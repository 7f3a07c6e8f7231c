#include "runtime.h"
#include "cleanup.h"
#include "container.h"
#include "create-opts.h"
#include "error.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Signals a foreground `run` passes on to the container, as runc does. */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

/* Waits for the init, forwarding signals; returns its exit code. */
static int supervise(pid_t pid, int pidfd, int sfd)
{
    struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    int status = 0;
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == sizeof(si))
                syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
        }
        if (p[0].revents & POLLIN)
            break;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return exit_code(status);
}

int cmd_run(int argc, char **argv)
{
    struct create_args a;
    struct berth_error *err = NULL;
    sigset_t mask, old;
    pid_t pid;
    int r = parse_create_args(argc, argv, true, &a);
    if (r != 0)
        return r;
    sigemptyset(&mask);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaddset(&mask, forwarded[i]);
    /* Blocked before the clone so none is lost; the init unblocks all
     * signals before it execs the payload. */
    if (!a.detach)
        sigprocmask(SIG_BLOCK, &mask, &old);
    _cleanup_close_ int sfd = a.detach ? -1 : signalfd(-1, &mask, SFD_CLOEXEC);
    _cleanup_close_ int pidfd = -1;
    struct berth_create_opts o = {.state_root = arg_root,
                                  .id = a.id,
                                  .bundle = a.bundle,
                                  .pid_file = a.pid_file,
                                  .wait_start = false};
    if (berth_container_create(&o, &pid, &pidfd, &err) < 0)
        return rt_fail(err);
    if (a.detach)
        return 0;
    int code = supervise(pid, pidfd, sfd);
    if (berth_container_delete(arg_root, a.id, true, &err) < 0)
        rt_fail(err);
    return code;
}
