/* libFuzzer target: what a registry or a user hands the pull client
 * (src/engine-common/registry.c). The input is "NAME\nPLATFORM\nJSON":
 * NAME goes through registry_parse_ref, JSON (a manifest or an index, as a
 * registry would send it) through registry_index_pick with PLATFORM and
 * registry_manifest_check; NAME also as an X-Registry-Auth header through
 * registry_creds_decode. Whatever the bytes: no crash, no leak; a parsed
 * reference has a host, a repo and a tag or a digest (NAME:TAG@DIGEST both); a picked
 * digest is a string of the index; decoded credentials hold no empty
 * username or token; an error says why. */
#include "error.h"
#include "registry.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *piece(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;
    char *s = xmalloc((size_t)(stop - *p) + 1);
    memcpy(s, *p, (size_t)(stop - *p));
    s[stop - *p] = '\0';
    *p = nl ? nl + 1 : end;
    return s;
}

static void check_ref(const char *name)
{
    struct registry_ref ref = {0};
    struct berth_error *err = NULL;
    if (registry_parse_ref(name, &ref, &err) == 0) {
        if (!ref.host || !*ref.host || !ref.repo || !*ref.repo || (!ref.tag && !ref.digest))
            abort();
        registry_ref_free(&ref);
    } else if (err == NULL || err->msg == NULL) {
        abort();
    }
    berth_error_clear(&err);
}

static void check_creds(const char *header)
{
    struct registry_creds c;
    struct berth_error *err = NULL;
    if (registry_creds_decode(header, &c, &err) == 0) {
        if ((c.username && !*c.username) || (c.token && !*c.token) || err)
            abort();
        registry_creds_free(&c);
    } else if (err == NULL || err->msg == NULL || c.username || c.password || c.token) {
        abort();
    }
    berth_error_clear(&err);
}

static void check_json(const char *platform, const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, 0, NULL);
    struct berth_error *err = NULL;
    if (j == NULL)
        return;
    const char *d = registry_index_pick(j, platform, &err);
    if (d == NULL && (err == NULL || err->msg == NULL))
        abort();
    berth_error_clear(&err);
    if (registry_manifest_check(j, "fuzz", &err) < 0 && (err == NULL || err->msg == NULL))
        abort();
    berth_error_clear(&err);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    char *name = piece(&p, end);
    char *platform = piece(&p, end);
    check_ref(name);
    check_creds(name);
    check_json(platform, p, (size_t)(end - p));
    free(name);
    free(platform);
    return 0;
}
