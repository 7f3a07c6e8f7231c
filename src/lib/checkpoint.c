/* checkpoint and restore (checkpoint.h): what runc hands criu, on criu's
 * command line (criu.h says why not its RPC). */
#include "checkpoint.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container-internal.h"
#include "container.h"
#include "criu.h"
#include "devices.h"
#include "error.h"
#include "oci.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_CGROUP_ROOT "/sys/fs/cgroup"
/* In the image directory: {"stdio": what the container's stdio led to, as
 * criu's --inherit-fd keys ("" for what criu restores by itself),
 * "shell_job": bool}. */
#define DESCRIPTORS_FILE "berth-descriptors.json"
/* In the state directory while criu restores: its --root and --pidfile. */
#define CRIU_ROOT    "criu-root"
#define CRIU_PIDFILE "criu.pid"

static const char *const default_devices[] = {"/dev/null",   "/dev/zero",    "/dev/full",
                                              "/dev/random", "/dev/urandom", "/dev/tty"};

static void state_freep(struct berth_state **s)
{
    berth_state_free(*s);
}

static int mkdir_parents(const char *path, struct berth_error **err)
{
    _cleanup_free_ char *p = xstrdup(path);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            return berth_error_set(err, errno, "cannot create '%s'", p);
        if (c == '\0')
            return 0;
        *s = c;
    }
}

/* Field `n` (1-based) of a mountinfo line equals `want`. */
static bool mountinfo_has(const char *text, int n, const char *want)
{
    size_t len = strlen(want);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *f = l;
        for (int i = 1; i < n && f; i++)
            f = strchr(f, ' ') ? strchr(f, ' ') + 1 : NULL;
        if (f && strncmp(f, want, len) == 0 && (f[len] == ' ' || f[len] == '\n'))
            return true;
    }
    return false;
}

static void add_flags(struct berth_argv *a, const struct berth_criu_flags *f)
{
    if (f->tcp_established)
        berth_argv_add(a, "--tcp-established");
    if (f->ext_unix_sk)
        berth_argv_add(a, "--ext-unix-sk");
    if (f->shell_job)
        berth_argv_add(a, "--shell-job");
    if (f->file_locks)
        berth_argv_add(a, "--file-locks");
}

/* One external bind mount: on dump only if it is a mount point in the
 * container (mountinfo), named by its destination as runc names it; on
 * restore the name maps to the host path to bind again. */
static void add_ext_mount(struct berth_argv *a, const char *mountinfo, const char *dest,
                          const char *source)
{
    if (mountinfo && !mountinfo_has(mountinfo, 5, dest))
        return;
    berth_argv_add(a, "--external");
    berth_argv_add(a, "mnt[%s]:%s", dest, mountinfo ? dest : source);
}

/* The container's view of its cgroup, when it is made of bind mounts of
 * the host's cgroup directories (v1, or v2 without a cgroup namespace). */
static void add_cgroup_mounts(struct berth_argv *a, const char *mountinfo,
                              const struct berth_config *c, const struct berth_cgroup *cg,
                              const char *dest)
{
    const char *name = NULL, *dir;
    for (size_t i = 0; cg && (dir = berth_cgroup_hier_dir(cg, i, &name)); i++) {
        if (*name == '\0' && c->ns[BERTH_NS_CGROUP].enabled)
            return; /* a real cgroup2 mount, which criu dumps itself */
        _cleanup_free_ char *sub = *name ? xasprintf("%s/%s", dest, name) : xstrdup(dest);
        add_ext_mount(a, mountinfo, sub, dir);
    }
}

/* A masked directory is an empty tmpfs, which criu dumps itself; `root`
 * is the container's root seen from here (NULL on restore: the image has
 * no external mount of that name). */
static bool masked_dir(const char *root, const char *path)
{
    struct stat st;
    _cleanup_free_ char *p = root ? xasprintf("%s%s", root, path) : NULL;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* runc's list: bind mounts, cgroup binds, masked files (a bind of
 * /dev/null) and device nodes that are binds of the host's. On dump,
 * `mountinfo` and `root` are the container's. */
