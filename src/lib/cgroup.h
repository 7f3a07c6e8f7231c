#pragma once
/* A container's cgroup, behind one interface with two drivers (STYLE.md):
 * cgroup-v1.c (legacy/hybrid: one directory per hierarchy) and cgroup-v2.c
 * (unified). The object is opaque: callers never test the version or read
 * a driver's fields; every operation is a berth_cgroup_* call.
 *
 * Placement: a relative cgroups path (and the default "berth-<id>") lives
 * under the cgroup of the calling process, per hierarchy, as read from
 * /proc/self/cgroup. An absolute path is taken as given (the caller, e.g.
 * containerd, owns that tree). berth writes only to cgroups it created:
 * an existing cgroup named by an absolute path is joined (its cgroup.procs
 * takes the init) and a config that would set any limit or device rule in
 * it is refused, naming the field. A relative path that already exists is
 * refused (EEXIST): it is a leftover, not ours to reuse. Only directories
 * berth created are removed on destroy. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct berth_error;
struct berth_resources;
struct berth_cgroup;

enum berth_cgroup_mode { BERTH_CGROUP_V1 = 1, BERTH_CGROUP_V2 = 2 };

/* Optional v1 hierarchies, managed only when a config needs them: each one
 * costs a directory and an attach per container. */
enum berth_cgroup_want {
    BERTH_CGROUP_WANT_HUGETLB = 1 << 0, /* hugepageLimits */
    BERTH_CGROUP_WANT_NET = 1 << 1,     /* network.classID, network.priorities */
};

/* Which layout `root` (normally /sys/fs/cgroup) holds: V2 when it is a
 * cgroup2 mount, V1 otherwise (legacy or hybrid: the hybrid's unified
 * hierarchy at root/unified is not used). */
int berth_cgroup_detect(const char *root, enum berth_cgroup_mode *ret_mode,
                        struct berth_error **err);

/* Validates a linux.cgroupsPath value: no "..", no empty components except a
 * leading '/', no control characters. EINVAL with a message otherwise. */
int berth_cgroup_path_validate(const char *path, struct berth_error **err);

/* Computes where the container's cgroup lives, without touching the kernel.
 * `self_cgroup` is the text of /proc/self/cgroup; `cgroups_path` is
 * linux.cgroupsPath or NULL for the default "berth-<id>". On v1 the
 * hierarchies cpu, cpuacct, cpuset, memory, pids, blkio, devices, freezer
 * that exist under root are managed (a co-mounted "cpu,cpuacct" counts
 * once), plus the `want` ones that exist. The returned object is owned by
 * the caller (berth_cgroup_free). */
struct berth_cgroup *berth_cgroup_new(enum berth_cgroup_mode mode, const char *root,
                                      const char *self_cgroup, const char *cgroups_path,
                                      const char *id, unsigned want, struct berth_error **err);
void berth_cgroup_free(struct berth_cgroup *cg);

/* Serialisation for the state file: a compact JSON text that
 * berth_cgroup_from_json turns back into an equal object. */
char *berth_cgroup_to_json(const struct berth_cgroup *cg);
struct berth_cgroup *berth_cgroup_from_json(const char *json, struct berth_error **err);

/* Before anything exists: records which directories berth will create (the
 * missing trailing components of each), so that a state record written now
 * lets a later destroy remove them even if the runtime dies half-way. */
int berth_cgroup_plan(struct berth_cgroup *cg, struct berth_error **err);

/* Before clone: v2 creates the directory and returns an O_PATH|O_DIRECTORY
 * fd for CLONE_INTO_CGROUP (caller closes it); v1 returns -1 (the child is
 * attached by setup). Returns the fd, -1, or -errno; never -EPERM (reported
 * as -EACCES), so -1 with *err unset always means "no fd". */
int berth_cgroup_prepare(struct berth_cgroup *cg, struct berth_error **err);

