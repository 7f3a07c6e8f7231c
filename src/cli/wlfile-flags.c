/* Workload files (wlfile.h): the Compose keys that are one `berth run`
 * flag each (working_dir, cap_add, labels...), read into the service's
 * flags; container_name; the long volume syntax; a network's aliases and
 * addresses; and the keys Compose knows that berth refuses by name. What
 * the flags' values mean is checked where `berth run` checks them. */
#include "wlfile-internal.h"
#include "cleanup.h"
#include "error.h"
#include "units.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fkind {
    FK_STR,     /* a scalar: --flag VALUE */
    FK_BOOL,    /* true: --flag; false: nothing */
    FK_LIST,    /* a scalar or a list: --flag per item */
    FK_MAP,     /* a mapping (K SEP V per pair) or a list of "K=V" */
    FK_SECONDS, /* a duration, rounded up to whole seconds */
    FK_ULIMITS, /* NAME: N or NAME: {soft: N, hard: N} */
};

static const struct fkey {
    const char *key, *flag;
    enum fkind kind;
    char sep; /* FK_MAP */
} flag_keys[] = {
    {"working_dir", "--workdir", FK_STR, 0},
    {"user", "--user", FK_STR, 0},
    {"hostname", "--hostname", FK_STR, 0},
    {"domainname", "--domainname", FK_STR, 0},
    {"mac_address", "--mac-address", FK_STR, 0},
    {"stop_signal", "--stop-signal", FK_STR, 0},
    {"stop_grace_period", "--stop-timeout", FK_SECONDS, 0},
    {"pids_limit", "--pids-limit", FK_STR, 0},
    {"cpu_shares", "--cpu-shares", FK_STR, 0},
    {"cpu_quota", "--cpu-quota", FK_STR, 0},
    {"cpu_period", "--cpu-period", FK_STR, 0},
    {"memswap_limit", "--memory-swap", FK_STR, 0},
    {"shm_size", "--shm-size", FK_STR, 0},
    {"pid", "--pid", FK_STR, 0},
    {"ipc", "--ipc", FK_STR, 0},
    {"uts", "--uts", FK_STR, 0},
    {"cgroup", "--cgroupns", FK_STR, 0},
    {"oom_score_adj", "--oom-score-adj", FK_STR, 0},
    {"group_add", "--group-add", FK_LIST, 0},
    {"device_cgroup_rules", "--device-cgroup-rule", FK_LIST, 0},
    {"privileged", "--privileged", FK_BOOL, 0},
    {"read_only", "--read-only", FK_BOOL, 0},
    {"tty", "--tty", FK_BOOL, 0},
    {"stdin_open", "--interactive", FK_BOOL, 0},
    {"cap_add", "--cap-add", FK_LIST, 0},
    {"cap_drop", "--cap-drop", FK_LIST, 0},
    {"dns", "--dns", FK_LIST, 0},
    {"dns_search", "--dns-search", FK_LIST, 0},
    {"dns_opt", "--dns-option", FK_LIST, 0},
    {"tmpfs", "--tmpfs", FK_LIST, 0},
    {"expose", "--expose", FK_LIST, 0},
    {"devices", "--device", FK_LIST, 0},
    {"security_opt", "--security-opt", FK_LIST, 0},
    {"env_file", "--env-file", FK_LIST, 0},
    {"labels", "--label", FK_MAP, '='},
    {"sysctls", "--sysctl", FK_MAP, '='},
    {"extra_hosts", "--add-host", FK_MAP, '='},
    {"ulimits", "--ulimit", FK_ULIMITS, 0},
};

/* Keys of the Compose specification that berth does not carry out. */
static const char *const refused_keys[] = {
    "annotations",   "attach",         "blkio_config",
    "cgroup_parent", "cpu_count",      "cpu_percent",
    "cpu_rt_period", "cpu_rt_runtime", "credential_spec",
    "develop",       "extends",        "external_links",
    "gpus",          "isolation",      "label_file",
    "links",         "mem_swappiness", "oom_kill_disable",
    "platform",      "post_start",     "pre_stop",
    "profiles",      "pull_policy",    "runtime",
    "scale",         "storage_opt",    "userns_mode",
    "volumes_from",
};

