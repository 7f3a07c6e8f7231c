/* Workload files (wlfile.h): the keys of a service, each read by its own
 * function from a table that says which form (reference, Compose) knows
 * it. */
#include "wlfile-internal.h"
#include "cleanup.h"
#include "error.h"
#include "ports.h"
#include "units.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int k_image(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    const char *str;
    if (wl_want_scalar(c, v, key, &str) < 0)
        return -EINVAL;
    free(s->image);
    s->image = xstrdup(str);
    s->image_given = true;
    return 0;
}

static int k_command(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    return wl_read_argv(c, v, key, &s->command);
}

static int k_entrypoint(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    return wl_read_argv(c, v, key, &s->entrypoint);
}

/* One environment entry; a KEY without a value takes the caller's, as
 * Compose does, or is left out. */
static int env_add(struct ctx *c, struct wl_service *s, const yaml_node_t *at, const char *k,
                   const char *v)
{
    char w[300];
    if (*k == '\0' || strchr(k, '='))
        return wl_fail(c, at, "invalid environment variable name '%s' %s", k,
                       wl_where(c, w, sizeof(w)));
    if (v == NULL)
        v = getenv(k);
    if (v)
        json_array_append_new(s->env, json_sprintf("%s=%s", k, v));
    return 0;
}

static int k_env(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    if (v->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
             p++) {
            yaml_node_t *kn = wl_node(c, p->key), *vn = wl_node(c, p->value);
            const char *k, *val = NULL;
            if (wl_want_scalar(c, kn, key, &k) < 0 ||
                (!wl_is_null(vn) && wl_want_scalar(c, vn, key, &val) < 0) ||
                env_add(c, s, kn, k, val) < 0)
                return -EINVAL;
        }
        return 0;
    }
    if (wl_want_kind(c, v, YAML_SEQUENCE_NODE, key) < 0)
        return -EINVAL;
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
        const char *e;
        if (wl_want_scalar(c, wl_node(c, *i), key, &e) < 0)
            return -EINVAL;
        _cleanup_free_ char *k = xstrdup(e);
        char *eq = strchr(k, '=');
        if (eq)
            *eq++ = '\0';
        if (env_add(c, s, wl_node(c, *i), k, eq) < 0)
            return -EINVAL;
    }
    return 0;
}

/* The container side of a -p spec: PORT[-PORT][/tcp|udp|sctp]. */
static bool port_ok(const char *spec)
{
    const char *colon = strrchr(spec, ':');
    _cleanup_free_ char *ctr = xstrdup(colon ? colon + 1 : spec);
    char *slash = strchr(ctr, '/');
    unsigned lo, hi;
    if (slash) {
        *slash++ = '\0';
        if (!streq(slash, "tcp") && !streq(slash, "udp") && !streq(slash, "sctp"))
            return false;
    }
    return berth_port_range(ctr, &lo, &hi);
}

static int k_ports(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    char w[300];
    if (wl_want_kind(c, v, YAML_SEQUENCE_NODE, key) < 0)
        return -EINVAL;
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
        const char *e;
        if (wl_want_scalar(c, wl_node(c, *i), key, &e) < 0)
            return -EINVAL;
        if (!port_ok(e))
            return wl_fail(c, wl_node(c, *i), "invalid port '%s' %s", e, wl_where(c, w, sizeof(w)));
        json_array_append_new(s->ports, json_string(e));
    }
    return 0;
}

static bool declared_volume(const struct wl_project *p, const char *name)
{
    for (size_t i = 0; i < p->n_volumes; i++)
        if (streq(p->volumes[i].name, name))
            return true;
    return false;
}

