#include "process.h"
#include "caps.h"
#include "cleanup.h"
#include "error.h"
#include "fs.h"
#include "lsm.h"
#include "oci.h"
#include "seccomp-prog.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static int set_rlimits(const struct berth_process *p, struct berth_error **err)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
        if (setrlimit(p->rlimits[i].resource, &rl) < 0)
            return berth_error_set(err, errno, "cannot set rlimit %d", p->rlimits[i].resource);
    }
    return 0;
}

int berth_process_set_oom_score(const struct berth_process *p, struct berth_error **err)
{
    if (p->has_oom_score_adj) {
        char buf[16];
        int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
        int r = write_file_at(AT_FDCWD, "/proc/self/oom_score_adj", buf, n, NULL);
        if (r < 0)
            return berth_error_set(err, -r, "cannot set oomScoreAdj to %d", p->oom_score_adj);
    }
    return 0;
}

static bool setgroups_denied(void)
{
    _cleanup_free_ char *s = NULL;
    return read_file_at(AT_FDCWD, "/proc/self/setgroups", &s, NULL, NULL) >= 0 &&
           strncmp(s, "deny", 4) == 0;
}

static const char *env_path(char **env)
{
    for (char **e = env; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            return *e + 5;
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

static bool is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Looks the payload up in the container's PATH now, so `create` fails when
 * it is missing instead of a later `start` exiting 127. */
static int find_executable(const struct berth_process *p, char **ret, struct berth_error **err)
{
    const char *name = p->args[0];
    if (strchr(name, '/')) {
        if (!is_executable(name))
            return berth_error_set(err, errno ? errno : EACCES, "cannot exec '%s'", name);
        *ret = xstrdup(name);
        return 0;
    }
    _cleanup_free_ char *path = xstrdup(env_path(p->env));
    for (char *save = NULL, *dir = strtok_r(path, ":", &save); dir;
         dir = strtok_r(NULL, ":", &save)) {
        _cleanup_free_ char *cand = xasprintf("%s/%s", *dir ? dir : ".", name);
        if (is_executable(cand)) {
            *ret = TAKE_PTR(cand);
            return 0;
        }
    }
    return berth_error_set(err, ENOENT, "cannot find executable '%s' in the container's PATH",
                           name);
}

static int enter_cwd(const char *cwd, struct berth_error **err)
{
    if (chdir(cwd) == 0)
        return 0;
    _cleanup_close_ int fd = berth_fs_open_in_root(AT_FDCWD, cwd, BERTH_MKPATH_DIR, err);
    if (fd < 0)
        return berth_error_wrap(err, "cannot use process.cwd");
    if (fchdir(fd) < 0)
        return berth_error_set(err, errno, "cannot chdir to '%s'", cwd);
    return 0;
}

static int check_cwd_inside(struct berth_error **err)
{
    char buf[4096];
    /* getcwd() fails (or says "(unreachable)") when the working directory is
     * outside our root: the CVE-2024-21626 trick with a leaked host fd. */
    if (getcwd(buf, sizeof(buf)) == NULL || buf[0] != '/')
        return berth_error_set(err, EPERM, "process.cwd is outside the container root");
    return 0;
}

int berth_process_prepare(const struct berth_process *p, char **ret_exe, struct berth_error **err)
{
    int r = enter_cwd(p->cwd, err);
    if (r >= 0)
        r = check_cwd_inside(err);
    return r < 0 ? r : find_executable(p, ret_exe, err);
}

static int switch_user(const struct berth_process *p, struct berth_error **err)
{
    const struct berth_user *u = &p->user;
    int r;
    /* An absent process.capabilities means empty sets (runc): every
     * capability not configured goes, also for uid 0. */
    if ((r = berth_caps_drop_bounding(&p->caps, err)) < 0)
        return r;
    /* a user namespace whose gid_map an unprivileged runtime wrote has
     * setgroups denied (userns.h): with no groups to set, none are set */
    if (setgroups(u->n_additional_gids, u->additional_gids) < 0 &&
        !(errno == EPERM && u->n_additional_gids == 0 && setgroups_denied()))
        return berth_error_set(err, errno, "cannot set additional groups");
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return berth_error_set(err, errno, "cannot keep capabilities across setuid");
    if (setresgid(u->gid, u->gid, u->gid) < 0)
        return berth_error_set(err, errno, "cannot set gid %u", (unsigned)u->gid);
    if (setresuid(u->uid, u->uid, u->uid) < 0)
        return berth_error_set(err, errno, "cannot set uid %u", (unsigned)u->uid);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return berth_error_set(err, errno, "cannot reset keepcaps");
    if ((r = berth_caps_apply(&p->caps, err)) < 0)
        return r;
    if (u->has_umask)
        umask(u->umask);
    return 0;
}

int berth_process_exec(const struct berth_seccomp *seccomp, const struct berth_seccomp_prog *prog,
                       const struct berth_process *p, const char *exe, struct berth_error **err)
{
    if (!seccomp != !prog)
        return berth_error_set(err, EPROTO, "the seccomp filter was not compiled");
    int r = set_rlimits(p, err);
    if (r < 0 || (r = berth_lsm_apply_exec(p, err)) < 0)
        return r;
    /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
     * user switch may drop: load it first then (runc does the same). */
    if (prog && !p->no_new_privileges && (r = berth_seccomp_install(prog, err)) < 0)
        return r;
    if ((r = switch_user(p, err)) < 0)
        return r;
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return berth_error_set(err, errno, "cannot set no_new_privs");
    if (prog && p->no_new_privileges && (r = berth_seccomp_install(prog, err)) < 0)
        return r;
    execve(exe, p->args, p->env);
    return berth_error_set(err, errno, "cannot exec '%s'", p->args[0]);
}

int berth_send_fd(int sock, int fd, const char *name, struct berth_error **err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name) + 1};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

    memset(u.buf, 0, sizeof(u.buf));
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
        if (errno != EINTR)
            return berth_error_set(err, errno, "cannot send the terminal over the console socket");
    return 0;
}

