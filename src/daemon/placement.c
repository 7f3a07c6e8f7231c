/* Placement by measured load (issue 17): `--cpuset-cpus auto[:N]` and
 * `--cpus X --placement spread|pack` pick the CPUs at each start (and at
 * `update --cpuset-cpus auto`) from /proc/stat samples berthd keeps and
 * the CPUs it already gave running containers (cpuplace.h says how a
 * CPU's load is counted). The choice and the loads seen go to the
 * container's placement.json: the shim pins the container to its Cpus
 * (also at the restarts it does itself), inspect shows it as Placement.
 *
 * The sampler thread starts with the first placement, so a berthd whose
 * containers never ask for one reads nothing; until it has a sample, a
 * placement measures 200 ms itself. */
#include "daemon.h"
#include "cleanup.h"
#include "cpuplace.h"
#include "durable.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_MS 500
#define WINDOW    6 /* samples: the window is 3 s */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct cpu_sample ring[WINDOW];
static unsigned ring_n, ring_next;
static bool sampler_on;

static int read_stat(struct cpu_sample *s)
{
    _cleanup_free_ char *text = NULL;
    if (read_file_at(AT_FDCWD, "/proc/stat", &text, NULL, NULL) < 0)
        return -EIO;
    return cpuplace_parse_stat(text, s);
}

static void *sampler_main(void *arg)
{
    (void)arg;
    struct cpu_sample *s = malloc(sizeof(*s));
    setpriority(PRIO_PROCESS, 0, 10); /* this thread only (Linux) */
    for (;;) {
        if (s && read_stat(s) == 0) {
            pthread_mutex_lock(&lock);
            ring[ring_next] = *s;
            ring_next = (ring_next + 1) % WINDOW;
            ring_n += ring_n < WINDOW;
            pthread_mutex_unlock(&lock);
        }
        usleep(SAMPLE_MS * 1000);
    }
    return NULL;
}

/* Under lock: the oldest sample of the window into *old (a fresh one
 * 200 ms before now when there is none yet), and now's. */
static int window(struct cpu_sample *old, struct cpu_sample *now, long *ret_ms)
{
    if (!sampler_on) {
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        sampler_on = pthread_create(&t, &at, sampler_main, NULL) == 0;
        pthread_attr_destroy(&at);
    }
    if (ring_n == 0) {
        if (read_stat(old) < 0)
            return -EIO;
        usleep(200000);
        *ret_ms = 200;
    } else {
        *old = ring[(ring_next + WINDOW - ring_n) % WINDOW];
        *ret_ms = (long)ring_n * SAMPLE_MS;
    }
    return read_stat(now);
}

/* The CPUs berthd may use (its affinity) that /proc/stat shows. */
static size_t eligible(const struct cpu_sample *now, struct cpu_load *loads)
{
    cpu_set_t set;
    size_t n = 0;
    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        CPU_ZERO(&set);
    for (unsigned i = 0; i < now->n; i++)
        if (now->cpu[i] < CPU_SETSIZE && CPU_ISSET(now->cpu[i], &set))
            loads[n++] = (struct cpu_load){.cpu = now->cpu[i]};
    return n;
}

/* The CPUs c uses (NULL when unpinned): an explicit set, or its placement. */
static char *pinned_set(const struct ctr *c)
{
    json_t *host = json_object_get(c->rec, "HostConfig");
    const char *set = json_string_value(json_object_get(host, "CpusetCpus"));
    unsigned n;
    bool bad;
    if ((set && cpuplace_is_auto(set, &n, &bad)) || json_object_get(host, "BerthPlacement")) {
        json_t *p = json_read_file(c->dir, "placement.json", NULL);
        char *cpus = json_string_value(json_object_get(p, "Cpus"))
                         ? xstrdup(json_string_value(json_object_get(p, "Cpus")))
                         : NULL;
        json_decref(p);
        return cpus;
    }
    return set && *set ? xstrdup(set) : NULL;
}

/* The CPUs of work host's limits give: --cpus, or CpuQuota/CpuPeriod; 0
 * without a limit. */
static double cpus_of(json_t *host)
{
    json_int_t nano = json_integer_value(json_object_get(host, "NanoCpus"));
    json_int_t quota = json_integer_value(json_object_get(host, "CpuQuota"));
    json_int_t period = json_integer_value(json_object_get(host, "CpuPeriod"));
    if (nano > 0)
        return (double)nano / 1e9;
    if (quota > 0)
        return (double)quota / (double)(period > 0 ? period : 100000);
    return 0;
}

