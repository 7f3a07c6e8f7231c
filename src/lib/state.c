#include "state.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int berth_state_validate_id(const char *id, struct berth_error **err)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > 128 || !isalnum((unsigned char)id[0]))
        goto bad;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && !strchr("_.+-", id[i]))
            goto bad;
    return 0;
bad:
    return berth_error_set(err, EINVAL,
                           "invalid container id '%s': use 1-128 letters, digits, '_', '.', "
                           "'+' or '-', starting with a letter or digit",
                           id ? id : "");
}

static int mkdir_p(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return -errno;
    _cleanup_free_ char *parent = xstrdup(path);
    char *slash = strrchr(parent, '/');
    if (slash == NULL || slash == parent)
        return -ENOENT;
    *slash = '\0';
    int r = mkdir_p(parent, mode);
    if (r < 0)
        return r;
    return mkdir(path, mode) == 0 || errno == EEXIST ? 0 : -errno;
}

static int lock_dir(int fd, int how, const char *id, struct berth_error **err)
{
    while (flock(fd, how) < 0)
        if (errno != EINTR)
            return errno == EWOULDBLOCK
                       ? -EWOULDBLOCK
                       : berth_error_set(err, errno, "cannot lock container '%s'", id);
    return 0;
}

int berth_state_create(const char *root, const char *id, struct berth_error **err)
{
    int r = mkdir_p(root, 0700);
    if (r < 0)
        return berth_error_set(err, -r, "cannot create state root '%s'", root);
    _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return berth_error_set(err, errno, "cannot open state root '%s'", root);
    if (mkdirat(rootfd, id, 0700) < 0) {
        if (errno == EEXIST)
            return berth_error_set(err, EEXIST, "container '%s' already exists", id);
        return berth_error_set(err, errno, "cannot create state directory for '%s'", id);
    }
    _cleanup_close_ int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot open state directory for '%s'", id);
    /* nobody else can know the directory yet: this cannot wait */
    if ((r = lock_dir(fd, LOCK_EX, id, err)) < 0)
        return r == -EWOULDBLOCK ? berth_error_set(err, EBUSY, "container '%s' is busy", id) : r;
    return TAKE_FD(fd);
}

int berth_state_open(const char *root, const char *id, enum berth_lock lock, bool *ret_busy,
                     struct berth_error **err)
{
    static const int how[] = {
        [BERTH_LOCK_WRITE] = LOCK_EX,
        [BERTH_LOCK_TRY_WRITE] = LOCK_EX | LOCK_NB,
        [BERTH_LOCK_READ] = LOCK_SH | LOCK_NB,
    };
    int r = berth_state_validate_id(id, err);
    if (r < 0)
        return r;
    if (ret_busy)
        *ret_busy = false;
    _cleanup_free_ char *path = xasprintf("%s/%s", root, id);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        return berth_error_set(err, ENOENT, "container '%s' does not exist", id);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot open state of '%s'", id);
    r = lock_dir(fd, how[lock], id, err);
    if (r == -EWOULDBLOCK && ret_busy)
        *ret_busy = true;
    else if (r < 0)
        return r == -EWOULDBLOCK ? berth_error_set(err, EBUSY, "container '%s' is busy", id) : r;
    return TAKE_FD(fd);
}

int berth_state_lock_wait(int dirfd, const char *id, unsigned long long timeout_us,
                          struct berth_error **err)
{
    unsigned long long waited = 0;
    struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};

    for (;;) {
        int r = lock_dir(dirfd, LOCK_EX | LOCK_NB, id, err);
        if (r != -EWOULDBLOCK)
            return r;
        if (waited >= timeout_us)
            return berth_error_set(err, EBUSY, "container '%s' is busy: another process holds it",
                                   id);
        nanosleep(&ts, NULL);
        waited += 10000;
    }
}

static void set_str(json_t *o, const char *key, const char *v)
{
    if (v)
        json_object_set_new(o, key, json_string(v));
}

