#pragma once
/* The log pipeline of the shim (issue 13): each stream (stdout, stderr)
 * is read into a bounded ring; complete lines leave the ring as docker's
 * json-file lines {"log":...,"stream":...,"time":...} through one output
 * buffer that is appended to the log file. Nothing is allocated per line.
 * A line longer than the ring is written in ring-sized pieces without the
 * newline (docker's partial messages do the same); a final partial line
 * is flushed at EOF. The ring is never full after a drain, so a stream is
 * only read when there is room: a slow disk slows the container down
 * rather than losing a byte (docker's mode=blocking). */
#include <stdbool.h>
#include <stddef.h>

#define LOG_RING_SIZE 32768
#define LOG_OUT_SIZE  16384

struct log_stream {
    int fd; /* the pipe's read end; -1 once at EOF */
    const char *name;
    size_t head, len;
    char ring[LOG_RING_SIZE];
};

struct log_writer {
    int fd; /* the log file, O_APPEND */
    size_t len;
    char out[LOG_OUT_SIZE];
    /* --log-opt max-size, max-file (0: no rotation): before a line that
     * would take the file past max_size, the file becomes PATH.1 (PATH.1
     * becomes PATH.2 ..., at most max_file - 1 kept) and a new one is
     * begun; with max_file 1 it is truncated. Only at line boundaries, so
     * a follower that finished the old file misses nothing. */
    unsigned long long max_size, size;
    unsigned max_file;
    const char *path;
};

/* Reads once from s->fd into the ring and writes every complete line;
 * at EOF (returns 0) the rest as a final line. Returns bytes read, 0 at
 * EOF, -errno on a read error other than EAGAIN (-EAGAIN then). */
long log_stream_pump(struct log_stream *s, struct log_writer *w);

/* Opens w->path for appending (its size counted); -errno. */
int log_writer_open(struct log_writer *w);

/* Writes out the output buffer; with `sync`, fsyncs the file. */
int log_writer_flush(struct log_writer *w, bool sync);
