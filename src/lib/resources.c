/* linux.resources as `update` takes it (resources.h). */
#include "resources.h"
#include "cleanup.h"
#include "error.h"
#include "oci-linux.h"
#include "oci.h"
#include "units.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum opt_kind {
    OPT_SIZE,   /* int64_t, berth_parse_size */
    OPT_U64,    /* uint64_t in [min, max] */
    OPT_I64,    /* int64_t, -1 or >= min */
    OPT_CPUSET, /* char *, a CPU or node list */
    OPT_PIDS,   /* -1, 0 (unchanged) or a limit */
    OPT_WEIGHT, /* 0 (unchanged) or 10..1000 */
};

struct opt {
    const char *name;
    enum opt_kind kind;
    size_t value, has; /* offsets in struct berth_resources; has: NO_HAS for none */
    uint64_t min, max;
    const char *why; /* what a bad value is told */
};

#define NO_HAS ((size_t)-1)
#define F(f)   offsetof(struct berth_resources, f)

#define SIZE_WHY "not a size such as 64m, or -1"

static const struct opt opts[] = {
    {"memory", OPT_SIZE, F(mem_limit), F(has_mem_limit), 0, 0, SIZE_WHY},
    {"memory-reservation", OPT_SIZE, F(mem_reservation), F(has_mem_reservation), 0, 0, SIZE_WHY},
    {"memory-swap", OPT_SIZE, F(mem_swap), F(has_mem_swap), 0, 0, SIZE_WHY},
    {"kernel-memory", OPT_SIZE, F(mem_kernel), F(has_mem_kernel), 0, 0, SIZE_WHY},
    {"kernel-memory-tcp", OPT_SIZE, F(mem_kernel_tcp), F(has_mem_kernel_tcp), 0, 0, SIZE_WHY},
    {"cpu-shares", OPT_U64, F(cpu_shares), F(has_cpu_shares), 2, 262144, "must be 2..262144"},
    {"cpu-share", OPT_U64, F(cpu_shares), F(has_cpu_shares), 2, 262144, "must be 2..262144"},
    {"cpu-period", OPT_U64, F(cpu_period), F(has_cpu_period), 1000, 1000000,
     "must be 1000..1000000"},
    {"cpu-quota", OPT_I64, F(cpu_quota), F(has_cpu_quota), 1000, 0, "must be -1 or >= 1000"},
    {"cpu-rt-period", OPT_U64, F(cpu_rt_period), F(has_cpu_rt_period), 1, UINT64_MAX,
     "must be a positive integer"},
    {"cpu-rt-runtime", OPT_I64, F(cpu_rt_runtime), F(has_cpu_rt_runtime), 0, 0,
     "must be -1 or >= 0"},
    {"cpuset-cpus", OPT_CPUSET, F(cpu_cpus), NO_HAS, 0, 0, "not a list such as 0-3,5"},
    {"cpuset-mems", OPT_CPUSET, F(cpu_mems), NO_HAS, 0, 0, "not a list such as 0-3,5"},
    {"pids-limit", OPT_PIDS, F(pids_limit), F(has_pids_limit), 0, 0, "not a limit, or -1"},
    {"blkio-weight", OPT_WEIGHT, F(blkio_weight), F(has_blkio_weight), 10, 1000,
     "must be 10..1000"},
};

/* "0-3,5": digits, commas and dashes, as the kernel's list format. */
static bool is_cpu_list(const char *v)
{
    return *v && strspn(v, "0123456789,-") == strlen(v) && isdigit((unsigned char)v[0]);
}

/* Parses `v` for `o` into `r`: 0, or -EINVAL with `r` unchanged. */
static int set_value(const struct opt *o, struct berth_resources *r, const char *v)
{
    char *base = (char *)r;
    unsigned long long u;
    long long i;
    int64_t size;

    switch (o->kind) {
    case OPT_SIZE:
        if (berth_parse_size(v, &size) < 0)
            return -EINVAL;
        *(int64_t *)(base + o->value) = size;
        break;
    case OPT_U64:
        if (v[0] == '-' || parse_u64(v, &u) < 0 || u < o->min || u > o->max)
            return -EINVAL;
        *(uint64_t *)(base + o->value) = u;
        break;
    case OPT_I64:
        if (parse_i64(v, &i) < 0 || (i != -1 && (i < 0 || (uint64_t)i < o->min)))
            return -EINVAL;
        *(int64_t *)(base + o->value) = i;
        break;
    case OPT_CPUSET:
        if (!is_cpu_list(v))
            return -EINVAL;
        free(*(char **)(base + o->value));
        *(char **)(base + o->value) = xstrdup(v);
        return 0;
    case OPT_PIDS:
        if (parse_i64(v, &i) < 0 || i < -1)
            return -EINVAL;
        if (i == 0)
            return 0; /* runc: unchanged */
        *(int64_t *)(base + o->value) = i;
        break;
    case OPT_WEIGHT:
        if (v[0] == '-' || parse_u64(v, &u) < 0 || (u != 0 && (u < o->min || u > o->max)))
            return -EINVAL;
        if (u == 0)
            return 0; /* runc: unchanged */
        *(uint16_t *)(base + o->value) = (uint16_t)u;
        break;
    default:
        return -EINVAL;
    }
    *(bool *)(base + o->has) = true;
    return 0;
}

int berth_resources_set_option(struct berth_resources *r, const char *name, const char *value,
                               struct berth_error **err)
{
    for (size_t k = 0; k < ARRAY_SIZE(opts); k++) {
        if (!streq(name, opts[k].name))
            continue;
        if (set_value(&opts[k], r, value) < 0)
            return berth_error_set(err, EINVAL, "invalid value '%s' for '--%s': %s", value, name,
                                   opts[k].why);
        return 0;
    }
    return berth_error_set(err, EINVAL, "unknown option '--%s'", name);
}

int berth_resources_check(const struct berth_resources *r, struct berth_error **err)
{
    if (r->has_mem_swap && r->mem_swap > 0 && r->has_mem_limit && r->mem_limit != -1 &&
        r->mem_swap < r->mem_limit)
        return berth_error_set(err, EINVAL,
                               "invalid memory swap limit %" PRId64 ": below the memory limit "
                               "%" PRId64 " (swap counts memory plus swap)",
                               r->mem_swap, r->mem_limit);
    return 0;
}

int berth_resources_from_json(const char *text, size_t len, struct berth_resources *ret,
                              struct berth_error **err)
{
    json_error_t je;

    memset(ret, 0, sizeof(*ret));
    json_t *o = json_loadb(text, len, 0, &je);
    if (o == NULL)
        return berth_error_set(err, EINVAL, "not JSON: %s (line %d)", je.text, je.line);
    int r = json_is_object(o) ? berth_oci_parse_resources_object(o, ret, err)
                              : berth_error_set(err, EINVAL, "not a JSON object");
    json_decref(o);
    if (r < 0)
        berth_resources_free(ret);
    return r < 0 ? r : 0;
}

void berth_resources_free(struct berth_resources *r)
{
    berth_oci_free_resources(r);
    memset(r, 0, sizeof(*r));
}
