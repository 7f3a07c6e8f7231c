#include "init.h"
#include "exec.h"
#include "hooks.h"
#include "caps.h"
#include "cgroup.h"
#include "cleanup.h"
#include "error.h"
#include "fs.h"
#include "lsm.h"
#include "net.h"
#include "oci.h"
#include "process.h"
#include "rootfs.h"
#include "seccomp-prog.h"
#include "signals.h"
#include "spawn.h"
#include "sync.h"
#include "userns.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/keyctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct init_state {
    const struct berth_init_args *a;
    bool got_go;
    char *state_json; /* for the hooks, from the runtime */
    int *idmap_fds;   /* per mount, the idmapped tree from the runtime, or -1 */
};

static int expect(int fd, enum berth_sync_type want, struct berth_error **err)
{
    int r = berth_sync_recv(fd, NULL, err);
    if (r < 0)
        return r;
    if (r != (int)want)
        return berth_error_set(err, EPROTO, "unexpected message from the runtime (%d)", r);
    return 0;
}

static int devices_done(void *data, struct berth_error **err)
{
    struct init_state *st = data;
    return berth_sync_send(st->a->sync_fd, BERTH_SYNC_DEVICES, err);
}

static int wait_go(void *data, struct berth_error **err)
{
    struct init_state *st = data;
    if (st->got_go)
        return 0;
    int r = expect(st->a->sync_fd, BERTH_SYNC_GO, err);
    if (r < 0)
        return r;
    st->got_go = true;
    /* The cgroup namespace is rooted at the cgroup we are in when it is
     * made: only now is that the container's own. */
    if (st->a->config->ns[BERTH_NS_CGROUP].enabled && !st->a->config->ns[BERTH_NS_CGROUP].path &&
        unshare(CLONE_NEWCGROUP) < 0)
        return berth_error_set(err, errno, "cannot create the cgroup namespace");
    return 0;
}

static int join_namespaces(const struct berth_config *c, struct berth_error **err)
{
    int fds[BERTH_NS_COUNT];
    int r = 0;
    /* Open every path first: joining a mount namespace changes how the
     * remaining paths resolve. PID is joined by the parent (it only affects
     * children), so it is skipped here. */
    for (int t = 0; t < BERTH_NS_COUNT; t++) {
        fds[t] = -1;
        if (t == BERTH_NS_PID || t == BERTH_NS_USER || !c->ns[t].enabled || c->ns[t].path == NULL)
            continue;
        fds[t] = open(c->ns[t].path, O_RDONLY | O_CLOEXEC);
        if (fds[t] < 0 && r == 0)
            r = berth_error_set(err, errno, "cannot open %s namespace '%s'", berth_ns_name(t),
                                c->ns[t].path);
    }
    static const int order[] = {BERTH_NS_IPC,    BERTH_NS_UTS,  BERTH_NS_NET,
                                BERTH_NS_CGROUP, BERTH_NS_TIME, BERTH_NS_MNT};
    for (size_t i = 0; r == 0 && i < ARRAY_SIZE(order); i++) {
        int t = order[i];
        if (fds[t] >= 0 && setns(fds[t], berth_ns_clone_flag(t)) < 0)
            r = berth_error_set(err, errno, "cannot join %s namespace '%s'", berth_ns_name(t),
                                c->ns[t].path);
    }
    for (int t = 0; t < BERTH_NS_COUNT; t++)
        if (fds[t] >= 0)
            close(fds[t]);
    return r;
}

static int set_names(const struct berth_config *c, struct berth_error **err)
{
    if ((c->hostname || c->domainname) && !c->ns[BERTH_NS_UTS].enabled)
        return berth_error_set(err, EINVAL,
                               "cannot set the hostname without a private UTS namespace");
    if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0)
        return berth_error_set(err, errno, "cannot set hostname '%s'", c->hostname);
    if (c->domainname && setdomainname(c->domainname, strlen(c->domainname)) < 0)
        return berth_error_set(err, errno, "cannot set domainname '%s'", c->domainname);
    return 0;
}

/* Create mode: block until `start` writes to exec.fifo. It was opened for
 * reading and writing, non-blocking, before clone: poll() reports it
 * readable once a byte is there, and a writer coming and going without one
 * (`state` checking that the init still waits) is no event at all. Closing
 * it right after the read tells the same check that the init has gone on. */
