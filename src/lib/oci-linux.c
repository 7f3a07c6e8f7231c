#include "oci-linux.h"
#include "oci.h"
#include "cgroup.h"
#include "cleanup.h"
#include "error.h"
#include "json-util.h"
#include "mountopt.h"
#include "oci-userns.h"
#include "util.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
    const char *name, *proc;
    int flag;
} ns_table[BERTH_NS_COUNT] = {
    [BERTH_NS_PID] = {"pid", "pid", CLONE_NEWPID},
    [BERTH_NS_NET] = {"network", "net", CLONE_NEWNET},
    [BERTH_NS_MNT] = {"mount", "mnt", CLONE_NEWNS},
    [BERTH_NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
    [BERTH_NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
    [BERTH_NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
    [BERTH_NS_USER] = {"user", "user", CLONE_NEWUSER},
    [BERTH_NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

int berth_ns_from_name(const char *name)
{
    for (int i = 0; i < BERTH_NS_COUNT; i++)
        if (streq(name, ns_table[i].name))
            return i;
    return -1;
}

const char *berth_ns_name(enum berth_ns_type t)
{
    return ns_table[t].name;
}

int berth_ns_clone_flag(enum berth_ns_type t)
{
    return ns_table[t].flag;
}

const char *berth_ns_proc_name(enum berth_ns_type t)
{
    return ns_table[t].proc;
}

static int parse_namespaces(json_t *lx, struct berth_config *c, struct berth_error **err)
{
    json_t *a = NULL;
    int r = jget_array(lx, "namespaces", "linux", &a, err);
    if (r <= 0)
        return r;
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *o = json_array_get(a, i);
        _cleanup_free_ char *path = xasprintf("linux.namespaces[%zu]", i);
        _cleanup_free_ char *type = NULL;
        if (!json_is_object(o))
            return berth_error_set(err, EINVAL, "invalid config: '%s' must be an object", path);
        if ((r = jget_string(o, "type", path, true, &type, err)) < 0)
            return r;
        int t = berth_ns_from_name(type);
        if (t < 0)
            return berth_error_set(err, EINVAL,
                                   "invalid config: '%s.type' is an unknown namespace type '%s'",
                                   path, type);
        if (c->ns[t].enabled)
            return berth_error_set(err, EINVAL, "invalid config: '%s.type' '%s' is listed twice",
                                   path, type);
        c->ns[t].enabled = true;
        if ((r = jget_string(o, "path", path, false, &c->ns[t].path, err)) < 0)
            return r;
        if (c->ns[t].path && c->ns[t].path[0] != '/')
            return berth_error_set(err, EINVAL,
                                   "invalid config: '%s.path' must be an absolute path", path);
    }
    return 0;
}

/* Whether an absolute path, read lexically ("." and ".." applied, repeated
 * slashes folded), names something strictly below /dev. */
static bool below_dev(const char *p)
{
    int depth = 0;
    bool in_dev = false;

    for (;;) {
        while (*p == '/')
            p++;
        if (*p == '\0')
            return in_dev && depth >= 2;
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (depth > 0)
                depth--;
        } else if (!(n == 1 && p[0] == '.')) {
            if (depth == 0)
                in_dev = n == 3 && strncmp(p, "dev", 3) == 0;
            depth++;
        }
        if (depth == 0)
            in_dev = false;
        p += n;
    }
}

static int parse_device(json_t *o, const char *path, void *out, struct berth_error **err)
{
    _cleanup_free_ char *type = NULL;
    struct berth_device *d = out;
    int64_t v = 0;
    int r;

    if ((r = jget_string(o, "type", path, true, &type, err)) < 0 ||
        (r = jget_string(o, "path", path, true, &d->path, err)) < 0)
        return r;
    if (strlen(type) != 1 || !strchr("cbup", type[0]))
        return berth_error_set(err, EINVAL, "invalid config: '%s.type' must be c, b, u or p", path);
    d->type = type[0];
    if (d->path[0] != '/')
        return berth_error_set(err, EINVAL, "invalid config: '%s.path' must be absolute", path);
    /* A node elsewhere would land on the rootfs' own disk and outlive the
     * container. */
    if (!below_dev(d->path))
        return berth_error_set(err, EINVAL, "invalid config: '%s.path' ('%s') is not below /dev",
                               path, d->path);
    bool need_nums = d->type != 'p';
    bool has_major = false, has_minor = false;
    if ((r = jget_int(o, "major", path, 0, UINT32_MAX, &d->major, &has_major, err)) < 0 ||
        (r = jget_int(o, "minor", path, 0, UINT32_MAX, &d->minor, &has_minor, err)) < 0)
        return r;
    if (need_nums && (!has_major || !has_minor))
        return berth_error_set(err, EINVAL, "invalid config: '%s' needs major and minor", path);
    if ((r = jget_int(o, "fileMode", path, 0, 07777, &v, &d->has_mode, err)) < 0)
        return r;
    d->file_mode = (mode_t)v;
    if ((r = jget_int(o, "uid", path, 0, UINT32_MAX - 1, &v, &d->has_uid, err)) < 0)
        return r;
    d->uid = (uid_t)v;
    if ((r = jget_int(o, "gid", path, 0, UINT32_MAX - 1, &v, &d->has_gid, err)) < 0)
        return r;
    d->gid = (gid_t)v;
    return 0;
}

static int parse_devices(json_t *lx, struct berth_config *c, struct berth_error **err)
{
    return jget_object_array(lx, "devices", "linux", sizeof(*c->devices), parse_device, &c->devices,
                             &c->n_devices, err);
}

static int parse_sysctl(json_t *lx, struct berth_config *c, struct berth_error **err)
{
    json_t *o = NULL, *v;
    const char *key;
    int r = jget_object(lx, "sysctl", "linux", &o, err);
    if (r <= 0)
        return r;
    c->sysctls = xzalloc(json_object_size(o) * sizeof(*c->sysctls));
    json_object_foreach(o, key, v)
    {
        if (!json_is_string(v))
            return berth_error_set(err, EINVAL,
                                   "invalid config: 'linux.sysctl.%s' must be a string", key);
        if (*key == '\0' || strstr(key, "..") || key[0] == '/' || key[0] == '.')
            return berth_error_set(err, EINVAL,
                                   "invalid config: 'linux.sysctl' key '%s' is invalid", key);
        c->sysctls[c->n_sysctls].key = xstrdup(key);
        c->sysctls[c->n_sysctls++].value = xstrdup(json_string_value(v));
    }
    return 0;
}

int berth_sysctl_namespace(const char *key)
{
    static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (size_t i = 0; i < ARRAY_SIZE(ipc); i++)
        if (streq(key, ipc[i]))
            return BERTH_NS_IPC;
    if (strncmp(key, "fs.mqueue.", 10) == 0)
        return BERTH_NS_IPC;
    if (strncmp(key, "net.", 4) == 0)
        return BERTH_NS_NET;
    if (streq(key, "kernel.hostname") || streq(key, "kernel.domainname"))
        return BERTH_NS_UTS;
    return -1;
}

static int check_sysctls(const struct berth_config *c, struct berth_error **err)
{
    for (size_t i = 0; i < c->n_sysctls; i++) {
        int t = berth_sysctl_namespace(c->sysctls[i].key);
        if (t < 0)
            return berth_error_set(err, EINVAL,
                                   "invalid config: 'linux.sysctl' key '%s' is not namespaced: "
                                   "setting it would change the host",
                                   c->sysctls[i].key);
        if (!c->ns[t].enabled)
            return berth_error_set(err, EINVAL,
                                   "invalid config: 'linux.sysctl' key '%s' needs a %s namespace",
                                   c->sysctls[i].key, berth_ns_name(t));
    }
    return 0;
}

/* runc's systemd form "slice:prefix:name" (slice may be empty): three
 * colon-separated parts, no slash. */
static bool is_systemd_path(const char *p)
{
    int colons = 0;
    for (const char *s = p; *s; s++) {
        if (*s == '/')
            return false;
        colons += *s == ':';
    }
    return colons == 2 && p[strlen(p) - 1] != ':';
}

static int parse_paths(json_t *lx, struct berth_config *c, struct berth_error **err)
{
    _cleanup_free_ char *prop = NULL;
    int r;

    if ((r = jget_strv(lx, "maskedPaths", "linux", false, &c->masked_paths, err)) < 0 ||
        (r = jget_strv(lx, "readonlyPaths", "linux", false, &c->readonly_paths, err)) < 0 ||
        (r = jget_string(lx, "cgroupsPath", "linux", false, &c->cgroups_path, err)) < 0)
        return r;
    char **lists[] = {c->masked_paths, c->readonly_paths};
    for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
        for (char **p = lists[l]; p && *p; p++)
            if ((*p)[0] != '/')
                return berth_error_set(err, EINVAL,
                                       "invalid config: 'linux.%s' entry '%s' must be absolute",
                                       l == 0 ? "maskedPaths" : "readonlyPaths", *p);
    if (c->cgroups_path && is_systemd_path(c->cgroups_path))
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.cgroupsPath' '%s' is a systemd unit path "
                               "(slice:prefix:name), which needs the systemd cgroup driver: berth "
                               "supports cgroupfs paths only",
                               c->cgroups_path);
    if (c->cgroups_path && (r = berth_cgroup_path_validate(c->cgroups_path, err)) < 0)
        return berth_error_wrap(err, "invalid config: 'linux.cgroupsPath'");
    if ((r = jget_string(lx, "rootfsPropagation", "linux", false, &prop, err)) < 0)
        return r;
    if (prop && berth_propagation_parse(prop, &c->rootfs_propagation) < 0)
        return berth_error_set(
            err, EINVAL, "invalid config: 'linux.rootfsPropagation' '%s' is not a propagation mode",
            prop);
    return 0;
}

/* What needs mounting (or a device node) in the container's namespace. */
static const char *mounting_field(const struct berth_config *c)
{
    return c->n_mounts                               ? "mounts"
           : c->n_devices                            ? "linux.devices"
           : c->masked_paths && *c->masked_paths     ? "linux.maskedPaths"
           : c->readonly_paths && *c->readonly_paths ? "linux.readonlyPaths"
           : c->root_readonly                        ? "root.readonly"
           : c->rootfs_propagation                   ? "linux.rootfsPropagation"
                                                     : NULL;
}

/* The rootfs is built with mounts and pivot_root in the container's own
 * mount namespace. Without one, or in one joined by path, the init only
 * chroots into root.path (crun's way, issue 12): mounting there would
 * change the host's mounts or another container's, so whatever needs a
 * mount is refused, named. */
static int check_mount_ns(const struct berth_config *c, struct berth_error **err)
{
    const struct berth_namespace *ns = &c->ns[BERTH_NS_MNT];
    const char *field = mounting_field(c);
    if ((ns->enabled && ns->path == NULL) || field == NULL)
        return 0;
    if (!ns->enabled)
        return berth_error_set(err, EINVAL,
                               "invalid config: '%s' needs a mount namespace of the container's "
                               "own: without one berth only chroots into the rootfs",
                               field);
    return berth_error_set(err, EINVAL,
                           "invalid config: '%s' cannot be set up in a mount namespace joined by "
                           "path ('%s'): berth only chroots into the rootfs there",
                           field, ns->path);
}

/* Fields of "linux" berth does not implement: a config that sets one is
 * refused, never run as if the field were not there. */
static int refuse_unsupported(json_t *lx, struct berth_error **err)
{
    static const char *const keys[] = {"intelRdt", "memoryPolicy", "netDevices"};
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        int r = jrefuse(lx, keys[i], "linux", err);
        if (r < 0)
            return r;
    }
    return 0;
}

int berth_oci_parse_linux(json_t *lx, struct berth_config *c, struct berth_error **err)
{
    int r;
    if (lx == NULL)
        return check_mount_ns(c, err);
    if ((r = refuse_unsupported(lx, err)) < 0 ||
        (r = jget_string(lx, "mountLabel", "linux", false, &c->mount_label, err)) < 0)
        return r;
    if ((r = parse_namespaces(lx, c, err)) < 0 || (r = berth_oci_parse_userns(lx, c, err)) < 0 ||
        (r = parse_devices(lx, c, err)) < 0 || (r = parse_sysctl(lx, c, err)) < 0 ||
        (r = check_sysctls(c, err)) < 0 || (r = parse_paths(lx, c, err)) < 0 ||
        (r = berth_oci_parse_seccomp(lx, c, err)) < 0 ||
        (r = berth_oci_parse_resources(lx, c, err)) < 0)
        return r;
    return check_mount_ns(c, err);
}

void berth_oci_free_linux(struct berth_config *c)
{
    for (int i = 0; i < BERTH_NS_COUNT; i++)
        free(c->ns[i].path);
    for (size_t i = 0; i < c->n_devices; i++)
        free(c->devices[i].path);
    free(c->devices);
    for (size_t i = 0; i < c->n_sysctls; i++) {
        free(c->sysctls[i].key);
        free(c->sysctls[i].value);
    }
    free(c->sysctls);
    strv_freep(&c->masked_paths);
    strv_freep(&c->readonly_paths);
    free(c->cgroups_path);
    free(c->mount_label);
    berth_oci_free_seccomp(c->seccomp);
    berth_oci_free_resources(&c->resources);
    berth_oci_free_userns(c);
}
