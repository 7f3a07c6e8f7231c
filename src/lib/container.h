#pragma once
/* Container lifecycle on top of the state directory: create (clone the init
 * into its namespaces and cgroup), start, kill, delete. Each call takes the
 * container's lock for as long as it changes the state. */
#include <stdbool.h>
#include <sys/types.h>

struct berth_error;

struct berth_create_opts {
    const char *state_root;
    const char *id;
    const char *bundle;   /* directory holding config.json; made absolute */
    const char *pid_file; /* written once the init is set up; may be NULL */
    bool wait_start;      /* create: init waits for `start`; run: it execs */
};

/* Creates the container. On success the init's pid is returned in *ret_pid
 * (for run, the payload is already exec'd; the caller, its parent, reaps it)
 * and *ret_pidfd holds a pidfd for it (caller closes). On failure nothing is
 * left: no process, cgroup, state directory or mount. */
int berth_container_create(const struct berth_create_opts *o, pid_t *ret_pid, int *ret_pidfd,
                           struct berth_error **err);

/* Lets a created container's init exec the payload. EINVAL unless created. */
int berth_container_start(const char *root, const char *id, struct berth_error **err);

/* Sends sig to the init, or with `all` to every process of its cgroup.
 * ESRCH "container 'x' is not running" when stopped. */
int berth_container_kill(const char *root, const char *id, int sig, bool all,
                         struct berth_error **err);

/* Removes a stopped or created container: kills what is left (only created
 * or stopped unless force), removes its cgroup and state. */
int berth_container_delete(const char *root, const char *id, bool force, struct berth_error **err);
