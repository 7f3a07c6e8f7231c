#pragma once
#include <stddef.h>
#include <stdbool.h>
#include <sys/types.h>

struct berth_error;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failure aborts (STYLE.md): callers never check. */
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Number of entries in a NULL-terminated string vector. */
size_t strv_length(char **v);

/* Reads a whole file (relative to dirfd, or absolute) into a NUL-terminated
 * buffer owned by the caller; *ret_len (if given) excludes the NUL. */
int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len,
                 struct berth_error **err);

/* Writes `data` to an existing file (O_WRONLY|O_TRUNC unless `append`). */
int write_file_at(int dirfd, const char *path, const char *data, size_t len,
                  struct berth_error **err);

/* Writes to a new file atomically: temp file in the same directory, then
 * rename. Mode 0600 for state files. */
int write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len,
                         struct berth_error **err);

/* Parses a decimal or 0x-hex unsigned/signed integer; rejects trailing junk. */
int parse_u64(const char *s, unsigned long long *ret);
int parse_i64(const char *s, long long *ret);

/* Strict equality helper. */
static inline bool streq(const char *a, const char *b)
{
    return a && b && __builtin_strcmp(a, b) == 0;
}

/* Removes a directory tree below dirfd/name without following symlinks.
 * Missing is success. */
int rm_rf_at(int dirfd, const char *name, struct berth_error **err);

/* Writes `pid` to `path` atomically (runc's --pid-file). */
int write_pid_file(const char *path, pid_t pid, struct berth_error **err);

/* Closes every fd >= 3 except the n in `keep`, with close_range(2), or by
 * walking /proc/self/fd where close_range is missing or filtered (kernels
 * before 5.9, seccomp profiles that predate it). Best effort: never fails. */
void close_fds_except(const int *keep, size_t n);

/* The directories searched for a helper binary when PATH says nothing. */
#define DEFAULT_EXEC_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The first executable `name` in the colon-separated `path` (NULL or ""
 * means DEFAULT_EXEC_PATH; empty entries are skipped), caller frees; NULL when
 * there is none. */
char *path_lookup(const char *name, const char *path);

/* Start time (field 22 of /proc/PID/stat) of a live process, 0 if gone. */
unsigned long long proc_start_time(pid_t pid);
