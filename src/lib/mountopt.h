#pragma once
/* Mount options of config.json "mounts[].options" to mount(2) arguments. */
#include <stdbool.h>

struct berth_error;

struct berth_mount_opts {
    unsigned long flags;       /* MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC … */
    unsigned long clear;       /* flags an option explicitly turned off ("rw", "suid") */
    unsigned long propagation; /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE, may include MS_REC */
    char *data;                /* unknown options joined with ',' (fs-specific), or NULL */
};

/* Parses a NULL-terminated option vector. Options the kernel knows as flags
 * become flags; "bind"/"rbind" set MS_BIND (|MS_REC); propagation options go
 * to `propagation`; anything else is passed as fs data. Never fails on
 * unknown options (they are data); the result's data is owned by the caller. */
void berth_mount_opts_parse(char **options, struct berth_mount_opts *ret);

/* Parses a single propagation keyword ("rslave", "shared", …) to MS_* flags;
 * returns 0 and sets *ret, or -EINVAL. */
int berth_propagation_parse(const char *s, unsigned long *ret);
