/* The checks of a create body (POST /containers/create) that need no
 * disk: its JSON, the types of its fields, what berth cannot honour yet
 * (refused by name: DESIGN.md, never silently ignored), the name, the host
 * config, and the process from the body over the image's config. The fuzz
 * target tests/fuzz/fuzz-api-body.c drives them with any input. */
#include "body.h"
#include "cpuplace.h"
#include "mounts.h"
#include "netopts.h"
#include "secopts.h"
#include "user.h"
#include "cleanup.h"
#include "error.h"
#include "signals.h"
#include "units.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int body_parse(const char *text, size_t len, json_t **ret, struct berth_error **err)
{
    json_error_t je;
    if (text == NULL || len == 0) {
        *ret = json_object();
        return 0;
    }
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        return berth_error_set(err, EINVAL, "invalid JSON: %s", je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return berth_error_set(err, EINVAL, "invalid JSON: the body is not an object");
    }
    *ret = j;
    return 0;
}

/* Docker's "not set": absent, null, false, 0, "", [] or {}. */
static bool unset(json_t *v)
{
    return v == NULL || json_is_null(v) || json_is_false(v) ||
           (json_is_integer(v) && json_integer_value(v) == 0) ||
           (json_is_string(v) && *json_string_value(v) == '\0') ||
           (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_object(v) && json_object_size(v) == 0);
}

/* Unset all the way down: the docker CLI sends NetworkingConfig as
 * {"EndpointsConfig":{"default":{"Aliases":null,"IPAddress":"",...}}}. */
static bool deep_unset(json_t *v)
{
    const char *k;
    json_t *m;
    if (unset(v))
        return true;
    if (!json_is_object(v))
        return false;
    json_object_foreach(v, k, m) if (!deep_unset(m)) return false;
    return true;
}

enum ftype { F_ANY, F_STR, F_STRV, F_INT, F_BOOL, F_OBJ, F_STRMAP, F_ARR };

struct field {
    const char *name;
    enum ftype type;
    bool pending; /* listed, but refused until its part of berth honours it */
};

/* The allow-list (fail closed): a field not listed here is refused by
 * name unless unset. Honouring a new field is one line here plus its use. */
static const struct field config_fields[] = {
    {"Image", F_STR, false},
    {"Cmd", F_STRV, false},
    {"Entrypoint", F_STRV, false},
    {"Env", F_STRV, false},
    {"WorkingDir", F_STR, false},
    {"User", F_STR, false},
    {"Hostname", F_STR, false},
    {"Labels", F_STRMAP, false},
    {"HostConfig", F_OBJ, false},
    {"AttachStdout", F_BOOL, false},
    {"AttachStderr", F_BOOL, false},
    {"Volumes", F_OBJ, false},
    {"StopSignal", F_STR, false},
    {"StopTimeout", F_INT, false},
    {"NetworkingConfig", F_OBJ, false},
    {"Rootfs", F_STR, false}, /* berth's own: --rootfs DIR instead of an image */
    {"Tty", F_BOOL, false},   /* the shim's pty (src/shim/tty.c) */
    {"OpenStdin", F_BOOL, false},
    {"StdinOnce", F_BOOL, false},
    {"AttachStdin", F_BOOL, false},
    {"Healthcheck", F_OBJ, false}, /* carried out by the shim (src/shim/health.c) */
    /* networking (issue 15): netopts.c checks them, netctr.c applies */
    {"ExposedPorts", F_OBJ, false},
    {"MacAddress", F_STR, false},
    {"Domainname", F_STR, false},
};

