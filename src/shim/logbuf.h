#pragma once
/* The log pipeline of the shim (issue 13): each stream (stdout, stderr)
 * is read into a bounded ring; complete lines leave the ring as docker's
 * json-file lines {"log":...,"stream":...,"time":...} through one output
 * buffer that is appended to the log file. Nothing is allocated per line
 * (a ring is allocated once, at its first read). A line longer than the
 * ring is written in ring-sized pieces without the newline (docker's
 * partial messages do the same); a final partial line is flushed at EOF.
 *
 * Two modes, docker's --log-opt mode:
 * - blocking (the default): the ring (LOG_RING_SIZE) is never full after a
 *   drain, so a stream is only read when there is room: a slow disk slows
 *   the container down rather than losing a byte.
 * - non-blocking: each time a stream is readable the shim reads all it
 *   holds (up to LOG_NB_READS reads) before writing anything; the ring is
 *   max-buffer-size bytes (default 1m, as docker; per stream) and a line
 *   that does not fit is dropped whole (with what of it was in the ring)
 *   and counted in w->drops, so the container waits at most for one
 *   drain of the ring, never for the disk to catch up with it. The count
 *   is the log's last record at exit (log_writer_finish) and berthd's
 *   inspect shows it (State.LogDrops). */
#include <stdbool.h>
#include <stddef.h>

#define LOG_RING_SIZE          32768
#define LOG_OUT_SIZE           16384
#define LOG_MAX_BUFFER_DEFAULT (1024 * 1024)
#define LOG_NB_READS           64

struct log_stream {
    int fd; /* the pipe's read end; -1 once at EOF */
    const char *name;
    bool raw; /* a terminal: every read is an entry, complete line or not */
    size_t head, len;
    size_t cap;     /* the ring's size, set at the first read */
    size_t partial; /* bytes at the ring's end of a line without its newline yet */
    bool dropping;  /* skipping the rest of a dropped line */
    char *ring;
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
    /* --log-opt mode=non-blocking and max-buffer-size (0: blocking) */
    size_t max_buffer;
    unsigned long long drops; /* lines dropped (non-blocking) */
};

/* Reads from s->fd into the ring and writes every complete line; at EOF
 * (returns 0) the rest as a final line. Returns bytes read, 0 at EOF,
 * -errno on a read error other than EAGAIN (-EAGAIN then). */
long log_stream_pump(struct log_stream *s, struct log_writer *w);

/* Opens w->path for appending (its size counted); -errno. */
int log_writer_open(struct log_writer *w);

/* Writes out the output buffer; with `sync`, fsyncs the file. */
int log_writer_flush(struct log_writer *w, bool sync);

/* docker's mode ("blocking", "non-blocking" or NULL) and max-buffer-size
 * (NULL: 1m) from the record (berthd checked them). */
void log_writer_set_mode(struct log_writer *w, const char *mode, const char *max_buffer);

/* At exit: a last stderr record with the drop count when lines were
 * dropped, then flush and fsync. */
int log_writer_finish(struct log_writer *w);
