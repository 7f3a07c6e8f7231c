#include "oci-userns.h"
#include "cleanup.h"
#include "error.h"
#include "json-util.h"
#include "mountopt.h"
#include "oci.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/personality.h>

/* The kernel takes at most this many lines in uid_map (since 4.15). */
#define MAX_MAPPINGS 340

static int parse_mapping(json_t *o, const char *path, void *out, struct berth_error **err)
{
    struct berth_id_mapping *m = out;
    static const char *const keys[] = {"containerID", "hostID", "size"};
    uint32_t *fields[] = {&m->container_id, &m->host_id, &m->size};

    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        int64_t v = 0;
        bool present = false;
        int r = jget_int(o, keys[i], path, 0, UINT32_MAX, &v, &present, err);
        if (r < 0)
            return r;
        if (!present)
            return berth_error_set(err, EINVAL, "invalid config: '%s.%s' is required", path,
                                   keys[i]);
        *fields[i] = (uint32_t)v;
    }
    if (m->size == 0)
        return berth_error_set(err, EINVAL, "invalid config: '%s.size' must be positive", path);
    if ((uint64_t)m->container_id + m->size > (uint64_t)UINT32_MAX + 1 ||
        (uint64_t)m->host_id + m->size > (uint64_t)UINT32_MAX + 1)
        return berth_error_set(err, EINVAL, "invalid config: '%s' goes past id 4294967295", path);
    return 0;
}

static bool overlap(uint32_t a, uint32_t b, uint32_t size_a, uint32_t size_b)
{
    return (uint64_t)a < (uint64_t)b + size_b && (uint64_t)b < (uint64_t)a + size_a;
}

/* The kernel refuses overlapping ranges with a bare EINVAL at write time;
 * here the field is named before anything is created. */
static int check_mappings(const struct berth_id_mapping *v, size_t n, const char *name,
                          struct berth_error **err)
{
    if (n > MAX_MAPPINGS)
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.%s' has %zu entries, the kernel takes %d",
                               name, n, MAX_MAPPINGS);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (overlap(v[i].container_id, v[j].container_id, v[i].size, v[j].size) ||
                overlap(v[i].host_id, v[j].host_id, v[i].size, v[j].size))
                return berth_error_set(err, EINVAL,
                                       "invalid config: 'linux.%s[%zu]' overlaps 'linux.%s[%zu]'",
                                       name, i, name, j);
    return 0;
}

static int parse_mappings(json_t *lx, struct berth_config *c, struct berth_error **err)
{
    int r;
    if ((r = jget_object_array(lx, "uidMappings", "linux", sizeof(*c->uid_mappings), parse_mapping,
                               &c->uid_mappings, &c->n_uid_mappings, err)) < 0 ||
        (r = jget_object_array(lx, "gidMappings", "linux", sizeof(*c->gid_mappings), parse_mapping,
                               &c->gid_mappings, &c->n_gid_mappings, err)) < 0 ||
        (r = check_mappings(c->uid_mappings, c->n_uid_mappings, "uidMappings", err)) < 0 ||
        (r = check_mappings(c->gid_mappings, c->n_gid_mappings, "gidMappings", err)) < 0)
        return r;
    const struct berth_namespace *ns = &c->ns[BERTH_NS_USER];
    bool any = c->n_uid_mappings || c->n_gid_mappings;
    if (any && !ns->enabled)
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.uidMappings' and 'linux.gidMappings' need a "
                               "user namespace in 'linux.namespaces'");
    if (any && ns->path)
        return berth_error_set(
            err, EINVAL,
            "invalid config: 'linux.uidMappings' and 'linux.gidMappings' are for "
            "a new user namespace, not one joined by path ('%s')",
            ns->path);
    if (ns->enabled && !ns->path && (!c->n_uid_mappings || !c->n_gid_mappings))
        return berth_error_set(err, EINVAL,
                               "invalid config: a new user namespace needs 'linux.uidMappings' and "
                               "'linux.gidMappings'");
    return 0;
}

static int parse_offset(json_t *to, const char *clock, struct berth_time_offset *ret,
                        struct berth_error **err)
{
    json_t *o = NULL;
    _cleanup_free_ char *path = xasprintf("linux.timeOffsets.%s", clock);
    int64_t ns = 0;
    bool has_ns = false;
    int r = jget_object(to, clock, "linux.timeOffsets", &o, err);
    if (r <= 0)
        return r;
    /* the kernel's own bounds (timens_offsets: a timespec64) */
    if ((r = jget_int(o, "secs", path, INT64_MIN, INT64_MAX, &ret->secs, NULL, err)) < 0 ||
        (r = jget_int(o, "nanosecs", path, 0, 999999999, &ns, &has_ns, err)) < 0)
        return r;
    ret->nanosecs = (uint32_t)ns;
    ret->set = true;
    return 0;
}