static int wait_start(int fifo_fd, struct berth_error **err)
{
    struct pollfd pfd = {.fd = fifo_fd, .events = POLLIN};
    char c;
    for (;;) {
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return berth_error_set(err, errno, "cannot wait for start");
        }
        ssize_t n = read(fifo_fd, &c, 1);
        if (n == 1)
            return 0;
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        return berth_error_set(err, n < 0 ? errno : EPIPE, "cannot read exec fifo");
    }
}

/* In the container (its /dev/pts), before `create` returns: containerd and
 * podman wait for the pty while creating. */
static int open_console(const struct berth_init_args *a, struct berth_error **err)
{
    /* As runc's init, a session of its own without a terminal too: nothing
     * of the runtime's session reaches in, and criu can checkpoint it (a
     * session led from outside the PID namespace cannot be dumped). */
    if (a->console_fd < 0)
        return setsid() < 0 && errno != EPERM
                   ? berth_error_set(err, errno, "cannot start a session for the container")
                   : 0;
    int r = berth_process_console(a->console_fd, &a->config->process, err);
    close(a->console_fd);
    return r;
}

/* The container exists, mounted, not yet pivoted: the runtime runs prestart
 * and createRuntime in its namespaces, then we run createContainer in the
 * container's (their paths resolve in the runtime's view, which we still
 * have). The state JSON comes back for startContainer. */
static int create_hooks(struct init_state *st, struct berth_error **err)
{
    const struct berth_config *c = st->a->config;
    if (!c->n_hooks[BERTH_HOOK_PRESTART] && !c->n_hooks[BERTH_HOOK_CREATE_RUNTIME] &&
        !c->n_hooks[BERTH_HOOK_CREATE_CONTAINER] && !c->n_hooks[BERTH_HOOK_START_CONTAINER])
        return 0;
    /* GO came first on the socket: read it before ours */
    int r = wait_go(st, err);
    if (r < 0 || (r = berth_sync_send(st->a->sync_fd, BERTH_SYNC_HOOKS, err)) < 0 ||
        (r = berth_sync_recv_data(st->a->sync_fd, BERTH_SYNC_HOOKS_DONE, &st->state_json, NULL,
                                  err)) < 0)
        return r;
    return berth_hooks_run(c, BERTH_HOOK_CREATE_CONTAINER, st->state_json, false, err);
}

/* Whether we wait, unmapped, for the runtime to write the maps of our new
 * user namespace (launch.c); a re-executed init did so before its exec. */
static bool await_maps(const struct berth_init_args *a)
{
    return berth_userns_new(a->config) && !a->userns_mapped;
}

/* Until then we stay dumpable: an unprivileged runtime may only open
 * /proc/PID/uid_map of a dumpable process (runc's nsexec does the same). A
 * joined one (launch.c) is entered already. Either way we become its root. */
static int enter_userns(const struct berth_init_args *a, struct berth_error **err)
{
    if (!a->config->ns[BERTH_NS_USER].enabled)
        return 0;
    if (await_maps(a)) {
        /* a helper's clone (launch.c) inherited its undumpable memory */
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        int r = expect(a->sync_fd, BERTH_SYNC_MAPPED, err);
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if (r < 0)
            return r;
    }
    return berth_userns_become_root(err);
}

/* In a mount namespace of its own the rootfs is built and pivoted into.
 * Without one, or in one joined by path, the init only chroots (crun's
 * way); the parser has refused mounts, devices and paths that would need
 * mounting there. */
static int build_root(struct init_state *st, const struct berth_rootfs_ctx *ctx,
                      struct berth_error **err)
{
    const struct berth_config *c = st->a->config;
    int r;
    if (!c->ns[BERTH_NS_MNT].enabled || c->ns[BERTH_NS_MNT].path) {
        if ((r = devices_done(st, err)) < 0 || (r = create_hooks(st, err)) < 0)
            return r;
        return berth_rootfs_chroot(c, err);
    }
    if (chdir(st->a->bundle) < 0)
        return berth_error_set(err, errno, "cannot enter the bundle '%s'", st->a->bundle);
    if ((r = berth_rootfs_prepare(ctx, err)) < 0 || (r = create_hooks(st, err)) < 0 ||
        (r = berth_rootfs_pivot(c, st->a->no_pivot, err)) < 0)
        return r;
    return berth_rootfs_finish(c, err);
}

/* The runtime made the idmapped mounts (userns.h); they come in mount
 * order, once we are in our user namespace. */
