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

static int openat2_in_root(int rootfd, const char *path, int flags)
{
    struct open_how how = {
        .flags = flags | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
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

/* Creates one missing component below the deepest existing ancestor. The
 * component did not exist when looked up, so it is not a symlink; a racing
 * creator only makes mkdirat/openat fail with EEXIST, which we accept. */
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

static int mkpath(int rootfd, char *rel, enum berth_mkpath mk)
{
    /* Walk forward: for each prefix, create it if missing. Each step resolves
     * again from the root so a symlink planted by the image stays inside. */
    char *p = rel;
    for (;;) {
        char *slash = strchr(p, '/');
        bool last = slash == NULL;
        if (!last)
            *slash = '\0';
        if (*p != '\0' && !streq(p, ".")) {
            int fd = openat2_in_root(rootfd, rel, O_PATH);
            if (fd == -ENOENT) {
                char *cut = strrchr(rel, '/');
                _cleanup_close_ int pfd = -1;
                if (cut)
                    *cut = '\0';
                pfd = openat2_in_root(rootfd, cut ? rel : ".", O_PATH | O_DIRECTORY);
                if (cut)
                    *cut = '/';
                if (pfd < 0)
                    return pfd;
                int r = create_component(pfd, cut ? cut + 1 : rel, last && (mk & BERTH_MKPATH_FILE));
                if (r < 0)
                    return r;
            } else if (fd < 0) {
                return fd;
            } else {
                close(fd);
            }
        }
        if (last)
            return 0;
        *slash = '/';
        p = slash + 1;
    }
}

int berth_fs_open_in_root(int rootfd, const char *path, enum berth_mkpath mk,
                          struct berth_error **err)
{
    int fd = openat2_in_root(rootfd, path, O_PATH);
    if (fd >= 0 || fd != -ENOENT || mk == BERTH_MKPATH_NONE) {
        if (fd < 0)
            return berth_error_set(err, -fd, "cannot resolve '%s' in the rootfs", path);
        return fd;
    }
    const char *rel = path;
    while (*rel == '/')
        rel++;
    _cleanup_free_ char *copy = xstrdup(rel);
    int r = mkpath(rootfd, copy, mk);
    if (r < 0)
        return berth_error_set(err, -r, "cannot create '%s' in the rootfs", path);
    fd = openat2_in_root(rootfd, path, O_PATH);
    if (fd < 0)
        return berth_error_set(err, -fd, "cannot resolve '%s' in the rootfs", path);
    return fd;
}

int berth_fs_open_parent_in_root(int rootfd, const char *path, const char **ret_name,
                                 struct berth_error **err)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (*name == '\0' || streq(name, ".") || streq(name, ".."))
        return berth_error_set(err, EINVAL, "invalid path '%s'", path);
    _cleanup_free_ char *parent = slash ? strndup(path, slash - path) : xstrdup(".");
    if (parent == NULL)
        abort();
    int fd = berth_fs_open_in_root(rootfd, *parent ? parent : "/", BERTH_MKPATH_DIR, err);
    if (fd < 0)
        return fd;
    *ret_name = name;
    return fd;
}
