/* berth create | start [-a] | kill [-s SIG] | wait | restart [-t] | rename |
 * pause | unpause: one API call per container. */
#include "cli.h"
#include "cleanup.h"
#include "registry.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cli_each(int argc, char **argv, int first, const char *action, const char *query)
{
    int rc = 0;
    if (first >= argc)
        return cli_error(1, "%s needs at least one container", argv[0]);
    for (int i = first; i < argc; i++) {
        _cleanup_free_ char *id = cli_escape(argv[i]);
        _cleanup_free_ char *path = xasprintf("/containers/%s/%s%s", id, action, query);
        struct reply r;
        if (cli_call("POST", path, NULL, &r) < 0)
            return 1;
        if (r.status == 204 || r.status == 304 || r.status == 200)
            printf("%s\n", argv[i]);
        else
            rc = cli_api_error(&r, 1);
        reply_free(&r);
    }
    return rc;
}

/* flags with no arguments: only -h is known */
static int no_flags(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-')
            return i;
        return cli_error(-1, "unknown flag '%s' for %s; usage: %s", argv[i], argv[0], usage);
    }
    return argc;
}

int cmd_create(int argc, char **argv)
{
    bool detach = false;
    char *name = NULL, id[65];
    json_t *body = cli_create_opts(argc, argv, &detach, &name);
    if (body == NULL)
        return 125;
    if (detach) {
        json_decref(body);
        return cli_error(125, "unknown flag '-d' for create");
    }
    int rc = cli_create(body, name, id);
    json_decref(body);
    if (rc < 0)
        return 125;
    printf("%s\n", id);
    return 0;
}

int cmd_start(int argc, char **argv)
{
    static const struct option opts[] = {{"attach", no_argument, NULL, 'a'},
                                         {"interactive", no_argument, NULL, 'i'},
                                         {"detach-keys", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    bool attach = false, in = false;
    const char *given = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+ai", opts, NULL)) != -1) {
        if (c != 'a' && c != 'i' && c != 'k')
            return cli_error(1,
                             "unknown or incomplete flag '%s' for start; usage: berth start [-a] "
                             "[-i] [--detach-keys KEYS] CONTAINER...",
                             argv[optind - 1]);
        attach = attach || c == 'a';
        in = in || c == 'i';
        given = c == 'k' ? optarg : given;
    }
    if (given && !cli_detach_keys_ok(given))
        return cli_error(1, "invalid detach keys '%s': ctrl-<x>,<c>... expected", given);
    _cleanup_free_ char *keys = given ? cli_escape(given) : NULL;
    attach = attach || in; /* docker: -i attaches too */
    if (!attach)
        return cli_each(argc, argv, optind, "start", "");
    if (optind + 1 != argc)
        return cli_error(1, "start -a takes one container");
    struct reply r;
    _cleanup_free_ char *q = cli_escape(argv[optind]);
    _cleanup_free_ char *path = xasprintf("/containers/%s/json", q);
    if (cli_call("GET", path, NULL, &r) < 0)
        return 1;
    if (r.status != 200)
        return cli_api_error(&r, 1), reply_free(&r), 1;
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    char id[65];
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(j, "Id")));
    bool autorm = json_is_true(json_object_get(json_object_get(j, "HostConfig"), "AutoRemove"));
    bool tty = json_is_true(json_object_get(json_object_get(j, "Config"), "Tty"));
    in = in && json_is_true(json_object_get(json_object_get(j, "Config"), "OpenStdin"));
    json_decref(j);
    reply_free(&r);
    if (in && tty && !isatty(0))
        return cli_error(1, "the input device is not a TTY");
    return cli_foreground(id, autorm, in, tty, keys);
}

