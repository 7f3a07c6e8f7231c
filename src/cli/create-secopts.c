/* run's and create's security flags (issue 14) into the create body's
 * HostConfig, as the docker CLI sends them: --cap-add --cap-drop
 * --security-opt --device --ulimit --sysctl (--privileged is a plain
 * boolean in create-opts.c). berthd checks the values (src/daemon/secopts.c);
 * what only the CLI can see (a seccomp file) is checked here. */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *member(json_t *host, const char *k, json_t *(*make)(void))
{
    json_t *v = json_object_get(host, k);
    if (v == NULL)
        json_object_set_new(host, k, v = make());
    return v;
}

/* seccomp=FILE: the file's JSON, compacted, as the docker CLI sends it */
static int secopt(json_t *host, const char *arg)
{
    size_t k = strcspn(arg, "=:");
    const char *file = arg[k] ? arg + k + 1 : "";
    json_t *opts = member(host, "SecurityOpt", json_array);
    if (k != 7 || strncmp(arg, "seccomp", 7) != 0 || streq(file, "unconfined")) {
        json_array_append_new(opts, json_string(arg));
        return 0;
    }
    json_error_t je;
    json_t *profile = json_load_file(file, 0, &je);
    if (profile == NULL)
        return cli_error(-1, "cannot load seccomp profile '%s': %s", file, je.text);
    _cleanup_free_ char *text = json_dumps(profile, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(profile);
    _cleanup_free_ char *opt = xasprintf("seccomp=%s", text);
    json_array_append_new(opts, json_string(opt));
    return 0;
}

static bool device_mode(const char *s)
{
    return *s && strspn(s, "rwm") == strlen(s);
}

/* HOST[:CTR[:rwm]] or HOST:rwm (docker's parseDevice) */
static int device(json_t *host, const char *arg)
{
    _cleanup_free_ char *src = xstrdup(arg);
    char *dst = strchr(src, ':'), *perm = NULL;
    if (dst)
        *dst++ = '\0';
    if (dst && (perm = strchr(dst, ':')))
        *perm++ = '\0';
    if (dst && perm == NULL && device_mode(dst)) {
        perm = dst;
        dst = NULL;
    }
    if (*src != '/' || (dst && *dst != '/') || (perm && !device_mode(perm)))
        return cli_error(-1, "invalid value '%s' for --device: HOST[:CONTAINER[:rwm]] expected",
                         arg);
    json_array_append_new(member(host, "Devices", json_array),
                          json_pack("{s:s,s:s,s:s}", "PathOnHost", src, "PathInContainer",
                                    dst ? dst : src, "CgroupPermissions", perm ? perm : "rwm"));
    return 0;
}

static int limit(const char *s, long long *v)
{
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return end == s || *end || errno || *v < -1 ? -1 : 0;
}

/* NAME=SOFT[:HARD]; berthd knows the names */
static int ulimit(json_t *host, const char *arg)
{
    _cleanup_free_ char *name = xstrdup(arg);
    char *soft = strchr(name, '='), *hard = NULL;
    long long s = 0, h = 0;
    if (soft) {
        *soft++ = '\0';
        if ((hard = strchr(soft, ':')))
            *hard++ = '\0';
    }
    if (soft == NULL || limit(soft, &s) < 0 || (hard && limit(hard, &h) < 0))
        return cli_error(-1, "invalid value '%s' for --ulimit: NAME=SOFT[:HARD] expected", arg);
    json_array_append_new(
        member(host, "Ulimits", json_array),
        json_pack("{s:s,s:I,s:I}", "Name", name, "Soft", s, "Hard", hard ? h : s));
    return 0;
}

/* --device VENDOR/CLASS=NAME: a CDI device, as docker (25+) sends it */
static bool cdi_name(const char *arg)
{
    const char *eq = strchr(arg, '='), *slash = strchr(arg, '/');
    return arg[0] != '/' && eq && slash && slash < eq && eq[1] != '\0';
}

static void cdi_device(json_t *host, const char *arg)
{
    json_array_append_new(member(host, "DeviceRequests", json_array),
                          json_pack("{s:s,s:i,s:[s],s:[],s:{}}", "Driver", "cdi", "Count", 0,
                                    "DeviceIDs", arg, "Capabilities", "Options"));
}

/* The fields of --gpus (docker's opts/gpus.go: CSV, so that
 * '"device=0,1"' keeps its comma), plus berth's `shared`. */
static char **csv_fields(const char *arg)
{
    char **v = xzalloc((strlen(arg) + 2) * sizeof(char *));
    size_t n = 0;
    for (const char *p = arg;;) {
        char *f = xzalloc(strlen(p) + 1), *w = f;
        bool quoted = false;
        for (; *p && (quoted || *p != ','); p++)
            if (*p == '"')
                quoted = !quoted;
            else
                *w++ = *p;
        v[n++] = f;
        if (*p++ != ',')
            break;
    }
    return v;
}

static int gpu_field(json_t *req, const char *f, const char *arg)
{
    const char *eq = strchr(f, '=');
    const char *val = eq ? eq + 1 : f;
    size_t klen = eq ? (size_t)(eq - f) : strlen(f);
    long long n;
    if (!eq && streq(f, "shared")) {
        json_object_set_new(json_object_get(req, "Options"), "shared", json_string("true"));
    } else if ((!eq || (klen == 5 && strncmp(f, "count", 5) == 0)) && streq(val, "all")) {
        json_object_set_new(req, "Count", json_integer(-1));
    } else if (!eq || (klen == 5 && strncmp(f, "count", 5) == 0)) {
        if (parse_i64(val, &n) < 0 || n < 1)
            return cli_error(-1, "invalid value '%s' for --gpus: count must be all or a number",
                             arg);
        json_object_set_new(req, "Count", json_integer(n));
    } else if (klen == 6 && strncmp(f, "device", 6) == 0) {
        _cleanup_free_ char *ids = xstrdup(val);
        for (char *save = NULL, *id = strtok_r(ids, ",", &save); id;
             id = strtok_r(NULL, ",", &save))
            json_array_append_new(json_object_get(req, "DeviceIDs"), json_string(id));
    } else if (klen == 12 && strncmp(f, "capabilities", 12) == 0) {
        json_array_append_new(json_array_get(json_object_get(req, "Capabilities"), 0),
                              json_string(val));
    } else if (klen == 6 && strncmp(f, "driver", 6) == 0) {
        json_object_set_new(req, "Driver", json_string(val));
    } else {
        return cli_error(-1, "invalid value '%s' for --gpus: unexpected '%s'", arg, f);
    }
    return 0;
}

/* --gpus all|N|device=ID[,ID]|capabilities=C|driver=D[,shared] */
static int gpus(json_t *host, const char *arg)
{
    json_t *req = json_pack("{s:s,s:i,s:[],s:[[]],s:{}}", "Driver", "", "Count", 0, "DeviceIDs",
                            "Capabilities", "Options");
    _cleanup_strv_ char **f = csv_fields(arg);
    for (size_t i = 0; f[i]; i++)
        if (gpu_field(req, f[i], arg) < 0) {
            json_decref(req);
            return -1;
        }
    json_t *caps = json_array_get(json_object_get(req, "Capabilities"), 0), *c;
    size_t i;
    bool gpu = false;
    json_array_foreach(caps, i, c) gpu |= streq(json_string_value(c), "gpu");
    if (!gpu)
        json_array_append_new(caps, json_string("gpu"));
    if (json_array_size(json_object_get(req, "DeviceIDs")) == 0 &&
        json_integer_value(json_object_get(req, "Count")) == 0)
        json_object_set_new(req, "Count", json_integer(streq(f[0], "shared") ? 1 : -1));
    json_array_append_new(member(host, "DeviceRequests", json_array), req);
    return 0;
}

int cli_security_flag(json_t *host, const char *flag, const char *arg)
{
    if (streq(flag, "gpus"))
        return gpus(host, arg);
    if (streq(flag, "device") && cdi_name(arg)) {
        cdi_device(host, arg);
        return 0;
    }
    if (streq(flag, "cap-add") || streq(flag, "cap-drop")) {
        json_array_append_new(
            member(host, streq(flag, "cap-add") ? "CapAdd" : "CapDrop", json_array),
            json_string(arg));
        return 0;
    }
    if (streq(flag, "security-opt"))
        return secopt(host, arg);
    if (streq(flag, "device"))
        return device(host, arg);
    if (streq(flag, "ulimit"))
        return ulimit(host, arg);
    const char *eq = strchr(arg, '='); /* sysctl */
    if (eq == NULL || eq == arg)
        return cli_error(-1, "invalid value '%s' for --sysctl: KEY=VALUE expected", arg);
    _cleanup_free_ char *k = xstrdup(arg);
    k[eq - arg] = '\0';
    json_object_set_new(member(host, "Sysctls", json_object), k, json_string(eq + 1));
    return 0;
}
