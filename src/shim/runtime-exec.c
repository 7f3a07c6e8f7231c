/* Another OCI runtime under the shim (issue 13): when the record's
 * HostConfig.Runtime is not berth's own, the shim runs a runc-compatible
 * binary as containerd's runc shim does: `create --bundle B --pid-file F
 * ID` with the container's stdio (the binary hands its own stdio to the
 * container's init), then `start`, `kill`, `exec --detach --process`,
 * `delete --force`, each with --root EXEC/runtime-NAME and --log. As
 * subreaper the shim inherits the init (and each exec'd process) once the
 * binary exits, so the loop waits for it through a pidfd as for berth's
 * own. The container's cgroup is /berth-ID (what berthd reads for stats).
 * With berth's own runtime every call here is libberth's. */
#include "shim.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "durable.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static struct {
    bool loaded;
    char *bin;  /* NULL: berth's own */
    char *root; /* --root */
    char *log;  /* --log */
} rt;

static int load(const struct shim_args *a, struct berth_error **err)
{
    if (rt.loaded)
        return 0;
    json_t *rec = json_read_file(a->dir, "container.json", err);
    if (rec == NULL)
        return -EIO;
    const char *name =
        json_string_value(json_object_get(json_object_get(rec, "HostConfig"), "Runtime"));
    int r = 0;
    if (name && *name && !streq(name, "berth")) {
        rt.bin = name[0] == '/' ? xstrdup(name) : path_lookup(name, NULL);
        if (rt.bin == NULL)
            r = berth_error_set(err, ENOENT, "runtime '%s' not found", name);
        _cleanup_free_ char *b = xstrdup(name);
        rt.root = xasprintf("%s-%s", a->state_root, basename(b));
        rt.log = xasprintf("%s/runtime.log", a->dir);
    }
    json_decref(rec);
    rt.loaded = r == 0;
    return r;
}

/* The last line the runtime logged, for an error message. */
static char *last_log_line(void)
{
    _cleanup_fclose_ FILE *f = fopen(rt.log, "re");
    char line[1024], last[1024] = "";
    while (f && fgets(line, sizeof(line), f))
        if (line[0] != '\n')
            snprintf(last, sizeof(last), "%s", line);
    last[strcspn(last, "\n")] = '\0';
    return xstrdup(last);
}

/* Runs `BIN --root R --log L ARGS...` with stdio (NULL: /dev/null) and
 * waits for it; EIO with its log's last line when it fails. */
