/* The container's healthcheck (health.h), as Docker's daemon/health.go
 * does it, without its goroutines: one timerfd is the interval while no
 * check runs and the check's timeout while one does; the check's output
 * pipe and its pidfd sit in the shim's epoll, so the shim never waits for
 * a check.
 *
 * Docker's rules kept here: the interval counts from the end of a check
 * to the start of the next (and before the first one); during StartPeriod,
 * while still "starting", StartInterval (default 5 s) replaces it and a
 * failure does not count; Retries (0: 3) failures in a row make the
 * container unhealthy, one success healthy; a check past its timeout is
 * SIGKILLed and logged with ExitCode -1 and "Health check exceeded timeout
 * (D)[: output]"; the output (stdout and stderr, together) keeps its first
 * 4096 bytes, then "..."; the log keeps 5 entries; a health_status event
 * goes out only when the status changes (handleProbeResult's oldStatus
 * check), not after every check; a check that cannot start is a failure
 * logged with ExitCode -1 and the error. Docker stops its monitor while the
 * container is paused: here no check starts while its cgroup is frozen,
 * and one in flight gets its full timeout after the thaw. Unlike Docker,
 * a check raises no exec_create/exec_start/exec_die events (three
 * synced lines of events.jsonl per check). */
#include "health.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "durable.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define NS_PER_SEC             1000000000ULL
#define DEFAULT_INTERVAL       (30 * NS_PER_SEC)
#define DEFAULT_TIMEOUT        (30 * NS_PER_SEC)
#define DEFAULT_START_INTERVAL (5 * NS_PER_SEC)
#define DEFAULT_RETRIES        3
#define MAX_LOG                5
#define HEALTH_FILE            "health.json"

static uint64_t ns_or(json_t *hc, const char *key, uint64_t dflt)
{
    json_int_t v = json_integer_value(json_object_get(hc, key));
    return v > 0 ? (uint64_t)v : dflt;
}

/* CMD: the rest as argv; CMD-SHELL: Config.Shell (or /bin/sh -c) and the
 * rest; NULL for NONE, an empty test or an unknown type (berthd refuses
 * those at create; Docker ignores them here). */
static char **test_argv(json_t *cfg, json_t *test)
{
    const char *kind = json_string_value(json_array_get(test, 0));
    json_t *shell = json_object_get(cfg, "Shell");
    size_t i, n = 0, nshell = json_array_size(shell);
    bool sh = kind && streq(kind, "CMD-SHELL");
    if (kind == NULL || (!sh && !streq(kind, "CMD")) || json_array_size(test) < 2)
        return NULL;
    char **v = xzalloc((json_array_size(test) + (nshell ? nshell : 2) + 1) * sizeof(char *));
    if (sh && nshell > 0) {
        for (i = 0; i < nshell; i++)
            v[n++] = xstrdup(json_string_value(json_array_get(shell, i)) ?: "");
    } else if (sh) {
        v[n++] = xstrdup("/bin/sh");
        v[n++] = xstrdup("-c");
    }
    for (i = 1; i < json_array_size(test); i++)
        v[n++] = xstrdup(json_string_value(json_array_get(test, i)) ?: "");
    return v;
}

/* Reads Config.Healthcheck from the record; false: none to run. */
static bool load_config(const struct shim_args *a, struct shim_health *h)
{
    json_t *rec = json_read_file(a->dir, "container.json", NULL);
    json_t *cfg = json_object_get(rec, "Config");
    json_t *hc = json_object_get(cfg, "Healthcheck");
    h->argv = test_argv(cfg, json_object_get(hc, "Test"));
    h->interval = ns_or(hc, "Interval", DEFAULT_INTERVAL);
    h->timeout = ns_or(hc, "Timeout", DEFAULT_TIMEOUT);
    h->start_period = ns_or(hc, "StartPeriod", 0);
    h->start_interval = ns_or(hc, "StartInterval", DEFAULT_START_INTERVAL);
    json_int_t retries = json_integer_value(json_object_get(hc, "Retries"));
    h->retries = retries > 0 && retries < INT32_MAX ? (int)retries : DEFAULT_RETRIES;
    const char *of = json_string_value(json_object_get(hc, "OnFailure"));
    h->on_failure = of && streq(of, "kill")      ? SHIM_HEALTH_KILL
                    : of && streq(of, "restart") ? SHIM_HEALTH_RESTART
                                                 : SHIM_HEALTH_NONE;
    json_decref(rec);
    return h->argv != NULL;
}

