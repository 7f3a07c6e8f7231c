#include "shim.h"
#include "cgroup.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "security.h"
#include "spec.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

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
    else if (mem > 0 && berth_cgroup_swap_accounted())
        json_object_set_new(m, "swap", json_integer(2 * mem));
    if (json_object_size(m) > 0)
        json_object_set_new(res, "memory", m);
    else
        json_decref(m);
    /* v2: the reservation is also memory.high, whose `high` counter in
     * memory.events is how memwatch.c learns of a crossing (the kernel
     * then throttles and reclaims; memory.low stays the reservation) */
    enum berth_cgroup_mode mode;
    char high[32];
    snprintf(high, sizeof(high), "%lld", (long long)resv);
    if (resv > 0 && berth_cgroup_detect("/sys/fs/cgroup", &mode, NULL) >= 0 &&
        mode == BERTH_CGROUP_V2) {
        if (!json_is_object(json_object_get(res, "unified")))
            json_object_set_new(res, "unified", json_object());
        json_object_set_new(json_object_get(res, "unified"), "memory.high", json_string(high));
    }
}

static void set_cpu(json_t *res, json_t *host)
{
    json_int_t cpus = json_integer_value(json_object_get(host, "NanoCpus"));
    json_int_t shares = json_integer_value(json_object_get(host, "CpuShares"));
    const char *set = json_string_value(json_object_get(host, "CpusetCpus"));
    const char *mems = json_string_value(json_object_get(host, "CpusetMems"));
    json_t *c = json_object();
    json_int_t quota = json_integer_value(json_object_get(host, "CpuQuota"));
    json_int_t period = json_integer_value(json_object_get(host, "CpuPeriod"));
    if (cpus > 0) {
        json_object_set_new(c, "quota", json_integer(cpus / 10000));
        json_object_set_new(c, "period", json_integer(100000));
    }
    if (quota > 0) /* CpuQuota/CpuPeriod instead of NanoCpus (docker update) */
        json_object_set_new(c, "quota", json_integer(quota));
    if (period > 0)
        json_object_set_new(c, "period", json_integer(period));
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

/* The network namespace: none for --network host, the one berthd made
 * (netctr.c) or another container's, or a new one the runtime makes. */
static void set_netns(json_t *lx, json_t *host, const char *netns)
{
    json_t *ns = json_object_get(lx, "namespaces"), *n;
    size_t i;
    bool host_net = streq(json_string_value(json_object_get(host, "NetworkMode")), "host");
    json_array_foreach(ns, i, n)
    {
        if (!streq(json_string_value(json_object_get(n, "type")), "network"))
            continue;
        if (host_net)
            json_array_remove(ns, i);
        else if (netns)
            json_object_set_new(n, "path", json_string(netns));
        return;
    }
}

static void set_linux(json_t *lx, json_t *host, const char *netns)
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
    set_netns(lx, host, netns);
}

/* HostConfig.BlkioDevice*: linux.resources.blockIO.throttle*Device with
 * the device's numbers now; ENODEV naming a path that is no block device
 * (any more: berthd checked it at create). */
static int set_throttles(json_t *res, json_t *host, struct berth_error **err)
{
    static const char *const map[][2] = {{"BlkioDeviceReadBps", "throttleReadBpsDevice"},
                                         {"BlkioDeviceWriteBps", "throttleWriteBpsDevice"},
                                         {"BlkioDeviceReadIOps", "throttleReadIOPSDevice"},
                                         {"BlkioDeviceWriteIOps", "throttleWriteIOPSDevice"}};
    for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
        json_t *in = json_object_get(host, map[i][0]), *d, *out = json_array();
        size_t k;
        json_array_foreach(in, k, d)
        {
            const char *path = json_string_value(json_object_get(d, "Path"));
            struct stat st;
            if (path == NULL || stat(path, &st) < 0 || !S_ISBLK(st.st_mode)) {
                json_decref(out);
                return berth_error_set(err, ENODEV, "HostConfig.%s: '%s' is not a block device",
                                       map[i][0], path ? path : "");
            }
            json_array_append_new(
                out, json_pack("{s:I,s:I,s:O}", "major", (json_int_t)major(st.st_rdev), "minor",
                               (json_int_t)minor(st.st_rdev), "rate", json_object_get(d, "Rate")));
        }
        if (json_array_size(out) == 0) {
            json_decref(out);
            continue;
        }
        if (json_object_get(res, "blockIO") == NULL)
            json_object_set_new(res, "blockIO", json_object());
        json_object_set_new(json_object_get(res, "blockIO"), map[i][1], out);
    }
    return 0;
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

