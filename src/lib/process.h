#pragma once
/* The last steps of a process berth starts in a container (the init's
 * payload, an exec'd process), after it has entered the container: they
 * depend only on process.* of the config and linux.seccomp. */
struct berth_process;
struct berth_seccomp;
struct berth_seccomp_prog;
struct berth_error;

/* process.oomScoreAdj of the calling process. */
int berth_process_set_oom_score(const struct berth_process *p, struct berth_error **err);

/* Enters process.cwd (made if missing, confined to the root), checks it is
 * inside the root (a leaked host fd cannot be the cwd: CVE-2024-21626), and
 * looks args[0] up in the process's PATH, so that a missing binary fails
 * now, not at exec. *ret_exe gets the path to exec (caller frees). */
int berth_process_prepare(const struct berth_process *p, char **ret_exe, struct berth_error **err);

/* rlimits, security labels, the seccomp filter `prog` (compiled from
 * `seccomp` by the runtime; one without the other is EPROTO, never a process
 * without its filter), user, groups and the five capability sets,
 * no_new_privs, then execve. Returns only on failure. */
int berth_process_exec(const struct berth_seccomp *seccomp, const struct berth_seccomp_prog *prog,
                       const struct berth_process *p, const char *exe, struct berth_error **err);

/* process.terminal: opens a new pty in the container's /dev/pts, sets its
 * size (consoleSize), sends the master over `console_fd` (SCM_RIGHTS, with
 * the pty's name as data, as runc does, for containerd, podman or berth's
 * own front end to hold) and makes the slave this process's controlling
 * terminal and stdin, stdout and stderr, owned by the process's user. */
int berth_process_console(int console_fd, const struct berth_process *p, struct berth_error **err);

/* Sends fd over the UNIX socket `sock` with `name` as the data. */
int berth_send_fd(int sock, int fd, const char *name, struct berth_error **err);
/* Receives one fd sent by berth_send_fd (O_CLOEXEC); -errno. */
int berth_recv_fd(int sock, struct berth_error **err);
