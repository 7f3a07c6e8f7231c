/* POST /images/prune's filters (images-query.h), as Docker's
 * daemon/images/image_prune.go reads them. */
#include "images-query.h"
#include "events-query.h"
#include "store.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double images_go_duration(const char *s)
{
    double total = 0;
    const char *p = s;
    while (*p) {
        char *end;
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1;
        double v = strtod(p, &end);
        if (end == p)
            return -1;
        if (strncmp(end, "ms", 2) == 0)
            v /= 1000, end += 2;
        else if (*end == 'h' || *end == 'm' || *end == 's')
            v *= *end == 'h' ? 3600 : *end == 'm' ? 60 : 1, end++;
        else
            return -1;
        total += v;
        p = end;
    }
    /* a huge one (1e300h) would overflow time_t below: refused */
    return *s && total < 1e12 ? total : -1;
}

/* unix seconds, or -1 */
static long long until_time(const char *s)
{
    double d = images_go_duration(s);
    if (d >= 0)
        return (long long)(time(NULL) - d);
    long long ns = events_query_parse_time(s);
    return ns < 0 ? -1 : ns / 1000000000LL;
}

/* {"v":true} or ["v"] as a new array of the strings */
static json_t *values(json_t *v)
{
    json_t *a = json_array(), *x;
    const char *name;
    size_t i;
    if (json_is_object(v))
        json_object_foreach(v, name, x) json_array_append_new(a, json_string(name));
    else
        json_array_foreach(v, i, x) if (json_is_string(x)) json_array_append(a, x);
    return a;
}

static char *one_filter(const char *k, const char *first, struct store_prune *f)
{
    bool is_bool = first && (streq(first, "true") || streq(first, "false") || streq(first, "1") ||
                             streq(first, "0"));
    if (streq(k, "dangling") && first && !is_bool)
        return xasprintf("invalid filter 'dangling=%s'", first);
    if (streq(k, "dangling"))
        f->all = first && (streq(first, "false") || streq(first, "0"));
    else if (streq(k, "until") && first && (f->until = until_time(first)) < 0)
        return xasprintf("invalid filter 'until=%s': a duration, unix seconds or an RFC 3339 "
                         "time expected",
                         first);
    else if (!streq(k, "until") && !streq(k, "label") && !streq(k, "label!"))
        return xasprintf("invalid filter '%s'", k);
    return NULL;
}

char *images_prune_filters(const char *text, struct store_prune *f, json_t **ret_filters)
{
    json_t *filters = text && *text ? json_loads(text, 0, NULL) : json_object(), *v;
    const char *k;
    void *tmp;
    *ret_filters = filters;
    if (!json_is_object(filters))
        return xasprintf("invalid filters: '%s'", text);
    json_object_foreach_safe(filters, tmp, k, v)
    {
        json_t *a = values(v);
        json_object_set_new(filters, k, a);
        char *bad = one_filter(k, json_string_value(json_array_get(a, 0)), f);
        if (bad)
            return bad;
    }
    f->labels = json_object_get(filters, "label");
    f->not_labels = json_object_get(filters, "label!");
    return NULL;
}

char *images_prune_filters_plain(const char *text, struct store_prune *f, json_t **ret_filters)
{
    char *bad = images_prune_filters(text, f, ret_filters);
    if (bad == NULL && json_object_get(*ret_filters, "dangling"))
        bad = xstrdup("invalid filter 'dangling'");
    return bad;
}
