#pragma once
/* One error convention for all of libberth (STYLE.md "Errors"): fallible
 * functions take `struct berth_error **err` last and return >= 0 on success or
 * -errno with *err set exactly once. */

struct berth_error {
    int errnum; /* positive errno; EINVAL for bad input, ENOENT for unknown */
    char *msg;  /* "what failed: detail", no trailing newline */
};

/* Sets *err (if err is non-NULL and *err is still NULL) and returns -errnum.
 * errnum 0 is turned into EINVAL so callers always get a negative value. */
int berth_error_set(struct berth_error **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same for a failed system call: the kernel's EINVAL is no bad input of
 * the user's, so its text ("Invalid argument") is kept in the message, which
 * berth_error_format would otherwise leave out. */
int berth_error_set_sys(struct berth_error **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the message of an existing error with context: "ctx: old".
 * Returns -errnum of the error, or -EINVAL if there was none. */
int berth_error_wrap(struct berth_error **err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees *err and sets it to NULL; a NULL err or *err is a no-op. */
void berth_error_clear(struct berth_error **err);

/* Full message including strerror, e.g. "cannot mount 'proc': Operation not
 * permitted". The result is owned by the caller. */
char *berth_error_format(const struct berth_error *e);
