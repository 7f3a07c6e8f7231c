#include "copyup.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper trees are refused rather than followed down to fd exhaustion. */
#define MAX_DEPTH 128

static int copy_entries(int srcfd, int dstfd, const char *path, unsigned depth,
                        struct berth_error **err);

static int fail(struct berth_error **err, int errnum, const char *path)
{
    return berth_error_set(err, errnum, "cannot copy '%s' into the tmpfs", path);
}

/* Owner first: chown clears the set-id bits a chmod has just set. */
static int set_fd_attrs(int fd, const struct stat *st)
{
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0 ||
        futimens(fd, ts) < 0)
        return -errno;
    return 0;
}

static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? -errno : -EIO;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

static int copy_data(int in, int out)
{
    char buf[65536];
    for (;;) {
        ssize_t n = sendfile(out, in, NULL, 1 << 30);
        if (n > 0)
            continue;
        if (n == 0)
            return 0;
        if (errno != EINVAL && errno != ENOSYS)
            return -errno;
        break;
    }
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n == 0)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        int r = write_all(out, buf, (size_t)n);
        if (r < 0)
            return r;
    }
}

static int copy_file(int srcfd, int dstfd, const char *name, const struct stat *st,
                     const char *path, struct berth_error **err)
{
    _cleanup_close_ int in = openat(srcfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (in < 0)
        return fail(err, errno, path);
    _cleanup_close_ int out =
        openat(dstfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return fail(err, errno, path);
    int r = copy_data(in, out);
    if (r == 0)
        r = set_fd_attrs(out, st);
    return r < 0 ? fail(err, -r, path) : 0;
}

static int copy_link(int srcfd, int dstfd, const char *name, const struct stat *st,
                     const char *path, struct berth_error **err)
{
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    char target[PATH_MAX];
    ssize_t n = readlinkat(srcfd, name, target, sizeof(target) - 1);
    if (n < 0)
        return fail(err, errno, path);
    target[n] = '\0';
    if (symlinkat(target, dstfd, name) < 0 ||
        fchownat(dstfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
        utimensat(dstfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return fail(err, errno, path);
    return 0;
}

/* fifos, sockets and device nodes: made new, never opened */
static int copy_node(int dstfd, const char *name, const struct stat *st, const char *path,
                     struct berth_error **err)
{
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    if (mknodat(dstfd, name, st->st_mode & S_IFMT, st->st_rdev) < 0)
        return fail(err, errno, path);
    /* the name was just made by mknodat: it is no symlink to follow */
    if (fchownat(dstfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
        fchmodat(dstfd, name, st->st_mode & 07777, 0) < 0 ||
        utimensat(dstfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
        return fail(err, errno, path);
    return 0;
}

static int copy_dir(int srcfd, int dstfd, const char *name, const struct stat *st, const char *path,
                    unsigned depth, struct berth_error **err)
{
    if (depth >= MAX_DEPTH)
        return berth_error_set(err, ELOOP, "cannot copy '%s' into the tmpfs: more than %d levels",
                               path, MAX_DEPTH);
    if (mkdirat(dstfd, name, 0700) < 0)
        return fail(err, errno, path);
    _cleanup_close_ int in = openat(srcfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int out = openat(dstfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0 || out < 0)
        return fail(err, errno, path);
    int r = copy_entries(in, out, path, depth + 1, err);
    if (r < 0)
        return r;
    /* last: the entries made above changed its times */
    r = set_fd_attrs(out, st);
    return r < 0 ? fail(err, -r, path) : 0;
}

static int copy_entry(int srcfd, int dstfd, const char *name, const char *parent, unsigned depth,
                      struct berth_error **err)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", parent, name);
    struct stat st;

    if (fstatat(srcfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return fail(err, errno, path);
    switch (st.st_mode & S_IFMT) {
    case S_IFDIR:
        return copy_dir(srcfd, dstfd, name, &st, path, depth, err);
    case S_IFREG:
        return copy_file(srcfd, dstfd, name, &st, path, err);
    case S_IFLNK:
        return copy_link(srcfd, dstfd, name, &st, path, err);
    default:
        return copy_node(dstfd, name, &st, path, err);
    }
}

static int copy_entries(int srcfd, int dstfd, const char *path, unsigned depth,
                        struct berth_error **err)
{
    int fd = openat(srcfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errno, path);
    _cleanup_closedir_ DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return fail(err, errno, path);
    }
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL)
            return errno ? fail(err, errno, path) : 0;
        if (streq(e->d_name, ".") || streq(e->d_name, ".."))
            continue;
        int r = copy_entry(srcfd, dstfd, e->d_name, path, depth, err);
        if (r < 0)
            return r;
    }
}

int berth_copy_tree(int srcfd, int dstfd, const char *what, struct berth_error **err)
{
    /* "/" as the tree would print "//x" */
    return copy_entries(srcfd, dstfd, streq(what, "/") ? "" : what, 0, err);
}

static bool has_option(const char *data, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = data; p && *p; p += strcspn(p, ","), p += *p == ',')
        if (strncmp(p, key, n) == 0)
            return true;
    return false;
}

int berth_copy_root_attrs(int srcfd, int dstfd, const char *data, const char *what,
                          struct berth_error **err)
{
    struct stat st;
    if (fstat(srcfd, &st) < 0)
        return fail(err, errno, what);
    uid_t uid = has_option(data, "uid=") ? (uid_t)-1 : st.st_uid;
    gid_t gid = has_option(data, "gid=") ? (gid_t)-1 : st.st_gid;
    if (fchown(dstfd, uid, gid) < 0 ||
        (!has_option(data, "mode=") && fchmod(dstfd, st.st_mode & 07777) < 0))
        return fail(err, errno, what);
    return 0;
}
