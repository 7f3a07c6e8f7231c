/* berth build's images (build.h): each step's commit to the store, under
 * engine.lock, staged in the build's work dir and renamed into place as
 * image-io.c does (store.h), and the build cache. */
#include "build.h"
#include "daemon.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "store.h"
#include "untar.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* [{"Build": N, "ImageID": id}], under engine.lock */
static json_t *holds;
static unsigned long builds;

/* Under engine.lock. */
static void hold(struct build *b, const char *id)
{
    if (holds == NULL)
        holds = json_array();
    if (b->hold == 0)
        b->hold = ++builds;
    json_array_append_new(holds,
                          json_pack("{s:I,s:s}", "Build", (json_int_t)b->hold, "ImageID", id));
}

void build_holds_users(json_t *users)
{
    json_t *h;
    size_t i;
    json_array_foreach(holds, i, h)
    {
        json_array_append_new(users,
                              json_pack("{s:s,s:O,s:b,s:[]}", "Id", "build", "ImageID",
                                        json_object_get(h, "ImageID"), "Running", true, "Layers"));
    }
}

void build_release(struct build *b)
{
    if (b->hold == 0)
        return;
    pthread_mutex_lock(&engine.lock);
    for (size_t i = json_array_size(holds); i-- > 0;)
        if (json_integer_value(json_object_get(json_array_get(holds, i), "Build")) ==
            (json_int_t)b->hold)
            json_array_remove(holds, i);
    pthread_mutex_unlock(&engine.lock);
}

int build_load(struct build *b, const char *id, struct berth_error **err)
{
    pthread_mutex_lock(&engine.lock);
    json_t *index = store_index_read(engine.data_root);
    json_t *man = store_find(engine.data_root, index, id, NULL, err);
    const char *cd = json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
    json_t *cfg = man && cd ? store_blob_json(engine.data_root, cd, err) : NULL;
    if (cfg)
        hold(b, cd);
    pthread_mutex_unlock(&engine.lock);
    json_decref(index);
    if (cfg == NULL) {
        json_decref(man);
        return -ENOENT;
    }
    free(b->image);
    b->image = xstrdup(cd);
    json_decref(b->config);
    b->config = cfg;
    json_decref(b->layers);
    b->layers = json_incref(json_object_get(man, "layers"));
    if (!json_is_array(b->layers)) {
        json_decref(b->layers);
        b->layers = json_array();
    }
    json_decref(man);
    return 0;
}

/* Writes `text` as a blob in `dir`; *ret_hex its digest. */
static int stage_blob(const char *dir, const char *text, char ret_hex[65], struct berth_error **err)
{
    _cleanup_free_ char *tmp = xasprintf("%s/.blob", dir);
    _cleanup_close_ int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) < 0)
        return berth_error_set(err, errno ? errno : EIO, "cannot write '%s'", tmp);
    if (sha256_fd(fd, ret_hex, NULL, err) < 0)
        return -EIO;
    _cleanup_free_ char *dst = xasprintf("%s/%s", dir, ret_hex);
    if (rename(tmp, dst) < 0)
        return berth_error_set(err, errno, "cannot write '%s'", dst);
    return 0;
}

/* The layer blob and its unpacked dir into the commit's dirs. */
static int stage_layer(const char *layer, const char *hex, const char *blobs, const char *layers,
                       struct berth_error **err)
{
    _cleanup_free_ char *dst = xasprintf("%s/%s", blobs, hex);
    _cleanup_free_ char *have = xasprintf("%s/layers/sha256/%s", engine.data_root, hex);
    _cleanup_free_ char *diff = xasprintf("sha256:%s", hex);
    if (rename(layer, dst) < 0)
        return berth_error_set(err, errno, "cannot stage the layer '%s'", layer);
    if (access(have, F_OK) == 0)
        return 0;
    return store_unpack_layer(dst, layers, diff, NULL, err);
}

/* A step's image: an untagged entry marked so that a listing can leave
 * it out as Docker's leaves out intermediate images (a tag later names
 * the final one). */
