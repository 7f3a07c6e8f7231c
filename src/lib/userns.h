#pragma once
/* User and time namespaces and the personality: what the runtime does from
 * outside (the id maps of a new user namespace, written into
 * /proc/PID/uid_map and gid_map of the init) and what the init does for
 * itself before the payload (root in its user namespace, the time
 * namespace's offsets, personality(2)). */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct berth_config;
struct berth_error;
struct berth_mount;

/* Whether the config asks for a new user namespace (not one joined by path). */
bool berth_userns_new(const struct berth_config *c);

/* The host uid and gid the container's root maps to (-1 when 0 is not
 * mapped); the caller's own ids when the config has no new user namespace. */
void berth_userns_root(const struct berth_config *c, uid_t *ret_uid, gid_t *ret_gid);

/* Runtime side, once the init `pid` exists in its new user namespace:
 * writes its gid_map and uid_map, and its oom_score_adj (process.oomScoreAdj),
 * which it could not lower itself in there. As root the maps are written directly;
 * otherwise a map of the caller's own id alone is written directly (with
 * setgroups denied for gid_map, as the kernel requires), and anything else
 * goes through newuidmap/newgidmap (shadow's setuid helpers, which check
 * /etc/subuid and /etc/subgid), as runc and crun do. EPERM with the helper's
 * own message, or ENOENT naming the missing helper. */
int berth_userns_write_maps(pid_t pid, const struct berth_config *c, struct berth_error **err);

/* Init side, in its user namespace (new and mapped, or joined): becomes
 * uid and gid 0 there, dropping the host's supplementary groups where
 * setgroups is allowed. EINVAL when 0 is not mapped. */
int berth_userns_become_root(struct berth_error **err);

/* Init side, before the rootfs: joins nothing, but makes the new time
 * namespace for the payload (unshare(CLONE_NEWTIME) enters it at the next
 * execve) and writes linux.timeOffsets into /proc/self/timens_offsets
 * before any process is in it. A no-op without a new time namespace. */
int berth_timens_setup(const struct berth_config *c, struct berth_error **err);

/* Init side: personality(2) of linux.personality, if any. */
int berth_personality_apply(const struct berth_config *c, struct berth_error **err);

/* Init side, before pivot_root: the host's `source` (a directory) bind
 * mounted recursively on m->destination with m's flags plus `flags`
 * (MS_RDONLY …), for what a user namespace cannot mount itself: sysfs
 * without a network namespace of its own (as runc and crun do), the cgroup
 * tree of a rootless container that has no cgroup. */
int berth_userns_bind_host(int rootfd, const struct berth_mount *m, const char *source,
                           unsigned long flags, struct berth_error **err);

/* How many mounts of the config are idmapped ("idmap", "ridmap"). */
size_t berth_userns_idmap_count(const struct berth_config *c);

/* Runtime side: for each idmapped mount, in mount order, a detached clone
 * of its source (open_tree OPEN_TREE_CLONE; for "ridmap" with every
 * submount) idmapped with the user namespace `userns_fd` (mount_setattr
 * MOUNT_ATTR_IDMAP) into ret_fds (berth_userns_idmap_count of them; caller
 * closes). This needs the host's privileges over the source's file system,
 * which the container's init lacks; the init attaches the clones
 * (berth_mount_bind_tree). Relative sources resolve against `bundle`. The
 * kernel's errno, named with the option, when the kernel or the file system
 * cannot idmap (EINVAL) or the caller may not (EPERM). */
int berth_userns_idmap_mounts(const struct berth_config *c, const char *bundle, int userns_fd,
                              int *ret_fds, struct berth_error **err);
