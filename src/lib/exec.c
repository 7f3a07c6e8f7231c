/* `exec`: a new process in a running container (container.h). The runtime
 * builds the process's config from the container's own (saved at create)
 * with the caller's changes, opens the init's namespaces, and starts a
 * helper that joins them and clones the process; the process waits until
 * the runtime has put it in the container's cgroup (v1), then sets itself
 * up as the container's init would and execs. */
#include "exec.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "error.h"
#include "init.h"
#include "launch.h"
#include "oci.h"
#include "process.h"
#include "signals.h"
#include "spawn.h"
#include "state.h"
#include "seccomp-cache.h"
#include "seccomp-prog.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOCK_WAIT_MS 10000

/* ---- the child side ---- */

static int expect_go(int fd, struct berth_error **err)
{
    int r = berth_sync_recv(fd, NULL, err);
    if (r < 0)
        return r;
    if (r != BERTH_SYNC_GO)
        return berth_error_set(err, EPROTO, "unexpected message from the runtime (%d)", r);
    return 0;
}

static _Noreturn void exec_main(const struct berth_init_args *a)
{
    _cleanup_error_ struct berth_error *err = NULL;
    _cleanup_free_ char *exe = NULL;
    int n = 0, keep[2 + a->preserve_fds];

    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    /* only now, in the container's cgroup: cloned into it from outside the
     * namespace (v2 refuses a move from outside a cgroup namespace to
     * inside it with ENOENT) */
    if (a->cgroupns_fd >= 0 && setns(a->cgroupns_fd, CLONE_NEWCGROUP) < 0) {
        berth_error_set(&err, errno, "cannot join the container's cgroup namespace");
        goto fail;
    }
    if (a->cgroupns_fd >= 0)
        close(a->cgroupns_fd);
    keep[n++] = a->sync_fd;
    keep[n++] = a->console_fd;
    for (int i = 0; i < a->preserve_fds; i++)
        keep[n++] = 3 + i;
    close_fds_except(keep, (size_t)n);
    /* in the container's cgroup before anything of the payload's runs */
    if (expect_go(a->sync_fd, &err) < 0)
        goto fail;
    if (a->console_fd >= 0) {
        if (berth_process_console(a->console_fd, &a->config->process, &err) < 0)
            goto fail;
        close(a->console_fd);
    }
    if (berth_process_prepare(&a->config->process, &exe, &err) < 0)
        goto fail;
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    berth_signals_reset();
    for (int i = 0; i < a->preserve_fds; i++)
        (void)fcntl(3 + i, F_SETFD, 0);
    berth_process_exec(a->config->seccomp, a->seccomp, &a->config->process, exe, &err);
fail:
    berth_sync_send_error(a->sync_fd, err);
    _exit(127);
}

static int exec_fn(void *arg)
{
    exec_main(arg);
}

_Noreturn void berth_exec_spawn_joined(const struct berth_init_args *a, const int *ns_fds,
                                       size_t n_ns, int cgroup_fd)
{
    _cleanup_error_ struct berth_error *err = NULL;
    struct berth_spawn s = {.flags = CLONE_PARENT,
                            .cgroup_fd = cgroup_fd,
                            .stdio = {-1, -1, -1},
                            .exe_fd = -1,
                            .fn = exec_fn,
                            .arg = (void *)a};
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    for (size_t i = 0; i < n_ns && err == NULL; i++) {
        if (setns(ns_fds[i], 0) < 0)
            berth_error_set(&err, errno, "cannot join the container's namespaces");
        close(ns_fds[i]);
    }
    berth_spawn_report(&s, a->sync_fd, err);
}

/* ---- the runtime side ---- */

struct exec_ctx {
    const struct berth_exec_opts *o;
    struct berth_state *s;
    struct berth_cgroup *cgroup;
    char *config_text;
    struct berth_config *config;
    int dirfd;
    int ns[BERTH_NS_COUNT];
    size_t n_ns;
    int cgroupns;
    int cgroup_fd;
    int sync[2];
    struct berth_launched child;
};

/* exec shares the container with other execs (a shared lock) and waits a
 * while for a command that holds it exclusively (start, kill, delete). */