static int run_rt(const char *const *args, const int *stdio, struct berth_error **err)
{
    const char *argv[24] = {rt.bin, "--root", rt.root, "--log", rt.log};
    size_t n = 5;
    for (size_t i = 0; args[i] && n + 1 < ARRAY_SIZE(argv); i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0)
        return berth_error_set(err, errno, "cannot run '%s'", rt.bin);
    if (pid == 0) {
        for (int i = 0; i < 3; i++)
            dup2(stdio ? stdio[i] : null, i);
        execve(rt.bin, (char *const *)argv, environ);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    _cleanup_free_ char *msg = last_log_line();
    return berth_error_set(err, EIO, "%s %s failed: %s", rt.bin, args[0],
                           *msg ? msg : "no message");
}

/* The pid in `file`, as a handle the loop waits on (the init is ours
 * once the runtime exited: we are its subreaper). */
static int adopt(const struct shim_args *a, const char *file, bool cgroup,
                 struct berth_container **ret, struct berth_error **err)
{
    _cleanup_free_ char *text = NULL;
    long long pid = 0;
    if (read_file_at(-1, file, &text, NULL, err) < 0)
        return -EIO;
    text[strcspn(text, "\n")] = '\0';
    if (parse_i64(text, &pid) < 0 || pid <= 0)
        return berth_error_set(err, EINVAL, "bad pid file '%s'", file);
    struct berth_container *c = xzalloc(sizeof(*c));
    c->id = xstrdup(a->id);
    c->state_root = xstrdup(rt.root);
    c->pid = (pid_t)pid;
    c->status_fd = -1;
    c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
    if (c->pidfd < 0) {
        int e = errno;
        berth_container_free(c);
        return berth_error_set(err, e, "cannot watch process %lld", pid);
    }
    enum berth_cgroup_mode mode;
    _cleanup_free_ char *self = NULL;
    _cleanup_free_ char *path = xasprintf("/berth-%s", a->id);
    if (cgroup && berth_cgroup_detect("/sys/fs/cgroup", &mode, NULL) >= 0 &&
        read_file_at(-1, "/proc/self/cgroup", &self, NULL, NULL) >= 0) /* the OOM verdict */
        c->cgroup = berth_cgroup_new(mode, "/sys/fs/cgroup", self, path, a->id, 0, NULL);
    *ret = c;
    return 0;
}

/* bundle/config.json with linux.cgroupsPath /berth-ID */
static int set_cgroups_path(const struct shim_args *a, const char *bundle, struct berth_error **err)
{
    json_t *spec = json_read_file(bundle, "config.json", err);
    if (spec == NULL)
        return -EIO;
    _cleanup_free_ char *path = xasprintf("/berth-%s", a->id);
    json_t *lx = json_object_get(spec, "linux");
    if (lx == NULL)
        json_object_set_new(spec, "linux", lx = json_object());
    json_object_set_new(lx, "cgroupsPath", json_string(path));
    int r = durable_write_json(bundle, "config.json", spec, err);
    json_decref(spec);
    return r;
}

int shim_runtime_create(const struct shim_args *a, const struct berth_create_opts *o,
                        struct berth_container **ret, struct berth_error **err)
{
    if (load(a, err) < 0)
        return -EIO;
    if (rt.bin == NULL)
        return berth_container_create(o, ret, err);
    _cleanup_free_ char *pidf = xasprintf("%s/init.pid", a->dir);
    unlink(pidf);
    unlink(rt.log);
    mkdir_p(rt.root, 0700, NULL);
    const char *create[] = {"create", "--bundle", o->bundle, "--pid-file", pidf, a->id, NULL};
    const char *start[] = {"start", a->id, NULL};
    if (set_cgroups_path(a, o->bundle, err) < 0 || run_rt(create, o->stdio, err) < 0)
        return -EIO;
    if (adopt(a, pidf, true, ret, err) < 0 || run_rt(start, NULL, err) < 0) {
        shim_runtime_delete(a, NULL);
        berth_container_free(*ret);
        *ret = NULL;
        return -EIO;
    }
    return 0;
}

int shim_runtime_kill(const struct shim_args *a, int sig, bool all, struct berth_error **err)
{
    if (load(a, err) < 0)
        return -EIO;
    if (rt.bin == NULL)
        return berth_container_kill(a->state_root, a->id, sig, all, err);
    char s[16];
    snprintf(s, sizeof(s), "%d", sig);
    const char *with_all[] = {"kill", "--all", a->id, s, NULL};
    const char *one[] = {"kill", a->id, s, NULL};
    return run_rt(all ? with_all : one, NULL, err);
}

int shim_runtime_delete(const struct shim_args *a, struct berth_error **err)
{
    if (load(a, err) < 0)
        return -EIO;
    if (rt.bin == NULL)
        return berth_container_delete(a->state_root, a->id, true, err);
    const char *del[] = {"delete", "--force", a->id, NULL};
    return run_rt(del, NULL, err);
}

/* The container's process with exec's args, env added, cwd and user. */
static json_t *exec_process(const struct shim_args *a, const struct berth_exec_opts *o)
{
    _cleanup_free_ char *bundle = xasprintf("%s/bundle", a->dir);
    json_t *spec = json_read_file(bundle, "config.json", NULL);
    json_t *p = json_deep_copy(json_object_get(spec, "process"));
    json_decref(spec);
    if (p == NULL)
        p = json_object();
    json_t *args = json_array(), *env = json_object_get(p, "env");
    for (char **v = o->args; v && *v; v++)
        json_array_append_new(args, json_string(*v));
    json_object_set_new(p, "args", args);
    if (!json_is_array(env))
        json_object_set_new(p, "env", env = json_array());
    for (char **v = o->env; v && *v; v++)
        json_array_append_new(env, json_string(*v));
    if (o->cwd)
        json_object_set_new(p, "cwd", json_string(o->cwd));
    if (o->has_user)
        json_object_set_new(p, "user",
                            json_pack("{s:i,s:i}", "uid", (int)o->uid, "gid", (int)o->gid));
    json_object_set_new(p, "terminal", json_false());
    json_object_del(p, "consoleSize");
    return p;
}

int shim_runtime_exec(const struct shim_args *a, const struct berth_exec_opts *o,
                      struct berth_container **ret, struct berth_error **err)
{
    if (load(a, err) < 0)
        return -EIO;
    if (rt.bin == NULL)
        return berth_container_exec(o, ret, err);
    if (o->terminal)
        return berth_error_set(err, EINVAL,
                               "exec with a tty under runtime '%s' is not "
                               "supported by berth yet",
                               rt.bin);
    static unsigned seq;
    _cleanup_free_ char *proc = xasprintf("%s/exec-%u.json", a->dir, ++seq);
    _cleanup_free_ char *pidf = xasprintf("%s/exec-%u.pid", a->dir, seq);
    json_t *p = exec_process(a, o);
    int r = json_dump_file(p, proc, JSON_COMPACT) == 0 ? 0 : -EIO;
    json_decref(p);
    const char *args[] = {"exec", "--detach", "--process", proc, "--pid-file", pidf, a->id, NULL};
    if (r < 0)
        r = berth_error_set(err, EIO, "cannot write '%s'", proc);
    else if ((r = run_rt(args, o->stdio, err)) == 0)
        r = adopt(a, pidf, false, ret, err);
    unlink(proc);
    unlink(pidf);
    return r;
}
