#pragma once
/* The container's init before it execs the payload: runs in the cloned child
 * (new namespaces), never returns, and reports any failure to the runtime over
 * the sync socket as one error (STYLE.md: a cloned child never prints, except
 * after `create` returned, when no one is left to tell but its stderr). */
#include <stdbool.h>

struct berth_config;
struct berth_cgroup;

struct berth_init_args {
    const struct berth_config *config;
    const struct berth_cgroup *cgroup; /* for cgroup mounts; may be NULL */
    const char *bundle;
    int sync_fd;
    int fifo_fd; /* create: read end of exec.fifo (O_NONBLOCK); run: -1 */
};

_Noreturn void berth_init_main(const struct berth_init_args *a);
