/* berth build's driver (build.h): the context, the stages, and the
 * instructions that only change the image's config. */
#include "build.h"
#include "daemon.h"
#include "events.h"
#include "cleanup.h"
#include "dockerfile.h"
#include "error.h"
#include "store.h"
#include "untar.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOP "/bin/sh -c #(nop) "
/* the Dockerfile and .dockerignore are read whole: a bound on them */
#define BUILD_FILE_MAX (16 << 20)

void build_say(struct build *b, const char *fmt, ...)
{
    va_list ap;
    _cleanup_free_ char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    b->out(s, b->ud);
}

char *build_path(struct build *b, const char *name)
{
    return xasprintf("%s/%s-%u", b->dir, name, ++b->seq);
}

/* Sets K=V in the strv *v (replacing an earlier K). */
static void env_set(char ***v, const char *kv)
{
    size_t klen = strcspn(kv, "="), n = strv_length(*v);
    for (size_t i = 0; i < n; i++)
        if (strncmp((*v)[i], kv, klen) == 0 && (*v)[i][klen] == '=') {
            free((*v)[i]);
            (*v)[i] = xstrdup(kv);
            return;
        }
    *v = xrealloc(*v, (n + 2) * sizeof(char *));
    (*v)[n] = xstrdup(kv);
    (*v)[n + 1] = NULL;
}

char **build_env(struct build *b, bool with_args)
{
    char **v = xzalloc(sizeof(char *));
    for (char **a = b->args; with_args && a && *a; a++)
        env_set(&v, *a);
    json_t *e;
    size_t i;
    json_array_foreach(json_object_get(json_object_get(b->config, "config"), "Env"), i, e)
        env_set(&v, json_string_value(e));
    return v;
}

static json_t *cfg(struct build *b)
{
    json_t *c = json_object_get(b->config, "config");
    if (!json_is_object(c))
        json_object_set_new(b->config, "config", c = json_object());
    return c;
}

/* ---- the context ---- */

/* Build dirs and RUN containers a killed berthd left (another PID's); an
 * overlay of COPY --from still mounted there goes first. */
static void remove_stale(void)
{
    build_remove_stale_containers();
    _cleanup_free_ char *tmp = xasprintf("%s/tmp", engine.data_root);
    _cleanup_closedir_ DIR *d = opendir(tmp);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "build-", 6) != 0 ||
            strtol(de->d_name + 6, NULL, 10) == (long)getpid())
            continue;
        _cleanup_free_ char *dir = xasprintf("%s/%s", tmp, de->d_name);
        _cleanup_closedir_ DIR *sub = opendir(dir);
        struct dirent *m;
        while (sub && (m = readdir(sub)))
            if (strncmp(m->d_name, "from-", 5) == 0 && !strchr(m->d_name, '.')) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, m->d_name);
                umount2(p, MNT_DETACH);
            }
        rm_rf_at(dirfd(d), de->d_name, NULL);
    }
}

/* Reads the context's file `name` (inside it); NULL with ENOENT. */
static char *context_file(struct build *b, const char *name, size_t *ret_len,
                          struct berth_error **err)
{
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    _cleanup_close_ int fd = (int)syscall(SYS_openat2, b->ctxfd, name, &how, sizeof(how));
    char *text = NULL;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        berth_error_set(err, ENOENT, "Cannot locate specified Dockerfile: %s", name);
        return NULL;
    }
    if (st.st_size > BUILD_FILE_MAX) {
        berth_error_set(err, EINVAL, "'%s' is larger than %d MiB", name, BUILD_FILE_MAX >> 20);
        return NULL;
    }
    _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d", fd);
    return read_file_at(AT_FDCWD, p, &text, ret_len, err) < 0 ? NULL : text;
}

/* Takes the .dockerignore'd files out of the context (COPY . never sees
 * them; the Dockerfile and .dockerignore were read before). */
