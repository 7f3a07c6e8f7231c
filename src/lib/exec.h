#pragma once
/* The processes of `exec` (container.h: berth_container_exec) on the child
 * side. A helper, running the protected binary (exe.h) outside the
 * container, joins the container's namespaces and clones the process with
 * CLONE_PARENT, so the runtime is its parent and nothing in the container
 * ever sees it run the writable binary. */
#include <stddef.h>

struct berth_init_args;

/* The helper: setns() into each of `ns_fds` (opened by the runtime from
 * the container init's /proc/PID/ns; the mount namespace last), clone the
 * process (into the cgroup `cgroup_fd` where >= 0), tell the runtime its
 * pid (BERTH_SYNC_CHILD) and exit. */
_Noreturn void berth_exec_spawn_joined(const struct berth_init_args *a, const int *ns_fds,
                                       size_t n_ns, int cgroup_fd);
