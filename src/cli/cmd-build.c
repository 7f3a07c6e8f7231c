/* berth build [-t NAME[:TAG]]... [-f DOCKERFILE] [--build-arg K[=V]]...
 * [--no-cache] [--target STAGE] [--network MODE] [-q] CONTEXT (issue 16):
 * the context dir as a tar (its .dockerignore'd files left out; the
 * Dockerfile and .dockerignore always in) is POSTed to berthd's /build,
 * which builds as Docker's classic builder (RUN on --network's network);
 * its JSON stream's "stream" texts are printed as they come, an "error"
 * goes to stderr (exit 1). */
#include "cli.h"
#include "cleanup.h"
#include "dockerfile.h"
#include "error.h"
#include "http.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define USAGE                                                                                      \
    "usage: berth build [-t NAME[:TAG]]... [-f DOCKERFILE] [--build-arg K=V]... [--no-cache] "     \
    "[--target STAGE] [--network MODE] [-q] CONTEXT"
/* the name a Dockerfile from outside the context gets in its tar; berthd
 * (src/daemon/build.c) leaves it out of the context once read */
#define OUTSIDE_DOCKERFILE ".berth-dockerfile"

struct ctx_tar {
    struct archive *a;
    struct dockerignore *ig;
    const char *dockerfile; /* its path in the context */
};

static int add_data(struct archive *a, int fd, const char *path)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return cli_error(1, "cannot read '%s': %s", path, strerror(errno));
        if (n == 0)
            return 0;
        if (archive_write_data(a, buf, (size_t)n) != n)
            return cli_error(1, "cannot write the context: %s", archive_error_string(a));
    }
}

/* One context entry (`name` in `dfd`) as `path` in the tar. */
static int add_entry(struct ctx_tar *t, int dfd, const char *name, const char *path,
                     struct stat *st)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_copy_stat(e, st);
    archive_entry_set_pathname(e, path);
    char target[PATH_MAX];
    _cleanup_close_ int fd = -1;
    if (S_ISLNK(st->st_mode)) {
        ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
        target[n < 0 ? 0 : n] = '\0';
        archive_entry_set_symlink(e, target);
    } else if (S_ISREG(st->st_mode)) {
        fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            archive_entry_free(e);
            return cli_error(1, "cannot read '%s': %s", path, strerror(errno));
        }
    } else if (!S_ISDIR(st->st_mode)) {
        archive_entry_free(e);
        return 0; /* devices, fifos and sockets: nothing COPY can use */
    }
    int rc = archive_write_header(t->a, e) == ARCHIVE_OK
                 ? 0
                 : cli_error(1, "cannot write the context: %s", archive_error_string(t->a));
    archive_entry_free(e);
    return rc == 0 && fd >= 0 ? add_data(t->a, fd, path) : rc;
}

static int add_dir(struct ctx_tar *t, int dfd, const char *prefix)
{
    int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
    _cleanup_closedir_ DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (d)
        rewinddir(d); /* the dup shares the offset of a dir read before */
    struct dirent *de;
    if (d == NULL)
        return cli_error(1, "cannot read the context '%s': %s", *prefix ? prefix : ".",
                         strerror(errno));
    while ((de = readdir(d)) != NULL) {
        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        _cleanup_free_ char *p =
            *prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
        struct stat st;
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return cli_error(1, "cannot stat '%s': %s", p, strerror(errno));
        bool dir = S_ISDIR(st.st_mode), keep = streq(p, t->dockerfile) || streq(p, ".dockerignore");
        bool out = !keep && dockerignore_excluded(t->ig, p);
        if (out && !(dir && dockerignore_may_include(t->ig, p)))
            continue;
        if (!out && add_entry(t, dfd, de->d_name, p, &st) != 0)
            return 1;
        _cleanup_close_ int sub =
            dir ? openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        if (sub >= 0 && add_dir(t, sub, p) != 0)
            return 1;
    }
    return 0;
}

