/* cgroup v1 driver: one directory per hierarchy (legacy and hybrid hosts). */
#include "cgroup-internal.h"
#include "cleanup.h"
#include "error.h"
#include "fs.h"
#include "log.h"
#include "mount.h"
#include "oci.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MEMSW "memory.memsw.limit_in_bytes"

static struct berth_cgroup_hier *v1_find(const struct berth_cgroup *cg, const char *ctrl)
{
    return berth_cgroup_find_hier(cg, ctrl);
}

/* Where `ctrl`'s files are written: 1 with *ret_dir set, 0 when the cgroup
 * is joined (not berth's: left alone), -EOPNOTSUPP when not mounted. */
static int v1_dir(struct berth_cgroup *cg, const char *ctrl, const char **ret_dir,
                  struct berth_error **err)
{
    struct berth_cgroup_hier *h = v1_find(cg, ctrl);

    if (h == NULL)
        return berth_error_set(err, EOPNOTSUPP,
                               "cannot set '%s' limits: no cgroup v1 '%s' hierarchy under '%s'",
                               ctrl, ctrl, cg->root);
    if (h->created == 0) {
        berth_log(BERTH_LOG_DEBUG, "not setting '%s' limits in joined cgroup '%s'", ctrl, h->dir);
        return 0;
    }
    *ret_dir = h->dir;
    return 1;
}

static int write_i64(const char *dir, const char *file, int64_t v, struct berth_error **err)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%" PRId64, v);
    return berth_cgroup_write(dir, file, buf, err);
}

/* A file only some kernels have (kmem, realtime, burst …): a config field
 * that needs it is refused, naming the field, where it is missing. */
static int write_opt(const char *dir, const char *file, const char *value, const char *field,
                     struct berth_error **err)
{
    if (!berth_cgroup_has_file(dir, file)) {
        _cleanup_free_ char *why = xasprintf("cgroup '%s' has no '%s'", dir, file);
        return berth_cgroup_unsupported(field, why, err);
    }
    int r = berth_cgroup_write(dir, file, value, err);
    return r < 0 ? berth_error_wrap(err, "cannot honour '%s'", field) : r;
}

static int write_opt_i64(const char *dir, const char *file, int64_t v, const char *field,
                         struct berth_error **err)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%" PRId64, v);
    return write_opt(dir, file, buf, field, err);
}

/* Without swap accounting there is no memsw file. That only matters when the
 * config grants swap beyond the memory limit: the kernel could not enforce
 * it. */
static int v1_swap_wanted(const char *dir, const struct berth_resources *res, bool *ret,
                          struct berth_error **err)
{
    *ret = res->has_mem_swap && res->mem_swap != 0;
    if (!*ret || berth_cgroup_has_file(dir, MEMSW))
        return 0;
    *ret = false;
    if (res->mem_swap > 0 && !(res->has_mem_limit && res->mem_swap == res->mem_limit))
        return berth_error_set(
            err, EOPNOTSUPP,
            "cannot limit swap in cgroup '%s': no '" MEMSW "' (swap accounting is disabled)", dir);
    return 0;
}

/* The kernel keeps memory.limit <= memsw.limit at every step, so raising
 * the pair writes memsw first and lowering writes the limit first (runc). */
static bool v1_swap_first(const char *dir, const struct berth_resources *res)
{
    _cleanup_free_ char *cur = NULL;
    unsigned long long limit;

    if (res->mem_swap == -1)
        return true;
    if (berth_cgroup_read(dir, "memory.limit_in_bytes", &cur, NULL) < 0)
        return false;
    cur[strcspn(cur, "\n")] = '\0';
    return parse_u64(cur, &limit) == 0 && limit < (unsigned long long)res->mem_swap;
}

#define P_MEM "linux.resources.memory."

/* The memory fields only cgroup v1 has. */
static int v1_memory_extra(const char *dir, const struct berth_resources *res,
                           struct berth_error **err)
{
    int r = 0;

