/* POST /containers/create: Docker's create body into a container record.
 * Whatever berth cannot honour yet is refused by name (DESIGN.md: never
 * silently ignored). */
#include "daemon.h"
#include "events.h"
#include "body.h"
#include "mounts.h"
#include "networks.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "store.h"
#include "util.h"
#include "volumes.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool ctr_name_taken(const char *name)
{
    struct ctr **v;
    size_t n;
    bool taken = false;
    ctr_list(&v, &n);
    for (size_t i = 0; i < n && !taken; i++)
        taken = streq(ctr_name(v[i]), name);
    ctrs_free(v, n);
    return taken;
}

static char *generate_name(const char *id)
{
    static const char *const adj[] = {"brave", "calm",  "eager", "fond", "keen",
                                      "quiet", "swift", "wise",  "bold", "merry"};
    static const char *const noun[] = {"otter", "heron",  "lynx", "finch", "orca",
                                       "ibis",  "marten", "wren", "tern",  "vole"};
    unsigned h = (unsigned)strtoul(
        (char[9]){id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], 0}, NULL, 16);
    char *n = xasprintf("%s_%s", adj[h % 10], noun[(h / 10) % 10]);
    if (!ctr_name_taken(n))
        return n;
    free(n);
    return xasprintf("%s_%s_%.6s", adj[h % 10], noun[(h / 10) % 10], id);
}

/* The layers: the image's, or --rootfs's directory alone. */
static int record_layers(json_t *body, struct store_image *img, json_t **ret,
                         struct berth_error **err)
{
    const char *rootfs = json_string_value(json_object_get(body, "Rootfs"));
    struct stat st;
    if (img == NULL) {
        if (stat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
            return berth_error_set(err, EINVAL, "invalid rootfs '%s': not a directory", rootfs);
        *ret = json_pack("[s]", rootfs);
        return 0;
    }
    *ret = json_array();
    for (char **l = img->layers; *l; l++)
        json_array_append_new(*ret, json_string(*l));
    return 0;
}

/* docker discards a weight the kernel has no file for, with a warning;
 * berth refuses it (fail closed) before anything is created. */
static int check_host_support(json_t *body, struct berth_error **err)
{
    json_t *hc = json_object_get(body, "HostConfig");
    if (json_integer_value(json_object_get(hc, "BlkioWeight")) <= 0 ||
        access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ||
        access("/sys/fs/cgroup/blkio/blkio.weight", F_OK) == 0 ||
        access("/sys/fs/cgroup/blkio/blkio.bfq.weight", F_OK) == 0)
        return 0;
    return berth_error_set(err, EINVAL,
                           "--blkio-weight is not supported on this host: its kernel has no "
                           "blkio.weight (nor blkio.bfq.weight)");
}

static json_t *make_record(json_t *body, const char *name, const char *net, struct store_image *img,
                           const char *id, json_t *parts[3])
{
    const char *given = json_string_value(json_object_get(body, "Image"));
    if (img == NULL)
        given = json_string_value(json_object_get(body, "Rootfs"));
    struct timespec ts;
    char now[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    json_t *rec =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:O,s:o}", "Id", id, "Name", name, "Created",
                  fmt_time(&ts, now), "Image", given, "ImageID", img ? img->id : "", "Process",
                  parts[0], "HostConfig", body_host_config(body, net), "Layers", parts[1], "Config",
                  body, "Mounts", parts[2]);
    json_object_del(json_object_get(rec, "Config"), "HostConfig");
    /* the endpoint's settings (--ip, --network-alias, ...) for netctr.c */
    json_t *ncfg = json_object_get(json_object_get(rec, "Config"), "NetworkingConfig");
    if (json_is_object(ncfg))
        json_object_set(rec, "NetworkingConfig", ncfg);
    json_object_del(json_object_get(rec, "Config"), "NetworkingConfig");
    return rec;
}

