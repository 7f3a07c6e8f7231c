/* The shim's one wait point: epoll over the two log pipes (or the pty
 * master), the init's pidfd, a signalfd for SIGCHLD (it is a subreaper)
 * and the control socket with its few clients. */
#include "shim.h"
#include "cleanup.h"
#include "health.h"
#include "container.h"
#include "durable.h"
#include "error.h"
#include "logbuf.h"
#include "overlay.h"
#include "units.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 16
#define MAX_EXECS   32
/* after the init exits, how long its pipes may stay open (a process of a
 * container that shares the host's PID namespace may hold them) */
#define DRAIN_GRACE_MS 2000

enum {
    TAG_OUT,
    TAG_ERR,
    TAG_PIDFD,
    TAG_SIGNAL,
    TAG_LISTEN,
    TAG_CLIENT,
    TAG_EXEC,
    TAG_EXEC_TTY,
    TAG_MEM,
    TAG_HEALTH,
    TAG_BACKOFF
};

struct exec_proc {
    char eid[65];
    struct berth_container *h; /* NULL: a free slot */
    int master;                /* its pty master (resize), or -1 */
};

struct client {
    int fd;
    bool waiting;
};

struct shim {
    const struct shim_args *a;
    struct berth_container *c;
    struct shim_io *io;
    int ep;
    struct log_stream out, err;
    struct log_writer w;
    struct client clients[MAX_CLIENTS];
    struct exec_proc execs[MAX_EXECS];
    bool exited;     /* the current run's init is gone (ex says how) */
    bool restarting; /* between runs: c is NULL, the back-off timer runs */
    bool done;       /* the shim ends: exit.json is written */
    struct berth_exit ex;
    struct shim_last_exit last;
    struct shim_restart *r;  /* restart.c */
    struct shim_memwatch mw; /* memwatch.c */
    struct shim_health hc;   /* health.c */
    const char *rootfs;
};

