/* The image's life in the store (issue 16): its history, prune, and the
 * repository digests a pull records (store.h). */
#include "store.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *config_digest(json_t *manifest)
{
    return json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
}

static const char *entry_digest(json_t *m)
{
    return json_string_value(json_object_get(m, "digest"));
}

/* ---- history ---- */

static json_t *history_item(json_t *h, long long created, long long size)
{
    const char *by = json_string_value(json_object_get(h, "created_by"));
    const char *comment = json_string_value(json_object_get(h, "comment"));
    const char *at = json_string_value(json_object_get(h, "created"));
    return json_pack("{s:s,s:I,s:s,s:n,s:I,s:s}", "Id", "<missing>", "Created",
                     (json_int_t)(at ? store_parse_time(at) : created), "CreatedBy", by ? by : "",
                     "Tags", "Size", (json_int_t)size, "Comment", comment ? comment : "");
}

/* The items oldest first: one per history entry, the non-empty ones
 * taking the layers in order, as Docker's daemon/images/image_history.go. */
static json_t *history_items(json_t *config, json_t *manifest)
{
    json_t *hist = json_object_get(config, "history"),
           *layers = json_object_get(manifest, "layers");
    json_t *out = json_array(), *h;
    long long created = store_parse_time(json_string_value(json_object_get(config, "created")));
    size_t i, next = 0;
    json_array_foreach(hist, i, h)
    {
        long long size = 0;
        if (!json_is_true(json_object_get(h, "empty_layer")))
            size = json_integer_value(json_object_get(json_array_get(layers, next++), "size"));
        json_array_append_new(out, history_item(h, created, size));
    }
    /* an image made without history (docker import, some tools) */
    for (i = json_array_size(hist) ? json_array_size(layers) : 0; i < json_array_size(layers); i++)
        json_array_append_new(
            out,
            history_item(NULL, created,
                         json_integer_value(json_object_get(json_array_get(layers, i), "size"))));
    return out;
}

json_t *store_image_history(const char *data_root, const char *name, struct berth_error **err)
{
    store_ensure_default(data_root, name);
    json_t *index = store_index_read(data_root);
    json_t *man = store_find(data_root, index, name, NULL, err);
    const char *id = config_digest(man);
    json_t *config = man ? store_blob_json(data_root, id, err) : NULL;
    json_t *out = NULL;
    if (config) {
        json_t *items = history_items(config, man);
        out = json_array();
        for (size_t i = json_array_size(items); i-- > 0;)
            json_array_append(out, json_array_get(items, i));
        json_decref(items);
        json_t *top = json_array_get(out, 0);
        json_t *tags = store_image_refs(data_root, index, id);
        json_object_set_new(top, "Id", json_string(id));
        json_object_set_new(top, "Tags", json_array_size(tags) ? tags : json_null());
        if (json_array_size(tags) == 0)
            json_decref(tags);
    }
    json_decref(config);
    json_decref(man);
    json_decref(index);
    return out;
}

/* ---- repository digests ---- */

/* "127.0.0.1:5000/test/bb:v1", "docker.io/library/busybox@sha256:..." ->
 * "127.0.0.1:5000/test/bb", "busybox" (Docker's familiar names, as
 * store_normalize_ref makes them) */
static char *repo_of(const char *name)
{
    const char *n = name;
    if (strncmp(n, "docker.io/", 10) == 0)
        n += 10;
    if (strncmp(n, "library/", 8) == 0)
        n += 8;
    size_t len = strcspn(n, "@");
    const char *slash = memrchr(n, '/', len), *colon = memrchr(n, ':', len);
    if (colon && (!slash || colon > slash))
        len = (size_t)(colon - n);
    return strndup(n, len);
}

void store_index_set_repo_digest(json_t *index, const char *name, const char *digest)
{
    _cleanup_free_ char *repo = repo_of(name);
    _cleanup_free_ char *value = xasprintf("%s@%s", repo, digest);
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        const char *ref = store_entry_ref(m);
        _cleanup_free_ char *ref_repo = ref ? repo_of(ref) : NULL;
        if (!streq(entry_digest(m), digest) || (ref && !streq(ref_repo, repo)))
            continue;
        json_t *ann = json_object_get(m, "annotations");
        if (!json_is_object(ann))
            json_object_set_new(m, "annotations", ann = json_object());
        json_object_set_new(ann, STORE_REPO_DIGEST_ANNOTATION, json_string(value));
    }
}

static const char *entry_repo_digest(json_t *m)
{
    return json_string_value(
        json_object_get(json_object_get(m, "annotations"), STORE_REPO_DIGEST_ANNOTATION));
}

