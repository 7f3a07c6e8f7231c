/* berthd's event log and the import of the shims' events (events.h). */
#include "events.h"
#include "daemon.h"
#include "cleanup.h"
#include "durable.h"
#include "store.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static int log_fd = -1;
static char *log_dir;
static uint64_t seq; /* events appended since start */
static char *ring[EVENTS_RING];
static json_t *marks; /* id -> the end of its last imported line (from the log) */
static json_t *held;  /* id -> holds: its shim's lines wait (events_hold) */

/* Keeps the newest half of the log (at a line start): temp, rename. */
static void trim(void)
{
    struct stat st;
    if (fstat(log_fd, &st) < 0 || st.st_size <= EVENTS_LOG_MAX)
        return;
    _cleanup_free_ char *buf = xmalloc((size_t)st.st_size);
    if (pread(log_fd, buf, (size_t)st.st_size, 0) != st.st_size)
        return;
    char *p = memchr(buf + st.st_size / 2, '\n', (size_t)(st.st_size - st.st_size / 2));
    if (p == NULL)
        return;
    p++;
    if (durable_write(log_dir, "events.jsonl", p, (size_t)(buf + st.st_size - p), NULL) < 0)
        return;
    _cleanup_free_ char *path = xasprintf("%s/events.jsonl", log_dir);
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(log_fd);
        log_fd = fd;
    }
}

/* Appends `ev` (taken) to the log and the ring; wakes the readers. */
static void append_locked(json_t *ev)
{
    _cleanup_free_ char *text = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(ev);
    _cleanup_free_ char *line = xasprintf("%s\n", text);
    size_t n = strlen(line);
    /* one write: a reader of the file sees a whole line or none */
    if (log_fd >= 0 && write(log_fd, line, n) == (ssize_t)n)
        fdatasync(log_fd);
    seq++;
    free(ring[seq % EVENTS_RING]);
    ring[seq % EVENTS_RING] = TAKE_PTR(line);
    pthread_cond_broadcast(&cv);
    trim();
}

static json_t *new_event(const char *type, const char *action, const char *id, const char *from,
                         json_t *attrs, json_int_t nano)
{
    json_t *ev = json_object();
    bool old = streq(type, "container") || streq(type, "image");
    if (old) { /* the fields of Docker's API before 1.22 */
        json_object_set_new(ev, "status", json_string(action));
        json_object_set_new(ev, "id", json_string(id));
    }
    if (from)
        json_object_set_new(ev, "from", json_string(from));
    json_object_set_new(ev, "Type", json_string(type));
    json_object_set_new(ev, "Action", json_string(action));
    json_object_set_new(
        ev, "Actor", json_pack("{s:s,s:o}", "ID", id, "Attributes", attrs ? attrs : json_object()));
    json_object_set_new(ev, "scope", json_string("local"));
    json_object_set_new(ev, "time", json_integer(nano / 1000000000));
    json_object_set_new(ev, "timeNano", json_integer(nano));
    return ev;
}