static void add_mounts(struct berth_argv *a, const char *mountinfo, const char *root,
                       const struct berth_config *c, const struct berth_cgroup *cg,
                       const char *bundle)
{
    for (size_t i = 0; i < c->n_mounts; i++) {
        const struct berth_mount *m = &c->mounts[i];
        if (m->type && (streq(m->type, "cgroup") || streq(m->type, "cgroup2"))) {
            add_cgroup_mounts(a, mountinfo, c, cg, m->destination);
        } else if (m->is_bind && m->source) {
            _cleanup_free_ char *src =
                m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
            add_ext_mount(a, mountinfo, m->destination, src);
        }
    }
    for (char **p = c->masked_paths; p && *p; p++)
        if (!masked_dir(root, *p))
            add_ext_mount(a, mountinfo, *p, "/dev/null");
    for (size_t i = 0; i < c->n_devices; i++)
        add_ext_mount(a, mountinfo, c->devices[i].path, c->devices[i].path);
    for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++)
        add_ext_mount(a, mountinfo, default_devices[i], default_devices[i]);
}

/* ---- checkpoint ---- */

struct ckpt {
    const struct berth_checkpoint_opts *o;
    struct berth_state *s;
    struct berth_config *config;
    struct berth_cgroup *cg;
    char *mountinfo;
    char *image, *work;
    struct berth_argv a;
};

/* The --inherit-fd key of fd `n` of the init: a pipe, or a file on a mount
 * the container does not have (the host's /dev/null, a log file); "" for
 * what criu dumps and restores by itself. */
static char *stdio_key(struct ckpt *k, int n)
{
    char link[PATH_MAX], path[64];
    struct stat st;
    ssize_t len;

    snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)k->s->pid, n);
    if ((len = readlink(path, link, sizeof(link) - 1)) < 0)
        return xstrdup("");
    link[len] = '\0';
    if (strncmp(link, "pipe:", 5) == 0)
        return xstrdup(link);
    if (link[0] != '/' || stat(path, &st) < 0)
        return xstrdup("");
    _cleanup_free_ char *info = NULL;
    snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)k->s->pid, n);
    if (read_file_at(AT_FDCWD, path, &info, NULL, NULL) < 0)
        return xstrdup("");
    const char *m = strstr(info, "mnt_id:");
    int mnt_id = m ? atoi(m + 7) : -1;
    char id[16];
    snprintf(id, sizeof(id), "%d", mnt_id);
    if (mnt_id < 0 || mountinfo_has(k->mountinfo, 1, id))
        return xstrdup("");
    return xasprintf("file[%x:%" PRIx64 "]", (unsigned)mnt_id, (uint64_t)st.st_ino);
}

/* Whether the init's session is led from outside the container (an init
 * another runtime started without setsid()): criu dumps and restores that
 * only as a shell job. */
static bool session_outside(pid_t pid)
{
    _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int)pid), *text = NULL;
    int sid = 0;
    if (read_file_at(AT_FDCWD, path, &text, NULL, NULL) < 0)
        return false;
    const char *p = strrchr(text, ')');
    if (p == NULL || sscanf(p + 1, " %*c %*d %*d %d", &sid) != 1)
        return false;
    return sid != (int)pid;
}

/* Writes DESCRIPTORS_FILE (the stdio keys and whether criu dumped a shell
 * job, which restore must say too) and marks the external files. */
