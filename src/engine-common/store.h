#pragma once
/* The image store, the minimum (issue 13): an OCI image layout under
 * DATA/image (oci-layout, index.json naming each image by the annotation
 * org.opencontainers.image.ref.name = "NAME:TAG", blobs/sha256/HEX) and the
 * layers unpacked once, read-only, under DATA/layers/sha256/DIFFID-HEX for
 * overlayfs. The image id is the digest of its config blob, as Docker's.
 * A registry pull fits later: it writes blobs, then one index entry.
 *
 * `busybox` (busybox:latest) is built on first use from the host's
 * busybox-static, so the first run needs no registry.
 *
 * Not thread-safe: berthd calls it under one lock. */
#include <jansson.h>

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
 * prefix works too), unpacking its layers if needed. ENOENT "No such
 * image: REF" when absent. */
int store_image_resolve(const char *data_root, const char *name, struct store_image **ret,
                        struct berth_error **err);
void store_image_free(struct store_image *i);

/* Every image as Docker's GET /images/json lists it. */
json_t *store_image_list(const char *data_root, struct berth_error **err);

/* The host's busybox binary the default image is built from. */
#define STORE_BUSYBOX_HOST "/bin/busybox"
#define STORE_DEFAULT_REF  "busybox:latest"
