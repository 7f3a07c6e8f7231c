/* An engine container's security settings (issue 14) into its OCI spec:
 * Docker's default capabilities less CAP_NET_RAW, --cap-add/--cap-drop,
 * seccomp (berth's default, a Docker profile, or none), no_new_privs,
 * --device, --ulimit, --sysctl and --privileged. */
#include "security.h"
#include "devrule.h"
#include "caps.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "seccomp-profile.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Docker's default set without CAP_NET_RAW (as podman): a default
 * container opens no raw socket; ping still works through ICMP datagram
 * sockets (net.ipv4.ping_group_range, set below). --cap-add NET_RAW
 * gives it back. */
static const char *const default_caps[] = {
    "CAP_CHOWN",      "CAP_DAC_OVERRIDE", "CAP_FSETID",      "CAP_FOWNER",  "CAP_MKNOD",
    "CAP_SETGID",     "CAP_SETUID",       "CAP_SETFCAP",     "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL",         "CAP_AUDIT_WRITE",
};

static bool has_all(json_t *arr)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i,
                       v) if (strcasecmp(json_string_value(v) ?: "", "ALL") == 0) return true;
    return false;
}

/* Whether `arr` names `cap` itself (ALL is has_all's). */
static bool names_cap(json_t *arr, int cap)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i,
                       v) if (berth_cap_from_name(json_string_value(v) ?: "") == cap) return true;
    return false;
}

static bool default_cap(int cap)
{
    for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
        if (berth_cap_from_name(default_caps[i]) == cap)
            return true;
    return false;
}

/* Docker's rule (oci/caps TweakCapabilities): ALL in CapAdd starts from
 * every capability; ALL in CapDrop leaves none of the base; the named
 * drops go, then the named adds come in. Privileged: every one. */
static char **container_caps(json_t *host)
{
    json_t *add = json_object_get(host, "CapAdd"), *drop = json_object_get(host, "CapDrop");
    bool priv = json_is_true(json_object_get(host, "Privileged"));
    int last = berth_cap_last_cap();
    char **v = xzalloc((size_t)(last + 2) * sizeof(char *));
    size_t n = 0;
    for (int c = 0; c <= last; c++) {
        /* "every" is every one the engine holds itself (a host may run
         * berth without some), as podman */
        bool held = prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1;
        bool every = held && (priv || has_all(add));
        bool base = (every || default_cap(c)) && !has_all(drop) && !names_cap(drop, c);
        const char *name = berth_cap_name(c);
        if (name && ((priv && every) || base || names_cap(add, c)))
            v[n++] = xstrdup(name);
    }
    return v;
}

/* HostConfig.SecurityOpt's value for `key` ("key=v" or the old "key:v"),
 * "" for a bare key, NULL when absent. */
static const char *secopt(json_t *host, const char *key)
{
    size_t i, k = strlen(key);
    json_t *v;
    json_array_foreach(json_object_get(host, "SecurityOpt"), i, v)
    {
        const char *s = json_string_value(v);
        if (s && strncmp(s, key, k) == 0 && (s[k] == '=' || s[k] == ':' || s[k] == '\0'))
            return s[k] ? s + k + 1 : "";
    }
    return NULL;
}

static void set_caps(json_t *proc, char *const *caps)
{
    static const char *const sets[] = {"bounding", "effective", "permitted"};
    json_t *c = json_object();
    for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
        json_t *a = json_array();
        for (size_t i = 0; caps[i]; i++)
            json_array_append_new(a, json_string(caps[i]));
        json_object_set_new(c, sets[s], a);
    }
    json_object_set_new(proc, "capabilities", c);
}

/* berth's default, a Docker profile sent as JSON text, or none */
static int set_seccomp(json_t *lx, json_t *host, char *const *caps, struct berth_error **err)
{
    const char *sc = secopt(host, "seccomp");
    json_t *oci;
    if (json_is_true(json_object_get(host, "Privileged")) || streq(sc, "unconfined"))
        return 0;
    if (sc == NULL) {
        oci = shim_seccomp_default(caps);
    } else {
        json_error_t je;
        json_t *profile = json_loads(sc, 0, &je);
        if (profile == NULL)
            return berth_error_set(err, EINVAL, "invalid seccomp profile: %s", je.text);
        oci = seccomp_profile_to_oci(profile, caps, err);
        json_decref(profile);
        if (oci == NULL)
            return -EINVAL;
    }
    json_object_set_new(lx, "seccomp", oci);
    return 0;
}

