#include "registry-client.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_S 30L
#define MAX_REDIRS        5L
#define TOKEN_MAX         (1 << 20)
#define AUTH_MAX          4096 /* an X-Registry-Auth header */

/* ---- credentials ---- */

void registry_creds_free(struct registry_creds *c)
{
    free(c->username);
    free(c->password);
    free(c->token);
    *c = (struct registry_creds){0};
}

static char *dup_or_null(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

/* base64 (either alphabet, padding optional) into a NUL-terminated
 * buffer; NULL when it is not base64 */
static char *b64_decode(const char *in, size_t *ret_len)
{
    size_t n = strlen(in);
    while (n > 0 && in[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return NULL;
    _cleanup_free_ char *s = xmalloc(n + 4);
    for (size_t i = 0; i < n; i++)
        s[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
    size_t padded = n;
    while (padded % 4)
        s[padded++] = '=';
    s[padded] = '\0';
    if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != padded)
        return NULL;
    char *out = xmalloc(padded / 4 * 3 + 1);
    int k = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)s, (int)padded);
    if (k < 0) {
        free(out);
        return NULL;
    }
    *ret_len = (size_t)k - (padded - n);
    out[*ret_len] = '\0';
    return out;
}

int registry_creds_decode(const char *header, struct registry_creds *ret, struct berth_error **err)
{
    *ret = (struct registry_creds){0};
    if (header == NULL || *header == '\0')
        return 0;
    size_t len = 0;
    _cleanup_free_ char *text = strlen(header) <= AUTH_MAX ? b64_decode(header, &len) : NULL;
    json_t *j = text ? json_loadb(text, len, 0, NULL) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        return berth_error_set(err, EINVAL, "invalid X-Registry-Auth header: not base64 JSON");
    }
    ret->username = dup_or_null(json_string_value(json_object_get(j, "username")));
    ret->password = dup_or_null(json_string_value(json_object_get(j, "password")));
    ret->token = dup_or_null(json_string_value(json_object_get(j, "registrytoken")));
    json_decref(j);
    return 0;
}

/* ---- berthd's settings ---- */

static struct registry_config config = {
    .max_manifest = REGISTRY_MANIFEST_MAX, .max_blob = 16LL << 30, .stall_s = 30};

const struct registry_config *registry_config(void)
{
    return &config;
}

/* ["...", ...] of strings that `ok` accepts, into a NULL-terminated copy */
static int config_list(json_t *v, const char *key, bool (*ok)(const char *), char ***ret,
                       struct berth_error **err)
{
    json_t *e;
    size_t i;
    if (!json_is_array(v))
        return berth_error_set(err, EINVAL, "registry config: %s must be a list", key);
    char **out = xzalloc((json_array_size(v) + 1) * sizeof(char *));
    json_array_foreach(v, i, e)
    {
        const char *s = json_string_value(e);
        if (s == NULL || !ok(s)) {
            strv_freep(&out);
            return berth_error_set(err, EINVAL, "registry config: bad entry '%s' in %s",
                                   s ? s : "?", key);
        }
        size_t n = strlen(s);
        out[i] = n > 1 && s[n - 1] == '/' ? xasprintf("%.*s", (int)n - 1, s) : xstrdup(s);
    }
    *ret = out;
    return 0;
}

static bool host_ok(const char *s)
{
    return *s && strlen(s) < 256 && !strchr(s, '/') && !strchr(s, '@') && !strchr(s, ' ');
}

static bool origin_ok(const char *s)
{
    const char *h = strncmp(s, "https://", 8) == 0  ? s + 8
                    : strncmp(s, "http://", 7) == 0 ? s + 7
                                                    : NULL;
    if (h == NULL)
        return false;
    _cleanup_free_ char *host = xstrdup(h);
    size_t n = strlen(host);
    if (n > 0 && host[n - 1] == '/')
        host[n - 1] = '\0';
    return host_ok(host);
}

static int config_number(json_t *v, const char *key, long long max, long long *ret,
                         struct berth_error **err)
{
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max)
        return berth_error_set(err, EINVAL, "registry config: %s must be a number from 1 to %lld",
                               key, max);
    *ret = json_integer_value(v);
    return 0;
}

