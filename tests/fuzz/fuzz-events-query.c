/* libFuzzer target: GET /events' query -> berthd's since/until and
 * filters parsers (src/daemon/api/events-query.c). The input is
 * "SINCE\nUNTIL\nFILTERS" (missing pieces are empty), each piece as the
 * query decoder hands it over: a C string. Whatever the bytes, a time is
 * ns >= 0 or -1, and the filters are a {"known key": ["string", ...]}
 * object or NULL with the reason set, never a crash or a leak. */
#include "api/events-query.h"
#include "cleanup.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *copy(const char *p, size_t n)
{
    char *s = xmalloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* The next '\n'-ended piece of [*p, end) as a new C string (cut at the
 * first NUL, as a decoded query argument would be). */
static char *piece(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;
    char *s = copy(*p, (size_t)(stop - *p));
    *p = nl ? nl + 1 : end;
    return s;
}

static void check_filters(json_t *f, const char *bad)
{
    const char *k;
    json_t *v, *x;
    size_t i;
    if ((f == NULL) != (bad != NULL) || (f && !json_is_object(f)))
        __builtin_trap(); /* exactly one of a result and a reason */
    json_object_foreach(f, k, v)
    {
        if (!json_is_array(v))
            __builtin_trap();
        json_array_foreach(v, i, x) if (!json_is_string(x)) __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    _cleanup_free_ char *since = piece(&p, end), *until = piece(&p, end);
    _cleanup_free_ char *filters = copy(p, (size_t)(end - p));
    if (events_query_parse_time(since) < -1 || events_query_parse_time(until) < -1)
        __builtin_trap();
    const char *bad = NULL;
    json_t *f = events_query_parse_filters(filters, &bad);
    check_filters(f, bad);
    json_decref(f);
    free((char *)bad);
    return 0;
}
