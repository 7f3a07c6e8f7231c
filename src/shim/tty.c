/* The container's stdio as the shim holds it (issue 13): with Config.Tty
 * a pty whose master libberth sends over a console socket (the init makes
 * the slave its controlling terminal and stdin, stdout, stderr), else two
 * pipes for stdout and stderr and, with OpenStdin, one for stdin. The
 * shim keeps stdin's write end (or a dup of the master) for the
 * container's whole life: berthd gets a dup per attach ("stdin"). */
#include "shim.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "process.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void shim_io_close(struct shim_io *io)
{
    for (int i = 0; i < 3; i++)
        if (io->stdio[i] != io->devnull)
            close_fd(&io->stdio[i]);
    close_fd(&io->devnull);
    close_fd(&io->console[0]);
    close_fd(&io->console[1]);
    close_fd(&io->out);
    close_fd(&io->err);
    close_fd(&io->in);
}

static int pipe_pair(int *ret_read, int *ret_write)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    *ret_read = p[0];
    *ret_write = p[1];
    return 0;
}

int shim_io_prepare(const struct shim_args *a, struct shim_io *io, struct berth_error **err)
{
    json_t *rec = json_read_file(a->dir, "container.json", err);
    if (rec == NULL)
        return -EINVAL;
    json_t *cfg = json_object_get(rec, "Config");
    *io = (struct shim_io){.tty = json_is_true(json_object_get(cfg, "Tty")),
                           .open_stdin = json_is_true(json_object_get(cfg, "OpenStdin")),
                           .stdin_once = json_is_true(json_object_get(cfg, "StdinOnce")),
                           .stdio = {-1, -1, -1},
                           .console = {-1, -1},
                           .out = -1,
                           .err = -1,
                           .in = -1};
    json_decref(rec);
    io->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    int r = io->devnull < 0 ? -errno : 0;
    for (int i = 0; i < 3; i++)
        io->stdio[i] = io->devnull;
    if (r == 0 && io->tty)
        r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, io->console) < 0 ? -errno : 0;
    if (r == 0 && !io->tty)
        r = pipe_pair(&io->out, &io->stdio[1]);
    if (r == 0 && !io->tty)
        r = pipe_pair(&io->err, &io->stdio[2]);
    if (r == 0 && !io->tty && io->open_stdin)
        r = pipe_pair(&io->stdio[0], &io->in);
    if (r < 0) {
        shim_io_close(io);
        return berth_error_set(err, -r, "cannot make the container's stdio");
    }
    return 0;
}

int shim_io_started(struct shim_io *io, struct berth_error **err)
{
    for (int i = 0; i < 3; i++)
        if (io->stdio[i] != io->devnull)
            close_fd(&io->stdio[i]);
    close_fd(&io->console[1]);
    if (io->tty) {
        io->out = berth_recv_fd(io->console[0], err);
        close_fd(&io->console[0]);
        if (io->out < 0)
            return io->out;
        if (io->open_stdin && (io->in = fcntl(io->out, F_DUPFD_CLOEXEC, 3)) < 0)
            return berth_error_set(err, errno, "cannot keep the container's terminal");
    }
    fcntl(io->out, F_SETFL, O_NONBLOCK);
    if (io->err >= 0)
        fcntl(io->err, F_SETFL, O_NONBLOCK);
    return 0;
}

int shim_console_pair(int sp[2], struct berth_error **err)
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        return berth_error_set(err, errno, "cannot make a console socket");
    return 0;
}

int shim_resize(int master, unsigned rows, unsigned cols)
{
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    if (master < 0)
        return -ENOTTY;
    return ioctl(master, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}
