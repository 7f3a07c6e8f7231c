#pragma once
/* The default config.json `spec` writes: the same shape runc writes, so a
 * bundle made for one works with the other. */

/* Returns the JSON text (caller frees). args is the process.args vector
 * (NULL: ["sh"]); terminal sets process.terminal. */
char *berth_spec_default(char **args, int terminal);

/* The same, made rootless as runc's `spec --rootless` makes it: a user
 * namespace mapping `uid` and `gid` (the caller's) to 0, no network
 * namespace, /sys an rbind of the host's (nosuid, noexec, nodev, ro), no
 * uid=/gid= mount options and no linux.resources. */
#include <sys/types.h>
char *berth_spec_rootless(char **args, int terminal, uid_t uid, gid_t gid);
