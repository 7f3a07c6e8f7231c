/* GET /containers/{id}/logs and POST /containers/{id}/attach: both read
 * the json-file log the shim writes (records on disk are the truth: what
 * berthd missed while it was down is still there) and send Docker's
 * multiplexed frames, 8-byte header [stream, 0, 0, 0, size (big endian)]
 * then the bytes; with a tty (Config.Tty) the bytes alone, as Docker (the
 * shim logs each read of the pty master, a line or not). Attach is the
 * hijacked stream (101, Upgrade: tcp) that follows the log from the
 * moment of the attach until the container exits; with stdin=1 and
 * Config.OpenStdin the client's bytes go to the container's stdin, whose
 * dup the shim passes ("stdin", src/shim/shim.h), watched for the detach
 * keys. The end of the client's input closes the container's stdin with
 * StdinOnce (no tty) and goes on until it exits, else it ends the attach,
 * as Docker's container/stream/attach.go. */
#include "api.h"
#include "logtail.h"
#include "../daemon.h"
#include "../events.h"
#include "cleanup.h"
#include "durable.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct logreader {
    char *path, *exit_path, *dir, *state_path;
    ino_t state_ino; /* state.json of the run followed; 0: not seen yet */
    FILE *f;
    long start; /* where reading starts once the file exists */
    bool out, err, follow, timestamps;
    bool raw;                     /* a tty: no frame headers */
    int rotated;                  /* rotated files PATH.N .. PATH.1 still to read first */
    long rotated_start;           /* where reading PATH.N starts (--tail) */
    struct timespec since, until; /* 0: no bound */
    char *line;
    size_t line_cap;
    char *frame;
    size_t frame_len, frame_off;
    int watch; /* inotify on dir while following: new lines, exit.json, state.json; -1: none */
};

static void reader_free(void *cls)
{
    struct logreader *lr = cls;
    if (lr->f)
        fclose(lr->f);
    if (lr->watch >= 0)
        close(lr->watch);
    free(lr->path);
    free(lr->exit_path);
    free(lr->state_path);
    free(lr->dir);
    free(lr->line);
    free(lr->frame);
    free(lr);
}

/* The run followed is over: the container is gone for good, or its shim
 * rewrote state.json (the restart policy's back-off or next run), as
 * Docker's logs -f and attach end at each exit. */
static bool exited(struct logreader *lr)
{
    struct stat st;
    if (access(lr->exit_path, F_OK) == 0 || access(lr->dir, F_OK) < 0)
        return true;
    if (stat(lr->state_path, &st) < 0) /* not started yet */
        return false;
    if (lr->state_ino == 0) { /* the first look: a back-off already? */
        json_t *j = json_read_file(lr->dir, "state.json", NULL);
        bool backoff = json_is_true(json_object_get(j, "Restarting"));
        json_decref(j);
        if (backoff)
            return true;
        lr->state_ino = st.st_ino;
    }
    return st.st_ino != lr->state_ino;
}

static bool open_next(struct logreader *lr)
{
    if (lr->rotated > 0) {
        _cleanup_free_ char *p = xasprintf("%s.%d", lr->path, lr->rotated);
        lr->f = fopen(p, "re");
        if (lr->f && lr->rotated_start > 0 && fseek(lr->f, lr->rotated_start, SEEK_SET) < 0)
            return false;
        lr->rotated_start = 0;
        return lr->f != NULL;
    }
    lr->f = fopen(lr->path, "re");
    return lr->f && fseek(lr->f, lr->start, SEEK_SET) == 0;
}

/* At the end of the file read now: true when there is another to go on
 * with (a rotated file read, or the shim rotated or truncated the log). */
static bool switch_file(struct logreader *lr)
{
    struct stat now, cur;
    if (lr->rotated > 0) {
        lr->rotated--;
        fclose(lr->f);
        lr->f = NULL;
        return true;
    }
    if (!lr->follow || stat(lr->path, &now) < 0 || fstat(fileno(lr->f), &cur) < 0)
        return false;
    if (now.st_ino != cur.st_ino) { /* rotated: the old file is complete */
        fclose(lr->f);
        lr->f = NULL;
        lr->start = 0;
        return true;
    }
    if (now.st_size < ftell(lr->f)) { /* truncated (max-file=1) */
        fseek(lr->f, 0, SEEK_SET);
        return true;
    }
    return false;
}

