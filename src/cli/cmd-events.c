/* berth events [--since T] [--until T] [-f|--filter K=V]... [--format json|TEMPLATE]
 *
 * Docker's events (GET /events), printed as they come: by default
 * "TIME TYPE ACTION ID (k=v, ...)" with the time in RFC 3339 with
 * nanoseconds, local time, and the attributes sorted by key, as docker's
 * printOutput; --format json (or '{{json .}}') the event's JSON; another
 * template sees docker's Go fields: .Status .ID .From .Type .Action
 * .Actor.ID .Actor.Attributes .Scope .Time .TimeNano. T as `berth logs`
 * takes it (cli_timestamp). Without --since or --until only new events
 * show, until interrupted. */
#include "cli.h"
#include "cleanup.h"
#include "http.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVENTS_USAGE                                                                               \
    "usage: berth events [--since T] [--until T] [-f|--filter KEY=VALUE]... [--format "            \
    "json|TEMPLATE]"

struct printer {
    const char *format; /* NULL: docker's line; "json": the JSON */
    struct reply err;   /* the body of an error reply */
    char *buf;
    size_t len;
    bool failed;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_default(json_t *ev)
{
    json_int_t nano = json_integer_value(json_object_get(ev, "timeNano"));
    time_t sec =
        nano ? (time_t)(nano / 1000000000) : json_integer_value(json_object_get(ev, "time"));
    struct tm tm;
    char when[32], zone[8];
    localtime_r(&sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof(zone), "%z", &tm);
    if (streq(zone, "+0000"))
        snprintf(zone, sizeof(zone), "Z");
    else
        snprintf(zone + 3, 4, ":%c%c", zone[3], zone[4]);
    json_t *actor = json_object_get(ev, "Actor"), *attrs = json_object_get(actor, "Attributes");
    printf("%s.%09lld%s %s %s %s", when, (long long)(nano % 1000000000), zone,
           json_string_value(json_object_get(ev, "Type")),
           json_string_value(json_object_get(ev, "Action")),
           json_string_value(json_object_get(actor, "ID")));
    const char **keys = xzalloc((json_object_size(attrs) + 1) * sizeof(char *));
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v) keys[n++] = k;
    qsort(keys, n, sizeof(*keys), by_name);
    for (size_t i = 0; i < n; i++)
        printf("%s%s=%s", i ? ", " : " (", keys[i],
               json_string_value(json_object_get(attrs, keys[i])));
    printf("%s\n", n ? ")" : "");
    free(keys);
}

/* Docker's Go field names, for a template other than {{json .}} */
static json_t *go_fields(json_t *ev)
{
    static const char *const map[][2] = {
        {"status", "Status"}, {"id", "ID"},         {"from", "From"},
        {"Type", "Type"},     {"Action", "Action"}, {"Actor", "Actor"},
        {"scope", "Scope"},   {"time", "Time"},     {"timeNano", "TimeNano"}};
    json_t *o = json_object();
    for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
        json_t *v = json_object_get(ev, map[i][0]);
        json_object_set_new(o, map[i][1], v ? json_incref(v) : json_string(""));
    }
    return o;
}

/* Go's templates print a missing map key as "<no value>": the attributes
 * the template names are added so (cli_template refuses unknown fields). */
static void add_named_attrs(json_t *g, const char *tmpl)
{
    json_t *attrs = json_object_get(json_object_get(g, "Actor"), "Attributes");
    static const char pre[] = ".Actor.Attributes.";
    for (const char *p = tmpl; attrs && (p = strstr(p, pre));) {
        p += sizeof(pre) - 1;
        _cleanup_free_ char *key = strndup(p, strcspn(p, " }\t"));
        if (json_object_get(attrs, key) == NULL)
            json_object_set_new(attrs, key, json_string("<no value>"));
    }
}

static void print_event(struct printer *pr, const char *line)
{
    json_t *ev = json_loads(line, JSON_PRESERVE_ORDER, NULL);
    if (ev == NULL)
        return;
    if (pr->format == NULL) {
        print_default(ev);
    } else if (streq(pr->format, "json")) {
        printf("%s\n", line);
    } else {
        json_t *g = go_fields(ev);
        add_named_attrs(g, pr->format);
        _cleanup_free_ char *out = cli_template(pr->format, g);
        json_decref(g);
        if (out)
            printf("%s\n", out);
        else
            pr->failed = true;
    }
    json_decref(ev);
    fflush(stdout);
}

