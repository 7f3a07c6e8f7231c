#pragma once
/* berth push (issue 16): an image of the store to a Docker Registry HTTP
 * API v2 registry. Each blob (config and layers) is asked for with HEAD
 * and only sent when the registry lacks it (POST blobs/uploads/, then one
 * PUT ?digest=: a monolithic upload); then the manifest is PUT under the
 * tag with its media type, byte for byte as the store has it, so the
 * image keeps its digest and id (a pull gives it back the same).
 *
 * Two steps so that berthd holds its store lock only for the first:
 * registry_push_new (under the lock) finds the image and opens its blobs
 * (an open blob survives an rmi meanwhile); registry_push_run (no lock)
 * talks to the registry. */
#include "registry.h"

#include <jansson.h>

struct berth_error;
struct registry_push;

/* The push of image `name` ("127.0.0.1:5000/test/bb"; NULL or "" tag:
 * "latest"; a tag in `name` when `tag` is NULL) with `creds` (NULL:
 * anonymous). ENOENT "An image does not exist locally with the tag: NAME"
 * (Docker's words), EINVAL for a bad name or a digest, EIO for an
 * unreadable store. */
struct registry_push *registry_push_new(const char *data_root, const char *name, const char *tag,
                                        const struct registry_creds *creds,
                                        struct berth_error **err);
/* "127.0.0.1:5000/test/bb" (Docker Hub's: "docker.io/library/busybox"),
 * for "The push refers to repository [...]". */
const char *registry_push_repo(const struct registry_push *p);
/* The store's name of the image, "127.0.0.1:5000/test/bb:v1", for events. */
const char *registry_push_ref(const struct registry_push *p);

/* Sends what the registry lacks, telling `progress` (may be NULL) Docker's
 * messages: per layer "Preparing", "Pushing" (progressDetail current and
 * total), "Pushed" or "Layer already exists", then "TAG: digest: D size:
 * N". *ret_aux (may be NULL) gets {"Tag","Digest","Size"}. EACCES for
 * missing or refused credentials, ENOENT, EIO for registry and network
 * failures. */
int registry_push_run(struct registry_push *p, registry_progress_fn progress, void *ud,
                      json_t **ret_aux, struct berth_error **err);
void registry_push_free(struct registry_push *p);

/* The tags the store holds in the repository `name` (no tag, no digest:
 * "127.0.0.1:5000/test/bb"), sorted: what a push with no tag sends, as
 * Docker's POST /images/{name}/push does. ENOENT "An image does not exist
 * locally with the tag: NAME" when there are none, EINVAL for a bad name
 * or one with a tag or digest. */
json_t *registry_push_tags(const char *data_root, const char *name, struct berth_error **err);
