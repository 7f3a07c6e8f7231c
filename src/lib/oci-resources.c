#include "oci-linux.h"
#include "oci.h"
#include "cleanup.h"
#include "error.h"
#include "json-util.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* swappiness is 0..100; runc reads -1 (and its uint64 wrap-around) as "not
 * set", which docker sends by default. */
static int parse_swappiness(json_t *o, struct berth_resources *r, struct berth_error **err)
{
    json_t *v = json_object_get(o, "swappiness");
    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_integer(v) && json_integer_value(v) == -1)
        return 0;
    if (json_is_real(v) && json_real_value(v) >= 18446744073709551615.0)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100)
        return berth_error_set(
            err, EINVAL, "invalid config: 'linux.resources.memory.swappiness' must be 0..100");
    r->has_mem_swappiness = true;
    r->mem_swappiness = (uint64_t)json_integer_value(v);
    return 0;
}

static int parse_memory(json_t *res, struct berth_resources *r, struct berth_error **err)
{
    json_t *o = NULL;
    const char *P = "linux.resources.memory";
    int rc = jget_object(res, "memory", "linux.resources", &o, err);
    if (rc <= 0)
        return rc;
    if ((rc = jget_int(o, "limit", P, -1, INT64_MAX, &r->mem_limit, &r->has_mem_limit, err)) < 0 ||
        (rc = jget_int(o, "reservation", P, -1, INT64_MAX, &r->mem_reservation,
                       &r->has_mem_reservation, err)) < 0 ||
        (rc = jget_int(o, "swap", P, -1, INT64_MAX, &r->mem_swap, &r->has_mem_swap, err)) < 0 ||
        (rc = jget_int(o, "kernel", P, -1, INT64_MAX, &r->mem_kernel, &r->has_mem_kernel, err)) <
            0 ||
        (rc = jget_int(o, "kernelTCP", P, -1, INT64_MAX, &r->mem_kernel_tcp, &r->has_mem_kernel_tcp,
                       err)) < 0 ||
        (rc = jget_bool(o, "disableOOMKiller", P, &r->disable_oom_killer, err)) < 0 ||
        (rc = parse_swappiness(o, r, err)) < 0)
        return rc;
    if ((rc = jget_bool(o, "useHierarchy", P, &r->use_hierarchy, err)) < 0)
        return rc;
    r->has_use_hierarchy = json_is_boolean(json_object_get(o, "useHierarchy"));
    if (r->has_mem_swap && r->mem_swap != -1 && r->has_mem_limit && r->mem_limit != -1 &&
        r->mem_swap < r->mem_limit)
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.resources.memory.swap' must not be lower "
                               "than the memory limit (it counts memory plus swap)");
    return 0;
}

static int parse_cpu(json_t *res, struct berth_resources *r, struct berth_error **err)
{
    json_t *o = NULL;
    const char *P = "linux.resources.cpu";
    int rc = jget_object(res, "cpu", "linux.resources", &o, err);
    if (rc <= 0)
        return rc;
    if ((rc = jget_u64(o, "shares", P, &r->cpu_shares, &r->has_cpu_shares, err)) < 0 ||
        (rc = jget_int(o, "quota", P, -1, INT64_MAX, &r->cpu_quota, &r->has_cpu_quota, err)) < 0 ||
        (rc = jget_u64(o, "period", P, &r->cpu_period, &r->has_cpu_period, err)) < 0 ||
        (rc = jget_string(o, "cpus", P, false, &r->cpu_cpus, err)) < 0 ||
        (rc = jget_string(o, "mems", P, false, &r->cpu_mems, err)) < 0 ||
        (rc = jget_u64(o, "burst", P, &r->cpu_burst, &r->has_cpu_burst, err)) < 0 ||
        (rc = jget_int(o, "realtimeRuntime", P, -1, INT64_MAX, &r->cpu_rt_runtime,
                       &r->has_cpu_rt_runtime, err)) < 0 ||
        (rc = jget_u64(o, "realtimePeriod", P, &r->cpu_rt_period, &r->has_cpu_rt_period, err)) <
            0 ||
        (rc = jget_int(o, "idle", P, 0, 1, &r->cpu_idle, &r->has_cpu_idle, err)) < 0)
        return rc;
    if (r->has_cpu_shares && r->cpu_shares != 0 && (r->cpu_shares < 2 || r->cpu_shares > 262144))
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.resources.cpu.shares' must be 2..262144");
    if (r->has_cpu_period && r->cpu_period != 0 &&
        (r->cpu_period < 1000 || r->cpu_period > 1000000))
        return berth_error_set(
            err, EINVAL, "invalid config: 'linux.resources.cpu.period' must be 1000..1000000");
    if (r->has_cpu_quota && r->cpu_quota != -1 && r->cpu_quota < 1000)
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.resources.cpu.quota' must be -1 or >= 1000");
    return 0;
}

