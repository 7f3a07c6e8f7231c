#include "cgroup.h"
#include "cgroup-internal.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* The v1 controllers berth manages; other hierarchies are left alone. */
static const char *const managed_v1[] = {
    "cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "devices", "freezer",
};

/* Managed only when the config needs them (enum berth_cgroup_want). */
static const struct {
    const char *name;
    unsigned want;
} optional_v1[] = {
    {"hugetlb", BERTH_CGROUP_WANT_HUGETLB},
    {"net_cls", BERTH_CGROUP_WANT_NET},
    {"net_prio", BERTH_CGROUP_WANT_NET},
};

/* json_decrefp comes with jansson (>= 2.11) */
#define _cleanup_json_ _cleanup_(json_decrefp)

static void cgroup_freep(struct berth_cgroup **cg)
{
    berth_cgroup_free(*cg);
}
#define _cleanup_cgroup_ _cleanup_(cgroup_freep)

int berth_cgroup_detect(const char *root, enum berth_cgroup_mode *ret_mode,
                        struct berth_error **err)
{
    struct statfs fs;

    if (statfs(root, &fs) < 0)
        return berth_error_set(err, errno, "cannot stat the file system of '%s'", root);
    *ret_mode = fs.f_type == CGROUP2_SUPER_MAGIC ? BERTH_CGROUP_V2 : BERTH_CGROUP_V1;
    return 0;
}

/* jansson refuses strings that are not UTF-8; checking here keeps
 * berth_cgroup_to_json infallible. */