static void flag_push(struct wl_service *s, const char *flag, const char *value)
{
    json_array_append_new(s->flags, json_string(flag));
    if (value)
        json_array_append_new(s->flags, json_string(value));
}

static int read_list(struct ctx *c, struct wl_service *s, const struct fkey *f, yaml_node_t *v)
{
    const char *e;
    if (v->type == YAML_SCALAR_NODE && !wl_is_null(v))
        return flag_push(s, f->flag, wl_scalar(v)), 0;
    if (wl_want_kind(c, v, YAML_SEQUENCE_NODE, f->key) < 0)
        return -EINVAL;
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
        if (wl_want_scalar(c, wl_node(c, *i), f->key, &e) < 0)
            return -EINVAL;
        flag_push(s, f->flag, e);
    }
    return 0;
}

static int read_map(struct ctx *c, struct wl_service *s, const struct fkey *f, yaml_node_t *v)
{
    char w[300];
    const char *k, *val;
    if (v->type != YAML_MAPPING_NODE)
        return read_list(c, s, f, v);
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *vn = wl_node(c, p->value);
        if (wl_want_scalar(c, wl_node(c, p->key), f->key, &k) < 0)
            return -EINVAL;
        val = wl_is_null(vn) ? "" : wl_scalar(vn);
        if (val == NULL)
            return wl_fail(c, vn, "'%s' in %s %s: a string value expected", k, f->key,
                           wl_where(c, w, sizeof(w)));
        _cleanup_free_ char *kv = xasprintf("%s%c%s", k, f->sep, val);
        flag_push(s, f->flag, kv);
    }
    return 0;
}

static int read_seconds(struct ctx *c, struct wl_service *s, const struct fkey *f, yaml_node_t *v)
{
    char w[300];
    const char *str;
    uint64_t ns;
    if (wl_want_scalar(c, v, f->key, &str) < 0)
        return -EINVAL;
    if (berth_parse_duration(str, &ns) < 0 || ns > INT32_MAX * 1000000000ULL)
        return wl_fail(c, v, "invalid %s '%s' %s: a duration such as 10s expected", f->key, str,
                       wl_where(c, w, sizeof(w)));
    char secs[24];
    snprintf(secs, sizeof(secs), "%llu", (unsigned long long)((ns + 999999999) / 1000000000));
    flag_push(s, f->flag, secs);
    return 0;
}

/* NAME: N, or NAME: {soft: N, hard: N} */
static int read_ulimits(struct ctx *c, struct wl_service *s, const struct fkey *f, yaml_node_t *v)
{
    char w[300];
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, f->key) < 0)
        return -EINVAL;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *vn = wl_node(c, p->value);
        const char *name, *soft = NULL, *hard = NULL, *k;
        if (wl_want_scalar(c, wl_node(c, p->key), f->key, &name) < 0)
            return -EINVAL;
        if (vn->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *q = vn->data.mapping.pairs.start; q < vn->data.mapping.pairs.top;
                 q++) {
                k = wl_scalar(wl_node(c, q->key));
                bool is_soft = k && streq(k, "soft");
                if (k == NULL || (!is_soft && !streq(k, "hard")))
                    return wl_fail(c, wl_node(c, q->key), "unknown key '%s' in ulimits %s",
                                   k ? k : "?", wl_where(c, w, sizeof(w)));
                if (wl_want_scalar(c, wl_node(c, q->value), k, is_soft ? &soft : &hard) < 0)
                    return -EINVAL;
            }
            if (soft == NULL || hard == NULL)
                return wl_fail(c, vn, "ulimit '%s' %s needs both soft and hard", name,
                               wl_where(c, w, sizeof(w)));
        } else if (wl_want_scalar(c, vn, name, &soft) < 0) {
            return -EINVAL;
        }
        _cleanup_free_ char *spec =
            hard ? xasprintf("%s=%s:%s", name, soft, hard) : xasprintf("%s=%s", name, soft);
        flag_push(s, f->flag, spec);
    }
    return 0;
}

