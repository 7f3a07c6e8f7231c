/* berth stats [-a] [--no-stream] [--format table|json|csv|TEMPLATE] [CONTAINER...]
 * berth stats --record FILE.csv [--interval 1s] [--duration 10s] [CONTAINER...]
 *
 * Docker's stats: CPU % (the container's CPU time over the host's between
 * two samples a second apart, times the CPUs), MEM USAGE / LIMIT (without
 * the page cache, as docker; the limit is the host's memory without one),
 * MEM %, NET I/O, BLOCK I/O, PIDS. Without names, the running containers
 * (every one with -a). A live table redrawn each second on a terminal;
 * with --no-stream, one table. The fields of --format are docker's:
 * Container Name ID CPUPerc MemUsage MemPerc NetIO BlockIO PIDs. csv has
 * raw numbers, for experiments: CSV_HEADER then one row per container per
 * sample; --record writes the same to FILE every --interval (default 1s)
 * until --duration (default: until the containers stop or SIGINT).
 *
 * The parts stand apart so that other outputs fit (issue 14's csv and
 * --record): sample_all() gets the API's documents, row() turns two of a
 * container into its fields, print_rows() writes them in a format. */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include "units.h"

#include <errno.h>
#include <getopt.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STATS_USAGE                                                                                \
    "usage: berth stats [-a] [--no-stream] [--format table|json|csv|TEMPLATE] [--record "          \
    "FILE.csv [--interval 1s] [--duration 10s]] [CONTAINER...]"
#define CSV_HEADER "time,id,name,cpu_percent,mem_usage,mem_limit,pids,block_read,block_write"
#define STATS_TABLE                                                                                \
    "{{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.NetIO}}\\t{{.BlockIO}" \
    "}"                                                                                            \
    "\\t{{.PIDs}}"

/* docker's units.BytesSize: "%.4g" over powers of 1024 */
static void bytes_size(double v, char *buf, size_t len)
{
    static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    size_t i = 0;
    while (v >= 1024 && i + 1 < ARRAY_SIZE(u))
        v /= 1024, i++;
    snprintf(buf, len, "%.4g%s", v, u[i]);
}

