/* GPUs for containers (gpu.h): the providers (NVML, simulated), the
 * choice at each start, and the container edits in gpus.json. */
#include "gpu.h"
#include "daemon.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "util.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_GPUS 64

struct gpu {
    char index[16];
    char uuid[96];
    char name[96];
    long long total, used;
    char device[PATH_MAX]; /* simulated: the character device */
    unsigned minor;        /* NVML: /dev/nvidiaN */
    json_t *cdi;           /* NVML: the edits of a CDI spec for it, or NULL */
};

static const char *sim_file;
static const char *cdi_dirs[9] = {"/etc/cdi", "/var/run/cdi"};
static size_t n_cdi_dirs; /* given by --cdi-spec-dir: replaces the defaults */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void gpu_set_sim(const char *file)
{
    sim_file = file;
}

void gpu_add_cdi_dir(const char *dir)
{
    if (n_cdi_dirs + 1 < ARRAY_SIZE(cdi_dirs)) {
        cdi_dirs[n_cdi_dirs++] = dir;
        cdi_dirs[n_cdi_dirs] = NULL;
    }
}

static const char *sim_path(void)
{
    const char *e = getenv("BERTH_GPU_SIM");
    return sim_file ? sim_file : e && *e ? e : NULL;
}

/* ---- providers ---- */

static int sim_list(const char *file, struct gpu *g, size_t *n, struct berth_error **err)
{
    json_t *j = json_load_file(file, 0, NULL), *v;
    size_t i;
    if (!json_is_array(json_object_get(j, "gpus"))) {
        json_decref(j);
        return berth_error_set(err, EINVAL, "GPU simulation file %s: no \"gpus\" array", file);
    }
    *n = 0;
    json_array_foreach(json_object_get(j, "gpus"), i, v)
    {
        const char *dev = json_string_value(json_object_get(v, "device"));
        if (*n >= MAX_GPUS || dev == NULL || !json_is_integer(json_object_get(v, "index"))) {
            json_decref(j);
            return berth_error_set(err, EINVAL,
                                   "GPU simulation file %s: gpu %zu needs an "
                                   "index and a device",
                                   file, i);
        }
        struct gpu *x = &g[(*n)++];
        *x = (struct gpu){0};
        snprintf(x->index, sizeof(x->index), "%lld",
                 (long long)json_integer_value(json_object_get(v, "index")));
        const char *uuid = json_string_value(json_object_get(v, "uuid"));
        const char *name = json_string_value(json_object_get(v, "name"));
        snprintf(x->uuid, sizeof(x->uuid), "%s", uuid ? uuid : x->index);
        snprintf(x->name, sizeof(x->name), "%s", name ? name : "simulated GPU");
        snprintf(x->device, sizeof(x->device), "%s", dev);
        x->total = json_integer_value(json_object_get(v, "memory_total"));
        x->used = json_integer_value(json_object_get(v, "memory_used"));
    }
    json_decref(j);
    return 0;
}

/* NVML's few calls, by dlopen: berth builds and runs without the driver. */
struct nvml_memory {
    unsigned long long total, free, used;
};

