/* GET /events: Docker's events (src/daemon/events.h), one JSON object a
 * line, each sent as it happens. With since or until the past events of
 * the log come first (none without either, as Docker); the stream goes on
 * until `until` passes (for ever without it) or the client goes. Filters
 * as Docker's daemon/events/filter.go: type and event exact (exec_create,
 * exec_start and health_status also match their "ACTION: ..." forms),
 * container, volume, network, plugin, daemon, node, service, secret and
 * config a prefix of Actor.ID (or its name attribute), image the id or
 * the image's name with or without its tag, label "k" or "k=v" among the
 * attributes, scope "local". */
#include "api.h"
#include "../events.h"
#include "events-query.h"
#include "cleanup.h"
#include "util.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS 1000000000LL

struct evreader {
    struct events_cursor cur;
    long long since, until; /* ns; 0: none */
    json_t *filters;        /* key -> [values] */
    int fd;                 /* the client's socket */
    char *out;
    size_t len, off;
};

static void reader_free(void *cls)
{
    struct evreader *er = cls;
    events_close(&er->cur);
    json_decref(er->filters);
    free(er->out);
    free(er);
}

static bool values_match(json_t *vals, const char *s, bool prefix)
{
    size_t i;
    json_t *v;
    json_array_foreach(vals, i, v)
    {
        const char *w = json_string_value(v);
        if (s && (streq(w, s) || (prefix && *w && strncmp(s, w, strlen(w)) == 0)))
            return true;
    }
    return false;
}

static bool match_event(json_t *vals, const char *action)
{
    size_t i;
    json_t *v;
    json_array_foreach(vals, i, v)
    {
        const char *w = json_string_value(v);
        size_t n = strlen(w);
        if (streq(w, action) ||
            (strchr(w, ':') == NULL && strncmp(action, w, n) == 0 && action[n] == ':'))
            return true;
    }
    return false;
}

static bool match_image(json_t *vals, json_t *ev, json_t *attrs)
{
    const char *type = json_string_value(json_object_get(ev, "Type"));
    const char *id = json_string_value(json_object_get(ev, "id"));
    const char *name =
        json_string_value(json_object_get(attrs, streq(type, "image") ? "name" : "image"));
    const char *cands[] = {id, name};
    for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
        if (cands[i] == NULL)
            continue;
        _cleanup_free_ char *bare = xstrdup(cands[i]);
        char *colon = strrchr(bare, ':');
        if (colon && strchr(colon, '/') == NULL && strncmp(bare, "sha256:", 7) != 0)
            *colon = '\0';
        if (values_match(vals, cands[i], false) || values_match(vals, bare, false))
            return true;
    }
    return false;
}

static bool match_labels(json_t *vals, json_t *attrs)
{
    size_t i;
    json_t *v;
    json_array_foreach(vals, i, v)
    {
        _cleanup_free_ char *k = xstrdup(json_string_value(v));
        char *eq = strchr(k, '=');
        if (eq)
            *eq++ = '\0';
        const char *have = json_string_value(json_object_get(attrs, k));
        if (have == NULL || (eq && !streq(have, eq)))
            return false;
    }
    return true;
}

/* The name-like keys: a prefix of Actor.ID, or the name attribute. */
static bool match_named(json_t *vals, json_t *actor)
{
    const char *id = json_string_value(json_object_get(actor, "ID"));
    const char *name =
        json_string_value(json_object_get(json_object_get(actor, "Attributes"), "name"));
    return values_match(vals, id, true) || values_match(vals, name, true);
}

static bool include(json_t *filters, json_t *ev)
{
    json_t *actor = json_object_get(ev, "Actor"), *attrs = json_object_get(actor, "Attributes");
    const char *k;
    json_t *vals;
    json_object_foreach(filters, k, vals)
    {
        bool ok;
        if (streq(k, "type"))
            ok = values_match(vals, json_string_value(json_object_get(ev, "Type")), false);
        else if (streq(k, "event"))
            ok = match_event(vals, json_string_value(json_object_get(ev, "Action")));
        else if (streq(k, "image"))
            ok = match_image(vals, ev, attrs);
        else if (streq(k, "label"))
            ok = match_labels(vals, attrs);
        else if (streq(k, "scope"))
            ok = values_match(vals, "local", false);
        else
            ok = match_named(vals, actor);
        if (json_array_size(vals) > 0 && !ok)
            return false;
    }
    return true;
}

