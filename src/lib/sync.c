#include "sync.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A data message is its header (value = total length) followed by pieces of
 * at most DATA_PIECE bytes, each one packet. */
#define DATA_PIECE (32 * 1024)
#define DATA_MAX   (64 * 1024 * 1024)

struct sync_msg {
    int type;
    int errnum; /* ERROR: the errno; value messages: the value */
    char text[1024];
};

int berth_sync_pair(int fds[2], struct berth_error **err)
{
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
        return berth_error_set(err, errno, "cannot create the sync socket pair");
    return 0;
}

static int send_raw(int fd, const void *buf, size_t len)
{
    for (;;) {
        ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
        if (w >= 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

static int send_msg(int fd, const struct sync_msg *m)
{
    return send_raw(fd, m, offsetof(struct sync_msg, text) + strlen(m->text) + 1);
}

int berth_sync_send_value(int fd, enum berth_sync_type type, int value, struct berth_error **err)
{
    struct sync_msg m = {.type = type, .errnum = value};
    int r = send_msg(fd, &m);
    if (r < 0)
        return berth_error_set(err, -r, "cannot write to the sync socket");
    return 0;
}

int berth_sync_send(int fd, enum berth_sync_type type, struct berth_error **err)
{
    return berth_sync_send_value(fd, type, 0, err);
}

int berth_sync_send_data(int fd, enum berth_sync_type type, const void *data, size_t len,
                         struct berth_error **err)
{
    if (len > DATA_MAX)
        return berth_error_set(err, E2BIG, "sync message of %zu bytes is too large", len);
    int r = berth_sync_send_value(fd, type, (int)len, err);
    for (size_t off = 0; r >= 0 && off < len; off += DATA_PIECE) {
        size_t n = len - off < DATA_PIECE ? len - off : DATA_PIECE;
        if ((r = send_raw(fd, (const char *)data + off, n)) < 0)
            return berth_error_set(err, -r, "cannot write to the sync socket");
    }
    return r;
}

void berth_sync_send_error(int fd, const struct berth_error *e)
{
    struct sync_msg m = {.type = BERTH_SYNC_ERROR, .errnum = e ? e->errnum : EIO};
    snprintf(m.text, sizeof(m.text), "%s", e ? e->msg : "container init failed");
    (void)send_msg(fd, &m);
}

/* A peer that exits with unread messages of ours leaves ECONNRESET pending on
 * our end, and the kernel reports it before the messages it queued (its
 * error report among them): the error is consumed by that one recv, so
 * retry once to read them (or the end of the stream). */
static bool retry_recv(int *resets)
{
    return errno == EINTR || (errno == ECONNRESET && (*resets)++ == 0);
}

static ssize_t recv_raw(int fd, void *buf, size_t len)
{
    ssize_t n;
    int resets = 0;
    do
        n = recv(fd, buf, len, 0);
    while (n < 0 && retry_recv(&resets));
    return n < 0 ? -errno : n;
}

int berth_sync_recv(int fd, int *ret_value, struct berth_error **err)
{
    struct sync_msg m;
    ssize_t n = recv_raw(fd, &m, sizeof(m));

    if (n < 0)
        return berth_error_set(err, (int)-n, "cannot read from the sync socket");
    if (n == 0)
        return 0;
    if ((size_t)n < offsetof(struct sync_msg, text))
        return berth_error_set(err, EPROTO, "short message on the sync socket");
    if (m.type == BERTH_SYNC_ERROR) {
        m.text[sizeof(m.text) - 1] = '\0';
        return berth_error_set(err, m.errnum, "%s", m.text);
    }
    if (ret_value)
        *ret_value = m.errnum;
    return m.type;
}

int berth_sync_recv_data(int fd, enum berth_sync_type type, char **ret, size_t *ret_len,
                         struct berth_error **err)
{
    int len = 0;
    int r = berth_sync_recv(fd, &len, err);
    if (r < 0)
        return r;
    if (r != (int)type || len < 0 || len > DATA_MAX)
        return berth_error_set(err, EPROTO, "unexpected message on the sync socket (%d)", r);
    _cleanup_free_ char *buf = xmalloc((size_t)len + 1);
    for (size_t off = 0; off < (size_t)len;) {
        ssize_t n = recv_raw(fd, buf + off, (size_t)len - off);
        if (n <= 0)
            return berth_error_set(err, n < 0 ? (int)-n : EPROTO,
                                   "cannot read from the sync socket");
        off += (size_t)n;
    }
    buf[len] = '\0';
    *ret = TAKE_PTR(buf);
    if (ret_len)
        *ret_len = (size_t)len;
    return 0;
}

int berth_sync_send_fds(int fd, enum berth_sync_type type, const int *fds, size_t n,
                        struct berth_error **err)
{
    struct sync_msg m = {.type = type, .errnum = (int)n};
    union {
        char buf[CMSG_SPACE(sizeof(int) * BERTH_SYNC_MAX_FDS)];
        struct cmsghdr align;
    } c;
    struct iovec iov = {.iov_base = &m, .iov_len = offsetof(struct sync_msg, text) + 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

    if (n > BERTH_SYNC_MAX_FDS)
        return berth_error_set(err, E2BIG, "cannot pass %zu fds at once", n);
    if (n > 0) {
        memset(&c, 0, sizeof(c));
        mh.msg_control = c.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
    }
    while (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
        if (errno != EINTR)
            return berth_error_set(err, errno, "cannot write to the sync socket");
    return 0;
}

static void close_passed(struct msghdr *mh)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *v = (int *)CMSG_DATA(cm);
        for (size_t i = 0; i < k; i++)
            close(v[i]);
    }
}

int berth_sync_recv_fds(int fd, enum berth_sync_type type, int *ret_fds, size_t n,
                        struct berth_error **err)
{
    struct sync_msg m;
    union {
        char buf[CMSG_SPACE(sizeof(int) * BERTH_SYNC_MAX_FDS)];
        struct cmsghdr align;
    } c;
    struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof(c.buf)};
    ssize_t r;

    int resets = 0;
    while ((r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) < 0 && retry_recv(&resets))
        ;
    if (r < 0)
        return berth_error_set(err, errno, "cannot read from the sync socket");
    if (r >= (ssize_t)offsetof(struct sync_msg, text) && m.type == BERTH_SYNC_ERROR) {
        close_passed(&mh);
        m.text[sizeof(m.text) - 1] = '\0';
        return berth_error_set(err, m.errnum, "%s", m.text);
    }
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    bool ok = r >= (ssize_t)offsetof(struct sync_msg, text) && m.type == (int)type &&
              m.errnum == (int)n && !(mh.msg_flags & MSG_CTRUNC) &&
              (n == 0 ||
               (cm && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int) * n)));
    if (!ok) {
        close_passed(&mh);
        return berth_error_set(err, EPROTO, "unexpected message on the sync socket (%d)",
                               r > 0 ? m.type : 0);
    }
    if (n > 0)
        memcpy(ret_fds, CMSG_DATA(cm), sizeof(int) * n);
    return 0;
}
