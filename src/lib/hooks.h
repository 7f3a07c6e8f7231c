#pragma once
/* Running OCI hooks: each hook's path with its args and env, the
 * container's state JSON on stdin, killed at its timeout. */
#include <stdbool.h>

#include "oci.h"

struct berth_error;

/* Runs the hooks of `kind` in order, in the calling process's namespaces.
 * Stops at the first that fails (exit status, signal, timeout, no such
 * binary): EINVAL-ish errors "hook 'createRuntime' #1 '/x': exited with
 * status 3" — unless `warn_only` (poststart, poststop: the spec wants a
 * warning and the rest run), which logs each failure and returns 0. */
int berth_hooks_run(const struct berth_config *c, enum berth_hook_kind kind, const char *state_json,
                    bool warn_only, struct berth_error **err);

/* The runtime-spec state a hook reads: id, status, pid, bundle,
 * annotations. Caller frees. */
char *berth_hooks_state(const struct berth_config *c, const char *id, const char *status, int pid,
                        const char *bundle);
