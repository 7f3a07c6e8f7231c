#pragma once
/* berth build's layers (issue 16): a directory tree as an OCI layer tar, and
 * a digest of a tree's names, modes, owners and contents for the build
 * cache. The walk is deterministic: names sorted bytewise, mtimes kept
 * (seconds), no atime or ctime, so the same tree gives the same tar. */
#include <stdbool.h>

struct berth_error;

enum layerdiff_flags {
    /* the tree is an overlayfs upper dir: its whiteouts (char 0/0 nodes,
     * trusted.overlay.opaque=y dirs) become OCI ones (.wh.NAME,
     * .wh..wh..opq) */
    LAYERDIFF_OVERLAY = 1 << 0,
};

/* Writes the tree under `dirfd` as an uncompressed tar to `out_fd` (at its
 * offset) and *ret_hex the sha256 of that tar (the layer's diff_id and, as
 * it is stored uncompressed, its blob digest). `skip` (NULL-terminated,
 * may be NULL) lists tree-relative paths left out with what is below
 * them. Hard links inside the tree stay hard links. A device node other
 * than a whiteout is refused (EINVAL naming it: a layer berth unpacks
 * carries none); sockets are left out. */
int layerdiff_tar(int dirfd, unsigned flags, const char *const *skip, int out_fd, char ret_hex[65],
                  struct berth_error **err);

/* The sha256 (hex) of the tree under `dirfd`: each entry's name, type,
 * mode, owner and content (a symlink's target), not its times. */
int layerdiff_hash(int dirfd, char ret_hex[65], struct berth_error **err);
