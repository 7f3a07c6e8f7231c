#include "push.h"
#include "cleanup.h"
#include "error.h"
#include "registry-client.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRESS_STEP (512 * 1024)
#define ANSWER_MAX    (1 << 16)

struct push_blob {
    const char *digest; /* borrowed from the manifest */
    long long size;
    int fd;
    char id[13]; /* "" for the config: Docker shows no progress for it */
};

struct registry_push {
    struct registry_client c; /* shown: "127.0.0.1:5000/test/bb:v1" */
    char *repo;               /* registry_push_repo */
    char *store_ref;
    char *manifest;
    size_t manifest_len;
    json_t *mjson;
    const char *media_type;
    char digest[72];
    struct push_blob *blobs; /* the layers, then the config */
    size_t n;
};

static void tell(registry_progress_fn fn, void *ud, const char *id, const char *status,
                 json_t *detail)
{
    if (fn == NULL) {
        json_decref(detail);
        return;
    }
    /* Docker's last status line has no progressDetail */
    json_t *m = json_pack("{s:s}", "status", status);
    if (id) {
        json_object_set_new(m, "progressDetail", detail ? detail : json_object());
        json_object_set_new(m, "id", json_string(id));
    } else {
        json_decref(detail);
    }
    fn(m, ud);
    json_decref(m);
}

static void sha256_hex(const char *data, size_t len, char out[72])
{
    unsigned char md[32];
    unsigned n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    strcpy(out, "sha256:");
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* ---- the image, under the store's lock ---- */

static int open_blob(struct registry_push *p, const char *data_root, json_t *desc, bool layer,
                     struct berth_error **err)
{
    struct push_blob *b = &p->blobs[p->n];
    b->digest = json_string_value(json_object_get(desc, "digest"));
    b->size = json_integer_value(json_object_get(desc, "size"));
    for (size_t i = 0; i < p->n; i++)
        if (streq(p->blobs[i].digest, b->digest))
            return 0; /* a layer twice: sent once */
    if (layer)
        snprintf(b->id, sizeof(b->id), "%.12s", b->digest + 7);
    _cleanup_free_ char *path = xasprintf("%s/image/blobs/sha256/%s", data_root, b->digest + 7);
    b->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (b->fd < 0 || fstat(b->fd, &st) < 0)
        return berth_error_set(err, errno == ENOENT ? EIO : errno,
                               "cannot open blob '%s' of %s in the store", b->digest, p->c.shown);
    p->n++;
    if (st.st_size != b->size)
        return berth_error_set(err, EIO, "blob '%s' of %s is %lld bytes in the store, not %lld",
                               b->digest, p->c.shown, (long long)st.st_size, b->size);
    return 0;
}

/* The manifest the store names `ref` by, and its blobs opened. */
static int load_image(struct registry_push *p, const char *data_root, const char *shown,
                      struct berth_error **err)
{
    json_t *index = store_index_read(data_root);
    json_t *desc = store_desc(data_root, index, p->store_ref, NULL);
    const char *d = json_string_value(json_object_get(desc, "digest"));
    _cleanup_free_ char *md = d && strlen(d) == 71 ? xstrdup(d) : NULL;
    json_decref(index);
    if (md == NULL)
        return berth_error_set(err, ENOENT, "An image does not exist locally with the tag: %s",
                               shown);
    _cleanup_free_ char *path = xasprintf("%s/image/blobs/sha256/%s", data_root, md + 7);
    int r = read_file_at(AT_FDCWD, path, &p->manifest, &p->manifest_len, err);
    if (r < 0)
        return r;
    sha256_hex(p->manifest, p->manifest_len, p->digest);
    p->mjson = json_loadb(p->manifest, p->manifest_len, 0, NULL);
    if (!streq(p->digest, md) || !json_is_object(p->mjson))
        return berth_error_set(err, EIO, "the manifest '%s' of %s in the store is damaged", md,
                               shown);
    if ((r = registry_manifest_check(p->mjson, shown, err)) < 0)
        return r;
    const char *mt = json_string_value(json_object_get(p->mjson, "mediaType"));
    p->media_type = mt ? mt : STORE_MT_MANIFEST;
    json_t *layers = json_object_get(p->mjson, "layers"), *l;
    p->blobs = xzalloc((json_array_size(layers) + 1) * sizeof(*p->blobs));
    for (size_t i = 0; i <= json_array_size(layers); i++)
        p->blobs[i].fd = -1;
    size_t i;
    json_array_foreach(layers, i, l)
    {
        if ((r = open_blob(p, data_root, l, true, err)) < 0)
            return r;
    }
    return open_blob(p, data_root, json_object_get(p->mjson, "config"), false, err);
}

/* p->c.ref from NAME[:TAG] and `tag`; the names shown and stored */
static int set_names(struct registry_push *p, const char *name, const char *tag,
                     struct berth_error **err)
{
    _cleanup_free_ char *full = tag && *tag ? xasprintf("%s:%s", name, tag) : xstrdup(name);
    int r = registry_parse_ref(full, &p->c.ref, err);
    if (r < 0)
        return r;
    if (p->c.ref.digest)
        return berth_error_set(err, EINVAL, "cannot push a digest reference: '%s'", full);
    if ((r = store_normalize_ref(full, &p->store_ref, err)) < 0)
        return r;
    p->repo = xasprintf("%s/%s", p->c.ref.host, p->c.ref.repo);
    p->c.shown = xasprintf("%s:%s", p->repo, p->c.ref.tag);
    return 0;
}

struct registry_push *registry_push_new(const char *data_root, const char *name, const char *tag,
                                        const struct registry_creds *creds,
                                        struct berth_error **err)
{
    struct registry_push *p = xzalloc(sizeof(*p));
    if (set_names(p, name ? name : "", tag, err) < 0 ||
        load_image(p, data_root, p->c.shown, err) < 0) {
        registry_push_free(p);
        return NULL;
    }
    registry_client_setup(&p->c, creds, "pull,push");
    return p;
}

static int tag_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *registry_push_tags(const char *data_root, const char *name, struct berth_error **err)
{
    struct registry_ref ref = {0};
    _cleanup_free_ char *norm = NULL;
    if (registry_parse_ref(name, &ref, err) < 0)
        return NULL;
    bool bare = ref.digest == NULL && !registry_name_tag(name);
    registry_ref_free(&ref);
    if (!bare) {
        berth_error_set(err, EINVAL, "a push of every tag takes a repository, not '%s'", name);
        return NULL;
    }
    if (store_normalize_ref(name, &norm, err) < 0)
        return NULL;
    *strrchr(norm, ':') = '\0'; /* the ":latest" it gained */
    size_t len = strlen(norm), n = 0;
    json_t *index = store_index_read(data_root), *m;
    const char **tags =
        xzalloc((json_array_size(json_object_get(index, "manifests")) + 1) * sizeof(*tags));
    size_t i;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        const char *r = store_entry_ref(m);
        if (r && strncmp(r, norm, len) == 0 && r[len] == ':' && !strchr(r + len + 1, '/'))
            tags[n++] = r + len + 1;
    }
    qsort(tags, n, sizeof(*tags), tag_cmp);
    json_t *out = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(out, json_string(tags[i]));
    free(tags);
    json_decref(index);
    if (n == 0) {
        json_decref(out);
        berth_error_set(err, ENOENT, "An image does not exist locally with the tag: %s", name);
        return NULL;
    }
    return out;
}

