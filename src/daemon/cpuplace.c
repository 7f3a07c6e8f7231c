/* Placement's arithmetic (cpuplace.h): no I/O, no state. */
#include "cpuplace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cpuplace_parse_stat(const char *text, struct cpu_sample *ret)
{
    ret->n = 0;
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line += !!line) {
        unsigned cpu;
        unsigned long long v[8] = {0};
        /* cpuN user nice system idle iowait irq softirq steal [guest guest_nice] */
        int got = sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
                         &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
        /* "cpu " is the sum of all: %u would skip the blanks */
        if (got < 5 || line[3] < '0' || line[3] > '9' || ret->n >= CPUPLACE_MAX)
            continue;
        ret->cpu[ret->n] = cpu;
        ret->busy[ret->n] = v[0] + v[2] + v[5] + v[6] + v[7];
        ret->total[ret->n] = ret->busy[ret->n] + v[1] + v[3] + v[4];
        ret->n++;
    }
    return ret->n > 0 ? 0 : -EINVAL;
}

static int find(const struct cpu_sample *s, unsigned cpu)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->cpu[i] == cpu)
            return (int)i;
    return -1;
}

double cpuplace_measured(const struct cpu_sample *old, const struct cpu_sample *now, unsigned cpu)
{
    int a = find(old, cpu), b = find(now, cpu);
    if (a < 0 || b < 0 || now->total[b] <= old->total[a] || now->busy[b] < old->busy[a])
        return 0;
    double share = (double)(now->busy[b] - old->busy[a]) / (double)(now->total[b] - old->total[a]);
    return share > 1 ? 1 : share;
}

int cpuplace_policy_parse(const char *s, enum cpuplace_policy *ret)
{
    if (s && strcmp(s, "spread") == 0)
        *ret = PLACE_SPREAD;
    else if (s && strcmp(s, "pack") == 0)
        *ret = PLACE_PACK;
    else
        return -EINVAL;
    return 0;
}

bool cpuplace_is_auto(const char *cpuset, unsigned *ret_n, bool *ret_bad)
{
    *ret_bad = false;
    *ret_n = 0;
    if (cpuset == NULL || strncmp(cpuset, "auto", 4) != 0)
        return false;
    if (cpuset[4] == '\0')
        return true;
    char *end;
    const char *n = cpuset + 5;
    unsigned long v = cpuset[4] == ':' && *n >= '1' && *n <= '9' ? strtoul(n, &end, 10) : 0;
    if (v == 0 || *end != '\0' || v > CPUPLACE_MAX) {
        *ret_bad = true;
        return false;
    }
    *ret_n = (unsigned)v;
    return true;
}

static double load_of(const struct cpu_load *l)
{
    return l->measured > l->committed ? l->measured : l->committed;
}

struct order {
    const struct cpu_load *loads;
    enum cpuplace_policy policy;
    double need; /* per CPU */
};

/* spread: least loaded first; pack: CPUs with room for `need`, those
 * berth gave most first (what it gave is known, a measurement is noisy),
 * then the busiest, then the rest least loaded first. Ties: the lower
 * CPU. */
static bool before(const struct order *o, size_t ia, size_t ib)
{
    const struct cpu_load *a = &o->loads[ia], *b = &o->loads[ib];
    double la = load_of(a), lb = load_of(b);
    if (o->policy == PLACE_PACK) {
        bool ra = la + o->need <= 1.0 + 1e-9, rb = lb + o->need <= 1.0 + 1e-9;
        if (ra != rb)
            return ra;
        if (ra && a->committed != b->committed)
            return a->committed > b->committed;
        if (ra && la != lb)
            return la > lb;
    }
    if (la != lb)
        return la < lb;
    if (a->committed != b->committed) /* both saturated: the one given less */
        return a->committed < b->committed;
    return a->cpu < b->cpu;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

int cpuplace_choose(const struct cpu_load *loads, size_t n, unsigned want, double need,
                    enum cpuplace_policy policy, unsigned *ret_cpus)
{
    if (want == 0 || want > n)
        return -EINVAL;
    size_t *order = calloc(n, sizeof(*order));
    if (order == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* an insertion sort: a comparison with context, n is small */
    struct order o = {loads, policy, need > 0 ? need / want : 1.0};
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && before(&o, order[j], order[j - 1]); j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (unsigned i = 0; i < want; i++)
        ret_cpus[i] = loads[order[i]].cpu;
    free(order);
    qsort(ret_cpus, want, sizeof(*ret_cpus), cmp_unsigned);
    return 0;
}

void cpuplace_format(const unsigned *cpus, size_t n, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && off < len;) {
        size_t j = i;
        while (j + 1 < n && cpus[j + 1] == cpus[j] + 1)
            j++;
        int w = j > i ? snprintf(buf + off, len - off, "%s%u-%u", off ? "," : "", cpus[i], cpus[j])
                      : snprintf(buf + off, len - off, "%s%u", off ? "," : "", cpus[i]);
        off += w > 0 ? (size_t)w : 0;
        i = j + 1;
    }
}

int cpuplace_parse_list(const char *s, unsigned *ret, size_t max)
{
    size_t n = 0;
    while (s && *s) {
        char *end;
        if (*s < '0' || *s > '9')
            return -EINVAL;
        unsigned long lo = strtoul(s, &end, 10), hi = lo;
        if (*end == '-') {
            if (end[1] < '0' || end[1] > '9')
                return -EINVAL;
            hi = strtoul(end + 1, &end, 10);
        }
        if (hi < lo || hi >= CPUPLACE_MAX)
            return -EINVAL;
        for (unsigned long c = lo; c <= hi && n < max; c++)
            ret[n++] = (unsigned)c;
        if (*end == ',' && end[1] >= '0' && end[1] <= '9')
            end++;
        else if (*end == ',')
            return -EINVAL;
        else if (*end != '\0' && *end != '\n')
            return -EINVAL;
        else
            break;
        s = end;
    }
    return (int)n;
}
