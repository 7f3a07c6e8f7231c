#include "runtime.h"
#include "cleanup.h"
#include "container.h"
#include "create-opts.h"
#include "error.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A foreground `run` passes every signal it can catch on to the container,
 * as runc does (SIGRTMIN+3 for systemd, SIGPWR, SIGTSTP, …), except SIGCHLD
 * and the ones the kernel raises for a fault of our own. */
static void forwarded_set(sigset_t *set)
{
    sigfillset(set);
    static const int kept[] = {SIGCHLD, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        sigdelset(set, kept[i]);
}

/* Waits for the init, forwarding signals. */
static int supervise(struct berth_container *c, int sfd, struct berth_exit *ret,
                     struct berth_error **err)
{
    struct pollfd p[2] = {{.fd = c->pidfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == sizeof(si))
                syscall(SYS_pidfd_send_signal, c->pidfd, (int)si.ssi_signo, NULL, 0);
        }
        if (p[0].revents & POLLIN)
            break;
    }
    return berth_container_wait(c, ret, err);
}

int cmd_run(int argc, char **argv)
{
    struct create_args a;
    struct berth_error *err = NULL;
    struct berth_container *c = NULL;
    struct berth_exit ex;
    sigset_t mask;
    int r = parse_create_args(argc, argv, true, &a);
    if (r != 0)
        return r;
    forwarded_set(&mask);
    /* Blocked before the clone so none is lost; the init resets the mask
     * and every disposition before it execs the payload. */
    if (!a.detach)
        sigprocmask(SIG_BLOCK, &mask, NULL);
    _cleanup_close_ int sfd = a.detach ? -1 : signalfd(-1, &mask, SFD_CLOEXEC);
    struct berth_create_opts o = {.state_root = arg_root,
                                  .id = a.id,
                                  .bundle = a.bundle,
                                  .pid_file = a.pid_file,
                                  .wait_start = false,
                                  .error_prefix = "berth-runtime"};
    if (berth_container_create(&o, &c, &err) < 0)
        return rt_fail(err);
    if (a.detach) {
        berth_container_free(c);
        return 0;
    }
    r = supervise(c, sfd, &ex, &err);
    if (r >= 0 && ex.oom_killed)
        berth_log(BERTH_LOG_INFO, "container '%s' was killed by the OOM killer", a.id);
    berth_container_free(c);
    if (r < 0)
        rt_fail(err);
    if (berth_container_delete(arg_root, a.id, true, &err) < 0)
        rt_fail(err);
    return r < 0 ? 1 : berth_exit_status(&ex);
}