const char *registry_push_repo(const struct registry_push *p)
{
    return p->repo;
}

const char *registry_push_ref(const struct registry_push *p)
{
    return p->store_ref;
}

void registry_push_free(struct registry_push *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        if (p->blobs[i].fd >= 0)
            close(p->blobs[i].fd);
    registry_client_clear(&p->c);
    free(p->repo);
    free(p->store_ref);
    free(p->manifest);
    json_decref(p->mjson);
    free(p->blobs);
    free(p);
}

/* ---- talking to the registry ---- */

struct sending {
    struct push_blob *b;
    registry_progress_fn fn;
    void *ud;
    long long told;
};

static void sent(long long now, long long total, void *ud)
{
    struct sending *s = ud;
    if (s->b->id[0] == '\0' || now - s->told < PROGRESS_STEP || total <= 0)
        return;
    s->told = now;
    tell(s->fn, s->ud, s->b->id, "Pushing",
         json_pack("{s:I,s:I}", "current", (json_int_t)now, "total", (json_int_t)total));
}

/* 1 when the registry has blob `b`, 0 when it lacks it */
static int have_blob(struct registry_push *p, struct push_blob *b, struct berth_error **err)
{
    _cleanup_free_ char *url = xasprintf("%s/blobs/%s", p->c.base, b->digest);
    struct registry_req q = {.method = "HEAD", .url = url, .fd = -1, .max = ANSWER_MAX};
    struct registry_resp a;
    int st = registry_request(&p->c, &q, &a, err);
    if (st < 0)
        return st;
    _cleanup_free_ char *what = xasprintf("look up blob '%s' in %s", b->digest, p->repo);
    int r = st == 200 ? 1 : st == 404 ? 0 : registry_failure(&p->c, what, &a, err);
    registry_resp_free(&a);
    return r;
}

