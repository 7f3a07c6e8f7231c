#pragma once
/* health.c: the container's Config.Healthcheck carried out by the shim
 * (issue 14): the test runs through the container's runtime exec (CMD or
 * CMD-SHELL) every Interval, is killed after Timeout, and Retries failures
 * in a row (after StartPeriod) make the container unhealthy; the result
 * goes to DIR/health.json (Docker's State.Health) and health_status events.
 * The module registers its fds in the loop's epoll `ep` with the data
 * ((uint64_t)tag << 32 | i) and gets each readiness of fd i through
 * shim_health_ready. Best effort: a check that cannot start counts as a
 * failed check, the container is not disturbed.
 *
 * The check is a child of the shim: the loop's reaping of strays must
 * leave it to this module (shim_health_owns) and look again for zombies
 * after each shim_health_ready (a stray may have queued behind it). */
#include "shim.h"

#include <sys/types.h>
#include <time.h>

enum shim_health_action { SHIM_HEALTH_NONE, SHIM_HEALTH_KILL, SHIM_HEALTH_RESTART };

/* the fds, by their index i in the epoll data */
enum { SHIM_HEALTH_TIMER, SHIM_HEALTH_OUT, SHIM_HEALTH_PIDFD, SHIM_HEALTH_FDS };

#define SHIM_HEALTH_OUTPUT_MAX 4096 /* Docker's maxOutputLen */

struct shim_health {
    bool enabled;
    int ep;
    uint32_t tag;
    int fd[SHIM_HEALTH_FDS];    /* -1: not open */
    char **argv;                /* the test as exec'd */
    uint64_t interval, timeout; /* ns, Docker's defaults applied */
    uint64_t start_period, start_interval;
    int retries;
    enum shim_health_action on_failure;
    struct berth_cgroup *cgroup; /* the container's (its handle's), or NULL */
    struct timespec started;     /* CLOCK_MONOTONIC: the container's (re)start */
    const char *status;          /* "starting", "healthy", "unhealthy" */
    int streak;                  /* FailingStreak */
    json_t *log;                 /* the last entries, oldest first */
    /* the check in flight: check == NULL when none */
    struct berth_container *check;
    struct timespec check_start; /* CLOCK_REALTIME */
    bool timed_out;
    bool truncated;
    size_t out_len;
    char out[SHIM_HEALTH_OUTPUT_MAX];
};

/* At each (re)start of the container: reads the record's healthcheck and
 * arms its timer (c's cgroup is borrowed until shim_health_stop: no check
 * runs while it is frozen, as Docker's monitor stops while paused); writes health.json
 * {"Status":"starting"} (the log of earlier runs is kept, as Docker keeps it). Without a
 * healthcheck (none, Test empty or ["NONE"]) h->enabled stays false and nothing is opened. */
void shim_health_start(const struct shim_args *a, const struct berth_container *c, int ep,
                       uint32_t tag, struct shim_health *h);
/* One readiness of the module's fd `i`; what the loop must do now:
 * Healthcheck.OnFailure, returned once when the container becomes
 * unhealthy. Never blocks. */
enum shim_health_action shim_health_ready(const struct shim_args *a, struct shim_health *h,
                                          uint32_t i);
/* At each exit of the container: kills a check in flight and reaps it,
 * closes the fds. A no-op when not started. */
void shim_health_stop(const struct shim_args *a, struct shim_health *h);
/* Whether `pid` is the check in flight: the loop must not reap it (its
 * exit code is read through its pidfd). */
bool shim_health_owns(const struct shim_health *h, pid_t pid);
