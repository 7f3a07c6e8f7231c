#include "fs.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int openat2_in_root(int rootfd, const char *path, int flags, enum berth_mkpath mk)
{
    struct open_how how = {
        .flags = flags | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
                   ((mk & BERTH_MKPATH_NO_SYMLINKS) ? RESOLVE_NO_SYMLINKS : 0),
    };
    while (*path == '/')
        path++;
    if (*path == '\0')
        path = ".";
    int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    return fd < 0 ? -errno : fd;
}

const char *berth_fd_path(int fd, char buf[32])
{
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
    return buf;
}

/* Creates a missing last component in the directory parentfd. It did not
 * exist when looked up, so it is not a symlink of the image's; a racing
 * creator only makes mkdirat/openat fail with EEXIST, which we accept, and
 * the caller resolves the path again from the root anyway. */
static int create_component(int parentfd, const char *name, bool file)
{
    if (file) {
        int fd = openat(parentfd, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 && errno != EEXIST)
            return -errno;
        if (fd >= 0)
            close(fd);
        return 0;
    }
    if (mkdirat(parentfd, name, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* Opens rel (no leading '/') inside rootfd, creating it and, recursively, its
 * missing parents. The common case, a missing leaf in an existing directory,
 * costs four syscalls. */
static int open_or_create(int rootfd, char *rel, enum berth_mkpath mk)
{
    int fd = openat2_in_root(rootfd, rel, O_PATH, mk);
    if (fd != -ENOENT)
        return fd;
    char *slash = strrchr(rel, '/');
    const char *name = slash ? slash + 1 : rel;
    if (*name == '\0' || streq(name, ".") || streq(name, ".."))
        return -EINVAL;
    int pfd;
    if (slash) {
        *slash = '\0';
        pfd = open_or_create(rootfd, rel, BERTH_MKPATH_DIR | (mk & BERTH_MKPATH_NO_SYMLINKS));
        *slash = '/';
    } else {
        pfd = openat2_in_root(rootfd, ".", O_PATH, mk);
    }
    if (pfd < 0)
        return pfd;
    int r = create_component(pfd, name, mk & BERTH_MKPATH_FILE);
    close(pfd);
    if (r < 0)
        return r;
    return openat2_in_root(rootfd, rel, O_PATH, mk);
}

int berth_fs_open_in_root(int rootfd, const char *path, enum berth_mkpath mk,
                          struct berth_error **err)
{
    if ((mk & (BERTH_MKPATH_DIR | BERTH_MKPATH_FILE)) == 0) {
        int fd = openat2_in_root(rootfd, path, O_PATH, mk);
        if (fd < 0)
            return berth_error_set_sys(err, -fd, "cannot resolve '%s' in the rootfs", path);
        return fd;
    }
    const char *rel = path;
    while (*rel == '/')
        rel++;
    _cleanup_free_ char *copy = xstrdup(rel);
    size_t n = strlen(copy);
    while (n > 0 && copy[n - 1] == '/')
        copy[--n] = '\0';
    int fd = open_or_create(rootfd, copy, mk);
    if (fd < 0)
        return berth_error_set_sys(err, -fd, "cannot create '%s' in the rootfs", path);
    return fd;
}

int berth_fs_open_parent_in_root(int rootfd, const char *path, enum berth_mkpath mk,
                                 const char **ret_name, struct berth_error **err)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (*name == '\0' || streq(name, ".") || streq(name, ".."))
        return berth_error_set(err, EINVAL, "invalid path '%s'", path);
    _cleanup_free_ char *parent = slash ? strndup(path, slash - path) : xstrdup(".");
    if (parent == NULL)
        abort();
    int fd = berth_fs_open_in_root(rootfd, *parent ? parent : "/", mk | BERTH_MKPATH_DIR, err);
    if (fd < 0)
        return fd;
    *ret_name = name;
    return fd;
}