/* SRC:DST[:MODE] or DST; a SRC that is no path names a declared volume. */
static int volume_ok(struct ctx *c, const yaml_node_t *at, const char *spec)
{
    char w[300];
    _cleanup_free_ char *src = xstrdup(spec);
    char *dst = strchr(src, ':');
    if (dst)
        *dst++ = '\0';
    char *mode = dst ? strchr(dst, ':') : NULL;
    if (mode)
        *mode++ = '\0';
    const char *target = dst ? dst : src;
    if (*target != '/')
        return wl_fail(c, at, "invalid volume '%s' %s: the container path must be absolute", spec,
                       wl_where(c, w, sizeof(w)));
    if (mode && !streq(mode, "ro") && !streq(mode, "rw"))
        return wl_fail(c, at, "invalid volume '%s' %s: mode 'ro' or 'rw' expected", spec,
                       wl_where(c, w, sizeof(w)));
    if (dst && *src != '/' && *src != '.' && *src != '~' && !declared_volume(c->p, src))
        return wl_fail(c, at, "service '%s' refers to undefined volume '%s'", c->svc, src);
    return 0;
}

static int k_volumes(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    if (wl_want_kind(c, v, YAML_SEQUENCE_NODE, key) < 0)
        return -EINVAL;
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
        yaml_node_t *item = wl_node(c, *i);
        const char *e;
        _cleanup_free_ char *long_form = NULL;
        if (item->type == YAML_MAPPING_NODE) {
            if ((long_form = wl_long_volume(c, s, item)) == NULL)
                return -EINVAL;
            if (*long_form == '\0')
                continue; /* a tmpfs: a flag */
            e = long_form;
        } else if (wl_want_scalar(c, item, key, &e) < 0) {
            return -EINVAL;
        }
        if (volume_ok(c, item, e) < 0)
            return -EINVAL;
        json_array_append_new(s->volumes, json_string(e));
    }
    return 0;
}

/* secrets: and configs: of a service: NAME, or {source, target}; a
 * secret's relative target is under /run/secrets, a config's under /. */
static int k_files(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    char w[300];
    bool secret = streq(key, "secrets");
    json_t *declared = secret ? c->p->secrets : c->p->configs;
    if (wl_want_kind(c, v, YAML_SEQUENCE_NODE, key) < 0)
        return -EINVAL;
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
        yaml_node_t *item = wl_node(c, *i);
        const char *source = NULL, *target = NULL;
        if (item->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = item->data.mapping.pairs.start;
                 p < item->data.mapping.pairs.top; p++) {
                yaml_node_t *kn = wl_node(c, p->key);
                const char *k = wl_scalar(kn);
                if (k == NULL || (!streq(k, "source") && !streq(k, "target")))
                    return wl_fail(c, kn, "'%s' of %s %s is not supported by berth", k ? k : "?",
                                   key, wl_where(c, w, sizeof(w)));
                if (wl_want_scalar(c, wl_node(c, p->value), k,
                                   streq(k, "source") ? &source : &target) < 0)
                    return -EINVAL;
            }
        } else if (wl_want_scalar(c, item, key, &source) < 0) {
            return -EINVAL;
        }
        const char *file = source ? json_string_value(json_object_get(declared, source)) : NULL;
        if (file == NULL)
            return wl_fail(c, item, "service '%s' refers to undefined %.*s '%s'", c->svc,
                           (int)strlen(key) - 1, key, source ? source : "");
        const char *t = target && *target ? target : source;
        if (strstr(t, ".."))
            return wl_fail(c, item, "invalid target '%s' %s", t, wl_where(c, w, sizeof(w)));
        char *abs = *t == '/' ? xstrdup(t) : xasprintf("%s/%s", secret ? "/run/secrets" : "", t);
        json_array_append_new(s->files, json_pack("{s:s,s:s,s:s+}", "source", file, "target", abs,
                                                  "what", secret ? "secret " : "config ", source));
        free(abs);
    }
    return 0;
}

static int network_add(struct ctx *c, struct wl_service *s, const yaml_node_t *at, const char *name)
{
    bool known = streq(name, "default");
    for (size_t i = 0; i < c->p->n_networks && !known; i++)
        known = streq(c->p->networks[i].name, name);
    if (!known)
        return wl_fail(c, at, "service '%s' refers to undefined network '%s'", c->svc, name);
    json_array_append_new(s->networks, json_string(name));
    return 0;
}

