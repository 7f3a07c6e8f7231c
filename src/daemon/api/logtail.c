#include "logtail.h"
#include "cleanup.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 65536

/* Scans `fd` back from its end for the start of its last `want` complete
 * lines; returns how many it found (at most `want`), *ret_off where they
 * begin (0 when it found fewer). Reads blocks, never the whole file. */
static long scan_back(int fd, long want, long *ret_off)
{
    struct stat st;
    _cleanup_free_ char *buf = xmalloc(BLOCK);
    long found = 0, end = -1; /* end: just past the last newline */
    off_t pos = fstat(fd, &st) == 0 ? st.st_size : 0;
    *ret_off = 0;
    while (pos > 0) {
        size_t len = pos > BLOCK ? BLOCK : (size_t)pos;
        pos -= (off_t)len;
        if (pread(fd, buf, len, pos) != (ssize_t)len)
            return found;
        for (size_t i = len; i-- > 0;) {
            if (buf[i] != '\n')
                continue;
            if (end < 0) { /* the newline that ends the last complete line */
                end = (long)pos + (long)i + 1;
                if (want == 0) {
                    *ret_off = end;
                    return 0;
                }
                continue;
            }
            if (++found == want) {
                *ret_off = (long)pos + (long)i + 1;
                return found;
            }
        }
    }
    return end < 0 ? 0 : found + 1; /* the first line has no newline before it */
}

void log_tail_position(const char *path, long n, int *ret_file, long *ret_off)
{
    *ret_file = 0;
    *ret_off = 0;
    for (int k = 0; k < 1000; k++) {
        _cleanup_free_ char *p = k ? xasprintf("%s.%d", path, k) : xstrdup(path);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && k > 0)
            return;
        long off = 0, got = fd < 0 ? 0 : scan_back(fd, n, &off);
        *ret_file = k;
        *ret_off = off;
        if (got > n) /* all of this file, and it was exactly enough */
            got = n;
        n -= got;
        if (n == 0)
            return;
    }
}
