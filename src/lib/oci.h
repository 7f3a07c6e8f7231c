#pragma once
/* OCI runtime-spec config.json, parsed into a validated struct.
 * Unknown fields are ignored, as the spec requires; every known field is type
 * checked and a bad one is reported by its JSON path ("process.args[0]"). */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct berth_error;

enum berth_ns_type {
    BERTH_NS_PID,
    BERTH_NS_NET,
    BERTH_NS_MNT,
    BERTH_NS_IPC,
    BERTH_NS_UTS,
    BERTH_NS_CGROUP,
    BERTH_NS_USER,
    BERTH_NS_TIME,
    BERTH_NS_COUNT,
};

struct berth_namespace {
    bool enabled; /* listed in linux.namespaces */
    char *path;   /* join this one instead of creating (NULL: new) */
};

struct berth_rlimit {
    int resource; /* RLIMIT_* */
    uint64_t soft, hard;
};

/* Capability sets as bit masks over CAP_* numbers (0..63). */
struct berth_caps {
    bool present; /* process.capabilities given at all */
    uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct berth_user {
    uid_t uid;
    gid_t gid;
    gid_t *additional_gids;
    size_t n_additional_gids;
    bool has_umask;
    mode_t umask;
};

struct berth_process {
    char **args; /* NULL-terminated, at least one */
    char **env;  /* NULL-terminated, may be empty */
    char *cwd;   /* absolute */
    bool terminal;
    bool has_console_size;
    unsigned console_height, console_width; /* process.consoleSize */
    struct berth_user user;
    struct berth_caps caps;
    struct berth_rlimit *rlimits;
    size_t n_rlimits;
    bool no_new_privileges;
    bool has_oom_score_adj;
    int oom_score_adj;
    char *apparmor_profile; /* NULL: none; needs AppArmor on the host */
    char *selinux_label;    /* NULL: none; needs SELinux on the host */
};

struct berth_mount {
    char *destination;         /* absolute, in the container */
    char *type;                /* may be NULL for bind mounts */
    char *source;              /* may be NULL */
    unsigned long flags;       /* MS_* from options */
    unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (|MS_REC) or 0 */
    char *data;                /* the options that are not flags, comma separated */
    bool is_bind;
    unsigned long long rec_set, rec_clr; /* recursive MOUNT_ATTR_* ("rro" …) */
    bool tmpcopyup; /* tmpfs only: starts with a copy of the directory it covers */
    unsigned idmap; /* bind only: BERTH_IDMAP ("idmap") or BERTH_IDMAP_REC ("ridmap"), or 0 */
};

struct berth_device {
    char type; /* 'c', 'b', 'u', 'p' */
    char *path;
    int64_t major, minor;
    bool has_mode, has_uid, has_gid;
    mode_t file_mode;
    uid_t uid;
    gid_t gid;
};

struct berth_device_rule {
    bool allow;
    char type;            /* 'a', 'c', 'b' */
    int64_t major, minor; /* -1 for wildcard */
    char access[4];       /* subset of "rwm" */
};

struct berth_sysctl {
    char *key, *value;
};

/* linux.seccomp */
enum berth_seccomp_op {
    SCMP_OP_NE = 1,
    SCMP_OP_LT,
    SCMP_OP_LE,
    SCMP_OP_EQ,
    SCMP_OP_GE,
    SCMP_OP_GT,
    SCMP_OP_MASKED_EQ
};

struct berth_seccomp_arg {
    unsigned index;
    uint64_t value, value_two;
    enum berth_seccomp_op op;
};

struct berth_seccomp_rule {
    char **names; /* NULL-terminated */
    char *action; /* "SCMP_ACT_ERRNO" … */
    bool has_errno_ret;
    unsigned errno_ret;
    struct berth_seccomp_arg *args;
    size_t n_args;
};

struct berth_seccomp {
    char *default_action;
    bool has_default_errno_ret;
    unsigned default_errno_ret;
    char **architectures; /* NULL-terminated, may be empty */
    char **flags;         /* NULL-terminated, may be empty */
    struct berth_seccomp_rule *rules;
    size_t n_rules;
};

/* linux.resources.blockIO.weightDevice[]: a weight of 0 is "not given"
 * (docker passes 0), otherwise 10..1000. */
struct berth_blkio_weight_device {
    int64_t major, minor;
    uint16_t weight, leaf_weight;
};

/* linux.resources.blockIO.throttle*Device[] */
struct berth_blkio_throttle {
    int64_t major, minor;
    uint64_t rate; /* bytes or I/O operations per second; 0: no limit */
};

/* The four throttle lists, in the spec's order. */
enum berth_blkio_throttle_type {
    BERTH_THROTTLE_READ_BPS,
    BERTH_THROTTLE_WRITE_BPS,
    BERTH_THROTTLE_READ_IOPS,
    BERTH_THROTTLE_WRITE_IOPS,
    BERTH_THROTTLE_COUNT,
};

/* linux.resources.hugepageLimits[] */
struct berth_hugepage_limit {
    char *page_size; /* "2MB", "1GB": the kernel's hugetlb.<size>.* file name part */
    uint64_t limit;  /* bytes */
};

/* linux.resources.network.priorities[] */
struct berth_net_priority {
    char *name; /* interface */
    uint32_t priority;
};

/* linux.resources.unified: a cgroup v2 interface file and what to write */
struct berth_unified {
    char *key; /* a plain file name, "<controller>.<name>" */
    char *value;
};

/* linux.resources; each has_* says the field was given. */
struct berth_resources {
    bool has_mem_limit, has_mem_reservation, has_mem_swap;
    int64_t mem_limit, mem_reservation, mem_swap; /* bytes, -1 = unlimited */
    bool has_mem_kernel, has_mem_kernel_tcp;
    int64_t mem_kernel, mem_kernel_tcp; /* bytes, -1 = unlimited (v1 kmem) */
    bool has_mem_swappiness;
    uint64_t mem_swappiness; /* 0..100 */
    bool disable_oom_killer;
    bool has_use_hierarchy, use_hierarchy;
    bool has_cpu_shares, has_cpu_quota, has_cpu_period;
    uint64_t cpu_shares, cpu_period;
    int64_t cpu_quota; /* -1 = unlimited */
    bool has_cpu_burst, has_cpu_rt_runtime, has_cpu_rt_period, has_cpu_idle;
    uint64_t cpu_burst, cpu_rt_period;
    int64_t cpu_rt_runtime, cpu_idle;
    char *cpu_cpus, *cpu_mems;
    bool has_pids_limit;
    int64_t pids_limit; /* <= 0 means unlimited */
    /* blockIO weights are 10..1000; a 0 in the config leaves has_* false */
    bool has_blkio_weight, has_blkio_leaf_weight;
    uint16_t blkio_weight, blkio_leaf_weight;
    struct berth_blkio_weight_device *blkio_weight_devices;
    size_t n_blkio_weight_devices;
    struct berth_blkio_throttle *blkio_throttle[BERTH_THROTTLE_COUNT];
    size_t n_blkio_throttle[BERTH_THROTTLE_COUNT];
    struct berth_device_rule *devices;
    size_t n_devices;
    struct berth_hugepage_limit *hugepages;
    size_t n_hugepages;
    bool has_net_class_id;
    uint32_t net_class_id;
    struct berth_net_priority *net_priorities;
    size_t n_net_priorities;
    struct berth_unified *unified; /* written after everything else (v2 only) */
    size_t n_unified;
};

/* The JSON path of the first linux.resources field `r` sets
 * ("linux.resources.memory.limit"), or NULL when it sets none; device rules
 * count. For refusals that must name a field. */
const char *berth_resources_first_field(const struct berth_resources *r);

/* hooks.* of config.json, in the lifecycle's order. */
enum berth_hook_kind {
    BERTH_HOOK_PRESTART,
    BERTH_HOOK_CREATE_RUNTIME,
    BERTH_HOOK_CREATE_CONTAINER,
    BERTH_HOOK_START_CONTAINER,
    BERTH_HOOK_POSTSTART,
    BERTH_HOOK_POSTSTOP,
    BERTH_HOOK_COUNT,
};

struct berth_hook {
    char *path;  /* absolute */
    char **args; /* NULL-terminated; args[0] is argv[0]; may be empty (path then) */
    char **env;  /* NULL-terminated, the whole environment */
    int timeout; /* seconds; 0: none */
};

/* linux.uidMappings[] / gidMappings[]: container ids container_id ..
 * container_id+size-1 are host ids host_id .. host_id+size-1. */
struct berth_id_mapping {
    uint32_t container_id, host_id, size;
};

/* linux.timeOffsets, by clock */
enum berth_time_clock { BERTH_CLOCK_MONOTONIC, BERTH_CLOCK_BOOTTIME, BERTH_CLOCK_COUNT };

struct berth_time_offset {
    bool set;
    int64_t secs;
    uint32_t nanosecs; /* < 1e9 */
};

struct berth_config {

