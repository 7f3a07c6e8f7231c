#include "rootfs.h"
#include "cgroup.h"
#include "mount.h"
#include "cleanup.h"
#include "devices.h"
#include "error.h"
#include "fs.h"
#include "lsm.h"
#include "mountopt.h"
#include "oci.h"
#include "userns.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static int mount_cgroup(const struct berth_rootfs_ctx *ctx, int rootfd, const struct berth_mount *m,
                        struct berth_error **err)
{
    int r = ctx->before_cgroup_mount ? ctx->before_cgroup_mount(ctx->data, err) : 0;
    if (r < 0)
        return r;
    /* a rootless container without a cgroup (container.c) */
    if (ctx->cgroup == NULL)
        return berth_userns_bind_host(rootfd, m, "/sys/fs/cgroup", MS_RDONLY, err);
    r = berth_cgroup_mount_inside(ctx->cgroup, rootfd, m->destination, m->flags,
                                  ctx->config->ns[BERTH_NS_CGROUP].enabled, err);
    /* runc's fallback: in a user namespace a cgroup2 mount can fail (EBUSY
     * on the host's cgroup2 that an rbind of /sys brought along, EPERM
     * without a cgroup namespace of its own); the container's own cgroup
     * directory is bound there instead (one hierarchy: v2) */
    const char *name = NULL, *dir = berth_cgroup_hier_dir(ctx->cgroup, 0, &name);
    if ((r == -EBUSY || r == -EPERM) && ctx->config->ns[BERTH_NS_USER].enabled && dir &&
        *name == '\0' && berth_cgroup_hier_dir(ctx->cgroup, 1, &name) == NULL) {
        berth_error_clear(err);
        r = berth_userns_bind_host(rootfd, m, dir, 0, err);
    }
    return r;
}

static int do_mount(const struct berth_rootfs_ctx *ctx, int rootfd, const struct berth_mount *m,
                    struct berth_error **err)
{
    int r;
    if (streq(m->type, "cgroup") || streq(m->type, "cgroup2"))
        r = mount_cgroup(ctx, rootfd, m, err);
    else if (m->is_bind && m->idmap && ctx->idmap_fds)
        r = berth_mount_bind_tree(rootfd, m, ctx->idmap_fds[m - ctx->config->mounts], err);
    else if (m->is_bind)
        r = berth_mount_bind(rootfd, m, err);
    else {
        _cleanup_free_ char *data =
            berth_lsm_mount_data(m->type, m->data, ctx->config->mount_label);
        r = m->tmpcopyup ? berth_mount_tmpfs_copyup(rootfd, m, data ? data : m->data, err)
                         : berth_mount_fs(rootfd, m->source, m->type, m->destination, m->flags,
                                          data ? data : m->data, err);
    }
    if (r == -EPERM && streq(m->type, "sysfs") && ctx->config->ns[BERTH_NS_USER].enabled) {
        berth_error_clear(err);
        r = berth_userns_bind_host(rootfd, m, "/sys", 0, err);
    }
    if (r >= 0 && m->propagation)
        r = berth_mount_propagation(rootfd, m->destination, m->propagation, err);
    return r;
}

static bool dev_is_bind(const struct berth_config *c)
{
    for (size_t i = 0; i < c->n_mounts; i++)
        if (streq(c->mounts[i].destination, "/dev"))
            return c->mounts[i].is_bind;
    return false;
}

