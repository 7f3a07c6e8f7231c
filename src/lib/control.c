/* pause, resume, ps, update and events of an existing container
 * (container.h): what a running container's cgroup answers and takes. */
#include "container.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container-internal.h"
#include "devices.h"
#include "error.h"
#include "log.h"
#include "oci.h"
#include "resources.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* How often `events` looks for OOM kills between two stats. */
#define EVENTS_POLL_MS 100

static void state_freep(struct berth_state **s)
{
    berth_state_free(*s);
}

static void cgroup_freep(struct berth_cgroup **cg)
{
    berth_cgroup_free(*cg);
}

static struct berth_cgroup *cgroup_or_errno(const struct berth_state *s, int *ret,
                                            struct berth_error **err)
{
    _cleanup_error_ struct berth_error *e = NULL;
    struct berth_cgroup *cg = berth_container_cgroup(s, &e);
    if (cg == NULL) {
        *ret = -e->errnum;
        if (err)
            *err = TAKE_PTR(e);
    }
    return cg;
}

static int set_frozen(const char *root, const char *id, bool frozen, struct berth_error **err)
{
    _cleanup_(state_freep) struct berth_state *s = NULL;
    _cleanup_(cgroup_freep) struct berth_cgroup *cg = NULL;
    const char *verb = frozen ? "pause" : "resume";
    int r = 0;

    _cleanup_close_ int dfd = berth_container_lock(root, id, &s, err);
    if (dfd < 0)
        return dfd;
    enum berth_status st = berth_container_status(dfd, s, false);
    if (st != (frozen ? BERTH_STATUS_RUNNING : BERTH_STATUS_PAUSED))
        return berth_error_set(err, EINVAL, "cannot %s container '%s': it is %s, not %s", verb, id,
                               berth_status_name(st), frozen ? "running" : "paused");
    if ((cg = cgroup_or_errno(s, &r, err)) == NULL)
        return r;
    if ((r = berth_cgroup_freeze(cg, frozen, err)) < 0)
        return berth_error_wrap(err, "cannot %s container '%s'", verb, id);
    return 0;
}

int berth_container_pause(const char *root, const char *id, struct berth_error **err)
{
    return set_frozen(root, id, true, err);
}

int berth_container_resume(const char *root, const char *id, struct berth_error **err)
{
    return set_frozen(root, id, false, err);
}

/* A reader's view, as `state` takes it: no wait for the lock. ESRCH when
 * the container is stopped; *ret_pid is its init. */
static struct berth_cgroup *open_live(const char *root, const char *id, pid_t *ret_pid,
                                      unsigned long long *ret_start, int *ret,
                                      struct berth_error **err)
{
    _cleanup_(state_freep) struct berth_state *s = NULL;
    bool busy = false;

    _cleanup_close_ int dfd = berth_state_open(root, id, BERTH_LOCK_READ, &busy, err);
    if ((*ret = dfd) < 0)
        return NULL;
    if ((*ret = berth_state_read(dfd, &s, err)) < 0) {
        *ret = berth_error_wrap(err, "cannot read the state of '%s'", id);
        return NULL;
    }
    if (berth_container_status(dfd, s, busy) == BERTH_STATUS_STOPPED) {
        *ret = berth_error_set(err, ESRCH, "container '%s' is not running", id);
        return NULL;
    }
    if (ret_pid)
        *ret_pid = s->pid;
    if (ret_start)
        *ret_start = s->pid_start;
    return cgroup_or_errno(s, ret, err);
}

int berth_container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n,
                         struct berth_error **err)
{
    int r = 0;
    _cleanup_(cgroup_freep) struct berth_cgroup *cg = open_live(root, id, NULL, NULL, &r, err);

    if (cg == NULL)
        return r;
    if ((r = berth_cgroup_pids(cg, ret, ret_n, err)) < 0)
        return berth_error_wrap(err, "cannot list the processes of container '%s'", id);
    return 0;
}

int berth_container_stats(const char *root, const char *id, struct berth_cgroup_stats *ret,
                          struct berth_error **err)
{
    int r = 0;
    _cleanup_(cgroup_freep) struct berth_cgroup *cg = open_live(root, id, NULL, NULL, &r, err);

    memset(ret, 0, sizeof(*ret));
    if (cg == NULL)
        return r;
    if ((r = berth_cgroup_stats(cg, ret, err)) < 0)
        return berth_error_wrap(err, "cannot read the stats of container '%s'", id);
    return 0;
}

static bool is_deny_all(const struct berth_device_rule *d)
{
    return !d->allow && d->type == 'a' && d->major < 0 && d->minor < 0 && strchr(d->access, 'r') &&
           strchr(d->access, 'w') && strchr(d->access, 'm');
}

/* New rules replace the old ones: from "deny all" on both drivers (v1
 * would otherwise add them to what is there), then the given rules, then
 * the default devices' (berth_devices_cgroup_rules). */
static struct berth_device_rule *update_rules(const struct berth_resources *res, size_t *ret_n)
{
    size_t n = 0;
    struct berth_device_rule *v = berth_devices_resources_rules(res, &n);

    if (!is_deny_all(&v[0])) {
        v = xrealloc(v, (n + 1) * sizeof(*v));
        memmove(v + 1, v, n * sizeof(*v));
        v[0] = (struct berth_device_rule){.type = 'a', .major = -1, .minor = -1, .access = "rwm"};
        n++;
    }
    *ret_n = n;
    return v;
}

