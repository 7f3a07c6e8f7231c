#pragma once
/* Mounts inside a root directory: every destination is resolved confined to
 * `rootfd` (fs.h), the container's rootfs before pivot_root or AT_FDCWD
 * after it, so image symlinks cannot send a mount onto the host. */
#include <sys/mount.h>

struct berth_error;
struct berth_mount;

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* The flags a bind mount only gets through a remount. */
#define BERTH_REMOUNT_FLAGS                                                                        \
    (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |     \
     MS_STRICTATIME | MS_NOSYMFOLLOW)

/* Binds m->source (a host path) on m->destination, creating the mount point
 * as a directory or file like the source; MS_REC for rbind. The remount
 * flags apply to the new mount and, for an rbind, to every submount (so
 * "ro" leaves nothing writable below), as do m->rec_set/rec_clr. */
int berth_mount_bind(int rootfd, const struct berth_mount *m, struct berth_error **err);

/* berth_mount_bind for a detached mount tree `tree_fd` (an idmapped clone
 * of m->source, userns.h) instead of m->source: attached with move_mount. */
int berth_mount_bind_tree(int rootfd, const struct berth_mount *m, int tree_fd,
                          struct berth_error **err);

/* A file system mount (tmpfs, proc, …) on `dest`, created as a directory. */
int berth_mount_fs(int rootfd, const char *src, const char *type, const char *dest,
                   unsigned long flags, const char *data, struct berth_error **err);

/* A tmpfs on m->destination ("tmpcopyup") that starts with a copy of the
 * directory it covers (copyup.h), its root with that directory's owner and
 * mode unless `data` sets them; read-only after the copy if m asks. */
int berth_mount_tmpfs_copyup(int rootfd, const struct berth_mount *m, const char *data,
                             struct berth_error **err);

/* Bind remount of the mount at `dest` with `flags` (a BERTH_REMOUNT_FLAGS
 * subset), keeping the nosuid, nodev and noexec it already has. */
int berth_mount_remount_bind(int rootfd, const char *dest, unsigned long flags,
                             struct berth_error **err);

/* Propagation (MS_SHARED, MS_SLAVE, … | MS_REC) of the mount at `dest`. */
int berth_mount_propagation(int rootfd, const char *dest, unsigned long prop,
                            struct berth_error **err);
