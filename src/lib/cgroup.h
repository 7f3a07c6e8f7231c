#pragma once
/* A container's cgroup, behind one interface with two drivers (STYLE.md):
 * cgroup-v1.c (legacy/hybrid: one directory per hierarchy) and cgroup-v2.c
 * (unified). Callers never test the version; they call the berth_cgroup_*
 * wrappers, which dispatch through cg->ops.
 *
 * Placement: a relative cgroups path (and the default "berth-<id>") lives
 * under the cgroup of the calling process, per hierarchy, as read from
 * /proc/self/cgroup. An absolute path is taken as given (the caller, e.g.
 * containerd, owns that tree). Only directories berth itself created are
 * removed on destroy, and no file is written in a cgroup berth did not create
 * except `cgroup.procs` of a pre-existing cgroup named by an absolute path
 * (which is joined: its limits are left as they are) and, on an explicit
 * freeze request, its freezer file. A relative path that already exists is
 * refused (EEXIST): it is a leftover, not ours to reuse. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct berth_error;
struct berth_resources;
struct berth_device_rule;
struct berth_cgroup;

enum berth_cgroup_mode { BERTH_CGROUP_V1 = 1, BERTH_CGROUP_V2 = 2 };

/* One hierarchy (v1) or the unified tree (v2). */
struct berth_cgroup_hier {
    char *name;       /* "memory", "cpu,cpuacct", …; "" on v2 */
    char *dir;        /* absolute directory of the container's cgroup */
    unsigned created; /* trailing path components berth created (0: joined) */
};

struct berth_cgroup_ops {
    enum berth_cgroup_mode mode;
    /* Before clone: v2 creates the directory and returns an O_PATH|O_DIRECTORY
     * fd usable with CLONE_INTO_CGROUP (caller closes it); v1 returns -1 (the
     * child is attached after clone). Returns fd/-1, or -errno; never -EPERM
     * (reported as -EACCES), so -1 with *err unset always means "no fd". */
    int (*prepare)(struct berth_cgroup *cg, struct berth_error **err);
    /* After clone: creates what prepare did not, applies `res` (may be NULL)
     * and moves `pid` in (unless prepare already placed it there). */
    int (*setup)(struct berth_cgroup *cg, const struct berth_resources *res, pid_t pid,
                 struct berth_error **err);
    /* Applies res->devices alone (the other limits are setup's). The runtime
     * calls it once the container's device nodes exist, so that a rule
     * denying a default device cannot stop the runtime's own mknod, and no
     * "deny all" written before its exceptions can race with it. */
    int (*set_devices)(struct berth_cgroup *cg, const struct berth_resources *res,
                       struct berth_error **err);
    /* Kills whatever is left in the cgroup (SIGKILL) and removes the
     * directories berth created. Missing directories are success. */
    int (*destroy)(struct berth_cgroup *cg, struct berth_error **err);
    /* Freezes or thaws every process in the cgroup. */
    int (*freeze)(struct berth_cgroup *cg, bool frozen, struct berth_error **err);
};

struct berth_cgroup {
    const struct berth_cgroup_ops *ops;
    char *root;                  /* e.g. "/sys/fs/cgroup" */
    bool absolute;               /* cgroupsPath was absolute: may join */
    struct berth_cgroup_hier *h; /* v1: one per managed hierarchy; v2: one */
    size_t n_h;
};

extern const struct berth_cgroup_ops berth_cgroup_v1_ops;
extern const struct berth_cgroup_ops berth_cgroup_v2_ops;

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
 * linux.cgroupsPath or NULL for the default "berth-<id>". On v1 only the
 * hierarchies cpu, cpuacct, cpuset, memory, pids, blkio, devices, freezer that
 * exist under root are managed (a co-mounted "cpu,cpuacct" counts once).
 * The returned object is owned by the caller (berth_cgroup_free). */
struct berth_cgroup *berth_cgroup_new(enum berth_cgroup_mode mode, const char *root,
                                      const char *self_cgroup, const char *cgroups_path,
                                      const char *id, struct berth_error **err);
void berth_cgroup_free(struct berth_cgroup *cg);

/* Serialisation for the state file: a compact JSON text that
 * berth_cgroup_from_json turns back into an equal object. */
char *berth_cgroup_to_json(const struct berth_cgroup *cg);
struct berth_cgroup *berth_cgroup_from_json(const char *json, struct berth_error **err);

/* Dispatchers. */
int berth_cgroup_prepare(struct berth_cgroup *cg, struct berth_error **err);
int berth_cgroup_setup(struct berth_cgroup *cg, const struct berth_resources *res, pid_t pid,
                       struct berth_error **err);
