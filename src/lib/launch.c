#include "launch.h"
#include "cleanup.h"
#include "error.h"
#include "exe.h"
#include "exec.h"
#include "init.h"
#include "seccomp-prog.h"
#include "spawn.h"
#include "sync.h"
#include "userns.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* What the exec way's child reads after clone: it lives until release. */
struct exec_desc {
    struct berth_spawn s;
    char fd_arg[16];
    char *argv[4];
    int *keep;
};

static int init_fn(void *arg)
{
    berth_init_main(((const struct berth_launch *)arg)->args);
}

static int exec_fn(void *arg)
{
    const struct berth_launch *l = arg;
    berth_exec_spawn_joined(l->args, l->ns_fds, l->n_ns, l->cgroup_fd);
}

static int joined_fn(void *arg)
{
    const struct berth_launch *l = arg;
    berth_init_spawn_joined(l->args, l->pidns_fd, l->userns_fd, l->flags, l->cgroup_fd);
}

static json_t *ns_json(const struct berth_launch *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n_ns; i++)
        json_array_append_new(a, json_integer(l->ns_fds[i]));
    return a;
}

/* What a re-executed init needs to rebuild its berth_init_args. */
static char *image_args(const struct berth_launch *l)
{
    const struct berth_init_args *a = l->args;
    bool joined = l->pidns_fd >= 0 || l->userns_fd >= 0 || l->exec;
    _cleanup_(json_decrefp) json_t *o = json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:b, s:I, s:I, s:I}", "config", l->config_text, "bundle",
        a->bundle, "fifo", (json_int_t)a->fifo_fd, "console", (json_int_t)a->console_fd, "preserve",
        (json_int_t)a->preserve_fds, "keyring", a->new_keyring, "pidns", (json_int_t)l->pidns_fd,
        "cgroup_fd", (json_int_t)(joined ? l->cgroup_fd : -1), "flags", (json_int_t)l->flags);
    if (o == NULL || (l->exec && json_object_set_new(o, "ns", ns_json(l)) < 0) ||
        (l->cgroup_json && json_object_set_new(o, "cgroup", json_string(l->cgroup_json)) < 0) ||
        (a->error_prefix && json_object_set_new(o, "prefix", json_string(a->error_prefix)) < 0) ||
        (a->id && json_object_set_new(o, "id", json_string(a->id)) < 0) ||
        (a->no_pivot && json_object_set_new(o, "nopivot", json_true()) < 0) ||
        (a->seccomp &&
         json_object_set_new(o, "seccomp", berth_seccomp_prog_to_json(a->seccomp)) < 0) ||
        json_object_set_new(o, "cgroupns", json_integer(a->cgroupns_fd)) < 0 ||
        json_object_set_new(o, "userns", json_integer(l->userns_fd)) < 0)
        abort();
    char *text = json_dumps(o, JSON_COMPACT);
    if (text == NULL)
        abort();
    return text;
}

/* The init of a new user namespace waits, unmapped, for its id maps
 * (userns.h): we write them as soon as it exists and tell it so. */
static bool new_userns(const struct berth_launch *l)
{
    return !l->exec && berth_userns_new(l->args->config);
}

static int map_userns(const struct berth_launch *l, pid_t pid, struct berth_error **err)
{
    int r = berth_userns_write_maps(pid, l->args->config, err);
    return r < 0 ? r : berth_sync_send(l->sync_fd, BERTH_SYNC_MAPPED, err);
}

static int spawn_image(const struct berth_launch *l, const struct berth_spawn *base,
                       struct berth_launched *ret, struct berth_error **err)
{
    struct exec_desc *d = xzalloc(sizeof(*d));
    size_t n = 0;

    ret->desc = d;
    _cleanup_close_ int exe = berth_exe_open_protected(err);
    if (exe < 0)
        return exe;
    snprintf(d->fd_arg, sizeof(d->fd_arg), "%d", l->args->sync_fd);
    d->argv[0] = "berth-init";
    d->argv[1] = BERTH_INIT_ARG;
    d->argv[2] = d->fd_arg;
    d->keep = xzalloc((7 + l->n_ns + (size_t)l->args->preserve_fds) * sizeof(int));
    for (size_t i = 0; i < l->n_ns; i++)
        d->keep[n++] = l->ns_fds[i];

    for (int i = 0; i < l->args->preserve_fds; i++)
        d->keep[n++] = 3 + i;
    d->keep[n++] = l->args->sync_fd;
    if (l->args->fifo_fd >= 0)
        d->keep[n++] = l->args->fifo_fd;
    if (l->args->console_fd >= 0)
        d->keep[n++] = l->args->console_fd;
    if (l->args->cgroupns_fd >= 0)
        d->keep[n++] = l->args->cgroupns_fd;

