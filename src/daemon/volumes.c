/* Volumes of docker's local driver under DATA/volumes (volumes.h). */
#include "volumes.h"
#include "events.h"
#include "body.h"
#include "cleanup.h"
#include "daemon.h"
#include "durable.h"
#include "mounts.h"
#include "error.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ANON_LABEL "com.docker.volume.anonymous"

static char *volume_dir(const char *name)
{
    return xasprintf("%s/volumes/%s", engine.data_root, name);
}

json_t *volume_get(const char *name, struct berth_error **err)
{
    if (!mounts_volume_name_valid(name)) {
        berth_error_set(err, ENOENT, "get %s: no such volume", name);
        return NULL;
    }
    _cleanup_free_ char *dir = volume_dir(name);
    _cleanup_free_ char *data = xasprintf("%s/_data", dir);
    json_t *meta = json_read_file(dir, "volume.json", NULL);
    if (meta == NULL) {
        berth_error_set(err, ENOENT, "get %s: no such volume", name);
        return NULL;
    }
    json_t *labels = json_object_get(meta, "Labels");
    json_t *v =
        json_pack("{s:s,s:s,s:s,s:O,s:O,s:s,s:{}}", "Name", name, "Driver", "local", "Mountpoint",
                  data, "CreatedAt", json_object_get(meta, "CreatedAt"), "Labels",
                  json_is_object(labels) ? labels : json_null(), "Scope", "local", "Options");
    json_decref(meta);
    return v;
}

json_t *volume_create(const char *name, json_t *labels, struct berth_error **err)
{
    char anon[65];
    if (name == NULL || *name == '\0') {
        random_hex_id(anon);
        name = anon;
    }
    if (!mounts_volume_name_valid(name)) {
        berth_error_set(err, EINVAL,
                        "create %s: \"%s\" includes invalid characters for a local volume "
                        "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
                        name, name);
        return NULL;
    }
    json_t *v = volume_get(name, NULL);
    if (v)
        return v;
    _cleanup_free_ char *dir = volume_dir(name);
    _cleanup_free_ char *data = xasprintf("%s/_data", dir);
    struct timespec ts;
    char now[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    json_t *l = json_is_object(labels) ? json_deep_copy(labels) : json_object();
    if (name == anon)
        json_object_set_new(l, ANON_LABEL, json_string(""));
    json_t *meta = json_pack("{s:s,s:o}", "CreatedAt", fmt_time(&ts, now), "Labels", l);
    int r = mkdir_p(data, 0755, err);
    if (r == 0)
        r = durable_write_json(dir, "volume.json", meta, err);
    json_decref(meta);
    if (r < 0) {
        rm_rf_at(AT_FDCWD, dir, NULL);
        return NULL;
    }
    events_emit("volume", "create", name, json_pack("{s:s}", "driver", "local"));
    return volume_get(name, err);
}

json_t *volume_list(void)
{
    _cleanup_free_ char *root = xasprintf("%s/volumes", engine.data_root);
    json_t *out = json_array();
    DIR *d = opendir(root);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        json_t *v = de->d_name[0] == '.' ? NULL : volume_get(de->d_name, NULL);
        if (v)
            json_array_append_new(out, v);
    }
    if (d)
        closedir(d);
    return out;
}

/* The first container whose record mounts volume `name`, or NULL. */
static char *user_of(const char *name)
{
    struct ctr **v;
    size_t n, i, k;
    char *id = NULL;
    json_t *m;
    ctr_list(&v, &n);
    for (i = 0; i < n && id == NULL; i++)
        json_array_foreach(json_object_get(v[i]->rec, "Mounts"), k,
                           m) if (id == NULL &&
                                  streq(json_string_value(json_object_get(m, "Type")), "volume") &&
                                  streq(json_string_value(json_object_get(m, "Name")), name)) id =
            xstrdup(v[i]->id);
    ctrs_free(v, n);
    return id;
}

