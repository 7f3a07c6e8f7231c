/* berth run [--rm] [-d] [--name NAME] [-e K=V]... [--memory SIZE]
 *           [--network none|host] IMAGE [COMMAND [ARG...]]
 * In the foreground it streams the container's output and exits with its
 * status (125: berth failed before the container ran). */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "512m", "1g", "100000": bytes, as docker's --memory */
static int parse_size(const char *s, long long *ret)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    long long mul = 1;
    char u = (char)tolower((unsigned char)*end);
    if (u) {
        const char *units = "bkmgt";
        const char *p = strchr(units, u);
        if (p == NULL)
            return -1;
        for (long k = 0; k < p - units; k++)
            mul *= 1024;
        end++;
        if (*end == 'b' || *end == 'B')
            end++;
        if (*end)
            return -1;
    }
    *ret = (long long)(v * (double)mul);
    return 0;
}

json_t *cli_create_opts(int argc, char **argv, bool *detach, char **name)
{
    static const struct option opts[] = {{"rm", no_argument, NULL, 'r'},
                                         {"detach", no_argument, NULL, 'd'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"env", required_argument, NULL, 'e'},
                                         {"memory", required_argument, NULL, 'm'},
                                         {"network", required_argument, NULL, 'N'},
                                         {"label", required_argument, NULL, 'l'},
                                         {"log-opt", required_argument, NULL, 'L'},
                                         {NULL, 0, NULL, 0}};
    json_t *body = json_pack("{s:[],s:{s:s}}", "Env", "HostConfig", "NetworkMode", "none");
    json_t *hc = json_object_get(body, "HostConfig");
    long long mem;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+de:m:", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            json_object_set_new(hc, "AutoRemove", json_true());
            break;
        case 'd':
            *detach = true;
            break;
        case 'n':
            *name = optarg;
            break;
        case 'e':
            json_array_append_new(json_object_get(body, "Env"), json_string(optarg));
            break;
        case 'm':
            if (parse_size(optarg, &mem) < 0)
                return cli_error(125, "invalid value '%s' for --memory", optarg), json_decref(body),
                       NULL;
            json_object_set_new(hc, "Memory", json_integer(mem));
            break;
        case 'N':
            json_object_set_new(hc, "NetworkMode", json_string(optarg));
            break;
        case 'L': {
            json_t *lc = json_object_get(hc, "LogConfig");
            if (lc == NULL)
                json_object_set_new(hc, "LogConfig",
                                    lc = json_pack("{s:s,s:{}}", "Type", "json-file", "Config"));
            _cleanup_free_ char *k = xstrdup(optarg);
            char *eq = strchr(k, '=');
            if (eq == NULL) {
                json_decref(body);
                return cli_error(125, "invalid log-opt '%s': KEY=VALUE expected", optarg), NULL;
            }
            *eq++ = '\0';
            json_object_set_new(json_object_get(lc, "Config"), k, json_string(eq));
            break;
        }
        case 'l': {
            json_t *labels = json_object_get(body, "Labels");
            if (labels == NULL)
                json_object_set_new(body, "Labels", labels = json_object());
            _cleanup_free_ char *k = xstrdup(optarg);
            char *eq = strchr(k, '=');
            if (eq)
                *eq++ = '\0';
            json_object_set_new(labels, k, json_string(eq ? eq : ""));
            break;
        }
        default:
            cli_error(125,
                      "unknown or incomplete flag '%s' for %s; usage: berth %s [--rm] "
                      "[-d] [--name NAME] [-e K=V] [--label K=V] [--log-opt K=V] [--memory SIZE] "
                      "[--network none|host] IMAGE [COMMAND...]",
                      argv[optind - 1], argv[0], argv[0]);
            json_decref(body);
            return NULL;
        }
    }
    if (optind >= argc) {
        cli_error(125, "%s needs an image; usage: berth %s [OPTIONS] IMAGE [COMMAND...]", argv[0],
                  argv[0]);
        json_decref(body);
        return NULL;
    }
    json_object_set_new(body, "Image", json_string(argv[optind]));
    if (optind + 1 < argc) {
        json_t *cmd = json_array();
        for (int i = optind + 1; i < argc; i++)
            json_array_append_new(cmd, json_string(argv[i]));
        json_object_set_new(body, "Cmd", cmd);
    }
    return body;
}

