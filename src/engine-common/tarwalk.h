#pragma once
/* A path, and for a directory everything under it, into a tar. */
#include <stdbool.h>

struct archive;
struct berth_error;

/* `base` in `dirfd` as the tar entry `name` (children as NAME/CHILD):
 * files, directories, symlinks (not followed; the top one is with
 * `follow`), fifos and device nodes as headers; sockets are left out, as
 * are entries that vanish while the walk reads. A file that shrinks or
 * grows meanwhile keeps the size its header gave. */
int tarwalk_add(struct archive *a, int dirfd, const char *base, const char *name, bool follow,
                struct berth_error **err);
