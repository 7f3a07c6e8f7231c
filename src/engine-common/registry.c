#include "registry.h"
#include "registry-client.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "store.h"
#include "untar.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define PROGRESS_STEP      (512 * 1024)

/* resumed requests per blob after its transfer broke */
#define RESUME_MAX 3

struct registry_pull {
    char *data_root;
    struct registry_client c; /* shown: registry_pull_ref */
    char *store_ref;          /* "127.0.0.1:5000/test/bb:v1"; NULL for a pull by digest */
    char *digest;             /* of the manifest */
    char *manifest;           /* its text */
    size_t manifest_len;
    json_t *mjson;
    bool up_to_date;
    json_t *had; /* the blobs the store had: {HEX: true} */
    char *dir, *blobs_dir, *layers_dir;
};

/* ---- references ---- */

void registry_ref_free(struct registry_ref *r)
{
    free(r->host);
    free(r->repo);
    free(r->tag);
    free(r->digest);
    *r = (struct registry_ref){0};
}

static bool good_hex_digest(const char *d)
{
    return d && strncmp(d, "sha256:", 7) == 0 && strlen(d) == 71 &&
           strspn(d + 7, "0123456789abcdef") == 64;
}

/* Docker's reference grammar, simplified: lower case path components of
 * [a-z0-9._-], a tag of [A-Za-z0-9_.-] up to 128 characters. */
static bool good_repo(const char *s)
{
    if (*s == '\0' || *s == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//") || strstr(s, ".."))
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || strchr("._-/", *s)))
            return false;
    return true;
}

