/* --pid, --ipc and --uts (HostConfig.PidMode, IpcMode, UTSMode): the
 * container named by "container:REF" must exist at create, and run at
 * start. berthd opens the namespaces to join at start, while the donor is
 * known to run, and hands the descriptors to the shim (containers.c
 * spawn_shim): the shim's spec names them as /proc/SHIM/fd/N (src/shim
 * spec.c), so a donor that dies, or whose pid is reused, can never lead a
 * container into some other process's namespace. */
#include "daemon.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *host_mode(json_t *hc, const char *key)
{
    const char *m = json_string_value(json_object_get(hc, key));
    return m ? m : "";
}

/* The container hc's `key` names with container:REF; NULL for another mode. */
static int find_donor(json_t *hc, const char *key, struct ctr **ret, struct berth_error **err)
{
    const char *m = host_mode(hc, key);
    *ret = NULL;
    return strncmp(m, "container:", 10) == 0 ? ctr_find(m + 10, ret, err) : 0;
}

int nsopts_check(json_t *body, struct berth_error **err)
{
    static const char *const keys[] = {"PidMode", "IpcMode"};
    json_t *hc = json_object_get(body, "HostConfig");
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        struct ctr *o = NULL;
        if (find_donor(hc, keys[i], &o, err) < 0)
            return -EINVAL;
        ctr_free(o);
    }
    return 0;
}

/* The donor's namespace `type`, opened while it runs; EINVAL naming it
 * when it does not run. A private namespace that turns out to be berthd's
 * own (the pid was reused by a host process) is refused. */
static int open_donor_ns(const struct ctr *o, const char *type, const char *what,
                         struct berth_error **err)
{
    if (o->status != CTR_RUNNING || o->restarting)
        return berth_error_set(err, EINVAL,
                               "cannot join the %s namespace of container %s: it is not "
                               "running",
                               what, ctr_name(o));
    int pid = (int)json_integer_value(json_object_get(o->state, "Pid"));
    _cleanup_free_ char *path = xasprintf("/proc/%d/ns/%s", pid, type);
    _cleanup_free_ char *own = xasprintf("/proc/self/ns/%s", type);
    int fd = pid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat a, b;
    if (fd >= 0 && fstat(fd, &a) == 0 && stat(own, &b) == 0 &&
        (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
        return fd;
    if (fd >= 0)
        close(fd);
    return berth_error_set(err, EINVAL,
                           "cannot join the %s namespace of container %s: its process is gone",
                           what, ctr_name(o));
}

static int join_pid(struct ctr *o, struct ns_join *j, struct berth_error **err)
{
    if (streq(host_mode(json_object_get(o->rec, "HostConfig"), "PidMode"), "host"))
        j->pid_host = true;
    else if ((j->pidns = open_donor_ns(o, "pid", "PID", err)) < 0)
        return -EINVAL;
    return 0;
}

static int join_ipc(struct ctr *o, struct ns_join *j, struct berth_error **err)
{
    const char *om = host_mode(json_object_get(o->rec, "HostConfig"), "IpcMode");
    if (streq(om, "host"))
        j->ipc_host = true;
    else if (!streq(om, "shareable"))
        return berth_error_set(err, EINVAL,
                               "cannot join the IPC namespace of container %s: it is not "
                               "shareable (its IpcMode is '%s'; run it with --ipc shareable)",
                               ctr_name(o), om);
    else if ((j->ipcns = open_donor_ns(o, "ipc", "IPC", err)) < 0)
        return -EINVAL;
    else
        j->shm = xasprintf("%s/shm", o->dir);
    return 0;
}

int nsopts_open(const struct ctr *c, struct ns_join *j, struct berth_error **err)
{
    static const struct {
        const char *key;
        int (*join)(struct ctr *o, struct ns_join *j, struct berth_error **err);
    } kinds[] = {{"PidMode", join_pid}, {"IpcMode", join_ipc}};
    json_t *hc = json_object_get(c->rec, "HostConfig");
    *j = (struct ns_join){.pidns = -1, .ipcns = -1};
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        struct ctr *o = NULL;
        int r = find_donor(hc, kinds[i].key, &o, err);
        if (r == 0 && o)
            r = kinds[i].join(o, j, err);
        ctr_free(o);
        if (r < 0) {
            nsopts_close(j);
            return r;
        }
    }
    return 0;
}

void nsopts_close(struct ns_join *j)
{
    if (j->pidns >= 0)
        close(j->pidns);
    if (j->ipcns >= 0)
        close(j->ipcns);
    free(j->shm);
    *j = (struct ns_join){.pidns = -1, .ipcns = -1};
}
