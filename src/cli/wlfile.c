/* Workload files (wlfile.h): libyaml's document tree walked once, each key
 * through a table of the keys its form knows, every error "FILE:LINE:
 * what" from the node's start mark. Walking only the shapes the schema
 * names (never arbitrary nesting) keeps aliases from multiplying work. */
#include "wlfile.h"
#include "wlfile-internal.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

int wl_fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    _cleanup_free_ char *msg = NULL;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    return berth_error_set(c->err, EINVAL, "%s:%zu: %s", c->file, n ? n->start_mark.line + 1 : 1,
                           msg);
}

yaml_node_t *wl_node(struct ctx *c, int i)
{
    return yaml_document_get_node(c->doc, i);
}

const char *wl_scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool wl_is_null(const yaml_node_t *n)
{
    const char *s = wl_scalar(n);
    return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (*s == '\0' || streq(s, "~") || streq(s, "null") || streq(s, "Null") ||
            streq(s, "NULL"));
}

/* YAML 1.1's booleans, plain only ("yes" in quotes is a string). */
int wl_boolean(const yaml_node_t *n)
{
    static const char *const t[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char *const f[] = {"false", "False", "FALSE", "no", "No",
                                    "NO",    "off",   "Off",   "OFF"};
    const char *s = wl_scalar(n);
    if (s == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return -1;
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        if (streq(s, t[i]))
            return 1;
        if (streq(s, f[i]))
            return 0;
    }
    return -1;
}

/* "in service 'x'" or "at the top level", for messages. */
const char *wl_where(struct ctx *c, char *buf, size_t len)
{
    if (c->svc)
        snprintf(buf, len, "in service '%s'", c->svc);
    else
        snprintf(buf, len, "at the top level");
    return buf;
}

int wl_want_scalar(struct ctx *c, const yaml_node_t *n, const char *key, const char **ret)
{
    char w[300];
    *ret = wl_scalar(n);
    if (*ret == NULL || wl_is_null(n))
        return wl_fail(c, n, "'%s' %s must be a string", key, wl_where(c, w, sizeof(w)));
    return 0;
}

int wl_want_kind(struct ctx *c, const yaml_node_t *n, yaml_node_type_t t, const char *key)
{
    char w[300];
    if (n->type == t)
        return 0;
    return wl_fail(c, n, "'%s' %s must be a %s", key, wl_where(c, w, sizeof(w)),
                   t == YAML_MAPPING_NODE ? "mapping" : "list");
}

json_t *wl_shell_split(const char *s)
{
    json_t *a = json_array();
    _cleanup_free_ char *w = xmalloc(strlen(s) + 1);
    size_t n = 0;
    bool in_word = false, dangling = false;
    char q = 0;
    for (; *s; s++) {
        if (q == '\'' && *s != '\'') {
            w[n++] = *s;
        } else if (q == '"' && *s == '\\' && strchr("\"\\$`", s[1]) && s[1]) {
            w[n++] = *++s;
        } else if (q && *s == q) {
            q = 0;
        } else if (q) {
            w[n++] = *s;
        } else if (*s == '\'' || *s == '"') {
            q = *s, in_word = true;
        } else if (*s == '\\') {
            if (*++s == '\0') {
                dangling = true;
                break;
            }
            w[n++] = *s, in_word = true;
        } else if (isspace((unsigned char)*s)) {
            if (in_word)
                json_array_append_new(a, json_stringn(w, n));
            n = 0, in_word = false;
        } else {
            w[n++] = *s, in_word = true;
        }
    }
    if (q || dangling) {
        json_decref(a);
        return NULL;
    }
    if (in_word)
        json_array_append_new(a, json_stringn(w, n));
    return a;
}

/* A string (shell words) or a list of strings; NULL node: none. */
int wl_read_argv(struct ctx *c, const yaml_node_t *n, const char *key, json_t **ret)
{
    char w[300];
    const char *s = wl_scalar(n);
    if (wl_is_null(n))
        return 0;
    if (s) {
        json_t *a = wl_shell_split(s);
        if (a == NULL)
            return wl_fail(c, n, "'%s' %s has an unterminated quote or escape", key,
                           wl_where(c, w, sizeof(w)));
        json_decref(*ret);
        *ret = a;
        return 0;
    }
    if (wl_want_kind(c, n, YAML_SEQUENCE_NODE, key) < 0)
        return -EINVAL;
    json_t *a = json_array();
    for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
        const char *e;
        if (wl_want_scalar(c, wl_node(c, *i), key, &e) < 0)
            return json_decref(a), -EINVAL;
        json_array_append_new(a, json_string(e));
    }
    json_decref(*ret);
    *ret = a;
    return 0;
}