static bool before(const char *t, const struct timespec *ts)
{
    struct tm tm = {0};
    const char *rest = t ? strptime(t, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    long ns = 0;
    if (rest == NULL)
        return false;
    if (*rest == '.') {
        char frac[10] = "000000000";
        size_t k = strspn(rest + 1, "0123456789");
        memcpy(frac, rest + 1, k < 9 ? k : 9);
        ns = strtol(frac, NULL, 10);
    }
    time_t sec = timegm(&tm);
    return sec < ts->tv_sec || (sec == ts->tv_sec && ns < ts->tv_nsec);
}

static bool in_window(struct logreader *lr, const char *time)
{
    if (lr->since.tv_sec && before(time, &lr->since))
        return false;
    if (lr->until.tv_sec && !before(time, &lr->until))
        return false;
    return true;
}

/* One frame from the next complete log line: 1, or 0 when there is none yet. */
static int next_frame(struct logreader *lr)
{
    if (lr->f == NULL && !open_next(lr))
        return 0;
    for (;;) {
        long at = ftell(lr->f);
        ssize_t n = getline(&lr->line, &lr->line_cap, lr->f);
        if (n <= 0 || lr->line[n - 1] != '\n') {
            /* a line the shim is still writing: read it whole later */
            clearerr(lr->f);
            fseek(lr->f, at, SEEK_SET);
            if (n <= 0 && switch_file(lr))
                return next_frame(lr);
            return 0;
        }
        json_t *j = json_loadb(lr->line, (size_t)n, 0, NULL);
        const char *log = json_string_value(json_object_get(j, "log"));
        const char *stream = json_string_value(json_object_get(j, "stream"));
        const char *time = json_string_value(json_object_get(j, "time"));
        bool is_err = streq(stream, "stderr");
        if (log == NULL || (is_err ? !lr->err : !lr->out) || !in_window(lr, time)) {
            json_decref(j);
            continue;
        }
        size_t len = json_string_length(json_object_get(j, "log"));
        size_t tlen = lr->timestamps && time ? strlen(time) + 1 : 0;
        size_t size = tlen + len;
        lr->frame = xrealloc(lr->frame, 8 + size);
        if (lr->raw) {
            if (tlen)
                sprintf(lr->frame, "%s ", time);
            memcpy(lr->frame + tlen, log, len);
            lr->frame_len = size;
            lr->frame_off = 0;
            json_decref(j);
            return 1;
        }
        unsigned char *h = (unsigned char *)lr->frame;
        h[0] = is_err ? 2 : 1;
        h[1] = h[2] = h[3] = 0;
        h[4] = (unsigned char)(size >> 24);
        h[5] = (unsigned char)(size >> 16);
        h[6] = (unsigned char)(size >> 8);
        h[7] = (unsigned char)size;
        if (tlen)
            sprintf(lr->frame + 8, "%s ", time);
        memcpy(lr->frame + 8 + tlen, log, len);
        lr->frame_len = 8 + size;
        lr->frame_off = 0;
        json_decref(j);
        return 1;
    }
}

/* Fills buf with what there is now: its length, 0 when there is nothing
 * yet, -1 at the end. */
static ssize_t reader_step(struct logreader *lr, char *buf, size_t max)
{
    for (;;) {
        if (lr->frame_off < lr->frame_len) {
            size_t n = lr->frame_len - lr->frame_off;
            n = n < max ? n : max;
            memcpy(buf, lr->frame + lr->frame_off, n);
            lr->frame_off += n;
            return (ssize_t)n;
        }
        bool done = !lr->follow || exited(lr); /* checked before reading: no line is missed */
        if (lr->until.tv_sec && !done) {
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            done = now.tv_sec > lr->until.tv_sec; /* nothing later is wanted */
        }
        if (next_frame(lr))
            continue;
        return done ? -1 : 0;
    }
}

/* Follows the container's dir: a line the shim appends (IN_MODIFY), its
 * exit.json or a new state.json (renamed into place), the dir's removal.
 * The watch exists before the first read, so no change is missed between
 * a read that found nothing and the wait. */
static void reader_watch(struct logreader *lr)
{
    lr->watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (lr->watch >= 0 &&
        inotify_add_watch(lr->watch, lr->dir,
                          IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF) < 0) {
        close(lr->watch);
        lr->watch = -1;
    }
}

/* Until the dir changes, or `ms` (a bound: also without inotify). */
static void reader_wait(struct logreader *lr, int ms)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    if (lr->watch < 0) {
        usleep(ms < 20 ? (useconds_t)ms * 1000 : 20000);
        return;
    }
    struct pollfd p = {.fd = lr->watch, .events = POLLIN};
    if (poll(&p, 1, ms) > 0)
        while (read(lr->watch, buf, sizeof(buf)) > 0)
            ;
}

