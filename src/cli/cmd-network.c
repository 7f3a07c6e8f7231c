/* berth network create [OPTIONS] NAME | ls [-q] [--no-trunc] [-f K=V] |
 *               inspect [-f FORMAT] NAME... | rm NAME... | prune [-f] |
 *               connect [--ip IP] [--ip6 IP] [--alias A] NET CTR |
 *               disconnect [-f] NET CTR
 * docker's network commands over the API's /networks. */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUSAGE                                                                                     \
    "usage: berth network create [--driver bridge] [--subnet CIDR]... [--gateway IP]... "          \
    "[--internal] [--ipv6] [-o K=V]... [--label K=V]... NAME | ls [-q] [--no-trunc] "              \
    "[--filter K=V]... | inspect [-f FORMAT] NAME... | rm NAME... | prune [-f] [--filter "         \
    "until=TIME|label=K[=V]|label!=K[=V]]... | connect "                                           \
    "[--ip IP] [--ip6 IP] [--alias NAME]... NETWORK CONTAINER | disconnect [-f] NETWORK "          \
    "CONTAINER"

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

/* K=V into obj; false for a K without '=' when `need_eq`. */
static bool set_kv(json_t *obj, const char *kv, bool need_eq)
{
    _cleanup_free_ char *k = xstrdup(kv);
    char *eq = strchr(k, '=');
    if (eq)
        *eq++ = '\0';
    if ((need_eq && eq == NULL) || *k == '\0')
        return false;
    json_object_set_new(obj, k, json_string(eq ? eq : ""));
    return true;
}

struct create_args {
    json_t *subnets, *gateways, *opts, *labels;
    const char *driver;
    bool internal, ipv6;
};

/* --subnet and --gateway pair up in order, as docker's. */
static json_t *ipam_of(const struct create_args *a)
{
    json_t *cfg = json_array(), *s;
    size_t i;
    json_array_foreach(a->subnets, i, s)
    {
        json_t *e = json_pack("{s:O}", "Subnet", s);
        if (i < json_array_size(a->gateways))
            json_object_set(e, "Gateway", json_array_get(a->gateways, i));
        json_array_append_new(cfg, e);
    }
    return json_pack("{s:s,s:o}", "Driver", "default", "Config", cfg);
}

static int create_flags(int argc, char **argv, struct create_args *a)
{
    static const struct option opts[] = {
        {"driver", required_argument, NULL, 'd'},  {"subnet", required_argument, NULL, 's'},
        {"gateway", required_argument, NULL, 'g'}, {"internal", no_argument, NULL, 'i'},
        {"ipv6", no_argument, NULL, '6'},          {"opt", required_argument, NULL, 'o'},
        {"label", required_argument, NULL, 'l'},   {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+d:o:", opts, NULL)) != -1) {
        if (c == 'd')
            a->driver = optarg;
        else if (c == 's' || c == 'g')
            json_array_append_new(c == 's' ? a->subnets : a->gateways, json_string(optarg));
        else if (c == 'i' || c == '6')
            *(c == 'i' ? &a->internal : &a->ipv6) = true;
        else if ((c == 'o' || c == 'l') &&
                 !set_kv(c == 'o' ? a->opts : a->labels, optarg, c == 'o'))
            return cli_error(1, "invalid %s '%s' (KEY=VALUE)", c == 'o' ? "option" : "label",
                             optarg);
        else if (c == '?')
            return cli_error(1, "unknown flag '%s' for network create; " NUSAGE, argv[optind - 1]);
    }
    if (json_array_size(a->gateways) > json_array_size(a->subnets))
        return cli_error(1, "every --gateway needs its --subnet");
    if (argc - optind != 1)
        return cli_error(1, "network create takes one name; " NUSAGE);
    return optind;
}

static int net_create(int argc, char **argv)
{
    struct create_args a = {.subnets = json_array(),
                            .gateways = json_array(),
                            .opts = json_object(),
                            .labels = json_object(),
                            .driver = "bridge"};
    int i = create_flags(argc, argv, &a), rc = 1;
    if (i > 0) {
        json_t *body =
            json_pack("{s:s,s:s,s:b,s:b,s:o,s:O,s:O,s:b}", "Name", argv[i], "Driver", a.driver,
                      "Internal", a.internal, "EnableIPv6", a.ipv6, "IPAM", ipam_of(&a), "Options",
                      a.opts, "Labels", a.labels, "CheckDuplicate", true);
        json_t *v = call("POST", "/networks/create", body, 201);
        json_decref(body);
        if (v) {
            const char *w = json_string_value(json_object_get(v, "Warning"));
            if (w && *w)
                fprintf(stderr, "WARNING: %s\n", w);
            printf("%s\n", json_string_value(json_object_get(v, "Id")));
            rc = 0;
        }
        json_decref(v);
    }
    json_decref(a.subnets);
    json_decref(a.gateways);
    json_decref(a.opts);
    json_decref(a.labels);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Name")),
                  json_string_value(json_object_get(*(json_t *const *)b, "Name")));
}

