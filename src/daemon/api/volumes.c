/* /volumes: docker's volume API over volumes.c (the local driver only). */
#include "api.h"
#include "../daemon.h"
#include "../volumes.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <string.h>

/* Filters berth does not apply are refused, never ignored. */
static bool filters_given(struct request *r)
{
    const char *f = api_arg(r, "filters");
    return f && *f && !streq(f, "{}");
}

static enum MHD_Result create(struct request *r)
{
    enum MHD_Result ret;
    struct berth_error *err = NULL;
    json_t *body = api_body_json(r, &ret);
    if (body == NULL)
        return ret;
    const char *name = json_string_value(json_object_get(body, "Name"));
    const char *driver = json_string_value(json_object_get(body, "Driver"));
    json_t *opts = json_object_get(body, "DriverOpts"), *labels = json_object_get(body, "Labels");
    if (driver && *driver && !streq(driver, "local"))
        ret = api_message(r, 400, "volume driver '%s' is not supported by berth (local only)",
                          driver);
    else if (json_object_size(opts) > 0)
        ret = api_message(r, 400, "volume driver options are not supported by berth yet");
    else if (labels && !json_is_null(labels) && !json_is_object(labels))
        ret = api_message(r, 400, "invalid type for field 'Labels'");
    else {
        pthread_mutex_lock(&engine.lock);
        json_t *v = volume_create(name, labels, &err);
        pthread_mutex_unlock(&engine.lock);
        ret = v ? api_json(r, 201, v) : api_error(r, err);
    }
    json_decref(body);
    return ret;
}

static enum MHD_Result one(struct request *r, const char *name)
{
    struct berth_error *err = NULL;
    if (streq(r->method, "GET")) {
        json_t *v = volume_get(name, &err);
        return v ? api_json(r, 200, v) : api_error(r, err);
    }
    if (!streq(r->method, "DELETE"))
        return api_message(r, 404, "page not found");
    pthread_mutex_lock(&engine.lock);
    int rc = volume_remove(name, api_arg_bool(r, "force", false), &err);
    pthread_mutex_unlock(&engine.lock);
    return rc < 0 ? api_error(r, err) : api_empty(r, 204);
}

enum MHD_Result api_volumes(struct request *r)
{
    const char *rest = r->path + strlen("/volumes");
    if (*rest == '\0' && streq(r->method, "GET")) {
        if (filters_given(r))
            return api_message(r, 400, "volume filters are not supported by berth yet");
        pthread_mutex_lock(&engine.lock);
        json_t *all = volume_list();
        pthread_mutex_unlock(&engine.lock);
        return api_json(r, 200, json_pack("{s:o,s:n}", "Volumes", all, "Warnings"));
    }
    if (streq(rest, "/create") && streq(r->method, "POST"))
        return create(r);
    if (streq(rest, "/prune") && streq(r->method, "POST")) {
        json_t *names;
        if (filters_given(r))
            return api_message(r, 400, "prune filters are not supported by berth yet");
        pthread_mutex_lock(&engine.lock);
        volume_prune(&names);
        pthread_mutex_unlock(&engine.lock);
        return api_json(r, 200,
                        json_pack("{s:o,s:i}", "VolumesDeleted", names, "SpaceReclaimed", 0));
    }
    if (rest[0] == '/' && rest[1] && !strchr(rest + 1, '/'))
        return one(r, rest + 1);
    return api_message(r, 404, "page not found");
}
