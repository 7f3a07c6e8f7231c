#pragma once
/* What the files behind container.h (container.c, container-info.c, lifecycle.c,
 * control.c, checkpoint.c) share; nothing else includes this. */
#include <stdbool.h>

#include "state.h"

struct berth_cgroup;
struct berth_config;
struct berth_error;

/* Fills the fields of a state record that come from the config and from
 * this process (the owner), for create and restore; the caller sets pid,
 * pid_start, bundle, created and cgroup_json. Borrows config's strings. */
void berth_container_record_init(struct berth_state *s, const char *id, enum berth_phase phase,
                                 const struct berth_config *config);

/* berth_state_status, and PAUSED for a running container whose cgroup is
 * frozen: the state record holds no cgroup knowledge (container-info.c). */
enum berth_status berth_container_status(int dirfd, const struct berth_state *s, bool busy);

/* The cgroup named in a container's record (caller frees), or NULL with
 * ENOENT "container 'ID' has no cgroup" (container-info.c). */
struct berth_cgroup *berth_container_cgroup(const struct berth_state *s, struct berth_error **err);

/* Opens ROOT/ID, takes its lock exclusively and reads its record into *ret;
 * returns the locked directory fd. EBUSY when another command holds the
 * lock past 10 s (a create that hangs), ENOENT for an unknown container
 * (lifecycle.c). */
int berth_container_lock(const char *root, const char *id, struct berth_state **ret,
                         struct berth_error **err);
