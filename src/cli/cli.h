#pragma once
/* berth, the CLI: a client of berthd's API (Docker Engine API over a UNIX
 * socket, http.c). One file per command. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

extern const char *arg_host; /* "unix://PATH" */

struct reply {
    long status;
    char *body;
    size_t len;
    char *path_stat; /* the X-Docker-Container-Path-Stat header (docker cp), or NULL */
};

/* create-secopts.c: --cap-add --cap-drop --security-opt --device --ulimit
 * --sysctl (`flag` without dashes) into HostConfig `host`; 0, or -1 after
 * printing why (a seccomp file read here that is unreadable or no JSON). */
int cli_security_flag(json_t *host, const char *flag, const char *arg);
/* --restart no|always|unless-stopped|on-failure[:N] as Docker's
 * RestartPolicy object, or NULL after printing why (run, create, update). */
json_t *cli_restart_policy(const char *arg);
/* Prints "berth: MESSAGE" and returns `code`. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message of an API error reply. */
int cli_api_error(const struct reply *r, int code);

/* One request; `body` (may be NULL) is sent as JSON. Returns 0 or -1 after
 * printing why the daemon could not be reached. */
int cli_call(const char *method, const char *path, json_t *body, struct reply *ret);
void reply_free(struct reply *r);

/* Runs `req` (its method, body and callbacks; socket_path and target are
 * filled in) on /v1.41`path`, starting the default daemon if none answers;
 * ret->status is the reply's status (its body is the callbacks'). Returns 0
 * or -1 after printing "cannot talk to the berth daemon at HOST: why". */
struct http_request;
int cli_http(struct http_request *req, const char *path, struct reply *ret);
/* An http_body_fn appending the bytes to the struct reply `ud` (its body
 * stays NUL-terminated). */
struct http_parser;
int cli_collect(const struct http_parser *p, const char *d, size_t n, void *ud);

/* A streaming GET/POST whose multiplexed frames go to stdout/stderr. */
int cli_stream(const char *method, const char *path, struct reply *ret);

/* Raw HTTP on the socket, for the hijacked attach and a wait that must be
 * in flight before start: sends the request and returns the fd. */
int cli_raw_request(const char *method, const char *path, bool upgrade);
/* Reads the status line and headers; the status code or -1. */
int cli_raw_headers(int fd);
/* Copies multiplexed frames from fd to stdout/stderr until EOF; a signal
 * read from the signalfd `sfd` (-1: none) goes to on_signal. */
/* Docker's multiplexed frames (8-byte header: stream, 0, 0, 0, size
 * big-endian), fed in pieces of any size: each payload goes to stdout or
 * stderr as it comes. Zero-initialise. */
struct cli_demux {
    unsigned char hdr[8];
    size_t hdr_len, left;
    int stream;
};
void cli_demux_feed(struct cli_demux *dm, const char *p, size_t n);

void cli_demux_fd(int fd, int sfd, void (*on_signal)(int sig, void *ud), void *ud);

/* arena.c: a large reply (ps, images) parsed into one mapping that goes as
 * a whole: every JSON value made between cli_arena_load and cli_arena_free
 * lives in it (or in malloc'ed memory when it is full) and must be gone by
 * cli_arena_free, which drops `j` and the mapping. Small replies parse as
 * json_loadb does. cli_arena_install (main, first) makes jansson use it. */
void cli_arena_install(void);
json_t *cli_arena_load(const char *text, size_t len);
void cli_arena_free(json_t *j);

/* GET `path`, a list (ps, images), and print(list, format, quiet,
 * notrunc) it; 1 after printing why it failed. */
int cli_list(const char *path, int (*print)(json_t *, const char *, bool, bool), const char *format,
             bool quiet, bool notrunc);

/* URL-escapes a path component (container name or id). */
char *cli_escape(const char *s);

/* create-opts.c: run's and create's flags into a create body (NULL after
 * printing why; -i and -t set OpenStdin/AttachStdin/StdinOnce and Tty).
 * cmd-run.c, shared with create and start: create (the new id into
 * `id`, -1 after printing why); start; the StatusCode of a wait reply;
 * a signal passed on to the container `ud` names. */
json_t *cli_create_opts(int argc, char **argv, bool *detach, char **name);
/* cli_create pulls the image as --pull says (this key of the body, never
 * sent): "missing" (the default) when berthd has no such image, "always"
 * first, "never" not at all; the pull's progress goes to stderr. */
#define CLI_PULL_KEY "BerthPull"
int cli_create(json_t *body, const char *name, char id[65]);
int cli_start(const char *id);
int cli_read_wait(int fd);
void cli_forward_signal(int sig, void *ud);
/* Attaches to the created container (its stdin with `in`; `tty`: it has
 * one; `keys`: the URL-escaped detach keys or NULL for docker's default),
 * starts it, streams its output until it ends; its exit status (125 after
 * printing why berth failed), 0 when detached (the detach keys). */
int cli_foreground(const char *id, bool autorm, bool in, bool tty, const char *keys);