    if (res->has_mem_kernel)
        r = write_opt_i64(dir, "memory.kmem.limit_in_bytes", res->mem_kernel, P_MEM "kernel", err);
    if (r >= 0 && res->has_mem_kernel_tcp)
        r = write_opt_i64(dir, "memory.kmem.tcp.limit_in_bytes", res->mem_kernel_tcp,
                          P_MEM "kernelTCP", err);
    if (r >= 0 && res->has_mem_swappiness)
        r = write_opt_i64(dir, "memory.swappiness", (int64_t)res->mem_swappiness,
                          P_MEM "swappiness", err);
    if (r >= 0 && res->disable_oom_killer)
        r = write_opt(dir, "memory.oom_control", "1", P_MEM "disableOOMKiller", err);
    if (r >= 0 && res->has_use_hierarchy)
        r = write_opt(dir, "memory.use_hierarchy", res->use_hierarchy ? "1" : "0",
                      P_MEM "useHierarchy", err);
    return r;
}

static bool has_memory(const struct berth_resources *res)
{
    return res->has_mem_limit || res->has_mem_reservation || res->has_mem_swap ||
           res->has_mem_kernel || res->has_mem_kernel_tcp || res->has_mem_swappiness ||
           res->disable_oom_killer || res->has_use_hierarchy;
}

static int v1_memory(struct berth_cgroup *cg, const struct berth_resources *res,
                     struct berth_error **err)
{
    const char *dir = NULL;
    bool swap;

    int r = v1_dir(cg, "memory", &dir, err);
    if (r <= 0)
        return r;
    r = v1_swap_wanted(dir, res, &swap, err);
    if (r < 0)
        return r;
    if (swap && res->has_mem_limit && v1_swap_first(dir, res)) {
        r = write_i64(dir, MEMSW, res->mem_swap, err);
        swap = false;
    }
    if (r >= 0 && res->has_mem_limit)
        r = write_i64(dir, "memory.limit_in_bytes", res->mem_limit, err);
    if (r >= 0 && swap)
        r = write_i64(dir, MEMSW, res->mem_swap, err);
    if (r >= 0 && res->has_mem_reservation)
        r = write_i64(dir, "memory.soft_limit_in_bytes", res->mem_reservation, err);
    return r < 0 ? r : v1_memory_extra(dir, res, err);
}

static int v1_cpu(struct berth_cgroup *cg, const struct berth_resources *res,
                  struct berth_error **err)
{
    const char *dir = NULL;

    int r = v1_dir(cg, "cpu", &dir, err);
    if (r <= 0)
        return r;
    if (res->has_cpu_shares && res->cpu_shares != 0)
        r = write_i64(dir, "cpu.shares", (int64_t)res->cpu_shares, err);
    /* the period first: the kernel checks the quota against it */
    if (r >= 0 && res->has_cpu_period && res->cpu_period != 0)
        r = write_i64(dir, "cpu.cfs_period_us", (int64_t)res->cpu_period, err);
    if (r >= 0 && res->has_cpu_quota)
        r = write_i64(dir, "cpu.cfs_quota_us", res->cpu_quota < 0 ? -1 : res->cpu_quota, err);
    if (r >= 0 && res->has_cpu_burst)
        r = write_opt_i64(dir, "cpu.cfs_burst_us", (int64_t)res->cpu_burst,
                          "linux.resources.cpu.burst", err);
    /* the period first: the runtime is checked against it */
    if (r >= 0 && res->has_cpu_rt_period)
        r = write_opt_i64(dir, "cpu.rt_period_us", (int64_t)res->cpu_rt_period,
                          "linux.resources.cpu.realtimePeriod", err);
    if (r >= 0 && res->has_cpu_rt_runtime)
        r = write_opt_i64(dir, "cpu.rt_runtime_us", res->cpu_rt_runtime,
                          "linux.resources.cpu.realtimeRuntime", err);
    if (r >= 0 && res->has_cpu_idle)
        r = write_opt_i64(dir, "cpu.idle", res->cpu_idle, "linux.resources.cpu.idle", err);
    return r;
}

static bool has_cpu(const struct berth_resources *res)
{
    return res->has_cpu_shares || res->has_cpu_period || res->has_cpu_quota || res->has_cpu_burst ||
           res->has_cpu_rt_period || res->has_cpu_rt_runtime || res->has_cpu_idle;
}

static int v1_cpuset(struct berth_cgroup *cg, const struct berth_resources *res,
                     struct berth_error **err)
{
    const char *dir = NULL;

