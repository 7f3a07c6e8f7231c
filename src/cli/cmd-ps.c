/* berth ps [-a] [-q] [--no-trunc] [--filter KEY=VALUE]... [--format table|json|TEMPLATE]
 * The fields of --format are docker's: ID Names Image Command CreatedAt
 * RunningFor Status State Labels Ports Mounts Networks Size. */
#include "cli.h"
#include "cleanup.h"
#include "units.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PS_USAGE                                                                                   \
    "usage: berth ps [-a] [-q] [--no-trunc] [--filter name=|status=|label=|id=] "                  \
    "[--format table|json|TEMPLATE]"
#define PS_TABLE                                                                                   \
    "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t"    \
    "{{.Names}}"

static void ago(json_int_t t, char *buf, size_t len)
{
    char d[48];
    berth_human_duration(time(NULL) - (time_t)t, d, sizeof(d));
    snprintf(buf, len, "%s ago", d);
}

static char *labels_text(json_t *labels)
{
    const char *k;
    json_t *v;
    char *s = xstrdup("");
    json_object_foreach(labels, k, v)
    {
        char *n = xasprintf("%s%s%s=%s", s, *s ? "," : "", k, json_string_value(v));
        free(s);
        s = n;
    }
    return s;
}

struct port_group {
    char key[72]; /* "tcp", or "IP/tcp" for a port published on its own number */
    unsigned first, last;
};

struct ps_port {
    const char *ip, *type;
    unsigned priv, pub;
};

static int port_cmp(const void *a, const void *b)
{
    const struct ps_port *x = a, *y = b;
    int c;
    if (x->priv != y->priv)
        return x->priv < y->priv ? -1 : 1;
    if ((c = strcmp(x->ip, y->ip)) != 0)
        return c;
    if (x->pub != y->pub)
        return x->pub < y->pub ? -1 : 1;
    return strcmp(x->type, y->type);
}

static void join(char **s, const char *add)
{
    char *n = xasprintf("%s%s%s", *s, **s ? ", " : "", add);
    free(*s);
    *s = n;
}

/* docker's formGroup: "80-81/tcp", "0.0.0.0:80-81->80-81/tcp", an IPv6
 * address in brackets as docker 28 prints it ("[::]:80->80/tcp") */
static void form_group(char **s, const struct port_group *g)
{
    const char *slash = strrchr(g->key, '/');
    _cleanup_free_ char *range =
        g->first == g->last ? xasprintf("%u", g->first) : xasprintf("%u-%u", g->first, g->last);
    _cleanup_free_ char *text =
        slash == NULL ? xasprintf("%s/%s", range, g->key)
        : memchr(g->key, ':', (size_t)(slash - g->key))
            ? xasprintf("[%.*s]:%s->%s/%s", (int)(slash - g->key), g->key, range, range, slash + 1)
            : xasprintf("%.*s:%s->%s/%s", (int)(slash - g->key), g->key, range, range, slash + 1);
    join(s, text);
}

/* The PORTS column from the summary's Ports [{"IP", "PrivatePort",
 * "PublicPort", "Type"}], as docker's DisplayablePorts: consecutive ports
 * grouped into ranges, then the ports published on another number. */
static char *ports_text(json_t *ports)
{
    size_t n = json_array_size(ports), ng = 0, i;
    _cleanup_free_ struct ps_port *v = xzalloc((n + 1) * sizeof(*v));
    _cleanup_free_ struct port_group *g = xzalloc((n + 1) * sizeof(*g));
    char *out = xstrdup(""), *moved = xstrdup("");
    json_t *p;
    json_array_foreach(ports, i, p)
    {
        const char *ip = json_string_value(json_object_get(p, "IP"));
        const char *type = json_string_value(json_object_get(p, "Type"));
        v[i] = (struct ps_port){ip ? ip : "", type ? type : "",
                                (unsigned)json_integer_value(json_object_get(p, "PrivatePort")),
                                (unsigned)json_integer_value(json_object_get(p, "PublicPort"))};
    }
    qsort(v, n, sizeof(*v), port_cmp);
    for (i = 0; i < n; i++) {
        char key[72], buf[128];
        size_t k = 0;
        if (*v[i].ip && v[i].pub != v[i].priv) {
            snprintf(buf, sizeof(buf), strchr(v[i].ip, ':') ? "[%s]:%u->%u/%s" : "%s:%u->%u/%s",
                     v[i].ip, v[i].pub, v[i].priv, v[i].type);
            join(&moved, buf);
            continue;
        }
        snprintf(key, sizeof(key), "%s%s%s", v[i].ip, *v[i].ip ? "/" : "", v[i].type);
        while (k < ng && !streq(g[k].key, key))
            k++;
        if (k == ng) {
            g[ng++] = (struct port_group){.first = v[i].priv, .last = v[i].priv};
            snprintf(g[k].key, sizeof(g[k].key), "%s", key);
        } else if (v[i].priv == g[k].last + 1) {
            g[k].last = v[i].priv;
        } else {
            form_group(&out, &g[k]);
            g[k].first = g[k].last = v[i].priv;
        }
    }
    for (i = 0; i < ng; i++)
        form_group(&out, &g[i]);
    if (*moved)
        join(&out, moved);
    free(moved);
    return out;
}

