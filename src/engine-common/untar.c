#include "untar.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define BUF_SIZE 65536

static void hex_final(EVP_MD_CTX *md, char out[65])
{
    unsigned char d[32];
    unsigned n = 0;
    EVP_DigestFinal_ex(md, d, &n);
    for (unsigned i = 0; i < n && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int sha256_fd(int fd, char ret_hex[65], long long *ret_size, struct berth_error **err)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    _cleanup_free_ char *buf = xmalloc(BUF_SIZE);
    long long total = 0;
    ssize_t n;
    while ((n = read(fd, buf, BUF_SIZE)) > 0) {
        EVP_DigestUpdate(md, buf, (size_t)n);
        total += n;
    }
    int e = errno;
    hex_final(md, ret_hex);
    EVP_MD_CTX_free(md);
    if (n < 0)
        return berth_error_set(err, e, "cannot read a blob");
    if (ret_size)
        *ret_size = total;
    return 0;
}

bool untar_safe_name(const char *name)
{
    if (name == NULL || name[0] == '/')
        return false;
    for (const char *p = name; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += n;
        while (*p == '/')
            p++;
    }
    return true;
}

/* ---- the decompressed stream, hashed on its way to the tar reader ---- */

struct raw {
    struct archive *a;
    EVP_MD_CTX *md;
    char *buf;
    bool eof;
};

static int raw_open(struct raw *r, int fd, struct berth_error **err)
{
    r->a = archive_read_new();
    r->md = EVP_MD_CTX_new();
    r->buf = xmalloc(BUF_SIZE);
    EVP_DigestInit_ex(r->md, EVP_sha256(), NULL);
    archive_read_support_filter_all(r->a);
    archive_read_support_format_raw(r->a);
    struct archive_entry *e;
    int st = archive_read_open_fd(r->a, fd, BUF_SIZE);
    if (st == ARCHIVE_OK)
        st = archive_read_next_header(r->a, &e);
    if (st == ARCHIVE_EOF)
        r->eof = true;
    else if (st != ARCHIVE_OK)
        return berth_error_set(err, EINVAL, "cannot read the archive: %s",
                               archive_error_string(r->a));
    return 0;
}

static void raw_close(struct raw *r)
{
    archive_read_free(r->a);
    EVP_MD_CTX_free(r->md);
    free(r->buf);
}

/* n bytes of decompressed data into r->buf, 0 at the end, -1 on error */
static ssize_t raw_read(struct raw *r)
{
    if (r->eof)
        return 0;
    la_ssize_t n = archive_read_data(r->a, r->buf, BUF_SIZE);
    if (n > 0)
        EVP_DigestUpdate(r->md, r->buf, (size_t)n);
    if (n == 0)
        r->eof = true;
    return n < 0 ? -1 : n;
}

static la_ssize_t tar_read_cb(struct archive *a, void *ud, const void **buf)
{
    struct raw *r = ud;
    ssize_t n = raw_read(r);
    if (n < 0)
        archive_set_error(a, EINVAL, "%s", archive_error_string(r->a));
    *buf = r->buf;
    return n < 0 ? ARCHIVE_FATAL : n;
}

int untar_decompress(int fd, int out_fd, char ret_hex[65], struct berth_error **err)
{
    struct raw r = {0};
    int ret = raw_open(&r, fd, err);
    ssize_t n = 0;
    while (ret == 0 && (n = raw_read(&r)) > 0)
        if (out_fd >= 0 && write(out_fd, r.buf, (size_t)n) != n)
            ret = berth_error_set(err, errno ? errno : EIO, "cannot write a layer");
    if (ret == 0 && n < 0)
        ret = berth_error_set(err, EINVAL, "cannot decompress: %s", archive_error_string(r.a));
    if (ret == 0)
        hex_final(r.md, ret_hex);
    raw_close(&r);
    return ret;
}

/* ---- entries ---- */

/* Opens (creating with `mk`) the directory `path` below `root`, refusing
 * any symlink on the way. */
static int open_dir(int root, const char *path, bool mk, const char *entry,
                    struct berth_error **err)
{
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                           .resolve =
                               RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    _cleanup_free_ char *copy = xstrdup(path);
    _cleanup_close_ int cur = fcntl(root, F_DUPFD_CLOEXEC, 3);
    char *save = NULL;
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        int fd = (int)syscall(SYS_openat2, cur, c, &how, sizeof(how));
        if (fd < 0 && errno == ENOENT && mk && mkdirat(cur, c, 0755) == 0)
            fd = (int)syscall(SYS_openat2, cur, c, &how, sizeof(how));
        if (fd < 0 && (errno == ELOOP || errno == ENOTDIR || errno == EXDEV))
            return berth_error_set(err, EINVAL,
                                   "archive entry '%s' goes through a symlink or a "
                                   "non-directory",
                                   entry);
        if (fd < 0)
            return berth_error_set(err, errno, "cannot open '%s' for '%s'", c, entry);
        close(cur);
        cur = fd;
    }
    return TAKE_FD(cur);
}

