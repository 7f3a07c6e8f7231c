#pragma once
/* berth-shim: the monitor of one container (issue 13, DESIGN.md "The
 * parts"). berthd fork+execs it per start; it detaches (own session, double
 * fork), creates the container through libberth in process (or another
 * runtime's binary: runtime-exec.c), holds its
 * stdout and stderr, writes the json-file log, reaps the container (as its
 * subreaper) and records how it ended. Single-threaded: it clones.
 *
 * Files, all in the container's dir DIR (berthd's record is DIR/container.json):
 *   bundle/config.json   the OCI config it made from the record
 *   rootfs/              the overlay: image layers under upper/ (work/)
 *   ID-json.log          docker's json-file lines
 *   state.json           {"Pid","ShimPid","ShimStart","StartedAt"}, once running
 *   exit.json            {"ExitCode","Signal","OOMKilled","FinishedAt","LogDrops"},
 *                        once the container is gone (its cgroup, state and mount too)
 *   runtime.log          another runtime's --log (runtime-exec.c)
 *   events.jsonl         what the shim saw happen (event.c): one JSON object a
 *                        line, {"Action","Attributes":{...},"time","timeNano"}
 *                        (die, oom, memory-soft, health_status, restart...);
 *                        berthd imports the lines into its event log, also
 *                        those written while it was down; the die comes
 *                        before exit.json (berthd's stop follows the die)
 *   events.imported      berthd's: {"offset":N}, how far it imported events.jsonl
 * The control socket (one request line, one JSON reply line):
 *   status          {"Status":"running","Pid":N,"LogDrops":N}
 *   wait            the same, sent once the container exited (exit.json written)
 *   kill SIG [all]  {"Ok":true} or {"Error":"..."}
 *   exec EID [detach]  starts exec instance EID (exec.c): {"Pid":N,"Stdin":B}
 *                   with its stdin's write end (when B), stdout's and stderr's
 *                   read ends passed along (SCM_RIGHTS), or {"Error":"..."};
 *                   with a tty {"Pid":N,"Stdin":B,"Tty":true} and the master
 *                   (twice with B: stdin, then stdout)
 *   stdin           {"Ok":true,"Tty":B} with the container's stdin (a dup of
 *                   what the shim holds: a pipe's write end or the pty
 *                   master; O_NONBLOCK) passed along, or {"Error":"..."}
 *   stdin-close     StdinOnce: the shim closes its stdin end (a pipe: the
 *                   container reads EOF once berthd's dups are closed)
 *   resize [EID] H W   TIOCSWINSZ on the container's (or exec EID's) master */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shim_args {
    const char *id;
    const char *dir;        /* the container's data dir */
    const char *state_root; /* libberth's state root */
    const char *socket;     /* the control socket's path */
    const char *cgroup_root;
};

struct berth_error;
struct berth_container;

/* event.c: appends an event of the container to DIR/events.jsonl (shim.h's
 * file list) with one write(2) and fdatasync; `attrs` (taken, may be NULL)
 * become its Attributes next to the ones berthd adds (name, image).
 * Best effort: an event that cannot be written is lost, the container is
 * not disturbed. */
#define SHIM_EVENTS_FILE "events.jsonl"
void shim_event(const struct shim_args *a, const char *action, json_t *attrs);

/* tty.c: the container's stdio */
struct shim_io {
    bool tty, open_stdin, stdin_once;
    int devnull;
    int stdio[3];   /* the container's ends, closed once it is created */
    int console[2]; /* tty: [1] goes to libberth, the master comes on [0] */
    int out, err;   /* what the shim reads (non-blocking): pipes or the master; -1 none */
    int in;         /* the container's stdin: a pipe's write end or a dup of the master */
};
/* Reads Tty/OpenStdin/StdinOnce from DIR/container.json and makes the
 * pipes or the console socket; on failure nothing is left open. */
int shim_io_prepare(const struct shim_args *a, struct shim_io *io, struct berth_error **err);
/* After create: closes the container's ends, receives the master. */
int shim_io_started(struct shim_io *io, struct berth_error **err);
void shim_io_close(struct shim_io *io);
int shim_console_pair(int sp[2], struct berth_error **err);
/* TIOCSWINSZ on a pty master: the foreground process group gets SIGWINCH. */
int shim_resize(int master, unsigned rows, unsigned cols);