static bool is_utf8(const char *s)
{
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

int berth_cgroup_path_validate(const char *path, struct berth_error **err)
{
    if (path == NULL || *path == '\0')
        return berth_error_set(err, EINVAL, "invalid cgroups path '': empty");
    if (strlen(path) >= PATH_MAX)
        return berth_error_set(err, EINVAL, "invalid cgroups path: longer than %d bytes",
                               PATH_MAX - 1);
    for (const char *p = path; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return berth_error_set(err, EINVAL, "invalid cgroups path: control character");
    if (!is_utf8(path))
        return berth_error_set(err, EINVAL, "invalid cgroups path '%s': not UTF-8", path);

    const char *s = path + (path[0] == '/');
    for (;;) {
        const char *e = strchrnul(s, '/');
        size_t len = e - s;
        if (len == 0)
            return berth_error_set(err, EINVAL, "invalid cgroups path '%s': empty component", path);
        if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
            return berth_error_set(err, EINVAL, "invalid cgroups path '%s': '%.*s' component", path,
                                   (int)len, s);
        if (*e == '\0')
            return 0;
        s = e + 1;
    }
}

/* Splits one line of /proc/self/cgroup ("ID:CONTROLLERS:PATH") in place. */
static bool split_line(char *line, char **ret_ctrls, char **ret_path)
{
    char *c = strchr(line, ':');
    if (c == NULL)
        return false;
    char *p = strchr(c + 1, ':');
    if (p == NULL)
        return false;
    *c = *p = '\0';
    *ret_ctrls = c + 1;
    *ret_path = p + 1;
    return true;
}

static bool list_has(const char *list, char sep, const char *word)
{
    size_t wl = strlen(word);

    for (const char *s = list; *s;) {
        while (*s == sep || (sep == ' ' && (*s == '\n' || *s == '\t')))
            s++;
        const char *e = s;
        while (*e && *e != sep && !(sep == ' ' && (*e == '\n' || *e == '\t')))
            e++;
        if ((size_t)(e - s) == wl && strncmp(s, word, wl) == 0)
            return true;
        s = e;
    }
    return false;
}

static bool is_managed(const char *ctrls, unsigned want)
{
    for (size_t i = 0; i < ARRAY_SIZE(managed_v1); i++)
        if (list_has(ctrls, ',', managed_v1[i]))
            return true;
    for (size_t i = 0; i < ARRAY_SIZE(optional_v1); i++)
        if ((want & optional_v1[i].want) && list_has(ctrls, ',', optional_v1[i].name))
            return true;
    return false;
}

/* The directory under root a v1 hierarchy is mounted on: "cpu,cpuacct"
 * itself, or one of its controllers' names (often a symlink to it). */
static char *v1_mount_dir(const char *root, const char *ctrls)
{
    char *dir = berth_cgroup_join(root, ctrls);
    if (access(dir, F_OK) == 0)
        return dir;
    free(dir);

    _cleanup_free_ char *copy = xstrdup(ctrls);
    char *save = NULL;
    for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        dir = berth_cgroup_join(root, c);
        if (access(dir, F_OK) == 0)
            return dir;
        free(dir);
    }
    return NULL;
}

static int check_self_path(const char *self, struct berth_error **err)
{
    if (self[0] != '/')
        return berth_error_set(err, EINVAL, "invalid cgroup '%s' of the calling process", self);
    if (streq(self, "/"))
        return 0;
    if (berth_cgroup_path_validate(self, err) < 0)
        return berth_error_wrap(err, "cannot use the cgroup of the calling process");
    return 0;
}

static int add_hier(struct berth_cgroup *cg, const char *name, const char *mnt, const char *self,
                    const char *path, struct berth_error **err)
{
    if (path[0] != '/') {
        int r = check_self_path(self, err);
        if (r < 0)
            return r;
    }
    _cleanup_free_ char *base = berth_cgroup_join(mnt, path[0] == '/' ? "" : self);
    cg->h = xrealloc(cg->h, (cg->n_h + 1) * sizeof(*cg->h));
    cg->h[cg->n_h++] = (struct berth_cgroup_hier){
        .name = xstrdup(name),
        .dir = berth_cgroup_join(base, path),
        .created = 0,
    };
    return 0;
}

static int fill_v1(struct berth_cgroup *cg, const char *self_cgroup, const char *path,
                   unsigned want, struct berth_error **err)
{
    _cleanup_free_ char *text = xstrdup(self_cgroup);
    char *save = NULL;

    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *ctrls, *self;
        if (!split_line(l, &ctrls, &self) || *ctrls == '\0' || !is_managed(ctrls, want))
            continue;
        _cleanup_free_ char *mnt = v1_mount_dir(cg->root, ctrls);
        if (mnt == NULL)
            continue;
        int r = add_hier(cg, ctrls, mnt, self, path, err);
        if (r < 0)
            return r;
    }
    if (cg->n_h == 0)
        return berth_error_set(err, ENOENT, "no cgroup v1 hierarchy found under '%s'", cg->root);
    return 0;
}

static int fill_v2(struct berth_cgroup *cg, const char *self_cgroup, const char *path,
                   struct berth_error **err)
{
    _cleanup_free_ char *text = xstrdup(self_cgroup);
    char *save = NULL;

    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *ctrls, *self;
        if (split_line(l, &ctrls, &self) && streq(l, "0") && *ctrls == '\0')
            return add_hier(cg, "", cg->root, self, path, err);
    }
    return berth_error_set(err, ENOENT, "no cgroup v2 entry ('0::') for the calling process");
}

static int check_root(const char *root, struct berth_error **err)
{
    if (root == NULL || root[0] != '/')
        return berth_error_set(err, EINVAL, "invalid cgroup root '%s': not absolute",
                               root ? root : "");
    if (!is_utf8(root))
        return berth_error_set(err, EINVAL, "invalid cgroup root '%s': not UTF-8", root);
    return 0;
}

