/* --pid, --ipc, --uts and --cgroupns in the spec (HostConfig.PidMode,
 * IpcMode, UTSMode, CgroupnsMode; berthd's nsopts.c opened the donors'
 * namespaces) and the /dev/shm of a shareable container: a tmpfs at
 * DIR/shm in the host's mount namespace, bound in the container and in
 * every container that joins its IPC namespace (a mount of another mount
 * namespace cannot be bound), unmounted when the container is gone. */
#include "shim.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *mode(json_t *hc, const char *key)
{
    const char *m = json_string_value(json_object_get(hc, key));
    return m ? m : "";
}

/* The host's namespace: the entry goes; a donor's: berthd's descriptor,
 * which this process holds for the container's whole life (restarts too). */
static void set_entry(json_t *ns, const char *type, bool host, const char *fd)
{
    json_t *n;
    size_t i;
    json_array_foreach(ns, i, n)
    {
        if (!streq(json_string_value(json_object_get(n, "type")), type))
            continue;
        if (host)
            json_array_remove(ns, i);
        else if (fd)
            json_object_set_new(n, "path", json_sprintf("/proc/%d/fd/%s", (int)getpid(), fd));
        return;
    }
}

static bool is_host(const char *m, const char *joined)
{
    return streq(m, "host") || (joined && streq(joined, "host"));
}

static void set_shm(json_t *spec, const char *ipc, const struct shim_args *a)
{
    json_t *mounts = json_object_get(spec, "mounts"), *m;
    size_t i;
    _cleanup_free_ char *own = xasprintf("%s/shm", a->dir);
    const char *src = is_host(ipc, a->ipcns)    ? "/dev/shm"
                      : a->shm_from             ? a->shm_from
                      : streq(ipc, "shareable") ? own
                                                : NULL;
    json_array_foreach(mounts, i, m)
    {
        if (!streq(json_string_value(json_object_get(m, "destination")), "/dev/shm"))
            continue;
        if (streq(ipc, "none"))
            json_array_remove(mounts, i);
        else if (src)
            json_array_set_new(mounts, i,
                               json_pack("{s:s,s:s,s:s,s:[s,s,s,s]}", "destination", "/dev/shm",
                                         "type", "bind", "source", src, "options", "rbind",
                                         "nosuid", "nodev", "noexec"));
        return;
    }
}

void shim_set_namespaces(json_t *spec, json_t *hc, const struct shim_args *a)
{
    json_t *ns = json_object_get(json_object_get(spec, "linux"), "namespaces");
    const char *ipc = mode(hc, "IpcMode");
    set_entry(ns, "pid", is_host(mode(hc, "PidMode"), a->pidns), a->pidns);
    set_entry(ns, "ipc", is_host(ipc, a->ipcns), a->ipcns);
    set_entry(ns, "cgroup", streq(mode(hc, "CgroupnsMode"), "host"), NULL);
    if (streq(mode(hc, "UTSMode"), "host")) {
        set_entry(ns, "uts", true, NULL);
        json_object_del(spec, "hostname"); /* no name of its own to set */
    }
    set_shm(spec, ipc, a);
}

int shim_shm_mount(const struct shim_args *a, json_t *hc, struct berth_error **err)
{
    if (!streq(mode(hc, "IpcMode"), "shareable"))
        return 0;
    json_int_t size = json_integer_value(json_object_get(hc, "ShmSize"));
    _cleanup_free_ char *dir = xasprintf("%s/shm", a->dir);
    _cleanup_free_ char *opts =
        xasprintf("mode=1777,size=%lld", size > 0 ? (long long)size : 64LL << 20);
    shim_shm_umount(a); /* what a dead shim of this container left */
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return berth_error_set_sys(err, errno, "cannot make '%s'", dir);
    if (mount("shm", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
        return berth_error_set_sys(err, errno, "cannot mount the shareable /dev/shm on '%s'", dir);
    return 0;
}

void shim_shm_umount(const struct shim_args *a)
{
    _cleanup_free_ char *dir = xasprintf("%s/shm", a->dir);
    while (umount2(dir, MNT_DETACH) == 0)
        ;
    rmdir(dir);
}