static int add_stdio(struct ckpt *k, bool shell_job, struct berth_error **err)
{
    json_t *keys = json_array();
    for (int n = 0; n < 3; n++) {
        _cleanup_free_ char *key = stdio_key(k, n);
        if (strncmp(key, "file[", 5) == 0) {
            berth_argv_add(&k->a, "--external");
            berth_argv_add(&k->a, "%s", key);
        }
        json_array_append_new(keys, json_string(key));
    }
    json_t *o = json_pack("{s:o, s:b}", "stdio", keys, "shell_job", shell_job);
    _cleanup_free_ char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    _cleanup_close_ int dfd = open(k->image, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berth_error_set(err, errno, "cannot open the image directory '%s'", k->image);
    return write_file_atomic_at(dfd, DESCRIPTORS_FILE, text, strlen(text), err);
}

/* Network and PID namespaces joined by path stay outside the image. */
static int add_external_ns(struct ckpt *k, struct berth_error **err)
{
    static const struct {
        int type;
        const char *kind, *key;
    } ext[] = {{BERTH_NS_NET, "net", "extRootNetNS"}, {BERTH_NS_PID, "pid", "extRootPidNS"}};
    struct stat st;

    for (size_t i = 0; i < ARRAY_SIZE(ext); i++) {
        const char *path = k->config->ns[ext[i].type].path;
        if (!k->config->ns[ext[i].type].enabled || path == NULL)
            continue;
        if (stat(path, &st) < 0)
            return berth_error_set(err, errno, "cannot stat namespace '%s'", path);
        berth_argv_add(&k->a, "--external");
        berth_argv_add(&k->a, "%s[%llu]:%s", ext[i].kind, (unsigned long long)st.st_ino,
                       ext[i].key);
    }
    return 0;
}

/* The freezer criu stops the tree with (v2: the container's cgroup). */
static void add_freezer(struct ckpt *k)
{
    const char *name = NULL, *dir;
    for (size_t i = 0; k->cg && (dir = berth_cgroup_hier_dir(k->cg, i, &name)); i++) {
        bool freezer = *name == '\0' || strstr(name, "freezer") != NULL;
        if (freezer) {
            berth_argv_add(&k->a, "--freeze-cgroup");
            berth_argv_add(&k->a, "%s", dir);
            return;
        }
    }
}

static int load_saved_config(struct ckpt *k, int dfd, struct berth_error **err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = read_file_at(dfd, BERTH_CONFIG_FILE, &text, &len, err);
    if (r < 0)
        return berth_error_wrap(err, "cannot read the config of '%s'", k->o->id);
    k->config = berth_config_parse(text, len, k->s->bundle ? k->s->bundle : "/", err);
    if (k->config == NULL)
        return berth_error_wrap(err, "the saved config of '%s'", k->o->id);
    k->cg = berth_container_cgroup(k->s, NULL);
    return 0;
}

static int dump_args(struct ckpt *k, struct berth_error **err)
{
    struct berth_argv *a = &k->a;
    _cleanup_free_ char *mi = xasprintf("/proc/%d/mountinfo", (int)k->s->pid);
    int r = read_file_at(AT_FDCWD, mi, &k->mountinfo, NULL, err);
    if (r < 0)
        return r;
    berth_argv_add(a, "%s", k->o->criu);
    berth_argv_add(a, "dump");
    berth_argv_add(a, "--tree=%d", (int)k->s->pid);
    berth_argv_add(a, "--images-dir=%s", k->image);
    berth_argv_add(a, "--work-dir=%s", k->work);
    berth_argv_add(a, "--log-file=dump.log");
    berth_argv_add(a, "-v4");
    berth_argv_add(a, "--manage-cgroups");
    /* criu's default lock runs iptables-restore and needs xt_mark; nf_tables
     * is what Debian's own firewall uses, through the libnftables criu links */
    berth_argv_add(a, "--network-lock=nftables");
    if (k->o->leave_running)
        berth_argv_add(a, "--leave-running");
    struct berth_criu_flags flags = k->o->flags;
    flags.shell_job = flags.shell_job || session_outside(k->s->pid);
    add_flags(a, &flags);
    add_freezer(k);
    _cleanup_free_ char *root = xasprintf("/proc/%d/root", (int)k->s->pid);
    add_mounts(a, k->mountinfo, root, k->config, k->cg, k->s->bundle ? k->s->bundle : "/");
    if ((r = add_external_ns(k, err)) < 0)
        return r;
    return add_stdio(k, flags.shell_job, err);
}

static int checkpoint_locked(struct ckpt *k, int dfd, struct berth_error **err)
{
    enum berth_status st = berth_container_status(dfd, k->s, false);
    if (st != BERTH_STATUS_RUNNING && st != BERTH_STATUS_PAUSED)
        return berth_error_set(err, EINVAL, "container '%s' is %s, not running", k->o->id,
                               berth_status_name(st));
    int r = load_saved_config(k, dfd, err);
    if (r >= 0 && k->config->process.terminal)
        return berth_error_set(err, EINVAL,
                               "container '%s' has 'process.terminal': berth cannot hand a "
                               "restored terminal over",
                               k->o->id);
    if (r < 0 || (r = mkdir_parents(k->image, err)) < 0 || (r = mkdir_parents(k->work, err)) < 0 ||
        (r = dump_args(k, err)) < 0)
        return r;
    _cleanup_free_ char *log = xasprintf("%s/dump.log", k->work);
    struct berth_criu_spawn sp = {0};
    return berth_criu_run(k->a.v, &sp, "dump", log, err);
}

static char *absolute(const char *path)
{
    char cwd[PATH_MAX];
    if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
        return xstrdup(path);
    return xasprintf("%s/%s", cwd, path);
}

int berth_container_checkpoint(const struct berth_checkpoint_opts *o, struct berth_error **err)
{
    _cleanup_(state_freep) struct berth_state *s = NULL;
    struct ckpt k = {.o = o};
    int dfd = berth_container_lock(o->state_root, o->id, &s, err);
    if (dfd < 0)
        return dfd;
    k.s = s;
    k.image = absolute(o->image_path);
    k.work = absolute(o->work_path ? o->work_path : o->image_path);
    int r = checkpoint_locked(&k, dfd, err);
    close(dfd);
    berth_config_free(k.config);
    berth_cgroup_free(k.cg);
    berth_argv_free(&k.a);
    free(k.mountinfo);
    free(k.image);
    free(k.work);
    if (r < 0)
        return berth_error_wrap(err, "cannot checkpoint container '%s'", o->id);
    /* runc's: the checkpointed container is gone unless it is left running */
    if (!o->leave_running && berth_container_delete(o->state_root, o->id, true, err) < 0)
        return berth_error_wrap(err, "checkpoint of '%s' written, but", o->id);
    return 0;
}

/* ---- restore ---- */

struct rst {
    const struct berth_restore_opts *o;
    char *bundle, *image, *work, *state_dir, *created, *config_text;
    struct berth_config *config;
    struct berth_cgroup *cg;
    int dirfd;
    int ns_fds[2];    /* network and PID namespaces joined by path */
    int stdio_fds[3]; /* the caller's stdio, for criu's --inherit-fd */
    pid_t pid;
    int pidfd;
    unsigned long long pid_start;
    struct berth_argv a;
};

static int check_image(const char *image, struct berth_error **err)
{
    _cleanup_free_ char *inv = xasprintf("%s/inventory.img", image);
    if (access(inv, F_OK) < 0)
        return berth_error_set(err, errno == ENOENT ? ENOENT : errno,
                               "no checkpoint in '%s' (no inventory.img)", image);
    return 0;
}

/* criu joins UTS and IPC namespaces by path and takes network and PID
 * ones as external; it cannot join any other (runc refuses the same). */
static int check_namespaces(const struct berth_config *c, struct berth_error **err)
{
    static const int unjoinable[] = {BERTH_NS_MNT, BERTH_NS_USER, BERTH_NS_CGROUP, BERTH_NS_TIME};
    for (size_t i = 0; i < ARRAY_SIZE(unjoinable); i++) {
        const struct berth_namespace *ns = &c->ns[unjoinable[i]];
        if (ns->enabled && ns->path)
            return berth_error_set(err, EINVAL,
                                   "cannot restore into the %s namespace '%s': criu cannot join "
                                   "it by path",
                                   berth_ns_name(unjoinable[i]), ns->path);
    }
    if (c->process.terminal)
        return berth_error_set(err, EINVAL,
                               "cannot restore a container with 'process.terminal': berth does "
                               "not hand a restored terminal over");
    return 0;
}

static int load_bundle(struct rst *x, struct berth_error **err)
{
    char real[PATH_MAX];
    size_t len = 0;

    if (realpath(x->o->bundle, real) == NULL)
        return berth_error_set(err, errno, "cannot use bundle '%s'", x->o->bundle);
    x->bundle = xstrdup(real);
    _cleanup_free_ char *path = xasprintf("%s/config.json", x->bundle);
    int r = read_file_at(AT_FDCWD, path, &x->config_text, &len, err);
    if (r < 0)
        return r;
    x->config = berth_config_parse(x->config_text, len, x->bundle, err);
    if (x->config == NULL)
        return berth_error_wrap(err, "%s", path);
    return check_namespaces(x->config, err);
}

static int write_record(struct rst *x, enum berth_phase phase, struct berth_error **err)
{
    _cleanup_free_ char *cg = x->cg ? berth_cgroup_to_json(x->cg) : NULL;
    struct berth_state s;
    berth_container_record_init(&s, x->o->id, phase, x->config);
    s.pid = x->pid;
    s.pid_start = x->pid_start;
    s.bundle = x->bundle;
    s.created = x->created;
    s.cgroup_json = cg;
    return berth_state_write(x->dirfd, &s, err);
}

/* The cgroup, as create plans it; the record names it before it exists. */
static int plan_cgroup(struct rst *x, struct berth_error **err)
{
    const char *root = x->o->cgroup_root ? x->o->cgroup_root : DEFAULT_CGROUP_ROOT;
    enum berth_cgroup_mode mode;
    _cleanup_free_ char *self = NULL;

    int r = berth_cgroup_detect(root, &mode, err);
    if (r < 0 || (r = read_file_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL, err)) < 0)
        return r;
    x->cg = berth_cgroup_new(mode, root, self, x->config->cgroups_path, x->o->id, 0, err);
    if (x->cg == NULL)
        return -(*err)->errnum;
    if ((r = berth_cgroup_plan(x->cg, err)) < 0 ||
        (r = write_record(x, BERTH_PHASE_CREATING, err)) < 0)
        return r;
    /* v2 makes the directory here; setup (in criu.c) makes the rest */
    r = berth_cgroup_prepare(x->cg, err);
    if (r < 0 && *err != NULL)
        return r;
    if (r >= 0)
        close(r);
    return 0;
}