struct berth_cgroup *berth_cgroup_new(enum berth_cgroup_mode mode, const char *root,
                                      const char *self_cgroup, const char *cgroups_path,
                                      const char *id, unsigned want, struct berth_error **err)
{
    _cleanup_free_ char *def = NULL;
    int r;

    if (check_root(root, err) < 0)
        return NULL;
    if (cgroups_path == NULL) {
        if (id == NULL || *id == '\0' || strchr(id, '/')) {
            berth_error_set(err, EINVAL, "invalid container id '%s' for a cgroup name",
                            id ? id : "");
            return NULL;
        }
        cgroups_path = def = xasprintf("berth-%s", id);
    }
    if (berth_cgroup_path_validate(cgroups_path, err) < 0)
        return NULL;

    _cleanup_cgroup_ struct berth_cgroup *cg = xzalloc(sizeof(*cg));
    cg->root = xstrdup(root);
    cg->absolute = cgroups_path[0] == '/';
    switch (mode) {
    case BERTH_CGROUP_V1:
        cg->ops = &berth_cgroup_v1_ops;
        r = fill_v1(cg, self_cgroup ? self_cgroup : "", cgroups_path, want, err);
        break;
    case BERTH_CGROUP_V2:
        cg->ops = &berth_cgroup_v2_ops;
        r = fill_v2(cg, self_cgroup ? self_cgroup : "", cgroups_path, err);
        break;
    default:
        r = berth_error_set(err, EINVAL, "unknown cgroup mode %d", (int)mode);
        break;
    }
    return r < 0 ? NULL : TAKE_PTR(cg);
}

void berth_cgroup_free(struct berth_cgroup *cg)
{
    if (cg == NULL)
        return;
    for (size_t i = 0; i < cg->n_h; i++) {
        free(cg->h[i].name);
        free(cg->h[i].dir);
    }
    free(cg->h);
    free(cg->root);
    free(cg);
}

char *berth_cgroup_to_json(const struct berth_cgroup *cg)
{
    _cleanup_json_ json_t *o = json_object();
    json_t *a = json_array();

    for (size_t i = 0; i < cg->n_h; i++) {
        json_t *h = json_pack("{s:s, s:s, s:I}", "name", cg->h[i].name, "dir", cg->h[i].dir,
                              "created", (json_int_t)cg->h[i].created);
        if (h == NULL || json_array_append_new(a, h) < 0)
            abort();
    }
    if (json_object_set_new(o, "mode",
                            json_string(cg->ops->mode == BERTH_CGROUP_V2 ? "v2" : "v1")) < 0 ||
        json_object_set_new(o, "root", json_string(cg->root)) < 0 ||
        json_object_set_new(o, "absolute", json_boolean(cg->absolute)) < 0 ||
        json_object_set_new(o, "devProgId", json_integer(cg->dev_prog_id)) < 0 ||
        json_object_set_new(o, "hierarchies", a) < 0)
        abort();
    char *s = json_dumps(o, JSON_COMPACT);
    if (s == NULL)
        abort();
    return s;
}

static int hier_from_json(struct berth_cgroup *cg, json_t *j, struct berth_error **err)
{
    json_error_t je;
    const char *name, *dir;
    json_int_t created;

    if (json_unpack_ex(j, &je, 0, "{s:s, s:s, s:I}", "name", &name, "dir", &dir, "created",
                       &created) < 0)
        return berth_error_set(err, EINVAL, "invalid cgroup state: hierarchy: %s", je.text);
    int depth = berth_cgroup_depth_below(cg->root, dir);
    if (depth < 0 || berth_cgroup_path_validate(dir, NULL) < 0)
        return berth_error_set(err, EINVAL, "invalid cgroup state: bad directory '%s'", dir);
    if (created < 0 || created > depth)
        return berth_error_set(err, EINVAL, "invalid cgroup state: bad count %lld for '%s'",
                               (long long)created, dir);
    cg->h = xrealloc(cg->h, (cg->n_h + 1) * sizeof(*cg->h));
    cg->h[cg->n_h++] = (struct berth_cgroup_hier){
        .name = xstrdup(name),
        .dir = xstrdup(dir),
        .created = (unsigned)created,
    };
    return 0;
}

