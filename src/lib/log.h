#pragma once
/* The library logs only at debug level, to a sink the front end installs.
 * With no sink installed, berth_log() costs one branch. */

enum berth_log_level { BERTH_LOG_DEBUG, BERTH_LOG_INFO, BERTH_LOG_WARNING, BERTH_LOG_ERROR };

typedef void (*berth_log_sink)(enum berth_log_level level, const char *msg, void *userdata);

void berth_log_set_sink(berth_log_sink sink, void *userdata);
void berth_log(enum berth_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
