#pragma once
/* berthd's engine state: the roots, and the container records under
 * DATA/containers/ID (DESIGN.md "Records on disk are the truth"; the
 * files of a container dir are described in src/shim/shim.h). berthd keeps
 * no other copy: each request reads the records, so a SIGKILL of berthd
 * loses nothing and a restart re-adopts every live shim. */
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct berth_error;

struct daemon {
    const char *data_root;
    const char *exec_root;
    const char *state_root; /* libberth's: EXEC/runtime */
    const char *shim;       /* berth-shim's path */
    const char *runtime;    /* --runtime, as given */
    pthread_mutex_t lock;   /* creation, names, removal, the image store */
};

extern struct daemon engine;

enum ctr_status { CTR_CREATED, CTR_RUNNING, CTR_EXITED };

/* records.c: the records of container ID in the containers dir CDFD, each
 * NULL when absent, for the files in MASK (1 << REC_...). They are parsed
 * once and shared between requests and threads: read them, never change
 * them (json_deep_copy first). -ENOENT when the dir or a container.json
 * that MASK asks for is missing. */
enum { REC_CONTAINER, REC_STATE, REC_EXIT, REC_N };
int records_read(int cdfd, const char *id, unsigned mask, json_t *ret[REC_N]);
/* Drops what is kept of ID (removed). */
void records_forget(const char *id);
struct ctr;
/* make(c), kept in `slot` (< RECORDS_MEMOS: one per kind of text) with
 * c's container record until that record changes: a text derived from
 * c->rec and c->id only. Returns a copy to free. */
#define RECORDS_MEMOS 2
char *records_memo(const struct ctr *c, unsigned slot, char *(*make)(const struct ctr *c));

/* One container as its records show it now. The three records are
 * shared (records_read): never change them. */
struct ctr {
    char id[65];
    char *dir;
    json_t *rec;         /* container.json (berthd's) */
    json_t *state;       /* state.json (the shim's, once started) or NULL */
    json_t *exit;        /* exit.json (the shim's, or berthd's for a dead shim) or NULL */
    const char *created; /* the record's Created ("" without), the list's order */
    enum ctr_status status;
    bool paused;     /* running, its cgroup frozen */
    bool restarting; /* running: its shim backs off before the policy's next run */
};

/* Finds a container by full id, name (with or without '/') or unique id
 * prefix. ENOENT "No such container: X"; EINVAL for an ambiguous prefix. */
int ctr_find(const char *ref, struct ctr **ret, struct berth_error **err);
/* Every container, newest first. */
int ctr_list(struct ctr ***ret, size_t *ret_n);
void ctr_free(struct ctr *c);
void ctrs_free(struct ctr **v, size_t n);
const char *ctr_status_name(enum ctr_status s);
const char *ctr_name(const struct ctr *c); /* without the '/' */
int ctr_exit_code(const struct ctr *c);

/* POST /containers/create's body (Docker's ContainerConfig with
 * HostConfig) into a record; *ret_id the new id. EINVAL for bad or
 * unsupported input, ENOENT for an unknown image, EEXIST for a name in use. */
int ctr_create(json_t *body, const char *name, char ret_id[65], struct berth_error **err);
/* Starts it through a new shim; ret_modified false when already running. */
int ctr_start(struct ctr *c, bool *ret_modified, struct berth_error **err);
/* ctr_kill's flags: every process of the container, not only its init;
 * a user's stop or kill (the restart policy does not restart that exit);
 * berthd's shutdown (not restarted now, but at berthd's next start). */
enum { KILL_ALL = 1, KILL_MANUAL = 2, KILL_NORESTART = 4 };
/* Config.StopSignal (--stop-signal, checked at create), SIGTERM without. */
int ctr_stop_signal(const struct ctr *c);
/* Sends `sig` through the shim; EBUSY (409) when not running. */
int ctr_kill(struct ctr *c, int sig, unsigned flags, struct berth_error **err);
/* The stop signal, `timeout` s, then SIGKILL; false when not running.
 * `why`: KILL_MANUAL or KILL_NORESTART. */