json_t *store_repo_digests(const char *data_root, json_t *index, const char *id)
{
    json_t *out = json_array(), *m, *have;
    size_t i, k;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        const char *rd = entry_repo_digest(m);
        bool dup = false;
        json_array_foreach(out, k, have) dup |= streq(json_string_value(have), rd);
        if (rd == NULL || dup)
            continue;
        json_t *man = store_blob_json(data_root, entry_digest(m), NULL);
        if (streq(config_digest(man), id))
            json_array_append_new(out, json_string(rd));
        json_decref(man);
    }
    return out;
}

/* ---- prune ---- */

/* Docker's label filter: "KEY" (present) or "KEY=VALUE". */
static bool has_label(json_t *labels, const char *want)
{
    const char *eq = strchr(want, '=');
    _cleanup_free_ char *key = eq ? strndup(want, (size_t)(eq - want)) : xstrdup(want);
    json_t *v = json_object_get(labels, key);
    return v && (eq == NULL || streq(json_string_value(v), eq + 1));
}

static bool used(json_t *users, const char *id)
{
    json_t *u;
    size_t i;
    json_array_foreach(users, i, u)
    {
        if (streq(json_string_value(json_object_get(u, "ImageID")), id))
            return true;
    }
    return false;
}

/* Whether an entry of image `id` is a build step's (the build cache). */
static bool build_step(const char *data_root, json_t *index, const char *id)
{
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        if (!json_object_get(json_object_get(m, "annotations"), STORE_STEP_ANNOTATION))
            continue;
        json_t *man = store_blob_json(data_root, entry_digest(m), NULL);
        bool same = streq(config_digest(man), id);
        json_decref(man);
        if (same)
            return true;
    }
    return false;
}

bool store_prune_keeps(const struct store_prune *f, json_t *labels, long long created)
{
    json_t *v;
    size_t i;
    bool keep = f->until && created >= f->until;
    json_array_foreach(f->labels, i, v) keep |= !has_label(labels, json_string_value(v));
    json_array_foreach(f->not_labels, i, v) keep |= has_label(labels, json_string_value(v));
    return keep;
}

/* Whether image `id` (its entries in `index`) goes. */
static bool selected(const char *data_root, json_t *index, const char *id,
                     const struct store_prune *f, json_t *users)
{
    json_t *refs = store_image_refs(data_root, index, id), *digests;
    bool dangling = json_array_size(refs) == 0 && (f->all || !build_step(data_root, index, id));
    json_decref(refs);
    if (dangling) {
        digests = store_repo_digests(data_root, index, id);
        dangling = json_array_size(digests) == 0;
        json_decref(digests);
    }
    if ((!f->all && !dangling) || used(users, id))
        return false;
    json_t *config = store_blob_json(data_root, id, NULL);
    json_t *labels = json_object_get(json_object_get(config, "config"), "Labels");
    long long created = store_parse_time(json_string_value(json_object_get(config, "created")));
    bool keep = store_prune_keeps(f, labels, created);
    json_decref(config);
    return !keep;
}

/* Takes the entries of image `id` out of `index`, telling `deleted`. */
static void drop_image(const char *data_root, json_t *index, const char *id, json_t *deleted)
{
    json_t *refs = store_image_refs(data_root, index, id), *r;
    json_t *list = json_object_get(index, "manifests"), *m;
    size_t i;
    json_array_foreach(refs, i, r)
        json_array_append_new(deleted, json_pack("{s:O}", "Untagged", r));
    json_decref(refs);
    json_array_foreach(list, i, m)
    {
        json_t *man = store_blob_json(data_root, entry_digest(m), NULL);
        bool match = streq(config_digest(man), id);
        json_decref(man);
        if (match)
            json_array_remove(list, i--);
    }
    json_array_append_new(deleted, json_pack("{s:s}", "Deleted", id));
}

json_t *store_image_prune(const char *data_root, const struct store_prune *f, json_t *users,
                          struct berth_error **err)
{
    json_t *index = store_index_read(data_root), *ids = json_array(), *m, *v;
    json_t *deleted = json_array();
    size_t i;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        json_t *man = store_blob_json(data_root, entry_digest(m), NULL);
        const char *id = config_digest(man);
        bool seen = false;
        size_t k;
        json_array_foreach(ids, k, v) seen |= streq(json_string_value(v), id);
        if (id && !seen)
            json_array_append_new(ids, json_string(id));
        json_decref(man);
    }
    json_array_foreach(ids, i, v)
    {
        if (selected(data_root, index, json_string_value(v), f, users))
            drop_image(data_root, index, json_string_value(v), deleted);
    }
    json_decref(ids);
    json_t *out = NULL;
    if (json_array_size(deleted) == 0 || store_index_write(data_root, index, err) == 0) {
        long long bytes = store_gc(data_root, index, users);
        out = json_pack("{s:O,s:I}", "ImagesDeleted", deleted, "SpaceReclaimed", (json_int_t)bytes);
    }
    json_decref(deleted);
    json_decref(index);
    return out;
}
