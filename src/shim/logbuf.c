#include "logbuf.h"
#include "durable.h"
#include "units.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int log_writer_open(struct log_writer *w)
{
    struct stat st;
    w->fd = open(w->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (w->fd < 0)
        return -errno;
    w->size = fstat(w->fd, &st) == 0 ? (unsigned long long)st.st_size : 0;
    return 0;
}

static void rotate(struct log_writer *w)
{
    char from[4096], to[4096];
    log_writer_flush(w, false);
    if (w->max_file <= 1) {
        if (ftruncate(w->fd, 0) == 0)
            w->size = 0;
        return;
    }
    for (unsigned k = w->max_file - 1; k > 1; k--) {
        snprintf(from, sizeof(from), "%s.%u", w->path, k - 1);
        snprintf(to, sizeof(to), "%s.%u", w->path, k);
        rename(from, to); /* a missing one is fine */
    }
    snprintf(to, sizeof(to), "%s.1", w->path);
    if (rename(w->path, to) < 0)
        return;
    int old = w->fd;
    if (log_writer_open(w) < 0) {
        w->fd = old; /* keep writing the renamed file rather than lose lines */
        return;
    }
    close(old);
}

int log_writer_flush(struct log_writer *w, bool sync)
{
    size_t off = 0;
    while (off < w->len) {
        ssize_t n = write(w->fd, w->out + off, w->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        off += (size_t)n;
        w->size += (unsigned long long)n;
    }
    w->len = 0;
    if (sync && fsync(w->fd) < 0)
        return -errno;
    return 0;
}

static void put(struct log_writer *w, const char *s, size_t n)
{
    if (w->len + n > sizeof(w->out))
        log_writer_flush(w, false);
    memcpy(w->out + w->len, s, n);
    w->len += n;
}

static void put_escaped(struct log_writer *w, unsigned char c)
{
    char e[8];
    size_t n = 2;
    e[0] = '\\';
    switch (c) {
    case '"':
    case '\\':
        e[1] = (char)c;
        break;
    case '\n':
        e[1] = 'n';
        break;
    case '\r':
        e[1] = 'r';
        break;
    case '\t':
        e[1] = 't';
        break;
    default:
        if (c >= 0x20) {
            e[0] = (char)c;
            n = 1;
        } else {
            n = (size_t)snprintf(e, sizeof(e), "\\u%04x", c);
        }
    }
    put(w, e, n);
}

/* The length of the UTF-8 character at ring offset i of the n bytes at
 * s->head, or 0 when the bytes there are not one (RFC 3629: no overlong
 * form, no surrogate, nothing above U+10FFFF; what JSON readers accept). */
static size_t utf8_len(const struct log_stream *s, size_t i, size_t n)
{
    unsigned char c = (unsigned char)s->ring[(s->head + i) % s->cap];
    size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
    if (len == 0 || i + len > n)
        return 0;
    unsigned char c1 = (unsigned char)s->ring[(s->head + i + 1) % s->cap];
    unsigned lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
    unsigned hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
    if (c1 < lo || c1 > hi)
        return 0;
    for (size_t k = 2; k < len; k++) {
        unsigned char ck = (unsigned char)s->ring[(s->head + i + k) % s->cap];
        if (ck < 0x80 || ck > 0xbf)
            return 0;
    }
    return len;
}

/* One json-file line of `n` ring bytes from s->head. A byte that is not
 * part of a UTF-8 character becomes U+FFFD, as docker writes it: JSON
 * readers (jansson, docker's) refuse the whole line otherwise. */
static void emit(struct log_stream *s, struct log_writer *w, size_t n, const char *now)
{
    static const char pre[] = "{\"log\":\"";
    if (w->max_size && w->size + w->len > 0 && w->size + w->len + n + 128 > w->max_size)
        rotate(w);
    put(w, pre, sizeof(pre) - 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s->ring[(s->head + i) % s->cap];
        size_t len = c < 0x80 ? 1 : utf8_len(s, i, n);
        if (len == 1) {
            put_escaped(w, c);
        } else if (len == 0) {
            put(w, "\\ufffd", 6);
        } else {
            for (size_t k = 0; k < len; k++)
                put(w, &s->ring[(s->head + i + k) % s->cap], 1);
            i += len - 1;
        }
    }
    char tail[96];
    int k = snprintf(tail, sizeof(tail), "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", s->name, now);
    put(w, tail, (size_t)k);
    s->head = (s->head + n) % s->cap;
    s->len -= n;
    if (s->partial > s->len)
        s->partial = s->len; /* a piece of a long line went out */
}

/* A tty's read may end inside a UTF-8 character: the ring's bytes up to
 * the last whole one (its first bytes wait for the rest, else the log
 * line would not be valid JSON for its readers). */
static size_t utf8_whole(const struct log_stream *s)
{
    for (size_t k = 1; k <= 4 && k <= s->len; k++) {
        unsigned char c = (unsigned char)s->ring[(s->head + s->len - k) % s->cap];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte: look further back */
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > k ? s->len - k : s->len;
    }
    return s->len;
}

static void drain(struct log_stream *s, struct log_writer *w, bool all)
{
    struct timespec ts;
    char now[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    fmt_time(&ts, now);
    for (;;) {
        size_t i = 0;
        while (i < s->len && s->ring[(s->head + i) % s->cap] != '\n')
            i++;
        size_t whole = s->raw ? utf8_whole(s) : s->len;
        if (i < s->len)
            emit(s, w, i + 1, now);
        else if (whole > 0 && (all || s->len == s->cap))
            emit(s, w, whole, now);
        else
            break;
    }
}

/* Appends n bytes to the ring (they fit). */
static void ring_put(struct log_stream *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s->ring[(s->head + s->len + i) % s->cap] = p[i];
    s->len += n;
    s->partial = p[n - 1] == '\n' ? 0 : s->partial + n;
}

/* Non-blocking: takes what was read, line by line; a line that does not
 * fit is dropped whole, unless it is alone in the ring (longer than the
 * ring: it goes out in pieces, as in blocking mode). */
static void accept_bytes(struct log_stream *s, struct log_writer *w, const char *buf, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(buf + i, '\n', n - i);
        size_t seg = nl ? (size_t)(nl - buf) + 1 - i : n - i, room = s->cap - s->len;
        if (s->dropping) {
            s->dropping = nl == NULL;
        } else if (seg <= room) {
            ring_put(s, buf + i, seg);
        } else if (s->partial == s->len) {
            if (room > 0)
                ring_put(s, buf + i, room);
            drain(s, w, false);
            i += room;
            continue;
        } else {
            s->len -= s->partial; /* the line's start goes too */
            s->partial = 0;
            s->dropping = nl == NULL;
            w->drops++;
        }
        i += seg;
    }
}

static long pump_nonblocking(struct log_stream *s, struct log_writer *w)
{
    static char buf[65536];
    long total = 0;
    for (int k = 0; k < LOG_NB_READS; k++) {
        ssize_t n = read(s->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n < 0) {
            drain(s, w, false);
            return -errno;
        }
        if (n == 0) {
            drain(s, w, true);
            return 0;
        }
        accept_bytes(s, w, buf, (size_t)n);
        total += n;
    }
    drain(s, w, s->raw);
    return total > 0 ? total : -EAGAIN;
}

long log_stream_pump(struct log_stream *s, struct log_writer *w)
{
    if (s->ring == NULL) {
        s->cap = w->max_buffer && !s->raw ? w->max_buffer : LOG_RING_SIZE;
        s->ring = xmalloc(s->cap);
    }
    if (w->max_buffer && !s->raw)
        return pump_nonblocking(s, w);
    size_t tail = (s->head + s->len) % s->cap;
    size_t room = s->cap - s->len;
    if (room > s->cap - tail)
        room = s->cap - tail;
    ssize_t n = read(s->fd, s->ring + tail, room);
    if (n < 0)
        return errno == EINTR ? -EAGAIN : -errno;
    s->len += (size_t)n;
    drain(s, w, n == 0 || s->raw);
    return n;
}

void log_writer_set_mode(struct log_writer *w, const char *mode, const char *max_buffer)
{
    int64_t size = 0;
    w->max_buffer = 0;
    if (mode == NULL || !streq(mode, "non-blocking"))
        return;
    w->max_buffer = LOG_MAX_BUFFER_DEFAULT;
    if (max_buffer && berth_parse_size(max_buffer, &size) == 0 && size > 0)
        w->max_buffer = (size_t)size;
}

int log_writer_finish(struct log_writer *w)
{
    if (w->drops > 0) {
        struct timespec ts;
        char now[40], line[256];
        clock_gettime(CLOCK_REALTIME, &ts);
        int k = snprintf(line, sizeof(line),
                         "{\"log\":\"berth: %llu log lines dropped (mode=non-blocking, "
                         "max-buffer-size=%zu)\\n\",\"stream\":\"stderr\",\"time\":\"%s\"}\n",
                         w->drops, w->max_buffer, fmt_time(&ts, now));
        put(w, line, (size_t)k);
    }
    return log_writer_flush(w, true);
}
