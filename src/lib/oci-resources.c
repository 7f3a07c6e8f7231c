#include "oci-linux.h"
#include "oci.h"
#include "cleanup.h"
#include "error.h"
#include "json-util.h"
#include "util.h"

#include <errno.h>
#include <string.h>

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
        (rc = jget_int(o, "swap", P, -1, INT64_MAX, &r->mem_swap, &r->has_mem_swap, err)) < 0)
        return rc;
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
        (rc = jget_string(o, "mems", P, false, &r->cpu_mems, err)) < 0)
        return rc;
    if (r->has_cpu_shares && r->cpu_shares != 0 && (r->cpu_shares < 2 || r->cpu_shares > 262144))
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.resources.cpu.shares' must be 2..262144");
    if (r->has_cpu_period && r->cpu_period != 0 &&
        (r->cpu_period < 1000 || r->cpu_period > 1000000))
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.resources.cpu.period' must be 1000..1000000");
    if (r->has_cpu_quota && r->cpu_quota != -1 && r->cpu_quota < 1000)
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.resources.cpu.quota' must be -1 or >= 1000");
    return 0;
}

static int parse_device_rule(json_t *o, const char *path, struct berth_device_rule *d,
                             struct berth_error **err)
{
    _cleanup_free_ char *type = NULL, *access = NULL;
    int rc;

    if (!json_is_object(o))
        return berth_error_set(err, EINVAL, "invalid config: '%s' must be an object", path);
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
    json_t *a = NULL;
    int rc = jget_array(res, "devices", "linux.resources", &a, err);
    if (rc <= 0)
        return rc;
    r->devices = xzalloc(json_array_size(a) * sizeof(*r->devices));
    for (size_t i = 0; i < json_array_size(a); i++) {
        _cleanup_free_ char *p = xasprintf("linux.resources.devices[%zu]", i);
        if ((rc = parse_device_rule(json_array_get(a, i), p, &r->devices[i], err)) < 0)
            return rc;
        r->n_devices++;
    }
    return 0;
}

static int parse_small(json_t *res, struct berth_resources *r, struct berth_error **err)
{
    json_t *o = NULL;
    int64_t w = 0;
    int rc = jget_object(res, "pids", "linux.resources", &o, err);
    if (rc < 0)
        return rc;
    if (rc > 0 && (rc = jget_int(o, "limit", "linux.resources.pids", INT64_MIN, INT64_MAX,
                                 &r->pids_limit, &r->has_pids_limit, err)) < 0)
        return rc;
    o = NULL;
    if ((rc = jget_object(res, "blockIO", "linux.resources", &o, err)) < 0)
        return rc;
    if (rc > 0 && (rc = jget_int(o, "weight", "linux.resources.blockIO", 0, 1000, &w,
                                 &r->has_blkio_weight, err)) < 0)
        return rc;
    if (r->has_blkio_weight && w != 0 && w < 10)
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.resources.blockIO.weight' must be 10..1000");
    r->blkio_weight = (uint16_t)w;
    if (r->has_blkio_weight && w == 0)
        r->has_blkio_weight = false;
    return 0;
}

int berth_oci_parse_resources(json_t *lx, struct berth_config *c, struct berth_error **err)
{
    json_t *res = NULL;
    int rc = jget_object(lx, "resources", "linux", &res, err);
    if (rc <= 0)
        return rc;
    c->has_resources = true;
    struct berth_resources *r = &c->resources;
    if ((rc = parse_memory(res, r, err)) < 0 || (rc = parse_cpu(res, r, err)) < 0 ||
        (rc = parse_devices(res, r, err)) < 0 || (rc = parse_small(res, r, err)) < 0)
        return rc;
    return 0;
}
