/* berth up -f FILE [-d] [--build] [-p NAME] and berth down -f FILE [-v] [-p NAME]
 * (issue 17): a workload file (wlfile.c) brought up through berthd's API
 * as Docker Compose does: containers PROJECT-SERVICE-1 with Compose's
 * labels, networks PROJECT_NET, volumes PROJECT_VOL. Every body is built
 * and checked before the first request, so a bad file creates nothing. */
#include "cleanup.h"
#include "cli.h"
#include "error.h"
#include "sha256.h"
#include "util.h"
#include "wlfile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define L_PROJECT  "com.docker.compose.project"
#define L_SERVICE  "com.docker.compose.service"
#define L_IMAGE    "com.docker.compose.image"
#define L_HASH     "com.docker.compose.config-hash"
#define L_NUMBER   "com.docker.compose.container-number"
#define UP_USAGE   "usage: berth up -f FILE [-d] [--build] [-p|--project-name NAME]"
#define DOWN_USAGE "usage: berth down -f FILE [-v] [-p|--project-name NAME]"
/* how long a dependency may take to become healthy or complete */
#define DEP_TIMEOUT_S 120

struct up {
    const char *file;
    const char *pname; /* -p */
    bool detach, volumes, build;
    struct wl_project *p;
    char *project; /* the name in use */
    char *dir;     /* the file's directory, for relative bind mounts */
    json_t **bodies;
    char **image_ids; /* of the services built here; NULL for the others */
};

static void up_free(struct up *u)
{
    for (size_t i = 0; u->p && u->bodies && i < u->p->n_services; i++)
        json_decref(u->bodies[i]);
    free(u->bodies);
    for (size_t i = 0; u->p && u->image_ids && i < u->p->n_services; i++)
        free(u->image_ids[i]);
    free(u->image_ids);
    wl_project_free(u->p);
    free(u->project);
    free(u->dir);
}

/* Compose's project names: lower case letters, digits, '_' and '-'. */
static char *project_name(const char *raw, bool strict)
{
    char *n = xstrdup(raw), *o = n;
    for (const char *s = raw; *s; s++) {
        char ch = (char)tolower((unsigned char)*s);
        if (isalnum((unsigned char)ch) || ch == '_' || ch == '-')
            *o++ = ch;
        else if (strict)
            return free(n), NULL;
    }
    *o = '\0';
    if (!isalnum((unsigned char)*n))
        return free(n), NULL;
    return n;
}

static int load(struct up *u)
{
    _cleanup_free_ char *text = NULL, *real = NULL;
    _cleanup_error_ struct berth_error *err = NULL;
    size_t len;
    if (read_file_at(AT_FDCWD, u->file, &text, &len, &err) < 0) {
        _cleanup_free_ char *msg = berth_error_format(err);
        return cli_error(-1, "%s", msg);
    }
    if (len > (1 << 20))
        return cli_error(-1, "%s: larger than 1 MiB", u->file);
    if (wl_parse(text, len, u->file, &u->p, &err) < 0)
        return cli_error(-1, "%s", err->msg);
    real = realpath(u->file, NULL);
    u->dir = xstrdup(real ? dirname(real) : ".");
    const char *raw = u->pname ? u->pname : u->p->name;
    bool given = raw != NULL; /* a name the user wrote must be valid as it is */
    if (raw == NULL) {
        const char *b = strrchr(u->dir, '/');
        raw = b && b[1] ? b + 1 : "default";
    }
    u->project = project_name(raw, given);
    if (u->project == NULL)
        return cli_error(-1,
                         "invalid project name '%s': lower case letters, digits, '_' and '-' "
                         "expected",
                         raw);
    return 0;
}

/* ---- the create body of a service ---- */

static void strv_push(char ***v, size_t *n, char *s)
{
    *v = xrealloc(*v, (*n + 2) * sizeof(char *));
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
}

/* A project network's or volume's name on the engine. */
static char *scoped(const struct up *u, const char *name, bool network)
{
    if (network)
        for (size_t i = 0; i < u->p->n_networks; i++)
            if (streq(u->p->networks[i].name, name) && u->p->networks[i].external)
                return xstrdup(name);
    if (!network)
        for (size_t i = 0; i < u->p->n_volumes; i++)
            if (streq(u->p->volumes[i].name, name) && u->p->volumes[i].external)
                return xstrdup(name);
    return xasprintf("%s_%s", u->project, name);
}

/* A short-syntax volume with a named volume scoped and a relative path
 * made absolute against the file's directory. */
static char *volume_arg(const struct up *u, const char *spec)
{
    const char *colon = strchr(spec, ':');
    if (colon == NULL)
        return xstrdup(spec);
    _cleanup_free_ char *src = strndup(spec, (size_t)(colon - spec));
    if (*src == '.')
        return xasprintf("%s/%s%s", u->dir, src, colon);
    if (*src == '~' && getenv("HOME"))
        return xasprintf("%s%s%s", getenv("HOME"), src + 1, colon);
    if (*src == '/')
        return xstrdup(spec);
    _cleanup_free_ char *name = scoped(u, src, false);
    return xasprintf("%s%s", name, colon);
}