static void ls_print(json_t *list, bool quiet, bool notrunc)
{
    size_t n = json_array_size(list), i;
    json_t **v = xzalloc((n + 1) * sizeof(*v));
    char **lines = xzalloc((n + 2) * sizeof(*lines));
    for (i = 0; i < n; i++)
        v[i] = json_array_get(list, i);
    qsort(v, n, sizeof(*v), by_name); /* docker's CLI sorts by name */
    lines[0] = xstrdup("NETWORK ID\tNAME\tDRIVER\tSCOPE");
    for (i = 0; i < n; i++) {
        const char *id = json_string_value(json_object_get(v[i], "Id"));
        int w = notrunc ? 64 : 12;
        if (quiet) {
            printf("%.*s\n", w, id);
            continue;
        }
        lines[i + 1] =
            xasprintf("%.*s\t%s\t%s\t%s", w, id, json_string_value(json_object_get(v[i], "Name")),
                      json_string_value(json_object_get(v[i], "Driver")),
                      json_string_value(json_object_get(v[i], "Scope")));
    }
    if (!quiet)
        cli_print_table(lines, n + 1);
    for (i = 0; i < n + 1; i++)
        free(lines[i]);
    free(lines);
    free(v);
}

static int net_ls(int argc, char **argv)
{
    bool quiet = false, notrunc = false;
    json_t *filters = json_object();
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        if (streq(argv[i], "-q") || streq(argv[i], "--quiet"))
            quiet = true;
        else if (streq(argv[i], "--no-trunc"))
            notrunc = true;
        else if ((streq(argv[i], "-f") || streq(argv[i], "--filter")) && i + 1 < argc) {
            _cleanup_free_ char *k = xstrdup(argv[++i]);
            char *eq = strchr(k, '=');
            if (eq == NULL)
                rc = cli_error(1, "bad format of filter (expected name=value): '%s'", k);
            else {
                *eq++ = '\0';
                if (!json_object_get(filters, k))
                    json_object_set_new(filters, k, json_object());
                json_object_set_new(json_object_get(filters, k), eq, json_true());
            }
        } else
            rc = cli_error(1, "unknown flag '%s' for network ls; " NUSAGE, argv[i]);
    }
    _cleanup_free_ char *text = json_dumps(filters, JSON_COMPACT);
    _cleanup_free_ char *esc = cli_escape(text);
    _cleanup_free_ char *path = xasprintf("/networks?filters=%s", esc);
    json_decref(filters);
    json_t *list = rc ? NULL : call("GET", path, NULL, 200);
    if (list == NULL)
        return 1;
    ls_print(list, quiet, notrunc);
    json_decref(list);
    return 0;
}

static int net_inspect(int argc, char **argv)
{
    const char *format = NULL;
    int i = 1, rc = 0;
    if (i + 1 < argc && (streq(argv[i], "-f") || streq(argv[i], "--format")))
        format = argv[i + 1], i += 2;
    if (i >= argc)
        return cli_error(1, "network inspect needs a name; " NUSAGE);
    json_t *out = json_array();
    for (; i < argc; i++) {
        _cleanup_free_ char *n = cli_escape(argv[i]);
        _cleanup_free_ char *path = xasprintf("/networks/%s", n);
        json_t *v = call("GET", path, NULL, 200);
        _cleanup_free_ char *line = v && format ? cli_template(format, v) : NULL;
        if (v && format && line)
            printf("%s\n", line);
        rc |= v == NULL || (format && line == NULL);
        if (v && !format)
            json_array_append(out, v);
        json_decref(v);
    }
    if (!format && json_array_size(out) > 0) {
        _cleanup_free_ char *s = json_dumps(out, JSON_INDENT(4));
        printf("%s\n", s);
    }
    json_decref(out);
    return rc;
}

