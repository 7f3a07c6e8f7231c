#pragma once
/* -u in the container's own files (user.c). */
#include <jansson.h>

struct berth_error;

/* Resolves Docker's -u forms ("", NAME, UID, NAME:GROUP,
 * UID:GID, UID:GROUP, ...) in `layers` (bottom first; NULL: none) as
 * docker does: a name must be in /etc/passwd, a group name in /etc/group;
 * without a group the user's supplementary groups are the groups that
 * list it. Files are opened inside each layer with RESOLVE_IN_ROOT, so a
 * symlink cannot leave the image. EINVAL "unable to find user x: no
 * matching entries in passwd file". */
int user_resolve(const char *spec, char *const *layers, long *ret_uid, long *ret_gid,
                 json_t **ret_groups, struct berth_error **err);

/* --group-add: each of `names` (a group name in the image's /etc/group, or
 * a number) appended to `groups` unless there; EINVAL "unable to find
 * group x: no matching entries in group file". */
int user_add_groups(json_t *names, char *const *layers, json_t *groups, struct berth_error **err);