/* The service's image: its `image`, else for a built one PROJECT-SERVICE. */
static char *service_image(const struct up *u, const struct wl_service *s)
{
    return s->build && !s->image_given ? xasprintf("%s-%s", u->project, s->name)
                                       : xstrdup(s->image);
}

/* The service's container: its container_name, else PROJECT-SERVICE-1. */
static char *ctr_name(const struct up *u, const struct wl_service *s)
{
    return s->container_name ? xstrdup(s->container_name)
                             : xasprintf("%s-%s-1", u->project, s->name);
}

/* A mode's "service:NAME" as "container:" and that service's container
 * (the file's check made NAME a service it depends on). */
static char *mode_arg(const struct up *u, const char *mode)
{
    const struct wl_service *o =
        strncmp(mode, "service:", 8) == 0 ? wl_service_find(u->p, mode + 8) : NULL;
    if (o == NULL)
        return xstrdup(mode);
    _cleanup_free_ char *name = ctr_name(u, o);
    return xasprintf("container:%s", name);
}

/* The file's flags (wl_service.flags), an --env-file's relative path made
 * absolute against the file's directory, --pid/--ipc service:NAME. */
static void file_flags(const struct up *u, const struct wl_service *s, char ***v, size_t *n)
{
    size_t i;
    json_t *e;
    json_array_foreach(s->flags, i, e)
    {
        const char *a = json_string_value(e);
        const char *prev = i > 0 ? json_string_value(json_array_get(s->flags, i - 1)) : "";
        if (streq(prev, "--env-file") && *a != '/')
            strv_push(v, n, xasprintf("%s/%s", u->dir, a));
        else if (streq(prev, "--pid") || streq(prev, "--ipc"))
            strv_push(v, n, mode_arg(u, a));
        else
            strv_push(v, n, xstrdup(a));
    }
}

/* --network, and the first network's aliases and addresses */
static void network_flags(const struct up *u, const struct wl_service *s, char ***v, size_t *n)
{
    static const char *const addr[][2] = {{"ipv4_address", "--ip"}, {"ipv6_address", "--ip6"}};
    const char *net = json_string_value(json_array_get(s->networks, 0));
    json_t *opts = json_object_get(s->net_opts, net ? net : "default"), *a;
    size_t i;
    strv_push(v, n, xstrdup("--network"));
    strv_push(v, n, scoped(u, net ? net : "default", true));
    strv_push(v, n, xstrdup("--network-alias"));
    strv_push(v, n, xstrdup(s->name));
    json_array_foreach(json_object_get(opts, "aliases"), i, a)
    {
        strv_push(v, n, xstrdup("--network-alias"));
        strv_push(v, n, xstrdup(json_string_value(a)));
    }
    for (i = 0; i < ARRAY_SIZE(addr); i++)
        if (json_object_get(opts, addr[i][0])) {
            strv_push(v, n, xstrdup(addr[i][1]));
            strv_push(v, n, xstrdup(json_string_value(json_object_get(opts, addr[i][0]))));
        }
}

/* A secret's or config's file, absolute (relative ones are the file's). */
static char *file_path(const struct up *u, const char *src)
{
    while (src[0] == '.' && src[1] == '/')
        src += 2;
    return *src == '/' ? xstrdup(src) : xasprintf("%s/%s", u->dir, src);
}

/* The flags cli_create_opts reads for what it already knows how to check
 * (ports, volumes, restart, the network, the file's flags); the rest is
 * set on the body. */
static char **service_argv(const struct up *u, const struct wl_service *s, size_t *ret_n)
{
    char **v = NULL;
    size_t n = 0, i;
    json_t *e;
    strv_push(&v, &n, xstrdup("up"));
    if (s->network_mode) {
        strv_push(&v, &n, xstrdup("--network"));
        strv_push(&v, &n, mode_arg(u, s->network_mode));
    } else {
        network_flags(u, s, &v, &n);
    }
    file_flags(u, s, &v, &n);
    json_array_foreach(s->ports, i, e)
    {
        strv_push(&v, &n, xstrdup("-p"));
        strv_push(&v, &n, xstrdup(json_string_value(e)));
    }
    json_array_foreach(s->volumes, i, e)
    {
        strv_push(&v, &n, xstrdup("-v"));
        strv_push(&v, &n, volume_arg(u, json_string_value(e)));
    }
    json_array_foreach(s->files, i, e) /* secrets and configs (checked by build_bodies) */
    {
        _cleanup_free_ char *src = file_path(u, json_string_value(json_object_get(e, "source")));
        strv_push(&v, &n, xstrdup("-v"));
        strv_push(&v, &n,
                  xasprintf("%s:%s:ro", src, json_string_value(json_object_get(e, "target"))));
    }
    if (s->init)
        strv_push(&v, &n, xstrdup("--init"));
    if (s->restart) {
        strv_push(&v, &n, xstrdup("--restart"));
        strv_push(&v, &n, xstrdup(s->restart));
    }
    strv_push(&v, &n, service_image(u, s));
    *ret_n = n;
    return v;
}