static const struct field host_fields[] = {
    {"NetworkMode", F_STR, false},
    {"Memory", F_INT, false},
    {"MemoryReservation", F_INT, false},
    {"MemorySwap", F_INT, false},
    {"MemorySwappiness", F_INT, false}, /* -1 (the default) only */
    {"NanoCpus", F_INT, false},
    {"CpuPeriod", F_INT, false}, /* with CpuQuota, instead of NanoCpus */
    {"CpuQuota", F_INT, false},
    {"CpuShares", F_INT, false},
    {"CpusetCpus", F_STR, false},     /* also "auto[:N]": placement.c */
    {"BerthPlacement", F_STR, false}, /* berth's own: --placement spread|pack */
    {"DeviceRequests", F_ARR, false}, /* --gpus, CDI devices: check_device_requests, gpu.c */
    {"CpusetMems", F_STR, false},
    {"PidsLimit", F_INT, false},
    {"BlkioWeight", F_INT, false},
    {"BlkioDeviceReadBps", F_ARR, false}, /* [{"Path","Rate"}]: check_throttles */
    {"BlkioDeviceWriteBps", F_ARR, false},
    {"BlkioDeviceReadIOps", F_ARR, false},
    {"BlkioDeviceWriteIOps", F_ARR, false},
    {"AutoRemove", F_BOOL, false},
    {"Init", F_BOOL, false},
    {"ReadonlyRootfs", F_BOOL, false},
    {"ShmSize", F_INT, false}, /* the size of /dev/shm (src/shim/spec.c) */
    {"LogConfig", F_OBJ, false},
    {"RestartPolicy", F_OBJ, false}, /* carried out by the shim (restart.c) */
    {"Binds", F_STRV, false},
    {"Mounts", F_ARR, false},
    {"Tmpfs", F_STRMAP, false},
    {"ConsoleSize", F_ARR, false}, /* [h, w]: the tty's first size (with Tty) */
    {"Runtime", F_STR, false},     /* resolved by runtime.c (berth, runc, crun, a path) */
    /* security (issue 14): secopts.c checks them, src/shim/security.c applies */
    {"CapAdd", F_STRV, false},
    {"CapDrop", F_STRV, false},
    {"SecurityOpt", F_STRV, false},
    {"Devices", F_ARR, false},
    {"Ulimits", F_ARR, false},
    {"Sysctls", F_STRMAP, false},
    {"Privileged", F_BOOL, false},
    /* networking (issue 15): netopts.c checks them, netctr.c applies */
    {"PortBindings", F_OBJ, false},
    {"PublishAllPorts", F_BOOL, false},
    {"Dns", F_STRV, false},
    {"DnsSearch", F_STRV, false},
    {"DnsOptions", F_STRV, false},
    {"ExtraHosts", F_STRV, false},
    /* namespaces: the syntax here, nsopts.c joins, src/shim/spec.c applies */
    {"PidMode", F_STR, false},
    {"IpcMode", F_STR, false},
    {"UTSMode", F_STR, false},
    {"CgroupnsMode", F_STR, false},       /* "host" or "private" (the default) */
    {"GroupAdd", F_STRV, false},          /* resolved in the image's /etc/group (user.c) */
    {"OomScoreAdj", F_INT, false},        /* the shim's process.oomScoreAdj */
    {"DeviceCgroupRules", F_STRV, false}, /* secopts.c checks, src/shim/security.c applies */
};

static bool type_ok(json_t *v, enum ftype t)
{
    size_t i;
    const char *k;
    json_t *e;
    switch (t) {
    case F_STR:
        return json_is_string(v);
    case F_INT:
        return json_is_integer(v);
    case F_BOOL:
        return json_is_boolean(v);
    case F_OBJ:
        return json_is_object(v);
    case F_ARR:
        return json_is_array(v);
    case F_STRV:
        json_array_foreach(v, i, e) if (!json_is_string(e)) return false;
        return json_is_array(v);
    case F_STRMAP:
        json_object_foreach(v, k, e) if (!json_is_string(e)) return false;
        return json_is_object(v);
    case F_ANY:
    default:
        return true;
    }
}

static const struct field *find_field(const struct field *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (streq(t[i].name, name))
            return &t[i];
    return NULL;
}

/* Every member of `obj` against the table `t`: listed ones must have their
 * type, pending and unknown ones must be unset. */
static int check_fields(json_t *obj, const struct field *t, size_t n, const char *prefix,
                        struct berth_error **err)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        const struct field *f = find_field(t, n, k);
        if (f == NULL || f->pending) {
            if (!unset(v))
                return berth_error_set(err, EINVAL, "%s%s is not supported by berth yet", prefix,
                                       k);
            continue;
        }
        if (!json_is_null(v) && !type_ok(v, f->type))
            return berth_error_set(err, EINVAL, "invalid type for field '%s%s'", prefix, k);
    }
    return 0;
}

/* --log-opt: max-size and max-file (the shim rotates), mode and
 * max-buffer-size (the shim's ring); every other option is refused by
 * name. */
static int check_log_opts(json_t *cfg, struct berth_error **err)
{
    const char *k;
    json_t *v;
    int64_t size = 0, bufsize = 0;
    long long files = 1;
    bool nonblocking = false;
    if (cfg && !json_is_null(cfg) && !json_is_object(cfg))
        return berth_error_set(err, EINVAL, "invalid LogConfig.Config: an object expected");
    json_object_foreach(cfg, k, v)
    {
        const char *s = json_string_value(v);
        if (s == NULL)
            return berth_error_set(err, EINVAL, "invalid log-opt %s: a string expected", k);
        if (streq(k, "max-size")) {
            if (berth_parse_size(s, &size) < 0 || size <= 0)
                return berth_error_set(err, EINVAL, "invalid log-opt max-size '%s'", s);
        } else if (streq(k, "max-file")) {
            if (parse_i64(s, &files) < 0 || files < 1)
                return berth_error_set(err, EINVAL, "max-file cannot be less than 1: '%s'", s);
        } else if (streq(k, "mode")) { /* the shim's ring (src/shim/logbuf.h) */
            if (!streq(s, "blocking") && !streq(s, "non-blocking"))
                return berth_error_set(err, EINVAL,
                                       "invalid log-opt mode '%s' (blocking or non-blocking)", s);
            nonblocking = streq(s, "non-blocking");
        } else if (streq(k, "max-buffer-size")) {
            if (berth_parse_size(s, &bufsize) < 0 || bufsize <= 0)
                return berth_error_set(err, EINVAL, "invalid log-opt max-buffer-size '%s'", s);
        } else {
            return berth_error_set(err, EINVAL,
                                   "log-opt '%s' is not supported by berth yet (only max-size, "
                                   "max-file, mode, max-buffer-size)",
                                   k);
        }
    }
    if (files > 1 && size == 0)
        return berth_error_set(err, EINVAL, "max-file cannot be set without max-size");
    if (bufsize > 0 && !nonblocking)
        return berth_error_set(err, EINVAL, "log-opt max-buffer-size needs mode=non-blocking");
    return 0;
}