static struct dockerignore *read_ignore(int ctxfd, int *rc)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    struct berth_error *err = NULL;
    struct dockerignore *ig = NULL;
    *rc = 0;
    if (read_file_at(ctxfd, ".dockerignore", &text, &len, &err) < 0) {
        berth_error_clear(&err);
        return NULL;
    }
    if (dockerignore_parse(text, len, &ig, &err) < 0) {
        *rc = cli_error(1, ".dockerignore: %s", err->msg);
        berth_error_clear(&err);
    }
    return ig;
}

/* A Dockerfile outside the context goes in as OUTSIDE_DOCKERFILE. */
static int add_outside(struct ctx_tar *t, const char *file)
{
    struct stat st;
    _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
        return cli_error(1, "cannot read the Dockerfile '%s': %s", file, strerror(errno));
    _cleanup_free_ char *dir = xstrdup(file);
    char *slash = strrchr(dir, '/');
    _cleanup_close_ int dfd =
        open(slash ? (*slash = '\0', *dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return add_entry(t, dfd, strrchr(file, '/') ? strrchr(file, '/') + 1 : file, OUTSIDE_DOCKERFILE,
                     &st);
}

/* The context as a tar in an unlinked temp file, at its start. */
static FILE *context_tar(const char *ctx, const char *dockerfile, bool outside, const char *file)
{
    _cleanup_close_ int ctxfd = open(ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ctxfd < 0)
        return cli_error(1, "unable to prepare context: path \"%s\" not found", ctx), NULL;
    const char *tmpdir = getenv("TMPDIR");
    int fd = open(tmpdir && *tmpdir ? tmpdir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    int rc = 0;
    struct ctx_tar t = {.a = archive_write_new(), .dockerfile = dockerfile};
    t.ig = read_ignore(ctxfd, &rc);
    archive_write_set_format_pax_restricted(t.a);
    if (fd < 0)
        rc = cli_error(1, "cannot create a temp file: %s", strerror(errno));
    else if (rc == 0 && archive_write_open_fd(t.a, fd) != ARCHIVE_OK)
        rc = cli_error(1, "cannot write the context: %s", archive_error_string(t.a));
    if (rc == 0)
        rc = add_dir(&t, ctxfd, "");
    if (rc == 0 && outside)
        rc = add_outside(&t, file);
    if (archive_write_close(t.a) != ARCHIVE_OK && rc == 0)
        rc = cli_error(1, "cannot write the context: %s", archive_error_string(t.a));
    archive_write_free(t.a);
    dockerignore_free(t.ig);
    if (rc != 0 || lseek(fd, 0, SEEK_SET) < 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    return fdopen(fd, "rb");
}

struct build_out {
    struct cli_stream s; /* first: the request's ud */
    FILE *f;             /* the context tar, sent first */
};

static void print_message(json_t *m, void *ud)
{
    const char *s = json_string_value(json_object_get(m, "stream"));
    (void)ud;
    if (s) {
        fputs(s, stdout);
        fflush(stdout);
    }
}

static ssize_t read_cb(char *buf, size_t n, void *ud)
{
    struct build_out *o = ud;
    size_t k = fread(buf, 1, n, o->f);
    return k == 0 && ferror(o->f) ? -1 : (ssize_t)k;
}

static int send_context(FILE *f, const char *path)
{
    struct reply r = {0};
    struct build_out o = {.s = {.r = &r, .each = print_message}, .f = f};
    struct stat st;
    struct http_request req = {.method = "POST",
                               .content_type = "application/x-tar",
                               .read = read_cb,
                               .read_len = fstat(fileno(f), &st) == 0 ? st.st_size : -1,
                               .on_body = cli_stream_cb,
                               .ud = &o};
    int rc = cli_stream_end(&o.s, cli_http(&req, path, &r) < 0 ? 1 : 0);
    reply_free(&r);
    return rc;
}

/* --build-arg K=V, or K alone: its value from the environment (docker's;
 * an unset K is left out) */
static void add_build_arg(json_t *args, const char *kv)
{
    const char *eq = strchr(kv, '=');
    _cleanup_free_ char *k = eq ? strndup(kv, (size_t)(eq - kv)) : xstrdup(kv);
    const char *v = eq ? eq + 1 : getenv(k);
    if (v)
        json_object_set_new(args, k, json_string(v));
}

/* The Dockerfile's name in the context, or OUTSIDE_DOCKERFILE with
 * *ret_outside when -f names a file outside it. NULL after printing why
 * (*ret_rc the exit status). */
static char *dockerfile_name(const char *ctx, const char *file, bool *ret_outside, int *ret_rc)
{
    *ret_outside = false;
    if (file == NULL)
        return xstrdup("Dockerfile");
    if (streq(file, "-"))
        return *ret_rc = cli_error(125, "build -f - (a Dockerfile on stdin) is not supported by "
                                        "berth"),
               NULL;
    _cleanup_free_ char *rc = realpath(ctx, NULL), *rf = realpath(file, NULL);
    if (rc == NULL || rf == NULL)
        return *ret_rc = cli_error(1, "Cannot locate specified Dockerfile: %s", file), NULL;
    size_t n = strlen(rc);
    if (strncmp(rf, rc, n) == 0 && (rf[n] == '/' || streq(rc, "/")))
        return xstrdup(rf + n + (streq(rc, "/") ? 0 : 1));
    *ret_outside = true;
    return xstrdup(OUTSIDE_DOCKERFILE);
}

struct build_query {
    json_t *tags, *args;
    const char *df, *target, *network;
    bool nocache, quiet;
};

static char *query(const struct build_query *q)
{
    _cleanup_free_ char *a = json_dumps(q->args, JSON_COMPACT), *qa = cli_escape(a);
    _cleanup_free_ char *qd = cli_escape(q->df), *qt = cli_escape(q->target ? q->target : "");
    _cleanup_free_ char *qn = cli_escape(q->network ? q->network : "");
    char *path = xasprintf("/build?dockerfile=%s&buildargs=%s&nocache=%d&target=%s&q=%d&rm=1"
                           "&networkmode=%s",
                           qd, qa, q->nocache, qt, q->quiet, qn);
    json_t *t;
    size_t i;
    json_array_foreach(q->tags, i, t)
    {
        _cleanup_free_ char *tag = cli_escape(json_string_value(t));
        char *p = xasprintf("%s&t=%s", path, tag);
        free(path);
        path = p;
    }
    return path;
}

int cmd_build(int argc, char **argv)
{
    static const struct option opts[] = {{"tag", required_argument, NULL, 't'},
                                         {"file", required_argument, NULL, 'f'},
                                         {"build-arg", required_argument, NULL, 'a'},
                                         {"no-cache", no_argument, NULL, 'n'},
                                         {"target", required_argument, NULL, 'T'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"rm", no_argument, NULL, 'r'},
                                         {"network", required_argument, NULL, 'N'},
                                         {NULL, 0, NULL, 0}};
    struct build_query q = {.tags = json_array(), .args = json_object()};
    const char *file = NULL;
    bool outside = false;
    int c, rc = 0;
    opterr = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "t:f:q", opts, NULL)) != -1) {
        if (c == 't')
            json_array_append_new(q.tags, json_string(optarg));
        else if (c == 'f')
            file = optarg;
        else if (c == 'a')
            add_build_arg(q.args, optarg);
        else if (c == 'n')
            q.nocache = true;
        else if (c == 'T')
            q.target = optarg;
        else if (c == 'N')
            q.network = optarg;
        else if (c == 'q')
            q.quiet = true;
        else if (c != 'r')
            rc = cli_error(125, "unknown flag '%s' for build; " USAGE, argv[optind - 1]);
    }
    if (rc == 0 && argc - optind != 1)
        rc = cli_error(125, "build takes one context dir; " USAGE);
    else if (rc == 0 && (streq(argv[optind], "-") || strstr(argv[optind], "://")))
        rc = cli_error(125, "build context '%s' is not supported by berth: give a directory",
                       argv[optind]);
    _cleanup_free_ char *df = rc ? NULL : dockerfile_name(argv[optind], file, &outside, &rc);
    FILE *f = df ? context_tar(argv[optind], df, outside, file) : NULL;
    q.df = df;
    if (rc == 0 && df && f) {
        _cleanup_free_ char *path = query(&q);
        rc = send_context(f, path);
    } else if (rc == 0) {
        rc = 1;
    }
    if (f)
        fclose(f);
    json_decref(q.tags);
    json_decref(q.args);
    return rc;
}
