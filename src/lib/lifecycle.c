/* start, kill, wait and delete of an existing container (container.h). */
#include "container.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container-internal.h"
#include "error.h"
#include "fault.h"
#include "hooks.h"
#include "oci.h"
#include "log.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long delete --force lets a create in progress finish before it kills
 * the creator, and how long it then waits for the lock. */
#define CREATE_GRACE_US (1000 * 1000)
#define TAKEOVER_US     (5 * 1000 * 1000)
/* How long start and kill wait for a container another command holds. */
#define LOCK_WAIT_US (10 * 1000 * 1000)

static void state_freep(struct berth_state **s)
{
    berth_state_free(*s);
}

static void cgroup_freep(struct berth_cgroup **cg)
{
    berth_cgroup_free(*cg);
}

/* Opens and locks (exclusively) a container's state and reads its record;
 * returns the locked dir fd. A lock held past LOCK_WAIT_US (a create that
 * hangs) is EBUSY rather than a command that never returns. */
static int open_state(const char *root, const char *id, struct berth_state **ret,
                      struct berth_error **err)
{
    bool busy = false;
    int fd = berth_state_open(root, id, BERTH_LOCK_TRY_WRITE, &busy, err);
    if (fd < 0)
        return fd;
    int r = busy ? berth_state_lock_wait(fd, id, LOCK_WAIT_US, err) : 0;
    if (r >= 0)
        r = berth_state_read(fd, ret, err);
    if (r < 0) {
        close(fd);
        return r == -EBUSY ? r : berth_error_wrap(err, "cannot read the state of '%s'", id);
    }
    return fd;
}

int berth_container_lock(const char *root, const char *id, struct berth_state **ret,
                         struct berth_error **err)
{
    return open_state(root, id, ret, err);
}

/* poststart and poststop, from the config saved at create; their failures
 * are warnings (runtime-spec). The text is only parsed when it has such a
 * hook: start is on every container's path. */
static void run_saved_hooks(int dfd, const struct berth_state *s, enum berth_hook_kind kind,
                            const char *status)
{
    _cleanup_free_ char *text = NULL, *needle = xasprintf("\"%s\"", berth_hook_name(kind));
    size_t len = 0;
    if (read_file_at(dfd, BERTH_CONFIG_FILE, &text, &len, NULL) < 0 || !strstr(text, needle))
        return;
    struct berth_config *c = berth_config_parse(text, len, s->bundle ? s->bundle : "/", NULL);
    if (c == NULL)
        return;
    _cleanup_free_ char *state = berth_hooks_state(
        c, s->id, status, kind == BERTH_HOOK_POSTSTOP ? 0 : s->pid, s->bundle ? s->bundle : "");
    (void)berth_hooks_run(c, kind, state, true, NULL);
    berth_config_free(c);
}

int berth_container_start(const char *root, const char *id, struct berth_error **err)

{
    _cleanup_(state_freep) struct berth_state *s = NULL;
    _cleanup_close_ int dfd = open_state(root, id, &s, err);
    if (dfd < 0)
        return dfd;
    enum berth_status st = berth_state_status(dfd, s, false);
    if (st != BERTH_STATUS_CREATED)
        return berth_error_set(err, EINVAL, "container '%s' is %s, not created", id,
                               berth_status_name(st));
    /* The init holds the read end; O_NONBLOCK makes a dead init an ENXIO
     * here instead of a hang. */
    _cleanup_close_ int fd = openat(dfd, BERTH_EXEC_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return berth_error_set(err, errno == ENXIO ? ESRCH : errno, "cannot start container '%s'",
                               id);
    if (write(fd, "0", 1) != 1)
        return berth_error_set(err, errno, "cannot start container '%s'", id);
    berth_fault("start:written");
    if (unlinkat(dfd, BERTH_EXEC_FIFO, 0) < 0)
        return berth_error_set(err, errno, "cannot remove the exec fifo of '%s'", id);
    run_saved_hooks(dfd, s, BERTH_HOOK_POSTSTART, "running");
    return 0;
}

static int signal_pid(pid_t pid, unsigned long long start, int sig)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return -errno;
    /* the pidfd pins the process: checking its start time now rules out a
     * recycled pid for the signal below */
    int r = 0;
    if (start && proc_start_time(pid) != start)
        r = -ESRCH;
    else if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
        r = -errno;
    close(pidfd);
    return r;
}

static int signal_all(const struct berth_state *s, int sig, struct berth_error **err)
{
    _cleanup_(cgroup_freep) struct berth_cgroup *cg = NULL;
    if (s->cgroup_json == NULL)
        return berth_error_set(err, ENOENT, "container '%s' has no cgroup", s->id);
    if ((cg = berth_cgroup_from_json(s->cgroup_json, err)) == NULL)
        return -(*err)->errnum;
    return berth_cgroup_signal_all(cg, sig, err);
}

/* The v1 freezer holds even SIGKILL until a thaw: a paused container that
 * is killed is thawed so that it dies, as runc does. Other signals stay
 * pending until `resume`. */
static void thaw_killed(const struct berth_state *s)
{
    _cleanup_(cgroup_freep) struct berth_cgroup *cg = berth_container_cgroup(s, NULL);
    _cleanup_error_ struct berth_error *ignored = NULL;

    if (cg && berth_cgroup_frozen(cg))
        (void)berth_cgroup_freeze(cg, false, &ignored);
}