/* Names as Compose allows them: they become container names. */
bool wl_name_ok(const char *n, size_t max)
{
    if (!isalnum((unsigned char)*n) || strlen(n) > max)
        return false;
    for (; *n; n++)
        if (!isalnum((unsigned char)*n) && !strchr("_.-", *n))
            return false;
    return true;
}

static struct wl_service *service_new(struct ctx *c, const char *name, const yaml_node_t *at)
{
    struct wl_project *p = c->p;
    p->services = xrealloc(p->services, (p->n_services + 1) * sizeof(*p->services));
    struct wl_service *s = &p->services[p->n_services++];
    *s = (struct wl_service){.name = xstrdup(name),
                             .line = (int)at->start_mark.line + 1,
                             /* the seeds' workloads (stress, cpu_hog...) are
                              * in berth's workloads image: the reference
                              * form's default; Compose's is busybox */
                             .image = xstrdup(c->form == F_COMPOSE ? "busybox" : "berth-workloads"),
                             .env = json_array(),
                             .ports = json_array(),
                             .volumes = json_array(),
                             .networks = json_array(),
                             .flags = json_array(),
                             .net_opts = json_object(),
                             .files = json_array()};
    return s;
}

/* One service: `body` a mapping; `name` NULL for the reference form,
 * whose `name` key names it, else `fallback` (NULL: in a list, none). */
static int read_service(struct ctx *c, const char *name, const char *fallback, yaml_node_t *at,
                        yaml_node_t *body)
{
    if (body->type != YAML_MAPPING_NODE && !(c->form == F_COMPOSE && wl_is_null(body)))
        return wl_fail(c, body, "a workload must be a mapping");
    for (yaml_node_pair_t *p = body->data.mapping.pairs.start;
         body->type == YAML_MAPPING_NODE && name == NULL && p < body->data.mapping.pairs.top; p++)
        if (wl_scalar(wl_node(c, p->key)) && streq(wl_scalar(wl_node(c, p->key)), "name") &&
            wl_want_scalar(c, wl_node(c, p->value), "name", &name) < 0)
            return -EINVAL;
    if (name == NULL)
        name = fallback;
    if (name == NULL)
        return wl_fail(c, at, "a workload in a list needs a 'name'");
    if (!wl_name_ok(name, 63))
        return wl_fail(
            c, at, "invalid service name '%s': letters, digits, '_', '.' and '-' expected", name);
    if (wl_service_find(c->p, name))
        return wl_fail(c, at, "service '%s' is defined twice", name);
    struct wl_service *s = service_new(c, name, at);
    c->svc = s->name;
    for (yaml_node_pair_t *p = body->data.mapping.pairs.start;
         body->type == YAML_MAPPING_NODE && p < body->data.mapping.pairs.top; p++) {
        const char *k = wl_scalar(wl_node(c, p->key));
        if (c->form == F_REF && k && streq(k, "name"))
            continue;
        /* wl_service_find may move services: re-read s each time */
        if (wl_service_key(c, &c->p->services[c->p->n_services - 1], wl_node(c, p->key),
                           wl_node(c, p->value)) < 0)
            return -EINVAL;
    }
    c->svc = NULL;
    return 0;
}

