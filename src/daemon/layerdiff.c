#include "layerdiff.h"
#include "cleanup.h"
#include "error.h"
#include "untar.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* One visited entry. `fd` is the open regular file (else -1), `link` a
 * symlink's target or, for a hard link, the path it repeats. */
struct walk_entry {
    const char *path;
    const struct stat *st;
    const char *link;
    bool hardlink;
    int fd;
};

struct walk {
    unsigned flags;
    const char *const *skip;
    int (*emit)(struct walk *w, const struct walk_entry *e, struct berth_error **err);
    struct archive *a;
    EVP_MD_CTX *md;
    struct {
        dev_t dev;
        ino_t ino;
        char *path;
    } * links; /* regular files with more than one link, first path seen */
    size_t n_links;
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in `dfd`, sorted; NULL-terminated, caller frees each. */
static char **sorted_names(int dfd, struct berth_error **err)
{
    int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
    _cleanup_closedir_ DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (d)
        rewinddir(d); /* the dup shares the offset of a dir read before */
    if (d == NULL) {
        if (dup_fd >= 0)
            close(dup_fd);
        berth_error_set(err, errno, "cannot read a directory");
        return NULL;
    }
    size_t n = 0, cap = 16;
    char **v = xmalloc(cap * sizeof(char *));
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        if (n + 2 > cap)
            v = xrealloc(v, (cap *= 2) * sizeof(char *));
        v[n++] = xstrdup(de->d_name);
    }
    v[n] = NULL;
    qsort(v, n, sizeof(char *), cmp_names);
    return v;
}

static bool skipped(const struct walk *w, const char *path)
{
    for (const char *const *s = w->skip; s && *s; s++)
        if (streq(*s, path))
            return true;
    return false;
}

static const char *hardlink_of(struct walk *w, const struct stat *st, const char *path)
{
    if (st->st_nlink < 2)
        return NULL;
    for (size_t i = 0; i < w->n_links; i++)
        if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
            return w->links[i].path;
    w->links = xrealloc(w->links, (w->n_links + 1) * sizeof(*w->links));
    w->links[w->n_links].dev = st->st_dev;
    w->links[w->n_links].ino = st->st_ino;
    w->links[w->n_links++].path = xstrdup(path);
    return NULL;
}

/* A whiteout or opaque marker, as an empty regular file */
static int emit_marker(struct walk *w, const char *path, const struct stat *like,
                       struct berth_error **err)
{
    struct stat st = *like;
    st.st_mode = S_IFREG | 0644;
    st.st_size = 0;
    st.st_uid = st.st_gid = 0;
    struct walk_entry e = {.path = path, .st = &st, .fd = -1};
    return w->emit(w, &e, err);
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, struct berth_error **err);

/* A dir of the upper dir that holds only skipped entries was copied up
 * for them alone (etc/ for the runtime's etc/hosts): not a change. */
static bool only_skipped(const struct walk *w, int sub, const char *path)
{
    if (w->skip == NULL)
        return false;
    _cleanup_strv_ char **names = sorted_names(sub, NULL);
    size_t kept = 0, n = 0;
    for (char **nm = names; nm && *nm; nm++, n++) {
        _cleanup_free_ char *p = xasprintf("%s/%s", path, *nm);
        kept += !skipped(w, p);
    }
    return names && n > 0 && kept == 0;
}