/* Fills buf; blocks while following a running container. 0 at the end. */
static ssize_t reader_fill(struct logreader *lr, char *buf, size_t max)
{
    ssize_t n;
    while ((n = reader_step(lr, buf, max)) == 0)
        reader_wait(lr, 250);
    return n < 0 ? 0 : n;
}

static ssize_t logs_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    ssize_t n = reader_fill(cls, buf, max);
    return n > 0 ? n : (ssize_t)MHD_CONTENT_READER_END_OF_STREAM;
}

static struct logreader *reader_new(struct request *r, const char *id, bool attach)
{
    struct logreader *lr = xzalloc(sizeof(*lr));
    lr->watch = -1;
    lr->dir = xasprintf("%s/containers/%s", engine.data_root, id);
    lr->path = xasprintf("%s/%s-json.log", lr->dir, id);
    lr->exit_path = xasprintf("%s/exit.json", lr->dir);
    lr->state_path = xasprintf("%s/state.json", lr->dir);
    lr->out = api_arg_bool(r, "stdout", false);
    lr->err = api_arg_bool(r, "stderr", false);
    lr->timestamps = api_arg_bool(r, "timestamps", false);
    json_t *rec = json_read_file(lr->dir, "container.json", NULL);
    lr->raw = json_is_true(json_object_get(json_object_get(rec, "Config"), "Tty"));
    json_decref(rec);
    lr->follow = attach ? api_arg_bool(r, "stream", true) : api_arg_bool(r, "follow", false);
    if (lr->follow)
        reader_watch(lr);
    struct stat st;
    if (attach && !api_arg_bool(r, "logs", false) && !exited(lr) && stat(lr->path, &st) == 0)
        lr->start = st.st_size;
    else /* the rotated files first, oldest first */
        for (int k = 1; k < 1000; k++) {
            _cleanup_free_ char *p = xasprintf("%s.%d", lr->path, k);
            if (access(p, F_OK) < 0)
                break;
            lr->rotated = k;
        }
    /* An attach holds the file from now on: a container run with --rm may
     * exit and have its dir removed before the first poll would open it.
     * Before the first start (the shim, its writer, starts then) the file
     * is made empty here; the shim only ever appends to it. */
    if (attach) {
        int fd = open(lr->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd >= 0)
            close(fd);
        open_next(lr);
    }
    return lr;
}

/* Docker's since/until: unix seconds, with an optional fraction ("" and
 * "0": none). */
static int parse_unix(const char *s, struct timespec *ret)
{
    char *end;
    if (s == NULL || *s == '\0')
        return 0;
    long long sec = strtoll(s, &end, 10);
    long ns = 0;
    if (end == s || sec < 0)
        return -1;
    if (*end == '.') {
        char frac[10] = "000000000";
        size_t k = strspn(end + 1, "0123456789");
        if (k == 0 || end[1 + k] != '\0')
            return -1;
        memcpy(frac, end + 1, k < 9 ? k : 9);
        ns = strtol(frac, NULL, 10);
    } else if (*end) {
        return -1;
    }
    ret->tv_sec = (time_t)sec;
    ret->tv_nsec = ns;
    return 0;
}

