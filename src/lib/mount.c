#include "mount.h"
#include "cleanup.h"
#include "error.h"
#include "copyup.h"
#include "fs.h"
#include "mountopt.h"
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

int berth_mount_propagation(int rootfd, const char *dest, unsigned long prop,
                            struct berth_error **err)
{
    char buf[32];
    /* Reopen: the fd taken before mounting names the covered directory, not
     * the new mount on top of it. */
    _cleanup_close_ int fd = berth_fs_open_in_root(rootfd, dest, BERTH_MKPATH_NONE, err);
    if (fd < 0)
        return fd;
    if (mount(NULL, berth_fd_path(fd, buf), NULL, prop, NULL) < 0)
        return berth_error_set_sys(err, errno, "cannot set propagation of '%s'", dest);
    return 0;
}

int berth_mount_remount_bind(int rootfd, const char *dest, unsigned long flags,
                             struct berth_error **err)
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
        return berth_error_set_sys(err, errno, "cannot remount '%s'", dest);
    return 0;
}

/* mount_setattr(2) on the mount at `dest` and every mount below it. */
static int set_attr_recursive(int rootfd, const char *dest, unsigned long long set,
                              unsigned long long clr, struct berth_error **err)
{
    struct mount_attr attr = {.attr_set = set, .attr_clr = clr};
    _cleanup_close_ int fd = berth_fs_open_in_root(rootfd, dest, BERTH_MKPATH_NONE, err);
    if (fd < 0)
        return fd;
    if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) == 0)
        return 0;
    if (errno == ENOSYS)
        return berth_error_set_sys(err, errno,
                                   "cannot apply the options of '%s' to its submounts: "
                                   "mount_setattr needs Linux 5.12",
                                   dest);
    return berth_error_set_sys(err, errno, "cannot apply the options of '%s' to its submounts",
                               dest);
}

/* The flags of an rbind (ro, nosuid, …) reach every submount, not only the
 * top one a bind remount would change; recursive options apply as given. */
static int bind_flags(int rootfd, const struct berth_mount *m, struct berth_error **err)
{
    unsigned long long set = 0, clr = 0;
    int r = 0;

    if ((m->flags & BERTH_REMOUNT_FLAGS) && !(m->flags & MS_REC))
        r = berth_mount_remount_bind(rootfd, m->destination, m->flags & BERTH_REMOUNT_FLAGS, err);
    if (m->flags & MS_REC)
        berth_mount_flags_to_attr(m->flags, &set, &clr);
    set = (set & ~m->rec_clr) | m->rec_set;
    clr = (clr & ~m->rec_set) | m->rec_clr;
    if (r >= 0 && (set | clr))
        r = set_attr_recursive(rootfd, m->destination, set, clr, err);
    return r;
}

int berth_mount_bind(int rootfd, const struct berth_mount *m, struct berth_error **err)
{
    struct stat st;
    char buf[32];

    if (stat(m->source, &st) < 0)
        return berth_error_set_sys(err, errno, "cannot bind mount '%s' on '%s'", m->source,
                                   m->destination);
    enum berth_mkpath mk = S_ISDIR(st.st_mode) ? BERTH_MKPATH_DIR : BERTH_MKPATH_FILE;
    _cleanup_close_ int fd = berth_fs_open_in_root(rootfd, m->destination, mk, err);
    if (fd < 0)
        return fd;
    if (mount(m->source, berth_fd_path(fd, buf), NULL, MS_BIND | (m->flags & MS_REC), NULL) < 0)
        return berth_error_set_sys(err, errno, "cannot bind mount '%s' on '%s'", m->source,
                                   m->destination);
    return bind_flags(rootfd, m, err);
}

int berth_mount_bind_tree(int rootfd, const struct berth_mount *m, int tree_fd,
                          struct berth_error **err)
{
    struct stat st;
    if (fstat(tree_fd, &st) < 0)
        return berth_error_set_sys(err, errno, "cannot bind mount '%s'", m->source);
    enum berth_mkpath mk = S_ISDIR(st.st_mode) ? BERTH_MKPATH_DIR : BERTH_MKPATH_FILE;
    _cleanup_close_ int fd = berth_fs_open_in_root(rootfd, m->destination, mk, err);
    if (fd < 0)
        return fd;
    if (move_mount(tree_fd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return berth_error_set_sys(err, errno, "cannot bind mount the idmapped '%s' on '%s'",
                                   m->source, m->destination);
    return bind_flags(rootfd, m, err);
}

int berth_mount_fs(int rootfd, const char *src, const char *type, const char *dest,
                   unsigned long flags, const char *data, struct berth_error **err)
{
    char buf[32];
    _cleanup_close_ int fd = berth_fs_open_in_root(rootfd, dest, BERTH_MKPATH_DIR, err);
    if (fd < 0)
        return fd;
    if (mount(src ? src : type, berth_fd_path(fd, buf), type, flags & ~(MS_BIND | MS_REC), data) <
        0)
        return berth_error_set_sys(err, errno, "cannot mount '%s' on '%s'", type, dest);
    return 0;
}

int berth_mount_tmpfs_copyup(int rootfd, const struct berth_mount *m, const char *data,
                             struct berth_error **err)
{
    unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_RDONLY);
    char buf[32];
    _cleanup_close_ int at = berth_fs_open_in_root(rootfd, m->destination, BERTH_MKPATH_DIR, err);
    if (at < 0)
        return at;
    /* The covered directory stays reachable through this fd under the tmpfs. */
    _cleanup_close_ int src = openat(at, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (src < 0)
        return berth_error_set_sys(err, errno, "cannot open '%s' to copy it up", m->destination);
    if (mount(m->source ? m->source : "tmpfs", berth_fd_path(at, buf), "tmpfs", flags, data) < 0)
        return berth_error_set_sys(err, errno, "cannot mount 'tmpfs' on '%s'", m->destination);
    _cleanup_close_ int top = berth_fs_open_in_root(rootfd, m->destination, BERTH_MKPATH_NONE, err);
    if (top < 0)
        return top;
    _cleanup_close_ int dst = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dst < 0)
        return berth_error_set_sys(err, errno, "cannot open the tmpfs on '%s'", m->destination);
    int r = berth_copy_root_attrs(src, dst, data, m->destination, err);
    if (r >= 0)
        r = berth_copy_tree(src, dst, m->destination, err);
    /* read-only once filled */
    if (r >= 0 && (m->flags & MS_RDONLY))
        r = berth_mount_remount_bind(rootfd, m->destination, MS_RDONLY, err);
    return r;
}