static bool good_tag(const char *t)
{
    size_t n = strlen(t);
    return n > 0 && n <= 128 && t[0] != '.' && t[0] != '-' &&
           strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static bool is_host(const char *first)
{
    return strchr(first, '.') || strchr(first, ':') || streq(first, "localhost");
}

int registry_parse_ref(const char *name, struct registry_ref *ret, struct berth_error **err)
{
    struct registry_ref r = {0};
    if (name == NULL || *name == '\0' || strlen(name) > 255)
        return berth_error_set(err, EINVAL, "invalid reference format: '%s'", name ? name : "");
    _cleanup_free_ char *s = xstrdup(name);
    char *at = strchr(s, '@'), *slash = strchr(s, '/');
    if (at) {
        *at = '\0';
        r.digest = xstrdup(at + 1);
    }
    if (slash && (!at || slash < at) && is_host(strndupa(s, (size_t)(slash - s)))) {
        *slash = '\0';
        r.host = xstrdup(streq(s, "index.docker.io") ? "docker.io" : s);
        memmove(s, slash + 1, strlen(slash + 1) + 1);
    } else {
        r.host = xstrdup("docker.io");
    }
    char *colon = strrchr(s, ':');
    if (colon && !strchr(colon, '/')) {
        *colon = '\0';
        r.tag = xstrdup(colon + 1);
    }
    if (!r.tag && !r.digest)
        r.tag = xstrdup("latest");
    r.repo =
        streq(r.host, "docker.io") && !strchr(s, '/') ? xasprintf("library/%s", s) : xstrdup(s);
    bool ok =
        good_repo(r.repo) && (!r.tag || good_tag(r.tag)) &&
        (!r.digest || good_hex_digest(r.digest)) &&
        strspn(r.host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
            strlen(r.host);
    if (!ok) {
        registry_ref_free(&r);
        return berth_error_set(err, EINVAL, "invalid reference format: '%s'", name);
    }
    *ret = r;
    return 0;
}

/* ---- the manifest ---- */

static void sha256_hex(const char *data, size_t len, char out[72])
{
    unsigned char md[32];
    unsigned n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    strcpy(out, "sha256:");
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* GETs manifests/`reference` into p->manifest, p->mjson and p->digest,
 * checked against `reference` when that is a digest. */
static int get_manifest(struct registry_pull *p, const char *reference, struct berth_error **err)
{
    static const char accept[] =
        MT_OCI_INDEX ", " STORE_MT_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST;
    _cleanup_free_ char *url = xasprintf("%s/manifests/%s", p->c.base, reference);
    struct registry_req q = {.method = "GET",
                             .url = url,
                             .accept = accept,
                             .fd = -1,
                             .max = (size_t)registry_config()->max_manifest};
    struct registry_resp b;
    int st = registry_request(&p->c, &q, &b, err);
    if (st < 0)
        return st;
    if (st != 200) {
        int r = registry_failure(&p->c, "manifest", &b, err);
        registry_resp_free(&b);
        return r;
    }
    free(b.location);
    char digest[72];
    sha256_hex(b.data ? b.data : "", b.len, digest);
    json_decref(p->mjson);
    p->mjson = b.data ? json_loadb(b.data, b.len, 0, NULL) : NULL;
    free(p->manifest);
    p->manifest = b.data;
    p->manifest_len = b.len;
    free(p->digest);
    p->digest = xstrdup(digest);
    if (strncmp(reference, "sha256:", 7) == 0 && !streq(reference, digest))
        return berth_error_set(err, EINVAL, "manifest '%s' of %s does not match its digest (%s)",
                               reference, p->c.shown, digest);
    if (!json_is_object(p->mjson))
        return berth_error_set(err, EINVAL, "the manifest of %s is not JSON", p->c.shown);
    return 0;
}

static const char *host_arch(void)
{
    struct utsname u;
    if (uname(&u) < 0 || streq(u.machine, "x86_64"))
        return "amd64";
    if (streq(u.machine, "aarch64"))
        return "arm64";
    if (strncmp(u.machine, "armv7", 5) == 0)
        return "arm";
    return streq(u.machine, "i686") ? "386" : "amd64";
}

const char *registry_index_pick(json_t *index, const char *platform, struct berth_error **err)
{
    _cleanup_free_ char *want =
        platform && *platform ? xstrdup(platform) : xasprintf("linux/%s", host_arch());
    char *arch = strchr(want, '/'), *variant = arch ? strchr(arch + 1, '/') : NULL;
    if (arch == NULL || arch[1] == '\0' || arch == want) {
        berth_error_set(err, EINVAL, "invalid platform '%s': not os/arch[/variant]", want);
        return NULL;
    }
    *arch++ = '\0';
    if (variant)
        *variant++ = '\0';
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        json_t *pl = json_object_get(m, "platform");
        const char *v = json_string_value(json_object_get(pl, "variant"));
        if (streq(json_string_value(json_object_get(pl, "os")), want) &&
            streq(json_string_value(json_object_get(pl, "architecture")), arch) &&
            (!variant || streq(v, variant))) {
            const char *d = json_string_value(json_object_get(m, "digest"));
            if (d == NULL) /* found by the fuzz target: an error without a message */
                berth_error_set(err, EINVAL, "the index's entry for %s/%s has no digest", want,
                                arch);
            return d;
        }
    }
    berth_error_set(err, ENOENT, "no matching manifest for %s/%s%s%s in the manifest list entries",
                    want, arch, variant ? "/" : "", variant ? variant : "");
    return NULL;
}

static bool good_descriptor(json_t *d)
{
    return good_hex_digest(json_string_value(json_object_get(d, "digest"))) &&
           json_integer_value(json_object_get(d, "size")) >= 0 &&
           json_is_integer(json_object_get(d, "size"));
}

int registry_manifest_check(json_t *m, const char *shown, struct berth_error **err)
{
    const char *mt = json_string_value(json_object_get(m, "mediaType"));
    json_t *layers = json_object_get(m, "layers"), *l;
    if (json_integer_value(json_object_get(m, "schemaVersion")) != 2 ||
        (mt && !streq(mt, STORE_MT_MANIFEST) && !streq(mt, MT_DOCKER_MANIFEST)))
        return berth_error_set(err, EINVAL, "unsupported manifest media type '%s' for %s",
                               mt ? mt : "schema 1", shown);
    if (!good_descriptor(json_object_get(m, "config")) || !json_is_array(layers))
        return berth_error_set(err, EINVAL, "the manifest of %s has no valid config", shown);
    size_t i;
    json_array_foreach(layers, i, l)
    {
        const char *lt = json_string_value(json_object_get(l, "mediaType"));
        if (!good_descriptor(l))
            return berth_error_set(err, EINVAL, "the manifest of %s has a bad layer", shown);
        if (lt && strstr(lt, "foreign"))
            return berth_error_set(err, EINVAL, "foreign layer '%s' of %s is not supported", lt,
                                   shown);
    }
    return 0;
}

static int resolve(struct registry_pull *p, const char *platform, struct berth_error **err)
{
    if (get_manifest(p, p->c.ref.digest ? p->c.ref.digest : p->c.ref.tag, err) < 0)
        return -EIO;
    const char *mt = json_string_value(json_object_get(p->mjson, "mediaType"));
    bool index = streq(mt, MT_OCI_INDEX) || streq(mt, MT_DOCKER_LIST) ||
                 (!mt && json_is_array(json_object_get(p->mjson, "manifests")));
    if (index) {
        const char *d = registry_index_pick(p->mjson, platform, err);
        _cleanup_free_ char *digest = d && good_hex_digest(d) ? xstrdup(d) : NULL;
        if (d && !digest)
            return berth_error_set(err, EINVAL, "bad manifest digest '%s' in the index of %s", d,
                                   p->c.shown);
        if (digest == NULL || get_manifest(p, digest, err) < 0)
            return -EINVAL;
    }
    return registry_manifest_check(p->mjson, p->c.shown, err);
}

static void set_names(struct registry_pull *p)
{
    bool hub = streq(p->c.ref.host, "docker.io");
    _cleanup_free_ char *name =
        hub ? xstrdup(p->c.ref.repo) : xasprintf("%s/%s", p->c.ref.host, p->c.ref.repo);
    if (p->c.ref.digest) {
        p->c.shown = xasprintf("%s@%s", name, p->c.ref.digest);
        return;
    }
    p->c.shown = xasprintf("%s:%s", name, p->c.ref.tag);
    struct berth_error *e = NULL;
    if (store_normalize_ref(p->c.shown, &p->store_ref, &e) < 0)
        berth_error_clear(&e);
}

static bool in_index(struct registry_pull *p)
{
    json_t *index = store_index_read(p->data_root), *m;
    bool have = false;
    size_t i;
    json_array_foreach(json_object_get(index, "manifests"), i, m)
    {
        const char *ref = json_string_value(
            json_object_get(json_object_get(m, "annotations"), STORE_REF_ANNOTATION));
        bool same = streq(json_string_value(json_object_get(m, "digest")), p->digest);
        if (same && (p->store_ref == NULL || streq(ref, p->store_ref)))
            have = true;
    }
    json_decref(index);
    return have;
}

/* docker.io's images from the config's mirrors first, in order: the first
 * that has the manifest serves the whole pull (without the user's Hub
 * credentials); then docker.io itself. */
static int resolve_mirrored(struct registry_pull *p, const char *platform,
                            const struct registry_creds *creds, struct berth_error **err)
{
    char **m = registry_config()->mirrors;
    for (size_t i = 0; streq(p->c.ref.host, "docker.io") && m && m[i]; i++) {
        struct berth_error *e = NULL;
        registry_client_setup_at(&p->c, NULL, "pull", m[i]);
        if (resolve(p, platform, &e) == 0)
            return 0;
        berth_error_clear(&e);
        /* back to no client, the reference and names kept */
        free(p->c.base), free(p->c.origin), free(p->c.token);
        registry_creds_free(&p->c.creds);
        p->c.base = p->c.origin = p->c.token = NULL;
        p->c.basic = false;
    }
    registry_client_setup(&p->c, creds, "pull");
    return resolve(p, platform, err);
}

struct registry_pull *registry_pull_new(const char *data_root, const char *name,
                                        const char *platform, struct berth_error **err)
{
    return registry_pull_new_auth(data_root, name, platform, NULL, err);
}

struct registry_pull *registry_pull_new_auth(const char *data_root, const char *name,
                                             const char *platform,
                                             const struct registry_creds *creds,
                                             struct berth_error **err)
{
    struct registry_pull *p = xzalloc(sizeof(*p));
    p->data_root = xstrdup(data_root);
    p->had = json_object();
    if (registry_parse_ref(name, &p->c.ref, err) < 0) {
        registry_pull_free(p);
        return NULL;
    }
    set_names(p);
    if (p->store_ref == NULL && p->c.ref.tag) {
        berth_error_set(err, EINVAL,
                        "invalid reference format: '%s' (berth stores lower case "
                        "names and tags only)",
                        name);
        registry_pull_free(p);
        return NULL;
    }
    if (resolve_mirrored(p, platform, creds, err) < 0) {
        registry_pull_free(p);
        return NULL;
    }
    p->up_to_date = in_index(p);
    return p;
}

const char *registry_pull_tag(const struct registry_pull *p)
{
    return p->c.ref.digest ? p->c.ref.digest : p->c.ref.tag;
}

const char *registry_pull_repo(const struct registry_pull *p)
{
    return p->c.ref.repo;
}

const char *registry_pull_ref(const struct registry_pull *p)
{
    return p->c.shown;
}

const char *registry_pull_digest(const struct registry_pull *p)
{
    return p->digest;
}

bool registry_pull_up_to_date(const struct registry_pull *p)
{
    return p->up_to_date;
}

void registry_pull_free(struct registry_pull *p)
{
    if (p == NULL)
        return;
    if (p->dir)
        rm_rf_at(AT_FDCWD, p->dir, NULL);
    registry_client_clear(&p->c);
    free(p->data_root);
    free(p->store_ref);
    free(p->digest);
    free(p->manifest);
    json_decref(p->mjson);
    json_decref(p->had);
    free(p->dir);
    free(p->blobs_dir);
    free(p->layers_dir);
    free(p);
}

/* ---- blobs ---- */

struct xfer {
    struct registry_pull *p;
    const char *digest;
    long long size, got, told;
    int fd;
    EVP_MD_CTX *md;
    CURL *h;
    struct curl_slist *hl;
    char id[13]; /* "" for the config: Docker shows no progress for it */
    bool overrun;
    unsigned retries; /* resumed requests (Range: bytes=got-) after a broken transfer */
    bool checked;     /* the answer's status seen (a resumed one may start over) */
    long long last;   /* ms (monotonic) of the request's start or its last bytes */
    int werr;
    registry_progress_fn progress;
    void *ud;
};

static void tell(registry_progress_fn fn, void *ud, const char *id, const char *status,
                 json_t *detail)
{
    if (fn == NULL || id == NULL || *id == '\0') {
        json_decref(detail);
        return;
    }
    json_t *m = json_pack("{s:s,s:o,s:s}", "status", status, "progressDetail",
                          detail ? detail : json_object(), "id", id);
    fn(m, ud);
    json_decref(m);
}

/* A resumed request the registry answered with the whole blob (200, not
 * 206): the bytes so far go, it starts over. */
static bool restart_if_whole(struct xfer *x)
{
    long st = 0;
    x->checked = true;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &st);
    if (st != 200 || x->got == 0)
        return true;
    if (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0 ||
        EVP_DigestInit_ex(x->md, EVP_sha256(), NULL) != 1) {
        x->werr = errno ? errno : EIO;
        return false;
    }
    x->got = x->told = 0;
    return true;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static size_t blob_cb(char *d, size_t sz, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t k = sz * n;
    x->last = now_ms();
    if (!x->checked && !restart_if_whole(x))
        return 0;
    if (x->got + (long long)k > x->size) {
        x->overrun = true;
        return 0;
    }
    for (size_t off = 0; off < k;) {
        ssize_t w = write(x->fd, d + off, k - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            x->werr = w < 0 ? errno : EIO;
            return 0;
        }
        off += (size_t)w;
    }
    EVP_DigestUpdate(x->md, d, k);
    x->got += (long long)k;
    if (x->got - x->told >= PROGRESS_STEP || x->got == x->size) {
        x->told = x->got;
        tell(x->progress, x->ud, x->id, "Downloading",
             json_pack("{s:I,s:I}", "current", (json_int_t)x->got, "total", (json_int_t)x->size));
    }
    return k;
}

static char *part_path(struct xfer *x)
{
    return xasprintf("%s/.%s.part", x->p->blobs_dir, x->digest + 7);
}

/* The request for x's bytes from x->got on (a Range after a break). */
static void xfer_request(struct xfer *x, CURLM *m)
{
    _cleanup_free_ char *url = xasprintf("%s/blobs/%s", x->p->c.base, x->digest);
    char range[64];
    x->hl = registry_headers(&x->p->c, url, NULL);
    x->h = registry_easy(url, x->hl);
    x->checked = false;
    x->last = now_ms();
    if (x->got > 0) {
        snprintf(range, sizeof(range), "%lld-", x->got);
        curl_easy_setopt(x->h, CURLOPT_RANGE, range);
    }
    curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, blob_cb);
    curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
    curl_multi_add_handle(m, x->h);
}

static int xfer_start(struct xfer *x, CURLM *m, struct berth_error **err)
{
    _cleanup_free_ char *part = part_path(x);
    x->fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (x->fd < 0)
        return berth_error_set(err, errno, "cannot create '%s'", part);
    x->md = EVP_MD_CTX_new();
    if (x->md == NULL || EVP_DigestInit_ex(x->md, EVP_sha256(), NULL) != 1)
        abort();
    xfer_request(x, m);
    return 0;
}

/* A transfer that broke on the way (the connection dropped or stalled),
 * not one the registry refused or that went wrong: it goes on from where
 * it stopped, as Docker's resumable downloads, RESUME_MAX times. */
static bool xfer_resume(struct xfer *x, CURLM *m, CURLcode c)
{
    long st = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &st);
    bool broken = c == CURLE_PARTIAL_FILE || c == CURLE_RECV_ERROR || c == CURLE_GOT_NOTHING ||
                  c == CURLE_OPERATION_TIMEDOUT || c == CURLE_SEND_ERROR;
    if (!broken || x->overrun || x->werr || x->retries >= RESUME_MAX ||
        (st != 0 && st != 200 && st != 206))
        return false;
    x->retries++;
    curl_multi_remove_handle(m, x->h);
    curl_easy_cleanup(x->h);
    curl_slist_free_all(x->hl);
    xfer_request(x, m);
    return true;
}

