/* libFuzzer target: a response from berthd -> the CLI's HTTP parser
 * (src/cli/http.c). The first byte picks how the rest is split into the
 * pieces fed to the parser (reads of any size split anywhere); whatever the
 * bytes, it must parse or give one error, never crash or leak, and deliver
 * the same verdict and body bytes however the input was split. */
#include "cleanup.h"
#include "error.h"
#include "http.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
    char *body; /* as large as the input: a body is never larger */
    size_t len, size;
};

static int on_body(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    struct sink *s = ud;
    if (n == 0 || p->status < 100 || p->status > 599)
        __builtin_trap(); /* bytes only after a status line, never empty */
    if (s->len + n > s->size)
        __builtin_trap();
    memcpy(s->body + s->len, d, n);
    s->len += n;
    return 0;
}

/* Feeds data in pieces of `step` bytes (0: all at once); the verdict. */
static int run(const uint8_t *data, size_t size, size_t step, struct sink *s)
{
    struct http_parser p;
    struct berth_error *err = NULL;
    size_t i = 0;
    int r = 0;
    http_parser_init(&p, false, on_body, s);
    while (r >= 0 && i < size && !http_parser_done(&p)) {
        size_t n = step && step < size - i ? step : size - i;
        ssize_t k = http_parser_feed(&p, (const char *)data + i, n, &err);
        if (k < 0 && err == NULL)
            __builtin_trap(); /* a failure must say why */
        if (k >= 0 && (size_t)k != n && !http_parser_done(&p))
            __builtin_trap(); /* short only at the end of the response */
        r = k < 0 ? (int)k : 0;
        i += n;
    }
    if (r >= 0)
        r = http_parser_eof(&p, &err);
    if (r < 0 && err == NULL)
        __builtin_trap();
    berth_error_clear(&err);
    http_parser_free(&p);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t step = data[0] % 17;
    struct sink whole = {xmalloc(size), 0, size}, split = {xmalloc(size), 0, size};
    int a = run(data + 1, size - 1, 0, &whole);
    int b = run(data + 1, size - 1, step, &split);
    if (a != b || whole.len != split.len ||
        (whole.len > 0 && memcmp(whole.body, split.body, whole.len) != 0))
        __builtin_trap(); /* the split changed the verdict or the body */
    free(whole.body);
    free(split.body);
    return 0;
}