static int open_shared(struct exec_ctx *x, struct berth_error **err)
{
    struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
    for (int waited = 0;; waited += 10) {
        bool busy = false;
        int fd = berth_state_open(x->o->state_root, x->o->id, BERTH_LOCK_READ, &busy, err);
        if (fd < 0 || !busy)
            return fd;
        close(fd);
        if (waited >= LOCK_WAIT_MS)
            return berth_error_set(err, EBUSY, "container '%s' is busy", x->o->id);
        nanosleep(&ts, NULL);
    }
}

static int check_running(struct exec_ctx *x, struct berth_error **err)
{
    int r = berth_state_read(x->dirfd, &x->s, err);
    if (r < 0)
        return berth_error_wrap(err, "cannot read the state of '%s'", x->o->id);
    enum berth_status st = berth_state_status(x->dirfd, x->s, false);
    if (st == BERTH_STATUS_RUNNING && x->s->cgroup_json) {
        if ((x->cgroup = berth_cgroup_from_json(x->s->cgroup_json, err)) == NULL)
            return -(*err)->errnum;
        if (berth_cgroup_frozen(x->cgroup))
            st = BERTH_STATUS_PAUSED;
    }
    if (st != BERTH_STATUS_RUNNING)
        return berth_error_set(err, EINVAL, "cannot exec in container '%s': it is %s", x->o->id,
                               berth_status_name(st));
    return 0;
}

/* --cap NAME: added to bounding, effective and permitted (runc). */
static int add_caps(json_t *proc, char **caps, struct berth_error **err)
{
    static const char *const sets[] = {"bounding", "effective", "permitted"};
    json_t *c = json_object_get(proc, "capabilities");
    if (caps == NULL || *caps == NULL)
        return 0;
    if (!json_is_object(c)) {
        c = json_object();
        json_object_set_new(proc, "capabilities", c);
    }
    for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
        json_t *a = json_object_get(c, sets[i]);
        if (!json_is_array(a)) {
            a = json_array();
            json_object_set_new(c, sets[i], a);
        }
        for (char **n = caps; *n; n++)
            json_array_append_new(a, json_string(*n));
    }
    return 0;
}

/* KEY=VALUE replaces an entry with the same key, or is added. */
static void set_env(json_t *env, const char *kv)
{
    size_t kl = strcspn(kv, "=");
    for (size_t i = 0; i < json_array_size(env); i++) {
        const char *e = json_string_value(json_array_get(env, i));
        if (e && strncmp(e, kv, kl) == 0 && e[kl] == '=') {
            json_array_set_new(env, i, json_string(kv));
            return;
        }
    }
    json_array_append_new(env, json_string(kv));
}

