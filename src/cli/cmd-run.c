/* berth run [OPTIONS] IMAGE [COMMAND [ARG...]] (the flags: create-opts.c)
 * In the foreground it streams the container's output and exits with its
 * status (125: berth failed before the container ran). */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* One POST /containers/create; *ret_missing tells a 404 "No such image"
 * apart, printed like any other error unless `pull` (one follows). */
static int create_once(json_t *body, const char *name, bool pull, char id[65], bool *ret_missing)
{
    struct reply r;
    _cleanup_free_ char *qn = name ? cli_escape(name) : NULL;
    _cleanup_free_ char *path =
        xasprintf("/containers/create%s%s", qn ? "?name=" : "", qn ? qn : "");
    if (cli_call("POST", path, body, &r) < 0)
        return -1;
    json_t *j = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
    const char *s = json_string_value(json_object_get(j, "Id"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    int rc = 0;
    *ret_missing = r.status == 404 && msg && strncmp(msg, "No such image", 13) == 0;
    if (*ret_missing && pull)
        rc = -1;
    else if (r.status != 201 || s == NULL)
        rc = cli_api_error(&r, -1);
    else
        snprintf(id, 65, "%s", s);
    json_decref(j);
    reply_free(&r);
    return rc;
}

/* docker's reference.TagNameOnly: ":latest" added to a name without a
 * tag or digest */
static char *tagged(const char *image)
{
    const char *slash = strrchr(image, '/'), *colon = strrchr(image, ':');
    bool has = strchr(image, '@') || (colon && (!slash || colon > slash));
    return has ? xstrdup(image) : xasprintf("%s:latest", image);
}

/* As docker's CLI (cli/command/container/create.go): create, and for a
 * missing image pull it (the progress on stderr) and create again. */
int cli_create(json_t *body, const char *name, char id[65])
{
    _cleanup_free_ char *policy =
        xstrdup(json_string_value(json_object_get(body, CLI_PULL_KEY)) ?: "missing");
    json_object_del(body, CLI_PULL_KEY);
    const char *image = json_string_value(json_object_get(body, "Image"));
    bool missing = false;
    if (image && streq(policy, "always") && cli_pull(image, NULL, stderr) != 0)
        return -1;
    bool pull = image && streq(policy, "missing");
    int rc = create_once(body, name, pull, id, &missing);
    if (missing && pull) {
        _cleanup_free_ char *t = tagged(image);
        fprintf(stderr, "Unable to find image '%s' locally\n", t);
        if (cli_pull(image, NULL, stderr) != 0)
            return -1;
        rc = create_once(body, name, false, id, &missing);
    }
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
    if (detach) { /* as docker: nothing attached, so no StdinOnce either */
        json_object_set_new(body, "AttachStdin", json_false());
        json_object_set_new(body, "StdinOnce", json_false());
    }
    bool in = json_is_true(json_object_get(body, "AttachStdin"));
    bool tty = json_is_true(json_object_get(body, "Tty"));
    /* --detach-keys is the attach's, not the container's */
    const char *given = json_string_value(json_object_get(body, "DetachKeys"));
    if (given && !cli_detach_keys_ok(given))
        return cli_error(125, "invalid detach keys '%s': ctrl-<x>,<c>... expected", given),
               json_decref(body), 125;
    _cleanup_free_ char *keys = given ? cli_escape(given) : NULL;
    json_object_del(body, "DetachKeys");
    unsigned h, w;
    if (!detach && in && tty && !isatty(0))
        return json_decref(body), cli_error(1, "the input device is not a TTY");
    if (tty && cli_terminal_size(&h, &w)) /* the size from the start: no SIGWINCH race */
        json_object_set_new(json_object_get(body, "HostConfig"), "ConsoleSize",
                            json_pack("[i,i]", (int)h, (int)w));
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
    return cli_foreground(id, autorm, in, tty, keys);
}

int cli_foreground(const char *id, bool autorm, bool in, bool tty, const char *keys)
{
    _cleanup_free_ char *apath =
        xasprintf("/containers/%s/attach?stream=1&stdout=1&stderr=1%s%s%s", id,
                  in ? "&stdin=1" : "", keys ? "&detachKeys=" : "", keys ? keys : "");
    _cleanup_free_ char *wpath =
        xasprintf("/containers/%s/wait?condition=%s", id, autorm ? "removed" : "next-exit");
    _cleanup_free_ char *rpath = xasprintf("/containers/%s/resize", id);
    int afd = cli_raw_request("POST", apath, true);
    int status = afd < 0 ? -1 : cli_raw_headers(afd);
    if (status != 101) {
        if (afd >= 0)
            close(afd);
        return cli_error(125, "cannot attach to container %.12s%s", id,
                         status == 400 ? ": invalid detach keys" : "");
    }
    /* the wait is registered once its headers came: then start */
    int wfd = cli_raw_request("POST", wpath, false);
    if (wfd < 0 || cli_raw_headers(wfd) != 200 || cli_start(id) < 0)
        return 125;
    struct cli_session s = {.fd = afd,
                            .in = in,
                            .tty = tty,
                            .resize_path = rpath,
                            .on_signal = cli_forward_signal,
                            .ud = (void *)id};
    cli_session(&s);
    close(afd);
    if (cli_container_running(id, true)) { /* detached: it runs on */
        close(wfd);
        return 0;
    }
    int code = cli_read_wait(wfd);
    close(wfd);
    return code < 0 ? cli_error(125, "cannot learn how container %.12s ended", id) : code;
}
