/* Creating a container (container.h): the state record first, then the
 * cgroup, the init (launch.h) and the handshake that sets it up. */
#include "container.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container-internal.h"
#include "devices.h"
#include "error.h"
#include "fault.h"
#include "hooks.h"
#include "init.h"
#include "launch.h"
#include "log.h"
#include "lsm.h"
#include "oci.h"
#include "state.h"
#include "seccomp-cache.h"
#include "seccomp-prog.h"
#include "sync.h"
#include "userns.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_CGROUP_ROOT "/sys/fs/cgroup"

struct create_ctx {
    const struct berth_create_opts *o;
    char *config_text;
    struct berth_config *config;
    struct berth_cgroup *cgroup;
    char *bundle; /* absolute */
    char *created;
    int dirfd;     /* state directory, locked */
    int cgroup_fd; /* v2: for CLONE_INTO_CGROUP */
    int fifo_fd;
    int pidns_fd;  /* a PID namespace joined by path */
    int userns_fd; /* a user namespace joined by path */
    int sync[2];
    struct berth_launched init;
    unsigned long long pid_start;
};

/* A sysctl may only change the container's own namespace: one joined by
 * path that is the runtime's own (the host's, as a rule) is refused. */
static int check_sysctl_namespaces(const struct berth_config *c, struct berth_error **err)
{
    for (size_t i = 0; i < c->n_sysctls; i++) {
        int t = berth_sysctl_namespace(c->sysctls[i].key);
        struct stat joined, own;
        if (t < 0 || c->ns[t].path == NULL)
            continue;
        _cleanup_free_ char *self = xasprintf("/proc/self/ns/%s", berth_ns_proc_name(t));
        if (stat(c->ns[t].path, &joined) < 0)
            return berth_error_set(err, errno, "cannot open %s namespace '%s'", berth_ns_name(t),
                                   c->ns[t].path);
        if (stat(self, &own) == 0 && own.st_dev == joined.st_dev && own.st_ino == joined.st_ino)
            return berth_error_set(err, EINVAL,
                                   "invalid config: 'linux.sysctl' key '%s' would change the host: "
                                   "the %s namespace '%s' is the runtime's own",
                                   c->sysctls[i].key, berth_ns_name(t), c->ns[t].path);
    }
    return 0;
}

static int load_config(struct create_ctx *x, struct berth_error **err)
{
    char real[PATH_MAX];
    struct stat st;
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
    const char *root = x->config->root_path;
    if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
        return berth_error_set(err, errno ? errno : ENOTDIR, "invalid config: 'root.path' '%s'",
                               root);
    if (x->config->process.terminal && x->o->console_fd == NULL)
        return berth_error_set(err, EINVAL,
                               "invalid config: 'process.terminal' needs a console socket "
                               "(--console-socket) to send the terminal to");
    if (!x->config->process.terminal && x->o->console_fd != NULL && !x->o->console_optional)
        return berth_error_set(err, EINVAL,
                               "a console socket was given but 'process.terminal' is false");
    r = berth_lsm_check(x->config, err);
    return r < 0 ? r : check_sysctl_namespaces(x->config, err);
}

static unsigned cgroup_wants(const struct berth_resources *res)
{
    unsigned want = 0;
    if (res->n_hugepages > 0)
        want |= BERTH_CGROUP_WANT_HUGETLB;
    if (res->has_net_class_id || res->n_net_priorities > 0)
        want |= BERTH_CGROUP_WANT_NET;
    return want;
}

/* An unprivileged caller gets a cgroup only where one is delegated to it
 * (cgroup.h); otherwise none at all (on a v1 host, always none), and a
 * config that needs one is refused, naming the field. Returns 1 to go on
 * with the cgroup, 0 without one. */
static int rootless_cgroup(struct create_ctx *x, struct berth_error **err)
{
    if (geteuid() == 0 || berth_cgroup_delegated(x->cgroup))
        return 1;
    const char *field = berth_resources_first_field(&x->config->resources);
    if (field)
        return berth_error_set(err, EINVAL,
                               "invalid config: '%s' needs a cgroup, and a rootless container "
                               "gets none here (no cgroup is delegated to uid %u)",
                               field, (unsigned)geteuid());
    berth_cgroup_free(TAKE_PTR(x->cgroup));
    return 0;
}