/* Docker's checks of HostConfig.RestartPolicy (carried out by the shim). */
int body_check_restart_policy(json_t *host, struct berth_error **err)
{
    json_t *rpol = json_object_get(host, "RestartPolicy");
    const char *rp = json_string_value(json_object_get(rpol, "Name"));
    json_t *max = json_object_get(rpol, "MaximumRetryCount");
    if (!unset(rpol) && !json_is_object(rpol))
        return berth_error_set(err, EINVAL, "HostConfig.RestartPolicy must be an object");
    if (json_object_get(rpol, "Name") && !rp)
        return berth_error_set(err, EINVAL, "HostConfig.RestartPolicy.Name must be a string");
    if (!unset(max) && !json_is_integer(max))
        return berth_error_set(err, EINVAL,
                               "HostConfig.RestartPolicy.MaximumRetryCount must be an integer");
    rp = rp ? rp : "";
    if (!streq(rp, "") && !streq(rp, "no") && !streq(rp, "always") &&
        !streq(rp, "unless-stopped") && !streq(rp, "on-failure"))
        return berth_error_set(err, EINVAL,
                               "invalid restart policy: unknown policy '%s'; use one of 'no', "
                               "'always', 'on-failure', or 'unless-stopped'",
                               rp);
    if (json_integer_value(max) < 0)
        return berth_error_set(err, EINVAL,
                               "invalid restart policy: maximum retry count cannot be negative");
    if (json_integer_value(max) != 0 && !streq(rp, "on-failure"))
        return berth_error_set(err, EINVAL,
                               "invalid restart policy: maximum retry count can only be used "
                               "with 'on-failure'");
    if (*rp && !streq(rp, "no") && json_is_true(json_object_get(host, "AutoRemove")))
        return berth_error_set(err, EINVAL,
                               "can't create 'AutoRemove' container with restart policy");
    return 0;
}

/* The honoured fields whose values berth takes only in part. */
static int check_partial(json_t *body, json_t *host, struct berth_error **err)
{
    json_t *sw = json_object_get(host, "MemorySwappiness");
    if (json_is_integer(sw) && json_integer_value(sw) != -1)
        return berth_error_set(err, EINVAL,
                               "HostConfig.MemorySwappiness is not supported by "
                               "berth yet");
    if (body_check_restart_policy(host, err) < 0)
        return -EINVAL;
    /* a tty under another runtime needs its --console-socket in the shim */
    const char *rt = json_string_value(json_object_get(host, "Runtime"));
    if (json_is_true(json_object_get(body, "Tty")) && rt && *rt && !streq(rt, "berth") &&
        !streq(rt, "berth-runtime"))
        return berth_error_set(err, EINVAL,
                               "Tty with runtime '%s' is not supported by berth yet (only berth's "
                               "own)",
                               rt);
    json_t *lc = json_object_get(host, "LogConfig");
    const char *lt = json_string_value(json_object_get(lc, "Type"));
    if (lt && *lt && !streq(lt, "json-file"))
        return berth_error_set(err, EINVAL,
                               "log driver '%s' is not supported: berth writes json-file logs", lt);
    return check_log_opts(json_object_get(lc, "Config"), err);
}

static int check_allowed(json_t *body, struct berth_error **err)
{
    if (!json_is_object(body))
        return berth_error_set(err, EINVAL, "the request body is not a JSON object");
    int r = check_fields(body, config_fields, ARRAY_SIZE(config_fields), "", err);
    json_t *host = json_object_get(body, "HostConfig");
    if (r == 0)
        r = check_fields(host, host_fields, ARRAY_SIZE(host_fields), "HostConfig.", err);
    if (r == 0)
        r = check_partial(body, host, err);
    return r;
}