static int nvml_list(struct gpu *g, size_t *n, struct berth_error **err)
{
    void *h = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        return berth_error_set(err, ENODEV,
                               "no GPU: the NVIDIA driver's libnvidia-ml.so.1 is not there and "
                               "berthd has no --gpu-sim");
    int (*init)(void) = (int (*)(void))dlsym(h, "nvmlInit_v2");
    int (*count)(unsigned *) = (int (*)(unsigned *))dlsym(h, "nvmlDeviceGetCount_v2");
    int (*by_index)(unsigned, void **) =
        (int (*)(unsigned, void **))dlsym(h, "nvmlDeviceGetHandleByIndex_v2");
    int (*uuid)(void *, char *, unsigned) =
        (int (*)(void *, char *, unsigned))dlsym(h, "nvmlDeviceGetUUID");
    int (*name)(void *, char *, unsigned) =
        (int (*)(void *, char *, unsigned))dlsym(h, "nvmlDeviceGetName");
    int (*mem)(void *, struct nvml_memory *) =
        (int (*)(void *, struct nvml_memory *))dlsym(h, "nvmlDeviceGetMemoryInfo");
    int (*minor)(void *, unsigned *) =
        (int (*)(void *, unsigned *))dlsym(h, "nvmlDeviceGetMinorNumber");
    int (*shutdown)(void) = (int (*)(void))dlsym(h, "nvmlShutdown");
    unsigned k = 0;
    int r = 0;
    if (!init || !count || !by_index || !uuid || !name || !mem || !minor || !shutdown ||
        init() != 0)
        r = berth_error_set(err, ENODEV, "no GPU: NVML did not start");
    else if (count(&k) != 0)
        r = berth_error_set(err, EIO, "NVML cannot count the GPUs");
    for (unsigned i = 0; r == 0 && i < k && i < MAX_GPUS; i++) {
        void *d;
        struct nvml_memory m = {0};
        struct gpu *x = &g[i];
        *x = (struct gpu){0};
        if (by_index(i, &d) != 0 || uuid(d, x->uuid, sizeof(x->uuid)) != 0 || mem(d, &m) != 0 ||
            minor(d, &x->minor) != 0) {
            r = berth_error_set(err, EIO, "NVML cannot read GPU %u", i);
            break;
        }
        name(d, x->name, sizeof(x->name));
        snprintf(x->index, sizeof(x->index), "%u", i);
        x->total = (long long)m.total;
        x->used = (long long)m.used;
        *n = i + 1;
    }
    if (init && shutdown && r != -ENODEV)
        shutdown();
    /* kept loaded: NVML does not support being unloaded and loaded again */
    return r;
}

/* --cdi-spec-dir, else BERTH_CDI_SPEC_DIRS (DIR:DIR...), else CDI's own */
static const char *const *cdi_search(void)
{
    static char *env_copy;
    const char *e = getenv("BERTH_CDI_SPEC_DIRS");
    if (n_cdi_dirs == 0 && e && *e && env_copy == NULL) {
        env_copy = xstrdup(e);
        for (char *save = NULL, *d = strtok_r(env_copy, ":", &save); d;
             d = strtok_r(NULL, ":", &save))
            gpu_add_cdi_dir(d);
    }
    return cdi_dirs;
}

static int provider_list(struct gpu *g, size_t *n, bool *ret_sim, struct berth_error **err)
{
    *n = 0;
    *ret_sim = sim_path() != NULL;
    if (*ret_sim)
        return sim_list(sim_path(), g, n, err);
    int r = nvml_list(g, n, err);
    if (r < 0)
        return r;
    /* a CDI spec for nvidia.com/gpu (nvidia-ctk cdi generate) names the
     * devices by index or UUID: its edits win over berth's own */
    json_t *specs = cdi_kind_devices(cdi_search(), "nvidia.com/gpu");
    for (size_t i = 0; i < *n; i++) {
        json_t *e = json_object_get(specs, g[i].index);
        g[i].cdi = json_incref(e ? e : json_object_get(specs, g[i].uuid));
    }
    json_decref(specs);
    return 0;
}

static void gpus_free(struct gpu *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(g[i].cdi);
}

json_t *gpu_list_json(void)
{
    struct gpu g[MAX_GPUS];
    size_t n = 0;
    bool sim;
    struct berth_error *e = NULL;
    if (provider_list(g, &n, &sim, &e) < 0) {
        berth_error_clear(&e);
        return NULL;
    }
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:I,s:I,s:b}", "Index", g[i].index,
                                             "UUID", g[i].uuid, "Name", g[i].name, "MemoryTotal",
                                             (json_int_t)g[i].total, "MemoryUsed",
                                             (json_int_t)g[i].used, "Simulated", sim));
    gpus_free(g, n);
    return out;
}

/* ---- who holds what ---- */

/* {UUID: {"By": "/name", "Shared": bool}} of the running containers but
 * `self`, from their gpus.json. */