/* ipam: {driver: default, config: [{subnet: CIDR, gateway: IP}]} */
static int network_ipam(struct ctx *c, struct wl_network *n, yaml_node_t *v)
{
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, "ipam") < 0)
        return -EINVAL;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = wl_node(c, p->key), *vn = wl_node(c, p->value);
        const char *k = wl_scalar(kn), *d = wl_scalar(vn);
        if (k && streq(k, "driver") && d && streq(d, "default"))
            continue;
        if (!k || !streq(k, "config"))
            return wl_fail(c, kn, "ipam '%s' of network '%s' is not supported by berth",
                           k ? k : "?", n->name);
        if (wl_want_kind(c, vn, YAML_SEQUENCE_NODE, "config") < 0)
            return -EINVAL;
        json_decref(n->ipam);
        n->ipam = json_array();
        for (yaml_node_item_t *i = vn->data.sequence.items.start; i < vn->data.sequence.items.top;
             i++) {
            yaml_node_t *e = wl_node(c, *i);
            json_t *conf = json_object();
            json_array_append_new(n->ipam, conf);
            if (wl_want_kind(c, e, YAML_MAPPING_NODE, "config") < 0)
                return -EINVAL;
            for (yaml_node_pair_t *q = e->data.mapping.pairs.start; q < e->data.mapping.pairs.top;
                 q++) {
                const char *ck = wl_scalar(wl_node(c, q->key)), *cv;
                bool subnet = ck && streq(ck, "subnet");
                if (!subnet && !(ck && streq(ck, "gateway")))
                    return wl_fail(c, wl_node(c, q->key),
                                   "ipam config '%s' of network '%s' is not supported by berth",
                                   ck ? ck : "?", n->name);
                if (wl_want_scalar(c, wl_node(c, q->value), ck, &cv) < 0)
                    return -EINVAL;
                json_object_set_new(conf, subnet ? "Subnet" : "Gateway", json_string(cv));
            }
        }
    }
    return 0;
}

/* Top-level networks: NAME: null | {driver: bridge, internal, external, ipam}. */
static int network_opts(struct ctx *c, struct wl_network *n, yaml_node_t *v)
{
    if (wl_is_null(v))
        return 0;
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, n->name) < 0)
        return -EINVAL;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = wl_node(c, p->key), *vn = wl_node(c, p->value);
        const char *k = wl_scalar(kn), *d = wl_scalar(vn);
        if (k && streq(k, "driver")) {
            if (d == NULL || !streq(d, "bridge"))
                return wl_fail(c, vn,
                               "network driver '%s' of network '%s' is not supported by berth "
                               "(bridge only)",
                               d ? d : "?", n->name);
        } else if (k && (streq(k, "internal") || streq(k, "external"))) {
            if (wl_boolean(vn) < 0)
                return wl_fail(c, vn, "'%s' of network '%s' must be true or false", k, n->name);
            *(streq(k, "internal") ? &n->internal : &n->external) = wl_boolean(vn) == 1;
        } else if (k && streq(k, "ipam")) {
            if (network_ipam(c, n, vn) < 0)
                return -EINVAL;
        } else {
            return wl_fail(c, kn, "unknown key '%s' in network '%s'", k ? k : "?", n->name);
        }
    }
    return 0;
}

static int volume_opts(struct ctx *c, struct wl_volume *vol, yaml_node_t *v)
{
    if (wl_is_null(v))
        return 0;
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, vol->name) < 0)
        return -EINVAL;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = wl_node(c, p->key), *vn = wl_node(c, p->value);
        const char *k = wl_scalar(kn), *d = wl_scalar(vn);
        if (k && streq(k, "driver")) {
            if (d == NULL || !streq(d, "local"))
                return wl_fail(c, vn,
                               "volume driver '%s' of volume '%s' is not supported by berth "
                               "(local only)",
                               d ? d : "?", vol->name);
        } else if (k && streq(k, "external")) {
            if (wl_boolean(vn) < 0)
                return wl_fail(c, vn, "'external' of volume '%s' must be true or false", vol->name);
            vol->external = wl_boolean(vn) == 1;
        } else {
            return wl_fail(c, kn, "unknown key '%s' in volume '%s'", k ? k : "?", vol->name);
        }
    }
    return 0;
}

