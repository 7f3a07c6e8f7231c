/* GET /containers/{id}/stats?stream=&one-shot=: Docker's stats documents.
 * stream=1 (the default) sends one document a second, each with the one
 * before it as precpu_stats (CPU % is their difference), until the
 * container stops; stream=0 sends one, taken a second after a first
 * sample unless one-shot=1 (then precpu_stats is empty), as dockerd's
 * collector does. */
#include "api.h"
#include "../daemon.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <string.h>
#include <unistd.h>

#define INTERVAL_US 1000000

struct streamer {
    char id[65];
    json_t *prev;
    char *text;
    size_t len, off;
    bool done;
};

/* A new sample with `prev`'s cpu_stats and read as precpu_stats and
 * preread; NULL once the container is gone or not running. */
static json_t *sample(const char *id, json_t *prev, bool want_running)
{
    struct ctr *c = NULL;
    struct berth_error *e = NULL;
    if (ctr_find(id, &c, NULL) < 0)
        return NULL;
    json_t *j = (want_running && c->status != CTR_RUNNING) ? NULL : ctr_stats_sample(c, &e);
    berth_error_clear(&e);
    ctr_free(c);
    if (j && prev) {
        json_object_set(j, "precpu_stats", json_object_get(prev, "cpu_stats"));
        json_object_set(j, "preread", json_object_get(prev, "read"));
    }
    return j;
}

static ssize_t stream_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct streamer *s = cls;
    if (s->off == s->len) {
        if (s->done && s->prev)
            return (ssize_t)MHD_CONTENT_READER_END_OF_STREAM;
        if (s->prev)
            usleep(INTERVAL_US);
        json_t *j = sample(s->id, s->prev, s->prev != NULL);
        if (j == NULL)
            return (ssize_t)MHD_CONTENT_READER_END_OF_STREAM;
        json_decref(s->prev);
        s->prev = j;
        free(s->text);
        s->text = json_dumps(j, JSON_COMPACT);
        s->len = strlen(s->text);
        s->text = xrealloc(s->text, s->len + 2);
        s->text[s->len++] = '\n';
        s->off = 0;
    }
    size_t n = s->len - s->off < max ? s->len - s->off : max;
    memcpy(buf, s->text + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

static void streamer_free(void *cls)
{
    struct streamer *s = cls;
    json_decref(s->prev);
    free(s->text);
    free(s);
}

enum MHD_Result api_stats(struct request *r, struct ctr *c)
{
    struct berth_error *err = NULL;
    if (!api_arg_bool(r, "stream", true)) {
        json_t *first = ctr_stats_sample(c, &err);
        if (first == NULL)
            return api_error(r, err);
        if (api_arg_bool(r, "one-shot", false) || c->status != CTR_RUNNING)
            return api_json(r, 200, first);
        usleep(INTERVAL_US);
        json_t *j = sample(c->id, first, false);
        json_decref(first);
        return j ? api_json(r, 200, j) : api_message(r, 404, "No such container: %s", c->id);
    }
    struct streamer *s = xzalloc(sizeof(*s));
    snprintf(s->id, sizeof(s->id), "%s", c->id);
    s->done = c->status != CTR_RUNNING; /* one zero document, as Docker */
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, stream_cb, s, streamer_free);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}
