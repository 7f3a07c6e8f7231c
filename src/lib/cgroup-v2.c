/* cgroup v2 driver: the unified hierarchy, devices through eBPF. */
#include "cgroup-internal.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "mount.h"
#include "oci.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_CPU_PERIOD 100000

/* ---- device filter ---- */

#define INSN(c, d, s, o, i)                                                                        \
    ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off)    INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src)     INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm)     INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_IMM(op, dst, imm)   INSN(BPF_JMP | (op) | BPF_K, dst, 0, 0, imm)
#define JMP_REG(op, dst, src)   INSN(BPF_JMP | (op) | BPF_X, dst, src, 0, 0)
#define EXIT_INSN()             INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

struct prog {
    struct bpf_insn *v;
    size_t n, cap;
};

static void emit(struct prog *p, struct bpf_insn insn)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
    }
    p->v[p->n++] = insn;
}

static int rule_access(const struct berth_device_rule *d, int *ret, struct berth_error **err)
{
    const char *a = d->access[0] ? d->access : "rwm";

    *ret = 0;
    for (; *a; a++) {
        if (*a == 'r')
            *ret |= BPF_DEVCG_ACC_READ;
        else if (*a == 'w')
            *ret |= BPF_DEVCG_ACC_WRITE;
        else if (*a == 'm')
            *ret |= BPF_DEVCG_ACC_MKNOD;
        else
            return berth_error_set(err, EINVAL, "invalid device access '%s'", d->access);
    }
    if (d->type != 'a' && d->type != 'b' && d->type != 'c')
        return berth_error_set(err, EINVAL, "invalid device type '%c'", d->type);
    if (d->major < -1 || d->major > INT32_MAX || d->minor < -1 || d->minor > INT32_MAX)
        return berth_error_set(err, EINVAL, "invalid device number %" PRId64 ":%" PRId64, d->major,
                               d->minor);
    return 0;
}

/* One block per rule: each test jumps past the block on mismatch, then the
 * verdict is returned. Registers (set by the prologue): R2 type, R3 access,
 * R4 major, R5 minor; R1 is scratch. */
static void emit_rule(struct prog *p, const struct berth_device_rule *d, int access)
{
    size_t start = p->n;

    if (d->type != 'a')
        emit(p, JMP_IMM(BPF_JNE, BPF_REG_2,
                        d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    if (access != ACC_ALL) {
        /* allow: every requested bit granted; deny: any requested bit denied,
         * as the v1 devices controller does */
        emit(p, MOV32_REG(BPF_REG_1, BPF_REG_3));
        emit(p, ALU32_IMM(BPF_AND, BPF_REG_1, access));
        emit(p, d->allow ? JMP_REG(BPF_JNE, BPF_REG_1, BPF_REG_3) : JMP_IMM(BPF_JEQ, BPF_REG_1, 0));
    }
    if (d->major >= 0)
        emit(p, JMP_IMM(BPF_JNE, BPF_REG_4, (int32_t)d->major));
    if (d->minor >= 0)
        emit(p, JMP_IMM(BPF_JNE, BPF_REG_5, (int32_t)d->minor));
    emit(p, MOV64_IMM(BPF_REG_0, d->allow ? 1 : 0));
    emit(p, EXIT_INSN());
    for (size_t i = start; i + 2 < p->n; i++)
        if (BPF_CLASS(p->v[i].code) == BPF_JMP)
            p->v[i].off = (int16_t)(p->n - 1 - i);
}

/* OCI: the last matching rule wins. The program tests the rules last to
 * first and returns on the first match. A rule matching everything ends the
 * search (the verifier refuses unreachable code after it) and becomes the
 * default verdict; without one the default is deny. */
struct bpf_insn *berth_cgroup_devices_prog(const struct berth_device_rule *rules, size_t n,
                                           size_t *ret_n, struct berth_error **err)
{
    struct prog p = {0};
    int access, verdict = 0;

    for (size_t i = 0; i < n; i++)
        if (rule_access(&rules[i], &access, err) < 0)
            return NULL;
    /* struct bpf_cgroup_dev_ctx: access_type = access << 16 | type, major, minor */
    emit(&p, LDX_W(BPF_REG_2, BPF_REG_1, 0));
    emit(&p, ALU32_IMM(BPF_AND, BPF_REG_2, 0xFFFF));
    emit(&p, LDX_W(BPF_REG_3, BPF_REG_1, 0));
    emit(&p, ALU32_IMM(BPF_RSH, BPF_REG_3, 16));
    emit(&p, LDX_W(BPF_REG_4, BPF_REG_1, 4));
    emit(&p, LDX_W(BPF_REG_5, BPF_REG_1, 8));
    for (size_t i = n; i-- > 0;) {
        const struct berth_device_rule *d = &rules[i];
        (void)rule_access(d, &access, NULL);
        if (d->type == 'a' && d->major < 0 && d->minor < 0 && access == ACC_ALL) {
            verdict = d->allow;
            break;
        }
        emit_rule(&p, d, access);
    }
    emit(&p, MOV64_IMM(BPF_REG_0, verdict));
    emit(&p, EXIT_INSN());
    *ret_n = p.n;
    return p.v;
}

static int bpf(int cmd, union bpf_attr *attr)
{
    return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* Loads without a log first; only a failure is worth the verifier's log,
 * whose last line says what it refused. */
static int prog_load(const struct bpf_insn *insns, size_t n, struct berth_error **err)
{
    union bpf_attr attr;
    size_t log_size = 65536;

    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uintptr_t)insns;
    attr.insn_cnt = (uint32_t)n;
    attr.license = (uintptr_t) "GPL";
    int fd = bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0)
        return fd;
    int saved = errno;
    _cleanup_free_ char *log = xzalloc(log_size);
    attr.log_buf = (uintptr_t)log;
    attr.log_size = (uint32_t)log_size;
    attr.log_level = 1;
    fd = bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0)
        return fd;
    size_t len = strnlen(log, log_size - 1);
    while (len > 0 && log[len - 1] == '\n')
        log[--len] = '\0';
    char *last = strrchr(log, '\n');
    return berth_error_set(err, saved, "cannot load the device filter program%s%s",
                           *log ? ": " : "", last ? last + 1 : log);
}