int berth_container_kill(const char *root, const char *id, int sig, bool all,
                         struct berth_error **err)
{
    _cleanup_(state_freep) struct berth_state *s = NULL;
    _cleanup_close_ int dfd = open_state(root, id, &s, err);
    if (dfd < 0)
        return dfd;
    enum berth_status st = berth_state_status(dfd, s, false);
    if (st == BERTH_STATUS_STOPPED && !all)
        return berth_error_set(err, ESRCH, "container '%s' is not running", id);
    int r = all ? signal_all(s, sig, err) : signal_pid(s->pid, s->pid_start, sig);
    if (r < 0 && !all)
        return berth_error_set(err, -r, "cannot send signal %d to container '%s'", sig, id);
    if (r >= 0 && sig == SIGKILL)
        thaw_killed(s);
    return r < 0 ? r : 0;
}

int berth_exit_status(const struct berth_exit *e)
{
    return e->signaled ? 128 + e->signal : e->code;
}

int berth_container_wait(struct berth_container *c, struct berth_exit *ret,
                         struct berth_error **err)
{
    siginfo_t si;
    uint64_t kills = 0;

    memset(ret, 0, sizeof(*ret));
    memset(&si, 0, sizeof(si));
    while (syscall(SYS_waitid, P_PIDFD, c->pidfd, &si, WEXITED, NULL) < 0)
        if (errno != EINTR)
            return berth_error_set(err, errno, "cannot wait for container '%s'", c->id);
    ret->signaled = si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED;
    ret->core_dumped = si.si_code == CLD_DUMPED;
    if (ret->signaled)
        ret->signal = si.si_status;
    else
        ret->code = si.si_status;
    /* docker's OOMKilled: the OOM killer acted anywhere in the container */
    _cleanup_error_ struct berth_error *ignored = NULL;
    if (c->cgroup && berth_cgroup_oom_kills(c->cgroup, &kills, &ignored) >= 0)
        ret->oom_killed = kills > 0;
    return 0;
}

/* SIGKILL to the init unless it is gone (or its pid is another process's
 * now), then wait until it has exited. */
static int kill_wait(pid_t pid, unsigned long long start)
{
    int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
    if (pidfd < 0)
        return pid <= 0 || errno == ESRCH ? 0 : -errno;
    if (start == 0 || proc_start_time(pid) == start) {
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        /* readable once the process has exited (reaped or zombie) */
        while (poll(&p, 1, 10000) < 0 && errno == EINTR)
            ;
    }
    close(pidfd);
    return 0;
}

/* A create that holds the lock past the grace period is stuck (a hook, a
 * hung mount, a runtime stopped by its caller): its process, named in the
 * record, is killed, and the init dies with it (PR_SET_PDEATHSIG). */
static int take_over(int dfd, const char *id, struct berth_error **err)
{
    _cleanup_(state_freep) struct berth_state *s = NULL;
    _cleanup_error_ struct berth_error *busy = NULL;

    if (berth_state_lock_wait(dfd, id, CREATE_GRACE_US, &busy) == 0)
        return 0;
    if (berth_state_read(dfd, &s, NULL) >= 0 && s->phase == BERTH_PHASE_CREATING && s->owner > 0 &&
        s->owner != getpid()) {
        berth_log(BERTH_LOG_DEBUG, "killing process %d, which is stuck creating '%s'",
                  (int)s->owner, id);
        (void)kill_wait(s->owner, s->owner_start);
    }
    return berth_state_lock_wait(dfd, id, TAKEOVER_US, err);
}

static int remove_cgroup(const struct berth_state *s, struct berth_error **err)
{
    _cleanup_(cgroup_freep) struct berth_cgroup *cg = NULL;
    if (s == NULL || s->cgroup_json == NULL)
        return 0;
    if ((cg = berth_cgroup_from_json(s->cgroup_json, err)) == NULL)
        return -(*err)->errnum;
    return berth_cgroup_destroy(cg, err);
}

int berth_container_delete(const char *root, const char *id, bool force, struct berth_error **err)
{
    _cleanup_(state_freep) struct berth_state *s = NULL;
    bool busy = false;
    _cleanup_close_ int dfd =
        berth_state_open(root, id, force ? BERTH_LOCK_TRY_WRITE : BERTH_LOCK_WRITE, &busy, err);
    if (dfd < 0) {
        if (force && dfd == -ENOENT)
            berth_error_clear(err);
        return force && dfd == -ENOENT ? 0 : dfd;
    }
    int r = busy ? take_over(dfd, id, err) : 0;
    if (r < 0)
        return r;
    /* no record: a create killed before it wrote one, before anything else */
    if ((r = berth_state_read(dfd, &s, err)) < 0 && r != -ENOENT)
        return berth_error_wrap(err, "cannot read the state of '%s'", id);
    berth_error_clear(err);
    enum berth_status st = berth_container_status(dfd, s, false);
    if ((st == BERTH_STATUS_RUNNING || st == BERTH_STATUS_PAUSED) && !force)
        return berth_error_set(err, EBUSY, "container '%s' is %s: stop it first or use --force", id,
                               berth_status_name(st));
    if (s && st != BERTH_STATUS_STOPPED && (r = kill_wait(s->pid, s->pid_start)) < 0)
        return berth_error_set(err, -r, "cannot kill container '%s'", id);
    if ((r = remove_cgroup(s, err)) < 0)
        return berth_error_wrap(err, "cannot delete container '%s'", id);
    if (s)
        run_saved_hooks(dfd, s, BERTH_HOOK_POSTSTOP, "stopped");
    return berth_state_remove(root, id, err);
}