static int net_rm(int argc, char **argv)
{
    int rc = 0;
    if (argc < 2)
        return cli_error(1, "network rm needs a name; " NUSAGE);
    for (int i = 1; i < argc; i++) {
        _cleanup_free_ char *n = cli_escape(argv[i]);
        _cleanup_free_ char *path = xasprintf("/networks/%s", n);
        json_t *v = call("DELETE", path, NULL, 204);
        if (v)
            printf("%s\n", argv[i]);
        else
            rc = 1;
        json_decref(v);
    }
    return rc;
}

static int net_prune(int argc, char **argv)
{
    static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                         {"filter", required_argument, NULL, 'F'},
                                         {NULL, 0, NULL, 0}};
    json_t *filters = json_object();
    int c, rc = 0;
    opterr = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
        if (c == 'F')
            rc = cli_add_filter(filters, optarg) < 0 ? 1 : 0;
        else if (c != 'f')
            rc = cli_error(1, "unknown flag '%s' for network prune; " NUSAGE, argv[optind - 1]);
    }
    if (rc == 0 && optind != argc)
        rc = cli_error(1, "network prune takes no arguments; " NUSAGE);
    _cleanup_free_ char *text = json_dumps(filters, JSON_COMPACT);
    json_decref(filters);
    if (rc)
        return rc;
    _cleanup_free_ char *q = cli_escape(text);
    _cleanup_free_ char *path = xasprintf("/networks/prune?filters=%s", q);
    json_t *j = call("POST", path, NULL, 200), *n;
    size_t i;
    if (j == NULL)
        return 1;
    json_t *names = json_object_get(j, "NetworksDeleted");
    if (json_array_size(names) > 0)
        printf("Deleted Networks:\n");
    json_array_foreach(names, i, n) printf("%s\n", json_string_value(n));
    json_decref(j);
    return 0;
}

/* POST /networks/NET/ACTION with `body` (taken); docker answers 200. */
static int post_action(const char *net, const char *action, json_t *body)
{
    _cleanup_free_ char *n = cli_escape(net);
    _cleanup_free_ char *path = xasprintf("/networks/%s/%s", n, action);
    json_t *v = call("POST", path, body, 200);
    json_decref(body);
    json_decref(v);
    return v ? 0 : 1;
}

static int net_connect(int argc, char **argv)
{
    json_t *ipam = json_object(), *aliases = json_array();
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (streq(argv[i], "--ip") || streq(argv[i], "--ip6"))
            json_object_set_new(ipam, streq(argv[i], "--ip") ? "IPv4Address" : "IPv6Address",
                                json_string(argv[i + 1]));
        else if (streq(argv[i], "--alias"))
            json_array_append_new(aliases, json_string(argv[i + 1]));
        else
            break;
    }
    if (argc - i != 2) {
        json_decref(ipam);
        json_decref(aliases);
        return cli_error(1, "network connect takes a network and a container; " NUSAGE);
    }
    return post_action(argv[i], "connect",
                       json_pack("{s:s,s:{s:o,s:o}}", "Container", argv[i + 1], "EndpointConfig",
                                 "IPAMConfig", ipam, "Aliases", aliases));
}

static int net_disconnect(int argc, char **argv)
{
    bool force = argc > 1 && (streq(argv[1], "-f") || streq(argv[1], "--force"));
    int i = 1 + force;
    if (argc - i != 2)
        return cli_error(1, "network disconnect takes a network and a container; " NUSAGE);
    return post_action(argv[i], "disconnect",
                       json_pack("{s:s,s:b}", "Container", argv[i + 1], "Force", force));
}

int cmd_network(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } subs[] = {{"create", net_create},   {"ls", net_ls},           {"list", net_ls},
                {"inspect", net_inspect}, {"rm", net_rm},           {"remove", net_rm},
                {"prune", net_prune},     {"connect", net_connect}, {"disconnect", net_disconnect}};
    if (argc < 2)
        return cli_error(1, NUSAGE);
    for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
        if (streq(argv[1], subs[i].name))
            return subs[i].fn(argc - 1, argv + 1);
    return cli_error(1, "unknown network command '%s'; " NUSAGE, argv[1]);
}