static void write_health(const struct shim_args *a, const struct shim_health *h)
{
    json_t *j =
        json_pack("{s:s,s:i,s:O}", "Status", h->status, "FailingStreak", h->streak, "Log", h->log);
    durable_write_json(a->dir, HEALTH_FILE, j, NULL);
    json_decref(j);
}

static void arm(struct shim_health *h, uint64_t ns)
{
    struct itimerspec it = {
        .it_value = {.tv_sec = (time_t)(ns / NS_PER_SEC), .tv_nsec = (long)(ns % NS_PER_SEC)}};
    if (ns == 0)
        it.it_value.tv_nsec = 1; /* 0 would disarm it */
    timerfd_settime(h->fd[SHIM_HEALTH_TIMER], 0, &it, NULL);
}

static uint64_t since_start(const struct shim_health *h)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t d = (int64_t)(now.tv_sec - h->started.tv_sec) * (int64_t)NS_PER_SEC +
                (now.tv_nsec - h->started.tv_nsec);
    return d > 0 ? (uint64_t)d : 0;
}

/* Docker 25's getInterval: StartInterval while in the start period and
 * still starting. */
static void arm_interval(struct shim_health *h)
{
    bool early = since_start(h) < h->start_period && streq(h->status, "starting");
    arm(h, early ? h->start_interval : h->interval);
}

static void watch(struct shim_health *h, uint32_t i)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = ((uint64_t)h->tag << 32) | i};
    epoll_ctl(h->ep, EPOLL_CTL_ADD, h->fd[i], &ev);
}

static void drop(struct shim_health *h, uint32_t i)
{
    if (h->fd[i] < 0)
        return;
    epoll_ctl(h->ep, EPOLL_CTL_DEL, h->fd[i], NULL);
    close(h->fd[i]);
    h->fd[i] = -1;
}

void shim_health_start(const struct shim_args *a, const struct berth_container *c, int ep,
                       uint32_t tag, struct shim_health *h)
{
    shim_health_stop(a, h); /* a start without a stop: nothing is left behind */
    *h = (struct shim_health){.ep = ep, .tag = tag, .status = "starting"};
    for (int i = 0; i < SHIM_HEALTH_FDS; i++)
        h->fd[i] = -1;
    if (!load_config(a, h))
        return;
    h->fd[SHIM_HEALTH_TIMER] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (h->fd[SHIM_HEALTH_TIMER] < 0) {
        strv_freep(&h->argv);
        return;
    }
    h->enabled = true;
    h->cgroup = c ? c->cgroup : NULL;
    clock_gettime(CLOCK_MONOTONIC, &h->started);
    /* Docker keeps the log across restarts; Status and FailingStreak reset */
    json_t *old = json_read_file(a->dir, HEALTH_FILE, NULL);
    json_t *log = json_object_get(old, "Log");
    h->log = json_is_array(log) ? json_incref(log) : json_array();
    json_decref(old);
    write_health(a, h);
    watch(h, SHIM_HEALTH_TIMER);
    arm_interval(h);
}

/* Go's time.Duration.String for the timeout message ("200ms", "1.5s",
 * "1m30s"). */
static void frac(char *buf, size_t n, uint64_t v, uint64_t unit, const char *suffix)
{
    uint64_t rem = v % unit;
    int width = 0;
    for (uint64_t u = unit; u > 1; u /= 10)
        width++;
    if (rem == 0) {
        snprintf(buf, n, "%" PRIu64 "%s", v / unit, suffix);
        return;
    }
    while (rem % 10 == 0)
        rem /= 10, width--;
    snprintf(buf, n, "%" PRIu64 ".%0*" PRIu64 "%s", v / unit, width, rem, suffix);
}

