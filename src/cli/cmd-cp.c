/* berth cp [-a] [-L] CONTAINER:SRC DEST|-   berth cp [-a] [-L] SRC|- CONTAINER:DEST
 *
 * docker cp's rules, over berthd's /containers/{id}/archive (HEAD: a
 * path's stat, GET: its tar, PUT: a tar into a directory):
 * - into an existing directory the source goes in under its own name
 *   (SRC/. : what it holds); a destination that does not exist becomes
 *   the source, renamed (its parent must exist); a file replaces a file;
 *   a directory never replaces a file;
 * - "-" streams a tar: from the container to stdout, or from stdin into
 *   a directory of the container;
 * - -a keeps owners (copyUIDGID, and the tar's owners here); -L follows a
 *   symlink source.
 * Local files are written by libarchive's disk writer with its safe
 * flags (no absolute names, no "..", no writing through symlinks). */
#include "cli.h"
#include "cleanup.h"
#include "error.h"
#include "http.h"
#include "tarwalk.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define USAGE                                                                                      \
    "usage: berth cp [-a] [-L] CONTAINER:SRC_PATH DEST_PATH|-  or  berth cp [-a] [-L] "            \
    "SRC_PATH|- CONTAINER:DEST_PATH"

/* a container path's stat (berthd's archive.c) */
struct cstat {
    char *name, *link;
    bool dir;
};

static void cstat_free(struct cstat *s)
{
    free(s->name);
    free(s->link);
}

/* CONTAINER:PATH, docker's way: a local path with ':' needs a '/' before
 * it ("./a:b"). */
static bool split_ref(const char *arg, char **ctr, char **path)
{
    const char *colon = strchr(arg, ':');
    if (colon == NULL || colon == arg || memchr(arg, '/', (size_t)(colon - arg)))
        return false;
    *ctr = strndup(arg, (size_t)(colon - arg));
    *path = xstrdup(colon + 1);
    return true;
}

static int b64_value(char c)
{
    const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(set, c) : NULL;
    return p ? (int)(p - set) : -1;
}

/* standard base64, '=' padding optional; NULL when malformed */
static char *b64_decode(const char *in)
{
    size_t n = strlen(in), k = 0;
    char *out = xmalloc(n / 4 * 3 + 4);
    unsigned acc = 0, bits = 0;
    for (size_t i = 0; i < n && in[i] != '='; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return free(out), NULL;
        acc = acc << 6 | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (char)(acc >> bits & 0xff);
        }
    }
    out[k] = '\0';
    return out;
}

static char *archive_path(const char *ctr, const char *path, const char *extra)
{
    _cleanup_free_ char *c = cli_escape(ctr);
    _cleanup_free_ char *p = cli_escape(path);
    return xasprintf("/containers/%s/archive?path=%s%s", c, p, extra ? extra : "");
}

static int collect(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    return cli_collect(p, d, n, ud);
}

/* A HEAD's error has no body: the same path's GET says why (and is cut
 * short should it succeed now). -1 after printing it. */
static int only_errors(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    return p->status == 200 ? -ECANCELED : cli_collect(p, d, n, ud);
}

static int explain(const char *ctr, const char *path)
{
    _cleanup_free_ char *target = archive_path(ctr, path, NULL);
    struct reply r = {0};
    struct http_request req = {.method = "GET", .on_body = only_errors, .ud = &r};
    cli_http(&req, target, &r);
    int rc = r.status != 200 && r.status > 0 ? cli_api_error(&r, -1)
                                             : cli_error(-1, "cannot read %s:%s", ctr, path);
    reply_free(&r);
    return rc;
}

