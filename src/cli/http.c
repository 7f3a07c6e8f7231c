/* berth's HTTP/1.1 client over berthd's UNIX socket (RFC 9112): the
 * response parser, a state machine fed with bytes, then the request. */
#include "http.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum {
    ST_STATUS,
    ST_HEADER,
    ST_BODY,     /* Content-Length bytes */
    ST_BODY_EOF, /* until the connection closes */
    ST_CHUNK_SIZE,
    ST_CHUNK_DATA,
    ST_CHUNK_END, /* the CRLF after a chunk's data */
    ST_TRAILER,
    ST_DONE,
    ST_ERROR,
};

/* The line shown printable and cut short: it comes from a peer. */
static int proto_error(struct berth_error **err, const char *what, const char *line)
{
    char shown[61];
    size_t i = 0;
    for (; i < sizeof(shown) - 1 && line[i]; i++)
        shown[i] = (unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7f ? '?' : line[i];
    shown[i] = '\0';
    return berth_error_set(err, EPROTO, "malformed %s in the response: '%s'", what, shown);
}

void http_parser_init(struct http_parser *p, bool no_body, http_body_fn on_body, void *ud)
{
    memset(p, 0, offsetof(struct http_parser, line));
    p->content_length = -1;
    p->no_body = no_body;
    p->on_body = on_body;
    p->ud = ud;
}

void http_parser_free(struct http_parser *p)
{
    free(p->content_type);
    p->content_type = NULL;
    free(p->path_stat);
    p->path_stat = NULL;
}

bool http_parser_headers_done(const struct http_parser *p)
{
    return p->state != ST_STATUS && p->state != ST_HEADER && p->state != ST_ERROR;
}

bool http_parser_done(const struct http_parser *p)
{
    return p->state == ST_DONE;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* "HTTP/1.x NNN[ reason]" */
static int parse_status(struct http_parser *p, const char *l, struct berth_error **err)
{
    if (strncmp(l, "HTTP/1.", 7) != 0 || !is_digit(l[7]) || l[8] != ' ' || l[9] < '1' ||
        l[9] > '5' || !is_digit(l[10]) || !is_digit(l[11]) || (l[12] != '\0' && l[12] != ' '))
        return proto_error(err, "status line", l);
    p->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    p->state = ST_HEADER;
    p->header_bytes = 0;
    return 0;
}

static int parse_length(struct http_parser *p, const char *v, struct berth_error **err)
{
    int64_t n = 0;
    if (*v == '\0')
        return proto_error(err, "content-length", v);
    for (const char *c = v; *c; c++) {
        if (!is_digit(*c) || n > (INT64_MAX - 9) / 10)
            return proto_error(err, "content-length", v);
        n = n * 10 + (*c - '0');
    }
    if (p->content_length >= 0 && p->content_length != n)
        return proto_error(err, "content-length (a second, different one)", v);
    p->content_length = n;
    return 0;
}

/* "Name: value"; only the framing and the type matter to the CLI */
static int parse_header(struct http_parser *p, char *l, bool trailer, struct berth_error **err)
{
    char *c = l;
    while (is_tchar(*c))
        c++;
    if (c == l || *c != ':')
        return proto_error(err, trailer ? "trailer" : "header", l);
    *c++ = '\0';
    c += strspn(c, " \t");
    size_t n = strlen(c);
    while (n > 0 && (c[n - 1] == ' ' || c[n - 1] == '\t'))
        c[--n] = '\0';
    if (trailer)
        return 0;
    if (strcasecmp(l, "content-length") == 0)
        return parse_length(p, c, err);
    if (strcasecmp(l, "transfer-encoding") == 0) {
        if (strcasecmp(c, "chunked") != 0)
            return berth_error_set(err, EPROTO, "unsupported transfer-encoding '%.60s'", c);
        p->chunked = true;
    } else if (strcasecmp(l, "content-type") == 0) {
        free(p->content_type);
        p->content_type = xstrdup(c);
    } else if (strcasecmp(l, "x-docker-container-path-stat") == 0) {
        free(p->path_stat);
        p->path_stat = xstrdup(c);
    }
    return 0;
}

/* The empty line after the headers: how the body is framed (RFC 9112 6.3). */
static int headers_end(struct http_parser *p)
{
    if (p->status < 200 && p->status != 101) { /* 100 Continue and the like: the next one */
        http_parser_free(p);
        http_parser_init(p, p->no_body, p->on_body, p->ud);
        return 0;
    }
    if (p->no_body || p->status == 204 || p->status == 304)
        p->state = ST_DONE;
    else if (p->chunked)
        p->state = ST_CHUNK_SIZE;
    else if (p->content_length >= 0)
        p->left = (uint64_t)p->content_length, p->state = p->left ? ST_BODY : ST_DONE;
    else
        p->state = ST_BODY_EOF;
    return 0;
}

/* "HEX[ext]", extensions (";name=value") ignored */
static int parse_chunk_size(struct http_parser *p, const char *l, struct berth_error **err)
{
    uint64_t n = 0;
    const char *c = l;
    for (; hex_value(*c) >= 0; c++) {
        if (n > (UINT64_MAX >> 4))
            return proto_error(err, "chunk size (too large)", l);
        n = n << 4 | (uint64_t)hex_value(*c);
    }
    const char *rest = c + strspn(c, " \t");
    if (c == l || (*rest != '\0' && *rest != ';'))
        return proto_error(err, "chunk size", l);
    p->left = n;
    p->header_bytes = 0;
    p->state = n ? ST_CHUNK_DATA : ST_TRAILER;
    return 0;
}

static int on_line(struct http_parser *p, char *l, struct berth_error **err)
{
    for (const char *c = l; *c; c++)
        if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
            return proto_error(err, "line (a control character)", l);
    switch (p->state) {
    case ST_STATUS:
        return parse_status(p, l, err);
    case ST_HEADER:
        return *l ? parse_header(p, l, false, err) : headers_end(p);
    case ST_CHUNK_SIZE:
        return parse_chunk_size(p, l, err);
    case ST_CHUNK_END:
        if (*l)
            return proto_error(err, "chunk end", l);
        p->state = ST_CHUNK_SIZE;
        return 0;
    default: /* ST_TRAILER */
        if (*l == '\0')
            p->state = ST_DONE;
        return *l ? parse_header(p, l, true, err) : 0;
    }
}

/* Takes bytes up to and with an LF; a whole line goes to on_line, without
 * its CRLF (or bare LF, RFC 9112 2.2). */
static ssize_t take_line(struct http_parser *p, const char *buf, size_t n, struct berth_error **err)
{
    const char *nl = memchr(buf, '\n', n);
    size_t k = nl ? (size_t)(nl - buf) + 1 : n;
    bool block = p->state == ST_STATUS || p->state == ST_HEADER || p->state == ST_TRAILER;
    if (p->line_len + k > sizeof(p->line))
        return berth_error_set(err, EPROTO, "a line of the response is over %d bytes",
                               HTTP_LINE_MAX);
    p->header_bytes += k;
    if (block && p->header_bytes > HTTP_HEADER_MAX)
        return berth_error_set(err, EPROTO, "the response's header block is over %d bytes",
                               HTTP_HEADER_MAX);
    memcpy(p->line + p->line_len, buf, k);
    p->line_len += k;
    if (nl == NULL)
        return (ssize_t)k;
    size_t len = p->line_len - 1;
    if (len > 0 && p->line[len - 1] == '\r')
        len--;
    p->line[len] = '\0';
    p->line_len = 0;
    if (memchr(p->line, '\0', len) != NULL)
        return proto_error(err, "line (a NUL byte)", p->line);
    int r = on_line(p, p->line, err);
    return r < 0 ? r : (ssize_t)k;
}

static ssize_t take_body(struct http_parser *p, const char *buf, size_t n, struct berth_error **err)
{
    size_t k = n;
    if (p->state != ST_BODY_EOF && p->left < n)
        k = (size_t)p->left;
    if (p->on_body) {
        int r = p->on_body(p, buf, k, p->ud);
        if (r < 0)
            return berth_error_set(err, ECANCELED, "cannot take the response's body: %s",
                                   strerror(-r));
    }
    if (p->state == ST_BODY_EOF)
        return (ssize_t)k;
    p->left -= k;
    if (p->left == 0)
        p->state = p->state == ST_BODY ? ST_DONE : ST_CHUNK_END;
    return (ssize_t)k;
}

ssize_t http_parser_feed(struct http_parser *p, const char *buf, size_t n, struct berth_error **err)
{
    size_t i = 0;
    if (p->state == ST_ERROR)
        return berth_error_set(err, EPROTO, "the response was malformed");
    while (i < n && p->state != ST_DONE) {
        ssize_t k;
        if (p->state == ST_BODY || p->state == ST_BODY_EOF || p->state == ST_CHUNK_DATA)
            k = take_body(p, buf + i, n - i, err);
        else
            k = take_line(p, buf + i, n - i, err);
        if (k < 0) {
            p->state = ST_ERROR;
            return k;
        }
        i += (size_t)k;
    }
    return (ssize_t)i;
}

int http_parser_eof(struct http_parser *p, struct berth_error **err)
{
    switch (p->state) {
    case ST_DONE:
        return 0;
    case ST_BODY_EOF:
        p->state = ST_DONE;
        return 0;
    case ST_STATUS:
        if (p->header_bytes == 0 && p->line_len == 0)
            return berth_error_set(err, EPROTO, "the daemon closed the connection without a reply");
        return berth_error_set(err, EPROTO, "the connection closed in the response's status line");
    case ST_HEADER:
        return berth_error_set(err, EPROTO, "the connection closed in the response's headers");
    case ST_BODY:
        return berth_error_set(
            err, EPROTO, "the connection closed with %" PRIu64 " of %" PRId64 " body bytes missing",
            p->left, p->content_length);
    case ST_ERROR:
        return berth_error_set(err, EPROTO, "the response was malformed");
    default:
        return berth_error_set(err, EPROTO, "the connection closed in a chunked body");
    }
}

/* ---- the request ---- */

int http_connect(const char *path, struct berth_error **err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return berth_error_set(err, ENAMETOOLONG, "socket path '%s' is too long", path);
    strcpy(sa.sun_path, path);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return berth_error_set_sys(err, errno, "cannot create a socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return berth_error_set(err, errno, "cannot connect to '%s': %s", path, strerror(errno));
    return TAKE_FD(fd);
}

static int send_all(int fd, const char *buf, size_t n, struct berth_error **err)
{
    while (n > 0) {
        ssize_t k = send(fd, buf, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return berth_error_set(err, errno, "cannot send the request: %s", strerror(errno));
        buf += k;
        n -= (size_t)k;
    }
    return 0;
}

static char *request_head(const struct http_request *req)
{
    _cleanup_free_ char *type =
        req->content_type ? xasprintf("Content-Type: %s\r\n", req->content_type) : xstrdup("");
    _cleanup_free_ char *length = NULL;
    if (req->read && req->read_len < 0)
        length = xstrdup("Transfer-Encoding: chunked\r\n");
    else if (req->read)
        length = xasprintf("Content-Length: %" PRId64 "\r\n", req->read_len);
    else if (req->body || streq(req->method, "POST") || streq(req->method, "PUT"))
        length = xasprintf("Content-Length: %zu\r\n", req->body ? req->body_len : 0);
    return xasprintf("%s %s HTTP/1.1\r\nHost: berth\r\n%s%sConnection: close\r\n\r\n", req->method,
                     req->target, type, length ? length : "");
}

/* One piece of a streamed body, framed as a chunk when its size is unknown. */
static int send_piece(int fd, bool chunked, const char *buf, size_t n, struct berth_error **err)
{
    char size[32];
    int r = 0;
    if (chunked) {
        snprintf(size, sizeof(size), "%zx\r\n", n);
        r = send_all(fd, size, strlen(size), err);
    }
    if (r == 0)
        r = send_all(fd, buf, n, err);
    if (r == 0 && chunked)
        r = send_all(fd, "\r\n", 2, err);
    return r;
}

static int send_stream(int fd, const struct http_request *req, struct berth_error **err)
{
    _cleanup_free_ char *buf = xmalloc(65536);
    bool chunked = req->read_len < 0;
    uint64_t sent = 0;
    for (;;) {
        size_t want = 65536;
        if (!chunked && (uint64_t)req->read_len - sent < want)
            want = (size_t)((uint64_t)req->read_len - sent);
        ssize_t n = want ? req->read(buf, want, req->ud) : 0;
        if (n < 0)
            return berth_error_set(err, errno, "cannot read the request body: %s", strerror(errno));
        if (n == 0)
            break;
        int r = send_piece(fd, chunked, buf, (size_t)n, err);
        if (r < 0)
            return r;
        sent += (size_t)n;
        if (req->progress)
            req->progress(sent, req->ud);
    }
    if (!chunked && sent < (uint64_t)req->read_len)
        return berth_error_set(err, EIO,
                               "the request body ended after %" PRIu64 " of %" PRId64 " bytes",
                               sent, req->read_len);
    return chunked ? send_all(fd, "0\r\n\r\n", 5, err) : 0;
}

static int send_request(int fd, const struct http_request *req, struct berth_error **err)
{
    _cleanup_free_ char *head = request_head(req);
    int r = send_all(fd, head, strlen(head), err);
    if (r < 0)
        return r;
    if (req->read)
        return send_stream(fd, req, err);
    return req->body ? send_all(fd, req->body, req->body_len, err) : 0;
}

static int read_response(int fd, struct http_parser *p, struct berth_error **err)
{
    _cleanup_free_ char *buf = xmalloc(65536);
    while (!http_parser_done(p)) {
        ssize_t n = read(fd, buf, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return berth_error_set(err, errno, "cannot read the response: %s", strerror(errno));
        if (n == 0)
            return http_parser_eof(p, err);
        ssize_t r = http_parser_feed(p, buf, (size_t)n, err);
        if (r < 0)
            return (int)r;
    }
    return 0;
}

int http_request(const struct http_request *req, struct http_parser *p, struct berth_error **err)
{
    http_parser_init(p, streq(req->method, "HEAD"), req->on_body, req->ud);
    _cleanup_close_ int fd = http_connect(req->socket_path, err);
    if (fd < 0)
        return fd;
    int r = send_request(fd, req, err);
    if (r < 0 && r != -EPIPE && r != -ECONNRESET)
        return r;
    /* a daemon may answer (an error) before it read the whole body */
    struct berth_error *rerr = NULL;
    int rr = read_response(fd, p, r < 0 ? &rerr : err);
    berth_error_clear(&rerr);
    if (rr < 0)
        return r < 0 ? r : rr;
    if (r < 0 && err)
        berth_error_clear(err);
    return p->status;
}

int http_read_headers(int fd, struct http_parser *p, struct berth_error **err)
{
    http_parser_init(p, false, NULL, NULL);
    while (!http_parser_headers_done(p)) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return berth_error_set(err, errno, "cannot read the response: %s", strerror(errno));
        if (n == 0)
            return http_parser_eof(p, err) < 0 ? -EPROTO : p->status;
        if (http_parser_feed(p, &c, 1, err) < 0)
            return -EPROTO;
    }
    return p->status;
}

char *http_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *r = xmalloc(strlen(s) * 3 + 1), *o = r;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c) ||
                          (c != '\0' && strchr("-._~", c) != NULL);
        if (unreserved) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return r;
}