json_t *body_host_config(json_t *body, const char *net)
{
    json_t *host = json_object_get(body, "HostConfig"), *hc = json_object();
    for (size_t i = 0; i < ARRAY_SIZE(host_fields); i++) {
        json_t *v = json_object_get(host, host_fields[i].name);
        if (!host_fields[i].pending && v && !json_is_null(v))
            json_object_set(hc, host_fields[i].name, v);
    }
    json_object_set_new(hc, "NetworkMode", json_string(net));
    static const char *const defaults[][2] = {{"IpcMode", "private"}, {"CgroupnsMode", "private"}};
    for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
        const char *v = json_string_value(json_object_get(hc, defaults[i][0]));
        if (v == NULL || *v == '\0') /* Docker's defaults, shown by inspect */
            json_object_set_new(hc, defaults[i][0], json_string(defaults[i][1]));
    }
    json_t *lc = json_object_get(json_object_get(host, "LogConfig"), "Config");
    json_object_set_new(hc, "LogConfig",
                        json_pack("{s:s,s:O}", "Type", "json-file", "Config",
                                  json_is_object(lc) ? lc : json_object()));
    json_t *rpol = json_object_get(host, "RestartPolicy");
    const char *rp = json_string_value(json_object_get(rpol, "Name"));
    json_object_set_new(hc, "RestartPolicy",
                        json_pack("{s:s,s:I}", "Name", rp && *rp ? rp : "no", "MaximumRetryCount",
                                  json_integer_value(json_object_get(rpol, "MaximumRetryCount"))));
    return hc;
}

static json_int_t host_int(json_t *host, const char *k)
{
    return json_integer_value(json_object_get(host, k));
}

/* Docker's checks of the memory values (daemon/daemon_unix.go). */
static int check_memory(json_t *host, struct berth_error **err)
{
    json_int_t mem = host_int(host, "Memory"), res = host_int(host, "MemoryReservation");
    json_int_t swap = host_int(host, "MemorySwap");
    if (mem < 0 || res < 0 || swap < -1)
        return berth_error_set(err, EINVAL, "invalid %s: a negative size",
                               mem < 0   ? "--memory (HostConfig.Memory)"
                               : res < 0 ? "--memory-reservation (HostConfig.MemoryReservation)"
                                         : "--memory-swap (HostConfig.MemorySwap)");
    if (mem > 0 && mem < 6 * 1024 * 1024)
        return berth_error_set(err, EINVAL, "Minimum memory limit allowed is 6MB");
    if (res > 0 && res < 6 * 1024 * 1024)
        return berth_error_set(err, EINVAL, "Minimum memory reservation allowed is 6MB");
    if (mem > 0 && res > mem)
        return berth_error_set(err, EINVAL,
                               "Minimum memory limit can not be less than memory reservation "
                               "limit, see usage (--memory-reservation is above --memory)");
    if (swap > 0 && mem == 0)
        return berth_error_set(err, EINVAL,
                               "You should always set the Memory limit when using "
                               "Memoryswap limit, see usage");
    if (swap > 0 && swap < mem)
        return berth_error_set(err, EINVAL,
                               "Minimum memoryswap limit should be larger than "
                               "memory limit, see usage");
    return 0;
}

/* "0-3,5": what cpuset.cpus and cpuset.mems take. */
static bool cpuset_valid(const char *s)
{
    if (*s == '\0')
        return true;
    for (const char *p = s;;) {
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
        if (*p == '-') {
            p++;
            if (!isdigit((unsigned char)*p))
                return false;
            while (isdigit((unsigned char)*p))
                p++;
        }
        if (*p == '\0')
            return true;
        if (*p++ != ',')
            return false;
    }
}

/* Whether every cpu (node) of `want` is in the host's list at `online`
 * (sysfs); no such file: only 0 is. */
static bool cpuset_available(const char *want, const char *online, char **ret_have)
{
    _cleanup_free_ char *have = NULL;
    if (read_file_at(-1, online, &have, NULL, NULL) < 0)
        have = xstrdup("0");
    have[strcspn(have, "\n")] = '\0';
    for (const char *w = want; *w;) {
        unsigned long lo = strtoul(w, (char **)&w, 10), hi = lo;
        if (*w == '-')
            hi = strtoul(w + 1, (char **)&w, 10);
        w += *w == ',';
        for (unsigned long c = lo; c <= hi; c++) {
            bool in = false;
            for (const char *h = have; *h && !in;) {
                unsigned long a = strtoul(h, (char **)&h, 10), b = a;
                if (*h == '-')
                    b = strtoul(h + 1, (char **)&h, 10);
                h += *h == ',';
                in = c >= a && c <= b;
                if (*h && !isdigit((unsigned char)*h))
                    break;
            }
            if (!in) {
                *ret_have = TAKE_PTR(have);
                return false;
            }
        }
    }
    return true;
}

/* Docker's checks of CpusetCpus and CpusetMems against the host. */
static int check_cpusets(json_t *host, struct berth_error **err)
{
    static const char *const sets[] = {"CpusetCpus", "CpusetMems"};
    static const char *const online[] = {"/sys/devices/system/cpu/online",
                                         "/sys/devices/system/node/online"};
    for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
        const char *s = json_string_value(json_object_get(host, sets[i]));
        _cleanup_free_ char *have = NULL;
        unsigned want;
        bool bad = false;
        if (i == 0 && cpuplace_is_auto(s, &want, &bad)) {
            /* placement (issue 17): the CPUs are picked at each start */
            long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
            if (want > 0 && (long)want > ncpu)
                return berth_error_set(err, EINVAL,
                                       "Requested CPUs are not available - requested %s, "
                                       "%ld online",
                                       s, ncpu);
            continue;
        }
        if (s && (bad || !cpuset_valid(s)))
            return berth_error_set(err, EINVAL, "invalid value '%s' for HostConfig.%s", s, sets[i]);
        if (s && *s && strlen(s) < 256 && !cpuset_available(s, online[i], &have))
            return berth_error_set(err, EINVAL,
                                   "Requested %s are not available - requested %s, available: %s",
                                   i == 0 ? "CPUs" : "memory nodes", s, have);
    }
    return 0;
}

