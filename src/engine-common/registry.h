#pragma once
/* A Docker Registry HTTP API v2 client for pull (issue 16), with libcurl:
 * OCI and Docker schema 2 manifests, OCI indexes and Docker manifest lists
 * (one platform picked), bearer tokens (Docker Hub's flow) and Basic
 * auth, anonymous or with credentials (registry-client.c does the HTTP;
 * push.h the push).
 * Plain HTTP for localhost and 127.0.0.0/8 (Docker's default insecure set),
 * HTTPS elsewhere.
 *
 * A pull has three steps so that berthd holds its store lock only for the
 * last: registry_pull_new reads the manifest; registry_pull_fetch
 * downloads the blobs (at most REGISTRY_PARALLEL at a time) into a work
 * dir DATA/tmp/pull-PID-XXXXXX, each checked against its digest as it
 * streams, and unpacks the new layers there (each checked against its
 * diff_id); registry_pull_commit, under the store's lock, renames them
 * into the store and sets the index entry last. A failure at any step
 * leaves the store as it was; registry_pull_free removes the work dir. */
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

struct berth_error;

#define REGISTRY_PARALLEL     3
#define REGISTRY_MANIFEST_MAX (4 << 20)
#define REGISTRY_DOCKER_HUB   "registry-1.docker.io"

/* A parsed reference: `host` "docker.io" or "127.0.0.1:5000", `repo`
 * "library/busybox", one of `tag` and `digest` ("sha256:HEX") set. */
struct registry_ref {
    char *host;
    char *repo;
    char *tag;
    char *digest;
};

/* Parses NAME[:TAG|@DIGEST] with an optional registry host (a first
 * component with '.' or ':', or "localhost"); docker.io and "library/"
 * for one-part names and ":latest" by default. EINVAL with the name. */
int registry_parse_ref(const char *name, struct registry_ref *ret, struct berth_error **err);
void registry_ref_free(struct registry_ref *r);

/* The tag NAME[:TAG] gives (after a ':' past the last '/', so a
 * registry's port is none), or NULL; for the CLI too, hence inline. */
static inline const char *registry_name_tag(const char *name)
{
    const char *colon = strrchr(name, ':'), *slash = strrchr(name, '/');
    return colon && (!slash || colon > slash) ? colon + 1 : NULL;
}

/* What a registry sends, checked before anything is fetched (pure; the
 * fuzz target tests/fuzz/fuzz-registry.c drives both): the digest
 * (borrowed from `index`) of the manifest for PLATFORM (os/arch[/variant];
 * NULL or "": linux/the host's arch) in an OCI index or Docker manifest
 * list, NULL with EINVAL (a bad platform) or ENOENT (none matches); and
 * whether manifest m is one berth can store (schema 2, OCI or Docker
 * media type, a config and layer descriptors with sha256 digests and
 * sizes, no foreign layers): 0 or EINVAL naming `shown`. */
const char *registry_index_pick(json_t *index, const char *platform, struct berth_error **err);
int registry_manifest_check(json_t *m, const char *shown, struct berth_error **err);

/* Credentials for one registry: Docker's X-Registry-Auth (berth login
 * stores them in the CLI's auth file; berthd never stores them). */
struct registry_creds {
    char *username; /* NULL: anonymous */
    char *password;
    char *token; /* "registrytoken": a bearer token used as is; NULL: none */
};

/* Decodes an X-Registry-Auth header: base64 (URL or standard alphabet,
 * padding optional) of JSON {username, password, serveraddress,
 * registrytoken}. NULL or "": anonymous. EINVAL for anything else. */
int registry_creds_decode(const char *header, struct registry_creds *ret, struct berth_error **err);
void registry_creds_free(struct registry_creds *c);

/* POST /auth: checks the credentials against SERVER's /v2/ ("host[:port]",
 * with or without a scheme and path; "" or index.docker.io: Docker Hub),
 * with Basic auth or the token flow. 0; EACCES with the registry's reason
 * for refused credentials; EINVAL for a bad server or no username; EIO
 * for network failures. */
int registry_login(const char *server, const struct registry_creds *creds,
                   struct berth_error **err);

/* Told each of Docker's progress messages ({"status","id",
 * "progressDetail"}), borrowed. */
typedef void (*registry_progress_fn)(json_t *msg, void *ud);

struct registry_pull;

/* Starts a pull of `name` for `platform` ("os/arch[/variant]", NULL or "":
 * linux and the host's architecture): reads the manifest (an index or list
 * is resolved to the platform's). EINVAL for a bad name or platform or an
 * unsupported manifest, ENOENT for an unknown repository, tag or
 * platform, EACCES when the registry wants credentials, EIO for network
 * and registry failures. */
struct registry_pull *registry_pull_new(const char *data_root, const char *name,
                                        const char *platform, struct berth_error **err);
/* The same with credentials for the registry (NULL: anonymous): a Basic
 * challenge gets them, a Bearer challenge a token fetched with them. */
struct registry_pull *registry_pull_new_auth(const char *data_root, const char *name,
                                             const char *platform,
                                             const struct registry_creds *creds,
                                             struct berth_error **err);
/* "v1: Pulling from test/bb" as Docker's first message: the tag or digest
 * asked for, and the repository as the user named it. */
const char *registry_pull_tag(const struct registry_pull *p);
const char *registry_pull_repo(const struct registry_pull *p);
/* The image's store name ("127.0.0.1:5000/test/bb:v1"; for a pull by
 * digest NAME@sha256:HEX, not a store name: the image is stored untagged). */
const char *registry_pull_ref(const struct registry_pull *p);
/* The manifest's digest, "sha256:HEX". */
const char *registry_pull_digest(const struct registry_pull *p);
/* True when the store already has the image under this name (nothing is
 * fetched then). */
bool registry_pull_up_to_date(const struct registry_pull *p);

/* Downloads and checks what the store lacks, telling `progress` (may be
 * NULL). No store lock needed. EINVAL for a blob that does not match its
 * digest or size, or a bad layer; EIO for network failures, a stalled
 * registry among them. */
int registry_pull_fetch(struct registry_pull *p, registry_progress_fn progress, void *ud,
                        struct berth_error **err);
/* Under the store's lock: moves the fetched blobs and layers into the
 * store and sets the index entry (unless up to date). On failure what it
 * moved is removed again. */
int registry_pull_commit(struct registry_pull *p, struct berth_error **err);
/* Removes the work dir and frees `p` (NULL: nothing). */
void registry_pull_free(struct registry_pull *p);