static void xfer_end(struct xfer *x, CURLM *m)
{
    if (x->h) {
        curl_multi_remove_handle(m, x->h);
        curl_easy_cleanup(x->h);
    }
    curl_slist_free_all(x->hl);
    EVP_MD_CTX_free(x->md);
    if (x->fd >= 0)
        close(x->fd);
    _cleanup_free_ char *part = part_path(x);
    unlink(part);
    x->h = NULL, x->hl = NULL, x->md = NULL, x->fd = -1;
}

/* A finished download: checked, then renamed to its digest. */
static int xfer_done(struct xfer *x, CURLcode c, struct berth_error **err)
{
    long st = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &st);
    if (x->overrun)
        return berth_error_set(err, EINVAL, "blob '%s' of %s is larger than its size %lld",
                               x->digest, x->p->c.shown, x->size);
    if (x->werr)
        return berth_error_set(err, x->werr, "cannot write blob '%s'", x->digest);
    if (c == CURLE_OPERATION_TIMEDOUT)
        return berth_error_set(err, EIO,
                               "the registry of %s stalled: no data for %ld s while getting blob "
                               "'%s' (%lld of %lld bytes, %u resumed requests)",
                               x->p->c.shown, registry_config()->stall_s, x->digest, x->got,
                               x->size, x->retries);
    if (c != CURLE_OK)
        return berth_error_set(err, EIO, "cannot get blob '%s' of %s: %s", x->digest, x->p->c.shown,
                               curl_easy_strerror(c));
    if (st != 200 && !(st == 206 && x->retries > 0)) {
        struct registry_resp none = {.status = (int)st};
        return registry_failure(&x->p->c, "blob", &none, err);
    }
    unsigned char md[32];
    unsigned n = 0;
    char got[72] = "sha256:";
    EVP_DigestFinal_ex(x->md, md, &n);
    for (unsigned i = 0; i < 32; i++)
        snprintf(got + 7 + 2 * i, 3, "%02x", md[i]);
    if (x->got != x->size || !streq(got, x->digest))
        return berth_error_set(err, EINVAL,
                               "filesystem layer verification failed: blob '%s' of %s does not "
                               "match its digest (%s, %lld of %lld bytes)",
                               x->digest, x->p->c.shown, got, x->got, x->size);
    tell(x->progress, x->ud, x->id, "Verifying Checksum", NULL);
    _cleanup_free_ char *part = part_path(x);
    _cleanup_free_ char *dst = xasprintf("%s/%s", x->p->blobs_dir, x->digest + 7);
    if (fdatasync(x->fd) < 0 || rename(part, dst) < 0)
        return berth_error_set(err, errno, "cannot keep blob '%s'", x->digest);
    tell(x->progress, x->ud, x->id, "Download complete", NULL);
    return 0;
}

