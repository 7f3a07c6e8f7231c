#include "logbuf.h"
#include "durable.h"

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

/* One json-file line of `n` ring bytes from s->head. Bytes that are not
 * UTF-8 go through as they are; docker replaces them, a reader of this
 * file sees them as they came. */
static void emit(struct log_stream *s, struct log_writer *w, size_t n, const char *now)
{
    static const char pre[] = "{\"log\":\"";
    if (w->max_size && w->size + w->len > 0 && w->size + w->len + n + 128 > w->max_size)
        rotate(w);
    put(w, pre, sizeof(pre) - 1);
    for (size_t i = 0; i < n; i++)
        put_escaped(w, (unsigned char)s->ring[(s->head + i) % LOG_RING_SIZE]);
    char tail[96];
    int k = snprintf(tail, sizeof(tail), "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", s->name, now);
    put(w, tail, (size_t)k);
    s->head = (s->head + n) % LOG_RING_SIZE;
    s->len -= n;
}

static void drain(struct log_stream *s, struct log_writer *w, bool all)
{
    struct timespec ts;
    char now[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    fmt_time(&ts, now);
    for (;;) {
        size_t i = 0;
        while (i < s->len && s->ring[(s->head + i) % LOG_RING_SIZE] != '\n')
            i++;
        if (i < s->len)
            emit(s, w, i + 1, now);
        else if (s->len > 0 && (all || s->len == LOG_RING_SIZE))
            emit(s, w, s->len, now);
        else
            break;
    }
}

long log_stream_pump(struct log_stream *s, struct log_writer *w)
{
    size_t tail = (s->head + s->len) % LOG_RING_SIZE;
    size_t room = LOG_RING_SIZE - s->len;
    if (room > LOG_RING_SIZE - tail)
        room = LOG_RING_SIZE - tail;
    ssize_t n = read(s->fd, s->ring + tail, room);
    if (n < 0)
        return errno == EINTR ? -EAGAIN : -errno;
    s->len += (size_t)n;
    drain(s, w, n == 0);
    return n;
}
