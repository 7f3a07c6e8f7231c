/* The CLI's HTTP/1.1 client (src/cli/http.c): responses parsed whole and
 * byte by byte, the errors of malformed ones, the escaper, and the header
 * reader of a hijacked connection, which must leave the stream unread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "http.h"
#include "util.h"

struct parsed {
    int rc; /* 0, or the error */
    char *error;
    int status;
    int64_t length;
    bool chunked;
    char *type;
    char body[256];
    size_t len;
};

static int on_body(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    struct parsed *r = ud;
    (void)p;
    assert_true(r->len + n < sizeof(r->body));
    memcpy(r->body + r->len, d, n);
    r->len += n;
    return 0;
}

/* Parses `in` in pieces of `step` bytes (0: whole), then the connection's end. */
static void parse(const char *in, size_t size, size_t step, struct parsed *r)
{
    struct http_parser p;
    struct berth_error *err = NULL;
    memset(r, 0, sizeof(*r));
    http_parser_init(&p, false, on_body, r);
    for (size_t i = 0; i < size && r->rc == 0 && !http_parser_done(&p); i += step ? step : size) {
        size_t n = step && step < size - i ? step : size - i;
        ssize_t k = http_parser_feed(&p, in + i, n, &err);
        r->rc = k < 0 ? (int)k : 0;
    }
    if (r->rc == 0)
        r->rc = http_parser_eof(&p, &err);
    r->error = err ? xstrdup(err->msg) : NULL;
    r->status = p.status;
    r->length = p.content_length;
    r->chunked = p.chunked;
    r->type = p.content_type ? xstrdup(p.content_type) : NULL;
    berth_error_clear(&err);
    http_parser_free(&p);
}

/* Whole and byte by byte agree; the body is `body`. */
static void expect_ok(const char *in, int status, const char *body)
{
    struct parsed a, b;
    parse(in, strlen(in), 0, &a);
    parse(in, strlen(in), 1, &b);
    assert_int_equal(a.rc, 0);
    assert_int_equal(b.rc, 0);
    assert_int_equal(a.status, status);
    assert_int_equal(b.status, status);
    assert_int_equal(a.len, strlen(body));
    assert_memory_equal(a.body, body, a.len);
    assert_int_equal(b.len, strlen(body));
    assert_memory_equal(b.body, body, b.len);
    free(a.type), free(b.type);
}

static void expect_error(const char *in, size_t size, const char *msg)
{
    for (size_t step = 0; step < 3; step++) {
        struct parsed r;
        parse(in, size, step, &r);
        assert_int_equal(r.rc, -EPROTO);
        assert_non_null(r.error);
        if (strstr(r.error, msg) == NULL)
            fail_msg("'%s' does not say '%s'", r.error, msg);
        free(r.error), free(r.type);
    }
}

#define ERR(in, msg) expect_error(in, sizeof(in) - 1, msg)

static void test_framing(void **state)
{
    (void)state;
    expect_ok("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 200, "hello");
    expect_ok("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, extra", 200, "hello");
    expect_ok("HTTP/1.1 200 OK\r\ncontent-LENGTH: 0\r\n\r\n", 200, "");
    expect_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
              "5;a=b\r\nhello\r\nA \t; x\r\n0123456789\r\n0\r\nT: 1\r\n\r\n",
              200, "hello0123456789");
    expect_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: "
              "chunked\r\n\r\n00000000000000000002\r\nok\r\n0\r\n\r\n",
              200, "ok");
    expect_ok("HTTP/1.0 200 OK\r\n\r\nuntil the end", 200, "until the end");
    expect_ok("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 204, "");
    expect_ok("HTTP/1.1 404 \nContent-Length: 2\n\n{}", 404, "{}");
    expect_ok("HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", 304, "");
}

static void test_headers(void **state)
{
    struct parsed r;
    const char *in = "HTTP/1.1 201 Created\r\nCONTENT-TYPE:  application/json \r\n"
                     "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}";
    (void)state;
    parse(in, strlen(in), 0, &r);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.length, 2);
    assert_false(r.chunked);
    assert_string_equal(r.type, "application/json");
    free(r.type);
}

static void test_malformed(void **state)
{
    (void)state;
    ERR("HTP/1.1 200 OK\r\n\r\n", "malformed status line");
    ERR("HTTP/1.1 2000 OK\r\n\r\n", "malformed status line");
    ERR("HTTP/1.1 600 OK\r\n\r\n", "malformed status line");
    ERR("HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", "malformed header");
    ERR("HTTP/1.1 200 OK\r\nName : v\r\n\r\n", "malformed header");
    ERR("HTTP/1.1 200 OK\r\n folded\r\n\r\n", "malformed header");
    ERR("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", "control character");
    ERR("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", "NUL byte");
    ERR("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", "malformed content-length");
    ERR("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "malformed content-length");
    ERR("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", "content-length");
    ERR("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "a second, different one");
    ERR("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported transfer-encoding");
    ERR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk size");
    ERR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", "malformed chunk size");
    ERR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", "too large");
    ERR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", "chunk end");
    ERR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1 x\r\n", "malformed chunk size");
    ERR("", "without a reply");
    ERR("HTTP/1.1 200", "status line");
    ERR("HTTP/1.1 200 OK\r\nA: b\r\n", "headers");
    ERR("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "7 of 10 body bytes missing");
    ERR("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "chunked body");
}

static void test_limits(void **state)
{
    size_t n = HTTP_HEADER_MAX + 4096;
    char *in = xmalloc(n + 1), *o = in;
    (void)state;
    assert_non_null(in);
    o += snprintf(o, n + 1, "HTTP/1.1 200 OK\r\n");
    while ((size_t)(o - in) + 4100 < n)
        o += snprintf(o, n + 1 - (size_t)(o - in), "X: %04000d\r\n", 0);
    expect_error(in, (size_t)(o - in), "header block is over 65536 bytes");
    memset(in, 'a', n);
    memcpy(in, "HTTP/1.1 200 OK\r\nX: ", 20);
    expect_error(in, n, "over 8192 bytes");
    free(in);
}

static void test_escape(void **state)
{
    char *e = http_escape("a-b._~Z9 /?&=%\xc3\xa9");
    (void)state;
    assert_string_equal(e, "a-b._~Z9%20%2F%3F%26%3D%25%C3%A9");
    free(e);
}

static void test_read_headers(void **state)
{
    int sv[2];
    char rest[16] = {0};
    struct http_parser p;
    const char *in = "HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\nstream";
    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[1], in, strlen(in)), (ssize_t)strlen(in));
    close(sv[1]);
    assert_int_equal(http_read_headers(sv[0], &p, NULL), 101);
    http_parser_free(&p);
    assert_int_equal(read(sv[0], rest, sizeof(rest)), 6);
    assert_string_equal(rest, "stream");
    close(sv[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing),   cmocka_unit_test(test_headers),
        cmocka_unit_test(test_malformed), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_escape),    cmocka_unit_test(test_read_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