static int prog_id(int prog, uint32_t *ret, struct berth_error **err)
{
    struct bpf_prog_info info;
    union bpf_attr attr;

    memset(&info, 0, sizeof(info));
    memset(&attr, 0, sizeof(attr));
    attr.info.bpf_fd = (uint32_t)prog;
    attr.info.info_len = sizeof(info);
    attr.info.info = (uintptr_t)&info;
    if (bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0)
        return berth_error_set(err, errno, "cannot read the id of the device filter program");
    *ret = info.id;
    return 0;
}

/* Detaches the program with id `id` from the cgroup `dfd`; one already gone
 * (the kernel releases a removed cgroup's programs) is success. */
static int detach_prog(int dfd, uint32_t id, const char *dir, struct berth_error **err)
{
    union bpf_attr attr;

    memset(&attr, 0, sizeof(attr));
    attr.prog_id = id;
    _cleanup_close_ int prog = bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    if (prog < 0)
        return errno == ENOENT ? 0
                               : berth_error_set(err, errno,
                                                 "cannot find the device filter of "
                                                 "cgroup '%s'",
                                                 dir);
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)dfd;
    attr.attach_bpf_fd = (uint32_t)prog;
    attr.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
        return berth_error_set(err, errno, "cannot detach the device filter of cgroup '%s'", dir);
    return 0;
}

/* BPF_F_ALLOW_MULTI: the filters of the ancestors (systemd's) keep running
 * too; a device must pass all of them. A new rule set replaces the one berth
 * attached before (its id is kept in the cgroup's state): attached first,
 * then the old one detached, so there is no moment without a filter. */
static int v2_set_devices(struct berth_cgroup *cg, const struct berth_device_rule *rules, size_t n,
                          struct berth_error **err)
{
    struct berth_cgroup_hier *h = &cg->h[0];
    size_t n_insns = 0;
    union bpf_attr attr;
    uint32_t id = 0;

    if (h->created == 0)
        return 0; /* joined: setup refused any rule of the config's */
    _cleanup_free_ struct bpf_insn *insns = berth_cgroup_devices_prog(rules, n, &n_insns, err);
    if (insns == NULL)
        return -EINVAL;
    _cleanup_close_ int prog = prog_load(insns, n_insns, err);
    if (prog < 0)
        return prog;
    /* not O_PATH: the bpf() attach refuses O_PATH descriptors */
    _cleanup_close_ int dfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berth_error_set(err, errno, "cannot open cgroup '%s'", h->dir);
    int r = prog_id(prog, &id, err);
    if (r < 0)
        return r;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)dfd;
    attr.attach_bpf_fd = (uint32_t)prog;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, &attr) < 0)
        return berth_error_set(err, errno, "cannot attach the device filter to cgroup '%s'",
                               h->dir);
    uint32_t old = cg->dev_prog_id;
    cg->dev_prog_id = id;
    return old ? detach_prog(dfd, old, h->dir, err) : 0;
}