static int k_networks(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    char w[300];
    const char *e;
    if (v->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
             p++) {
            yaml_node_t *vn = wl_node(c, p->value);
            if (wl_want_scalar(c, wl_node(c, p->key), key, &e) < 0)
                return -EINVAL;
            if (!wl_is_null(vn) && vn->type != YAML_MAPPING_NODE)
                return wl_fail(c, vn, "the settings of network '%s' %s must be a mapping", e,
                               wl_where(c, w, sizeof(w)));
            if (network_add(c, s, wl_node(c, p->key), e) < 0 ||
                (!wl_is_null(vn) && wl_network_settings(c, s, e, vn) < 0))
                return -EINVAL;
        }
        return 0;
    }
    if (wl_want_kind(c, v, YAML_SEQUENCE_NODE, key) < 0)
        return -EINVAL;
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++)
        if (wl_want_scalar(c, wl_node(c, *i), key, &e) < 0 ||
            network_add(c, s, wl_node(c, *i), e) < 0)
            return -EINVAL;
    return 0;
}

static int k_network_mode(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    const char *m;
    if (wl_want_scalar(c, v, key, &m) < 0)
        return -EINVAL;
    if (wl_service_ref(c, s, v, key, m) < 0)
        return -EINVAL;
    free(s->network_mode);
    s->network_mode = xstrdup(m);
    return 0;
}

static void dep_add(struct wl_service *s, const char *name, enum wl_condition cond, int line)
{
    s->deps = xrealloc(s->deps, (s->n_deps + 1) * sizeof(*s->deps));
    s->deps[s->n_deps++] = (struct wl_dep){xstrdup(name), cond, line};
}

int wl_service_ref(struct ctx *c, struct wl_service *s, const yaml_node_t *v, const char *key,
                   const char *value)
{
    char w[300];
    if (strncmp(value, "service:", 8) != 0)
        return 0;
    if (value[8] == '\0' || streq(value + 8, s->name))
        return wl_fail(c, v, "invalid %s '%s' %s: another service's name expected", key, value,
                       wl_where(c, w, sizeof(w)));
    for (size_t i = 0; i < s->n_deps; i++)
        if (streq(s->deps[i].service, value + 8))
            return 0;
    dep_add(s, value + 8, WL_SERVICE_STARTED, (int)v->start_mark.line + 1);
    return 0;
}

static int dep_condition(struct ctx *c, yaml_node_t *v, enum wl_condition *ret)
{
    static const char *const names[] = {"service_started", "service_healthy",
                                        "service_completed_successfully"};
    char w[300];
    const char *cond;
    if (wl_is_null(v))
        return 0;
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, "depends_on") < 0)
        return -EINVAL;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k = wl_scalar(wl_node(c, p->key));
        if (k == NULL || (!streq(k, "condition") && !streq(k, "required")))
            return wl_fail(c, wl_node(c, p->key), "unknown key '%s' in depends_on %s", k ? k : "?",
                           wl_where(c, w, sizeof(w)));
        if (streq(k, "required")) {
            if (wl_boolean(wl_node(c, p->value)) != 1)
                return wl_fail(c, wl_node(c, p->value),
                               "depends_on 'required: false' %s is not supported by berth",
                               wl_where(c, w, sizeof(w)));
            continue;
        }
        if (wl_want_scalar(c, wl_node(c, p->value), "condition", &cond) < 0)
            return -EINVAL;
        size_t i = 0;
        while (i < ARRAY_SIZE(names) && !streq(names[i], cond))
            i++;
        if (i == ARRAY_SIZE(names))
            return wl_fail(c, wl_node(c, p->value),
                           "invalid depends_on condition '%s' %s: service_started, "
                           "service_healthy or service_completed_successfully expected",
                           cond, wl_where(c, w, sizeof(w)));
        *ret = (enum wl_condition)i;
    }
    return 0;
}

static int k_depends_on(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    const char *e;
    if (v->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
             p++) {
            enum wl_condition cond = WL_SERVICE_STARTED;
            yaml_node_t *kn = wl_node(c, p->key);
            if (wl_want_scalar(c, kn, key, &e) < 0 ||
                dep_condition(c, wl_node(c, p->value), &cond) < 0)
                return -EINVAL;
            dep_add(s, e, cond, (int)kn->start_mark.line + 1);
        }
        return 0;
    }
    if (wl_want_kind(c, v, YAML_SEQUENCE_NODE, key) < 0)
        return -EINVAL;
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
        if (wl_want_scalar(c, wl_node(c, *i), key, &e) < 0)
            return -EINVAL;
        dep_add(s, e, WL_SERVICE_STARTED, (int)wl_node(c, *i)->start_mark.line + 1);
    }
    return 0;
}

