/* POST /build (Docker's ImageBuild, the classic builder): the context tar
 * is spooled to an unlinked file as it arrives (api_build_spool), then
 * build.c runs the Dockerfile as a job (jobs.c) whose JSON stream lines
 * go out as the steps run. */
#include "api.h"
#include "../build.h"
#include "../daemon.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int api_build_spool(const char *path, const char *method)
{
    if (!streq(method, "POST") || !streq(path, "/build"))
        return -1;
    _cleanup_free_ char *dir = xasprintf("%s/tmp", engine.data_root);
    mkdir(dir, 0700);
    return open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

struct build_job {
    struct build_opts o;
    int ctx_fd;
    struct api_job *j; /* while it runs */
};

static void out_stream(const char *text, void *ud)
{
    struct build_job *b = ud;
    if (!b->o.quiet) {
        json_t *m = json_pack("{s:s}", "stream", text);
        api_job_line(b->j, m);
        json_decref(m);
    }
}

static void job_free(void *ud)
{
    struct build_job *b = ud;
    if (b->ctx_fd >= 0)
        close(b->ctx_fd);
    strv_freep(&b->o.tags);
    json_decref(b->o.buildargs);
    free((char *)b->o.dockerfile);
    free((char *)b->o.target);
    free((char *)b->o.network);
    free(b);
}

static void build_run(struct api_job *j, void *ud)
{
    struct build_job *b = ud;
    struct berth_error *err = NULL;
    _cleanup_free_ char *id = NULL;
    b->j = j;
    if (build_image(b->ctx_fd, &b->o, out_stream, b, &id, &err) == 0) {
        json_t *m = json_pack("{s:{s:s}}", "aux", "ID", id);
        api_job_line(j, m);
        json_decref(m);
        if (b->o.quiet) {
            m = json_pack("{s:s+}", "stream", id, "\n");
            api_job_line(j, m);
            json_decref(m);
        }
    } else {
        /* the builder's messages say it all; a system call's errno is added */
        int e = err->errnum;
        api_job_error(j, err, e == EINVAL || e == ENOENT || e == EEXIST);
    }
}

static enum MHD_Result collect_tag(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    if (streq(key, "t") && value && *value)
        json_array_append_new(cls, json_string(value));
    return MHD_YES;
}

/* A query option berth does not honour is refused by name unless it has
 * its default value (what the docker CLI always sends). */
static enum MHD_Result check_option(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    static const char *const known[] = {"t", "dockerfile", "buildargs", "nocache", "target",
                                        "q", "remote",     "forcerm",   "session", "networkmode"};
    static const char *const defaults[] = {"", "0", "false", "[]", "{}", "null"};
    char **bad = cls;
    for (size_t i = 0; i < ARRAY_SIZE(known); i++)
        if (streq(key, known[i]))
            return MHD_YES;
    /* rm (default true), version 1 (the classic builder), platform */
    if (streq(key, "rm")) {
        if (*bad == NULL && value && (streq(value, "0") || streq(value, "false")))
            *bad = xstrdup("build option 'rm=0' is not supported by berth: the intermediate "
                           "containers are always removed");
        return MHD_YES;
    }
    if (streq(key, "version") && (value == NULL || streq(value, "1") || *value == '\0'))
        return MHD_YES;
    if (streq(key, "platform") &&
        (value == NULL || *value == '\0' || streq(value, "linux") || streq(value, "linux/amd64")))
        return MHD_YES;
    for (size_t i = 0; value && i < ARRAY_SIZE(defaults); i++)
        if (streq(value, defaults[i]))
            return MHD_YES;
    if (value == NULL)
        return MHD_YES;
    if (*bad == NULL)
        *bad = streq(key, "version")
                   ? xstrdup("BuildKit (version=2) is not supported by berth: "
                             "use the classic builder (DOCKER_BUILDKIT=0)")
                   : xasprintf("build option '%s=%s' is not supported by berth", key, value);
    return MHD_YES;
}

/* The query's options; NULL after queueing a 400. */
static struct build_job *job_new(struct request *r, enum MHD_Result *ret)
{
    const char *ba = api_arg(r, "buildargs"), *df = api_arg(r, "dockerfile");
    const char *target = api_arg(r, "target"), *remote = api_arg(r, "remote");
    json_error_t je;
    json_t *args = ba && *ba ? json_loads(ba, 0, &je) : json_object(), *tags = json_array(), *t;
    if (!json_is_object(args)) {
        json_decref(args), json_decref(tags);
        *ret = api_message(r, 400, "invalid buildargs: '%s'", ba);
        return NULL;
    }
    _cleanup_free_ char *bad = NULL;
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_option, &bad);
    if (bad) {
        json_decref(args), json_decref(tags);
        *ret = api_message(r, 400, "%s", bad);
        return NULL;
    }
    if (remote && *remote) {
        json_decref(args), json_decref(tags);
        *ret =
            api_message(r, 400, "remote '%s' is not supported by berth: send the context", remote);
        return NULL;
    }
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_tag, tags);
    struct build_job *j = xzalloc(sizeof(*j));
    size_t i;
    j->o.tags = xzalloc((json_array_size(tags) + 1) * sizeof(char *));
    json_array_foreach(tags, i, t) j->o.tags[i] = xstrdup(json_string_value(t));
    json_decref(tags);
    j->o.buildargs = args;
    j->o.dockerfile = df && *df ? xstrdup(df) : NULL;
    j->o.target = target && *target ? xstrdup(target) : NULL;
    j->o.nocache = api_arg_bool(r, "nocache", false);
    j->o.quiet = api_arg_bool(r, "q", false);
    const char *net = api_arg(r, "networkmode");
    j->o.network = net && *net ? xstrdup(net) : NULL;
    j->ctx_fd = -1;
    return j;
}

enum MHD_Result api_build(struct request *r)
{
    enum MHD_Result ret;
    if (!streq(r->method, "POST"))
        return api_message(r, 404, "page not found");
    if (r->upload_fd < 0)
        return api_message(r, 500, "the build context was not kept");
    if (r->upload_error)
        return api_message(r, 500, "cannot keep the build context: %s", strerror(r->upload_error));
    struct build_job *j = job_new(r, &ret);
    if (j == NULL)
        return ret;
    /* the thread reads the context after this request's fd is closed */
    j->ctx_fd = fcntl(r->upload_fd, F_DUPFD_CLOEXEC, 0);
    if (j->ctx_fd < 0 || lseek(j->ctx_fd, 0, SEEK_SET) < 0) {
        job_free(j);
        return api_message(r, 500, "cannot read the build context: %s", strerror(errno));
    }
    return api_job_start(r, NULL, build_run, j, job_free);
}