/* ---- resources ---- */

static int write_limit(const char *dir, const char *file, int64_t v, struct berth_error **err)
{
    char buf[32];

    if (v < 0)
        return berth_cgroup_write(dir, file, "max", err);
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    return berth_cgroup_write(dir, file, buf, err);
}

static int v2_swap(const char *dir, const struct berth_resources *res, struct berth_error **err)
{
    int64_t limit = res->has_mem_limit ? res->mem_limit : -1, swap;

    if (berth_cgroup_swap_v2(limit, res->mem_swap, &swap) < 0)
        return berth_error_set(
            err, EINVAL, "invalid memory swap limit %" PRId64 ": below the memory limit %" PRId64,
            res->mem_swap, limit);
    if (berth_cgroup_has_file(dir, "memory.swap.max"))
        return write_limit(dir, "memory.swap.max", swap, err);
    if (swap > 0)
        return berth_error_set(err, EOPNOTSUPP,
                               "cannot limit swap in cgroup '%s': no 'memory.swap.max' (swap "
                               "accounting is disabled)",
                               dir);
    return 0;
}

/* The v1-only memory fields have no v2 counterpart: refused, named. */
static int v2_memory_v1_only(const struct berth_resources *res, struct berth_error **err)
{
    const char *field = res->has_mem_kernel                               ? "kernel"
                        : res->has_mem_kernel_tcp                         ? "kernelTCP"
                        : res->has_mem_swappiness                         ? "swappiness"
                        : res->disable_oom_killer                         ? "disableOOMKiller"
                        : (res->has_use_hierarchy && !res->use_hierarchy) ? "useHierarchy"
                                                                          : NULL;
    if (field == NULL)
        return 0;
    _cleanup_free_ char *name = xasprintf("linux.resources.memory.%s", field);
    return berth_cgroup_unsupported(name, "cgroup v2 has no such setting", err);
}

static int v2_memory(const char *dir, const struct berth_resources *res, struct berth_error **err)
{
    int r = v2_memory_v1_only(res, err);

    if (r >= 0 && res->has_mem_limit)
        r = write_limit(dir, "memory.max", res->mem_limit, err);
    if (r >= 0 && res->has_mem_reservation)
        r = write_limit(dir, "memory.low", res->mem_reservation, err);
    /* swap 0 means "not set", as in runc */
    if (r >= 0 && res->has_mem_swap && res->mem_swap != 0)
        r = v2_swap(dir, res, err);
    return r;
}

static int v2_cpu(const char *dir, const struct berth_resources *res, struct berth_error **err)
{
    char buf[64];
    int r = 0;

    if (res->has_cpu_shares && res->cpu_shares != 0) {
        snprintf(buf, sizeof(buf), "%" PRIu64, berth_cgroup_shares_to_weight(res->cpu_shares));
        r = berth_cgroup_write(dir, "cpu.weight", buf, err);
    }
    if (r >= 0 && (res->has_cpu_rt_runtime || res->has_cpu_rt_period))
        r = berth_cgroup_unsupported(res->has_cpu_rt_runtime ? "linux.resources.cpu.realtimeRuntime"
                                                             : "linux.resources.cpu.realtimePeriod",
                                     "cgroup v2 has no real-time CPU budget", err);
    if (r >= 0 && res->has_cpu_idle) {
        snprintf(buf, sizeof(buf), "%" PRId64, res->cpu_idle);
        r = berth_cgroup_has_file(dir, "cpu.idle")
                ? berth_cgroup_write(dir, "cpu.idle", buf, err)
                : berth_cgroup_unsupported("linux.resources.cpu.idle", "no 'cpu.idle' (Linux 5.15)",
                                           err);
    }
    if (r >= 0 && res->has_cpu_burst) {
        snprintf(buf, sizeof(buf), "%" PRIu64, res->cpu_burst);
        r = berth_cgroup_has_file(dir, "cpu.max.burst")
                ? berth_cgroup_write(dir, "cpu.max.burst", buf, err)
                : berth_cgroup_unsupported("linux.resources.cpu.burst",
                                           "no 'cpu.max.burst' (Linux 5.14)", err);
    }
    if (r < 0 || !(res->has_cpu_quota || res->has_cpu_period))
        return r;
    uint64_t period =
        res->has_cpu_period && res->cpu_period != 0 ? res->cpu_period : DEFAULT_CPU_PERIOD;
    if (res->has_cpu_quota && res->cpu_quota >= 0)
        snprintf(buf, sizeof(buf), "%" PRId64 " %" PRIu64, res->cpu_quota, period);
    else
        snprintf(buf, sizeof(buf), "max %" PRIu64, period);
    return berth_cgroup_write(dir, "cpu.max", buf, err);
}