int berth_recv_fd(int sock, struct berth_error **err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    char name[256];
    struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    int fd = -1;

    while (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0)
        if (errno != EINTR)
            return berth_error_set(err, errno, "cannot receive the terminal");
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c == NULL || c->cmsg_type != SCM_RIGHTS)
        return berth_error_set(err, EPROTO, "no terminal came over the console socket");
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

/* A pty opened from inside the container: its devpts, not the host's. */
static int open_pty(int *ret_slave, char name[64], struct berth_error **err)
{
    int unlock = 0, n = 0;
    _cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return berth_error_set(err, errno, "cannot open '/dev/ptmx' in the container");
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
        return berth_error_set(err, errno, "cannot unlock the container's pty");
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return berth_error_set(err, errno, "cannot open the container's pty");
    snprintf(name, 64, "/dev/pts/%d", n);
    *ret_slave = slave;
    return TAKE_FD(master);
}

int berth_process_console(int console_fd, const struct berth_process *p, struct berth_error **err)
{
    char name[64];
    _cleanup_close_ int slave = -1;
    _cleanup_close_ int master = open_pty(&slave, name, err);
    if (master < 0)
        return master;
    if (p->has_console_size) {
        struct winsize ws = {.ws_row = p->console_height, .ws_col = p->console_width};
        if (ioctl(master, TIOCSWINSZ, &ws) < 0)
            return berth_error_set(err, errno, "cannot set the terminal size");
    }
    int r = berth_send_fd(console_fd, master, name, err);
    if (r < 0)
        return r;
    if (setsid() < 0 && errno != EPERM)
        return berth_error_set(err, errno, "cannot start a session for the terminal");
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return berth_error_set(err, errno, "cannot make '%s' the controlling terminal", name);
    if (fchown(slave, p->user.uid, (gid_t)-1) < 0)
        return berth_error_set(err, errno, "cannot give '%s' to uid %u", name,
                               (unsigned)p->user.uid);
    for (int i = 0; i < 3; i++)
        if (dup2(slave, i) < 0)
            return berth_error_set(err, errno, "cannot make '%s' the stdio", name);
    return 0;
}