static json_t *device_rule(const struct stat *st, const char *access)
{
    return json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", true, "type",
                     S_ISBLK(st->st_mode) ? "b" : "c", "major", (json_int_t)major(st->st_rdev),
                     "minor", (json_int_t)minor(st->st_rdev), "access", access);
}

static json_t *device_node(const char *path, const struct stat *st)
{
    return json_pack("{s:s,s:s,s:I,s:I,s:i,s:I,s:I}", "path", path, "type",
                     S_ISBLK(st->st_mode) ? "b" : "c", "major", (json_int_t)major(st->st_rdev),
                     "minor", (json_int_t)minor(st->st_rdev), "fileMode",
                     (int)(st->st_mode & 07777), "uid", (json_int_t)st->st_uid, "gid",
                     (json_int_t)st->st_gid);
}

/* The device nodes under the host directory `src` (Docker's --device of a
 * directory), each at its place under `dst`, with its cgroup rule. */
static void add_dir_devices(json_t *nodes, json_t *rules, const char *src, const char *dst,
                            const char *perm, int depth)
{
    _cleanup_closedir_ DIR *d = depth < 8 ? opendir(src) : NULL;
    for (struct dirent *de; d && (de = readdir(d));) {
        _cleanup_free_ char *p = xasprintf("%s/%s", src, de->d_name);
        _cleanup_free_ char *q = xasprintf("%s/%s", dst, de->d_name);
        struct stat st;
        if (de->d_name[0] == '.' || lstat(p, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            add_dir_devices(nodes, rules, p, q, perm, depth + 1);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            json_array_append_new(nodes, device_node(q, &st));
            json_array_append_new(rules, device_rule(&st, perm));
        }
    }
}

/* --device-cgroup-rule "c 189:* rwm": an allow rule (berthd checked them) */
static int set_cgroup_rules(json_t *rules, json_t *host, struct berth_error **err)
{
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(host, "DeviceCgroupRules"), i, v)
    {
        struct berth_devrule d;
        if (!berth_devrule_parse(json_string_value(v), &d))
            return berth_error_set(err, EINVAL, "invalid --device-cgroup-rule '%s'",
                                   json_string_value(v));
        json_t *r = json_pack("{s:b,s:s#,s:s}", "allow", true, "type", &d.type, (size_t)1, "access",
                              d.access);
        if (d.major >= 0)
            json_object_set_new(r, "major", json_integer(d.major));
        if (d.minor >= 0)
            json_object_set_new(r, "minor", json_integer(d.minor));
        json_array_append_new(rules, r);
    }
    return 0;
}

/* --device HOST[:CTR[:rwm]]: the node in the container and its cgroup
 * rule; a directory: every node under it */
static int set_devices(json_t *lx, json_t *host, struct berth_error **err)
{
    json_t *d, *nodes = json_object_get(lx, "devices");
    json_t *rules = json_object_get(json_object_get(lx, "resources"), "devices");
    size_t i;
    json_array_foreach(json_object_get(host, "Devices"), i, d)
    {
        const char *src = json_string_value(json_object_get(d, "PathOnHost"));
        const char *dst = json_string_value(json_object_get(d, "PathInContainer"));
        const char *perm = json_string_value(json_object_get(d, "CgroupPermissions"));
        struct stat st;
        if (src == NULL || stat(src, &st) < 0)
            return berth_error_set(err, src ? errno : EINVAL, "cannot add device '%s'",
                                   src ? src : "");
        if (S_ISDIR(st.st_mode)) {
            add_dir_devices(nodes, rules, src, dst && *dst ? dst : src,
                            perm && *perm ? perm : "rwm", 0);
            continue;
        }
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
            return berth_error_set(err, ENOTBLK, "cannot add device '%s': not a device node", src);
        json_array_append_new(nodes, device_node(dst && *dst ? dst : src, &st));
        json_array_append_new(rules, device_rule(&st, perm && *perm ? perm : "rwm"));
    }
    return set_cgroup_rules(rules, host, err);
}

