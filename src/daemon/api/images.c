/* /images/...: list, inspect, tag, delete, load, get (save) and create
 * with fromSrc (import) or fromImage (pull, streamed as it goes). The
 * bodies of load and import are spooled to an unlinked file under DATA/tmp
 * as they arrive (api_images_spool), since an image is larger than any
 * JSON body. */
#include "api.h"
#include "../build.h"
#include "../daemon.h"
#include "../events.h"
#include "cleanup.h"
#include "error.h"
#include "images-query.h"
#include "image-io.h"
#include "registry.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int api_images_spool(struct MHD_Connection *conn, const char *path, const char *method)
{
    bool load = streq(path, "/images/load");
    bool import = streq(path, "/images/create") &&
                  MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "fromSrc");
    if (!streq(method, "POST") || !(load || import))
        return -1;
    _cleanup_free_ char *dir = xasprintf("%s/tmp", engine.data_root);
    mkdir(dir, 0700);
    return open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

void api_images_spool_write(struct request *r, const char *data, size_t len)
{
    while (len > 0 && r->upload_error == 0) {
        ssize_t n = write(r->upload_fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            r->upload_error = n < 0 ? errno : EIO;
        else
            data += n, len -= (size_t)n;
    }
}

static enum MHD_Result reply_text(struct request *r, unsigned status, char *text)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* appends one JSON message line to *text */
static void add_line(char **text, json_t *msg)
{
    _cleanup_free_ char *m = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    char *n = xasprintf("%s%s\n", *text ? *text : "", m);
    free(*text);
    *text = n;
}

static bool spooled_body(struct request *r, enum MHD_Result *ret)
{
    if (r->upload_fd < 0) {
        *ret = api_message(r, 500, "the request body was not kept");
        return false;
    }
    if (r->upload_error) {
        *ret = api_message(r, 500, "cannot keep the request body: %s", strerror(r->upload_error));
        return false;
    }
    lseek(r->upload_fd, 0, SEEK_SET);
    return true;
}

static void load_progress(const char *layer, void *ud)
{
    add_line(ud, json_pack("{s:s,s:{},s:s%}", "status", "Loading layer", "progressDetail", "id",
                           layer + 7, (size_t)12));
}

static enum MHD_Result load(struct request *r)
{
    enum MHD_Result ret;
    if (!spooled_body(r, &ret))
        return ret;
    struct berth_error *err = NULL;
    _cleanup_free_ char *text = NULL;
    bool quiet = api_arg_bool(r, "quiet", false);
    pthread_mutex_lock(&engine.lock);
    json_t *lines =
        image_load(engine.data_root, r->upload_fd, quiet ? NULL : load_progress, &text, &err);
    events_image_load(lines);
    pthread_mutex_unlock(&engine.lock);
    if (lines == NULL)
        return api_error(r, err);
    json_t *l;
    size_t i;
    json_array_foreach(lines, i, l)
    {
        add_line(&text, json_pack("{s:s+}", "stream", json_string_value(l), "\n"));
    }
    json_decref(lines);
    return reply_text(r, 200, TAKE_PTR(text));
}

static enum MHD_Result import(struct request *r)
{
    const char *src = api_arg(r, "fromSrc"), *repo = api_arg(r, "repo"), *tag = api_arg(r, "tag");
    const char *changes = api_arg(r, "changes"), *platform = api_arg(r, "platform");
    enum MHD_Result ret;
    if (!streq(src, "-"))
        return api_message(r, 400, "fromSrc '%s' is not supported by berth: only '-' (the body)",
                           src);
    if (changes && *changes)
        return api_message(r, 400, "changes ('%s') are not supported by berth import", changes);
    if (platform && *platform && !streq(platform, "linux/amd64") && !streq(platform, "linux"))
        return api_message(r, 400, "platform '%s' is not supported by berth", platform);
    if (!spooled_body(r, &ret))
        return ret;
    _cleanup_free_ char *ref =
        repo && *repo ? (tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo)) : NULL;
    _cleanup_free_ char *id = NULL;
    struct berth_error *err = NULL;
    pthread_mutex_lock(&engine.lock);
    int rc = image_import(engine.data_root, r->upload_fd, ref, api_arg(r, "message"), &id, &err);
    if (rc == 0)
        events_image(id, "import", true);
    pthread_mutex_unlock(&engine.lock);
    if (rc < 0)
        return api_error(r, err);
    char *text = NULL;
    add_line(&text, json_pack("{s:s}", "status", id));
    return reply_text(r, 200, text);
}

