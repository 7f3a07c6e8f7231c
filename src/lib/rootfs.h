#pragma once
/* The container's filesystem view, built inside the child's new mount
 * namespace: config mounts (destinations confined to the rootfs), device
 * nodes, pivot_root with the old root detached, then sysctls, masked and
 * read-only paths. */
struct berth_config;
struct berth_cgroup;
struct berth_error;

struct berth_rootfs_ctx {
    const struct berth_config *config;
    const struct berth_cgroup *cgroup; /* for "cgroup" mounts; may be NULL */
    /* Called once, before the first "cgroup" mount: the container's cgroup
     * (and cgroup namespace) must exist before it can be shown inside. */
    int (*before_cgroup_mount)(void *data, struct berth_error **err);
    /* Called once the device nodes exist (the device cgroup rules may only
     * apply after that). May be NULL. */
    int (*after_devices)(void *data, struct berth_error **err);
    void *data;
};

/* Propagation, the rootfs bind, every mount, the device nodes. */
int berth_rootfs_prepare(const struct berth_rootfs_ctx *ctx, struct berth_error **err);
/* pivot_root into config->root_path and detach the old root. */
int berth_rootfs_pivot(const struct berth_config *c, struct berth_error **err);
/* After pivot: sysctls, readonlyPaths, maskedPaths, root.readonly,
 * rootfsPropagation. */
int berth_rootfs_finish(const struct berth_config *c, struct berth_error **err);
