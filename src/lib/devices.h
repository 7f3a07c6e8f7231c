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

/* The device cgroup rules to apply: the config's leading deny-all rules, then
 * allow rules for mknod of any node and for the default devices, /dev/ptmx
 * and /dev/pts/N, then the config's remaining rules. The last matching rule
 * wins, so the defaults survive the usual "deny all" while a rule the user
 * wrote about one of them still has the last word. linux.devices entries get
 * no rule of their own: as with runc, they need an allow rule in the config.
 * Returns a new array (caller frees) of *ret_n rules. */
struct berth_device_rule *berth_devices_cgroup_rules(const struct berth_config *c, size_t *ret_n);