/* The v2 device filter's id lives in the record (delete detaches it). */
static int update_devices(int dfd, struct berth_state *s, struct berth_cgroup *cg,
                          const struct berth_resources *res, struct berth_error **err)
{
    size_t n = 0;
    _cleanup_free_ struct berth_device_rule *rules = update_rules(res, &n);

    int r = berth_cgroup_set_devices(cg, rules, n, err);
    if (r < 0)
        return r;
    free(s->cgroup_json);
    s->cgroup_json = berth_cgroup_to_json(cg);
    return berth_state_write(dfd, s, err);
}

int berth_container_update(const char *root, const char *id, const struct berth_resources *res,
                           struct berth_error **err)
{
    _cleanup_(state_freep) struct berth_state *s = NULL;
    _cleanup_(cgroup_freep) struct berth_cgroup *cg = NULL;
    int r = berth_resources_check(res, err);

    if (r < 0)
        return r;
    _cleanup_close_ int dfd = berth_container_lock(root, id, &s, err);
    if (dfd < 0)
        return dfd;
    enum berth_status st = berth_container_status(dfd, s, false);
    if (st == BERTH_STATUS_STOPPED || st == BERTH_STATUS_CREATING)
        return berth_error_set(err, ESRCH, "container '%s' is not running", id);
    if ((cg = cgroup_or_errno(s, &r, err)) == NULL)
        return r;
    if ((r = berth_cgroup_update(cg, res, err)) >= 0 && res->n_devices > 0)
        r = update_devices(dfd, s, cg, res, err);
    if (r < 0)
        return berth_error_wrap(err, "cannot update container '%s'", id);
    return 0;
}

/* ---- events ---- */

struct watch {
    const char *id;
    struct berth_cgroup *cg;
    int pidfd; /* the init: readable once it has exited */
    uint64_t ooms;
    berth_event_fn fn;
    void *userdata;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int watch_open(struct watch *w, const char *root, struct berth_error **err)
{
    unsigned long long start = 0;
    pid_t pid = 0;
    int r = 0;

    if ((w->cg = open_live(root, w->id, &pid, &start, &r, err)) == NULL)
        return r;
    w->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    /* the pidfd pins the process: a recycled pid fails the start time */
    if (w->pidfd < 0 || proc_start_time(pid) != start)
        return berth_error_set(err, ESRCH, "container '%s' is not running", w->id);
    _cleanup_error_ struct berth_error *ignored = NULL;
    (void)berth_cgroup_oom_kills(w->cg, &w->ooms, &ignored);
    return 0;
}

/* One OOM event per kill since the last look. */
static int report_ooms(struct watch *w)
{
    _cleanup_error_ struct berth_error *ignored = NULL;
    uint64_t n = 0;

    if (berth_cgroup_oom_kills(w->cg, &n, &ignored) < 0)
        return 0; /* the cgroup is going away with the container */
    for (; w->ooms < n; w->ooms++) {
        int r = w->fn(BERTH_EVENT_OOM, NULL, w->userdata);
        if (r < 0)
            return r;
    }
    return 0;
}

/* A read that fails (the container stopping under it) is left out, as
 * runc does; the next look at the init ends the watch. */
static int report_stats(struct watch *w)
{
    _cleanup_error_ struct berth_error *e = NULL;
    struct berth_cgroup_stats st;

    if (berth_cgroup_stats(w->cg, &st, &e) < 0) {
        berth_log(BERTH_LOG_DEBUG, "no stats for '%s': %s, ignoring", w->id, e->msg);
        return 0;
    }
    int r = w->fn(BERTH_EVENT_STATS, &st, w->userdata);
    berth_cgroup_stats_free(&st);
    return r;
}

static int watch_loop(struct watch *w, unsigned interval_ms)
{
    uint64_t next = now_ms() + interval_ms;

    for (;;) {
        uint64_t now = now_ms();
        int timeout = next > now ? (int)(next - now) : 0;
        struct pollfd p = {.fd = w->pidfd, .events = POLLIN};
        int pr = poll(&p, 1, timeout < EVENTS_POLL_MS ? timeout : EVENTS_POLL_MS);
        if (pr < 0 && errno != EINTR)
            return -errno;
        int r = report_ooms(w);
        if (r < 0 || pr > 0)
            return r;
        if (now_ms() < next)
            continue;
        if ((r = report_stats(w)) < 0)
            return r;
        next += interval_ms;
        if (next < now_ms())
            next = now_ms() + interval_ms;
    }
}

int berth_container_events(const char *root, const char *id, unsigned interval_ms,
                           berth_event_fn fn, void *userdata, struct berth_error **err)
{
    struct watch w = {.id = id, .pidfd = -1, .fn = fn, .userdata = userdata};

    if (interval_ms == 0)
        return berth_error_set(err, EINVAL, "invalid events interval: must be above 0");
    int r = watch_open(&w, root, err);
    if (r >= 0 && (r = watch_loop(&w, interval_ms)) < 0)
        r = berth_error_set(err, -r, "cannot report the events of container '%s'", id);
    berth_cgroup_free(w.cg);
    if (w.pidfd >= 0)
        close(w.pidfd);
    return r < 0 ? r : 0;
}
