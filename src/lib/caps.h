#pragma once
/* Capabilities: names and applying the five sets of process.capabilities. */
#include <stdint.h>

struct berth_error;
struct berth_caps;

/* "CAP_SYS_ADMIN" (case-insensitive, "CAP_" prefix optional) to a number;
 * -1 if unknown (including numeric strings: config.json names capabilities). */
int berth_cap_from_name(const char *name);
/* Canonical upper-case name with "CAP_" prefix (a static string), or NULL for
 * a number berth was not compiled to know. */
const char *berth_cap_name(int cap);
/* Highest capability number the running kernel knows
 * (/proc/sys/kernel/cap_last_cap), falling back to the compiled-in last;
 * never above 63, the width of the masks in struct berth_caps. */
int berth_cap_last_cap(void);

/* Drops from the bounding set every capability 0..berth_cap_last_cap() not in
 * caps->bounding; capabilities the kernel does not know are skipped, bits above
 * the kernel's last are ignored. caps->present is not consulted: an absent
 * process.capabilities means empty sets, as in runc. Needs CAP_SETPCAP; call
 * before changing uid. Errors: the errno of PR_CAPBSET_DROP (EPERM). */
int berth_caps_drop_bounding(const struct berth_caps *caps, struct berth_error **err);

/* After setresuid (with PR_SET_KEEPCAPS so permitted survived): sets
 * effective, permitted and inheritable exactly to the masks, then empties the
 * ambient set and raises each ambient capability. Bits above the kernel's last
 * capability are ignored. EINVAL, before anything changes, if an ambient
 * capability is not in both permitted and inheritable (the kernel would refuse
 * to raise it); otherwise the errno of capset or PR_CAP_AMBIENT. */
int berth_caps_apply(const struct berth_caps *caps, struct berth_error **err);
