/* The mounts of a create body, parsed without touching the disk: -v's
 * HostConfig.Binds ("SRC:DST[:OPTS]"), --mount's HostConfig.Mounts,
 * --tmpfs's HostConfig.Tmpfs, and the anonymous volumes of the body's and
 * the image's Volumes. Whatever berth cannot honour (SELinux relabels,
 * volume drivers, bind options) is refused by name. */
#include "mounts.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const propagations[] = {"private", "rprivate", "shared",
                                           "rshared", "slave",    "rslave"};

static bool is_propagation(const char *s)
{
    for (size_t i = 0; i < ARRAY_SIZE(propagations); i++)
        if (streq(s, propagations[i]))
            return true;
    return false;
}

bool mounts_volume_name_valid(const char *n)
{
    if (!isalnum((unsigned char)n[0]) || n[1] == '\0' || strlen(n) > 128)
        return false;
    for (const char *p = n; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
            return false;
    return true;
}

static int check_dest(const char *spec, const char *dst, struct berth_error **err)
{
    if (dst == NULL || dst[0] != '/')
        return berth_error_set(err, EINVAL,
                               "invalid mount config '%s': the destination must be an "
                               "absolute path",
                               spec);
    if (streq(dst, "/"))
        return berth_error_set(err, EINVAL,
                               "invalid mount config '%s': the destination can't be '/'", spec);
    return 0;
}

static json_t *new_mount(const char *type, const char *name, const char *src, const char *dst,
                         bool rw)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s}", "Type", type, "Name", name, "Source", src,
                     "Destination", dst, "Driver", streq(type, "volume") ? "local" : "", "Mode", "",
                     "RW", rw, "Propagation", streq(type, "bind") ? "rprivate" : "");
}

/* A source that is not a path names a volume. */
static int source_mount(const char *spec, const char *src, const char *dst, json_t **ret,
                        struct berth_error **err)
{
    if (check_dest(spec, dst, err) < 0)
        return -EINVAL;
    if (src[0] == '/') {
        *ret = new_mount("bind", "", src, dst, true);
        return 0;
    }
    if (!mounts_volume_name_valid(src))
        return berth_error_set(err, EINVAL,
                               "create %s: \"%s\" includes invalid characters for a local "
                               "volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. "
                               "If you intended to pass a host directory, use absolute path",
                               src, src);
    *ret = new_mount("volume", src, "", dst, true);
    return 0;
}

static int bind_opts(const char *spec, const char *opts, json_t *m, struct berth_error **err)
{
    _cleanup_free_ char *copy = xstrdup(opts);
    char *save = NULL;
    bool bind = streq(json_string_value(json_object_get(m, "Type")), "bind");
    for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        if (streq(o, "ro") || streq(o, "rw"))
            json_object_set_new(m, "RW", json_boolean(streq(o, "rw")));
        else if (streq(o, "nocopy") && !bind)
            json_object_set_new(m, "NoCopy", json_true());
        else if (is_propagation(o) && bind)
            json_object_set_new(m, "Propagation", json_string(o));
        else if (streq(o, "z") || streq(o, "Z"))
            return berth_error_set(err, EINVAL,
                                   "mount option '%s' (SELinux relabel) is not supported by "
                                   "berth yet",
                                   o);
        else
            return berth_error_set(err, EINVAL, "invalid mode: %s (in '%s')", o, spec);
    }
    json_object_set_new(m, "Mode", json_string(opts));
    return 0;
}

/* -v SRC:DST[:OPTS]; a missing bind source is created, as docker does. */
static int parse_bind(const char *spec, json_t **ret, struct berth_error **err)
{
    _cleanup_free_ char *s = xstrdup(spec);
    char *dst = strchr(s, ':'), *opts = NULL;
    if (dst == NULL)
        return berth_error_set(err, EINVAL,
                               "invalid volume specification: '%s': SRC:DST[:OPTS] expected", spec);
    *dst++ = '\0';
    if ((opts = strchr(dst, ':')) != NULL)
        *opts++ = '\0';
    if (*s == '\0' || (opts && strchr(opts, ':')))
        return berth_error_set(err, EINVAL, "invalid volume specification: '%s'", spec);
    json_t *m = NULL;
    if (source_mount(spec, s, dst, &m, err) < 0)
        return -EINVAL;
    if (opts && bind_opts(spec, opts, m, err) < 0) {
        json_decref(m);
        return -EINVAL;
    }
    if (s[0] == '/')
        json_object_set_new(m, "Create", json_true());
    *ret = m;
    return 0;
}