    int r = v1_dir(cg, "cpuset", &dir, err);
    if (r <= 0)
        return r;
    if (res->cpu_cpus && *res->cpu_cpus)
        r = berth_cgroup_write(dir, "cpuset.cpus", res->cpu_cpus, err);
    if (r >= 0 && res->cpu_mems && *res->cpu_mems)
        r = berth_cgroup_write(dir, "cpuset.mems", res->cpu_mems, err);
    return r;
}

static int v1_pids(struct berth_cgroup *cg, const struct berth_resources *res,
                   struct berth_error **err)
{
    const char *dir = NULL;

    int r = v1_dir(cg, "pids", &dir, err);
    if (r <= 0)
        return r;
    if (res->pids_limit <= 0)
        return berth_cgroup_write(dir, "pids.max", "max", err);
    return write_i64(dir, "pids.max", res->pids_limit, err);
}

/* Kernels without CFQ (5.0+) have only BFQ's weight files, when BFQ is in
 * use, and no leaf weights at all: a config that asks for one is refused. */
static int no_weight_file(const struct berth_cgroup_writer *w, bool leaf, struct berth_error **err)
{
    berth_error_clear(err);
    if (leaf) {
        _cleanup_free_ char *why =
            xasprintf("cgroup '%s' has no '%s' (no CFQ scheduler)", w->dir, w->files[0]);
        return berth_cgroup_unsupported("linux.resources.blockIO.leafWeight", why, err);
    }
    return berth_error_set(err, EOPNOTSUPP,
                           "cannot set blkio weight in cgroup '%s': neither '%s' nor '%s' exists "
                           "(no CFQ or BFQ scheduler)",
                           w->dir, w->files[0], w->files[1]);
}

static int v1_weight(const char *dir, uint16_t weight, bool leaf, struct berth_error **err)
{
    _cleanup_cgroup_writer_ struct berth_cgroup_writer w =
        leaf ? BERTH_CGROUP_WRITER(dir, "blkio.leaf_weight")
             : BERTH_CGROUP_WRITER(dir, "blkio.weight", "blkio.bfq.weight");
    char buf[8];

    snprintf(buf, sizeof(buf), "%u", (unsigned)weight);
    int r = berth_cgroup_writer_put(&w, buf, err);
    return r == -ENOENT ? no_weight_file(&w, leaf, err) : r;
}

static int put_device(struct berth_cgroup_writer *w, int64_t major, int64_t minor, uint64_t v,
                      struct berth_error **err)
{
    char buf[64];

    snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, major, minor, v);
    return berth_cgroup_writer_put(w, buf, err);
}

static int v1_weight_devices(const char *dir, const struct berth_resources *res, bool leaf,
                             struct berth_error **err)
{
    _cleanup_cgroup_writer_ struct berth_cgroup_writer w =
        leaf ? BERTH_CGROUP_WRITER(dir, "blkio.leaf_weight_device")
             : BERTH_CGROUP_WRITER(dir, "blkio.weight_device", "blkio.bfq.weight_device");