/* POST blobs/uploads/ for the upload's URL; NULL with *err set */
static char *start_upload(struct registry_push *p, struct push_blob *b, struct berth_error **err)
{
    _cleanup_free_ char *url = xasprintf("%s/blobs/uploads/", p->c.base);
    struct registry_req q = {.method = "POST", .url = url, .fd = -1, .max = ANSWER_MAX};
    struct registry_resp a;
    int st = registry_request(&p->c, &q, &a, err);
    if (st < 0)
        return NULL;
    char *loc = TAKE_PTR(a.location);
    if (st != 202 || loc == NULL) {
        _cleanup_free_ char *what = xasprintf("push blob '%s' to %s", b->digest, p->repo);
        if (st == 202)
            a.status = 502; /* worded as the registry's failure */
        registry_failure(&p->c, what, &a, err);
        free(loc);
        loc = NULL;
    }
    registry_resp_free(&a);
    return loc;
}

static int send_blob(struct registry_push *p, struct push_blob *b, registry_progress_fn fn,
                     void *ud, struct berth_error **err)
{
    int r = have_blob(p, b, err);
    if (r != 0) {
        if (r > 0 && b->id[0])
            tell(fn, ud, b->id, "Layer already exists", NULL);
        return r < 0 ? r : 0;
    }
    _cleanup_free_ char *loc = start_upload(p, b, err);
    if (loc == NULL)
        return -EIO;
    _cleanup_free_ char *url =
        xasprintf("%s%sdigest=%s", loc, strchr(loc, '?') ? "&" : "?", b->digest);
    struct sending s = {.b = b, .fn = fn, .ud = ud};
    struct registry_req q = {.method = "PUT",
                             .url = url,
                             .content_type = "application/octet-stream",
                             .fd = b->fd,
                             .fd_len = b->size,
                             .max = ANSWER_MAX,
                             .sent = sent,
                             .ud = &s};
    struct registry_resp a;
    int st = registry_request(&p->c, &q, &a, err);
    if (st < 0)
        return st;
    if (st != 201 && st != 204) {
        _cleanup_free_ char *what = xasprintf("push blob '%s' to %s", b->digest, p->repo);
        r = registry_failure(&p->c, what, &a, err);
    } else if (b->id[0]) {
        tell(fn, ud, b->id, "Pushing",
             json_pack("{s:I,s:I}", "current", (json_int_t)b->size, "total", (json_int_t)b->size));
        tell(fn, ud, b->id, "Pushed", NULL);
    }
    registry_resp_free(&a);
    return r;
}

static int put_manifest(struct registry_push *p, struct berth_error **err)
{
    _cleanup_free_ char *url = xasprintf("%s/manifests/%s", p->c.base, p->c.ref.tag);
    struct registry_req q = {.method = "PUT",
                             .url = url,
                             .content_type = p->media_type,
                             .data = p->manifest,
                             .len = p->manifest_len,
                             .fd = -1,
                             .max = ANSWER_MAX};
    struct registry_resp a;
    int st = registry_request(&p->c, &q, &a, err);
    if (st < 0)
        return st;
    int r = 0;
    if (st != 201 && st != 200) {
        _cleanup_free_ char *what = xasprintf("push the manifest of %s", p->c.shown);
        r = registry_failure(&p->c, what, &a, err);
    }
    registry_resp_free(&a);
    return r;
}

int registry_push_run(struct registry_push *p, registry_progress_fn progress, void *ud,
                      json_t **ret_aux, struct berth_error **err)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->blobs[i].id[0])
            tell(progress, ud, p->blobs[i].id, "Preparing", NULL);
    for (size_t i = 0; i < p->n; i++) {
        int r = send_blob(p, &p->blobs[i], progress, ud, err);
        if (r < 0)
            return r;
    }
    int r = put_manifest(p, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *line =
        xasprintf("%s: digest: %s size: %zu", p->c.ref.tag, p->digest, p->manifest_len);
    tell(progress, ud, NULL, line, NULL);
    if (ret_aux)
        *ret_aux = json_pack("{s:s,s:s,s:I}", "Tag", p->c.ref.tag, "Digest", p->digest, "Size",
                             (json_int_t)p->manifest_len);
    return 0;
}
