/* berth build's RUN (build.h): a berth container from the current image
 * runs the command (berthd's own create, start, wait and remove); its
 * json-file log streams into the build's output as it grows, and its
 * upper dir, once the shim unmounted it, becomes the step's layer. The
 * container is on Docker's default network (the bridge, or none where
 * berthd runs with --bridge none) as Docker's RUN is, or on --network's. */
#include "build.h"
#include "daemon.h"
#include "layerdiff.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* mount points the runtime makes in the root for its bind mounts: not
 * part of what RUN changed (Docker keeps them in its init layer) */
const char *const build_runtime_made[] = {"etc/hostname", "etc/hosts", "etc/resolv.conf", NULL};

static json_t *strv_json(char **v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static json_t *create_body(struct build *b, char **argv)
{
    json_t *cfg = json_object_get(b->config, "config");
    _cleanup_strv_ char **env = build_env(b, true);
    json_t *body = json_pack("{s:s,s:o,s:[],s:o,s:{s:s}}", "Image", b->image, "Cmd",
                             strv_json(argv), "Entrypoint", "Env", strv_json(env), "HostConfig",
                             "NetworkMode", b->o->network ? b->o->network : "default");
    char pid[24];
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    json_object_set_new(body, "Labels", json_pack("{s:s}", BUILD_LABEL, pid));
    const char *wd = json_string_value(json_object_get(cfg, "WorkingDir"));
    const char *user = json_string_value(json_object_get(cfg, "User"));
    if (wd && *wd)
        json_object_set_new(body, "WorkingDir", json_string(wd));
    if (user && *user)
        json_object_set_new(body, "User", json_string(user));
    return body;
}

/* Sends the log's new complete lines on from *off. A json-file line can be
 * far longer than what it carries (a control byte is six bytes escaped), so
 * the buffer grows until a whole line fits. */
static void pump_log(struct build *b, int fd, off_t *off)
{
    size_t cap = 65536;
    _cleanup_free_ char *buf = xmalloc(cap);
    for (;;) {
        ssize_t n = pread(fd, buf, cap - 1, *off);
        if (n <= 0)
            return;
        buf[n] = '\0';
        char *end = memrchr(buf, '\n', (size_t)n);
        if (end == NULL && (size_t)n < cap - 1)
            return; /* a line still being written: later */
        if (end == NULL) {
            cap *= 2;
            buf = xrealloc(buf, cap);
            continue;
        }
        *++end = '\0';
        *off += end - buf;
        for (char *line = buf, *next; *line; line = next) {
            next = strchr(line, '\n');
            *next++ = '\0';
            json_t *j = json_loads(line, 0, NULL);
            const char *text = json_string_value(json_object_get(j, "log"));
            if (text)
                b->out(text, b->ud);
            json_decref(j);
        }
    }
}

struct waiting {
    struct ctr_waiter w;
    atomic_bool done;
};

/* berthd's own wait (as docker wait): the exit, also of a shim that died */
static void *wait_main(void *arg)
{
    struct waiting *wt = arg;
    ctr_wait_block(&wt->w);
    atomic_store(&wt->done, true);
    return NULL;
}

/* Starts `id` and streams its log until it exited; its exit code. */
static int run_container(struct build *b, const char *id, struct berth_error **err)
{
    struct ctr *c = NULL;
    struct waiting wt = {.done = false};
    bool modified;
    pthread_t t;
    if (ctr_wait_prepare(id, WAIT_NEXT_EXIT, &wt.w, err) < 0 || ctr_find(id, &c, err) < 0)
        return -ENOENT;
    int r = ctr_start(c, &modified, err);
    _cleanup_free_ char *log = xasprintf("%s/%s-json.log", c->dir, id);
    ctr_free(c);
    if (r == 0 && pthread_create(&t, NULL, wait_main, &wt) != 0)
        r = berth_error_set(err, EAGAIN, "cannot wait for the container of RUN");
    if (r < 0)
        return r;
    _cleanup_close_ int fd = -1;
    off_t off = 0;
    for (bool done = false; !done;) {
        done = atomic_load(&wt.done);
        if (fd < 0)
            fd = open(log, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            pump_log(b, fd, &off);
        if (!done)
            usleep(50000);
    }
    pthread_join(t, NULL);
    return wt.w.code;
}

static char *joined(char **argv)
{
    char *s = xstrdup("");
    for (char **a = argv; *a; a++) {
        char *n = xasprintf("%s%s%s", s, a == argv ? "" : " ", *a);
        free(s);
        s = n;
    }
    return s;
}

/* The upper dir of the exited container `id` as a layer tar. */
static int upper_layer(struct build *b, const char *id, char **ret_layer, char ret_hex[65],
                       struct berth_error **err)
{
    _cleanup_free_ char *upper = xasprintf("%s/containers/%s/upper", engine.data_root, id);
    _cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_free_ char *path = build_path(b, "layer");
    _cleanup_close_ int out = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (ufd < 0 || out < 0)
        return berth_error_set(err, errno, "cannot open '%s'", ufd < 0 ? upper : path);
    int r = layerdiff_tar(ufd, LAYERDIFF_OVERLAY, build_runtime_made, out, ret_hex, err);
    if (r < 0)
        unlink(path);
    else
        *ret_layer = TAKE_PTR(path);
    return r;
}

int build_run_step(struct build *b, char **argv, char **ret_layer, char ret_hex[65],
                   struct berth_error **err)
{
    if (b->image == NULL || json_array_size(b->layers) == 0)
        return berth_error_set(err, EINVAL,
                               "RUN needs an image with a file system: the stage's image "
                               "has no layer (FROM scratch)");
    json_t *body = create_body(b, argv);
    char id[65];
    int r = ctr_create(body, NULL, id, err);
    json_decref(body);
    if (r < 0)
        return berth_error_wrap(err, "cannot create the container for RUN");
    build_say(b, " ---> Running in %.12s\n", id);
    int code = run_container(b, id, err);
    if (code > 0) {
        _cleanup_free_ char *cmd = joined(argv);
        r = berth_error_set(err, EINVAL, "The command '%s' returned a non-zero code: %d", cmd,
                            code);
    } else if (code < 0) {
        r = code;
    }
    if (r == 0)
        r = upper_layer(b, id, ret_layer, ret_hex, err);
    struct berth_error *e = NULL;
    if (ctr_remove(id, true, &e) < 0)
        berth_error_clear(&e);
    else if (r == 0)
        build_say(b, "Removing intermediate container %.12s\n", id);
    return r;
}

void build_remove_stale_containers(void)
{
    struct ctr **v;
    size_t n;
    char pid[24];
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    ctr_list(&v, &n);
    for (size_t i = 0; i < n; i++) {
        json_t *labels = json_object_get(json_object_get(v[i]->rec, "Config"), "Labels");
        const char *by = json_string_value(json_object_get(labels, BUILD_LABEL));
        struct berth_error *e = NULL;
        if (by && !streq(by, pid) && ctr_remove(v[i]->id, true, &e) < 0)
            berth_error_clear(&e);
    }
    ctrs_free(v, n);
}