static bool restart_ok(const char *r)
{
    unsigned long long n;
    if (streq(r, "no") || streq(r, "always") || streq(r, "unless-stopped") ||
        streq(r, "on-failure"))
        return true;
    return strncmp(r, "on-failure:", 11) == 0 && parse_u64(r + 11, &n) == 0;
}

static int k_restart(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    char w[300];
    const char *r =
        wl_boolean(v) == 0 ? "no" : wl_scalar(v); /* YAML 1.1 reads a bare no as false */
    if (r == NULL || wl_is_null(v))
        return wl_want_scalar(c, v, key, &r);
    if (!restart_ok(r))
        return wl_fail(c, v,
                       "invalid restart policy '%s' %s: no, always, unless-stopped or "
                       "on-failure[:N] expected",
                       r, wl_where(c, w, sizeof(w)));
    free(s->restart);
    s->restart = xstrdup(r);
    return 0;
}

/* A positive number of CPUs ("2", "0.5") into nanoCPUs. */
static int read_cpus(struct ctx *c, yaml_node_t *v, const char *key, int64_t *ret)
{
    char w[300], *end;
    const char *str;
    if (wl_want_scalar(c, v, key, &str) < 0)
        return -EINVAL;
    errno = 0;
    double d = strtod(str, &end);
    if (errno || end == str || *end || !isdigit((unsigned char)*str) || !(d > 0) || d > 1e6)
        return wl_fail(c, v, "invalid %s '%s' %s: a positive number of CPUs expected", key, str,
                       wl_where(c, w, sizeof(w)));
    *ret = (int64_t)(d * 1e9 + 0.5);
    return *ret > 0 ? 0
                    : wl_fail(c, v, "invalid %s '%s' %s: too small", key, str,
                              wl_where(c, w, sizeof(w)));
}

static int read_size(struct ctx *c, yaml_node_t *v, const char *key, int64_t *ret)
{
    char w[300];
    const char *str;
    if (wl_want_scalar(c, v, key, &str) < 0)
        return -EINVAL;
    if (berth_parse_size(str, ret) < 0 || *ret <= 0)
        return wl_fail(c, v, "invalid %s '%s' %s: a size such as 512M or 1G expected", key, str,
                       wl_where(c, w, sizeof(w)));
    return 0;
}

static int k_cpus(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    return read_cpus(c, v, key, &s->nano_cpus);
}

static int k_memory(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    return read_size(c, v, key, &s->memory);
}

static int k_memory_soft(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    return read_size(c, v, key, &s->memory_soft);
}

static int k_cpuset(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    char w[300];
    const char *str;
    if (wl_want_scalar(c, v, key, &str) < 0)
        return -EINVAL;
    bool ok = *str != '\0';
    if (strncmp(str, "auto", 4) == 0)
        ok = str[4] == '\0' ||
             (str[4] == ':' && str[5] && strspn(str + 5, "0123456789") == strlen(str + 5));
    else
        ok = ok && strspn(str, "0123456789,-") == strlen(str);
    if (!ok)
        return wl_fail(c, v, "invalid cpuset '%s' %s: CPUs such as 0-1,3 or auto[:N] expected", str,
                       wl_where(c, w, sizeof(w)));
    free(s->cpuset);
    s->cpuset = xstrdup(str);
    return 0;
}

/* Docker's DeviceRequests entry for GPUs: Count -1 is "all". */
static json_t *gpu_request(json_int_t count, json_t *ids, const char *driver)
{
    json_t *r = json_pack("{s:s,s:I,s:[[s]],s:{}}", "Driver", driver ? driver : "", "Count", count,
                          "Capabilities", "gpu", "Options");
    json_object_set_new(r, "DeviceIDs", ids ? ids : json_array());
    return r;
}

static void request_add(struct wl_service *s, json_t *r)
{
    if (s->device_requests == NULL)
        s->device_requests = json_array();
    json_array_append_new(s->device_requests, r);
}