static int cgroup_from_json(struct berth_cgroup *cg, json_t *o, struct berth_error **err)
{
    json_error_t je;
    const char *mode, *root;
    int absolute;
    json_t *hs;

    if (json_unpack_ex(o, &je, 0, "{s:s, s:s, s:b, s:o}", "mode", &mode, "root", &root, "absolute",
                       &absolute, "hierarchies", &hs) < 0)
        return berth_error_set(err, EINVAL, "invalid cgroup state: %s", je.text);
    if (streq(mode, "v1"))
        cg->ops = &berth_cgroup_v1_ops;
    else if (streq(mode, "v2"))
        cg->ops = &berth_cgroup_v2_ops;
    else
        return berth_error_set(err, EINVAL, "invalid cgroup state: unknown mode '%s'", mode);
    int r = check_root(root, err);
    if (r < 0)
        return r;
    cg->root = xstrdup(root);
    cg->absolute = absolute;
    json_t *prog = json_object_get(o, "devProgId");
    if (prog && (!json_is_integer(prog) || json_integer_value(prog) < 0 ||
                 json_integer_value(prog) > UINT32_MAX))
        return berth_error_set(err, EINVAL, "invalid cgroup state: bad 'devProgId'");
    cg->dev_prog_id = prog ? (uint32_t)json_integer_value(prog) : 0;
    if (!json_is_array(hs) || json_array_size(hs) == 0 ||
        (streq(mode, "v2") && json_array_size(hs) != 1))
        return berth_error_set(err, EINVAL, "invalid cgroup state: bad 'hierarchies'");
    for (size_t i = 0; i < json_array_size(hs); i++) {
        r = hier_from_json(cg, json_array_get(hs, i), err);
        if (r < 0)
            return r;
    }
    return 0;
}

struct berth_cgroup *berth_cgroup_from_json(const char *json, struct berth_error **err)
{
    json_error_t je;

    _cleanup_json_ json_t *o = json_loads(json ? json : "", 0, &je);
    if (o == NULL) {
        berth_error_set(err, EINVAL, "invalid cgroup state: %s", je.text);
        return NULL;
    }
    _cleanup_cgroup_ struct berth_cgroup *cg = xzalloc(sizeof(*cg));
    if (cgroup_from_json(cg, o, err) < 0)
        return NULL;
    return TAKE_PTR(cg);
}

int berth_cgroup_plan(struct berth_cgroup *cg, struct berth_error **err)
{
    for (size_t i = 0; i < cg->n_h; i++) {
        struct berth_cgroup_hier *h = &cg->h[i];
        int depth = berth_cgroup_depth_below(cg->root, h->dir);
        if (depth < 0)
            depth = berth_cgroup_depth_below("/", h->dir);
        h->created = 0;
        for (int up = 0; up < depth; up++, h->created++) {
            _cleanup_free_ char *level = berth_cgroup_level(h->dir, (unsigned)up);
            if (access(level, F_OK) == 0)
                break;
            if (errno != ENOENT)
                return berth_error_set(err, errno, "cannot look up cgroup '%s'", level);
        }
    }
    return 0;
}

int berth_cgroup_prepare(struct berth_cgroup *cg, struct berth_error **err)
{
    return cg->ops->prepare(cg, err);
}

int berth_cgroup_setup(struct berth_cgroup *cg, const struct berth_resources *res, pid_t pid,
                       bool placed, struct berth_error **err)
{
    return cg->ops->setup(cg, res, pid, placed, err);
}

int berth_cgroup_set_devices(struct berth_cgroup *cg, const struct berth_device_rule *rules,
                             size_t n, struct berth_error **err)
{
    return cg->ops->set_devices(cg, rules, n, err);
}

int berth_cgroup_destroy(struct berth_cgroup *cg, struct berth_error **err)
{
    return cg->ops->destroy(cg, err);
}