static void go_duration(uint64_t ns, char buf[64])
{
    char sec[32];
    uint64_t h = ns / (3600 * NS_PER_SEC), m = ns / (60 * NS_PER_SEC) % 60;
    if (ns < 1000)
        snprintf(buf, 64, "%" PRIu64 "ns", ns);
    else if (ns < 1000000)
        frac(buf, 64, ns, 1000, "µs");
    else if (ns < NS_PER_SEC)
        frac(buf, 64, ns, 1000000, "ms");
    else {
        frac(sec, sizeof(sec), ns % (60 * NS_PER_SEC), NS_PER_SEC, "s");
        if (h > 0)
            snprintf(buf, 64, "%" PRIu64 "h%" PRIu64 "m%s", h, m, sec);
        else if (m > 0)
            snprintf(buf, 64, "%" PRIu64 "m%s", m, sec);
        else
            snprintf(buf, 64, "%s", sec);
    }
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), 0 if
 * none: jansson refuses invalid UTF-8, Go's encoder writes U+FFFD. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80             ? 1
                 : (s[0] & 0xe0) == 0xc0 ? 2
                 : (s[0] & 0xf0) == 0xe0 ? 3
                 : (s[0] & 0xf8) == 0xf0 ? 4
                                         : 0;
    if (len == 0 || len > n || (len == 2 && s[0] < 0xc2))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

static json_t *output_json(const char *prefix, const struct shim_health *h)
{
    size_t n = strlen(prefix), i = 0;
    char *s = xmalloc(n + h->out_len + 4);
    memcpy(s, prefix, n);
    while (i < h->out_len) {
        size_t l = utf8_len((const unsigned char *)h->out + i, h->out_len - i);
        if (l == 0) {
            s[n++] = '?';
            i++;
            continue;
        }
        memcpy(s + n, h->out + i, l);
        n += l, i += l;
    }
    if (h->truncated)
        memcpy(s + n, "...", 3), n += 3;
    json_t *j = json_stringn(s, n);
    free(s);
    return j ? j : json_string("");
}

/* Docker's handleProbeResult: the log, the streak, the status; the
 * event on a change. Returns OnFailure when the container became
 * unhealthy. */
static enum shim_health_action record(const struct shim_args *a, struct shim_health *h, int code,
                                      json_t *output)
{
    char start[40], end[40];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    json_array_append_new(
        h->log, json_pack("{s:s,s:s,s:i,s:o}", "Start", fmt_time(&h->check_start, start), "End",
                          fmt_time(&now, end), "ExitCode", code, "Output", output));
    while (json_array_size(h->log) > MAX_LOG)
        json_array_remove(h->log, 0);
    const char *old = h->status;
    if (code == 0) {
        h->streak = 0;
        h->status = "healthy";
    } else if (!streq(h->status, "starting") || since_start(h) >= h->start_period) {
        /* while starting, failures in the start period do not count */
        if (++h->streak >= h->retries)
            h->status = "unhealthy";
    }
    write_health(a, h);
    arm_interval(h);
    if (streq(old, h->status))
        return SHIM_HEALTH_NONE;
    _cleanup_free_ char *action = xasprintf("health_status: %s", h->status);
    shim_event(a, action, NULL);
    return streq(h->status, "unhealthy") ? h->on_failure : SHIM_HEALTH_NONE;
}

/* Starts one check: its stdout and stderr on one non-blocking pipe, stdin
 * /dev/null; as the container's process (user, env, cwd), as Docker runs
 * it with Config.User, Env and WorkingDir. */
static enum shim_health_action run_check(const struct shim_args *a, struct shim_health *h)
{
    struct berth_error *e = NULL;
    _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int p[2] = {-1, -1};
    clock_gettime(CLOCK_REALTIME, &h->check_start);
    h->out_len = 0;
    h->truncated = h->timed_out = false;
    int r = pipe2(p, O_CLOEXEC) < 0 ? berth_error_set(&e, errno, "cannot make a pipe") : 0;
    if (r == 0) {
        int stdio[3] = {null, p[1], p[1]};
        struct berth_exec_opts o = {
            .state_root = a->state_root, .id = a->id, .args = h->argv, .stdio = stdio};
        r = shim_runtime_exec(a, &o, &h->check, &e);
        close(p[1]);
    }
    if (r < 0) { /* Docker: ExitCode -1 with the error as the output */
        if (p[0] >= 0)
            close(p[0]);
        h->check = NULL;
        _cleanup_free_ char *msg = berth_error_format(e);
        berth_error_clear(&e);
        return record(a, h, -1, json_string(msg));
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    h->fd[SHIM_HEALTH_OUT] = p[0];
    h->fd[SHIM_HEALTH_PIDFD] = h->check->pidfd;
    watch(h, SHIM_HEALTH_OUT);
    watch(h, SHIM_HEALTH_PIDFD);
    arm(h, h->timeout);
    return SHIM_HEALTH_NONE;
}

/* Reads what the check wrote; keeps the first 4096 bytes. */
static void pump(struct shim_health *h)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(h->fd[SHIM_HEALTH_OUT], buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            drop(h, SHIM_HEALTH_OUT);
            return;
        }
        if (n < 0)
            return;
        size_t keep = sizeof(h->out) - h->out_len;
        if (keep > (size_t)n)
            keep = (size_t)n;
        memcpy(h->out + h->out_len, buf, keep);
        h->out_len += keep;
        h->truncated |= keep < (size_t)n;
    }
}