int volume_remove(const char *name, bool force, struct berth_error **err)
{
    json_t *v = volume_get(name, err);
    if (v == NULL) {
        if (force)
            berth_error_clear(err);
        return force ? 0 : -ENOENT;
    }
    json_decref(v);
    _cleanup_free_ char *user = user_of(name);
    if (user)
        return berth_error_set(err, EBUSY, "remove %s: volume is in use - [%s]", name, user);
    _cleanup_free_ char *dir = volume_dir(name);
    _cleanup_free_ char *gone = xasprintf("%s/volumes/.removing-%s", engine.data_root, name);
    if (rename(dir, gone) < 0)
        return berth_error_set(err, errno, "cannot remove volume %s", name);
    events_emit("volume", "destroy", name, json_pack("{s:s}", "driver", "local"));
    return rm_rf_at(AT_FDCWD, gone, err);
}

void volume_prune(json_t **ret_names)
{
    json_t *all = volume_list(), *v;
    size_t i;
    *ret_names = json_array();
    json_array_foreach(all, i, v)
    {
        const char *name = json_string_value(json_object_get(v, "Name"));
        if (volume_remove(name, false, NULL) == 0)
            json_array_append_new(*ret_names, json_string(name));
    }
    json_decref(all);
}

static bool volume_exists(const char *name)
{
    json_t *v = volume_get(name, NULL);
    bool found = v != NULL;
    json_decref(v);
    return found;
}

static int prepare_one(json_t *m, struct berth_error **err)
{
    const char *type = json_string_value(json_object_get(m, "Type"));
    const char *src = json_string_value(json_object_get(m, "Source"));
    struct stat st;
    if (streq(type, "bind")) {
        if (stat(src, &st) == 0)
            return 0;
        if (!json_is_true(json_object_get(m, "Create")))
            return berth_error_set(err, EINVAL,
                                   "invalid mount config for type \"bind\": bind source path "
                                   "does not exist: %s",
                                   src);
        /* -v creates a missing host directory, as docker does */
        return mkdir_p(src, 0755, err);
    }
    if (!streq(type, "volume"))
        return 0;
    const char *name = json_string_value(json_object_get(m, "Name"));
    bool existed = name && *name && volume_exists(name);
    json_t *v = volume_create(name, NULL, err);
    if (v == NULL)
        return -EINVAL;
    json_object_set(m, "Name", json_object_get(v, "Name"));
    json_object_set(m, "Source", json_object_get(v, "Mountpoint"));
    if (!existed)
        json_object_set_new(m, "New", json_true());
    json_decref(v);
    return 0;
}

int volumes_prepare(json_t *mounts, struct berth_error **err)
{
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m)
    {
        if (prepare_one(m, err) < 0) {
            volumes_release(mounts, true);
            return -EINVAL;
        }
    }
    json_array_foreach(mounts, i, m) json_object_del(m, "New");
    return 0;
}

void volumes_release(json_t *mounts, bool all_new)
{
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m)
    {
        const char *name = json_string_value(json_object_get(m, "Name"));
        if (!streq(json_string_value(json_object_get(m, "Type")), "volume") || !name || !*name)
            continue;
        json_t *v = volume_get(name, NULL);
        bool anon = json_object_get(json_object_get(v, "Labels"), ANON_LABEL) != NULL;
        json_decref(v);
        if (all_new ? json_is_true(json_object_get(m, "New")) : anon)
            volume_remove(name, false, NULL);
    }
}

json_t *volumes_inspect_mounts(json_t *rec)
{
    static const char *const keys[] = {"Type",   "Name", "Source", "Destination",
                                       "Driver", "Mode", "RW",     "Propagation"};
    json_t *out = json_array(), *m;
    size_t i;
    json_array_foreach(json_object_get(rec, "Mounts"), i, m)
    {
        json_t *o = json_object();
        for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
            if (json_object_get(m, keys[k]))
                json_object_set(o, keys[k], json_object_get(m, keys[k]));
        if (!streq(json_string_value(json_object_get(m, "Type")), "volume"))
            json_object_del(o, "Name"), json_object_del(o, "Driver");
        json_array_append_new(out, o);
    }
    return out;
}