static void set_int(json_t *obj, const char *k, int64_t v)
{
    if (v)
        json_object_set_new(obj, k, json_integer(v));
}

static char *config_hash(json_t *body)
{
    _cleanup_free_ char *canon = json_dumps(body, JSON_SORT_KEYS | JSON_COMPACT);
    uint8_t d[BERTH_SHA256_LEN];
    char *hex = xmalloc(2 * BERTH_SHA256_LEN + 1);
    berth_sha256(canon, strlen(canon), d);
    for (size_t i = 0; i < BERTH_SHA256_LEN; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    return hex;
}

/* environment over env_file: the entries --env-file put in the body lose
 * to the file's environment with the same name */
static void env_merge(json_t *body, json_t *env)
{
    json_t *have = json_object_get(body, "Env"), *e;
    size_t i;
    if (!json_is_array(have)) {
        json_object_set(body, "Env", env);
        return;
    }
    json_array_foreach(env, i, e)
    {
        const char *kv = json_string_value(e);
        size_t klen = strcspn(kv, "=");
        for (size_t k = json_array_size(have); k-- > 0;) {
            const char *old = json_string_value(json_array_get(have, k));
            if (strncmp(old, kv, klen) == 0 && (old[klen] == '=' || old[klen] == '\0'))
                json_array_remove(have, k);
        }
        json_array_append(have, e);
    }
}

static json_t *service_body(const struct up *u, const struct wl_service *s, const char *image_id)
{
    size_t n;
    bool detach;
    char *name = NULL;
    _cleanup_strv_ char **argv = service_argv(u, s, &n);
    json_t *body = cli_create_opts((int)n, argv, &detach, &name);
    if (body == NULL)
        return NULL;
    json_t *hc = json_object_get(body, "HostConfig");
    if (s->command)
        json_object_set(body, "Cmd", s->command);
    if (s->entrypoint)
        json_object_set(body, "Entrypoint", s->entrypoint);
    if (s->healthcheck)
        json_object_set(body, "Healthcheck", s->healthcheck);
    env_merge(body, s->env);
    set_int(hc, "NanoCpus", s->nano_cpus);
    set_int(hc, "Memory", s->memory);
    set_int(hc, "MemoryReservation", s->memory_soft);
    if (s->cpuset)
        json_object_set_new(hc, "CpusetCpus", json_string(s->cpuset));
    if (s->device_requests)
        json_object_set(hc, "DeviceRequests", s->device_requests);
    /* the file's labels, and the project's over them */
    json_t *labels = json_object_get(body, "Labels");
    if (!json_is_object(labels))
        json_object_set_new(body, "Labels", labels = json_object());
    json_object_set_new(labels, L_PROJECT, json_string(u->project));
    json_object_set_new(labels, L_SERVICE, json_string(s->name));
    json_object_set_new(labels, L_NUMBER, json_string("1"));
    /* a rebuilt image that changed recreates the service */
    if (image_id)
        json_object_set_new(labels, L_IMAGE, json_string(image_id));
    _cleanup_free_ char *hash = config_hash(body);
    json_object_set_new(labels, L_HASH, json_string(hash));
    return body;
}

/* A secret's or config's file must be one: a missing bind source would
 * be made a directory. */
static int check_files(const struct up *u, const struct wl_service *s)
{
    json_t *e;
    size_t i;
    json_array_foreach(s->files, i, e)
    {
        const char *src = json_string_value(json_object_get(e, "source"));
        _cleanup_free_ char *path = file_path(u, src);
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            return cli_error(-1, "%s: %s of service '%s': %s is %s", u->file,
                             json_string_value(json_object_get(e, "what")), s->name, path,
                             errno == ENOENT ? "missing" : "not a file");
    }
    return 0;
}

static int build_bodies(struct up *u)
{
    u->bodies = xzalloc(u->p->n_services * sizeof(json_t *));
    for (size_t i = 0; i < u->p->n_services; i++) {
        if (check_files(u, &u->p->services[i]) < 0)
            return -1;
        u->bodies[i] = service_body(u, &u->p->services[i], u->image_ids[i]);
        if (u->bodies[i] == NULL)
            return cli_error(-1, "%s: service '%s' cannot be created", u->file,
                             u->p->services[i].name);
    }
    return 0;
}

/* ---- requests ---- */

/* The reply's JSON (an empty object for no body) when its status is one
 * of `ok` (0-terminated); NULL after printing why, or quietly with
 * *ret_status for a status in `quiet`. */
static json_t *request(const char *method, const char *path, json_t *body, const long *ok,
                       long quiet, long *ret_status)
{
    struct reply r;
    json_t *j = NULL;
    if (cli_call(method, path, body, &r) < 0)
        return NULL;
    if (ret_status)
        *ret_status = r.status;
    bool good = false;
    for (; *ok; ok++)
        good = good || r.status == *ok;
    if (good)
        j = r.len ? json_loadb(r.body, r.len, 0, NULL) : json_object();
    else if (r.status != quiet)
        cli_api_error(&r, 1);
    reply_free(&r);
    return j;
}

static void step(const char *kind, const char *name, const char *what)
{
    printf("%s %s  %s\n", kind, name, what);
    fflush(stdout);
}

/* GET PATH/NAME/json or the like: 1 found (*ret), 0 not there, -1 failed. */
static int lookup(const char *kind, const char *name, json_t **ret)
{
    static const long ok[] = {200, 0};
    long status = 0;
    _cleanup_free_ char *q = cli_escape(name);
    _cleanup_free_ char *path = xasprintf(
        "/%s/%s%s", kind, q, streq(kind, "containers") || streq(kind, "images") ? "/json" : "");
    *ret = request("GET", path, NULL, ok, 404, &status);
    return *ret ? 1 : status == 404 ? 0 : -1;
}

/* Builds a service's image (berth build's own output) and records its id. */
static int build_one(struct up *u, size_t i, const char *image)
{
    const struct wl_service *s = &u->p->services[i];
    const char *ctx = json_string_value(json_object_get(s->build, "context"));
    const char *df = json_string_value(json_object_get(s->build, "dockerfile"));
    const char *target = json_string_value(json_object_get(s->build, "target"));
    _cleanup_free_ char *cpath = *ctx == '/' ? xstrdup(ctx) : xasprintf("%s/%s", u->dir, ctx);
    _cleanup_strv_ char **v = NULL;
    size_t n = 0;
    const char *k;
    json_t *val;
    strv_push(&v, &n, xstrdup("build"));
    strv_push(&v, &n, xstrdup("-t"));
    strv_push(&v, &n, xstrdup(image));
    if (df) {
        strv_push(&v, &n, xstrdup("-f"));
        strv_push(&v, &n, *df == '/' ? xstrdup(df) : xasprintf("%s/%s", cpath, df));
    }
    if (target) {
        strv_push(&v, &n, xstrdup("--target"));
        strv_push(&v, &n, xstrdup(target));
    }
    json_object_foreach(json_object_get(s->build, "args"), k, val)
    {
        strv_push(&v, &n, xstrdup("--build-arg"));
        strv_push(&v, &n, xasprintf("%s=%s", k, json_string_value(val)));
    }
    strv_push(&v, &n, xstrdup(cpath));
    step("Image", image, "Building");
    fflush(stdout);
    if (cmd_build((int)n, v) != 0)
        return cli_error(-1, "%s: service '%s' failed to build", u->file, s->name);
    step("Image", image, "Built");
    return 0;
}

/* The services with `build`: built when their image is missing (or with
 * --build); the image's id goes into the config hash. */
static int build_images(struct up *u)
{
    u->image_ids = xzalloc(u->p->n_services * sizeof(char *));
    for (size_t i = 0; i < u->p->n_services; i++) {
        const struct wl_service *s = &u->p->services[i];
        if (s->build == NULL)
            continue;
        _cleanup_free_ char *image = service_image(u, s);
        json_t *img;
        int r = lookup("images", image, &img);
        if (r == 1 && u->build) {
            json_decref(img);
            r = 0;
        }
        if (r == 0 && build_one(u, i, image) == 0)
            r = lookup("images", image, &img);
        if (r != 1)
            return -1;
        u->image_ids[i] = xstrdup(json_string_value(json_object_get(img, "Id")) ?: "");
        json_decref(img);
    }
    return 0;
}

/* Whether the existing project network `name` is the file's `net` as
 * declared: 1, or -1 with an error naming what differs (Compose's label
 * check; a changed ipam or internal would otherwise go unnoticed, the
 * network being made only once). */
static int network_matches(const char *name, const char *net, const struct wl_network *declared,
                           json_t *have)
{
    const char *label = json_string_value(
        json_object_get(json_object_get(have, "Labels"), "com.docker.compose.network"));
    if (label == NULL || !streq(label, net))
        return cli_error(-1,
                         "network %s was found but has incorrect label "
                         "com.docker.compose.network set to \"%s\"",
                         name, label ?: "");
    bool internal = declared && declared->internal;
    if (json_is_true(json_object_get(have, "Internal")) != internal)
        return cli_error(-1,
                         "network %s exists with internal: %s, the file says %s: run `berth "
                         "down` to remove it first",
                         name, internal ? "false" : "true", internal ? "true" : "false");
    json_t *want = declared ? declared->ipam : NULL, *got, *w, *g;
    got = json_object_get(json_object_get(have, "IPAM"), "Config");
    size_t i, k;
    bool same = json_array_size(want) == 0 || json_array_size(want) == json_array_size(got);
    json_array_foreach(want, i, w)
    {
        bool found = false;
        json_array_foreach(got, k, g)
        {
            const char *gw = json_string_value(json_object_get(w, "Gateway"));
            found = found ||
                    (json_equal(json_object_get(w, "Subnet"), json_object_get(g, "Subnet")) &&
                     (gw == NULL ||
                      json_equal(json_object_get(w, "Gateway"), json_object_get(g, "Gateway"))));
        }
        same = same && found;
    }
    if (!same)
        return cli_error(-1,
                         "network %s exists with another ipam config than the file's: run "
                         "`berth down` to remove it first",
                         name);
    return 1;
}

static int ensure_network(const struct up *u, const struct wl_network *declared, const char *net)
{
    static const long ok[] = {201, 0};
    _cleanup_free_ char *name = scoped(u, net, true);
    json_t *j;
    int r = lookup("networks", name, &j);
    if (r == 1 && !(declared && declared->external))
        r = network_matches(name, net, declared, j);
    json_decref(j);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if (declared && declared->external)
        return cli_error(-1, "network %s declared as external, but could not be found", name);
    json_t *body = json_pack("{s:s,s:s,s:b,s:b,s:{s:s,s:s}}", "Name", name, "Driver", "bridge",
                             "CheckDuplicate", true, "Internal", declared && declared->internal,
                             "Labels", L_PROJECT, u->project, "com.docker.compose.network", net);
    json_t *conf;
    size_t i;
    json_array_foreach(declared ? declared->ipam : NULL, i, conf)
    {
        if (strchr(json_string_value(json_object_get(conf, "Subnet")) ?: "", ':'))
            json_object_set_new(body, "EnableIPv6", json_true());
    }
    if (declared && declared->ipam)
        json_object_set_new(body, "IPAM", json_pack("{s:O}", "Config", declared->ipam));
    j = request("POST", "/networks/create", body, ok, 0, NULL);
    json_decref(body);
    if (j == NULL)
        return -1;
    json_decref(j);
    step("Network", name, "Created");
    return 0;
}

/* The networks the services use, each once; a service with its own
 * network_mode uses none of the project's. */
static int ensure_networks(const struct up *u)
{
    json_t *seen = json_object();
    int r = 0;
    for (size_t i = 0; r == 0 && i < u->p->n_services; i++) {
        const struct wl_service *s = &u->p->services[i];
        size_t n = json_array_size(s->networks);
        for (size_t k = 0; r == 0 && !s->network_mode && k < (n ? n : 1); k++) {
            const char *net = n ? json_string_value(json_array_get(s->networks, k)) : "default";
            const struct wl_network *d = NULL;
            if (json_object_get(seen, net))
                continue;
            json_object_set_new(seen, net, json_true());
            for (size_t j = 0; j < u->p->n_networks; j++)
                if (streq(u->p->networks[j].name, net))
                    d = &u->p->networks[j];
            r = ensure_network(u, d, net);
        }
    }
    json_decref(seen);
    return r;
}

static int ensure_volumes(const struct up *u)
{
    static const long ok[] = {201, 0};
    for (size_t i = 0; i < u->p->n_volumes; i++) {
        const struct wl_volume *v = &u->p->volumes[i];
        _cleanup_free_ char *name = scoped(u, v->name, false);
        json_t *j;
        int r = lookup("volumes", name, &j);
        json_decref(j);
        if (r < 0)
            return -1;
        if (r == 1)
            continue;
        if (v->external)
            return cli_error(-1, "volume %s declared as external, but could not be found", name);
        json_t *body = json_pack("{s:s,s:s,s:{s:s,s:s}}", "Name", name, "Driver", "local", "Labels",
                                 L_PROJECT, u->project, "com.docker.compose.volume", v->name);
        j = request("POST", "/volumes/create", body, ok, 0, NULL);
        json_decref(body);
        if (j == NULL)
            return -1;
        json_decref(j);
        step("Volume", name, "Created");
    }
    return 0;
}

/* The networks after the first are connected before the start. */
static int connect_rest(const struct up *u, const struct wl_service *s, const char *id)
{
    static const long ok[] = {200, 0};
    for (size_t k = 1; !s->network_mode && k < json_array_size(s->networks); k++) {
        _cleanup_free_ char *name =
            scoped(u, json_string_value(json_array_get(s->networks, k)), true);
        _cleanup_free_ char *q = cli_escape(name);
        _cleanup_free_ char *path = xasprintf("/networks/%s/connect", q);
        json_t *opts =
            json_object_get(s->net_opts, json_string_value(json_array_get(s->networks, k)));
        json_t *body =
            json_pack("{s:s,s:{s:[s]}}", "Container", id, "EndpointConfig", "Aliases", s->name);
        json_t *ec = json_object_get(body, "EndpointConfig"), *ipam = json_object();
        json_array_extend(json_object_get(ec, "Aliases"), json_object_get(opts, "aliases"));
        if (json_object_get(opts, "ipv4_address"))
            json_object_set(ipam, "IPv4Address", json_object_get(opts, "ipv4_address"));
        if (json_object_get(opts, "ipv6_address"))
            json_object_set(ipam, "IPv6Address", json_object_get(opts, "ipv6_address"));
        json_object_set_new(ec, "IPAMConfig", ipam);
        json_t *j = request("POST", path, body, ok, 0, NULL);
        json_decref(body);
        if (j == NULL)
            return -1;
        json_decref(j);
    }
    return 0;
}

static int remove_container(const char *id, const char *name, bool say)
{
    static const long stopped[] = {204, 304, 0}, removed[] = {204, 0};
    _cleanup_free_ char *spath = xasprintf("/containers/%s/stop", id);
    _cleanup_free_ char *dpath = xasprintf("/containers/%s?force=1&v=0", id);
    if (say)
        step("Container", name, "Stopping");
    json_t *j = request("POST", spath, NULL, stopped, 0, NULL);
    if (j == NULL)
        return -1;
    json_decref(j);
    if (say)
        step("Container", name, "Stopped");
    j = request("DELETE", dpath, NULL, removed, 0, NULL);
    if (j == NULL)
        return -1;
    json_decref(j);
    if (say)
        step("Container", name, "Removed");
    return 0;
}

/* Brings one service to its body: left alone when its config-hash is the
 * same (started if it is not running), else (re)created and started. */
static int converge(const struct up *u, size_t i)
{
    const struct wl_service *s = &u->p->services[i];
    json_t *body = u->bodies[i], *cur;
    _cleanup_free_ char *name = ctr_name(u, s);
    const char *want = json_string_value(json_object_get(json_object_get(body, "Labels"), L_HASH));
    char id[65];
    int r = lookup("containers", name, &cur);
    if (r < 0)
        return -1;
    if (r == 1) {
        const char *have = json_string_value(
            json_object_get(json_object_get(json_object_get(cur, "Config"), "Labels"), L_HASH));
        bool running = json_is_true(json_object_get(json_object_get(cur, "State"), "Running"));
        snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(cur, "Id")));
        bool same = have && streq(have, want);
        json_decref(cur);
        if (same && running)
            return step("Container", name, "Running"), 0;
        if (same)
            return cli_start(id) < 0 ? -1 : (step("Container", name, "Started"), 0);
        step("Container", name, "Recreate");
        if (remove_container(id, name, false) < 0)
            return -1;
    }
    if (cli_create(body, name, id) < 0 || connect_rest(u, s, id) < 0)
        return -1;
    step("Container", name, r == 1 ? "Recreated" : "Created");
    if (cli_start(id) < 0)
        return -1;
    step("Container", name, "Started");
    return 0;
}