/* docker's ps fields of one container summary, all strings */
static json_t *fields(json_t *e, bool notrunc)
{
    const char *id = json_string_value(json_object_get(e, "Id"));
    const char *cmd = json_string_value(json_object_get(e, "Command"));
    const char *name = json_string_value(json_array_get(json_object_get(e, "Names"), 0));
    time_t created = (time_t)json_integer_value(json_object_get(e, "Created"));
    char at[64], rf[64];
    strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S +0000 UTC", gmtime(&created));
    ago(created, rf, sizeof(rf));
    _cleanup_free_ char *q =
        notrunc || strlen(cmd) <= 20 ? xasprintf("\"%s\"", cmd) : xasprintf("\"%.19s…\"", cmd);
    _cleanup_free_ char *labels = labels_text(json_object_get(e, "Labels"));
    _cleanup_free_ char *ports = ports_text(json_object_get(e, "Ports"));
    return json_pack("{s:s%,s:O,s:s,s:s,s:s,s:O,s:O,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id,
                     notrunc ? strlen(id) : (size_t)12, "Image", json_object_get(e, "Image"),
                     "Command", q, "CreatedAt", at, "RunningFor", rf, "Status",
                     json_object_get(e, "Status"), "State", json_object_get(e, "State"), "Names",
                     name ? name + 1 : "", "Labels", labels, "Ports", ports, "Mounts", "",
                     "Networks", "", "Size", "0B");
}

static char *header(const char *tmpl)
{
    static const char *const names[][2] = {
        {"ID", "CONTAINER ID"}, {"Names", "NAMES"},          {"Image", "IMAGE"},
        {"Command", "COMMAND"}, {"CreatedAt", "CREATED AT"}, {"RunningFor", "CREATED"},
        {"Status", "STATUS"},   {"State", "STATE"},          {"Labels", "LABELS"},
        {"Ports", "PORTS"},     {"Mounts", "MOUNTS"},        {"Networks", "NETWORKS"},
        {"Size", "SIZE"}};
    json_t *h = json_object();
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        json_object_set_new(h, names[i][0], json_string(names[i][1]));
    char *s = cli_template(tmpl, h);
    json_decref(h);
    return s;
}

static int print(json_t *list, const char *format, bool quiet, bool notrunc)
{
    json_t *e;
    size_t i, n = 0;
    bool table = strncmp(format, "table", 5) == 0;
    const char *tmpl = table ? format + 5 + strspn(format + 5, " ") : format;
    if (table && *tmpl == '\0')
        tmpl = &PS_TABLE[6]; /* after "table " */
    char **lines = xzalloc((json_array_size(list) + 2) * sizeof(char *));
    if (table && !quiet && (lines[n++] = header(tmpl)) == NULL)
        return strv_freep(&lines), 1;
    int rc = 0;
    json_array_foreach(list, i, e)
    {
        if (quiet) { /* the ids alone: no fields to build */
            const char *id = json_string_value(json_object_get(e, "Id"));
            id = id ? id : "";
            printf("%.*s\n", notrunc ? (int)strlen(id) : 12, id);
            continue;
        }
        json_t *f = fields(e, notrunc);
        if (streq(format, "json"))
            lines[n++] = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
        else if ((lines[n++] = cli_template(tmpl, f)) == NULL)
            rc = 1;
        json_decref(f);
        if (rc)
            break;
    }
    if (rc == 0 && table)
        cli_print_table(lines, n);
    else if (rc == 0)
        for (i = 0; i < n; i++)
            printf("%s\n", lines[i]);
    strv_freep(&lines);
    return rc;
}

/* --filter KEY=VALUE into {"KEY":["VALUE",...]} */
static int add_filter(json_t *f, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg)
        return cli_error(-1, "bad format of filter '%s' (expected name=value)", arg);
    _cleanup_free_ char *k = xstrdup(arg);
    k[eq - arg] = '\0';
    json_t *vals = json_object_get(f, k);
    if (vals == NULL)
        json_object_set_new(f, k, vals = json_array());
    json_array_append_new(vals, json_string(eq + 1));
    return 0;
}

int cmd_ps(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},          {"quiet", no_argument, NULL, 'q'},
        {"no-trunc", no_argument, NULL, 'T'},     {"filter", required_argument, NULL, 'f'},
        {"format", required_argument, NULL, 'F'}, {NULL, 0, NULL, 0}};
    bool all = false, quiet = false, notrunc = false;
    const char *format = "table";
    int c;
    json_t *filters = json_object();
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "aqf:", opts, NULL)) != -1) {
        if (c == 'a')
            all = true;
        else if (c == 'q')
            quiet = true;
        else if (c == 'T')
            notrunc = true;
        else if (c == 'F')
            format = optarg;
        else if (c == 'f' && add_filter(filters, optarg) < 0)
            return json_decref(filters), 1;
        else if (c != 'f')
            return json_decref(filters),
                   cli_error(1, "unknown flag '%s' for ps; " PS_USAGE, argv[optind - 1]);
    }
    if (optind < argc)
        return json_decref(filters), cli_error(1, "ps takes no arguments; " PS_USAGE);
    _cleanup_free_ char *ftext = json_dumps(filters, JSON_COMPACT);
    _cleanup_free_ char *qf = cli_escape(ftext);
    json_decref(filters);
    /* only the fields fields() reads: berthd's brief entries */
    _cleanup_free_ char *path =
        xasprintf("/containers/json?all=%d&filters=%s&x-berth-brief=1", all, qf);
    return cli_list(path, print, format, quiet, notrunc);
}
