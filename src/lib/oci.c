#include "oci.h"
#include "oci-linux.h"
#include "caps.h"
#include "cleanup.h"
#include "error.h"
#include "json-util.h"
#include "mountopt.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <string.h>
#include <sys/resource.h>

static const struct {
    const char *name;
    int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int berth_rlimit_from_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
        if (streq(name, rlimit_names[i].name))
            return rlimit_names[i].resource;
    return -1;
}

/* Lexically normalises a relative path and tells whether it stays below its
 * base: "a/../b" stays, "../x" and "a/../../x" escape. */
static bool rel_path_escapes(const char *p)
{
    int depth = 0;
    while (*p) {
        const char *e = strchrnul(p, '/');
        size_t n = e - p;
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0)
                return true;
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            depth++;
        }
        p = *e ? e + 1 : e;
    }
    return false;
}

static int parse_root(json_t *root, const char *bundle, struct berth_config *c,
                      struct berth_error **err)
{
    json_t *o = NULL;
    int r = jget_object(root, "root", "", &o, err);
    if (r < 0)
        return r;
    if (r == 0)
        return berth_error_set(err, EINVAL, "invalid config: 'root' is required");
    _cleanup_free_ char *path = NULL;
    if ((r = jget_string(o, "path", "root", true, &path, err)) < 0)
        return r;
    if (*path == '\0')
        return berth_error_set(err, EINVAL, "invalid config: 'root.path' is empty");
    if ((r = jget_bool(o, "readonly", "root", &c->root_readonly, err)) < 0)
        return r;
    if (path[0] == '/') {
        c->root_path = TAKE_PTR(path);
        return 0;
    }
    if (rel_path_escapes(path))
        return berth_error_set(err, EINVAL, "invalid config: 'root.path' ('%s') escapes the bundle",
                               path);
    c->root_path = xasprintf("%s/%s", bundle, path);
    return 0;
}

static int parse_caps_set(json_t *o, const char *key, uint64_t *mask, struct berth_error **err)
{
    _cleanup_strv_ char **names = NULL;
    int r = jget_strv(o, key, "process.capabilities", false, &names, err);
    if (r <= 0)
        return r;
    for (char **n = names; *n; n++) {
        int cap = berth_cap_from_name(*n);
        if (cap < 0 || cap > 63)
            return berth_error_set(err, EINVAL,
                                   "invalid config: 'process.capabilities.%s' names an unknown "
                                   "capability '%s'",
                                   key, *n);
        *mask |= 1ULL << cap;
    }
    return 0;
}

static int parse_caps(json_t *proc, struct berth_caps *caps, struct berth_error **err)
{
    json_t *o = NULL;
    int r = jget_object(proc, "capabilities", "process", &o, err);
    if (r <= 0)
        return r;
    caps->present = true;
    static const char *const keys[] = {"bounding", "effective", "inheritable", "permitted",
                                       "ambient"};
    uint64_t *masks[] = {&caps->bounding, &caps->effective, &caps->inheritable, &caps->permitted,
                         &caps->ambient};
    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if ((r = parse_caps_set(o, keys[i], masks[i], err)) < 0)
            return r;
    return 0;
}

static int parse_rlimit(json_t *o, const char *path, void *out, struct berth_error **err)
{
    struct berth_rlimit *rl = out;
    _cleanup_free_ char *type = NULL;
    int r;
    if ((r = jget_string(o, "type", path, true, &type, err)) < 0)
        return r;
    if ((rl->resource = berth_rlimit_from_name(type)) < 0)
        return berth_error_set(err, EINVAL, "invalid config: '%s.type' is unknown ('%s')", path,
                               type);
    if ((r = jget_u64(o, "soft", path, &rl->soft, NULL, err)) < 0 ||
        (r = jget_u64(o, "hard", path, &rl->hard, NULL, err)) < 0)
        return r;
    if (rl->soft > rl->hard)
        return berth_error_set(err, EINVAL, "invalid config: '%s.soft' exceeds its hard limit",
                               path);
    return 0;
}

static int parse_rlimits(json_t *proc, struct berth_process *p, struct berth_error **err)
{
    return jget_object_array(proc, "rlimits", "process", sizeof(*p->rlimits), parse_rlimit,
                             &p->rlimits, &p->n_rlimits, err);
}