/* docker's units.HumanSizeWithPrecision(v, 3): powers of 1000 */
static void human_size(double v, char *buf, size_t len)
{
    static const char *const u[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    size_t i = 0;
    while (v >= 1000 && i + 1 < ARRAY_SIZE(u))
        v /= 1000, i++;
    snprintf(buf, len, "%.3g%s", v, u[i]);
}

static double num(json_t *doc, const char *a, const char *b, const char *c)
{
    json_t *j = json_object_get(doc, a);
    if (b)
        j = json_object_get(j, b);
    if (c)
        j = json_object_get(j, c);
    return json_is_number(j) ? json_number_value(j) : 0;
}

/* docker's calculateCPUPercentUnix */
static double cpu_percent(json_t *cur, json_t *prev)
{
    double cpu = num(cur, "cpu_stats", "cpu_usage", "total_usage") -
                 num(prev, "cpu_stats", "cpu_usage", "total_usage");
    double sys = num(cur, "cpu_stats", "system_cpu_usage", NULL) -
                 num(prev, "cpu_stats", "system_cpu_usage", NULL);
    double cpus = num(cur, "cpu_stats", "online_cpus", NULL);
    if (cpus == 0)
        cpus = (double)json_array_size(json_object_get(
            json_object_get(json_object_get(cur, "cpu_stats"), "cpu_usage"), "percpu_usage"));
    return prev && sys > 0 && cpu > 0 ? cpu / sys * cpus * 100 : 0;
}

/* docker's calculateMemUsageUnixNoCache: usage less the inactive file
 * pages (v1 total_inactive_file, v2 inactive_file) */
static double mem_usage(json_t *doc)
{
    double usage = num(doc, "memory_stats", "usage", NULL);
    json_t *st = json_object_get(json_object_get(doc, "memory_stats"), "stats");
    json_t *v = json_object_get(st, "total_inactive_file");
    if (v == NULL)
        v = json_object_get(st, "inactive_file");
    double cache = json_is_number(v) ? json_number_value(v) : 0;
    return cache < usage ? usage - cache : usage;
}

static void blkio(json_t *doc, double *rd, double *wr)
{
    json_t *a = json_object_get(json_object_get(doc, "blkio_stats"), "io_service_bytes_recursive");
    json_t *e;
    size_t i;
    *rd = *wr = 0;
    json_array_foreach(a, i, e)
    {
        const char *op = json_string_value(json_object_get(e, "op"));
        double v = json_is_number(json_object_get(e, "value"))
                       ? json_number_value(json_object_get(e, "value"))
                       : 0;
        if (op && strcasecmp(op, "read") == 0)
            *rd += v;
        else if (op && strcasecmp(op, "write") == 0)
            *wr += v;
    }
}

/* One container's fields (all strings) from its sample and the one before. */
static json_t *row(const char *ref, json_t *cur, json_t *prev)
{
    char u[32], l[32], r[32], w[32], mem[80], io[80], cpu[32], memp[32], pids[32];
    const char *id = json_string_value(json_object_get(cur, "id"));
    const char *name = json_string_value(json_object_get(cur, "name"));
    double usage = mem_usage(cur), limit = num(cur, "memory_stats", "limit", NULL), rd, wr;
    bytes_size(usage, u, sizeof(u));
    bytes_size(limit, l, sizeof(l));
    snprintf(mem, sizeof(mem), "%s / %s", u, l);
    blkio(cur, &rd, &wr);
    human_size(rd, r, sizeof(r));
    human_size(wr, w, sizeof(w));
    snprintf(io, sizeof(io), "%s / %s", r, w);
    snprintf(cpu, sizeof(cpu), "%.2f%%", cpu_percent(cur, prev));
    snprintf(memp, sizeof(memp), "%.2f%%", limit > 0 ? usage / limit * 100 : 0);
    snprintf(pids, sizeof(pids), "%.0f", num(cur, "pids_stats", "current", NULL));
    return json_pack("{s:s,s:s,s:s%,s:s,s:s,s:s,s:s,s:s,s:s}", "Container", ref, "Name",
                     name && *name == '/' ? name + 1
                     : name               ? name
                                          : "",
                     "ID", id ? id : "",
                     (size_t)(id && strlen(id) > 12 ? 12
                              : id                  ? strlen(id)
                                                    : 0),
                     "CPUPerc", cpu, "MemUsage", mem, "MemPerc", memp, "NetIO", "0B / 0B",
                     "BlockIO", io, "PIDs", pids);
}

/* A csv row: the sample's time (unix seconds), the full id, the name, CPU
 * %, memory usage and limit in bytes, pids, block bytes read and written. */
static void csv_row(FILE *f, double t, json_t *cur, json_t *prev)
{
    const char *id = json_string_value(json_object_get(cur, "id"));
    const char *name = json_string_value(json_object_get(cur, "name"));
    double rd, wr;
    blkio(cur, &rd, &wr);
    fprintf(f, "%.3f,%s,%s,%.2f,%.0f,%.0f,%.0f,%.0f,%.0f\n", t, id ? id : "",
            name ? name + (*name == '/') : "", cpu_percent(cur, prev), mem_usage(cur),
            num(cur, "memory_stats", "limit", NULL), num(cur, "pids_stats", "current", NULL), rd,
            wr);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *header(const char *tmpl)
{
    json_t *h =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Container", "CONTAINER", "Name", "NAME",
                  "ID", "CONTAINER ID", "CPUPerc", "CPU %", "MemUsage", "MEM USAGE / LIMIT",
                  "MemPerc", "MEM %", "NetIO", "NET I/O", "BlockIO", "BLOCK I/O", "PIDs", "PIDS");
    char *s = cli_template(tmpl, h);
    json_decref(h);
    return s;
}

/* Writes the rows in `format`: "table [TEMPLATE]", "json" or a template. */
static int print_rows(json_t *rows, const char *format)
{
    bool table = strncmp(format, "table", 5) == 0;
    const char *tmpl = table ? format + 5 + strspn(format + 5, " ") : format;
    if (table && *tmpl == '\0')
        tmpl = STATS_TABLE;
    size_t i, n = 0;
    json_t *e;
    char **lines = xzalloc((json_array_size(rows) + 2) * sizeof(char *));
    int rc = 0;
    if (table && (lines[n++] = header(tmpl)) == NULL)
        rc = 1;
    json_array_foreach(rows, i, e)
    {
        if (rc == 0 && streq(format, "json"))
            lines[n++] = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
        else if (rc == 0 && (lines[n++] = cli_template(tmpl, e)) == NULL)
            rc = 1;
    }
    if (rc == 0 && table)
        cli_print_table(lines, n);
    else if (rc == 0)
        for (i = 0; i < n; i++)
            printf("%s\n", lines[i]);
    fflush(stdout);
    strv_freep(&lines);
    return rc;
}

/* The containers to show: the names given, else the running ones (-a: all). */
static json_t *targets(int argc, char **argv, bool all)
{
    json_t *v = json_array(), *e;
    size_t i;
    struct reply r = {0};
    if (argc > 0) {
        for (int k = 0; k < argc; k++)
            json_array_append_new(v, json_string(argv[k]));
        return v;
    }
    if (cli_call("GET", all ? "/containers/json?all=1" : "/containers/json", NULL, &r) < 0)
        return json_decref(v), NULL;
    if (r.status != 200) {
        cli_api_error(&r, 1);
        reply_free(&r);
        return json_decref(v), NULL;
    }
    json_t *list = json_loadb(r.body, r.len, 0, NULL);
    json_array_foreach(list, i, e) json_array_append(v, json_object_get(e, "Id"));
    json_decref(list);
    reply_free(&r);
    return v;
}

/* One document per target into `docs` (target -> document); a target that
 * is gone is left out, or with `strict` makes it fail (1). */
static int sample_all(json_t *refs, json_t *docs, bool strict)
{
    json_t *e;
    size_t i;
    json_array_foreach(refs, i, e)
    {
        const char *ref = json_string_value(e);
        _cleanup_free_ char *esc = cli_escape(ref);
        _cleanup_free_ char *path = xasprintf("/containers/%s/stats?stream=0&one-shot=1", esc);
        struct reply r = {0};
        if (cli_call("GET", path, NULL, &r) < 0)
            return 1;
        if (r.status != 200 && strict) {
            cli_api_error(&r, 1);
            reply_free(&r);
            return 1;
        }
        if (r.status == 200)
            json_object_set_new(docs, ref, json_loadb(r.body, r.len, 0, NULL));
        reply_free(&r);
    }
    return 0;
}

struct stats_opts {
    bool all, no_stream;
    const char *format;
    const char *record;             /* --record FILE.csv */
    uint64_t interval_ns, until_ns; /* until: --duration, 0 none */
};

/* One round of output: the rows of the targets sampled in `cur` (csv to
 * `f`, the header with the first round). */
static int show(json_t *refs, json_t *cur, json_t *prev, const struct stats_opts *o, FILE *f,
                bool first)
{
    json_t *rows = json_array(), *e;
    size_t i;
    bool csv = o->record || streq(o->format, "csv");
    double t = now_s();
    if (csv && first)
        fprintf(f, "%s\n", CSV_HEADER);
    json_array_foreach(refs, i, e)
    {
        const char *ref = json_string_value(e);
        json_t *doc = json_object_get(cur, ref);
        if (doc && csv)
            csv_row(f, t, doc, json_object_get(prev, ref));
        else if (doc)
            json_array_append_new(rows, row(ref, doc, json_object_get(prev, ref)));
    }
    int rc = 0;
    if (!o->record && !csv && !o->no_stream && isatty(STDOUT_FILENO))
        printf("\033[2J\033[H");
    if (!csv)
        rc = print_rows(rows, o->format);
    json_decref(rows);
    return fflush(f) == 0 ? rc : cli_error(1, "cannot write the stats: %s", strerror(errno));
}

static int parse_duration(const char *flag, const char *arg, uint64_t *ret)
{
    if (berth_parse_duration(arg, ret) < 0 || *ret == 0)
        return cli_error(125, "invalid value '%s' for --%s: a duration (1s, 500ms) expected", arg,
                         flag);
    return 0;
}

static int parse(int argc, char **argv, struct stats_opts *o)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                         {"no-stream", no_argument, NULL, 'n'},
                                         {"no-trunc", no_argument, NULL, 'T'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"record", required_argument, NULL, 'R'},
                                         {"interval", required_argument, NULL, 'I'},
                                         {"duration", required_argument, NULL, 'D'},
                                         {NULL, 0, NULL, 0}};
    int c, rc = 0;
    opterr = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
        if (c == 'a')
            o->all = true;
        else if (c == 'n')
            o->no_stream = true;
        else if (c == 'F')
            o->format = optarg;
        else if (c == 'R')
            o->record = optarg;
        else if (c == 'I')
            rc = parse_duration("interval", optarg, &o->interval_ns);
        else if (c == 'D')
            rc = parse_duration("duration", optarg, &o->until_ns);
        else if (c != 'T')
            return cli_error(125, "unknown flag '%s'\n%s", argv[optind - 1], STATS_USAGE);
    }
    if (rc == 0 && o->record && (o->no_stream || !streq(o->format, "table")))
        return cli_error(125, "--record writes csv: it takes no --format or --no-stream");
    return rc;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Sleeps until `at` (CLOCK_MONOTONIC ns): the rounds keep their pace. */
