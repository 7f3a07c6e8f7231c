#include "seccomp-profile.h"
#include "cleanup.h"
#include "error.h"
#include "oci-linux.h"
#include "oci.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#if defined(__x86_64__)
#define NATIVE_ARCH "SCMP_ARCH_X86_64"
#define GOARCH      "amd64"
#elif defined(__aarch64__)
#define NATIVE_ARCH "SCMP_ARCH_AARCH64"
#define GOARCH      "arm64"
#elif defined(__i386__)
#define NATIVE_ARCH "SCMP_ARCH_X86"
#define GOARCH      "386"
#else
#define NATIVE_ARCH ""
#define GOARCH      ""
#endif

static bool in_strings(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (streq(json_string_value(v), s)) return true;
    return false;
}

static bool has_cap(char *const *caps, const char *name)
{
    for (size_t i = 0; caps && caps[i]; i++)
        if (strcasecmp(caps[i], name) == 0 ||
            (strncasecmp(name, "CAP_", 4) != 0 && strcasecmp(caps[i] + 4, name) == 0))
            return true;
    return false;
}

/* "4.8" against the running kernel */
static bool kernel_at_least(const char *min)
{
    struct utsname u;
    unsigned a = 0, b = 0, x = 0, y = 0;
    if (min == NULL || sscanf(min, "%u.%u", &a, &b) < 1)
        return true;
    if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &x, &y) < 1)
        return true;
    return x > a || (x == a && y >= b);
}

/* Docker's rule filter (moby profiles/seccomp: setupSeccomp). */
static bool rule_applies(json_t *rule, char *const *caps)
{
    json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes"), *c;
    size_t i;
    if (caps == NULL)
        return true;
    json_t *arches = json_object_get(inc, "arches");
    if (json_array_size(arches) > 0 && !in_strings(arches, GOARCH))
        return false;
    json_array_foreach(json_object_get(inc, "caps"), i,
                       c) if (!has_cap(caps, json_string_value(c))) return false;
    if (!kernel_at_least(json_string_value(json_object_get(inc, "minKernel"))))
        return false;
    if (in_strings(json_object_get(exc, "arches"), GOARCH))
        return false;
    json_array_foreach(json_object_get(exc, "caps"), i,
                       c) if (has_cap(caps, json_string_value(c))) return false;
    const char *emin = json_string_value(json_object_get(exc, "minKernel"));
    return emin == NULL || !kernel_at_least(emin);
}

static json_t *oci_rule(json_t *rule, size_t n, struct berth_error **err)
{
    json_t *names = json_object_get(rule, "names"), *name = json_object_get(rule, "name");
    if (!json_is_object(rule)) {
        berth_error_set(err, EINVAL, "invalid seccomp profile: syscalls[%zu] is not an object", n);
        return NULL;
    }
    json_t *o = json_object();
    if (json_is_array(names))
        json_object_set(o, "names", names);
    else if (json_is_string(name)) /* the old one-name form */
        json_object_set_new(o, "names", json_pack("[O]", name));
    static const char *const keep[] = {"action", "args", "errnoRet"};
    for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
        if (json_object_get(rule, keep[i]) && !json_is_null(json_object_get(rule, keep[i])))
            json_object_set(o, keep[i], json_object_get(rule, keep[i]));
    return o;
}

static json_t *architectures(json_t *profile)
{
    json_t *arches = json_object_get(profile, "architectures"), *m;
    size_t i;
    if (json_array_size(arches) > 0)
        return json_incref(arches);
    json_t *out = json_array();
    json_array_foreach(json_object_get(profile, "archMap"), i, m)
    {
        if (!streq(json_string_value(json_object_get(m, "architecture")), NATIVE_ARCH))
            continue;
        json_array_append(out, json_object_get(m, "architecture"));
        json_array_extend(out, json_object_get(m, "subArchitectures"));
    }
    return out;
}

json_t *seccomp_profile_to_oci(json_t *profile, char *const *caps, struct berth_error **err)
{
    json_t *dret = json_object_get(profile, "defaultErrnoRet"), *rule;
    json_int_t dv = json_integer_value(dret);
    size_t i;
    const char *bad = NULL;
    if (!json_is_object(profile))
        bad = "invalid seccomp profile: not a JSON object";
    else if (!json_is_string(json_object_get(profile, "defaultAction")))
        bad = "invalid seccomp profile: no defaultAction";
    else if (dret && !json_is_null(dret) && (!json_is_integer(dret) || dv < 0 || dv > 4095))
        bad = "invalid seccomp profile: defaultErrnoRet must be an errno (0 to 4095)";
    if (bad) {
        berth_error_set(err, EINVAL, "%s", bad);
        return NULL;
    }
    json_t *oci = json_pack("{s:O,s:o}", "defaultAction", json_object_get(profile, "defaultAction"),
                            "architectures", architectures(profile));
    if (json_is_integer(dret)) /* the runtime's defaultErrnoRet (EPERM without) */
        json_object_set(oci, "defaultErrnoRet", dret);
    static const char *const keep[] = {"flags", "listenerPath", "listenerMetadata"};
    for (size_t k = 0; k < ARRAY_SIZE(keep); k++)
        if (json_object_get(profile, keep[k]))
            json_object_set(oci, keep[k], json_object_get(profile, keep[k]));
    json_t *rules = json_array();
    json_object_set_new(oci, "syscalls", rules);
    json_array_foreach(json_object_get(profile, "syscalls"), i, rule)
    {
        if (!rule_applies(rule, caps))
            continue;
        json_t *o = oci_rule(rule, i, err);
        if (o == NULL) {
            json_decref(oci);
            return NULL;
        }
        json_array_append_new(rules, o);
    }
    return oci;
}

int seccomp_profile_check(const char *text, struct berth_error **err)
{
    json_error_t je;
    json_t *profile = json_loads(text, 0, &je);
    if (profile == NULL)
        return berth_error_set(err, EINVAL, "invalid seccomp profile: %s", je.text);
    json_t *oci = seccomp_profile_to_oci(profile, NULL, err);
    json_decref(profile);
    if (oci == NULL)
        return -EINVAL;
    json_t *lx = json_pack("{s:o}", "seccomp", oci);
    struct berth_config c = {0};
    int r = berth_oci_parse_seccomp(lx, &c, err);
    berth_oci_free_seccomp(c.seccomp);
    json_decref(lx);
    if (r < 0)
        berth_error_wrap(err, "invalid seccomp profile");
    return r < 0 ? -EINVAL : 0;
}