static int parse_time_offsets(json_t *lx, struct berth_config *c, struct berth_error **err)
{
    static const char *const clocks[BERTH_CLOCK_COUNT] = {"monotonic", "boottime"};
    json_t *to = NULL, *v;
    const char *key;
    int r = jget_object(lx, "timeOffsets", "linux", &to, err);
    if (r <= 0)
        return r;
    json_object_foreach(to, key, v)
    {
        if (!streq(key, clocks[0]) && !streq(key, clocks[1]))
            return berth_error_set(err, EINVAL,
                                   "invalid config: 'linux.timeOffsets.%s' is not a clock a time "
                                   "namespace offsets (monotonic, boottime)",
                                   key);
    }
    for (int i = 0; i < BERTH_CLOCK_COUNT; i++)
        if ((r = parse_offset(to, clocks[i], &c->time_offsets[i], err)) < 0)
            return r;
    const struct berth_namespace *ns = &c->ns[BERTH_NS_TIME];
    if (!ns->enabled || ns->path)
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.timeOffsets' needs a new time namespace in "
                               "'linux.namespaces'");
    return 0;
}

static const struct {
    const char *name;
    unsigned long value;
} personality_flags[] = {
    {"ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE}, {"ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT},
    {"ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT},   {"ADDR_LIMIT_3GB", ADDR_LIMIT_3GB},
    {"READ_IMPLIES_EXEC", READ_IMPLIES_EXEC}, {"SHORT_INODE", SHORT_INODE},
    {"STICKY_TIMEOUTS", STICKY_TIMEOUTS},     {"UNAME26", UNAME26},
    {"WHOLE_SECONDS", WHOLE_SECONDS},
};

long berth_personality_domain(const char *name)
{
    if (streq(name, "LINUX"))
        return PER_LINUX;
    if (streq(name, "LINUX32"))
        return PER_LINUX32;
    return -1;
}

long berth_personality_flag(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(personality_flags); i++)
        if (streq(name, personality_flags[i].name))
            return (long)personality_flags[i].value;
    return -1;
}

static int parse_personality(json_t *lx, struct berth_config *c, struct berth_error **err)
{
    json_t *o = NULL;
    _cleanup_free_ char *domain = NULL;
    _cleanup_strv_ char **flags = NULL;
    int r = jget_object(lx, "personality", "linux", &o, err);
    if (r <= 0)
        return r;
    if ((r = jget_string(o, "domain", "linux.personality", true, &domain, err)) < 0 ||
        (r = jget_strv(o, "flags", "linux.personality", false, &flags, err)) < 0)
        return r;
    long d = berth_personality_domain(domain);
    if (d < 0)
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.personality.domain' '%s' is not supported "
                               "(LINUX, LINUX32)",
                               domain);
    c->personality = (unsigned long)d;
    for (char **f = flags; f && *f; f++) {
        long v = berth_personality_flag(*f);
        /* MMAP_PAGE_ZERO and the like are not offered: they weaken the
         * container's own protections (a NULL page) */
        if (v < 0)
            return berth_error_set(
                err, EINVAL, "invalid config: 'linux.personality.flags' '%s' is not supported", *f);
        c->personality |= (unsigned long)v;
    }
    c->has_personality = true;
    return 0;
}

/* An idmapped mount takes the container's user namespace (userns.h). */
static int check_idmaps(const struct berth_config *c, struct berth_error **err)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_mounts; i++) {
        if (!c->mounts[i].idmap)
            continue;
        if (!c->ns[BERTH_NS_USER].enabled)
            return berth_error_set(err, EINVAL,
                                   "invalid config: 'mounts[%zu].options' '%s' needs a user "
                                   "namespace in 'linux.namespaces'",
                                   i, c->mounts[i].idmap == BERTH_IDMAP ? "idmap" : "ridmap");
        if (++n > BERTH_SYNC_MAX_FDS)
            return berth_error_set(err, EINVAL,
                                   "invalid config: more than %d idmapped mounts in 'mounts'",
                                   BERTH_SYNC_MAX_FDS);
    }
    return 0;
}

int berth_oci_parse_userns(json_t *lx, struct berth_config *c, struct berth_error **err)
{
    int r;
    if ((r = parse_mappings(lx, c, err)) < 0 || (r = parse_time_offsets(lx, c, err)) < 0 ||
        (r = check_idmaps(c, err)) < 0)
        return r;
    return parse_personality(lx, c, err);
}

void berth_oci_free_userns(struct berth_config *c)
{
    free(c->uid_mappings);
    free(c->gid_mappings);
}
