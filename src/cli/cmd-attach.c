/* berth attach [--detach-keys KEYS] [--no-stdin] [--sig-proxy=true|false] CONTAINER
 * Attaches the terminal to a running container: its output, its stdin
 * (when it was created with -i), the terminal's size (with -t). The
 * detach keys (default ctrl-p,ctrl-q) leave it running and exit 0;
 * otherwise the exit status is the container's. */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ATTACH_USAGE                                                                               \
    "usage: berth attach [--detach-keys KEYS] [--no-stdin] [--sig-proxy=true|false] CONTAINER"

struct attach_opts {
    const char *keys;
    bool no_stdin, sig_proxy;
};

static int parse(int argc, char **argv, struct attach_opts *o)
{
    static const struct option opts[] = {{"detach-keys", required_argument, NULL, 'k'},
                                         {"no-stdin", no_argument, NULL, 'n'},
                                         {"sig-proxy", optional_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        if (c == 'k') {
            o->keys = optarg;
        } else if (c == 'n') {
            o->no_stdin = true;
        } else if (c == 's' &&
                   (optarg == NULL || streq(optarg, "true") || streq(optarg, "false"))) {
            o->sig_proxy = optarg == NULL || streq(optarg, "true");
        } else {
            return cli_error(-1, "invalid flag '%s' for attach; " ATTACH_USAGE, argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_error(-1, "attach takes one container; " ATTACH_USAGE);
    return 0;
}

static int exit_code(const char *id)
{
    json_t *j = NULL;
    if (cli_inspect(id, &j) < 0)
        return 125;
    json_t *code = json_object_get(json_object_get(j, "State"), "ExitCode");
    int rc = json_is_integer(code) ? (int)json_integer_value(code) : 125;
    json_decref(j);
    return rc;
}

int cmd_attach(int argc, char **argv)
{
    struct attach_opts o = {.sig_proxy = true};
    json_t *j = NULL;
    if (parse(argc, argv, &o) < 0 || cli_inspect(argv[optind], &j) < 0)
        return 125;
    json_t *cfg = json_object_get(j, "Config");
    char id[65];
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(j, "Id")) ?: "");
    bool running = json_is_true(json_object_get(json_object_get(j, "State"), "Running"));
    bool tty = json_is_true(json_object_get(cfg, "Tty"));
    bool in = !o.no_stdin && json_is_true(json_object_get(cfg, "OpenStdin"));
    json_decref(j);
    if (!running)
        return cli_error(1, "You cannot attach to a stopped container, start it first");
    if (in && tty && !isatty(0))
        return cli_error(1, "the input device is not a TTY");
    _cleanup_free_ char *keys = o.keys ? cli_escape(o.keys) : NULL;
    _cleanup_free_ char *path =
        xasprintf("/containers/%s/attach?stream=1&stdout=1&stderr=1%s%s%s", id,
                  in ? "&stdin=1" : "", keys ? "&detachKeys=" : "", keys ? keys : "");
    _cleanup_free_ char *rpath = xasprintf("/containers/%s/resize", id);
    int fd = cli_raw_request("POST", path, true);
    int status = fd < 0 ? -1 : cli_raw_headers(fd);
    if (status != 101) {
        if (fd >= 0)
            close(fd);
        return cli_error(1, "cannot attach to container %.12s%s", id,
                         status == 400 ? ": invalid detach keys" : "");
    }
    struct cli_session s = {.fd = fd,
                            .in = in,
                            .tty = tty,
                            .resize_path = rpath,
                            .on_signal = o.sig_proxy ? cli_forward_signal : NULL,
                            .ud = id};
    cli_session(&s);
    close(fd);
    return cli_container_running(id, false) ? 0 : exit_code(id);
}