/* Docker's --privileged: every host device under /dev (not pts, shm,
 * mqueue: the container has its own), all allowed in the cgroup. */
static void add_host_devices(json_t *nodes, const char *dir)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d));) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
        struct stat st;
        if (de->d_name[0] == '.' || streq(p, "/dev/pts") || streq(p, "/dev/shm") ||
            streq(p, "/dev/mqueue") || streq(p, "/dev/console") || lstat(p, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            add_host_devices(nodes, p);
        else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
            json_array_append_new(nodes, device_node(p, &st));
    }
}

static void set_privileged(json_t *spec, json_t *lx)
{
    json_t *m;
    size_t i;
    json_object_del(lx, "maskedPaths");
    json_object_del(lx, "readonlyPaths");
    add_host_devices(json_object_get(lx, "devices"), "/dev");
    json_object_set_new(json_object_get(lx, "resources"), "devices",
                        json_pack("[{s:b,s:s}]", "allow", true, "access", "rwm"));
    /* rw /sys and cgroupfs, as Docker gives a privileged container */
    json_array_foreach(json_object_get(spec, "mounts"), i, m)
    {
        const char *dst = json_string_value(json_object_get(m, "destination"));
        json_t *o = json_object_get(m, "options"), *opt;
        size_t k;
        if (!streq(dst, "/sys") && !streq(dst, "/sys/fs/cgroup"))
            continue;
        json_array_foreach(o, k, opt) if (streq(json_string_value(opt), "ro"))
        {
            json_array_set_new(o, k, json_string("rw"));
        }
    }
}

static json_t *rlimit_value(json_int_t v)
{
    return v < 0 ? json_real(0x1p64) : json_integer(v); /* -1: unlimited */
}