/* --tmpfs DST[:OPTS]: docker's defaults noexec, nosuid, nodev unless the
 * options say exec, suid, dev; size=, mode=, uid=, gid=, nr_inodes= go to
 * the file system. */
static int tmpfs_options(const char *dst, const char *opts, json_t **ret, struct berth_error **err)
{
    static const char *const flags[] = {"ro",     "rw",   "noexec", "exec",
                                        "nosuid", "suid", "nodev",  "dev"};
    static const char *const data[] = {
        "size=", "mode=", "uid=", "gid=", "nr_inodes=", "nr_blocks="};
    json_t *o = json_array();
    bool ex = false, su = false, dv = false;
    _cleanup_free_ char *copy = xstrdup(opts ? opts : "");
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        bool ok = false;
        for (size_t i = 0; i < ARRAY_SIZE(flags) && !ok; i++)
            ok = streq(t, flags[i]);
        for (size_t i = 0; i < ARRAY_SIZE(data) && !ok; i++)
            ok = strncmp(t, data[i], strlen(data[i])) == 0 && t[strlen(data[i])] != '\0';
        if (!ok) {
            json_decref(o);
            return berth_error_set(err, EINVAL, "invalid tmpfs option '%s' for '%s'", t, dst);
        }
        ex |= streq(t, "exec") || streq(t, "noexec");
        su |= streq(t, "suid") || streq(t, "nosuid");
        dv |= streq(t, "dev") || streq(t, "nodev");
        json_array_append_new(o, json_string(t));
    }
    if (!ex)
        json_array_append_new(o, json_string("noexec"));
    if (!su)
        json_array_append_new(o, json_string("nosuid"));
    if (!dv)
        json_array_append_new(o, json_string("nodev"));
    *ret = o;
    return 0;
}

static int tmpfs_mount(const char *dst, const char *opts, json_t **ret, struct berth_error **err)
{
    json_t *o = NULL;
    if (check_dest(dst, dst, err) < 0 || tmpfs_options(dst, opts, &o, err) < 0)
        return -EINVAL;
    json_t *m = new_mount("tmpfs", "", "tmpfs", dst, true);
    size_t i;
    json_t *t;
    json_array_foreach(o, i, t) if (streq(json_string_value(t), "ro"))
        json_object_set_new(m, "RW", json_false());
    json_object_set_new(m, "Options", o);
    json_object_set_new(m, "Mode", json_string(opts ? opts : ""));
    *ret = m;
    return 0;
}

/* Docker's "unset", down to the leaves. */
static bool empty(json_t *v)
{
    const char *k;
    json_t *m;
    if (v == NULL || json_is_null(v) || json_is_false(v) ||
        (json_is_integer(v) && json_integer_value(v) == 0) ||
        (json_is_string(v) && *json_string_value(v) == '\0') ||
        (json_is_array(v) && json_array_size(v) == 0))
        return true;
    if (!json_is_object(v))
        return false;
    json_object_foreach(v, k, m) if (!empty(m)) return false;
    return true;
}

/* --mount's TmpfsOptions into --tmpfs's option string. */
static char *tmpfs_opts_string(json_t *to)
{
    json_int_t size = json_integer_value(json_object_get(to, "SizeBytes"));
    json_int_t mode = json_integer_value(json_object_get(to, "Mode"));
    char buf[96] = "";
    if (size > 0)
        snprintf(buf, sizeof(buf), "size=%lld", (long long)size);
    if (mode > 0)
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%smode=%llo", *buf ? "," : "",
                 (unsigned long long)mode);
    return xstrdup(buf);
}

