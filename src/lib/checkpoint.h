#pragma once
/* checkpoint / restore of a container through criu (criu.h), with runc's
 * semantics: the container's bind mounts, masked paths, bind-mounted
 * devices and cgroup binds are external mounts; network and PID namespaces
 * joined by path are external namespaces (UTS and IPC are joined again on
 * restore); stdio that leads outside the container (pipes, files on the
 * host's mounts) is reconnected to the restoring runtime's stdio; the
 * restored tree goes into a cgroup berth creates for it, as for `create`,
 * and is a child of the caller, so it is waited for like any container. */
#include <stdbool.h>

struct berth_error;
struct berth_container;

/* criu's switches that both commands take, as runc's. */
struct berth_criu_flags {
    bool tcp_established; /* established TCP connections */
    bool ext_unix_sk;     /* UNIX sockets with a peer outside */
    bool shell_job;       /* a session/terminal from outside */
    bool file_locks;      /* file locks */
};

struct berth_checkpoint_opts {
    const char *state_root;
    const char *id;
    const char *criu;       /* the binary (berth_criu_find) */
    const char *image_path; /* created if missing */
    const char *work_path;  /* logs; NULL: image_path */
    bool leave_running;     /* else the container is stopped and deleted, as runc's */
    struct berth_criu_flags flags;
};

/* Dumps a running or paused container into image_path. EINVAL naming the
 * status when it is neither, ENOENT for an unknown one (nothing written);
 * a failure of criu itself (EIO, criu's first error and its log) leaves the
 * container as it was. */
int berth_container_checkpoint(const struct berth_checkpoint_opts *o, struct berth_error **err);

struct berth_restore_opts {
    const char *state_root;
    const char *id;
    const char *bundle; /* config.json of the container (the checkpointed one's) */
    const char *criu;
    const char *image_path;  /* must hold a checkpoint */
    const char *work_path;   /* NULL: image_path */
    const char *pid_file;    /* may be NULL */
    const char *cgroup_root; /* NULL: "/sys/fs/cgroup" */
    const int *stdio;        /* what the restored stdio that led outside gets; NULL: 0, 1, 2 */
    struct berth_criu_flags flags;
};

/* Restores the container `id` (new: EEXIST if it exists) from image_path;
 * *ret is the caller's handle, as berth_container_create's (the restored
 * init is the caller's child). ENOENT when image_path holds no checkpoint,
 * checked before anything is made; on any failure nothing is left. */
int berth_container_restore(const struct berth_restore_opts *o, struct berth_container **ret,
                            struct berth_error **err);
