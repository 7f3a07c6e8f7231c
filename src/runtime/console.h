#pragma once
/* Terminals in the front end: the --console-socket a caller names, and the
 * pty proxy of a foreground run or exec whose process has a terminal. */
#include <stdbool.h>

struct berth_error;

/* Connects to the UNIX socket at `path` (runc's --console-socket): the fd,
 * or prints an error naming it and returns -1. */
int rt_console_connect(const char *path);

/* A socket pair for a console this process receives itself: *ret_ours is
 * read with berth_recv_fd, *ret_theirs goes to the lib. 0 or -1 (printed). */
int rt_console_pair(int *ret_ours, int *ret_theirs);

/* Foreground with a terminal: copies our stdin to the pty master and the
 * master to our stdout until the process (pidfd) exits, with our terminal in
 * raw mode; forwards every signal from signalfd `sfd` to the process, and
 * SIGWINCH as a resize of the pty. */
void rt_tty_proxy(int master, int pidfd, int sfd);

/* Foreground without a terminal: forwards every signal from signalfd `sfd`
 * to the process (pidfd) until it exits. */
void rt_supervise(int pidfd, int sfd);