static int read_flag(struct ctx *c, struct wl_service *s, const struct fkey *f, yaml_node_t *v)
{
    char w[300];
    const char *str;
    switch (f->kind) {
    case FK_STR:
        if (wl_want_scalar(c, v, f->key, &str) < 0)
            return -EINVAL;
        if (wl_service_ref(c, s, v, f->key, str) < 0) /* pid, ipc: service:NAME */
            return -EINVAL;
        flag_push(s, f->flag, str);
        return 0;
    case FK_BOOL:
        if (wl_boolean(v) < 0)
            return wl_fail(c, v, "'%s' %s must be true or false", f->key,
                           wl_where(c, w, sizeof(w)));
        if (wl_boolean(v) == 1)
            flag_push(s, f->flag, NULL);
        return 0;
    case FK_LIST:
        return read_list(c, s, f, v);
    case FK_MAP:
        return read_map(c, s, f, v);
    case FK_SECONDS:
        return read_seconds(c, s, f, v);
    case FK_ULIMITS:
    default:
        return read_ulimits(c, s, f, v);
    }
}

static int read_container_name(struct ctx *c, struct wl_service *s, yaml_node_t *v)
{
    char w[300];
    const char *str;
    if (wl_want_scalar(c, v, "container_name", &str) < 0)
        return -EINVAL;
    if (!wl_name_ok(str, 127)) /* berthd's limit for a container's name */
        return wl_fail(c, v,
                       "invalid container_name '%s' %s: letters, digits, '_', '.' and '-' "
                       "expected, starting with a letter or digit",
                       str, wl_where(c, w, sizeof(w)));
    free(s->container_name);
    s->container_name = xstrdup(str);
    return 0;
}

/* One build argument; a K without a value takes the caller's, or none
 * (as --build-arg K). */
static void build_arg(json_t *args, const char *k, const char *v)
{
    if (v == NULL)
        v = getenv(k);
    if (*k && v)
        json_object_set_new(args, k, json_string(v));
}

/* args: {K: V} or [K=V] */
static int build_args(struct ctx *c, json_t *args, yaml_node_t *v)
{
    const char *k, *e;
    if (v->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
             p++) {
            yaml_node_t *vn = wl_node(c, p->value);
            if (wl_want_scalar(c, wl_node(c, p->key), "args", &k) < 0 ||
                (!wl_is_null(vn) && wl_want_scalar(c, vn, k, &e) < 0))
                return -EINVAL;
            build_arg(args, k, wl_is_null(vn) ? NULL : e);
        }
        return 0;
    }
    if (wl_want_kind(c, v, YAML_SEQUENCE_NODE, "args") < 0)
        return -EINVAL;
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
        if (wl_want_scalar(c, wl_node(c, *i), "args", &e) < 0)
            return -EINVAL;
        _cleanup_free_ char *kv = xstrdup(e);
        char *eq = strchr(kv, '=');
        if (eq)
            *eq++ = '\0';
        build_arg(args, kv, eq);
    }
    return 0;
}

/* build: CONTEXT, or {context, dockerfile, args, target} */
static int read_build(struct ctx *c, struct wl_service *s, yaml_node_t *v)
{
    char w[300];
    const char *str;
    json_t *b = json_pack("{s:s,s:{}}", "context", ".", "args");
    json_decref(s->build);
    s->build = b;
    if (v->type == YAML_SCALAR_NODE && !wl_is_null(v))
        return json_object_set_new(b, "context", json_string(wl_scalar(v))), 0;
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, "build") < 0)
        return -EINVAL;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k = wl_scalar(wl_node(c, p->key));
        yaml_node_t *vn = wl_node(c, p->value);
        if (k && streq(k, "args")) {
            if (build_args(c, json_object_get(b, "args"), vn) < 0)
                return -EINVAL;
        } else if (k && (streq(k, "context") || streq(k, "dockerfile") || streq(k, "target"))) {
            if (wl_want_scalar(c, vn, k, &str) < 0)
                return -EINVAL;
            json_object_set_new(b, k, json_string(str));
        } else {
            return wl_fail(c, wl_node(c, p->key), "build option '%s' %s is not supported by berth",
                           k ? k : "?", wl_where(c, w, sizeof(w)));
        }
    }
    return 0;
}

