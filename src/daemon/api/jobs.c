/* Jobs whose progress streams to the client as JSON lines (api.h): pull,
 * push and build. The job runs in a detached thread and writes its lines
 * to a pipe; the response reads the other end, so lines go out as they
 * come, and a client that goes away does not stop the job (its writes
 * fail, the job finishes and its record stays right). */
#include "api.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct api_job {
    int fd; /* the pipe's write end */
    api_job_fn run;
    void *ud;
    void (*free_ud)(void *ud);
};

void api_job_line(struct api_job *j, json_t *msg)
{
    _cleanup_free_ char *m = json_dumps(msg, JSON_COMPACT);
    _cleanup_free_ char *line = xasprintf("%s\n", m);
    for (size_t off = 0, n = strlen(line); off < n;) {
        ssize_t w = write(j->fd, line + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the client went: the job goes on */
        off += (size_t)w;
    }
}

void api_job_progress(json_t *msg, void *j)
{
    api_job_line(j, msg);
}

void api_job_status(struct api_job *j, char *s)
{
    json_t *m = json_pack("{s:s}", "status", s);
    api_job_line(j, m);
    json_decref(m);
    free(s);
}

void api_job_error(struct api_job *j, struct berth_error *err, bool plain)
{
    _cleanup_free_ char *msg = plain ? xstrdup(err->msg) : berth_error_format(err);
    json_t *m =
        json_pack("{s:s,s:{s:i,s:s}}", "error", msg, "errorDetail", "code", 1, "message", msg);
    api_job_line(j, m);
    json_decref(m);
    berth_error_clear(&err);
}

static void job_free(struct api_job *j)
{
    if (j->fd >= 0)
        close(j->fd);
    if (j->free_ud)
        j->free_ud(j->ud);
    free(j);
}

static void *job_main(void *arg)
{
    struct api_job *j = arg;
    j->run(j, j->ud);
    job_free(j);
    return NULL;
}

static ssize_t read_cb(void *cls, uint64_t pos, char *buf, size_t max)
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

static void read_free(void *cls)
{
    close(*(int *)cls);
    free(cls);
}

enum MHD_Result api_job_start(struct request *r, json_t *first, api_job_fn run, void *ud,
                              void (*free_ud)(void *ud))
{
    struct api_job *j = xzalloc(sizeof(*j));
    int fds[2];
    *j = (struct api_job){.fd = -1, .run = run, .ud = ud, .free_ud = free_ud};
    if (pipe2(fds, O_CLOEXEC) < 0) {
        json_decref(first);
        job_free(j);
        return api_message(r, 500, "cannot make a pipe: %s", strerror(errno));
    }
    j->fd = fds[1];
    if (first)
        api_job_line(j, first);
    json_decref(first);
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int started = pthread_create(&t, &at, job_main, j);
    pthread_attr_destroy(&at);
    if (started != 0) {
        close(fds[0]);
        job_free(j);
        return api_message(r, 500, "cannot start a thread: %s", strerror(started));
    }
    int *rfd = xmalloc(sizeof(int));
    *rfd = fds[0];
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_cb, rfd, read_free);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}