static void watch(struct shim *s, int fd, uint32_t tag, uint32_t idx)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = ((uint64_t)tag << 32) | idx};
    epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void reply(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(int fd, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        send(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1, MSG_NOSIGNAL);
}

/* A waiter's answer at an exit; `again`: the policy runs it again. */
static void exit_reply(struct shim *s, int fd, bool again)
{
    reply(fd, "{\"Status\":\"exited\",\"ExitCode\":%d,\"OOMKilled\":%s%s}\n",
          berth_exit_status(&s->ex), s->ex.oom_killed ? "true" : "false",
          again ? ",\"Restarting\":true" : "");
}

static void status_reply(struct shim *s, int fd)
{
    if (s->restarting)
        reply(fd, "{\"Status\":\"restarting\",\"RestartCount\":%u}\n", s->r->count);
    else if (!s->exited)
        reply(fd, "{\"Status\":\"running\",\"Pid\":%d,\"LogDrops\":%llu}\n", (int)s->c->pid,
              s->w.drops);
    else
        exit_reply(s, fd, false);
}

static void drop_client(struct shim *s, struct client *cl)
{
    epoll_ctl(s->ep, EPOLL_CTL_DEL, cl->fd, NULL);
    close(cl->fd);
    cl->fd = -1;
    cl->waiting = false;
}

static void exec_request(struct shim *s, int fd, const char *eid, bool detach)
{
    struct berth_error *e = NULL;
    struct exec_proc *x = NULL;
    int fds[3];
    for (int i = 0; i < MAX_EXECS && x == NULL; i++)
        if (s->execs[i].h == NULL)
            x = &s->execs[i];
    if (s->exited || x == NULL || strlen(eid) != 64) {
        reply(fd, "{\"Error\":\"%s\"}\n",
              s->exited ? "the container is not running" : "too many execs at once");
        return;
    }
    if (shim_exec_start(s->a, eid, detach, &x->h, fds, &x->master, &e) < 0) {
        _cleanup_free_ char *msg = berth_error_format(e);
        berth_error_clear(&e);
        json_t *j = json_pack("{s:s}", "Error", msg);
        _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        reply(fd, "%s\n", text);
        x->h = NULL;
        return;
    }
    snprintf(x->eid, sizeof(x->eid), "%s", eid);
    watch(s, x->h->pidfd, TAG_EXEC, (uint32_t)(x - s->execs));
    if (detach && x->master >= 0) { /* exec -d -t: its output goes nowhere, as to /dev/null */
        fcntl(x->master, F_SETFL, O_NONBLOCK);
        watch(s, x->master, TAG_EXEC_TTY, (uint32_t)(x - s->execs));
    }
    char text[96];
    snprintf(text, sizeof(text), "{\"Pid\":%d,\"Stdin\":%s%s}\n", (int)x->h->pid,
             fds[0] >= 0 ? "true" : "false", x->master >= 0 ? ",\"Tty\":true" : "");
    shim_send_fds(fd, text, fds);
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

static void reap_pass(struct shim *s);

/* The healthcheck's verdict (health.h): OnFailure kill or restart. */
static void health_ready(struct shim *s, uint32_t i)
{
    enum shim_health_action act = shim_health_ready(s->a, &s->hc, i);
    reap_pass(s); /* what queued behind the check */
    if (act == SHIM_HEALTH_NONE || s->exited)
        return;
    s->r->health = act == SHIM_HEALTH_RESTART;
    shim_runtime_kill(s->a, SIGKILL, true, NULL);
}

static void exec_done(struct shim *s, struct exec_proc *x)
{
    epoll_ctl(s->ep, EPOLL_CTL_DEL, x->h->pidfd, NULL);
    shim_exec_finish(s->a, x->eid, x->h);
    x->h = NULL;
    if (x->master >= 0)
        epoll_ctl(s->ep, EPOLL_CTL_DEL, x->master, NULL), close(x->master);
    x->master = -1;
    reap_pass(s); /* what queued behind it */
}

static bool is_exec(struct shim *s, pid_t pid)
{
    for (int i = 0; i < MAX_EXECS; i++)
        if (s->execs[i].h && s->execs[i].h->pid == pid)
            return true;
    return false;
}

/* "[EID] H W": the container's master or exec EID's */
static void resize_request(struct shim *s, int fd, const char *args)
{
    char eid[80] = "";
    unsigned h = 0, w = 0;
    int master = -1;
    if (sscanf(args, "%u %u", &h, &w) == 2) {
        master = s->io->tty ? s->out.fd : -1;
    } else if (sscanf(args, "%79s %u %u", eid, &h, &w) == 3) {
        for (int i = 0; i < MAX_EXECS && master < 0; i++)
            if (s->execs[i].h && streq(s->execs[i].eid, eid))
                master = s->execs[i].master;
    }
    if (h > 65535 || w > 65535 || shim_resize(master, h, w) < 0)
        reply(fd, "{\"Error\":\"cannot resize: there is no such terminal\"}\n");
    else
        reply(fd, "{\"Ok\":true}\n");
}

/* "stdin", "stdin-close", "resize ..."; false: not one of them */
static bool stdio_request(struct shim *s, int fd, const char *req)
{
    if (streq(req, "stdin")) {
        int fds[3] = {s->exited ? -1 : s->io->in, -1, -1};
        if (fds[0] < 0)
            reply(fd, "{\"Error\":\"the container's stdin is not open\"}\n");
        else
            shim_send_fds(fd, s->io->tty ? "{\"Ok\":true,\"Tty\":true}\n" : "{\"Ok\":true}\n", fds);
    } else if (streq(req, "stdin-close")) {
        if (!s->io->tty && s->io->in >= 0)
            close(s->io->in), s->io->in = -1;
        reply(fd, "{\"Ok\":true}\n");
    } else if (strncmp(req, "resize ", 7) == 0) {
        resize_request(s, fd, req + 7);
    } else {
        return false;
    }
    return true;
}

static void finish(struct shim *s);
static void start_run(struct shim *s);

/* "SIG [all] [manual|norestart]" (shim.h) */
static void kill_request(struct shim *s, int fd, char *args)
{
    struct berth_error *e = NULL;
    char *save = NULL, *tok = strtok_r(args, " ", &save);
    long long sig = 0;
    bool all = false, manual = false, norestart = false;
    if (tok == NULL || parse_i64(tok, &sig) < 0 || sig <= 0 || sig >= 65) {
        reply(fd, "{\"Error\":\"bad signal\"}\n");
        return;
    }
    while ((tok = strtok_r(NULL, " ", &save))) {
        all |= streq(tok, "all");
        manual |= streq(tok, "manual");
        norestart |= streq(tok, "norestart");
    }
    if (s->restarting) {
        /* backing off: the kill ends it, as Docker's stop of a restarting container */
        s->r->manual = manual;
        s->r->norestart = !manual;
        reply(fd, "{\"Ok\":true}\n");
        finish(s);
        return;
    }
    if (s->exited && !s->done) { /* gone, not yet decided: the flags still count */
        s->r->manual |= manual;
        s->r->norestart |= norestart;
    }
    if (s->exited || shim_runtime_kill(s->a, (int)sig, all, &e) < 0) {
        berth_error_clear(&e);
        reply(fd, "{\"Error\":\"container %s is not running\"}\n", s->a->id);
        return;
    }
    s->r->manual |= manual;
    s->r->norestart |= norestart;
    reply(fd, "{\"Ok\":true}\n");
}

static void handle_request(struct shim *s, struct client *cl)
{
    char eid[80];
    char mode[16] = "";
    char buf[128];
    ssize_t n = recv(cl->fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0) {
        drop_client(s, cl);
        return;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (streq(buf, "status")) {
        status_reply(s, cl->fd);
    } else if (streq(buf, "wait")) {
        cl->waiting = true;
        return;
    } else if (stdio_request(s, cl->fd, buf)) {
    } else if (sscanf(buf, "exec %79s %15s", eid, mode) >= 1) {
        exec_request(s, cl->fd, eid, streq(mode, "detach"));
    } else if (streq(buf, "reload")) {
        if (!s->exited)
            shim_memwatch_reload(s->a, &s->mw);
        if (!s->exited && s->mw.fd[SHIM_MEM_SOFT] >= 0) /* a new fd; EEXIST if not */
            watch(s, s->mw.fd[SHIM_MEM_SOFT], TAG_MEM, SHIM_MEM_SOFT);
        reply(cl->fd, "{\"Ok\":true}\n");
    } else if (strncmp(buf, "kill ", 5) == 0) {
        kill_request(s, cl->fd, buf + 5);
    } else {
        reply(cl->fd, "{\"Error\":\"unknown request\"}\n");
    }
    drop_client(s, cl);
}

static void accept_client(struct shim *s, int lfd)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    for (uint32_t i = 0; i < MAX_CLIENTS; i++) {
        if (s->clients[i].fd < 0) {
            s->clients[i].fd = fd;
            watch(s, fd, TAG_CLIENT, i);
            return;
        }
    }
    close(fd); /* too many at once: the caller retries or reads the records */
}

/* Reaps what was reparented to us; the init itself through its pidfd. */
static void reap_others(struct shim *s, int sfd)
{
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof(si)) == sizeof(si))
        ;
    reap_pass(s);
}

