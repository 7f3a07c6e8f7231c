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
 * tags in RepoTags). */
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
 * image (nor a container's Layers) references are removed. Returns
 * [{"Untagged":REF}...,{"Deleted":ID}]. ENOENT for an unknown name. */
json_t *store_image_remove(const char *data_root, const char *name, bool force, json_t *users,
                           struct berth_error **err);

/* ---- for image-io.c ---- */

/* DATA/image/blobs/sha256 and DATA/layers/sha256, created if missing. */
char *store_blob_dir(const char *data_root);
char *store_layer_dir(const char *data_root);

/* A new empty work dir DATA/tmp/PREFIX-XXXXXX (the caller removes it);
 * PREFIX is "load" or "import": such dirs left by a killed berthd go, and
 * the "pull-PID-..." dirs of registry.c whose PID is not this process. */
char *store_tmpdir(const char *data_root, const char *prefix, struct berth_error **err);

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
 * `digest` of `size` bytes; drops an untagged entry of the same manifest. */
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
#define STORE_N_WORKLOADS   3
extern const char *const store_workloads[STORE_N_WORKLOADS];
/* The dir holding every workload binary (caller frees); NULL with ENOENT
 * "image 'berth-workloads' is not available: ..." saying where it looked. */
char *store_workloads_dir(struct berth_error **err);
#define STORE_REF_ANNOTATION "org.opencontainers.image.ref.name"
#define STORE_MT_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define STORE_MT_CONFIG      "application/vnd.oci.image.config.v1+json"
#define STORE_MT_LAYER       "application/vnd.oci.image.layer.v1.tar"