static int parse_user(json_t *proc, struct berth_user *u, struct berth_error **err)
{
    json_t *o = NULL, *gids = NULL;
    int64_t v = 0;
    bool has = false;
    int r = jget_object(proc, "user", "process", &o, err);
    if (r <= 0)
        return r;
    if ((r = jget_int(o, "uid", "process.user", 0, UINT32_MAX - 1, &v, NULL, err)) < 0)
        return r;
    u->uid = r ? (uid_t)v : 0;
    if ((r = jget_int(o, "gid", "process.user", 0, UINT32_MAX - 1, &v, NULL, err)) < 0)
        return r;
    u->gid = r ? (gid_t)v : 0;
    if ((r = jget_int(o, "umask", "process.user", 0, 0777, &v, &has, err)) < 0)
        return r;
    u->has_umask = has;
    u->umask = (mode_t)v;
    if ((r = jget_array(o, "additionalGids", "process.user", &gids, err)) <= 0)
        return r;
    u->additional_gids = xzalloc(json_array_size(gids) * sizeof(gid_t));
    for (size_t i = 0; i < json_array_size(gids); i++) {
        json_t *g = json_array_get(gids, i);
        if (!json_is_integer(g) || json_integer_value(g) < 0 || json_integer_value(g) >= UINT32_MAX)
            return berth_error_set(err, EINVAL,
                                   "invalid config: 'process.user.additionalGids[%zu]' must be "
                                   "a group id",
                                   i);
        u->additional_gids[u->n_additional_gids++] = (gid_t)json_integer_value(g);
    }
    return 0;
}

static int parse_console_size(json_t *proc, struct berth_process *p, struct berth_error **err)
{
    json_t *o = NULL;
    int64_t h = 0, w = 0;
    int r = jget_object(proc, "consoleSize", "process", &o, err);
    if (r <= 0)
        return r;
    if ((r = jget_int(o, "height", "process.consoleSize", 0, UINT16_MAX, &h, NULL, err)) < 0 ||
        (r = jget_int(o, "width", "process.consoleSize", 0, UINT16_MAX, &w, NULL, err)) < 0)
        return r;
    p->has_console_size = true;
    p->console_height = (unsigned)h;
    p->console_width = (unsigned)w;
    return 0;
}

static int parse_args_env(json_t *proc, struct berth_process *p, struct berth_error **err)
{
    int r = jget_strv(proc, "args", "process", true, &p->args, err);
    if (r < 0)
        return r;
    if (p->args[0] == NULL || p->args[0][0] == '\0')
        return berth_error_set(err, EINVAL, "invalid config: 'process.args' must not be empty");
    if ((r = jget_strv(proc, "env", "process", false, &p->env, err)) < 0)
        return r;
    if (p->env == NULL)
        p->env = xzalloc(sizeof(char *));
    for (size_t i = 0; p->env[i]; i++)
        if (strchr(p->env[i], '=') == NULL || p->env[i][0] == '=')
            return berth_error_set(err, EINVAL,
                                   "invalid config: 'process.env[%zu]' ('%s') is not KEY=VALUE", i,
                                   p->env[i]);
    return 0;
}

static int parse_process(json_t *root, struct berth_process *p, struct berth_error **err)
{
    json_t *o = NULL;
    int64_t v = 0;
    int r = jget_object(root, "process", "", &o, err);
    if (r < 0)
        return r;
    if (r == 0)
        return berth_error_set(err, EINVAL, "invalid config: 'process' is required");
    if ((r = parse_args_env(o, p, err)) < 0)
        return r;
    if ((r = jget_string(o, "cwd", "process", false, &p->cwd, err)) < 0)
        return r;
    if (p->cwd == NULL)
        p->cwd = xstrdup("/");
    if (p->cwd[0] != '/')
        return berth_error_set(err, EINVAL,
                               "invalid config: 'process.cwd' must be an absolute path");
    if ((r = jget_bool(o, "terminal", "process", &p->terminal, err)) < 0 ||
        (r = jget_bool(o, "noNewPrivileges", "process", &p->no_new_privileges, err)) < 0 ||
        (r = jget_int(o, "oomScoreAdj", "process", -1000, 1000, &v, &p->has_oom_score_adj, err)) <
            0)
        return r;
    p->oom_score_adj = (int)v;
    if ((r = parse_console_size(o, p, err)) < 0 || (r = parse_user(o, &p->user, err)) < 0 ||
        (r = parse_caps(o, &p->caps, err)) < 0 || (r = parse_rlimits(o, p, err)) < 0 ||
        (r = jget_string(o, "apparmorProfile", "process", false, &p->apparmor_profile, err)) < 0 ||
        (r = jget_string(o, "selinuxLabel", "process", false, &p->selinux_label, err)) < 0)
        return r;
    /* not implemented: refused rather than run without them */
    static const char *const unsupported[] = {"ioPriority", "scheduler", "execCPUAffinity"};
    for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
        if ((r = jrefuse(o, unsupported[i], "process", err)) < 0)
            return r;
    return 0;
}