int ctr_stop(struct ctr *c, int timeout, unsigned why, bool *ret_modified,
             struct berth_error **err);
/* Removes it and everything it owns; EBUSY when running without force. */
int ctr_remove(const char *id, bool force, struct berth_error **err);
/* The same; `volumes` (rm -v) removes its anonymous volumes too, as
 * --rm (AutoRemove) always does. */
int ctr_remove_v(const char *id, bool force, bool volumes, struct berth_error **err);

enum wait_cond { WAIT_NOT_RUNNING, WAIT_NEXT_EXIT, WAIT_REMOVED };
struct ctr_waiter {
    char id[65];
    enum wait_cond cond;
    char before[48]; /* FinishedAt when the wait began: "next" is another */
    int code;
    bool done;
};
/* Registers a wait as of now (Docker's semantics: a next-exit wait sent
 * before start sees the exit of that start). ENOENT when unknown. */
int ctr_wait_prepare(const char *ref, enum wait_cond cond, struct ctr_waiter *w,
                     struct berth_error **err);
/* Blocks until the condition holds; returns the exit code. */
int ctr_wait_block(struct ctr_waiter *w);

/* Reconciles the records at start: adopts live shims, records the exit of
 * dead ones, finishes removals and auto-removes. */
void ctr_adopt_all(void);
/* stats.c: Docker's stats document of `c` now (its cgroup's counters;
 * a zero document when it is not running), precpu_stats empty. EIO, or
 * ESRCH when it stopped meanwhile. */
json_t *ctr_stats_sample(struct ctr *c, struct berth_error **err);
/* berth's State.LogDrops: the log lines the shim dropped in
 * mode=non-blocking (its status while running, exit.json after). */
json_int_t ctr_log_drops(const struct ctr *c);
/* The host's memory in bytes (the limit docker shows without one). */
uint64_t ctr_host_memory(void);

/* runtime.c: HostConfig.Runtime and berthd --runtime. "berth" (also
 * "berth-runtime" or a path ending in /berth-runtime: libberth in the
 * shim), "runc", "crun", or the absolute path of an executable file
 * (a runc-compatible runtime the shim runs); NULL or "": berthd's
 * --runtime. *ret the name to record (caller frees); EINVAL naming it
 * otherwise. */
int runtime_resolve(const char *given, char **ret, struct berth_error **err);
/* Resolves the create body's HostConfig.Runtime in place (berthd's
 * --runtime when unset), so the record names it; EINVAL for an unknown
 * one, or a tty with a runtime other than berth's. */
int ctr_body_runtime(json_t *body, struct berth_error **err);
/* The runtime in c's record; "berth" for records made before it was. */
const char *ctr_runtime(const struct ctr *c);
/* The absolute cgroups path the shim gives another runtime
 * ("/berth-ID"), or NULL for berth's own (libberth's state knows it). */
char *ctr_cgroup_path(const struct ctr *c);

/* The cgroup of a container under another runtime (caller frees with
 * berth_cgroup_free); NULL with EINVAL for berth's own. */
struct berth_cgroup;
struct berth_cgroup *ctr_cgroup_open(const struct ctr *c, struct berth_error **err);
/* pause/resume, whether paused, and the host pids of its processes,
 * whichever runtime runs it (berth's own: its state; another: its cgroup). */
int ctr_rt_pause(const struct ctr *c, bool pause, struct berth_error **err);
bool ctr_rt_frozen(const struct ctr *c);
int ctr_rt_pids(const struct ctr *c, pid_t **ret, size_t *ret_n, struct berth_error **err);

/* shutdown.c, berthd --shutdown-containers: stops every running container
 * at once (each as ctr_stop, with its Config.StopTimeout, default 10 s)
 * and returns once their shims are gone. */
void ctr_shutdown_all(void);
/* Removes the container once it exited (HostConfig.AutoRemove), from a
 * detached thread. */
void ctr_watch_autoremove(const char *id);

/* The shim's control socket of container `id`. */
char *ctr_socket_path(const char *id);
/* Sends one request line to the shim of `id`; `ret` gets the reply line.
 * With ret_fds (may be NULL), up to `max_fds` fds passed with the reply
 * (SCM_RIGHTS) go there, the rest -1. -errno when the shim is gone. */