/* What running containers other than `self` were given, per CPU. */
static void add_committed(const char *self, struct cpu_load *loads, size_t n)
{
    struct ctr **all = NULL;
    size_t m = 0;
    unsigned *cpus = malloc(CPUPLACE_MAX * sizeof(*cpus));
    if (cpus == NULL || ctr_list(&all, &m) < 0) {
        free(cpus);
        return;
    }
    for (size_t i = 0; i < m; i++) {
        if (all[i]->status != CTR_RUNNING || streq(all[i]->id, self))
            continue;
        _cleanup_free_ char *set = pinned_set(all[i]);
        int k = set ? cpuplace_parse_list(set, cpus, CPUPLACE_MAX) : 0;
        if (k <= 0)
            continue;
        double share = cpus_of(json_object_get(all[i]->rec, "HostConfig"));
        double per = share > 0 ? share / k : 1.0;
        for (int j = 0; j < k; j++)
            for (size_t l = 0; l < n; l++)
                if (loads[l].cpu == cpus[j])
                    loads[l].committed += per > 1 ? 1 : per;
    }
    ctrs_free(all, m);
    free(cpus);
}

/* How many CPUs and by which policy host asks for; 0: no placement. */
static int asked(json_t *host, unsigned *ret_want, enum cpuplace_policy *ret_policy,
                 struct berth_error **err)
{
    const char *set = json_string_value(json_object_get(host, "CpusetCpus"));
    const char *pol = json_string_value(json_object_get(host, "BerthPlacement"));
    bool is_auto = false, bad = false;
    *ret_policy = PLACE_SPREAD;
    *ret_want = 0;
    if (set)
        is_auto = cpuplace_is_auto(set, ret_want, &bad);
    if (bad)
        return berth_error_set(err, EINVAL, "invalid value '%s' for HostConfig.CpusetCpus", set);
    if (pol && cpuplace_policy_parse(pol, ret_policy) < 0)
        return berth_error_set(err, EINVAL, "invalid placement '%s': use spread or pack", pol);
    if (!is_auto && !pol)
        return 0;
    if (*ret_want == 0) {
        double c = cpus_of(host);
        unsigned whole = (unsigned)c;
        *ret_want = c <= 0 ? 1 : whole + ((double)whole < c);
    }
    return 1;
}

static double milli(double x)
{
    return (double)(long)(x * 1000 + 0.5) / 1000;
}

static json_t *placement_json(const char *ask, enum cpuplace_policy policy, const char *cpus,
                              const struct cpu_load *loads, size_t n, long window_ms)
{
    json_t *l = json_array();
    char at[40];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(l, json_pack("{s:i,s:f,s:f}", "Cpu", (int)loads[i].cpu, "Measured",
                                           milli(loads[i].measured), "Committed",
                                           milli(loads[i].committed)));
    return json_pack("{s:s,s:s,s:s,s:o,s:i,s:s}", "Asked", ask, "Policy",
                     policy == PLACE_PACK ? "pack" : "spread", "Cpus", cpus, "Loads", l, "WindowMs",
                     (int)window_ms, "At", fmt_time(&ts, at));
}

int placement_place(const struct ctr *c, json_t *host, char **ret_cpus, struct berth_error **err)
{
    unsigned want;
    enum cpuplace_policy policy;
    int r = asked(host, &want, &policy, err);
    if (r <= 0)
        return r;
    struct cpu_sample *old = malloc(sizeof(*old)), *now = malloc(sizeof(*now));
    struct cpu_load *loads = calloc(CPUPLACE_MAX, sizeof(*loads));
    unsigned *chosen = calloc(CPUPLACE_MAX, sizeof(*chosen));
    long ms = 0;
    size_t n = 0;
    char cpus[4096];
    if (old == NULL || now == NULL || loads == NULL || chosen == NULL)
        r = berth_error_set(err, ENOMEM, "placement: out of memory");
    pthread_mutex_lock(&lock);
    if (r >= 0 && window(old, now, &ms) < 0)
        r = berth_error_set(err, EIO, "placement: cannot read /proc/stat");
    if (r >= 0) {
        n = eligible(now, loads);
        for (size_t i = 0; i < n; i++)
            loads[i].measured = cpuplace_measured(old, now, loads[i].cpu);
        add_committed(c->id, loads, n);
        if (cpuplace_choose(loads, n, want, cpus_of(host), policy, chosen) < 0)
            r = berth_error_set(err, EINVAL, "placement: %u CPUs asked for, berthd may use %zu",
                                want, n);
    }
    pthread_mutex_unlock(&lock);
    if (r >= 0) {
        cpuplace_format(chosen, want, cpus, sizeof(cpus));
        const char *set = json_string_value(json_object_get(host, "CpusetCpus"));
        json_t *p = placement_json(set && *set ? set : "", policy, cpus, loads, n, ms);
        _cleanup_close_ int dfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ char *text = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        r = dfd < 0 ? berth_error_set(err, errno, "cannot open %s", c->dir)
                    : write_file_atomic_at(dfd, "placement.json", text, strlen(text), err);
        if (r >= 0 && ret_cpus)
            *ret_cpus = xstrdup(cpus);
        r = r < 0 ? r : 1;
    }
    free(old);
    free(now);
    free(loads);
    free(chosen);
    return r;
}