static const char *const hook_names[BERTH_HOOK_COUNT] = {
    [BERTH_HOOK_PRESTART] = "prestart",
    [BERTH_HOOK_CREATE_RUNTIME] = "createRuntime",
    [BERTH_HOOK_CREATE_CONTAINER] = "createContainer",
    [BERTH_HOOK_START_CONTAINER] = "startContainer",
    [BERTH_HOOK_POSTSTART] = "poststart",
    [BERTH_HOOK_POSTSTOP] = "poststop",
};

const char *berth_hook_name(enum berth_hook_kind k)
{
    return hook_names[k];
}

static int parse_hook(json_t *o, const char *path, void *out, struct berth_error **err)
{
    struct berth_hook *h = out;
    int64_t timeout = 0;
    bool has_timeout = false;
    int r;

    if ((r = jget_string(o, "path", path, true, &h->path, err)) < 0 ||
        (r = jget_strv(o, "args", path, false, &h->args, err)) < 0 ||
        (r = jget_strv(o, "env", path, false, &h->env, err)) < 0 ||
        (r = jget_int(o, "timeout", path, INT32_MIN, INT32_MAX, &timeout, &has_timeout, err)) < 0)
        return r;
    if (h->path[0] != '/')
        return berth_error_set(err, EINVAL, "invalid config: '%s.path' must be absolute", path);
    if (has_timeout && timeout <= 0)
        return berth_error_set(err, EINVAL, "invalid config: '%s.timeout' must be positive", path);
    h->timeout = (int)timeout;
    if (h->args == NULL)
        h->args = xzalloc(sizeof(char *));
    if (h->env == NULL)
        h->env = xzalloc(sizeof(char *));
    return 0;
}

static int parse_hooks(json_t *root, struct berth_config *c, struct berth_error **err)
{
    json_t *hooks = NULL;
    int r = jget_object(root, "hooks", "", &hooks, err);
    if (r <= 0)
        return r;
    for (int k = 0; k < BERTH_HOOK_COUNT; k++)
        if ((r = jget_object_array(hooks, hook_names[k], "hooks", sizeof(struct berth_hook),
                                   parse_hook, &c->hooks[k], &c->n_hooks[k], err)) < 0)
            return r;
    return 0;
}

static void free_hooks(struct berth_config *c)
{
    for (int k = 0; k < BERTH_HOOK_COUNT; k++) {
        for (size_t i = 0; i < c->n_hooks[k]; i++) {
            free(c->hooks[k][i].path);
            strv_freep(&c->hooks[k][i].args);
            strv_freep(&c->hooks[k][i].env);
        }
        free(c->hooks[k]);
    }
}

/* Options OCI runtimes implement themselves rather than pass to the
 * kernel; berth does not have them yet, and the kernel would either refuse
 * them with a bare EINVAL or, for a bind mount, never see them. */
static const char *const unsupported_mount_opts[] = {"copy-symlink", "nocopyup"};

static int check_mount_data(const struct berth_mount *m, const char *path, struct berth_error **err)
{
    if (m->data == NULL)
        return 0;
    _cleanup_free_ char *copy = xstrdup(m->data);
    for (char *save = NULL, *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(o, '=');
        if (eq)
            *eq = '\0';
        for (size_t i = 0; i < ARRAY_SIZE(unsupported_mount_opts); i++)
            if (streq(o, unsupported_mount_opts[i]))
                return berth_error_set(
                    err, EINVAL, "invalid config: '%s.options' '%s' is not supported yet", path, o);
        /* a bind mount passes no data to any file system: it would be lost */
        if (m->is_bind)
            return berth_error_set(err, EINVAL,
                                   "invalid config: '%s.options' '%s' is not an option a bind "
                                   "mount can take",
                                   path, o);
    }
    return 0;
}

/* idmap takes the container's own mappings (userns.h); a mount's own
 * uidMappings/gidMappings are not implemented. */
static int check_idmap(json_t *o, const struct berth_mount *m, const char *path,
                       struct berth_error **err)
{
    int r;
    if ((r = jrefuse(o, "uidMappings", path, err)) < 0 ||
        (r = jrefuse(o, "gidMappings", path, err)) < 0)
        return r;
    if (m->idmap && !m->is_bind)
        return berth_error_set(err, EINVAL,
                               "invalid config: '%s.options' '%s' is only for bind mounts", path,
                               m->idmap == BERTH_IDMAP ? "idmap" : "ridmap");
    return 0;
}