/* berth's HostConfig.BerthPlacement (--placement): spread or pack, for a
 * container that says how much CPU it uses and is not pinned by hand. */
static int check_placement(json_t *host, struct berth_error **err)
{
    json_t *v = json_object_get(host, "BerthPlacement");
    const char *pol = json_string_value(v);
    const char *set = json_string_value(json_object_get(host, "CpusetCpus"));
    enum cpuplace_policy p;
    unsigned n;
    bool bad;
    if (v == NULL || body_unset(v))
        return 0;
    if (cpuplace_policy_parse(pol, &p) < 0)
        return berth_error_set(err, EINVAL, "invalid placement '%s': use spread or pack", pol);
    bool is_auto = cpuplace_is_auto(set, &n, &bad);
    if (set && *set && !is_auto)
        return berth_error_set(err, EINVAL,
                               "placement %s cannot go with CpusetCpus %s: use CpusetCpus auto "
                               "or none",
                               pol, set);
    if (!is_auto && host_int(host, "NanoCpus") <= 0 && host_int(host, "CpuQuota") <= 0)
        return berth_error_set(err, EINVAL,
                               "placement %s needs NanoCpus (--cpus) or CpusetCpus auto", pol);
    return 0;
}

static bool gpu_capability(const char *c)
{
    static const char *const caps[] = {"gpu",   "compute", "utility", "graphics",
                                       "video", "display", "compat32"};
    for (size_t i = 0; c && i < ARRAY_SIZE(caps); i++)
        if (streq(c, caps[i]))
            return true;
    return false;
}

/* One of HostConfig.DeviceRequests: Docker's --gpus (Driver "" or
 * "nvidia", Capabilities [["gpu", ...]]) or a CDI request (Driver "cdi",
 * DeviceIDs of qualified names); Options: berth's "shared" only. */
static int check_device_request(json_t *d, struct berth_error **err)
{
    const char *drv = json_string_value(json_object_get(d, "Driver"));
    json_t *ids = json_object_get(d, "DeviceIDs"), *caps = json_object_get(d, "Capabilities");
    json_t *opts = json_object_get(d, "Options"), *v, *set;
    bool cdi = drv && streq(drv, "cdi"), gpu = false;
    size_t i, k;
    const char *key;
    if (!json_is_object(d) || (drv && !streq(drv, "") && !streq(drv, "nvidia") && !cdi))
        return berth_error_set(err, EINVAL,
                               "device request driver '%s' is not supported "
                               "(nvidia, cdi)",
                               drv ? drv : "?");
    if (!body_unset(ids) && !json_is_array(ids))
        return berth_error_set(err, EINVAL, "invalid type for DeviceRequests DeviceIDs");
    json_array_foreach(ids, i, v) if (!json_is_string(v) || !*json_string_value(v) ||
                                      (cdi && !strchr(json_string_value(v), '=')))
    {
        return berth_error_set(err, EINVAL, "invalid device id '%s' in DeviceRequests",
                               json_string_value(v) ? json_string_value(v) : "?");
    }
    json_int_t count = json_integer_value(json_object_get(d, "Count"));
    if (count < -1 || (count != 0 && json_array_size(ids) > 0))
        return berth_error_set(err, EINVAL,
                               count < -1 ? "invalid device count %lld"
                                          : "cannot set both Count and DeviceIDs on "
                                            "device request",
                               (long long)count);
    if (cdi)
        return json_array_size(ids) > 0 && count == 0
                   ? 0
                   : berth_error_set(err, EINVAL, "a CDI device request needs device names");
    json_array_foreach(caps, i, set) json_array_foreach(set, k, v)
    {
        if (!gpu_capability(json_string_value(v)))
            return berth_error_set(err, EINVAL, "device capability '%s' is not supported (gpu)",
                                   json_string_value(v) ? json_string_value(v) : "?");
        gpu |= streq(json_string_value(v), "gpu");
    }
    if (!gpu)
        return berth_error_set(err, EINVAL, "a device request needs the gpu capability");
    if (count == 0 && json_array_size(ids) == 0)
        return berth_error_set(err, EINVAL, "a GPU request needs a count or device ids");
    json_object_foreach(opts, key, v) if (!streq(key, "shared") || !json_is_string(v))
    {
        return berth_error_set(err, EINVAL, "device request option '%s' is not supported", key);
    }
    return 0;
}

static int check_device_requests(json_t *host, struct berth_error **err)
{
    json_t *d;
    size_t i;
    json_array_foreach(json_object_get(host, "DeviceRequests"), i,
                       d) if (check_device_request(d, err) < 0)
    {
        return -EINVAL;
    }
    return 0;
}