static json_t *held(const char *self)
{
    struct ctr **all = NULL;
    size_t n = 0;
    json_t *out = json_object();
    if (ctr_list(&all, &n) < 0)
        return out;
    for (size_t i = 0; i < n; i++) {
        if (all[i]->status != CTR_RUNNING || streq(all[i]->id, self))
            continue;
        json_t *j = json_read_file(all[i]->dir, "gpus.json", NULL), *g;
        size_t k;
        bool shared = json_is_true(json_object_get(j, "Shared"));
        _cleanup_free_ char *by = xasprintf("/%s", ctr_name(all[i]));
        json_array_foreach(json_object_get(j, "Gpus"), k, g)
        {
            const char *u = json_string_value(json_object_get(g, "UUID"));
            json_t *was = u ? json_object_get(out, u) : NULL;
            /* one exclusive holder is what matters */
            if (u && (was == NULL || !shared))
                json_object_set_new(out, u, json_pack("{s:s,s:b}", "By", by, "Shared", shared));
        }
        json_decref(j);
    }
    ctrs_free(all, n);
    return out;
}

static bool available(json_t *holds, const struct gpu *g, bool shared)
{
    json_t *h = json_object_get(holds, g->uuid);
    return h == NULL || (shared && json_is_true(json_object_get(h, "Shared")));
}

/* "0 given to /a, 1 given to /b" */
static char *holders_text(json_t *holds, const struct gpu *g, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (size_t i = 0; i < n; i++) {
        json_t *h = json_object_get(holds, g[i].uuid);
        if (h)
            fprintf(f, "%s%s given to %s%s", len ? ", " : "", g[i].index,
                    json_string_value(json_object_get(h, "By")),
                    json_is_true(json_object_get(h, "Shared")) ? " (shared)" : "");
        fflush(f);
    }
    fclose(f);
    return text;
}

/* ---- the choice ---- */

static const struct gpu *find_gpu(const struct gpu *g, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (streq(g[i].index, id) || streq(g[i].uuid, id))
            return &g[i];
    return NULL;
}

static bool is_cdi(json_t *req)
{
    return streq(json_string_value(json_object_get(req, "Driver")) ?: "", "cdi");
}

static bool req_shared(json_t *req)
{
    return streq(json_string_value(json_object_get(json_object_get(req, "Options"), "shared"))
                     ?: "",
                 "true");
}

/* The GPUs of one request into picked[] (flags in taken[]). */
static int pick(json_t *req, const struct gpu *g, size_t n, json_t *holds, bool *taken,
                struct berth_error **err)
{
    bool shared = req_shared(req);
    json_t *ids = json_object_get(req, "DeviceIDs"), *v;
    json_int_t count = json_integer_value(json_object_get(req, "Count"));
    size_t i;
    if (json_array_size(ids) > 0) {
        json_array_foreach(ids, i, v)
        {
            const struct gpu *x = find_gpu(g, n, json_string_value(v));
            if (x == NULL)
                return berth_error_set(err, ENOENT, "--gpus device=%s: no such GPU (%zu GPUs)",
                                       json_string_value(v), n);
            if (!available(holds, x, shared))
                return berth_error_set(
                    err, EBUSY, "--gpus device=%s: GPU %s is given to %s%s", x->index, x->index,
                    json_string_value(json_object_get(json_object_get(holds, x->uuid), "By")),
                    shared ? "" : " (--gpus device=ID,shared shares it with shared users)");
            taken[x - g] = true;
        }
        return 0;
    }
    json_int_t want = count < 0 ? (json_int_t)n : count;
    for (json_int_t k = 0; k < want; k++) {
        const struct gpu *best = NULL;
        for (i = 0; i < n; i++)
            if (!taken[i] && available(holds, &g[i], shared) &&
                (best == NULL || g[i].total - g[i].used > best->total - best->used))
                best = &g[i];
        if (best == NULL) {
            size_t nfree = 0;
            for (i = 0; i < n; i++)
                nfree += available(holds, &g[i], shared);
            _cleanup_free_ char *who = holders_text(holds, g, n);
            char asked[32];
            snprintf(asked, sizeof(asked), count < 0 ? "all" : "%lld", (long long)count);
            if (n == 0)
                return berth_error_set(err, ENODEV, "--gpus %s: the GPU provider lists no GPU",
                                       asked);
            return berth_error_set(err, EBUSY, "--gpus %s: only %zu of %zu GPUs are free (%s)%s",
                                   asked, nfree, n, who,
                                   shared ? "" : "; --gpus N,shared shares one with shared users");
        }
        taken[best - g] = true;
    }
    return 0;
}

/* ---- the edits ---- */

