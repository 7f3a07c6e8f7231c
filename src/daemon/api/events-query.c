/* GET /events' since, until and filters (Docker's daemon/events and
 * api/types/filters), apart from the stream in events.c. */
#include "events-query.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS 1000000000LL

long long events_query_parse_time(const char *s)
{
    char *end;
    struct tm tm = {0};
    long long sec = strtoll(s, &end, 10), ns = 0;
    const char *rest = end;
    bool date = end == s || *end == '-'; /* not a number, or a date */
    if (date) {
        rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (rest == NULL)
            return -1;
        sec = timegm(&tm);
    }
    int digits = 0;
    bool frac = *rest == '.';
    for (rest += frac; frac && isdigit((unsigned char)*rest); rest++)
        if (digits++ < 9)
            ns = ns * 10 + (*rest - '0');
    for (; digits > 0 && digits < 9; digits++)
        ns *= 10;
    if (date && (*rest == '+' || *rest == '-') && strlen(rest) == 6 && rest[3] == ':') {
        long long off = atoll(rest + 1) * 3600 + atoll(rest + 4) * 60;
        sec -= *rest == '+' ? off : -off;
        rest += 6;
    } else if (date && *rest == 'Z') {
        rest++;
    }
    /* past 2262 ns overflow a long long: refused, not wrapped */
    return *rest || sec < 0 || sec > LLONG_MAX / NS - 1 ? -1 : sec * NS + ns;
}

static const char *const keys[] = {"type",    "event",   "container", "image",  "label",
                                   "volume",  "network", "plugin",    "daemon", "node",
                                   "service", "secret",  "config",    "scope"};

json_t *events_query_parse_filters(const char *text, const char **ret_bad)
{
    json_t *f = text && *text ? json_loads(text, 0, NULL) : json_object(), *v, *out = json_object();
    const char *k;
    *ret_bad = NULL;
    if (!json_is_object(f))
        *ret_bad = "";
    json_object_foreach(f, k, v)
    {
        bool known = false;
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
            known |= streq(k, keys[i]);
        if (!known || !(json_is_object(v) || json_is_array(v))) {
            *ret_bad = known ? "" : k;
            break;
        }
        json_t *a = json_array(), *x;
        const char *name;
        size_t i;
        if (json_is_object(v))
            json_object_foreach(v, name, x) json_array_append_new(a, json_string(name));
        else
            json_array_foreach(v, i, x) if (json_is_string(x)) json_array_append(a, x);
        json_object_set_new(out, k, a);
    }
    if (*ret_bad) {
        *ret_bad = xstrdup(*ret_bad);
        json_decref(out), out = NULL;
    }
    json_decref(f);
    return out;
}