static int plan_cgroup(struct create_ctx *x, struct berth_error **err)
{
    const char *root = x->o->cgroup_root ? x->o->cgroup_root : DEFAULT_CGROUP_ROOT;
    enum berth_cgroup_mode mode;
    _cleanup_free_ char *self = NULL;

    int r = berth_cgroup_detect(root, &mode, err);
    if (r < 0 || (r = read_file_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL, err)) < 0)
        return r;
    x->cgroup = berth_cgroup_new(mode, root, self, x->config->cgroups_path, x->o->id,
                                 cgroup_wants(&x->config->resources), err);
    if (x->cgroup == NULL)
        return -(*err)->errnum;
    if ((r = rootless_cgroup(x, err)) <= 0)
        return r;
    return berth_cgroup_plan(x->cgroup, err);
}

static int write_record(struct create_ctx *x, enum berth_phase phase, struct berth_error **err)
{
    _cleanup_free_ char *cg = x->cgroup ? berth_cgroup_to_json(x->cgroup) : NULL;
    struct berth_state s;
    berth_container_record_init(&s, x->o->id, phase, x->config);
    s.pid = x->init.pid;
    s.pid_start = x->pid_start;
    s.bundle = x->bundle;
    s.created = x->created;
    s.cgroup_json = cg;
    return berth_state_write(x->dirfd, &s, err);
}

/* v2 makes the directory now, to clone straight into it. */
static int prepare_cgroup(struct create_ctx *x, struct berth_error **err)
{
    if (x->cgroup == NULL)
        return 0;
    /* -1 with no error set is the v1 answer "no fd" (cgroup.h) */
    int r = berth_cgroup_prepare(x->cgroup, err);
    if (r < 0 && *err != NULL)
        return r;
    x->cgroup_fd = r;
    return 0;
}

/* PID and user namespaces joined by path are joined by a helper that
 * clones the init (launch.h). */
static int open_joined(struct create_ctx *x, enum berth_ns_type t, int *ret,
                       struct berth_error **err)
{
    const char *path = x->config->ns[t].path;
    if (!x->config->ns[t].enabled || path == NULL)
        return 0;
    *ret = open(path, O_RDONLY | O_CLOEXEC);
    if (*ret < 0)
        return berth_error_set(err, errno, "cannot open %s namespace '%s'", berth_ns_name(t), path);
    return 0;
}

static int open_pidns(struct create_ctx *x, struct berth_error **err)
{
    int r = open_joined(x, BERTH_NS_PID, &x->pidns_fd, err);
    return r < 0 ? r : open_joined(x, BERTH_NS_USER, &x->userns_fd, err);
}

/* The init gets the read side and keeps a write side too (O_RDWR): see
 * berth_state_status. */
