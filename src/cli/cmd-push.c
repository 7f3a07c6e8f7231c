/* berth push [-q] [-a] NAME[:TAG]: berthd's POST /images/{name}/push?tag=
 * (with -a, --all-tags, no tag: every tag of the repository)
 * streams Docker's progress messages, with the credentials of `berth
 * login` for the image's registry (X-Registry-Auth). Printed as docker
 * does without a terminal: the repository, per layer "Pushed" or "Layer
 * already exists", then "TAG: digest: D size: N". */
#include "cli.h"
#include "cleanup.h"
#include "http.h"
#include "registry.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define USAGE "usage: berth push [-q] [-a|--all-tags] NAME[:TAG]"

struct push_out {
    struct cli_stream s; /* first: the request's ud */
    bool quiet;
};

static void print_message(json_t *m, void *ud)
{
    struct push_out *o = ud;
    const char *st = json_string_value(json_object_get(m, "status"));
    const char *id = json_string_value(json_object_get(m, "id"));
    bool step = st && (streq(st, "Pushed") || streq(st, "Layer already exists"));
    if (!o->quiet && st && id && step)
        printf("%s: %s\n", id, st);
    else if (!o->quiet && st && !id)
        printf("%s\n", st);
    fflush(stdout);
}

static int push(const char *name, bool quiet, bool all)
{
    /* NAME:TAG -> NAME and TAG, as docker sends them; no tag: every one */
    const char *tag = registry_name_tag(name);
    if (tag && all)
        return cli_error(125, "tag can't be used with --all-tags/-a");
    _cleanup_free_ char *repo = tag ? strndup(name, (size_t)(tag - 1 - name)) : xstrdup(name);
    _cleanup_free_ char *qt = cli_escape(tag ? tag : all ? "" : "latest");
    _cleanup_free_ char *path = xasprintf("/images/%s/push?tag=%s", repo, qt);
    struct reply r = {0};
    struct push_out o = {.s = {.r = &r, .each = print_message}, .quiet = quiet};
    struct http_request req = {.method = "POST", .on_body = cli_stream_cb, .ud = &o};
    int rc = cli_stream_end(&o.s, cli_http_auth(&req, path, name, &r) < 0 ? 1 : 0);
    if (rc == 0 && quiet)
        printf("%s\n", name);
    reply_free(&r);
    return rc;
}

int cmd_push(int argc, char **argv)
{
    static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                         {"all-tags", no_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    bool quiet = false, all = false;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+qa", opts, NULL)) != -1) {
        if (c == 'q')
            quiet = true;
        else if (c == 'a')
            all = true;
        else
            return cli_error(125, "unknown flag '%s' for push; " USAGE, argv[optind - 1]);
    }
    if (argc - optind != 1)
        return cli_error(125, "push takes one image name; " USAGE);
    if (strchr(argv[optind], '@'))
        return cli_error(125, "cannot push a digest reference: '%s'", argv[optind]);
    return push(argv[optind], quiet, all);
}
