#pragma once
/* berth-shim: the monitor of one container (issue 13, DESIGN.md "The
 * parts"). berthd fork+execs it per start; it detaches (own session, double
 * fork), creates the container through libberth in process, holds its
 * stdout and stderr, writes the json-file log, reaps the container (as its
 * subreaper) and records how it ended. Single-threaded: it clones.
 *
 * Files, all in the container's dir DIR (berthd's record is DIR/container.json):
 *   bundle/config.json   the OCI config it made from the record
 *   rootfs/              the overlay: image layers under upper/ (work/)
 *   ID-json.log          docker's json-file lines
 *   state.json           {"Pid","ShimPid","ShimStart","StartedAt"}, once running
 *   exit.json            {"ExitCode","Signal","OOMKilled","FinishedAt"}, once
 *                        the container is gone (its cgroup, state and mount too)
 * The control socket (one request line, one JSON reply line):
 *   status          {"Status":"running","Pid":N}
 *   wait            the same, sent once the container exited (exit.json written)
 *   kill SIG [all]  {"Ok":true} or {"Error":"..."}
 *   exec EID [detach]  starts exec instance EID (exec.c): {"Pid":N,"Stdin":B}
 *                   with its stdin's write end (when B), stdout's and stderr's
 *                   read ends passed along (SCM_RIGHTS), or {"Error":"..."} */
#include <stdbool.h>
#include <stddef.h>

struct shim_args {
    const char *id;
    const char *dir;        /* the container's data dir */
    const char *state_root; /* libberth's state root */
    const char *socket;     /* the control socket's path */
    const char *cgroup_root;
};

struct berth_error;
struct berth_container;

/* Writes DIR/bundle/config.json from DIR/container.json; *ret_layers gets
 * the image layer dirs (NULL-terminated, caller frees). */
int shim_write_config(const struct shim_args *a, char ***ret_layers, struct berth_error **err);

/* exec.c: starts exec instance `eid` (its record DIR/execs/EID.json);
 * fds get the pipes' other ends: stdin's write end (-1 without
 * AttachStdin), stdout's and stderr's read ends (-1 when detached). */
int shim_exec_start(const struct shim_args *a, const char *eid, bool detach,
                    struct berth_container **ret, int fds[3], struct berth_error **err);
/* Reaps it and writes DIR/execs/EID.exit.json; frees h. */
void shim_exec_finish(const struct shim_args *a, const char *eid, struct berth_container *h);
/* Sends `text` with the fds that are >= 0. */
int shim_send_fds(int sock, const char *text, const int fds[3]);

/* Serves the running container until it is gone; returns the exit status
 * for the shim process. */
int shim_loop(const struct shim_args *a, struct berth_container *c, int out_fd, int err_fd,
              int listen_fd, const char *rootfs);
