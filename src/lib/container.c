#include "container.h"
#include "cgroup.h"
#include "cleanup.h"
#include "devices.h"
#include "error.h"
#include "init.h"
#include "log.h"
#include "oci.h"
#include "state.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct create_ctx {
    const struct berth_create_opts *o;
    struct berth_config *config;
    struct berth_cgroup *cgroup;
    char *bundle;  /* absolute */
    int dirfd;     /* state directory, locked */
    int cgroup_fd; /* v2: for CLONE_INTO_CGROUP */
    int fifo_fd;
    int sync[2];
    pid_t pid;
    unsigned long long pid_start;
    int pidfd;
};

static int load_config(struct create_ctx *x, struct berth_error **err)
{
    char real[PATH_MAX];
    struct stat st;

    if (realpath(x->o->bundle, real) == NULL)
        return berth_error_set(err, errno, "cannot use bundle '%s'", x->o->bundle);
    x->bundle = xstrdup(real);
    x->config = berth_config_load(x->bundle, err);
    if (x->config == NULL)
        return -(*err)->errnum;
    const char *root = x->config->root_path;
    if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
        return berth_error_set(err, errno ? errno : ENOTDIR, "invalid config: 'root.path' '%s'",
                               root);
    if (x->config->process.terminal)
        return berth_error_set(err, EINVAL,
                               "invalid config: 'process.terminal' needs a console socket, "
                               "which this version does not support yet");
    return 0;
}

static int make_cgroup(struct create_ctx *x, struct berth_error **err)
{
    enum berth_cgroup_mode mode;
    _cleanup_free_ char *self = NULL;
    int r = berth_cgroup_detect("/sys/fs/cgroup", &mode, err);
    if (r < 0 || (r = read_file_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL, err)) < 0)
        return r;
    x->cgroup =
        berth_cgroup_new(mode, "/sys/fs/cgroup", self, x->config->cgroups_path, x->o->id, err);
    if (x->cgroup == NULL)
        return -(*err)->errnum;
    /* -1 with no error set is the v1 answer "no fd" (cgroup.h) */
    r = berth_cgroup_prepare(x->cgroup, err);
    if (r < 0 && *err != NULL)
        return r;
    x->cgroup_fd = r;
    return 0;
}

static int join_pidns(const struct berth_config *c, struct berth_error **err)
{
    const char *path = c->ns[BERTH_NS_PID].path;
    if (!c->ns[BERTH_NS_PID].enabled || path == NULL)
        return 0;
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot open pid namespace '%s'", path);
    /* only changes the namespace of our future children */
    if (setns(fd, CLONE_NEWPID) < 0)
        return berth_error_set(err, errno, "cannot join pid namespace '%s'", path);
    return 0;
}

static uint64_t clone_flags(const struct berth_config *c)
{
    uint64_t f = 0;
    for (int t = 0; t < BERTH_NS_COUNT; t++)
        if (c->ns[t].enabled && c->ns[t].path == NULL && t != BERTH_NS_CGROUP)
            f |= (uint64_t)berth_ns_clone_flag(t);
    return f;
}

static int spawn_init(struct create_ctx *x, struct berth_error **err)
{
    /* The init runs this binary until it execs the payload. Non-dumpable, its
     * /proc/PID/exe, fd/ and mem are closed to the container's processes
     * (they would need CAP_SYS_PTRACE in our user namespace), which is what
     * the CVE-2019-5736 attack needs to reach the runtime binary. The flag is
     * copied to the child and reset by the kernel at the payload's execve. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return berth_error_set(err, errno, "cannot make the runtime non-dumpable");
    struct clone_args ca = {
        .flags = clone_flags(x->config) | CLONE_PIDFD,
        .pidfd = (uint64_t)(uintptr_t)&x->pidfd,
        .exit_signal = SIGCHLD,
    };
    if (x->cgroup_fd >= 0) {
        ca.flags |= CLONE_INTO_CGROUP;
        ca.cgroup = (uint64_t)x->cgroup_fd;
    }
    long pid = syscall(SYS_clone3, &ca, sizeof(ca));
    if (pid < 0)
        return berth_error_set(err, errno, "cannot create the container init");
    if (pid == 0) {
        close(x->sync[0]);
        struct berth_init_args a = {.config = x->config,
                                    .cgroup = x->cgroup,
                                    .bundle = x->bundle,
                                    .sync_fd = x->sync[1],
                                    .fifo_fd = x->fifo_fd};
        berth_init_main(&a);
    }
    x->pid = (pid_t)pid;
    /* read now: the child cannot exec (and so change or lose it) before GO */
    x->pid_start = proc_start_time(x->pid);
    close(TAKE_FD(x->sync[1]));
    return 0;
}

static int write_state(struct create_ctx *x, struct berth_error **err)
{
    _cleanup_free_ char *created = berth_rfc3339_now();
    _cleanup_free_ char *cg = x->cgroup ? berth_cgroup_to_json(x->cgroup) : NULL;
    struct berth_state s = {
        .id = (char *)x->o->id,
        .pid = x->pid,
        .pid_start = x->pid_start,
        .bundle = x->bundle,
        .rootfs = x->config->root_path,
        .created = created,
        .oci_version = x->config->oci_version,
        .annotations_json = x->config->annotations_json,
        .cgroup_json = cg,
        .has_pidns = x->config->ns[BERTH_NS_PID].enabled,
    };
    return berth_state_write(x->dirfd, &s, err);
}