int ctr_shim_request(const char *id, const char *req, char *ret, size_t len, int *ret_fds,
                     size_t max_fds);
bool ctr_name_taken(const char *name);

/* update.c: docker update's body (Docker's UpdateConfig: CpuShares,
 * NanoCpus, CpuPeriod, CpuQuota, CpusetCpus, CpusetMems, Memory,
 * MemoryReservation, MemorySwap, PidsLimit, BlkioWeight; any other field
 * set is refused by name) into the record's HostConfig, durably, and into
 * the cgroup of a running container (libberth, or `RUNTIME update`).
 * EINVAL for a bad value (nothing changed), EIO when the cgroup refused. */
int ctr_update(struct ctr *c, json_t *body, struct berth_error **err);

/* manage.c: pause/unpause (EBUSY, 409, as Docker when not running, already
 * paused, not paused), rename (durable; EEXIST for a name in use, EINVAL
 * for a bad one), restart, and the processes of `top`. */
int ctr_pause(struct ctr *c, bool pause, struct berth_error **err);
int ctr_rename(struct ctr *c, const char *name, struct berth_error **err);
int ctr_restart(struct ctr *c, int timeout, struct berth_error **err);
/* Docker's top: runs `ps ARGS` (default -ef) and keeps the rows of the
 * container's processes; {"Titles":[...],"Processes":[[...]...]}. */
json_t *ctr_top(struct ctr *c, const char *ps_args, struct berth_error **err);

/* exec.c: Docker's exec instances, one record per instance under
 * DIR/execs/EID.json (config, the shim's Pid once started) and
 * DIR/execs/EID.exit.json (written by the shim). */
int exec_create(struct ctr *c, json_t *body, char ret_id[65], struct berth_error **err);
/* Finds an exec instance: its container's id and record. ENOENT. */
int exec_find(const char *eid, char ret_cid[65], json_t **ret_rec, struct berth_error **err);
/* EBUSY when it was started before. */
int exec_check_fresh(const char *cid, const char *eid, struct berth_error **err);
/* Has the shim start it; fds[0..2]: its stdin (write end, -1 without
 * AttachStdin), stdout, stderr (read ends; -1 when detached). With
 * Config.Tty: the pty master as stdin and stdout, stderr -1. */
int exec_start(const char *cid, const char *eid, bool detach, int fds[3], struct berth_error **err);
/* The start body's ConsoleSize [h, w] into the record (null: nothing). */
int exec_set_console_size(const char *cid, const char *eid, json_t *size, struct berth_error **err);
/* Docker's /exec/{id}/json. */
json_t *exec_inspect(const char *cid, const char *eid, json_t *rec);
/* Waits up to `ms` for the exec's exit record. */
bool exec_wait_exit(const char *cid, const char *eid, long ms);

/* commit.c: docker commit. `ref` (REPO[:TAG], may be NULL: untagged),
 * `comment` (its history entry's), `author` (the config's); `pause`: a
 * running container is frozen while its layer is read. *ret_id the new
 * image's id. EINVAL for a --rootfs container or a bad ref. */
struct commit_opts {
    const char *ref, *comment, *author;
    bool pause;
};
int ctr_commit(struct ctr *c, const struct commit_opts *o, char **ret_id, struct berth_error **err);

/* Per container: a start and a copy (archive.c) never overlap; begin
 * waits for the other to end. */
void ctr_busy_begin(const char *id);
void ctr_busy_end(const char *id);

/* archive.c: docker cp. The container's root: its init's (/proc/PID/root,
 * checked to be its overlay) when it runs, else its overlay mounted at
 * DIR/rootfs while the copy lasts. stat: the path's docker stat (name,
 * size, mode as Go's FileMode, mtime, linkTarget), NULL and the error
 * (ENOENT naming it) when missing; get: its tar (the path's own name at
 * the root) into out_fd; put: the tar at in_fd unpacked into the
 * directory path. A stopped container's volumes are not mounted: a path
 * at or under one is refused. */
