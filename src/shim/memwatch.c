/* The container's memory limits as the kernel reports them (issue 14
 * item 1; shim.h): no polling loop, the shim sleeps in epoll until the
 * memory controller says something happened.
 *
 * cgroup v1: two eventfds registered through cgroup.event_control: one on
 * memory.usage_in_bytes with the reservation as threshold (the kernel
 * signals each crossing, up or down, alternately from the side the usage
 * was on at registration; each upward one raises `memory-soft` with the
 * usage read then), one on memory.oom_control (each OOM notification
 * raises `oom`).
 *
 * cgroup v2: inotify on memory.events, which the kernel rewrites (at most
 * every 10 ms) when a counter moves: each new `oom_kill` raises `oom`; the
 * reservation is also memory.high (spec.c), so a new `high` is the sign
 * of an upward crossing. The kernel throttles and reclaims at memory.high
 * (a container above it runs slowly; only memory.max OOM-kills), and it
 * says nothing when the usage falls back: only while above does a timerfd
 * tick (TICK_MS) to re-check memory.current, and it counts as below once
 * memory.current < memory.high with no new `high` since the last tick (the
 * kernel had to reclaim nothing). Below, nothing ticks. */
#include "shim.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "durable.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define TICK_MS 50

static uint64_t read_u64(int dirfd, const char *file)
{
    _cleanup_free_ char *text = NULL;
    if (read_file_at(dirfd, file, &text, NULL, NULL) < 0)
        return 0;
    return strtoull(text, NULL, 10);
}

/* The value of "KEY N" in a flat-keyed file (memory.events); 0 if absent. */
static uint64_t read_key(int dirfd, const char *file, const char *key)
{
    _cleanup_free_ char *text = NULL;
    size_t n = strlen(key);
    if (read_file_at(dirfd, file, &text, NULL, NULL) < 0)
        return 0;
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, key, n) == 0 && l[n] == ' ')
            return strtoull(l + n + 1, NULL, 10);
    return 0;
}

/* The container's memory directory: v1's memory hierarchy, or v2's only one
 * (named ""); -1 without a memory controller. */
static int memory_dir(const struct berth_container *c, bool *ret_v2)
{
    const char *name = NULL, *dir;
    for (size_t i = 0; c->cgroup && (dir = berth_cgroup_hier_dir(c->cgroup, i, &name)); i++) {
        _cleanup_free_ char *list = xasprintf(",%s,", name);
        if (*name == '\0' || strstr(list, ",memory,")) {
            *ret_v2 = *name == '\0';
            return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
    }
    return -1;
}

/* v1: an eventfd for `file` (with `arg`: a threshold) via cgroup.event_control. */
static int v1_register(int dirfd, const char *file, const char *arg)
{
    _cleanup_close_ int ctl = openat(dirfd, "cgroup.event_control", O_WRONLY | O_CLOEXEC);
    _cleanup_close_ int target = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ctl < 0 || target < 0 || efd < 0) {
        if (efd >= 0)
            close(efd);
        return -1;
    }
    char line[96];
    int n = snprintf(line, sizeof(line), "%d %d%s%s", efd, target, arg ? " " : "", arg ? arg : "");
    if (write(ctl, line, (size_t)n) != n) {
        close(efd);
        return -1;
    }
    return efd;
}

static uint64_t usage(const struct shim_memwatch *m)
{
    return read_u64(m->dirfd, m->v2 ? "memory.current" : "memory.usage_in_bytes");
}

/* The reservation from the record (0: none). */
static uint64_t reservation(const struct shim_args *a)
{
    json_t *rec = json_read_file(a->dir, "container.json", NULL);
    json_int_t v = json_integer_value(
        json_object_get(json_object_get(rec, "HostConfig"), "MemoryReservation"));
    json_decref(rec);
    return v > 0 ? (uint64_t)v : 0;
}

static void soft_event(const struct shim_args *a, const struct shim_memwatch *m, uint64_t u)
{
    char us[32], ls[32];
    snprintf(us, sizeof(us), "%" PRIu64, u);
    snprintf(ls, sizeof(ls), "%" PRIu64, m->limit);
    shim_event(a, "memory-soft", json_pack("{s:s,s:s}", "usage", us, "limit", ls));
}

static void arm(struct shim_memwatch *m, bool on)
{
    struct itimerspec its = {0};
    if (on)
        its.it_interval.tv_nsec = its.it_value.tv_nsec = TICK_MS * 1000000L;
    if (m->fd[SHIM_MEM_SOFT] >= 0)
        timerfd_settime(m->fd[SHIM_MEM_SOFT], 0, &its, NULL);
}