/* HostConfig.BlkioDevice{Read,Write}{Bps,IOps}: [{"Path": a block
 * device, "Rate": >= 0}]. */
static int check_throttles(json_t *host, struct berth_error **err)
{
    static const char *const keys[] = {"BlkioDeviceReadBps", "BlkioDeviceWriteBps",
                                       "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps"};
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        size_t k;
        json_t *d;
        json_array_foreach(json_object_get(host, keys[i]), k, d)
        {
            const char *path = json_string_value(json_object_get(d, "Path"));
            json_t *rate = json_object_get(d, "Rate");
            struct stat st;
            if (path == NULL || !json_is_integer(rate) || json_integer_value(rate) < 0)
                return berth_error_set(err, EINVAL,
                                       "invalid HostConfig.%s: {\"Path\", \"Rate\" >= 0} "
                                       "expected",
                                       keys[i]);
            if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
                return berth_error_set(err, EINVAL,
                                       "invalid HostConfig.%s: '%s' is not a block device", keys[i],
                                       path);
        }
    }
    return 0;
}

static int check_cpu(json_t *host, struct berth_error **err)
{
    json_int_t cpus = host_int(host, "NanoCpus"), shares = host_int(host, "CpuShares");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 0 || (ncpu > 0 && cpus > ncpu * 1000000000LL))
        return berth_error_set(err, EINVAL,
                               "Range of CPUs is from 0.01 to %ld.00, as there are only %ld "
                               "CPUs available",
                               ncpu, ncpu);
    if (shares < 0)
        return berth_error_set(err, EINVAL, "invalid CPU shares: %lld", (long long)shares);
    json_int_t period = host_int(host, "CpuPeriod"), quota = host_int(host, "CpuQuota");
    if (cpus > 0 && (period > 0 || quota > 0))
        return berth_error_set(err, EINVAL,
                               "Conflicting options: Nano CPUs and CPU Period/Quota cannot both "
                               "be set");
    if (period != 0 && (period < 1000 || period > 1000000))
        return berth_error_set(err, EINVAL,
                               "CPU cfs period can not be less than 1ms (i.e. 1000) "
                               "or larger than 1s (i.e. 1000000)");
    if (quota != 0 && quota != -1 && quota < 1000)
        return berth_error_set(err, EINVAL, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
    if (check_cpusets(host, err) < 0 || check_placement(host, err) < 0 ||
        check_device_requests(host, err) < 0)
        return -EINVAL;
    json_int_t w = host_int(host, "BlkioWeight");
    if (w != 0 && (w < 10 || w > 1000))
        return berth_error_set(err, EINVAL, "Range of blkio weight is from 10 to 1000");
    return check_throttles(host, err);
}

bool body_unset(json_t *v)
{
    return deep_unset(v);
}

int body_check_resources(json_t *host, struct berth_error **err)
{
    return check_memory(host, err) < 0 || check_cpu(host, err) < 0 ? -EINVAL : 0;
}

/* The network mode; "default" (also when unset) is resolved, and a
 * network's name looked up, when the container is made (create.c). */
static int check_host(json_t *host, const char **ret_net, struct berth_error **err)
{
    const char *net = json_string_value(json_object_get(host, "NetworkMode"));
    if (net == NULL || *net == '\0')
        net = "default";
    if (check_memory(host, err) < 0 || check_cpu(host, err) < 0 || secopts_check(host, err) < 0)
        return -EINVAL;
    if (host_int(host, "ShmSize") < 0)
        return berth_error_set(err, EINVAL, "SHM size can not be less than 0");
    json_int_t oom = host_int(host, "OomScoreAdj");
    if (oom < -1000 || oom > 1000)
        return berth_error_set(err, EINVAL,
                               "invalid --oom-score-adj %lld: the range is [-1000, 1000]",
                               (long long)oom);
    *ret_net = net;
    return 0;
}

/* --pid, --ipc and --uts: Docker's values. */
static int check_ns_mode(json_t *host, const char *key, const char *flag, const char *expected,
                         struct berth_error **err)
{
    const char *m = json_string_value(json_object_get(host, key));
    if (m == NULL || *m == '\0' || streq(m, "host"))
        return 0;
    if (streq(key, "IpcMode") && (streq(m, "private") || streq(m, "shareable") || streq(m, "none")))
        return 0;
    if (!streq(key, "UTSMode") && strncmp(m, "container:", 10) == 0 && m[10] != '\0' &&
        body_name_valid(m + 10))
        return 0;
    return berth_error_set(err, EINVAL, "invalid %s '%s': %s expected", flag, m, expected);
}

