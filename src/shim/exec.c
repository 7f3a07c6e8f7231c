/* Docker's exec in the shim: berthd writes the instance's record
 * DIR/execs/EID.json ({"Config":{"Cmd","Env","WorkingDir","User",
 * "AttachStdin"}}) and sends "exec EID [detach]"; the shim starts the
 * process through libberth (it is the process's parent: it reaps it, so
 * its exit code is known) and passes berthd the pipes' other ends with its
 * reply. The exit goes to DIR/execs/EID.exit.json ({"ExitCode"}). */
#include "shim.h"
#include "cleanup.h"
#include "container.h"
#include "durable.h"
#include "process.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char **strv_from_json(json_t *a)
{
    size_t i, n = json_array_size(a);
    json_t *v;
    char **s = xzalloc((n + 1) * sizeof(char *));
    json_array_foreach(a, i, v) s[i] = xstrdup(json_string_value(v) ? json_string_value(v) : "");
    return s;
}

/* "UID[:GID]", numeric: there is no user database lookup in the shim. */
static int parse_user(const char *u, struct berth_exec_opts *o, struct berth_error **err)
{
    long long uid, gid;
    _cleanup_free_ char *s = xstrdup(u);
    char *colon = strchr(s, ':');
    if (colon)
        *colon++ = '\0';
    if (parse_i64(s, &uid) < 0 || uid < 0 || (colon && (parse_i64(colon, &gid) < 0 || gid < 0)))
        return berth_error_set(err, EINVAL,
                               "user '%s' is not supported: berth takes numeric UID[:GID] only", u);
    o->has_user = true;
    o->uid = (uid_t)uid;
    o->gid = colon ? (gid_t)gid : 0;
    return 0;
}

/* With a tty: the master comes over the console socket once the process
 * has its slave; fds as shim.h says. */
static int take_master(int sock, bool in, int fds[3], int *ret_master, struct berth_error **err)
{
    int m = berth_recv_fd(sock, err);
    if (m < 0)
        return m;
    fds[1] = m;
    fds[0] = in ? fcntl(m, F_DUPFD_CLOEXEC, 3) : -1;
    *ret_master = fcntl(m, F_DUPFD_CLOEXEC, 3);
    return 0;
}

static void console_size(json_t *cfg, struct berth_exec_opts *o)
{
    json_t *size = json_object_get(cfg, "ConsoleSize");
    json_int_t h = json_integer_value(json_array_get(size, 0));
    json_int_t w = json_integer_value(json_array_get(size, 1));
    if (h > 0 && w > 0 && h <= 65535 && w <= 65535) {
        o->console_height = (unsigned)h;
        o->console_width = (unsigned)w;
    }
}

static int make_pipes(bool in, bool out, int pin[2], int pout[2], int perr[2],
                      struct berth_error **err)
{
    if ((in && pipe2(pin, O_CLOEXEC) < 0) ||
        (out && (pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0)))
        return berth_error_set(err, errno, "cannot make the exec's pipes");
    return 0;
}

int shim_exec_start(const struct shim_args *a, const char *eid, bool detach,
                    struct berth_container **ret, int fds[3], int *ret_master,
                    struct berth_error **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/execs", a->dir);
    _cleanup_free_ char *name = xasprintf("%s.json", eid);
    *ret_master = fds[0] = fds[1] = fds[2] = -1;
    json_t *rec = json_read_file(dir, name, err);
    if (rec == NULL)
        return -ENOENT;
    json_t *cfg = json_object_get(rec, "Config");
    _cleanup_strv_ char **args = strv_from_json(json_object_get(cfg, "Cmd"));
    _cleanup_strv_ char **env = strv_from_json(json_object_get(cfg, "Env"));
    const char *cwd = json_string_value(json_object_get(cfg, "WorkingDir"));
    const char *user = json_string_value(json_object_get(cfg, "User"));
    bool in = !detach && json_is_true(json_object_get(cfg, "AttachStdin"));
    bool tty = json_is_true(json_object_get(cfg, "Tty"));
    _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1}, con[2] = {-1, -1};
    struct berth_exec_opts o = {.state_root = a->state_root,
                                .id = a->id,
                                .args = args,
                                .env = env,
                                .cwd = cwd && *cwd ? cwd : NULL,
                                .terminal = tty,
                                .console_fd = &con[1]};
    console_size(cfg, &o);
    int r = user && *user ? parse_user(user, &o, err) : 0;
    if (r == 0)
        r = tty ? shim_console_pair(con, err) : make_pipes(in, !detach, pin, pout, perr, err);
    int stdio[3] = {pin[0] >= 0 ? pin[0] : null, pout[1] >= 0 ? pout[1] : null,
                    perr[1] >= 0 ? perr[1] : null};
    o.stdio = stdio;
    if (r == 0)
        r = shim_runtime_exec(a, &o, ret, err);
    int keep[3] = {pin[1], pout[0], perr[0]};
    int drop[4] = {pin[0], pout[1], perr[1], con[1]};
    for (int i = 0; i < 3; i++) {
        fds[i] = r == 0 ? keep[i] : -1;
        if (r < 0 && keep[i] >= 0)
            close(keep[i]);
    }
    for (int i = 0; i < 4; i++)
        if (drop[i] >= 0)
            close(drop[i]);
    if (r == 0 && tty && (r = take_master(con[0], in, fds, ret_master, err)) < 0) {
        kill((*ret)->pid, SIGKILL);
        shim_exec_finish(a, eid, *ret); /* the instance ended */
        *ret = NULL;
    }
    if (con[0] >= 0)
        close(con[0]);
    json_decref(rec);
    return r;
}

void shim_exec_finish(const struct shim_args *a, const char *eid, struct berth_container *h)
{
    struct berth_exit ex = {.code = 255};
    struct berth_error *e = NULL;
    if (berth_container_wait(h, &ex, &e) < 0)
        berth_error_clear(&e);
    berth_container_free(h);
    _cleanup_free_ char *dir = xasprintf("%s/execs", a->dir);
    _cleanup_free_ char *name = xasprintf("%s.exit.json", eid);
    json_t *j = json_pack("{s:i}", "ExitCode", berth_exit_status(&ex));
    char code[16];
    snprintf(code, sizeof(code), "%d", berth_exit_status(&ex));
    /* docker's exec_die, before the record as the container's die */
    shim_event(a, "exec_die", json_pack("{s:s,s:s}", "execID", eid, "exitCode", code));
    durable_write_json(dir, name, j, NULL);
    json_decref(j);
}

int shim_send_fds(int sock, const char *text, const int fds[3])
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(3 * sizeof(int))];
    } cm;
    int v[3];
    size_t n = 0;
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            v[n++] = fds[i];
    struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (n > 0) {
        memset(&cm, 0, sizeof(cm));
        mh.msg_control = cm.buf;
        mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
        struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(h), v, n * sizeof(int));
    }
    return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}