int registry_config_load(const char *file, struct berth_error **err)
{
    json_error_t je;
    json_t *j = json_load_file(file, JSON_REJECT_DUPLICATES, &je), *v;
    const char *k;
    long long stall = config.stall_s;
    int r = 0;
    if (!json_is_object(j))
        r = berth_error_set(err, EINVAL, "registry config %s: %s", file,
                            j ? "not a JSON object" : je.text);
    json_object_foreach(j, k, v)
    {
        if (r < 0)
            break;
        if (streq(k, "insecure-registries"))
            r = config_list(v, k, host_ok, &config.insecure, err);
        else if (streq(k, "registry-mirrors"))
            r = config_list(v, k, origin_ok, &config.mirrors, err);
        else if (streq(k, "max-manifest-bytes"))
            r = config_number(v, k, 1LL << 30, &config.max_manifest, err);
        else if (streq(k, "max-blob-bytes"))
            r = config_number(v, k, 1LL << 50, &config.max_blob, err);
        else if (streq(k, "stall-timeout"))
            r = config_number(v, k, 3600, &stall, err);
        else
            r = berth_error_set(err, EINVAL, "registry config %s: unknown key '%s'", file, k);
    }
    config.stall_s = (long)stall;
    json_decref(j);
    return r;
}

/* ---- the client ---- */

bool registry_insecure_host(const char *hostport)
{
    for (size_t i = 0; config.insecure && config.insecure[i]; i++) {
        const char *e = config.insecure[i];
        size_t n = strlen(e);
        /* "host:port" exactly, or "host" for every port of it */
        if (streq(e, hostport) || (strncmp(hostport, e, n) == 0 && hostport[n] == ':'))
            return true;
    }
    _cleanup_free_ char *h = xstrdup(hostport);
    char *c = h[0] == '[' ? strchr(h, ']') : strrchr(h, ':');
    if (c)
        *c = '\0';
    const char *host = h[0] == '[' ? h + 1 : h;
    struct in_addr a;
    if (streq(host, "localhost") || streq(host, "::1"))
        return true;
    return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

void registry_client_setup(struct registry_client *c, const struct registry_creds *creds,
                           const char *actions)
{
    registry_client_setup_at(c, creds, actions, NULL);
}

void registry_client_setup_at(struct registry_client *c, const struct registry_creds *creds,
                              const char *actions, const char *origin)
{
    const char *host = c->ref.host;
    const char *endpoint = streq(host, "docker.io") ? REGISTRY_DOCKER_HUB : host;
    c->origin =
        origin ? xstrdup(origin)
               : xasprintf("%s://%s", registry_insecure_host(host) ? "http" : "https", endpoint);
    c->base =
        c->ref.repo ? xasprintf("%s/v2/%s", c->origin, c->ref.repo) : xasprintf("%s/v2", c->origin);
    c->actions = actions;
    if (creds) {
        c->creds.username = dup_or_null(creds->username);
        c->creds.password = xstrdup(creds->password ? creds->password : "");
        c->creds.token = dup_or_null(creds->token);
        c->token = dup_or_null(creds->token);
    }
}

void registry_client_clear(struct registry_client *c)
{
    registry_ref_free(&c->ref);
    free(c->base);
    free(c->origin);
    free(c->shown);
    registry_creds_free(&c->creds);
    free(c->token);
    *c = (struct registry_client){0};
}

void registry_resp_free(struct registry_resp *r)
{
    free(r->data);
    free(r->location);
    *r = (struct registry_resp){0};
}

CURL *registry_easy(const char *url, struct curl_slist *headers)
{
    CURL *h = curl_easy_init();
    if (h == NULL)
        abort(); /* allocation failure, as xmalloc */
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, MAX_REDIRS);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    /* below one byte a second for this long, a registry has stalled */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, config.stall_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "berth");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    return h;
}

static char *basic_value(const struct registry_creds *c)
{
    _cleanup_free_ char *plain = xasprintf("%s:%s", c->username, c->password ? c->password : "");
    size_t n = strlen(plain);
    char *out = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, (unsigned char *)plain, (int)n);
    return out;
}

/* the same scheme, host and port: credentials may go there */
static bool same_origin(const struct registry_client *c, const char *url)
{
    size_t n = strlen(c->origin);
    return strncmp(url, c->origin, n) == 0 && (url[n] == '/' || url[n] == '\0');
}

struct curl_slist *registry_headers(struct registry_client *c, const char *url, const char *accept)
{
    struct curl_slist *l = NULL;
    if (accept) {
        _cleanup_free_ char *a = xasprintf("Accept: %s", accept);
        l = curl_slist_append(l, a);
    }
    if (c == NULL || !same_origin(c, url))
        return l;
    if (c->token) {
        _cleanup_free_ char *a = xasprintf("Authorization: Bearer %s", c->token);
        l = curl_slist_append(l, a);
    } else if (c->basic && c->creds.username) {
        _cleanup_free_ char *v = basic_value(&c->creds);
        _cleanup_free_ char *a = xasprintf("Authorization: Basic %s", v);
        l = curl_slist_append(l, a);
    }
    return l;
}