/* gpu: true (one), false, a count, all, or device ids (a list or "0,1"). */
static int k_gpu(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    char w[300];
    const char *str = wl_scalar(v);
    unsigned long long n;
    json_t *ids = NULL;
    if (wl_boolean(v) >= 0) {
        if (wl_boolean(v) == 1)
            request_add(s, gpu_request(1, NULL, NULL));
        return 0;
    }
    if (v->type == YAML_SEQUENCE_NODE) {
        if (wl_read_argv(c, v, key, &ids) < 0)
            return -EINVAL;
    } else if (str == NULL || wl_is_null(v) || *str == '\0') {
        return wl_fail(c, v, "invalid gpu %s: true, a count, all or device ids expected",
                       wl_where(c, w, sizeof(w)));
    } else if (streq(str, "all") || parse_u64(str, &n) == 0) {
        if (!streq(str, "all") && (n == 0 || n > 1024))
            return wl_fail(c, v, "invalid gpu count '%s' %s", str, wl_where(c, w, sizeof(w)));
        request_add(s, gpu_request(streq(str, "all") ? -1 : (json_int_t)n, NULL, NULL));
        return 0;
    } else {
        ids = json_array();
        _cleanup_free_ char *copy = xstrdup(str);
        for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(ids, json_string(t));
    }
    if (json_array_size(ids) == 0)
        return json_decref(ids),
               wl_fail(c, v, "invalid gpu %s: no device ids", wl_where(c, w, sizeof(w)));
    request_add(s, gpu_request(0, ids, NULL));
    return 0;
}

/* init: true|false (Compose; also in the reference form) */
static int k_init(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    char w[300];
    int b = wl_boolean(v);
    if (b < 0)
        return wl_fail(c, v, "invalid %s %s: true or false expected", key,
                       wl_where(c, w, sizeof(w)));
    s->init = b == 1;
    return 0;
}

static int k_healthcheck(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key);
static int k_deploy(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key);

typedef int (*key_fn)(struct ctx *, struct wl_service *, yaml_node_t *, const char *);
static const struct skey {
    const char *name;
    key_fn fn;
    unsigned forms;
} service_keys[] = {
    {"image", k_image, F_BOTH},
    {"command", k_command, F_BOTH},
    {"restart", k_restart, F_BOTH},
    {"init", k_init, F_BOTH},
    {"cpuset", k_cpuset, F_BOTH},
    {"gpu", k_gpu, F_BOTH},
    {"memory_soft", k_memory_soft, F_BOTH},
    {"cpu", k_cpus, F_BOTH},
    {"memory", k_memory, F_BOTH},
    {"env", k_env, F_REF},
    {"environment", k_env, F_COMPOSE},
    {"entrypoint", k_entrypoint, F_COMPOSE},
    {"ports", k_ports, F_COMPOSE},
    {"volumes", k_volumes, F_COMPOSE},
    {"networks", k_networks, F_COMPOSE},
    {"network_mode", k_network_mode, F_COMPOSE},
    {"depends_on", k_depends_on, F_COMPOSE},
    {"healthcheck", k_healthcheck, F_COMPOSE},
    {"cpus", k_cpus, F_COMPOSE},
    {"mem_limit", k_memory, F_COMPOSE},
    {"mem_reservation", k_memory_soft, F_COMPOSE},
    {"deploy", k_deploy, F_COMPOSE},
    {"secrets", k_files, F_COMPOSE},
    {"configs", k_files, F_COMPOSE},
};

static int health_test(struct ctx *c, yaml_node_t *v, json_t *h)
{
    char w[300];
    json_t *t = NULL;
    const char *str = wl_scalar(v);
    if (str && !wl_is_null(v)) {
        json_object_set_new(h, "Test", json_pack("[s,s]", "CMD-SHELL", str));
        return 0;
    }
    if (wl_read_argv(c, v, "test", &t) < 0)
        return -EINVAL;
    const char *kind = json_string_value(json_array_get(t, 0));
    if (kind == NULL ||
        (!streq(kind, "NONE") && !streq(kind, "CMD") && !streq(kind, "CMD-SHELL")) ||
        (!streq(kind, "NONE") && json_array_size(t) < 2)) {
        json_decref(t);
        return wl_fail(c, v,
                       "invalid healthcheck test %s: a string, or a list starting with CMD, "
                       "CMD-SHELL or NONE expected",
                       wl_where(c, w, sizeof(w)));
    }
    json_object_set_new(h, "Test", t);
    return 0;
}