static int write_record(json_t *body, const char *name, const char *net, struct store_image *img,
                        const char *id, struct berth_error **err)
{
    char hostname[HOST_NAME_MAX + 1];
    const char *hn = json_string_value(json_object_get(body, "Hostname"));
    const char *uts =
        json_string_value(json_object_get(json_object_get(body, "HostConfig"), "UTSMode"));
    snprintf(hostname, sizeof(hostname), "%.12s", id);
    if (uts && streq(uts, "host") && gethostname(hostname, sizeof(hostname)) < 0)
        snprintf(hostname, sizeof(hostname), "localhost"); /* --uts host: the host's name */
    hostname[sizeof(hostname) - 1] = '\0';
    json_t *imgcfg = img ? json_object_get(img->config, "config") : NULL;
    json_t *parts[3] = {NULL, NULL, NULL}; /* process, layers, mounts */
    if (check_host_support(body, err) < 0 || record_layers(body, img, &parts[1], err) < 0)
        return -EINVAL;
    _cleanup_strv_ char **layers = xzalloc((json_array_size(parts[1]) + 1) * sizeof(char *));
    for (size_t i = 0; i < json_array_size(parts[1]); i++)
        layers[i] = xstrdup(json_string_value(json_array_get(parts[1], i)));
    if (body_process(body, imgcfg, hn && *hn ? hn : hostname, layers, &parts[0], err) < 0 ||
        mounts_parse(body, imgcfg, &parts[2], err) < 0 || volumes_prepare(parts[2], err) < 0) {
        json_decref(parts[0]);
        json_decref(parts[1]);
        json_decref(parts[2]);
        return -EINVAL;
    }
    json_t *mounts = json_incref(parts[2]);
    json_t *rec = make_record(body, name, net, img, id, parts);
    _cleanup_free_ char *dir = xasprintf("%s/containers/%s", engine.data_root, id);
    int r = mkdir_p(dir, 0700, err);
    if (r == 0)
        r = durable_write_json(dir, "container.json", rec, err);
    if (r < 0) {
        rm_rf_at(AT_FDCWD, dir, NULL);
        volumes_release(mounts, false);
    }
    json_decref(mounts);
    json_decref(rec);
    return r;
}

int ctr_create(json_t *body, const char *name, char ret_id[65], struct berth_error **err)
{
    const char *net = NULL;
    if (body_check(body, name, &net, err) < 0 || ctr_body_runtime(body, err) < 0)
        return -EINVAL;
    /* Docker's default network, "none" where berthd runs with --bridge none */
    struct net_info bridge;
    if (streq(net, "default"))
        net = net_lookup("bridge", &bridge, NULL) == 0 ? "bridge" : "none";
    /* a 400, not a 404: the docker CLI takes a 404 for a missing image */
    if (netctr_check_mode(net, err) < 0 || nsopts_check(body, err) < 0) {
        if (err && *err)
            (*err)->errnum = EINVAL;
        return -EINVAL;
    }
    const char *image = json_string_value(json_object_get(body, "Image"));
    const char *rootfs = json_string_value(json_object_get(body, "Rootfs"));
    char id[65];
    random_hex_id(id);
    pthread_mutex_lock(&engine.lock);
    struct store_image *img = NULL;
    _cleanup_free_ char *nm =
        name && *name ? xstrdup(name[0] == '/' ? name + 1 : name) : generate_name(id);
    int r = 0;
    if (rootfs == NULL || *rootfs == '\0')
        r = store_image_resolve(engine.data_root, image, &img, err);
    if (r == 0 && ctr_name_taken(nm))
        r = berth_error_set(err, EEXIST,
                            "Conflict. The container name \"/%s\" is already in "
                            "use",
                            nm);
    if (r == 0)
        r = write_record(body, nm, net, img, id, err);
    pthread_mutex_unlock(&engine.lock);
    store_image_free(img);
    struct ctr *c = NULL;
    if (r == 0 && ctr_find(id, &c, NULL) == 0)
        events_container(c, "create", NULL);
    ctr_free(c);
    if (r == 0)
        memcpy(ret_id, id, 65);
    return r;
}
