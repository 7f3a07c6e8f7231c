#include "rootfs.h"
#include "cgroup.h"
#include "cleanup.h"
#include "devices.h"
#include "error.h"
#include "fs.h"
#include "oci.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define REMOUNT_FLAGS                                                                              \
    (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |     \
     MS_STRICTATIME)

static int set_propagation(int rootfd, const char *dest, unsigned long prop,
                           struct berth_error **err)
{
    char buf[32];
    /* Reopen: the fd taken before mounting names the covered directory, not
     * the new mount on top of it. */
    _cleanup_close_ int fd = berth_fs_open_in_root(rootfd, dest, BERTH_MKPATH_NONE, err);
    if (fd < 0)
        return fd;
    if (mount(NULL, berth_fd_path(fd, buf), NULL, prop, NULL) < 0)
        return berth_error_set(err, errno, "cannot set propagation of '%s'", dest);
    return 0;
}

static int remount_bind(int rootfd, const char *dest, unsigned long flags, struct berth_error **err)
{
    char buf[32];
    struct statvfs sv;
    _cleanup_close_ int fd = berth_fs_open_in_root(rootfd, dest, BERTH_MKPATH_NONE, err);
    if (fd < 0)
        return fd;
    /* Keep the flags the mount already has (nosuid, nodev…): dropping them
     * on remount is refused inside user namespaces and surprising elsewhere. */
    if (fstatvfs(fd, &sv) == 0) {
        flags |= (sv.f_flag & ST_NOSUID) ? MS_NOSUID : 0;
        flags |= (sv.f_flag & ST_NODEV) ? MS_NODEV : 0;
        flags |= (sv.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0;
    }
    if (mount(NULL, berth_fd_path(fd, buf), NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
        return berth_error_set(err, errno, "cannot remount '%s'", dest);
    return 0;
}

static int mount_bind(int rootfd, const struct berth_mount *m, struct berth_error **err)
{
    struct stat st;
    char buf[32];

    if (stat(m->source, &st) < 0)
        return berth_error_set(err, errno, "cannot bind mount '%s'", m->source);
    enum berth_mkpath mk = S_ISDIR(st.st_mode) ? BERTH_MKPATH_DIR : BERTH_MKPATH_FILE;
    _cleanup_close_ int fd = berth_fs_open_in_root(rootfd, m->destination, mk, err);
    if (fd < 0)
        return fd;
    if (mount(m->source, berth_fd_path(fd, buf), NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
        return berth_error_set(err, errno, "cannot bind mount '%s' on '%s'", m->source,
                               m->destination);
    if (m->flags & REMOUNT_FLAGS) {
        int r = remount_bind(rootfd, m->destination, m->flags & REMOUNT_FLAGS, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int mount_fs(int rootfd, const char *src, const char *type, const char *dest,
                    unsigned long flags, const char *data, struct berth_error **err)
{
    char buf[32];
    _cleanup_close_ int fd = berth_fs_open_in_root(rootfd, dest, BERTH_MKPATH_DIR, err);
    if (fd < 0)
        return fd;
    if (mount(src ? src : type, berth_fd_path(fd, buf), type, flags & ~(MS_BIND | MS_REC), data) <
        0)
        return berth_error_set(err, errno, "cannot mount '%s' on '%s'", type, dest);
    return 0;
}

/* cgroup v1 inside: a tmpfs with one directory per hierarchy, each showing
 * the container's own cgroup (bind mounts of it). */
static int mount_cgroup_v1(int rootfd, const struct berth_mount *m, const struct berth_cgroup *cg,
                           struct berth_error **err)
{
    unsigned long fl = m->flags & ~MS_RDONLY;
    int r = mount_fs(rootfd, "tmpfs", "tmpfs", m->destination, fl, "mode=755", err);
    for (size_t i = 0; r >= 0 && i < cg->n_h; i++) {
        struct berth_mount b = {.source = cg->h[i].dir,
                                .flags = MS_BIND | (m->flags & REMOUNT_FLAGS)};
        b.destination = xasprintf("%s/%s", m->destination, cg->h[i].name);
        r = mount_bind(rootfd, &b, err);
        free(b.destination);
        /* co-mounted hierarchies get per-controller links, as on the host */
        char *comma = strchr(cg->h[i].name, ',');
        for (char *p = cg->h[i].name; r >= 0 && comma && p;) {
            char *e = strchr(p, ',');
            _cleanup_free_ char *name = e ? strndup(p, e - p) : xstrdup(p);
            _cleanup_free_ char *link = xasprintf("%s/%s", m->destination, name);
            const char *ln = NULL;
            _cleanup_close_ int dfd = berth_fs_open_parent_in_root(rootfd, link, &ln, err);
            if (dfd < 0)
                return dfd;
            (void)symlinkat(cg->h[i].name, dfd, ln);
            p = e ? e + 1 : NULL;
        }
    }
    if (r >= 0 && (m->flags & MS_RDONLY))
        r = remount_bind(rootfd, m->destination, m->flags & REMOUNT_FLAGS, err);
    return r;
}

static int mount_cgroup(const struct berth_rootfs_ctx *ctx, int rootfd, const struct berth_mount *m,
                        struct berth_error **err)
{
    const struct berth_cgroup *cg = ctx->cgroup;
    int r = ctx->before_cgroup_mount ? ctx->before_cgroup_mount(ctx->data, err) : 0;
    if (r < 0)
        return r;
    if (cg == NULL)
        return berth_error_set(err, EINVAL, "cannot mount cgroup on '%s': no cgroup",
                               m->destination);
    if (cg->ops->mode == BERTH_CGROUP_V1)
        return mount_cgroup_v1(rootfd, m, cg, err);
    if (ctx->config->ns[BERTH_NS_CGROUP].enabled)
        return mount_fs(rootfd, "cgroup2", "cgroup2", m->destination, m->flags, NULL, err);
    struct berth_mount b = {.source = cg->h[0].dir,
                            .destination = m->destination,
                            .flags = MS_BIND | (m->flags & REMOUNT_FLAGS)};
    return mount_bind(rootfd, &b, err);
}

static int do_mount(const struct berth_rootfs_ctx *ctx, int rootfd, const struct berth_mount *m,
                    struct berth_error **err)
{
    int r;
    if (streq(m->type, "cgroup") || streq(m->type, "cgroup2"))
        r = mount_cgroup(ctx, rootfd, m, err);
    else if (m->is_bind)
        r = mount_bind(rootfd, m, err);
    else
        r = mount_fs(rootfd, m->source, m->type, m->destination, m->flags, m->data, err);
    if (r >= 0 && m->propagation)
        r = set_propagation(rootfd, m->destination, m->propagation, err);
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
        return berth_error_set(err, errno, "cannot make '/' a slave mount");
    if (mount(c->root_path, c->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return berth_error_set(err, errno, "cannot bind mount the rootfs '%s'", c->root_path);
    _cleanup_close_ int rootfd = open(c->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return berth_error_set(err, errno, "cannot open the rootfs '%s'", c->root_path);
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

int berth_rootfs_pivot(const struct berth_config *c, struct berth_error **err)
{
    if (chdir(c->root_path) < 0)
        return berth_error_set(err, errno, "cannot enter the rootfs '%s'", c->root_path);
    /* pivot_root(".", ".") stacks the old root on top of the new one; the
     * detach below then removes it, so no put_old directory is needed and
     * the rootfs can be read-only. */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return berth_error_set(err, errno, "cannot pivot_root into '%s'", c->root_path);
    if (umount2(".", MNT_DETACH) < 0)
        return berth_error_set(err, errno, "cannot detach the old root");
    if (chdir("/") < 0)
        return berth_error_set(err, errno, "cannot chdir to the new root");
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
        return berth_error_set(err, -r, "cannot set sysctl '%s' to '%s'", s->key, s->value);
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
        return berth_error_set(err, errno, "cannot stat masked path '%s'", path);
    int r = S_ISDIR(st.st_mode)
                ? mount("tmpfs", berth_fd_path(fd, buf), "tmpfs", MS_RDONLY, "size=0,nr_inodes=1")
                : mount("/dev/null", berth_fd_path(fd, buf), NULL, MS_BIND, NULL);
    if (r < 0)
        return berth_error_set(err, errno, "cannot mask '%s'", path);
    return 0;
}

static int readonly_path(const char *path, struct berth_error **err)
{
    char buf[32];
    _cleanup_close_ int fd = berth_fs_open_in_root(AT_FDCWD, path, BERTH_MKPATH_NONE, NULL);
    if (fd < 0)
        return 0;
    if (mount(berth_fd_path(fd, buf), buf, NULL, MS_BIND | MS_REC, NULL) < 0)
        return berth_error_set(err, errno, "cannot make '%s' read-only", path);
    return remount_bind(AT_FDCWD, path, MS_RDONLY, err);
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
    if (c->root_readonly && (r = remount_bind(AT_FDCWD, "/", MS_RDONLY, err)) < 0)
        return r;
    if (c->rootfs_propagation && mount(NULL, "/", NULL, c->rootfs_propagation, NULL) < 0)
        return berth_error_set(err, errno, "cannot set the rootfs propagation");
    return 0;
}
