/* POST /containers/{id}/exec, POST /exec/{id}/start, GET /exec/{id}/json,
 * POST /exec/{id}/resize. Start is the hijacked stream (101, Upgrade: tcp)
 * or a plain streamed answer: the process's stdout and stderr pipes
 * (passed by the shim) as Docker's multiplexed frames, or with Tty its pty
 * master's bytes as they are; the client's bytes go to its stdin (when
 * AttachStdin), watched for the detach keys (DetachKeys, default
 * ctrl-p,ctrl-q: the stream ends, the process runs on); the stream ends
 * once the process exited, so that the client's next /exec/{id}/json
 * shows the exit code. */
#include "api.h"
#include "../daemon.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct exec_stream {
    char cid[65], eid[65];
    int fds[3];   /* stdin (write end), stdout, stderr */
    bool started; /* else the hijacked thread starts it (Docker: after the 101) */
    bool tty;     /* fds[1] is the pty master: raw bytes, no frames */
    struct detach_keys keys;
    MHD_socket sock;
    struct MHD_UpgradeResponseHandle *urh;
    char *extra; /* stdin bytes that came with the request */
    size_t extra_len;
};

static void stream_free(struct exec_stream *x)
{
    for (int i = 0; i < 3; i++)
        if (x->fds[i] >= 0)
            close(x->fds[i]);
    free(x->extra);
    free(x);
}

/* The client's bytes to the process's stdin; -1 once the detach keys came. */
static int client_input(struct exec_stream *x)
{
    char in[16384], out[16384 + 32];
    size_t len = 0;
    ssize_t n = recv(x->sock, in, sizeof(in), 0);
    bool detach = n > 0 && detach_keys_filter(&x->keys, in, (size_t)n, out, &len);
    if (n <= 0 || (len > 0 && write(x->fds[0], out, len) != (ssize_t)len) || detach) {
        close(x->fds[0]); /* the client's CloseWrite: the process's EOF */
        x->fds[0] = -1;
    }
    return detach ? -1 : 0;
}

/* One frame from fds[1] or fds[2] into buf (8-byte header + bytes):
 * its length, 0 once both are at EOF (after the exit record came). */
static ssize_t next_frame(struct exec_stream *x, char *buf, size_t max, bool with_sock)
{
    for (;;) {
        struct pollfd p[3] = {{.fd = x->fds[1], .events = POLLIN},
                              {.fd = x->fds[2], .events = POLLIN},
                              {.fd = with_sock && x->fds[0] >= 0 ? x->sock : -1, .events = POLLIN}};
        if (x->fds[1] < 0 && x->fds[2] < 0) {
            exec_wait_exit(x->cid, x->eid, 10000);
            return 0;
        }
        if (poll(p, 3, -1) < 0)
            continue;
        if (p[2].revents && client_input(x) < 0)
            return 0; /* detached */
        for (int i = 0; i < 2; i++) {
            if (!p[i].revents)
                continue;
            ssize_t n = read(x->fds[i + 1], buf + (x->tty ? 0 : 8), max - 8);
            if (n <= 0) {
                close(x->fds[i + 1]);
                x->fds[i + 1] = -1;
                continue;
            }
            if (x->tty)
                return n;
            unsigned char *h = (unsigned char *)buf;
            h[0] = (unsigned char)(i + 1);
            h[1] = h[2] = h[3] = 0;
            h[4] = (unsigned char)(n >> 24);
            h[5] = (unsigned char)(n >> 16);
            h[6] = (unsigned char)(n >> 8);
            h[7] = (unsigned char)n;
            return n + 8;
        }
    }
}

/* as dockerd: an exec that cannot start, after the 101, is told on the
 * stream as a stdout frame; its exit code (126, 127) is in its record */
static bool start_hijacked(struct exec_stream *x, char *buf, size_t max)
{
    struct berth_error *err = NULL;
    if (exec_start(x->cid, x->eid, false, x->fds, &err) == 0)
        return true;
    int n = snprintf(buf + 8, max - 8, "%s\r\n", err->msg);
    berth_error_clear(&err);
    n = n < (int)(max - 8) ? n : (int)(max - 9);
    unsigned char h[8] = {1,
                          0,
                          0,
                          0,
                          (unsigned char)(n >> 24),
                          (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8),
                          (unsigned char)n};
    memcpy(buf, h, 8);
    if (send(x->sock, buf, (size_t)n + 8, MSG_NOSIGNAL) < 0)
        return false;
    return false;
}