static int parse_device_rule(json_t *o, const char *path, void *out, struct berth_error **err)
{
    _cleanup_free_ char *type = NULL, *access = NULL;
    struct berth_device_rule *d = out;
    int rc;

    d->major = d->minor = -1;
    if ((rc = jget_bool(o, "allow", path, &d->allow, err)) < 0 ||
        (rc = jget_string(o, "type", path, false, &type, err)) < 0 ||
        (rc = jget_string(o, "access", path, false, &access, err)) < 0 ||
        (rc = jget_int(o, "major", path, -1, UINT32_MAX, &d->major, NULL, err)) < 0 ||
        (rc = jget_int(o, "minor", path, -1, UINT32_MAX, &d->minor, NULL, err)) < 0)
        return rc;
    if (json_object_get(o, "allow") == NULL)
        return berth_error_set(err, EINVAL, "invalid config: '%s.allow' is required", path);
    d->type = type ? type[0] : 'a';
    if ((type && strlen(type) != 1) || !strchr("acb", d->type))
        return berth_error_set(err, EINVAL, "invalid config: '%s.type' must be a, c or b", path);
    const char *acc = access ? access : "rwm";
    if (strlen(acc) > 3 || strspn(acc, "rwm") != strlen(acc))
        return berth_error_set(err, EINVAL, "invalid config: '%s.access' must be made of r, w, m",
                               path);
    strcpy(d->access, acc);
    return 0;
}

static int parse_devices(json_t *res, struct berth_resources *r, struct berth_error **err)
{
    return jget_object_array(res, "devices", "linux.resources", sizeof(*r->devices),
                             parse_device_rule, &r->devices, &r->n_devices, err);
}

#define P_BLKIO "linux.resources.blockIO"