enum MHD_Result api_logs(struct request *r, const char *id)
{
    const char *tail = api_arg(r, "tail");
    long long n = -1;
    if (!api_arg_bool(r, "stdout", false) && !api_arg_bool(r, "stderr", false))
        return api_message(r, 400, "you must choose at least one stream");
    if (tail && *tail && !streq(tail, "all") && (parse_i64(tail, &n) < 0 || n < 0))
        return api_message(r, 400, "invalid value for tail: '%s'", tail);
    struct timespec since = {0}, until = {0};
    if (parse_unix(api_arg(r, "since"), &since) < 0)
        return api_message(r, 400, "invalid value for since: '%s'", api_arg(r, "since"));
    if (parse_unix(api_arg(r, "until"), &until) < 0)
        return api_message(r, 400, "invalid value for until: '%s'", api_arg(r, "until"));
    struct logreader *lr = reader_new(r, id, false);
    lr->since = since;
    lr->until = until;
    if (n >= 0) { /* the last n lines, in the rotated files too */
        long off;
        log_tail_position(lr->path, (long)n, &lr->rotated, &off);
        *(lr->rotated > 0 ? &lr->rotated_start : &lr->start) = off;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, logs_cb, lr, reader_free);
    MHD_add_response_header(resp, "Content-Type",
                            lr->raw ? "application/vnd.docker.raw-stream"
                                    : "application/vnd.docker.multiplexed-stream");
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

struct upgraded {
    struct logreader *lr;
    MHD_socket sock;
    struct MHD_UpgradeResponseHandle *urh;
    char id[65];
    bool want_in;    /* stdin=1 and Config.OpenStdin: the client's bytes go in */
    bool stdin_once; /* Config.StdinOnce without a tty: their end closes stdin */
    bool in_done;    /* the client's input ended */
    bool detached;
    int in; /* the container's stdin (the shim's dup, O_NONBLOCK); -1 until it runs */
    struct detach_keys keys;
    char pend[16384 + 32]; /* input on its way to `in` */
    size_t pend_len, pend_off;
};

static int send_all(int sock, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(sock, p, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd pf = {.fd = sock, .events = POLLOUT};
            poll(&pf, 1, 1000);
            continue;
        }
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The container's stdin from its shim, once it runs (an attach made
 * before start waits here). */
static void get_stdin(struct upgraded *u)
{
    char rep[256];
    int fd = -1;
    if (ctr_shim_request(u->id, "stdin\n", rep, sizeof(rep), &fd, 1) < 0)
        return;
    if (fd < 0) { /* its stdin was closed (StdinOnce) or it exited: the output only */
        u->want_in = false;
        return;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    u->in = fd;
}

/* The client's input ended (EOF, or the detach keys). */
static void input_end(struct upgraded *u, bool detach)
{
    char rep[256];
    u->in_done = true;
    u->detached = detach;
    u->pend_len = u->pend_off = 0;
    if (u->in >= 0)
        close(u->in);
    u->in = -1;
    if (u->stdin_once)
        ctr_shim_request(u->id, "stdin-close\n", rep, sizeof(rep), NULL, 0);
}

static void client_input(struct upgraded *u, const char *buf, size_t n)
{
    size_t len = 0;
    if (n == 0) {
        input_end(u, false);
        return;
    }
    bool detach = detach_keys_filter(&u->keys, buf, n, u->pend, &len);
    u->pend_len = len;
    u->pend_off = 0;
    if (detach)
        input_end(u, true);
}

/* One turn of the input side: at most 250 ms in poll (20 while stdin is not there yet). */
static void input_turn(struct upgraded *u)
{
    char buf[16384];
    if (u->want_in && !u->in_done && u->in < 0)
        get_stdin(u);
    bool reading = u->want_in && !u->in_done && u->in >= 0 && u->pend_off == u->pend_len;
    bool writing = u->in >= 0 && u->pend_off < u->pend_len;
    /* the log's changes wake it too; without stdin yet, get_stdin retries */
    struct pollfd p[3] = {{.fd = reading ? u->sock : -1, .events = POLLIN},
                          {.fd = writing ? u->in : -1, .events = POLLOUT},
                          {.fd = u->lr->watch, .events = POLLIN}};
    if (poll(p, 3, u->in < 0 || u->lr->watch < 0 ? 20 : 250) <= 0)
        return;
    if (p[2].revents)
        reader_wait(u->lr, 0); /* drains the events */
    if (p[0].revents) {
        ssize_t n = recv(u->sock, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        client_input(u, buf, n < 0 ? 0 : (size_t)n);
    }
    if (p[1].revents) {
        ssize_t w = write(u->in, u->pend + u->pend_off, u->pend_len - u->pend_off);
        if (w > 0)
            u->pend_off += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EINTR)
            input_end(u, false); /* the container closed its stdin */
    }
}

static void *attach_main(void *arg)
{
    struct upgraded *u = arg;
    char buf[65536];
    ssize_t n;
    for (;;) {
        while ((n = reader_step(u->lr, buf, sizeof(buf))) > 0)
            if (send_all(u->sock, buf, (size_t)n) < 0)
                goto out;
        if (n < 0 || u->detached || (u->in_done && !u->stdin_once))
            break;
        if (u->want_in && !u->in_done)
            input_turn(u);
        else
            reader_wait(u->lr, 250);
    }
out:
    if (u->in >= 0)
        close(u->in);
    shutdown(u->sock, SHUT_RDWR);
    MHD_upgrade_action(u->urh, MHD_UPGRADE_ACTION_CLOSE);
    reader_free(u->lr);
    free(u);
    return NULL;
}

static void upgraded_cb(void *cls, struct MHD_Connection *conn, void *req_cls, const char *extra_in,
                        size_t extra_in_size, MHD_socket sock,
                        struct MHD_UpgradeResponseHandle *urh)
{
    struct upgraded *u = cls;
    u->sock = sock;
    u->urh = urh;
    if (extra_in_size > 0 && u->want_in) /* stdin bytes that came with the request */
        client_input(u, extra_in, extra_in_size < 16384 ? extra_in_size : 16384);
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, attach_main, u) != 0)
        attach_main(u);
    pthread_attr_destroy(&at);
}

