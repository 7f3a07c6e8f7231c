#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 4, 0))) static int error_setv(struct berth_error **err, int errnum,
                                                            bool sys, const char *fmt, va_list ap)
{
    if (errnum <= 0)
        errnum = errnum < 0 ? -errnum : EINVAL;
    if (err == NULL || *err != NULL)
        return -errnum;
    struct berth_error *e = xmalloc(sizeof(*e));
    e->errnum = errnum;
    if (vasprintf(&e->msg, fmt, ap) < 0)
        abort();
    if (sys && errnum == EINVAL) {
        char *msg = xasprintf("%s: %s", e->msg, strerror(errnum));
        free(e->msg);
        e->msg = msg;
    }
    *err = e;
    return -errnum;
}

int berth_error_set(struct berth_error **err, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = error_setv(err, errnum, false, fmt, ap);
    va_end(ap);
    return r;
}

int berth_error_set_sys(struct berth_error **err, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = error_setv(err, errnum, true, fmt, ap);
    va_end(ap);
    return r;
}

int berth_error_wrap(struct berth_error **err, const char *fmt, ...)
{
    va_list ap;
    char *ctx = NULL;

    if (err == NULL || *err == NULL)
        return -EINVAL;
    va_start(ap, fmt);
    if (vasprintf(&ctx, fmt, ap) < 0)
        abort();
    va_end(ap);
    char *msg = xasprintf("%s: %s", ctx, (*err)->msg);
    free(ctx);
    free((*err)->msg);
    (*err)->msg = msg;
    return -(*err)->errnum;
}

void berth_error_clear(struct berth_error **err)
{
    if (err == NULL || *err == NULL)
        return;
    free((*err)->msg);
    free(*err);
    *err = NULL;
}

char *berth_error_format(const struct berth_error *e)
{
    /* EINVAL errors are bad input: their message already says what is wrong,
     * and "Invalid argument" would only add noise. */
    if (e->errnum == EINVAL)
        return xstrdup(e->msg);
    return xasprintf("%s: %s", e->msg, strerror(e->errnum));
}