int berth_cgroup_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error **err)
{
    return cg->ops->freeze(cg, frozen, err);
}

int berth_cgroup_open_fd(const struct berth_cgroup *cg, struct berth_error **err)
{
    if (cg->ops->mode != BERTH_CGROUP_V2)
        return -1;
    int fd = open(cg->h[0].dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot open cgroup '%s'", cg->h[0].dir);
    return fd;
}

int berth_cgroup_attach(const struct berth_cgroup *cg, pid_t pid, struct berth_error **err)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%d", (int)pid);
    for (size_t i = 0; i < cg->n_h; i++) {
        int r = berth_cgroup_write(cg->h[i].dir, "cgroup.procs", buf, err);
        if (r < 0)
            return r;
    }
    return 0;
}

const char *berth_cgroup_hier_dir(const struct berth_cgroup *cg, size_t i, const char **ret_name)
{
    if (i >= cg->n_h)
        return NULL;
    *ret_name = cg->h[i].name;
    return cg->h[i].dir;
}

bool berth_cgroup_frozen(struct berth_cgroup *cg)

{
    return cg->ops->frozen(cg);
}

int berth_cgroup_oom_kills(struct berth_cgroup *cg, uint64_t *ret, struct berth_error **err)
{
    return cg->ops->oom_kills(cg, ret, err);
}

int berth_cgroup_mount_inside(const struct berth_cgroup *cg, int rootfd, const char *dest,
                              unsigned long flags, bool cgroupns, struct berth_error **err)
{
    return cg->ops->mount_inside(cg, rootfd, dest, flags, cgroupns, err);
}

int berth_cgroup_pids(struct berth_cgroup *cg, pid_t **ret, size_t *ret_n, struct berth_error **err)
{
    return berth_cgroup_tree_pids(cg->ops->procs_dir(cg), ret, ret_n, err);
}

int berth_cgroup_update(struct berth_cgroup *cg, const struct berth_resources *res,
                        struct berth_error **err)
{
    return cg->ops->update(cg, res, err);
}

int berth_cgroup_stats(struct berth_cgroup *cg, struct berth_cgroup_stats *ret,
                       struct berth_error **err)
{
    const char *dir = cg->ops->procs_dir(cg);

    memset(ret, 0, sizeof(*ret));
    if (access(dir, F_OK) < 0)
        return berth_error_set(err, errno, "cannot read the counters of cgroup '%s'", dir);
    int r = cg->ops->stats(cg, ret, err);
    if (r < 0)
        berth_cgroup_stats_free(ret);
    return r < 0 ? r : 0;
}

void berth_cgroup_stats_free(struct berth_cgroup_stats *s)
{
    if (s == NULL)
        return;
    free(s->cpu_percpu);
    for (size_t i = 0; i < s->n_memory_stat; i++)
        free(s->memory_stat[i].key);
    free(s->memory_stat);
    free(s->io);
    memset(s, 0, sizeof(*s));
}

/* Frozen, the tree cannot fork a process past the walk; one already frozen
 * (a paused container) stays so. Without a freezer the walk is repeated
 * until it finds no one new, which a fork bomb could outrun. */
int berth_cgroup_signal_all(struct berth_cgroup *cg, int sig, struct berth_error **err)
{
    const char *dir = cg->ops->procs_dir(cg);
    int r;

    if (sig == SIGKILL && (r = cg->ops->kill_all(cg, err)) != 0)
        return r < 0 ? r : 0;
    bool was_frozen = cg->ops->frozen(cg);
    _cleanup_error_ struct berth_error *no_freeze = NULL;
    bool froze = !was_frozen && cg->ops->freeze(cg, true, &no_freeze) >= 0;
    r = berth_cgroup_tree_signal(dir, sig, err);
    for (int i = 0; r >= 0 && !froze && !was_frozen && i < 3; i++)
        r = berth_cgroup_tree_signal(dir, sig, err);
    if (froze) {
        _cleanup_error_ struct berth_error *ignored = NULL;
        (void)cg->ops->freeze(cg, false, &ignored);
    }
    return r < 0 ? r : 0;
}