int berth_rootfs_prepare(const struct berth_rootfs_ctx *ctx, struct berth_error **err)
{
    const struct berth_config *c = ctx->config;
    /* Nothing done in here may reach the host's mounts. */
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        return berth_error_set_sys(err, errno, "cannot make '/' a slave mount");
    if (mount(c->root_path, c->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return berth_error_set_sys(err, errno, "cannot bind mount the rootfs '%s'", c->root_path);
    _cleanup_close_ int rootfd = open(c->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return berth_error_set_sys(err, errno, "cannot open the rootfs '%s'", c->root_path);
    for (size_t i = 0; i < c->n_mounts; i++) {
        int r = do_mount(ctx, rootfd, &c->mounts[i], err);
        if (r < 0)
            return r;
    }
    int r = berth_devices_create(rootfd, c, !dev_is_bind(c), err);
    if (r >= 0 && ctx->after_devices)
        r = ctx->after_devices(ctx->data, err);
    return r;
}

/* --no-pivot (runc's, for a root on ramfs, where pivot_root fails): the
 * rootfs mount is moved over "/" and chrooted into. The old root stays
 * below it in the namespace, reachable for a process that escapes the
 * chroot: hence documented as unsafe. The host's /proc and /sys go first
 * (crun does the same), so their mounts cannot be reached through them. */
static int move_root(const struct berth_config *c, struct berth_error **err)
{
    static const char *const hide[] = {"/sys", "/proc"};
    for (size_t i = 0; i < ARRAY_SIZE(hide); i++)
        if (umount2(hide[i], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
            return berth_error_set_sys(err, errno, "cannot unmount the runtime's '%s'", hide[i]);
    if (mount(c->root_path, "/", NULL, MS_MOVE, NULL) < 0)
        return berth_error_set_sys(err, errno, "cannot move the rootfs '%s' onto '/'",
                                   c->root_path);
    if (chroot(".") < 0)
        return berth_error_set_sys(err, errno, "cannot chroot into '%s'", c->root_path);
    if (chdir("/") < 0)
        return berth_error_set_sys(err, errno, "cannot chdir to the new root");
    return 0;
}

int berth_rootfs_pivot(const struct berth_config *c, bool no_pivot, struct berth_error **err)
{
    if (chdir(c->root_path) < 0)
        return berth_error_set_sys(err, errno, "cannot enter the rootfs '%s'", c->root_path);
    if (no_pivot)
        return move_root(c, err);
    /* pivot_root(".", ".") stacks the old root on top of the new one; the
     * detach below then removes it, so no put_old directory is needed and
     * the rootfs can be read-only. */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return berth_error_set_sys(err, errno, "cannot pivot_root into '%s'", c->root_path);
    if (umount2(".", MNT_DETACH) < 0)
        return berth_error_set_sys(err, errno, "cannot detach the old root");
    if (chdir("/") < 0)
        return berth_error_set_sys(err, errno, "cannot chdir to the new root");
    return 0;
}

static int write_sysctl(const struct berth_sysctl *s, struct berth_error **err)
{
    _cleanup_free_ char *path = xasprintf("/proc/sys/%s", s->key);
    for (char *p = path + strlen("/proc/sys/"); *p; p++)
        if (*p == '.')
            *p = '/';
    int r = write_file_at(AT_FDCWD, path, s->value, strlen(s->value), NULL);
    if (r < 0)
        return berth_error_set_sys(err, -r, "cannot set sysctl '%s' to '%s'", s->key, s->value);
    return 0;
}

static int mask_path(const char *path, struct berth_error **err)
{
    struct stat st;
    char buf[32];
    _cleanup_close_ int fd = berth_fs_open_in_root(AT_FDCWD, path, BERTH_MKPATH_NONE, NULL);
    if (fd < 0)
        return 0; /* nothing to hide */
    if (fstat(fd, &st) < 0)
        return berth_error_set_sys(err, errno, "cannot stat masked path '%s'", path);
    int r = S_ISDIR(st.st_mode)
                ? mount("tmpfs", berth_fd_path(fd, buf), "tmpfs", MS_RDONLY, "size=0,nr_inodes=1")
                : mount("/dev/null", berth_fd_path(fd, buf), NULL, MS_BIND, NULL);
    if (r < 0)
        return berth_error_set_sys(err, errno, "cannot mask '%s'", path);
    return 0;
}

static int readonly_path(const char *path, struct berth_error **err)
{
    char buf[32];
    _cleanup_close_ int fd = berth_fs_open_in_root(AT_FDCWD, path, BERTH_MKPATH_NONE, NULL);
    if (fd < 0)
        return 0;
    if (mount(berth_fd_path(fd, buf), buf, NULL, MS_BIND | MS_REC, NULL) < 0)
        return berth_error_set_sys(err, errno, "cannot make '%s' read-only", path);
    return berth_mount_remount_bind(AT_FDCWD, path, MS_RDONLY, err);
}

int berth_rootfs_chroot(const struct berth_config *c, struct berth_error **err)
{
    int r;
    /* still through the /proc of the namespace we are in */
    for (size_t i = 0; i < c->n_sysctls; i++)
        if ((r = write_sysctl(&c->sysctls[i], err)) < 0)
            return r;
    if (chroot(c->root_path) < 0)
        return berth_error_set_sys(err, errno, "cannot chroot into '%s'", c->root_path);
    if (chdir("/") < 0)
        return berth_error_set_sys(err, errno, "cannot chdir to the new root");
    return 0;
}

/* Runs with the working directory at the new "/", so AT_FDCWD lookups
 * through fs.c are confined to the container root. */
int berth_rootfs_finish(const struct berth_config *c, struct berth_error **err)
{
    int r;
    for (size_t i = 0; i < c->n_sysctls; i++)
        if ((r = write_sysctl(&c->sysctls[i], err)) < 0)
            return r;
    for (char **p = c->readonly_paths; p && *p; p++)
        if ((r = readonly_path(*p, err)) < 0)
            return r;
    for (char **p = c->masked_paths; p && *p; p++)
        if ((r = mask_path(*p, err)) < 0)
            return r;
    if (c->root_readonly && (r = berth_mount_remount_bind(AT_FDCWD, "/", MS_RDONLY, err)) < 0)
        return r;
    if (c->rootfs_propagation && mount(NULL, "/", NULL, c->rootfs_propagation, NULL) < 0)
        return berth_error_set_sys(err, errno, "cannot set the rootfs propagation");
    return 0;
}
