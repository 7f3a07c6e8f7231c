/* A running container's counters as Docker's stats document (GET
 * /containers/{id}/stats, API 1.41), read from its cgroup through
 * libberth's two drivers (v1 and v2), whatever runtime made it. */
#include "daemon.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "durable.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#define ZERO_TIME "0001-01-01T00:00:00Z"

/* The host's CPU time, all CPUs, in ns: docker's system_cpu_usage (the
 * first seven fields of /proc/stat's first line, user to softirq, in
 * clock ticks; steal and guest are not counted, as docker's). */
static uint64_t host_cpu_ns(void)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/stat", "re");
    unsigned long long v[7] = {0};
    if (f == NULL || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                            &v[4], &v[5], &v[6]) < 4)
        return 0;
    uint64_t ticks = 0;
    for (size_t i = 0; i < ARRAY_SIZE(v); i++)
        ticks += v[i];
    long hz = sysconf(_SC_CLK_TCK);
    return ticks * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
}

uint64_t ctr_host_memory(void)
{
    struct sysinfo si;
    return sysinfo(&si) == 0 ? (uint64_t)si.totalram * si.mem_unit : 0;
}

static int read_counters(struct ctr *c, struct berth_cgroup_stats *st, struct berth_error **err)
{
    if (streq(ctr_runtime(c), "berth"))
        return berth_container_stats(engine.state_root, c->id, st, err);
    memset(st, 0, sizeof(*st));
    struct berth_cgroup *cg = ctr_cgroup_open(c, err);
    if (cg == NULL)
        return -EIO;
    int r = berth_cgroup_stats(cg, st, err);
    berth_cgroup_free(cg);
    return r;
}

static json_t *cpu_json(const struct berth_cgroup_stats *st)
{
    json_t *usage =
        json_pack("{s:I,s:I,s:I}", "total_usage", (json_int_t)st->cpu_total, "usage_in_kernelmode",
                  (json_int_t)st->cpu_kernel, "usage_in_usermode", (json_int_t)st->cpu_user);
    if (st->n_cpu_percpu > 0) {
        json_t *per = json_array();
        for (size_t i = 0; i < st->n_cpu_percpu; i++)
            json_array_append_new(per, json_integer((json_int_t)st->cpu_percpu[i]));
        json_object_set_new(usage, "percpu_usage", per);
    }
    return json_pack("{s:o,s:I,s:i,s:{s:I,s:I,s:I}}", "cpu_usage", usage, "system_cpu_usage",
                     (json_int_t)host_cpu_ns(), "online_cpus", (int)sysconf(_SC_NPROCESSORS_ONLN),
                     "throttling_data", "periods", (json_int_t)st->cpu_periods, "throttled_periods",
                     (json_int_t)st->cpu_throttled_periods, "throttled_time",
                     (json_int_t)st->cpu_throttled_time);
}

/* Docker's limit with no memory limit is the host's memory. */
static json_t *memory_json(const struct berth_cgroup_stats *st)
{
    uint64_t host = ctr_host_memory(), limit = st->memory.limit;
    if (limit == 0 || (host > 0 && limit > host))
        limit = host;
    json_t *kv = json_object();
    for (size_t i = 0; i < st->n_memory_stat; i++)
        json_object_set_new(kv, st->memory_stat[i].key,
                            json_integer((json_int_t)st->memory_stat[i].value));
    return json_pack("{s:I,s:I,s:I,s:I,s:o}", "usage", (json_int_t)st->memory.usage, "max_usage",
                     (json_int_t)st->memory.max, "limit", (json_int_t)limit, "failcnt",
                     (json_int_t)st->memory.failcnt, "stats", kv);
}

static json_t *blkio_json(const struct berth_cgroup_stats *st)
{
    json_t *bytes = json_array();
    for (size_t i = 0; i < st->n_io; i++)
        json_array_append_new(bytes,
                              json_pack("{s:I,s:I,s:s,s:I}", "major", (json_int_t)st->io[i].major,
                                        "minor", (json_int_t)st->io[i].minor, "op", st->io[i].op,
                                        "value", (json_int_t)st->io[i].value));
    return json_pack("{s:o,s:n,s:n,s:n,s:n,s:n,s:n,s:n}", "io_service_bytes_recursive", bytes,
                     "io_serviced_recursive", "io_queue_recursive", "io_service_time_recursive",
                     "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive",
                     "sectors_recursive");
}

/* What a container that is not running shows: Docker's zero document. */
static json_t *zero_stats(struct ctr *c)
{
    _cleanup_free_ char *name = xasprintf("/%s", ctr_name(c));
    return json_pack("{s:s,s:s,s:s,s:s,s:{},s:{},s:i,s:{},s:{s:{s:I}},s:{s:{}},s:{}}", "id", c->id,
                     "name", name, "read", ZERO_TIME, "preread", ZERO_TIME, "pids_stats",
                     "blkio_stats", "num_procs", 0, "storage_stats", "cpu_stats", "cpu_usage",
                     "total_usage", (json_int_t)0, "precpu_stats", "cpu_usage", "memory_stats");
}

json_t *ctr_stats_sample(struct ctr *c, struct berth_error **err)
{
    struct berth_cgroup_stats st;
    struct timespec ts;
    char now[40];
    if (c->status != CTR_RUNNING)
        return zero_stats(c);
    if (read_counters(c, &st, err) < 0)
        return NULL;
    clock_gettime(CLOCK_REALTIME, &ts);
    _cleanup_free_ char *name = xasprintf("/%s", ctr_name(c));
    json_t *pids = json_pack("{s:I}", "current", (json_int_t)st.pids_current);
    if (st.pids_limit > 0)
        json_object_set_new(pids, "limit", json_integer((json_int_t)st.pids_limit));
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:i,s:{},s:o,s:{s:{s:I}},s:o}", "id", c->id,
                          "name", name, "read", fmt_time(&ts, now), "preread", ZERO_TIME,
                          "pids_stats", pids, "blkio_stats", blkio_json(&st), "num_procs", 0,
                          "storage_stats", "cpu_stats", cpu_json(&st), "precpu_stats", "cpu_usage",
                          "total_usage", (json_int_t)0, "memory_stats", memory_json(&st));
    berth_cgroup_stats_free(&st);
    return j;
}

json_int_t ctr_log_drops(const struct ctr *c)
{
    char rep[512];
    if (c->status != CTR_RUNNING)
        return json_integer_value(json_object_get(c->exit, "LogDrops"));
    if (ctr_shim_request(c->id, "status\n", rep, sizeof(rep), NULL, 0) < 0)
        return 0;
    json_t *j = json_loads(rep, 0, NULL);
    json_int_t n = json_integer_value(json_object_get(j, "LogDrops"));
    json_decref(j);
    return n;
}