static void prune_ignored(struct build *b, int dfd, const char *prefix)
{
    int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
    _cleanup_closedir_ DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (d)
        rewinddir(d); /* the dup shares the offset of a dir read before */
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        _cleanup_free_ char *p =
            *prefix ? xasprintf("%s/%s", prefix, de->d_name) : xstrdup(de->d_name);
        bool dir = de->d_type == DT_DIR, out = dockerignore_excluded(b->ig, p);
        if (out && !(dir && dockerignore_may_include(b->ig, p))) {
            rm_rf_at(dfd, de->d_name, NULL);
            continue;
        }
        _cleanup_close_ int sub =
            dir ? openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        if (sub >= 0)
            prune_ignored(b, sub, p);
    }
}

static int open_context(struct build *b, int ctx_fd, struct berth_error **err)
{
    remove_stale();
    _cleanup_free_ char *prefix = xasprintf("build-%ld", (long)getpid());
    if ((b->dir = store_tmpdir(engine.data_root, prefix, err)) == NULL)
        return -EIO;
    _cleanup_free_ char *ctx = xasprintf("%s/context", b->dir);
    if (mkdir(ctx, 0755) < 0 || (b->ctxfd = open(ctx, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return berth_error_set(err, errno, "cannot create '%s'", ctx);
    if (untar_fd(ctx_fd, b->ctxfd, 0, NULL, err) < 0)
        return berth_error_wrap(err, "the build context");
    const char *name = b->o->dockerfile && *b->o->dockerfile ? b->o->dockerfile : "Dockerfile";
    size_t len = 0;
    _cleanup_free_ char *text = context_file(b, name, &len, err);
    if (text == NULL || dockerfile_parse(text, len, &b->df, err) < 0)
        return -EINVAL;
    /* berth build -f FILE from outside the context sends it under this
     * name (src/cli/cmd-build.c): not part of what COPY . copies */
    if (streq(name, ".berth-dockerfile"))
        unlinkat(b->ctxfd, name, 0);
    struct berth_error *none = NULL;
    _cleanup_free_ char *ign = context_file(b, ".dockerignore", &len, &none);
    if (ign == NULL && none && none->errnum != ENOENT) {
        *err = none; /* a .dockerignore not honoured would copy what it keeps out */
        return -EINVAL;
    }
    berth_error_clear(&none);
    if (ign && dockerignore_parse(ign, len, &b->ig, err) < 0)
        return berth_error_wrap(err, ".dockerignore");
    if (b->ig)
        prune_ignored(b, b->ctxfd, "");
    b->stage_ids = xzalloc((b->df->n_stages + 1) * sizeof(char *));
    return 0;
}

/* ---- the config's instructions ---- */

static char *joined(char **w, size_t n, const char *sep)
{
    char *s = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *t = xasprintf("%s%s%s", s, i ? sep : "", w[i]);
        free(s);
        s = t;
    }
    return s;
}

static json_t *strv_json(char **w, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(w[i]));
    return a;
}

/* exec form: the array; shell form: SHELL (default /bin/sh -c) and the text */
static json_t *command(struct build *b, const struct df_instr *in, char **w, size_t n)
{
    if (in->json)
        return strv_json(w, n);
    json_t *sh = json_object_get(cfg(b), "Shell");
    json_t *a = json_is_array(sh) && json_array_size(sh) ? json_deep_copy(sh)
                                                         : json_pack("[s,s]", "/bin/sh", "-c");
    json_array_append_new(a, json_string(n ? w[0] : ""));
    return a;
}

/* Go's time.ParseDuration subset ("30s", "1m30s", "500ms") in ns */
static int duration(const char *s, json_int_t *ret)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    double total = 0;
    while (s && *s) {
        char *end = NULL;
        double v = strtod(s, &end);
        size_t k = end ? strspn(end, "abcdefghijklmnopqrstuvwxyz") : 0, i;
        for (i = 0; end != s && i < ARRAY_SIZE(units); i++)
            if (strlen(units[i].unit) == k && strncmp(end, units[i].unit, k) == 0)
                break;
        if (end == s || i == ARRAY_SIZE(units))
            return -1;
        total += v * units[i].ns;
        s = end + k;
    }
    *ret = (json_int_t)total;
    return 0;
}

