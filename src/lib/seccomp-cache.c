#include "seccomp-cache.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "seccomp-filter.h"
#include "seccomp-prog.h"
#include "sha256.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENTRY_MAGIC "BERTHSCF"

/* An entry's header, in host byte order: the cache never leaves the host. */
struct entry_head {
    char magic[8];
    uint32_t format; /* BERTH_SECCOMP_CACHE_FORMAT */
    uint32_t flags;  /* SECCOMP_FILTER_FLAG_* */
    uint32_t n;      /* instructions that follow */
    uint32_t zero;
    uint8_t key[BERTH_SHA256_LEN];
    uint8_t sum[BERTH_SHA256_LEN]; /* SHA-256 of the instructions */
};

#define ENTRY_MAX (sizeof(struct entry_head) + BPF_MAXINSNS * sizeof(struct sock_filter))

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 0xf];
    }
    out[2 * n] = '\0';
}

/* Ours alone, or not to be used: someone else could have written it. */
static bool private_to_us(const struct stat *st, mode_t type)
{
    return (st->st_mode & S_IFMT) == type && st->st_uid == geteuid() && (st->st_mode & 077) == 0;
}

/* ROOT/.seccomp, made 0700 if missing; -1 (logged) where it cannot be used. */
static int open_dir(const char *state_root)
{
    struct stat st;

    _cleanup_close_ int root = open(state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return -1;
    bool made = mkdirat(root, BERTH_SECCOMP_CACHE_DIR, 0700) == 0;
    if (!made && errno != EEXIST) {
        berth_log(BERTH_LOG_DEBUG, "cannot create the seccomp cache in '%s': %m, ignoring",
                  state_root);
        return -1;
    }
    _cleanup_close_ int fd =
        openat(root, BERTH_SECCOMP_CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    /* the umask may have taken bits away, never added any */
    if (fd >= 0 && made)
        (void)fchmod(fd, 0700);
    if (fd < 0 || fstat(fd, &st) < 0 || !private_to_us(&st, S_IFDIR)) {
        berth_log(BERTH_LOG_DEBUG, "seccomp cache in '%s' is not private to us, ignoring",
                  state_root);
        return -1;
    }
    return TAKE_FD(fd);
}

static bool entry_valid(const struct entry_head *h, size_t size, const uint8_t *key)
{
    uint8_t sum[BERTH_SHA256_LEN];

    if (memcmp(h->magic, ENTRY_MAGIC, sizeof(h->magic)) != 0 ||
        h->format != BERTH_SECCOMP_CACHE_FORMAT || h->zero != 0 ||
        !berth_seccomp_prog_sane(h->n, h->flags) ||
        size != sizeof(*h) + h->n * sizeof(struct sock_filter) ||
        memcmp(h->key, key, BERTH_SHA256_LEN) != 0)
        return false;
    berth_sha256(h + 1, h->n * sizeof(struct sock_filter), sum);
    return memcmp(sum, h->sum, sizeof(sum)) == 0;
}

/* 0 and *ret on a hit; -1 on a miss or a bad entry (logged). */
static int read_entry(int dfd, const char *name, const uint8_t *key,
                      struct berth_seccomp_prog **ret)
{
    struct stat st;

    /* O_NONBLOCK: a FIFO planted there must not hang us */
    _cleanup_close_ int fd =
        openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno != ENOENT)
            berth_log(BERTH_LOG_DEBUG, "cannot open seccomp cache entry '%s': %m, ignoring", name);
        return -1;
    }
    if (fstat(fd, &st) < 0 || !private_to_us(&st, S_IFREG) ||
        st.st_size < (off_t)sizeof(struct entry_head) || st.st_size > (off_t)ENTRY_MAX) {
        berth_log(BERTH_LOG_DEBUG,
                  "seccomp cache entry '%s' is not ours or has a bad size, "
                  "ignoring",
                  name);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    _cleanup_free_ struct entry_head *h = xmalloc(size);
    if (pread(fd, h, size, 0) != (ssize_t)size || !entry_valid(h, size, key)) {
        berth_log(BERTH_LOG_DEBUG, "seccomp cache entry '%s' is corrupt, ignoring", name);
        return -1;
    }
    struct berth_seccomp_prog *p = xzalloc(sizeof(*p));
    p->n = h->n;
    p->flags = h->flags;
    p->insns = xmalloc(p->n * sizeof(struct sock_filter));
    memcpy(p->insns, h + 1, p->n * sizeof(struct sock_filter));
    *ret = p;
    return 0;
}

static int write_all_fd(int fd, const void *data, size_t n)
{
    const char *p = data;

    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fill_tmp(int fd, const uint8_t *key, const struct berth_seccomp_prog *p)
{
    size_t len = p->n * sizeof(struct sock_filter);
    struct entry_head h = {
        .format = BERTH_SECCOMP_CACHE_FORMAT, .flags = p->flags, .n = (uint32_t)p->n};

    memcpy(h.magic, ENTRY_MAGIC, sizeof(h.magic));
    memcpy(h.key, key, sizeof(h.key));
    berth_sha256(p->insns, len, h.sum);
    if (write_all_fd(fd, &h, sizeof(h)) < 0 || write_all_fd(fd, p->insns, len) < 0)
        return -1;
    return fsync(fd);
}

/* A unique temporary name (two runtimes may fill the same entry at once),
 * then rename: readers see no entry or a whole one. */
static int store_entry(int dfd, const char *name, const uint8_t *key,
                       const struct berth_seccomp_prog *p)
{
    uint64_t rnd = 0;

    if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
        rnd ^= (uint64_t)(uintptr_t)&rnd;
    _cleanup_free_ char *tmp =
        xasprintf(".%s.%d.%016llx.tmp", name, (int)getpid(), (unsigned long long)rnd);
    _cleanup_close_ int fd =
        openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (fill_tmp(fd, key, p) < 0 || renameat(dfd, tmp, dfd, name) < 0) {
        int saved = errno;
        unlinkat(dfd, tmp, 0);
        errno = saved;
        return -1;
    }
    /* the rename itself durable; losing it only costs a compile */
    (void)fsync(dfd);
    return 0;
}

int berth_seccomp_cache_get(const char *state_root, const struct berth_seccomp *s,
                            struct berth_seccomp_prog **ret, struct berth_error **err)
{
    uint8_t key[BERTH_SHA256_LEN];
    char name[2 * BERTH_SHA256_LEN + 1];

    int r = berth_seccomp_key(s, key, err);
    if (r < 0)
        return r;
    hex(key, sizeof(key), name);
    _cleanup_close_ int dfd = state_root ? open_dir(state_root) : -1;
    if (dfd >= 0 && read_entry(dfd, name, key, ret) == 0)
        return 0;
    r = berth_seccomp_compile(s, ret, err);
    if (r < 0)
        return r;
    if (dfd >= 0 && store_entry(dfd, name, key, *ret) < 0)
        berth_log(BERTH_LOG_DEBUG, "cannot store seccomp cache entry '%s': %m, ignoring", name);
    return 0;
}
