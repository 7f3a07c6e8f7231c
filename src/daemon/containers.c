/* Container records: lookup, state, start, kill, stop, remove, wait. */
#include "daemon.h"
#include "gpu.h"
#include "events.h"
#include "volumes.h"
#include "cleanup.h"
#include "container.h"
#include "durable.h"
#include "error.h"
#include "signals.h"
#include "overlay.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

char *ctr_socket_path(const char *id)
{
    return xasprintf("%s/shims/%.12s.sock", engine.exec_root, id);
}

static char *containers_dir(void)
{
    return xasprintf("%s/containers", engine.data_root);
}

void ctr_free(struct ctr *c)
{
    if (c == NULL)
        return;
    free(c->dir);
    json_decref(c->rec);
    json_decref(c->state);
    json_decref(c->exit);
    free(c);
}

void ctrs_free(struct ctr **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ctr_free(v[i]);
    free(v);
}

const char *ctr_status_name(enum ctr_status s)
{
    return s == CTR_RUNNING ? "running" : s == CTR_EXITED ? "exited" : "created";
}

const char *ctr_name(const struct ctr *c)
{
    const char *n = json_string_value(json_object_get(c->rec, "Name"));
    return n ? n : "";
}

int ctr_exit_code(const struct ctr *c)
{
    return (int)json_integer_value(json_object_get(c->exit, "ExitCode"));
}

static bool shim_alive(json_t *state)
{
    pid_t pid = (pid_t)json_integer_value(json_object_get(state, "ShimPid"));
    json_int_t start = json_integer_value(json_object_get(state, "ShimStart"));
    return pid > 0 && kill(pid, 0) == 0 && (json_int_t)proc_start_time(pid) == start;
}

static bool frozen(const char *id)
{
    struct berth_container_info *i = NULL;
    struct berth_error *e = NULL;
    if (berth_container_state(engine.state_root, id, &i, &e) < 0) {
        berth_error_clear(&e);
        return false;
    }
    bool p = i->status == BERTH_STATUS_PAUSED;
    berth_container_info_free(i);
    return p;
}

/* Reads the records of ID in the containers dir CDFD (opened once by the
 * caller); NULL when it is no container (yet). With status false only
 * container.json: a lookup by name reads no more. */
static struct ctr *ctr_load_at(int cdfd, const char *id, bool status)
{
    json_t *r[REC_N];
    unsigned mask =
        status ? (1u << REC_CONTAINER | 1u << REC_STATE | 1u << REC_EXIT) : 1u << REC_CONTAINER;
    if (records_read(cdfd, id, mask, r) < 0) {
        for (int i = 0; i < REC_N; i++)
            json_decref(r[i]);
        return NULL;
    }
    _cleanup_free_ char *cdir = containers_dir();
    struct ctr *c = xzalloc(sizeof(*c));
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->dir = xasprintf("%s/%s", cdir, id);
    c->rec = r[REC_CONTAINER];
    c->state = r[REC_STATE];
    c->exit = r[REC_EXIT];
    const char *created = json_string_value(json_object_get(c->rec, "Created"));
    c->created = created ? created : "";
    if (!status)
        return c;
    if (c->exit)
        c->status = CTR_EXITED;
    else if (c->state && shim_alive(c->state) &&
             json_is_true(json_object_get(c->state, "Restarting")))
        c->status = CTR_RUNNING, c->restarting = true; /* as Docker: Running and Restarting */
    else if (c->state && shim_alive(c->state))
        c->status = CTR_RUNNING,
        c->paused = streq(ctr_runtime(c), "berth") ? frozen(id) : ctr_rt_frozen(c);
    else if (c->state)
        c->status = CTR_EXITED; /* its shim died: ctr_adopt_all records it */
    else
        c->status = CTR_CREATED;
    return c;
}

