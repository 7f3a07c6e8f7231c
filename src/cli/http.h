#pragma once
/* berth's HTTP/1.1 client, all the CLI needs to talk to berthd over its
 * UNIX socket: one request per connection (Connection: close), a body from
 * memory or streamed from a callback, the response body handed over as it
 * arrives. Not libcurl: linking it costs ~15 ms per CLI start (README,
 * "Design choices"). The response parser is a pure state machine over bytes
 * (tests/fuzz/fuzz-http.c drives it). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct berth_error;

#define HTTP_HEADER_MAX 65536 /* the status line and headers, or the trailers */
#define HTTP_LINE_MAX   8192  /* one header, status or chunk size line */

struct http_parser;
/* Gets `n` (> 0) body bytes as they arrive, the status and headers already
 * in `p`; < 0 stops the response (the parser's error says so). */
typedef int (*http_body_fn)(const struct http_parser *p, const char *data, size_t n, void *ud);

struct http_parser {
    /* the response, set once the headers are read */
    int status;
    int64_t content_length; /* -1: none */
    bool chunked;
    char *content_type; /* NULL: none; owned */
    char *path_stat;    /* X-Docker-Container-Path-Stat (docker cp); NULL: none; owned */
    /* the state machine's own */
    int state;
    bool no_body;        /* a response to HEAD: headers only */
    uint64_t left;       /* body or chunk bytes still to come */
    size_t header_bytes; /* of the current header or trailer block */
    size_t line_len;
    char line[HTTP_LINE_MAX];
    http_body_fn on_body;
    void *ud;
};

/* Zeroes `p` for a new response; body bytes go to on_body (NULL: dropped).
 * `no_body`: the request was a HEAD. */
void http_parser_init(struct http_parser *p, bool no_body, http_body_fn on_body, void *ud);
/* Frees what `p` holds; it can be initialised again. */
void http_parser_free(struct http_parser *p);
/* Feeds `n` bytes of the response, split anywhere. Returns the bytes taken
 * (fewer than `n` only once the response is complete: the rest is not
 * part of it) or -EPROTO with *err saying what is malformed (a status line,
 * a header, a chunk size, the header block over HTTP_HEADER_MAX) or
 * -ECANCELED when on_body stopped it. After an error every call fails. */
ssize_t http_parser_feed(struct http_parser *p, const char *buf, size_t n,
                         struct berth_error **err);
/* The connection ended: 0 if the response is complete (a body read until
 * EOF ends here), else -EPROTO with *err saying where it was cut. */
int http_parser_eof(struct http_parser *p, struct berth_error **err);
/* True once the status line and headers are read. */
bool http_parser_headers_done(const struct http_parser *p);
/* True once the whole response is read. */
bool http_parser_done(const struct http_parser *p);

/* Fills `buf` with up to `n` bytes of a streamed request body: the count,
 * 0 at its end, < 0 after a read error (errno set). */
typedef ssize_t (*http_read_fn)(char *buf, size_t n, void *ud);

struct http_request {
    const char *socket_path;
    const char *method;
    const char *target;       /* "/v1.41/containers/json?all=1" */
    const char *content_type; /* NULL: no Content-Type header */
    /* the body: `body` (NULL: none; POST and PUT send an empty one), or
     * streamed by `read` (non-NULL), with Content-Length `read_len` or
     * chunked when it is -1 */
    const char *body;
    size_t body_len;
    http_read_fn read;
    int64_t read_len;
    /* after each piece of a streamed body went out: the bytes sent so far */
    void (*progress)(uint64_t sent, void *ud);
    http_body_fn on_body; /* the response's body as it arrives */
    void *ud;             /* for read, progress and on_body */
};

/* Connects to req->socket_path, sends the request, reads the response
 * until it is complete. Returns the status code (the response's headers
 * in *p until http_parser_free), or -errno with *err set: the socket
 * (connect, write, read), a malformed or cut response, a failed read
 * callback (its errno), on_body's stop (-ECANCELED). */
int http_request(const struct http_request *req, struct http_parser *p, struct berth_error **err);

/* Percent-encodes all but RFC 3986's unreserved characters. Owned result. */
char *http_escape(const char *s);

/* Connects to the UNIX socket at `path`: the fd (O_CLOEXEC) or -errno with
 * *err set. */
int http_connect(const char *path, struct berth_error **err);
/* Reads one response's status line and headers from `fd` and nothing
 * beyond them (byte by byte: what follows may be a hijacked stream). The
 * status code, or -errno with *err set. */
int http_read_headers(int fd, struct http_parser *p, struct berth_error **err);
