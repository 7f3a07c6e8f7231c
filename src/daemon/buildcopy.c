/* berth build's COPY, ADD and WORKDIR (build.h): what they put in the
 * image is staged in a dir laid out as the image (the destination's
 * parents with the image's own modes and owners), then tarred as the
 * step's layer. Sources resolve inside their root (openat2
 * RESOLVE_IN_ROOT): the context, another stage's image or an image
 * (--from). The context's .dockerignore'd files are never copied, and a
 * source that climbs out of the context is refused. */
#include "build.h"
#include "daemon.h"
#include "layerdiff.h"
#include "user.h"
#include "cleanup.h"
#include "copyup.h"
#include "dockerfile.h"
#include "error.h"
#include "fs.h"
#include "overlay.h"
#include "untar.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* One COPY or ADD in progress. */
struct copy {
    struct build *b;
    const struct df_instr *in;
    const char *verb;    /* "COPY" or "ADD" */
    int rootfd;          /* the sources' root */
    bool context;        /* that root is the context (.dockerignore applies) */
    char *mnt;           /* an overlay mounted for --from, or NULL */
    long uid, gid;       /* --chown, or 0:0 */
    long mode;           /* --chmod, or -1 */
    char **image_layers; /* the current image's layer dirs (parents' attributes) */
    int stagefd;
};

static const char *flag(const struct df_instr *in, const char *name)
{
    size_t n = strlen(name);
    for (char **f = in->flags; f && *f; f++)
        if (strncmp(*f, name, n) == 0 && (*f)[n] == '=')
            return *f + n + 1;
    return NULL;
}

/* "/a/./b//c/" -> "a/b/c"; NULL when ".." climbs above the root. */
static char *clean_path(const char *p)
{
    _cleanup_free_ char *copy = xstrdup(p);
    char *out = xzalloc(strlen(p) + 2), *save = NULL;
    for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (streq(t, "."))
            continue;
        if (streq(t, "..")) {
            char *slash = strrchr(out, '/');
            if (*out == '\0')
                return free(out), NULL;
            *(slash ? slash : out) = '\0';
            continue;
        }
        if (*out)
            strcat(out, "/");
        strcat(out, t);
    }
    return out;
}