/* 1 with *st, 0 when the path does not exist, -1 after an error */
static int stat_path(const char *ctr, const char *path, struct cstat *st)
{
    _cleanup_free_ char *target = archive_path(ctr, path, NULL);
    struct reply r = {0};
    struct http_request req = {.method = "HEAD", .on_body = collect, .ud = &r};
    if (cli_http(&req, target, &r) < 0)
        return -1;
    if (r.status == 404) {
        /* a HEAD has no body: say which of the two is missing */
        struct reply c = {0};
        _cleanup_free_ char *q = cli_escape(ctr);
        _cleanup_free_ char *ip = xasprintf("/containers/%s/json", q);
        int rc = cli_call("GET", ip, NULL, &c) < 0 ? -1 : c.status == 404 ? -2 : 0;
        if (rc == -2)
            cli_error(1, "No such container: %s", ctr);
        reply_free(&c);
        reply_free(&r);
        return rc < 0 ? -1 : 0;
    }
    _cleanup_free_ char *text = r.path_stat ? b64_decode(r.path_stat) : NULL;
    long status = r.status;
    reply_free(&r);
    if (status != 200)
        return explain(ctr, path);
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    long long mode = json_integer_value(json_object_get(j, "mode"));
    const char *lt = json_string_value(json_object_get(j, "linkTarget"));
    *st = (struct cstat){.name = xstrdup(json_string_value(json_object_get(j, "name")) ?: ""),
                         .link = lt && *lt ? xstrdup(lt) : NULL,
                         .dir = (mode >> 31) & 1};
    json_decref(j);
    return j ? 1 : cli_error(-1, "berthd sent no stat for %s:%s", ctr, path);
}

static bool copies_contents(const char *path)
{
    size_t n = strlen(path);
    return n >= 2 && streq(path + n - 2, "/.");
}

static bool ends_with_slash(const char *path)
{
    size_t n = strlen(path);
    return n > 0 && path[n - 1] == '/';
}

static char *dir_of(const char *path)
{
    _cleanup_free_ char *c = xstrdup(path);
    return xstrdup(dirname(c));
}

static char *base_of(const char *path)
{
    _cleanup_free_ char *c = xstrdup(path);
    size_t n = strlen(c);
    while (n > 1 && c[n - 1] == '/')
        c[--n] = '\0';
    return xstrdup(basename(c));
}

/* ---- from the container ---- */

struct sink {
    int fd;
    struct reply *r;
};

static int to_fd(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    struct sink *s = ud;
    if (p->status != 200)
        return cli_collect(p, d, n, s->r);
    while (n > 0) {
        ssize_t w = write(s->fd, d, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -(errno ? errno : EIO);
        d += w, n -= (size_t)w;
    }
    return 0;
}

static int fetch(const char *ctr, const char *path, int fd)
{
    _cleanup_free_ char *target = archive_path(ctr, path, NULL);
    struct reply r = {0};
    struct sink s = {fd, &r};
    struct http_request req = {.method = "GET", .on_body = to_fd, .ud = &s};
    int rc = cli_http(&req, target, &r) < 0 ? 1 : r.status == 200 ? 0 : cli_api_error(&r, 1);
    reply_free(&r);
    return rc;
}

/* Unpacks the tar at fd into `dir`; the root entry `from` (NULL: as it
 * is) becomes `to`. */
static int unpack(int fd, const char *dir, const char *from, const char *to, bool owners)
{
    struct archive *in = archive_read_new(), *out = archive_write_disk_new();
    archive_read_support_format_tar(in);
    int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
                ARCHIVE_EXTRACT_UNLINK | (owners ? ARCHIVE_EXTRACT_OWNER : 0);
    archive_write_disk_set_options(out, flags);
    archive_write_disk_set_standard_lookup(out);
    _cleanup_close_ int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (here < 0 || chdir(dir) < 0)
        rc = cli_error(1, "cannot enter '%s': %s", dir, strerror(errno));
    else if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK)
        rc = cli_error(1, "cannot read the archive: %s", archive_error_string(in));
    struct archive_entry *e;
    size_t flen = from ? strlen(from) : 0;
    while (rc == 0 && archive_read_next_header(in, &e) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        if (from && strncmp(name, from, flen) == 0 && (name[flen] == '\0' || name[flen] == '/')) {
            _cleanup_free_ char *n = xasprintf("%s%s", to, name + flen);
            archive_entry_copy_pathname(e, n);
        }
        const char *hl = archive_entry_hardlink(e);
        if (from && hl && strncmp(hl, from, flen) == 0 && (hl[flen] == '\0' || hl[flen] == '/')) {
            _cleanup_free_ char *n = xasprintf("%s%s", to, hl + flen);
            archive_entry_copy_hardlink(e, n);
        }
        if (archive_write_header(out, e) != ARCHIVE_OK) {
            rc = cli_error(1, "cannot write '%s': %s", archive_entry_pathname(e),
                           archive_error_string(out));
            break;
        }
        const void *buf;
        size_t len;
        la_int64_t off;
        int r;
        while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK)
            if (archive_write_data_block(out, buf, len, off) != ARCHIVE_OK) {
                r = ARCHIVE_FATAL;
                break;
            }
        if (r != ARCHIVE_EOF)
            rc = cli_error(1, "cannot write '%s': %s", archive_entry_pathname(e),
                           archive_error_string(out));
        else if (archive_write_finish_entry(out) != ARCHIVE_OK)
            rc = cli_error(1, "cannot finish '%s': %s", archive_entry_pathname(e),
                           archive_error_string(out));
    }
    archive_write_close(out);
    archive_write_free(out);
    archive_read_free(in);
    if (here >= 0 && fchdir(here) < 0 && rc == 0)
        rc = cli_error(1, "cannot return to the working directory: %s", strerror(errno));
    return rc;
}

