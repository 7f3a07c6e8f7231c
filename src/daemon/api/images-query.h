#pragma once
/* POST /images/prune's filters (Docker's dangling, until, label, label!),
 * parsed apart from the handler so the fuzz target
 * (tests/fuzz/fuzz-prune-filters.c) can reach it. */
#include <jansson.h>

struct store_prune;

/* Go's time.ParseDuration for what until takes ("24h", "1h30m", "90s",
 * "500ms"): seconds, or -1 for anything else. */
double images_go_duration(const char *s);

/* The filters argument `text` ({"k":["v"]} or docker's {"k":{"v":true}};
 * NULL or empty: none) into *f: all for dangling=false, until as unix
 * seconds (a duration before now, unix seconds or RFC 3339), the label
 * lists borrowed from *ret_filters, which the caller always decrefs.
 * NULL, or why not as Docker words it (the caller frees). */
char *images_prune_filters(const char *text, struct store_prune *f, json_t **ret_filters);

/* The same for network and container prune, which have no dangling
 * filter: "invalid filter 'dangling'" for one. */
char *images_prune_filters_plain(const char *text, struct store_prune *f, json_t **ret_filters);