/* Finished transfers; the first failure in *err. */
static int reap(CURLM *m, size_t *active, struct berth_error **err)
{
    CURLMsg *msg;
    int q, r = 0;
    while ((msg = curl_multi_info_read(m, &q))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct xfer *x = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (r == 0 && xfer_resume(x, m, msg->data.result))
            continue;
        if (r == 0)
            r = xfer_done(x, msg->data.result, err);
        xfer_end(x, m);
        (*active)--;
    }
    return r;
}

/* The transfers that got no byte for the config's stall-timeout (curl's
 * own low-speed check averages over seconds more): broken ones. */
static int check_stalls(struct xfer *xs, size_t n, CURLM *m, size_t *active,
                        struct berth_error **err)
{
    long long limit = now_ms() - registry_config()->stall_s * 1000;
    for (size_t i = 0; i < n; i++) {
        struct xfer *x = &xs[i];
        if (x->h == NULL || x->last > limit || xfer_resume(x, m, CURLE_OPERATION_TIMEDOUT))
            continue;
        int r = xfer_done(x, CURLE_OPERATION_TIMEDOUT, err);
        xfer_end(x, m);
        (*active)--;
        return r;
    }
    return 0;
}

/* Runs the transfers, REGISTRY_PARALLEL at a time. */
static int fetch_all(struct xfer *xs, size_t n, struct berth_error **err)
{
    CURLM *m = curl_multi_init();
    size_t next = 0, active = 0;
    int r = 0, running = 0;
    while (r == 0 && (next < n || active > 0)) {
        while (r == 0 && active < REGISTRY_PARALLEL && next < n)
            if ((r = xfer_start(&xs[next++], m, err)) == 0)
                active++;
        CURLMcode mc = curl_multi_perform(m, &running);
        if (r == 0 && mc != CURLM_OK)
            r = berth_error_set(err, EIO, "cannot download: %s", curl_multi_strerror(mc));
        if (r == 0)
            r = reap(m, &active, err);
        if (r == 0)
            r = check_stalls(xs, next, m, &active, err);
        if (r == 0 && active > 0)
            curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    for (size_t i = 0; i < n; i++)
        xfer_end(&xs[i], m);
    curl_multi_cleanup(m);
    return r;
}

/* True when the store has blob `digest`: it is linked into the work dir,
 * so that an image removal meanwhile cannot take it away. */
static bool link_stored(struct registry_pull *p, const char *digest)
{
    _cleanup_free_ char *src = xasprintf("%s/image/blobs/sha256/%s", p->data_root, digest + 7);
    _cleanup_free_ char *dst = xasprintf("%s/%s", p->blobs_dir, digest + 7);
    return link(src, dst) == 0 || (errno == EEXIST && access(dst, F_OK) == 0);
}

/* A blob over the config's max-blob-bytes is refused before any byte. */
static int check_sizes(struct registry_pull *p, struct berth_error **err)
{
    json_t *layers = json_object_get(p->mjson, "layers"), *l;
    json_t *cfg = json_object_get(p->mjson, "config");
    long long max = registry_config()->max_blob;
    size_t i;
    json_array_foreach(layers, i, l)
    {
        if (json_integer_value(json_object_get(l, "size")) > max)
            return berth_error_set(err, EINVAL,
                                   "blob '%s' of %s is %lld bytes, over berthd's limit of %lld "
                                   "(max-blob-bytes)",
                                   json_string_value(json_object_get(l, "digest")), p->c.shown,
                                   (long long)json_integer_value(json_object_get(l, "size")), max);
    }
    if (json_integer_value(json_object_get(cfg, "size")) > registry_config()->max_manifest)
        return berth_error_set(err, EINVAL, "the config of %s is over %lld bytes", p->c.shown,
                               registry_config()->max_manifest);
    return 0;
}

static void queue(struct xfer *xs, size_t *n, struct registry_pull *p, json_t *desc, bool layer,
                  registry_progress_fn fn, void *ud)
{
    const char *d = json_string_value(json_object_get(desc, "digest"));
    struct xfer *x = &xs[*n];
    for (size_t i = 0; i < *n; i++)
        if (streq(xs[i].digest, d))
            return;
    *x = (struct xfer){.p = p,
                       .digest = d,
                       .fd = -1,
                       .progress = fn,
                       .ud = ud,
                       .size = json_integer_value(json_object_get(desc, "size"))};
    if (layer)
        snprintf(x->id, sizeof(x->id), "%.12s", d + 7);
    bool have = link_stored(p, d);
    tell(fn, ud, x->id, have ? "Already exists" : "Pulling fs layer", NULL);
    if (have)
        json_object_set_new(p->had, d + 7, json_true());
    else
        (*n)++;
}

/* Unpacks the layers the store lacks into the work dir, each checked
 * against its diff_id. */
static int unpack_new(struct registry_pull *p, registry_progress_fn fn, void *ud,
                      struct berth_error **err)
{
    const char *cd =
        json_string_value(json_object_get(json_object_get(p->mjson, "config"), "digest"));
    _cleanup_free_ char *cpath = xasprintf("%s/%s", p->blobs_dir, cd + 7);
    json_error_t je;
    json_t *config = json_load_file(cpath, 0, &je), *l;
    json_t *diffs = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
    json_t *layers = json_object_get(p->mjson, "layers");
    int r = 0;
    if (!json_is_array(diffs) || json_array_size(diffs) != json_array_size(layers))
        r = berth_error_set(err, EINVAL, "the config of %s lists %zu diff_ids for %zu layers",
                            p->c.shown, json_array_size(diffs), json_array_size(layers));
    size_t i;
    json_array_foreach(layers, i, l)
    {
        const char *d = json_string_value(json_object_get(l, "digest"));
        const char *diff = json_string_value(json_array_get(diffs, i));
        if (r < 0)
            break;
        _cleanup_free_ char *have =
            xasprintf("%s/layers/sha256/%s", p->data_root, good_hex_digest(diff) ? diff + 7 : "");
        _cleanup_free_ char *blob = xasprintf("%s/%s", p->blobs_dir, d + 7);
        char id[13];
        snprintf(id, sizeof(id), "%.12s", d + 7);
        if (!good_hex_digest(diff) || access(have, F_OK) < 0) {
            tell(fn, ud, id, "Extracting", NULL);
            r = store_unpack_layer(blob, p->layers_dir, diff, NULL, err);
        }
        if (r == 0 && !json_object_get(p->had, d + 7))
            tell(fn, ud, id, "Pull complete", NULL);
    }
    json_decref(config);
    return r;
}

static int make_workdir(struct registry_pull *p, struct berth_error **err)
{
    /* not store_tmpdir: that clears the dirs of loads, which run under the
     * store's lock while a pull does not */
    _cleanup_free_ char *parent = xasprintf("%s/tmp", p->data_root);
    if (mkdir_p(parent, 0700, err) < 0)
        return -EIO;
    p->dir = xasprintf("%s/pull-%d-XXXXXX", parent, (int)getpid());
    if (mkdtemp(p->dir) == NULL) {
        int e = errno;
        free(p->dir);
        p->dir = NULL;
        return berth_error_set(err, e, "cannot create a work dir in '%s'", parent);
    }
    p->blobs_dir = xasprintf("%s/blobs", p->dir);
    p->layers_dir = xasprintf("%s/layers", p->dir);
    if (mkdir(p->blobs_dir, 0700) < 0 || mkdir(p->layers_dir, 0700) < 0)
        return berth_error_set(err, errno, "cannot create '%s'", p->dir);
    _cleanup_free_ char *mpath = xasprintf("%s/%s", p->blobs_dir, p->digest + 7);
    _cleanup_close_ int fd = open(mpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, p->manifest, p->manifest_len) != (ssize_t)p->manifest_len ||
        fdatasync(fd) < 0)
        return berth_error_set(err, errno ? errno : EIO, "cannot write '%s'", mpath);
    return 0;
}