/* networks: or volumes: at the top level. */
static int read_declared(struct ctx *c, yaml_node_t *v, bool networks)
{
    struct wl_project *p = c->p;
    if (wl_is_null(v))
        return 0;
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, networks ? "networks" : "volumes") < 0)
        return -EINVAL;
    for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
        yaml_node_t *kn = wl_node(c, q->key);
        const char *name;
        if (wl_want_scalar(c, kn, networks ? "networks" : "volumes", &name) < 0)
            return -EINVAL;
        if (!wl_name_ok(name, 63))
            return wl_fail(c, kn, "invalid %s name '%s'", networks ? "network" : "volume", name);
        int r;
        if (networks) {
            p->networks = xrealloc(p->networks, (p->n_networks + 1) * sizeof(*p->networks));
            p->networks[p->n_networks] = (struct wl_network){.name = xstrdup(name)};
            r = network_opts(c, &p->networks[p->n_networks++], wl_node(c, q->value));
        } else {
            p->volumes = xrealloc(p->volumes, (p->n_volumes + 1) * sizeof(*p->volumes));
            p->volumes[p->n_volumes] = (struct wl_volume){.name = xstrdup(name)};
            r = volume_opts(c, &p->volumes[p->n_volumes++], wl_node(c, q->value));
        }
        if (r < 0)
            return -EINVAL;
    }
    return 0;
}

/* secrets: or configs: at the top level: NAME: {file: PATH} each (the
 * other sources Compose has are refused by name). */
static int read_files(struct ctx *c, yaml_node_t *v, const char *kind, json_t *out)
{
    if (wl_is_null(v))
        return 0;
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, kind) < 0)
        return -EINVAL;
    for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
        yaml_node_t *kn = wl_node(c, q->key), *body = wl_node(c, q->value);
        const char *name, *file = NULL;
        if (wl_want_scalar(c, kn, kind, &name) < 0 ||
            wl_want_kind(c, body, YAML_MAPPING_NODE, name) < 0)
            return -EINVAL;
        for (yaml_node_pair_t *p = body->data.mapping.pairs.start; p < body->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = wl_node(c, p->key);
            const char *key = wl_scalar(k);
            if (key == NULL || !streq(key, "file"))
                return wl_fail(c, k, "'%s' of %.*s '%s' is not supported by berth (file: is)",
                               key ? key : "?", (int)strlen(kind) - 1, kind, name);
            if (wl_want_scalar(c, wl_node(c, p->value), "file", &file) < 0)
                return -EINVAL;
        }
        if (file == NULL || *file == '\0')
            return wl_fail(c, kn, "%.*s '%s' has no file", (int)strlen(kind) - 1, kind, name);
        json_object_set_new(out, name, json_string(file));
    }
    return 0;
}

static yaml_node_t *top_get(struct ctx *c, yaml_node_t *root, const char *key)
{
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++)
        if (wl_scalar(wl_node(c, p->key)) && streq(wl_scalar(wl_node(c, p->key)), key))
            return wl_node(c, p->value);
    return NULL;
}