int berth_cgroup_set_devices(struct berth_cgroup *cg, const struct berth_resources *res,
                             struct berth_error **err);
int berth_cgroup_destroy(struct berth_cgroup *cg, struct berth_error **err);
int berth_cgroup_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error **err);

/* Pure conversions (unit tested). */
/* v1 cpu.shares (2..262144) to v2 cpu.weight (1..10000), as runc/crun do. */
uint64_t berth_cgroup_shares_to_weight(uint64_t shares);
/* v1 blkio.weight (10..1000) to v2 io.weight (1..10000). */
uint64_t berth_cgroup_blkio_to_io_weight(uint64_t weight);
/* v2 memory.swap.max from OCI memory.swap (memory+swap total) and limit:
 * swap - limit, -1 ("max") when either is -1. Returns -EINVAL when swap <
 * limit. (Callers treat swap == 0 as "not set", as runc does.) */
int berth_cgroup_swap_v2(int64_t limit, int64_t swap, int64_t *ret);

/* The cgroup v2 device filter (cgroup-v2.c): eBPF instructions for a
 * BPF_PROG_TYPE_CGROUP_DEVICE program implementing `rules` with OCI
 * semantics (the last matching rule wins, nothing matches: deny). An allow
 * rule matches when it grants every requested access, a deny rule when it
 * covers any of them. Returns the array (caller frees) or NULL with EINVAL
 * for a bad rule. */
struct bpf_insn;
struct bpf_insn *berth_cgroup_devices_prog(const struct berth_device_rule *rules, size_t n,
                                           size_t *ret_n, struct berth_error **err);

/* ---- Shared by the drivers (cgroup.c, cgroup-v1.c, cgroup-v2.c) only. ---- */

/* mkdir -p h->dir. Returns 1 when the directory is berth's (created now, or
 * earlier as recorded in h->created, which is updated), 0 when an existing
 * cgroup named by an absolute path is joined, -EEXIST for an existing
 * relative one. */
int berth_cgroup_hier_create(struct berth_cgroup *cg, struct berth_cgroup_hier *h,
                             struct berth_error **err);
/* Kills what is left in h->dir and below (SIGKILL, by pid from
 * cgroup.procs), then removes the h->created directories berth made, deepest
 * first; busy parents (shared with other containers) are kept. Sets
 * h->created to 0. A no-op for joined cgroups. */
int berth_cgroup_hier_remove(struct berth_cgroup_hier *h, struct berth_error **err);
/* `dir` without its last `up` components (caller frees). */
char *berth_cgroup_level(const char *dir, unsigned up);
/* Writes `value` to dir/file (one write, as the kernel wants). */
int berth_cgroup_write(const char *dir, const char *file, const char *value,
                       struct berth_error **err);
/* Reads dir/file (caller frees *ret). */
int berth_cgroup_read(const char *dir, const char *file, char **ret, struct berth_error **err);
bool berth_cgroup_has_file(const char *dir, const char *file);
/* A cgroup file written record by record, one write() each (the kernel
 * parses one rule or device line per write), through a single open: the
 * first of `files` (NULL-terminated) that `dir` has, opened on the first
 * put. Initialise with BERTH_CGROUP_WRITER, close with
 * berth_cgroup_writer_close (or _cleanup_cgroup_writer_). */
struct berth_cgroup_writer {
    const char *dir;
    const char *const *files;
    const char *file; /* the one opened */
    int fd;           /* -1 until opened */
};
#define BERTH_CGROUP_WRITER(d, ...)                                                                \
    ((struct berth_cgroup_writer){                                                                 \
        .dir = (d), .files = (const char *const[]){__VA_ARGS__, NULL}, .fd = -1})
#define _cleanup_cgroup_writer_ __attribute__((cleanup(berth_cgroup_writer_close)))
/* Opens the file unless open already; w->file then names it. -ENOENT when
 * none of the files exists (the message names the first), else -errno. */
int berth_cgroup_writer_open(struct berth_cgroup_writer *w, struct berth_error **err);
/* One write() of `value`, opening first if needed; errors as
 * berth_cgroup_write's. */
int berth_cgroup_writer_put(struct berth_cgroup_writer *w, const char *value,
                            struct berth_error **err);
/* Closes the file; a writer never opened is a no-op. */
void berth_cgroup_writer_close(struct berth_cgroup_writer *w);
/* Sends SIGKILL to every pid in dir/cgroup.procs; a missing dir is success. */
int berth_cgroup_kill_procs(const char *dir, struct berth_error **err);
/* Sleeps with a growing delay (1ms doubling, at most 50ms); false once
 * about `limit_us` have been slept in total. *state starts at 0. */
bool berth_cgroup_backoff(unsigned long long *state, unsigned long long limit_us);
