#pragma once
/* A container's life, as libberth's API for the runtime front end and for a
 * long-running caller (berth-shim): create (clone the init into its
 * namespaces and cgroup), start, kill, wait, delete, and the state and list
 * of containers as structs. No call changes the calling process for good
 * (namespaces, dumpable flag, signal mask and dispositions, cwd) and none
 * prints: results and errors come back to the caller. */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "state.h"

struct berth_error;
struct berth_cgroup;

struct berth_create_opts {
    const char *state_root;
    const char *id;
    const char *bundle;       /* directory holding config.json; made absolute */
    const char *pid_file;     /* written once the init is set up; may be NULL */
    bool wait_start;          /* create: init waits for `start`; run: it execs */
    const char *cgroup_root;  /* NULL: "/sys/fs/cgroup" */
    const int *stdio;         /* the container's stdin, stdout, stderr; NULL: the caller's */
    const char *error_prefix; /* a failure after `create` returned (the payload's exec) is
                                 written to the container's stderr after it; NULL: not */
    bool keep_status;         /* keep the sync socket as berth_container.status_fd */
    const int *console_fd;    /* process.terminal: a connected UNIX socket that gets the
                                 pty master (runc's --console-socket); NULL: none */
    bool console_optional;    /* use console_fd only if process.terminal, else ignore it */
    int preserve_fds;         /* the caller's fds 3 .. 3+N-1 go to the payload */
    bool no_new_keyring;      /* keep the caller's session keyring (runc's flag) */
    bool no_pivot;            /* runc's --no-pivot, for a ramfs root: MS_MOVE and chroot
                                 instead of pivot_root (unsafe: the old root stays below) */
};

/* A container as its creator holds it: the init is the creator's child. */
struct berth_container {
    char *id;
    char *state_root;
    pid_t pid; /* the init, as the creator sees it */
    int pidfd;
    /* With keep_status: EOF once the payload has been exec'd, or an error
     * message (berth_sync_recv) when a created init failed after `start`;
     * -1 otherwise. */
    int status_fd;
    struct berth_cgroup *cgroup;
};

/* How a container's init ended. */
struct berth_exit {
    bool signaled;    /* killed by `signal`, else exited with `code` */
    int code;         /* exit status */
    int signal;       /* terminating signal */
    bool core_dumped; /* the signal dumped core */
    bool oom_killed;  /* the kernel's OOM killer acted in its cgroup */
};

/* Creates the container; on success *ret is the caller's handle (free with
 * berth_container_free; the container outlives it). For run
 * (!wait_start) the payload is already exec'd. On failure nothing is left:
 * no process, cgroup, state directory or mount; if undoing a step fails
 * too, the state record is kept naming what is left, for delete --force. */
int berth_container_create(const struct berth_create_opts *o, struct berth_container **ret,
                           struct berth_error **err);
void berth_container_free(struct berth_container *c);

/* Waits for the init to end (blocking; poll c->pidfd first to avoid
 * that), reaps it and reports how, including the OOM verdict. */
int berth_container_wait(struct berth_container *c, struct berth_exit *ret,
                         struct berth_error **err);
/* The shell's convention: code, or 128 + signal. */
int berth_exit_status(const struct berth_exit *e);

/* `exec`: another process in a running container. */
struct berth_exec_opts {
    const char *state_root;
    const char *id;
    /* A whole process object (runc's --process FILE), replacing the
     * container's; NULL: the container's process with the changes below. */
    const char *process_json;
    char **args; /* NULL-terminated; required without process_json */
    char **env;  /* KEY=VALUE, added or replacing the container's */
    const char *cwd;
    bool has_user;
    uid_t uid;
    gid_t gid;
    const gid_t *additional_gids;
    size_t n_additional_gids;
    char **caps;       /* added to bounding, effective and permitted */
    bool no_new_privs; /* force no_new_privs */
    bool terminal;     /* a pty, sent over console_fd */
    /* with terminal: its size (0: the process's) */
    unsigned console_height, console_width;
    const int *console_fd;
    const int *stdio; /* as berth_create_opts */
    const char *pid_file;
    int preserve_fds;
    const char *error_prefix;
};

