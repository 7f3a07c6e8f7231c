/* berth rmi [-f] [--no-prune] IMAGE..., berth tag SOURCE TARGET,
 * berth image inspect [-f TEMPLATE] IMAGE..., and berth image SUBCOMMAND. */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_rmi(int argc, char **argv)
{
    static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                         {"no-prune", no_argument, NULL, 'P'},
                                         {NULL, 0, NULL, 0}};
    bool force = false, prune = true;
    int c, rc = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
        if (c == 'f')
            force = true;
        else if (c == 'P')
            prune = false;
        else
            return cli_error(
                125, "unknown flag '%s' for rmi; usage: berth rmi [-f] [--no-prune] IMAGE...",
                argv[optind - 1]);
    }
    if (optind >= argc)
        return cli_error(
            125, "rmi needs at least one image; usage: berth rmi [-f] [--no-prune] IMAGE...");
    for (int i = optind; i < argc; i++) {
        _cleanup_free_ char *name = cli_escape(argv[i]);
        _cleanup_free_ char *path =
            xasprintf("/images/%s?force=%d&noprune=%d", name, force, !prune);
        struct reply r;
        if (cli_call("DELETE", path, NULL, &r) < 0)
            return 1;
        json_t *list = r.status == 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL, *e;
        size_t k;
        json_array_foreach(list, k, e)
        {
            const char *key = json_object_iter_key(json_object_iter(e));
            printf("%s: %s\n", key, json_string_value(json_object_get(e, key)));
        }
        if (r.status != 200)
            rc = cli_api_error(&r, 1);
        json_decref(list);
        reply_free(&r);
    }
    return rc;
}

int cmd_tag(int argc, char **argv)
{
    if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
        return cli_error(125, "usage: berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]");
    _cleanup_free_ char *src = cli_escape(argv[1]);
    _cleanup_free_ char *repo = xstrdup(argv[2]);
    char *slash = strrchr(repo, '/'), *colon = strrchr(repo, ':');
    const char *tag = "";
    if (colon && (!slash || colon > slash)) {
        *colon = '\0';
        tag = colon + 1;
    }
    _cleanup_free_ char *qr = cli_escape(repo);
    _cleanup_free_ char *qt = cli_escape(tag);
    _cleanup_free_ char *path = xasprintf("/images/%s/tag?repo=%s&tag=%s", src, qr, qt);
    struct reply r;
    if (cli_call("POST", path, NULL, &r) < 0)
        return 1;
    int rc = r.status == 201 ? 0 : cli_api_error(&r, 1);
    reply_free(&r);
    return rc;
}

static int image_inspect(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    const char *format = NULL;
    int c, rc = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
        if (c != 'f')
            return cli_error(125,
                             "unknown flag '%s' for image inspect; usage: berth image "
                             "inspect [-f TEMPLATE] IMAGE...",
                             argv[optind - 1]);
        format = optarg;
    }
    if (optind >= argc)
        return cli_error(125, "image inspect needs at least one image");
    json_t *all = json_array();
    for (int i = optind; i < argc; i++) {
        _cleanup_free_ char *name = cli_escape(argv[i]);
        _cleanup_free_ char *path = xasprintf("/images/%s/json", name);
        struct reply r;
        if (cli_call("GET", path, NULL, &r) < 0)
            return json_decref(all), 1;
        json_t *j = r.status == 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
        if (j == NULL)
            rc = cli_api_error(&r, 1);
        reply_free(&r);
        _cleanup_free_ char *s = j && format ? cli_template(format, j) : NULL;
        if (j && format && s == NULL)
            rc = 1;
        else if (s)
            printf("%s\n", s);
        if (j && format == NULL)
            json_array_append(all, j);
        json_decref(j);
    }
    if (format == NULL) {
        _cleanup_free_ char *text = json_dumps(all, JSON_INDENT(4));
        printf("%s\n", text);
    }
    json_decref(all);
    return rc;
}

int cmd_image(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } subs[] = {{"inspect", image_inspect}, {"ls", cmd_images},
                {"list", cmd_images},       {"rm", cmd_rmi},
                {"remove", cmd_rmi},        {"tag", cmd_tag},
                {"load", cmd_load},         {"save", cmd_save},
                {"import", cmd_import},     {"history", cmd_history},
                {"prune", cmd_image_prune}};
    if (argc < 2)
        return cli_error(125,
                         "usage: berth image inspect|ls|rm|tag|load|save|import|history|prune ...");
    for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
        if (streq(argv[1], subs[i].name))
            return subs[i].fn(argc - 1, argv + 1);
    return cli_error(125,
                     "unknown command 'image %s'; usage: berth image "
                     "inspect|ls|rm|tag|load|save|import|history|prune ...",
                     argv[1]);
}