static void add_node(json_t *edits, const char *path, const char *host_path)
{
    if (!json_is_array(json_object_get(edits, "deviceNodes")))
        json_object_set_new(edits, "deviceNodes", json_array());
    json_t *n = json_pack("{s:s}", "path", path);
    if (host_path)
        json_object_set_new(n, "hostPath", json_string(host_path));
    json_array_append_new(json_object_get(edits, "deviceNodes"), n);
}

static void add_mount(json_t *edits, const char *path)
{
    if (!json_is_array(json_object_get(edits, "mounts")))
        json_object_set_new(edits, "mounts", json_array());
    json_array_append_new(json_object_get(edits, "mounts"),
                          json_pack("{s:s,s:s,s:[s,s,s,s]}", "hostPath", path, "containerPath",
                                    path, "options", "ro", "nosuid", "nodev", "bind"));
}

/* Without a CDI spec: what nvidia-ctk would list, in short: the GPU's
 * node and the driver's control nodes, its libraries (from the dir NVML
 * was loaded from) and tools, at their host paths. */
static void nvml_edits(json_t *edits, const struct gpu *g, bool first)
{
    static const char *const ctl[] = {"/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"};
    static const char *const libs[] = {"libnvidia-ml.so", "libcuda.so",
                                       "libnvidia-ptxjitcompiler.so", "libnvidia-nvvm.so"};
    static const char *const bins[] = {"/usr/bin/nvidia-smi", "/usr/bin/nvidia-debugdump"};
    _cleanup_free_ char *node = xasprintf("/dev/nvidia%u", g->minor);
    add_node(edits, node, NULL);
    if (!first)
        return;
    for (size_t i = 0; i < ARRAY_SIZE(ctl); i++)
        if (access(ctl[i], F_OK) == 0)
            add_node(edits, ctl[i], NULL);
    Dl_info info;
    void *sym = dlsym(dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_NOLOAD), "nvmlInit_v2");
    if (sym && dladdr(sym, &info) && info.dli_fname) {
        _cleanup_free_ char *p = xasprintf("%s", info.dli_fname);
        char *dir = dirname(p);
        _cleanup_closedir_ DIR *d = opendir(dir);
        for (struct dirent *de; d && (de = readdir(d));)
            for (size_t i = 0; i < ARRAY_SIZE(libs); i++)
                if (strncmp(de->d_name, libs[i], strlen(libs[i])) == 0) {
                    _cleanup_free_ char *lib = xasprintf("%s/%s", dir, de->d_name);
                    add_mount(edits, lib);
                }
    }
    for (size_t i = 0; i < ARRAY_SIZE(bins); i++)
        if (access(bins[i], X_OK) == 0)
            add_mount(edits, bins[i]);
}

static void merge_into(json_t *into, json_t *from)
{
    const char *k;
    json_t *v;
    json_object_foreach(from, k, v)
    {
        if (!json_is_array(v))
            continue;
        if (!json_is_array(json_object_get(into, k)))
            json_object_set_new(into, k, json_array());
        json_array_extend(json_object_get(into, k), v);
    }
}

/* The edits and the record of the GPUs taken. */
static json_t *gpus_record(const struct gpu *g, size_t n, const bool *taken, bool sim, bool shared,
                           json_t *edits)
{
    json_t *list = json_array();
    char *uuids = xstrdup(""), *idx = xstrdup("");
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!taken[i])
            continue;
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:I,s:I}", "Index", g[i].index, "UUID",
                                              g[i].uuid, "Name", g[i].name, "MemoryTotal",
                                              (json_int_t)g[i].total, "MemoryUsed",
                                              (json_int_t)g[i].used));
        char *u = xasprintf("%s%s%s", uuids, *uuids ? "," : "", g[i].uuid);
        char *x = xasprintf("%s%s%s", idx, *idx ? "," : "", g[i].index);
        free(uuids);
        free(idx);
        uuids = u;
        idx = x;
        if (sim) {
            _cleanup_free_ char *path = xasprintf("/dev/berth-gpu%s", g[i].index);
            add_node(edits, path, g[i].device);
        } else if (g[i].cdi) {
            merge_into(edits, g[i].cdi);
        } else {
            nvml_edits(edits, &g[i], first);
        }
        first = false;
    }
    if (json_array_size(list) > 0) {
        if (!json_is_array(json_object_get(edits, "env")))
            json_object_set_new(edits, "env", json_array());
        json_array_append_new(json_object_get(edits, "env"),
                              json_sprintf("NVIDIA_VISIBLE_DEVICES=%s", uuids));
        json_array_append_new(json_object_get(edits, "env"), json_sprintf("BERTH_GPUS=%s", idx));
    }
    free(uuids);
    free(idx);
    return json_pack("{s:o,s:b,s:b}", "Gpus", list, "Shared", shared, "Simulated", sim);
}