/* Polls the dependency until its condition holds: healthy, or exited 0. */
static int wait_dep(const struct up *u, const struct wl_dep *d)
{
    _cleanup_free_ char *name = ctr_name(u, wl_service_find(u->p, d->service));
    bool healthy = d->condition == WL_SERVICE_HEALTHY;
    step("Container", name, "Waiting");
    for (time_t end = time(NULL) + DEP_TIMEOUT_S;;) {
        json_t *c;
        if (lookup("containers", name, &c) != 1)
            return cli_error(-1, "dependency %s is gone", name);
        json_t *st = json_object_get(c, "State");
        const char *status = json_string_value(json_object_get(st, "Status"));
        json_t *health = json_object_get(st, "Health");
        const char *hs = json_string_value(json_object_get(health, "Status"));
        json_int_t code = json_integer_value(json_object_get(st, "ExitCode"));
        bool exited = status && (streq(status, "exited") || streq(status, "dead"));
        bool has_health = health != NULL, ok = hs && streq(hs, "healthy");
        bool bad = hs && streq(hs, "unhealthy");
        json_decref(c); /* status, health and hs are gone with it */
        if (healthy && !has_health)
            return cli_error(-1, "dependency %s has no healthcheck", name);
        if (healthy && ok)
            return step("Container", name, "Healthy"), 0;
        if (healthy && (bad || exited))
            return cli_error(-1, "dependency %s is %s", name, exited ? "not running" : "unhealthy");
        if (!healthy && exited)
            return code == 0 ? (step("Container", name, "Exited"), 0)
                             : cli_error(-1,
                                         "service '%s' did not complete successfully: exit "
                                         "%lld",
                                         d->service, (long long)code);
        if (time(NULL) >= end)
            return cli_error(-1, "dependency %s did not become %s within %d s", name,
                             healthy ? "healthy" : "complete", DEP_TIMEOUT_S);
        usleep(200 * 1000);
    }
}

