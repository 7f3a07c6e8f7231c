/* POST /images/{name}/push?tag= (docker push) and POST /auth (docker
 * login). Credentials come with each request (X-Registry-Auth, the /auth
 * body) and are forgotten with it: berthd never stores them. A push is
 * streamed as a pull is (images.c): the image is found and its blobs
 * opened under engine.lock, then a thread talks to the registry and
 * writes Docker's progress lines to a pipe the response reads. */
#include "api.h"
#include "../daemon.h"
#include "../events.h"
#include "cleanup.h"
#include "error.h"
#include "push.h"
#include "registry.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct push_job {
    struct registry_push *p;
    int fd; /* the pipe's write end */
};

static void push_line(json_t *msg, void *ud)
{
    int fd = *(int *)ud;
    _cleanup_free_ char *m = json_dumps(msg, JSON_COMPACT);
    _cleanup_free_ char *line = xasprintf("%s\n", m);
    for (size_t off = 0, n = strlen(line); off < n;) {
        ssize_t w = write(fd, line + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the client went: the push goes on */
        off += (size_t)w;
    }
}

static void *push_main(void *arg)
{
    struct push_job *j = arg;
    struct berth_error *err = NULL;
    json_t *aux = NULL;
    if (registry_push_run(j->p, push_line, &j->fd, &aux, &err) == 0) {
        json_t *m = json_pack("{s:{},s:o}", "progressDetail", "aux", aux);
        push_line(m, &j->fd);
        json_decref(m);
        pthread_mutex_lock(&engine.lock);
        events_image(registry_push_ref(j->p), "push", false);
        pthread_mutex_unlock(&engine.lock);
    } else {
        int e = err->errnum;
        _cleanup_free_ char *msg =
            e == EIO || e == EACCES || e == ENOENT ? xstrdup(err->msg) : berth_error_format(err);
        json_t *m = json_pack("{s:s,s:{s:s}}", "error", msg, "errorDetail", "message", msg);
        push_line(m, &j->fd);
        json_decref(m);
        berth_error_clear(&err);
    }
    close(j->fd);
    registry_push_free(j->p);
    free(j);
    return NULL;
}

static ssize_t push_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    int fd = *(int *)cls;
    (void)pos;
    for (;;) {
        ssize_t n = read(fd, buf, max);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return (ssize_t)MHD_CONTENT_READER_END_OF_STREAM;
        return n < 0 ? (ssize_t)MHD_CONTENT_READER_END_WITH_ERROR : n;
    }
}

static void push_free(void *cls)
{
    close(*(int *)cls);
    free(cls);
}

static bool start_thread(struct push_job *j)
{
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int started = pthread_create(&t, &at, push_main, j);
    pthread_attr_destroy(&at);
    return started == 0;
}

static enum MHD_Result stream(struct request *r, int rfd)
{
    int *cls = xmalloc(sizeof(int));
    *cls = rfd;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, push_cb, cls, push_free);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result api_images_push(struct request *r, const char *name)
{
    const char *hdr = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Registry-Auth");
    struct registry_creds creds = {0};
    struct berth_error *err = NULL;
    if (registry_creds_decode(hdr, &creds, &err) < 0)
        return api_error(r, err);
    pthread_mutex_lock(&engine.lock);
    struct registry_push *p =
        registry_push_new(engine.data_root, name, api_arg(r, "tag"), &creds, &err);
    pthread_mutex_unlock(&engine.lock);
    registry_creds_free(&creds);
    int fds[2];
    if (p && pipe2(fds, O_CLOEXEC) < 0)
        berth_error_set(&err, errno, "cannot make a pipe");
    if (err) {
        registry_push_free(p);
        return api_error(r, err);
    }
    struct push_job *j = xzalloc(sizeof(*j));
    *j = (struct push_job){.p = p, .fd = fds[1]};
    json_t *first = json_pack("{s:s++}", "status", "The push refers to repository [",
                              registry_push_repo(p), "]");
    push_line(first, &fds[1]);
    json_decref(first);
    if (!start_thread(j)) {
        close(fds[0]);
        close(fds[1]);
        registry_push_free(p);
        free(j);
        return api_message(r, 500, "cannot start the push");
    }
    return stream(r, fds[0]);
}

enum MHD_Result api_auth(struct request *r)
{
    enum MHD_Result ret;
    if (!streq(r->method, "POST"))
        return api_message(r, 405, "only POST /auth");
    json_t *body = api_body_json(r, &ret);
    if (body == NULL)
        return ret;
    const char *user = json_string_value(json_object_get(body, "username"));
    const char *pass = json_string_value(json_object_get(body, "password"));
    const char *server = json_string_value(json_object_get(body, "serveraddress"));
    struct registry_creds creds = {.username = (char *)(user && *user ? user : NULL),
                                   .password = (char *)pass};
    struct berth_error *err = NULL;
    int rc = registry_login(server, &creds, &err);
    json_decref(body);
    if (rc == 0)
        return api_json(r, 200,
                        json_pack("{s:s,s:s}", "Status", "Login Succeeded", "IdentityToken", ""));
    if (err->errnum == EACCES) {
        /* Docker's 401: the registry's refusal, not berthd's failure */
        _cleanup_free_ char *msg = xstrdup(err->msg);
        berth_error_clear(&err);
        return api_message(r, 401, "%s", msg);
    }
    return api_error(r, err);
}
