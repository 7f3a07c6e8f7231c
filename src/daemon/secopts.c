#include "secopts.h"
#include "devrule.h"
#include "caps.h"
#include "cleanup.h"
#include "error.h"
#include "seccomp-profile.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static int check_caps(json_t *host, struct berth_error **err)
{
    static const char *const keys[] = {"CapAdd", "CapDrop"};
    for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
        json_t *v;
        size_t i;
        json_array_foreach(json_object_get(host, keys[k]), i, v)
        {
            const char *s = json_string_value(v);
            if (strcasecmp(s, "ALL") != 0 && berth_cap_from_name(s) < 0)
                return berth_error_set(err, EINVAL, "unknown capability: '%s'", s);
        }
    }
    return 0;
}

/* One SecurityOpt entry: "key=value" (or Docker's old "key:value"). */
static int check_secopt(const char *s, struct berth_error **err)
{
    size_t k = strcspn(s, "=:");
    const char *v = s[k] ? s + k + 1 : NULL;
    if (strncmp(s, "no-new-privileges", k) == 0 && k == 17 &&
        (v == NULL || streq(v, "true") || streq(v, "false")))
        return 0;
    if (strncmp(s, "seccomp", k) == 0 && k == 7 && v) {
        if (streq(v, "unconfined"))
            return 0;
        return seccomp_profile_check(v, err);
    }
    /* berth applies no AppArmor profile and no SELinux label: these
     * ask for what already holds */
    if (streq(s, "apparmor=unconfined") || streq(s, "apparmor:unconfined") ||
        streq(s, "label=disable") || streq(s, "label:disable") ||
        streq(s, "systempaths=unconfined"))
        return 0;
    return berth_error_set(err, EINVAL, "security-opt '%.*s' is not supported by berth yet ('%s')",
                           (int)k, s, s);
}

/* Whether the directory `dir` holds a device node, at any depth. */
static bool holds_devices(const char *dir, int depth)
{
    _cleanup_closedir_ DIR *d = depth < 8 ? opendir(dir) : NULL;
    for (struct dirent *de; d && (de = readdir(d));) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
        struct stat st;
        if (de->d_name[0] == '.' || lstat(p, &st) < 0)
            continue;
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ||
            (S_ISDIR(st.st_mode) && holds_devices(p, depth + 1)))
            return true;
    }
    return false;
}

static int check_devices(json_t *host, struct berth_error **err)
{
    json_t *d;
    size_t i;
    json_array_foreach(json_object_get(host, "Devices"), i, d)
    {
        const char *src = json_string_value(json_object_get(d, "PathOnHost"));
        const char *dst = json_string_value(json_object_get(d, "PathInContainer"));
        const char *perm = json_string_value(json_object_get(d, "CgroupPermissions"));
        struct stat st;
        if (!json_is_object(d) || src == NULL || src[0] != '/')
            return berth_error_set(err, EINVAL, "invalid device: PathOnHost must be absolute");
        if (dst && *dst && (dst[0] != '/' || strstr(dst, "..")))
            return berth_error_set(err, EINVAL, "invalid device path in container '%s'", dst);
        if (perm && (*perm == '\0' || strspn(perm, "rwm") != strlen(perm)))
            return berth_error_set(err, EINVAL, "invalid device permissions '%s' for '%s'", perm,
                                   src);
        if (stat(src, &st) < 0)
            return berth_error_set(err, EINVAL, "error gathering device information for '%s': %s",
                                   src, strerror(errno));
        if (S_ISDIR(st.st_mode) && !holds_devices(src, 0))
            return berth_error_set(err, EINVAL, "'%s' holds no device nodes", src);
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISDIR(st.st_mode))
            return berth_error_set(err, EINVAL, "'%s' is not a device node or a directory of them",
                                   src);
        const char *in = dst && *dst ? dst : src;
        if (strncmp(in, "/dev/", 5) != 0)
            return berth_error_set(err, EINVAL,
                                   "device path in container '%s' must be under /dev (give "
                                   "HOST:/dev/NAME)",
                                   in);
    }
    return 0;
}

static bool ulimit_name_ok(const char *n)
{
    static const char *const names[] = {
        "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
        "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
    for (size_t i = 0; n && i < ARRAY_SIZE(names); i++)
        if (streq(n, names[i]))
            return true;
    return false;
}

static int check_ulimits(json_t *host, struct berth_error **err)
{
    json_t *u;
    size_t i;
    json_array_foreach(json_object_get(host, "Ulimits"), i, u)
    {
        const char *n = json_string_value(json_object_get(u, "Name"));
        json_t *soft = json_object_get(u, "Soft"), *hard = json_object_get(u, "Hard");
        if (!ulimit_name_ok(n))
            return berth_error_set(err, EINVAL, "invalid ulimit type: '%s'", n ? n : "");
        if (!json_is_integer(soft) || !json_is_integer(hard) || json_integer_value(soft) < -1 ||
            json_integer_value(hard) < -1)
            return berth_error_set(err, EINVAL,
                                   "invalid ulimit '%s': integer Soft and Hard "
                                   "limits expected",
                                   n);
        uint64_t s = (uint64_t)json_integer_value(soft), h = (uint64_t)json_integer_value(hard);
        if (s > h) /* -1 (unlimited) compares as the largest */
            return berth_error_set(err, EINVAL,
                                   "ulimit soft limit must be less than or equal to hard limit: "
                                   "'%s'",
                                   n);
    }
    return 0;
}

/* Docker's list (opts.ValidateSysctl): the sysctls that live in the
 * container's own IPC and network namespaces; no others. */
static int check_sysctls(json_t *host, struct berth_error **err)
{
    static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced"};
    const char *net = json_string_value(json_object_get(host, "NetworkMode"));
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(host, "Sysctls"), k, v)
    {
        bool ok = strncmp(k, "fs.mqueue.", 10) == 0;
        for (size_t i = 0; !ok && i < ARRAY_SIZE(ipc); i++)
            ok = streq(k, ipc[i]);
        if (strncmp(k, "net.", 4) == 0) {
            if (streq(net, "host"))
                return berth_error_set(
                    err, EINVAL, "sysctl '%s' is not allowed in the host network namespace", k);
            ok = true;
        }
        if (!ok || strstr(k, "..") || strchr(k, '/'))
            return berth_error_set(err, EINVAL,
                                   "sysctl '%s' is not allowed: not namespaced (net.*, "
                                   "kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)",
                                   k);
    }
    return 0;
}

int secopts_check(json_t *host, struct berth_error **err)
{
    json_t *v;
    size_t i;
    struct berth_devrule rule;
    json_array_foreach(json_object_get(host, "DeviceCgroupRules"), i, v)
    {
        if (!berth_devrule_parse(json_string_value(v), &rule))
            return berth_error_set(err, EINVAL,
                                   "invalid --device-cgroup-rule '%s': TYPE MAJOR:MINOR ACCESS "
                                   "expected (TYPE a, b or c; MAJOR and MINOR numbers or *; "
                                   "ACCESS of r, w, m)",
                                   json_string_value(v));
    }
    if (check_caps(host, err) < 0 || check_devices(host, err) < 0 || check_ulimits(host, err) < 0 ||
        check_sysctls(host, err) < 0)
        return -EINVAL;
    json_array_foreach(json_object_get(host, "SecurityOpt"), i, v)
    {
        if (check_secopt(json_string_value(v), err) < 0)
            return -EINVAL;
    }
    return 0;
}
