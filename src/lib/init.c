#include "init.h"
#include "caps.h"
#include "cleanup.h"
#include "error.h"
#include "fs.h"
#include "net.h"
#include "oci.h"
#include "rootfs.h"
#include "seccomp-filter.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct init_state {
    const struct berth_init_args *a;
    bool got_go;
};

static int expect(int fd, enum berth_sync_type want, struct berth_error **err)
{
    int r = berth_sync_recv(fd, err);
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
        if (t == BERTH_NS_PID || !c->ns[t].enabled || c->ns[t].path == NULL)
            continue;
        fds[t] = open(c->ns[t].path, O_RDONLY | O_CLOEXEC);
        if (fds[t] < 0 && r == 0)
            r = berth_error_set(err, errno, "cannot open %s namespace '%s'", berth_ns_name(t),
                                c->ns[t].path);
    }
    static const int order[] = {BERTH_NS_IPC, BERTH_NS_UTS, BERTH_NS_NET, BERTH_NS_CGROUP,
                                BERTH_NS_MNT};
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

static int set_rlimits(const struct berth_process *p, struct berth_error **err)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
        if (setrlimit(p->rlimits[i].resource, &rl) < 0)
            return berth_error_set(err, errno, "cannot set rlimit %d", p->rlimits[i].resource);
    }
    return 0;
}

static int set_oom_score(const struct berth_process *p, struct berth_error **err)
{
    if (p->has_oom_score_adj) {
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
        int r = write_file_at(AT_FDCWD, "/proc/self/oom_score_adj", buf, n, NULL);
        if (r < 0)
            return berth_error_set(err, -r, "cannot set oomScoreAdj to %d", p->oom_score_adj);
    }
    return 0;
}

