/* libFuzzer target: a layer or an archive of `load` -> untar_fd, as a
 * layer (whiteouts, owners), as a plain archive and as docker cp's PUT.
 * Whatever the bytes, it must unpack or give one error, never crash,
 * leak, or write outside the directory it was given (checked: nothing
 * appears beside it). */
#include "cleanup.h"
#include "error.h"
#include "untar.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_entries(const char *dir)
{
    _cleanup_(closedirp) DIR *d = opendir(dir);
    size_t n = 0;
    while (d && readdir(d))
        n++;
    return n;
}

static void one(const uint8_t *data, size_t size, unsigned flags)
{
    char outer[] = "/tmp/berth-fuzz-tar.XXXXXX";
    if (mkdtemp(outer) == NULL)
        abort();
    _cleanup_free_ char *root = xasprintf("%s/root", outer);
    if (mkdir(root, 0755) < 0)
        abort();
    _cleanup_close_ int fd = memfd_create("tar", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) < 0)
        abort();
    _cleanup_close_ int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct berth_error *err = NULL;
    char hex[65];
    int r = untar_fd(fd, dfd, flags, hex, &err);
    if (r < 0 && err == NULL)
        __builtin_trap(); /* a failure must say why */
    berth_error_clear(&err);
    if (count_entries(outer) != 3) /* ".", "..", "root": nothing escaped */
        __builtin_trap();
    rm_rf_at(AT_FDCWD, outer, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size, UNTAR_LAYER);
    one(data, size, 0);
    one(data, size, UNTAR_OWNERS | UNTAR_KEEP_KINDS); /* docker cp -a's PUT */
    return 0;
}