static bool wants_io_weight(const struct berth_resources *res)
{
    for (size_t i = 0; i < res->n_blkio_weight_devices; i++)
        if (res->blkio_weight_devices[i].weight != 0)
            return true;
    return res->has_blkio_weight;
}

static bool wants_io_max(const struct berth_resources *res)
{
    for (int t = 0; t < BERTH_THROTTLE_COUNT; t++)
        if (res->n_blkio_throttle[t] > 0)
            return true;
    return false;
}

/* io.weight (iocost) takes v2's range; BFQ's file keeps v1's. Both take a
 * default and "MAJ:MIN W" lines, one per write. Leaf weights have no v2
 * counterpart (v2_apply refuses them). */
static int v2_io_weight(const char *dir, const struct berth_resources *res,
                        struct berth_error **err)
{
    _cleanup_cgroup_writer_ struct berth_cgroup_writer w =
        BERTH_CGROUP_WRITER(dir, "io.weight", "io.bfq.weight");
    char buf[64];

    int r = berth_cgroup_writer_open(&w, err);
    if (r == -ENOENT) {
        berth_error_clear(err);
        return berth_error_set(err, EOPNOTSUPP,
                               "cannot set io weight in cgroup '%s': neither 'io.weight' nor "
                               "'io.bfq.weight' exists",
                               dir);
    }
    bool bfq = r >= 0 && streq(w.file, "io.bfq.weight");
    if (r >= 0 && res->has_blkio_weight) {
        if (bfq)
            snprintf(buf, sizeof(buf), "%u", (unsigned)res->blkio_weight);
        else
            snprintf(buf, sizeof(buf), "default %" PRIu64,
                     berth_cgroup_blkio_to_io_weight(res->blkio_weight));
        r = berth_cgroup_writer_put(&w, buf, err);
    }
    for (size_t i = 0; r >= 0 && i < res->n_blkio_weight_devices; i++) {
        const struct berth_blkio_weight_device *d = &res->blkio_weight_devices[i];
        if (d->weight == 0)
            continue;
        snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                 bfq ? d->weight : berth_cgroup_blkio_to_io_weight(d->weight));
        r = berth_cgroup_writer_put(&w, buf, err);
    }
    return r;
}

static const char *const io_max_keys[BERTH_THROTTLE_COUNT] = {
    [BERTH_THROTTLE_READ_BPS] = "rbps",
    [BERTH_THROTTLE_WRITE_BPS] = "wbps",
    [BERTH_THROTTLE_READ_IOPS] = "riops",
    [BERTH_THROTTLE_WRITE_IOPS] = "wiops",
};

static bool same_dev(const struct berth_blkio_throttle *a, const struct berth_blkio_throttle *b)
{
    return a->major == b->major && a->minor == b->minor;
}

/* The entry of list t that sets d's limit (the last one naming d), or NULL;
 * with `before`, whether one comes ahead of d in the lists' order. */
static const struct berth_blkio_throttle *find_throttle(const struct berth_resources *res, int t,
                                                        const struct berth_blkio_throttle *d,
                                                        bool before)
{
    const struct berth_blkio_throttle *found = NULL;

    for (size_t i = 0; i < res->n_blkio_throttle[t]; i++) {
        const struct berth_blkio_throttle *e = &res->blkio_throttle[t][i];
        if (before && e == d)
            break;
        if (same_dev(e, d))
            found = e;
    }
    return found;
}

/* io.max takes a device's four limits on one line: one line per device,
 * with only the keys the config gives. A rate of 0 means no limit, which
 * io.max spells "max" (it refuses 0). */