/* logging: {driver: json-file, options: {max-size: 10m, ...}} */
static int read_logging(struct ctx *c, struct wl_service *s, yaml_node_t *v)
{
    static const struct fkey opts = {"options", "--log-opt", FK_MAP, '='};
    char w[300];
    const char *d;
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, "logging") < 0)
        return -EINVAL;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k = wl_scalar(wl_node(c, p->key));
        yaml_node_t *vn = wl_node(c, p->value);
        if (k && streq(k, "driver")) {
            if (wl_want_scalar(c, vn, k, &d) < 0)
                return -EINVAL;
            if (!streq(d, "json-file"))
                return wl_fail(c, vn,
                               "logging driver '%s' %s is not supported by berth (json-file only)",
                               d, wl_where(c, w, sizeof(w)));
        } else if (k && streq(k, "options")) {
            if (wl_want_kind(c, vn, YAML_MAPPING_NODE, k) < 0 || read_map(c, s, &opts, vn) < 0)
                return -EINVAL;
        } else {
            return wl_fail(c, wl_node(c, p->key), "unknown key '%s' in logging %s", k ? k : "?",
                           wl_where(c, w, sizeof(w)));
        }
    }
    return 0;
}

int wl_flag_key(struct ctx *c, struct wl_service *s, const char *k, yaml_node_t *kn, yaml_node_t *v)
{
    char w[300];
    if (streq(k, "logging"))
        return read_logging(c, s, v);
    if (streq(k, "container_name"))
        return read_container_name(c, s, v);
    if (streq(k, "build"))
        return read_build(c, s, v);
    for (size_t i = 0; i < ARRAY_SIZE(flag_keys); i++)
        if (streq(flag_keys[i].key, k))
            return read_flag(c, s, &flag_keys[i], v);
    for (size_t i = 0; i < ARRAY_SIZE(refused_keys); i++)
        if (streq(refused_keys[i], k))
            return wl_fail(c, kn, "'%s' %s is not supported by berth", k,
                           wl_where(c, w, sizeof(w)));
    return 1;
}

/* ---- the long volume syntax ---- */

struct long_volume {
    const char *type, *source, *target, *size, *mode;
    bool read_only;
};

static int long_volume_sub(struct ctx *c, yaml_node_t *v, const char *what, struct long_volume *lv)
{
    char w[300];
    if (wl_want_kind(c, v, YAML_MAPPING_NODE, what) < 0)
        return -EINVAL;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k = wl_scalar(wl_node(c, p->key));
        yaml_node_t *vn = wl_node(c, p->value);
        if (k && streq(what, "tmpfs") && streq(k, "size")) {
            if (wl_want_scalar(c, vn, k, &lv->size) < 0)
                return -EINVAL;
        } else if (k && streq(what, "tmpfs") && streq(k, "mode")) {
            if (wl_want_scalar(c, vn, k, &lv->mode) < 0)
                return -EINVAL;
        } else {
            return wl_fail(c, wl_node(c, p->key),
                           "volume option '%s.%s' %s is not supported by berth", what, k ? k : "?",
                           wl_where(c, w, sizeof(w)));
        }
    }
    return 0;
}

static int long_volume_read(struct ctx *c, yaml_node_t *v, struct long_volume *lv)
{
    char w[300];
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k = wl_scalar(wl_node(c, p->key));
        yaml_node_t *vn = wl_node(c, p->value);
        int r;
        if (k && streq(k, "type"))
            r = wl_want_scalar(c, vn, k, &lv->type);
        else if (k && streq(k, "source"))
            r = wl_want_scalar(c, vn, k, &lv->source);
        else if (k && streq(k, "target"))
            r = wl_want_scalar(c, vn, k, &lv->target);
        else if (k && streq(k, "read_only"))
            r = wl_boolean(vn) < 0 ? wl_fail(c, vn, "'read_only' %s must be true or false",
                                             wl_where(c, w, sizeof(w)))
                                   : (lv->read_only = wl_boolean(vn) == 1, 0);
        else if (k && streq(k, "tmpfs"))
            r = long_volume_sub(c, vn, k, lv);
        else
            r = wl_fail(c, wl_node(c, p->key), "volume option '%s' %s is not supported by berth",
                        k ? k : "?", wl_where(c, w, sizeof(w)));
        if (r < 0)
            return -EINVAL;
    }
    return 0;
}