static int recv_idmaps(struct init_state *st, struct berth_error **err)
{
    const struct berth_config *c = st->a->config;
    int fds[BERTH_SYNC_MAX_FDS];
    size_t n = berth_userns_idmap_count(c), k = 0;
    if (n == 0)
        return 0;
    int r = berth_sync_recv_fds(st->a->sync_fd, BERTH_SYNC_IDMAPS, fds, n, err);
    if (r < 0)
        return r;
    st->idmap_fds = xmalloc(c->n_mounts * sizeof(int));
    for (size_t i = 0; i < c->n_mounts; i++)
        st->idmap_fds[i] = c->mounts[i].idmap ? fds[k++] : -1;
    return 0;
}

static int setup(struct init_state *st, char **ret_exe, struct berth_error **err)
{
    const struct berth_config *c = st->a->config;
    struct berth_rootfs_ctx ctx = {.config = c,
                                   .cgroup = st->a->cgroup,
                                   .before_cgroup_mount = wait_go,
                                   .after_devices = devices_done,
                                   .data = st};
    int r;
    if ((r = enter_userns(st->a, err)) < 0 || (r = recv_idmaps(st, err)) < 0 ||
        (r = join_namespaces(c, err)) < 0 || (r = berth_timens_setup(c, err)) < 0 ||
        (r = berth_process_set_oom_score(&c->process, err)) < 0)
        return r;
    if (c->ns[BERTH_NS_NET].enabled && c->ns[BERTH_NS_NET].path == NULL &&
        (r = berth_net_loopback_up(err)) < 0)
        return r;
    ctx.idmap_fds = st->idmap_fds;
    if ((r = build_root(st, &ctx, err)) < 0 || (r = wait_go(st, err)) < 0 ||
        (r = set_names(c, err)) < 0 || (r = berth_personality_apply(c, err)) < 0 ||
        (r = berth_process_prepare(&c->process, ret_exe, err)) < 0)
        return r;
    /* nothing of the container's runs before its device rules are in force;
     * the pty neither: the runtime writes them while we run (v1: deny-all
     * first), and /dev/ptmx opened in that window fails with EPERM */
    if ((r = expect(st->a->sync_fd, BERTH_SYNC_DEVICES_SET, err)) < 0)
        return r;
    return open_console(st->a, err);
}

/* The init dies with the runtime until it is set up: a runtime killed
 * mid-create leaves no process behind. One that died before the prctl
 * closed its end of the sync socket, and the init, which goes on only when
 * told so there, exits at the next read. */
static void die_with_parent(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

static void keep_only(const struct berth_init_args *a)
{
    int n = 0, keep[3 + a->preserve_fds];
    keep[n++] = a->sync_fd;
    keep[n++] = a->fifo_fd;
    keep[n++] = a->console_fd;
    for (int i = 0; i < a->preserve_fds; i++)
        keep[n++] = 3 + i;
    close_fds_except(keep, (size_t)n);
}

/* The payload gets fds 3 .. 3+N-1 (--preserve-fds), whatever their flags. */
static void pass_preserved(const struct berth_init_args *a)
{
    for (int i = 0; i < a->preserve_fds; i++)
        (void)fcntl(3 + i, F_SETFD, 0);
}

/* runc's default: a session keyring of the container's own, so that no key
 * of the runtime's caller's session is reachable. Kernels or seccomp
 * profiles without keyctl: nothing to protect. */
static int join_keyring(const struct berth_init_args *a, struct berth_error **err)
{
    if (!a->new_keyring)
        return 0;
    _cleanup_free_ char *name = xasprintf("_ses.%s", a->id ? a->id : "berth");
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) < 0 && errno != ENOSYS)
        return berth_error_set(err, errno, "cannot join a new session keyring");
    return 0;
}

