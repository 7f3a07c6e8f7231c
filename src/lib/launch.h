#pragma once
/* Starting a container's init (init.h), from the runtime's side: in a copy
 * of the caller when the caller's binary is safe to expose, else as an
 * exec of a read-only view of it (exe.h); through a helper when the PID
 * namespace is joined by path. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct berth_error;
struct berth_init_args;

struct berth_launch {
    const struct berth_init_args *args; /* args->sync_fd is the child's end */
    const char *config_text;            /* what args->config was parsed from */
    const char *cgroup_json;            /* args->cgroup serialised, or NULL */
    uint64_t flags;                     /* the init's CLONE_NEW* */
    int cgroup_fd;                      /* CLONE_INTO_CGROUP, or -1 */
    int pidns_fd;                       /* a PID namespace to join, or -1 */
    int userns_fd;                      /* a user namespace to join, or -1 */
    bool exec;                          /* exec: join the container's namespaces */
    const int *ns_fds;                  /* exec: the init's namespaces, mount last */
    size_t n_ns;

    const int *stdio; /* the init's stdin, stdout, stderr; NULL: ours */
    int sync_fd;      /* our end of the sync socket */
};

struct berth_launched {
    pid_t pid; /* the init, as we see it */
    int pidfd;
    /* The exec way's child reads its stack and description in our memory
     * until it has exec'd: berth_launched_release frees them. */
    void *stack;
    void *desc;
};

/* Starts the init; on success *ret holds its pid and pidfd. The init then
 * waits for the runtime on the sync socket. */
int berth_launch(const struct berth_launch *l, struct berth_launched *ret,
                 struct berth_error **err);

/* Closes the pidfd and frees the stack and description; call once the init
 * has exec'd or died. */
void berth_launched_release(struct berth_launched *l);
