#pragma once
/* The security of an engine container (issue 14): capabilities, seccomp,
 * no_new_privs, devices, rlimits, sysctls and --privileged, from the
 * record's HostConfig into the OCI spec berth_spec_default began. */
#include <jansson.h>

struct berth_error;

/* seccomp-default.c: berth's default allowlist as an OCI linux.seccomp
 * object for a container holding `caps` ("CAP_X", NULL-terminated):
 * syscalls gated on a capability are allowed only when it is held.
 * Everything not listed fails with EPERM. A new object. */
json_t *shim_seccomp_default(char *const *caps);

/* security.c: sets process.capabilities, process.noNewPrivileges,
 * process.rlimits, linux.seccomp, linux.devices, linux.resources.devices,
 * linux.sysctl and (privileged) the masked/read-only paths and /sys from
 * HostConfig `host`. berthd checked the values (src/daemon/secopts.c);
 * EINVAL if one is bad all the same, ENOENT/ENOTBLK for a device gone. */
int shim_set_security(json_t *spec, json_t *host, struct berth_error **err);

/* The device edits berthd assigned (gpus.json in dir: GPUs and CDI
 * devices) when host has DeviceRequests: device nodes with their cgroup
 * rules, bind mounts, env, hooks. Missing: an error (the start fails). */
int shim_set_device_edits(json_t *spec, const char *dir, json_t *host, struct berth_error **err);
