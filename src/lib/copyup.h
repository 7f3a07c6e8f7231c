#pragma once
/* The "tmpcopyup" mount option (runc's and crun's extension, podman's
 * --read-only uses it): a tmpfs mounted over a rootfs directory starts with
 * a copy of what it covers. */
#include <sys/types.h>

struct berth_error;

/* Copies the tree below the directory `srcfd` into the directory `dstfd`:
 * directories, regular files, symlinks (their text, never followed),
 * fifos, sockets and device nodes, with modes, owners and timestamps
 * (hard links become separate files; xattrs are not copied). Every step is
 * an *at() call on an open directory with O_NOFOLLOW, so nothing in the
 * tree can send it elsewhere. `what` names the tree in messages
 * ("/etc"). Both fds are O_RDONLY|O_DIRECTORY; neither is consumed. */
int berth_copy_tree(int srcfd, int dstfd, const char *what, struct berth_error **err);

/* The owner and mode of `srcfd` on `dstfd` (the tmpfs root), leaving out
 * what the mount's own "mode=" / "uid=" / "gid=" options set. */
int berth_copy_root_attrs(int srcfd, int dstfd, const char *data, const char *what,
                          struct berth_error **err);
