/* berth-shim --id ID --dir DIR --state-root DIR --socket PATH [--cgroup-root DIR]
 *            [--netns PATH] [--pidns FD|host] [--ipcns FD|host] [--shm-from DIR]
 *
 * Started by berthd to start one container. The process berthd started
 * prints "ok PID" (the container's init) or "error: MESSAGE" on stdout and
 * exits 0 or 1; the monitor itself lives on, detached, until the container
 * is gone (shim.h). */
#include "shim.h"
#include "cleanup.h"
#include "container.h"
#include "durable.h"
#include "error.h"
#include "init.h"
#include "overlay.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

static int report_error(int ready, struct berth_error *e)
{
    _cleanup_free_ char *msg = berth_error_format(e);
    berth_error_clear(&e);
    dprintf(ready, "error: %s\n", msg);
    return 1;
}

static int listen_on(const char *path, struct berth_error **err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return berth_error_set(err, ENAMETOOLONG, "socket path '%s' is too long", path);
    strcpy(sa.sun_path, path);
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return berth_error_set(err, e, "cannot listen on '%s'", path);
    }
    return fd;
}

int shim_create(const struct shim_args *a, struct shim_io *io, struct berth_container **ret,
                struct berth_error **err)
{
    _cleanup_free_ char *bundle = xasprintf("%s/bundle", a->dir);
    *ret = NULL;
    if (shim_io_prepare(a, io, err) < 0)
        return -EIO;
    struct berth_create_opts o = {.state_root = a->state_root,
                                  .id = a->id,
                                  .bundle = bundle,
                                  .cgroup_root = a->cgroup_root,
                                  .stdio = io->stdio,
                                  .console_fd = io->tty ? &io->console[1] : NULL};
    if (shim_runtime_create(a, &o, ret, err) < 0 || shim_io_started(io, err) < 0) {
        if (*ret) {
            shim_runtime_kill(a, SIGKILL, true, NULL);
            berth_container_free(*ret);
            shim_runtime_delete(a, NULL);
            *ret = NULL;
        }
        shim_io_close(io);
        return -EIO;
    }
    return 0;
}

/* Mounts the root, creates the container with its stdio (tty.c). */
static int start(const struct shim_args *a, const char *rootfs, int ready)
{
    struct berth_error *e = NULL;
    _cleanup_strv_ char **layers = NULL;
    _cleanup_free_ char *upper = xasprintf("%s/upper", a->dir);
    _cleanup_free_ char *work = xasprintf("%s/work", a->dir);
    if (shim_write_config(a, &layers, &e) < 0)
        return report_error(ready, e);
    mkdir(upper, 0755);
    mkdir(work, 0700);
    mkdir(rootfs, 0755);
    if (berth_overlay_mount((const char *const *)layers, strv_length(layers), upper, work, rootfs,
                            &e) < 0)
        return shim_shm_umount(a), report_error(ready, e);
    if (shim_prepare_rootfs(a, rootfs, &e) < 0)
        return berth_overlay_umount(rootfs, NULL), shim_shm_umount(a), report_error(ready, e);
    struct shim_io io;
    struct berth_container *c = NULL;
    int lfd = listen_on(a->socket, &e);
    if (lfd < 0 || shim_create(a, &io, &c, &e) < 0) {
        berth_overlay_umount(rootfs, NULL);
        shim_shm_umount(a);
        if (lfd >= 0)
            close(lfd), unlink(a->socket);
        return report_error(ready, e);
    }
    struct shim_restart r = {.timerfd = -1};
    shim_restart_began(&r);
    if (shim_write_state(a, c->pid, &r, NULL, &e) < 0)
        berth_error_clear(&e); /* berthd still learns the pid from our answer */
    /* The log exists before create returns: an attach made right after it
     * opens the file at once, and keeps it when --rm removes the dir. */
    _cleanup_free_ char *log = xasprintf("%s/%s-json.log", a->dir, a->id);
    int lf = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (lf >= 0)
        close(lf);
    dprintf(ready, "ok %d\n", (int)c->pid);
    close(ready);
    dup2(io.devnull, 0);
    dup2(io.devnull, 1);
    dup2(io.devnull, 2);
    return shim_loop(a, c, &io, &r, lfd, rootfs);
}

static int parse(int argc, char **argv, struct shim_args *a)
{
    static const struct option opts[] = {
        {"id", required_argument, NULL, 'i'},          {"dir", required_argument, NULL, 'd'},
        {"state-root", required_argument, NULL, 's'},  {"socket", required_argument, NULL, 'S'},
        {"cgroup-root", required_argument, NULL, 'c'}, {"netns", required_argument, NULL, 'n'},
        {"pidns", required_argument, NULL, 'p'},       {"ipcns", required_argument, NULL, 'I'},
        {"shm-from", required_argument, NULL, 'm'},    {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            a->id = optarg;
            break;
        case 'd':
            a->dir = optarg;
            break;
        case 's':
            a->state_root = optarg;
            break;
        case 'S':
            a->socket = optarg;
            break;
        case 'c':
            a->cgroup_root = optarg;
            break;
        case 'n':
            a->netns = optarg;
            break;
        case 'p':
            a->pidns = optarg;
            break;
        case 'I':
            a->ipcns = optarg;
            break;
        case 'm':
            a->shm_from = optarg;
            break;
        default:
            return -1;
        }
    }
    /* berthd's namespace descriptors: kept here, not in what runs later */
    const char *fds[] = {a->pidns, a->ipcns};
    for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
        if (fds[i] && !streq(fds[i], "host") && fcntl(atoi(fds[i]), F_SETFD, FD_CLOEXEC) < 0)
            return -1;
    return a->id && a->dir && a->state_root && a->socket && optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
    /* a container's init re-executed from a read-only view of this binary */
    berth_init_dispatch(argc, argv);
    struct shim_args a = {0};
    if (parse(argc, argv, &a) < 0) {
        fprintf(stderr, "berth-shim: usage: berth-shim --id ID --dir DIR --state-root DIR "
                        "--socket PATH [--cgroup-root DIR] [--netns PATH] [--pidns FD|host] "
                        "[--ipcns FD|host] [--shm-from DIR]\n");
        return 2;
    }
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        return 1;
    pid_t child = fork();
    if (child < 0)
        return 1;
    if (child == 0) {
        /* own session, then a grandchild that is no session leader and
         * whose parent is gone: it outlives berthd, never gets a tty */
        close(ready[0]);
        setsid();
        if (fork() != 0)
            _exit(0);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        if (chdir("/") < 0)
            _exit(1);
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", a.dir);
        _exit(start(&a, rootfs, ready[1]));
    }
    close(ready[1]);
    waitpid(child, NULL, 0);
    char buf[4096];
    ssize_t n, total = 0;
    while ((n = read(ready[0], buf + total, sizeof(buf) - 1 - (size_t)total)) > 0)
        total += n;
    buf[total] = '\0';
    if (total == 0)
        snprintf(buf, sizeof(buf), "error: the shim died before the container started\n");
    fputs(buf, stdout);
    return strncmp(buf, "ok ", 3) == 0 ? 0 : 1;
}