/* The CDI requests' edits into `edits`, their names into `names`. */
static int cdi_requests(json_t *reqs, json_t *edits, json_t *names, struct berth_error **err)
{
    json_t *req, *v;
    size_t i, k;
    json_array_foreach(reqs, i, req)
    {
        if (!is_cdi(req))
            continue;
        json_array_foreach(json_object_get(req, "DeviceIDs"), k, v)
        {
            json_t *e = cdi_device_edits(cdi_search(), json_string_value(v), err);
            if (e == NULL)
                return -ENOENT;
            merge_into(edits, e);
            json_decref(e);
            json_array_append(names, v);
        }
    }
    return 0;
}

static int write_record(const struct ctr *c, json_t *rec, struct berth_error **err)
{
    _cleanup_close_ int dfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *text = json_dumps(rec, JSON_COMPACT);
    if (dfd < 0)
        return berth_error_set(err, errno, "cannot open %s", c->dir);
    return write_file_atomic_at(dfd, "gpus.json", text, strlen(text), err);
}

/* Under lock: the GPU requests of reqs into rec's Gpus and edits. */
static int gpu_requests(const struct ctr *c, json_t *reqs, json_t *edits, json_t **ret_rec,
                        struct berth_error **err)
{
    struct gpu g[MAX_GPUS];
    bool taken[MAX_GPUS] = {false}, sim, shared = false, any = false;
    size_t n = 0, i;
    json_t *req;
    json_array_foreach(reqs, i, req) any |= !is_cdi(req);
    if (!any) {
        *ret_rec = json_pack("{s:[],s:b}", "Gpus", "Shared", false);
        return 0;
    }
    int r = provider_list(g, &n, &sim, err);
    json_t *holds = r < 0 ? NULL : held(c->id);
    json_array_foreach(reqs, i, req)
    {
        if (r < 0 || is_cdi(req))
            continue;
        shared |= req_shared(req);
        r = pick(req, g, n, holds, taken, err);
    }
    if (r >= 0)
        *ret_rec = gpus_record(g, n, taken, sim, shared, edits);
    json_decref(holds);
    gpus_free(g, n);
    return r;
}

int gpu_assign(const struct ctr *c, json_t *host, struct berth_error **err)
{
    json_t *reqs = json_object_get(host, "DeviceRequests");
    _cleanup_free_ char *stale = xasprintf("%s/gpus.json", c->dir);
    if (json_array_size(reqs) == 0) {
        unlink(stale); /* an update may have dropped the requests */
        return 0;
    }
    json_t *edits = json_object(), *names = json_array(), *rec = NULL;
    /* one start at a time: two must not take the same free GPU */
    pthread_mutex_lock(&lock);
    int r = gpu_requests(c, reqs, edits, &rec, err);
    if (r >= 0)
        r = cdi_requests(reqs, edits, names, err);
    if (r >= 0) {
        json_object_set(rec, "Cdi", names);
        json_object_set(rec, "Edits", edits);
        r = write_record(c, rec, err);
    }
    if (r < 0) {
        unlink(stale); /* the start fails: it holds nothing */
        pthread_mutex_unlock(&lock);
    }
    json_decref(rec);
    json_decref(edits);
    json_decref(names);
    /* on success the lock stays held until gpu_assign_done: the container
     * counts as a holder only once it runs */
    return r < 0 ? berth_error_wrap(err, "cannot start container %s", ctr_name(c)) : 1;
}

void gpu_assign_done(const struct ctr *c, bool started)
{
    if (!started) {
        _cleanup_free_ char *p = xasprintf("%s/gpus.json", c->dir);
        unlink(p);
    }
    pthread_mutex_unlock(&lock);
}
