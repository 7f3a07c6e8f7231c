#include "spec.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char default_spec[] =
    "{"
    "\"ociVersion\":\"1.0.2\","
    "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
    "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
    "\"TERM=xterm\"],\"cwd\":\"/\","
    "\"capabilities\":{"
    "\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
    "\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
    "\"noNewPrivileges\":true},"
    "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
    "\"hostname\":\"berth\","
    "\"mounts\":["
    "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
    "\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
    "\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]}"
    ","
    "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
    "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
    "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
    "\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
    "\"linux\":{"
    "\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
    "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
    "{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
    "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
    "\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\","
    "\"/sys/firmware\",\"/proc/scsi\"],"
    "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\","
    "\"/proc/sysrq-trigger\"]}}";

static json_t *spec_object(char **args, int terminal)
{
    json_t *spec = json_loads(default_spec, 0, NULL);
    json_t *proc = json_object_get(spec, "process");
    json_object_set_new(proc, "terminal", json_boolean(terminal));
    if (args && args[0]) {
        json_t *a = json_array();
        for (char **p = args; *p; p++)
            json_array_append_new(a, json_string(*p));
        json_object_set_new(proc, "args", a);
    }
    return spec;
}

static char *dump(json_t *spec)
{
    char *text = json_dumps(spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(spec);
    if (text == NULL)
        abort();
    return text;
}

char *berth_spec_default(char **args, int terminal)
{
    return dump(spec_object(args, terminal));
}

static json_t *rootless_namespaces(json_t *old)
{
    json_t *a = json_array(), *ns;
    size_t i;
    json_array_foreach(old, i, ns)
    {
        const char *t = json_string_value(json_object_get(ns, "type"));
        if (!streq(t, "network") && !streq(t, "user"))
            json_array_append(a, ns);
    }
    json_array_append_new(a, json_pack("{s:s}", "type", "user"));
    return a;
}

static json_t *rootless_mounts(json_t *old)
{
    json_t *a = json_array(), *m;
    size_t i;
    json_array_foreach(old, i, m)
    {
        if (streq(json_string_value(json_object_get(m, "destination")), "/sys")) {
            json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:[s,s,s,s,s]}", "destination",
                                               "/sys", "type", "none", "source", "/sys", "options",
                                               "rbind", "nosuid", "noexec", "nodev", "ro"));
            continue;
        }
        json_t *opts = json_array(), *o;
        size_t k;
        json_array_foreach(json_object_get(m, "options"), k, o)
        {
            const char *s = json_string_value(o);
            if (strncmp(s, "uid=", 4) != 0 && strncmp(s, "gid=", 4) != 0)
                json_array_append(opts, o);
        }
        json_t *copy = json_deep_copy(m);
        if (json_object_get(m, "options"))
            json_object_set(copy, "options", opts);
        json_decref(opts);
        json_array_append_new(a, copy);
    }
    return a;
}

char *berth_spec_rootless(char **args, int terminal, uid_t uid, gid_t gid)
{
    json_t *spec = spec_object(args, terminal);
    json_t *lx = json_object_get(spec, "linux");
    json_object_set_new(lx, "namespaces", rootless_namespaces(json_object_get(lx, "namespaces")));
    json_object_set_new(
        lx, "uidMappings",
        json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)uid, "size", 1));
    json_object_set_new(
        lx, "gidMappings",
        json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t)gid, "size", 1));
    json_object_del(lx, "resources");
    json_object_set_new(spec, "mounts", rootless_mounts(json_object_get(spec, "mounts")));
    return dump(spec);
}
