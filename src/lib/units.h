#pragma once
/* The size and duration syntax of runc's options (`update --memory 64m`,
 * `events --interval 500ms`). Pure parsing. */
#include <stdint.h>

/* A byte count as runc (docker's RAMInBytes) reads one: a decimal number,
 * a fraction allowed, an optional space, then an optional unit k, m, g, t
 * or p in either case (binary: 1k = 1024), optionally followed by "i"
 * and/or "b" ("64m", "1.5G", "512KiB", "100b"); "-1" is -1 (unlimited).
 * 0, or -EINVAL for anything else or a value beyond INT64_MAX. */
int berth_parse_size(const char *s, int64_t *ret);

/* A duration as Go's time.ParseDuration reads one: a sequence of decimal
 * numbers, each with a fraction allowed and a unit ns, us (or µs), ms, s,
 * m or h ("1s", "500ms", "1m30s", "1.5h"); "0" needs no unit. Into
 * nanoseconds; -EINVAL for anything else, a sign, or an overflow. */
int berth_parse_duration(const char *s, uint64_t *ret_ns);

/* Docker's words for a past duration (go-units HumanDuration): "Less than
 * a second", "1 second", "About a minute", "3 hours", "2 weeks"... */
#include <stddef.h>
#include <time.h>
void berth_human_duration(time_t secs, char *buf, size_t len);
