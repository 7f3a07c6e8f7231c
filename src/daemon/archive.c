/* docker cp: a path of a container as a tar, a tar into a directory of a
 * container, and a path's stat (daemon.h). Every lookup starts at the
 * container's root with openat2(RESOLVE_IN_ROOT), and a walk goes by
 * directory fds with O_NOFOLLOW, so neither a symlink in the container nor
 * one it swaps in while we copy (CVE-2018-15664) leads outside it; the
 * unpacking is untar.c's (RESOLVE_BENEATH, no symlinks followed). */
#include "daemon.h"
#include "cleanup.h"
#include "error.h"
#include "overlay.h"
#include "tarwalk.h"
#include "untar.h"
#include "util.h"

#include <archive.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct root {
    struct ctr *c; /* as it is now */
    int fd;
    bool mounted;
};

static void root_close(struct root *rt)
{
    if (rt->fd >= 0)
        close(rt->fd);
    if (rt->mounted) {
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", rt->c->dir);
        berth_overlay_umount(rootfs, NULL);
    }
    if (rt->c) {
        ctr_busy_end(rt->c->id);
        ctr_free(rt->c);
    }
    *rt = (struct root){.fd = -1};
}

/* Its init's root, which must be the container's overlay (a pid that
 * ended and was reused would show another root). */
