/* The restart policy, carried out by the shim (shim.h): whether an exit of
 * the container is followed by another run, after which back-off, and the
 * records that show it (state.json while backing off). The shim, not
 * berthd, decides, so a container comes back also while berthd is down. */
#include "shim.h"
#include "cleanup.h"
#include "durable.h"
#include "util.h"

#include <jansson.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* Docker's restart manager: 100 ms, doubled at each restart, at most a
 * minute, and back to the start once a run lasted 10 s. */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS   60000
#define STABLE_RUN_MS    10000

static long ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

void shim_restart_began(struct shim_restart *r)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &r->started);
    clock_gettime(CLOCK_REALTIME, &ts);
    fmt_time(&ts, r->started_at);
}

/* HostConfig.RestartPolicy of the record now: `docker update --restart`
 * may have changed it since the start. */
static bool policy_says(const struct shim_args *a, const struct shim_restart *r, int code)
{
    json_t *rec = json_read_file(a->dir, "container.json", NULL);
    json_t *pol = json_object_get(json_object_get(rec, "HostConfig"), "RestartPolicy");
    const char *name = json_string_value(json_object_get(pol, "Name"));
    json_int_t max = json_integer_value(json_object_get(pol, "MaximumRetryCount"));
    bool yes = false;
    if (name && (streq(name, "always") || streq(name, "unless-stopped")))
        yes = true;
    else if (name && streq(name, "on-failure"))
        yes = code != 0 && (max <= 0 || r->count < (unsigned)max);
    json_decref(rec);
    return yes;
}

bool shim_restart_due(const struct shim_args *a, struct shim_restart *r, int code)
{
    bool health = r->health;
    r->health = false;
    if (r->manual || r->norestart)
        return false;
    if (!health && !policy_says(a, r, code))
        return false;
    if (ms_since(&r->started) >= STABLE_RUN_MS || r->delay_ms == 0)
        r->delay_ms = BACKOFF_FIRST_MS;
    else
        r->delay_ms = r->delay_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->delay_ms * 2;
    r->count++;
    return true;
}

int shim_restart_arm(struct shim_restart *r)
{
    if (r->timerfd < 0)
        r->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    struct itimerspec it = {.it_value = {.tv_sec = r->delay_ms / 1000,
                                         .tv_nsec = (long)(r->delay_ms % 1000) * 1000000}};
    if (r->timerfd < 0 || timerfd_settime(r->timerfd, 0, &it, NULL) < 0)
        return -1;
    return r->timerfd;
}

int shim_write_state(const struct shim_args *a, pid_t pid, const struct shim_restart *r,
                     const struct shim_last_exit *last, struct berth_error **err)
{
    json_t *j = json_pack("{s:i,s:i,s:I,s:s,s:i}", "Pid", (int)pid, "ShimPid", (int)getpid(),
                          "ShimStart", (json_int_t)proc_start_time(getpid()), "StartedAt",
                          r->started_at, "RestartCount", (int)r->count);
    if (last && last->finished_at[0])
        json_object_set_new(j, "LastExit",
                            json_pack("{s:i,s:b,s:s}", "ExitCode", last->code, "OOMKilled",
                                      last->oom_killed, "FinishedAt", last->finished_at));
    if (pid == 0) { /* backing off */
        struct timespec ts;
        char at[40];
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += r->delay_ms / 1000;
        ts.tv_nsec += (long)(r->delay_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000)
            ts.tv_sec++, ts.tv_nsec -= 1000000000;
        json_object_set_new(j, "Restarting", json_true());
        json_object_set_new(j, "RestartDelayMs", json_integer(r->delay_ms));
        json_object_set_new(j, "NextRestartAt", json_string(fmt_time(&ts, at)));
    }
    int rc = durable_write_json(a->dir, "state.json", j, err);
    json_decref(j);
    return rc;
}