json_t *archive_stat(struct ctr *c, const char *path, struct berth_error **err);
int archive_get(struct ctr *c, const char *path, int out_fd, json_t **ret_stat,
                struct berth_error **err);
/* docker export: the container's root file system (its overlay, without
 * its volumes and mounts) as a tar into out_fd */
int archive_export(struct ctr *c, int out_fd, struct berth_error **err);
/* flags: untar.h's UNTAR_OWNERS (docker cp -a) and UNTAR_KEEP_KINDS */
int archive_put(struct ctr *c, const char *path, int in_fd, unsigned flags,
                struct berth_error **err);

/* nsopts.c: --pid, --ipc and --uts (HostConfig.PidMode, IpcMode, UTSMode;
 * body.c checks their syntax). For a create: a container named by
 * container:REF exists. At start: the namespaces of the containers c joins,
 * opened (O_CLOEXEC) while they run; EINVAL naming a donor that does not
 * run or, for --ipc, is not shareable. pid_host/ipc_host: the donor runs in
 * the host's. shm: a shareable donor's /dev/shm (its DIR/shm, src/shim). */
struct ns_join {
    int pidns, ipcns; /* -1: none to join */
    bool pid_host, ipc_host;
    char *shm;
};
int nsopts_check(json_t *body, struct berth_error **err);
int nsopts_open(const struct ctr *c, struct ns_join *j, struct berth_error **err);
void nsopts_close(struct ns_join *j);

/* netctr.c: a container's networking (issue 15), made by berthd before its
 * shim starts and undone after its last exit. Runtime state under
 * EXEC/netns: ns-RANDOM (a bind mount of a network namespace, which the
 * runtime joins, so a restart by the shim keeps address, ports and names;
 * netpool.c makes them) and ID.json (what was made for ID: the namespace,
 * the veths, the networks, the ports). The container dir gets hostname,
 * hosts and resolv.conf (the shim binds them over /etc's). */
/* For a create: the mode names something that exists (a network, or a
 * container for container:REF). ENOENT "network X not found". */
int netctr_check_mode(const char *mode, struct berth_error **err);
/* Before the shim starts c: makes what its mode needs; *ret_netns the
 * namespace the runtime joins (NULL: a new one, or the host's). On failure
 * nothing it made is left. */
int netctr_setup(struct ctr *c, char **ret_netns, struct berth_error **err);
/* After the shim started (or failed to start) c: c's network may be
 * undone again once c exits. */
void netctr_started(const char *id, bool ok);
/* Undoes c's networking, whatever of it exists (idempotent). */
void netctr_teardown(const char *id);
/* The shim wrote exit.json: undoes the network of a container that is no
 * longer running (not one being started again). */
void netctr_after_exit(const char *id);
/* docker network connect / disconnect: the record keeps the network
 * (NetworkingConfig.EndpointsConfig) for the next starts; a running c gets
 * or loses its link on it now. EINVAL for a mode that shares another's
 * namespace (host, none, container:), EEXIST when connected already,
 * ENOENT for an unknown network or one c is not on. */
int netctr_connect(struct ctr *c, const char *net, json_t *ec, struct berth_error **err);
int netctr_disconnect(struct ctr *c, const char *net, struct berth_error **err);
/* After a rename of running container id: its endpoints and the hosts
 * files of the containers that share a user-defined network with it carry
 * `name`. */
void netctr_renamed(const char *id, const char *name);
/* placement.c: when host (c's HostConfig, or one an update makes) asks
 * for placement (CpusetCpus "auto[:N]", BerthPlacement spread|pack),
 * picks the CPUs now, writes c's placement.json and returns 1 with
 * *ret_cpus (may be NULL) the list; 0 when it asks for none. EINVAL for
 * more CPUs than berthd may use. */
int placement_place(const struct ctr *c, json_t *host, char **ret_cpus, struct berth_error **err);
/* Docker's NetworkSettings of c (inspect). New reference. */
json_t *netctr_settings(const struct ctr *c);
/* /containers/json's Ports of c. New reference. */
json_t *netctr_ports_list(const struct ctr *c);