/* term.c: an attached session on the hijacked connection `fd`. */
struct cli_session {
    int fd;
    bool in;                 /* copy stdin to it, half-close at its end */
    bool tty;                /* raw output; the terminal raw while attached */
    const char *resize_path; /* "/containers/ID/resize" or "/exec/ID/resize": the
                                size at the start and on SIGWINCH (tty only); NULL: none */
    /* without a tty: gets the signals a terminal sends (NULL: they act as
     * always); with one they end the session, the terminal restored first */
    void (*on_signal)(int sig, void *ud);
    void *ud;
};
/* Runs it until the connection ends; the terminal's mode and the signal
 * mask are as before on return. */
void cli_session(const struct cli_session *s);
/* The local terminal's size (stdout's, else stdin's); false: none. */
bool cli_terminal_size(unsigned *ret_h, unsigned *ret_w);
/* GET /containers/REF/json (NULL-free *ret) or -1 after printing why. */
int cli_inspect(const char *ref, json_t **ret);
/* Whether it runs (not between two runs of its restart policy); with
 * first_run, only while no restart happened yet (berth run: a session
 * that ended while its first run goes on was detached). */
bool cli_container_running(const char *id, bool first_run);
/* Docker's detach keys syntax: "ctrl-<x>,<c>,..." */
bool cli_detach_keys_ok(const char *keys);
/* format.c: a Go-template subset, {{.Field.Sub}} and {{json .Field}}
 * (\t, \n as in docker), over `obj`; NULL after printing why. */
char *cli_template(const char *tmpl, json_t *obj);
/* Prints tab-separated lines as aligned columns (docker's tabwriter, 3 blanks). */
void cli_print_table(char **lines, size_t n);
/* POSTs /containers/ID/ACTION?QUERY (query: "" or "?k=v") for each
 * container in argv[first..], printing each on 204/304; 1 if any failed. */
int cli_each(int argc, char **argv, int first, const char *action, const char *query);

/* cmd-logs.c: docker's --since/--until T (RFC 3339 with an optional
 * fraction and offset, a date, unix seconds, or a duration before now such
 * as "10m") as unix seconds text for the API (caller frees); NULL when bad. */
char *cli_timestamp(const char *t);
/* A prune's --filter KEY=VALUE into filters {"KEY":["VALUE"]}, until as
 * unix seconds (cli_timestamp); -1 after printing why not. cmd-images.c */
int cli_add_filter(json_t *filters, const char *arg);
/* A prune's flags: -f, --filter into `filters`, -a into *all (NULL: no
 * -a); 0, or the exit code after printing why (usage names `what`). */
int cli_prune_flags(int argc, char **argv, const char *what, const char *usage, bool *all,
                    bool *force, json_t *filters);

int cmd_run(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_images(int argc, char **argv);
/* cmd-images.c too: berth history, berth image prune */
int cmd_history(int argc, char **argv);
int cmd_image_prune(int argc, char **argv);
/* docker's units.HumanSizeWithPrecision(n, prec): "1.23MB" (powers of 1000) */
void cli_human_size(double n, int prec, char *buf, size_t len);
/* cmd-pull.c: pulls `name` (platform NULL: the host's) through berthd,
 * its progress to `out` (NULL: none; a terminal gets docker's redrawn
 * progress bars); 0, or 1 after printing why it failed. */
int cli_pull(const char *name, const char *platform, FILE *out);
/* cmd-image.c, cmd-load.c: the image commands */
int cmd_rmi(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_container_prune(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_pull(int argc, char **argv);  /* cmd-pull.c */
int cmd_build(int argc, char **argv); /* cmd-build.c */
int cmd_cp(int argc, char **argv);    /* cmd-cp.c */
int cmd_version(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_volume(int argc, char **argv);
int cmd_network(int argc, char **argv);
int cmd_port(int argc, char **argv);
/* cmd-login.c: berth login, logout; cmd-push.c: berth push */
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_push(int argc, char **argv);
/* The X-Registry-Auth value (base64url JSON {username,password,
 * serveraddress}) of `berth login`'s credentials for the registry of
 * `image` (NULL: none kept; caller frees). */
char *cli_registry_auth(const char *image);
/* cli_http with that header when there are credentials for `image`. */
int cli_http_auth(struct http_request *req, const char *path, const char *image, struct reply *ret);
/* jsonstream.c: a JSON-lines answer (pull, push, build). Put a
 * cli_stream first in the caller's struct and pass that as the request's
 * ud with on_body = cli_stream_cb: each(msg, ud) is told every message
 * (borrowed); an error answer is collected into *r. cli_stream_end(s, rc)
 * with cli_http's 0 or 1: the API's error, the stream's first "error"
 * (printed, 1), or rc; it frees what the stream kept. */
struct cli_stream {
    struct reply *r;
    void (*each)(json_t *msg, void *ud);
    char *line; /* a message not yet ended by its newline */
    size_t len;
    char *error;
};
int cli_stream_cb(const struct http_parser *p, const char *d, size_t n, void *ud);
int cli_stream_end(struct cli_stream *s, int rc);
/* cmd-up.c: workload files (issue 17) */
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