/* criu puts the restored tree where the dumped one was, relative to the
 * root given per hierarchy: the new container's cgroup. */
static void add_cgroup_roots(struct rst *x)
{
    const char *root = x->o->cgroup_root ? x->o->cgroup_root : DEFAULT_CGROUP_ROOT;
    const char *name = NULL, *dir;
    berth_argv_add(&x->a, "--manage-cgroups=soft");
    for (size_t i = 0; (dir = berth_cgroup_hier_dir(x->cg, i, &name)); i++) {
        const char *rel = dir + strlen(root);
        if (*name) /* v1: past the hierarchy's own directory */
            rel = strchr(rel + 1, '/') ? strchr(rel + 1, '/') : "/";
        berth_argv_add(&x->a, "--cgroup-root");
        if (*name)
            berth_argv_add(&x->a, "%s:%s", name, *rel ? rel : "/");
        else
            berth_argv_add(&x->a, "%s", *rel ? rel : "/");
    }
}

static int add_restore_ns(struct rst *x, struct berth_error **err)
{
    static const struct {
        int type;
        const char *key;
    } ext[] = {{BERTH_NS_NET, "extRootNetNS"}, {BERTH_NS_PID, "extRootPidNS"}};
    for (size_t i = 0; i < ARRAY_SIZE(ext); i++) {
        const char *path = x->config->ns[ext[i].type].path;
        if (!x->config->ns[ext[i].type].enabled || path == NULL)
            continue;
        x->ns_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (x->ns_fds[i] < 0)
            return berth_error_set(err, errno, "cannot open namespace '%s'", path);
        berth_argv_add(&x->a, "--inherit-fd");
        berth_argv_add(&x->a, "fd[%d]:%s", x->ns_fds[i], ext[i].key);
    }
    static const int joined[] = {BERTH_NS_UTS, BERTH_NS_IPC};
    for (size_t i = 0; i < ARRAY_SIZE(joined); i++) {
        const struct berth_namespace *ns = &x->config->ns[joined[i]];
        if (ns->enabled && ns->path) {
            berth_argv_add(&x->a, "--join-ns");
            berth_argv_add(&x->a, "%s:%s", berth_ns_proc_name(joined[i]), ns->path);
        }
    }
    return 0;
}