/* ---- one request ---- */

struct xchg {
    const struct registry_req *q;
    struct registry_resp *resp;
    size_t off;
    bool too_big;
    int rerr;
};

static size_t write_cb(char *d, size_t sz, size_t n, void *ud)
{
    struct xchg *x = ud;
    struct registry_resp *r = x->resp;
    size_t k = sz * n;
    if (r->len + k > x->q->max) {
        x->too_big = true;
        return 0;
    }
    r->data = xrealloc(r->data, r->len + k + 1);
    memcpy(r->data + r->len, d, k);
    r->len += k;
    r->data[r->len] = '\0';
    return k;
}

static size_t read_cb(char *buf, size_t sz, size_t n, void *ud)
{
    struct xchg *x = ud;
    const struct registry_req *q = x->q;
    size_t want = sz * n;
    if (q->fd < 0) {
        size_t k = q->len - x->off < want ? q->len - x->off : want;
        memcpy(buf, q->data + x->off, k);
        x->off += k;
        return k;
    }
    ssize_t k;
    do
        k = pread(q->fd, buf, want, (off_t)x->off);
    while (k < 0 && errno == EINTR);
    if (k < 0) {
        x->rerr = errno;
        return CURL_READFUNC_ABORT;
    }
    x->off += (size_t)k;
    return (size_t)k;
}

static int xfer_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                   curl_off_t ulnow)
{
    const struct registry_req *q = ((struct xchg *)ud)->q;
    (void)dltotal, (void)dlnow;
    q->sent((long long)ulnow, (long long)ultotal, q->ud);
    return 0;
}

/* the method and body of `q` on `h` */
static void set_method(CURL *h, const struct registry_req *q, struct xchg *x)
{
    curl_off_t len = q->fd >= 0 ? (curl_off_t)q->fd_len : (curl_off_t)q->len;
    bool post = streq(q->method, "POST"), put = streq(q->method, "PUT");
    if (streq(q->method, "HEAD"))
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (!post && !put)
        return;
    /* a Location of an upload is no redirect to follow with the body */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, x);
    if (post) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, len);
    } else {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, len);
    }
    if (q->sent) {
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xfer_cb);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }
}

/* "/v2/x/blobs/uploads/ID" -> "http://HOST/v2/..." on the request's origin */
static char *absolute(const char *url, const char *loc)
{
    if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0)
        return xstrdup(loc);
    const char *host = strstr(url, "://");
    const char *path = host ? strchr(host + 3, '/') : NULL;
    size_t n = path ? (size_t)(path - url) : strlen(url);
    return xasprintf("%.*s%s%s", (int)n, url, loc[0] == '/' ? "" : "/", loc);
}

static char *header_of(CURL *h, const char *name)
{
    struct curl_header *v = NULL;
    if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &v) != CURLHE_OK)
        return NULL;
    return xstrdup(v->value);
}

static int perform(struct registry_client *c, const struct registry_req *q,
                   struct registry_resp *ret, char **ret_auth, struct berth_error **err)
{
    struct curl_slist *hl = registry_headers(c, q->url, q->accept);
    if (q->authorization) {
        _cleanup_free_ char *a = xasprintf("Authorization: %s", q->authorization);
        hl = curl_slist_append(hl, a);
    }
    if (q->content_type) {
        _cleanup_free_ char *a = xasprintf("Content-Type: %s", q->content_type);
        hl = curl_slist_append(hl, a);
    }
    hl = curl_slist_append(hl, "Expect:"); /* no 1 s wait for a 100-continue */
    CURL *h = registry_easy(q->url, hl);
    *ret = (struct registry_resp){0};
    struct xchg x = {.q = q, .resp = ret};
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    set_method(h, q, &x);
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    _cleanup_free_ char *loc = header_of(h, "Location");
    if (loc)
        ret->location = absolute(q->url, loc);
    if (ret_auth)
        *ret_auth = header_of(h, "WWW-Authenticate");
    int r = ret->status = (int)status;
    if (x.too_big)
        r = berth_error_set(err, EINVAL, "'%s' is larger than %zu bytes, refusing it", q->url,
                            q->max);
    else if (x.rerr)
        r = berth_error_set(err, x.rerr, "cannot read what to send to '%s'", q->url);
    else if (cc != CURLE_OK)
        r = berth_error_set(err, EIO, "cannot %s '%s': %s",
                            streq(q->method, "GET") ? "get" : "send", q->url,
                            curl_easy_strerror(cc));
    curl_easy_cleanup(h);
    curl_slist_free_all(hl);
    if (r < 0)
        registry_resp_free(ret);
    return r;
}