/* GET /containers/json of this project (all states); NULL after printing why. */
static json_t *project_containers(const struct up *u)
{
    static const long ok[] = {200, 0};
    _cleanup_free_ char *f = xasprintf("{\"label\":[\"" L_PROJECT "=%s\"]}", u->project);
    _cleanup_free_ char *q = cli_escape(f);
    _cleanup_free_ char *path = xasprintf("/containers/json?all=1&filters=%s", q);
    return request("GET", path, NULL, ok, 0, NULL);
}

static const char *label_of(json_t *c, const char *k)
{
    return json_string_value(json_object_get(json_object_get(c, "Labels"), k));
}

static const char *name_of(json_t *c)
{
    const char *n = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
    return n ? n + (*n == '/') : "?";
}

static void warn_orphans(const struct up *u)
{
    json_t *list = project_containers(u), *c;
    size_t i;
    json_array_foreach(list, i, c)
    {
        const char *svc = label_of(c, L_SERVICE);
        if (svc == NULL || wl_service_find(u->p, svc) == NULL)
            fprintf(stderr,
                    "WARNING: found orphan container %s for this project; berth down "
                    "removes it\n",
                    name_of(c));
    }
    json_decref(list);
}

static int parse_flags(int argc, char **argv, struct up *u, bool up)
{
    static const struct option opts[] = {{"file", required_argument, NULL, 'f'},
                                         {"detach", no_argument, NULL, 'd'},
                                         {"volumes", no_argument, NULL, 'v'},
                                         {"project-name", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"build", no_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, up ? "+f:dp:h" : "+f:vp:h", opts, NULL)) != -1) {
        if (c == 'f')
            u->file = optarg;
        else if (c == 'p')
            u->pname = optarg;
        else if (c == 'd' && up)
            u->detach = true;
        else if (c == 'v' && !up)
            u->volumes = true;
        else if (c == 'b' && up)
            u->build = true;
        else if (c == 'h')
            return printf("%s\n", up ? UP_USAGE : DOWN_USAGE), 1;
        else
            return cli_error(-1, "unknown flag '%s' for %s; %s", argv[optind - 1], argv[0],
                             up ? UP_USAGE : DOWN_USAGE);
    }
    if (optind != argc)
        return cli_error(-1, "%s takes no arguments; %s", argv[0], up ? UP_USAGE : DOWN_USAGE);
    if (u->file == NULL)
        u->file = access("compose.yaml", F_OK) == 0 ? "compose.yaml" : "docker-compose.yml";
    return 0;
}