/* --ulimit NAME=SOFT[:HARD]: process.rlimits, replacing the default's own */
static void set_rlimits(json_t *proc, json_t *host)
{
    json_t *rl = json_object_get(proc, "rlimits"), *u;
    size_t i;
    if (rl == NULL)
        json_object_set_new(proc, "rlimits", rl = json_array());
    json_array_foreach(json_object_get(host, "Ulimits"), i, u)
    {
        const char *name = json_string_value(json_object_get(u, "Name"));
        _cleanup_free_ char *type = xasprintf("RLIMIT_%s", name ? name : "");
        for (char *p = type; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        for (size_t k = 0; k < json_array_size(rl); k++)
            if (streq(json_string_value(json_object_get(json_array_get(rl, k), "type")), type))
                json_array_remove(rl, k--);
        json_array_append_new(
            rl, json_pack("{s:s,s:o,s:o}", "type", type, "soft",
                          rlimit_value(json_integer_value(json_object_get(u, "Soft"))), "hard",
                          rlimit_value(json_integer_value(json_object_get(u, "Hard")))));
    }
}

/* --sysctl (namespaced ones, berthd checked); ICMP datagram sockets for
 * every group in a container's own network namespace, as Docker sets it,
 * so ping works without CAP_NET_RAW */
static void set_sysctls(json_t *lx, json_t *host)
{
    json_t *s = json_object();
    const char *net = json_string_value(json_object_get(host, "NetworkMode"));
    if (!streq(net, "host"))
        json_object_set_new(s, "net.ipv4.ping_group_range", json_string("0 2147483647"));
    json_object_update(s, json_object_get(host, "Sysctls"));
    json_object_set_new(lx, "sysctl", s);
}

int shim_set_security(json_t *spec, json_t *host, struct berth_error **err)
{
    json_t *proc = json_object_get(spec, "process"), *lx = json_object_get(spec, "linux");
    const char *nnp = secopt(host, "no-new-privileges");
    const char *paths = secopt(host, "systempaths");
    _cleanup_strv_ char **caps = container_caps(host);
    set_caps(proc, caps);
    json_object_set_new(proc, "noNewPrivileges",
                        json_boolean(nnp && (*nnp == '\0' || streq(nnp, "true"))));
    set_rlimits(proc, host);
    set_sysctls(lx, host);
    if (json_integer_value(json_object_get(host, "OomScoreAdj")) != 0) /* --oom-score-adj */
        json_object_set(proc, "oomScoreAdj", json_object_get(host, "OomScoreAdj"));
    if (json_object_get(lx, "devices") == NULL)
        json_object_set_new(lx, "devices", json_array());
    if (json_is_true(json_object_get(host, "Privileged")))
        set_privileged(spec, lx);
    else if (streq(paths, "unconfined")) {
        json_object_del(lx, "maskedPaths");
        json_object_del(lx, "readonlyPaths");
    }
    int r = set_devices(lx, host, err);
    return r < 0 ? r : set_seccomp(lx, host, caps, err);
}

/* One CDI deviceNode: the node (from hostPath, else path, on the host) at
 * path in the container, allowed in its cgroup. */
static int add_edit_node(json_t *lx, json_t *n, struct berth_error **err)
{
    const char *path = json_string_value(json_object_get(n, "path"));
    const char *host = json_string_value(json_object_get(n, "hostPath"));
    const char *perm = json_string_value(json_object_get(n, "permissions"));
    struct stat st;
    if (path == NULL || path[0] != '/')
        return berth_error_set(err, EINVAL, "device edit without an absolute path");
    if (host == NULL)
        host = path;
    if (stat(host, &st) < 0)
        return berth_error_set(err, errno, "cannot add device '%s'", host);
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
        return berth_error_set(err, ENOTBLK, "cannot add device '%s': not a device node", host);
    json_array_append_new(json_object_get(lx, "devices"), device_node(path, &st));
    json_array_append_new(json_object_get(json_object_get(lx, "resources"), "devices"),
                          device_rule(&st, perm && *perm ? perm : "rwm"));
    return 0;
}

static void add_edit_mount(json_t *spec, json_t *m)
{
    const char *src = json_string_value(json_object_get(m, "hostPath"));
    const char *dst = json_string_value(json_object_get(m, "containerPath"));
    json_t *opts = json_object_get(m, "options");
    if (src == NULL || dst == NULL)
        return;
    json_array_append_new(
        json_object_get(spec, "mounts"),
        json_pack("{s:s,s:s,s:s,s:O}", "destination", dst, "source", src, "type", "bind", "options",
                  json_is_array(opts) ? opts : json_pack("[s,s,s]", "ro", "nosuid", "nodev")));
}

/* CDI's hookName is the OCI hooks key (createRuntime, ...). */
static void add_edit_hook(json_t *spec, json_t *h)
{
    const char *name = json_string_value(json_object_get(h, "hookName"));
    if (name == NULL || json_string_value(json_object_get(h, "path")) == NULL)
        return;
    if (!json_is_object(json_object_get(spec, "hooks")))
        json_object_set_new(spec, "hooks", json_object());
    json_t *hooks = json_object_get(spec, "hooks");
    if (!json_is_array(json_object_get(hooks, name)))
        json_object_set_new(hooks, name, json_array());
    json_t *o = json_pack("{s:O}", "path", json_object_get(h, "path"));
    static const char *const keys[] = {"args", "env", "timeout"};
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if (json_object_get(h, keys[i]))
            json_object_set(o, keys[i], json_object_get(h, keys[i]));
    json_array_append_new(json_object_get(hooks, name), o);
}

int shim_set_device_edits(json_t *spec, const char *dir, json_t *host, struct berth_error **err)
{
    if (json_array_size(json_object_get(host, "DeviceRequests")) == 0)
        return 0;
    json_t *rec = json_read_file(dir, "gpus.json", err);
    if (rec == NULL) /* berthd writes it before the start: none is an error */
        return berth_error_wrap(err, "the container's devices are not assigned");
    json_t *edits = json_object_get(rec, "Edits"), *v;
    json_t *lx = json_object_get(spec, "linux");
    json_t *env = json_object_get(json_object_get(spec, "process"), "env");
    size_t i;
    int r = 0;
    json_array_foreach(json_object_get(edits, "deviceNodes"), i, v) if (r == 0) r =
        add_edit_node(lx, v, err);
    json_array_foreach(json_object_get(edits, "mounts"), i, v) add_edit_mount(spec, v);
    json_array_foreach(json_object_get(edits, "env"), i, v) if (json_is_string(v))
        json_array_append(env, v);
    json_array_foreach(json_object_get(edits, "hooks"), i, v) add_edit_hook(spec, v);
    json_decref(rec);
    return r;
}
