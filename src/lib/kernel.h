#pragma once
/* The oldest kernel berth runs on: 5.7, for clone3 with CLONE_INTO_CGROUP
 * (5.7), openat2 (5.6) and pidfds (5.3/5.4). Newer features have fallbacks
 * (close_range, cgroup.kill, mount_setattr for the binary protection) or
 * are refused with a message where used (recursive read-only binds). */
struct berth_error;

#define BERTH_MIN_KERNEL_MAJOR 5
#define BERTH_MIN_KERNEL_MINOR 7

/* "6.1.0-18-amd64" -> 6, 1. Returns 0, or -EINVAL when the release does not
 * start with MAJOR.MINOR. */
int berth_kernel_parse_release(const char *release, int *ret_major, int *ret_minor);

/* EOPNOTSUPP "berth needs Linux 5.7 or later, this kernel is 5.4.0" when the
 * running kernel is older than the minimum. */
int berth_kernel_check(struct berth_error **err);
