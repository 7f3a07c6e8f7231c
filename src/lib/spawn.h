#pragma once
/* Starting the container's first process with clone3(2): into its new
 * namespaces and, with a cgroup fd, straight into its cgroup
 * (CLONE_INTO_CGROUP), in one of two ways:
 *  - exec: the child execs `exe_fd` at once. On x86-64 and arm64 it shares
 *    the caller's memory until then (CLONE_VM, like vfork without the wait),
 *    so neither the caller's address space is copied nor does the caller
 *    wait for the exec: both go on in parallel.
 *  - in process: the child is a copy of the caller and runs fn(arg), whose
 *    return value is its exit status.
 * Every signal is blocked in the caller around the clone (and so in the
 * child, which must set its own mask): no handler of the caller's runs in
 * the child. The caller's dumpable flag and namespaces are not touched. */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct berth_error;

struct berth_spawn {
    uint64_t flags; /* CLONE_NEW* and CLONE_PARENT; CLONE_PIDFD is added */
    int cgroup_fd;  /* >= 0: CLONE_INTO_CGROUP */
    int stdio[3];   /* >= 3: dup'ed onto 0, 1, 2 in the child; -1: inherited */
    /* exec */
    int exe_fd; /* >= 0: execveat(exe_fd, "", argv, envp, AT_EMPTY_PATH) */
    char *const *argv;
    char *const *envp;
    const int *keep_fds; /* these survive the exec (their FD_CLOEXEC is cleared) */
    size_t n_keep;
    void *stack; /* exec with CLONE_VM: the child's stack until its exec */
    size_t stack_size;
    /* exec into a new user namespace: > 0, the child first waits for a
     * message on this fd (the runtime has written its id maps), then
     * becomes uid and gid 0 there, so that its exec keeps its capabilities;
     * nothing read means the runtime is gone, and the child exits */
    int gate_fd;
    /* in process (exe_fd < 0) */
    int (*fn)(void *arg);
    void *arg;
};

/* Stack size the exec way needs (the caller maps it and unmaps it once the
 * child has exec'd or died). */
#define BERTH_SPAWN_STACK (64 * 1024)

/* Returns the child's pid and its pidfd in *ret_pidfd, or -errno with *err
 * set. A failed exec in the child makes it exit with the errno as status. */
pid_t berth_spawn(const struct berth_spawn *s, int *ret_pidfd, struct berth_error **err);

/* The end of a helper process that clones the container's process: with
 * `err` NULL, spawns `s` and sends the child's PID (BERTH_SYNC_CHILD) on
 * `sync_fd`; else, or when the spawn fails, sends the error. Exits: 0 once
 * the PID went, EPIPE when it could not, 127 after an error. */
_Noreturn void berth_spawn_report(const struct berth_spawn *s, int sync_fd,
                                  struct berth_error *err);