static int copy_from(const char *ctr, const char *src, const char *dest, bool owners, bool follow)
{
    struct cstat st = {0};
    int found = stat_path(ctr, src, &st);
    if (found <= 0)
        return found < 0 ? 1 : cli_error(1, "Could not find the file %s in container %s", src, ctr);
    _cleanup_free_ char *path = xstrdup(src);
    if (follow && st.link) { /* -L: what the link names */
        _cleanup_free_ char *d = dir_of(src);
        free(path);
        path = st.link[0] == '/' ? xstrdup(st.link) : xasprintf("%s/%s", d, st.link);
        cstat_free(&st);
        if ((found = stat_path(ctr, path, &st)) <= 0)
            return found < 0
                       ? 1
                       : cli_error(1, "Could not find the file %s in container %s", path, ctr);
    }
    if (streq(dest, "-")) {
        cstat_free(&st);
        return isatty(1) ? cli_error(1, "cowardly refusing to write an archive to a terminal")
                         : fetch(ctr, path, 1);
    }
    struct stat ds;
    bool exists = stat(dest, &ds) == 0, contents = copies_contents(path);
    int rc = 0;
    if (exists && !S_ISDIR(ds.st_mode) && (st.dir || contents))
        rc = cli_error(1, "cannot copy a directory to a file: %s", dest);
    else if (!exists && ends_with_slash(dest) && !st.dir)
        rc = cli_error(1, "destination directory %s does not exist", dest);
    _cleanup_free_ char *parent = dir_of(dest), *dbase = base_of(dest);
    struct stat ps;
    if (rc == 0 && !exists && (stat(parent, &ps) < 0 || !S_ISDIR(ps.st_mode)))
        rc = cli_error(1, "cannot copy to %s: no directory %s", dest, parent);
    const char *tmpdir = getenv("TMPDIR");
    int fd =
        rc ? -1 : open(tmpdir && *tmpdir ? tmpdir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (rc == 0 && fd < 0)
        rc = cli_error(1, "cannot create a temporary file: %s", strerror(errno));
    if (rc == 0)
        rc = fetch(ctr, path, fd);
    if (rc == 0 && exists && S_ISDIR(ds.st_mode)) /* under its own name, or what DIR/. holds */
        rc = unpack(fd, dest, NULL, NULL, owners);
    else if (rc == 0) /* it becomes dest */
        rc = unpack(fd, parent, st.name, dbase, owners);
    if (fd >= 0)
        close(fd);
    cstat_free(&st);
    return rc;
}

/* ---- into the container ---- */

/* a PUT's body comes from fd, its answer goes to r */
struct upload {
    int fd;
    struct reply *r;
};

static ssize_t read_fd(char *buf, size_t n, void *ud)
{
    struct upload *u = ud;
    ssize_t k;
    while ((k = read(u->fd, buf, n)) < 0 && errno == EINTR)
        ;
    return k;
}

static int collect_upload(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    return cli_collect(p, d, n, ((struct upload *)ud)->r);
}

static int put(const char *ctr, const char *dir, int fd, int64_t len, bool owners)
{
    _cleanup_free_ char *target = archive_path(ctr, dir,
                                               owners ? "&noOverwriteDirNonDir=true&copyUIDGID=true"
                                                      : "&noOverwriteDirNonDir=true");
    struct reply r = {0};
    struct upload u = {fd, &r};
    struct http_request req = {.method = "PUT",
                               .content_type = "application/x-tar",
                               .read = read_fd,
                               .read_len = len,
                               .on_body = collect_upload,
                               .ud = &u};
    int rc = cli_http(&req, target, &r) < 0 ? 1 : r.status == 200 ? 0 : cli_api_error(&r, 1);
    reply_free(&r);
    return rc;
}

static int copy_to(const char *src, const char *ctr, const char *dest, bool owners, bool follow)
{
    if (streq(src, "-")) /* a tar from stdin, into a directory */
        return put(ctr, dest, 0, -1, owners);
    struct stat ls;
    if ((follow ? stat(src, &ls) : lstat(src, &ls)) < 0)
        return cli_error(1, "cannot read %s: %s", src, strerror(errno));
    bool dir = S_ISDIR(ls.st_mode), contents = copies_contents(src);
    struct cstat st = {0};
    int found = stat_path(ctr, dest, &st);
    if (found < 0)
        return 1;
    _cleanup_free_ char *put_dir = NULL, *name = NULL;
    int rc = 0;
    if (found && st.dir) {
        put_dir = xstrdup(dest);
        name = contents ? xstrdup(".") : base_of(src);
    } else if (found && dir) {
        rc = cli_error(1, "cannot copy a directory to a file: %s:%s", ctr, dest);
    } else if (!found && ends_with_slash(dest) && !dir) {
        rc = cli_error(1, "destination directory %s:%s does not exist", ctr, dest);
    } else {
        put_dir = dir_of(dest);
        name = base_of(dest);
        struct cstat pst = {0};
        int pf = stat_path(ctr, put_dir, &pst);
        if (pf == 0 || (pf > 0 && !pst.dir))
            rc = cli_error(1, "cannot copy to %s:%s: no directory %s", ctr, dest, put_dir);
        else if (pf < 0)
            rc = 1;
        cstat_free(&pst);
    }
    cstat_free(&st);
    if (rc)
        return rc;
    /* the tar: src under `name` */
    _cleanup_free_ char *sdir = contents ? xstrdup(src) : dir_of(src);
    _cleanup_free_ char *sbase = contents ? xstrdup(".") : base_of(src);
    _cleanup_close_ int dfd = open(sdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const char *tmpdir = getenv("TMPDIR");
    _cleanup_close_ int fd =
        open(tmpdir && *tmpdir ? tmpdir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (dfd < 0 || fd < 0)
        return cli_error(1, "cannot read %s: %s", dfd < 0 ? sdir : "a temporary file",
                         strerror(errno));
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    struct berth_error *err = NULL;
    if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
        rc = cli_error(1, "cannot write the archive: %s", archive_error_string(a));
    else if (tarwalk_add(a, dfd, sbase, name, follow, &err) < 0)
        rc = cli_error(1, "cannot copy %s: %s", src, err->msg);
    if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
        rc = cli_error(1, "cannot write the archive: %s", archive_error_string(a));
    archive_write_free(a);
    berth_error_clear(&err);
    struct stat ts;
    if (rc == 0 && (fstat(fd, &ts) < 0 || lseek(fd, 0, SEEK_SET) < 0))
        rc = cli_error(1, "cannot read the archive: %s", strerror(errno));
    return rc ? rc : put(ctr, put_dir, fd, ts.st_size, owners);
}

int cmd_cp(int argc, char **argv)
{
    static const struct option opts[] = {{"archive", no_argument, NULL, 'a'},
                                         {"follow-link", no_argument, NULL, 'L'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {NULL, 0, NULL, 0}};
    bool owners = false, follow = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "aLq", opts, NULL)) != -1) {
        if (c == 'a')
            owners = true;
        else if (c == 'L')
            follow = true;
        else if (c != 'q')
            return cli_error(125, "unknown flag '%s' for cp; " USAGE, argv[optind - 1]);
    }
    if (argc - optind != 2)
        return cli_error(125, "cp takes a source and a destination; " USAGE);
    _cleanup_free_ char *sc = NULL, *sp = NULL, *dc = NULL, *dp = NULL;
    bool from = split_ref(argv[optind], &sc, &sp), to = split_ref(argv[optind + 1], &dc, &dp);
    if (from == to)
        return cli_error(125, "%s; " USAGE,
                         from ? "copying between containers is not supported"
                              : "one of source and destination must be CONTAINER:PATH");
    const char *cpath = from ? sp : dp;
    if (*cpath == '\0')
        return cli_error(125, "the container path is empty; " USAGE);
    _cleanup_free_ char *abs = cpath[0] == '/' ? xstrdup(cpath) : xasprintf("/%s", cpath);
    return from ? copy_from(sc, abs, argv[optind + 1], owners, follow)
                : copy_to(argv[optind], dc, abs, owners, follow);
}