static int write_pid_file(const char *path, pid_t pid, struct berth_error **err)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", pid);
    _cleanup_free_ char *copy = xstrdup(path);
    char *slash = strrchr(copy, '/');
    const char *dir = slash ? (slash == copy ? "/" : copy) : ".";
    const char *name = slash ? slash + 1 : copy;
    if (slash)
        *slash = '\0';
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return berth_error_set(err, errno, "cannot open the directory of pid file '%s'", path);
    int r = write_file_atomic_at(dfd, name, buf, n, err);
    return r < 0 ? berth_error_wrap(err, "cannot write pid file '%s'", path) : 0;
}

/* Runs in the parent while the child builds its rootfs: the cgroup work and
 * the mount work overlap on two CPUs. */
/* The device rules wait for the child's device nodes (cgroup.h). */
static int apply_devices(struct create_ctx *x, struct berth_error **err)
{
    struct berth_resources res = {0};
    _cleanup_free_ struct berth_device_rule *rules =
        berth_devices_cgroup_rules(x->config, &res.n_devices);
    res.devices = rules;
    int r = berth_sync_recv(x->sync[0], err);
    if (r < 0)
        return r;
    if (r != BERTH_SYNC_DEVICES)
        return berth_error_set(err, EPROTO, "unexpected message from the container init");
    if ((r = berth_cgroup_set_devices(x->cgroup, &res, err)) < 0)
        return r;
    return berth_sync_send(x->sync[0], BERTH_SYNC_DEVICES_SET, err);
}

/* Runs in the parent while the child builds its rootfs: the cgroup work and
 * the mount work overlap on two CPUs. */
static int parent_side(struct create_ctx *x, struct berth_error **err)
{
    struct berth_resources res = x->config->resources;
    res.n_devices = 0;
    int r = berth_cgroup_setup(x->cgroup, &res, x->pid, err);
    if (r < 0)
        return r;
    if ((r = berth_sync_send(x->sync[0], BERTH_SYNC_GO, err)) < 0)
        return r;
    /* while the child finishes its rootfs */
    if ((r = write_state(x, err)) < 0 || (r = apply_devices(x, err)) < 0)
        return r;
    r = berth_sync_recv(x->sync[0], err);
    if (r < 0)
        return r;
    if (x->o->wait_start && r != BERTH_SYNC_READY)
        return berth_error_set(err, EPROTO, "the container init exited during setup");
    if (!x->o->wait_start && r != 0)
        return berth_error_set(err, EPROTO, "unexpected message from the container init");
    if (x->o->pid_file)
        return write_pid_file(x->o->pid_file, x->pid, err);
    return 0;
}

/* When the parent fails to talk to or set up the child, the child has often
 * failed first (a namespace path that does not exist, say) and left its
 * error on the socket: that error is the one to report. */
static int prefer_child_error(struct create_ctx *x, int r, struct berth_error **err)
{
    struct berth_error *child = NULL;
    struct pollfd p = {.fd = x->sync[0], .events = POLLIN};
    if (poll(&p, 1, 0) != 1 || berth_sync_recv(x->sync[0], &child) >= 0 || child == NULL)
        return r;
    berth_error_clear(err);
    *err = child;
    return -child->errnum;
}

static int make_fifo(struct create_ctx *x, struct berth_error **err)
{
    if (!x->o->wait_start)
        return 0;
    if (mkfifoat(x->dirfd, BERTH_EXEC_FIFO, 0600) < 0)
        return berth_error_set(err, errno, "cannot create the exec fifo");
    x->fifo_fd = openat(x->dirfd, BERTH_EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (x->fifo_fd < 0)
        return berth_error_set(err, errno, "cannot open the exec fifo");
    return 0;
}

static void undo_create(struct create_ctx *x)
{
    _cleanup_error_ struct berth_error *ignored = NULL;
    if (x->pid > 0) {
        if (x->pidfd >= 0)
            syscall(SYS_pidfd_send_signal, x->pidfd, SIGKILL, NULL, 0);
        while (waitpid(x->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (x->cgroup)
        berth_cgroup_destroy(x->cgroup, &ignored);
    berth_error_clear(&ignored);
    if (x->dirfd >= 0)
        berth_state_remove(x->o->state_root, x->o->id, &ignored);
}

static void free_ctx(struct create_ctx *x)
{
    int fds[] = {x->dirfd, x->cgroup_fd, x->fifo_fd, x->sync[0], x->sync[1], x->pidfd};
    for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    berth_cgroup_free(x->cgroup);
    berth_config_free(x->config);
    free(x->bundle);
}

static int create_steps(struct create_ctx *x, struct berth_error **err)
{
    int r;
    if ((r = load_config(x, err)) < 0)
        return r;
    if ((r = berth_state_create(x->o->state_root, x->o->id, err)) < 0)
        return r;
    x->dirfd = r;
    if ((r = make_cgroup(x, err)) < 0 || (r = make_fifo(x, err)) < 0 ||
        (r = berth_sync_pair(x->sync, err)) < 0 || (r = join_pidns(x->config, err)) < 0 ||
        (r = spawn_init(x, err)) < 0)
        return r;
    r = parent_side(x, err);
    return r < 0 ? prefer_child_error(x, r, err) : r;
}

int berth_container_create(const struct berth_create_opts *o, pid_t *ret_pid, int *ret_pidfd,
                           struct berth_error **err)
{
    struct create_ctx x = {
        .o = o, .dirfd = -1, .cgroup_fd = -1, .fifo_fd = -1, .sync = {-1, -1}, .pidfd = -1};
    int r = berth_state_validate_id(o->id, err);
    if (r < 0)
        return r;
    r = create_steps(&x, err);
    if (r < 0) {
        undo_create(&x);
    } else {
        *ret_pid = x.pid;
        *ret_pidfd = TAKE_FD(x.pidfd);
    }
    free_ctx(&x);
    return r;
}