static int start_all(const struct up *u)
{
    for (size_t k = 0; k < u->p->n_services; k++) {
        const struct wl_service *s = &u->p->services[u->p->order[k]];
        for (size_t d = 0; d < s->n_deps; d++)
            if (s->deps[d].condition != WL_SERVICE_STARTED && wait_dep(u, &s->deps[d]) < 0)
                return -1;
        if (converge(u, u->p->order[k]) < 0)
            return -1;
    }
    return 0;
}

/* ---- up without -d: the services' logs, prefixed, until Ctrl-C ---- */

struct follower {
    pid_t pid;
    int fd;
    char *name;
    char buf[8192];
    size_t len;
};

/* A child streams the container's logs (cli_stream writes them to
 * stdout/stderr) into a pipe the parent reads; one per service keeps the
 * single-connection HTTP client as it is. */
static pid_t follow_one(const char *name, int *ret_fd)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        struct reply r;
        _cleanup_free_ char *q = cli_escape(name);
        _cleanup_free_ char *path = xasprintf("/containers/%s/logs?follow=1&stdout=1&stderr=1", q);
        dup2(p[1], STDOUT_FILENO);
        dup2(p[1], STDERR_FILENO);
        int rc = cli_stream("GET", path, &r);
        fflush(stdout);
        _exit(rc < 0 ? 1 : 0);
    }
    close(p[1]);
    if (pid < 0)
        return close(p[0]), -1;
    *ret_fd = p[0];
    return pid;
}