_Noreturn void berth_init_main(const struct berth_init_args *a)
{
    _cleanup_error_ struct berth_error *err = NULL;
    _cleanup_free_ char *exe = NULL;
    struct init_state st = {.a = a};

    /* Not dumpable, /proc/PID of the init (its fds, memory, exe) is closed
     * to the container's processes; the kernel resets the flag at the
     * payload's execve. (Awaiting its user namespace's maps: once they
     * are written.) */
    if (!await_maps(a))
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    die_with_parent();
    /* everything else is closed now: nothing of the runtime's can leak, and
     * the state directory's lock stays with the runtime alone */
    keep_only(a);
    if (setup(&st, &exe, &err) < 0 || join_keyring(a, &err) < 0)
        goto fail;
    /* set up: the container lives on without the runtime (and the flag
     * would outlive the payload's execve) */
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    if (a->fifo_fd >= 0) {
        if (berth_sync_send(a->sync_fd, BERTH_SYNC_READY, &err) < 0)
            goto fail;
        if (wait_start(a->fifo_fd, &err) < 0)
            goto fail_late;
        close(a->fifo_fd);
    }
    /* startContainer: in the container, right before its process */
    if (st.state_json &&
        berth_hooks_run(a->config, BERTH_HOOK_START_CONTAINER, st.state_json, false, &err) < 0) {
        if (a->fifo_fd < 0)
            goto fail;
        goto fail_late;
    }
    berth_signals_reset();
    pass_preserved(a);
    berth_process_exec(a->config->seccomp, a->seccomp, &a->config->process, exe, &err);
    if (a->fifo_fd < 0)
        goto fail;

fail_late:
    /* `create` has returned: whoever kept the sync socket hears of it, and
     * the container's stderr is the last witness */
    berth_sync_send_error(a->sync_fd, err);
    if (a->error_prefix) {
        _cleanup_free_ char *msg = berth_error_format(err);
        dprintf(STDERR_FILENO, "%s: %s\n", a->error_prefix, msg);
    }
    _exit(127);
fail:
    berth_sync_send_error(a->sync_fd, err);
    _exit(127);
}

static int init_trampoline(void *arg)
{
    berth_init_main(arg);
}

/* The PID namespace first, while we have the host's capabilities; the
 * user namespace then owns the namespaces the init is cloned with. */
static int join_for_init(int pidns_fd, int userns_fd, struct berth_error **err)
{
    /* only the namespace of the children changes */
    if (pidns_fd >= 0 && setns(pidns_fd, CLONE_NEWPID) < 0)
        return berth_error_set(err, errno, "cannot join the pid namespace");
    if (userns_fd >= 0 && setns(userns_fd, CLONE_NEWUSER) < 0)
        return berth_error_set(err, errno, "cannot join the user namespace");
    if (pidns_fd >= 0)
        close(pidns_fd);
    if (userns_fd >= 0)
        close(userns_fd);
    return 0;
}

_Noreturn void berth_init_spawn_joined(const struct berth_init_args *a, int pidns_fd, int userns_fd,
                                       uint64_t flags, int cgroup_fd)
{
    _cleanup_error_ struct berth_error *err = NULL;
    struct berth_spawn s = {.flags = flags | CLONE_PARENT,
                            .cgroup_fd = cgroup_fd,
                            .stdio = {-1, -1, -1},
                            .exe_fd = -1,
                            .fn = init_trampoline,
                            .arg = (void *)a};
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    die_with_parent();
    join_for_init(pidns_fd, userns_fd, &err);
    berth_spawn_report(&s, a->sync_fd, err);
}

/* The arguments of a re-executed init, sent by launch.c. */
struct image_args {
    struct berth_init_args a;
    struct berth_config *config;
    struct berth_cgroup *cgroup;
    struct berth_seccomp_prog *seccomp;
    char *bundle, *prefix, *id;
    int pidns_fd, userns_fd, cgroup_fd;
    uint64_t flags;
    int ns_fds[BERTH_NS_COUNT]; /* exec: the container's namespaces */
    size_t n_ns;
    bool exec;
};

static int parse_ns_fds(json_t *o, struct image_args *ia, struct berth_error **err)
{
    json_t *ns = json_object_get(o, "ns");
    if (ns == NULL)
        return 0;
    if (!json_is_array(ns) || json_array_size(ns) > BERTH_NS_COUNT)
        return berth_error_set(err, EPROTO, "bad namespaces for the exec'd process");
    for (size_t i = 0; i < json_array_size(ns); i++)
        ia->ns_fds[ia->n_ns++] = (int)json_integer_value(json_array_get(ns, i));
    ia->exec = true;
    return 0;
}

