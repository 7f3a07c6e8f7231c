/* Helpers the cgroup drivers share (cgroup-internal.h). */
#include "cgroup-internal.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "oci.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* "a" + "/" + "b" with exactly one slash between; b may be "" or "/". */
char *berth_cgroup_join(const char *a, const char *b)
{
    size_t la = strlen(a);

    while (la > 1 && a[la - 1] == '/')
        la--;
    while (*b == '/')
        b++;
    if (*b == '\0')
        return xasprintf("%.*s", (int)la, a);
    if (la == 1 && a[0] == '/')
        return xasprintf("/%s", b);
    return xasprintf("%.*s/%s", (int)la, a, b);
}

/* Number of path components of `dir` below `root`, or -1 when dir is not
 * strictly below root. */
int berth_cgroup_depth_below(const char *root, const char *dir)
{
    size_t rl = strlen(root);
    int n = 0;

    while (rl > 1 && root[rl - 1] == '/')
        rl--;
    if (strncmp(dir, root, rl) != 0 || (dir[rl] != '/' && rl > 1) || dir[rl] == '\0')
        return -1;
    for (const char *p = dir + rl; *p; p++)
        if (*p == '/' && p[1] != '\0')
            n++;
    return rl == 1 ? n + 1 : n;
}

char *berth_cgroup_level(const char *dir, unsigned up)
{
    char *p = xstrdup(dir);

    for (unsigned i = 0; i < up; i++) {
        char *s = strrchr(p, '/');
        if (s == NULL || s == p) {
            p[1] = '\0';
            break;
        }
        *s = '\0';
    }
    return p;
}

/* mkdir -p of `dir`, making at most its last `depth` components (those
 * above must exist). The deepest directory is tried first: its parent
 * usually exists, and every EEXIST on the way down from the root costs a
 * path walk. *made counts the trailing components made. When a mkdir fails
 * below levels made here, those are removed again: counted, they would not
 * be trailing ones. */
static int mkdir_p(const char *dir, int depth, unsigned *made, struct berth_error **err)
{
    if (mkdir(dir, 0755) == 0) {
        (*made)++;
        return 0;
    }
    if (errno == EEXIST)
        return 0;
    if (errno != ENOENT || depth <= 1)
        return berth_error_set(err, errno, "cannot create cgroup '%s'", dir);

    _cleanup_free_ char *parent = berth_cgroup_level(dir, 1);
    unsigned above = *made;
    int r = mkdir_p(parent, depth - 1, made, err);
    if (r < 0)
        return r;
    if (mkdir(dir, 0755) == 0) {
        (*made)++;
        return 0;
    }
    if (errno == EEXIST)
        return 0;
    r = berth_error_set(err, errno, "cannot create cgroup '%s'", dir);
    for (unsigned up = 1; *made > above; up++, (*made)--) {
        _cleanup_free_ char *p = berth_cgroup_level(dir, up);
        (void)rmdir(p);
    }
    return r;
}

int berth_cgroup_hier_create(struct berth_cgroup *cg, struct berth_cgroup_hier *h,
                             struct berth_error **err)
{
    unsigned made = 0;
    int depth = berth_cgroup_depth_below(cg->root, h->dir);
    int r = mkdir_p(h->dir, depth < 0 ? berth_cgroup_depth_below("/", h->dir) : depth, &made, err);

    if (made > h->created)
        h->created = made;
    if (r < 0)
        return r;
    if (h->created > 0)
        return 1;
    if (!cg->absolute)
        return berth_error_set(err, EEXIST, "cgroup '%s' already exists", h->dir);
    berth_log(BERTH_LOG_DEBUG, "joining existing cgroup '%s', its limits are left unchanged",
              h->dir);
    return 0;
}