static json_t *strv_json(char **v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

/* The container's process with the caller's changes. */
static int override_process(const struct berth_exec_opts *o, json_t *proc, struct berth_error **err)
{
    json_t *env = json_object_get(proc, "env");
    if (!json_is_array(env)) {
        env = json_array();
        json_object_set_new(proc, "env", env);
    }
    for (char **e = o->env; e && *e; e++) {
        if (strchr(*e, '=') == NULL || **e == '=')
            return berth_error_set(err, EINVAL, "invalid environment variable '%s': use KEY=VALUE",
                                   *e);
        set_env(env, *e);
    }
    json_object_set_new(proc, "args", strv_json(o->args));
    if (o->cwd)
        json_object_set_new(proc, "cwd", json_string(o->cwd));
    if (o->has_user) {
        json_t *u = json_pack("{s:I, s:I}", "uid", (json_int_t)o->uid, "gid", (json_int_t)o->gid);
        json_object_set_new(proc, "user", u);
    }
    if (o->n_additional_gids) {
        json_t *u = json_object_get(proc, "user"), *g = json_array();
        for (size_t i = 0; i < o->n_additional_gids; i++)
            json_array_append_new(g, json_integer(o->additional_gids[i]));
        json_object_set_new(u, "additionalGids", g);
    }
    if (o->no_new_privs)
        json_object_set_new(proc, "noNewPrivileges", json_true());
    json_object_set_new(proc, "terminal", json_boolean(o->terminal));
    if (o->terminal && o->console_height && o->console_width)
        json_object_set_new(proc, "consoleSize",
                            json_pack("{s:I,s:I}", "height", (json_int_t)o->console_height, "width",
                                      (json_int_t)o->console_width));
    return add_caps(proc, o->caps, err);
}

static int build_config(struct exec_ctx *x, struct berth_error **err)
{
    _cleanup_free_ char *saved = NULL;
    json_error_t je;
    int r = read_file_at(x->dirfd, BERTH_CONFIG_FILE, &saved, NULL, err);
    if (r < 0)
        return berth_error_wrap(err, "cannot read the config of '%s'", x->o->id);
    _cleanup_(json_decrefp) json_t *cfg = json_loads(saved, 0, NULL);
    if (!json_is_object(cfg))
        return berth_error_set(err, EIO, "corrupt saved config of '%s'", x->o->id);
    json_t *proc;
    if (x->o->process_json) {
        if ((proc = json_loads(x->o->process_json, 0, &je)) == NULL)
            return berth_error_set(err, EINVAL, "invalid process: not valid JSON: %s", je.text);
    } else {
        proc = json_deep_copy(json_object_get(cfg, "process"));
        if (proc == NULL || (r = override_process(x->o, proc, err)) < 0) {
            json_decref(proc);
            return r < 0 ? r : berth_error_set(err, EIO, "no process in the saved config");
        }
    }
    json_object_set_new(cfg, "process", proc);
    x->config_text = json_dumps(cfg, JSON_COMPACT);
    x->config = berth_config_parse(x->config_text, strlen(x->config_text), x->s->bundle, err);
    return x->config ? 0 : berth_error_wrap(err, "invalid process");
}

/* The init's namespaces, opened while its pidfd shows the recorded process
 * (not a recycled pid); the mount namespace goes last: joining it changes
 * the joiner's root. */
static int open_namespaces(struct exec_ctx *x, struct berth_error **err)
{
    /* the cgroup namespace is the process's own to join (exec_main) */
    /* the user namespace first: the others belong to it, and an
     * unprivileged caller has its capabilities only in there */
    static const int order[] = {BERTH_NS_USER, BERTH_NS_IPC,    BERTH_NS_UTS,  BERTH_NS_NET,
                                BERTH_NS_PID,  BERTH_NS_CGROUP, BERTH_NS_TIME, BERTH_NS_MNT};
    _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, x->s->pid, 0);
    struct pollfd p = {.fd = pidfd, .events = POLLIN};

    if (pidfd < 0 || proc_start_time(x->s->pid) != x->s->pid_start)
        return berth_error_set(err, ESRCH, "container '%s' is not running", x->o->id);
    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        int t = order[i];
        if (!x->config->ns[t].enabled)
            continue;
        _cleanup_free_ char *path =
            xasprintf("/proc/%d/ns/%s", (int)x->s->pid, berth_ns_proc_name(t));
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return berth_error_set(err, errno, "cannot open the %s namespace of '%s'",
                                   berth_ns_name(t), x->o->id);
        if (t == BERTH_NS_CGROUP)
            x->cgroupns = fd;
        else
            x->ns[x->n_ns++] = fd;
    }
    if (poll(&p, 1, 0) != 0)
        return berth_error_set(err, ESRCH, "container '%s' has stopped", x->o->id);
    return 0;
}

static int spawn_process(struct exec_ctx *x, struct berth_error **err)
{
    const struct berth_exec_opts *o = x->o;
    _cleanup_seccomp_prog_ struct berth_seccomp_prog *prog = NULL;
    if (x->config->seccomp &&
        berth_seccomp_cache_get(o->state_root, x->config->seccomp, &prog, err) < 0)
        return -(*err)->errnum;
    struct berth_init_args a = {.config = x->config,
                                .bundle = x->s->bundle,
                                .sync_fd = x->sync[1],
                                .fifo_fd = -1,
                                .error_prefix = o->error_prefix,
                                .console_fd = o->console_fd && o->terminal ? *o->console_fd : -1,
                                .preserve_fds = o->preserve_fds,
                                .id = o->id,
                                .cgroupns_fd = x->cgroupns,
                                .seccomp = prog};
    struct berth_launch l = {.args = &a,
                             .config_text = x->config_text,
                             .cgroup_fd = x->cgroup_fd,
                             .pidns_fd = -1,
                             .userns_fd = -1,
                             .ns_fds = x->ns,
                             .n_ns = x->n_ns,
                             .exec = true,
                             .stdio = o->stdio,
                             .sync_fd = x->sync[0]};
    int r = berth_launch(&l, &x->child, err);
    close(TAKE_FD(x->sync[1]));
    return r;
}