/* After clone: creates what prepare did not, moves `pid` in unless it was
 * cloned into the cgroup (`placed`), then applies `res` (may be NULL; its
 * device rules are left to set_devices). EINVAL naming the field when a
 * joined cgroup would need a limit, EOPNOTSUPP naming it when the host
 * lacks the controller or file. */
int berth_cgroup_setup(struct berth_cgroup *cg, const struct berth_resources *res, pid_t pid,
                       bool placed, struct berth_error **err);

/* Applies the device rules `rules` in order (the last matching one wins),
 * replacing any berth applied before. The runtime calls it once the
 * container's device nodes exist, so a rule denying a default device cannot
 * stop the runtime's own mknod. */
struct berth_device_rule;
int berth_cgroup_set_devices(struct berth_cgroup *cg, const struct berth_device_rule *rules,
                             size_t n, struct berth_error **err);

/* Kills whatever is left in the cgroup and below, detaches what berth
 * attached (v2 device filter) and removes the directories berth created.
 * Missing directories are success. */
int berth_cgroup_destroy(struct berth_cgroup *cg, struct berth_error **err);

/* Freezes or thaws every process in the cgroup and below. */
int berth_cgroup_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error **err);

/* Changes the limits of a cgroup berth created, whose processes are in it
 * already (`update`): writes what `res` sets, as setup does, without
 * creating or attaching anything. Device rules are left to set_devices.
 * EINVAL naming the field for a joined cgroup, EOPNOTSUPP naming it when
 * the host lacks the controller or file; the kernel's errno when it
 * refuses a value (a limit below the usage it cannot reclaim: EBUSY).
 * Fields written before a failure stay written. */
int berth_cgroup_update(struct berth_cgroup *cg, const struct berth_resources *res,
                        struct berth_error **err);
/* Whether the cgroup is frozen now (paused), by berth or anyone. */
bool berth_cgroup_frozen(struct berth_cgroup *cg);
/* Whether the kernel limits swap per cgroup (docker's default swap of twice
 * the memory limit needs it): v1's memsw file; on v2 (kernel >= 5.8)
 * memory.swap.max exists unless the kernel was booted without swap
 * accounting (cgroup.memory=noswap, swapaccount=0). */
bool berth_cgroup_swap_accounted(void);

/* For another process joining the container (exec): an fd to clone it
 * straight into the cgroup (v2, CLONE_INTO_CGROUP; caller closes), or -1
 * (v1: attach it with berth_cgroup_attach once it exists). */
int berth_cgroup_open_fd(const struct berth_cgroup *cg, struct berth_error **err);
/* Moves `pid` into the container's cgroup, in every hierarchy. */
int berth_cgroup_attach(const struct berth_cgroup *cg, pid_t pid, struct berth_error **err);

/* The directory of the i-th hierarchy (v2 has one), with its controllers
 * in *ret_name ("cpu,cpuacct"; "" on v2); NULL past the last. For tools
 * that take cgroup paths (criu's --freeze-cgroup and --cgroup-root). */
const char *berth_cgroup_hier_dir(const struct berth_cgroup *cg, size_t i, const char **ret_name);

/* Sends `sig` to every process in the cgroup and its descendants, with no
 * window for a fork to escape: v2 SIGKILL is one write of cgroup.kill;
 * otherwise the tree is frozen, signalled and thawed (a paused container
 * stays frozen). */
int berth_cgroup_signal_all(struct berth_cgroup *cg, int sig, struct berth_error **err);

/* The pids (as seen by the caller) of every process in the cgroup and below,
 * sorted, as a new array of *ret_n entries (caller frees). */
int berth_cgroup_pids(struct berth_cgroup *cg, pid_t **ret, size_t *ret_n,
                      struct berth_error **err);

/* How many processes the kernel's OOM killer has killed in the cgroup (and
 * below) since it was created. 0 without a memory controller. */
int berth_cgroup_oom_kills(struct berth_cgroup *cg, uint64_t *ret, struct berth_error **err);

/* A memory counter, in bytes, as runc reports it: limit UINT64_MAX (v2
 * "max") or the kernel's own huge number (v1) when there is none; on v2,
 * swap counts memory plus swap, as v1's memsw does. */