/* ---- tokens ---- */

/* The value of `key` in a challenge's key="value" list, or NULL. */
static char *challenge_param(const char *s, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = s; (p = strstr(p, key)); p += k) {
        bool start = p == s || p[-1] == ' ' || p[-1] == ',';
        if (!start || strncmp(p + k, "=\"", 2) != 0)
            continue;
        const char *v = p + k + 2, *e = strchr(v, '"');
        return e ? strndup(v, (size_t)(e - v)) : NULL;
    }
    return NULL;
}

/* What an auth server or registry says in a refusal, or NULL. */
static char *refusal(const struct registry_resp *b)
{
    json_t *j = b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL;
    const char *m = json_string_value(json_object_get(j, "details"));
    if (m == NULL)
        m = json_string_value(
            json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message"));
    char *out = m ? xstrdup(m) : NULL;
    json_decref(j);
    return out;
}

/* The realm's host may hear the password only over HTTPS or on this
 * machine: a plain-HTTP realm elsewhere would hand it to the network. */
static bool realm_ok(const char *realm, bool creds)
{
    if (strncmp(realm, "https://", 8) == 0)
        return true;
    if (strncmp(realm, "http://", 7) != 0)
        return false;
    if (!creds)
        return true;
    _cleanup_free_ char *host = xstrdup(realm + 7);
    host[strcspn(host, "/?#")] = '\0';
    return *host && !strchr(host, '@') && registry_insecure_host(host);
}

static char *token_url(struct registry_client *c, const char *realm, const char *challenge)
{
    _cleanup_free_ char *service = challenge_param(challenge, "service");
    _cleanup_free_ char *scope = challenge_param(challenge, "scope");
    if (scope == NULL && c->ref.repo)
        scope = xasprintf("repository:%s:%s", c->ref.repo, c->actions ? c->actions : "pull");
    char *es = curl_easy_escape(NULL, service ? service : "", 0);
    char *ec = scope ? curl_easy_escape(NULL, scope, 0) : NULL;
    char *ea = c->creds.username ? curl_easy_escape(NULL, c->creds.username, 0) : NULL;
    char *url = xasprintf("%s%sservice=%s%s%s%s%s", realm, strchr(realm, '?') ? "&" : "?", es,
                          ec ? "&scope=" : "", ec ? ec : "", ea ? "&account=" : "", ea ? ea : "");
    curl_free(es);
    curl_free(ec);
    curl_free(ea);
    return url;
}

/* Docker's token flow: a token from the challenge's realm, anonymous or
 * with the credentials. */
static int get_token(struct registry_client *c, const char *challenge, struct berth_error **err)
{
    _cleanup_free_ char *realm = challenge_param(challenge, "realm");
    bool creds = c->creds.username != NULL;
    if (realm == NULL || !realm_ok(realm, creds))
        return berth_error_set(err, EACCES, "unauthorized: bad token realm in '%s'", challenge);
    _cleanup_free_ char *url = token_url(c, realm, challenge);
    _cleanup_free_ char *v = creds ? basic_value(&c->creds) : NULL;
    _cleanup_free_ char *a = v ? xasprintf("Basic %s", v) : NULL;
    /* no client: the credentials go to the realm as this header only */
    struct registry_req q = {
        .method = "GET", .url = url, .fd = -1, .max = TOKEN_MAX, .authorization = a};
    struct registry_resp b;
    int st = perform(NULL, &q, &b, NULL, err);
    if (st < 0)
        return st;
    json_t *j = st == 200 && b.data ? json_loadb(b.data, b.len, 0, NULL) : NULL;
    const char *t = json_string_value(json_object_get(j, "token"));
    if (t == NULL || *t == '\0')
        t = json_string_value(json_object_get(j, "access_token"));
    free(c->token);
    c->token = t && *t ? xstrdup(t) : NULL;
    json_decref(j);
    _cleanup_free_ char *why = c->token ? NULL : refusal(&b);
    registry_resp_free(&b);
    if (c->token == NULL && creds && (st == 401 || st == 403))
        return berth_error_set(err, EACCES, "unauthorized: %s",
                               why ? why : "incorrect username or password");
    if (c->token == NULL)
        return berth_error_set(err, EACCES, "unauthorized: no token from '%s' (HTTP %d)%s%s", realm,
                               st, why ? ": " : "", why ? why : "");
    return 0;
}

/* After a 401: a token, or the credentials for a Basic challenge; < 0
 * when nothing more can be tried, 1 when the 401 stands (credentials
 * already refused). */
static int answer(struct registry_client *c, const char *challenge, struct berth_error **err)
{
    if (challenge && strncasecmp(challenge, "Bearer ", 7) == 0)
        return get_token(c, challenge + 7, err);
    bool basic = challenge && strncasecmp(challenge, "Basic", 5) == 0;
    if (basic && c->creds.username && !c->basic) {
        c->basic = true;
        return 0;
    }
    if (c->creds.username)
        return 1;
    return berth_error_set(err, EACCES,
                           "unauthorized: registry '%s' wants credentials%s%s: log in with "
                           "'berth login %s'",
                           c->ref.host, c->ref.repo ? " for " : "", c->ref.repo ? c->ref.repo : "",
                           c->ref.host);
}

int registry_request(struct registry_client *c, const struct registry_req *q,
                     struct registry_resp *ret, struct berth_error **err)
{
    _cleanup_free_ char *challenge = NULL;
    int st = perform(c, q, ret, &challenge, err);
    if (st != 401)
        return st;
    int r = answer(c, challenge, err);
    if (r != 0)
        return r < 0 ? (registry_resp_free(ret), r) : st;
    registry_resp_free(ret);
    return perform(c, q, ret, NULL, err);
}

int registry_failure(struct registry_client *c, const char *what, const struct registry_resp *b,
                     struct berth_error **err)
{
    json_t *j = b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL;
    json_t *e = json_array_get(json_object_get(j, "errors"), 0);
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    _cleanup_free_ char *why = msg ? xasprintf(": %s", msg) : xasprintf(" (HTTP %d)", b->status);
    const char *shown = c->shown ? c->shown : c->ref.host;
    int r, st = b->status;
    if (streq(code, "NAME_UNKNOWN"))
        r = berth_error_set(err, ENOENT, "repository %s/%s not found%s", c->ref.host,
                            c->ref.repo ? c->ref.repo : "", why);
    else if (st == 404)
        r = berth_error_set(err, ENOENT, "%s for %s not found%s", what, shown, why);
    else if (st == 401 || st == 403)
        r = berth_error_set(err, EACCES, "unauthorized: %s for %s%s", what, shown, why);
    else if (strchr(what, ' ')) /* a phrase: "push blob X to R" */
        r = berth_error_set(err, EIO, "cannot %s: registry '%s' answered%s", what, c->ref.host,
                            why);
    else
        r = berth_error_set(err, EIO, "cannot get the %s of %s: registry '%s' answered%s", what,
                            shown, c->ref.host, why);
    json_decref(j);
    return r;
}

/* "https://index.docker.io/v1/", "127.0.0.1:5000/", "" -> a host */
static char *server_host(const char *server)
{
    const char *s = server ? server : "";
    if (strncmp(s, "https://", 8) == 0)
        s += 8;
    else if (strncmp(s, "http://", 7) == 0)
        s += 7;
    char *h = strndup(s, strcspn(s, "/"));
    if (*h == '\0' || streq(h, "index.docker.io") || streq(h, REGISTRY_DOCKER_HUB)) {
        free(h);
        h = xstrdup("docker.io");
    }
    return h;
}

int registry_login(const char *server, const struct registry_creds *creds, struct berth_error **err)
{
    if (creds == NULL || creds->username == NULL)
        return berth_error_set(err, EINVAL, "a username is required to log in");
    struct registry_client c = {.ref.host = server_host(server)};
    if (strspn(c.ref.host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
        strlen(c.ref.host)) {
        int r = berth_error_set(err, EINVAL, "invalid registry address '%s'", server);
        registry_client_clear(&c);
        return r;
    }
    registry_client_setup(&c, creds, NULL);
    _cleanup_free_ char *url = xasprintf("%s/", c.base);
    struct registry_req q = {.method = "GET", .url = url, .fd = -1, .max = 1 << 16};
    struct registry_resp b;
    int st = registry_request(&c, &q, &b, err);
    if (st >= 0 && st != 200) {
        _cleanup_free_ char *why = refusal(&b);
        if (st == 401 || st == 403)
            st = berth_error_set(err, EACCES,
                                 "unauthorized: registry '%s' refused the credentials of '%s'%s%s",
                                 c.ref.host, creds->username, why ? ": " : "", why ? why : "");
        else
            st = berth_error_set(err, EIO, "cannot log in to '%s': it answered HTTP %d%s%s",
                                 c.ref.host, st, why ? ": " : "", why ? why : "");
    }
    if (st >= 0)
        registry_resp_free(&b);
    registry_client_clear(&c);
    return st < 0 ? st : 0;
}