enum MHD_Result api_attach(struct request *r, const char *id)
{
    struct detach_keys keys;
    const char *dk = api_arg(r, "detachKeys");
    if (detach_keys_parse(dk, &keys) < 0)
        return api_message(r, 400, "Invalid detach keys (%s) provided", dk);
    struct logreader *lr = reader_new(r, id, true);
    json_t *rec = json_read_file(lr->dir, "container.json", NULL);
    json_t *cfg = json_object_get(rec, "Config");
    struct upgraded *u = xzalloc(sizeof(*u));
    u->lr = lr;
    u->in = -1;
    u->keys = keys;
    snprintf(u->id, sizeof(u->id), "%s", id);
    u->want_in = api_arg_bool(r, "stdin", false) && json_is_true(json_object_get(cfg, "OpenStdin"));
    u->stdin_once = json_is_true(json_object_get(cfg, "StdinOnce")) && !lr->raw;
    json_decref(rec);
    events_container_ref(id, "attach", NULL);
    const char *up = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Upgrade");
    struct MHD_Response *resp;
    unsigned status = 200;
    if (up) {
        resp = MHD_create_response_for_upgrade(upgraded_cb, u);
        MHD_add_response_header(resp, "Upgrade", "tcp");
        MHD_add_response_header(resp, "Connection", "Upgrade");
        status = 101;
    } else {
        free(u);
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, logs_cb, lr, reader_free);
    }
    MHD_add_response_header(resp, "Content-Type",
                            lr->raw ? "application/vnd.docker.raw-stream"
                                    : "application/vnd.docker.multiplexed-stream");
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result api_resize(struct request *r, const char *cid, const char *eid)
{
    const char *hs = api_arg(r, "h"), *ws = api_arg(r, "w");
    long long h = 0, w = 0;
    char req[160], rep[256];
    if (!hs || parse_i64(hs, &h) < 0 || h < 0 || h > 65535 || !ws || parse_i64(ws, &w) < 0 ||
        w < 0 || w > 65535)
        return api_message(r, 400, "invalid resize: h=%s w=%s", hs ? hs : "", ws ? ws : "");
    if (eid)
        snprintf(req, sizeof(req), "resize %s %lld %lld\n", eid, h, w);
    else
        snprintf(req, sizeof(req), "resize %lld %lld\n", h, w);
    if (ctr_shim_request(cid, req, rep, sizeof(rep), NULL, 0) < 0)
        return api_message(r, 409, "Container %s is not running", cid);
    json_t *j = json_loads(rep, JSON_DISABLE_EOF_CHECK, NULL);
    const char *msg = json_string_value(json_object_get(j, "Error"));
    if (msg == NULL && eid == NULL)
        events_container_ref(cid, "resize", json_pack("{s:s,s:s}", "height", hs, "width", ws));
    enum MHD_Result ret = msg ? api_message(r, 409, "%s", msg) : api_empty(r, 200);
    json_decref(j);
    return ret;
}
