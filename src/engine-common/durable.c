#include "durable.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

static int write_all_fd(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int durable_write(const char *dir, const char *name, const char *data, size_t len,
                  struct berth_error **err)
{
    _cleanup_close_ int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dfd < 0)
        return berth_error_set(err, errno, "cannot open '%s'", dir);
    _cleanup_free_ char *tmp = xasprintf(".%s.tmp", name);
    _cleanup_close_ int fd =
        openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot create '%s/%s'", dir, tmp);
    int r = write_all_fd(fd, data, len);
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
        r = -errno;
    if (r < 0) {
        unlinkat(dfd, tmp, 0);
        return berth_error_set(err, -r, "cannot write '%s/%s'", dir, name);
    }
    fsync(dfd);
    return 0;
}

int durable_write_json(const char *dir, const char *name, const json_t *j, struct berth_error **err)
{
    _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
    if (text == NULL)
        return berth_error_set(err, ENOMEM, "cannot encode '%s'", name);
    return durable_write(dir, name, text, strlen(text), err);
}

json_t *json_read_file(const char *dir, const char *name, struct berth_error **err)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (j == NULL) {
        int e = access(path, F_OK) < 0 ? ENOENT : EINVAL;
        berth_error_set(err, e, "cannot read '%s': %s", path, je.text);
    }
    return j;
}

const char *fmt_time(const struct timespec *ts, char buf[40])
{
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 40 - n, ".%09ldZ", ts->tv_nsec);
    return buf;
}

void random_hex_id(char buf[65])
{
    unsigned char b[32];
    size_t got = 0;
    while (got < sizeof(b)) {
        ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
        if (n > 0)
            got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(buf + 2 * i, 3, "%02x", b[i]);
}

int mkdir_p(const char *path, unsigned mode, struct berth_error **err)
{
    _cleanup_free_ char *p = xstrdup(path);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST)
            return berth_error_set(err, errno, "cannot create '%s'", p);
        *s = c;
        if (c == '\0')
            return 0;
    }
}