/* Prints the complete lines read so far ("NAME  | line"); all at `eof`. */
static void print_lines(struct follower *f, int width, bool eof)
{
    size_t start = 0;
    for (size_t i = 0; i < f->len; i++)
        if (f->buf[i] == '\n' || (eof && i + 1 == f->len) || (i - start == sizeof(f->buf) - 2)) {
            size_t end = f->buf[i] == '\n' ? i : i + 1;
            printf("%-*s | %.*s\n", width, f->name, (int)(end - start), f->buf + start);
            start = i + 1;
        }
    memmove(f->buf, f->buf + start, f->len - start);
    f->len -= start;
    fflush(stdout);
}

/* Reads the followers until all end (every container exited) or a
 * signal comes; true for the signal. */
static bool pump_logs(struct follower *f, size_t n, int sfd, int width)
{
    struct pollfd *pf = xzalloc((n + 1) * sizeof(*pf));
    size_t open_n = n;
    bool sig = false;
    while (open_n > 0 && !sig) {
        for (size_t i = 0; i < n; i++)
            pf[i] = (struct pollfd){.fd = f[i].fd, .events = POLLIN};
        pf[n] = (struct pollfd){.fd = sfd, .events = POLLIN};
        if (poll(pf, n + 1, -1) < 0)
            continue;
        if (pf[n].revents & POLLIN) {
            struct signalfd_siginfo si;
            sig = read(sfd, &si, sizeof(si)) == sizeof(si); /* consumed: none left pending */
        }
        for (size_t i = 0; i < n && !sig; i++) {
            if (f[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP)))
                continue;
            ssize_t k = read(f[i].fd, f[i].buf + f[i].len, sizeof(f[i].buf) - 1 - f[i].len);
            if (k > 0)
                f[i].len += (size_t)k;
            print_lines(&f[i], width, k <= 0);
            if (k <= 0) {
                close(f[i].fd);
                f[i].fd = -1;
                open_n--;
            }
        }
    }
    free(pf);
    return sig;
}

/* Compose's foreground up: the logs of every service until they all end
 * or Ctrl-C, which stops them (dependents first). */
