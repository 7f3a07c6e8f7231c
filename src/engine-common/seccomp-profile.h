#pragma once
/* Docker's seccomp profile format (what `--security-opt seccomp=FILE`
 * sends as JSON text) into OCI's linux.seccomp (issue 14). */
#include <jansson.h>

struct berth_error;

/* The OCI linux.seccomp object for this machine from a Docker profile:
 * a rule whose includes/excludes (caps, arches, minKernel) do not hold
 * for the container is left out; architectures come from "architectures"
 * or from archMap's entry for the native architecture. `caps` are the
 * container's capabilities ("CAP_X", NULL-terminated), or NULL to keep
 * every rule (to check a profile before there is a container). Returns a
 * new object, or NULL with EINVAL naming the bad field. */
json_t *seccomp_profile_to_oci(json_t *profile, char *const *caps, struct berth_error **err);

/* Parses `text` as a Docker profile and checks what it becomes as the
 * runtime would at start (actions, operators, architectures). 0 or
 * -EINVAL with err. */
int seccomp_profile_check(const char *text, struct berth_error **err);
