#include "userns.h"
#include "cleanup.h"
#include "error.h"
#include "mount.h"
#include "mountopt.h"
#include "oci.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

extern char **environ;

bool berth_userns_new(const struct berth_config *c)
{
    return c->ns[BERTH_NS_USER].enabled && c->ns[BERTH_NS_USER].path == NULL;
}

static int64_t host_of_root(const struct berth_id_mapping *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].container_id == 0)
            return v[i].host_id;
    return -1;
}

void berth_userns_root(const struct berth_config *c, uid_t *ret_uid, gid_t *ret_gid)
{
    if (!berth_userns_new(c)) {
        *ret_uid = geteuid();
        *ret_gid = getegid();
        return;
    }
    *ret_uid = (uid_t)host_of_root(c->uid_mappings, c->n_uid_mappings);
    *ret_gid = (gid_t)host_of_root(c->gid_mappings, c->n_gid_mappings);
}

static char *map_text(const struct berth_id_mapping *v, size_t n)
{
    char *text = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *next = xasprintf("%s%u %u %u\n", text, v[i].container_id, v[i].host_id, v[i].size);
        free(text);
        text = next;
    }
    return text;
}

/* The first line of what a helper said on stderr, for the error message. */
static char *first_line(int fd)
{
    char buf[512];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return xstrdup(buf);
}

/* newuidmap PID CID HID SIZE …, its stderr captured. (src/lib/spawn.h
 * hides libc's <spawn.h>, so a plain fork.) */
static int run_map_tool(const char *tool, pid_t pid, const struct berth_id_mapping *v, size_t n,
                        struct berth_error **err)
{
    _cleanup_strv_ char **argv = xzalloc((3 + 3 * n) * sizeof(char *));
    _cleanup_close_ int rd = -1, wr = -1;
    int p[2], status = 0;

    argv[0] = xstrdup(tool);
    argv[1] = xasprintf("%d", (int)pid);
    for (size_t i = 0; i < n; i++) {
        argv[2 + 3 * i] = xasprintf("%u", v[i].container_id);
        argv[3 + 3 * i] = xasprintf("%u", v[i].host_id);
        argv[4 + 3 * i] = xasprintf("%u", v[i].size);
    }
    if (pipe2(p, O_CLOEXEC) < 0)
        return berth_error_set(err, errno, "cannot run '%s'", tool);
    rd = p[0];
    wr = p[1];
    pid_t child = fork();
    if (child < 0)
        return berth_error_set(err, errno, "cannot run '%s'", tool);
    if (child == 0) {
        dup2(wr, STDOUT_FILENO);
        dup2(wr, STDERR_FILENO);
        execvp(tool, argv);
        _exit(errno == ENOENT ? 127 : 126);
    }
    close(TAKE_FD(wr));
    _cleanup_free_ char *said = first_line(rd);
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return berth_error_set(err, ENOENT,
                               "cannot run '%s' (shadow's uidmap package), which maps ids other "
                               "than the caller's own",
                               tool);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return berth_error_set(err, EPERM, "'%s' failed: %s", tool, *said ? said : "no message");
    return 0;
}

static int write_proc(pid_t pid, const char *file, const char *text, struct berth_error **err)
{
    _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
    int r = write_file_at(AT_FDCWD, path, text, strlen(text), NULL);
    if (r < 0)
        return berth_error_set(err, -r, "cannot write '%s' of the container init", file);
    return 0;
}

static bool only_own(const struct berth_id_mapping *v, size_t n, uint32_t id)
{
    return n == 1 && v[0].host_id == id && v[0].size == 1;
}

int berth_userns_write_maps(pid_t pid, const struct berth_config *c, struct berth_error **err)
{
    bool root = geteuid() == 0;
    int r;

    if (!berth_userns_new(c))
        return 0;
    _cleanup_free_ char *gids = map_text(c->gid_mappings, c->n_gid_mappings);
    _cleanup_free_ char *uids = map_text(c->uid_mappings, c->n_uid_mappings);
    if (root)
        r = write_proc(pid, "gid_map", gids, err);
    else if (only_own(c->gid_mappings, c->n_gid_mappings, getegid())) {
        /* an unprivileged gid_map needs setgroups denied for good: else
         * the container could drop a group that denies it access */
        if ((r = write_proc(pid, "setgroups", "deny", err)) >= 0)
            r = write_proc(pid, "gid_map", gids, err);
    } else
        r = run_map_tool("newgidmap", pid, c->gid_mappings, c->n_gid_mappings, err);
    if (r < 0)
        return r;
    if (root || only_own(c->uid_mappings, c->n_uid_mappings, geteuid()))
        r = write_proc(pid, "uid_map", uids, err);
    else
        r = run_map_tool("newuidmap", pid, c->uid_mappings, c->n_uid_mappings, err);
    if (r < 0 || !c->process.has_oom_score_adj)
        return r;
    /* in there the init lacks CAP_SYS_RESOURCE to lower it (runc sets it
     * before it makes the namespace) */
    _cleanup_free_ char *v = xasprintf("%d", c->process.oom_score_adj);
    return write_proc(pid, "oom_score_adj", v, err);
}