static int open_containers_dir(void)
{
    _cleanup_free_ char *cdir = containers_dir();
    return open(cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static bool is_hex_id(const char *s)
{
    return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int by_created(const void *a, const void *b)
{
    const struct ctr *x = *(struct ctr *const *)a, *y = *(struct ctr *const *)b;
    return -strcmp(x->created, y->created);
}

/* Every container dir of CDFD, each with its status or only its record. */
static void load_all(int cdfd, bool status, struct ctr ***ret, size_t *ret_n)
{
    _cleanup_closedir_ DIR *dir = cdfd < 0 ? NULL : fdopendir(fcntl(cdfd, F_DUPFD_CLOEXEC, 3));
    struct ctr **v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        if (!is_hex_id(de->d_name))
            continue;
        struct ctr *c = ctr_load_at(cdfd, de->d_name, status);
        if (c == NULL)
            continue;
        if (n == cap)
            v = xrealloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
        v[n++] = c;
    }
    *ret = v;
    *ret_n = n;
}

int ctr_list(struct ctr ***ret, size_t *ret_n)
{
    _cleanup_close_ int cdfd = open_containers_dir();
    load_all(cdfd, true, ret, ret_n);
    if (*ret_n > 1)
        qsort(*ret, *ret_n, sizeof(**ret), by_created);
    return 0;
}

/* Docker's order: a full id, then a name, then a unique id prefix. A
 * full id reads one dir; otherwise only the records are read, and the
 * status of the hit alone. */
int ctr_find(const char *ref, struct ctr **ret, struct berth_error **err)
{
    struct ctr **v;
    size_t n, hit = (size_t)-1, hits = 0;
    const char *name = ref[0] == '/' ? ref + 1 : ref;
    if (*ref == '\0')
        return berth_error_set(err, ENOENT, "No such container: %s", ref);
    _cleanup_close_ int cdfd = open_containers_dir();
    if (is_hex_id(ref) && (*ret = ctr_load_at(cdfd, ref, true)) != NULL)
        return 0;
    load_all(cdfd, false, &v, &n);
    for (size_t i = 0; i < n; i++) {
        if (streq(ctr_name(v[i]), name)) {
            hit = i;
            hits = 1;
            break;
        }
        if (strncmp(v[i]->id, ref, strlen(ref)) == 0) {
            hit = i;
            hits++;
        }
    }
    struct ctr *c = hits == 1 ? ctr_load_at(cdfd, v[hit]->id, true) : NULL;
    ctrs_free(v, n);
    if (hits > 1)
        return berth_error_set(err, EINVAL, "multiple IDs found with provided prefix: %s", ref);
    if (c == NULL)
        return berth_error_set(err, ENOENT, "No such container: %s", ref);
    *ret = c;
    return 0;
}

/* ---- talking to the shim ---- */

int ctr_shim_request(const char *id, const char *req, char *ret, size_t len, int *ret_fds,
                     size_t max_fds)
{
    _cleanup_free_ char *path = ctr_socket_path(id);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    for (size_t i = 0; i < max_fds; i++)
        ret_fds[i] = -1;
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -errno;
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
        return -errno;
    size_t got = 0;
    ssize_t n;
    for (;;) {
        union {
            struct cmsghdr h;
            char buf[CMSG_SPACE(4 * sizeof(int))];
        } cm;
        struct iovec iov = {.iov_base = ret + got, .iov_len = len - 1 - got};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (ret_fds) {
            mh.msg_control = cm.buf;
            mh.msg_controllen = sizeof(cm.buf);
        }
        if (got + 1 >= len || (n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) <= 0)
            break;
        struct cmsghdr *h = ret_fds ? CMSG_FIRSTHDR(&mh) : NULL;
        if (h && h->cmsg_type == SCM_RIGHTS) {
            size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            int *fds = (int *)CMSG_DATA(h);
            for (size_t i = 0; i < k; i++)
                if (i < max_fds)
                    ret_fds[i] = fds[i];
                else
                    close(fds[i]);
        }
        got += (size_t)n;
    }
    ret[got] = '\0';
    return got > 0 ? 0 : -EPIPE;
}

static int shim_request(const char *id, const char *req, char *ret, size_t len)
{
    return ctr_shim_request(id, req, ret, len, NULL, 0);
}

int ctr_kill(struct ctr *c, int sig, unsigned flags, struct berth_error **err)
{
    char req[64], rep[512];
    if (c->status != CTR_RUNNING)
        return berth_error_set(err, EBUSY, "Container %s is not running", c->id);
    if (c->paused && sig != SIGKILL)
        return berth_error_set(err, EBUSY,
                               "Container %s is paused. Unpause the container before stopping "
                               "or killing",
                               c->id);
    snprintf(req, sizeof(req), "kill %d%s%s%s\n", sig, flags & KILL_ALL ? " all" : "",
             flags & KILL_MANUAL ? " manual" : "", flags & KILL_NORESTART ? " norestart" : "");
    long long at = events_hold(c->id); /* a SIGKILL's die comes after its kill */
    if (shim_request(c->id, req, rep, sizeof(rep)) < 0 || strstr(rep, "\"Ok\"") == NULL) {
        events_release(c, NULL, NULL, 0);
        return berth_error_set(err, EBUSY, "Container %s is not running", c->id);
    }
    char num[16];
    snprintf(num, sizeof(num), "%d", sig);
    events_release(c, "kill", json_pack("{s:s}", "signal", num), at);
    return 0;
}

static bool has_exited(const char *id)
{
    _cleanup_free_ char *p = xasprintf("%s/containers/%s/exit.json", engine.data_root, id);
    _cleanup_free_ char *dir = xasprintf("%s/containers/%s", engine.data_root, id);
    return access(p, F_OK) == 0 || access(dir, F_OK) < 0;
}

/* Waits up to `ms` for the shim's exit record. */
static bool wait_exited(const char *id, long ms)
{
    for (long t = 0; t <= ms; t += 10) {
        if (has_exited(id))
            return true;
        usleep(10000);
    }
    return has_exited(id);
}

int ctr_stop_signal(const struct ctr *c)
{
    const char *ss =
        json_string_value(json_object_get(json_object_get(c->rec, "Config"), "StopSignal"));
    int sig = ss && *ss ? berth_signal_parse(ss) : SIGTERM;
    return sig > 0 ? sig : SIGTERM;
}

int ctr_stop(struct ctr *c, int timeout, unsigned why, bool *ret_modified, struct berth_error **err)
{
    *ret_modified = c->status == CTR_RUNNING;
    if (!*ret_modified)
        return 0;
    int sig = ctr_stop_signal(c);
    if (c->paused)
        return ctr_kill(c, sig, why, err);
    if (ctr_kill(c, sig, why, NULL) == 0 && wait_exited(c->id, timeout * 1000L)) {
        events_container(c, "stop", NULL);
        return 0;
    }
    ctr_kill(c, SIGKILL, KILL_ALL | why, NULL);
    if (!wait_exited(c->id, 10000))
        return berth_error_set(err, EIO, "cannot stop container %s: it did not exit", c->id);
    events_container(c, "stop", NULL);
    return 0;
}

/* ---- start ---- */

/* j's descriptors reach the shim under their own numbers (nsopts.c). */
static int spawn_shim(struct ctr *c, const char *netns, const struct ns_join *j,
                      struct berth_error **err)
{
    _cleanup_free_ char *sock = ctr_socket_path(c->id);
    char pidns[16], ipcns[16];
    snprintf(pidns, sizeof(pidns), "%d", j->pidns);
    snprintf(ipcns, sizeof(ipcns), "%d", j->ipcns);
    char *argv[20] = {(char *)engine.shim,       "--id",     c->id, "--dir", c->dir, "--state-root",
                      (char *)engine.state_root, "--socket", sock};
    size_t k = 9;
    const char *extra[][2] = {
        {"--netns", netns},
        {"--pidns", j->pid_host     ? "host"
                    : j->pidns >= 0 ? pidns
                                    : NULL},
        {"--ipcns", j->ipc_host     ? "host"
                    : j->ipcns >= 0 ? ipcns
                                    : NULL},
        {"--shm-from", j->shm},
    };
    for (size_t i = 0; i < ARRAY_SIZE(extra); i++) {
        if (extra[i][1] == NULL)
            continue;
        argv[k++] = (char *)extra[i][0];
        argv[k++] = (char *)extra[i][1];
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return berth_error_set(err, errno, "cannot start the shim");
    /* fork, then only async-signal-safe calls until the exec: berthd
     * has threads (lib's spawn.h shadows <spawn.h> here) */
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(devnull, 0);
        if (j->pidns >= 0)
            fcntl(j->pidns, F_SETFD, 0);
        if (j->ipcns >= 0)
            fcntl(j->ipcns, F_SETFD, 0);
        execve(engine.shim, argv, environ);
        _exit(127);
    }
    int r = pid < 0 ? errno : 0;
    if (devnull >= 0)
        close(devnull);
    close(p[1]);
    if (r != 0) {
        close(p[0]);
        return berth_error_set(err, r, "cannot start the shim '%s'", engine.shim);
    }
    char buf[4096];
    size_t got = 0;
    ssize_t n;
    while (got + 1 < sizeof(buf) && (n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(p[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    buf[strcspn(buf, "\n")] = '\0';
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && strncmp(buf, "ok ", 3) == 0)
        return 0;
    const char *msg = strncmp(buf, "error: ", 7) == 0 ? buf + 7 : buf;
    /* the payload's exec failing is the caller's mistake, as Docker's 400 */
    int e = strstr(msg, "executable file not found") || strstr(msg, "No such file") ||
                    strstr(msg, "exec")
                ? EINVAL
                : EIO;
    return berth_error_set(err, e, "failed to start container %s: %s", c->id,
                           *msg ? msg : "the shim failed");
}

static pthread_mutex_t busy_lk = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t busy_cv = PTHREAD_COND_INITIALIZER;
static json_t *busy; /* ids between ctr_busy_begin and _end */

void ctr_busy_begin(const char *id)
{
    pthread_mutex_lock(&busy_lk);
    while (busy && json_object_get(busy, id))
        pthread_cond_wait(&busy_cv, &busy_lk);
    if (busy == NULL)
        busy = json_object();
    json_object_set_new(busy, id, json_true());
    pthread_mutex_unlock(&busy_lk);
}

void ctr_busy_end(const char *id)
{
    pthread_mutex_lock(&busy_lk);
    json_object_del(busy, id);
    pthread_cond_broadcast(&busy_cv);
    pthread_mutex_unlock(&busy_lk);
}

static int start_busy(struct ctr *c, struct berth_error **err);

int ctr_start(struct ctr *c, bool *ret_modified, struct berth_error **err)
{
    *ret_modified = c->status != CTR_RUNNING;
    if (!*ret_modified)
        return 0;
    /* a copy into the stopped container (archive.c) has its root mounted */
    ctr_busy_begin(c->id);
    int r = start_busy(c, err);
    ctr_busy_end(c->id);
    bool autorm =
        json_is_true(json_object_get(json_object_get(c->rec, "HostConfig"), "AutoRemove"));
    /* as Docker: an auto-removed container that cannot start goes too
     * (a client waiting for its removal would wait for ever) */
    if (r < 0 && autorm)
        ctr_remove(c->id, true, NULL);
    else if (r == 0 && autorm)
        ctr_watch_autoremove(c->id);
    return r;
}

static int start_busy(struct ctr *c, struct berth_error **err)
{
    /* a restart: the old run's records go, the log and upper dir stay */
    _cleanup_free_ char *ex = xasprintf("%s/exit.json", c->dir);
    _cleanup_free_ char *st = xasprintf("%s/state.json", c->dir);
    _cleanup_free_ char *hs = xasprintf("%s/health.json", c->dir);
    unlink(ex);
    unlink(st);
    unlink(hs); /* the new run's health starts over (the shim writes it) */
    _cleanup_free_ char *shims = xasprintf("%s/shims", engine.exec_root);
    if (mkdir_p(shims, 0700, err) < 0)
        return -EIO;
    events_start_begin(c->id);
    _cleanup_free_ char *netns = NULL;
    int r = placement_place(c, json_object_get(c->rec, "HostConfig"), NULL, err);
    int gpus = r < 0 ? 0 : gpu_assign(c, json_object_get(c->rec, "HostConfig"), err);
    struct ns_join j = {.pidns = -1, .ipcns = -1};
    r = r < 0 ? r : gpus < 0 ? gpus : nsopts_open(c, &j, err);
    r = r < 0 ? r : netctr_setup(c, &netns, err);
    if (r == 0) {
        r = spawn_shim(c, netns, &j, err);
        netctr_started(c->id, r == 0);
    }
    nsopts_close(&j);
    if (gpus > 0)
        gpu_assign_done(c, r == 0);
    events_start_end(c, r == 0);
    return r;
}

/* The exit codes of the last removed containers, for waits on "removed"
 * that see the container gone before they saw its exit record. */
static struct {
    char id[65];
    int code;
} removed[64];
static unsigned removed_next;

static void remember_removed(const struct ctr *c)
{
    unsigned i = removed_next++ % ARRAY_SIZE(removed);
    snprintf(removed[i].id, sizeof(removed[i].id), "%s", c->id);
    removed[i].code = c->exit ? ctr_exit_code(c) : 0;
}

static bool removed_code(const char *id, int *code)
{
    for (size_t i = 0; i < ARRAY_SIZE(removed); i++)
        if (streq(removed[i].id, id))
            return *code = removed[i].code, true;
    return false;
}

/* ---- remove ---- */

/* Undoes what a dead shim may have left: the container, its mount. */
static void reap_leftovers(struct ctr *c)
{
    struct berth_error *e = NULL;
    netctr_teardown(c->id);
    if (berth_container_delete(engine.state_root, c->id, true, &e) < 0)
        berth_error_clear(&e);
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", c->dir);
    if (berth_overlay_umount(rootfs, &e) < 0)
        berth_error_clear(&e);
    _cleanup_free_ char *shm = xasprintf("%s/shm", c->dir); /* --ipc shareable's */
    while (umount2(shm, MNT_DETACH) == 0)
        ;
    _cleanup_free_ char *sock = ctr_socket_path(c->id);
    unlink(sock);
}

int ctr_remove(const char *id, bool force, struct berth_error **err)
{
    return ctr_remove_v(id, force, false, err);
}

int ctr_remove_v(const char *id, bool force, bool volumes, struct berth_error **err)
{
    struct ctr *c = NULL;
    int r = ctr_find(id, &c, err);
    if (r < 0)
        return r;
    if (c->status == CTR_RUNNING && !force) {
        r = berth_error_set(err, EBUSY,
                            "cannot remove container \"%s\": container is running: stop the "
                            "container before removing or force remove",
                            ctr_name(c));
        ctr_free(c);
        return r;
    }
    if (c->status == CTR_RUNNING) {
        ctr_kill(c, SIGKILL, KILL_ALL | KILL_MANUAL, NULL);
        if (c->paused) /* a frozen task dies once thawed */
            ctr_pause(c, false, NULL);
        wait_exited(c->id, 10000);
    }
    pthread_mutex_lock(&engine.lock);
    json_decref(c->exit);
    c->exit = json_read_file(c->dir, "exit.json", NULL);
    remember_removed(c);
    reap_leftovers(c);
    events_import(c->id); /* what its shim wrote last, before its destroy */
    _cleanup_free_ char *cdir = containers_dir();
    _cleanup_free_ char *gone = xasprintf("%s/.removing-%s", cdir, c->id);
    if (rename(c->dir, gone) < 0 && errno != ENOENT)
        r = berth_error_set(err, errno, "cannot remove container %s", c->id);
    else
        rm_rf_at(AT_FDCWD, gone, NULL);
    records_forget(c->id);
    if (r == 0)
        events_container(c, "destroy", NULL);
    /* rm -v, and --rm as docker: its anonymous volumes go with it */
    json_t *hc = json_object_get(c->rec, "HostConfig");
    if (r == 0 && (volumes || json_is_true(json_object_get(hc, "AutoRemove"))))
        volumes_release(json_object_get(c->rec, "Mounts"), false);
    pthread_mutex_unlock(&engine.lock);
    ctr_free(c);
    return r;
}

/* ---- wait ---- */

int ctr_wait_prepare(const char *ref, enum wait_cond cond, struct ctr_waiter *w,
                     struct berth_error **err)
{
    struct ctr *c = NULL;
    if (ctr_find(ref, &c, err) < 0)
        return -ENOENT;
    memset(w, 0, sizeof(*w));
    snprintf(w->id, sizeof(w->id), "%s", c->id);
    w->cond = cond;
    const char *fin = json_string_value(json_object_get(c->exit, "FinishedAt"));
    snprintf(w->before, sizeof(w->before), "%s", fin ? fin : "");
    w->code = ctr_exit_code(c);
    w->done = cond == WAIT_NOT_RUNNING && c->status != CTR_RUNNING;
    ctr_free(c);
    return 0;
}

int ctr_wait_block(struct ctr_waiter *w)
{
    while (!w->done) {
        struct ctr *now = NULL;
        if (ctr_find(w->id, &now, NULL) < 0) {
            pthread_mutex_lock(&engine.lock);
            removed_code(w->id, &w->code);
            pthread_mutex_unlock(&engine.lock);
            break;
        }
        const char *fin = json_string_value(json_object_get(now->exit, "FinishedAt"));
        bool exited = now->status == CTR_EXITED &&
                      (w->cond == WAIT_NOT_RUNNING || (fin && !streq(fin, w->before)));
        if (now->exit && (w->cond == WAIT_NOT_RUNNING || (fin && !streq(fin, w->before))))
            w->code = ctr_exit_code(now);
        ctr_free(now);
        if (exited && w->cond != WAIT_REMOVED)
            break;
        char rep[256];
        /* the shim answers "wait" at the container's next exit */
        if (exited || shim_request(w->id, "wait\n", rep, sizeof(rep)) < 0) {
            usleep(20000);
        } else if (w->cond != WAIT_REMOVED && strstr(rep, "\"Restarting\":true")) {
            /* an exit the restart policy follows with another run: Docker's
             * wait (and an attached run) ends with it */
            json_t *j = json_loads(rep, 0, NULL);
            w->code = (int)json_integer_value(json_object_get(j, "ExitCode"));
            json_decref(j);
            break;
        }
    }
    w->done = true;
    return w->code;
}

/* ---- adoption, auto-remove ---- */

static void *autoremove_main(void *arg)
{
    char *id = arg;
    struct ctr_waiter w;
    if (ctr_wait_prepare(id, WAIT_NOT_RUNNING, &w, NULL) == 0) {
        ctr_wait_block(&w);
        ctr_remove(id, true, NULL);
    }
    free(id);
    return NULL;
}

void ctr_watch_autoremove(const char *id)
{
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    char *arg = xstrdup(id);
    if (pthread_create(&t, &at, autoremove_main, arg) != 0)
        free(arg);
    pthread_attr_destroy(&at);
}

/* Docker's restore: "always" comes back whenever the engine starts,
 * "unless-stopped" unless a user stopped it (exit.json's ManualStop; a
 * dead shim's record has none: a reboot). */
static bool restart_at_boot(const struct ctr *c)
{
    json_t *pol = json_object_get(json_object_get(c->rec, "HostConfig"), "RestartPolicy");
    const char *name = json_string_value(json_object_get(pol, "Name"));
    json_t *ex = json_read_file(c->dir, "exit.json", NULL); /* perhaps written just now */
    bool manual = json_is_true(json_object_get(ex, "ManualStop"));
    json_decref(ex);
    return name && (streq(name, "always") || (streq(name, "unless-stopped") && !manual));
}

static void start_again(struct ctr *c)
{
    struct berth_error *e = NULL;
    bool modified;
    if (ctr_start(c, &modified, &e) < 0) {
        _cleanup_free_ char *msg = berth_error_format(e);
        fprintf(stderr, "berthd: cannot restart container %s: %s\n", c->id, msg);
        berth_error_clear(&e);
    }
}

void ctr_adopt_all(void)
{
    _cleanup_free_ char *cdir = containers_dir();
    _cleanup_closedir_ DIR *dir = opendir(cdir);
    struct dirent *de;
    while (dir && (de = readdir(dir))) /* removals a crash interrupted */
        if (strncmp(de->d_name, ".removing-", 10) == 0)
            rm_rf_at(dirfd(dir), de->d_name, NULL);
    struct ctr **v;
    size_t n;
    ctr_list(&v, &n);
    for (size_t i = 0; i < n; i++) {
        struct ctr *c = v[i];
        bool autorm =
            json_is_true(json_object_get(json_object_get(c->rec, "HostConfig"), "AutoRemove"));
        if (c->status == CTR_EXITED && c->exit == NULL) {
            /* the shim died without its record: say so, undo what it left */
            struct timespec ts;
            char now[40];
            clock_gettime(CLOCK_REALTIME, &ts);
            json_t *j =
                json_pack("{s:i,s:i,s:b,s:s,s:s}", "ExitCode", 255, "Signal", 0, "OOMKilled", 0,
                          "FinishedAt", fmt_time(&ts, now), "Error", "the container's shim died");
            reap_leftovers(c);
            events_shim_died(c, 255);
            durable_write_json(c->dir, "exit.json", j, NULL);
            json_decref(j);
        }
        if (autorm && c->status == CTR_RUNNING)
            ctr_watch_autoremove(c->id);
        else if (autorm && c->status == CTR_EXITED)
            ctr_remove(c->id, true, NULL);
        else if (c->status == CTR_EXITED && restart_at_boot(c))
            start_again(c);
        else if (c->status == CTR_EXITED)
            netctr_after_exit(c->id); /* it exited while berthd was down */
    }
    ctrs_free(v, n);
}
