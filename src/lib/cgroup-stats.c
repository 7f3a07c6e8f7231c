/* The drivers' stats operations: the counters `events` reports, read from
 * the cgroup files of each layout (v1: cpuacct.*, cpu.stat, memory.*,
 * pids.*, blkio.throttle.*; v2: cpu.stat, memory.*, pids.*, io.stat). A
 * file the host lacks leaves its counter 0: kernels differ in which they
 * have (memory.peak is Linux 5.19, memory.swap.* needs swap accounting). */
#include "cgroup-internal.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_SEC  1000000000ULL

/* dir/file, or NULL in *ret when the host has no such file. */
static int read_opt(const char *dir, const char *file, char **ret, struct berth_error **err)
{
    *ret = NULL;
    if (dir == NULL)
        return 0;
    int r = berth_cgroup_read(dir, file, ret, NULL);
    if (r == -ENOENT || r == -ENODEV)
        return 0;
    if (r < 0)
        return berth_error_set(err, -r, "cannot read '%s/%s'", dir, file);
    return 0;
}

/* A one-number file: "max" (or an absent file) is `none`. */
static int read_u64(const char *dir, const char *file, uint64_t none, uint64_t *ret,
                    struct berth_error **err)
{
    _cleanup_free_ char *text = NULL;
    unsigned long long v;

    *ret = none;
    int r = read_opt(dir, file, &text, err);
    if (r < 0 || text == NULL)
        return r;
    text[strcspn(text, "\n")] = '\0';
    if (streq(text, "max"))
        return 0;
    if (parse_u64(text, &v) < 0)
        return berth_error_set(err, EINVAL, "invalid value '%s' in '%s/%s'", text, dir, file);
    *ret = v;
    return 0;
}

/* Every "key value" line of a flat-keyed file, in its order. */
static int read_kv(const char *dir, const char *file, struct berth_cgroup_stat_kv **ret,
                   size_t *ret_n, struct berth_error **err)
{
    _cleanup_free_ char *text = NULL;

    int r = read_opt(dir, file, &text, err);
    for (char *save = NULL, *l = text ? strtok_r(text, "\n", &save) : NULL; l;
         l = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(l, ' ');
        unsigned long long v;
        if (sp == NULL || parse_u64(sp + 1, &v) < 0)
            continue;
        *ret = xrealloc(*ret, (*ret_n + 1) * sizeof(**ret));
        (*ret)[(*ret_n)++] = (struct berth_cgroup_stat_kv){
            .key = xasprintf("%.*s", (int)(sp - l), l),
            .value = v,
        };
    }
    return r;
}

static uint64_t kv_get(const struct berth_cgroup_stat_kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (streq(kv[i].key, key))
            return kv[i].value;
    return 0;
}

static void kv_free(struct berth_cgroup_stat_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(kv[i].key);
    free(kv);
}