/* One entry of --mount's HostConfig.Mounts. */
static int parse_mount_entry(json_t *e, json_t **ret, struct berth_error **err)
{
    static const char *const known[] = {"Type",         "Source",      "Target",
                                        "ReadOnly",     "Consistency", "VolumeOptions",
                                        "TmpfsOptions", "BindOptions"};
    const char *k, *type = json_string_value(json_object_get(e, "Type"));
    const char *src = json_string_value(json_object_get(e, "Source"));
    const char *dst = json_string_value(json_object_get(e, "Target"));
    json_t *v, *vo = json_object_get(e, "VolumeOptions");
    if (!json_is_object(e))
        return berth_error_set(err, EINVAL, "invalid type for field 'HostConfig.Mounts'");
    json_object_foreach(e, k, v)
    {
        bool ok = false;
        for (size_t i = 0; i < ARRAY_SIZE(known) && !ok; i++)
            ok = streq(k, known[i]);
        if (!ok && !empty(v))
            return berth_error_set(err, EINVAL, "mount option %s is not supported by berth yet", k);
    }
    if (!empty(json_object_get(e, "BindOptions")) || !empty(json_object_get(vo, "Labels")) ||
        !empty(json_object_get(vo, "DriverConfig")))
        return berth_error_set(err, EINVAL,
                               "mount options bind-propagation, volume-label, "
                               "volume-driver are not supported by berth yet");
    if (type && streq(type, "tmpfs")) {
        if (!empty(json_object_get(e, "Source")))
            return berth_error_set(err, EINVAL,
                                   "invalid mount config for type \"tmpfs\": "
                                   "source is not allowed");
        _cleanup_free_ char *o = tmpfs_opts_string(json_object_get(e, "TmpfsOptions"));
        if (tmpfs_mount(dst, *o ? o : NULL, ret, err) < 0)
            return -EINVAL;
    } else if (type && (streq(type, "bind") || streq(type, "volume"))) {
        bool bind = streq(type, "bind");
        if ((bind && (src == NULL || src[0] != '/')) || (!bind && src && src[0] == '/'))
            return berth_error_set(err, EINVAL,
                                   "invalid mount config for type \"%s\": invalid source '%s'",
                                   type, src ? src : "");
        if (!empty(json_object_get(e, "TmpfsOptions")))
            return berth_error_set(err, EINVAL, "invalid mount config: tmpfs options on a %s",
                                   type);
        if (src == NULL || *src == '\0') {
            if (check_dest(dst ? dst : "", dst, err) < 0)
                return -EINVAL;
            *ret = new_mount("volume", "", "", dst, true);
        } else if (source_mount(dst ? dst : "", src, dst, ret, err) < 0) {
            return -EINVAL;
        }
        if (json_is_true(json_object_get(vo, "NoCopy")))
            json_object_set_new(*ret, "NoCopy", json_true());
    } else {
        return berth_error_set(err, EINVAL, "mount type '%s' is not supported by berth yet",
                               type ? type : "");
    }
    if (json_is_true(json_object_get(e, "ReadOnly")))
        json_object_set_new(*ret, "RW", json_false());
    return 0;
}

static int add_mount(json_t *out, json_t *m, struct berth_error **err)
{
    const char *dst = json_string_value(json_object_get(m, "Destination"));
    size_t i;
    json_t *o;
    json_array_foreach(out, i, o)
    {
        if (streq(json_string_value(json_object_get(o, "Destination")), dst)) {
            int r = berth_error_set(err, EINVAL, "Duplicate mount point: %s", dst);
            json_decref(m);
            return r;
        }
    }
    json_array_append_new(out, m);
    return 0;
}

/* Binds, Mounts and Tmpfs, in that order. */
static int host_mounts(json_t *host, json_t *out, struct berth_error **err)
{
    size_t i;
    const char *k;
    json_t *e, *m = NULL;
    json_array_foreach(json_object_get(host, "Binds"), i, e)
    {
        if (parse_bind(json_string_value(e), &m, err) < 0 || add_mount(out, m, err) < 0)
            return -EINVAL;
    }
    json_array_foreach(json_object_get(host, "Mounts"), i, e)
    {
        if (parse_mount_entry(e, &m, err) < 0 || add_mount(out, m, err) < 0)
            return -EINVAL;
    }
    json_object_foreach(json_object_get(host, "Tmpfs"), k, e)
    {
        const char *o = json_string_value(e);
        if (tmpfs_mount(k, o && *o ? o : NULL, &m, err) < 0 || add_mount(out, m, err) < 0)
            return -EINVAL;
    }
    return 0;
}

/* Config.Volumes: an anonymous volume for each path no mount covers. */
static int anon_volumes(json_t *vols, json_t *out, struct berth_error **err)
{
    const char *dst;
    json_t *v, *o;
    size_t i;
    json_object_foreach(vols, dst, v)
    {
        bool covered = false;
        json_array_foreach(out, i, o) covered |=
            streq(json_string_value(json_object_get(o, "Destination")), dst);
        if (covered)
            continue;
        if (check_dest(dst, dst, err) < 0)
            return -EINVAL;
        json_array_append_new(out, new_mount("volume", "", "", dst, true));
    }
    return 0;
}

int mounts_parse(json_t *body, json_t *imgcfg, json_t **ret, struct berth_error **err)
{
    json_t *out = json_array();
    int r = host_mounts(json_object_get(body, "HostConfig"), out, err);
    if (r == 0)
        r = anon_volumes(json_object_get(body, "Volumes"), out, err);
    if (r == 0)
        r = anon_volumes(json_object_get(imgcfg, "Volumes"), out, err);
    if (r < 0) {
        json_decref(out);
        return r;
    }
    *ret = out;
    return 0;
}
