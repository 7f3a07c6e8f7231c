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
    json_object_set_new(
        proc, "user",
        json_pack("{s:O,s:O}", "uid", json_object_get(p, "Uid"), "gid", json_object_get(p, "Gid")));
    json_t *caps = json_object_get(proc, "capabilities");
    json_object_set_new(caps, "bounding", caps_array());
    json_object_set_new(caps, "effective", caps_array());
    json_object_set_new(caps, "permitted", caps_array());
    json_object_del(caps, "ambient");
    json_object_set_new(proc, "noNewPrivileges", json_false());
}

static void set_linux(json_t *lx, json_t *host)
{
    json_t *res = json_object_get(lx, "resources");
    json_int_t mem = json_integer_value(json_object_get(host, "Memory"));
    json_int_t cpus = json_integer_value(json_object_get(host, "NanoCpus"));
    json_int_t pids = json_integer_value(json_object_get(host, "PidsLimit"));
    if (mem > 0)
        json_object_set_new(res, "memory", json_pack("{s:I}", "limit", mem));
    if (cpus > 0)
        json_object_set_new(
            res, "cpu",
            json_pack("{s:I,s:I}", "quota", cpus / 10000, "period", (json_int_t)100000));
    if (pids > 0)
        json_object_set_new(res, "pids", json_pack("{s:I}", "limit", pids));
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
    json_object_set_new(spec, "root", json_pack("{s:s,s:b}", "path", rootfs, "readonly", 0));
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