/* Writes DIR/bundle/config.json from DIR/container.json; *ret_layers gets
 * the image layer dirs (NULL-terminated, caller frees). */
int shim_write_config(const struct shim_args *a, char ***ret_layers, struct berth_error **err);

/* prepare.c: readies the mounted rootfs for the record: creates the
 * working directory, copies the image's content into new empty volumes,
 * checks the --init binary exists. */
int shim_prepare_rootfs(const struct shim_args *a, const char *rootfs, struct berth_error **err);
/* berth-init's path ($BERTH_INIT, next to berth-shim, or the build tree's
 * src/init/), NULL when none; the caller frees. */
char *shim_init_path(void);

/* exec.c: starts exec instance `eid` (its record DIR/execs/EID.json);
 * fds get the pipes' other ends: stdin's write end (-1 without
 * AttachStdin), stdout's and stderr's read ends (-1 when detached). With
 * Config.Tty: the master as stdin (a dup, with AttachStdin) and stdout,
 * stderr -1, and *ret_master a dup of it the shim keeps for resize (else -1). */
int shim_exec_start(const struct shim_args *a, const char *eid, bool detach,
                    struct berth_container **ret, int fds[3], int *ret_master,
                    struct berth_error **err);
/* Reaps it and writes DIR/execs/EID.exit.json; frees h. */
void shim_exec_finish(const struct shim_args *a, const char *eid, struct berth_container *h);
/* Sends `text` with the fds that are >= 0. */
int shim_send_fds(int sock, const char *text, const int fds[3]);

/* runtime-exec.c: the container's OCI runtime, HostConfig.Runtime of the
 * record: berth's own (libberth, in process) or a runc-compatible binary
 * the shim runs (create+start, kill, delete --force, exec --detach). The
 * handles they return are waited on as libberth's. */
struct berth_create_opts;
struct berth_exec_opts;
int shim_runtime_create(const struct shim_args *a, const struct berth_create_opts *o,
                        struct berth_container **ret, struct berth_error **err);
int shim_runtime_kill(const struct shim_args *a, int sig, bool all, struct berth_error **err);
int shim_runtime_delete(const struct shim_args *a, struct berth_error **err);
int shim_runtime_exec(const struct shim_args *a, const struct berth_exec_opts *o,
                      struct berth_container **ret, struct berth_error **err);

/* memwatch.c: the container's memory cgroup as the kernel reports it
 * (issue 14): `memory-soft` {"usage","limit"} on each upward crossing of
 * HostConfig.MemoryReservation, `oom` on each OOM the kernel signals,
 * through shim_event. fd[] (-1: unused) go into the shim's epoll; each
 * readiness is one shim_memwatch_ready(i). v1: eventfds through
 * cgroup.event_control; v2: inotify on memory.events, with a timerfd that
 * ticks only while the usage is above memory.high. Best effort: without a
 * memory controller (or files) nothing is watched. */
enum { SHIM_MEM_SOFT, SHIM_MEM_OOM, SHIM_MEM_FDS };
struct shim_memwatch {
    int fd[SHIM_MEM_FDS];
    int dirfd; /* the memory cgroup's directory */
    bool v2, above;
    uint64_t limit;           /* the reservation; 0: no soft limit */
    uint64_t high, oom_kills; /* v2: memory.events' last counters */
};
void shim_memwatch_start(const struct shim_args *a, const struct berth_container *c,
                         struct shim_memwatch *m);
void shim_memwatch_ready(const struct shim_args *a, struct shim_memwatch *m, unsigned i);
/* Reports what is pending (an OOM kill of the init) and closes the fds;
 * call before the cgroup is removed. */
void shim_memwatch_stop(const struct shim_args *a, struct shim_memwatch *m);

/* Serves the running container until it is gone; returns the exit status
 * for the shim process. */
int shim_loop(const struct shim_args *a, struct berth_container *c, struct shim_io *io,
              int listen_fd, const char *rootfs);
