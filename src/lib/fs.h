#pragma once
/* Path resolution confined to a root directory (the container's rootfs):
 * every lookup goes through openat2(RESOLVE_IN_ROOT), so ".." and symlinks,
 * absolute or relative, cannot leave the root. */
#include <stdbool.h>
#include <sys/types.h>

struct berth_error;

enum berth_mkpath {
    BERTH_MKPATH_NONE = 0,             /* the path must exist */
    BERTH_MKPATH_DIR = 1 << 0,         /* create missing components as directories */
    BERTH_MKPATH_FILE = 1 << 1,        /* ... and the last one as an empty file */
    BERTH_MKPATH_NO_SYMLINKS = 1 << 2, /* refuse (ELOOP) any symlink on the way */
};

/* Opens `path` (absolute or relative, always taken inside rootfd) as an
 * O_PATH|O_CLOEXEC fd, creating what is missing as told. Returns the fd or
 * -errno with *err naming the path. */
int berth_fs_open_in_root(int rootfd, const char *path, enum berth_mkpath mk,
                          struct berth_error **err);

/* Same, for the parent directory of `path` (created as directories unless
 * they exist; `mk` may add BERTH_MKPATH_NO_SYMLINKS); *ret_name points into
 * `path` at the last component (which must not be "." or ".."). */
int berth_fs_open_parent_in_root(int rootfd, const char *path, enum berth_mkpath mk,
                                 const char **ret_name, struct berth_error **err);

/* "/proc/self/fd/N" for an fd, in a caller-provided buffer of 32 bytes. */
const char *berth_fd_path(int fd, char buf[32]);
