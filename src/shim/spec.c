#include "shim.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "spec.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Docker's default capability set for a container's root. */
static const char *const default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

static json_t *caps_array(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
        json_array_append_new(a, json_string(default_caps[i]));
    return a;
}

static void set_process(json_t *proc, json_t *p)
{
    json_object_set_new(proc, "terminal", json_false());
    json_object_set(proc, "args", json_object_get(p, "Args"));
    json_object_set(proc, "env", json_object_get(p, "Env"));
    json_object_set(proc, "cwd", json_object_get(p, "Cwd"));
    json_t *user =
        json_pack("{s:O,s:O}", "uid", json_object_get(p, "Uid"), "gid", json_object_get(p, "Gid"));
    if (json_array_size(json_object_get(p, "AdditionalGids")) > 0)
        json_object_set(user, "additionalGids", json_object_get(p, "AdditionalGids"));
    json_object_set_new(proc, "user", user);
    json_t *caps = json_object_get(proc, "capabilities");
    json_object_set_new(caps, "bounding", caps_array());
    json_object_set_new(caps, "effective", caps_array());
    json_object_set_new(caps, "permitted", caps_array());
    json_object_del(caps, "ambient");
    json_object_set_new(proc, "noNewPrivileges", json_false());
}

/* Whether the kernel limits swap per cgroup: v1's memsw file; on v2
 * (kernel >= 5.8) memory.swap.max always exists unless the kernel was
 * booted without swap accounting (cgroup.memory=noswap, swapaccount=0). */
static bool swap_accounted(void)
{
    if (access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0)
        return true;
    _cleanup_free_ char *cmdline = NULL;
    if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) < 0 ||
        read_file_at(-1, "/proc/cmdline", &cmdline, NULL, NULL) < 0)
        return false;
    return strstr(cmdline, "cgroup.memory=noswap") == NULL &&
           strstr(cmdline, "swapaccount=0") == NULL;
}

static void set_memory(json_t *res, json_t *host)
{
    json_int_t mem = json_integer_value(json_object_get(host, "Memory"));
    json_int_t resv = json_integer_value(json_object_get(host, "MemoryReservation"));
    json_int_t swap = json_integer_value(json_object_get(host, "MemorySwap"));
    json_t *m = json_object();
    if (mem > 0)
        json_object_set_new(m, "limit", json_integer(mem));
    if (resv > 0)
        json_object_set_new(m, "reservation", json_integer(resv));
    /* docker: -1 unlimited swap; unset with a limit: as much swap as memory */
    if (swap == -1 || swap > 0)
        json_object_set_new(m, "swap", json_integer(swap));
    else if (mem > 0 && swap_accounted())
        json_object_set_new(m, "swap", json_integer(2 * mem));
    if (json_object_size(m) > 0)
        json_object_set_new(res, "memory", m);
    else
        json_decref(m);
}

static void set_cpu(json_t *res, json_t *host)
{
    json_int_t cpus = json_integer_value(json_object_get(host, "NanoCpus"));
    json_int_t shares = json_integer_value(json_object_get(host, "CpuShares"));
    const char *set = json_string_value(json_object_get(host, "CpusetCpus"));
    const char *mems = json_string_value(json_object_get(host, "CpusetMems"));
    json_t *c = json_object();
    if (cpus > 0) {
        json_object_set_new(c, "quota", json_integer(cpus / 10000));
        json_object_set_new(c, "period", json_integer(100000));
    }
    if (shares > 0) /* the kernel's range, as it clamps for docker */
        json_object_set_new(c, "shares",
                            json_integer(shares < 2        ? 2
                                         : shares > 262144 ? 262144
                                                           : shares));
    if (set && *set)
        json_object_set_new(c, "cpus", json_string(set));
    if (mems && *mems)
        json_object_set_new(c, "mems", json_string(mems));
    if (json_object_size(c) > 0)
        json_object_set_new(res, "cpu", c);
    else
        json_decref(c);
}

static void set_linux(json_t *lx, json_t *host)
{
    json_t *res = json_object_get(lx, "resources");
    json_int_t pids = json_integer_value(json_object_get(host, "PidsLimit"));
    json_int_t weight = json_integer_value(json_object_get(host, "BlkioWeight"));
    set_memory(res, host);
    set_cpu(res, host);
    if (pids > 0)
        json_object_set_new(res, "pids", json_pack("{s:I}", "limit", pids));
    if (weight > 0)
        json_object_set_new(res, "blockIO", json_pack("{s:I}", "weight", weight));
    if (streq(json_string_value(json_object_get(host, "NetworkMode")), "host")) {
        json_t *ns = json_object_get(lx, "namespaces"), *n;
        size_t i;
        json_array_foreach(ns, i,
                           n) if (streq(json_string_value(json_object_get(n, "type")), "network"))
        {
            json_array_remove(ns, i);
            break;
        }
    }
}

