#pragma once
/* The container's filesystem view, built inside the child's new mount
 * namespace: config mounts (destinations confined to the rootfs), device
 * nodes, pivot_root with the old root detached, then sysctls, masked and
 * read-only paths. */
#include <stdbool.h>

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
    /* per mount: the detached idmapped tree of an "idmap" bind (userns.h),
     * else -1; NULL when there is none */
    const int *idmap_fds;
};

/* Propagation, the rootfs bind, every mount, the device nodes. */
int berth_rootfs_prepare(const struct berth_rootfs_ctx *ctx, struct berth_error **err);
/* pivot_root into config->root_path and detach the old root; with
 * `no_pivot`, move the rootfs mount onto "/" and chroot instead (unsafe:
 * the old root stays in the namespace, under the new one). */
int berth_rootfs_pivot(const struct berth_config *c, bool no_pivot, struct berth_error **err);
/* Without a mount namespace of the container's own (none, or one joined by
 * path): no mounts, no device nodes, only sysctls and a chroot into
 * config->root_path as it resolves in the mount namespace we are in, as
 * crun does. The parser refuses what would need mounting. */
int berth_rootfs_chroot(const struct berth_config *c, struct berth_error **err);
/* After pivot: sysctls, readonlyPaths, maskedPaths, root.readonly,
 * rootfsPropagation. */
int berth_rootfs_finish(const struct berth_config *c, struct berth_error **err);