/* A symlink target, read from the link's directory `dir`, stays in the root. */
static bool link_stays(const char *dir, const char *target)
{
    int depth = 0;
    for (int pass = target[0] == '/'; pass < 2; pass++) {
        const char *p = pass == 0 ? dir : target;
        while (*p) {
            size_t n = strcspn(p, "/");
            if (n == 2 && p[0] == '.' && p[1] == '.')
                depth--;
            else if (n > 0 && !(n == 1 && p[0] == '.'))
                depth++;
            if (depth < 0)
                return false;
            p += n;
            p += strspn(p, "/");
        }
    }
    return true;
}

/* Makes room for a new entry; 1 when `base` is a directory kept as is.
 * UNTAR_KEEP_KINDS: a directory is never replaced by a non-directory, nor
 * the reverse (EEXIST). */
static int clear_place(int dfd, const char *base, bool keep_dir, unsigned flags,
                       struct berth_error **err)
{
    struct stat st;
    if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : berth_error_set(err, errno, "cannot stat '%s'", base);
    if (S_ISDIR(st.st_mode) && keep_dir)
        return 1;
    if ((flags & UNTAR_KEEP_KINDS) && S_ISDIR(st.st_mode) != keep_dir)
        return berth_error_set(err, EEXIST, "cannot overwrite %s '%s' with %s",
                               keep_dir ? "non-directory" : "directory", base,
                               keep_dir ? "a directory" : "a non-directory");
    if (S_ISDIR(st.st_mode))
        return rm_rf_at(dfd, base, err);
    if (unlinkat(dfd, base, 0) < 0)
        return berth_error_set(err, errno, "cannot replace '%s'", base);
    return 0;
}

static int set_xattrs(int fd, struct archive_entry *e, const char *name, struct berth_error **err)
{
    const char *k;
    const void *v;
    size_t len;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &k, &v, &len) == ARCHIVE_OK) {
        /* overlayfs' own attributes would forge opaque dirs or redirects */
        if (strncmp(k, "trusted.overlay.", 16) == 0)
            return berth_error_set(err, EINVAL, "archive entry '%s' sets the xattr '%s'", name, k);
        if (fsetxattr(fd, k, v, len, 0) < 0)
            return berth_error_set(err, errno, "cannot set the xattr '%s' on '%s'", k, name);
    }
    return 0;
}