void shim_memwatch_start(const struct shim_args *a, const struct berth_container *c,
                         struct shim_memwatch *m)
{
    *m = (struct shim_memwatch){.fd = {-1, -1}};
    m->dirfd = memory_dir(c, &m->v2);
    if (m->dirfd < 0)
        return;
    m->limit = reservation(a);
    m->above = m->limit > 0 && usage(m) >= m->limit;
    if (!m->v2) {
        char thr[32];
        snprintf(thr, sizeof(thr), "%" PRIu64, m->limit);
        if (m->limit > 0)
            m->fd[SHIM_MEM_SOFT] = v1_register(m->dirfd, "memory.usage_in_bytes", thr);
        m->fd[SHIM_MEM_OOM] = v1_register(m->dirfd, "memory.oom_control", NULL);
        return;
    }
    _cleanup_free_ char *events = NULL;
    m->high = read_key(m->dirfd, "memory.events", "high");
    m->oom_kills = read_key(m->dirfd, "memory.events", "oom_kill");
    m->fd[SHIM_MEM_OOM] = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    /* inotify takes a path: the directory's through /proc/self/fd */
    events = xasprintf("/proc/self/fd/%d/memory.events", m->dirfd);
    if (m->fd[SHIM_MEM_OOM] >= 0 && inotify_add_watch(m->fd[SHIM_MEM_OOM], events, IN_MODIFY) < 0)
        close(m->fd[SHIM_MEM_OOM]), m->fd[SHIM_MEM_OOM] = -1;
    if (m->limit > 0)
        m->fd[SHIM_MEM_SOFT] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    arm(m, m->above);
}

void shim_memwatch_reload(const struct shim_args *a, struct shim_memwatch *m)
{
    if (m->dirfd < 0)
        return;
    uint64_t limit = reservation(a);
    if (limit == m->limit)
        return;
    m->limit = limit;
    m->above = limit > 0 && usage(m) >= limit;
    if (m->fd[SHIM_MEM_SOFT] >= 0 && (!m->v2 || limit == 0))
        close(m->fd[SHIM_MEM_SOFT]), m->fd[SHIM_MEM_SOFT] = -1;
    if (limit == 0)
        return;
    if (!m->v2) { /* a threshold is registered once: a new eventfd */
        char thr[32];
        snprintf(thr, sizeof(thr), "%" PRIu64, limit);
        m->fd[SHIM_MEM_SOFT] = v1_register(m->dirfd, "memory.usage_in_bytes", thr);
        return;
    }
    if (m->fd[SHIM_MEM_SOFT] < 0)
        m->fd[SHIM_MEM_SOFT] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    m->high = read_key(m->dirfd, "memory.events", "high");
    arm(m, m->above);
}

/* v2: memory.events moved (or, with `tick`, the timer while above). */
static void v2_ready(const struct shim_args *a, struct shim_memwatch *m, bool tick)
{
    uint64_t high = read_key(m->dirfd, "memory.events", "high");
    uint64_t kills = read_key(m->dirfd, "memory.events", "oom_kill");
    for (; m->oom_kills < kills; m->oom_kills++)
        shim_event(a, "oom", NULL);
    if (m->limit == 0)
        return;
    bool reclaimed = high != m->high;
    m->high = high;
    if (reclaimed && !m->above) {
        m->above = true;
        soft_event(a, m, usage(m));
        arm(m, true);
    } else if (tick && !reclaimed && usage(m) < m->limit) {
        m->above = false;
        arm(m, false);
    }
}

/* v1: the threshold eventfd counted n crossings, alternately up and down
 * from where the usage was (the kernel signals each one it sees, and
 * several may be read at once): one event per upward one. The parity, not
 * a usage read that may already see the next crossing, keeps the side. */
static void v1_crossings(const struct shim_args *a, struct shim_memwatch *m, uint64_t n)
{
    uint64_t ups = m->above ? n / 2 : (n + 1) / 2;
    uint64_t u = ups > 0 ? usage(m) : 0;
    for (; ups > 0; ups--)
        soft_event(a, m, u);
    if (n % 2 == 1)
        m->above = !m->above;
}

void shim_memwatch_ready(const struct shim_args *a, struct shim_memwatch *m, unsigned i)
{
    char buf[4096] __attribute__((aligned(8)));
    uint64_t n = 0;
    if (i >= SHIM_MEM_FDS || m->fd[i] < 0)
        return;
    /* the eventfd's count, the timer's expirations, or inotify's records */
    ssize_t r = read(m->fd[i], buf, sizeof(buf));
    if (r >= 8)
        memcpy(&n, buf, sizeof(n));
    if (m->v2) {
        v2_ready(a, m, i == SHIM_MEM_SOFT);
    } else if (i == SHIM_MEM_OOM) {
        for (; n > 0; n--)
            shim_event(a, "oom", NULL);
    } else {
        v1_crossings(a, m, n);
    }
}

void shim_memwatch_stop(const struct shim_args *a, struct shim_memwatch *m)
{
    /* what the kernel said while the init died, before its cgroup goes
     * (removing a v1 cgroup signals every eventfd once more) */
    if (m->fd[SHIM_MEM_OOM] >= 0)
        shim_memwatch_ready(a, m, SHIM_MEM_OOM);
    for (int i = 0; i < SHIM_MEM_FDS; i++)
        if (m->fd[i] >= 0)
            close(m->fd[i]), m->fd[i] = -1;
    if (m->dirfd >= 0)
        close(m->dirfd), m->dirfd = -1;
}
