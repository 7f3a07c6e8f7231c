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

/* The device cgroup rules to apply, in order (the last matching one wins):
 * the config's rules in the config's order, then allow rules for mknod of
 * any node and for the default devices, /dev/ptmx, /dev/pts/N and
 * /dev/console, as crun does: the devices berth itself creates always work.
 * A config without rules gets "deny all" first, on both cgroup drivers (the
 * v1 kernel default would allow everything). linux.devices entries get no
 * rule of their own: as with runc, they need an allow rule in the config.
 * Returns a new array (caller frees) of *ret_n rules. */
struct berth_device_rule *berth_devices_cgroup_rules(const struct berth_config *c, size_t *ret_n);
/* The same for a linux.resources object alone (`update`). */
struct berth_resources;
struct berth_device_rule *berth_devices_resources_rules(const struct berth_resources *res,
                                                        size_t *ret_n);