static const char *const throttle_keys[BERTH_THROTTLE_COUNT] = {
    [BERTH_THROTTLE_READ_BPS] = "throttleReadBpsDevice",
    [BERTH_THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
    [BERTH_THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
    [BERTH_THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
};

/* A blkio weight: 0 is "not given" (docker passes it), else 10..1000.
 * *ret_present is set only for a non-zero weight. */
static int parse_weight(json_t *o, const char *key, const char *path, uint16_t *ret,
                        bool *ret_present, struct berth_error **err)
{
    int64_t w = 0;
    int rc = jget_int(o, key, path, INT64_MIN, INT64_MAX, &w, NULL, err);
    if (rc <= 0)
        return rc;
    if (w != 0 && (w < 10 || w > 1000))
        return berth_error_set(err, EINVAL, "invalid config: '%s.%s' must be 10..1000", path, key);
    *ret = (uint16_t)w;
    if (ret_present)
        *ret_present = w != 0;
    return 1;
}

static bool absent(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return v == NULL || json_is_null(v);
}

/* major and minor of a blockIO device entry, both required; bounded by
 * what the kernel's dev_t holds, as a larger number would alias another
 * device. */
static int parse_blkio_dev(json_t *o, const char *path, int64_t *ret_major, int64_t *ret_minor,
                           struct berth_error **err)
{
    bool has_major = false, has_minor = false;
    int rc;

    if ((rc = jget_int(o, "major", path, 0, 4095, ret_major, &has_major, err)) < 0 ||
        (rc = jget_int(o, "minor", path, 0, 1048575, ret_minor, &has_minor, err)) < 0)
        return rc;
    if (!has_major || !has_minor)
        return berth_error_set(err, EINVAL, "invalid config: '%s.%s' is required", path,
                               has_major ? "minor" : "major");
    return 0;
}

static int parse_weight_device(json_t *o, const char *path, void *out, struct berth_error **err)
{
    struct berth_blkio_weight_device *d = out;
    int rc = parse_blkio_dev(o, path, &d->major, &d->minor, err);
    if (rc < 0)
        return rc;
    if (absent(o, "weight") && absent(o, "leafWeight"))
        return berth_error_set(err, EINVAL,
                               "invalid config: '%s' must have a weight or a leafWeight", path);
    if ((rc = parse_weight(o, "weight", path, &d->weight, NULL, err)) < 0 ||
        (rc = parse_weight(o, "leafWeight", path, &d->leaf_weight, NULL, err)) < 0)
        return rc;
    return 0;
}

static int parse_weight_devices(json_t *bio, struct berth_resources *r, struct berth_error **err)
{
    return jget_object_array(bio, "weightDevice", P_BLKIO, sizeof(*r->blkio_weight_devices),
                             parse_weight_device, &r->blkio_weight_devices,
                             &r->n_blkio_weight_devices, err);
}

static int parse_throttle_entry(json_t *o, const char *p, void *out, struct berth_error **err)
{
    struct berth_blkio_throttle *d = out;
    bool has_rate = false;
    int rc;
    if ((rc = parse_blkio_dev(o, p, &d->major, &d->minor, err)) < 0 ||
        (rc = jget_u64(o, "rate", p, &d->rate, &has_rate, err)) < 0)
        return rc;
    if (!has_rate)
        return berth_error_set(err, EINVAL, "invalid config: '%s.rate' is required", p);
    return 0;
}

static int parse_throttle(json_t *bio, enum berth_blkio_throttle_type t, struct berth_resources *r,
                          struct berth_error **err)
{
    return jget_object_array(bio, throttle_keys[t], P_BLKIO, sizeof(*r->blkio_throttle[t]),
                             parse_throttle_entry, &r->blkio_throttle[t], &r->n_blkio_throttle[t],
                             err);
}

static int parse_blkio(json_t *res, struct berth_resources *r, struct berth_error **err)
{
    json_t *bio = NULL;
    int rc = jget_object(res, "blockIO", "linux.resources", &bio, err);
    if (rc <= 0)
        return rc;
    rc = parse_weight(bio, "weight", P_BLKIO, &r->blkio_weight, &r->has_blkio_weight, err);
    if (rc >= 0)
        rc = parse_weight(bio, "leafWeight", P_BLKIO, &r->blkio_leaf_weight,
                          &r->has_blkio_leaf_weight, err);
    if (rc >= 0)
        rc = parse_weight_devices(bio, r, err);
    if (rc < 0)
        return rc;
    for (int t = 0; t < BERTH_THROTTLE_COUNT; t++)
        if ((rc = parse_throttle(bio, t, r, err)) < 0)
            return rc;
    return 0;
}

static int parse_hugepage(json_t *o, const char *path, void *out, struct berth_error **err)
{
    struct berth_hugepage_limit *h = out;
    bool has_limit = false;
    int rc;

    if ((rc = jget_string(o, "pageSize", path, true, &h->page_size, err)) < 0 ||
        (rc = jget_u64(o, "limit", path, &h->limit, &has_limit, err)) < 0)
        return rc;
    /* the size names a cgroup file: "2MB", "1GB", "64KB" */
    size_t digits = strspn(h->page_size, "0123456789");
    if (digits == 0 || !(streq(h->page_size + digits, "KB") || streq(h->page_size + digits, "MB") ||
                         streq(h->page_size + digits, "GB")))
        return berth_error_set(err, EINVAL,
                               "invalid config: '%s.pageSize' ('%s') must be a size such as 2MB",
                               path, h->page_size);
    if (!has_limit)
        return berth_error_set(err, EINVAL, "invalid config: '%s.limit' is required", path);
    return 0;
}

static int parse_net_priority(json_t *o, const char *path, void *out, struct berth_error **err)
{
    struct berth_net_priority *p = out;
    int64_t prio = 0;
    bool has_prio = false;
    int rc;

    if ((rc = jget_string(o, "name", path, true, &p->name, err)) < 0 ||
        (rc = jget_int(o, "priority", path, 0, UINT32_MAX, &prio, &has_prio, err)) < 0)
        return rc;
    if (*p->name == '\0' || strlen(p->name) >= 16 || strpbrk(p->name, " /\n\t"))
        return berth_error_set(err, EINVAL,
                               "invalid config: '%s.name' ('%s') is not an interface name", path,
                               p->name);
    if (!has_prio)
        return berth_error_set(err, EINVAL, "invalid config: '%s.priority' is required", path);
    p->priority = (uint32_t)prio;
    return 0;
}

static int parse_network(json_t *res, struct berth_resources *r, struct berth_error **err)
{
    json_t *o = NULL;
    int64_t id = 0;
    int rc = jget_object(res, "network", "linux.resources", &o, err);
    if (rc <= 0)
        return rc;
    if ((rc = jget_int(o, "classID", "linux.resources.network", 0, UINT32_MAX, &id,
                       &r->has_net_class_id, err)) < 0)
        return rc;
    r->net_class_id = (uint32_t)id;
    return jget_object_array(o, "priorities", "linux.resources.network", sizeof(*r->net_priorities),
                             parse_net_priority, &r->net_priorities, &r->n_net_priorities, err);
}

static int parse_pids(json_t *res, struct berth_resources *r, struct berth_error **err)
{
    json_t *o = NULL;
    int rc = jget_object(res, "pids", "linux.resources", &o, err);
    if (rc <= 0)
        return rc;
    return jget_int(o, "limit", "linux.resources.pids", INT64_MIN, INT64_MAX, &r->pids_limit,
                    &r->has_pids_limit, err);
}

/* cgroup.* files are the kernel's core interface: membership, freezing,
 * killing and the controllers are berth's to manage; only the limits on
 * descendants are a container's to set. */
static bool unified_key_ok(const char *key)
{
    const char *dot = strchr(key, '.');
    if (dot == NULL || dot == key || dot[1] == '\0' || strchr(key, '/') || strstr(key, ".."))
        return false;
    for (const char *p = key; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            return false;
    if (strncmp(key, "cgroup.", 7) == 0)
        return streq(key, "cgroup.max.descendants") || streq(key, "cgroup.max.depth");
    return true;
}

static int parse_unified(json_t *res, struct berth_resources *r, struct berth_error **err)
{
    json_t *o = NULL, *v;
    const char *key;
    int rc = jget_object(res, "unified", "linux.resources", &o, err);
    if (rc <= 0)
        return rc;
    r->unified = xzalloc((json_object_size(o) + 1) * sizeof(*r->unified));
    json_object_foreach(o, key, v)
    {
        if (!json_is_string(v))
            return berth_error_set(
                err, EINVAL, "invalid config: 'linux.resources.unified.%s' must be a string", key);
        if (!unified_key_ok(key))
            return berth_error_set(err, EINVAL,
                                   "invalid config: 'linux.resources.unified' key '%s' is not a "
                                   "controller's interface file (CONTROLLER.NAME)",
                                   key);
        r->unified[r->n_unified].key = xstrdup(key);
        r->unified[r->n_unified++].value = xstrdup(json_string_value(v));
    }
    return 0;
}

int berth_oci_parse_resources(json_t *lx, struct berth_config *c, struct berth_error **err)
{
    json_t *res = NULL;
    int rc = jget_object(lx, "resources", "linux", &res, err);
    if (rc <= 0)
        return rc;
    c->has_resources = true;
    return berth_oci_parse_resources_object(res, &c->resources, err);
}

int berth_oci_parse_resources_object(json_t *res, struct berth_resources *r,
                                     struct berth_error **err)
{
    int rc;
    if ((rc = parse_memory(res, r, err)) < 0 || (rc = parse_cpu(res, r, err)) < 0 ||
        (rc = parse_devices(res, r, err)) < 0 || (rc = parse_pids(res, r, err)) < 0 ||
        (rc = parse_blkio(res, r, err)) < 0 || (rc = parse_network(res, r, err)) < 0 ||
        (rc = jget_object_array(res, "hugepageLimits", "linux.resources", sizeof(*r->hugepages),
                                parse_hugepage, &r->hugepages, &r->n_hugepages, err)) < 0 ||
        (rc = parse_unified(res, r, err)) < 0)
        return rc;
    /* not implemented: refused rather than run without them */
    if ((rc = jrefuse(res, "rdma", "linux.resources", err)) < 0)
        return rc;
    return 0;
}

const char *berth_resources_first_field(const struct berth_resources *r)
{
    const struct {
        bool set;
        const char *name;
    } fields[] = {
        {r->has_mem_limit, "linux.resources.memory.limit"},
        {r->has_mem_reservation, "linux.resources.memory.reservation"},
        {r->has_mem_swap, "linux.resources.memory.swap"},
        {r->has_mem_kernel, "linux.resources.memory.kernel"},
        {r->has_mem_kernel_tcp, "linux.resources.memory.kernelTCP"},
        {r->has_mem_swappiness, "linux.resources.memory.swappiness"},
        {r->disable_oom_killer, "linux.resources.memory.disableOOMKiller"},
        {r->has_use_hierarchy, "linux.resources.memory.useHierarchy"},
        {r->has_cpu_shares, "linux.resources.cpu.shares"},
        {r->has_cpu_quota, "linux.resources.cpu.quota"},
        {r->has_cpu_period, "linux.resources.cpu.period"},
        {r->has_cpu_burst, "linux.resources.cpu.burst"},
        {r->has_cpu_rt_runtime, "linux.resources.cpu.realtimeRuntime"},
        {r->has_cpu_rt_period, "linux.resources.cpu.realtimePeriod"},
        {r->has_cpu_idle, "linux.resources.cpu.idle"},
        {r->cpu_cpus && *r->cpu_cpus, "linux.resources.cpu.cpus"},
        {r->cpu_mems && *r->cpu_mems, "linux.resources.cpu.mems"},
        {r->has_pids_limit, "linux.resources.pids.limit"},
        {r->has_blkio_weight, "linux.resources.blockIO.weight"},
        {r->has_blkio_leaf_weight, "linux.resources.blockIO.leafWeight"},
        {r->n_blkio_weight_devices > 0, "linux.resources.blockIO.weightDevice"},
        {r->n_blkio_throttle[BERTH_THROTTLE_READ_BPS] > 0,
         "linux.resources.blockIO.throttleReadBpsDevice"},
        {r->n_blkio_throttle[BERTH_THROTTLE_WRITE_BPS] > 0,
         "linux.resources.blockIO.throttleWriteBpsDevice"},
        {r->n_blkio_throttle[BERTH_THROTTLE_READ_IOPS] > 0,
         "linux.resources.blockIO.throttleReadIOPSDevice"},
        {r->n_blkio_throttle[BERTH_THROTTLE_WRITE_IOPS] > 0,
         "linux.resources.blockIO.throttleWriteIOPSDevice"},
        {r->n_devices > 0, "linux.resources.devices"},
        {r->n_hugepages > 0, "linux.resources.hugepageLimits"},
        {r->has_net_class_id, "linux.resources.network.classID"},
        {r->n_net_priorities > 0, "linux.resources.network.priorities"},
        {r->n_unified > 0, "linux.resources.unified"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
        if (fields[i].set)
            return fields[i].name;
    return NULL;
}

void berth_oci_free_resources(struct berth_resources *r)
{
    free(r->cpu_cpus);
    free(r->cpu_mems);
    free(r->devices);
    free(r->blkio_weight_devices);
    for (size_t i = 0; i < r->n_hugepages; i++)
        free(r->hugepages[i].page_size);
    free(r->hugepages);
    for (size_t i = 0; i < r->n_net_priorities; i++)
        free(r->net_priorities[i].name);
    free(r->net_priorities);
    for (int t = 0; t < BERTH_THROTTLE_COUNT; t++)
        free(r->blkio_throttle[t]);
    for (size_t i = 0; i < r->n_unified; i++) {
        free(r->unified[i].key);
        free(r->unified[i].value);
    }
    free(r->unified);
}