static void sleep_until(uint64_t at)
{
    struct timespec ts = {(time_t)(at / 1000000000ULL), (long)(at % 1000000000ULL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* The rounds: a sample of every target each interval; output from the
 * second on (CPU % needs two samples). */
static int rounds(int argc, char **argv, const struct stats_opts *o, FILE *f)
{
    bool named = optind < argc;
    json_t *prev = json_object();
    uint64_t start = mono_ns(), next = start;
    int rc = 1;
    for (int round = 0;; round++) {
        json_t *refs = targets(argc - optind, argv + optind, o->all);
        json_t *cur = json_object();
        if (refs == NULL || sample_all(refs, cur, named && !o->record) != 0 ||
            (o->record && round > 0 && json_object_size(cur) == 0)) {
            rc = refs && o->record ? 0 : rc;
            json_decref(refs), json_decref(cur);
            break;
        }
        if (round > 0 && (rc = show(refs, cur, prev, o, f, round == 1)) != 0) {
            json_decref(refs), json_decref(cur);
            break;
        }
        json_decref(refs);
        json_decref(prev);
        prev = cur;
        next += o->interval_ns;
        if ((round > 0 && o->no_stream) || (o->until_ns && next - start > o->until_ns))
            break;
        sleep_until(next);
    }
    json_decref(prev);
    return rc;
}

int cmd_stats(int argc, char **argv)
{
    struct stats_opts o = {.format = "table", .interval_ns = 1000000000ULL};
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    if (o.record == NULL)
        return rounds(argc, argv, &o, stdout);
    FILE *f = fopen(o.record, "we");
    if (f == NULL)
        return cli_error(125, "cannot open '%s': %s", o.record, strerror(errno));
    rc = rounds(argc, argv, &o, f);
    if (fclose(f) != 0 && rc == 0)
        rc = cli_error(1, "cannot write '%s': %s", o.record, strerror(errno));
    return rc;
}