static json_int_t now_nano(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (json_int_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void events_emit(const char *type, const char *action, const char *id, json_t *attrs)
{
    pthread_mutex_lock(&lk);
    append_locked(new_event(type, action, id, NULL, attrs, now_nano()));
    pthread_mutex_unlock(&lk);
}

/* Docker's container Actor.Attributes: the labels, image, name. */
static json_t *ctr_attrs(json_t *rec)
{
    json_t *a = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(json_object_get(rec, "Config"), "Labels"), k,
                        v) if (json_is_string(v)) json_object_set(a, k, v);
    const char *image = json_string_value(json_object_get(rec, "Image"));
    const char *name = json_string_value(json_object_get(rec, "Name"));
    json_object_set_new(a, "image", json_string(image ? image : ""));
    json_object_set_new(a, "name", json_string(name ? name + (*name == '/') : ""));
    return a;
}

static json_t *ctr_event(json_t *rec, const char *id, const char *action, json_t *extra,
                         json_int_t nano)
{
    json_t *a = ctr_attrs(rec);
    json_object_update(a, extra);
    json_decref(extra);
    const char *image = json_string_value(json_object_get(a, "image"));
    return new_event("container", action, id, image, a, nano);
}

static uint64_t imported_offset(const char *dir, const char *id)
{
    json_t *rec = json_read_file(dir, EVENTS_IMPORTED, NULL);
    json_int_t off = json_integer_value(json_object_get(rec, "offset"));
    json_decref(rec);
    json_int_t logged = json_integer_value(json_object_get(marks, id));
    return (uint64_t)(off > logged ? off : logged);
}

/* Imports one line of the shim's (ending at `end` in its file). */
static void import_line(json_t *rec, const char *id, const char *line, uint64_t end)
{
    json_t *j = json_loads(line, 0, NULL);
    const char *action = json_string_value(json_object_get(j, "Action"));
    json_int_t nano = json_integer_value(json_object_get(j, "timeNano"));
    if (action) {
        json_t *attrs = json_deep_copy(json_object_get(j, "Attributes"));
        /* checked before ctr_event, which frees what it is given */
        if (!json_is_object(attrs)) {
            json_decref(attrs);
            attrs = json_object();
        }
        json_t *ev = ctr_event(rec, id, action, attrs, nano ? nano : now_nano());
        json_object_set_new(ev, EVENTS_MARK, json_integer((json_int_t)end));
        append_locked(ev);
    }
    json_decref(j);
}

static void import_locked(const char *id, json_t *rec)
{
    if (json_object_get(held, id))
        return;
    _cleanup_free_ char *dir = xasprintf("%s/containers/%s", engine.data_root, id);
    _cleanup_close_ int fd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int ef = fd < 0 ? -1 : openat(fd, "events.jsonl", O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (ef < 0 || fstat(ef, &st) < 0)
        return;
    uint64_t start = imported_offset(dir, id);
    if ((uint64_t)st.st_size <= start)
        return;
    size_t len = (size_t)((uint64_t)st.st_size - start);
    _cleanup_free_ char *buf = xmalloc(len + 1);
    if (pread(ef, buf, len, (off_t)start) != (ssize_t)len)
        return;
    buf[len] = '\0';
    json_t *own = rec ? NULL : json_read_file(dir, "container.json", NULL);
    uint64_t done = start;
    for (char *p = buf, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        done = start + (uint64_t)(nl + 1 - buf);
        import_line(rec ? rec : own, id, p, done);
    }
    json_decref(own);
    if (done == start)
        return; /* a line still being written */
    json_object_set_new(marks, id, json_integer((json_int_t)done));
    json_t *r = json_pack("{s:I}", "offset", (json_int_t)done);
    durable_write_json(dir, EVENTS_IMPORTED, r, NULL);
    json_decref(r);
}

void events_import(const char *id)
{
    pthread_mutex_lock(&lk);
    import_locked(id, NULL);
    pthread_mutex_unlock(&lk);
}

void events_container(const struct ctr *c, const char *action, json_t *attrs)
{
    pthread_mutex_lock(&lk);
    import_locked(c->id, c->rec);
    append_locked(ctr_event(c->rec, c->id, action, attrs ? attrs : json_object(), now_nano()));
    pthread_mutex_unlock(&lk);
}

long long events_hold(const char *id)
{
    pthread_mutex_lock(&lk);
    json_object_set_new(held, id, json_integer(json_integer_value(json_object_get(held, id)) + 1));
    pthread_mutex_unlock(&lk);
    return (long long)now_nano();
}

void events_release(const struct ctr *c, const char *action, json_t *attrs, long long nano)
{
    pthread_mutex_lock(&lk);
    json_int_t n = json_integer_value(json_object_get(held, c->id));
    if (n > 1)
        json_object_set_new(held, c->id, json_integer(n - 1));
    else
        json_object_del(held, c->id);
    if (action)
        append_locked(ctr_event(c->rec, c->id, action, attrs ? attrs : json_object(),
                                nano ? nano : now_nano()));
    else
        json_decref(attrs);
    import_locked(c->id, c->rec);
    pthread_mutex_unlock(&lk);
}

void events_start_begin(const char *id)
{
    events_hold(id);
}

void events_start_end(const struct ctr *c, bool started)
{
    events_release(c, started ? "start" : NULL, NULL, 0);
}

/* ---- readers ---- */

void events_open(struct events_cursor *cur)
{
    memset(cur, 0, sizeof(*cur));
    _cleanup_free_ char *path = xasprintf("%s/events.jsonl", log_dir);
    pthread_mutex_lock(&lk);
    struct stat st;
    cur->f = fopen(path, "re");
    cur->left = cur->f && fstat(fileno(cur->f), &st) == 0 ? (uint64_t)st.st_size : 0;
    cur->seq = seq;
    pthread_mutex_unlock(&lk);
}

static char *strip_mark(const char *line)
{
    json_t *j = json_loads(line, JSON_PRESERVE_ORDER, NULL);
    if (j == NULL)
        return NULL;
    json_object_del(j, EVENTS_MARK);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    return s;
}

static char *next_past(struct events_cursor *cur)
{
    while (cur->f && cur->left > 0) {
        ssize_t n = getline(&cur->line, &cur->cap, cur->f);
        if (n <= 0 || cur->line[n - 1] != '\n' || (uint64_t)n > cur->left)
            break;
        cur->left -= (uint64_t)n;
        char *s = strip_mark(cur->line);
        if (s)
            return s;
    }
    if (cur->f)
        fclose(cur->f);
    cur->f = NULL;
    return NULL;
}

char *events_next(struct events_cursor *cur, const struct timespec *deadline, bool *ret_lost)
{
    char *s = next_past(cur);
    if (s)
        return s;
    pthread_mutex_lock(&lk);
    while (cur->seq == seq && deadline && pthread_cond_timedwait(&cv, &lk, deadline) != ETIMEDOUT)
        ;
    if (cur->seq + EVENTS_RING < seq) {
        *ret_lost = true;
        cur->seq = seq - EVENTS_RING;
    }
    _cleanup_free_ char *line = NULL;
    if (cur->seq < seq)
        line = xstrdup(ring[++cur->seq % EVENTS_RING]);
    pthread_mutex_unlock(&lk);
    return line ? strip_mark(line) : NULL;
}

void events_close(struct events_cursor *cur)
{
    if (cur->f)
        fclose(cur->f);
    free(cur->line);
    memset(cur, 0, sizeof(*cur));
}

/* ---- start, the watcher ---- */

/* The container of each watch descriptor. */
static struct watch {
    int wd;
    char id[65];
} * watches;
static size_t nwatches;
static int ino_fd = -1;
static int cdir_wd = -1;

static bool is_id(const char *s)
{
    return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static void watch_ctr(const char *id)
{
    _cleanup_free_ char *dir = xasprintf("%s/containers/%s", engine.data_root, id);
    int wd = inotify_add_watch(ino_fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
    if (wd < 0)
        return;
    for (size_t i = 0; i < nwatches; i++)
        if (watches[i].wd == wd)
            return;
    watches = xrealloc(watches, (nwatches + 1) * sizeof(*watches));
    watches[nwatches].wd = wd;
    snprintf(watches[nwatches].id, sizeof(watches[nwatches].id), "%s", id);
    nwatches++;
}

static void unwatch(int wd)
{
    for (size_t i = 0; i < nwatches; i++)
        if (watches[i].wd == wd)
            watches[i] = watches[--nwatches];
}

static void on_inotify(const struct inotify_event *e)
{
    if (e->mask & IN_IGNORED) {
        unwatch(e->wd);
        return;
    }
    if (e->wd == cdir_wd) {
        if (e->len && is_id(e->name)) {
            watch_ctr(e->name);
            events_import(e->name);
        }
        return;
    }
    if (e->len && streq(e->name, "exit.json")) {
        /* the shim's last record: its network goes (a start since then
         * keeps it: netctr_after_exit checks) */
        for (size_t i = 0; i < nwatches; i++)
            if (watches[i].wd == e->wd) {
                char id[65];
                memcpy(id, watches[i].id, sizeof(id));
                netctr_after_exit(id);
                return;
            }
        return;
    }
    if (e->len == 0 || !streq(e->name, "events.jsonl"))
        return;
    for (size_t i = 0; i < nwatches; i++)
        if (watches[i].wd == e->wd) {
            char id[65];
            memcpy(id, watches[i].id, sizeof(id));
            events_import(id);
            return;
        }
}

static void *watcher_main(void *arg)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(ino_fd, buf, sizeof(buf));
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return NULL;
        }
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            on_inotify(e);
            p += sizeof(*e) + e->len;
        }
    }
}

