#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* The sink is process-wide state by nature (one front end per process); it is
 * the one exception to "no globals in lib" and is only set at start-up. */
static berth_log_sink log_sink;
static void *log_userdata;

void berth_log_set_sink(berth_log_sink sink, void *userdata)
{
    log_sink = sink;
    log_userdata = userdata;
}

void berth_log(enum berth_log_level level, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;

    if (log_sink == NULL)
        return;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    log_sink(level, msg, log_userdata);
    free(msg);
}