int cmd_kill(int argc, char **argv)
{
    static const struct option opts[] = {{"signal", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    const char *sig = "KILL";
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+s:", opts, NULL)) != -1) {
        if (c != 's')
            return cli_error(1,
                             "unknown flag '%s' for kill; usage: berth kill [-s SIGNAL] "
                             "CONTAINER...",
                             argv[optind - 1]);
        sig = optarg;
    }
    _cleanup_free_ char *qs = cli_escape(sig);
    _cleanup_free_ char *query = xasprintf("?signal=%s", qs);
    return cli_each(argc, argv, optind, "kill", query);
}

int cmd_restart(int argc, char **argv)
{
    static const struct option opts[] = {{"time", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    long long t = 10;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1) {
        if (c == 't' && parse_i64(optarg, &t) == 0 && t >= -1)
            continue;
        if (c == 't')
            return cli_error(1, "invalid value '%s' for -t: seconds expected", optarg);
        return cli_error(1,
                         "unknown flag '%s' for restart; usage: berth restart [-t SECONDS] "
                         "CONTAINER...",
                         argv[optind - 1]);
    }
    _cleanup_free_ char *query = xasprintf("?t=%lld", t);
    return cli_each(argc, argv, optind, "restart", query);
}

int cmd_pause(int argc, char **argv)
{
    int first = no_flags(argc, argv, "berth pause CONTAINER...");
    return first < 0 ? 1 : cli_each(argc, argv, first, "pause", "");
}

int cmd_unpause(int argc, char **argv)
{
    int first = no_flags(argc, argv, "berth unpause CONTAINER...");
    return first < 0 ? 1 : cli_each(argc, argv, first, "unpause", "");
}

int cmd_rename(int argc, char **argv)
{
    if (no_flags(argc, argv, "berth rename CONTAINER NEW_NAME") < 0)
        return 1;
    if (argc != 3)
        return cli_error(1, "rename needs two arguments; usage: berth rename CONTAINER NEW_NAME");
    _cleanup_free_ char *id = cli_escape(argv[1]);
    _cleanup_free_ char *nm = cli_escape(argv[2]);
    _cleanup_free_ char *path = xasprintf("/containers/%s/rename?name=%s", id, nm);
    struct reply r;
    if (cli_call("POST", path, NULL, &r) < 0)
        return 1;
    int rc = r.status == 204 ? 0 : cli_api_error(&r, 1);
    reply_free(&r);
    return rc;
}

int cmd_wait(int argc, char **argv)
{
    int rc = 0, first = no_flags(argc, argv, "berth wait CONTAINER...");
    if (first < 0)
        return 1;
    if (first >= argc)
        return cli_error(1, "wait needs at least one container");
    for (int i = first; i < argc; i++) {
        _cleanup_free_ char *id = cli_escape(argv[i]);
        _cleanup_free_ char *path = xasprintf("/containers/%s/wait", id);
        struct reply r;
        if (cli_call("POST", path, NULL, &r) < 0)
            return 1;
        json_t *j = json_loadb(r.body ? r.body : "", r.len, JSON_DISABLE_EOF_CHECK, NULL);
        if (r.status == 200 && json_is_integer(json_object_get(j, "StatusCode")))
            printf("%lld\n", (long long)json_integer_value(json_object_get(j, "StatusCode")));
        else
            rc = cli_api_error(&r, 1);
        json_decref(j);
        reply_free(&r);
    }
    return rc;
}

#define COMMIT_USAGE                                                                               \
    "usage: berth commit [-a AUTHOR] [-m MESSAGE] [-p|--pause=false] CONTAINER "                   \
    "[REPOSITORY[:TAG]]"

/* berth commit: the container's changes as a new image (POST /commit);
 * prints its id. */
int cmd_commit(int argc, char **argv)
{
    static const struct option opts[] = {{"author", required_argument, NULL, 'a'},
                                         {"message", required_argument, NULL, 'm'},
                                         {"pause", optional_argument, NULL, 'p'},
                                         {"change", required_argument, NULL, 'c'},
                                         {NULL, 0, NULL, 0}};
    const char *author = "", *msg = "";
    bool pause = true;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "a:m:p::c:", opts, NULL)) != -1) {
        const char *v = optarg && *optarg == '=' ? optarg + 1 : optarg;
        if (c == 'a')
            author = optarg;
        else if (c == 'm')
            msg = optarg;
        else if (c == 'p' && (v == NULL || streq(v, "true") || streq(v, "false")))
            pause = v == NULL || streq(v, "true");
        else if (c == 'c') /* Dockerfile instructions: refused, not ignored */
            return cli_error(125, "--change is not supported by berth yet");
        else
            return cli_error(125, "unknown or bad flag '%s' for commit; " COMMIT_USAGE,
                             argv[optind - 1]);
    }
    if (argc - optind < 1 || argc - optind > 2)
        return cli_error(125, "commit takes a container and an optional name; " COMMIT_USAGE);
    const char *name = argc - optind == 2 ? argv[optind + 1] : "";
    const char *tag = registry_name_tag(name);
    _cleanup_free_ char *repo = tag ? strndup(name, (size_t)(tag - 1 - name)) : xstrdup(name);
    _cleanup_free_ char *qc = cli_escape(argv[optind]), *qr = cli_escape(repo);
    _cleanup_free_ char *qt = cli_escape(tag ? tag : ""), *qa = cli_escape(author);
    _cleanup_free_ char *qm = cli_escape(msg);
    _cleanup_free_ char *path =
        xasprintf("/commit?container=%s&repo=%s&tag=%s&author=%s&comment=%s&pause=%s", qc, qr, qt,
                  qa, qm, pause ? "true" : "false");
    struct reply r;
    if (cli_call("POST", path, NULL, &r) < 0)
        return 1;
    json_t *j = r.status == 201 ? json_loadb(r.body ? r.body : "", r.len, 0, NULL) : NULL;
    int rc = j ? (printf("%s\n", json_string_value(json_object_get(j, "Id")) ?: ""), 0)
               : cli_api_error(&r, 1);
    json_decref(j);
    reply_free(&r);
    return rc;
}

#define CPRUNE_USAGE "usage: berth container prune [-f] [--filter until=|label=|label!=]"

/* berth container prune: every container that does not run */
int cmd_container_prune(int argc, char **argv)
{
    bool force = false;
    json_t *filters = json_object();
    int rc = cli_prune_flags(argc, argv, "container prune", CPRUNE_USAGE, NULL, &force, filters);
    if (rc)
        return json_decref(filters), rc;
    _cleanup_free_ char *text = json_dumps(filters, JSON_COMPACT);
    _cleanup_free_ char *q = cli_escape(text);
    _cleanup_free_ char *path = xasprintf("/containers/prune?filters=%s", q);
    json_decref(filters);
    if (!force) {
        printf("WARNING! This will remove all stopped containers.\n"
               "Are you sure you want to continue? [y/N] ");
        fflush(stdout);
        char line[64];
        if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y'))
            return 0;
    }
    struct reply r;
    if (cli_call("POST", path, NULL, &r) < 0)
        return 1;
    json_t *rep = r.status == 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
    rc = rep ? 0 : cli_api_error(&r, 1);
    json_t *list = json_object_get(rep, "ContainersDeleted"), *e;
    size_t i;
    if (json_array_size(list) > 0)
        printf("Deleted Containers:\n");
    json_array_foreach(list, i, e) printf("%s\n", json_string_value(e));
    if (rep) {
        char size[32];
        cli_human_size((double)json_integer_value(json_object_get(rep, "SpaceReclaimed")), 4, size,
                       sizeof(size));
        printf("%sTotal reclaimed space: %s\n", json_array_size(list) > 0 ? "\n" : "", size);
    }
    json_decref(rep);
    reply_free(&r);
    return rc;
}