/* The stdio the dump found leading outside goes to the caller's. */
static int add_inherited_stdio(struct rst *x, struct berth_error **err)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", x->image, DESCRIPTORS_FILE), *text = NULL;
    size_t len = 0;
    if (access(path, F_OK) < 0)
        return 0; /* an image from elsewhere: criu restores what it can */
    int r = read_file_at(AT_FDCWD, path, &text, &len, err);
    if (r < 0)
        return r;
    json_t *o = json_loadb(text, len, 0, NULL), *keys = json_object_get(o, "stdio");
    if (json_is_true(json_object_get(o, "shell_job")) && !x->o->flags.shell_job)
        berth_argv_add(&x->a, "--shell-job");
    for (size_t n = 0; n < 3 && n < json_array_size(keys); n++) {
        const char *key = json_string_value(json_array_get(keys, n));
        int from = x->o->stdio ? x->o->stdio[n] : (int)n;
        if (key == NULL || *key == '\0')
            continue;
        if ((x->stdio_fds[n] = fcntl(from, F_DUPFD_CLOEXEC, 3)) < 0) {
            json_decref(o);
            return berth_error_set(err, errno, "cannot pass on fd %d", from);
        }
        berth_argv_add(&x->a, "--inherit-fd");
        berth_argv_add(&x->a, "fd[%d]:%s", x->stdio_fds[n], key);
    }
    json_decref(o);
    return 0;
}