static void mark_intermediate(json_t *index, const char *mdigest)
{
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        if (!streq(json_string_value(json_object_get(m, "digest")), mdigest) ||
            json_object_get(json_object_get(m, "annotations"), STORE_REF_ANNOTATION))
            continue;
        json_t *a = json_object_get(m, "annotations");
        if (!json_is_object(a))
            json_object_set_new(m, "annotations", a = json_object());
        json_object_set_new(a, STORE_STEP_ANNOTATION, json_string("true"));
    }
}

static int move_in(const char *blobs, const char *layers, const char *mdigest, long long msize,
                   struct berth_error **err)
{
    _cleanup_free_ char *bdir = store_blob_dir(engine.data_root);
    _cleanup_free_ char *ldir = store_layer_dir(engine.data_root);
    json_t *mb = json_array(), *ml = json_array(), *index = store_index_read(engine.data_root);
    int r = store_move_all(blobs, bdir, mb, err);
    if (r == 0)
        r = store_move_all(layers, ldir, ml, err);
    if (r == 0) {
        store_index_set(index, NULL, mdigest, msize);
        mark_intermediate(index, mdigest);
        r = store_index_write(engine.data_root, index, err);
    }
    if (r < 0) {
        store_undo_moves(bdir, mb);
        store_undo_moves(ldir, ml);
    }
    json_decref(index);
    json_decref(mb);
    json_decref(ml);
    return r;
}

/* The config with this step's history entry (and diff_id); the manifest's
 * layers with the new one. */
static void grow(struct build *b, const char *created_by, const char *hex, long long size)
{
    struct timespec ts;
    char now[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    fmt_time(&ts, now);
    json_object_set_new(b->config, "created", json_string(now));
    json_t *h = json_object_get(b->config, "history");
    if (!json_is_array(h))
        json_object_set_new(b->config, "history", h = json_array());
    json_t *e = json_pack("{s:s,s:s}", "created", now, "created_by", created_by);
    if (b->comment && *b->comment)
        json_object_set_new(e, "comment", json_string(b->comment));
    if (hex == NULL)
        json_object_set_new(e, "empty_layer", json_true());
    json_array_append_new(h, e);
    if (hex == NULL)
        return;
    json_t *rootfs = json_object_get(b->config, "rootfs");
    if (!json_is_object(rootfs))
        json_object_set_new(b->config, "rootfs", rootfs = json_object());
    json_object_set_new(rootfs, "type", json_string("layers"));
    json_t *ids = json_object_get(rootfs, "diff_ids");
    if (!json_is_array(ids))
        json_object_set_new(rootfs, "diff_ids", ids = json_array());
    json_array_append_new(ids, json_sprintf("sha256:%s", hex));
    json_array_append_new(b->layers, json_pack("{s:s,s:s+,s:I}", "mediaType", STORE_MT_LAYER,
                                               "digest", "sha256:", hex, "size", (json_int_t)size));
}

static int commit_staged(struct build *b, const char *dir, const char *layer, const char *hex,
                         struct berth_error **err)
{
    _cleanup_free_ char *blobs = xasprintf("%s/blobs", dir), *layers = xasprintf("%s/layers", dir);
    if (mkdir(dir, 0700) < 0 || mkdir(blobs, 0700) < 0 || mkdir(layers, 0700) < 0)
        return berth_error_set(err, errno, "cannot create '%s'", dir);
    int r = layer ? stage_layer(layer, hex, blobs, layers, err) : 0;
    _cleanup_free_ char *cfg = json_dumps(b->config, JSON_COMPACT), *man = NULL;
    char chex[65], mhex[65];
    if (r == 0)
        r = stage_blob(blobs, cfg, chex, err);
    if (r == 0) {
        json_t *m =
            json_pack("{s:i,s:s,s:{s:s,s:s+,s:I},s:O}", "schemaVersion", 2, "mediaType",
                      STORE_MT_MANIFEST, "config", "mediaType", STORE_MT_CONFIG, "digest",
                      "sha256:", chex, "size", (json_int_t)strlen(cfg), "layers", b->layers);
        man = json_dumps(m, JSON_COMPACT);
        json_decref(m);
        r = stage_blob(blobs, man, mhex, err);
    }
    if (r < 0)
        return r;
    _cleanup_free_ char *md = xasprintf("sha256:%s", mhex);
    pthread_mutex_lock(&engine.lock);
    r = move_in(blobs, layers, md, (long long)strlen(man), err);
    if (r == 0) {
        free(b->image);
        b->image = xasprintf("sha256:%s", chex);
        hold(b, b->image);
    }
    pthread_mutex_unlock(&engine.lock);
    return r;
}

int build_commit(struct build *b, const char *created_by, const char *layer, const char *hex,
                 struct berth_error **err)
{
    struct stat st;
    if (layer && stat(layer, &st) < 0)
        return berth_error_set(err, errno, "cannot read the layer '%s'", layer);
    grow(b, created_by, layer ? hex : NULL, layer ? (long long)st.st_size : 0);
    _cleanup_free_ char *dir = build_path(b, "commit");
    int r = commit_staged(b, dir, layer, hex, err);
    rm_rf_at(AT_FDCWD, dir, NULL);
    return r;
}

/* ---- the cache ---- */

void build_cache_key(struct build *b, const char *text, const char *content, char ret_hex[65])
{
    unsigned char md[32];
    unsigned len = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    const char *parts[3] = {b->image ? b->image : "scratch", text, content ? content : ""};
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (size_t i = 0; i < 3; i++)
        EVP_DigestUpdate(c, parts[i], strlen(parts[i]) + 1);
    EVP_DigestFinal_ex(c, md, &len);
    EVP_MD_CTX_free(c);
    for (unsigned i = 0; i < len && i < 32; i++)
        snprintf(ret_hex + 2 * i, 3, "%02x", md[i]);
}

bool build_cache_hit(struct build *b, const char *key)
{
    _cleanup_free_ char *dir = xasprintf("%s/build-cache", engine.data_root);
    _cleanup_free_ char *id = NULL;
    struct berth_error *e = NULL;
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, key);
    if (read_file_at(AT_FDCWD, path, &id, NULL, &e) < 0) {
        berth_error_clear(&e);
        return false;
    }
    id[strcspn(id, "\n")] = '\0';
    if (strncmp(id, "sha256:", 7) != 0 || build_load(b, id, &e) < 0) {
        berth_error_clear(&e);
        return false;
    }
    return true;
}

