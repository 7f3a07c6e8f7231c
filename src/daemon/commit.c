/* docker commit: a container's changes as a new image. Its upper dir
 * becomes a layer (layerdiff.c: whiteouts as OCI ones, the runtime's own
 * files left out) on its image, committed by the builder's code
 * (buildimg.c) with the container's settings in the config: what it was
 * created with (Cmd, Entrypoint, WorkingDir, User, Labels, ExposedPorts,
 * StopSignal, Healthcheck) and the environment it runs with. A running
 * container is paused (frozen) while its layer is read, unless asked not
 * to be, as Docker does. */
#include "daemon.h"
#include "body.h"
#include "build.h"
#include "events.h"
#include "layerdiff.h"
#include "cleanup.h"
#include "error.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void quiet(const char *text, void *ud)
{
    (void)text;
    (void)ud;
}

/* The container's settings over its image's config. */
static void merge_config(json_t *cfg, const struct ctr *c)
{
    static const char *const set[] = {"WorkingDir", "User", "StopSignal", "Healthcheck"};
    static const char *const merged[] = {"Labels", "ExposedPorts"};
    json_t *body = json_object_get(c->rec, "Config"), *v;
    for (size_t i = 0; i < ARRAY_SIZE(set); i++)
        if ((v = json_object_get(body, set[i])) && !body_unset(v))
            json_object_set(cfg, set[i], v);
    for (size_t i = 0; i < ARRAY_SIZE(merged); i++) {
        v = json_object_get(body, merged[i]);
        if (!json_is_object(v) || json_object_size(v) == 0)
            continue;
        json_t *have = json_object_get(cfg, merged[i]);
        if (!json_is_object(have))
            json_object_set_new(cfg, merged[i], have = json_object());
        json_object_update(have, v);
    }
    /* as create resolved them: a given Entrypoint drops the image's Cmd */
    json_t *ep = json_object_get(body, "Entrypoint"), *cmd = json_object_get(body, "Cmd");
    if (json_array_size(ep) > 0) {
        json_object_set(cfg, "Entrypoint", ep);
        json_object_del(cfg, "Cmd");
    }
    if (json_array_size(cmd) > 0)
        json_object_set(cfg, "Cmd", cmd);
    json_t *env = json_object_get(json_object_get(c->rec, "Process"), "Env");
    if (json_is_array(env))
        json_object_set(cfg, "Env", env);
}

static char *joined_args(const struct ctr *c)
{
    json_t *args = json_object_get(json_object_get(c->rec, "Process"), "Args"), *a;
    size_t i;
    char *s = xstrdup("");
    json_array_foreach(args, i, a)
    {
        char *n = xasprintf("%s%s%s", s, i ? " " : "", json_string_value(a));
        free(s);
        s = n;
    }
    return s;
}

/* The upper dir as a layer tar in the work dir, frozen if `pause`. */
static int make_layer(struct build *b, struct ctr *c, bool pause, char **ret_path, char hex[65],
                      struct berth_error **err)
{
    bool froze = pause && c->status == CTR_RUNNING && !c->paused;
    if (froze && ctr_pause(c, true, err) < 0)
        return -EIO;
    _cleanup_free_ char *upper = xasprintf("%s/upper", c->dir);
    _cleanup_free_ char *path = build_path(b, "layer");
    _cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int out = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int r = ufd < 0 || out < 0
                ? berth_error_set(err, errno, "cannot open '%s'", ufd < 0 ? upper : path)
                : layerdiff_tar(ufd, LAYERDIFF_OVERLAY, build_runtime_made, out, hex, err);
    if (froze)
        ctr_pause(c, false, NULL);
    if (r == 0)
        *ret_path = TAKE_PTR(path);
    return r;
}

int ctr_commit(struct ctr *c, const struct commit_opts *o, char **ret_id, struct berth_error **err)
{
    const char *image = json_string_value(json_object_get(c->rec, "ImageID"));
    _cleanup_free_ char *ref = NULL;
    if (image == NULL || *image == '\0')
        return berth_error_set(err, EINVAL,
                               "cannot commit container %s: it was made from a root directory "
                               "(--rootfs), not an image",
                               ctr_name(c));
    if (o->ref && *o->ref && store_normalize_ref(o->ref, &ref, err) < 0)
        return berth_error_wrap(err, "invalid reference format: %s", o->ref);
    struct build_opts bo = {0};
    struct build b = {.o = &bo, .out = quiet, .ctxfd = -1, .comment = o->comment};
    b.dir = store_tmpdir(engine.data_root, "commit", err);
    if (b.dir == NULL)
        return -EIO;
    _cleanup_free_ char *layer = NULL, *by = joined_args(c);
    char hex[65];
    int r = build_load(&b, image, err);
    if (r == 0 && (r = make_layer(&b, c, o->pause, &layer, hex, err)) == 0) {
        merge_config(json_object_get(b.config, "config"), c);
        if (o->author && *o->author)
            json_object_set_new(b.config, "author", json_string(o->author));
        json_object_del(b.config, "comment"); /* the image's own, as Docker's */
        if (o->comment && *o->comment)
            json_object_set_new(b.config, "comment", json_string(o->comment));
        r = build_commit(&b, by, layer, hex, err);
    }
    if (r == 0)
        build_unmark(&b); /* an image of its own, not a build step */
    if (r == 0 && ref) {
        pthread_mutex_lock(&engine.lock);
        r = store_image_tag(engine.data_root, b.image, ref, err);
        pthread_mutex_unlock(&engine.lock);
    }
    if (r == 0) {
        events_container(c, "commit", NULL);
        if (ref)
            events_image(ref, "tag", false);
        *ret_id = xstrdup(b.image);
    }
    build_release(&b);
    rm_rf_at(AT_FDCWD, b.dir, NULL);
    free(b.dir);
    free(b.image);
    json_decref(b.config);
    json_decref(b.layers);
    return r;
}
