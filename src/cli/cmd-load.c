/* berth load [-q] [-i FILE], berth save [-o FILE] IMAGE...,
 * berth import [-m MESSAGE] FILE|- [REPOSITORY[:TAG]]: the archive streams
 * to or from berthd through cli_http (cli_call holds a JSON body in memory). */
#include "cli.h"
#include "cleanup.h"
#include "http.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct xfer {
    FILE *f;
    int64_t total;
    bool bar;
    struct reply *r;
};

static ssize_t read_cb(char *buf, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t k = fread(buf, 1, n, x->f);
    return k == 0 && ferror(x->f) ? -1 : (ssize_t)k;
}

static int collect_cb(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    return cli_collect(p, d, n, ((struct xfer *)ud)->r);
}

/* a save's archive goes to the file unless berthd answered an error */
static int save_cb(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    struct xfer *x = ud;
    if (p->status != 200)
        return collect_cb(p, d, n, ud);
    return fwrite(d, 1, n, x->f) == n ? 0 : -(errno ? errno : EIO);
}

static void bar_cb(uint64_t sent, void *ud)
{
    struct xfer *x = ud;
    if (x->bar)
        fprintf(stderr, "\rLoading archive  %.1fMB", (double)sent / 1e6);
}

/* One request on berthd's socket: the body read from x->f with `upload`. */
static int transfer(const char *method, const char *path, struct xfer *x, bool upload,
                    http_body_fn wcb)
{
    struct http_request req = {.method = method,
                               .content_type = "application/x-tar",
                               .read = upload ? read_cb : NULL,
                               .read_len = x->total,
                               .progress = bar_cb,
                               .on_body = wcb,
                               .ud = x};
    int rc = cli_http(&req, path, x->r);
    if (x->bar)
        fputc('\n', stderr);
    return rc;
}

/* The JSON messages of a load or import reply, as docker prints them. */
static int print_messages(struct reply *r)
{
    int rc = 0;
    for (char *line = r->body, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        json_t *m = json_loads(line, 0, NULL);
        const char *s = json_string_value(json_object_get(m, "stream"));
        const char *st = json_string_value(json_object_get(m, "status"));
        const char *id = json_string_value(json_object_get(m, "id"));
        const char *e = json_string_value(json_object_get(m, "error"));
        if (s)
            fputs(s, stdout);
        else if (st && id)
            fprintf(stderr, "%s: %s\n", id, st);
        else if (st)
            printf("%s\n", st);
        if (e)
            rc = cli_error(1, "%s", e);
        json_decref(m);
    }
    return rc;
}

static FILE *open_input(const char *name, int64_t *ret_size)
{
    FILE *f = streq(name, "-") ? fdopen(dup(0), "rb") : fopen(name, "rbe");
    struct stat st;
    *ret_size = f && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : -1;
    if (f == NULL)
        cli_error(125, "cannot open '%s': %s", name, strerror(errno));
    return f;
}

static int send_archive(const char *path, const char *input, bool bar)
{
    struct reply r = {0};
    struct xfer x = {.bar = bar, .r = &r};
    if ((x.f = open_input(input, &x.total)) == NULL)
        return 125;
    if (streq(input, "-") && isatty(0))
        return fclose(x.f), cli_error(125, "requested load from stdin, but stdin is empty");
    int rc = transfer("POST", path, &x, true, collect_cb) < 0 ? 1 : 0;
    fclose(x.f);
    if (rc == 0)
        rc = r.status == 200 ? print_messages(&r) : cli_api_error(&r, 1);
    reply_free(&r);
    return rc;
}

int cmd_load(int argc, char **argv)
{
    static const struct option opts[] = {{"input", required_argument, NULL, 'i'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {NULL, 0, NULL, 0}};
    const char *input = "-";
    bool quiet = !isatty(2);
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:q", opts, NULL)) != -1) {
        if (c == 'i')
            input = optarg;
        else if (c == 'q')
            quiet = true;
        else
            return cli_error(125, "unknown flag '%s' for load; usage: berth load [-q] [-i FILE]",
                             argv[optind - 1]);
    }
    if (optind < argc)
        return cli_error(125, "load takes no arguments; usage: berth load [-q] [-i FILE]");
    return send_archive(quiet ? "/images/load?quiet=1" : "/images/load?quiet=0", input, !quiet);
}