static int healthcheck(struct build *b, const struct df_instr *in, char **w, size_t n,
                       struct berth_error **err)
{
    static const char *const fl[][2] = {
        {"interval", "Interval"}, {"timeout", "Timeout"}, {"start-period", "StartPeriod"}};
    if (n > 0 && strcasecmp(w[0], "NONE") == 0) {
        json_object_set_new(cfg(b), "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
        return 0;
    }
    json_t *test = in->json ? json_pack("[s]", "CMD") : json_pack("[s]", "CMD-SHELL");
    for (size_t i = 1; i < n; i++)
        json_array_append_new(test, json_string(w[i]));
    json_t *hc = json_pack("{s:o}", "Test", test);
    for (char **f = in->flags; f && *f; f++) {
        const char *v = strchr(*f, '=') + 1;
        json_int_t ns = 0;
        for (size_t i = 0; i < ARRAY_SIZE(fl); i++)
            if (strncmp(*f, fl[i][0], strlen(fl[i][0])) == 0 && (*f)[strlen(fl[i][0])] == '=') {
                if (duration(v, &ns) < 0)
                    return json_decref(hc),
                           berth_error_set(err, EINVAL, "invalid --%s (Dockerfile line %d)", *f,
                                           in->line);
                json_object_set_new(hc, fl[i][1], json_integer(ns));
            }
        if (strncmp(*f, "retries=", 8) == 0)
            json_object_set_new(hc, "Retries", json_integer(strtol(v, NULL, 10)));
    }
    json_object_set_new(cfg(b), "Healthcheck", hc);
    return 0;
}

static void set_pairs(json_t *obj, char **w, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        json_object_set_new(obj, w[i], json_string(w[i + 1]));
}

static void set_env(struct build *b, char **w, size_t n)
{
    _cleanup_strv_ char **env = build_env(b, false);
    for (size_t i = 0; i + 1 < n; i += 2) {
        _cleanup_free_ char *kv = xasprintf("%s=%s", w[i], w[i + 1]);
        env_set(&env, kv);
    }
    json_object_set_new(cfg(b), "Env", strv_json(env, strv_length(env)));
}

static json_t *obj_field(struct build *b, const char *key)
{
    json_t *o = json_object_get(cfg(b), key);
    if (!json_is_object(o))
        json_object_set_new(cfg(b), key, o = json_object());
    return o;
}

/* The config changes of ENV LABEL USER EXPOSE CMD ENTRYPOINT VOLUME
 * STOPSIGNAL SHELL HEALTHCHECK (`w`: the expanded words). */
static int meta(struct build *b, const struct df_instr *in, char **w, size_t n,
                struct berth_error **err)
{
    switch (in->kind) {
    case DF_ENV:
        return set_env(b, w, n), 0;
    case DF_LABEL:
        return set_pairs(obj_field(b, "Labels"), w, n), 0;
    case DF_USER:
    case DF_STOPSIGNAL:
        json_object_set_new(cfg(b), in->kind == DF_USER ? "User" : "StopSignal",
                            json_string(n ? w[0] : ""));
        return 0;
    case DF_EXPOSE:
        for (size_t i = 0; i < n; i++) {
            _cleanup_free_ char *p = strchr(w[i], '/') ? xstrdup(w[i]) : xasprintf("%s/tcp", w[i]);
            json_object_set_new(obj_field(b, "ExposedPorts"), p, json_object());
        }
        return 0;
    case DF_VOLUME:
        for (size_t i = 0; i < n; i++)
            json_object_set_new(obj_field(b, "Volumes"), w[i], json_object());
        return 0;
    case DF_CMD:
        b->cmd_set = true;
        json_object_set_new(cfg(b), "Cmd", command(b, in, w, n));
        return 0;
    case DF_ENTRYPOINT:
        json_object_set_new(cfg(b), "Entrypoint", command(b, in, w, n));
        if (!b->cmd_set)
            json_object_set_new(cfg(b), "Cmd", json_null());
        return 0;
    case DF_SHELL:
        if (!in->json || n == 0)
            return berth_error_set(err, EINVAL,
                                   "SHELL requires the arguments to be in JSON form "
                                   "(Dockerfile line %d)",
                                   in->line);
        json_object_set_new(cfg(b), "Shell", strv_json(w, n));
        return 0;
    case DF_HEALTHCHECK:
        return healthcheck(b, in, w, n, err);
    default:
        return berth_error_set(err, EINVAL, "'%s' is not a config instruction", in->original);
    }
}

/* ---- the steps ---- */

static void words_free(char **w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(w[i]);
    free(w);
}

/* The instruction's words, expanded where Docker expands them (not in
 * RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK). */
static char **expand_words(struct build *b, const struct df_instr *in, char **env, size_t *ret_n,
                           struct berth_error **err)
{
    size_t n = strv_length(in->args);
    char **w = xzalloc((n + 1) * sizeof(char *));
    bool raw = in->kind == DF_RUN || in->kind == DF_CMD || in->kind == DF_ENTRYPOINT ||
               in->kind == DF_SHELL || in->kind == DF_HEALTHCHECK;
    for (size_t i = 0; i < n; i++) {
        w[i] = raw ? xstrdup(in->args[i]) : dockerfile_expand(in->args[i], b->df->escape, env, err);
        if (w[i] == NULL) {
            words_free(w, i);
            berth_error_wrap(err, "Dockerfile line %d", in->line);
            return NULL;
        }
    }
    *ret_n = n;
    return w;
}

static void say_id(struct build *b)
{
    if (b->image)
        build_say(b, " ---> %.12s\n", b->image + 7);
}

/* A step that changes the config only: history empty_layer. */
static int commit_meta(struct build *b, const char *created_by, struct berth_error **err)
{
    return build_commit(b, created_by, NULL, NULL, err);
}

/* A cached step (key from the current image): " ---> Using cache" */
static bool cached(struct build *b, const char *key)
{
    if (b->o->nocache || !build_cache_hit(b, key))
        return false;
    build_say(b, " ---> Using cache\n");
    return true;
}

static int run_step(struct build *b, const struct df_instr *in, char **w, size_t n,
                    struct berth_error **err)
{
    json_t *cmd = command(b, in, w, n), *v;
    size_t i, nargs = strv_length(b->args);
    _cleanup_strv_ char **argv = xzalloc((json_array_size(cmd) + 1) * sizeof(char *));
    json_array_foreach(cmd, i, v) argv[i] = xstrdup(json_string_value(v));
    json_decref(cmd);
    _cleanup_free_ char *args = joined(b->args, nargs, " "), *text = joined(argv, i, " ");
    /* Docker's: the ARGs in effect are part of the step (and its key) */
    _cleanup_free_ char *by = nargs ? xasprintf("|%zu %s %s", nargs, args, text) : xstrdup(text);
    char key[65], hex[65];
    build_cache_key(b, by, NULL, key);
    if (cached(b, key))
        return 0;
    _cleanup_free_ char *layer = NULL;
    int r = build_run_step(b, argv, &layer, hex, err);
    if (r == 0)
        r = build_commit(b, by, layer, hex, err);
    if (layer)
        unlink(layer);
    if (r == 0)
        build_cache_put(b, key);
    return r;
}

/* COPY, ADD, WORKDIR: staged files as a layer (no stage: config only) */
static int staged_step(struct build *b, const char *by, const char *stage, const char *content,
                       struct berth_error **err)
{
    char key[65], hex[65];
    build_cache_key(b, by, content, key);
    if (cached(b, key))
        return stage ? rm_rf_at(AT_FDCWD, stage, NULL), 0 : 0;
    _cleanup_free_ char *layer = NULL;
    int r = stage ? build_stage_layer(b, stage, &layer, hex, err) : 0;
    if (r == 0)
        r = build_commit(b, by, layer, hex, err);
    if (layer)
        unlink(layer);
    if (r == 0)
        build_cache_put(b, key);
    return r;
}

static int copy_step(struct build *b, const struct df_instr *in, char **w, size_t n,
                     struct berth_error **err)
{
    _cleanup_free_ char *stage = NULL, *flags = joined(in->flags, strv_length(in->flags), " ");
    char content[65];
    if (build_copy_stage(b, in, w, n, &stage, content, err) < 0)
        return -EINVAL;
    _cleanup_free_ char *by =
        xasprintf(NOP "%s %s%sdir:%s in %s", in->kind == DF_ADD ? "ADD" : "COPY", flags,
                  *flags ? " " : "", content, w[n - 1]);
    return staged_step(b, by, stage, content, err);
}

static int workdir_step(struct build *b, char **w, size_t n, struct berth_error **err)
{
    const char *old = json_string_value(json_object_get(cfg(b), "WorkingDir"));
    if (n != 1 || *w[0] == '\0')
        return berth_error_set(err, EINVAL, "WORKDIR requires exactly one argument");
    _cleanup_free_ char *dir =
        w[0][0] == '/' ? xstrdup(w[0]) : xasprintf("%s/%s", old && *old ? old : "", w[0]);
    json_object_set_new(cfg(b), "WorkingDir", json_string(dir));
    _cleanup_free_ char *stage = NULL, *by = xasprintf(NOP "WORKDIR %s", dir);
    if (build_workdir_stage(b, dir, &stage, err) < 0)
        return -EIO;
    return staged_step(b, by, stage, NULL, err);
}

/* ARG NAME[=DEFAULT]: --build-arg's value, else the default, else the
 * global ARG's (before the first FROM) */
static int arg_step(struct build *b, const struct df_instr *in, char **w, size_t n,
                    struct berth_error **err)
{
    const char *name = n ? w[0] : "";
    json_t *given = json_object_get(b->o->buildargs, name);
    const char *value = json_is_string(given)      ? json_string_value(given)
                        : in->has_default && n > 1 ? w[1]
                                                   : NULL;
    size_t k = strlen(name);
    for (char **m = b->meta_args; value == NULL && m && *m; m++)
        if (strncmp(*m, name, k) == 0 && (*m)[k] == '=')
            value = *m + k + 1;
    if (value) {
        _cleanup_free_ char *kv = xasprintf("%s=%s", name, value);
        env_set(&b->args, kv);
    }
    _cleanup_free_ char *by = xasprintf(NOP "ARG %s", in->original + 4);
    char key[65];
    build_cache_key(b, by, NULL, key);
    if (cached(b, key))
        return 0;
    int r = commit_meta(b, by, err);
    if (r == 0)
        build_cache_put(b, key);
    return r;
}

/* The history's text of a config step: Docker's "#(nop) ENV K=V" form */
static char *meta_text(struct build *b, const struct df_instr *in, char **w, size_t n)
{
    static const char *const names[] = {[DF_ENV] = "ENV",
                                        [DF_USER] = "USER",
                                        [DF_EXPOSE] = "EXPOSE",
                                        [DF_LABEL] = "LABEL",
                                        [DF_CMD] = "CMD",
                                        [DF_ENTRYPOINT] = "ENTRYPOINT",
                                        [DF_VOLUME] = "VOLUME",
                                        [DF_SHELL] = "SHELL",
                                        [DF_STOPSIGNAL] = "STOPSIGNAL",
                                        [DF_HEALTHCHECK] = "HEALTHCHECK"};
    const char *up = in->kind < ARRAY_SIZE(names) && names[in->kind] ? names[in->kind] : "";
    if (in->kind == DF_CMD || in->kind == DF_ENTRYPOINT) {
        json_t *c = json_object_get(cfg(b), in->kind == DF_CMD ? "Cmd" : "Entrypoint");
        _cleanup_free_ char *text = json_dumps(c, JSON_COMPACT | JSON_ENCODE_ANY);
        return xasprintf(NOP "%s %s", up, text ? text : "[]");
    }
    if (in->kind == DF_HEALTHCHECK)
        return xasprintf(NOP "%s", in->original);
    char *words = xstrdup("");
    bool pairs = in->kind == DF_ENV || in->kind == DF_LABEL;
    for (size_t i = 0; i < n; i += pairs ? 2 : 1) {
        char *t = pairs && i + 1 < n ? xasprintf("%s%s%s=%s", words, i ? " " : "", w[i], w[i + 1])
                                     : xasprintf("%s%s%s", words, i ? " " : "", w[i]);
        free(words);
        words = t;
    }
    char *by = xasprintf(NOP "%s %s", up, words);
    free(words);
    return by;
}

/* The key of a config step is its result: the parent and the config. */
static int meta_step(struct build *b, const struct df_instr *in, char **w, size_t n,
                     struct berth_error **err)
{
    int r = meta(b, in, w, n, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *by = meta_text(b, in, w, n);
    _cleanup_free_ char *c = json_dumps(cfg(b), JSON_COMPACT | JSON_SORT_KEYS);
    char key[65];
    build_cache_key(b, by, c, key);
    if (cached(b, key))
        return 0;
    if ((r = commit_meta(b, by, err)) == 0)
        build_cache_put(b, key);
    return r;
}

static void stage_reset(struct build *b)
{
    free(b->image);
    b->image = NULL;
    json_decref(b->config);
    b->config = json_pack("{s:s,s:s,s:{},s:{s:s,s:[]},s:[]}", "architecture", "amd64", "os",
                          "linux", "config", "rootfs", "type", "layers", "diff_ids", "history");
    json_decref(b->layers);
    b->layers = json_array();
    strv_freep(&b->args);
    b->args = xzalloc(sizeof(char *));
    b->cmd_set = false;
}

/* FROM IMAGE|scratch|STAGE [AS NAME] */
static int from_step(struct build *b, char **w, size_t n, struct berth_error **err)
{
    stage_reset(b);
    const char *name = n ? w[0] : "";
    if (strcasecmp(name, "scratch") == 0)
        return 0;
    for (size_t i = 0; i < b->df->n_stages; i++)
        if (b->df->stages[i].name && strcasecmp(b->df->stages[i].name, name) == 0) {
            if (b->stage_ids[i] == NULL)
                return 0; /* a stage that is still scratch */
            return build_load(b, b->stage_ids[i], err);
        }
    struct store_image *img = NULL;
    pthread_mutex_lock(&engine.lock);
    store_ensure_default(engine.data_root, name);
    int r = store_image_resolve(engine.data_root, name, &img, err);
    pthread_mutex_unlock(&engine.lock);
    if (r < 0)
        return r;
    r = build_load(b, img->id, err);
    store_image_free(img);
    return r;
}

static int step(struct build *b, const struct df_instr *in, struct berth_error **err)
{
    _cleanup_strv_ char **env = xzalloc(sizeof(char *));
    for (char **m = b->meta_args; in->kind == DF_FROM && m && *m; m++)
        env_set(&env, *m);
    if (in->kind != DF_FROM) {
        strv_freep(&env);
        env = build_env(b, true);
    }
    size_t n = 0;
    char **w = expand_words(b, in, env, &n, err);
    if (w == NULL)
        return -EINVAL;
    int r;
    switch (in->kind) {
    case DF_FROM:
        r = from_step(b, w, n, err);
        break;
    case DF_RUN:
        r = run_step(b, in, w, n, err);
        break;
    case DF_COPY:
    case DF_ADD:
        r = copy_step(b, in, w, n, err);
        break;
    case DF_WORKDIR:
        r = workdir_step(b, w, n, err);
        break;
    case DF_ARG:
        r = arg_step(b, in, w, n, err);
        break;
    default:
        r = meta_step(b, in, w, n, err);
        break;
    }
    words_free(w, n);
    return r;
}

/* The ARGs before the first FROM, for FROM lines and as defaults */
static int meta_args(struct build *b, struct berth_error **err)
{
    b->meta_args = xzalloc(sizeof(char *));
    size_t first = b->df->n_stages ? b->df->stages[0].first : 0;
    for (size_t i = 0; i < first; i++) {
        const struct df_instr *in = &b->df->ins[i];
        const char *name = in->args && in->args[0] ? in->args[0] : "";
        json_t *given = json_object_get(b->o->buildargs, name);
        _cleanup_free_ char *def =
            in->has_default && in->args[1]
                ? dockerfile_expand(in->args[1], b->df->escape, b->meta_args, err)
                : NULL;
        if (in->has_default && in->args[1] && def == NULL)
            return berth_error_wrap(err, "Dockerfile line %d", in->line);
        const char *v = json_is_string(given) ? json_string_value(given) : def;
        if (v) {
            _cleanup_free_ char *kv = xasprintf("%s=%s", name, v);
            env_set(&b->meta_args, kv);
        }
    }
    return 0;
}

/* The stages to build: up to --target's (all before it, as Docker's
 * classic builder); *ret_last its index. */
static int last_stage(struct build *b, size_t *ret_last, struct berth_error **err)
{
    const char *t = b->o->target;
    *ret_last = b->df->n_stages - 1;
    if (t == NULL || *t == '\0')
        return 0;
    for (size_t i = 0; i < b->df->n_stages; i++)
        if (b->df->stages[i].name && strcasecmp(b->df->stages[i].name, t) == 0)
            return *ret_last = i, 0;
    return berth_error_set(err, EINVAL, "failed to reach build target %s in Dockerfile", t);
}

static int run_stages(struct build *b, struct berth_error **err)
{
    size_t last, total = 0, done = 0;
    if (b->df->n_stages == 0)
        return berth_error_set(err, EINVAL, "the Dockerfile has no FROM");
    if (last_stage(b, &last, err) < 0 || meta_args(b, err) < 0)
        return -EINVAL;
    for (size_t i = 0; i <= last; i++)
        total += b->df->stages[i].count;
    for (size_t i = 0; i <= last; i++) {
        const struct df_stage *s = &b->df->stages[i];
        for (size_t k = s->first; k < s->first + s->count; k++) {
            build_say(b, "Step %zu/%zu : %s\n", ++done, total, b->df->ins[k].original);
            int r = step(b, &b->df->ins[k], err);
            if (r < 0)
                return r;
            say_id(b);
        }
        b->stage_ids[i] = b->image ? xstrdup(b->image) : NULL;
    }
    if (b->image == NULL)
        return berth_error_set(err, EINVAL, "No image was generated. Is your Dockerfile empty?");
    return 0;
}

static int check_tags(const struct build_opts *o, struct berth_error **err)
{
    for (char **t = o->tags; t && *t; t++) {
        _cleanup_free_ char *n = NULL;
        if (store_normalize_ref(*t, &n, err) < 0)
            return berth_error_wrap(err, "invalid tag '%s'", *t);
    }
    return 0;
}

static int tag_all(struct build *b, struct berth_error **err)
{
    for (char **t = b->o->tags; t && *t; t++) {
        _cleanup_free_ char *n = NULL;
        pthread_mutex_lock(&engine.lock);
        int r = store_normalize_ref(*t, &n, err);
        if (r == 0)
            r = store_image_tag(engine.data_root, b->image, n, err);
        if (r == 0)
            events_image(n, "tag", false);
        pthread_mutex_unlock(&engine.lock);
        if (r < 0)
            return r;
        build_say(b, "Successfully tagged %s\n", n);
    }
    return 0;
}

static void build_free(struct build *b)
{
    build_release(b);
    if (b->ctxfd >= 0)
        close(b->ctxfd);
    if (b->dir)
        rm_rf_at(AT_FDCWD, b->dir, NULL);
    free(b->dir);
    dockerfile_free(b->df);
    dockerignore_free(b->ig);
    strv_freep(&b->meta_args);
    strv_freep(&b->args);
    free(b->image);
    json_decref(b->config);
    json_decref(b->layers);
}

int build_image(int ctx_fd, const struct build_opts *o, build_out_fn out, void *ud, char **ret_id,
                struct berth_error **err)
{
    struct build b = {.o = o, .out = out, .ud = ud, .ctxfd = -1};
    size_t n_stages = 0;
    int r = check_tags(o, err);
    if (r == 0)
        r = open_context(&b, ctx_fd, err);
    if (r == 0) {
        n_stages = b.df->n_stages;
        r = run_stages(&b, err);
    }
    if (r == 0) {
        build_unmark(&b);
        build_say(&b, "Successfully built %.12s\n", b.image + 7);
    }
    if (r == 0)
        r = tag_all(&b, err);
    if (r == 0)
        *ret_id = xstrdup(b.image);
    for (size_t i = 0; b.stage_ids && i < n_stages; i++)
        free(b.stage_ids[i]);
    free(b.stage_ids);
    build_free(&b);
    return r;
}