/* Starts the process in the container's namespaces and cgroup, with its
 * seccomp filter, and the process's user, capabilities, rlimits and
 * no_new_privs; *ret is the caller's handle (berth_container_wait gives its
 * exit). EINVAL when the container is not running (created, paused,
 * stopped). The process never runs the caller's writable binary. */
int berth_container_exec(const struct berth_exec_opts *o, struct berth_container **ret,
                         struct berth_error **err);

/* Lets a created container's init exec the payload. EINVAL unless created. */

int berth_container_start(const char *root, const char *id, struct berth_error **err);

/* Sends sig to the init, or with `all` to every process of its cgroup tree
 * (no fork can escape). ESRCH "container 'x' is not running" when stopped. */
int berth_container_kill(const char *root, const char *id, int sig, bool all,
                         struct berth_error **err);

/* Removes a stopped or created container: kills what is left (only created
 * or stopped unless force), removes its cgroup and state. With force, a
 * container that does not exist is success (as runc: containerd and CRI-O
 * call it that way), and one whose create hangs is taken over: its creator
 * is killed after a grace period. */
int berth_container_delete(const char *root, const char *id, bool force, struct berth_error **err);

/* What `state` and `list` show. */
struct berth_container_info {
    char *id;
    enum berth_status status;
    pid_t pid; /* 0 when stopped */
    char *bundle;
    char *rootfs;
    char *created;
    char *oci_version;
    char *annotations_json; /* object text or NULL */
};

/* The state of one container. Never waits for a create in progress. */
int berth_container_state(const char *root, const char *id, struct berth_container_info **ret,
                          struct berth_error **err);
/* Every container under root, sorted by id (*ret_n entries; caller frees
 * with berth_container_infos_free). A missing root is an empty list. */
int berth_container_list(const char *root, struct berth_container_info ***ret, size_t *ret_n,
                         struct berth_error **err);
void berth_container_info_free(struct berth_container_info *i);
void berth_container_infos_free(struct berth_container_info **v, size_t n);

/* The runtime-spec state document of `i`, as indented JSON text. */
char *berth_container_info_oci_json(const struct berth_container_info *i);

/* ---- A running container's cgroup (control.c) ---- */

struct berth_cgroup_stats;
struct berth_resources;

/* Freezes every process of a running container (status "paused" after),
 * or thaws a paused one. EINVAL "... it is STATUS, not running|paused"
 * otherwise, with nothing changed. */
int berth_container_pause(const char *root, const char *id, struct berth_error **err);
int berth_container_resume(const char *root, const char *id, struct berth_error **err);

/* The host pids of every process in the container's cgroup tree, sorted,
 * as a new array of *ret_n entries (caller frees). ESRCH "container 'ID'
 * is not running" when stopped. Never waits for a lock. */
int berth_container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n,
                         struct berth_error **err);

/* Writes the limits `res` sets into the container's cgroup (berth_cgroup_update);
 * device rules, when it has some, replace the old ones: deny all, the
 * given rules, then the default devices'. Checks `res` first (EINVAL,
 * nothing changed); ESRCH when the container is stopped. */
int berth_container_update(const char *root, const char *id, const struct berth_resources *res,
                           struct berth_error **err);

/* The counters of the container's cgroup (free with
 * berth_cgroup_stats_free). ESRCH when stopped. Never waits for a lock. */
int berth_container_stats(const char *root, const char *id, struct berth_cgroup_stats *ret,
                          struct berth_error **err);

enum berth_event {
    BERTH_EVENT_STATS, /* the counters, every interval */
    BERTH_EVENT_OOM,   /* the kernel's OOM killer killed a process of the container */
};
/* Gets each event (stats only with BERTH_EVENT_STATS, else NULL); returns
 * >= 0 to go on, -errno to stop the watch. */
typedef int (*berth_event_fn)(enum berth_event ev, const struct berth_cgroup_stats *stats,
                              void *userdata);

/* Watches a created, running or paused container until its init exits:
 * fn gets its stats every `interval_ms` (the first after one interval, as
 * runc) and an OOM event within about 0.1 s of each OOM kill. Returns 0
 * once the container stopped; ESRCH when it is stopped already; the
 * errno fn returned, as "cannot report the events of container 'ID'".
 * Blocks for as long as the container runs. */
int berth_container_events(const char *root, const char *id, unsigned interval_ms,
                           berth_event_fn fn, void *userdata, struct berth_error **err);