static int running_root(struct root *rt, const char *rootfs, struct berth_error **err)
{
    int pid = (int)json_integer_value(json_object_get(rt->c->state, "Pid"));
    _cleanup_free_ char *path = xasprintf("/proc/%d/root", pid);
    struct stat a, b;
    if (rt->c->restarting)
        return berth_error_set(err, EBUSY, "container %s is restarting", ctr_name(rt->c));
    rt->fd = pid > 0 ? open(path, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    if (rt->fd >= 0 && fstat(rt->fd, &a) == 0 && stat(rootfs, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        return 0;
    return berth_error_set(err, EBUSY, "container %s stopped while its files were being copied",
                           ctr_name(rt->c));
}

static int stopped_root(struct root *rt, const char *rootfs, bool write, struct berth_error **err)
{
    json_t *layers = json_object_get(rt->c->rec, "Layers"), *l;
    size_t i, n = json_array_size(layers);
    if (write &&
        json_is_true(json_object_get(json_object_get(rt->c->rec, "HostConfig"), "ReadonlyRootfs")))
        return berth_error_set(err, EROFS, "container rootfs is marked read-only");
    _cleanup_free_ const char **v = xzalloc((n + 1) * sizeof(char *));
    json_array_foreach(layers, i, l) v[i] = json_string_value(l);
    _cleanup_free_ char *upper = xasprintf("%s/upper", rt->c->dir);
    _cleanup_free_ char *work = xasprintf("%s/work", rt->c->dir);
    mkdir(upper, 0755); /* as the shim makes them */
    mkdir(work, 0700);
    mkdir(rootfs, 0755);
    berth_overlay_umount(rootfs, NULL); /* what a killed berthd's copy left */
    if (berth_overlay_mount(v, n, upper, work, rootfs, err) < 0)
        return -EIO;
    rt->mounted = true;
    rt->fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return rt->fd >= 0 ? 0 : berth_error_set(err, errno, "cannot open '%s'", rootfs);
}

/* A stopped container's mounts are not there: a path at or under one
 * would read or write what the container never sees. */
static int check_unmounted(const struct ctr *c, const char *path, struct berth_error **err)
{
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(c->rec, "Mounts"), i, m)
    {
        const char *d = json_string_value(json_object_get(m, "Destination"));
        size_t n = d ? strlen(d) : 0;
        while (n > 1 && d[n - 1] == '/')
            n--;
        if (n > 0 && strncmp(path, d, n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return berth_error_set(err, EBUSY,
                                   "cannot copy %s of container %s while it is stopped: %.*s is "
                                   "a mount that exists only while it runs",
                                   path, ctr_name(c), (int)n, d);
    }
    return 0;
}

static int root_open(struct ctr *c, const char *path, bool write, struct root *rt,
                     struct berth_error **err)
{
    *rt = (struct root){.fd = -1};
    ctr_busy_begin(c->id); /* no start while a stopped one's root is mounted */
    if (ctr_find(c->id, &rt->c, err) < 0) {
        ctr_busy_end(c->id);
        return -ENOENT;
    }
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", rt->c->dir);
    int r = rt->c->status == CTR_RUNNING            ? running_root(rt, rootfs, err)
            : check_unmounted(rt->c, path, err) < 0 ? -EBUSY
                                                    : stopped_root(rt, rootfs, write, err);
    if (r < 0)
        root_close(rt);
    return r;
}

static int open_in(int rootfd, const char *path, int flags)
{
    struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT};
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

/* path's parent, opened in the root, and its last component ("." for the
 * root itself and for "DIR/."). */
struct target {
    int dirfd;
    char *base;
};

static int target_open(int rootfd, const char *path, const char *who, struct target *t,
                       struct berth_error **err)
{
    _cleanup_free_ char *p = xstrdup(path);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    char *slash = strrchr(p, '/');
    *t = (struct target){.dirfd = -1};
    if (slash == NULL || streq(p, "/")) {
        t->base = xstrdup(slash ? "." : p);
        t->dirfd = open_in(rootfd, "/", O_PATH | O_DIRECTORY);
    } else {
        t->base = xstrdup(slash + 1);
        *slash = '\0';
        t->dirfd = open_in(rootfd, *p ? p : "/", O_PATH | O_DIRECTORY);
    }
    if (t->dirfd >= 0)
        return 0;
    return berth_error_set(err, errno == ENOTDIR ? ENOENT : errno,
                           "Could not find the file %s in container %s", path, who);
}

static void target_close(struct target *t)
{
    if (t->dirfd >= 0)
        close(t->dirfd);
    free(t->base);
    *t = (struct target){.dirfd = -1};
}

/* Go's os.FileMode, which the docker CLI reads */
static json_int_t go_mode(mode_t m)
{
    json_int_t g = m & 0777;
    if (S_ISDIR(m))
        g |= 1LL << 31;
    else if (S_ISLNK(m))
        g |= 1LL << 27;
    else if (S_ISFIFO(m))
        g |= 1LL << 25;
    else if (S_ISSOCK(m))
        g |= 1LL << 24;
    else if (S_ISBLK(m))
        g |= 1LL << 26;
    else if (S_ISCHR(m))
        g |= (1LL << 26) | (1LL << 21);
    if (m & S_ISUID)
        g |= 1LL << 23;
    if (m & S_ISGID)
        g |= 1LL << 22;
    if (m & S_ISVTX)
        g |= 1LL << 20;
    return g;
}

static json_t *stat_json(int dirfd, const char *base, const char *path, const char *who,
                         struct berth_error **err)
{
    struct stat st;
    if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return berth_error_set(err, errno == ENOTDIR ? ENOENT : errno,
                               "Could not find the file %s in container %s", path, who),
               NULL;
    char link[4096] = "", when[40];
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlinkat(dirfd, base, link, sizeof(link) - 1);
        link[n > 0 ? n : 0] = '\0';
    }
    struct tm tm;
    gmtime_r(&st.st_mtim.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_pack("{s:s,s:I,s:I,s:s,s:s}", "name", base, "size", (json_int_t)st.st_size, "mode",
                     go_mode(st.st_mode), "mtime", when, "linkTarget", link);
}

json_t *archive_stat(struct ctr *c, const char *path, struct berth_error **err)
{
    struct root rt;
    struct target t = {.dirfd = -1};
    if (root_open(c, path, false, &rt, err) < 0)
        return NULL;
    json_t *j = target_open(rt.fd, path, ctr_name(rt.c), &t, err) < 0
                    ? NULL
                    : stat_json(t.dirfd, t.base, path, ctr_name(rt.c), err);
    target_close(&t);
    root_close(&rt);
    return j;
}

int archive_get(struct ctr *c, const char *path, int out_fd, json_t **ret_stat,
                struct berth_error **err)
{
    struct root rt;
    struct target t = {.dirfd = -1};
    *ret_stat = NULL;
    if (root_open(c, path, false, &rt, err) < 0)
        return -EINVAL;
    int r = target_open(rt.fd, path, ctr_name(rt.c), &t, err);
    if (r == 0 && (*ret_stat = stat_json(t.dirfd, t.base, path, ctr_name(rt.c), err)) == NULL)
        r = -ENOENT;
    if (r == 0) {
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        if (archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
            r = berth_error_set(err, EIO, "cannot write the archive: %s", archive_error_string(a));
        else
            r = tarwalk_add(a, t.dirfd, t.base, t.base, false, err);
        if (archive_write_close(a) != ARCHIVE_OK && r == 0)
            r = berth_error_set(err, EIO, "cannot write the archive: %s", archive_error_string(a));
        archive_write_free(a);
    }
    target_close(&t);
    root_close(&rt);
    return r;
}

int archive_put(struct ctr *c, const char *path, int in_fd, unsigned flags,
                struct berth_error **err)
{
    struct root rt;
    if (root_open(c, path, true, &rt, err) < 0)
        return -EINVAL;
    int fd = open_in(rt.fd, path, O_RDONLY | O_DIRECTORY);
    int r = 0;
    if (fd < 0 && errno == ENOTDIR)
        r = berth_error_set(err, EINVAL, "extraction point is not a directory");
    else if (fd < 0)
        r = berth_error_set(err, errno, "Could not find the file %s in container %s", path,
                            ctr_name(rt.c));
    else
        r = untar_fd(in_fd, fd, flags, NULL, err);
    if (fd >= 0)
        close(fd);
    root_close(&rt);
    return r;
}

/* ---- export: the root file system alone ---- */

/* A running container's overlay as the host sees it (DIR/rootfs, the
 * shim's mount: none of the container's own mounts are on it). */
static int overlay_root(struct root *rt, const char *rootfs, struct berth_error **err)
{
    struct stat a, b;
    rt->fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rt->fd >= 0 && fstat(rt->fd, &a) == 0 && stat(rt->c->dir, &b) == 0 && a.st_dev != b.st_dev)
        return 0;
    return berth_error_set(err, EBUSY, "the root of container %s is not mounted", ctr_name(rt->c));
}

int archive_export(struct ctr *c, int out_fd, struct berth_error **err)
{
    struct root rt = {.fd = -1};
    ctr_busy_begin(c->id);
    if (ctr_find(c->id, &rt.c, err) < 0) {
        ctr_busy_end(c->id);
        return -ENOENT;
    }
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", rt.c->dir);
    int r = rt.c->status == CTR_RUNNING ? overlay_root(&rt, rootfs, err)
                                        : stopped_root(&rt, rootfs, false, err);
    int dfd = r < 0 ? -1 : openat(rt.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (r == 0 && d == NULL)
        r = berth_error_set(err, errno, "cannot read the root of container %s", ctr_name(rt.c));
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (r == 0 && archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
        r = berth_error_set(err, EIO, "cannot write the archive: %s", archive_error_string(a));
    /* each top entry under its own name, as docker export writes them */
    for (struct dirent *de; r == 0 && (de = readdir(d));)
        if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
            r = tarwalk_add(a, rt.fd, de->d_name, de->d_name, false, err);
    if (archive_write_close(a) != ARCHIVE_OK && r == 0)
        r = berth_error_set(err, EIO, "cannot write the archive: %s", archive_error_string(a));
    archive_write_free(a);
    if (d)
        closedir(d);
    else if (dfd >= 0)
        close(dfd);
    root_close(&rt);
    return r;
}