/* Waits for the process's exec (EOF on the sync socket) or its error. */
static int finish(struct exec_ctx *x, struct berth_error **err)
{
    int r = x->cgroup_fd >= 0 || !x->cgroup ? 0 : berth_cgroup_attach(x->cgroup, x->child.pid, err);
    if (r < 0 || (r = berth_sync_send(x->sync[0], BERTH_SYNC_GO, err)) < 0)
        return r;
    if ((r = berth_sync_recv(x->sync[0], NULL, err)) > 0)
        return berth_error_set(err, EPROTO, "unexpected message from the exec'd process");
    if (r < 0)
        return r;
    if (x->o->pid_file)
        return write_pid_file(x->o->pid_file, x->child.pid, err);

    return 0;
}

static int exec_steps(struct exec_ctx *x, struct berth_error **err)
{
    const struct berth_exec_opts *o = x->o;
    int r = berth_state_validate_id(o->id, err);
    if (r < 0 || (r = open_shared(x, err)) < 0)
        return r;
    x->dirfd = r;
    if ((r = check_running(x, err)) < 0 || (r = build_config(x, err)) < 0)
        return r;
    if (x->config->process.terminal && o->console_fd == NULL)
        return berth_error_set(err, EINVAL, "a terminal (--tty) needs a console socket");
    /* its init only chrooted (rootfs.h): setns would give the process the
     * namespace's root, not the container's */
    if (!x->config->ns[BERTH_NS_MNT].enabled || x->config->ns[BERTH_NS_MNT].path)
        return berth_error_set(err, EOPNOTSUPP,
                               "cannot exec in container '%s': it has no mount namespace of its "
                               "own, its root is a chroot",
                               o->id);
    if ((r = open_namespaces(x, err)) < 0)
        return r;
    /* -1 with no error: v1, attached by finish(); a rootless container may
     * have no cgroup at all (container.c) */
    if (x->cgroup && (r = berth_cgroup_open_fd(x->cgroup, err)) < 0 && *err)
        return r;
    x->cgroup_fd = x->cgroup ? r : -1;
    if ((r = berth_sync_pair(x->sync, err)) < 0 || (r = spawn_process(x, err)) < 0)
        return r;
    return finish(x, err);
}

int berth_container_exec(const struct berth_exec_opts *o, struct berth_container **ret,
                         struct berth_error **err)
{
    struct exec_ctx x = {.o = o,
                         .dirfd = -1,
                         .cgroup_fd = -1,
                         .cgroupns = -1,
                         .sync = {-1, -1},
                         .child = {.pidfd = -1}};
    int r = exec_steps(&x, err);
    if (r < 0 && x.child.pid > 0) {
        if (x.child.pidfd >= 0)
            syscall(SYS_pidfd_send_signal, x.child.pidfd, SIGKILL, NULL, 0);
        while (waitpid(x.child.pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (r >= 0) {
        struct berth_container *c = xzalloc(sizeof(*c));
        c->id = xstrdup(o->id);
        c->state_root = xstrdup(o->state_root);
        c->pid = x.child.pid;
        c->pidfd = TAKE_FD(x.child.pidfd);
        c->status_fd = -1;
        c->cgroup = TAKE_PTR(x.cgroup);
        *ret = c;
    }
    int fds[] = {x.dirfd, x.cgroup_fd, x.cgroupns, x.sync[0], x.sync[1]};
    for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    for (size_t i = 0; i < x.n_ns; i++)
        close(x.ns[i]);
    berth_launched_release(&x.child);
    berth_cgroup_free(x.cgroup);
    berth_config_free(x.config);
    berth_state_free(x.s);
    free(x.config_text);
    return r;
}
