/* Which OCI runtime a container runs under (HostConfig.Runtime, berthd
 * --runtime): berth's own, in process in the shim, or a runc-compatible
 * binary the shim runs (src/shim/runtime-exec.c). */
#include "daemon.h"
#include "cgroup.h"
#include "container.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_berth(const char *r)
{
    size_t n = strlen(r);
    return streq(r, "berth") || streq(r, "berth-runtime") ||
           (n > 14 && streq(r + n - 14, "/berth-runtime"));
}

int runtime_resolve(const char *given, char **ret, struct berth_error **err)
{
    if (given == NULL || *given == '\0')
        given = engine.runtime ? engine.runtime : "berth";
    if (is_berth(given)) {
        *ret = xstrdup("berth");
        return 0;
    }
    if (streq(given, "runc") || streq(given, "crun")) {
        *ret = xstrdup(given);
        return 0;
    }
    if (given[0] == '/' && access(given, X_OK) == 0) {
        *ret = xstrdup(given);
        return 0;
    }
    if (given[0] == '/')
        return berth_error_set(err, EINVAL, "runtime '%s' is not an executable file", given);
    return berth_error_set(err, EINVAL,
                           "unknown or invalid runtime name: %s (berth, runc, crun or an "
                           "absolute path)",
                           given);
}

const char *ctr_runtime(const struct ctr *c)
{
    const char *r =
        json_string_value(json_object_get(json_object_get(c->rec, "HostConfig"), "Runtime"));
    return r && *r ? r : "berth";
}

char *ctr_cgroup_path(const struct ctr *c)
{
    /* the same path as the shim's (src/shim/runtime-exec.c) */
    return streq(ctr_runtime(c), "berth") ? NULL : xasprintf("/berth-%s", c->id);
}

int ctr_body_runtime(json_t *body, struct berth_error **err)
{
    json_t *host = json_object_get(body, "HostConfig");
    char *rt = NULL;
    if (runtime_resolve(json_string_value(json_object_get(host, "Runtime")), &rt, err) < 0)
        return -EINVAL;
    if (!streq(rt, "berth") && json_is_true(json_object_get(body, "Tty"))) {
        int r = berth_error_set(err, EINVAL,
                                "a tty with runtime '%s' is not supported by berth yet (only "
                                "with berth's own)",
                                rt);
        free(rt);
        return r;
    }
    if (!json_is_object(host))
        json_object_set_new(body, "HostConfig", host = json_object());
    json_object_set_new(host, "Runtime", json_string(rt));
    free(rt);
    return 0;
}

struct berth_cgroup *ctr_cgroup_open(const struct ctr *c, struct berth_error **err)
{
    _cleanup_free_ char *path = ctr_cgroup_path(c);
    _cleanup_free_ char *self = NULL;
    enum berth_cgroup_mode mode;
    if (path == NULL) {
        berth_error_set(err, EINVAL, "container %s runs under berth's own runtime", c->id);
        return NULL;
    }
    if (berth_cgroup_detect("/sys/fs/cgroup", &mode, err) < 0 ||
        read_file_at(-1, "/proc/self/cgroup", &self, NULL, err) < 0)
        return NULL;
    return berth_cgroup_new(mode, "/sys/fs/cgroup", self, path, c->id, 0, err);
}

int ctr_rt_pause(const struct ctr *c, bool pause, struct berth_error **err)
{
    if (streq(ctr_runtime(c), "berth"))
        return pause ? berth_container_pause(engine.state_root, c->id, err)
                     : berth_container_resume(engine.state_root, c->id, err);
    struct berth_cgroup *cg = ctr_cgroup_open(c, err);
    if (cg == NULL)
        return -EIO;
    int r = berth_cgroup_freeze(cg, pause, err);
    berth_cgroup_free(cg);
    return r;
}

bool ctr_rt_frozen(const struct ctr *c)
{
    struct berth_cgroup *cg = ctr_cgroup_open(c, NULL);
    bool f = cg && berth_cgroup_frozen(cg);
    berth_cgroup_free(cg);
    return f;
}

int ctr_rt_pids(const struct ctr *c, pid_t **ret, size_t *ret_n, struct berth_error **err)
{
    if (streq(ctr_runtime(c), "berth"))
        return berth_container_pids(engine.state_root, c->id, ret, ret_n, err);
    struct berth_cgroup *cg = ctr_cgroup_open(c, err);
    if (cg == NULL)
        return -EIO;
    int r = berth_cgroup_pids(cg, ret, ret_n, err);
    berth_cgroup_free(cg);
    return r;
}