static int restore_args(struct rst *x, struct berth_error **err)
{
    struct berth_argv *a = &x->a;
    berth_argv_add(a, "%s", x->o->criu);
    berth_argv_add(a, "restore");
    berth_argv_add(a, "--images-dir=%s", x->image);
    berth_argv_add(a, "--work-dir=%s", x->work);
    berth_argv_add(a, "--log-file=restore.log");
    berth_argv_add(a, "-v4");
    /* criu leaves and the restored init is our child, waited for as any */
    berth_argv_add(a, "--restore-detached");
    berth_argv_add(a, "--restore-sibling");
    berth_argv_add(a, "--pidfile=%s/%s", x->state_dir, CRIU_PIDFILE);
    berth_argv_add(a, "--root=%s/%s", x->state_dir, CRIU_ROOT);
    add_flags(a, &x->o->flags);
    add_cgroup_roots(x);
    add_mounts(a, NULL, NULL, x->config, x->cg, x->bundle);
    int r = add_restore_ns(x, err);
    return r < 0 ? r : add_inherited_stdio(x, err);
}

static int run_criu(struct rst *x, struct berth_error **err)
{
    int keep[5];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(x->ns_fds); i++)
        if (x->ns_fds[i] >= 0)
            keep[n++] = x->ns_fds[i];
    for (size_t i = 0; i < ARRAY_SIZE(x->stdio_fds); i++)
        if (x->stdio_fds[i] >= 0)
            keep[n++] = x->stdio_fds[i];
    _cleanup_free_ char *root = xasprintf("%s/%s", x->state_dir, CRIU_ROOT);
    if (mkdir(root, 0700) < 0)
        return berth_error_set(err, errno, "cannot create '%s'", root);
    _cleanup_free_ char *log = xasprintf("%s/restore.log", x->work);
    struct berth_criu_spawn sp = {
        .keep_fds = keep,
        .n_keep = n,
        .rootfs = x->config->root_path,
        .root_mnt = root,
        .cgroup = x->cg,
        .resources = &x->config->resources,
    };
    int r = berth_criu_run(x->a.v, &sp, "restore", log, err);
    rmdir(root);
    return r;
}

/* The restored init: criu's pidfile names it; it is our child. */
static int adopt_init(struct rst *x, struct berth_error **err)
{
    _cleanup_free_ char *text = NULL;
    long long pid = 0;
    int r = read_file_at(x->dirfd, CRIU_PIDFILE, &text, NULL, err);
    if (r < 0)
        return berth_error_wrap(err, "criu restored no init");
    unlinkat(x->dirfd, CRIU_PIDFILE, 0);
    text[strcspn(text, "\n")] = '\0';
    if (parse_i64(text, &pid) < 0 || pid <= 0)
        return berth_error_set(err, EPROTO, "criu wrote an invalid pid '%s'", text);
    x->pid = (pid_t)pid;
    x->pidfd = (int)syscall(SYS_pidfd_open, x->pid, 0);
    if (x->pidfd < 0)
        return berth_error_set(err, errno, "cannot open the restored init %d", (int)x->pid);
    x->pid_start = proc_start_time(x->pid);
    return 0;
}