/* HostConfig.ShmSize (bytes; 0: the default 64 MiB) on the /dev/shm tmpfs. */
static void set_shm_size(json_t *spec, json_t *hc)
{
    json_int_t size = json_integer_value(json_object_get(hc, "ShmSize"));
    json_t *m, *o;
    size_t i, k;
    json_array_foreach(json_object_get(spec, "mounts"), i, m)
    {
        if (size <= 0 || !streq(json_string_value(json_object_get(m, "destination")), "/dev/shm"))
            continue;
        json_array_foreach(json_object_get(m, "options"), k, o)
        {
            if (strncmp(json_string_value(o) ?: "", "size=", 5) == 0)
                json_array_set_new(json_object_get(m, "options"), k,
                                   json_sprintf("size=%lld", (long long)size));
        }
    }
}

/* A user's mount at dst (-v FILE:/etc/hosts) wins over berthd's file. */
static bool mounted_at(json_t *rec, const char *dst)
{
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(rec, "Mounts"), i, m)
    {
        if (streq(json_string_value(json_object_get(m, "Destination")), dst))
            return true;
    }
    return false;
}

/* /etc/hostname, /etc/hosts and /etc/resolv.conf: the files berthd wrote
 * in the container's dir (netctr.c), bound over the image's; berthd
 * rewrites hosts in place when containers of its network come and go.
 * Read-only with a read-only root, as the rest of /etc. */
static void set_net_files(json_t *spec, const char *dir, json_t *rec)
{
    static const char *const files[] = {"hostname", "hosts", "resolv.conf"};
    bool ro = json_is_true(json_object_get(json_object_get(rec, "HostConfig"), "ReadonlyRootfs"));
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        _cleanup_free_ char *src = xasprintf("%s/%s", dir, files[i]);
        _cleanup_free_ char *dst = xasprintf("/etc/%s", files[i]);
        if (access(src, F_OK) < 0 || mounted_at(rec, dst))
            continue;
        json_array_append_new(json_object_get(spec, "mounts"),
                              json_pack("{s:s,s:s,s:s,s:[s,s,s,s]}", "destination", dst, "type",
                                        "bind", "source", src, "options", "rbind", "nosuid",
                                        "nodev", ro ? "ro" : "rw"));
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

/* Placement (berthd's placement.c): CpusetCpus "auto[:N]" or a
 * BerthPlacement means the CPUs berthd picked at the start (or at an
 * update), in placement.json; none there is an error, not an unpinned run. */
static int set_placement(const struct shim_args *a, json_t *host, struct berth_error **err)
{
    const char *set = json_string_value(json_object_get(host, "CpusetCpus"));
    if (!(set && strncmp(set, "auto", 4) == 0) && !json_object_get(host, "BerthPlacement"))
        return 0;
    json_t *p = json_read_file(a->dir, "placement.json", err);
    const char *cpus = json_string_value(json_object_get(p, "Cpus"));
    if (cpus == NULL) {
        json_decref(p);
        return berth_error_set(err, EINVAL, "the container's placement has no CPUs");
    }
    json_object_set_new(host, "CpusetCpus", json_string(cpus));
    json_decref(p);
    return 0;
}

int shim_write_config(const struct shim_args *a, char ***ret_layers, struct berth_error **err)
{
    json_t *rec = json_read_file(a->dir, "container.json", err);
    if (rec == NULL)
        return -EINVAL;
    if (set_placement(a, json_object_get(rec, "HostConfig"), err) < 0) {
        json_decref(rec);
        return -EINVAL;
    }
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
    set_shm_size(spec, json_object_get(rec, "HostConfig"));
    set_mounts(spec, rec);
    json_object_set(spec, "hostname", json_object_get(p, "Hostname"));
    set_linux(json_object_get(spec, "linux"), json_object_get(rec, "HostConfig"), a->netns);
    shim_set_namespaces(spec, json_object_get(rec, "HostConfig"), a);
    set_net_files(spec, a->dir, rec);
    if (set_throttles(json_object_get(json_object_get(spec, "linux"), "resources"),
                      json_object_get(rec, "HostConfig"), err) < 0 ||
        shim_set_security(spec, json_object_get(rec, "HostConfig"), err) < 0 ||
        shim_set_device_edits(spec, a->dir, json_object_get(rec, "HostConfig"), err) < 0) {
        json_decref(spec);
        json_decref(rec);
        return -ENODEV;
    }
    json_t *layers = json_object_get(rec, "Layers"), *l;
    size_t i, n = json_array_size(layers);
    char **v = xzalloc((n + 1) * sizeof(char *));
    json_array_foreach(layers, i, l) v[i] =
        xstrdup(json_string_value(l) ? json_string_value(l) : "");
    _cleanup_free_ char *bundle = xasprintf("%s/bundle", a->dir);
    mkdir(bundle, 0700);
    int r = durable_write_json(bundle, "config.json", spec, err);
    if (r == 0 && n > 0)
        r = shim_shm_mount(a, json_object_get(rec, "HostConfig"), err);
    json_decref(spec);
    json_decref(rec);
    if (r < 0 || n == 0) {
        strv_freep(&v);
        return r < 0 ? r : berth_error_set(err, EINVAL, "the container's record has no layers");
    }
    *ret_layers = v;
    return 0;
}