static int read_compose(struct ctx *c, yaml_node_t *root)
{
    static const char *const known[] = {"version", "name",    "services", "networks",
                                        "volumes", "secrets", "configs"};
    yaml_node_t *v;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        const char *k = wl_scalar(wl_node(c, p->key));
        size_t i = 0;
        while (k && i < ARRAY_SIZE(known) && !streq(known[i], k))
            i++;
        if (k == NULL || (i == ARRAY_SIZE(known) && strncmp(k, "x-", 2) != 0))
            return wl_fail(c, wl_node(c, p->key), "unknown key '%s' at the top level", k ? k : "?");
    }
    const char *name;
    if ((v = top_get(c, root, "name")) && wl_want_scalar(c, v, "name", &name) < 0)
        return -EINVAL;
    if (v)
        c->p->name = xstrdup(name);
    c->p->secrets = json_object();
    c->p->configs = json_object();
    if (((v = top_get(c, root, "networks")) && read_declared(c, v, true) < 0) ||
        ((v = top_get(c, root, "volumes")) && read_declared(c, v, false) < 0) ||
        ((v = top_get(c, root, "secrets")) && read_files(c, v, "secrets", c->p->secrets) < 0) ||
        ((v = top_get(c, root, "configs")) && read_files(c, v, "configs", c->p->configs) < 0))
        return -EINVAL;
    v = top_get(c, root, "services");
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, "services") < 0)
        return -EINVAL;
    if (v->data.mapping.pairs.top == v->data.mapping.pairs.start)
        return wl_fail(c, v, "no services");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *sn;
        if (wl_want_scalar(c, wl_node(c, p->key), "services", &sn) < 0 ||
            read_service(c, sn, NULL, wl_node(c, p->key), wl_node(c, p->value)) < 0)
            return -EINVAL;
    }
    return 0;
}

/* The reference form's default name: the file's, extension dropped. */
static char *file_service_name(const char *file)
{
    const char *b = strrchr(file, '/');
    char *n = xstrdup(b ? b + 1 : file), *dot = strchr(n, '.');
    if (dot)
        *dot = '\0';
    for (char *q = n; *q; q++)
        if (!isalnum((unsigned char)*q) && !strchr("_.-", *q))
            *q = '_';
    if (!wl_name_ok(n, 63)) {
        free(n);
        n = xstrdup("workload");
    }
    return n;
}

static int read_reference(struct ctx *c, yaml_node_t *root)
{
    if (root->type == YAML_MAPPING_NODE) {
        _cleanup_free_ char *fallback = file_service_name(c->file);
        return read_service(c, NULL, fallback, root, root);
    }
    if (root->type != YAML_SEQUENCE_NODE)
        return wl_fail(c, root,
                       "a workload mapping, a list of them, or Compose's services expected");
    if (root->data.sequence.items.top == root->data.sequence.items.start)
        return wl_fail(c, root, "no workloads");
    for (yaml_node_item_t *i = root->data.sequence.items.start; i < root->data.sequence.items.top;
         i++)
        if (read_service(c, NULL, NULL, wl_node(c, *i), wl_node(c, *i)) < 0)
            return -EINVAL;
    return 0;
}

const struct wl_service *wl_service_find(const struct wl_project *p, const char *name)
{
    for (size_t i = 0; i < p->n_services; i++)
        if (streq(p->services[i].name, name))
            return &p->services[i];
    return NULL;
}

struct topo {
    struct ctx *c;
    unsigned char *state; /* 0 new, 1 on the path, 2 done */
    size_t *path, depth, n;
};

/* Depth first: a service goes after its dependencies; meeting one on the
 * current path again is a cycle, named in full. */