static int finish_restore(struct rst *x, struct berth_error **err)
{
    size_t n = 0;
    _cleanup_free_ struct berth_device_rule *rules = berth_devices_cgroup_rules(x->config, &n);
    int r = adopt_init(x, err);
    if (r < 0 || (r = berth_cgroup_set_devices(x->cg, rules, n, err)) < 0 ||
        (r = write_file_atomic_at(x->dirfd, BERTH_CONFIG_FILE, x->config_text,
                                  strlen(x->config_text), err)) < 0 ||
        (r = write_record(x, BERTH_PHASE_CREATED, err)) < 0)
        return r;
    if (x->o->pid_file && (r = write_pid_file(x->o->pid_file, x->pid, err)) < 0)
        return r;
    return 0;
}

static int restore_steps(struct rst *x, struct berth_error **err)
{
    int r = check_image(x->image, err);
    if (r < 0 || (r = load_bundle(x, err)) < 0 ||
        (r = berth_state_create(x->o->state_root, x->o->id, err)) < 0)
        return r;
    x->dirfd = r;
    x->created = berth_rfc3339_now();
    if ((r = mkdir_parents(x->work, err)) < 0 || (r = plan_cgroup(x, err)) < 0 ||
        (r = restore_args(x, err)) < 0 || (r = run_criu(x, err)) < 0)
        return r;
    return finish_restore(x, err);
}

/* Kills what criu restored (all of it is in the cgroup) and removes the
 * cgroup and the record; a cgroup that stays keeps the record for delete. */
static void undo_restore(struct rst *x)
{
    _cleanup_error_ struct berth_error *e = NULL;
    if (x->pidfd >= 0)
        syscall(SYS_pidfd_send_signal, x->pidfd, SIGKILL, NULL, 0);
    if (x->pid > 0)
        while (waitpid(x->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    if (x->cg && berth_cgroup_destroy(x->cg, &e) < 0)
        return;
    if (x->dirfd >= 0)
        berth_state_remove(x->o->state_root, x->o->id, NULL);
}

static void free_rst(struct rst *x)
{
    int fds[] = {x->dirfd,        x->pidfd,        x->ns_fds[0],   x->ns_fds[1],
                 x->stdio_fds[0], x->stdio_fds[1], x->stdio_fds[2]};
    for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    char *strs[] = {x->bundle, x->image, x->work, x->state_dir, x->created, x->config_text};
    for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
        free(strs[i]);
    berth_config_free(x->config);
    berth_cgroup_free(x->cg);
    berth_argv_free(&x->a);
}

int berth_container_restore(const struct berth_restore_opts *o, struct berth_container **ret,
                            struct berth_error **err)
{
    struct rst x = {
        .o = o, .dirfd = -1, .ns_fds = {-1, -1}, .stdio_fds = {-1, -1, -1}, .pidfd = -1};
    int r = berth_state_validate_id(o->id, err);
    if (r < 0)
        return r;
    x.image = absolute(o->image_path);
    x.work = absolute(o->work_path ? o->work_path : o->image_path);
    _cleanup_free_ char *root = absolute(o->state_root);
    x.state_dir = xasprintf("%s/%s", root, o->id);
    r = restore_steps(&x, err);
    if (r < 0) {
        undo_restore(&x);
        free_rst(&x);
        return berth_error_wrap(err, "cannot restore container '%s'", o->id);
    }
    struct berth_container *c = xzalloc(sizeof(*c));
    c->id = xstrdup(o->id);
    c->state_root = xstrdup(o->state_root);
    c->pid = x.pid;
    c->pidfd = TAKE_FD(x.pidfd);
    c->status_fd = -1;
    c->cgroup = TAKE_PTR(x.cg);
    *ret = c;
    free_rst(&x);
    return 0;
}
