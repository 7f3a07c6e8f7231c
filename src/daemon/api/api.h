#pragma once
/* berthd's HTTP API: Docker Engine API paths, bodies and status codes over
 * libmicrohttpd (thread per connection, so a handler may block: wait,
 * logs -f, attach). Errors are Docker's {"message": ...}. */
#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct berth_error;

#define API_VERSION     "1.41"
#define API_MIN_VERSION "1.24"

struct request {
    struct MHD_Connection *conn;
    const char *method;
    const char *path; /* without the /vN.NN prefix */
    char *body;
    size_t body_len;
    bool body_too_big;
    int upload_fd;    /* images.c: the body spooled to a file (load, import); -1: none */
    int upload_error; /* errno of spooling it */
};

/* Queues a JSON answer (takes `j`). */
enum MHD_Result api_json(struct request *r, unsigned status, json_t *j);
/* Queues `text` (taken: freed with the response) as the body. */
enum MHD_Result api_text(struct request *r, unsigned status, const char *type, char *text,
                         size_t len);
/* Queues {"message": ...} with `status`. */
enum MHD_Result api_message(struct request *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Queues *err as Docker's error JSON: EINVAL 400, ENOENT 404, EEXIST and
 * EBUSY 409, else 500 (STYLE.md "Errors"); clears it. */
enum MHD_Result api_error(struct request *r, struct berth_error *err);
enum MHD_Result api_empty(struct request *r, unsigned status);
/* The body as a JSON value; NULL after queueing a 400. */
json_t *api_body_json(struct request *r, enum MHD_Result *ret);
const char *api_arg(struct request *r, const char *key);
/* "1", "true" (any case) are true; absent is `def`. */
bool api_arg_bool(struct request *r, const char *key, bool def);

enum MHD_Result api_system(struct request *r);     /* /_ping /version /info */
enum MHD_Result api_containers(struct request *r); /* /containers/... */
/* POST /commit?container=&repo=&tag=&comment=&author=&pause= (docker commit) */
enum MHD_Result api_commit(struct request *r);
/* images.c: /images/... (list, inspect, tag, delete, load, get, create?fromSrc: import,
 * create?fromImage: pull) */
enum MHD_Result api_images(struct request *r);
/* The fd to spool the body of `path` to (a load or import), or -1. */
int api_images_spool(struct MHD_Connection *conn, const char *path, const char *method);
void api_images_spool_write(struct request *r, const char *data, size_t len);
/* build.c: POST /build (docker build, the classic builder); the fd to
 * spool its body (the context tar) to for a POST /build, or -1. */
enum MHD_Result api_build(struct request *r);
int api_build_spool(const char *path, const char *method);
/* push.c: POST /images/{name}/push?tag= (docker push; X-Registry-Auth) and
 * POST /auth (docker login: checks the body's credentials with the registry,
 * 200 {"Status":"Login Succeeded"} or 401 with the registry's reason) */
enum MHD_Result api_images_push(struct request *r, const char *name);
enum MHD_Result api_auth(struct request *r);
/* archive.c: HEAD, GET and PUT /containers/{id}/archive (docker cp); the
 * fd to spool a PUT's body (a tar) to, or -1 */
struct ctr;
enum MHD_Result api_archive(struct request *r, struct ctr *c);
/* GET /containers/{id}/export (docker export): its root file system */
enum MHD_Result api_export(struct request *r, struct ctr *c);
int api_archive_spool(const char *path, const char *method);
/* jobs.c: a job (pull, push, build) run in a thread while its JSON lines
 * stream to the client: api_job_start answers 200 and starts run(j, ud)
 * with `first` (taken, may be NULL) as the first line; free_ud(ud) after
 * the run, or at once when it cannot start (then a 500). */
struct api_job;
typedef void (*api_job_fn)(struct api_job *j, void *ud);
enum MHD_Result api_job_start(struct request *r, json_t *first, api_job_fn run, void *ud,
                              void (*free_ud)(void *ud));
/* One line (borrowed); a client that went does not stop the job. */
void api_job_line(struct api_job *j, json_t *msg);
/* The same as a registry_progress_fn (ud: the job). */
void api_job_progress(json_t *msg, void *j);
/* {"status": s} (s taken). */
void api_job_status(struct api_job *j, char *s);
/* Docker's {"error", "errorDetail"} of err (cleared): its message alone
 * when `plain` (it says it all), else with the errno's text. */
void api_job_error(struct api_job *j, struct berth_error *err, bool plain);
enum MHD_Result api_volumes(struct request *r);  /* /volumes... (volumes.c) */
enum MHD_Result api_networks(struct request *r); /* /networks... (networks.c) */
enum MHD_Result api_events(struct request *r);   /* GET /events (events.c) */
/* GET .../logs and POST .../attach */
enum MHD_Result api_logs(struct request *r, const char *id);
enum MHD_Result api_attach(struct request *r, const char *id);
/* POST /containers/{cid}/resize?h=&w= (eid NULL) or /exec/{eid}/resize:
 * TIOCSWINSZ on the tty's master in the shim; 409 when there is none. */
enum MHD_Result api_resize(struct request *r, const char *cid, const char *eid);

/* detach.c: docker's detach keys */
struct detach_keys {
    unsigned char keys[16];
    size_t len, matched;
};
/* "ctrl-p,ctrl-q" (NULL or "": that default); -1 for a bad spec. */
int detach_keys_parse(const char *spec, struct detach_keys *ret);
/* Copies the input bytes that are not (yet) the sequence to `out` (room
 * for n + 16); true once the whole sequence came (*ret_len: what came
 * before it). */
bool detach_keys_filter(struct detach_keys *dk, const char *in, size_t n, char *out,
                        size_t *ret_len);

struct ctr;
/* stats.c: GET /containers/{id}/stats */
enum MHD_Result api_stats(struct request *r, struct ctr *c);
/* update.c: POST /containers/{id}/update (docker update) */
enum MHD_Result api_update(struct request *r, struct ctr *c);
/* exec.c: POST /containers/{id}/exec, and /exec/{id}/start|json */
enum MHD_Result api_exec_create(struct request *r, struct ctr *c);
enum MHD_Result api_exec(struct request *r);

/* Starts serving on the listening UNIX socket `fd`. */
struct MHD_Daemon *api_start(int fd);