static int save_to(const char *path, const char *out)
{
    struct reply r = {0};
    struct xfer x = {.r = &r};
    _cleanup_free_ char *tmp = out ? xasprintf("%s.berth-tmp", out) : NULL;
    if (out && (x.f = fopen(tmp, "wbe")) == NULL)
        return cli_error(125, "cannot create '%s': %s", tmp, strerror(errno));
    if (out == NULL)
        x.f = stdout;
    /* an error reply must not land in the file */
    FILE *f = x.f;
    int rc = transfer("GET", path, &x, false, save_cb) < 0 ? 1 : 0;
    if (rc == 0 && r.status != 200)
        rc = cli_api_error(&r, 1);
    if (out && (fclose(f) != 0 || rc != 0)) {
        unlink(tmp);
        return rc ? rc : cli_error(1, "cannot write '%s': %s", out, strerror(errno));
    }
    if (out && rename(tmp, out) < 0)
        return unlink(tmp), cli_error(1, "cannot write '%s': %s", out, strerror(errno));
    reply_free(&r);
    return rc;
}

/* save's and export's -o FILE: 0 with *ret_out (NULL: stdout, which is
 * no terminal) and optind at the first argument, else the exit code. */
static int output_flag(int argc, char **argv, const char *cmd, const char *usage,
                       const char **ret_out)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    int c;
    *ret_out = NULL;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (c != 'o')
            return cli_error(125, "unknown flag '%s' for %s; %s", argv[optind - 1], cmd, usage);
        *ret_out = optarg;
    }
    if (*ret_out == NULL && isatty(1))
        return cli_error(125, "cowardly refusing to save to a terminal. Use the -o flag or "
                              "redirect");
    return 0;
}

#define SAVE_USAGE "usage: berth save [-o FILE] IMAGE..."

int cmd_save(int argc, char **argv)
{
    const char *out;
    int rc = output_flag(argc, argv, "save", SAVE_USAGE, &out);
    if (rc)
        return rc;
    if (optind >= argc)
        return cli_error(125, "save needs at least one image; " SAVE_USAGE);
    _cleanup_free_ char *path = xstrdup("/images/get?");
    for (int i = optind; i < argc; i++) {
        _cleanup_free_ char *q = cli_escape(argv[i]);
        char *p = xasprintf("%s%snames=%s", path, i > optind ? "&" : "", q);
        free(path);
        path = p;
    }
    return save_to(path, out);
}

#define EXPORT_USAGE "usage: berth export [-o FILE] CONTAINER"

/* berth export: the container's root file system as a tar (docker export) */
int cmd_export(int argc, char **argv)
{
    const char *out;
    int rc = output_flag(argc, argv, "export", EXPORT_USAGE, &out);
    if (rc)
        return rc;
    if (argc - optind != 1)
        return cli_error(125, "export takes one container; " EXPORT_USAGE);
    _cleanup_free_ char *q = cli_escape(argv[optind]);
    _cleanup_free_ char *path = xasprintf("/containers/%s/export", q);
    return save_to(path, out);
}

#define IMPORT_USAGE "usage: berth import [-m MESSAGE] FILE|- [REPOSITORY[:TAG]]"

int cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {{"message", required_argument, NULL, 'm'},
                                         {"change", required_argument, NULL, 'c'},
                                         {"platform", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    const char *msg = "";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:c:", opts, NULL)) != -1) {
        if (c == 'm')
            msg = optarg;
        else if (c == 'c')
            return cli_error(125, "import --change is not supported by berth: '%s'", optarg);
        else if (c == 'p' && !streq(optarg, "linux/amd64"))
            return cli_error(125, "import --platform '%s' is not supported: only linux/amd64",
                             optarg);
        else if (c != 'p')
            return cli_error(125, "unknown flag '%s' for import; " IMPORT_USAGE, argv[optind - 1]);
    }
    if (optind >= argc || argc - optind > 2)
        return cli_error(125, IMPORT_USAGE);
    const char *src = argv[optind];
    if (strstr(src, "://"))
        return cli_error(125, "importing from a URL is not supported by berth: '%s'", src);
    _cleanup_free_ char *repo = cli_escape(optind + 1 < argc ? argv[optind + 1] : "");
    _cleanup_free_ char *m = cli_escape(msg);
    _cleanup_free_ char *path =
        xasprintf("/images/create?fromSrc=-&repo=%s&tag=&message=%s", repo, m);
    return send_archive(path, src, false);
}
