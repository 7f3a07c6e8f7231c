/* `events`: runc's JSON lines, {"type":"stats"|"oom","id":ID,"data":{…}}.
 * Written by hand rather than with jansson: the counters are unsigned 64
 * bit (a v2 "max" limit is 18446744073709551615), beyond json_int_t. */
#include "runtime.h"
#include "cgroup.h"
#include "container.h"
#include "units.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define USAGE "events [--stats] [--interval DURATION] ID"

/* A JSON writer to stdout: `first[d]` says whether level d has no member
 * yet. */
struct jw {
    int depth;
    bool first[8];
};

static void put_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void jw_key(struct jw *w, const char *key)
{
    if (!w->first[w->depth])
        putchar(',');
    w->first[w->depth] = false;
    if (key) {
        put_string(key);
        putchar(':');
    }
}

static void jw_open(struct jw *w, const char *key, char brace)
{
    jw_key(w, key);
    putchar(brace);
    w->first[++w->depth] = true;
}

static void jw_close(struct jw *w, char brace)
{
    putchar(brace);
    w->depth--;
}

static void jw_u64(struct jw *w, const char *key, uint64_t v)
{
    jw_key(w, key);
    printf("%" PRIu64, v);
}

static void jw_str(struct jw *w, const char *key, const char *v)
{
    jw_key(w, key);
    put_string(v);
}

static void cpu_json(struct jw *w, const struct berth_cgroup_stats *s)
{
    jw_open(w, "cpu", '{');
    jw_open(w, "usage", '{');
    jw_u64(w, "total", s->cpu_total);
    if (s->n_cpu_percpu > 0) {
        jw_open(w, "percpu", '[');
        for (size_t i = 0; i < s->n_cpu_percpu; i++)
            jw_u64(w, NULL, s->cpu_percpu[i]);
        jw_close(w, ']');
    }
    jw_u64(w, "kernel", s->cpu_kernel);
    jw_u64(w, "user", s->cpu_user);
    jw_close(w, '}');
    jw_open(w, "throttling", '{');
    jw_u64(w, "periods", s->cpu_periods);
    jw_u64(w, "throttledPeriods", s->cpu_throttled_periods);
    jw_u64(w, "throttledTime", s->cpu_throttled_time);
    jw_close(w, '}');
    jw_close(w, '}');
}

static void mem_entry_json(struct jw *w, const char *key, const struct berth_cgroup_mem *m)
{
    jw_open(w, key, '{');
    jw_u64(w, "limit", m->limit);
    jw_u64(w, "usage", m->usage);
    jw_u64(w, "max", m->max);
    jw_u64(w, "failcnt", m->failcnt);
    jw_close(w, '}');
}

/* runc's "cache" is v1's cache counter, v2's file one. */
static uint64_t page_cache(const struct berth_cgroup_stats *s)
{
    for (size_t i = 0; i < s->n_memory_stat; i++)
        if (streq(s->memory_stat[i].key, "cache"))
            return s->memory_stat[i].value;
    for (size_t i = 0; i < s->n_memory_stat; i++)
        if (streq(s->memory_stat[i].key, "file"))
            return s->memory_stat[i].value;
    return 0;
}

static void memory_json(struct jw *w, const struct berth_cgroup_stats *s)
{
    jw_open(w, "memory", '{');
    jw_u64(w, "cache", page_cache(s));
    mem_entry_json(w, "usage", &s->memory);
    if (s->has_swap)
        mem_entry_json(w, "swap", &s->swap);
    jw_open(w, "raw", '{');
    for (size_t i = 0; i < s->n_memory_stat; i++)
        jw_u64(w, s->memory_stat[i].key, s->memory_stat[i].value);
    jw_close(w, '}');
    jw_close(w, '}');
}

static void blkio_json(struct jw *w, const struct berth_cgroup_stats *s)
{
    jw_open(w, "blkio", '{');
    jw_open(w, "ioServiceBytesRecursive", '[');
    for (size_t i = 0; i < s->n_io; i++) {
        jw_open(w, NULL, '{');
        jw_u64(w, "major", s->io[i].major);
        jw_u64(w, "minor", s->io[i].minor);
        jw_str(w, "op", s->io[i].op);
        jw_u64(w, "value", s->io[i].value);
        jw_close(w, '}');
    }
    jw_close(w, ']');
    jw_close(w, '}');
}

/* One event line; `s` NULL for an OOM event. */
static int print_event(const char *id, const struct berth_cgroup_stats *s)
{
    struct jw w = {.first = {true}};

    jw_open(&w, NULL, '{');
    jw_str(&w, "type", s ? "stats" : "oom");
    jw_str(&w, "id", id);
    if (s) {
        jw_open(&w, "data", '{');
        cpu_json(&w, s);
        memory_json(&w, s);
        jw_open(&w, "pids", '{');
        jw_u64(&w, "current", s->pids_current);
        jw_u64(&w, "limit", s->pids_limit);
        jw_close(&w, '}');
        blkio_json(&w, s);
        jw_close(&w, '}');
    }
    jw_close(&w, '}');
    putchar('\n');
    /* a reader of the stream sees each event at once */
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -(errno ? errno : EIO);
}

static int on_event(enum berth_event ev, const struct berth_cgroup_stats *s, void *userdata)
{
    return print_event(userdata, ev == BERTH_EVENT_STATS ? s : NULL);
}

static int print_stats_once(const char *id)
{
    struct berth_error *err = NULL;
    struct berth_cgroup_stats s;

    if (berth_container_stats(arg_root, id, &s, &err) < 0)
        return rt_fail(err);
    int r = print_event(id, &s);
    berth_cgroup_stats_free(&s);
    return r < 0 ? rt_error("cannot write the stats: %s", strerror(-r)) : 0;
}

int cmd_events(int argc, char **argv)
{
    static const struct option opts[] = {{"stats", no_argument, NULL, 's'},
                                         {"interval", required_argument, NULL, 'i'},
                                         {NULL, 0, NULL, 0}};
    struct berth_error *err = NULL;
    uint64_t interval_ns = 5000000000ULL;
    bool once = false;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's')
            once = true;
        else if (c != 'i')
            return rt_bad_option(argv, USAGE);
        else if (berth_parse_duration(optarg, &interval_ns) < 0 || interval_ns < 1000000 ||
                 interval_ns / 1000000 > UINT32_MAX)
            return rt_error("invalid --interval '%s': use a duration such as 5s or 500ms", optarg);
    }
    if (optind != argc - 1)
        return rt_usage(USAGE);
    if (once)
        return print_stats_once(argv[optind]);
    if (berth_container_events(arg_root, argv[optind], (unsigned)(interval_ns / 1000000), on_event,
                               argv[optind], &err) < 0)
        return rt_fail(err);
    return 0;
}