static int v2_io_max(const char *dir, const struct berth_resources *res, struct berth_error **err)
{
    _cleanup_cgroup_writer_ struct berth_cgroup_writer w = BERTH_CGROUP_WRITER(dir, "io.max");
    char line[160];

    for (int t = 0; t < BERTH_THROTTLE_COUNT; t++) {
        for (size_t i = 0; i < res->n_blkio_throttle[t]; i++) {
            const struct berth_blkio_throttle *d = &res->blkio_throttle[t][i];
            bool seen = find_throttle(res, t, d, true) != NULL;
            for (int k = 0; k < t && !seen; k++)
                seen = find_throttle(res, k, d, false) != NULL;
            if (seen)
                continue;
            int n = snprintf(line, sizeof(line), "%" PRId64 ":%" PRId64, d->major, d->minor);
            for (int k = 0; k < BERTH_THROTTLE_COUNT; k++) {
                const struct berth_blkio_throttle *e = find_throttle(res, k, d, false);
                if (e && e->rate == 0)
                    n += snprintf(line + n, sizeof(line) - n, " %s=max", io_max_keys[k]);
                else if (e)
                    n += snprintf(line + n, sizeof(line) - n, " %s=%" PRIu64, io_max_keys[k],
                                  e->rate);
            }
            int r = berth_cgroup_writer_put(&w, line, err);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static bool has_cpuset(const struct berth_resources *res)
{
    return (res->cpu_cpus && *res->cpu_cpus) || (res->cpu_mems && *res->cpu_mems);
}

static int v2_hugetlb(const char *dir, const struct berth_resources *res, struct berth_error **err)
{
    char buf[32];
    int r = 0;

    for (size_t i = 0; r >= 0 && i < res->n_hugepages; i++) {
        _cleanup_free_ char *file = xasprintf("hugetlb.%s.max", res->hugepages[i].page_size);
        snprintf(buf, sizeof(buf), "%" PRIu64, res->hugepages[i].limit);
        if (!berth_cgroup_has_file(dir, file)) {
            _cleanup_free_ char *why = xasprintf("cgroup '%s' has no '%s'", dir, file);
            return berth_cgroup_unsupported("linux.resources.hugepageLimits", why, err);
        }
        r = berth_cgroup_write(dir, file, buf, err);
    }
    return r;
}

/* The controllers `res` needs, NULL-terminated in `ret` (room for 7). */
static void v2_needed(const struct berth_resources *res, const char **ret)
{
    size_t n = 0;

    if (res->has_mem_limit || res->has_mem_reservation || res->has_mem_swap)
        ret[n++] = "memory";
    if (res->has_cpu_shares || res->has_cpu_quota || res->has_cpu_period || res->has_cpu_idle ||
        res->has_cpu_burst)
        ret[n++] = "cpu";
    if (has_cpuset(res))
        ret[n++] = "cpuset";
    if (res->has_pids_limit)
        ret[n++] = "pids";
    if (wants_io_weight(res) || wants_io_max(res))
        ret[n++] = "io";
    if (res->n_hugepages > 0)
        ret[n++] = "hugetlb";
    ret[n] = NULL;
}

static bool has_word(const char *list, const char *word)
{
    size_t wl = strlen(word);

    for (const char *s = list; *s;) {
        s += strspn(s, " \t\n");
        size_t l = strcspn(s, " \t\n");
        if (l == wl && strncmp(s, word, wl) == 0)
            return true;
        s += l;
    }
    return false;
}

/* Controllers are enabled only in the levels berth created. The cgroup it
 * started from is not berth's to change (and, holding processes, could not
 * enable them anyway: "no internal processes"), so it must offer them. */
static int v2_enable(const struct berth_cgroup_hier *h, const char **ctrls,
                     struct berth_error **err)
{
    _cleanup_free_ char *top = berth_cgroup_level(h->dir, h->created);
    _cleanup_free_ char *have = NULL, *add = xstrdup("");

    if (ctrls[0] == NULL)
        return 0;
    int r = berth_cgroup_read(top, "cgroup.subtree_control", &have, err);
    if (r < 0)
        return r;
    for (size_t i = 0; ctrls[i]; i++) {
        if (!has_word(have, ctrls[i]))
            return berth_error_set(err, EOPNOTSUPP,
                                   "cgroup controller '%s' is not enabled in "
                                   "'%s/cgroup.subtree_control'",
                                   ctrls[i], top);
        char *s = xasprintf("%s%s+%s", add, *add ? " " : "", ctrls[i]);
        free(add);
        add = s;
    }
    for (unsigned up = h->created; up-- > 1;) {
        _cleanup_free_ char *dir = berth_cgroup_level(h->dir, up);
        r = berth_cgroup_write(dir, "cgroup.subtree_control", add, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The controller a unified key belongs to ("memory" for "memory.high"),
 * as a static string; "" for the core's "cgroup.*"; NULL if none. */
static const char *unified_ctrl(const char *key)
{
    static const char *const known[] = {"cpu",     "cpuset", "io",   "memory",
                                        "hugetlb", "pids",   "rdma", "misc"};
    size_t n = strcspn(key, ".");
    if (n == 6 && strncmp(key, "cgroup", 6) == 0)
        return "";
    for (size_t i = 0; i < ARRAY_SIZE(known); i++)
        if (strlen(known[i]) == n && strncmp(key, known[i], n) == 0)
            return known[i];
    return NULL;
}

/* Adds the controllers of linux.resources.unified to `ctrls` (room for
 * 16), naming the key whose controller the cgroup cannot have. */
static int v2_unified_ctrls(const struct berth_cgroup_hier *h, const struct berth_resources *res,
                            const char **ctrls, struct berth_error **err)
{
    _cleanup_free_ char *top = berth_cgroup_level(h->dir, h->created);
    _cleanup_free_ char *have = NULL;
    size_t n = 0;

    if (res->n_unified == 0)
        return 0;
    int r = berth_cgroup_read(top, "cgroup.subtree_control", &have, err);
    while (r >= 0 && ctrls[n])
        n++;
    for (size_t i = 0; r >= 0 && i < res->n_unified; i++) {
        const char *key = res->unified[i].key, *c = unified_ctrl(key);
        if (c == NULL)
            return berth_error_set(err, EOPNOTSUPP,
                                   "cannot honour 'linux.resources.unified' key '%s': it names "
                                   "no cgroup v2 controller",
                                   key);
        if (*c && !has_word(have, c))
            return berth_error_set(err, EOPNOTSUPP,
                                   "cannot honour 'linux.resources.unified' key '%s': cgroup "
                                   "controller '%s' is not enabled in '%s/cgroup.subtree_control'",
                                   key, c, top);
        bool listed = *c == '\0';
        for (size_t j = 0; j < n && !listed; j++)
            listed = streq(ctrls[j], c);
        if (!listed && n < 15) {
            ctrls[n++] = c;
            ctrls[n] = NULL;
        }
    }
    return r;
}

/* After the other resources (runc and crun do the same): the raw values
 * win over what berth derived from the typed fields. */
static int v2_unified(const char *dir, const struct berth_resources *res, struct berth_error **err)
{
    for (size_t i = 0; i < res->n_unified; i++) {
        const struct berth_unified *u = &res->unified[i];
        _cleanup_free_ char *path = berth_cgroup_join(dir, u->key);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
            return berth_error_set(err, EOPNOTSUPP,
                                   "cannot honour 'linux.resources.unified' key '%s': cgroup "
                                   "'%s' has no such file",
                                   u->key, dir);
        if (fd < 0 || write(fd, u->value, strlen(u->value)) < 0)
            return berth_error_set_sys(err, errno,
                                       "cannot set 'linux.resources.unified' key '%s' to '%s'",
                                       u->key, u->value);
    }
    return 0;
}

static int v2_apply(const struct berth_cgroup_hier *h, const struct berth_resources *res,
                    struct berth_error **err)
{
    const char *ctrls[16];
    const char *dir = h->dir;

    for (size_t i = 0; i < res->n_blkio_weight_devices; i++)
        if (res->blkio_weight_devices[i].leaf_weight != 0)
            return berth_cgroup_unsupported("linux.resources.blockIO.weightDevice.leafWeight",
                                            "cgroup v2 has no leaf weights", err);
    if (res->has_blkio_leaf_weight)
        return berth_cgroup_unsupported("linux.resources.blockIO.leafWeight",
                                        "cgroup v2 has no leaf weights", err);
    if (res->has_net_class_id || res->n_net_priorities > 0)
        return berth_cgroup_unsupported(res->has_net_class_id
                                            ? "linux.resources.network.classID"
                                            : "linux.resources.network.priorities",
                                        "cgroup v2 has no net_cls or net_prio controller", err);
    v2_needed(res, ctrls);
    int r = v2_unified_ctrls(h, res, ctrls, err);
    if (r >= 0)
        r = v2_enable(h, ctrls, err);
    if (r >= 0)
        r = v2_memory(dir, res, err);
    if (r >= 0)
        r = v2_cpu(dir, res, err);
    if (r >= 0 && res->cpu_cpus && *res->cpu_cpus)
        r = berth_cgroup_write(dir, "cpuset.cpus", res->cpu_cpus, err);
    if (r >= 0 && res->cpu_mems && *res->cpu_mems)
        r = berth_cgroup_write(dir, "cpuset.mems", res->cpu_mems, err);
    if (r >= 0 && res->has_pids_limit)
        r = write_limit(dir, "pids.max", res->pids_limit <= 0 ? -1 : res->pids_limit, err);
    if (r >= 0 && wants_io_weight(res))
        r = v2_io_weight(dir, res, err);
    if (r >= 0 && wants_io_max(res))
        r = v2_io_max(dir, res, err);
    if (r >= 0 && res->n_hugepages > 0)
        r = v2_hugetlb(dir, res, err);
    if (r >= 0)
        r = v2_unified(dir, res, err);
    return r < 0 ? r : 0;
}

/* ---- driver ---- */

/* Waits until cgroup.events has "key value": 1, 0 on timeout, -errno. */
static int v2_wait_event(const char *dir, const char *key, const char *value,
                         unsigned long long limit_us, struct berth_error **err)
{
    _cleanup_free_ char *want = xasprintf("%s %s", key, value);
    unsigned long long waited = 0;

    do {
        _cleanup_free_ char *events = NULL;
        int r = berth_cgroup_read(dir, "cgroup.events", &events, err);
        if (r < 0)
            return r;
        for (const char *l = events; *l;) {
            size_t len = strcspn(l, "\n");
            if (len == strlen(want) && strncmp(l, want, len) == 0)
                return 1;
            l += len + (l[len] == '\n');
        }
    } while (berth_cgroup_backoff(&waited, limit_us));
    return 0;
}

/* -1 from prepare means "no fd" (see cgroup.h), so an EPERM failure is
 * reported as EACCES to keep the two apart. */
static int not_eperm(int r, struct berth_error **err)
{
    if (r != -EPERM)
        return r;
    if (err && *err)
        (*err)->errnum = EACCES;
    return -EACCES;
}

static int v2_prepare(struct berth_cgroup *cg, struct berth_error **err)
{
    struct berth_cgroup_hier *h = &cg->h[0];

    int r = berth_cgroup_hier_create(cg, h, err);
    if (r < 0)
        return not_eperm(r, err);
    int fd = open(h->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return not_eperm(berth_error_set(err, errno, "cannot open cgroup '%s'", h->dir), err);
    return fd;
}

static int v2_setup(struct berth_cgroup *cg, const struct berth_resources *res, pid_t pid,
                    bool placed, struct berth_error **err)
{
    struct berth_cgroup_hier *h = &cg->h[0];
    char buf[24];

    /* made by prepare already: no second mkdir */
    int r = h->created > 0 ? 1 : berth_cgroup_hier_create(cg, h, err);
    if (r >= 0)
        r = berth_cgroup_refuse_joined(h, res, err);
    if (r >= 0 && h->created > 0 && res)
        r = v2_apply(h, res, err);
    if (r < 0 || placed)
        return r < 0 ? r : 0;
    snprintf(buf, sizeof(buf), "%d", (int)pid);
    return berth_cgroup_write(h->dir, "cgroup.procs", buf, err);
}

/* A memory.max value: bytes, or -1 for "max". */
static int read_limit(const char *dir, const char *file, int64_t *ret, struct berth_error **err)
{
    _cleanup_free_ char *text = NULL;
    long long v;

    int r = berth_cgroup_read(dir, file, &text, err);
    if (r < 0)
        return r;
    text[strcspn(text, "\n")] = '\0';
    if (streq(text, "max")) {
        *ret = -1;
        return 0;
    }
    if (parse_i64(text, &v) < 0 || v < 0)
        return berth_error_set(err, EINVAL, "invalid value '%s' in '%s/%s'", text, dir, file);
    *ret = v;
    return 0;
}

/* `update`: what setup writes. memory.swap.max is derived from the memory
 * limit, so a new swap total without a new limit is taken against the
 * limit in force. */
static int v2_update(struct berth_cgroup *cg, const struct berth_resources *res,
                     struct berth_error **err)
{
    struct berth_cgroup_hier *h = &cg->h[0];
    struct berth_resources r = *res; /* shallow: only read below */

    int rc = berth_cgroup_refuse_joined(h, res, err);
    if (rc < 0 || h->created == 0)
        return rc;
    if (r.has_mem_swap && r.mem_swap > 0 && !r.has_mem_limit) {
        if ((rc = read_limit(h->dir, "memory.max", &r.mem_limit, err)) < 0)
            return rc;
        r.has_mem_limit = true;
    }
    return v2_apply(h, &r, err);
}

static int v2_kill_all(struct berth_cgroup *cg, struct berth_error **err)
{
    /* cgroup.kill: Linux 5.14 */
    return berth_cgroup_write(cg->h[0].dir, "cgroup.kill", "1", NULL) == 0 ? 1 : 0;
}

/* cgroup.kill (5.14+) kills the whole subtree at once, racing no fork;
 * older kernels get the per-pid SIGKILL loop of berth_cgroup_hier_remove.
 * The device filter goes explicitly: a removed cgroup releases its programs
 * only once the kernel has freed it, which can be much later. */
static int v2_destroy(struct berth_cgroup *cg, struct berth_error **err)
{
    struct berth_cgroup_hier *h = &cg->h[0];

    if (h->created == 0)
        return 0;
    if (v2_kill_all(cg, NULL) > 0)
        (void)v2_wait_event(h->dir, "populated", "0", 1000000, NULL);
    if (cg->dev_prog_id) {
        _cleanup_close_ int dfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = dfd < 0 ? 0 : detach_prog(dfd, cg->dev_prog_id, h->dir, err);
        if (r < 0)
            return r;
        cg->dev_prog_id = 0;
    }
    return berth_cgroup_hier_remove(h, err);
}

static int v2_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error **err)
{
    struct berth_cgroup_hier *h = &cg->h[0];
    const char *v = frozen ? "1" : "0";

    int r = berth_cgroup_write(h->dir, "cgroup.freeze", v, err);
    if (r >= 0)
        r = v2_wait_event(h->dir, "frozen", v, 2000000, err);
    if (r < 0)
        return r;
    if (r > 0)
        return 0;
    if (frozen)
        (void)berth_cgroup_write(h->dir, "cgroup.freeze", "0", NULL);
    return berth_error_set(err, EBUSY, "timed out %s cgroup '%s'", frozen ? "freezing" : "thawing",
                           h->dir);
}

static bool v2_frozen(struct berth_cgroup *cg)
{
    uint64_t v = 0;
    return berth_cgroup_read_key(cg->h[0].dir, "cgroup.events", "frozen", &v, NULL) >= 0 && v == 1;
}

static const char *v2_procs_dir(const struct berth_cgroup *cg)
{
    return cg->h[0].dir;
}

/* memory.events counts the whole subtree ("oom_kill N"). */
static int v2_oom_kills(struct berth_cgroup *cg, uint64_t *ret, struct berth_error **err)
{
    return berth_cgroup_read_key(cg->h[0].dir, "memory.events", "oom_kill", ret, err);
}

/* With a cgroup namespace a cgroup2 mount shows the container's own cgroup
 * as the root; without one, a bind of its directory does the same. */
static int v2_mount_inside(const struct berth_cgroup *cg, int rootfd, const char *dest,
                           unsigned long flags, bool cgroupns, struct berth_error **err)
{
    if (cgroupns)
        return berth_mount_fs(rootfd, "cgroup2", "cgroup2", dest, flags, NULL, err);
    struct berth_mount b = {.source = cg->h[0].dir,
                            .destination = (char *)dest,
                            .flags = MS_BIND | (flags & BERTH_REMOUNT_FLAGS)};
    return berth_mount_bind(rootfd, &b, err);
}

const struct berth_cgroup_ops berth_cgroup_v2_ops = {
    .mode = BERTH_CGROUP_V2,
    .prepare = v2_prepare,
    .setup = v2_setup,
    .set_devices = v2_set_devices,
    .destroy = v2_destroy,
    .freeze = v2_freeze,
    .frozen = v2_frozen,
    .kill_all = v2_kill_all,
    .procs_dir = v2_procs_dir,
    .oom_kills = v2_oom_kills,
    .update = v2_update,
    .stats = berth_cgroup_v2_stats,
    .mount_inside = v2_mount_inside,
};