/* Reaps zombies until the first one that is the init or an exec (those
 * go through their pidfds, which then reap the rest). */
static void reap_pass(struct shim *s)
{
    for (;;) {
        siginfo_t info = {0};
        if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 || info.si_pid == 0)
            return;
        if ((s->c && info.si_pid == s->c->pid) || is_exec(s, info.si_pid) ||
            shim_health_owns(&s->hc, info.si_pid))
            return;
        waitpid(info.si_pid, NULL, WNOHANG);
    }
}

static void pump(struct shim *s, struct log_stream *ls)
{
    long n = log_stream_pump(ls, &s->w);
    if (n == 0 || (n < 0 && n != -EAGAIN)) {
        epoll_ctl(s->ep, EPOLL_CTL_DEL, ls->fd, NULL);
        close(ls->fd);
        ls->fd = -1;
    }
    log_writer_flush(&s->w, false);
}

static void write_exit(struct shim *s)
{
    struct timespec ts;
    char now[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    json_t *j =
        json_pack("{s:i,s:i,s:b,s:s}", "ExitCode", berth_exit_status(&s->ex), "Signal",
                  s->ex.signaled ? s->ex.signal : 0, "OOMKilled", s->ex.oom_killed, "FinishedAt",
                  s->last.finished_at[0] ? s->last.finished_at : fmt_time(&ts, now));
    json_object_set_new(j, "LogDrops", json_integer((json_int_t)s->w.drops));
    json_object_set_new(j, "RestartCount", json_integer(s->r->count));
    json_object_set_new(j, "ManualStop", json_boolean(s->r->manual));
    durable_write_json(s->a->dir, "exit.json", j, NULL);
    json_decref(j);
}

static void discard(struct shim *s, int fd)
{
    static char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        epoll_ctl(s->ep, EPOLL_CTL_DEL, fd, NULL); /* EIO: its slave is gone */
}

static void rerun(struct shim *s);

static void dispatch(struct shim *s, uint64_t data, int sfd, int lfd)
{
    uint32_t tag = (uint32_t)(data >> 32), idx = (uint32_t)data;
    struct berth_error *e = NULL;
    switch (tag) {
    case TAG_OUT:
        pump(s, &s->out);
        break;
    case TAG_ERR:
        pump(s, &s->err);
        break;
    case TAG_PIDFD:
        epoll_ctl(s->ep, EPOLL_CTL_DEL, s->c->pidfd, NULL);
        if (berth_container_wait(s->c, &s->ex, &e) < 0) {
            berth_error_clear(&e);
            s->ex = (struct berth_exit){.code = 255};
        }
        s->exited = true;
        break;
    case TAG_SIGNAL:
        reap_others(s, sfd);
        break;
    case TAG_LISTEN:
        accept_client(s, lfd);
        break;
    case TAG_CLIENT:
        handle_request(s, &s->clients[idx]);
        break;
    case TAG_EXEC:
        exec_done(s, &s->execs[idx]);
        break;
    case TAG_EXEC_TTY:
        discard(s, s->execs[idx].master);
        break;
    case TAG_MEM:
        shim_memwatch_ready(s->a, &s->mw, idx);
        break;
    case TAG_HEALTH:
        health_ready(s, idx);
        break;
    case TAG_BACKOFF: {
        uint64_t ticks;
        if (read(s->r->timerfd, &ticks, sizeof(ticks)) == sizeof(ticks) && s->restarting)
            rerun(s);
        break;
    }
    default:
        break;
    }
}

/* After a run's init and its output are gone: its execs, its kernel state
 * (cgroup, runtime state), then the die event: docker's, with the exit
 * code as a string attribute. The mount stays for the next run. */
static void end_run(struct shim *s)
{
    struct berth_error *e = NULL;
    while (s->out.fd >= 0 && log_stream_pump(&s->out, &s->w) > 0)
        ;
    while (s->err.fd >= 0 && log_stream_pump(&s->err, &s->w) > 0)
        ;
    for (int i = 0; i < MAX_EXECS; i++) { /* they went with the init's PID namespace */
        if (s->execs[i].h) {
            kill(s->execs[i].h->pid, SIGKILL);
            exec_done(s, &s->execs[i]);
        }
    }
    shim_health_stop(s->a, &s->hc);
    log_writer_flush(&s->w, true);
    for (struct log_stream *ls = &s->out; ls; ls = ls == &s->out ? &s->err : NULL)
        if (ls->fd >= 0)
            epoll_ctl(s->ep, EPOLL_CTL_DEL, ls->fd, NULL), close(ls->fd), ls->fd = -1;
    s->io->out = s->io->err = -1; /* closed above */
    shim_io_close(s->io);
    shim_memwatch_stop(s->a, &s->mw); /* an oom comes before the die */
    berth_container_free(s->c);
    s->c = NULL;
    if (shim_runtime_delete(s->a, &e) < 0)
        berth_error_clear(&e);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s->last =
        (struct shim_last_exit){.code = berth_exit_status(&s->ex), .oom_killed = s->ex.oom_killed};
    fmt_time(&ts, s->last.finished_at);
    char code[16];
    snprintf(code, sizeof(code), "%d", s->last.code);
    shim_event(s->a, "die", json_pack("{s:s}", "exitCode", code));
}

/* The waiters of this exit get their answer. */
static void answer_waiters(struct shim *s, bool again)
{
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (s->clients[i].fd >= 0 && s->clients[i].waiting) {
            exit_reply(s, s->clients[i].fd, again);
            drop_client(s, &s->clients[i]);
        }
    }
}