static int visit(struct topo *t, size_t i)
{
    struct wl_project *p = t->c->p;
    struct wl_service *s = &p->services[i];
    t->state[i] = 1;
    t->path[t->depth++] = i;
    for (size_t d = 0; d < s->n_deps; d++) {
        const struct wl_service *dep = wl_service_find(p, s->deps[d].service);
        if (dep == NULL)
            return berth_error_set(t->c->err, EINVAL,
                                   "%s:%d: service '%s' depends on unknown "
                                   "service '%s'",
                                   t->c->file, s->deps[d].line, s->name, s->deps[d].service);
        size_t j = (size_t)(dep - p->services);
        if (t->state[j] == 1) {
            _cleanup_free_ char *cycle = xstrdup(dep->name);
            size_t k = t->depth;
            while (k > 0 && t->path[k - 1] != j)
                k--;
            for (; k < t->depth; k++) {
                char *next = xasprintf("%s -> %s", cycle, p->services[t->path[k]].name);
                free(cycle);
                cycle = next;
            }
            return berth_error_set(t->c->err, EINVAL, "%s:%d: dependency cycle: %s -> %s",
                                   t->c->file, s->deps[d].line, cycle, dep->name);
        }
        if (t->state[j] == 0 && visit(t, j) < 0)
            return -EINVAL;
    }
    t->depth--;
    t->state[i] = 2;
    p->order[t->n++] = i;
    return 0;
}

