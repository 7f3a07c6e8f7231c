#pragma once
/* A container root as an overlay: read-only image layers under a private
 * writable upper dir (issue 13). The caller owns the directories. */
#include <stddef.h>

struct berth_error;

/* Mounts overlayfs on `target`: `lowers` (n >= 1, bottom layer first,
 * absolute paths without ':' or ',') read-only, `upper` and `work` (same
 * file system) writable. EINVAL for a path the mount options cannot carry;
 * the mount's errno otherwise. */
int berth_overlay_mount(const char *const *lowers, size_t n, const char *upper, const char *work,
                        const char *target, struct berth_error **err);

/* Unmounts `target` (detached if busy). Not mounted is success. */
int berth_overlay_umount(const char *target, struct berth_error **err);
