#pragma once
/* Mount options of config.json "mounts[].options" to mount(2) arguments. */
#include <stdbool.h>
#include <stddef.h>

struct berth_error;

struct berth_mount_opts {
    unsigned long flags;       /* MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC … */
    unsigned long clear;       /* flags an option explicitly turned off ("rw", "suid") */
    unsigned long propagation; /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE, may include MS_REC */
    char *data;                /* unknown options joined with ',' (fs-specific), or NULL */
    /* runc's recursive options ("rro", "rnosuid", …) as MOUNT_ATTR_* bits to
     * set and clear on the mount and every submount (mount_setattr(2)) */
    unsigned long long rec_set, rec_clr;
    bool tmpcopyup; /* "tmpcopyup" (a later "notmpcopyup" clears it): runc's extension */
    unsigned idmap; /* "idmap" / "ridmap" (runc's and crun's): BERTH_IDMAP(_REC), or 0 */
};

/* The idmap options: the bind mount is idmapped with the container's user
 * namespace (mount_setattr MOUNT_ATTR_IDMAP), its top only or, recursively,
 * every submount too. */
#define BERTH_IDMAP     1u
#define BERTH_IDMAP_REC 2u

/* Parses a NULL-terminated option vector. Options the kernel knows as flags
 * become flags; "bind"/"rbind" set MS_BIND (|MS_REC); propagation options go
 * to `propagation`; recursive ones to rec_set/rec_clr; anything else is
 * passed as fs data. Never fails on unknown options (they are data; the
 * config parser decides what a mount may take); the result's data is owned
 * by the caller. */
void berth_mount_opts_parse(char **options, struct berth_mount_opts *ret);

/* The i-th option berth_mount_opts_parse knows as a flag, propagation or
 * recursive option (for `features`), or NULL past the last. */
const char *berth_mount_opt_name(size_t i);

/* Parses a single propagation keyword ("rslave", "shared", …) to MS_* flags;
 * returns 0 and sets *ret, or -EINVAL. */
int berth_propagation_parse(const char *s, unsigned long *ret);

/* MOUNT_ATTR_* bits to set (*ret_set) and clear (*ret_clr) that give every
 * submount the MS_RDONLY/NOSUID/NODEV/NOEXEC/atime/NOSYMFOLLOW flags in
 * `flags` (only flags that restrict are carried down, as runc does). */
void berth_mount_flags_to_attr(unsigned long flags, unsigned long long *ret_set,
                               unsigned long long *ret_clr);
