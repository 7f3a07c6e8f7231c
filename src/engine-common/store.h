#pragma once
/* The image store (issue 13): an OCI image layout under DATA/image
 * (oci-layout, index.json naming each image by the annotation
 * org.opencontainers.image.ref.name = "NAME:TAG", blobs/sha256/HEX) and the
 * layers unpacked once, read-only, under DATA/layers/sha256/DIFFID-HEX for
 * overlayfs. The image id is the digest of its config blob, as Docker's.
 * An index entry without the annotation is an untagged (dangling) image.
 * Work in progress lives under DATA/tmp and is renamed into place last, so
 * a failure leaves the store as it was.
 *
 * `busybox` (busybox:latest) is built on first use from the host's
 * busybox-static, so the first run needs no registry.
 *
 * Not thread-safe: berthd calls it under one lock. image-io.c (load, save,
 * import) builds on the functions of the second part. */
#include <jansson.h>
#include <stdbool.h>

struct berth_error;

struct store_image {
    char *ref;         /* "busybox:latest" */
    char *id;          /* "sha256:HEX" of the config blob */
    json_t *config;    /* the image config (OCI image-spec "config" document) */
    char **layers;     /* unpacked layer dirs, bottom first, NULL-terminated */
    long long size;    /* bytes of the layer blobs */
    long long created; /* unix seconds */
};

/* "NAME[:TAG]" to "NAME:TAG" ("docker.io/library/" dropped, ":latest"
 * added). EINVAL for what is not a plain reference (digests, upper case,
 * "..", empty). */
int store_normalize_ref(const char *name, char **ret, struct berth_error **err);

/* Finds the image `name` (normalized first; a "sha256:" id or unique id
 * prefix works too), unpacking its layers if needed (each checked against
 * its diff_id). ENOENT "No such image: REF" when absent. */
int store_image_resolve(const char *data_root, const char *name, struct store_image **ret,
                        struct berth_error **err);
void store_image_free(struct store_image *i);

/* Every image as Docker's GET /images/json lists it (one per id, all its
 * tags in RepoTags), but for the intermediate images of builds (entries
 * annotated STORE_STEP_ANNOTATION), as Docker leaves them out. */
json_t *store_image_list(const char *data_root, struct berth_error **err);

/* Docker's GET /images/{name}/json. ENOENT. */
json_t *store_image_inspect(const char *data_root, const char *name, struct berth_error **err);

/* Names the image `src` also `dst` (normalized; a name in use moves).
 * ENOENT for an unknown src, EINVAL for a bad dst. */
int store_image_tag(const char *data_root, const char *src, const char *dst,
                    struct berth_error **err);

/* Docker's DELETE /images/{name}: untags a name; deletes the image when
 * its last name goes or it is named by id. `users` lists the containers,
 * [{"Id","ImageID","Running","Layers":[dir...]}]: one using the image
 * makes a 409 conflict (EBUSY, Docker's message) unless `force`, and a
 * running one keeps it (untagged) even then. Blobs and unpacked layers no
 * image (nor a container's Layers) references are removed. With `prune`
 * (Docker's default; rmi --no-prune clears it), the deleted image's untagged
 * build-step parents go too, up the chain, while no other image descends
 * from them and no container uses them. Returns [{"Untagged":REF}...,
 * {"Deleted":ID}...]. ENOENT for an unknown name. */
json_t *store_image_remove(const char *data_root, const char *name, bool force, bool prune,
                           json_t *users, struct berth_error **err);

/* ---- the image's life (store-life.c, issue 16) ---- */

/* Docker's GET /images/{name}/history: [{Id, Created, CreatedBy, Tags,
 * Size, Comment}], newest first, from the config's history (an
 * empty_layer entry has Size 0; the sizes are the layer blobs'); the newest
 * has the image's id and tags, the others "<missing>" as Docker shows for
 * layers it has no image of. A config without history gets one entry per
 * layer. ENOENT for an unknown name. */
json_t *store_image_history(const char *data_root, const char *name, struct berth_error **err);

/* What POST /images/prune removes: dangling images (no tag and no
 * repository digest; not a build step's, which the build cache keeps), or
 * with `all` every image no container uses; of
 * those only the ones created before `until` (unix seconds; 0: any time)
 * and matching each of `labels` ("KEY" or "KEY=VALUE", NULL: none) and
 * none of `not_labels`. */
struct store_prune {
    bool all;
    long long until;
    json_t *labels;
    json_t *not_labels;
};

/* Whether `f`'s until and label filters keep a thing with `labels` made
 * at `created` (unix seconds): images here, networks in berthd. */
bool store_prune_keeps(const struct store_prune *f, json_t *labels, long long created);

/* Removes the images `f` selects that no container in `users` (as
 * store_image_remove takes them) uses, then the blobs and layers nothing
 * references (also those an earlier failure left). Returns Docker's
 * {"ImagesDeleted":[{"Untagged":REF}...,{"Deleted":ID}...],
 * "SpaceReclaimed":BYTES}, or NULL when the index cannot be written. */
json_t *store_image_prune(const char *data_root, const struct store_prune *f, json_t *users,
                          struct berth_error **err);

/* Records that the index entries of manifest `digest` (sha256:HEX) came
 * from a registry as `name` (the name pulled, "127.0.0.1:5000/test/bb:v1",
 * "busybox" or NAME@sha256:HEX): the entry tagged in that repository, or
 * an untagged one, gets the annotation STORE_REPO_DIGEST_ANNOTATION
 * "REPOSITORY@DIGEST" (Docker's RepoDigests). Call it after
 * store_index_set, before store_index_write. */