/* The end offsets of the imported lines still in the log (EVENTS_MARK). */
static void scan_marks(void)
{
    _cleanup_free_ char *path = xasprintf("%s/events.jsonl", log_dir);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    marks = json_object();
    while (f && getline(&line, &cap, f) > 0) {
        if (strstr(line, "\"" EVENTS_MARK "\"") == NULL)
            continue;
        json_t *j = json_loads(line, 0, NULL);
        const char *id = json_string_value(json_object_get(json_object_get(j, "Actor"), "ID"));
        json_t *end = json_object_get(j, EVENTS_MARK);
        if (id && json_is_integer(end) &&
            json_integer_value(end) > json_integer_value(json_object_get(marks, id)))
            json_object_set(marks, id, end);
        json_decref(j);
    }
}

void events_init(void)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&cv, &ca); /* CLOCK_REALTIME: the deadlines are `until` */
    log_dir = xstrdup(engine.data_root);
    held = json_object();
    scan_marks();
    _cleanup_free_ char *path = xasprintf("%s/events.jsonl", log_dir);
    log_fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    _cleanup_free_ char *cdir = xasprintf("%s/containers", engine.data_root);
    ino_fd = inotify_init1(IN_CLOEXEC);
    cdir_wd =
        ino_fd < 0 ? -1 : inotify_add_watch(ino_fd, cdir, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
    /* the watches first: nothing written from now on is missed */
    _cleanup_closedir_ DIR *d = opendir(cdir);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (is_id(de->d_name))
            watch_ctr(de->d_name);
    for (size_t i = 0; i < nwatches; i++)
        events_import(watches[i].id);
    pthread_t t;
    if (ino_fd >= 0)
        pthread_create(&t, NULL, watcher_main, NULL);
}

