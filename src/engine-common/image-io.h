#pragma once
/* load, save and import for the image store (issue 13). Everything is
 * staged in a work dir under DATA/tmp and checked (each blob against its
 * digest, each layer against its diff_id, every tar entry by archive.c)
 * before blobs, unpacked layers and index.json are renamed into place, so
 * bad input changes nothing. Called under berthd's lock, as store.c. */
#include <jansson.h>
#include <stddef.h>

struct berth_error;

/* Told of each layer as it is checked and unpacked ("sha256:HEX"). */
typedef void (*image_progress_fn)(const char *layer, void *ud);

/* Loads the docker-save archive (manifest.json; preferred when both are
 * there) or OCI image-layout archive (oci-layout, index.json) read from
 * `fd`, plain or compressed. Returns the lines Docker prints, "Loaded
 * image: NAME:TAG" or "Loaded image ID: sha256:HEX". EINVAL with one line
 * for bad input. */
json_t *image_load(const char *data_root, int fd, image_progress_fn progress, void *ud,
                   struct berth_error **err);

/* Writes `names` (refs or ids) as one docker-save archive that also
 * carries OCI's index.json and oci-layout, as Docker 25 writes it, to
 * `fd`. ENOENT for an unknown name. */
int image_save(const char *data_root, char **names, size_t n, int fd, struct berth_error **err);

/* A one-layer image from the rootfs tarball read from `fd` (plain, gzip,
 * xz, zstd), named `ref` (normalized; NULL: untagged); `comment` (may be
 * NULL) goes to its history. *ret_id gets "sha256:HEX". */
int image_import(const char *data_root, int fd, const char *ref, const char *comment, char **ret_id,
                 struct berth_error **err);
