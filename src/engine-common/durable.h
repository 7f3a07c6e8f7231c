#pragma once
/* Durable records for the engine (DESIGN.md "Records on disk are the
 * truth"): a record is replaced by a temp file, fsync, rename and fsync of
 * the directory, so a SIGKILL at any instant leaves the old or the new one. */
#include <jansson.h>
#include <stddef.h>
#include <time.h>

struct berth_error;

/* Writes `data` as dir/name durably (mode 0600). */
int durable_write(const char *dir, const char *name, const char *data, size_t len,
                  struct berth_error **err);

/* Writes `j` as compact JSON text, durably. */
int durable_write_json(const char *dir, const char *name, const json_t *j,
                       struct berth_error **err);

/* Reads dir/name as JSON; ENOENT when missing, EINVAL when not JSON. */
json_t *json_read_file(const char *dir, const char *name, struct berth_error **err);

/* RFC 3339 with nanoseconds in UTC, as Docker writes times:
 * "2026-12-02T01:02:03.123456789Z". buf holds at least 40 bytes. */
const char *fmt_time(const struct timespec *ts, char buf[40]);

/* 32 random bytes as 64 lower-case hex digits into buf[65]. */
void random_hex_id(char buf[65]);

/* mkdir -p with mode for the directories it creates. */
int mkdir_p(const char *path, unsigned mode, struct berth_error **err);
