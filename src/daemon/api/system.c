/* /_ping, /version, /info (/images/... is images.c) */
#include "api.h"
#include "../daemon.h"
#include "cleanup.h"
#include "error.h"
#include "store.h"
#include "util.h"

#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static enum MHD_Result ping(struct request *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(2, "OK", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    MHD_add_response_header(resp, "Ostype", "linux");
    MHD_add_response_header(resp, "Docker-Experimental", "false");
    MHD_add_response_header(resp, "Cache-Control", "no-cache, no-store, must-revalidate");
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result version(struct request *r)
{
    struct utsname u;
    uname(&u);
    json_t *comp =
        json_pack("[{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}}]", "Name", "Engine",
                  "Version", BERTH_VERSION, "Details", "ApiVersion", API_VERSION, "MinAPIVersion",
                  API_MIN_VERSION, "Os", "linux", "Arch", "amd64", "GitCommit", "", "GoVersion",
                  "none (C)", "KernelVersion", u.release, "BuildTime", "", "Experimental", "false");
    return api_json(r, 200,
                    json_pack("{s:{s:s},s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Platform",
                              "Name", "berth", "Components", comp, "Version", BERTH_VERSION,
                              "ApiVersion", API_VERSION, "MinAPIVersion", API_MIN_VERSION,
                              "GitCommit", "", "GoVersion", "none (C)", "Os", "linux", "Arch",
                              "amd64", "KernelVersion", u.release, "BuildTime", ""));
}

/* berth's own and the runc-compatible binaries the shim finds on PATH
 * (src/daemon/runtime.c resolves the same names). */
static json_t *runtimes(void)
{
    json_t *o = json_pack("{s:{s:s}}", "berth", "path", "berth-runtime");
    static const char *const bins[] = {"runc", "crun"};
    for (size_t i = 0; i < ARRAY_SIZE(bins); i++) {
        _cleanup_free_ char *p = path_lookup(bins[i], NULL);
        if (p)
            json_object_set_new(o, bins[i], json_pack("{s:s}", "path", p));
    }
    return o;
}

static enum MHD_Result info(struct request *r)
{
    struct ctr **v;
    size_t n, running = 0, paused = 0;
    struct utsname u;
    uname(&u);
    ctr_list(&v, &n);
    for (size_t i = 0; i < n; i++)
        running += v[i]->status == CTR_RUNNING && !v[i]->paused, paused += v[i]->paused;
    ctrs_free(v, n);
    pthread_mutex_lock(&engine.lock);
    json_t *images = store_image_list(engine.data_root, NULL);
    pthread_mutex_unlock(&engine.lock);
    size_t nimages = json_array_size(images);
    json_decref(images);
    bool v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
    return api_json(
        r, 200,
        json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:s,s:s,s:s,s:s,s:s,"
                  "s:o,s:s,s:[],s:[],s:{s:s},s:{s:[],s:[],s:[]}}",
                  "ID", "berth", "Containers", (int)n, "ContainersRunning", (int)running,
                  "ContainersPaused", (int)paused, "ContainersStopped", (int)(n - running - paused),
                  "Images", (int)nimages, "Driver", "overlay2", "Name", u.nodename, "ServerVersion",
                  BERTH_VERSION, "OperatingSystem", "berth", "OSType", "linux", "Architecture",
                  u.machine, "NCPU", (int)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
                  (json_int_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE), "DockerRootDir",
                  engine.data_root, "KernelVersion", u.release, "CgroupDriver", "cgroupfs",
                  "CgroupVersion", v2 ? "2" : "1", "LoggingDriver", "json-file", "Runtimes",
                  runtimes(), "DefaultRuntime", engine.runtime, "SecurityOptions", "Warnings",
                  "Swarm", "LocalNodeState", "inactive", "Plugins", "Volume", "Network", "Log"));
}

enum MHD_Result api_system(struct request *r)
{
    bool get = streq(r->method, "GET") || streq(r->method, "HEAD");
    if (get && streq(r->path, "/_ping"))
        return ping(r);
    if (get && streq(r->path, "/version"))
        return version(r);
    if (get && streq(r->path, "/info"))
        return info(r);
    return api_message(r, 404, "page not found");
}