int registry_pull_fetch(struct registry_pull *p, registry_progress_fn progress, void *ud,
                        struct berth_error **err)
{
    if (p->up_to_date)
        return 0;
    if (check_sizes(p, err) < 0)
        return -EINVAL;
    if (make_workdir(p, err) < 0)
        return -EIO;
    json_t *layers = json_object_get(p->mjson, "layers"), *l;
    _cleanup_free_ struct xfer *xs = xzalloc((json_array_size(layers) + 1) * sizeof(*xs));
    size_t n = 0, i;
    queue(xs, &n, p, json_object_get(p->mjson, "config"), false, progress, ud);
    json_array_foreach(layers, i, l) queue(xs, &n, p, l, true, progress, ud);
    if (fetch_all(xs, n, err) < 0)
        return -EIO;
    return unpack_new(p, progress, ud, err);
}

/* ---- commit ---- */

int registry_pull_commit(struct registry_pull *p, struct berth_error **err)
{
    if (p->up_to_date)
        return 0;
    _cleanup_free_ char *bdir = store_blob_dir(p->data_root);
    _cleanup_free_ char *ldir = store_layer_dir(p->data_root);
    json_t *mb = json_array(), *ml = json_array(), *index = NULL;
    int r = store_move_all(p->blobs_dir, bdir, mb, err);
    if (r == 0)
        r = store_move_all(p->layers_dir, ldir, ml, err);
    if (r == 0) {
        index = store_index_read(p->data_root);
        store_index_set(index, p->store_ref, p->digest, (long long)p->manifest_len);
        store_index_set_repo_digest(index, registry_pull_ref(p), p->digest);
        r = store_index_write(p->data_root, index, err);
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