void build_cache_put(struct build *b, const char *key)
{
    _cleanup_free_ char *dir = xasprintf("%s/build-cache", engine.data_root);
    if (b->image == NULL || mkdir_p(dir, 0700, NULL) < 0)
        return;
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct berth_error *e = NULL;
    if (dfd < 0 || write_file_atomic_at(dfd, key, b->image, strlen(b->image), &e) < 0)
        berth_error_clear(&e); /* a cache that cannot be written is only slower */
}

char **build_layer_dirs(const char *id, struct berth_error **err)
{
    struct store_image *img = NULL;
    pthread_mutex_lock(&engine.lock);
    int r = store_image_resolve(engine.data_root, id, &img, err);
    pthread_mutex_unlock(&engine.lock);
    if (r < 0)
        return NULL;
    size_t n = 0;
    while (img->layers[n])
        n++;
    char **v = xzalloc((n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        v[i] = xstrdup(img->layers[i]);
    store_image_free(img);
    return v;
}

void build_unmark(struct build *b)
{
    pthread_mutex_lock(&engine.lock);
    json_t *index = store_index_read(engine.data_root), *e;
    struct berth_error *err = NULL;
    size_t i;
    bool changed = false;
    json_array_foreach(json_object_get(index, "manifests"), i, e)
    {
        json_t *a = json_object_get(e, "annotations");
        if (!json_object_get(a, STORE_STEP_ANNOTATION))
            continue;
        json_t *man = store_blob_json(engine.data_root,
                                      json_string_value(json_object_get(e, "digest")), NULL);
        const char *cd =
            json_string_value(json_object_get(json_object_get(man, "config"), "digest"));
        if (streq(cd, b->image)) {
            json_object_del(a, STORE_STEP_ANNOTATION);
            if (json_object_size(a) == 0)
                json_object_del(e, "annotations");
            changed = true;
        }
        json_decref(man);
    }
    if (changed && store_index_write(engine.data_root, index, &err) < 0)
        berth_error_clear(&err); /* it stays out of the list, no more */
    pthread_mutex_unlock(&engine.lock);
    json_decref(index);
}
