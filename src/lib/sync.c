#include "sync.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct sync_msg {
    int type;
    int errnum;
    char text[1024];
};

int berth_sync_pair(int fds[2], struct berth_error **err)
{
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
        return berth_error_set(err, errno, "cannot create the sync socket pair");
    return 0;
}

static int send_msg(int fd, const struct sync_msg *m)
{
    size_t len = offsetof(struct sync_msg, text) + strlen(m->text) + 1;
    for (;;) {
        ssize_t w = send(fd, m, len, MSG_NOSIGNAL);
        if (w >= 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

int berth_sync_send(int fd, enum berth_sync_type type, struct berth_error **err)
{
    struct sync_msg m = {.type = type};
    int r = send_msg(fd, &m);
    if (r < 0)
        return berth_error_set(err, -r, "cannot write to the sync socket");
    return 0;
}

void berth_sync_send_error(int fd, const struct berth_error *e)
{
    struct sync_msg m = {.type = BERTH_SYNC_ERROR, .errnum = e ? e->errnum : EIO};
    snprintf(m.text, sizeof(m.text), "%s", e ? e->msg : "container init failed");
    (void)send_msg(fd, &m);
}

int berth_sync_recv(int fd, struct berth_error **err)
{
    struct sync_msg m;
    ssize_t n;

    do
        n = recv(fd, &m, sizeof(m), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return berth_error_set(err, errno, "cannot read from the sync socket");
    if (n == 0)
        return 0;
    if ((size_t)n < offsetof(struct sync_msg, text))
        return berth_error_set(err, EPROTO, "short message on the sync socket");
    if (m.type == BERTH_SYNC_ERROR) {
        m.text[sizeof(m.text) - 1] = '\0';
        return berth_error_set(err, m.errnum, "%s", m.text);
    }
    return m.type;
}
