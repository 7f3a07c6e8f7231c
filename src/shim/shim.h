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
 *   state.json           {"Pid","ShimPid","ShimStart","StartedAt","RestartCount",
 *                        "LastExit":{"ExitCode","OOMKilled","FinishedAt"}}, once
 *                        running; while the restart policy backs off (restart.c)
 *                        also "Restarting":true, "RestartDelayMs", "NextRestartAt"
 *                        and "Pid":0
 *   exit.json            {"ExitCode","Signal","OOMKilled","FinishedAt","LogDrops",
 *                        "RestartCount","ManualStop"}, once the container is gone
 *                        for good (its cgroup, state and mount too)
 *   health.json          the healthcheck's State.Health (health.h)
 *   runtime.log          another runtime's --log (runtime-exec.c)
 *   events.jsonl         what the shim saw happen (event.c): one JSON object a
 *                        line, {"Action","Attributes":{...},"time","timeNano"}
 *                        (die, oom, memory-soft, health_status, restart...);
 *                        berthd imports the lines into its event log, also
 *                        those written while it was down; the die comes
 *                        before exit.json (berthd's stop follows the die)
 *   events.imported      berthd's: {"offset":N}, how far it imported events.jsonl
 * The control socket (one request line, one JSON reply line):
 *   status          {"Status":"running","Pid":N,"LogDrops":N}, or
 *                   {"Status":"restarting","RestartCount":N} while backing off
 *   wait            {"Status":"exited","ExitCode":N,"OOMKilled":B}, sent at the
 *                   container's next exit: with "Restarting":true when the
 *                   policy runs it again, else once exit.json is written
 *   kill SIG [all] [manual|norestart]  {"Ok":true} or {"Error":"..."};
 *                   manual (a user's stop or kill): that exit is not followed
 *                   by a restart and exit.json says ManualStop; norestart
 *                   (berthd's shutdown): not restarted, ManualStop false.
 *                   While backing off, any kill ends the shim at once.
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
 *   resize [EID] H W   TIOCSWINSZ on the container's (or exec EID's) master
 *   reload          berthd changed the record's resources (update): the
 *                   memory watch takes the new reservation; {"Ok":true} */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct shim_args {
    const char *id;
    const char *dir;        /* the container's data dir */
    const char *state_root; /* libberth's state root */
    const char *socket;     /* the control socket's path */
    const char *cgroup_root;
    const char *netns; /* a network namespace to join (berthd's netctr.c), or NULL */
    /* --pid/--ipc container:REF (berthd's nsopts.c): a descriptor of the
     * donor's namespace this process holds, "host" (the donor runs in the
     * host's), or NULL; shm_from: a shareable donor's DIR/shm */
    const char *pidns, *ipcns, *shm_from;
};

struct berth_error;
struct berth_container;

/* ns.c: --pid, --ipc and --uts in the spec (host, a donor's namespace
 * through a->pidns/ipcns, the /dev/shm that goes with the IPC mode); a
 * shareable container's /dev/shm, mounted at DIR/shm before it is created
 * and unmounted once it is gone (and where a dead shim left it). */
void shim_set_namespaces(json_t *spec, json_t *hc, const struct shim_args *a);
int shim_shm_mount(const struct shim_args *a, json_t *hc, struct berth_error **err);
void shim_shm_umount(const struct shim_args *a);

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
/* The record's reservation changed (berth update): the watch follows it;
 * fd[SHIM_MEM_SOFT] may be a new fd (or -1) afterwards. */
void shim_memwatch_reload(const struct shim_args *a, struct shim_memwatch *m);
/* Reports what is pending (an OOM kill of the init) and closes the fds;
 * call before the cgroup is removed. */
void shim_memwatch_stop(const struct shim_args *a, struct shim_memwatch *m);

/* main.c: creates the container from DIR/bundle with new stdio
 * (shim_io_prepare) through its runtime; on failure nothing of it is left
 * and *io is closed. */
int shim_create(const struct shim_args *a, struct shim_io *io, struct berth_container **ret,
                struct berth_error **err);

/* restart.c: HostConfig.RestartPolicy carried out by the shim. */
struct shim_restart {
    unsigned count;          /* restarts so far (RestartCount) */
    unsigned delay_ms;       /* the last back-off; 0: none yet */
    bool manual, norestart;  /* the coming exit must not be restarted (kill's flags) */
    bool health;             /* the healthcheck asked for this restart */
    struct timespec started; /* CLOCK_MONOTONIC, of the current run */
    char started_at[40];     /* its StartedAt */
    int timerfd;             /* the back-off's, -1 until the first */
};
struct shim_last_exit {
    int code;
    bool oom_killed;
    char finished_at[40]; /* "" before the first exit */
};
/* A run begins now (StartedAt, and the clock that resets the back-off). */
void shim_restart_began(struct shim_restart *r);
/* After an exit with `code`: true when the container runs again, after
 * r->delay_ms (Docker's back-off), and r->count was incremented. */
bool shim_restart_due(const struct shim_args *a, struct shim_restart *r, int code);
/* Arms the back-off timer; returns its fd (-1 on failure). */
int shim_restart_arm(struct shim_restart *r);
/* state.json: the running container's (pid), or with pid 0 the back-off's. */
int shim_write_state(const struct shim_args *a, pid_t pid, const struct shim_restart *r,
                     const struct shim_last_exit *last, struct berth_error **err);

/* Serves the running container until it is gone; returns the exit status
 * for the shim process. */
int shim_loop(const struct shim_args *a, struct berth_container *c, struct shim_io *io,
              struct shim_restart *r, int listen_fd, const char *rootfs);