struct berth_cgroup_mem {
    uint64_t usage, max, limit, failcnt;
};

/* One "key value" line of a flat-keyed file (memory.stat). */
struct berth_cgroup_stat_kv {
    char *key;
    uint64_t value;
};

/* Bytes moved to or from one block device; op is "Read", "Write", "Sync",
 * "Async", "Discard" or "Total" (v1 names them all, v2 only reads and
 * writes). */
struct berth_cgroup_io {
    uint64_t major, minor;
    char op[8];
    uint64_t value;
};

/* What `events` reports of a cgroup and everything below it. A counter the
 * host does not have (no swap accounting, no per-CPU usage on v2) is 0. */
struct berth_cgroup_stats {
    uint64_t cpu_total, cpu_kernel, cpu_user; /* ns */
    uint64_t *cpu_percpu;                     /* ns per CPU (v1) */
    size_t n_cpu_percpu;
    uint64_t cpu_periods, cpu_throttled_periods, cpu_throttled_time; /* time in ns */
    struct berth_cgroup_mem memory, swap;
    bool has_swap; /* the host accounts swap */
    struct berth_cgroup_stat_kv *memory_stat;
    size_t n_memory_stat;
    uint64_t pids_current, pids_limit; /* limit 0: none */
    struct berth_cgroup_io *io;        /* ioServiceBytesRecursive */
    size_t n_io;
    uint64_t oom_kills; /* as berth_cgroup_oom_kills */
};

/* Reads the cgroup's counters into *ret (zeroed first; free its members
 * with berth_cgroup_stats_free). A file the host lacks leaves its counter
 * 0; ENOENT when the cgroup is gone. */
int berth_cgroup_stats(struct berth_cgroup *cg, struct berth_cgroup_stats *ret,
                       struct berth_error **err);
/* Frees what berth_cgroup_stats allocated in `s` (not `s`); NULL is fine. */
void berth_cgroup_stats_free(struct berth_cgroup_stats *s);

/* Shows the container's cgroup at `dest` inside the rootfs (rootfd): with
 * `cgroupns` a cgroup2 mount (v2), otherwise bind mounts of the container's
 * own directories (v1: a tmpfs with one per hierarchy). `flags` are the
 * mount's MS_* (read-only …). */
int berth_cgroup_mount_inside(const struct berth_cgroup *cg, int rootfd, const char *dest,
                              unsigned long flags, bool cgroupns, struct berth_error **err);

/* Hands the cgroups berth created to `uid`:`gid` (the container's root in
 * its user namespace), so that it can manage its own subtree: the
 * directory and, on v2, the files /sys/kernel/cgroup/delegate lists (else
 * cgroup.procs, cgroup.threads and cgroup.subtree_control), as crun does;
 * on v1 the directory, cgroup.procs and tasks. Joined cgroups are left
 * alone; -1 leaves an id unchanged. */
int berth_cgroup_chown(const struct berth_cgroup *cg, uid_t uid, gid_t gid,
                       struct berth_error **err);

/* Whether an unprivileged caller may create and fill this cgroup: on v2
 * when the nearest existing directory of its path is writable (a subtree
 * delegated to the caller); never on v1, whose hierarchies belong to root. */
bool berth_cgroup_delegated(const struct berth_cgroup *cg);

/* Pure conversions (unit tested). */
/* v1 cpu.shares (2..262144) to v2 cpu.weight (1..10000), as runc/crun do. */
uint64_t berth_cgroup_shares_to_weight(uint64_t shares);
/* v1 blkio.weight (10..1000) to v2 io.weight (1..10000). */
uint64_t berth_cgroup_blkio_to_io_weight(uint64_t weight);
/* v2 memory.swap.max from OCI memory.swap (memory+swap total) and limit:
 * swap - limit, -1 ("max") when either is -1. Returns -EINVAL when swap <
 * limit. (Callers treat swap == 0 as "not set", as runc does.) */
int berth_cgroup_swap_v2(int64_t limit, int64_t swap, int64_t *ret);