    char *oci_version;
    char *root_path; /* absolute, resolved against the bundle */
    bool root_readonly;
    struct berth_process process;
    char *hostname, *domainname;
    struct berth_mount *mounts;
    size_t n_mounts;
    struct berth_namespace ns[BERTH_NS_COUNT];
    struct berth_device *devices;
    size_t n_devices;
    struct berth_sysctl *sysctls;
    size_t n_sysctls;
    char **masked_paths;              /* NULL-terminated */
    char **readonly_paths;            /* NULL-terminated */
    unsigned long rootfs_propagation; /* MS_* or 0 for the default (rslave) */
    struct berth_seccomp *seccomp;    /* NULL: none */
    struct berth_resources resources;
    bool has_resources;
    char *cgroups_path;     /* NULL: default */
    char *mount_label;      /* linux.mountLabel (SELinux), or NULL */
    char *annotations_json; /* compact JSON object text, or NULL */
    struct berth_hook *hooks[BERTH_HOOK_COUNT];
    size_t n_hooks[BERTH_HOOK_COUNT];
    struct berth_id_mapping *uid_mappings, *gid_mappings; /* a new user namespace's */
    size_t n_uid_mappings, n_gid_mappings;
    struct berth_time_offset time_offsets[BERTH_CLOCK_COUNT];
    bool has_personality;
    unsigned long personality; /* linux.personality: domain | flags, for personality(2) */
};

/* "prestart", "createRuntime", … */
const char *berth_hook_name(enum berth_hook_kind k);

/* Parses config.json text. `bundle` is the absolute bundle directory, used to
 * resolve a relative root.path and to refuse one that escapes the bundle.
 * Returns a config owned by the caller (free with berth_config_free) or NULL
 * with *err set (EINVAL, message naming the field). */
struct berth_config *berth_config_parse(const char *json, size_t len, const char *bundle,
                                        struct berth_error **err);

/* Reads and parses BUNDLE/config.json. */
struct berth_config *berth_config_load(const char *bundle, struct berth_error **err);

void berth_config_free(struct berth_config *c);

/* Namespace names as in the spec ("pid", "network", …); -1 if unknown. */
int berth_ns_from_name(const char *name);
const char *berth_ns_name(enum berth_ns_type t);
/* CLONE_NEW* flag for a namespace type. */
int berth_ns_clone_flag(enum berth_ns_type t);
/* The /proc/PID/ns/<file> name of a namespace type ("net" for network). */
const char *berth_ns_proc_name(enum berth_ns_type t);

/* The namespace (BERTH_NS_NET, _IPC, _UTS) a sysctl key belongs to, or -1
 * for a key that is not namespaced: only namespaced sysctls may be set,
 * anything else would change the host (runc applies the same rule). */
int berth_sysctl_namespace(const char *key);

/* rlimit name ("RLIMIT_NOFILE") to resource number; -1 if unknown. */
int berth_rlimit_from_name(const char *name);