static int parse_image_args(const char *blob, struct image_args *ia, struct berth_error **err)
{
    json_error_t je;
    const char *config, *bundle, *cgroup = NULL, *prefix = NULL;
    json_int_t fifo = -1, pidns = -1, cgroup_fd = -1, flags = 0, console = -1, preserve = 0,
               cgroupns = -1, userns = -1;
    int keyring = 0;
    const char *id = NULL;

    _cleanup_(json_decrefp) json_t *o = json_loads(blob, 0, &je);
    if (o == NULL ||
        json_unpack_ex(o, &je, 0,
                       "{s:s, s:s, s?s, s?s, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s?s, s?I, s?I}",
                       "config", &config, "bundle", &bundle, "cgroup", &cgroup, "prefix", &prefix,
                       "fifo", &fifo, "pidns", &pidns, "cgroup_fd", &cgroup_fd, "flags", &flags,
                       "console", &console, "preserve", &preserve, "keyring", &keyring, "id", &id,
                       "cgroupns", &cgroupns, "userns", &userns) < 0)

        return berth_error_set(err, EPROTO, "bad arguments for the container init: %s", je.text);
    ia->bundle = xstrdup(bundle);
    ia->id = id ? xstrdup(id) : NULL;
    ia->prefix = prefix ? xstrdup(prefix) : NULL;
    ia->config = berth_config_parse(config, strlen(config), ia->bundle, err);
    if (ia->config == NULL)
        return -(*err)->errnum;
    if (cgroup && (ia->cgroup = berth_cgroup_from_json(cgroup, err)) == NULL)
        return -(*err)->errnum;
    ia->a = (struct berth_init_args){.config = ia->config,
                                     .cgroup = ia->cgroup,
                                     .bundle = ia->bundle,
                                     .fifo_fd = (int)fifo,
                                     .error_prefix = ia->prefix,
                                     .console_fd = (int)console,
                                     .cgroupns_fd = (int)cgroupns,

                                     .preserve_fds = (int)preserve,
                                     .new_keyring = keyring,
                                     .id = ia->id};
    ia->a.no_pivot = json_is_true(json_object_get(o, "nopivot"));
    json_t *prog = json_object_get(o, "seccomp");
    if (prog && berth_seccomp_prog_from_json(prog, &ia->seccomp, err) < 0)
        return -(*err)->errnum;
    ia->a.seccomp = ia->seccomp;
    ia->pidns_fd = (int)pidns;
    ia->userns_fd = (int)userns;
    ia->cgroup_fd = (int)cgroup_fd;
    ia->flags = (uint64_t)flags;
    return parse_ns_fds(o, ia, err);
}

/* The sync socket must be one: a hand-run "--berth-init 1" gets nowhere. */
static bool is_seqpacket(int fd)
{
    int type = 0;
    socklen_t len = sizeof(type);
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET;
}

_Noreturn static void image_main(const char *fd_arg)
{
    _cleanup_error_ struct berth_error *err = NULL;
    _cleanup_free_ char *blob = NULL;
    struct image_args ia = {.pidns_fd = -1, .userns_fd = -1, .cgroup_fd = -1};
    long long fd;

    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (parse_i64(fd_arg, &fd) < 0 || fd < 3 || fd > INT32_MAX || !is_seqpacket((int)fd)) {
        dprintf(STDERR_FILENO, "%s is for the runtime's own use\n", BERTH_INIT_ARG);
        _exit(EINVAL);
    }
    if (berth_sync_recv_data((int)fd, BERTH_SYNC_INIT, &blob, NULL, &err) < 0 ||
        parse_image_args(blob, &ia, &err) < 0) {
        berth_sync_send_error((int)fd, err);
        _exit(127);
    }
    ia.a.sync_fd = (int)fd;
    /* spawned by us, not by a helper: the maps came before the exec */
    ia.a.userns_mapped = !ia.exec && ia.pidns_fd < 0 && ia.userns_fd < 0;
    /* they had to survive our exec, not the payload's */
    int passed[] = {ia.a.sync_fd, ia.a.fifo_fd, ia.a.console_fd, ia.pidns_fd,
                    ia.userns_fd, ia.cgroup_fd, ia.a.cgroupns_fd};
    for (size_t i = 0; i < ARRAY_SIZE(passed); i++)
        if (passed[i] >= 0)
            (void)fcntl(passed[i], F_SETFD, FD_CLOEXEC);
    for (size_t i = 0; i < ia.n_ns; i++)
        (void)fcntl(ia.ns_fds[i], F_SETFD, FD_CLOEXEC);
    if (ia.exec)
        berth_exec_spawn_joined(&ia.a, ia.ns_fds, ia.n_ns, ia.cgroup_fd);
    if (ia.pidns_fd >= 0 || ia.userns_fd >= 0)
        berth_init_spawn_joined(&ia.a, ia.pidns_fd, ia.userns_fd, ia.flags, ia.cgroup_fd);
    berth_init_main(&ia.a);
}

void berth_init_dispatch(int argc, char **argv)
{
    if (argc == 3 && streq(argv[1], BERTH_INIT_ARG))
        image_main(argv[2]);
}
