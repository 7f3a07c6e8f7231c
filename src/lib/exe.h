#pragma once
/* The runtime binary as the container may see it (CVE-2019-5736): every
 * process berth starts runs from a read-only view of the binary, so that
 * /proc/PID/exe, and a "#!/proc/self/exe" payload, lead to a file no write
 * can reach. The view is a detached read-only bind mount of /proc/self/exe
 * (open_tree + mount_setattr, Linux 5.12: no copy, no mount anyone sees),
 * or a sealed memfd copy where the kernel lacks those. A binary that
 * already sits on a read-only mount, or runs from a sealed memfd, needs
 * neither: the caller's own image is safe to clone. */
#include <stdbool.h>

struct berth_error;

/* Whether /proc/self/exe can be written through by no one: it is on a
 * read-only mount or is a memfd sealed against writes. */
bool berth_exe_protected(void);

/* An O_CLOEXEC fd of a read-only view of /proc/self/exe, for execveat()
 * with AT_EMPTY_PATH. */
int berth_exe_open_protected(struct berth_error **err);