/* After end_run: the policy's back-off, or the end. */
static void after_exit(struct shim *s)
{
    if (!shim_restart_due(s->a, s->r, s->last.code)) {
        finish(s);
        return;
    }
    int tfd = shim_restart_arm(s->r);
    if (tfd < 0) {
        finish(s);
        return;
    }
    watch(s, tfd, TAG_BACKOFF, 0); /* EEXIST after the first: harmless */
    s->restarting = true;
    shim_write_state(s->a, 0, s->r, &s->last, NULL);
    answer_waiters(s, true);
}

/* The back-off is over: the next run, with the record's config as it is
 * now (docker update's resources), in the mount that stayed. */
static void rerun(struct shim *s)
{
    struct berth_error *e = NULL;
    _cleanup_strv_ char **layers = NULL;
    char n[16];
    s->restarting = false;
    snprintf(n, sizeof(n), "%u", s->r->count);
    shim_event(s->a, "restart", json_pack("{s:s}", "restartCount", n));
    if (shim_write_config(s->a, &layers, &e) < 0 || shim_create(s->a, s->io, &s->c, &e) < 0) {
        /* as an exit that failed to start: the policy decides again */
        _cleanup_free_ char *msg = berth_error_format(e);
        berth_error_clear(&e);
        shim_event(s->a, "die", json_pack("{s:s,s:s}", "exitCode", "127", "error", msg));
        s->ex = (struct berth_exit){.code = 127};
        s->last.code = 127;
        shim_restart_began(s->r);
        after_exit(s);
        return;
    }
    start_run(s);
    shim_event(s->a, "start", NULL);
}

