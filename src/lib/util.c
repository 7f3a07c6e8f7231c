#include "util.h"
#include "cleanup.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fault.h"

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

void *xzalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        abort();
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *p = NULL;

    va_start(ap, fmt);
    if (vasprintf(&p, fmt, ap) < 0)
        abort();
    va_end(ap);
    return p;
}

size_t strv_length(char **v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len, struct berth_error **err)
{
    _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot open '%s'", path);

    size_t cap = 4096, len = 0;
    _cleanup_free_ char *buf = xmalloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return berth_error_set(err, errno, "cannot read '%s'", path);
        if (r == 0)
            break;
        len += r;
    }
    buf[len] = '\0';
    if (ret_len)
        *ret_len = len;
    *ret = TAKE_PTR(buf);
    return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        data += w;
        len -= w;
    }
    return 0;
}

int write_file_at(int dirfd, const char *path, const char *data, size_t len,
                  struct berth_error **err)
{
    _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot open '%s'", path);
    int r = write_all(fd, data, len);
    if (r < 0)
        return berth_error_set(err, -r, "cannot write '%.*s' to '%s'", (int)(len > 64 ? 64 : len),
                               data, path);
    return 0;
}

int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len,
                         struct berth_error **err)
{
    _cleanup_free_ char *tmp = xasprintf(".%s.tmp", name);
    _cleanup_close_ int fd =
        openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot create '%s'", tmp);
    int r = write_all(fd, data, len);
    if (r < 0) {
        unlinkat(dirfd, tmp, 0);
        return berth_error_set(err, -r, "cannot write '%s'", tmp);
    }
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        r = errno;
        unlinkat(dirfd, tmp, 0);
        return berth_error_set(err, r, "cannot rename '%s' to '%s'", tmp, name);
    }
    return 0;
}

int parse_u64(const char *s, unsigned long long *ret)
{
    char *end = NULL;

    if (s == NULL || *s == '\0' || *s == '-' || *s == ' ')
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0')
        return -EINVAL;
    *ret = v;
    return 0;
}

int parse_i64(const char *s, long long *ret)
{
    char *end = NULL;

    if (s == NULL || *s == '\0' || *s == ' ')
        return -EINVAL;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0')
        return -EINVAL;
    *ret = v;
    return 0;
}

static int rm_rf_children(int dfd, struct berth_error **err)
{
    _cleanup_closedir_ DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return berth_error_set(err, errno, "cannot list directory");
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        int r = rm_rf_at(dirfd(d), de->d_name, err);
        if (r < 0)
            return r;
    }
    return 0;
}

int rm_rf_at(int dirfd, const char *name, struct berth_error **err)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return berth_error_set(err, errno, "cannot remove '%s'", name);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot open '%s'", name);
    int r = rm_rf_children(fd, err);
    if (r < 0)
        return r;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return berth_error_set(err, errno, "cannot remove '%s'", name);
    return 0;
}

char *path_lookup(const char *name, const char *path)
{
    _cleanup_free_ char *copy = xstrdup(path && *path ? path : DEFAULT_EXEC_PATH);
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        _cleanup_free_ char *p = xasprintf("%s/%s", d, name);
        if (access(p, X_OK) == 0)
            return TAKE_PTR(p);
    }
    return NULL;
}

unsigned long long proc_start_time(pid_t pid)
{
    char path[64], buf[1024];

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* comm may contain spaces and ')': fields restart after the last ')' */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return 0;
    p += 2;
    if (*p == 'Z' || *p == 'X')
        return 0;
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}

static bool fd_kept(int fd, const int *keep, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (keep[i] == fd)
            return true;
    return false;
}

static int close_range_except(const int *keep, size_t n)
{
    unsigned lo = 3;

    if (berth_fault("close-range"))
        return -ENOSYS;
    for (;;) {
        /* the lowest kept fd at or above lo ends the range to close */
        unsigned next = ~0U;
        for (size_t i = 0; i < n; i++)
            if (keep[i] >= (int)lo && (unsigned)keep[i] < next)
                next = (unsigned)keep[i];
        unsigned hi = next == ~0U ? ~0U : next - 1;
        if (next > lo && syscall(SYS_close_range, lo, hi, 0) < 0)
            return -errno;
        if (next == ~0U)
            return 0;
        lo = next + 1;
    }
}

void close_fds_except(const int *keep, size_t n)
{
    if (close_range_except(keep, n) == 0)
        return;
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return;
    /* closing while listing is safe: readdir works on the directory fd,
     * which is kept until the end */
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        long long fd;
        if (parse_i64(de->d_name, &fd) < 0 || fd < 3 || fd == dirfd(d) || fd_kept(fd, keep, n))
            continue;
        close((int)fd);
    }
    closedir(d);
}

int write_pid_file(const char *path, pid_t pid, struct berth_error **err)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", pid);
    _cleanup_free_ char *copy = xstrdup(path);
    char *slash = strrchr(copy, '/');
    const char *dir = slash ? (slash == copy ? "/" : copy) : ".";
    const char *name = slash ? slash + 1 : copy;
    if (slash)
        *slash = '\0';
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berth_error_set(err, errno, "cannot open the directory of pid file '%s'", path);
    int r = write_file_atomic_at(dfd, name, buf, n, err);
    return r < 0 ? berth_error_wrap(err, "cannot write pid file '%s'", path) : 0;
}