    for (size_t i = 0; i < res->n_blkio_weight_devices; i++) {
        const struct berth_blkio_weight_device *d = &res->blkio_weight_devices[i];
        uint16_t weight = leaf ? d->leaf_weight : d->weight;
        if (weight == 0)
            continue;
        int r = put_device(&w, d->major, d->minor, weight, err);
        if (r == -ENOENT)
            return no_weight_file(&w, leaf, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static const char *const v1_throttle_files[BERTH_THROTTLE_COUNT] = {
    [BERTH_THROTTLE_READ_BPS] = "blkio.throttle.read_bps_device",
    [BERTH_THROTTLE_WRITE_BPS] = "blkio.throttle.write_bps_device",
    [BERTH_THROTTLE_READ_IOPS] = "blkio.throttle.read_iops_device",
    [BERTH_THROTTLE_WRITE_IOPS] = "blkio.throttle.write_iops_device",
};

/* A rate of 0 removes the device's limit, as the spec's "no limit" wants. */
static int v1_throttle(const char *dir, const struct berth_resources *res,
                       enum berth_blkio_throttle_type t, struct berth_error **err)
{
    _cleanup_cgroup_writer_ struct berth_cgroup_writer w =
        BERTH_CGROUP_WRITER(dir, v1_throttle_files[t]);

    for (size_t i = 0; i < res->n_blkio_throttle[t]; i++) {
        const struct berth_blkio_throttle *d = &res->blkio_throttle[t][i];
        int r = put_device(&w, d->major, d->minor, d->rate, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int v1_blkio(struct berth_cgroup *cg, const struct berth_resources *res,
                    struct berth_error **err)
{
    const char *dir = NULL;

    int r = v1_dir(cg, "blkio", &dir, err);
    if (r <= 0)
        return r;
    if (res->has_blkio_weight)
        r = v1_weight(dir, res->blkio_weight, false, err);
    if (r >= 0 && res->has_blkio_leaf_weight)
        r = v1_weight(dir, res->blkio_leaf_weight, true, err);
    if (r >= 0)
        r = v1_weight_devices(dir, res, false, err);
    if (r >= 0)
        r = v1_weight_devices(dir, res, true, err);
    for (int t = 0; r >= 0 && t < BERTH_THROTTLE_COUNT; t++)
        r = v1_throttle(dir, res, t, err);
    return r;
}

static int write_rule(struct berth_cgroup_writer *w, char type, const struct berth_device_rule *d,
                      const char *access, struct berth_error **err)
{
    char major[24] = "*", minor[24] = "*", rule[80];

    if (d->major >= 0)
        snprintf(major, sizeof(major), "%" PRId64, d->major);
    if (d->minor >= 0)
        snprintf(minor, sizeof(minor), "%" PRId64, d->minor);
    snprintf(rule, sizeof(rule), "%c %s:%s %s", type, major, minor, access);
    return berth_cgroup_writer_put(w, rule, err);
}

/* The kernel reads a rule of type 'a' as "everything, rwm" whatever follows
 * it, so a narrower 'a' rule is written as one 'c' and one 'b' rule. */
static int v1_device_rule(struct berth_cgroup_writer *w, const struct berth_device_rule *d,
                          struct berth_error **err)
{
    const char *access = d->access[0] ? d->access : "rwm";
    bool all_access = strchr(access, 'r') && strchr(access, 'w') && strchr(access, 'm');
    int r;

    if (strspn(access, "rwm") != strlen(access))
        return berth_error_set(err, EINVAL, "invalid device access '%s'", access);
    switch (d->type) {
    case 'a':
        if (d->major < 0 && d->minor < 0 && all_access)
            return berth_cgroup_writer_put(w, "a", err);
        r = write_rule(w, 'c', d, access, err);
        return r < 0 ? r : write_rule(w, 'b', d, access, err);
    case 'c':
    case 'b':
        return write_rule(w, d->type, d, access, err);
    default:
        return berth_error_set(err, EINVAL, "invalid device type '%c'", d->type);
    }
}

/* Rules are applied in order, so a leading deny-all writes "a" to
 * devices.deny before the exceptions that follow it. Each file is opened
 * once for all its rules: this runs on every create. */
static int v1_set_devices(struct berth_cgroup *cg, const struct berth_device_rule *rules, size_t n,
                          struct berth_error **err)
{
    const char *dir = NULL;

    /* a joined cgroup (setup refused any rule of the config's) keeps the
     * device policy of whoever made it */
    int r = v1_dir(cg, "devices", &dir, err);
    if (r <= 0)
        return r;
    _cleanup_cgroup_writer_ struct berth_cgroup_writer allow =
        BERTH_CGROUP_WRITER(dir, "devices.allow");
    _cleanup_cgroup_writer_ struct berth_cgroup_writer deny =
        BERTH_CGROUP_WRITER(dir, "devices.deny");
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = v1_device_rule(rules[i].allow ? &allow : &deny, &rules[i], err);
    return r < 0 ? r : 0;
}

static bool has_blkio(const struct berth_resources *res)
{
    if (res->has_blkio_weight || res->has_blkio_leaf_weight || res->n_blkio_weight_devices > 0)
        return true;
    for (int t = 0; t < BERTH_THROTTLE_COUNT; t++)
        if (res->n_blkio_throttle[t] > 0)
            return true;
    return false;
}

/* The directory of an optional hierarchy, or EOPNOTSUPP naming the field
 * when the host does not mount it. */
static int v1_opt_dir(struct berth_cgroup *cg, const char *ctrl, const char *field,
                      const char **ret_dir, struct berth_error **err)
{
    struct berth_cgroup_hier *h = v1_find(cg, ctrl);
    if (h == NULL) {
        _cleanup_free_ char *why =
            xasprintf("no cgroup v1 '%s' hierarchy under '%s'", ctrl, cg->root);
        return berth_cgroup_unsupported(field, why, err);
    }
    *ret_dir = h->dir;
    return 0;
}

static int v1_hugetlb(struct berth_cgroup *cg, const struct berth_resources *res,
                      struct berth_error **err)
{
    const char *dir = NULL;
    int r = v1_opt_dir(cg, "hugetlb", "linux.resources.hugepageLimits", &dir, err);
    for (size_t i = 0; r >= 0 && i < res->n_hugepages; i++) {
        _cleanup_free_ char *file =
            xasprintf("hugetlb.%s.limit_in_bytes", res->hugepages[i].page_size);
        r = write_opt_i64(dir, file, (int64_t)res->hugepages[i].limit,
                          "linux.resources.hugepageLimits", err);
    }
    return r;
}

static int v1_network(struct berth_cgroup *cg, const struct berth_resources *res,
                      struct berth_error **err)
{
    const char *dir = NULL;
    char buf[64];
    int r = 0;

    if (res->has_net_class_id &&
        (r = v1_opt_dir(cg, "net_cls", "linux.resources.network.classID", &dir, err)) >= 0)
        r = write_i64(dir, "net_cls.classid", res->net_class_id, err);
    if (r < 0 || res->n_net_priorities == 0)
        return r;
    if ((r = v1_opt_dir(cg, "net_prio", "linux.resources.network.priorities", &dir, err)) < 0)
        return r;
    _cleanup_cgroup_writer_ struct berth_cgroup_writer w =
        BERTH_CGROUP_WRITER(dir, "net_prio.ifpriomap");
    for (size_t i = 0; r >= 0 && i < res->n_net_priorities; i++) {
        snprintf(buf, sizeof(buf), "%s %" PRIu32, res->net_priorities[i].name,
                 res->net_priorities[i].priority);
        r = berth_cgroup_writer_put(&w, buf, err);
    }
    return r;
}

static int v1_apply(struct berth_cgroup *cg, const struct berth_resources *res,
                    struct berth_error **err)
{
    int r = 0;

    if (res->n_unified > 0)
        return berth_error_set(err, EOPNOTSUPP,
                               "cannot honour 'linux.resources.unified' key '%s': it is for "
                               "cgroup v2, and this host's cgroups are v1",
                               res->unified[0].key);

    if (has_memory(res))
        r = v1_memory(cg, res, err);
    if (r >= 0 && has_cpu(res))
        r = v1_cpu(cg, res, err);
    if (r >= 0 && ((res->cpu_cpus && *res->cpu_cpus) || (res->cpu_mems && *res->cpu_mems)))
        r = v1_cpuset(cg, res, err);
    if (r >= 0 && res->has_pids_limit)
        r = v1_pids(cg, res, err);
    if (r >= 0 && has_blkio(res))
        r = v1_blkio(cg, res, err);
    if (r >= 0 && res->n_hugepages > 0)
        r = v1_hugetlb(cg, res, err);
    if (r >= 0 && (res->has_net_class_id || res->n_net_priorities > 0))
        r = v1_network(cg, res, err);
    return r < 0 ? r : 0;
}

static bool is_blank(const char *s)
{
    return s[strspn(s, " \t\n")] == '\0';
}

/* Copies `file` down the levels berth created, top down, into each level
 * that has it empty. The `fresh` trailing levels were made by this call:
 * they are empty, or under cgroup.clone_children hold the parent's value
 * already, so they are written without being read first. */
static int inherit_cpuset_file(const struct berth_cgroup_hier *h, unsigned fresh, const char *file,
                               struct berth_error **err)
{
    _cleanup_free_ char *top = berth_cgroup_level(h->dir, h->created);
    _cleanup_free_ char *val = NULL;

    int r = berth_cgroup_read(top, file, &val, err);
    for (unsigned up = h->created; r >= 0 && up-- > 0;) {
        _cleanup_free_ char *dir = berth_cgroup_level(h->dir, up);
        _cleanup_free_ char *cur = NULL;
        val[strcspn(val, "\n")] = '\0';
        if (up >= fresh) {
            r = berth_cgroup_read(dir, file, &cur, err);
            if (r >= 0 && !is_blank(cur)) {
                free(val);
                val = TAKE_PTR(cur);
                continue;
            }
        }
        if (r >= 0)
            r = berth_cgroup_write(dir, file, val, err);
    }
    return r;
}

/* A new v1 cpuset cgroup starts with empty cpus and mems, and a task cannot
 * join it (ENOSPC) until they are set: copy the parent's into every level
 * berth created. */
static int v1_cpuset_inherit(const struct berth_cgroup_hier *h, unsigned fresh,
                             struct berth_error **err)
{
    int r = inherit_cpuset_file(h, fresh, "cpuset.cpus", err);
    return r < 0 ? r : inherit_cpuset_file(h, fresh, "cpuset.mems", err);
}

/* Every hierarchy's directory, the cpuset levels made usable. */
static int v1_create(struct berth_cgroup *cg, struct berth_error **err)
{
    const struct berth_cgroup_hier *cpuset = v1_find(cg, "cpuset");

    for (size_t i = 0; i < cg->n_h; i++) {
        struct berth_cgroup_hier *h = &cg->h[i];
        unsigned before = h->created;
        int r = berth_cgroup_hier_create(cg, h, err);
        if (r > 0 && h == cpuset)
            r = v1_cpuset_inherit(h, before == 0 ? h->created : 0, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Only the first write of the pid to a cgroup.procs waits for an RCU grace
 * period (percpu_down_write of cgroup_threadgroup_rwsem, ~5 ms); the ones
 * right after it do not, so nothing is done between them. */
static int v1_attach(struct berth_cgroup *cg, pid_t pid, struct berth_error **err)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%d", (int)pid);
    for (size_t i = 0; i < cg->n_h; i++) {
        int r = berth_cgroup_write(cg->h[i].dir, "cgroup.procs", buf, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int v1_prepare(struct berth_cgroup *cg, struct berth_error **err)
{
    return -1; /* no CLONE_INTO_CGROUP on v1: setup attaches the child */
}

/* The limits go on after the pid is in: the child runs nothing of the
 * container's until setup returns, and the attach, which costs an RCU grace
 * period, overlaps the child's rootfs work instead of following the limits. */
static int v1_setup(struct berth_cgroup *cg, const struct berth_resources *res, pid_t pid,
                    bool placed, struct berth_error **err)
{
    int r = v1_create(cg, err);
    for (size_t i = 0; r >= 0 && i < cg->n_h; i++)
        r = berth_cgroup_refuse_joined(&cg->h[i], res, err);
    if (r >= 0 && !placed)
        r = v1_attach(cg, pid, err);
    if (r >= 0 && res)
        r = v1_apply(cg, res, err);
    return r < 0 ? r : 0;
}

/* A frozen task cannot act on SIGKILL: thaw what berth froze first. */
static int v1_destroy(struct berth_cgroup *cg, struct berth_error **err)
{
    struct berth_cgroup_hier *fz = v1_find(cg, "freezer");
    int ret = 0;

    if (fz && fz->created > 0) /* already gone: the write fails, harmlessly */
        (void)berth_cgroup_write(fz->dir, "freezer.state", "THAWED", NULL);
    for (size_t i = 0; i < cg->n_h; i++) {
        int r = berth_cgroup_hier_remove(&cg->h[i], err);
        if (r < 0 && ret == 0)
            ret = r;
    }
    return ret;
}

/* Freezing takes effect asynchronously (the state reads FREEZING until every
 * task stopped), and a write can need repeating while tasks fork (runc). */
static int v1_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error **err)
{
    struct berth_cgroup_hier *h = v1_find(cg, "freezer");
    const char *want = frozen ? "FROZEN" : "THAWED";
    unsigned long long waited = 0;

    if (h == NULL)
        return berth_error_set(err, EOPNOTSUPP, "cannot freeze: no cgroup v1 'freezer' under '%s'",
                               cg->root);
    do {
        _cleanup_free_ char *state = NULL;
        int r = berth_cgroup_write(h->dir, "freezer.state", want, err);
        if (r >= 0)
            r = berth_cgroup_read(h->dir, "freezer.state", &state, err);
        if (r < 0)
            return r;
        if (strncmp(state, want, strlen(want)) == 0)
            return 0;
    } while (berth_cgroup_backoff(&waited, 2000000));
    if (frozen)
        (void)berth_cgroup_write(h->dir, "freezer.state", "THAWED", NULL);
    return berth_error_set(err, EBUSY, "timed out %s cgroup '%s'", frozen ? "freezing" : "thawing",
                           h->dir);
}

static bool v1_frozen(struct berth_cgroup *cg)
{
    struct berth_cgroup_hier *h = v1_find(cg, "freezer");
    _cleanup_free_ char *state = NULL;

    return h && berth_cgroup_read(h->dir, "freezer.state", &state, NULL) >= 0 &&
           strncmp(state, "FROZEN", 6) == 0;
}

/* `update`: what setup writes, into the directories berth made. */
static int v1_update(struct berth_cgroup *cg, const struct berth_resources *res,
                     struct berth_error **err)
{
    for (size_t i = 0; i < cg->n_h; i++) {
        int r = berth_cgroup_refuse_joined(&cg->h[i], res, err);
        if (r < 0)
            return r;
    }
    return v1_apply(cg, res, err);
}

static int v1_kill_all(struct berth_cgroup *cg, struct berth_error **err)
{
    return 0; /* no cgroup.kill in v1: freeze and walk */
}

/* The freezer's tree holds every process (it is the one a pause acts on). */
static const char *v1_procs_dir(const struct berth_cgroup *cg)
{
    const struct berth_cgroup_hier *h = v1_find(cg, "freezer");
    if (h == NULL)
        h = v1_find(cg, "pids");
    return h ? h->dir : cg->h[0].dir;
}

/* "oom_kill N" in memory.oom_control (kernels since 4.13). */
static int v1_oom_kills(struct berth_cgroup *cg, uint64_t *ret, struct berth_error **err)
{
    struct berth_cgroup_hier *h = v1_find(cg, "memory");

    *ret = 0;
    return h ? berth_cgroup_read_key(h->dir, "memory.oom_control", "oom_kill", ret, err) : 0;
}

/* Co-mounted hierarchies ("cpu,cpuacct") get one link per controller, as on
 * the host. */
static int link_controllers(int rootfd, const char *dest, const char *name,
                            struct berth_error **err)
{
    if (strchr(name, ',') == NULL)
        return 0;
    _cleanup_free_ char *copy = xstrdup(name);
    for (char *save = NULL, *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        _cleanup_free_ char *link = xasprintf("%s/%s", dest, c);
        const char *ln = NULL;
        _cleanup_close_ int dfd =
            berth_fs_open_parent_in_root(rootfd, link, BERTH_MKPATH_DIR, &ln, err);
        if (dfd < 0)
            return dfd;
        (void)symlinkat(name, dfd, ln);
    }
    return 0;
}

/* A tmpfs with one directory per hierarchy, each a bind mount of the
 * container's own cgroup there (a v1 cgroup namespace would still show the
 * whole hierarchy's root). */
static int v1_mount_inside(const struct berth_cgroup *cg, int rootfd, const char *dest,
                           unsigned long flags, bool cgroupns, struct berth_error **err)
{
    int r = berth_mount_fs(rootfd, "tmpfs", "tmpfs", dest, flags & ~MS_RDONLY, "mode=755", err);
    for (size_t i = 0; r >= 0 && i < cg->n_h; i++) {
        _cleanup_free_ char *sub = xasprintf("%s/%s", dest, cg->h[i].name);
        struct berth_mount b = {.source = cg->h[i].dir,
                                .destination = sub,
                                .flags = MS_BIND | (flags & BERTH_REMOUNT_FLAGS)};
        r = berth_mount_bind(rootfd, &b, err);
        if (r >= 0)
            r = link_controllers(rootfd, dest, cg->h[i].name, err);
    }
    if (r >= 0 && (flags & MS_RDONLY))
        r = berth_mount_remount_bind(rootfd, dest, flags & BERTH_REMOUNT_FLAGS, err);
    return r;
}

const struct berth_cgroup_ops berth_cgroup_v1_ops = {
    .mode = BERTH_CGROUP_V1,
    .prepare = v1_prepare,
    .setup = v1_setup,
    .set_devices = v1_set_devices,
    .destroy = v1_destroy,
    .freeze = v1_freeze,
    .frozen = v1_frozen,
    .kill_all = v1_kill_all,
    .procs_dir = v1_procs_dir,
    .oom_kills = v1_oom_kills,
    .update = v1_update,
    .stats = berth_cgroup_v1_stats,
    .mount_inside = v1_mount_inside,
};