static int health_value(struct ctx *c, const char *k, yaml_node_t *v, json_t *h)
{
    static const char *const durations[][2] = {{"interval", "Interval"},
                                               {"timeout", "Timeout"},
                                               {"start_period", "StartPeriod"},
                                               {"start_interval", "StartInterval"}};
    char w[300];
    const char *str;
    if (streq(k, "test"))
        return health_test(c, v, h);
    if (streq(k, "disable")) {
        if (wl_boolean(v) < 0)
            return wl_fail(c, v, "healthcheck 'disable' %s must be true or false",
                           wl_where(c, w, sizeof(w)));
        if (wl_boolean(v) == 1)
            json_object_set_new(h, "Test", json_pack("[s]", "NONE"));
        return 0;
    }
    if (wl_want_scalar(c, v, k, &str) < 0)
        return -EINVAL;
    if (streq(k, "retries")) {
        unsigned long long n;
        if (parse_u64(str, &n) < 0 || n > INT32_MAX)
            return wl_fail(c, v, "invalid healthcheck retries '%s' %s", str,
                           wl_where(c, w, sizeof(w)));
        json_object_set_new(h, "Retries", json_integer((json_int_t)n));
        return 0;
    }
    for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
        uint64_t ns;
        if (!streq(k, durations[i][0]))
            continue;
        if (berth_parse_duration(str, &ns) < 0 || ns > INT64_MAX)
            return wl_fail(c, v, "invalid healthcheck %s '%s' %s: a duration such as 5s expected",
                           k, str, wl_where(c, w, sizeof(w)));
        json_object_set_new(h, durations[i][1], json_integer((json_int_t)ns));
        return 0;
    }
    return wl_fail(c, v, "unknown key '%s' in healthcheck %s", k, wl_where(c, w, sizeof(w)));
}

static int k_healthcheck(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, key) < 0)
        return -EINVAL;
    json_t *h = json_object();
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k;
        if (wl_want_scalar(c, wl_node(c, p->key), key, &k) < 0 ||
            health_value(c, k, wl_node(c, p->value), h) < 0)
            return json_decref(h), -EINVAL;
    }
    json_decref(s->healthcheck);
    s->healthcheck = h;
    return 0;
}

/* deploy.resources.reservations.devices[]: {capabilities: [gpu], count,
 * device_ids, driver}. Only GPUs: berth has no other device driver. */
static int deploy_device(struct ctx *c, struct wl_service *s, yaml_node_t *d)
{
    char w[300];
    json_int_t count = 0;
    json_t *ids = NULL, *caps = NULL;
    const char *driver = NULL, *k, *str;
    if (wl_want_kind(c, d, YAML_MAPPING_NODE, "devices") < 0)
        return -EINVAL;
    for (yaml_node_pair_t *p = d->data.mapping.pairs.start; p < d->data.mapping.pairs.top; p++) {
        yaml_node_t *v = wl_node(c, p->value);
        unsigned long long n;
        int r = wl_want_scalar(c, wl_node(c, p->key), "devices", &k);
        if (r == 0 && streq(k, "capabilities"))
            r = wl_read_argv(c, v, k, &caps);
        else if (r == 0 && streq(k, "device_ids"))
            r = wl_read_argv(c, v, k, &ids);
        else if (r == 0 && streq(k, "driver"))
            r = wl_want_scalar(c, v, k, &driver);
        else if (r == 0 && streq(k, "count") && (r = wl_want_scalar(c, v, k, &str)) == 0)
            count = streq(str, "all")                      ? -1
                    : parse_u64(str, &n) == 0 && n <= 1024 ? (json_int_t)n
                                                           : 0;
        else if (r == 0)
            r = wl_fail(c, wl_node(c, p->key), "unknown key '%s' in deploy devices %s", k,
                        wl_where(c, w, sizeof(w)));
        if (r < 0)
            return json_decref(ids), json_decref(caps), -EINVAL;
    }
    bool gpu = false;
    for (size_t i = 0; i < json_array_size(caps); i++)
        gpu = gpu || streq(json_string_value(json_array_get(caps, i)), "gpu");
    json_decref(caps);
    if (!gpu || (count == 0 && json_array_size(ids) == 0)) {
        json_decref(ids);
        return wl_fail(c, d,
                       "deploy device %s: only capabilities [gpu] with a count or device_ids "
                       "is supported by berth",
                       wl_where(c, w, sizeof(w)));
    }
    request_add(s, gpu_request(ids ? 0 : count, ids, driver));
    return 0;
}