/* Owner, mode, time and xattrs through an fd of the new file or dir. */
static int set_meta_fd(int fd, struct archive_entry *e, unsigned flags, const char *name,
                       struct berth_error **err)
{
    if ((flags & (UNTAR_LAYER | UNTAR_OWNERS)) &&
        fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
        return berth_error_set(err, errno, "cannot chown '%s'", name);
    if (fchmod(fd, archive_entry_perm(e)) < 0)
        return berth_error_set(err, errno, "cannot chmod '%s'", name);
    if ((flags & UNTAR_LAYER) && set_xattrs(fd, e, name, err) < 0)
        return -EINVAL;
    struct timespec ts[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
                             {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    futimens(fd, ts);
    return 0;
}

static int write_file(struct archive *a, int dfd, const char *base, struct archive_entry *e,
                      unsigned flags, const char *name, struct berth_error **err)
{
    _cleanup_close_ int fd =
        openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot create '%s'", name);
    const void *buf;
    size_t len;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
        if (pwrite(fd, buf, len, off) != (ssize_t)len)
            return berth_error_set(err, errno ? errno : EIO, "cannot write '%s'", name);
    if (r != ARCHIVE_EOF)
        return berth_error_set(err, EINVAL, "cannot read '%s': %s", name, archive_error_string(a));
    if (ftruncate(fd, archive_entry_size(e)) < 0)
        return berth_error_set(err, errno, "cannot write '%s'", name);
    return set_meta_fd(fd, e, flags, name, err);
}

static int make_dir(int dfd, const char *base, struct archive_entry *e, unsigned flags,
                    const char *name, struct berth_error **err)
{
    int r = clear_place(dfd, base, true, flags, err);
    if (r == 0 && mkdirat(dfd, base, 0700) < 0)
        return berth_error_set(err, errno, "cannot create '%s'", name);
    if (r < 0)
        return r;
    _cleanup_close_ int fd = openat(dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot open '%s'", name);
    return set_meta_fd(fd, e, flags, name, err);
}

static int make_link(int root, int dfd, const char *dir, const char *base, struct archive_entry *e,
                     unsigned flags, const char *name, struct berth_error **err)
{
    const char *target = archive_entry_symlink(e);
    if (target == NULL || *target == '\0' || !link_stays(dir, target))
        return berth_error_set(err, EINVAL,
                               "archive entry '%s' is a symlink that leaves the "
                               "root ('%s')",
                               name, target ? target : "");
    if (symlinkat(target, dfd, base) < 0)
        return berth_error_set(err, errno, "cannot create '%s'", name);
    (void)root;
    if ((flags & (UNTAR_LAYER | UNTAR_OWNERS)) &&
        fchownat(dfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                 AT_SYMLINK_NOFOLLOW) < 0)
        return berth_error_set(err, errno, "cannot chown '%s'", name);
    struct timespec ts[2] = {{archive_entry_mtime(e), 0}, {archive_entry_mtime(e), 0}};
    utimensat(dfd, base, ts, AT_SYMLINK_NOFOLLOW);
    return 0;
}

static int make_hardlink(int root, int dfd, const char *base, const char *target, const char *name,
                         struct berth_error **err)
{
    if (!untar_safe_name(target))
        return berth_error_set(err, EINVAL,
                               "archive entry '%s' is a hard link that leaves the "
                               "root ('%s')",
                               name, target);
    _cleanup_free_ char *tdir = xstrdup(target);
    char *slash = strrchr(tdir, '/');
    const char *tbase = slash ? slash + 1 : target;
    if (slash)
        *slash = '\0';
    _cleanup_close_ int tfd = open_dir(root, slash ? tdir : "", false, name, err);
    if (tfd < 0)
        return tfd;
    if (linkat(tfd, tbase, dfd, base, 0) < 0)
        return berth_error_set(err, errno == ENOENT ? EINVAL : errno, "cannot link '%s' to '%s'",
                               name, target);
    return 0;
}

/* OCI whiteouts into overlayfs' (image-spec layer.md "Whiteouts") */
static int whiteout(int dfd, const char *base, const char *name, struct berth_error **err)
{
    if (streq(base, ".wh..wh..opq")) {
        _cleanup_close_ int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
            return berth_error_set(err, errno, "cannot mark the directory of '%s' opaque", name);
        return 0;
    }
    if (strncmp(base, ".wh..wh.", 8) == 0 || base[4] == '\0')
        return berth_error_set(err, EINVAL, "archive entry '%s' is an unknown whiteout", name);
    int r = clear_place(dfd, base + 4, false, 0, err);
    if (r == 0 && mknodat(dfd, base + 4, S_IFCHR | 0000, makedev(0, 0)) < 0)
        r = berth_error_set(err, errno, "cannot create the whiteout '%s'", name);
    return r;
}

static int make_node(int dfd, const char *base, struct archive_entry *e, unsigned flags,
                     const char *name, struct berth_error **err)
{
    mode_t type = archive_entry_filetype(e);
    bool wh = type == AE_IFCHR && archive_entry_rdev(e) == 0;
    if (type != AE_IFIFO && !(wh && (flags & UNTAR_LAYER)))
        return berth_error_set(err, EINVAL, "archive entry '%s' is a device node", name);
    mode_t m = (type == AE_IFIFO ? S_IFIFO : S_IFCHR) | archive_entry_perm(e);
    if (mknodat(dfd, base, m, 0) < 0)
        return berth_error_set(err, errno, "cannot create '%s'", name);
    if (fchmodat(dfd, base, archive_entry_perm(e), 0) < 0)
        return berth_error_set(err, errno, "cannot chmod '%s'", name);
    if ((flags & (UNTAR_LAYER | UNTAR_OWNERS)) &&
        fchownat(dfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                 AT_SYMLINK_NOFOLLOW) < 0)
        return berth_error_set(err, errno, "cannot chown '%s'", name);
    struct timespec ts[2] = {{archive_entry_mtime(e), 0}, {archive_entry_mtime(e), 0}};
    utimensat(dfd, base, ts, AT_SYMLINK_NOFOLLOW);
    return 0;
}

/* "./a//b/" -> "a//b"; NULL for the root itself */
static char *clean_name(const char *name)
{
    while (name[0] == '.' && name[1] == '/')
        name += 2 + strspn(name + 2, "/");
    char *c = xstrdup(name);
    size_t n = strlen(c);
    while (n > 0 && c[n - 1] == '/')
        c[--n] = '\0';
    if (n == 0 || streq(c, ".")) {
        free(c);
        return NULL;
    }
    return c;
}

static int place(struct archive *a, int root, struct archive_entry *e, const char *dir,
                 const char *base, unsigned flags, const char *name, struct berth_error **err)
{
    _cleanup_close_ int dfd = open_dir(root, dir, true, name, err);
    if (dfd < 0)
        return dfd;
    if ((flags & UNTAR_LAYER) && strncmp(base, ".wh.", 4) == 0)
        return whiteout(dfd, base, name, err);
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR)
        return make_dir(dfd, base, e, flags, name, err);
    int r = clear_place(dfd, base, false, flags, err);
    if (r < 0)
        return r;
    const char *hl = archive_entry_hardlink(e);
    if (hl) {
        _cleanup_free_ char *t = clean_name(hl);
        return make_hardlink(root, dfd, base, t ? t : "", name, err);
    }
    if (type == AE_IFREG)
        return write_file(a, dfd, base, e, flags, name, err);
    if (type == AE_IFLNK)
        return make_link(root, dfd, dir, base, e, flags, name, err);
    return make_node(dfd, base, e, flags, name, err);
}

static int entry(struct archive *a, int root, struct archive_entry *e, unsigned flags,
                 struct berth_error **err)
{
    const char *raw = archive_entry_pathname(e);
    /* the root itself ("/" from umoci, "./" from tar -C DIR .): its
     * metadata is the store's */
    if (raw && *raw && strspn(raw, "/.") == strlen(raw) && !strstr(raw, ".."))
        return 0;
    if (raw == NULL || !untar_safe_name(raw))
        return berth_error_set(err, EINVAL, "archive entry '%s' leaves the root", raw ? raw : "");
    _cleanup_free_ char *name = clean_name(raw);
    if (name == NULL)
        return 0; /* "./": the root's own metadata is the store's */
    char *slash = strrchr(name, '/');
    _cleanup_free_ char *dir = slash ? strndup(name, (size_t)(slash - name)) : xstrdup("");
    const char *base = slash ? slash + 1 : name;
    if (streq(base, "."))
        return berth_error_set(err, EINVAL, "archive entry '%s' has no name", raw);
    return place(a, root, e, dir, base, flags, name, err);
}

int untar_fd(int fd, int dirfd, unsigned flags, char ret_hex[65], struct berth_error **err)
{
    struct raw r = {0};
    int ret = raw_open(&r, fd, err);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    if (ret == 0 && archive_read_open(a, &r, NULL, tar_read_cb, NULL) != ARCHIVE_OK)
        ret = berth_error_set(err, EINVAL, "not a tar archive: %s", archive_error_string(a));
    struct archive_entry *e;
    int st = ARCHIVE_OK;
    while (ret == 0 && (st = archive_read_next_header(a, &e)) == ARCHIVE_OK)
        ret = entry(a, dirfd, e, flags, err);
    if (ret == 0 && st != ARCHIVE_EOF)
        ret = berth_error_set(err, EINVAL, "not a tar archive: %s", archive_error_string(a));
    /* the padding after the end-of-archive blocks is part of the diff_id */
    ssize_t n = 0;
    while (ret == 0 && (n = raw_read(&r)) > 0)
        ;
    if (ret == 0 && n < 0)
        ret = berth_error_set(err, EINVAL, "cannot decompress: %s", archive_error_string(r.a));
    if (ret == 0 && ret_hex)
        hex_final(r.md, ret_hex);
    archive_read_free(a);
    raw_close(&r);
    return ret;
}
