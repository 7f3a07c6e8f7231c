#pragma once
/* Placement by measured load (issue 17): the pure part, unit-tested
 * (tests/unit/test-cpuplace.c). placement.c samples /proc/stat, counts
 * what other containers were given, and applies the choice.
 *
 * A CPU's load is max(measured, committed): measured is its busy share
 * over the sampling window (user, system, irq, softirq, steal; time of
 * positive-nice tasks counts as idle: they yield to a container at the
 * default nice), committed is the CPU time berth already gave running
 * containers pinned to it (their --cpus, or all of each of their CPUs
 * without one, spread over their set). The max, not the sum: a pinned
 * container that is busy shows in both. */
#include <stdbool.h>
#include <stddef.h>

struct berth_error;

#define CPUPLACE_MAX 1024

/* One read of /proc/stat: the cpuN lines' busy and total jiffies. */
struct cpu_sample {
    unsigned n;
    unsigned cpu[CPUPLACE_MAX];
    unsigned long long busy[CPUPLACE_MAX], total[CPUPLACE_MAX];
};

/* Parses /proc/stat's text; -EINVAL when it has no cpuN line. */
int cpuplace_parse_stat(const char *text, struct cpu_sample *ret);

/* The busy share of cpu between two samples (0 when absent or no time
 * passed), in [0, 1]. */
double cpuplace_measured(const struct cpu_sample *old, const struct cpu_sample *now, unsigned cpu);

enum cpuplace_policy {
    PLACE_SPREAD, /* the least loaded CPUs (the default) */
    PLACE_PACK,   /* CPUs with room, those given most first, so others stay idle */
};

/* "spread" or "pack"; -EINVAL otherwise. */
int cpuplace_policy_parse(const char *s, enum cpuplace_policy *ret);

/* "auto" (*ret_n = 0: the caller decides) or "auto:N" (N >= 1); false
 * for anything else, *ret_bad true when it starts with "auto" but is
 * malformed. */
bool cpuplace_is_auto(const char *cpuset, unsigned *ret_n, bool *ret_bad);

struct cpu_load {
    unsigned cpu;
    double measured, committed;
};

/* Picks `want` CPUs of loads[0..n) for a container that uses `need` CPUs
 * in all (its --cpus; `want` without one) by `policy`; ties go to the
 * lower CPU number. ret_cpus gets them in ascending order. -EINVAL when
 * want is 0 or more than n. */
int cpuplace_choose(const struct cpu_load *loads, size_t n, unsigned want, double need,
                    enum cpuplace_policy policy, unsigned *ret_cpus);

/* "0,2-3" for cpus[0..n) ascending; buf of `len` bytes. */
void cpuplace_format(const unsigned *cpus, size_t n, char *buf, size_t len);

/* The CPUs of a cpuset list ("0-3,5") into ret (at most max); the count,
 * or -EINVAL. */
int cpuplace_parse_list(const char *s, unsigned *ret, size_t max);