static void add_io(struct berth_cgroup_stats *s, uint64_t major, uint64_t minor, const char *op,
                   uint64_t value)
{
    s->io = xrealloc(s->io, (s->n_io + 1) * sizeof(*s->io));
    struct berth_cgroup_io *e = &s->io[s->n_io++];
    *e = (struct berth_cgroup_io){.major = major, .minor = minor, .value = value};
    snprintf(e->op, sizeof(e->op), "%s", op);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* ---- v1 ---- */

static const char *v1_dir(const struct berth_cgroup *cg, const char *ctrl)
{
    const struct berth_cgroup_hier *h = berth_cgroup_find_hier(cg, ctrl);
    return h ? h->dir : NULL;
}

/* cpuacct.usage_percpu: one number per possible CPU, space separated. */
static int v1_percpu(const char *dir, struct berth_cgroup_stats *s, struct berth_error **err)
{
    _cleanup_free_ char *text = NULL;

    int r = read_opt(dir, "cpuacct.usage_percpu", &text, err);
    for (char *save = NULL, *w = text ? strtok_r(text, " \n", &save) : NULL; w;
         w = strtok_r(NULL, " \n", &save)) {
        unsigned long long v;
        if (parse_u64(w, &v) < 0)
            continue;
        s->cpu_percpu = xrealloc(s->cpu_percpu, (s->n_cpu_percpu + 1) * sizeof(uint64_t));
        s->cpu_percpu[s->n_cpu_percpu++] = v;
    }
    return r;
}

/* cpuacct.stat counts USER_HZ ticks; runc reports nanoseconds. */
static int v1_cpu(const struct berth_cgroup *cg, struct berth_cgroup_stats *s,
                  struct berth_error **err)
{
    const char *acct = v1_dir(cg, "cpuacct"), *cpu = v1_dir(cg, "cpu");
    struct berth_cgroup_stat_kv *kv = NULL;
    size_t n = 0;
    long hz = sysconf(_SC_CLK_TCK);
    uint64_t tick = NSEC_PER_SEC / (uint64_t)(hz > 0 ? hz : 100);

    int r = read_u64(acct, "cpuacct.usage", 0, &s->cpu_total, err);
    if (r >= 0)
        r = v1_percpu(acct, s, err);
    if (r >= 0)
        r = read_kv(acct, "cpuacct.stat", &kv, &n, err);
    s->cpu_user = kv_get(kv, n, "user") * tick;
    s->cpu_kernel = kv_get(kv, n, "system") * tick;
    kv_free(kv, n);
    kv = NULL;
    n = 0;
    if (r >= 0)
        r = read_kv(cpu, "cpu.stat", &kv, &n, err);
    s->cpu_periods = kv_get(kv, n, "nr_periods");
    s->cpu_throttled_periods = kv_get(kv, n, "nr_throttled");
    s->cpu_throttled_time = kv_get(kv, n, "throttled_time");
    kv_free(kv, n);
    return r;
}

/* `prefix` is "memory" or "memory.memsw". */
static int v1_mem_entry(const char *dir, const char *prefix, struct berth_cgroup_mem *m,
                        struct berth_error **err)
{
    _cleanup_free_ char *usage = xasprintf("%s.usage_in_bytes", prefix);
    _cleanup_free_ char *max = xasprintf("%s.max_usage_in_bytes", prefix);
    _cleanup_free_ char *limit = xasprintf("%s.limit_in_bytes", prefix);
    _cleanup_free_ char *failcnt = xasprintf("%s.failcnt", prefix);

    int r = read_u64(dir, usage, 0, &m->usage, err);
    if (r >= 0)
        r = read_u64(dir, max, 0, &m->max, err);
    if (r >= 0)
        r = read_u64(dir, limit, UINT64_MAX, &m->limit, err);
    if (r >= 0)
        r = read_u64(dir, failcnt, 0, &m->failcnt, err);
    return r;
}

static int v1_memory(const struct berth_cgroup *cg, struct berth_cgroup_stats *s,
                     struct berth_error **err)
{
    const char *dir = v1_dir(cg, "memory");

    if (dir == NULL)
        return 0;
    int r = v1_mem_entry(dir, "memory", &s->memory, err);
    s->has_swap = berth_cgroup_has_file(dir, "memory.memsw.usage_in_bytes");
    if (r >= 0 && s->has_swap)
        r = v1_mem_entry(dir, "memory.memsw", &s->swap, err);
    if (r >= 0)
        r = read_kv(dir, "memory.stat", &s->memory_stat, &s->n_memory_stat, err);
    return r;
}

/* "MAJ:MIN Op N" lines, then "Total N" (skipped: it sums the others). */
static int v1_blkio(const struct berth_cgroup *cg, struct berth_cgroup_stats *s,
                    struct berth_error **err)
{
    const char *dir = v1_dir(cg, "blkio");
    const char *file = "blkio.throttle.io_service_bytes_recursive";
    _cleanup_free_ char *text = NULL;

    if (dir && !berth_cgroup_has_file(dir, file))
        file = "blkio.throttle.io_service_bytes";
    int r = read_opt(dir, file, &text, err);
    for (char *save = NULL, *l = text ? strtok_r(text, "\n", &save) : NULL; l;
         l = strtok_r(NULL, "\n", &save)) {
        unsigned long long major, minor, v;
        char op[8];
        if (sscanf(l, "%llu:%llu %7s %llu", &major, &minor, op, &v) == 4)
            add_io(s, major, minor, op, v);
    }
    return r;
}

int berth_cgroup_v1_stats(struct berth_cgroup *cg, struct berth_cgroup_stats *ret,
                          struct berth_error **err)
{
    const char *pids = v1_dir(cg, "pids");

    int r = v1_cpu(cg, ret, err);
    if (r >= 0)
        r = v1_memory(cg, ret, err);
    if (r >= 0)
        r = read_u64(pids, "pids.current", 0, &ret->pids_current, err);
    if (r >= 0)
        r = read_u64(pids, "pids.max", 0, &ret->pids_limit, err);
    if (r >= 0)
        r = v1_blkio(cg, ret, err);
    if (r >= 0)
        r = berth_cgroup_oom_kills(cg, &ret->oom_kills, err);
    return r;
}

/* ---- v2 ---- */

static int v2_cpu(const char *dir, struct berth_cgroup_stats *s, struct berth_error **err)
{
    struct berth_cgroup_stat_kv *kv = NULL;
    size_t n = 0;

    int r = read_kv(dir, "cpu.stat", &kv, &n, err);
    s->cpu_total = kv_get(kv, n, "usage_usec") * NSEC_PER_USEC;
    s->cpu_user = kv_get(kv, n, "user_usec") * NSEC_PER_USEC;
    s->cpu_kernel = kv_get(kv, n, "system_usec") * NSEC_PER_USEC;
    s->cpu_periods = kv_get(kv, n, "nr_periods");
    s->cpu_throttled_periods = kv_get(kv, n, "nr_throttled");
    s->cpu_throttled_time = kv_get(kv, n, "throttled_usec") * NSEC_PER_USEC;
    kv_free(kv, n);
    return r;
}

/* `prefix` is "memory" or "memory.swap"; failcnt counts the times the
 * limit was hit ("max" of the matching .events file). */
static int v2_mem_entry(const char *dir, const char *prefix, struct berth_cgroup_mem *m,
                        struct berth_error **err)
{
    _cleanup_free_ char *usage = xasprintf("%s.current", prefix);
    _cleanup_free_ char *peak = xasprintf("%s.peak", prefix);
    _cleanup_free_ char *limit = xasprintf("%s.max", prefix);
    _cleanup_free_ char *events = xasprintf("%s.events", prefix);

    int r = read_u64(dir, usage, 0, &m->usage, err);
    if (r >= 0)
        r = read_u64(dir, peak, 0, &m->max, err);
    if (r >= 0)
        r = read_u64(dir, limit, UINT64_MAX, &m->limit, err);
    if (r >= 0)
        r = berth_cgroup_read_key(dir, events, "max", &m->failcnt, err);
    return r;
}

/* v1's memsw counts memory plus swap; v2 keeps them apart. Usage and limit
 * are added up, as runc does, so that they mean the same on both. */
static int v2_memory(const char *dir, struct berth_cgroup_stats *s, struct berth_error **err)
{
    int r = v2_mem_entry(dir, "memory", &s->memory, err);
    s->has_swap = berth_cgroup_has_file(dir, "memory.swap.current");
    if (r >= 0 && s->has_swap) {
        r = v2_mem_entry(dir, "memory.swap", &s->swap, err);
        s->swap.usage = sat_add(s->swap.usage, s->memory.usage);
        if (s->swap.limit != UINT64_MAX)
            s->swap.limit = sat_add(s->swap.limit, s->memory.limit);
    }
    if (r >= 0)
        r = read_kv(dir, "memory.stat", &s->memory_stat, &s->n_memory_stat, err);
    return r;
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N". */
static int v2_io(const char *dir, struct berth_cgroup_stats *s, struct berth_error **err)
{
    _cleanup_free_ char *text = NULL;

    int r = read_opt(dir, "io.stat", &text, err);
    for (char *save = NULL, *l = text ? strtok_r(text, "\n", &save) : NULL; l;
         l = strtok_r(NULL, "\n", &save)) {
        unsigned long long major, minor, v;
        int off = 0;
        if (sscanf(l, "%llu:%llu%n", &major, &minor, &off) != 2)
            continue;
        for (char *ws = NULL, *w = strtok_r(l + off, " ", &ws); w; w = strtok_r(NULL, " ", &ws)) {
            if (strncmp(w, "rbytes=", 7) == 0 && parse_u64(w + 7, &v) == 0)
                add_io(s, major, minor, "Read", v);
            else if (strncmp(w, "wbytes=", 7) == 0 && parse_u64(w + 7, &v) == 0)
                add_io(s, major, minor, "Write", v);
        }
    }
    return r;
}

int berth_cgroup_v2_stats(struct berth_cgroup *cg, struct berth_cgroup_stats *ret,
                          struct berth_error **err)
{
    const char *dir = cg->h[0].dir;

    int r = v2_cpu(dir, ret, err);
    if (r >= 0)
        r = v2_memory(dir, ret, err);
    if (r >= 0)
        r = read_u64(dir, "pids.current", 0, &ret->pids_current, err);
    if (r >= 0)
        r = read_u64(dir, "pids.max", 0, &ret->pids_limit, err);
    if (r >= 0)
        r = v2_io(dir, ret, err);
    if (r >= 0)
        r = berth_cgroup_oom_kills(cg, &ret->oom_kills, err);
    return r;
}