static int on_body(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    struct printer *pr = ud;
    if (p->status != 200)
        return cli_collect(p, d, n, &pr->err);
    pr->buf = xrealloc(pr->buf, pr->len + n + 1);
    memcpy(pr->buf + pr->len, d, n);
    pr->len += n;
    pr->buf[pr->len] = '\0';
    char *start = pr->buf, *nl;
    while ((nl = memchr(start, '\n', pr->len - (size_t)(start - pr->buf)))) {
        *nl = '\0';
        print_event(pr, start);
        start = nl + 1;
    }
    pr->len -= (size_t)(start - pr->buf);
    memmove(pr->buf, start, pr->len);
    return pr->failed ? -1 : 0;
}

/* KEY=VALUE into {"KEY":{"VALUE":true}}; false for a bad one */
static bool add_filter(json_t *filters, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (eq == NULL || eq == kv)
        return false;
    _cleanup_free_ char *key = strndup(kv, (size_t)(eq - kv));
    json_t *vals = json_object_get(filters, key);
    if (vals == NULL)
        json_object_set_new(filters, key, vals = json_object());
    json_object_set_new(vals, eq + 1, json_true());
    return true;
}

static int run_events(const char *query, struct printer *pr)
{
    _cleanup_free_ char *path = xasprintf("/events%s", query);
    struct http_request req = {.method = "GET", .on_body = on_body, .ud = pr};
    struct reply rep = {0};
    int r = cli_http(&req, path, &rep);
    free(pr->buf);
    if (r < 0)
        return reply_free(&pr->err), 125;
    if (rep.status != 200) {
        cli_api_error(&pr->err, 125);
        reply_free(&pr->err);
        return 125;
    }
    return pr->failed ? 125 : 0;
}

/* ?since=&until=&filters= */
static char *query(const char *since, const char *until, json_t *filters)
{
    _cleanup_free_ char *f = json_dumps(filters, JSON_COMPACT);
    _cleanup_free_ char *fe = http_escape(f);
    char *q = xasprintf("?filters=%s", fe);
    const char *names[] = {"since", "until"}, *vals[] = {since, until};
    for (size_t i = 0; i < 2; i++) {
        if (vals[i] == NULL)
            continue;
        char *n = xasprintf("%s&%s=%s", q, names[i], vals[i]);
        free(q);
        q = n;
    }
    return q;
}

int cmd_events(int argc, char **argv)
{
    static const struct option opts[] = {
        {"since", required_argument, NULL, 'S'},  {"until", required_argument, NULL, 'U'},
        {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    _cleanup_free_ char *since = NULL, *until = NULL;
    struct printer pr = {0};
    json_t *filters = json_object();
    int c, rc = -1;
    opterr = 0;
    optind = 1;
    while (rc < 0 && (c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        char **t = c == 'S' ? &since : c == 'U' ? &until : NULL;
        if (t && (free(*t), *t = cli_timestamp(optarg)) == NULL)
            rc = cli_error(125,
                           "invalid value '%s' for --%s: RFC 3339, unix seconds or a "
                           "duration (10m) expected",
                           optarg, c == 'S' ? "since" : "until");
        else if (c == 'f' && !add_filter(filters, optarg))
            rc = cli_error(125, "bad format of filter (expected name=value): '%s'", optarg);
        else if (c == 'F')
            pr.format = streq(optarg, "{{json .}}") ? "json" : *optarg ? optarg : NULL;
        else if (c == 'h')
            rc = (puts(EVENTS_USAGE), 0);
        else if (c == '?')
            rc = cli_error(125, "unknown flag '%s'\n%s", argv[optind - 1], EVENTS_USAGE);
    }
    if (rc < 0 && optind < argc)
        rc = cli_error(125, "\"berth events\" accepts no arguments\n%s", EVENTS_USAGE);
    if (rc < 0) {
        _cleanup_free_ char *q = query(since, until, filters);
        rc = run_events(q, &pr);
    }
    json_decref(filters);
    return rc;
}