static int make_fifo(struct create_ctx *x, struct berth_error **err)
{
    if (!x->o->wait_start)
        return 0;
    if (mkfifoat(x->dirfd, BERTH_EXEC_FIFO, 0600) < 0)
        return berth_error_set(err, errno, "cannot create the exec fifo");
    x->fifo_fd = openat(x->dirfd, BERTH_EXEC_FIFO, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (x->fifo_fd < 0)
        return berth_error_set(err, errno, "cannot open the exec fifo");
    return 0;
}

static uint64_t clone_flags(const struct berth_config *c)
{
    uint64_t f = 0;
    /* the cgroup namespace is made by the init once it is in its cgroup,
     * the time namespace once its offsets can be written (userns.h) */
    for (int t = 0; t < BERTH_NS_COUNT; t++)
        if (c->ns[t].enabled && c->ns[t].path == NULL && t != BERTH_NS_CGROUP && t != BERTH_NS_TIME)
            f |= (uint64_t)berth_ns_clone_flag(t);
    return f;
}

static int spawn_init(struct create_ctx *x, struct berth_error **err)
{
    _cleanup_free_ char *cg = x->cgroup ? berth_cgroup_to_json(x->cgroup) : NULL;
    _cleanup_seccomp_prog_ struct berth_seccomp_prog *prog = NULL;
    /* here, where the state root is reachable and before any namespace
     * exists; the init only installs it */
    if (x->config->seccomp &&
        berth_seccomp_cache_get(x->o->state_root, x->config->seccomp, &prog, err) < 0)
        return -(*err)->errnum;
    struct berth_init_args a = {
        .config = x->config,
        .cgroup = x->cgroup,
        .bundle = x->bundle,
        .sync_fd = x->sync[1],
        .fifo_fd = x->fifo_fd,
        .error_prefix = x->o->error_prefix,
        .console_fd = x->o->console_fd && x->config->process.terminal ? *x->o->console_fd : -1,
        .cgroupns_fd = -1,

        .preserve_fds = x->o->preserve_fds,
        .new_keyring = !x->o->no_new_keyring,
        .no_pivot = x->o->no_pivot,
        .id = x->o->id,
        .seccomp = prog};

    struct berth_launch l = {.args = &a,
                             .config_text = x->config_text,
                             .cgroup_json = cg,
                             .flags = clone_flags(x->config),
                             .cgroup_fd = x->cgroup_fd,
                             .pidns_fd = x->pidns_fd,
                             .userns_fd = x->userns_fd,
                             .stdio = x->o->stdio,
                             .sync_fd = x->sync[0]};
    int r = berth_launch(&l, &x->init, err);
    if (r < 0)
        return r;
    /* read now: the init cannot exec (and so change or lose it) before GO */
    x->pid_start = proc_start_time(x->init.pid);
    close(TAKE_FD(x->sync[1]));
    return 0;
}

/* idmapped mounts are made here, with the host's privileges over their
 * file systems that the container's user namespace does not give, and
 * passed to the init, which attaches them (userns.h). */
static int send_idmaps(struct create_ctx *x, struct berth_error **err)
{
    const struct berth_namespace *ns = &x->config->ns[BERTH_NS_USER];
    size_t n = berth_userns_idmap_count(x->config);
    int fds[BERTH_SYNC_MAX_FDS];
    if (n == 0)
        return 0;
    if (!ns->enabled)
        return berth_error_set(err, EINVAL,
                               "invalid config: an idmapped mount needs a user "
                               "namespace in 'linux.namespaces'");
    _cleanup_free_ char *path =
        ns->path ? xstrdup(ns->path) : xasprintf("/proc/%d/ns/user", (int)x->init.pid);
    _cleanup_close_ int userns = open(path, O_RDONLY | O_CLOEXEC);
    if (userns < 0)
        return berth_error_set(err, errno, "cannot open the user namespace '%s'", path);
    int r = berth_userns_idmap_mounts(x->config, x->bundle, userns, fds, err);
    if (r < 0)
        return r;
    r = berth_sync_send_fds(x->sync[0], BERTH_SYNC_IDMAPS, fds, n, err);
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
    return r;
}

static int expect(int fd, enum berth_sync_type want, const char *what, struct berth_error **err)
{
    int r = berth_sync_recv(fd, NULL, err);
    if (r < 0)
        return r;
    if (r != (int)want)
        return berth_error_set(err, EPROTO, "the container init %s",
                               r == 0 ? "exited during setup" : what);
    return 0;
}

/* The device rules wait for the child's device nodes (cgroup.h), and their
 * record (v2: the filter's id) for the final state write. */
static bool has_create_hooks(const struct berth_config *c)
{
    return c->n_hooks[BERTH_HOOK_PRESTART] || c->n_hooks[BERTH_HOOK_CREATE_RUNTIME] ||
           c->n_hooks[BERTH_HOOK_CREATE_CONTAINER] || c->n_hooks[BERTH_HOOK_START_CONTAINER];
}

/* When the init has mounted its rootfs: prestart and createRuntime, here in
 * the runtime's namespaces; the init runs the container's own hooks. */
static int runtime_hooks(struct create_ctx *x, struct berth_error **err)
{
    if (!has_create_hooks(x->config))
        return 0;
    int r = expect(x->sync[0], BERTH_SYNC_HOOKS, "sent an unexpected message", err);
    if (r < 0)
        return r;
    _cleanup_free_ char *state =
        berth_hooks_state(x->config, x->o->id, "creating", x->init.pid, x->bundle);
    if ((r = berth_hooks_run(x->config, BERTH_HOOK_PRESTART, state, false, err)) < 0 ||
        (r = berth_hooks_run(x->config, BERTH_HOOK_CREATE_RUNTIME, state, false, err)) < 0)
        return r;
    /* the container's hooks see it created */
    _cleanup_free_ char *created =
        berth_hooks_state(x->config, x->o->id, "created", x->init.pid, x->bundle);
    return berth_sync_send_data(x->sync[0], BERTH_SYNC_HOOKS_DONE, created, strlen(created), err);
}

static int apply_devices(struct create_ctx *x, struct berth_error **err)
{
    size_t n = 0;
    _cleanup_free_ struct berth_device_rule *rules = berth_devices_cgroup_rules(x->config, &n);
    int r = expect(x->sync[0], BERTH_SYNC_DEVICES, "sent an unexpected message", err);
    if (r < 0 || (x->cgroup && (r = berth_cgroup_set_devices(x->cgroup, rules, n, err)) < 0))
        return r;
    berth_fault("create:devices");
    if ((r = runtime_hooks(x, err)) < 0)
        return r;
    return berth_sync_send(x->sync[0], BERTH_SYNC_DEVICES_SET, err);
}

/* In a new user namespace the container's root owns the cgroup berth made
 * for it (as crun does), so that it can manage what is below. */
static int chown_cgroup(struct create_ctx *x, struct berth_error **err)
{
    uid_t uid;
    gid_t gid;
    if (x->cgroup == NULL || !berth_userns_new(x->config))
        return 0;
    berth_userns_root(x->config, &uid, &gid);
    if (uid == (uid_t)-1 && gid == (gid_t)-1)
        return 0;
    int r = berth_cgroup_chown(x->cgroup, uid, gid, err);
    /* unprivileged in a delegated subtree: ids of /etc/subuid are not ours
     * to give */
    if (r == -EPERM && geteuid() != 0) {
        berth_log(BERTH_LOG_DEBUG, "%s, ignoring", (*err)->msg);
        berth_error_clear(err);
        r = 0;
    }
    return r;
}

/* Runs in the parent while the child builds its rootfs: the cgroup work and
 * the mount work overlap on two CPUs. */
static int parent_side(struct create_ctx *x, struct berth_error **err)
{
    int r = x->cgroup ? berth_cgroup_setup(x->cgroup, &x->config->resources, x->init.pid,
                                           x->cgroup_fd >= 0, err)
                      : 0;
    if (r < 0 || (r = chown_cgroup(x, err)) < 0)
        return r;
    berth_fault("create:cgroup-setup");
    if ((r = berth_sync_send(x->sync[0], BERTH_SYNC_GO, err)) < 0)
        return r;
    berth_fault("create:go");
    if ((r = apply_devices(x, err)) < 0)
        return r;
    /* while the child finishes its setup */
    if ((r = write_file_atomic_at(x->dirfd, BERTH_CONFIG_FILE, x->config_text,
                                  strlen(x->config_text), err)) < 0 ||
        (r = write_record(x, BERTH_PHASE_CREATED, err)) < 0)
        return r;

    berth_fault("create:final-record");
    if (x->o->wait_start)
        r = expect(x->sync[0], BERTH_SYNC_READY, "sent an unexpected message", err);
    else if ((r = berth_sync_recv(x->sync[0], NULL, err)) > 0)
        r = berth_error_set(err, EPROTO, "unexpected message from the container init");
    if (r < 0)
        return r;
    berth_fault("create:ready");
    if (x->o->pid_file && (r = write_pid_file(x->o->pid_file, x->init.pid, err)) < 0)
        return r;
    berth_fault("create:pid-file");
    if (!x->o->wait_start && x->config->n_hooks[BERTH_HOOK_POSTSTART]) {
        /* run: the process has started */
        _cleanup_free_ char *state =
            berth_hooks_state(x->config, x->o->id, "running", x->init.pid, x->bundle);
        (void)berth_hooks_run(x->config, BERTH_HOOK_POSTSTART, state, true, NULL);
    }
    return 0;
}

/* When the parent fails to talk to or set up the child, the child has often
 * failed first (a namespace path that does not exist, say) and left its
 * error on the socket: that error is the one to report. A re-executed init
 * that could not even start exits with the errno of its exec. */
static int prefer_child_error(struct create_ctx *x, int r, struct berth_error **err)
{
    struct berth_error *child = NULL;
    struct pollfd p = {.fd = x->sync[0], .events = POLLIN};
    siginfo_t si = {0};

    if (x->sync[0] >= 0 && poll(&p, 1, 0) == 1 && berth_sync_recv(x->sync[0], NULL, &child) < 0 &&
        child != NULL) {
        berth_error_clear(err);
        *err = child;
        return -child->errnum;
    }
    berth_error_clear(&child);
    if (x->init.pidfd >= 0 &&
        syscall(SYS_waitid, P_PIDFD, x->init.pidfd, &si, WEXITED | WNOHANG | WNOWAIT, NULL) == 0 &&
        si.si_pid > 0 && si.si_code == CLD_EXITED && si.si_status > 0 && si.si_status < 127 &&
        r == -EPROTO) {
        berth_error_clear(err);
        return berth_error_set(err, si.si_status, "cannot start the container init");
    }
    return r;
}

static int create_steps(struct create_ctx *x, struct berth_error **err)
{
    int r;
    if ((r = load_config(x, err)) < 0 ||
        (r = berth_state_create(x->o->state_root, x->o->id, err)) < 0)
        return r;
    x->dirfd = r;
    berth_fault("create:state-dir");
    x->created = berth_rfc3339_now();
    /* the record names the cgroups before any exists */
    if ((r = plan_cgroup(x, err)) < 0 || (r = write_record(x, BERTH_PHASE_CREATING, err)) < 0)
        return r;
    berth_fault("create:record");
    if ((r = prepare_cgroup(x, err)) < 0)
        return r;
    berth_fault("create:cgroup-dir");
    if ((r = make_fifo(x, err)) < 0 || (r = berth_sync_pair(x->sync, err)) < 0 ||
        (r = open_pidns(x, err)) < 0 || (r = spawn_init(x, err)) < 0 ||
        (r = send_idmaps(x, err)) < 0)
        return r < 0 ? prefer_child_error(x, r, err) : r;
    berth_fault("create:spawned");
    r = parent_side(x, err);
    return r < 0 ? prefer_child_error(x, r, err) : r;
}

/* A step that fails to undo keeps the record, which names what is left,
 * for delete --force. */
static void undo_create(struct create_ctx *x)
{
    _cleanup_error_ struct berth_error *e = NULL;
    bool keep = false;

    if (x->init.pid > 0) {
        if (x->init.pidfd >= 0)
            syscall(SYS_pidfd_send_signal, x->init.pidfd, SIGKILL, NULL, 0);
        while (waitpid(x->init.pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (x->cgroup &&
        (berth_fault("create:undo-cgroup") || berth_cgroup_destroy(x->cgroup, &e) < 0)) {
        keep = true;
        berth_log(BERTH_LOG_DEBUG, "create '%s': %s, keeping its state for delete", x->o->id,
                  e ? e->msg : "undo failed");
    }
    if (x->dirfd >= 0 && !keep)
        berth_state_remove(x->o->state_root, x->o->id, NULL);
}

static void free_ctx(struct create_ctx *x)
{
    int fds[] = {x->dirfd,     x->cgroup_fd, x->fifo_fd, x->pidns_fd,
                 x->userns_fd, x->sync[0],   x->sync[1]};
    for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    berth_launched_release(&x->init);
    berth_cgroup_free(x->cgroup);
    berth_config_free(x->config);
    free(x->config_text);
    free(x->bundle);
    free(x->created);
}

int berth_container_create(const struct berth_create_opts *o, struct berth_container **ret,
                           struct berth_error **err)
{
    struct create_ctx x = {.o = o,
                           .dirfd = -1,
                           .cgroup_fd = -1,
                           .fifo_fd = -1,
                           .pidns_fd = -1,
                           .userns_fd = -1,
                           .sync = {-1, -1},
                           .init = {.pidfd = -1}};
    int r = berth_state_validate_id(o->id, err);
    if (r < 0)
        return r;
    r = create_steps(&x, err);
    if (r < 0) {
        undo_create(&x);
    } else {
        struct berth_container *c = xzalloc(sizeof(*c));
        c->id = xstrdup(o->id);
        c->state_root = xstrdup(o->state_root);
        c->pid = x.init.pid;
        c->pidfd = TAKE_FD(x.init.pidfd);
        c->status_fd = o->keep_status ? TAKE_FD(x.sync[0]) : -1;
        c->cgroup = TAKE_PTR(x.cgroup);
        *ret = c;
    }
    free_ctx(&x);
    return r;
}

void berth_container_free(struct berth_container *c)
{
    if (c == NULL)
        return;
    if (c->pidfd >= 0)
        close(c->pidfd);
    if (c->status_fd >= 0)
        close(c->status_fd);
    berth_cgroup_free(c->cgroup);
    free(c->id);
    free(c->state_root);
    free(c);
}