static int visit_dir(struct walk *w, int dfd, const char *name, const char *path,
                     const struct stat *st, struct berth_error **err)
{
    _cleanup_close_ int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return berth_error_set(err, errno, "cannot open '%s'", path);
    char v[2] = {0};
    bool opaque = (w->flags & LAYERDIFF_OVERLAY) &&
                  fgetxattr(sub, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
    /* a renamed lower dir (redirect_dir=on) holds only what changed */
    if ((w->flags & LAYERDIFF_OVERLAY) && fgetxattr(sub, "trusted.overlay.redirect", NULL, 0) >= 0)
        return berth_error_set(err, EINVAL,
                               "'/%s' is a renamed directory of the image (an overlayfs "
                               "redirect): berth cannot make a layer of it",
                               path);
    if (!opaque && only_skipped(w, sub, path))
        return 0;
    struct walk_entry e = {.path = path, .st = st, .fd = -1};
    int r = w->emit(w, &e, err);
    if (r == 0 && opaque) {
        _cleanup_free_ char *m = xasprintf("%s/.wh..wh..opq", path);
        r = emit_marker(w, m, st, err);
    }
    return r < 0 ? r : walk_dir(w, sub, path, err);
}

static int visit(struct walk *w, int dfd, const char *name, const char *path,
                 struct berth_error **err)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return berth_error_set(err, errno, "cannot stat '%s'", path);
    struct walk_entry e = {.path = path, .st = &st, .fd = -1};
    char target[4096];
    if (S_ISDIR(st.st_mode))
        return visit_dir(w, dfd, name, path, &st, err);
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0) && (w->flags & LAYERDIFF_OVERLAY)) {
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *m = slash ? xasprintf("%.*s/.wh.%s", (int)(slash - path), path, name)
                                       : xasprintf(".wh.%s", name);
        return emit_marker(w, m, &st, err);
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        return berth_error_set(err, EINVAL,
                               "'/%s' is a device node: a layer berth makes carries none", path);
    if (S_ISSOCK(st.st_mode))
        return 0;
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
        if (n < 0)
            return berth_error_set(err, errno, "cannot read the symlink '%s'", path);
        target[n] = '\0';
        e.link = target;
        return w->emit(w, &e, err);
    }
    if (S_ISREG(st.st_mode) && (e.link = hardlink_of(w, &st, path)) != NULL) {
        e.hardlink = true;
        return w->emit(w, &e, err);
    }
    _cleanup_close_ int fd =
        S_ISREG(st.st_mode) ? openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (S_ISREG(st.st_mode) && fd < 0)
        return berth_error_set(err, errno, "cannot open '%s'", path);
    /* a metacopy file has its data in a lower layer, not here */
    if (fd >= 0 && (w->flags & LAYERDIFF_OVERLAY) &&
        fgetxattr(fd, "trusted.overlay.metacopy", NULL, 0) >= 0)
        return berth_error_set(err, EINVAL,
                               "'/%s' is an overlayfs metacopy file: berth cannot make a layer "
                               "of it (mount overlays with metacopy=off)",
                               path);
    e.fd = fd;
    return w->emit(w, &e, err);
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, struct berth_error **err)
{
    _cleanup_strv_ char **names = sorted_names(dfd, err);
    if (names == NULL)
        return -EIO;
    for (char **n = names; *n; n++) {
        _cleanup_free_ char *path = *prefix ? xasprintf("%s/%s", prefix, *n) : xstrdup(*n);
        if (skipped(w, path))
            continue;
        int r = visit(w, dfd, *n, path, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int walk_run(struct walk *w, int dirfd, struct berth_error **err)
{
    int r = walk_dir(w, dirfd, "", err);
    for (size_t i = 0; i < w->n_links; i++)
        free(w->links[i].path);
    free(w->links);
    return r;
}

/* ---- the tar ---- */

static int tar_data(struct archive *a, int fd, const char *path, struct berth_error **err)
{
    _cleanup_free_ char *buf = xmalloc(1 << 16);
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 16);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return berth_error_set(err, errno, "cannot read '%s'", path);
        if (n == 0)
            return 0;
        if (archive_write_data(a, buf, (size_t)n) != n)
            return berth_error_set(err, EIO, "cannot write '%s' to the layer: %s", path,
                                   archive_error_string(a));
    }
}

static int tar_emit(struct walk *w, const struct walk_entry *e, struct berth_error **err)
{
    struct archive_entry *ae = archive_entry_new();
    bool dir = S_ISDIR(e->st->st_mode);
    _cleanup_free_ char *name = dir ? xasprintf("%s/", e->path) : xstrdup(e->path);
    archive_entry_set_pathname(ae, name);
    archive_entry_set_mode(ae, e->st->st_mode);
    archive_entry_set_uid(ae, e->st->st_uid);
    archive_entry_set_gid(ae, e->st->st_gid);
    archive_entry_set_mtime(ae, e->st->st_mtim.tv_sec, 0);
    if (e->hardlink) {
        archive_entry_set_hardlink(ae, e->link);
        archive_entry_set_size(ae, 0);
    } else if (e->link) {
        archive_entry_set_symlink(ae, e->link);
    } else if (S_ISREG(e->st->st_mode)) {
        archive_entry_set_size(ae, e->st->st_size);
    }
    int r = archive_write_header(w->a, ae) == ARCHIVE_OK
                ? 0
                : berth_error_set(err, EIO, "cannot write '%s' to the layer: %s", e->path,
                                  archive_error_string(w->a));
    archive_entry_free(ae);
    if (r == 0 && e->fd >= 0)
        r = tar_data(w->a, e->fd, e->path, err);
    return r;
}

int layerdiff_tar(int dirfd, unsigned flags, const char *const *skip, int out_fd, char ret_hex[65],
                  struct berth_error **err)
{
    struct walk w = {.flags = flags, .skip = skip, .emit = tar_emit, .a = archive_write_new()};
    off_t start = lseek(out_fd, 0, SEEK_CUR);
    archive_write_set_format_pax_restricted(w.a);
    /* no padding to 10 KiB records: the blob is exactly the tar */
    archive_write_set_bytes_in_last_block(w.a, 1);
    int r = archive_write_open_fd(w.a, out_fd) == ARCHIVE_OK
                ? 0
                : berth_error_set(err, EIO, "cannot start a layer: %s", archive_error_string(w.a));
    if (r == 0)
        r = walk_run(&w, dirfd, err);
    if (archive_write_close(w.a) != ARCHIVE_OK && r == 0)
        r = berth_error_set(err, EIO, "cannot end the layer: %s", archive_error_string(w.a));
    archive_write_free(w.a);
    if (r == 0 && lseek(out_fd, start, SEEK_SET) < 0)
        r = berth_error_set(err, errno, "cannot read the layer back");
    if (r == 0)
        r = sha256_fd(out_fd, ret_hex, NULL, err);
    return r;
}

/* ---- the cache's digest ---- */

static int hash_emit(struct walk *w, const struct walk_entry *e, struct berth_error **err)
{
    char head[128];
    int n = snprintf(head, sizeof(head), "\n%o %u %u %s ", (unsigned)e->st->st_mode,
                     (unsigned)e->st->st_uid, (unsigned)e->st->st_gid, e->hardlink ? "h" : "-");
    EVP_DigestUpdate(w->md, e->path, strlen(e->path) + 1);
    EVP_DigestUpdate(w->md, head, (size_t)n);
    if (e->link)
        EVP_DigestUpdate(w->md, e->link, strlen(e->link) + 1);
    if (e->fd < 0)
        return 0;
    _cleanup_free_ char *buf = xmalloc(1 << 16);
    for (;;) {
        ssize_t k = read(e->fd, buf, 1 << 16);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return berth_error_set(err, errno, "cannot read '%s'", e->path);
        if (k == 0)
            return 0;
        EVP_DigestUpdate(w->md, buf, (size_t)k);
    }
}

int layerdiff_hash(int dirfd, char ret_hex[65], struct berth_error **err)
{
    struct walk w = {.emit = hash_emit, .md = EVP_MD_CTX_new()};
    EVP_DigestInit_ex(w.md, EVP_sha256(), NULL);
    int r = walk_run(&w, dirfd, err);
    unsigned char md[32];
    unsigned len = 0;
    EVP_DigestFinal_ex(w.md, md, &len);
    EVP_MD_CTX_free(w.md);
    for (unsigned i = 0; r == 0 && i < len && i < 32; i++)
        snprintf(ret_hex + 2 * i, 3, "%02x", md[i]);
    return r;
}
