#pragma once
/* The runtime <-> container-init handshake over a SOCK_SEQPACKET pair.
 * A failure inside the child travels back as one message carrying the errno
 * and the text, so the front end prints exactly one line (STYLE.md). */
#include <stdbool.h>

struct berth_error;

enum berth_sync_type {
    BERTH_SYNC_GO = 1,      /* parent -> child: cgroups are ready, go on */
    BERTH_SYNC_READY,       /* child -> parent: set up, waiting for `start` */
    BERTH_SYNC_ERROR,       /* child -> parent: setup failed (errnum + text) */
    BERTH_SYNC_DEVICES,     /* child -> parent: the device nodes exist */
    BERTH_SYNC_DEVICES_SET, /* parent -> child: the device rules are in force */
};

/* Creates the pair (both ends O_CLOEXEC). */
int berth_sync_pair(int fds[2], struct berth_error **err);

int berth_sync_send(int fd, enum berth_sync_type type, struct berth_error **err);

/* Child side: sends e as an ERROR message; best effort, never fails. */
void berth_sync_send_error(int fd, const struct berth_error *e);

/* Receives one message. Returns the type, 0 on EOF (the peer closed its end,
 * which for the parent means the child exec'd), or -errno. An ERROR message is
 * turned into *err carrying the child's errno and text and returns -errnum. */
int berth_sync_recv(int fd, struct berth_error **err);