/* The record's Mounts (volumes, binds, tmpfs) after the default ones. */
static void set_mounts(json_t *spec, json_t *rec)
{
    json_t *out = json_object_get(spec, "mounts"), *m;
    size_t i;
    json_array_foreach(json_object_get(rec, "Mounts"), i, m)
    {
        const char *type = json_string_value(json_object_get(m, "Type"));
        bool rw = json_is_true(json_object_get(m, "RW"));
        const char *prop = json_string_value(json_object_get(m, "Propagation"));
        json_t *o;
        if (streq(type, "tmpfs")) {
            o = json_deep_copy(json_object_get(m, "Options"));
        } else {
            o = json_pack("[s,s]", "rbind", rw ? "rw" : "ro");
            if (prop && *prop)
                json_array_append_new(o, json_string(prop));
        }
        json_array_append_new(out, json_pack("{s:O,s:s,s:O,s:o}", "destination",
                                             json_object_get(m, "Destination"), "type",
                                             streq(type, "tmpfs") ? "tmpfs" : "bind", "source",
                                             json_object_get(m, "Source"), "options", o));
    }
    if (json_is_true(json_object_get(json_object_get(rec, "HostConfig"), "Init"))) {
        _cleanup_free_ char *init = shim_init_path();
        json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination",
                                             "/sbin/docker-init", "type", "bind", "source",
                                             init ? init : "", "options", "bind", "ro"));
    }
}

/* Config.Tty: the init gets a pty (tty.c takes the master); its size
 * from HostConfig.ConsoleSize [height, width] */
static void set_terminal(json_t *proc, json_t *rec)
{
    json_t *size = json_object_get(json_object_get(rec, "HostConfig"), "ConsoleSize");
    json_int_t h = json_integer_value(json_array_get(size, 0));
    json_int_t w = json_integer_value(json_array_get(size, 1));
    if (!json_is_true(json_object_get(json_object_get(rec, "Config"), "Tty")))
        return;
    json_object_set_new(proc, "terminal", json_true());
    if (h > 0 && w > 0 && h <= 65535 && w <= 65535)
        json_object_set_new(proc, "consoleSize", json_pack("{s:I,s:I}", "height", h, "width", w));
}

int shim_write_config(const struct shim_args *a, char ***ret_layers, struct berth_error **err)
{
    json_t *rec = json_read_file(a->dir, "container.json", err);
    if (rec == NULL)
        return -EINVAL;
    _cleanup_free_ char *text = berth_spec_default(NULL, 0);
    json_t *spec = json_loads(text, 0, NULL);
    json_t *p = json_object_get(rec, "Process");
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", a->dir);
    set_process(json_object_get(spec, "process"), p);
    set_terminal(json_object_get(spec, "process"), rec);
    json_object_set_new(spec, "root",
                        json_pack("{s:s,s:b}", "path", rootfs, "readonly",
                                  json_is_true(json_object_get(json_object_get(rec, "HostConfig"),
                                                               "ReadonlyRootfs"))));
    set_mounts(spec, rec);
    json_object_set(spec, "hostname", json_object_get(p, "Hostname"));
    set_linux(json_object_get(spec, "linux"), json_object_get(rec, "HostConfig"));
    json_t *layers = json_object_get(rec, "Layers"), *l;
    size_t i, n = json_array_size(layers);
    char **v = xzalloc((n + 1) * sizeof(char *));
    json_array_foreach(layers, i, l) v[i] =
        xstrdup(json_string_value(l) ? json_string_value(l) : "");
    _cleanup_free_ char *bundle = xasprintf("%s/bundle", a->dir);
    mkdir(bundle, 0700);
    int r = durable_write_json(bundle, "config.json", spec, err);
    json_decref(spec);
    json_decref(rec);
    if (r < 0 || n == 0) {
        strv_freep(&v);
        return r < 0 ? r : berth_error_set(err, EINVAL, "the container's record has no layers");
    }
    *ret_layers = v;
    return 0;
}
