#pragma once
/* Safe tar extraction for the image store (issue 13): layers and the
 * archives of `load` are hostile input. Entries are created with *at()
 * calls under a directory fd; the parent of each entry is opened with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so no symlink of the
 * archive is ever followed and nothing lands outside the root. Absolute
 * names, "..", hard links out of the root, relative symlinks that climb
 * above it and device nodes (but the 0/0 whiteout) are refused.
 * Compression (gzip, xz, zstd, bzip2) is recognised by libarchive. */
#include <stdbool.h>

struct berth_error;

enum untar_flags {
    /* an image layer: owners kept, OCI whiteouts (.wh.NAME, .wh..wh..opq)
     * turned into overlayfs ones (char 0/0, trusted.overlay.opaque=y) */
    UNTAR_LAYER = 1 << 0,
    /* owners kept (docker cp -a), without a layer's whiteouts */
    UNTAR_OWNERS = 1 << 1,
    /* an existing directory is not replaced by a non-directory, nor the
     * reverse: EEXIST naming it (docker cp's noOverwriteDirNonDir) */
    UNTAR_KEEP_KINDS = 1 << 2,
};

/* Unpacks the (possibly compressed) tar read from `fd` into the directory
 * `dirfd`. *ret_hex (may be NULL) gets the sha256 of the uncompressed tar
 * stream, a layer's diff_id. EINVAL (message naming the entry) for input
 * that is not a tar or that tries to leave the root; what was unpacked
 * before stays for the caller to remove. */
int untar_fd(int fd, int dirfd, unsigned flags, char ret_hex[65], struct berth_error **err);

/* Copies the decompressed content of `fd` to `out_fd` (-1: nowhere),
 * *ret_hex its sha256. EINVAL when the compression is damaged. */
int untar_decompress(int fd, int out_fd, char ret_hex[65], struct berth_error **err);

/* sha256 of what `fd` holds from its offset to its end, as hex; *ret_size
 * (may be NULL) its length. */
int sha256_fd(int fd, char ret_hex[65], long long *ret_size, struct berth_error **err);

/* true when `name` is a relative path without a ".." component. */
bool untar_safe_name(const char *name);
