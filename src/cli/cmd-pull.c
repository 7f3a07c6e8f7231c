/* berth pull [-q] [--platform P] NAME[:TAG|@DIGEST]: berthd's
 * POST /images/create?fromImage= streams Docker's progress messages; the
 * lines that end a step are printed as they come (per layer "Pull
 * complete" or "Already exists"), then the full reference as docker does.
 * On a terminal each layer has a line redrawn in place with its state and
 * download progress bar, as docker's. */
#include "cli.h"
#include "cleanup.h"
#include "http.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define USAGE "usage: berth pull [-q] [--platform OS/ARCH[/VARIANT]] NAME[:TAG|@DIGEST]"

struct pull_out {
    struct cli_stream s; /* first: the request's ud */
    FILE *out;           /* NULL: quiet */
    bool tty;            /* redraw each layer's line in place */
    json_t *rows;        /* tty: {"ID": line number} */
    int lines;           /* tty: the lines printed since the first layer's */
};

/* docker's jsonmessage progress bar: 50 columns and the sizes */
static void progress_bar(json_t *detail, char *buf, size_t len)
{
    json_int_t cur = json_integer_value(json_object_get(detail, "current"));
    json_int_t total = json_integer_value(json_object_get(detail, "total"));
    *buf = '\0';
    if (total <= 0 || cur < 0)
        return;
    if (cur > total)
        cur = total;
    int n = (int)(cur * 50 / total);
    char a[32], b[32];
    cli_human_size((double)cur, 4, a, sizeof(a));
    cli_human_size((double)total, 4, b, sizeof(b));
    snprintf(buf, len, " [%.*s%s%*s] %8s/%s", n,
             "==================================================", n < 50 ? ">" : "",
             n < 50 ? 49 - n : 0, "", a, b);
}

/* A layer's line on a terminal: printed below the others when new, else
 * rewritten where it is (cursor up, clear, back down), as docker does. */
static void draw_row(struct pull_out *o, const char *id, const char *st, json_t *detail)
{
    char bar[128];
    progress_bar(detail, bar, sizeof(bar));
    json_t *row = json_object_get(o->rows, id);
    if (row == NULL) {
        json_object_set_new(o->rows, id, json_integer(o->lines++));
        fprintf(o->out, "%s: %s%s\n", id, st, bar);
        return;
    }
    int up = o->lines - (int)json_integer_value(row);
    fprintf(o->out, "\033[%dA\033[2K\r%s: %s%s\n", up, id, st, bar);
    if (up > 1)
        fprintf(o->out, "\033[%dB", up - 1);
}

static void print_message(json_t *m, void *ud)
{
    struct pull_out *o = ud;
    const char *st = json_string_value(json_object_get(m, "status"));
    const char *id = json_string_value(json_object_get(m, "id"));
    bool first = st && strncmp(st, "Pulling from", 12) == 0;
    bool step = st && (first || streq(st, "Pull complete") || streq(st, "Already exists"));
    if (o->out && o->tty && st && id && !first)
        draw_row(o, id, st, json_object_get(m, "progressDetail"));
    else if (o->out && st && id && step)
        fprintf(o->out, "%s: %s\n", id, st);
    else if (o->out && st && !id)
        fprintf(o->out, "%s\n", st);
    if (o->out && o->tty && st && !(id && !first))
        o->lines++;
    if (o->out)
        fflush(o->out);
}

/* "busybox" -> "docker.io/library/busybox:latest", as docker prints it */
static char *full_ref(const char *name)
{
    const char *slash = strchr(name, '/'), *last = strrchr(name, '/');
    _cleanup_free_ char *first = slash ? strndup(name, (size_t)(slash - name)) : NULL;
    bool host = first && (strchr(first, '.') || strchr(first, ':') || streq(first, "localhost"));
    const char *colon = strrchr(last ? last : name, ':');
    const char *tail = strchr(name, '@') || colon ? "" : ":latest";
    if (host)
        return xasprintf("%s%s", name, tail);
    return xasprintf("docker.io/%s%s%s", slash ? "" : "library/", name, tail);
}

int cli_pull(const char *name, const char *platform, FILE *out)
{
    _cleanup_free_ char *qn = cli_escape(name);
    _cleanup_free_ char *qp = platform ? cli_escape(platform) : NULL;
    _cleanup_free_ char *path =
        xasprintf("/images/create?fromImage=%s%s%s", qn, qp ? "&platform=" : "", qp ? qp : "");
    struct reply r = {0};
    struct pull_out o = {
        .s = {.r = &r, .each = print_message}, .out = out, .tty = out && isatty(fileno(out))};
    o.rows = json_object();
    struct http_request req = {.method = "POST", .on_body = cli_stream_cb, .ud = &o};
    /* berth login's credentials for the image's registry, if any */
    int rc = cli_stream_end(&o.s, cli_http_auth(&req, path, name, &r) < 0 ? 1 : 0);
    json_decref(o.rows);
    reply_free(&r);
    return rc;
}

int cmd_pull(int argc, char **argv)
{
    static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                         {"platform", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    const char *platform = NULL;
    bool quiet = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1) {
        if (c == 'q')
            quiet = true;
        else if (c == 'p')
            platform = optarg;
        else
            return cli_error(125, "unknown flag '%s' for pull; " USAGE, argv[optind - 1]);
    }
    if (argc - optind != 1)
        return cli_error(125, "pull takes one image name; " USAGE);
    int rc = cli_pull(argv[optind], platform, quiet ? NULL : stdout);
    if (rc == 0) {
        _cleanup_free_ char *full = full_ref(argv[optind]);
        printf("%s\n", full);
    }
    return rc;
}
