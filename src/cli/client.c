#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <curl/curl.h>
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
    r->body = NULL;
    r->len = 0;
}

char *cli_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    char *r = xstrdup(e);
    curl_free(e);
    return r;
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

/* ---- libcurl ---- */

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    r->body = xrealloc(r->body, r->len + size * n + 1);
    memcpy(r->body + r->len, p, size * n);
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
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
    CURL *c;
    struct cli_demux dm;
};

/* Frames go out as they come; an error reply (JSON) is collected. */
static size_t stream_cb(char *p, size_t size, size_t n, void *ud)
{
    struct stream_ctx *s = ud;
    long code = 0;
    curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &code);
    char *type = NULL;
    if (code >= 300)
        return collect(p, size, n, s->r);
    curl_easy_getinfo(s->c, CURLINFO_CONTENT_TYPE, &type);
    if (type && strstr(type, "raw-stream")) { /* a container with a tty: no frames */
        fwrite(p, size, n, stdout);
        fflush(stdout);
        return size * n;
    }
    cli_demux_feed(&s->dm, p, size * n);
    return size * n;
}

static int perform(const char *method, const char *path, json_t *body, struct reply *ret,
                   curl_write_callback cb, void *ud, CURL **ret_handle)
{
    if (ensure_daemon() < 0)
        return -1;
    CURL *c = curl_easy_init();
    if (ret_handle)
        *ret_handle = c;
    _cleanup_free_ char *url = xasprintf("http://berth/v1.41%s", path);
    _cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    memset(ret, 0, sizeof(*ret));
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_path());
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (text)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    else if (streq(method, "POST"))
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, ud);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &ret->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return cli_error(-1, "cannot talk to the berth daemon at %s: %s", arg_host,
                         curl_easy_strerror(rc));
    return 0;
}

int cli_call(const char *method, const char *path, json_t *body, struct reply *ret)
{
    return perform(method, path, body, ret, collect, ret, NULL);
}

int cli_stream(const char *method, const char *path, struct reply *ret)
{
    struct stream_ctx s = {.r = ret};
    return perform(method, path, NULL, ret, stream_cb, &s, &s.c);
}

/* ---- raw HTTP ---- */

int cli_raw_request(const char *method, const char *path, bool upgrade)
{
    if (ensure_daemon() < 0)
        return -1;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (fd >= 0)
            close(fd);
        return cli_error(-1, "cannot connect to the berth daemon at %s: %m", arg_host);
    }
    dprintf(fd, "%s /v1.41%s HTTP/1.1\r\nHost: berth\r\nContent-Length: 0\r\n%s\r\n", method, path,
            upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "Connection: close\r\n");
    return fd;
}

int cli_raw_headers(int fd)
{
    char buf[4096];
    size_t n = 0;
    /* byte by byte: what follows the headers is the stream */
    while (n + 1 < sizeof(buf) && read(fd, buf + n, 1) == 1) {
        n++;
        if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    buf[n] = '\0';
    int status = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    return status;
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