static int attach_all(const struct up *u)
{
    size_t n = u->p->n_services;
    struct follower *f = xzalloc(n * sizeof(*f));
    int width = 0, rc = 0;
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    /* a shell's background job ignores SIGINT: an ignored signal is never
     * queued for the signalfd */
    signal(SIGINT, SIG_DFL);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    for (size_t i = 0; i < n; i++) {
        f[i].name = ctr_name(u, &u->p->services[i]);
        width = (int)strlen(f[i].name) > width ? (int)strlen(f[i].name) : width;
        f[i].pid = follow_one(f[i].name, &f[i].fd);
    }
    printf("Attaching to %s", f[0].name);
    for (size_t i = 1; i < n; i++)
        printf(", %s", f[i].name);
    printf("\n");
    if (pump_logs(f, n, sfd, width)) {
        static const long stopped[] = {204, 304, 0};
        printf("Gracefully stopping...\n");
        for (size_t k = n; k-- > 0;) {
            const char *name = f[u->p->order[k]].name;
            _cleanup_free_ char *path = xasprintf("/containers/%s/stop", name);
            step("Container", name, "Stopping");
            json_t *j = request("POST", path, NULL, stopped, 0, NULL);
            if (j)
                step("Container", name, "Stopped");
            json_decref(j);
        }
        rc = 130;
    }
    for (size_t i = 0; i < n; i++) {
        if (f[i].pid > 0) {
            kill(f[i].pid, SIGTERM);
            waitpid(f[i].pid, NULL, 0);
        }
        if (f[i].fd >= 0)
            close(f[i].fd);
        free(f[i].name);
    }
    free(f);
    close(sfd);
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
    return rc;
}

int cmd_up(int argc, char **argv)
{
    struct up u = {0};
    int r = parse_flags(argc, argv, &u, true);
    if (r == 0)
        r = load(&u) < 0 || build_images(&u) < 0 || build_bodies(&u) < 0 ? -1 : 0;
    if (r == 0)
        r = ensure_networks(&u) < 0 || ensure_volumes(&u) < 0 || start_all(&u) < 0 ? -1 : 0;
    if (r == 0)
        warn_orphans(&u);
    if (r == 0 && !u.detach)
        r = attach_all(&u);
    up_free(&u);
    return r == 130 ? 130 : r > 0 ? 0 : r < 0 ? 1 : 0;
}

/* A container's place in the stop order: orphans first, then the
 * services in reverse start order. */
static size_t stop_rank(const struct up *u, json_t *c)
{
    const char *svc = label_of(c, L_SERVICE);
    for (size_t k = 0; svc && k < u->p->n_services; k++)
        if (streq(u->p->services[u->p->order[k]].name, svc))
            return u->p->n_services - k;
    return 0;
}

static int down_containers(const struct up *u)
{
    json_t *list = project_containers(u), *c;
    size_t i;
    int r = list ? 0 : -1;
    for (size_t rank = 0; list && rank <= u->p->n_services; rank++)
        json_array_foreach(list, i, c)
        {
            if (stop_rank(u, c) == rank &&
                remove_container(json_string_value(json_object_get(c, "Id")), name_of(c), true) < 0)
                r = -1;
        }
    json_decref(list);
    return r;
}

/* Removes the project's networks, or with `volumes` its volumes: those
 * labelled with the project (berthd lists volumes unfiltered). */
static int down_labelled(const struct up *u, bool volumes)
{
    static const long ok[] = {200, 0}, gone[] = {204, 200, 0};
    _cleanup_free_ char *f = xasprintf("{\"label\":[\"" L_PROJECT "=%s\"]}", u->project);
    _cleanup_free_ char *q = cli_escape(f);
    _cleanup_free_ char *path =
        volumes ? xstrdup("/volumes") : xasprintf("/networks?filters=%s", q);
    json_t *j = request("GET", path, NULL, ok, 0, NULL), *list, *e;
    size_t i;
    int r = j ? 0 : -1;
    list = volumes ? json_object_get(j, "Volumes") : j;
    json_array_foreach(list, i, e)
    {
        const char *name = json_string_value(json_object_get(e, "Name"));
        const char *proj = label_of(e, L_PROJECT);
        if (name == NULL || proj == NULL || !streq(proj, u->project))
            continue;
        _cleanup_free_ char *qn = cli_escape(name);
        _cleanup_free_ char *dpath = xasprintf("/%s/%s", volumes ? "volumes" : "networks", qn);
        step(volumes ? "Volume" : "Network", name, "Removing");
        json_t *d = request("DELETE", dpath, NULL, gone, 0, NULL);
        if (d == NULL) {
            r = -1;
            continue;
        }
        json_decref(d);
        step(volumes ? "Volume" : "Network", name, "Removed");
    }
    json_decref(j);
    return r;
}

int cmd_down(int argc, char **argv)
{
    struct up u = {0};
    int r = parse_flags(argc, argv, &u, false);
    if (r == 0)
        r = load(&u);
    if (r == 0) {
        r = down_containers(&u);
        r = down_labelled(&u, false) < 0 ? -1 : r;
        if (u.volumes)
            r = down_labelled(&u, true) < 0 ? -1 : r;
    }
    up_free(&u);
    return r > 0 ? 0 : r < 0 ? 1 : 0;
}