static int sort_services(struct ctx *c)
{
    size_t n = c->p->n_services;
    _cleanup_free_ unsigned char *state = xzalloc(n);
    _cleanup_free_ size_t *path = xmalloc(n * sizeof(size_t));
    struct topo t = {.c = c, .state = state, .path = path};
    c->p->order = xmalloc(n * sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        if (state[i] == 0 && visit(&t, i) < 0)
            return -EINVAL;
    return 0;
}

/* Compose's interpolation of one value: $$ is a $, ${VAR}, $VAR,
 * ${VAR:-default} and ${VAR-default} read the caller's environment (unset:
 * empty), ${VAR:?message} and ${VAR?message} make an unset one an error.
 * NULL with *ret_bad the failing text. */
static char *dupn(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

#define VAR_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

/* ${...} at p (its closing brace `end`): the value (a default is
 * returned in *dflt for the caller to free); NULL when bad or a required
 * variable is unset. */
static const char *braced(const char *p, const char *end, char **dflt)
{
    size_t k = strspn(p + 2, VAR_CHARS);
    if (k == 0 || isdigit((unsigned char)p[2]))
        return NULL;
    _cleanup_free_ char *name = dupn(p + 2, k);
    const char *op = p + 2 + k, *e = getenv(name);
    bool colon = *op == ':', set = e && (!colon || *e);
    op += colon;
    if (op != end && *op != '-' && *op != '?')
        return NULL;
    if (set)
        return e;
    if (op != end && *op == '?')
        return NULL;
    *dflt = op != end ? dupn(op + 1, (size_t)(end - op - 1)) : NULL;
    return *dflt ? *dflt : "";
}

static char *interpolate(const char *s, const char **ret_bad)
{
    size_t cap = strlen(s) + 1, n = 0;
    char *o = xmalloc(cap);
    for (const char *p = s; *p;) {
        _cleanup_free_ char *name = NULL, *dflt = NULL;
        const char *val;
        size_t vl;
        if (*p != '$' ||
            !(p[1] == '$' || p[1] == '{' || isalpha((unsigned char)p[1]) || p[1] == '_')) {
            vl = *p == '$' ? 1 : strcspn(p, "$");
            val = p, p += vl;
        } else if (p[1] == '$') {
            val = "$", vl = 1, p += 2;
        } else if (p[1] != '{') {
            size_t k = strspn(p + 1, VAR_CHARS);
            name = dupn(p + 1, k), p += 1 + k;
            val = getenv(name) ? getenv(name) : "", vl = strlen(val);
        } else {
            const char *end = strchr(p, '}');
            val = end ? braced(p, end, &dflt) : NULL;
            if (val == NULL)
                return free(o), *ret_bad = p, NULL;
            vl = strlen(val), p = end + 1;
        }
        if (n + vl + 1 > cap)
            o = xrealloc(o, cap = 2 * (n + vl + 1));
        memcpy(o + n, val, vl);
        n += vl;
    }
    o[n] = '\0';
    return o;
}

/* Every scalar of the document interpolated in place, once: libyaml's
 * strings are malloc'ed and freed with free. */
static int interpolate_all(struct ctx *c)
{
    for (yaml_node_t *n = c->doc->nodes.start; n < c->doc->nodes.top; n++) {
        const char *bad = NULL;
        if (n->type != YAML_SCALAR_NODE || !strchr((char *)n->data.scalar.value, '$'))
            continue;
        char *v = interpolate((char *)n->data.scalar.value, &bad);
        if (v == NULL)
            return wl_fail(c, n,
                           "invalid interpolation '%.40s': ${VAR}, ${VAR:-default}, "
                           "${VAR:?message} or $$ expected, or the variable is unset",
                           bad);
        free(n->data.scalar.value);
        n->data.scalar.value = (yaml_char_t *)v;
        n->data.scalar.length = strlen(v);
    }
    return 0;
}

static int parse_doc(struct ctx *c, yaml_parser_t *parser)
{
    yaml_document_t extra;
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    if (root == NULL)
        return berth_error_set(c->err, EINVAL, "%s:1: the file is empty", c->file);
    if (!yaml_parser_load(parser, &extra))
        return berth_error_set(c->err, EINVAL, "%s:%zu: %s", c->file, parser->problem_mark.line + 1,
                               parser->problem ? parser->problem : "invalid YAML");
    bool more = yaml_document_get_root_node(&extra) != NULL;
    size_t line = more ? yaml_document_get_root_node(&extra)->start_mark.line + 1 : 0;
    yaml_document_delete(&extra);
    if (more)
        return berth_error_set(c->err, EINVAL, "%s:%zu: one YAML document expected", c->file, line);
    int r = interpolate_all(c);
    if (r < 0)
        return r;
    c->p->compose = root->type == YAML_MAPPING_NODE && top_get(c, root, "services");
    c->form = c->p->compose ? F_COMPOSE : F_REF;
    r = c->p->compose ? read_compose(c, root) : read_reference(c, root);
    return r < 0 ? r : sort_services(c);
}

int wl_parse(const char *text, size_t len, const char *file, struct wl_project **ret,
             struct berth_error **err)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    struct wl_project *p = xzalloc(sizeof(*p));
    struct ctx c = {.doc = &doc, .file = file, .err = err, .p = p};
    int r;
    if (!yaml_parser_initialize(&parser))
        abort();
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        r = berth_error_set(err, EINVAL, "%s:%zu: invalid YAML: %s%s%s", file,
                            parser.problem_mark.line + 1,
                            parser.problem ? parser.problem : "syntax error",
                            parser.context ? " " : "", parser.context ? parser.context : "");
    } else {
        r = parse_doc(&c, &parser);
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    if (r < 0) {
        wl_project_free(p);
        return r;
    }
    *ret = p;
    return 0;
}

void wl_project_free(struct wl_project *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_services; i++) {
        struct wl_service *s = &p->services[i];
        free(s->name);
        free(s->image);
        json_decref(s->command);
        json_decref(s->entrypoint);
        json_decref(s->env);
        json_decref(s->ports);
        json_decref(s->volumes);
        json_decref(s->networks);
        free(s->network_mode);
        for (size_t d = 0; d < s->n_deps; d++)
            free(s->deps[d].service);
        free(s->deps);
        free(s->restart);
        json_decref(s->healthcheck);
        free(s->cpuset);
        json_decref(s->device_requests);
        json_decref(s->flags);
        json_decref(s->build);
        free(s->container_name);
        json_decref(s->net_opts);
        json_decref(s->files);
    }
    for (size_t i = 0; i < p->n_networks; i++) {
        free(p->networks[i].name);
        json_decref(p->networks[i].ipam);
    }
    for (size_t i = 0; i < p->n_volumes; i++)
        free(p->volumes[i].name);
    free(p->services);
    free(p->networks);
    free(p->volumes);
    json_decref(p->secrets);
    json_decref(p->configs);
    free(p->order);
    free(p->name);
    free(p);
}
