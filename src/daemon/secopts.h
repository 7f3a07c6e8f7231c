#pragma once
/* The security fields of a create body (issue 14): HostConfig.CapAdd,
 * CapDrop, SecurityOpt, Devices, Ulimits, Sysctls, Privileged, checked
 * before anything is created; the shim applies them (src/shim/security.c). */
#include <jansson.h>

struct berth_error;

/* 0, or -EINVAL with err naming the bad value as Docker words it (an
 * unknown capability, a security-opt berth does not honour, a device
 * that is not one, a bad ulimit, a sysctl outside the container's
 * namespaces). Stats device paths, reads nothing else. */
int secopts_check(json_t *host, struct berth_error **err);
