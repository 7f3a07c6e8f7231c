#include "console.h"
#include "runtime.h"
#include "cleanup.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

int rt_console_connect(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path)) {
        rt_error("cannot use console socket '%s': path too long", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        rt_error("cannot use console socket '%s': %s", path,
                 e == ECONNREFUSED || e == ENOTSOCK ? "not a listening socket" : strerror(e));
        return -1;
    }
    return fd;
}

int rt_console_pair(int *ret_ours, int *ret_theirs)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        rt_error("cannot create a console socket pair: %s", strerror(errno));
        return -1;
    }
    *ret_ours = sv[0];
    *ret_theirs = sv[1];
    return 0;
}

static void resize(int master)
{
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
        (void)ioctl(master, TIOCSWINSZ, &ws);
}

/* Copies what is readable on `from` to `to`; false at EOF or error. */
static bool pump(int from, int to)
{
    char buf[8192];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n <= 0)
        return n < 0 && (errno == EINTR || errno == EAGAIN);
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w < 0 && errno != EINTR)
            return false;
        off += w > 0 ? w : 0;
    }
    return true;
}

static void forward(int sfd, int pidfd, int master)
{
    struct signalfd_siginfo si;
    if (read(sfd, &si, sizeof(si)) != sizeof(si))
        return;
    if (si.ssi_signo == SIGWINCH)
        resize(master);
    else
        syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
}

void rt_tty_proxy(int master, int pidfd, int sfd)
{
    struct termios saved, raw;
    bool is_tty = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (is_tty) {
        raw = saved;
        cfmakeraw(&raw);
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        resize(master);
    }
    struct pollfd p[4] = {{.fd = master, .events = POLLIN},
                          {.fd = STDIN_FILENO, .events = POLLIN},
                          {.fd = sfd, .events = POLLIN},
                          {.fd = pidfd, .events = POLLIN}};
    for (;;) {
        if (poll(p, 4, -1) < 0 && errno != EINTR)
            break;
        if ((p[0].revents & (POLLIN | POLLHUP)) && !pump(master, STDOUT_FILENO))
            break; /* every writer of the pty is gone */
        if ((p[1].revents & (POLLIN | POLLHUP)) && !pump(STDIN_FILENO, master))
            p[1].fd = -1; /* our input ended; the process may go on */
        if (p[2].revents & POLLIN)
            forward(sfd, pidfd, master);
        if (p[3].revents & POLLIN)
            p[3].fd = -1; /* exited: print what it left in the pty, then stop */
        if (p[3].fd < 0 && !(p[0].revents & POLLIN))
            break;
    }
    if (is_tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
}

void rt_supervise(int pidfd, int sfd)
{
    struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == sizeof(si))
                syscall(SYS_pidfd_send_signal, pidfd, (int)si.ssi_signo, NULL, 0);
        }
        if (p[0].revents & POLLIN)
            return;
    }
}