static void *hijacked_main(void *arg)
{
    struct exec_stream *x = arg;
    char buf[65536];
    ssize_t n;
    if (!x->started && !start_hijacked(x, buf, sizeof(buf)))
        goto out;
    if (x->extra_len && x->fds[0] >= 0 &&
        write(x->fds[0], x->extra, x->extra_len) != (ssize_t)x->extra_len) {
        close(x->fds[0]);
        x->fds[0] = -1;
    }
    while ((n = next_frame(x, buf, sizeof(buf), true)) > 0) {
        for (ssize_t off = 0, w; off < n; off += w)
            if ((w = send(x->sock, buf + off, (size_t)(n - off), MSG_NOSIGNAL)) <= 0)
                goto out;
    }
out:
    shutdown(x->sock, SHUT_RDWR);
    MHD_upgrade_action(x->urh, MHD_UPGRADE_ACTION_CLOSE);
    stream_free(x);
    return NULL;
}

static void upgraded_cb(void *cls, struct MHD_Connection *conn, void *req_cls, const char *extra_in,
                        size_t extra_in_size, MHD_socket sock,
                        struct MHD_UpgradeResponseHandle *urh)
{
    struct exec_stream *x = cls;
    x->sock = sock;
    x->urh = urh;
    if (extra_in_size) {
        x->extra = xmalloc(extra_in_size);
        memcpy(x->extra, extra_in, extra_in_size);
        x->extra_len = extra_in_size;
    }
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, hijacked_main, x) != 0)
        hijacked_main(x);
    pthread_attr_destroy(&at);
}

/* the plain answer: no stdin; frames until the end */
static ssize_t plain_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    ssize_t n = max > 8 ? next_frame(cls, buf, max, false) : 0;
    return n > 0 ? n : (ssize_t)MHD_CONTENT_READER_END_OF_STREAM;
}

static void plain_free(void *cls)
{
    stream_free(cls);
}

static enum MHD_Result start(struct request *r, const char *eid)
{
    enum MHD_Result ret;
    struct berth_error *err = NULL;
    char cid[65];
    json_t *rec = NULL;
    json_t *body = api_body_json(r, &ret);
    if (body == NULL)
        return ret;
    bool detach = json_is_true(json_object_get(body, "Detach"));
    if (exec_find(eid, cid, &rec, &err) < 0 ||
        exec_set_console_size(cid, eid, json_object_get(body, "ConsoleSize"), &err) < 0) {
        json_decref(body);
        json_decref(rec);
        return api_error(r, err);
    }
    json_decref(body);
    json_t *cfg = json_object_get(rec, "Config");
    struct exec_stream *x = xzalloc(sizeof(*x));
    x->tty = json_is_true(json_object_get(cfg, "Tty"));
    detach_keys_parse(json_string_value(json_object_get(cfg, "DetachKeys")), &x->keys);
    json_decref(rec);
    memcpy(x->cid, cid, 65);
    memcpy(x->eid, eid, 65);
    x->fds[0] = x->fds[1] = x->fds[2] = -1;
    const char *up = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Upgrade");
    x->started = !up || detach;
    if (exec_check_fresh(cid, eid, &err) < 0 ||
        (x->started && exec_start(cid, eid, detach, x->fds, &err) < 0)) {
        free(x);
        return api_error(r, err);
    }
    if (detach) {
        stream_free(x);
        return api_empty(r, 200);
    }
    struct MHD_Response *resp;
    unsigned status = 200;
    if (up) {
        resp = MHD_create_response_for_upgrade(upgraded_cb, x);
        MHD_add_response_header(resp, "Upgrade", "tcp");
        MHD_add_response_header(resp, "Connection", "Upgrade");
        status = 101;
    } else {
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, plain_cb, x, plain_free);
    }
    MHD_add_response_header(resp, "Content-Type", "application/vnd.docker.raw-stream");
    ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result api_exec_create(struct request *r, struct ctr *c)
{
    enum MHD_Result ret;
    struct berth_error *err = NULL;
    char id[65];
    json_t *body = api_body_json(r, &ret);
    if (body == NULL)
        return ret;
    int rc = exec_create(c, body, id, &err);
    json_decref(body);
    if (rc < 0)
        return api_error(r, err);
    return api_json(r, 201, json_pack("{s:s}", "Id", id));
}

enum MHD_Result api_exec(struct request *r)
{
    const char *rest = r->path + strlen("/exec/");
    char eid[80], cid[65];
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : 0;
    json_t *rec = NULL;
    struct berth_error *err = NULL;
    if (n == 0 || n >= sizeof(eid))
        return api_message(r, 404, "page not found");
    memcpy(eid, rest, n);
    eid[n] = '\0';
    if (streq(slash, "/start") && streq(r->method, "POST"))
        return start(r, eid);
    if (streq(slash, "/resize") && streq(r->method, "POST")) {
        if (exec_find(eid, cid, &rec, &err) < 0)
            return api_error(r, err);
        json_decref(rec);
        return api_resize(r, cid, eid);
    }
    if (!streq(slash, "/json") || !streq(r->method, "GET"))
        return api_message(r, 404, "page not found");
    if (exec_find(eid, cid, &rec, &err) < 0)
        return api_error(r, err);
    json_t *j = exec_inspect(cid, eid, rec);
    json_decref(rec);
    return api_json(r, 200, j);
}