/* The last line of the shim's events of the container in `dir` is a die
 * written after its state.json (this run's exit). */
static bool died_already(const char *dir)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *path = xasprintf("%s/events.jsonl", dir);
    size_t len = 0;
    if (read_file_at(AT_FDCWD, path, &text, &len, NULL) < 0 || len < 2)
        return false;
    text[len - 1] = '\0';
    char *last = strrchr(text, '\n');
    json_t *j = json_loads(last ? last + 1 : text, 0, NULL);
    bool die = streq(json_string_value(json_object_get(j, "Action")), "die");
    json_int_t nano = json_integer_value(json_object_get(j, "timeNano"));
    json_decref(j);
    _cleanup_free_ char *state = xasprintf("%s/state.json", dir);
    struct stat st;
    if (!die || stat(state, &st) < 0)
        return die;
    return nano >= (json_int_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

void events_shim_died(const struct ctr *c, int code)
{
    if (died_already(c->dir))
        return;
    char line[160];
    json_int_t nano = now_nano();
    snprintf(line, sizeof(line),
             "{\"Action\":\"die\",\"Attributes\":{\"exitCode\":\"%d\"},\"time\":%lld,"
             "\"timeNano\":%lld}\n",
             code, (long long)(nano / 1000000000), (long long)nano);
    _cleanup_free_ char *path = xasprintf("%s/events.jsonl", c->dir);
    _cleanup_close_ int fd =
        open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0 && write(fd, line, strlen(line)) == (ssize_t)strlen(line))
        fdatasync(fd);
}

void events_exec(const char *cid, const char *eid, const char *verb)
{
    _cleanup_free_ char *dir = xasprintf("%s/containers/%s/execs", engine.data_root, cid);
    _cleanup_free_ char *name = xasprintf("%s.json", eid);
    json_t *rec = json_read_file(dir, name, NULL);
    json_t *cmd = json_object_get(json_object_get(rec, "Config"), "Cmd");
    _cleanup_free_ char *action = xasprintf("%s:", verb);
    size_t i;
    json_t *v;
    json_array_foreach(cmd, i, v)
    {
        char *a = xasprintf("%s %s", action, json_string_value(v) ? json_string_value(v) : "");
        free(action);
        action = a;
    }
    json_decref(rec);
    struct ctr *c = NULL;
    if (ctr_find(cid, &c, NULL) == 0)
        events_container(c, action, json_pack("{s:s}", "execID", eid));
    ctr_free(c);
}

void events_container_ref(const char *ref, const char *action, json_t *attrs)
{
    struct ctr *c = NULL;
    if (ctr_find(ref, &c, NULL) == 0)
        events_container(c, action, attrs);
    else
        json_decref(attrs);
    ctr_free(c);
}

void events_image(const char *ref, const char *action, bool by_id)
{
    struct store_image *img = NULL;
    struct berth_error *e = NULL;
    if (store_image_resolve(engine.data_root, ref, &img, &e) < 0) {
        berth_error_clear(&e);
        return;
    }
    const char *name = by_id ? img->id : ref;
    events_emit("image", action, img->id, json_pack("{s:s}", "name", name));
    store_image_free(img);
}

void events_image_load(json_t *lines)
{
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        const char *s = json_string_value(l);
        if (s && strncmp(s, "Loaded image ID: ", 17) == 0)
            events_image(s + 17, "load", true);
        else if (s && strncmp(s, "Loaded image: ", 14) == 0)
            events_image(s + 14, "load", true);
    }
}

void events_image_removed(const char *id, json_t *out)
{
    size_t i;
    json_t *l;
    json_array_foreach(out, i, l)
    {
        const char *u = json_string_value(json_object_get(l, "Untagged"));
        const char *d = json_string_value(json_object_get(l, "Deleted"));
        if (u)
            events_emit("image", "untag", id, json_pack("{s:s}", "name", u));
        if (d)
            events_emit("image", "delete", d, json_pack("{s:s}", "name", d));
    }
}
