#include "runtime.h"
#include "cleanup.h"
#include "container.h"
#include "console.h"
#include "create-opts.h"
#include "process.h"
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
    rt_supervise(c->pidfd, sfd);
    return berth_container_wait(c, ret, err);
}

/* A foreground run without --console-socket keeps the pty itself (if the
 * process wants one) and proxies it; with one, or detached, the caller
 * does. */
static int run_container(struct create_args *a, struct berth_container **ret, int *ret_master)
{
    struct berth_error *err = NULL;
    struct berth_create_opts o;
    _cleanup_close_ int console = -1, ours = -1;

    create_opts_from_args(a, &o);
    if (a->console_socket && (console = rt_console_connect(a->console_socket)) < 0)
        return 1;
    if (console < 0 && !a->detach) {
        if (rt_console_pair(&ours, &console) < 0)
            return 1;
        o.console_optional = true;
    }
    if (console >= 0)
        o.console_fd = &console;
    if (berth_container_create(&o, ret, &err) < 0)
        return rt_fail(err);
    /* the pty, if the process has one, was sent during create (and while
     * we hold the other end, nothing else makes ours readable) */
    struct pollfd p = {.fd = ours, .events = POLLIN};
    if (ours >= 0 && poll(&p, 1, 0) == 1 && (*ret_master = berth_recv_fd(ours, &err)) < 0)
        return rt_fail(err);
    return 0;
}

int cmd_run(int argc, char **argv)
{
    struct create_args a;
    struct berth_error *err = NULL;
    struct berth_container *c = NULL;
    struct berth_exit ex;
    sigset_t mask;
    int master = -1;
    int r = parse_create_args(argc, argv, true, &a);
    if (r != 0)
        return r;
    forwarded_set(&mask);
    /* Blocked before the clone so none is lost; the init resets the mask
     * and every disposition before it execs the payload. */
    if (!a.detach)
        sigprocmask(SIG_BLOCK, &mask, NULL);
    _cleanup_close_ int sfd = a.detach ? -1 : signalfd(-1, &mask, SFD_CLOEXEC);
    if ((r = run_container(&a, &c, &master)) != 0)
        return r;
    if (a.detach) {
        berth_container_free(c);
        return 0;
    }
    if (master >= 0) {
        rt_tty_proxy(master, c->pidfd, sfd);
        close(master);
        r = berth_container_wait(c, &ex, &err);
    } else {
        r = supervise(c, sfd, &ex, &err);
    }
    if (r >= 0 && ex.oom_killed)
        berth_log(BERTH_LOG_INFO, "container '%s' was killed by the OOM killer", a.id);
    berth_container_free(c);
    if (r < 0)
        rt_fail(err);
    if (berth_container_delete(arg_root, a.id, true, &err) < 0)
        rt_fail(err);
    return r < 0 ? 1 : berth_exit_status(&ex);
}
