/* berth exec [-i] [-t] [-d] [-e K=V]... [-w DIR] [-u UID[:GID]] CONTAINER COMMAND [ARG...]
 * Exits with the command's status; 126 when it could not be started, 127
 * when it was not found (docker's codes). With -t the command gets a tty
 * of the local terminal's size (raw while attached, resized with it). */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXEC_USAGE                                                                                 \
    "usage: berth exec [-i] [-t] [-d] [-e K=V] [-w DIR] [-u UID[:GID]] CONTAINER COMMAND "         \
    "[ARG...]"

static json_t *parse(int argc, char **argv, bool *detach, bool *in, bool *tty)
{
    static const struct option opts[] = {{"interactive", no_argument, NULL, 'i'},
                                         {"detach", no_argument, NULL, 'd'},
                                         {"env", required_argument, NULL, 'e'},
                                         {"workdir", required_argument, NULL, 'w'},
                                         {"user", required_argument, NULL, 'u'},
                                         {"tty", no_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    json_t *body = json_pack("{s:[]}", "Env");
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+ide:w:u:t", opts, NULL)) != -1) {
        if (c == 'i')
            *in = true;
        else if (c == 'd')
            *detach = true;
        else if (c == 'e')
            json_array_append_new(json_object_get(body, "Env"), json_string(optarg));
        else if (c == 'w')
            json_object_set_new(body, "WorkingDir", json_string(optarg));
        else if (c == 'u')
            json_object_set_new(body, "User", json_string(optarg));
        else if (c == 't')
            *tty = true;
        else
            return json_decref(body),
                   cli_error(1, "unknown flag '%s' for exec; " EXEC_USAGE, argv[optind - 1]), NULL;
    }
    if (optind + 2 > argc)
        return json_decref(body), cli_error(1, "exec needs a container and a command; " EXEC_USAGE),
               NULL;
    json_t *cmd = json_array();
    for (int i = optind + 1; i < argc; i++)
        json_array_append_new(cmd, json_string(argv[i]));
    json_object_set_new(body, "Cmd", cmd);
    json_object_set_new(body, "AttachStdin", json_boolean(*in && !*detach));
    json_object_set_new(body, "AttachStdout", json_boolean(!*detach));
    json_object_set_new(body, "AttachStderr", json_boolean(!*detach));
    json_object_set_new(body, "Tty", json_boolean(*tty));
    unsigned h, w;
    if (*tty && cli_terminal_size(&h, &w))
        json_object_set_new(body, "ConsoleSize", json_pack("[i,i]", (int)h, (int)w));
    return body;
}

static int exit_code(const char *eid)
{
    struct reply r;
    _cleanup_free_ char *path = xasprintf("/exec/%s/json", eid);
    if (cli_call("GET", path, NULL, &r) < 0)
        return 125;
    json_t *j = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
    json_t *code = json_object_get(j, "ExitCode");
    int rc = json_is_integer(code) ? (int)json_integer_value(code) : 125;
    if (json_is_true(json_object_get(j, "Running")))
        rc = 0; /* detached (the detach keys): it runs on */
    json_decref(j);
    reply_free(&r);
    return rc;
}

int cmd_exec(int argc, char **argv)
{
    bool detach = false, in = false, tty = false;
    json_t *body = parse(argc, argv, &detach, &in, &tty);
    if (body == NULL)
        return 1;
    if (in && tty && !detach && !isatty(0))
        return json_decref(body), cli_error(1, "the input device is not a TTY");
    struct reply r;
    _cleanup_free_ char *id = cli_escape(argv[optind]);
    _cleanup_free_ char *path = xasprintf("/containers/%s/exec", id);
    int rc = cli_call("POST", path, body, &r);
    json_decref(body);
    if (rc < 0)
        return 1;
    json_t *j = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
    char eid[65];
    snprintf(eid, sizeof(eid), "%s", json_string_value(json_object_get(j, "Id")) ?: "");
    json_decref(j);
    if (r.status != 201)
        return cli_api_error(&r, 1), reply_free(&r), 1;
    reply_free(&r);
    _cleanup_free_ char *spath = xasprintf("/exec/%s/start", eid);
    if (detach) {
        json_t *d = json_pack("{s:b}", "Detach", 1);
        rc = cli_call("POST", spath, d, &r);
        json_decref(d);
        if (rc < 0)
            return 1;
        rc = r.status == 200 || r.status == 204 ? 0 : cli_api_error(&r, exit_code(eid));
        reply_free(&r);
        return rc;
    }
    int fd = cli_raw_request("POST", spath, true);
    if (fd < 0)
        return 1;
    int status = cli_raw_headers(fd);
    if (status != 101) {
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        struct reply e = {.status = status, .body = buf, .len = n > 0 ? (size_t)n : 0};
        buf[e.len] = '\0';
        char *brace = strchr(buf, '{');
        if (brace)
            e.body = brace, e.len = strlen(brace);
        return cli_api_error(&e, exit_code(eid));
    }
    _cleanup_free_ char *rpath = xasprintf("/exec/%s/resize", eid);
    struct cli_session s = {.fd = fd, .in = in, .tty = tty, .resize_path = rpath};
    cli_session(&s);
    close(fd);
    return exit_code(eid);
}
