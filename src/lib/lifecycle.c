/* start, kill and delete of an existing container (container.h). */
#include "container.h"
#include "cgroup.h"
#include "cleanup.h"
#include "error.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void state_freep(struct berth_state **s)
{
    berth_state_free(*s);
}

static void cgroup_freep(struct berth_cgroup **cg)
{
    berth_cgroup_free(*cg);
}

/* Opens, locks and reads a container's state; returns the locked dir fd. */
static int open_state(const char *root, const char *id, struct berth_state **ret,
                      struct berth_error **err)
{
    int fd = berth_state_open(root, id, err);
    if (fd < 0)
        return fd;
    int r = berth_state_read(fd, ret, err);
    if (r < 0) {
        close(fd);
        return berth_error_wrap(err, "cannot read the state of '%s'", id);
    }
    return fd;
}

int berth_container_start(const char *root, const char *id, struct berth_error **err)
{
    _cleanup_(state_freep) struct berth_state *s = NULL;
    _cleanup_close_ int dfd = open_state(root, id, &s, err);
    if (dfd < 0)
        return dfd;
    enum berth_status st = berth_state_status(dfd, s);
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
    if (unlinkat(dfd, BERTH_EXEC_FIFO, 0) < 0)
        return berth_error_set(err, errno, "cannot remove the exec fifo of '%s'", id);
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

static int signal_cgroup(const struct berth_state *s, int sig, struct berth_error **err)
{
    _cleanup_(cgroup_freep) struct berth_cgroup *cg = NULL;
    _cleanup_free_ char *procs = NULL;
    if (s->cgroup_json == NULL)
        return berth_error_set(err, ENOENT, "container '%s' has no cgroup", s->id);
    if ((cg = berth_cgroup_from_json(s->cgroup_json, err)) == NULL)
        return -(*err)->errnum;
    _cleanup_free_ char *path = xasprintf("%s/cgroup.procs", cg->h[0].dir);
    int r = read_file_at(AT_FDCWD, path, &procs, NULL, err);
    if (r < 0)
        return r;
    for (char *save = NULL, *p = strtok_r(procs, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
        long long pid = 0;
        if (parse_i64(p, &pid) == 0 && pid > 0)
            (void)signal_pid((pid_t)pid, 0, sig);
    }
    return 0;
}

int berth_container_kill(const char *root, const char *id, int sig, bool all,
                         struct berth_error **err)
{
    _cleanup_(state_freep) struct berth_state *s = NULL;
    _cleanup_close_ int dfd = open_state(root, id, &s, err);
    if (dfd < 0)
        return dfd;
    enum berth_status st = berth_state_status(dfd, s);
    if (st == BERTH_STATUS_STOPPED && !all)
        return berth_error_set(err, ESRCH, "container '%s' is not running", id);
    if (all)
        return signal_cgroup(s, sig, err);
    int r = signal_pid(s->pid, s->pid_start, sig);
    if (r < 0)
        return berth_error_set(err, -r, "cannot send signal %d to container '%s'", sig, id);
    return 0;
}

static int wait_exit(pid_t pid, unsigned long long start)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return errno == ESRCH ? 0 : -errno;
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

int berth_container_delete(const char *root, const char *id, bool force, struct berth_error **err)
{
    _cleanup_(state_freep) struct berth_state *s = NULL;
    _cleanup_(cgroup_freep) struct berth_cgroup *cg = NULL;
    _cleanup_close_ int dfd = open_state(root, id, &s, err);
    if (dfd < 0)
        return dfd;
    enum berth_status st = berth_state_status(dfd, s);
    if ((st == BERTH_STATUS_RUNNING || st == BERTH_STATUS_PAUSED) && !force)
        return berth_error_set(err, EBUSY, "container '%s' is %s: stop it first or use --force", id,
                               berth_status_name(st));
    if (st != BERTH_STATUS_STOPPED) {
        int r = wait_exit(s->pid, s->pid_start);
        if (r < 0)
            return berth_error_set(err, -r, "cannot kill container '%s'", id);
    }
    if (s->cgroup_json) {
        if ((cg = berth_cgroup_from_json(s->cgroup_json, err)) == NULL)
            return -(*err)->errnum;
        int r = berth_cgroup_destroy(cg, err);
        if (r < 0)
            return berth_error_wrap(err, "cannot delete container '%s'", id);
    }
    return berth_state_remove(root, id, err);
}
