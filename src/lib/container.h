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
