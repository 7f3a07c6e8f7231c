/* Paths into a tar, walked by directory fds: below the top, no symlink
 * is followed (O_NOFOLLOW, names from readdir only), so a tree that
 * changes while it is read cannot lead the walk elsewhere. For docker cp
 * (berthd's archive.c, berth cp). */
#include "tarwalk.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WALK_DEPTH_MAX 256

/* size bytes of fd (the header's); a file that shrank meanwhile is
 * padded with zeros, one that grew is cut. */
static int copy_data(struct archive *a, int fd, off_t size, const char *name,
                     struct berth_error **err)
{
    static const char zeros[65536];
    char buf[65536];
    for (off_t done = 0; done < size;) {
        size_t want = size - done < (off_t)sizeof(buf) ? (size_t)(size - done) : sizeof(buf);
        ssize_t n = read(fd, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        const char *from = n > 0 ? buf : zeros;
        size_t len = n > 0 ? (size_t)n : want;
        if (archive_write_data(a, from, len) < 0)
            return berth_error_set(err, EIO, "cannot archive '%s': %s", name,
                                   archive_error_string(a));
        done += (off_t)len;
    }
    return 0;
}

static int add_path(struct archive *a, int dirfd, const char *base, const char *name, int depth,
                    bool follow, struct berth_error **err);

static int add_children(struct archive *a, int dfd, const char *name, int depth,
                        struct berth_error **err)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return berth_error_set(err, errno, "cannot read '%s'", name);
    }
    int r = 0;
    for (struct dirent *de; r == 0 && (de = readdir(d));) {
        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        _cleanup_free_ char *child = xasprintf("%s/%s", name, de->d_name);
        r = add_path(a, dfd, de->d_name, child, depth + 1, false, err);
    }
    closedir(d);
    return r;
}

static int add_path(struct archive *a, int dirfd, const char *base, const char *name, int depth,
                    bool follow, struct berth_error **err)
{
    struct stat st;
    if (depth > WALK_DEPTH_MAX)
        return berth_error_set(err, ELOOP, "cannot archive '%s': nested too deep", name);
    if (fstatat(dirfd, base, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT && depth > 0 ? 0
                                            : berth_error_set(err, errno, "cannot stat '%s'", name);
    if (S_ISSOCK(st.st_mode))
        return 0; /* tar has no sockets */
    _cleanup_close_ int fd = -1;
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        fd = openat(dirfd, base,
                    O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW) |
                        (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
        if (fd < 0 || fstat(fd, &st) < 0)
            return errno == ENOENT ? 0 : berth_error_set(err, errno, "cannot open '%s'", name);
    }
    struct archive_entry *e = archive_entry_new();
    archive_entry_copy_stat(e, &st);
    archive_entry_set_pathname(e, name);
    if (S_ISLNK(st.st_mode)) {
        char link[4096];
        ssize_t n = readlinkat(dirfd, base, link, sizeof(link) - 1);
        link[n > 0 ? n : 0] = '\0';
        archive_entry_set_symlink(e, link);
    }
    if (!S_ISREG(st.st_mode))
        archive_entry_set_size(e, 0);
    int r =
        archive_write_header(a, e) == ARCHIVE_OK
            ? 0
            : berth_error_set(err, EIO, "cannot archive '%s': %s", name, archive_error_string(a));
    archive_entry_free(e);
    if (r == 0 && S_ISREG(st.st_mode))
        r = copy_data(a, fd, st.st_size, name, err);
    if (r == 0 && S_ISDIR(st.st_mode))
        r = add_children(a, fd, name, depth, err);
    return r;
}

int tarwalk_add(struct archive *a, int dirfd, const char *base, const char *name, bool follow,
                struct berth_error **err)
{
    return add_path(a, dirfd, base, name, 0, follow, err);
}
