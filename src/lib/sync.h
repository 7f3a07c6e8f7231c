#pragma once
/* The runtime <-> container-init handshake over a SOCK_SEQPACKET pair.
 * A failure inside the child travels back as one message carrying the errno
 * and the text, so the front end prints exactly one line (STYLE.md). */
#include <stdbool.h>
#include <stddef.h>

struct berth_error;

enum berth_sync_type {
    BERTH_SYNC_GO = 1,      /* parent -> child: cgroups are ready, go on */
    BERTH_SYNC_READY,       /* child -> parent: set up, waiting for `start` */
    BERTH_SYNC_ERROR,       /* child -> parent: setup failed (errnum + text) */
    BERTH_SYNC_DEVICES,     /* child -> parent: the device nodes exist */
    BERTH_SYNC_DEVICES_SET, /* parent -> child: the device rules are in force */
    BERTH_SYNC_INIT,        /* parent -> re-executed init: its arguments (data) */
    BERTH_SYNC_CHILD,       /* helper -> parent: the init's pid (value), in a joined PID ns */
    BERTH_SYNC_HOOKS,       /* child -> parent: mounted, run prestart and createRuntime */
    BERTH_SYNC_HOOKS_DONE,  /* parent -> child: they ran; the state JSON (data) */
    BERTH_SYNC_MAPPED,      /* parent -> child: its new user namespace's id maps are written */
    BERTH_SYNC_IDMAPS,      /* parent -> child: the idmapped mounts (fds) */

};

/* Creates the pair (both ends O_CLOEXEC). */
int berth_sync_pair(int fds[2], struct berth_error **err);

int berth_sync_send(int fd, enum berth_sync_type type, struct berth_error **err);
/* A message carrying one int (a pid, …). */
int berth_sync_send_value(int fd, enum berth_sync_type type, int value, struct berth_error **err);
/* A message carrying `len` bytes of any size (sent in pieces). */
int berth_sync_send_data(int fd, enum berth_sync_type type, const void *data, size_t len,
                         struct berth_error **err);

/* A message carrying `n` fds (at most BERTH_SYNC_MAX_FDS) as SCM_RIGHTS. */
#define BERTH_SYNC_MAX_FDS 64
int berth_sync_send_fds(int fd, enum berth_sync_type type, const int *fds, size_t n,
                        struct berth_error **err);
/* Receives a message of type `type` carrying exactly `n` fds into ret_fds
 * (O_CLOEXEC; the caller closes them). */
int berth_sync_recv_fds(int fd, enum berth_sync_type type, int *ret_fds, size_t n,
                        struct berth_error **err);

/* Child side: sends e as an ERROR message; best effort, never fails. */
void berth_sync_send_error(int fd, const struct berth_error *e);

/* Receives one message. Returns the type, 0 on EOF (the peer closed its end,
 * which for the parent means the child exec'd), or -errno. An ERROR message is
 * turned into *err carrying the child's errno and text and returns -errnum.
 * ret_value (may be NULL) gets the int of a value message. */
int berth_sync_recv(int fd, int *ret_value, struct berth_error **err);

/* Receives a data message of type `type` (caller frees *ret, NUL-terminated
 * after *ret_len bytes). */
int berth_sync_recv_data(int fd, enum berth_sync_type type, char **ret, size_t *ret_len,
                         struct berth_error **err);