/* ---- pull: the manifest is read in the handler (an unknown image gets
 * its 404), the blobs in a thread writing Docker's progress lines to a
 * pipe the response reads, so that they stream; engine.lock is held only
 * for the store's commit. ---- */

static void pull_run(struct api_job *j, void *ud)
{
    struct registry_pull *p = ud;
    struct berth_error *err = NULL;
    bool fresh = !registry_pull_up_to_date(p);
    int rc = registry_pull_fetch(p, api_job_progress, j, &err);
    if (rc == 0) {
        pthread_mutex_lock(&engine.lock);
        rc = registry_pull_commit(p, &err);
        if (rc == 0)
            events_image(registry_pull_ref(p), "pull", false);
        pthread_mutex_unlock(&engine.lock);
    }
    if (rc == 0) {
        const char *ref = registry_pull_ref(p);
        api_job_status(j, xasprintf("Digest: %s", registry_pull_digest(p)));
        api_job_status(j, fresh ? xasprintf("Status: Downloaded newer image for %s", ref)
                                : xasprintf("Status: Image is up to date for %s", ref));
    } else {
        /* registry.c's messages say it all; a system call's errno is added */
        int e = err->errnum;
        api_job_error(j, err, e == EIO || e == EACCES || e == ENOENT);
    }
}

static void pull_free(void *p)
{
    registry_pull_free(p);
}

static enum MHD_Result pull(struct request *r)
{
    const char *image = api_arg(r, "fromImage"), *tag = api_arg(r, "tag");
    if (image == NULL || *image == '\0')
        return api_message(r, 400, "fromImage or fromSrc is required");
    /* docker sends the tag apart (or a digest as the tag) */
    _cleanup_free_ char *name =
        tag && *tag ? xasprintf("%s%s%s", image, strncmp(tag, "sha256:", 7) ? ":" : "@", tag)
                    : xstrdup(image);
    struct berth_error *err = NULL;
    struct registry_creds creds = {0};
    const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Registry-Auth");
    if (registry_creds_decode(auth, &creds, &err) < 0)
        return api_error(r, err);
    struct registry_pull *p =
        registry_pull_new_auth(engine.data_root, name, api_arg(r, "platform"), &creds, &err);
    registry_creds_free(&creds);
    if (p == NULL)
        return api_error(r, err);
    json_t *first = json_pack("{s:s+,s:s}", "status", "Pulling from ", registry_pull_repo(p), "id",
                              registry_pull_tag(p));
    return api_job_start(r, first, pull_run, p, pull_free);
}

static enum MHD_Result collect_name(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    if (streq(key, "names") && value)
        json_array_append_new(cls, json_string(value));
    return MHD_YES;
}