char *wl_long_volume(struct ctx *c, struct wl_service *s, yaml_node_t *v)
{
    char w[300];
    struct long_volume lv = {0};
    if (long_volume_read(c, v, &lv) < 0)
        return NULL;
    if (lv.type == NULL || lv.target == NULL) {
        wl_fail(c, v, "a volume %s needs a 'type' and a 'target'", wl_where(c, w, sizeof(w)));
        return NULL;
    }
    bool tmpfs = streq(lv.type, "tmpfs"), bind = streq(lv.type, "bind");
    if (!tmpfs && !bind && !streq(lv.type, "volume")) {
        wl_fail(c, v, "volume type '%s' %s is not supported by berth: bind, volume or tmpfs",
                lv.type, wl_where(c, w, sizeof(w)));
        return NULL;
    }
    if ((tmpfs && lv.source) || (bind && lv.source == NULL) || (!tmpfs && (lv.size || lv.mode))) {
        wl_fail(c, v, "a %s volume %s %s", lv.type, wl_where(c, w, sizeof(w)),
                tmpfs  ? "takes no 'source'"
                : bind ? "needs a 'source'"
                       : "takes no tmpfs options");
        return NULL;
    }
    if (tmpfs && *lv.target != '/') {
        wl_fail(c, v, "invalid tmpfs target '%s' %s: the container path must be absolute",
                lv.target, wl_where(c, w, sizeof(w)));
        return NULL;
    }
    if (tmpfs) {
        _cleanup_free_ char *opts =
            xasprintf("%s%s%s%s%s", lv.read_only ? "ro" : "rw", lv.size ? ",size=" : "",
                      lv.size ? lv.size : "", lv.mode ? ",mode=" : "", lv.mode ? lv.mode : "");
        _cleanup_free_ char *spec = xasprintf("%s:%s", lv.target, opts);
        flag_push(s, "--tmpfs", spec);
        return xstrdup("");
    }
    const char *ro = lv.read_only ? ":ro" : "";
    if (lv.source == NULL)
        return xstrdup(lv.target);
    /* a relative bind source is a path, never a volume's name */
    bool path = *lv.source == '/' || *lv.source == '.' || *lv.source == '~';
    return xasprintf("%s%s:%s%s", bind && !path ? "./" : "", lv.source, lv.target, ro);
}

/* ---- a network's settings in a service ---- */

int wl_network_settings(struct ctx *c, struct wl_service *s, const char *net, yaml_node_t *v)
{
    char w[300];
    json_t *o = json_object(), *aliases = NULL;
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const char *k = wl_scalar(wl_node(c, p->key)), *str;
        yaml_node_t *vn = wl_node(c, p->value);
        int r = 0;
        if (k && streq(k, "aliases") && (r = wl_read_argv(c, vn, k, &aliases)) == 0)
            json_object_set(o, "aliases", aliases);
        else if (k && (streq(k, "ipv4_address") || streq(k, "ipv6_address")) &&
                 (r = wl_want_scalar(c, vn, k, &str)) == 0)
            json_object_set_new(o, k, json_string(str));
        else if (r == 0)
            r = wl_fail(c, wl_node(c, p->key),
                        "network setting '%s' for '%s' %s is not supported by berth", k ? k : "?",
                        net, wl_where(c, w, sizeof(w)));
        if (r < 0)
            return json_decref(aliases), json_decref(o), -EINVAL;
    }
    json_decref(aliases);
    json_object_set_new(s->net_opts, net, o);
    return 0;
}
