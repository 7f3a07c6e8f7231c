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

/* The pushes of one request: one tag, or every tag of the repository. */
struct pushes {
    struct registry_push **p;
    size_t n;
};

static void push_run(struct api_job *j, void *ud)
{
    struct pushes *ps = ud;
    for (size_t i = 0; i < ps->n; i++) {
        struct registry_push *p = ps->p[i];
        struct berth_error *err = NULL;
        json_t *aux = NULL;
        if (registry_push_run(p, api_job_progress, j, &aux, &err) < 0) {
            int e = err->errnum;
            api_job_error(j, err, e == EIO || e == EACCES || e == ENOENT);
            return;
        }
        json_t *m = json_pack("{s:{},s:o}", "progressDetail", "aux", aux);
        api_job_line(j, m);
        json_decref(m);
        pthread_mutex_lock(&engine.lock);
        events_image(registry_push_ref(p), "push", false);
        pthread_mutex_unlock(&engine.lock);
    }
}

static void push_free(void *ud)
{
    struct pushes *ps = ud;
    for (size_t i = 0; i < ps->n; i++)
        registry_push_free(ps->p[i]);
    free(ps->p);
    free(ps);
}

/* Under engine.lock: the push of NAME:TAG, or with no tag given (and none
 * in the name) of every tag of the repository, as Docker's. */
static struct pushes *pushes_new(const char *name, const char *tag,
                                 const struct registry_creds *creds, struct berth_error **err)
{
    bool every = (tag == NULL || *tag == '\0') && !strchr(name, '@') && !registry_name_tag(name);
    json_t *tags =
        every ? registry_push_tags(engine.data_root, name, err) : json_pack("[s]", tag ? tag : "");
    if (tags == NULL)
        return NULL;
    struct pushes *ps = xzalloc(sizeof(*ps));
    ps->p = xzalloc(json_array_size(tags) * sizeof(*ps->p));
    for (; ps->n < json_array_size(tags); ps->n++) {
        const char *t = json_string_value(json_array_get(tags, ps->n));
        ps->p[ps->n] = registry_push_new(engine.data_root, name, t, creds, err);
        if (ps->p[ps->n] == NULL) {
            push_free(ps);
            ps = NULL;
            break;
        }
    }
    json_decref(tags);
    return ps;
}

enum MHD_Result api_images_push(struct request *r, const char *name)
{
    const char *hdr = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Registry-Auth");
    struct registry_creds creds = {0};
    struct berth_error *err = NULL;
    if (registry_creds_decode(hdr, &creds, &err) < 0)
        return api_error(r, err);
    pthread_mutex_lock(&engine.lock);
    struct pushes *ps = pushes_new(name, api_arg(r, "tag"), &creds, &err);
    pthread_mutex_unlock(&engine.lock);
    registry_creds_free(&creds);
    if (ps == NULL)
        return api_error(r, err);
    json_t *first = json_pack("{s:s++}", "status", "The push refers to repository [",
                              registry_push_repo(ps->p[0]), "]");
    return api_job_start(r, first, push_run, ps, push_free);
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