int berth_state_write(int dirfd, const struct berth_state *s, struct berth_error **err)
{
    json_t *o = json_object();
    set_str(o, "id", s->id);
    json_object_set_new(o, "phase",
                        json_string(s->phase == BERTH_PHASE_CREATED ? "created" : "creating"));
    json_object_set_new(o, "owner", json_integer(s->owner));
    json_object_set_new(o, "owner_start", json_integer((json_int_t)s->owner_start));
    json_object_set_new(o, "pid", json_integer(s->pid));
    json_object_set_new(o, "pid_start", json_integer((json_int_t)s->pid_start));
    set_str(o, "bundle", s->bundle);
    set_str(o, "rootfs", s->rootfs);
    set_str(o, "created", s->created);
    set_str(o, "ociVersion", s->oci_version);
    set_str(o, "annotations", s->annotations_json);
    set_str(o, "cgroup", s->cgroup_json);
    json_object_set_new(o, "has_pidns", json_boolean(s->has_pidns));
    _cleanup_free_ char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return write_file_atomic_at(dirfd, BERTH_STATE_FILE, text, strlen(text), err);
}

static char *get_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

int berth_state_read(int dirfd, struct berth_state **ret, struct berth_error **err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = read_file_at(dirfd, BERTH_STATE_FILE, &text, &len, err);
    if (r < 0)
        return r;
    json_t *o = json_loadb(text, len, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return berth_error_set(err, EIO, "corrupt state file");
    }
    struct berth_state *s = xzalloc(sizeof(*s));
    s->id = get_str(o, "id");
    s->phase = streq(json_string_value(json_object_get(o, "phase")), "created")
                   ? BERTH_PHASE_CREATED
                   : BERTH_PHASE_CREATING;
    s->owner = (pid_t)json_integer_value(json_object_get(o, "owner"));
    s->owner_start = (unsigned long long)json_integer_value(json_object_get(o, "owner_start"));
    s->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
    s->pid_start = (unsigned long long)json_integer_value(json_object_get(o, "pid_start"));
    s->bundle = get_str(o, "bundle");
    s->rootfs = get_str(o, "rootfs");
    s->created = get_str(o, "created");
    s->oci_version = get_str(o, "ociVersion");
    s->annotations_json = get_str(o, "annotations");
    s->cgroup_json = get_str(o, "cgroup");
    s->has_pidns = json_is_true(json_object_get(o, "has_pidns"));
    json_decref(o);
    *ret = s;
    return 0;
}

void berth_state_free(struct berth_state *s)
{
    if (s == NULL)
        return;
    char *strs[] = {s->id,          s->bundle,           s->rootfs,     s->created,
                    s->oci_version, s->annotations_json, s->cgroup_json};
    for (size_t i = 0; i < ARRAY_SIZE(strs); i++)
        free(strs[i]);
    free(s);
}

/* Whether the init still waits for `start`: it holds the fifo open (read
 * and write) until it has read start's byte. Opening the write end without
 * blocking fails with ENXIO once no one holds a read end. */
static bool fifo_waiting(int dirfd)
{
    int fd = openat(dirfd, BERTH_EXEC_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

enum berth_status berth_state_status(int dirfd, const struct berth_state *s, bool busy)
{
    if (s == NULL || s->phase == BERTH_PHASE_CREATING)
        return busy ? BERTH_STATUS_CREATING : BERTH_STATUS_STOPPED;
    if (s->pid <= 0)
        return BERTH_STATUS_STOPPED;
    unsigned long long start = proc_start_time(s->pid);
    if (start == 0 || start != s->pid_start)
        return BERTH_STATUS_STOPPED;
    if (fifo_waiting(dirfd))
        return BERTH_STATUS_CREATED;
    return BERTH_STATUS_RUNNING;
}

const char *berth_status_name(enum berth_status st)
{
    static const char *const names[] = {"creating", "created", "running", "paused", "stopped"};
    return names[st];
}

int berth_state_remove(const char *root, const char *id, struct berth_error **err)
{
    _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return berth_error_set(err, errno, "cannot open state root '%s'", root);
    return rm_rf_at(rootfd, id, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int berth_state_list(const char *root, char ***ret_ids, struct berth_error **err)
{
    size_t n = 0;
    char **ids = xzalloc(sizeof(char *));
    _cleanup_closedir_ DIR *d = opendir(root);
    if (d == NULL && errno != ENOENT) {
        free(ids);
        return berth_error_set(err, errno, "cannot list state root '%s'", root);
    }
    for (struct dirent *de; d && (de = readdir(d));) {
        if (de->d_name[0] == '.' || berth_state_validate_id(de->d_name, NULL) < 0)
            continue;
        ids = xrealloc(ids, (n + 2) * sizeof(char *));
        ids[n++] = xstrdup(de->d_name);
        ids[n] = NULL;
    }
    qsort(ids, n, sizeof(char *), cmp_str);
    *ret_ids = ids;
    return 0;
}

char *berth_rfc3339_now(void)
{
    struct timespec ts;
    struct tm tm;
    char buf[64];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}
