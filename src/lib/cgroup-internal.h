#pragma once
/* The cgroup object and what the drivers (cgroup.c, cgroup-v1.c,
 * cgroup-v2.c) share; nothing outside them includes this (unit tests do). */
#include "cgroup.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bpf_insn;

/* One hierarchy (v1) or the unified tree (v2). */
struct berth_cgroup_hier {
    char *name;       /* "memory", "cpu,cpuacct", …; "" on v2 */
    char *dir;        /* absolute directory of the container's cgroup */
    unsigned created; /* trailing path components berth created (0: joined) */
};

/* A driver: the public calls of cgroup.h dispatch here, with the same
 * contracts. */
struct berth_cgroup_ops {
    enum berth_cgroup_mode mode;
    int (*prepare)(struct berth_cgroup *cg, struct berth_error **err);
    int (*setup)(struct berth_cgroup *cg, const struct berth_resources *res, pid_t pid, bool placed,
                 struct berth_error **err);
    int (*set_devices)(struct berth_cgroup *cg, const struct berth_device_rule *rules, size_t n,
                       struct berth_error **err);
    int (*destroy)(struct berth_cgroup *cg, struct berth_error **err);
    int (*freeze)(struct berth_cgroup *cg, bool frozen, struct berth_error **err);
    /* Whether the cgroup is frozen now (by berth or anyone). */
    bool (*frozen)(struct berth_cgroup *cg);
    /* SIGKILL to the whole tree in one step where the kernel has one
     * (cgroup.kill): 1 when done, 0 when the caller must freeze and walk. */
    int (*kill_all)(struct berth_cgroup *cg, struct berth_error **err);
    /* The directory whose tree holds every process of the container. */
    const char *(*procs_dir)(const struct berth_cgroup *cg);
    int (*oom_kills)(struct berth_cgroup *cg, uint64_t *ret, struct berth_error **err);
    int (*update)(struct berth_cgroup *cg, const struct berth_resources *res,
                  struct berth_error **err);
    /* Fills *ret, zeroed by the caller (cgroup-stats.c). */
    int (*stats)(struct berth_cgroup *cg, struct berth_cgroup_stats *ret, struct berth_error **err);
    int (*mount_inside)(const struct berth_cgroup *cg, int rootfd, const char *dest,
                        unsigned long flags, bool cgroupns, struct berth_error **err);
};

struct berth_cgroup {
    const struct berth_cgroup_ops *ops;
    char *root;                  /* e.g. "/sys/fs/cgroup" */
    bool absolute;               /* cgroupsPath was absolute: may join */
    struct berth_cgroup_hier *h; /* v1: one per managed hierarchy; v2: one */
    size_t n_h;
    uint32_t dev_prog_id; /* v2: the device filter berth attached (0: none) */
};

extern const struct berth_cgroup_ops berth_cgroup_v1_ops;
extern const struct berth_cgroup_ops berth_cgroup_v2_ops;

/* The drivers' stats operations (cgroup-stats.c). */
int berth_cgroup_v1_stats(struct berth_cgroup *cg, struct berth_cgroup_stats *ret,
                          struct berth_error **err);
int berth_cgroup_v2_stats(struct berth_cgroup *cg, struct berth_cgroup_stats *ret,
                          struct berth_error **err);

/* ---- Helpers the drivers share (cgroup-util.c). ---- */

/* The v1 hierarchy that holds controller `ctrl` ("memory" matches a
 * "cpu,memory" co-mount too), or NULL. */
struct berth_cgroup_hier *berth_cgroup_find_hier(const struct berth_cgroup *cg, const char *ctrl);

/* "a" + "/" + "b" with exactly one slash between (caller frees). */
char *berth_cgroup_join(const char *a, const char *b);
/* Number of path components of `dir` below `root`, or -1 when dir is not
 * strictly below root. */
int berth_cgroup_depth_below(const char *root, const char *dir);

/* mkdir -p h->dir. Returns 1 when the directory is berth's (created now, or
 * earlier as recorded in h->created, which is updated), 0 when an existing
 * cgroup named by an absolute path is joined, -EEXIST for an existing
 * relative one. */
int berth_cgroup_hier_create(struct berth_cgroup *cg, struct berth_cgroup_hier *h,
                             struct berth_error **err);
/* Whether any hierarchy is a joined cgroup (not berth's to write). */
bool berth_cgroup_joined(const struct berth_cgroup *cg);
/* EINVAL "cannot apply 'FIELD' to cgroup 'DIR', which berth did not create"
 * when `res` sets anything (device rules included) and h is joined. */
int berth_cgroup_refuse_joined(const struct berth_cgroup_hier *h, const struct berth_resources *res,
                               struct berth_error **err);
/* EOPNOTSUPP "cannot honour 'FIELD': WHY" for a limit the host cannot take. */
int berth_cgroup_unsupported(const char *field, const char *why, struct berth_error **err);
/* Every pid in cgroup.procs of `dir` and of every cgroup below it, sorted. */
int berth_cgroup_tree_pids(const char *dir, pid_t **ret, size_t *ret_n, struct berth_error **err);
/* Sends `sig` to each pid of berth_cgroup_tree_pids(dir); gone ones are fine. */
int berth_cgroup_tree_signal(const char *dir, int sig, struct berth_error **err);
/* The value of "key N" in a flat-keyed file such as memory.events, or 0
 * when the file or key is missing. */
int berth_cgroup_read_key(const char *dir, const char *file, const char *key, uint64_t *ret,
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
/* The cgroup v2 device filter (cgroup-v2.c): eBPF instructions for a
 * BPF_PROG_TYPE_CGROUP_DEVICE program implementing `rules` with OCI
 * semantics (the last matching rule wins, nothing matches: deny). An allow
 * rule matches when it grants every requested access, a deny rule when it
 * covers any of them. Returns the array (caller frees) or NULL with EINVAL
 * for a bad rule. */
struct bpf_insn *berth_cgroup_devices_prog(const struct berth_device_rule *rules, size_t n,
                                           size_t *ret_n, struct berth_error **err);
/* Sleeps with a growing delay (1ms doubling, at most 50ms); false once
 * about `limit_us` have been slept in total. *state starts at 0. */
bool berth_cgroup_backoff(unsigned long long *state, unsigned long long limit_us);
