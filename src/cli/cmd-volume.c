/* berth volume create [--label K=V]... [NAME] | ls [-q] | inspect NAME...
 *              | rm [-f] NAME... | prune [-f]
 * docker's volume commands over the API's /volumes. */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define VUSAGE                                                                                     \
    "usage: berth volume create [--label K=V] [NAME] | ls [-q] | inspect NAME... | rm [-f] "       \
    "NAME... | prune [-f]"

/* The reply's JSON when its status is `want`; NULL after printing why. */
static json_t *call(const char *method, const char *path, json_t *body, long want)
{
    struct reply r;
    if (cli_call(method, path, body, &r) < 0)
        return NULL;
    json_t *j = NULL;
    if (r.status != want)
        cli_api_error(&r, 1);
    else
        j = r.len ? json_loadb(r.body, r.len, 0, NULL) : json_object();
    reply_free(&r);
    return j;
}

static int vol_create(int argc, char **argv)
{
    json_t *labels = json_object();
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if ((streq(argv[i], "--label") || streq(argv[i], "-l")) && i + 1 < argc) {
            _cleanup_free_ char *k = xstrdup(argv[++i]);
            char *eq = strchr(k, '=');
            if (eq)
                *eq++ = '\0';
            json_object_set_new(labels, k, json_string(eq ? eq : ""));
        } else {
            json_decref(labels);
            return cli_error(1, "unknown flag '%s' for volume create; " VUSAGE, argv[i]);
        }
    }
    if (argc - i > 1) {
        json_decref(labels);
        return cli_error(1, "volume create takes at most one name; " VUSAGE);
    }
    json_t *body = json_pack("{s:s,s:s,s:o}", "Name", i < argc ? argv[i] : "", "Driver", "local",
                             "Labels", labels);
    json_t *v = call("POST", "/volumes/create", body, 201);
    json_decref(body);
    if (v == NULL)
        return 1;
    printf("%s\n", json_string_value(json_object_get(v, "Name")));
    json_decref(v);
    return 0;
}

static int vol_ls(int argc, char **argv)
{
    bool quiet = argc == 2 && (streq(argv[1], "-q") || streq(argv[1], "--quiet"));
    if (argc > 2 || (argc == 2 && !quiet))
        return cli_error(1, "unknown flag '%s' for volume ls; " VUSAGE, argv[1]);
    json_t *j = call("GET", "/volumes", NULL, 200), *v;
    size_t i;
    if (j == NULL)
        return 1;
    if (!quiet)
        printf("%-10s %s\n", "DRIVER", "VOLUME NAME");
    json_array_foreach(json_object_get(j, "Volumes"), i, v)
    {
        const char *n = json_string_value(json_object_get(v, "Name"));
        if (quiet)
            printf("%s\n", n);
        else
            printf("%-10s %s\n", json_string_value(json_object_get(v, "Driver")), n);
    }
    json_decref(j);
    return 0;
}

static int vol_inspect(int argc, char **argv)
{
    json_t *out = json_array();
    int rc = argc < 2 ? cli_error(1, "volume inspect needs a name; " VUSAGE) : 0;
    for (int i = 1; i < argc; i++) {
        _cleanup_free_ char *n = cli_escape(argv[i]);
        _cleanup_free_ char *path = xasprintf("/volumes/%s", n);
        json_t *v = call("GET", path, NULL, 200);
        if (v)
            json_array_append_new(out, v);
        else
            rc = 1;
    }
    if (json_array_size(out) > 0) {
        _cleanup_free_ char *s = json_dumps(out, JSON_INDENT(4));
        printf("%s\n", s);
    }
    json_decref(out);
    return rc;
}

static int vol_rm(int argc, char **argv)
{
    int i = 1, rc = 0;
    bool force = i < argc && (streq(argv[i], "-f") || streq(argv[i], "--force"));
    i += force;
    if (i >= argc)
        return cli_error(1, "volume rm needs a name; " VUSAGE);
    for (; i < argc; i++) {
        _cleanup_free_ char *n = cli_escape(argv[i]);
        _cleanup_free_ char *path = xasprintf("/volumes/%s?force=%d", n, force);
        json_t *v = call("DELETE", path, NULL, 204);
        if (v)
            printf("%s\n", argv[i]);
        else
            rc = 1;
        json_decref(v);
    }
    return rc;
}

static int vol_prune(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && !streq(argv[1], "-f") && !streq(argv[1], "--force")))
        return cli_error(1, "unknown flag for volume prune; " VUSAGE);
    json_t *j = call("POST", "/volumes/prune", NULL, 200), *n;
    size_t i;
    if (j == NULL)
        return 1;
    printf("Deleted Volumes:\n");
    json_array_foreach(json_object_get(j, "VolumesDeleted"), i, n)
        printf("%s\n", json_string_value(n));
    json_decref(j);
    return 0;
}

int cmd_volume(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } subs[] = {{"create", vol_create},   {"ls", vol_ls}, {"list", vol_ls},
                {"inspect", vol_inspect}, {"rm", vol_rm}, {"remove", vol_rm},
                {"prune", vol_prune}};
    if (argc < 2)
        return cli_error(1, VUSAGE);
    for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
        if (streq(argv[1], subs[i].name))
            return subs[i].fn(argc - 1, argv + 1);
    return cli_error(1, "unknown volume command '%s'; " VUSAGE, argv[1]);
}
