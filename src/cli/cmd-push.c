/* berth push [-q] NAME[:TAG]: berthd's POST /images/{name}/push?tag=
 * streams Docker's progress messages, with the credentials of `berth
 * login` for the image's registry (X-Registry-Auth). Printed as docker
 * does without a terminal: the repository, per layer "Pushed" or "Layer
 * already exists", then "TAG: digest: D size: N". */
#include "cli.h"
#include "cleanup.h"
#include "http.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "usage: berth push [-q] NAME[:TAG]"

struct push_out {
    struct reply *r;
    char *line; /* a message not yet ended by its newline */
    size_t len;
    bool quiet;
    char *error;
};

static void print_message(struct push_out *o, const char *text)
{
    json_t *m = json_loads(text, 0, NULL);
    const char *st = json_string_value(json_object_get(m, "status"));
    const char *id = json_string_value(json_object_get(m, "id"));
    const char *e = json_string_value(json_object_get(m, "error"));
    if (e && o->error == NULL)
        o->error = xstrdup(e);
    bool step = st && (streq(st, "Pushed") || streq(st, "Layer already exists"));
    if (!o->quiet && st && id && step)
        printf("%s: %s\n", id, st);
    else if (!o->quiet && st && !id)
        printf("%s\n", st);
    fflush(stdout);
    json_decref(m);
}

static int push_cb(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    struct push_out *o = ud;
    if (p->status != 200)
        return cli_collect(p, d, n, o->r);
    for (size_t i = 0; i < n; i++) {
        if (d[i] != '\n') {
            o->line = xrealloc(o->line, o->len + 2);
            o->line[o->len++] = d[i];
            continue;
        }
        o->line = xrealloc(o->line, o->len + 1);
        o->line[o->len] = '\0';
        print_message(o, o->line);
        o->len = 0;
    }
    return 0;
}

static int push(const char *name, bool quiet)
{
    /* NAME:TAG -> NAME and TAG, as docker sends them */
    const char *slash = strrchr(name, '/'), *colon = strrchr(name, ':');
    bool tagged = colon && (!slash || colon > slash);
    _cleanup_free_ char *repo = tagged ? strndup(name, (size_t)(colon - name)) : xstrdup(name);
    _cleanup_free_ char *qt = cli_escape(tagged ? colon + 1 : "latest");
    _cleanup_free_ char *path = xasprintf("/images/%s/push?tag=%s", repo, qt);
    struct reply r = {0};
    struct push_out o = {.r = &r, .quiet = quiet};
    struct http_request req = {.method = "POST", .on_body = push_cb, .ud = &o};
    int rc = cli_http_auth(&req, path, name, &r) < 0 ? 1 : 0;
    if (rc == 0 && r.status != 200)
        rc = cli_api_error(&r, 1);
    else if (rc == 0 && o.error)
        rc = cli_error(1, "%s", o.error);
    else if (rc == 0 && quiet)
        printf("%s\n", name);
    free(o.line);
    free(o.error);
    reply_free(&r);
    return rc;
}

int cmd_push(int argc, char **argv)
{
    static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'}, {NULL, 0, NULL, 0}};
    bool quiet = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1) {
        if (c == 'q')
            quiet = true;
        else
            return cli_error(125, "unknown flag '%s' for push; " USAGE, argv[optind - 1]);
    }
    if (argc - optind != 1)
        return cli_error(125, "push takes one image name; " USAGE);
    if (strchr(argv[optind], '@'))
        return cli_error(125, "cannot push a digest reference: '%s'", argv[optind]);
    return push(argv[optind], quiet);
}
