/* The local side of an attached session (run -i/-t, start -a -i, attach,
 * exec -i/-t): the terminal in raw mode while a tty is attached (restored
 * on every way out of cli_session), its size sent at the start and on
 * each SIGWINCH, stdin copied to the hijacked connection (half-closed at
 * its end), the output as it comes (a tty) or demultiplexed. */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

bool cli_terminal_size(unsigned *ret_h, unsigned *ret_w)
{
    struct winsize ws;
    if ((ioctl(1, TIOCGWINSZ, &ws) < 0 && ioctl(0, TIOCGWINSZ, &ws) < 0) || ws.ws_row == 0 ||
        ws.ws_col == 0)
        return false;
    *ret_h = ws.ws_row;
    *ret_w = ws.ws_col;
    return true;
}

static void send_size(const struct cli_session *s)
{
    unsigned h, w;
    struct reply r;
    if (!s->tty || s->resize_path == NULL || !cli_terminal_size(&h, &w))
        return;
    _cleanup_free_ char *path = xasprintf("%s?h=%u&w=%u", s->resize_path, h, w);
    if (cli_call("POST", path, NULL, &r) == 0)
        reply_free(&r);
}

static void output(const struct cli_session *s, struct cli_demux *f, const char *buf, size_t n)
{
    if (!s->tty) {
        cli_demux_feed(f, buf, n);
        return;
    }
    for (size_t off = 0; off < n;) {
        ssize_t w = write(1, buf + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

/* stdin to the connection; false at its end (the connection half-closed) */
static bool input(const struct cli_session *s)
{
    char buf[16384];
    ssize_t n = read(0, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0 || send(s->fd, buf, (size_t)n, MSG_NOSIGNAL) != n) {
        shutdown(s->fd, SHUT_WR);
        return false;
    }
    return true;
}

/* A signal: passed on (no tty), or the session's end (its number). */
static int signal_in(const struct cli_session *s, int sfd)
{
    struct signalfd_siginfo si;
    if (read(sfd, &si, sizeof(si)) != sizeof(si))
        return 0;
    if (si.ssi_signo == SIGWINCH)
        send_size(s);
    else if (s->on_signal && !s->tty)
        s->on_signal((int)si.ssi_signo, s->ud);
    else if (si.ssi_signo != SIGUSR1 && si.ssi_signo != SIGUSR2)
        return (int)si.ssi_signo;
    return 0;
}

/* Until the connection ends (0) or a signal ends the session (its number). */
static int loop(const struct cli_session *s, int sfd)
{
    struct cli_demux f = {0};
    char buf[65536];
    bool in = s->in;
    for (;;) {
        struct pollfd p[3] = {{.fd = s->fd, .events = POLLIN},
                              {.fd = in ? 0 : -1, .events = POLLIN},
                              {.fd = sfd, .events = POLLIN}};
        int sig = 0;
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 0;
        }
        if ((p[2].revents & POLLIN) && (sig = signal_in(s, sfd)) > 0)
            return sig;
        if (p[1].revents)
            in = input(s);
        if (p[0].revents) {
            ssize_t n = read(s->fd, buf, sizeof(buf));
            if (n <= 0)
                return 0;
            output(s, &f, buf, (size_t)n);
        }
    }
}

void cli_session(const struct cli_session *s)
{
    struct termios saved, raw;
    bool restore = false;
    sigset_t mask, old;
    sigemptyset(&mask);
    sigaddset(&mask, SIGWINCH);
    if (s->on_signal || s->tty) { /* a tty: they end the session, the terminal restored */
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
        for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
            sigaddset(&mask, sigs[i]);
    }
    sigprocmask(SIG_BLOCK, &mask, &old);
    _cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (s->tty && s->in && isatty(0) && tcgetattr(0, &saved) == 0) {
        raw = saved;
        cfmakeraw(&raw); /* as docker's: the container's pty does the output's \r\n */
        restore = tcsetattr(0, TCSANOW, &raw) == 0;
    }
    send_size(s);
    int sig = loop(s, sfd);
    if (restore)
        tcsetattr(0, TCSANOW, &saved);
    if (sig > 0) { /* dies of it as it would have */
        signal(sig, SIG_DFL);
        sigdelset(&old, sig);
        raise(sig);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

int cli_inspect(const char *ref, json_t **ret)
{
    struct reply r;
    _cleanup_free_ char *q = cli_escape(ref);
    _cleanup_free_ char *path = xasprintf("/containers/%s/json", q);
    if (cli_call("GET", path, NULL, &r) < 0)
        return -1;
    if (r.status != 200) {
        cli_api_error(&r, 1);
        reply_free(&r);
        return -1;
    }
    *ret = json_loadb(r.body, r.len, 0, NULL);
    reply_free(&r);
    return *ret ? 0 : cli_error(-1, "cannot read the daemon's answer");
}

bool cli_container_running(const char *id, bool first_run)
{
    struct reply r;
    _cleanup_free_ char *path = xasprintf("/containers/%s/json", id);
    if (cli_call("GET", path, NULL, &r) < 0)
        return false;
    json_t *j = r.status == 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
    json_t *st = json_object_get(j, "State");
    /* a run the restart policy ended is not running, even if the next is */
    bool running = json_is_true(json_object_get(st, "Running")) &&
                   !json_is_true(json_object_get(st, "Restarting")) &&
                   (!first_run || json_integer_value(json_object_get(j, "RestartCount")) == 0);
    json_decref(j);
    reply_free(&r);
    return running;
}

bool cli_detach_keys_ok(const char *keys)
{
    const char *p = keys;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (!(n == 1 || (n == 6 && strncasecmp(p, "ctrl-", 5) == 0 &&
                         (isalpha((unsigned char)p[5]) || strchr("@[\\]^_", p[5])))))
            return false;
        p += n;
        if (*p == ',' && *++p == '\0')
            return false;
    }
    return *keys != '\0';
}