void store_index_set_repo_digest(json_t *index, const char *name, const char *digest);
/* The RepoDigests of image `id`: the annotations of its entries. */
json_t *store_repo_digests(const char *data_root, json_t *index, const char *id);

/* ---- for image-io.c and store-life.c ---- */

/* The ref annotation of index entry `m` (borrowed), or NULL. */
const char *store_entry_ref(json_t *m);
/* The names of image `id`, in index order (a new array). */
json_t *store_image_refs(const char *data_root, json_t *index, const char *id);
/* An RFC 3339 time's unix seconds (fraction and zone ignored); 0 when
 * NULL or bad. */
long long store_parse_time(const char *rfc3339);
/* Removes the blobs and unpacked layers that neither an entry of `index`
 * nor a container (users' Layers) needs; the bytes of the blobs removed. */
long long store_gc(const char *data_root, json_t *index, json_t *users);

/* DATA/image/blobs/sha256 and DATA/layers/sha256, created if missing. */
char *store_blob_dir(const char *data_root);
char *store_layer_dir(const char *data_root);

/* A new empty work dir DATA/tmp/PREFIX-XXXXXX (the caller removes it);
 * PREFIX is "load" or "import": such dirs left by a killed berthd go, and
 * the "pull-PID-..." dirs of registry.c whose PID is not this process. */
char *store_tmpdir(const char *data_root, const char *prefix, struct berth_error **err);
/* At berthd's start, when no load, import or pull is live: the work dirs
 * a killed berthd left go. */
void store_clean_tmp(const char *data_root);

/* Unpacks the layer blob at `blob` into parent/DIFFID (temp dir, rename),
 * checking the uncompressed stream against `diffid` ("sha256:HEX"; NULL:
 * any, *ret_hex gets it). Nothing is left behind on failure; an existing
 * parent/DIFFID is kept. EINVAL for a bad layer or a diff_id mismatch. */
int store_unpack_layer(const char *blob, const char *parent, const char *diffid, char ret_hex[65],
                       struct berth_error **err);

/* Renames each entry of dir `from` into `to` (one already there stays),
 * then fsyncs `to`; the names moved go to `moved`, so that a failure later
 * can take them out again with store_undo_moves(to, moved). */
int store_move_all(const char *from, const char *to, json_t *moved, struct berth_error **err);
void store_undo_moves(const char *dir, json_t *moved);
/* The index; an empty one when there is none. */
json_t *store_index_read(const char *data_root);
/* Sets the index entry of `ref` (NULL: an untagged entry) to the manifest
 * `digest` of `size` bytes; drops an untagged entry of the same manifest
 * (its repository digest moves to the new entry). The image `ref` named
 * before keeps an untagged entry when it has no other, as Docker's
 * dangling images. */
void store_index_set(json_t *index, const char *ref, const char *digest, long long size);
int store_index_write(const char *data_root, json_t *index, struct berth_error **err);

/* The entry `name` means: a ref, an id, a unique id prefix or
 * NAME@sha256:HEX (the entry of that manifest, as a pull by digest keeps it). *ret_ref
 * (may be NULL) gets the normalized ref when `name` is one. Returns the
 * manifest (new reference) or NULL, ENOENT "No such image: NAME". */
json_t *store_find(const char *data_root, json_t *index, const char *name, char **ret_ref,
                   struct berth_error **err);
/* The index entry (borrowed) named `ref`, or with ref NULL the first whose
 * manifest's config is `id`; NULL when none. */
json_t *store_desc(const char *data_root, json_t *index, const char *ref, const char *id);
/* A blob read as JSON ("sha256:HEX"); EINVAL for a bad digest. */
json_t *store_blob_json(const char *data_root, const char *digest, struct berth_error **err);
/* "busybox:latest" -> "docker.io/library/busybox:latest" */
char *store_full_ref(const char *ref);

/* Builds the default image when `name` means busybox:latest and the store
 * lacks it (inspect and save see it as run does); failures are left to the
 * lookup that follows. */
void store_ensure_default(const char *data_root, const char *name);

/* The host's busybox binary the default image is built from. */
#define STORE_BUSYBOX_HOST "/bin/busybox"
#define STORE_DEFAULT_REF  "busybox:latest"
/* The embedded image of the seed workloads (workloads.c), built on first
 * use like busybox:latest when the binaries are found. */
#define STORE_WORKLOADS_REF "berth-workloads:latest"
#define STORE_N_WORKLOADS   4
extern const char *const store_workloads[STORE_N_WORKLOADS];
/* The dir holding every workload binary (caller frees); NULL with ENOENT
 * "image 'berth-workloads' is not available: ..." saying where it looked. */
char *store_workloads_dir(struct berth_error **err);
#define STORE_REF_ANNOTATION "org.opencontainers.image.ref.name"
/* berth's own annotation keys use its reverse domain, as OCI asks */
#define STORE_REPO_DIGEST_ANNOTATION "io.berth.repo-digest"
/* a build step's image (src/daemon/build.c): the
 * build cache, hidden from lists, kept by a prune without `all` */
#define STORE_STEP_ANNOTATION "io.berth.build.step"
#define STORE_MT_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define STORE_MT_CONFIG       "application/vnd.oci.image.config.v1+json"
#define STORE_MT_LAYER        "application/vnd.oci.image.layer.v1.tar"