static int deploy_limits(struct ctx *c, struct wl_service *s, yaml_node_t *v, bool limits)
{
    char w[300];
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, limits ? "limits" : "reservations") < 0)
        return -EINVAL;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = wl_node(c, p->key), *vn = wl_node(c, p->value);
        const char *k = wl_scalar(kn);
        int r;
        if (k && streq(k, "memory"))
            r = read_size(c, vn, k, limits ? &s->memory : &s->memory_soft);
        else if (k && streq(k, "cpus") && limits)
            r = read_cpus(c, vn, k, &s->nano_cpus);
        else if (k && streq(k, "devices") && !limits && vn->type == YAML_SEQUENCE_NODE) {
            r = 0;
            for (yaml_node_item_t *i = vn->data.sequence.items.start;
                 r == 0 && i < vn->data.sequence.items.top; i++)
                r = deploy_device(c, s, wl_node(c, *i));
        } else if (k && streq(k, "cpus"))
            r = wl_fail(c, kn, "deploy.resources.reservations.cpus %s is not supported by berth",
                        wl_where(c, w, sizeof(w)));
        else
            r = wl_fail(c, kn, "unknown key '%s' in deploy.resources.%s %s", k ? k : "?",
                        limits ? "limits" : "reservations", wl_where(c, w, sizeof(w)));
        if (r < 0)
            return -EINVAL;
    }
    return 0;
}

static int k_deploy(struct ctx *c, struct wl_service *s, yaml_node_t *v, const char *key)
{
    char w[300];
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, key) < 0)
        return -EINVAL;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = wl_node(c, p->key), *res = wl_node(c, p->value);
        const char *k = wl_scalar(kn);
        if (k == NULL || !streq(k, "resources"))
            return wl_fail(c, kn, "unknown key '%s' in deploy %s", k ? k : "?",
                           wl_where(c, w, sizeof(w)));
        if (wl_want_kind(c, res, YAML_MAPPING_NODE, "resources") < 0)
            return -EINVAL;
        for (yaml_node_pair_t *q = res->data.mapping.pairs.start; q < res->data.mapping.pairs.top;
             q++) {
            const char *rk = wl_scalar(wl_node(c, q->key));
            if (rk && (streq(rk, "limits") || streq(rk, "reservations"))) {
                if (deploy_limits(c, s, wl_node(c, q->value), streq(rk, "limits")) < 0)
                    return -EINVAL;
            } else {
                return wl_fail(c, wl_node(c, q->key), "unknown key '%s' in deploy.resources %s",
                               rk ? rk : "?", wl_where(c, w, sizeof(w)));
            }
        }
    }
    return 0;
}

int wl_service_key(struct ctx *c, struct wl_service *s, yaml_node_t *kn, yaml_node_t *vn)
{
    char w[300];
    const char *k = wl_scalar(kn);
    if (k && c->form == F_COMPOSE && strncmp(k, "x-", 2) == 0)
        return 0;
    for (size_t i = 0; k && i < ARRAY_SIZE(service_keys); i++)
        if (streq(service_keys[i].name, k) && (service_keys[i].forms & c->form))
            return service_keys[i].fn(c, s, vn, k);
    int r = k && c->form == F_COMPOSE ? wl_flag_key(c, s, k, kn, vn) : 1;
    if (r <= 0)
        return r;
    return wl_fail(c, kn, "unknown key '%s' %s", k ? k : "?", wl_where(c, w, sizeof(w)));
}