int cli_create(json_t *body, const char *name, char id[65])
{
    struct reply r;
    _cleanup_free_ char *qn = name ? cli_escape(name) : NULL;
    _cleanup_free_ char *path =
        xasprintf("/containers/create%s%s", qn ? "?name=" : "", qn ? qn : "");
    if (cli_call("POST", path, body, &r) < 0)
        return -1;
    json_t *j = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
    const char *s = json_string_value(json_object_get(j, "Id"));
    int rc = 0;
    if (r.status != 201 || s == NULL)
        rc = cli_api_error(&r, -1);
    else
        snprintf(id, 65, "%s", s);
    json_decref(j);
    reply_free(&r);
    return rc;
}

int cli_start(const char *id)
{
    struct reply r;
    _cleanup_free_ char *path = xasprintf("/containers/%s/start", id);
    if (cli_call("POST", path, NULL, &r) < 0)
        return -1;
    int rc = r.status == 204 || r.status == 304 ? 0 : cli_api_error(&r, -1);
    reply_free(&r);
    return rc;
}

/* The wait reply's StatusCode (the request was sent before start). */
int cli_read_wait(int fd)
{
    char buf[4096];
    size_t n = 0;
    ssize_t k;
    while (n + 1 < sizeof(buf) && (k = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
        n += (size_t)k;
    buf[n] = '\0';
    char *brace = strchr(buf, '{');
    json_t *j = brace ? json_loads(brace, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
    json_t *code = json_object_get(j, "StatusCode");
    int rc = json_is_integer(code) ? (int)json_integer_value(code) : -1;
    json_decref(j);
    return rc;
}

/* A foreground run passes the signals a terminal sends on to the
 * container, as docker's --sig-proxy does. */
void cli_forward_signal(int sig, void *ud)
{
    struct reply r;
    _cleanup_free_ char *path = xasprintf("/containers/%s/kill?signal=%d", (char *)ud, sig);
    if (cli_call("POST", path, NULL, &r) == 0)
        reply_free(&r);
}

int cmd_run(int argc, char **argv)
{
    bool detach = false;
    char *name = NULL, id[65];
    json_t *body = cli_create_opts(argc, argv, &detach, &name);
    if (body == NULL)
        return 125;
    bool autorm = json_is_true(json_object_get(json_object_get(body, "HostConfig"), "AutoRemove"));
    int rc = cli_create(body, name, id);
    json_decref(body);
    if (rc < 0)
        return 125;
    if (detach) {
        if (cli_start(id) < 0)
            return 125;
        printf("%s\n", id);
        return 0;
    }
    return cli_foreground(id, autorm);
}

int cli_foreground(const char *id, bool autorm)
{
    _cleanup_free_ char *apath = xasprintf("/containers/%s/attach?stream=1&stdout=1&stderr=1", id);
    _cleanup_free_ char *wpath =
        xasprintf("/containers/%s/wait?condition=%s", id, autorm ? "removed" : "next-exit");
    int afd = cli_raw_request("POST", apath, true);
    if (afd < 0 || cli_raw_headers(afd) != 101)
        return cli_error(125, "cannot attach to container %.12s", id);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGQUIT);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    /* the wait is registered once its headers came: then start */
    int wfd = cli_raw_request("POST", wpath, false);
    if (wfd < 0 || cli_raw_headers(wfd) != 200 || cli_start(id) < 0)
        return 125;
    cli_demux_fd(afd, sfd, cli_forward_signal, (void *)id);
    if (sfd >= 0)
        close(sfd);
    close(afd);
    int code = cli_read_wait(wfd);
    close(wfd);
    return code < 0 ? cli_error(125, "cannot learn how container %.12s ended", id) : code;
}