/* The end: the mount, the log's last record, exit.json, the waiters. */
static void finish(struct shim *s)
{
    struct berth_error *e = NULL;
    s->restarting = false;
    s->done = true;
    log_writer_finish(&s->w);
    if (berth_overlay_umount(s->rootfs, &e) < 0)
        berth_error_clear(&e);
    shim_shm_umount(s->a);
    write_exit(s);
    answer_waiters(s, false);
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0)
            drop_client(s, &s->clients[i]);
}

/* max-size and max-file from the record (berthd checked them) */
static void log_options(const struct shim_args *a, struct log_writer *w)
{
    json_t *rec = json_read_file(a->dir, "container.json", NULL);
    json_t *cfg =
        json_object_get(json_object_get(json_object_get(rec, "HostConfig"), "LogConfig"), "Config");
    int64_t size = 0;
    long long files = 1;
    const char *s = json_string_value(json_object_get(cfg, "max-size"));
    if (s && berth_parse_size(s, &size) == 0 && size > 0)
        w->max_size = (unsigned long long)size;
    s = json_string_value(json_object_get(cfg, "max-file"));
    if (s && parse_i64(s, &files) == 0 && files >= 1 && files < 1000)
        w->max_file = (unsigned)files;
    else
        w->max_file = 1;
    log_writer_set_mode(w, json_string_value(json_object_get(cfg, "mode")),
                        json_string_value(json_object_get(cfg, "max-buffer-size")));
    json_decref(rec);
}

/* A run begins: its fds into the loop, the watchers, state.json. */
static void start_run(struct shim *s)
{
    s->exited = false;
    s->out = (struct log_stream){.fd = s->io->out,
                                 .name = "stdout",
                                 .raw = s->io->tty,
                                 .ring = s->out.ring,
                                 .cap = s->out.cap};
    s->err = (struct log_stream){
        .fd = s->io->err, .name = "stderr", .ring = s->err.ring, .cap = s->err.cap};
    watch(s, s->io->out, TAG_OUT, 0);
    if (s->io->err >= 0)
        watch(s, s->io->err, TAG_ERR, 0);
    watch(s, s->c->pidfd, TAG_PIDFD, 0);
    shim_memwatch_start(s->a, s->c, &s->mw);
    for (uint32_t i = 0; i < SHIM_MEM_FDS; i++)
        if (s->mw.fd[i] >= 0)
            watch(s, s->mw.fd[i], TAG_MEM, i);
    shim_health_start(s->a, s->c, s->ep, TAG_HEALTH, &s->hc);
    if (s->r->count > 0) { /* the first run's state.json came before "ok" */
        shim_restart_began(s->r);
        shim_write_state(s->a, s->c->pid, s->r, &s->last, NULL);
    }
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

int shim_loop(const struct shim_args *a, struct berth_container *c, struct shim_io *io,
              struct shim_restart *r, int listen_fd, const char *rootfs)
{
    static struct shim s; /* the rings: static, not on the stack */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    _cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    s.a = a;
    s.c = c;
    s.io = io;
    s.r = r;
    s.rootfs = rootfs;
    s.ep = epoll_create1(EPOLL_CLOEXEC);
    _cleanup_free_ char *log = xasprintf("%s/%s-json.log", a->dir, a->id);
    s.w.path = log;
    log_options(a, &s.w);
    log_writer_open(&s.w);
    for (int i = 0; i < MAX_CLIENTS; i++)
        s.clients[i].fd = -1;
    for (int i = 0; i < MAX_EXECS; i++)
        s.execs[i].master = -1;
    watch(&s, sfd, TAG_SIGNAL, 0);
    watch(&s, listen_fd, TAG_LISTEN, 0);
    start_run(&s);
    struct timespec exited_at = {0}, now;
    while (!s.done) {
        struct epoll_event evs[16];
        int n = epoll_wait(s.ep, evs, 16, s.exited && !s.restarting ? 100 : -1);
        for (int i = 0; i < n && !s.done; i++)
            dispatch(&s, evs[i].data.u64, sfd, listen_fd);
        if (!s.exited || s.restarting || s.done) {
            exited_at.tv_sec = 0;
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (exited_at.tv_sec == 0)
            exited_at = now;
        /* its output drained, or the grace for what holds the pipes is over */
        if ((s.out.fd < 0 && s.err.fd < 0) || ms_between(&exited_at, &now) > DRAIN_GRACE_MS) {
            end_run(&s);
            after_exit(&s);
        }
    }
    close(listen_fd);
    unlink(a->socket);
    return 0;
}