static enum MHD_Result save(struct request *r, const char *one)
{
    json_t *names = json_array(), *v;
    if (one)
        json_array_append_new(names, json_string(one));
    else
        MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_name, names);
    size_t n = json_array_size(names), i;
    if (n == 0)
        return json_decref(names), api_message(r, 400, "no image names given (names=)");
    _cleanup_free_ char **argv = xzalloc((n + 1) * sizeof(char *));
    json_array_foreach(names, i, v) argv[i] = (char *)json_string_value(v);
    _cleanup_free_ char *dir = xasprintf("%s/tmp", engine.data_root);
    mkdir(dir, 0700);
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    struct berth_error *err = NULL;
    pthread_mutex_lock(&engine.lock);
    int rc = fd < 0 ? berth_error_set(&err, errno, "cannot create a file in '%s'", dir)
                    : image_save(engine.data_root, argv, n, fd, &err);
    for (i = 0; rc == 0 && i < n; i++)
        events_image(argv[i], "save", true);
    pthread_mutex_unlock(&engine.lock);
    json_decref(names);
    struct stat st;
    if (rc < 0 || fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        if (fd >= 0)
            close(fd);
        return api_error(r, err);
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    MHD_add_response_header(resp, "Content-Type", "application/x-tar");
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

static bool ref_matches(const char *tag, json_t *refs)
{
    json_t *want;
    size_t i;
    json_array_foreach(refs, i, want)
    {
        _cleanup_free_ char *n = NULL;
        struct berth_error *e = NULL;
        const char *w = json_string_value(want), *c = strrchr(tag, ':');
        bool tagged = w && strrchr(w, ':') > strrchr(w, '/');
        if (store_normalize_ref(w, &n, &e) < 0) {
            berth_error_clear(&e);
            continue;
        }
        if (tagged ? streq(tag, n) : (c && strncmp(tag, n, (size_t)(c - tag) + 1) == 0))
            return true;
    }
    return false;
}

/* filters={"reference":["NAME"],"dangling":["true"]} of GET /images/json;
 * a reference filter keeps only the matching tags, as Docker's */
static bool keep_image(json_t *img, json_t *filters)
{
    json_t *refs = json_object_get(filters, "reference"), *t;
    json_t *tags = json_object_get(img, "RepoTags");
    const char *dangling =
        json_string_value(json_array_get(json_object_get(filters, "dangling"), 0));
    bool none = streq(json_string_value(json_array_get(tags, 0)), "<none>:<none>");
    if (dangling && streq(dangling, "true") != none)
        return false;
    if (refs == NULL)
        return true;
    json_t *kept = json_array();
    size_t i;
    json_array_foreach(tags, i, t)
    {
        if (ref_matches(json_string_value(t), refs))
            json_array_append(kept, t);
    }
    bool keep = json_array_size(kept) > 0;
    json_object_set_new(img, "RepoTags", kept);
    return keep;
}

static enum MHD_Result list(struct request *r)
{
    const char *f = api_arg(r, "filters");
    json_error_t je;
    json_t *filters = f && *f ? json_loads(f, 0, &je) : json_object(), *img;
    const char *k;
    json_t *v;
    if (!json_is_object(filters))
        return json_decref(filters), api_message(r, 400, "invalid filters: '%s'", f);
    json_object_foreach(filters, k, v)
    {
        /* {"reference":{"NAME":true}} (docker CLI) or {"reference":["NAME"]} */
        if (json_is_object(v)) {
            json_t *a = json_array();
            const char *name;
            json_t *on;
            json_object_foreach(v, name, on) json_array_append_new(a, json_string(name));
            json_object_set_new(filters, k, a);
        }
        if (!streq(k, "reference") && !streq(k, "dangling"))
            return json_decref(filters),
                   api_message(r, 400, "the filter '%s' is not supported by berth", k);
    }
    pthread_mutex_lock(&engine.lock);
    json_t *all = store_image_list(engine.data_root, NULL), *out = json_array();
    pthread_mutex_unlock(&engine.lock);
    size_t i;
    json_array_foreach(all, i, img)
    {
        if (keep_image(img, filters))
            json_array_append(out, img);
    }
    json_decref(all);
    json_decref(filters);
    return api_json(r, 200, out);
}

/* the containers as store_image_remove wants them; under the lock */
static json_t *users(void)
{
    struct ctr **v;
    size_t n;
    json_t *out = json_array();
    ctr_list(&v, &n);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_pack("{s:s,s:O?,s:b,s:O?}", "Id", v[i]->id, "ImageID",
                                             json_object_get(v[i]->rec, "ImageID"), "Running",
                                             v[i]->status == CTR_RUNNING, "Layers",
                                             json_object_get(v[i]->rec, "Layers")));
    ctrs_free(v, n);
    build_holds_users(out);
    return out;
}

static enum MHD_Result remove_image(struct request *r, const char *name)
{
    struct berth_error *err = NULL;
    pthread_mutex_lock(&engine.lock);
    json_t *u = users();
    struct store_image *img = NULL;
    struct berth_error *e = NULL;
    if (store_image_resolve(engine.data_root, name, &img, &e) < 0)
        berth_error_clear(&e);
    json_t *out = store_image_remove(engine.data_root, name, api_arg_bool(r, "force", false),
                                     !api_arg_bool(r, "noprune", false), u, &err);
    if (out && img)
        events_image_removed(img->id, out);
    store_image_free(img);
    pthread_mutex_unlock(&engine.lock);
    json_decref(u);
    return out ? api_json(r, 200, out) : api_error(r, err);
}