/* The image's own stat of `rel` (the topmost layer holding it). */
static bool image_stat(struct copy *c, const char *rel, struct stat *st)
{
    size_t n = 0;
    while (c->image_layers && c->image_layers[n])
        n++;
    while (n-- > 0) {
        _cleanup_close_ int l = open(c->image_layers[n], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (l >= 0 && fstatat(l, rel, st, AT_SYMLINK_NOFOLLOW) == 0)
            return true;
    }
    return false;
}

/* Creates `rel` and its parents in the stage as dirs, each with the
 * image's mode and owner where the image has it. An fd of the last. */
static int stage_dirs(struct copy *c, const char *rel, struct berth_error **err)
{
    int fd = fcntl(c->stagefd, F_DUPFD_CLOEXEC, 0);
    _cleanup_free_ char *copy = xstrdup(rel), *sofar = xstrdup("");
    char *save = NULL;
    for (char *t = strtok_r(copy, "/", &save); t && fd >= 0; t = strtok_r(NULL, "/", &save)) {
        char *n = xasprintf("%s%s%s", sofar, *sofar ? "/" : "", t);
        free(sofar);
        sofar = n;
        /* a dir the image lacks is new: --chown's, as Docker makes it */
        struct stat st = {.st_mode = S_IFDIR | 0755, .st_uid = c->uid, .st_gid = c->gid};
        if (!image_stat(c, sofar, &st) || !S_ISDIR(st.st_mode))
            st = (struct stat){.st_mode = S_IFDIR | 0755, .st_uid = c->uid, .st_gid = c->gid};
        if (mkdirat(fd, t, st.st_mode & 07777) == 0) {
            fchownat(fd, t, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
            fchmodat(fd, t, st.st_mode & 07777, 0);
        }
        int sub = openat(fd, t, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = sub;
    }
    if (fd < 0)
        return berth_error_set(err, errno, "cannot create '/%s' in the stage", rel);
    return fd;
}

/* copy_file_range, or read and write where it cannot (EXDEV from an
 * overlay before Linux 5.19, other file systems) */
static int copy_data(int src, int out)
{
    char buf[65536];
    bool plain = false;
    for (;;) {
        ssize_t n =
            plain ? read(src, buf, sizeof(buf)) : copy_file_range(src, NULL, out, NULL, 1 << 30, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && !plain &&
            (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
            plain = true;
            continue;
        }
        if (n <= 0)
            return n < 0 ? -1 : 0;
        if (plain && write(out, buf, (size_t)n) != n)
            return -1;
    }
}

static int copy_file(int src, int dstdir, const char *name, const struct stat *st,
                     struct berth_error **err)
{
    unlinkat(dstdir, name, 0);
    _cleanup_close_ int out =
        openat(dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return berth_error_set(err, errno, "cannot create '%s'", name);
    if (copy_data(src, out) < 0)
        return berth_error_set(err, errno, "cannot copy '%s'", name);
    struct timespec t[2] = {st->st_atim, st->st_mtim};
    fchmod(out, st->st_mode & 07777);
    futimens(out, t);
    return 0;
}

/* Whether `data` starts as an archive ADD unpacks (Docker's: tar, maybe
 * gzip, bzip2 or xz compressed; zstd too, as untar reads it). */
static bool is_archive(int fd)
{
    unsigned char m[512];
    ssize_t n = pread(fd, m, sizeof(m), 0);
    if (n >= 6 && (memcmp(m, "\x1f\x8b", 2) == 0 || memcmp(m, "BZh", 3) == 0 ||
                   memcmp(m,
                          "\xfd"
                          "7zXZ\0",
                          6) == 0 ||
                   memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0))
        return true;
    return n == 512 && memcmp(m + 257, "ustar", 5) == 0;
}

static int own_tree(struct copy *c, int dfd, struct berth_error **err);

/* Copies the source `src` (root-relative, clean) to the stage at `dest`
 * (clean; `into`: dest is a dir the source goes into). */
static int copy_one(struct copy *c, const char *src, const char *dest, bool into,
                    struct berth_error **err)
{
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    _cleanup_close_ int fd =
        (int)syscall(SYS_openat2, c->rootfd, *src ? src : ".", &how, sizeof(how));
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return berth_error_set(err, ENOENT,
                               "%s failed: file not found in build context or "
                               "excluded by .dockerignore: stat %s: file does not exist",
                               c->verb, *src ? src : ".");
    bool add_tar = streq(c->verb, "ADD") && S_ISREG(st.st_mode) && is_archive(fd);
    if (S_ISDIR(st.st_mode) || add_tar) {
        _cleanup_close_ int d = stage_dirs(c, dest, err);
        if (d < 0)
            return -EIO;
        int r = add_tar ? untar_fd(fd, d, 0, NULL, err) : berth_copy_tree(fd, d, src, err);
        /* an archive's owners stay unless --chown or --chmod says */
        if (r == 0 && (!add_tar || c->uid || c->gid || c->mode >= 0))
            r = own_tree(c, d, err);
        return r;
    }
    if (!S_ISREG(st.st_mode))
        return berth_error_set(err, EINVAL, "%s failed: '%s' is not a regular file or directory",
                               c->verb, src);
    _cleanup_free_ char *target = into ? xasprintf("%s%s%s", dest, *dest ? "/" : "",
                                                   strrchr(src, '/') ? strrchr(src, '/') + 1 : src)
                                       : xstrdup(dest);
    _cleanup_free_ char *dir = xstrdup(target);
    char *slash = strrchr(dir, '/');
    const char *name = slash ? slash + 1 : target;
    if (slash)
        *slash = '\0';
    else
        *dir = '\0';
    _cleanup_close_ int d = stage_dirs(c, dir, err);
    if (d < 0 || copy_file(fd, d, name, &st, err) < 0)
        return -EIO;
    if (c->mode >= 0)
        fchmodat(d, name, (mode_t)c->mode, 0);
    if (fchownat(d, name, (uid_t)c->uid, (gid_t)c->gid, AT_SYMLINK_NOFOLLOW) < 0)
        return berth_error_set(err, errno, "cannot chown '%s'", target);
    return 0;
}

/* The context paths matching the pattern `pat` (Go's filepath.Match). */
static void glob_walk(struct copy *c, int dfd, const char *prefix, const char *pat, json_t *out)
{
    int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
    _cleanup_closedir_ DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (d)
        rewinddir(d); /* the dup shares the offset of a dir read before */
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        _cleanup_free_ char *p =
            *prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
        if (fnmatch(pat, p, FNM_PATHNAME) == 0)
            json_array_append_new(out, json_string(p));
        _cleanup_close_ int sub =
            de->d_type == DT_DIR
                ? openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                : -1;
        if (sub >= 0)
            glob_walk(c, sub, p, pat, out);
    }
}

static int sources(struct copy *c, char **words, size_t n, json_t *out, struct berth_error **err)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (strstr(words[i], "://"))
            return berth_error_set(err, EINVAL,
                                   "%s from a URL is not supported by berth: '%s' (Dockerfile "
                                   "line %d)",
                                   c->verb, words[i], c->in->line);
        _cleanup_free_ char *s = clean_path(words[i]);
        if (s == NULL)
            return berth_error_set(err, EINVAL,
                                   "%s failed: forbidden path outside the build context: %s",
                                   c->verb, words[i]);
        if (strpbrk(s, "*?[") == NULL) {
            json_array_append_new(out, json_string(s));
            continue;
        }
        size_t before = json_array_size(out);
        glob_walk(c, c->rootfd, "", s, out);
        if (json_array_size(out) == before)
            return berth_error_set(err, ENOENT, "%s failed: no source files were specified",
                                   c->verb);
    }
    return 0;
}

/* Docker's owner of what COPY and ADD copy: 0:0 or --chown; --chmod. */
static int own_tree(struct copy *c, int dfd, struct berth_error **err)
{
    int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
    _cleanup_closedir_ DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (d)
        rewinddir(d); /* the dup shares the offset of a dir read before */
    struct dirent *de;
    if (d == NULL)
        return berth_error_set(err, errno, "cannot read the stage");
    while ((de = readdir(d)) != NULL) {
        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        if (fchownat(dfd, de->d_name, (uid_t)c->uid, (gid_t)c->gid, AT_SYMLINK_NOFOLLOW) < 0)
            return berth_error_set(err, errno, "cannot chown '%s'", de->d_name);
        if (c->mode >= 0 && de->d_type != DT_LNK)
            fchmodat(dfd, de->d_name, (mode_t)c->mode, 0);
        _cleanup_close_ int sub =
            de->d_type == DT_DIR
                ? openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                : -1;
        if (sub >= 0 && own_tree(c, sub, err) < 0)
            return -EIO;
    }
    return 0;
}

/* --chown USER[:GROUP] (names from the image's files) and --chmod OCTAL */
static int owner_flags(struct copy *c, struct berth_error **err)
{
    const char *chown = flag(c->in, "chown"), *chmod = flag(c->in, "chmod");
    c->mode = -1;
    if (chmod) {
        char *end = NULL;
        c->mode = strtol(chmod, &end, 8);
        if (*chmod == '\0' || *end || c->mode < 0 || c->mode > 07777)
            return berth_error_set(err, EINVAL, "invalid --chmod '%s' (Dockerfile line %d)", chmod,
                                   c->in->line);
    }
    if (chown == NULL || *chown == '\0')
        return 0;
    /* Docker's: a user without a group names the group too (USER:USER) */
    _cleanup_free_ char *spec =
        strchr(chown, ':') ? xstrdup(chown) : xasprintf("%s:%s", chown, chown);
    json_t *groups = NULL;
    int r = user_resolve(spec, c->image_layers, &c->uid, &c->gid, &groups, err);
    json_decref(groups);
    return r < 0 ? berth_error_wrap(err, "--chown (Dockerfile line %d)", c->in->line) : 0;
}

static int open_dir(const char *path, struct berth_error **err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? berth_error_set(err, errno, "cannot open '%s'", path) : fd;
}

/* --from=STAGE|INDEX|IMAGE: the root of that image's files (one layer
 * as it is, more under a private overlay) */
static int from_root(struct copy *c, const char *from, struct berth_error **err)
{
    struct build *b = c->b;
    const char *id = NULL;
    char *end = NULL;
    long idx = strtol(from, &end, 10);
    for (size_t i = 0; i < b->df->n_stages && id == NULL; i++)
        if ((*end == '\0' && idx == (long)i) ||
            (b->df->stages[i].name && strcasecmp(b->df->stages[i].name, from) == 0)) {
            if (b->stage_ids[i] == NULL)
                return berth_error_set(err, EINVAL, "%s --from=%s: that stage has no files",
                                       c->verb, from);
            id = b->stage_ids[i];
        }
    _cleanup_strv_ char **layers = build_layer_dirs(id ? id : from, err);
    if (layers == NULL)
        return -ENOENT;
    size_t n = strv_length(layers);
    if (n == 0)
        return berth_error_set(err, EINVAL, "%s --from=%s: that image has no files", c->verb, from);
    if (n == 1)
        return c->rootfd = open_dir(layers[0], err);
    c->mnt = build_path(b, "from");
    _cleanup_free_ char *up = xasprintf("%s.u", c->mnt), *wk = xasprintf("%s.w", c->mnt);
    if (mkdir(c->mnt, 0700) < 0 || mkdir(up, 0700) < 0 || mkdir(wk, 0700) < 0)
        return berth_error_set(err, errno, "cannot create '%s'", c->mnt);
    if (berth_overlay_mount((const char *const *)layers, n, up, wk, c->mnt, err) < 0) {
        free(c->mnt);
        c->mnt = NULL;
        return -EIO;
    }
    return c->rootfd = open_dir(c->mnt, err);
}

static void copy_done(struct copy *c)
{
    if (c->rootfd >= 0 && !c->context)
        close(c->rootfd);
    if (c->stagefd >= 0)
        close(c->stagefd);
    if (c->mnt) {
        berth_overlay_umount(c->mnt, NULL);
        _cleanup_free_ char *up = xasprintf("%s.u", c->mnt), *wk = xasprintf("%s.w", c->mnt);
        rm_rf_at(AT_FDCWD, up, NULL);
        rm_rf_at(AT_FDCWD, wk, NULL);
        rmdir(c->mnt);
        free(c->mnt);
    }
    strv_freep(&c->image_layers);
}

/* The destination inside the image: relative to WORKDIR unless absolute */
static char *dest_path(struct build *b, const char *dest, bool *ret_dir)
{
    const char *wd =
        json_string_value(json_object_get(json_object_get(b->config, "config"), "WorkingDir"));
    size_t n = strlen(dest);
    *ret_dir = n > 0 && (dest[n - 1] == '/' || streq(dest, ".") || streq(dest + n - 2, "/."));
    _cleanup_free_ char *full =
        dest[0] == '/' ? xstrdup(dest) : xasprintf("%s/%s", wd && *wd ? wd : "/", dest);
    char *clean = clean_path(full);
    return clean ? clean : xstrdup("");
}

static int copy_all(struct copy *c, char **words, size_t n, struct berth_error **err)
{
    json_t *srcs = json_array(), *s;
    bool dir = false;
    _cleanup_free_ char *dest = dest_path(c->b, words[n - 1], &dir);
    int r = sources(c, words, n, srcs, err);
    if (r == 0 && json_array_size(srcs) > 1 && !dir)
        r = berth_error_set(err, EINVAL,
                            "When using %s with more than one source file, the destination "
                            "must be a directory and end with a /",
                            c->verb);
    struct stat st;
    if (!dir && image_stat(c, dest, &st) && S_ISDIR(st.st_mode))
        dir = true;
    size_t i;
    json_array_foreach(srcs, i, s)
    {
        if (r == 0)
            r = copy_one(c, json_string_value(s), dest, dir, err);
    }
    json_decref(srcs);
    return r;
}

int build_copy_stage(struct build *b, const struct df_instr *in, char **words, size_t n,
                     char **ret_stage, char ret_content[65], struct berth_error **err)
{
    struct copy c = {
        .b = b, .in = in, .verb = in->kind == DF_ADD ? "ADD" : "COPY", .rootfd = -1, .stagefd = -1};
    const char *from = flag(in, "from");
    _cleanup_free_ char *stage = build_path(b, "stage");
    if (n < 2)
        return berth_error_set(err, EINVAL,
                               "%s requires at least two arguments (Dockerfile line %d)", c.verb,
                               in->line);
    if (b->image)
        c.image_layers = build_layer_dirs(b->image, err);
    int r = b->image && c.image_layers == NULL ? -ENOENT : owner_flags(&c, err);
    if (r == 0 && mkdir(stage, 0755) < 0)
        r = berth_error_set(err, errno, "cannot create '%s'", stage);
    if (r == 0 && (c.stagefd = open_dir(stage, err)) < 0)
        r = -EIO;
    if (r == 0 && from)
        r = from_root(&c, from, err) < 0 ? -EIO : 0;
    else if (r == 0)
        c.rootfd = b->ctxfd, c.context = true;
    if (r == 0)
        r = copy_all(&c, words, n, err);
    if (r == 0)
        r = layerdiff_hash(c.stagefd, ret_content, err);
    copy_done(&c);
    if (r < 0)
        return rm_rf_at(AT_FDCWD, stage, NULL), r;
    *ret_stage = TAKE_PTR(stage);
    return 0;
}

int build_workdir_stage(struct build *b, const char *dir, char **ret_stage,
                        struct berth_error **err)
{
    struct copy c = {.b = b, .rootfd = -1, .stagefd = -1};
    _cleanup_free_ char *rel = clean_path(dir), *stage = NULL;
    struct stat st;
    *ret_stage = NULL;
    if (b->image && (c.image_layers = build_layer_dirs(b->image, err)) == NULL)
        return -ENOENT;
    if (rel == NULL || *rel == '\0' || (image_stat(&c, rel, &st) && S_ISDIR(st.st_mode))) {
        copy_done(&c);
        return 0;
    }
    stage = build_path(b, "stage");
    int r = mkdir(stage, 0755) < 0 ? berth_error_set(err, errno, "cannot create '%s'", stage) : 0;
    if (r == 0 && (c.stagefd = open_dir(stage, err)) < 0)
        r = -EIO;
    int fd = r == 0 ? stage_dirs(&c, rel, err) : -1;
    if (fd >= 0)
        close(fd);
    copy_done(&c);
    if (r < 0 || fd < 0)
        return rm_rf_at(AT_FDCWD, stage, NULL), r < 0 ? r : -EIO;
    *ret_stage = TAKE_PTR(stage);
    return 0;
}

int build_stage_layer(struct build *b, const char *stage, char **ret_layer, char ret_hex[65],
                      struct berth_error **err)
{
    _cleanup_free_ char *path = build_path(b, "layer");
    _cleanup_close_ int sfd = open_dir(stage, err);
    _cleanup_close_ int out = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int r = sfd < 0 ? -EIO : 0;
    if (r == 0 && out < 0)
        r = berth_error_set(err, errno, "cannot create '%s'", path);
    if (r == 0)
        r = layerdiff_tar(sfd, 0, NULL, out, ret_hex, err);
    rm_rf_at(AT_FDCWD, stage, NULL);
    if (r < 0)
        return unlink(path), r;
    *ret_layer = TAKE_PTR(path);
    return 0;
}