/* Reaps the check (its pidfd is readable: it has exited). */
static int reap_check(struct shim_health *h)
{
    struct berth_exit ex = {.code = 255};
    struct berth_error *e = NULL;
    epoll_ctl(h->ep, EPOLL_CTL_DEL, h->fd[SHIM_HEALTH_PIDFD], NULL);
    h->fd[SHIM_HEALTH_PIDFD] = -1; /* the handle's: closed by berth_container_free */
    int r = berth_container_wait(h->check, &ex, &e);
    berth_error_clear(&e);
    berth_container_free(h->check);
    h->check = NULL;
    /* reaped by someone else: its code is unknown, which is no success */
    return r < 0 ? -1 : berth_exit_status(&ex);
}

/* The check ended: what it wrote before is in the pipe (a process it left
 * behind holding the pipe is not waited for). */
static enum shim_health_action check_done(const struct shim_args *a, struct shim_health *h)
{
    int code = reap_check(h);
    if (h->fd[SHIM_HEALTH_OUT] >= 0)
        pump(h);
    drop(h, SHIM_HEALTH_OUT);
    if (!h->timed_out)
        return record(a, h, code, output_json("", h));
    char d[64];
    go_duration(h->timeout, d);
    _cleanup_free_ char *prefix = xasprintf("Health check exceeded timeout (%s)%s", d,
                                            h->out_len > 0 || h->truncated ? ": " : "");
    return record(a, h, -1, output_json(prefix, h));
}

enum shim_health_action shim_health_ready(const struct shim_args *a, struct shim_health *h,
                                          uint32_t i)
{
    uint64_t ticks;
    if (!h->enabled || i >= SHIM_HEALTH_FDS || h->fd[i] < 0)
        return SHIM_HEALTH_NONE;
    switch (i) {
    case SHIM_HEALTH_TIMER:
        if (read(h->fd[i], &ticks, sizeof(ticks)) != sizeof(ticks))
            return SHIM_HEALTH_NONE;
        if (h->cgroup && berth_cgroup_frozen(h->cgroup)) {
            /* paused: no check starts, one in flight gets its time after */
            arm(h, h->check ? h->timeout : h->interval);
            return SHIM_HEALTH_NONE;
        }
        if (h->check == NULL)
            return run_check(a, h);
        /* its timeout: Docker kills the exec; its pidfd then says it ended
         * (unless it already did: its readiness may be next in the batch) */
        struct pollfd p = {.fd = h->check->pidfd, .events = POLLIN};
        if (!h->timed_out && poll(&p, 1, 0) == 0) {
            syscall(SYS_pidfd_send_signal, h->check->pidfd, SIGKILL, NULL, 0);
            h->timed_out = true;
        }
        return SHIM_HEALTH_NONE;
    case SHIM_HEALTH_OUT:
        pump(h);
        return SHIM_HEALTH_NONE;
    default:
        return check_done(a, h);
    }
}

void shim_health_stop(const struct shim_args *a, struct shim_health *h)
{
    (void)a;
    if (!h->enabled)
        return;
    if (h->check) { /* its result is dropped, as Docker's after a stop */
        syscall(SYS_pidfd_send_signal, h->check->pidfd, SIGKILL, NULL, 0);
        reap_check(h);
    }
    for (uint32_t i = 0; i < SHIM_HEALTH_FDS; i++)
        drop(h, i);
    strv_freep(&h->argv);
    json_decref(h->log);
    h->log = NULL;
    h->enabled = false;
}

bool shim_health_owns(const struct shim_health *h, pid_t pid)
{
    return h->enabled && h->check && h->check->pid == pid;
}
