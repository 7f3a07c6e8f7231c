/* Docker's detach keys (attach's detachKeys query, exec's DetachKeys):
 * "ctrl-<x>,<c>,..." with x one of a-z @ [ \ ] ^ _ (docker's
 * term.ToBytes); the client's input is watched for the sequence, whose
 * bytes are held back while they match and let through when they stop to. */
#include "api.h"
#include "util.h"

#include <ctype.h>
#include <string.h>

int detach_keys_parse(const char *spec, struct detach_keys *ret)
{
    const char *p = spec && *spec ? spec : "ctrl-p,ctrl-q";
    memset(ret, 0, sizeof(*ret));
    while (*p) {
        size_t n = strcspn(p, ",");
        unsigned char k;
        if (n == 1) {
            k = (unsigned char)*p;
        } else if (n == 6 && strncasecmp(p, "ctrl-", 5) == 0) {
            char c = (char)tolower((unsigned char)p[5]);
            if (c >= 'a' && c <= 'z')
                k = (unsigned char)(c - 'a' + 1);
            else if (strchr("@[\\]^_", c))
                k = (unsigned char)(c == '@' ? 0 : c - '[' + 27);
            else
                return -1;
        } else {
            return -1;
        }
        if (ret->len == sizeof(ret->keys))
            return -1;
        ret->keys[ret->len++] = k;
        p += n;
        if (*p == ',' && *++p == '\0')
            return -1;
    }
    return ret->len > 0 ? 0 : -1;
}

bool detach_keys_filter(struct detach_keys *dk, const char *in, size_t n, char *out,
                        size_t *ret_len)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c != dk->keys[dk->matched] && dk->matched > 0) {
            memcpy(out + o, dk->keys, dk->matched); /* not the sequence after all */
            o += dk->matched;
            dk->matched = 0;
        }
        if (c == dk->keys[dk->matched]) {
            if (++dk->matched == dk->len) {
                *ret_len = o;
                return true;
            }
            continue;
        }
        out[o++] = (char)c;
    }
    *ret_len = o;
    return false;
}
