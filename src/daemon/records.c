/* The parsed records of each container, kept between requests.
 *
 * The files stay the truth (daemon.h): every read checks the disk, and a
 * record is parsed again when its file is not the one parsed before. What
 * is saved is the reading and parsing of the JSON, which made `ps` with a
 * thousand containers slow. A record is replaced only by rename (durable.h)
 * or removed by unlink, and both change the container dir's mtime and
 * ctime, so one stat of the dir stands for its three files.
 *
 * Timestamps are coarse (a clock tick): a change within the tick of the
 * stat that was trusted could leave mtime, ctime and even the inode number
 * as they were. So an identity is trusted only once it is "settled", its
 * ctime older than SETTLE_NS when seen; a recent one is read again each
 * time (only the containers changed in the last seconds pay for it). */
#include "daemon.h"
#include "cleanup.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SETTLE_NS  (2LL * 1000000000LL)
#define BUCKETS    1024
#define MAX_RECORD (16 << 20)

static const char *const rec_names[REC_N] = {"container.json", "state.json", "exit.json"};

struct ident {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    bool settled;
};

struct rec_entry {
    char id[65];
    char *memo[RECORDS_MEMOS]; /* records_memo's texts, made from f[REC_CONTAINER].j */
    struct ident dir;
    struct {
        struct ident id; /* of the file parsed (absent: ino 0) */
        json_t *j;       /* its content, NULL when absent */
        bool known;      /* checked since dir was seen as it is */
    } f[REC_N];
    struct rec_entry *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rec_entry *buckets[BUCKETS];

static unsigned bucket_of(const char *id)
{
    unsigned h = 2166136261u;
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % BUCKETS;
}

static long long ns_of(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void ident_of(const struct stat *st, struct ident *ret)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    *ret = (struct ident){.dev = st->st_dev,
                          .ino = st->st_ino,
                          .size = st->st_size,
                          .mtime = st->st_mtim,
                          .ctime = st->st_ctim};
    ret->settled = ns_of(&now) - ns_of(&st->st_ctim) > SETTLE_NS &&
                   ns_of(&now) - ns_of(&st->st_mtim) > SETTLE_NS;
}

static bool ident_same(const struct ident *a, const struct ident *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           ns_of(&a->mtime) == ns_of(&b->mtime) && ns_of(&a->ctime) == ns_of(&b->ctime);
}

static void entry_free(struct rec_entry *e)
{
    for (int i = 0; i < REC_N; i++)
        json_decref(e->f[i].j);
    for (int i = 0; i < RECORDS_MEMOS; i++)
        free(e->memo[i]);
    free(e);
}

/* The entry of ID (created when `make`), the lock held. */
static struct rec_entry *entry_get(const char *id, bool make)
{
    struct rec_entry **p = &buckets[bucket_of(id)];
    for (; *p; p = &(*p)->next)
        if (streq((*p)->id, id))
            return *p;
    if (!make)
        return NULL;
    *p = xzalloc(sizeof(**p));
    snprintf((*p)->id, sizeof((*p)->id), "%s", id);
    return *p;
}

void records_forget(const char *id)
{
    pthread_mutex_lock(&lock);
    struct rec_entry **p = &buckets[bucket_of(id)];
    for (; *p; p = &(*p)->next) {
        if (streq((*p)->id, id)) {
            struct rec_entry *e = *p;
            *p = e->next;
            entry_free(e);
            break;
        }
    }
    pthread_mutex_unlock(&lock);
}

/* The open file FD read whole (a regular file reads short only at its
 * end) and parsed; NULL when unreadable or no JSON. */
static json_t *parse_fd(int fd)
{
    char stack[8192];
    _cleanup_free_ char *heap = NULL;
    char *buf = stack;
    size_t len = 0, cap = sizeof(stack);
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return NULL;
        len += (size_t)n;
        if (len < cap)
            break;
        if (cap >= MAX_RECORD)
            return NULL;
        heap = heap ? xrealloc(heap, cap * 2) : memcpy(xmalloc(cap * 2), stack, len);
        buf = heap;
        cap *= 2;
    }
    return json_loadb(buf, len, 0, NULL);
}

/* Brings file I of E up to date with the disk, the lock held. */
static void refresh_file(int cdfd, struct rec_entry *e, int i)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", e->id, rec_names[i]);
    struct stat st;
    struct ident now;
    if (fstatat(cdfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        ident_of(&st, &now);
        if (e->f[i].id.settled && ident_same(&e->f[i].id, &now))
            return;
    }
    json_decref(e->f[i].j);
    e->f[i].j = NULL;
    e->f[i].id = (struct ident){0};
    for (int m = 0; i == REC_CONTAINER && m < RECORDS_MEMOS; m++) {
        free(e->memo[m]);
        e->memo[m] = NULL;
    }
    _cleanup_close_ int fd = openat(cdfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    /* the identity of what is read, not of what was stat'ed before */
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return;
    e->f[i].j = parse_fd(fd);
    if (e->f[i].j)
        ident_of(&st, &e->f[i].id);
}

int records_read(int cdfd, const char *id, unsigned mask, json_t *ret[REC_N])
{
    struct stat ds;
    memset(ret, 0, sizeof(json_t *) * REC_N);
    if (fstatat(cdfd, id, &ds, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(ds.st_mode)) {
        records_forget(id);
        return -ENOENT;
    }
    struct ident dir;
    ident_of(&ds, &dir);
    pthread_mutex_lock(&lock);
    struct rec_entry *e = entry_get(id, true);
    bool dir_same = e->dir.settled && ident_same(&e->dir, &dir);
    if (!dir_same)
        for (int i = 0; i < REC_N; i++)
            e->f[i].known = false;
    e->dir = dir;
    for (int i = 0; i < REC_N; i++) {
        if (!(mask & (1u << i)))
            continue;
        if (!e->f[i].known)
            refresh_file(cdfd, e, i);
        /* a file checked after a settled dir stat holds while it does */
        e->f[i].known = dir.settled;
        ret[i] = json_incref(e->f[i].j);
    }
    pthread_mutex_unlock(&lock);
    return ret[REC_CONTAINER] || !(mask & (1u << REC_CONTAINER)) ? 0 : -ENOENT;
}

/* The memo is compared by the record it was made from: c->rec holds a
 * reference, so while c lives its address cannot be reused by another. */
char *records_memo(const struct ctr *c, unsigned slot, char *(*make)(const struct ctr *c))
{
    pthread_mutex_lock(&lock);
    struct rec_entry *e = entry_get(c->id, false);
    char *text =
        e && e->memo[slot] && e->f[REC_CONTAINER].j == c->rec ? xstrdup(e->memo[slot]) : NULL;
    pthread_mutex_unlock(&lock);
    if (text)
        return text;
    text = make(c);
    pthread_mutex_lock(&lock);
    e = entry_get(c->id, false);
    if (e && e->f[REC_CONTAINER].j == c->rec) {
        free(e->memo[slot]);
        e->memo[slot] = xstrdup(text);
    }
    pthread_mutex_unlock(&lock);
    return text;
}