static enum MHD_Result tag(struct request *r, const char *name)
{
    const char *repo = api_arg(r, "repo"), *t = api_arg(r, "tag");
    if (repo == NULL || *repo == '\0')
        return api_message(r, 400, "repository name must have at least one component");
    _cleanup_free_ char *dst = t && *t ? xasprintf("%s:%s", repo, t) : xstrdup(repo);
    struct berth_error *err = NULL;
    pthread_mutex_lock(&engine.lock);
    int rc = store_image_tag(engine.data_root, name, dst, &err);
    if (rc == 0)
        events_image(dst, "tag", false);
    pthread_mutex_unlock(&engine.lock);
    return rc < 0 ? api_error(r, err) : api_empty(r, 201);
}

static enum MHD_Result inspect(struct request *r, const char *name)
{
    struct berth_error *err = NULL;
    pthread_mutex_lock(&engine.lock);
    json_t *j = store_image_inspect(engine.data_root, name, &err);
    pthread_mutex_unlock(&engine.lock);
    return j ? api_json(r, 200, j) : api_error(r, err);
}

static enum MHD_Result history(struct request *r, const char *name)
{
    struct berth_error *err = NULL;
    pthread_mutex_lock(&engine.lock);
    json_t *j = store_image_history(engine.data_root, name, &err);
    pthread_mutex_unlock(&engine.lock);
    return j ? api_json(r, 200, j) : api_error(r, err);
}

static enum MHD_Result prune(struct request *r)
{
    json_t *filters = NULL;
    struct store_prune f = {0};
    _cleanup_free_ char *bad = images_prune_filters(api_arg(r, "filters"), &f, &filters);
    if (bad) {
        json_decref(filters);
        return api_message(r, 400, "%s", bad);
    }
    struct berth_error *err = NULL;
    pthread_mutex_lock(&engine.lock);
    json_t *u = users();
    json_t *out = store_image_prune(engine.data_root, &f, u, &err);
    json_t *d, *one = json_array(); /* each image's entries end with its Deleted */
    size_t i;
    json_array_foreach(json_object_get(out, "ImagesDeleted"), i, d)
    {
        const char *id = json_string_value(json_object_get(d, "Deleted"));
        json_array_append(one, d);
        if (id)
            events_image_removed(id, one), json_array_clear(one);
    }
    json_decref(one);
    pthread_mutex_unlock(&engine.lock);
    json_decref(u);
    json_decref(filters);
    return out ? api_json(r, 200, out) : api_error(r, err);
}

/* "/images/NAME/SUFFIX" -> NAME (names may hold '/') */
static char *name_before(const char *rest, const char *suffix)
{
    size_t n = strlen(rest), k = strlen(suffix);
    if (n <= k || !streq(rest + n - k, suffix))
        return NULL;
    return strndup(rest, n - k);
}

enum MHD_Result api_images(struct request *r)
{
    const char *rest = r->path + strlen("/images/");
    bool get = streq(r->method, "GET") || streq(r->method, "HEAD");
    bool post = streq(r->method, "POST");
    if (get && streq(rest, "json"))
        return list(r);
    if (post && streq(rest, "load"))
        return load(r);
    if (get && streq(rest, "get"))
        return save(r, NULL);
    if (post && streq(rest, "create") && api_arg(r, "fromSrc"))
        return import(r);
    if (post && streq(rest, "create"))
        return pull(r);
    if (post && streq(rest, "prune"))
        return prune(r);
    _cleanup_free_ char *n = NULL;
    if (get && (n = name_before(rest, "/json")))
        return inspect(r, n);
    if (get && (n = name_before(rest, "/get")))
        return save(r, n);
    if (get && (n = name_before(rest, "/history")))
        return history(r, n);
    if (post && (n = name_before(rest, "/tag")))
        return tag(r, n);
    if (streq(r->method, "DELETE") && *rest)
        return remove_image(r, rest);
    return api_message(r, 404, "page not found");
}
