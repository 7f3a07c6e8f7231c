#include "api.h"
#include "../body.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_BODY (1024 * 1024)

static enum MHD_Result queue(struct request *r, unsigned status, const char *type, char *text,
                             size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (type)
        MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    MHD_add_response_header(resp, "Server", "berthd/" BERTH_VERSION);
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result api_text(struct request *r, unsigned status, const char *type, char *text,
                         size_t len)
{
    return queue(r, status, type, text, len);
}

enum MHD_Result api_json(struct request *r, unsigned status, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    size_t n = strlen(text);
    text = xrealloc(text, n + 2);
    text[n++] = '\n';
    return queue(r, status, "application/json", text, n);
}

enum MHD_Result api_message(struct request *r, unsigned status, const char *fmt, ...)
{
    va_list ap;
    _cleanup_free_ char *msg = NULL;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    return api_json(r, status, json_pack("{s:s}", "message", msg));
}

enum MHD_Result api_error(struct request *r, struct berth_error *err)
{
    int e = err ? err->errnum : EIO;
    unsigned status = e == EINVAL ? 400 : e == ENOENT ? 404 : e == EEXIST || e == EBUSY ? 409 : 500;
    /* Docker's messages carry no errno text for the caller's mistakes */
    _cleanup_free_ char *msg =
        status == 500 ? berth_error_format(err) : xstrdup(err ? err->msg : "unknown error");
    berth_error_clear(&err);
    return api_message(r, status, "%s", msg);
}

enum MHD_Result api_empty(struct request *r, unsigned status)
{
    return queue(r, status, NULL, xstrdup(""), 0);
}

json_t *api_body_json(struct request *r, enum MHD_Result *ret)
{
    struct berth_error *err = NULL;
    json_t *j = NULL;
    if (body_parse(r->body, r->body_len, &j, &err) < 0) {
        *ret = api_error(r, err);
        return NULL;
    }
    return j;
}

const char *api_arg(struct request *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

bool api_arg_bool(struct request *r, const char *key, bool def)
{
    const char *v = api_arg(r, key);
    if (v == NULL)
        return def;
    return streq(v, "1") || strcasecmp(v, "true") == 0 || (*v == '\0' && false);
}

/* "/v1.41/containers/json" -> "/containers/json" */
static const char *strip_version(const char *url)
{
    if (url[0] != '/' || url[1] != 'v' || !isdigit((unsigned char)url[2]))
        return url;
    const char *p = url + 2;
    while (isdigit((unsigned char)*p) || *p == '.')
        p++;
    return *p == '/' ? p : url;
}

static enum MHD_Result route(struct request *r)
{
    if (r->body_too_big)
        return api_message(r, 413, "the request body is larger than %d bytes", MAX_BODY);
    if (strncmp(r->path, "/containers/", 12) == 0)
        return api_containers(r);
    if (strncmp(r->path, "/exec/", 6) == 0)
        return api_exec(r);
    if (streq(r->method, "POST") && strncmp(r->path, "/images/", 8) == 0) {
        /* "/images/NAME/push": NAME may hold '/' */
        size_t n = strlen(r->path);
        if (n > 8 + 5 && streq(r->path + n - 5, "/push")) {
            _cleanup_free_ char *name = strndup(r->path + 8, n - 8 - 5);
            return api_images_push(r, name);
        }
    }
    if (strncmp(r->path, "/images/", 8) == 0)
        return api_images(r);
    if (streq(r->path, "/auth"))
        return api_auth(r);
    if (strncmp(r->path, "/volumes", 8) == 0 && (r->path[8] == '\0' || r->path[8] == '/'))
        return api_volumes(r);
    if (strncmp(r->path, "/networks", 9) == 0 && (r->path[9] == '\0' || r->path[9] == '/'))
        return api_networks(r);
    if (streq(r->path, "/events"))
        return api_events(r);
    if (streq(r->path, "/build"))
        return api_build(r);
    if (streq(r->path, "/commit") && streq(r->method, "POST"))
        return api_commit(r);
    return api_system(r);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct request *r = *con_cls;
    if (r == NULL) {
        r = xzalloc(sizeof(*r));
        *con_cls = r;
        r->upload_fd = api_images_spool(conn, strip_version(url), method);
        if (r->upload_fd < 0)
            r->upload_fd = api_build_spool(strip_version(url), method);
        if (r->upload_fd < 0)
            r->upload_fd = api_archive_spool(strip_version(url), method);
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (r->upload_fd >= 0) {
            api_images_spool_write(r, upload, *upload_size);
        } else if (r->body_len + *upload_size > MAX_BODY) {
            r->body_too_big = true;
        } else {
            r->body = xrealloc(r->body, r->body_len + *upload_size + 1);
            memcpy(r->body + r->body_len, upload, *upload_size);
            r->body_len += *upload_size;
            r->body[r->body_len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    r->conn = conn;
    r->method = method;
    r->path = strip_version(url);
    return route(r);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct request *r = *con_cls;
    if (r) {
        if (r->upload_fd >= 0)
            close(r->upload_fd);
        free(r->body);
        free(r);
        *con_cls = NULL;
    }
}

struct MHD_Daemon *api_start(int fd)
{
    return MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_UPGRADE, 0,
        NULL, NULL, handler, NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
        completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0, MHD_OPTION_END);
}
