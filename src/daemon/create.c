/* POST /containers/create: Docker's create body into a container record.
 * Whatever berth cannot honour yet is refused by name (DESIGN.md: never
 * silently ignored). */
#include "daemon.h"
#include "body.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "store.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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

static int write_record(json_t *body, const char *name, const char *net, struct store_image *img,
                        const char *id, struct berth_error **err)
{
    const char *given = json_string_value(json_object_get(body, "Image"));
    json_t *host = json_object_get(body, "HostConfig");
    char hostname[13];
    const char *hn = json_string_value(json_object_get(body, "Hostname"));
    snprintf(hostname, sizeof(hostname), "%.12s", id);
    json_t *proc = NULL;
    json_t *imgcfg = json_object_get(img->config, "config");
    if (body_process(body, imgcfg, hn && *hn ? hn : hostname, &proc, err) < 0)
        return -EINVAL;
    struct timespec ts;
    char now[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    json_t *layers = json_array();
    for (char **l = img->layers; *l; l++)
        json_array_append_new(layers, json_string(*l));
    json_t *hc = json_pack(
        "{s:b,s:I,s:I,s:I,s:s}", "AutoRemove", json_is_true(json_object_get(host, "AutoRemove")),
        "Memory", json_integer_value(json_object_get(host, "Memory")), "NanoCpus",
        json_integer_value(json_object_get(host, "NanoCpus")), "PidsLimit",
        json_integer_value(json_object_get(host, "PidsLimit")), "NetworkMode", net);
    json_t *lc = json_object_get(json_object_get(host, "LogConfig"), "Config");
    json_object_set_new(hc, "LogConfig",
                        json_pack("{s:s,s:O}", "Type", "json-file", "Config",
                                  json_is_object(lc) ? lc : json_object()));
    json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:O}", "Id", id, "Name", name,
                            "Created", fmt_time(&ts, now), "Image", given, "ImageID", img->id,
                            "Process", proc, "HostConfig", hc, "Layers", layers, "Config", body);
    json_object_del(json_object_get(rec, "Config"), "HostConfig");
    _cleanup_free_ char *dir = xasprintf("%s/containers/%s", engine.data_root, id);
    int r = mkdir_p(dir, 0700, err);
    if (r == 0)
        r = durable_write_json(dir, "container.json", rec, err);
    if (r < 0)
        rm_rf_at(AT_FDCWD, dir, NULL);
    json_decref(rec);
    return r;
}

int ctr_create(json_t *body, const char *name, char ret_id[65], struct berth_error **err)
{
    const char *net = NULL;
    if (body_check(body, name, &net, err) < 0)
        return -EINVAL;
    const char *image = json_string_value(json_object_get(body, "Image"));
    char id[65];
    random_hex_id(id);
    pthread_mutex_lock(&engine.lock);
    struct store_image *img = NULL;
    _cleanup_free_ char *nm =
        name && *name ? xstrdup(name[0] == '/' ? name + 1 : name) : generate_name(id);
    int r = store_image_resolve(engine.data_root, image, &img, err);
    if (r == 0 && ctr_name_taken(nm))
        r = berth_error_set(err, EEXIST,
                            "Conflict. The container name \"/%s\" is already in "
                            "use",
                            nm);
    if (r == 0)
        r = write_record(body, nm, net, img, id, err);
    pthread_mutex_unlock(&engine.lock);
    store_image_free(img);
    if (r == 0)
        memcpy(ret_id, id, 65);
    return r;
}
