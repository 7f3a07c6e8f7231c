#pragma once
/* The HTTP side of the registry client (registry-client.c), shared by the
 * pull (registry.c) and the push (push.c): one repository's requests with
 * Docker's auth dance. A 401 with a Bearer challenge gets a token from the
 * challenge's realm (with the credentials, when there are any, as Basic
 * auth to the realm), a Basic challenge the credentials; then the request
 * is sent once more. Credentials and tokens go to the registry's own
 * origin only, never to a host a Location names. */
#include "registry.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

struct registry_client {
    struct registry_ref ref;
    char *base;          /* "http://127.0.0.1:5000/v2/test/bb" */
    char *origin;        /* "http://127.0.0.1:5000" */
    char *shown;         /* the image as messages name it */
    const char *actions; /* the token scope's: "pull" or "pull,push" */
    struct registry_creds creds;
    char *token; /* the bearer token; NULL: none yet */
    bool basic;  /* the registry asked for Basic credentials */
};

/* Sets c->base and c->origin from c->ref (host and repo set; NULL repo:
 * base is ORIGIN/v2) and copies `creds` (may be NULL). */
void registry_client_setup(struct registry_client *c, const struct registry_creds *creds,
                           const char *actions);
void registry_client_clear(struct registry_client *c);

/* One request. The body comes from `data` (len bytes) or, with fd >= 0,
 * fd_len bytes read from the fd's offset 0 (pread: it can be sent twice). */
struct registry_req {
    const char *method; /* GET HEAD POST PUT */
    const char *url;
    const char *accept;        /* NULL: none */
    const char *content_type;  /* NULL: none */
    const char *authorization; /* sent as is (a token request); NULL: the client's */
    const char *data;
    size_t len;
    int fd;
    long long fd_len;
    size_t max; /* bytes of the answer kept; more is EINVAL */
    /* told the bytes sent so far (NULL: nothing) */
    void (*sent)(long long now, long long total, void *ud);
    void *ud;
};

struct registry_resp {
    int status;
    char *data; /* NUL-terminated; NULL: no body */
    size_t len;
    char *location; /* the Location header, made absolute; NULL: none */
};

/* Sends `q` with the auth dance; the HTTP status (an error answer is the
 * caller's to word, with registry_failure), or -errno: EIO for network
 * failures, EINVAL for an answer over q->max, EACCES when the credentials
 * are missing or refused. */
int registry_request(struct registry_client *c, const struct registry_req *q,
                     struct registry_resp *ret, struct berth_error **err);
void registry_resp_free(struct registry_resp *r);
/* A registry's error answer as Docker words it: ENOENT (unknown
 * repository, 404), EACCES (401, 403), else EIO naming `what`. */
int registry_failure(struct registry_client *c, const char *what, const struct registry_resp *r,
                     struct berth_error **err);

/* For the pull's parallel transfers: an easy handle with berth's limits,
 * and the headers (Accept, Authorization for c's origin) for `url`. */
CURL *registry_easy(const char *url, struct curl_slist *headers);
struct curl_slist *registry_headers(struct registry_client *c, const char *url, const char *accept);

/* localhost and 127.0.0.0/8 (and ::1), and the config's
 * insecure-registries: plain HTTP, as Docker's insecure registries. */
bool registry_insecure_host(const char *hostport);

/* berthd's registry settings, Docker's daemon.json names where it has
 * them (berthd --registry-config FILE):
 *   {"insecure-registries": ["HOST[:PORT]", ...],
 *    "registry-mirrors": ["http[s]://HOST[:PORT]", ...] (docker.io's),
 *    "max-manifest-bytes": N, "max-blob-bytes": N,
 *    "stall-timeout": SECONDS (no byte for so long: the registry stalled)}
 * Any other key is refused by name. Loaded once at berthd's start; the
 * defaults without a file: no mirror, loopback only, 4 MiB manifests,
 * 16 GiB blobs, 30 s. */
struct registry_config {
    char **insecure;
    char **mirrors; /* origins, without a trailing '/' */
    long long max_manifest, max_blob;
    long stall_s;
};
int registry_config_load(const char *file, struct berth_error **err);
const struct registry_config *registry_config(void);
/* A client whose origin is `origin` (a mirror) rather than its host's. */
void registry_client_setup_at(struct registry_client *c, const struct registry_creds *creds,
                              const char *actions, const char *origin);
