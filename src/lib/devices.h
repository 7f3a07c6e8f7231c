#pragma once
/* Device nodes in the container's /dev: the defaults every OCI runtime
 * provides and linux.devices from the config. Runs inside the child, before
 * pivot_root, with rootfd the rootfs. */
#include <stddef.h>

struct berth_config;
struct berth_error;

/* Creates /dev/null, zero, full, random, urandom, tty, the ptmx -> pts/ptmx
 * link and the fd/stdin/stdout/stderr links (if `defaults`), then every
 * linux.devices entry. Existing default nodes are left alone. */
int berth_devices_create(int rootfd, const struct berth_config *c, int defaults,
                         struct berth_error **err);

struct berth_device_rule;

/* The device cgroup rules to apply: the config's own (linux.resources.devices)
 * followed, as in runc, by allow rules for mknod of any node, the default
 * devices, /dev/pts/ and /dev/ptmx, and every linux.devices entry; since the
 * last matching rule wins, a container always keeps its default devices.
 * Returns a new array (caller frees) of *ret_n rules. */
struct berth_device_rule *berth_devices_cgroup_rules(const struct berth_config *c, size_t *ret_n);
