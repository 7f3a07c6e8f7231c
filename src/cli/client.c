#include "cli.h"
#include "cleanup.h"
#include "error.h"
#include "http.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_HOST "unix:///run/berth/berth.sock"

const char *arg_host = NULL;

int cli_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("berth: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int cli_api_error(const struct reply *r, int code)
{
    json_t *j = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
    const char *m = json_string_value(json_object_get(j, "message"));
    cli_error(code, "%s", m ? m : "the daemon answered without a message");
    json_decref(j);
    return code;
}

void reply_free(struct reply *r)
{
    free(r->body);
    free(r->path_stat);
    r->body = NULL;
    r->path_stat = NULL;
    r->len = 0;
}

char *cli_escape(const char *s)
{
    return http_escape(s);
}

static const char *socket_path(void)
{
    return arg_host + strlen("unix://");
}

/* ---- the daemon, started when none answers on the default socket ---- */

static bool ping(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static char *berthd_path(void)
{
    const char *e = getenv("BERTHD");
    if (e && *e)
        return xstrdup(e);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[n < 0 ? 0 : n] = '\0';
    char *dir = dirname(self);
    char *p = xasprintf("%s/berthd", dir);
    if (access(p, X_OK) == 0)
        return p;
    free(p);
    return xasprintf("%s/../daemon/berthd", dir);
}

static int start_daemon(void)
{
    _cleanup_free_ char *bin = berthd_path();
    fprintf(stderr, "berth: no daemon answered on %s, starting %s\n", arg_host, bin);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setsid();
        if (fork() != 0)
            _exit(0);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execl(bin, "berthd", "-H", arg_host, (char *)NULL);
        _exit(127);
    }
    waitpid(pid, NULL, 0);
    for (int i = 0; i < 100; i++) {
        if (ping())
            return 0;
        usleep(50000);
    }
    return cli_error(-1, "berthd did not start on %s", arg_host);
}

static bool default_host(void)
{
    return arg_host == NULL || streq(arg_host, DEFAULT_HOST);
}

static int ensure_daemon(void)
{
    static bool checked;
    bool dflt = default_host();
    if (arg_host == NULL)
        arg_host = DEFAULT_HOST;
    if (strncmp(arg_host, "unix://", 7) != 0)
        return cli_error(-1, "-H '%s' is not supported: only unix://PATH", arg_host);
    if (checked || ping())
        return checked = true, 0;
    checked = true;
    if (!dflt)
        return cli_error(-1, "cannot connect to the berth daemon at %s: %s", arg_host,
                         strerror(errno));
    return start_daemon();
}

/* ---- HTTP (http.c) ---- */

int cli_collect(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    struct reply *r = ud;
    (void)p;
    r->body = xrealloc(r->body, r->len + n + 1);
    memcpy(r->body + r->len, d, n);
    r->len += n;
    r->body[r->len] = '\0';
    return 0;
}

void cli_demux_feed(struct cli_demux *dm, const char *p, size_t n)
{
    while (n > 0) {
        if (dm->left == 0) {
            size_t k = 8 - dm->hdr_len < n ? 8 - dm->hdr_len : n;
            memcpy(dm->hdr + dm->hdr_len, p, k);
            dm->hdr_len += k;
            p += k;
            n -= k;
            if (dm->hdr_len == 8) {
                dm->stream = dm->hdr[0];
                dm->left = ((size_t)dm->hdr[4] << 24) | ((size_t)dm->hdr[5] << 16) |
                           ((size_t)dm->hdr[6] << 8) | dm->hdr[7];
                dm->hdr_len = 0;
            }
            continue;
        }
        size_t k = dm->left < n ? dm->left : n;
        FILE *out = dm->stream == 2 ? stderr : stdout;
        fwrite(p, 1, k, out);
        fflush(out);
        dm->left -= k;
        p += k;
        n -= k;
    }
}

struct stream_ctx {
    struct reply *r;
    struct cli_demux dm;
};

/* Frames go out as they come; an error reply (JSON) is collected. */
static int stream_cb(const struct http_parser *p, const char *d, size_t n, void *ud)
{
    struct stream_ctx *s = ud;
    if (p->status >= 300)
        return cli_collect(p, d, n, s->r);
    if (p->content_type && strstr(p->content_type, "raw-stream")) { /* a tty: no frames */
        fwrite(d, 1, n, stdout);
        fflush(stdout);
        return 0;
    }
    cli_demux_feed(&s->dm, d, n);
    return 0;
}

int cli_http(struct http_request *req, const char *path, struct reply *ret)
{
    if (ensure_daemon() < 0)
        return -1;
    _cleanup_free_ char *target = xasprintf("/v1.41%s", path);
    struct http_parser p;
    struct berth_error *err = NULL;
    req->socket_path = socket_path();
    req->target = target;
    int r = http_request(req, &p, &err);
    ret->status = p.status;
    ret->path_stat = p.path_stat;
    p.path_stat = NULL;
    http_parser_free(&p);
    if (r < 0) {
        cli_error(-1, "cannot talk to the berth daemon at %s: %s", arg_host, err->msg);
        berth_error_clear(&err);
        return -1;
    }
    return 0;
}

static int perform(const char *method, const char *path, json_t *body, struct reply *ret,
                   http_body_fn cb, void *ud)
{
    _cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct http_request req = {.method = method,
                               .content_type = "application/json",
                               .body = text,
                               .body_len = text ? strlen(text) : 0,
                               .on_body = cb,
                               .ud = ud};
    memset(ret, 0, sizeof(*ret));
    return cli_http(&req, path, ret);
}

int cli_call(const char *method, const char *path, json_t *body, struct reply *ret)
{
    return perform(method, path, body, ret, cli_collect, ret);
}

int cli_stream(const char *method, const char *path, struct reply *ret)
{
    struct stream_ctx s = {.r = ret};
    return perform(method, path, NULL, ret, stream_cb, &s);
}

/* ---- raw HTTP ---- */

int cli_raw_request(const char *method, const char *path, bool upgrade)
{
    if (ensure_daemon() < 0)
        return -1;
    struct berth_error *err = NULL;
    int fd = http_connect(socket_path(), &err);
    berth_error_clear(&err);
    if (fd < 0)
        return cli_error(-1, "cannot connect to the berth daemon at %s: %s", arg_host,
                         strerror(-fd));
    dprintf(fd, "%s /v1.41%s HTTP/1.1\r\nHost: berth\r\nContent-Length: 0\r\n%s\r\n", method, path,
            upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "Connection: close\r\n");
    return fd;
}

int cli_raw_headers(int fd)
{
    struct http_parser p;
    int status = http_read_headers(fd, &p, NULL);
    http_parser_free(&p);
    return status < 0 ? -1 : status;
}

void cli_demux_fd(int fd, int sfd, void (*on_signal)(int sig, void *ud), void *ud)
{
    struct cli_demux dm = {0};
    char buf[65536];
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    for (;;) {
        if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (sfd >= 0 && (p[1].revents & POLLIN)) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == sizeof(si) && on_signal)
                on_signal((int)si.ssi_signo, ud);
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0)
                return;
            cli_demux_feed(&dm, buf, (size_t)n);
        }
    }
}

int cli_list(const char *path, int (*print)(json_t *, const char *, bool, bool), const char *format,
             bool quiet, bool notrunc)
{
    struct reply r;
    if (cli_call("GET", path, NULL, &r) < 0)
        return 1;
    if (r.status != 200)
        return cli_api_error(&r, 1), reply_free(&r), 1;
    json_t *list = cli_arena_load(r.body, r.len);
    int rc = print(list, format, quiet, notrunc);
    cli_arena_free(list);
    reply_free(&r);
    return rc;
}
