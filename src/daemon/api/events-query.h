#pragma once
/* GET /events' query (since, until, filters), parsed apart from the
 * stream so the fuzz target (tests/fuzz/fuzz-events-query.c) can reach it. */
#include <jansson.h>

/* Docker's since/until: unix seconds with an optional fraction, or
 * RFC 3339 ("Z" or an offset), as ns since the epoch; -1 when neither. */
long long events_query_parse_time(const char *s);

/* The filters argument, {"k":{"v":true}} (docker CLI) or {"k":["v"]},
 * into a new {"k":["v"]}; NULL (empty or absent text is no filter) on bad
 * input, with *ret_bad a new string: the unknown key, or "" for anything
 * else. The caller frees *ret_bad. */
json_t *events_query_parse_filters(const char *text, const char **ret_bad);