    if (l->pidns_fd >= 0)
        d->keep[n++] = l->pidns_fd;
    if (l->userns_fd >= 0)
        d->keep[n++] = l->userns_fd;
    if ((l->pidns_fd >= 0 || l->userns_fd >= 0 || l->exec) && l->cgroup_fd >= 0)
        d->keep[n++] = l->cgroup_fd;

    ret->stack = mmap(NULL, BERTH_SPAWN_STACK, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (ret->stack == MAP_FAILED) {
        ret->stack = NULL;
        return berth_error_set(err, errno, "cannot map a stack for the container init");
    }
    d->s = *base;
    d->s.exe_fd = exe;
    d->s.argv = d->argv;
    d->s.envp = environ;
    d->s.keep_fds = d->keep;
    d->s.n_keep = n;
    d->s.stack = ret->stack;
    d->s.stack_size = BERTH_SPAWN_STACK;
    /* it waits for the maps before its exec, which would drop the
     * capabilities of a process that is not root in its namespace */
    bool gate = new_userns(l) && l->pidns_fd < 0;
    d->s.gate_fd = gate ? l->args->sync_fd : -1;
    pid_t pid = berth_spawn(&d->s, &ret->pidfd, err);
    if (pid < 0)
        return pid;
    ret->pid = pid;
    int r = gate ? map_userns(l, pid, err) : 0;
    if (r < 0)
        return r;
    _cleanup_free_ char *blob = image_args(l);
    return berth_sync_send_data(l->sync_fd, BERTH_SYNC_INIT, blob, strlen(blob), err);
}

/* The helper reports the init's pid and exits; the init is our child
 * (CLONE_PARENT), so its pid cannot be reused before we reap it. */
static int adopt_joined(const struct berth_launch *l, struct berth_launched *ret,
                        struct berth_error **err)
{
    int pid = 0;
    int r = berth_sync_recv(l->sync_fd, &pid, err);
    pid_t helper = ret->pid;

    while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
        ;
    close(ret->pidfd);
    ret->pidfd = -1;
    ret->pid = 0;
    if (r < 0)
        return r;
    if (r != BERTH_SYNC_CHILD || pid <= 0)
        return berth_error_set(err, EPROTO, "the container init's helper did not report it");
    ret->pid = (pid_t)pid;
    ret->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (ret->pidfd < 0)
        return berth_error_set(err, errno, "cannot open the container init");
    return 0;
}

int berth_launch(const struct berth_launch *l, struct berth_launched *ret, struct berth_error **err)
{
    bool joined = l->pidns_fd >= 0 || l->userns_fd >= 0 || l->exec;
    _cleanup_close_ int in = -1, out = -1, errfd = -1;
    struct berth_spawn s = {
        .flags = joined ? 0 : l->flags,
        .cgroup_fd = joined ? -1 : l->cgroup_fd,
        .stdio = {-1, -1, -1},
        .exe_fd = -1,
        .fn = l->exec  ? exec_fn
              : joined ? joined_fn
                       : init_fn,

        .arg = (void *)l,
    };
    int r;

    *ret = (struct berth_launched){.pidfd = -1};
    /* copies above 2, so that no dup onto 0..2 in the child overwrites
     * another of them */
    int *tmp[] = {&in, &out, &errfd};
    for (int i = 0; l->stdio && i < 3; i++) {
        if ((*tmp[i] = fcntl(l->stdio[i], F_DUPFD_CLOEXEC, 3)) < 0)
            return berth_error_set(err, errno, "cannot use fd %d as the container's stdio",
                                   l->stdio[i]);
        s.stdio[i] = *tmp[i];
    }
    if (berth_exe_protected()) {
        pid_t pid = berth_spawn(&s, &ret->pidfd, err);
        r = pid < 0 ? pid : 0;
        ret->pid = pid > 0 ? pid : 0;
    } else {
        r = spawn_image(l, &s, ret, err);
    }
    if (r >= 0 && joined)
        r = adopt_joined(l, ret, err);
    /* the exec way's init had them before its exec */
    if (r >= 0 && new_userns(l) && (joined || berth_exe_protected()))
        r = map_userns(l, ret->pid, err);
    return r;
}

void berth_launched_release(struct berth_launched *l)
{
    if (l->pidfd >= 0)
        close(l->pidfd);
    l->pidfd = -1;
    if (l->stack)
        munmap(l->stack, BERTH_SPAWN_STACK);
    l->stack = NULL;
    if (l->desc)
        free(((struct exec_desc *)l->desc)->keep);
    free(l->desc);
    l->desc = NULL;
}