static bool setgroups_denied(void)
{
    _cleanup_free_ char *s = NULL;
    return read_file_at(AT_FDCWD, "/proc/self/setgroups", &s, NULL, NULL) >= 0 &&
           strncmp(s, "deny", 4) == 0;
}

int berth_userns_become_root(struct berth_error **err)
{
    if (!setgroups_denied() && setgroups(0, NULL) < 0)
        return berth_error_set(err, errno, "cannot drop the host's groups in the user namespace");
    /* EINVAL: 0 is not mapped */
    if (setresgid(0, 0, 0) < 0)
        return berth_error_set(err, errno, "cannot become gid 0 in the user namespace");
    if (setresuid(0, 0, 0) < 0)
        return berth_error_set(err, errno, "cannot become uid 0 in the user namespace");
    return 0;
}

int berth_timens_setup(const struct berth_config *c, struct berth_error **err)
{
    static const int clocks[BERTH_CLOCK_COUNT] = {CLOCK_MONOTONIC, CLOCK_BOOTTIME};
    if (!c->ns[BERTH_NS_TIME].enabled || c->ns[BERTH_NS_TIME].path)
        return 0;
    if (unshare(CLONE_NEWTIME) < 0)
        return berth_error_set(err, errno, "cannot create the time namespace");
    _cleanup_free_ char *text = xstrdup("");
    for (int i = 0; i < BERTH_CLOCK_COUNT; i++) {
        const struct berth_time_offset *o = &c->time_offsets[i];
        if (!o->set)
            continue;
        char *next = xasprintf("%s%d %lld %u\n", text, clocks[i], (long long)o->secs, o->nanosecs);
        free(text);
        text = next;
    }
    int r =
        *text ? write_file_at(AT_FDCWD, "/proc/self/timens_offsets", text, strlen(text), NULL) : 0;
    if (r < 0)
        return berth_error_set(err, -r, "cannot set 'linux.timeOffsets' of the time namespace");
    /* and we enter it ourselves: kernels before 5.18 (fs/exec: switch timens
     * when a task gets a new mm) would keep the payload, exec'd by us, out
     * of it, and `exec` joins the namespace /proc/PID/ns/time shows */
    _cleanup_close_ int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
        return berth_error_set(err, errno, "cannot enter the time namespace");
    return 0;
}

int berth_personality_apply(const struct berth_config *c, struct berth_error **err)
{
    if (c->has_personality && personality(c->personality) < 0)
        return berth_error_set(err, errno, "cannot set 'linux.personality' (0x%lx)",
                               c->personality);
    return 0;
}

int berth_userns_bind_host(int rootfd, const struct berth_mount *m, const char *source,
                           unsigned long flags, struct berth_error **err)
{
    struct berth_mount b = *m;
    b.source = (char *)source;
    b.type = NULL;
    b.data = NULL;
    b.is_bind = true;
    /* a locked atime mode (the host's) may not change: it is left alone */
    b.flags =
        (m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) | flags | MS_BIND | MS_REC;
    return berth_mount_bind(rootfd, &b, err);
}

size_t berth_userns_idmap_count(const struct berth_config *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_mounts; i++)
        n += c->mounts[i].idmap != 0;
    return n;
}

static int idmap_one(const struct berth_mount *m, const char *bundle, int userns_fd,
                     struct berth_error **err)
{
    const char *opt = m->idmap == BERTH_IDMAP_REC ? "ridmap" : "idmap";
    unsigned rec = m->idmap == BERTH_IDMAP_REC ? AT_RECURSIVE : 0;
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd};
    _cleanup_free_ char *src =
        m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
    _cleanup_close_ int fd =
        (int)open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
    if (fd < 0)
        return berth_error_set_sys(err, errno, "cannot clone '%s' for the '%s' mount on '%s'", src,
                                   opt, m->destination);
    if (mount_setattr(fd, "", AT_EMPTY_PATH | rec, &attr, sizeof(attr)) < 0)
        return berth_error_set_sys(err, errno, "cannot idmap '%s' for the '%s' mount on '%s'", src,
                                   opt, m->destination);
    return TAKE_FD(fd);
}

int berth_userns_idmap_mounts(const struct berth_config *c, const char *bundle, int userns_fd,
                              int *ret_fds, struct berth_error **err)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_mounts; i++) {
        if (!c->mounts[i].idmap)
            continue;
        int fd = idmap_one(&c->mounts[i], bundle, userns_fd, err);
        if (fd < 0) {
            while (n > 0)
                close(ret_fds[--n]);
            return fd;
        }
        ret_fds[n++] = fd;
    }
    return 0;
}
