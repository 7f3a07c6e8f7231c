/* berthd --shutdown-containers: on SIGTERM every running container is
 * stopped as `stop` would (its stop signal, its timeout, then SIGKILL),
 * all at once, and berthd waits until each one's shim is gone: it exits
 * with no shim, mount or cgroup left (the shim removes those before it
 * ends). */
#include "daemon.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_STOP_TIMEOUT 10
#define SHIM_EXIT_WAIT_MS    10000

struct stopper {
    char id[65];
    int timeout;
    pid_t shim;
    unsigned long long shim_start;
    pthread_t thread;
    bool started;
};

static void *stop_main(void *arg)
{
    struct stopper *s = arg;
    struct ctr *c = NULL;
    struct berth_error *e = NULL;
    bool modified;
    if (ctr_find(s->id, &c, NULL) == 0 &&
        ctr_stop(c, s->timeout, KILL_NORESTART, &modified, &e) < 0) {
        _cleanup_free_ char *msg = berth_error_format(e);
        fprintf(stderr, "berthd: %s\n", msg);
    }
    berth_error_clear(&e);
    ctr_free(c);
    return NULL;
}

/* Gone, a zombie nobody reaped yet (its parent is init), or another
 * process that reuses the pid. */
static bool shim_gone(pid_t pid, unsigned long long start)
{
    _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int)pid);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    char buf[512];
    if (f == NULL || fgets(buf, sizeof(buf), f) == NULL)
        return true;
    const char *p = strrchr(buf, ')');
    return p == NULL || p[2] == 'Z' || p[2] == 'X' || proc_start_time(pid) != start;
}

static int stop_timeout(const struct ctr *c)
{
    json_t *t = json_object_get(json_object_get(c->rec, "Config"), "StopTimeout");
    return json_is_integer(t) && json_integer_value(t) >= 0 ? (int)json_integer_value(t)
                                                            : DEFAULT_STOP_TIMEOUT;
}

void ctr_shutdown_all(void)
{
    struct ctr **v;
    size_t n;
    ctr_list(&v, &n);
    struct stopper *s = xzalloc((n + 1) * sizeof(*s));
    for (size_t i = 0; i < n; i++) {
        if (v[i]->status != CTR_RUNNING)
            continue;
        snprintf(s[i].id, sizeof(s[i].id), "%s", v[i]->id);
        s[i].timeout = stop_timeout(v[i]);
        s[i].shim = (pid_t)json_integer_value(json_object_get(v[i]->state, "ShimPid"));
        s[i].shim_start =
            (unsigned long long)json_integer_value(json_object_get(v[i]->state, "ShimStart"));
        s[i].started = pthread_create(&s[i].thread, NULL, stop_main, &s[i]) == 0;
        if (!s[i].started)
            stop_main(&s[i]);
    }
    ctrs_free(v, n);
    for (size_t i = 0; i < n; i++)
        if (s[i].started)
            pthread_join(s[i].thread, NULL);
    for (size_t i = 0; i < n; i++) {
        for (long t = 0; s[i].shim > 0 && !shim_gone(s[i].shim, s[i].shim_start); t += 10) {
            if (t >= SHIM_EXIT_WAIT_MS) {
                fprintf(stderr, "berthd: the shim of container %s did not exit\n", s[i].id);
                break;
            }
            usleep(10000);
        }
    }
    free(s);
}