static int check_namespaces(json_t *body, struct berth_error **err)
{
    json_t *host = json_object_get(body, "HostConfig");
    const char *hn = json_string_value(json_object_get(body, "Hostname"));
    const char *uts = json_string_value(json_object_get(host, "UTSMode"));
    if (check_ns_mode(host, "PidMode", "--pid", "host or container:NAME", err) < 0 ||
        check_ns_mode(host, "IpcMode", "--ipc", "private, shareable, none, host or container:NAME",
                      err) < 0 ||
        check_ns_mode(host, "UTSMode", "--uts", "host", err) < 0)
        return -EINVAL;
    const char *cgns = json_string_value(json_object_get(host, "CgroupnsMode"));
    if (cgns && *cgns && !streq(cgns, "host") && !streq(cgns, "private"))
        return berth_error_set(err, EINVAL, "invalid --cgroupns '%s': host or private expected",
                               cgns);
    if (uts && streq(uts, "host") && hn && *hn)
        return berth_error_set(err, EINVAL,
                               "conflicting options: --hostname and --uts host (the "
                               "container has the host's name)");
    return 0;
}

static int check_stop(json_t *body, struct berth_error **err)
{
    const char *sig = json_string_value(json_object_get(body, "StopSignal"));
    if (sig && *sig && berth_signal_parse(sig) < 0)
        return berth_error_set(err, EINVAL, "Invalid signal: %s", sig);
    json_int_t t = json_integer_value(json_object_get(body, "StopTimeout"));
    if (t < -1)
        return berth_error_set(err, EINVAL, "invalid StopTimeout: %lld", (long long)t);
    return 0;
}