/* The line to send for `line` (taken), or NULL. (An imported line keeps
 * the shim's time: the log is nearly, not strictly, in time order.) */
static char *admit(struct evreader *er, char *line)
{
    json_t *ev = json_loads(line, 0, NULL);
    long long t = json_integer_value(json_object_get(ev, "timeNano"));
    bool ok = ev && t >= er->since && (!er->until || t <= er->until) && include(er->filters, ev);
    json_decref(ev);
    if (!ok) {
        free(line);
        return NULL;
    }
    char *s = xasprintf("%s\n", line);
    free(line);
    return s;
}

static bool client_gone(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    return fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * NS + ts.tv_nsec;
}

/* The next event line to send; NULL at the end of the stream. */
static char *next_line(struct evreader *er)
{
    for (;;) {
        long long now = now_ns(), until = now + NS / 2;
        bool past_only = er->until && er->until <= now, lost = false;
        if (er->until && er->until < until)
            until = er->until;
        struct timespec dl = {.tv_sec = until / NS, .tv_nsec = until % NS};
        char *line = events_next(&er->cur, past_only ? NULL : &dl, &lost);
        if (line) {
            char *s = admit(er, line);
            if (s)
                return s;
            continue;
        }
        if (past_only || (er->until && now_ns() >= er->until) || client_gone(er->fd))
            return NULL;
    }
}

static ssize_t events_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct evreader *er = cls;
    if (er->off == er->len) {
        free(er->out);
        er->out = next_line(er);
        er->off = 0;
        er->len = er->out ? strlen(er->out) : 0;
        if (er->out == NULL)
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = er->len - er->off < max ? er->len - er->off : max;
    memcpy(buf, er->out + er->off, n);
    er->off += n;
    return (ssize_t)n;
}

/* since, until and filters; false after queueing a 400 in *ret. */
static bool parse_args(struct request *r, struct evreader *er, enum MHD_Result *ret)
{
    const char *s = api_arg(r, "since"), *u = api_arg(r, "until"), *bad = NULL;
    er->since = s && *s ? events_query_parse_time(s) : 0;
    er->until = u && *u ? events_query_parse_time(u) : 0;
    if (er->since < 0)
        *ret = api_message(r, 400, "invalid value for since: '%s'", s);
    else if (er->until < 0)
        *ret = api_message(r, 400, "invalid value for until: '%s'", u);
    else if (er->since && er->until && er->until < er->since)
        *ret = api_message(r, 400, "`since` time (%s) cannot be after `until` time (%s)", s, u);
    else if ((er->filters = events_query_parse_filters(api_arg(r, "filters"), &bad)) != NULL)
        return true;
    else if (*bad)
        *ret = api_message(r, 400, "invalid filter '%s'", bad);
    else
        *ret = api_message(r, 400, "invalid filter: '%s'", api_arg(r, "filters"));
    free((char *)bad);
    return false;
}

enum MHD_Result api_events(struct request *r)
{
    if (!streq(r->method, "GET"))
        return api_message(r, 404, "page not found");
    struct evreader *er = xzalloc(sizeof(*er));
    enum MHD_Result ret;
    if (!parse_args(r, er, &ret)) {
        free(er);
        return ret;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    er->fd = ci ? ci->connect_fd : -1;
    events_open(&er->cur);
    const char *s = api_arg(r, "since"), *u = api_arg(r, "until");
    if (!(s && *s) && !(u && *u)) /* as Docker: no past events without either */
        er->cur.left = 0;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, events_cb, er, reader_free);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}
