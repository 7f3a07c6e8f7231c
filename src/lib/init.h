#pragma once
/* The container's init before it execs the payload: runs in the cloned child
 * (new namespaces), never returns, and reports any failure to the runtime over
 * the sync socket as one error (STYLE.md: a cloned child never prints, except
 * after `create` returned, when no one may be left to tell but its stderr).
 *
 * It starts one of two ways (launch.c): in a copy of the caller, when the
 * caller's binary is already safe to expose (exe.h), or as a fresh exec of a
 * read-only view of the binary, entered through berth_init_dispatch() with
 * its arguments sent over the sync socket. In a PID namespace joined by
 * path, a helper joins it and clones the init (CLONE_PARENT: the caller stays
 * the init's parent), so the init is never seen there running the caller's
 * writable binary. */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct berth_config;
struct berth_cgroup;
struct berth_seccomp_prog;

struct berth_init_args {
    const struct berth_config *config;
    const struct berth_cgroup *cgroup; /* for cgroup mounts; may be NULL */
    const char *bundle;
    int sync_fd;
    int fifo_fd;              /* create: exec.fifo, read+write, non-blocking; run: -1 */
    const char *error_prefix; /* late errors go to stderr with it; NULL: they do not */
    int console_fd;           /* process.terminal: where the pty master goes; else -1 */
    int preserve_fds;         /* fds 3 .. 3+N-1 of the caller go to the payload */
    bool new_keyring;         /* join a new session keyring (runc's default) */
    bool no_pivot;            /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
    const char *id;           /* names the keyring */
    int cgroupns_fd;          /* exec: the container's cgroup namespace, joined last; -1 */
    bool userns_mapped;       /* a new user namespace's maps were awaited before our exec */
    /* config->seccomp compiled by the runtime (seccomp-cache.h); NULL without */
    const struct berth_seccomp_prog *seccomp;
};

_Noreturn void berth_init_main(const struct berth_init_args *a);

/* In a helper child: joins the PID namespace `pidns_fd` and then the user
 * namespace `userns_fd` (either may be -1), clones the init into
 * it with `flags` (CLONE_NEW*) as a child of the helper's parent, tells the
 * runtime its pid (BERTH_SYNC_CHILD) and exits. */
_Noreturn void berth_init_spawn_joined(const struct berth_init_args *a, int pidns_fd, int userns_fd,
                                       uint64_t flags, int cgroup_fd);

/* argv[1] of a re-executed init. */
#define BERTH_INIT_ARG "--berth-init"

/* Every program that creates containers calls this first in main(): when it
 * was exec'd as a container's init (argv: PROG --berth-init SYNC_FD) it
 * becomes that init and never returns; otherwise it returns at once. */
void berth_init_dispatch(int argc, char **argv);