static json_t *merge_env(json_t *image_env, json_t *env)
{
    json_t *out = json_is_array(image_env) ? json_deep_copy(image_env) : json_array();
    size_t i, k;
    json_t *e, *o;
    json_array_foreach(env, i, e)
    {
        const char *s = json_string_value(e);
        size_t klen = strcspn(s, "=");
        bool replaced = false;
        json_array_foreach(out, k, o)
        {
            const char *t = json_string_value(o);
            if (strncmp(t, s, klen) == 0 && (t[klen] == '=' || t[klen] == '\0')) {
                json_array_set(out, k, e);
                replaced = true;
                break;
            }
        }
        if (!replaced)
            json_array_append(out, e);
    }
    /* Docker's default when neither the image nor the body has a PATH
     * (an imported rootfs has no config at all) */
    json_array_foreach(out, k, o) if (strncmp(json_string_value(o), "PATH=", 5) == 0) return out;
    json_array_insert_new(
        out, 0, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    return out;
}

static json_t *process_args(json_t *body, json_t *imgcfg)
{
    json_t *ep = json_object_get(body, "Entrypoint"), *cmd = json_object_get(body, "Cmd");
    if (!json_is_array(ep))
        ep = json_object_get(imgcfg, "Entrypoint");
    if (!json_is_array(cmd) && !json_is_array(json_object_get(body, "Entrypoint")))
        cmd = json_object_get(imgcfg, "Cmd");
    json_t *args = json_array();
    if (json_is_true(json_object_get(json_object_get(body, "HostConfig"), "Init"))) {
        json_array_append_new(args, json_string("/sbin/docker-init"));
        json_array_append_new(args, json_string("--"));
    }
    if (json_is_array(ep))
        json_array_extend(args, ep);
    if (json_is_array(cmd))
        json_array_extend(args, cmd);
    return args;
}

static const struct field health_fields[] = {
    {"Test", F_STRV, false},       {"Interval", F_INT, false},      {"Timeout", F_INT, false},
    {"StartPeriod", F_INT, false}, {"StartInterval", F_INT, false}, {"Retries", F_INT, false},
    {"OnFailure", F_STR, false}, /* berth's (podman's --health-on-failure) */
};

/* Docker's validateHealthCheck (durations 0 or >= 1ms, Retries >= 0), the
 * test's type (Docker ignores an unknown one; berth refuses it) and
 * berth's OnFailure. */
static int check_healthcheck(json_t *body, struct berth_error **err)
{
    static const char *const durations[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
    json_t *hc = json_object_get(body, "Healthcheck"), *test = json_object_get(hc, "Test");
    if (unset(hc))
        return 0;
    if (check_fields(hc, health_fields, ARRAY_SIZE(health_fields), "Healthcheck.", err) < 0)
        return -EINVAL;
    for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
        json_int_t v = json_integer_value(json_object_get(hc, durations[i]));
        if (v != 0 && v < 1000000)
            return berth_error_set(err, EINVAL, "%s in Healthcheck cannot be less than 1ms",
                                   durations[i]);
    }
    if (json_integer_value(json_object_get(hc, "Retries")) < 0)
        return berth_error_set(err, EINVAL, "Retries in Healthcheck cannot be negative");
    const char *kind = json_string_value(json_array_get(test, 0));
    if (kind && !streq(kind, "NONE") && !streq(kind, "CMD") && !streq(kind, "CMD-SHELL"))
        return berth_error_set(err, EINVAL,
                               "unknown healthcheck type '%s' in Healthcheck.Test (CMD, "
                               "CMD-SHELL or NONE)",
                               kind);
    if (kind && !streq(kind, "NONE") && json_array_size(test) < 2)
        return berth_error_set(err, EINVAL, "Healthcheck.Test '%s' has no command", kind);
    const char *of = json_string_value(json_object_get(hc, "OnFailure"));
    if (of && *of && !streq(of, "none") && !streq(of, "kill") && !streq(of, "restart"))
        return berth_error_set(err, EINVAL,
                               "invalid Healthcheck.OnFailure '%s' (none, kill or restart)", of);
    return 0;
}

/* Docker's merge of the image's Healthcheck: taken whole when the body has
 * none, else its Test and each duration and Retries the body leaves 0. */
static void merge_healthcheck(json_t *body, json_t *imgcfg)
{
    static const char *const keys[] = {"Interval", "Timeout", "StartPeriod", "StartInterval",
                                       "Retries"};
    json_t *img = json_object_get(imgcfg, "Healthcheck");
    json_t *hc = json_object_get(body, "Healthcheck");
    if (!json_is_object(img))
        return;
    if (!json_is_object(hc)) {
        json_object_set_new(body, "Healthcheck", json_deep_copy(img));
        return;
    }
    if (json_array_size(json_object_get(hc, "Test")) == 0 && json_object_get(img, "Test"))
        json_object_set(hc, "Test", json_object_get(img, "Test"));
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if (json_integer_value(json_object_get(hc, keys[i])) == 0 &&
            json_is_integer(json_object_get(img, keys[i])))
            json_object_set(hc, keys[i], json_object_get(img, keys[i]));
}

/* The process: Docker's rules for Entrypoint and Cmd over the image's. */
int body_process(json_t *body, json_t *imgcfg, const char *hostname, char *const *layers,
                 json_t **ret, struct berth_error **err)
{
    json_t *args = process_args(body, imgcfg), *groups = NULL;
    merge_healthcheck(body, imgcfg); /* the record's Config is the body */
    bool init = json_is_true(json_object_get(json_object_get(body, "HostConfig"), "Init"));
    if (json_array_size(args) == (init ? 2 : 0)) {
        json_decref(args);
        return berth_error_set(err, EINVAL, "no command specified");
    }
    long uid, gid;
    const char *user = json_string_value(json_object_get(body, "User"));
    if (user == NULL || *user == '\0')
        user = json_string_value(json_object_get(imgcfg, "User"));
    if (user_resolve(user, layers, &uid, &gid, &groups, err) < 0 ||
        user_add_groups(json_object_get(json_object_get(body, "HostConfig"), "GroupAdd"), layers,
                        groups, err) < 0) {
        json_decref(args);
        json_decref(groups);
        return -EINVAL;
    }
    const char *cwd = json_string_value(json_object_get(body, "WorkingDir"));
    if (cwd == NULL || *cwd == '\0')
        cwd = json_string_value(json_object_get(imgcfg, "WorkingDir"));
    if (cwd == NULL || *cwd == '\0')
        cwd = "/";
    if (cwd[0] != '/') {
        json_decref(args);
        json_decref(groups);
        return berth_error_set(err, EINVAL,
                               "the working directory '%s' is invalid, it needs "
                               "to be an absolute path",
                               cwd);
    }
    json_t *env = merge_env(json_object_get(imgcfg, "Env"), json_object_get(body, "Env"));
    *ret = json_pack("{s:o,s:o,s:s,s:I,s:I,s:o,s:s}", "Args", args, "Env", env, "Cwd", cwd, "Uid",
                     (json_int_t)uid, "Gid", (json_int_t)gid, "AdditionalGids", groups, "Hostname",
                     hostname);
    return 0;
}

bool body_name_valid(const char *n)
{
    if (n[0] == '/')
        n++;
    if (!isalnum((unsigned char)n[0]))
        return false;
    for (const char *p = n; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
            return false;
    return strlen(n) < 128;
}

int body_check(json_t *body, const char *name, const char **ret_net, struct berth_error **err)
{
    json_t *mounts = NULL;
    if (check_allowed(body, err) < 0 || check_stop(body, err) < 0 ||
        check_healthcheck(body, err) < 0 || check_namespaces(body, err) < 0)
        return -EINVAL;
    if (name && *name && !body_name_valid(name))
        return berth_error_set(err, EINVAL,
                               "Invalid container name (%s), only "
                               "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                               name);
    const char *image = json_string_value(json_object_get(body, "Image"));
    const char *rootfs = json_string_value(json_object_get(body, "Rootfs"));
    if ((image == NULL || *image == '\0') && (rootfs == NULL || *rootfs == '\0'))
        return berth_error_set(err, EINVAL, "no image given (the body's Image field)");
    if (rootfs && *rootfs && (rootfs[0] != '/' || strpbrk(rootfs, ":,")))
        return berth_error_set(err, EINVAL,
                               "invalid rootfs '%s': an absolute path without ':' or ',' "
                               "expected",
                               rootfs);
    if (check_host(json_object_get(body, "HostConfig"), ret_net, err) < 0 ||
        netopts_check(body, err) < 0)
        return -EINVAL;
    /* the mounts' syntax, before anything is created */
    if (mounts_parse(body, NULL, &mounts, err) < 0)
        return -EINVAL;
    json_decref(mounts);
    return 0;
}