/* runc's linear map of [2, 262144] onto [1, 10000]. */
uint64_t berth_cgroup_shares_to_weight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

/* runc's linear map of [10, 1000] onto [1, 10000]. */
uint64_t berth_cgroup_blkio_to_io_weight(uint64_t weight)
{
    if (weight == 0)
        return 0;
    if (weight < 10)
        weight = 10;
    if (weight > 1000)
        weight = 1000;
    return 1 + ((weight - 10) * 9999) / 990;
}

int berth_cgroup_swap_v2(int64_t limit, int64_t swap, int64_t *ret)
{
    if (limit < -1 || swap < -1)
        return -EINVAL;
    if (limit == -1 || swap == -1) {
        *ret = -1;
        return 0;
    }
    if (swap < limit)
        return -EINVAL;
    *ret = swap - limit;
    return 0;
}

static int chown_file(const char *dir, const char *file, uid_t uid, gid_t gid,
                      struct berth_error **err)
{
    _cleanup_free_ char *path = file ? berth_cgroup_join(dir, file) : xstrdup(dir);
    if (chown(path, uid, gid) < 0 && !(file && errno == ENOENT))
        return berth_error_set(err, errno, "cannot hand cgroup file '%s' to the container's root",
                               path);
    return 0;
}

/* The files of one directory: `delegate` (the kernel's list, one per line)
 * or, without it, `files`. */
static int chown_dir(const char *dir, char *delegate, const char *const *files, uid_t uid,
                     gid_t gid, struct berth_error **err)
{
    int r = chown_file(dir, NULL, uid, gid, err);
    if (delegate) {
        _cleanup_free_ char *copy = xstrdup(delegate);
        for (char *save = NULL, *f = strtok_r(copy, "\n", &save); r >= 0 && f;
             f = strtok_r(NULL, "\n", &save))
            r = chown_file(dir, f, uid, gid, err);
        return r;
    }
    for (const char *const *f = files; r >= 0 && *f; f++)
        r = chown_file(dir, *f, uid, gid, err);
    return r;
}

int berth_cgroup_chown(const struct berth_cgroup *cg, uid_t uid, gid_t gid,
                       struct berth_error **err)
{
    static const char *const v1_files[] = {"cgroup.procs", "tasks", NULL};
    static const char *const v2_files[] = {"cgroup.procs", "cgroup.threads",
                                           "cgroup.subtree_control", NULL};
    _cleanup_free_ char *delegate = NULL;
    bool v2 = cg->ops->mode == BERTH_CGROUP_V2;

    if (v2 && read_file_at(AT_FDCWD, "/sys/kernel/cgroup/delegate", &delegate, NULL, NULL) < 0)
        delegate = NULL;
    for (size_t i = 0; i < cg->n_h; i++) {
        if (cg->h[i].created == 0)
            continue;
        int r = chown_dir(cg->h[i].dir, delegate, v2 ? v2_files : v1_files, uid, gid, err);
        if (r < 0)
            return r;
    }
    return 0;
}

bool berth_cgroup_delegated(const struct berth_cgroup *cg)
{
    if (cg->ops->mode != BERTH_CGROUP_V2)
        return false;
    _cleanup_free_ char *dir = xstrdup(cg->h[0].dir);
    for (;;) {
        if (access(dir, F_OK) == 0) {
            _cleanup_free_ char *procs = berth_cgroup_join(dir, "cgroup.procs");
            return access(dir, W_OK) == 0 && access(procs, W_OK) == 0;
        }
        char *slash = strrchr(dir, '/');
        if (slash == NULL || slash == dir)
            return false;
        *slash = '\0';
    }
}