static int parse_one_mount(json_t *o, const char *path, void *out, struct berth_error **err)
{
    _cleanup_strv_ char **options = NULL;
    struct berth_mount *m = out;
    struct berth_mount_opts mo;
    int r;

    if ((r = jget_string(o, "destination", path, true, &m->destination, err)) < 0 ||
        (r = jget_string(o, "type", path, false, &m->type, err)) < 0 ||
        (r = jget_string(o, "source", path, false, &m->source, err)) < 0 ||
        (r = jget_strv(o, "options", path, false, &options, err)) < 0)
        return r;
    if (m->destination[0] != '/')
        return berth_error_set(err, EINVAL,
                               "invalid config: '%s.destination' must be an absolute path", path);
    berth_mount_opts_parse(options, &mo);
    m->flags = mo.flags;
    m->propagation = mo.propagation;
    m->data = mo.data;
    m->rec_set = mo.rec_set;
    m->rec_clr = mo.rec_clr;
    m->tmpcopyup = mo.tmpcopyup;
    m->idmap = mo.idmap;
    m->is_bind = (mo.flags & MS_BIND) || streq(m->type, "bind");
    if (m->is_bind && m->source == NULL)
        return berth_error_set(err, EINVAL, "invalid config: '%s.source' is required for a bind",
                               path);
    if (!m->is_bind && m->type == NULL)
        return berth_error_set(err, EINVAL, "invalid config: '%s.type' is required", path);
    if (m->tmpcopyup && (m->is_bind || !streq(m->type, "tmpfs")))
        return berth_error_set(
            err, EINVAL, "invalid config: '%s.options' 'tmpcopyup' is only for tmpfs mounts", path);
    if ((r = check_idmap(o, m, path, err)) < 0)
        return r;
    return check_mount_data(m, path, err);
}

static int parse_mounts(json_t *root, struct berth_config *c, struct berth_error **err)
{
    return jget_object_array(root, "mounts", "", sizeof(*c->mounts), parse_one_mount, &c->mounts,
                             &c->n_mounts, err);
}

static int parse_top(json_t *root, const char *bundle, struct berth_config *c,
                     struct berth_error **err)
{
    json_t *o = NULL;
    int r;

    if (!json_is_object(root))
        return berth_error_set(err, EINVAL, "invalid config: the top level must be an object");
    if ((r = jget_string(root, "ociVersion", "", true, &c->oci_version, err)) < 0 ||
        (r = parse_root(root, bundle, c, err)) < 0 ||
        (r = parse_process(root, &c->process, err)) < 0 ||
        (r = jget_string(root, "hostname", "", false, &c->hostname, err)) < 0 ||
        (r = jget_string(root, "domainname", "", false, &c->domainname, err)) < 0 ||
        (r = parse_mounts(root, c, err)) < 0 || (r = parse_hooks(root, c, err)) < 0)
        return r;
    if ((r = jget_object(root, "annotations", "", &o, err)) < 0)
        return r;
    if (r > 0)
        c->annotations_json = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    o = NULL;
    if ((r = jget_object(root, "linux", "", &o, err)) < 0)
        return r;
    return berth_oci_parse_linux(o, c, err);
}

struct berth_config *berth_config_parse(const char *json, size_t len, const char *bundle,
                                        struct berth_error **err)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        berth_error_set(err, EINVAL, "invalid config: not valid JSON: %s at line %d column %d",
                        jerr.text, jerr.line, jerr.column);
        return NULL;
    }
    struct berth_config *c = xzalloc(sizeof(*c));
    int r = parse_top(root, bundle, c, err);
    json_decref(root);
    if (r < 0) {
        berth_config_free(c);
        return NULL;
    }
    return c;
}

struct berth_config *berth_config_load(const char *bundle, struct berth_error **err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    _cleanup_free_ char *path = xasprintf("%s/config.json", bundle);

    if (read_file_at(AT_FDCWD, path, &text, &len, err) < 0)
        return NULL;
    struct berth_config *c = berth_config_parse(text, len, bundle, err);
    if (c == NULL)
        berth_error_wrap(err, "%s", path);
    return c;
}

static void free_process(struct berth_process *p)
{
    char **vecs[] = {p->args, p->env};
    for (size_t i = 0; i < ARRAY_SIZE(vecs); i++)
        strv_freep(&vecs[i]);
    free(p->cwd);
    free(p->apparmor_profile);
    free(p->selinux_label);
    free(p->user.additional_gids);
    free(p->rlimits);
}

void berth_config_free(struct berth_config *c)
{
    if (c == NULL)
        return;
    free(c->oci_version);
    free(c->root_path);
    free_process(&c->process);
    free(c->hostname);
    free(c->domainname);
    for (size_t i = 0; i < c->n_mounts; i++) {
        free(c->mounts[i].destination);
        free(c->mounts[i].type);
        free(c->mounts[i].source);
        free(c->mounts[i].data);
    }
    free(c->mounts);
    berth_oci_free_linux(c);
    free_hooks(c);
    free(c->annotations_json);
    free(c);
}