bool berth_cgroup_backoff(unsigned long long *state, unsigned long long limit_us)
{
    if (*state >= limit_us)
        return false;
    unsigned long long d = *state == 0 ? 1000 : *state;
    if (d > 50000)
        d = 50000;
    if (d > limit_us - *state)
        d = limit_us - *state;
    struct timespec ts = {.tv_sec = d / 1000000, .tv_nsec = (d % 1000000) * 1000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    *state += d;
    return true;
}

int berth_cgroup_kill_procs(const char *dir, struct berth_error **err)
{
    _cleanup_free_ char *path = berth_cgroup_join(dir, "cgroup.procs");
    _cleanup_free_ char *procs = NULL;

    int r = read_file_at(AT_FDCWD, path, &procs, NULL, NULL);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return berth_error_set(err, -r, "cannot read '%s'", path);
    for (char *s = procs; *s;) {
        char *e = strchrnul(s, '\n');
        bool last = *e == '\0';
        long long pid;
        *e = '\0';
        if (parse_i64(s, &pid) == 0 && pid > 0 && kill((pid_t)pid, SIGKILL) < 0 && errno != ESRCH)
            return berth_error_set(err, errno, "cannot kill process %lld of cgroup '%s'", pid, dir);
        s = last ? e : e + 1;
    }
    return 0;
}

static int remove_tree(const char *dir, struct berth_error **err);

/* Child cgroups the container made below its own (cgroupns, nested
 * runtimes) keep the parent busy; they are the container's, so they go. */
static int remove_children(const char *dir, struct berth_error **err)
{
    _cleanup_closedir_ DIR *d = opendir(dir);
    struct dirent *de;

    if (d == NULL)
        return errno == ENOENT ? 0 : berth_error_set(err, errno, "cannot list cgroup '%s'", dir);
    while ((de = readdir(d)) != NULL) {
        if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
            continue;
        _cleanup_free_ char *child = berth_cgroup_join(dir, de->d_name);
        int r = remove_tree(child, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* rmdir fails with EBUSY until the killed tasks have exited. */
static int remove_tree(const char *dir, struct berth_error **err)
{
    unsigned long long waited = 0;

    /* The usual case, an empty cgroup with no children, costs one rmdir. */
    if (rmdir(dir) == 0 || errno == ENOENT)
        return 0;
    int r = remove_children(dir, err);
    if (r < 0)
        return r;
    for (;;) {
        r = berth_cgroup_kill_procs(dir, err);
        if (r < 0)
            return r;
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        int saved = errno;
        if (saved != EBUSY || !berth_cgroup_backoff(&waited, 1000000))
            return berth_error_set(err, saved, "cannot remove cgroup '%s'", dir);
    }
}

int berth_cgroup_hier_remove(struct berth_cgroup_hier *h, struct berth_error **err)
{
    if (h->created == 0)
        return 0;
    int r = remove_tree(h->dir, err);
    if (r < 0)
        return r;
    for (unsigned up = 1; up < h->created; up++) {
        _cleanup_free_ char *p = berth_cgroup_level(h->dir, up);
        if (rmdir(p) == 0 || errno == ENOENT)
            continue;
        if (errno == EBUSY || errno == ENOTEMPTY)
            break; /* shared with another container: its ancestors are too */
        return berth_error_set(err, errno, "cannot remove cgroup '%s'", p);
    }
    h->created = 0;
    return 0;
}

int berth_cgroup_write(const char *dir, const char *file, const char *value,
                       struct berth_error **err)
{
    _cleanup_free_ char *path = berth_cgroup_join(dir, file);
    return write_file_at(AT_FDCWD, path, value, strlen(value), err);
}

int berth_cgroup_read(const char *dir, const char *file, char **ret, struct berth_error **err)
{
    _cleanup_free_ char *path = berth_cgroup_join(dir, file);
    return read_file_at(AT_FDCWD, path, ret, NULL, err);
}

bool berth_cgroup_has_file(const char *dir, const char *file)
{
    _cleanup_free_ char *path = berth_cgroup_join(dir, file);
    return access(path, F_OK) == 0;
}

int berth_cgroup_writer_open(struct berth_cgroup_writer *w, struct berth_error **err)
{
    if (w->fd >= 0)
        return 0;
    for (const char *const *f = w->files; *f; f++) {
        _cleanup_free_ char *path = berth_cgroup_join(w->dir, *f);
        w->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (w->fd >= 0) {
            w->file = *f;
            return 0;
        }
        if (errno != ENOENT)
            return berth_error_set(err, errno, "cannot open '%s'", path);
    }
    _cleanup_free_ char *path = berth_cgroup_join(w->dir, w->files[0]);
    return berth_error_set(err, ENOENT, "cannot open '%s'", path);
}

int berth_cgroup_writer_put(struct berth_cgroup_writer *w, const char *value,
                            struct berth_error **err)
{
    size_t len = strlen(value);
    ssize_t n;

    int r = berth_cgroup_writer_open(w, err);
    if (r < 0)
        return r;
    while ((n = write(w->fd, value, len)) < 0 && errno == EINTR)
        ;
    if (n >= 0 && (size_t)n == len)
        return 0;
    int saved = n < 0 ? errno : EIO; /* the kernel takes a record whole or not at all */
    _cleanup_free_ char *path = berth_cgroup_join(w->dir, w->file);
    return berth_error_set(err, saved, "cannot write '%.*s' to '%s'", (int)(len > 64 ? 64 : len),
                           value, path);
}

void berth_cgroup_writer_close(struct berth_cgroup_writer *w)
{
    closep(&w->fd);
    w->fd = -1;
}

bool berth_cgroup_joined(const struct berth_cgroup *cg)
{
    for (size_t i = 0; i < cg->n_h; i++)
        if (cg->h[i].created == 0)
            return true;
    return false;
}

int berth_cgroup_refuse_joined(const struct berth_cgroup_hier *h, const struct berth_resources *res,
                               struct berth_error **err)
{
    const char *field = res ? berth_resources_first_field(res) : NULL;
    if (h->created > 0 || field == NULL)
        return 0;
    return berth_error_set(err, EINVAL,
                           "cannot apply '%s' to cgroup '%s': berth did not create it and "
                           "changes only cgroups it created",
                           field, h->dir);
}

int berth_cgroup_unsupported(const char *field, const char *why, struct berth_error **err)
{
    return berth_error_set(err, EOPNOTSUPP, "cannot honour '%s': %s", field, why);
}

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

static int collect_pids(const char *dir, pid_t **v, size_t *n, struct berth_error **err)
{
    _cleanup_free_ char *procs = NULL;
    int r = berth_cgroup_read(dir, "cgroup.procs", &procs, NULL);
    if (r == -ENOENT)
        return 0; /* removed while we walked */
    if (r < 0)
        return berth_error_set(err, -r, "cannot read '%s/cgroup.procs'", dir);
    for (char *save = NULL, *l = strtok_r(procs, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        long long pid;
        if (parse_i64(l, &pid) < 0 || pid <= 0)
            continue;
        *v = xrealloc(*v, (*n + 1) * sizeof(**v));
        (*v)[(*n)++] = (pid_t)pid;
    }
    _cleanup_closedir_ DIR *d = opendir(dir);
    for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *child = berth_cgroup_join(dir, de->d_name);
        if ((r = collect_pids(child, v, n, err)) < 0)
            return r;
    }
    return 0;
}

int berth_cgroup_tree_pids(const char *dir, pid_t **ret, size_t *ret_n, struct berth_error **err)
{
    _cleanup_free_ pid_t *v = NULL;
    size_t n = 0, out = 0;

    int r = collect_pids(dir, &v, &n, err);
    if (r < 0)
        return r;
    if (n > 0)
        qsort(v, n, sizeof(*v), cmp_pid);
    for (size_t i = 0; i < n; i++)
        if (out == 0 || v[out - 1] != v[i])
            v[out++] = v[i];
    *ret = v ? TAKE_PTR(v) : xzalloc(sizeof(pid_t));
    *ret_n = out;
    return 0;
}

int berth_cgroup_tree_signal(const char *dir, int sig, struct berth_error **err)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;

    int r = berth_cgroup_tree_pids(dir, &pids, &n, err);
    for (size_t i = 0; r >= 0 && i < n; i++)
        if (kill(pids[i], sig) < 0 && errno != ESRCH)
            r = berth_error_set(err, errno, "cannot send signal %d to process %d of cgroup '%s'",
                                sig, (int)pids[i], dir);
    return r;
}

int berth_cgroup_read_key(const char *dir, const char *file, const char *key, uint64_t *ret,
                          struct berth_error **err)
{
    _cleanup_free_ char *text = NULL;
    size_t kl = strlen(key);

    *ret = 0;
    int r = berth_cgroup_read(dir, file, &text, NULL);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return berth_error_set(err, -r, "cannot read '%s/%s'", dir, file);
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        unsigned long long v;
        if (strncmp(l, key, kl) == 0 && l[kl] == ' ' && parse_u64(l + kl + 1, &v) == 0) {
            *ret = v;
            break;
        }
    }
    return 0;
}

struct berth_cgroup_hier *berth_cgroup_find_hier(const struct berth_cgroup *cg, const char *ctrl)
{
    size_t cl = strlen(ctrl);

    for (size_t i = 0; i < cg->n_h; i++) {
        for (const char *s = cg->h[i].name; *s;) {
            size_t l = strcspn(s, ",");
            if (l == cl && strncmp(s, ctrl, cl) == 0)
                return &cg->h[i];
            s += l + (s[l] == ',');
        }
    }
    return NULL;
}

bool berth_cgroup_swap_accounted(void)
{
    if (access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0)
        return true;
    _cleanup_free_ char *cmdline = NULL;
    if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) < 0 ||
        read_file_at(-1, "/proc/cmdline", &cmdline, NULL, NULL) < 0)
        return false;
    return strstr(cmdline, "cgroup.memory=noswap") == NULL &&
           strstr(cmdline, "swapaccount=0") == NULL;
}