static const char *env_path(char **env)
{
    for (char **e = env; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            return *e + 5;
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

static bool is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Looks the payload up in the container's PATH now, so `create` fails when
 * it is missing instead of a later `start` exiting 127. */
static int find_executable(const struct berth_process *p, char **ret, struct berth_error **err)
{
    const char *name = p->args[0];
    if (strchr(name, '/')) {
        if (!is_executable(name))
            return berth_error_set(err, errno ? errno : EACCES, "cannot exec '%s'", name);
        *ret = xstrdup(name);
        return 0;
    }
    _cleanup_free_ char *path = xstrdup(env_path(p->env));
    for (char *save = NULL, *dir = strtok_r(path, ":", &save); dir;
         dir = strtok_r(NULL, ":", &save)) {
        _cleanup_free_ char *cand = xasprintf("%s/%s", *dir ? dir : ".", name);
        if (is_executable(cand)) {
            *ret = TAKE_PTR(cand);
            return 0;
        }
    }
    return berth_error_set(err, ENOENT, "cannot find executable '%s' in the container's PATH",
                           name);
}

static int enter_cwd(const char *cwd, struct berth_error **err)
{
    if (chdir(cwd) == 0)
        return 0;
    _cleanup_close_ int fd = berth_fs_open_in_root(AT_FDCWD, cwd, BERTH_MKPATH_DIR, err);
    if (fd < 0)
        return berth_error_wrap(err, "cannot use process.cwd");
    if (fchdir(fd) < 0)
        return berth_error_set(err, errno, "cannot chdir to '%s'", cwd);
    return 0;
}

static int switch_user(const struct berth_process *p, struct berth_error **err)
{
    const struct berth_user *u = &p->user;
    int r;
    if (p->caps.present && (r = berth_caps_drop_bounding(&p->caps, err)) < 0)
        return r;
    if (setgroups(u->n_additional_gids, u->additional_gids) < 0)
        return berth_error_set(err, errno, "cannot set additional groups");
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return berth_error_set(err, errno, "cannot keep capabilities across setuid");
    if (setresgid(u->gid, u->gid, u->gid) < 0)
        return berth_error_set(err, errno, "cannot set gid %u", (unsigned)u->gid);
    if (setresuid(u->uid, u->uid, u->uid) < 0)
        return berth_error_set(err, errno, "cannot set uid %u", (unsigned)u->uid);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return berth_error_set(err, errno, "cannot reset keepcaps");
    if (p->caps.present && (r = berth_caps_apply(&p->caps, err)) < 0)
        return r;
    if (u->has_umask)
        umask(u->umask);
    return 0;
}

/* Create mode: block until `start` writes to exec.fifo. The read end was
 * opened non-blocking before clone; poll() only reports it readable once a
 * writer has come, so the wait costs nothing. */
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

static int final_steps(const struct berth_config *c, const char *exe, struct berth_error **err)
{
    const struct berth_process *p = &c->process;
    int r = set_rlimits(p, err);
    if (r < 0)
        return r;
    /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
     * user switch may drop: load it first then (runc does the same). */
    if (c->seccomp && !p->no_new_privileges && (r = berth_seccomp_load(c->seccomp, err)) < 0)
        return r;
    if ((r = switch_user(p, err)) < 0)
        return r;
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return berth_error_set(err, errno, "cannot set no_new_privs");
    if (c->seccomp && p->no_new_privileges && (r = berth_seccomp_load(c->seccomp, err)) < 0)
        return r;
    execve(exe, p->args, p->env);
    return berth_error_set(err, errno, "cannot exec '%s'", p->args[0]);
}

static int check_cwd_inside(struct berth_error **err)
{
    char buf[4096];
    /* getcwd() fails (or says "(unreachable)") when the working directory is
     * outside our root: the CVE-2024-21626 trick with a leaked host fd. */
    if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
        return berth_error_set(err, EPERM, "process.cwd is outside the container root");
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
    if ((r = join_namespaces(c, err)) < 0 || (r = set_oom_score(&c->process, err)) < 0)
        return r;
    if (c->ns[BERTH_NS_NET].enabled && c->ns[BERTH_NS_NET].path == NULL &&
        (r = berth_net_loopback_up(err)) < 0)
        return r;
    if (chdir(st->a->bundle) < 0)
        return berth_error_set(err, errno, "cannot enter the bundle '%s'", st->a->bundle);
    if ((r = berth_rootfs_prepare(&ctx, err)) < 0 || (r = berth_rootfs_pivot(c, err)) < 0 ||
        (r = berth_rootfs_finish(c, err)) < 0 || (r = wait_go(st, err)) < 0 ||
        (r = set_names(c, err)) < 0 || (r = enter_cwd(c->process.cwd, err)) < 0 ||
        (r = check_cwd_inside(err)) < 0 || (r = find_executable(&c->process, ret_exe, err)) < 0)
        return r;
    /* nothing of the container's runs before its device rules are in force */
    return expect(st->a->sync_fd, BERTH_SYNC_DEVICES_SET, err);
}

static void close_other_fds(int keep1, int keep2)
{
    int lo = keep1 < keep2 ? keep1 : keep2, hi = keep1 < keep2 ? keep2 : keep1;
    if (lo < 0)
        lo = hi;
    /* everything else is closed now: nothing of the runtime's can leak, and
     * the state directory's lock stays with the runtime alone */
    syscall(SYS_close_range, 3, lo - 1, 0);
    if (hi > lo)
        syscall(SYS_close_range, lo + 1, hi - 1, 0);
    syscall(SYS_close_range, hi + 1, ~0U, 0);
}

_Noreturn void berth_init_main(const struct berth_init_args *a)
{
    _cleanup_error_ struct berth_error *err = NULL;
    _cleanup_free_ char *exe = NULL;
    struct init_state st = {.a = a};
    sigset_t none;

    close_other_fds(a->sync_fd, a->fifo_fd);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (setup(&st, &exe, &err) < 0)
        goto fail;
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    if (a->fifo_fd >= 0) {
        if (berth_sync_send(a->sync_fd, BERTH_SYNC_READY, &err) < 0)
            goto fail;
        close(a->sync_fd);
        if (wait_start(a->fifo_fd, &err) < 0)
            goto fail_late;
        close(a->fifo_fd);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    final_steps(a->config, exe, &err);
    if (a->fifo_fd < 0)
        goto fail;
fail_late : {
    /* `create` has returned: the container's stderr is the only witness */
    _cleanup_free_ char *msg = berth_error_format(err);
    dprintf(STDERR_FILENO, "berth-runtime: %s\n", msg);
    _exit(127);
}
fail:
    berth_sync_send_error(a->sync_fd, err);
    _exit(127);
}
