#pragma once
/* linux.seccomp through libseccomp. (Named seccomp-filter, not seccomp, so
 * that it never shadows libseccomp's own <seccomp.h> on the include path.) */

struct berth_error;
struct berth_seccomp;

/* Checks names without loading anything: actions (SCMP_ACT_NOTIFY is refused
 * as not supported: berth has no listener), architectures (known to the
 * linked libseccomp), flags, argument indexes (0..5) and operators, and that
 * errnoRet fits the 16 bits of SECCOMP_RET_DATA. Syscall names unknown to
 * libseccomp are not errors, like runc: one profile serves many kernels and
 * architectures. Returns 0 or -EINVAL with a message naming the field by its
 * JSON path ("linux.seccomp.syscalls[2].action"). Called at config validation
 * time so a bad profile fails before any namespace or cgroup exists. */
int berth_seccomp_validate(const struct berth_seccomp *s, struct berth_error **err);

/* Builds the filter and loads it into the calling thread (all threads with
 * SECCOMP_FILTER_FLAG_TSYNC). Must be the last step before execve: it may
 * forbid syscalls the runtime still needs. Leaves no_new_privs alone, so the
 * caller sets it first or holds CAP_SYS_ADMIN. Rules whose action equals the
 * default action are skipped; so are unknown syscalls, and flags the kernel or
 * libseccomp does not support (logged at debug). Errors: EINVAL for a profile
 * berth_seccomp_validate rejects, otherwise the errno libseccomp reports. */
int berth_seccomp_load(const struct berth_seccomp *s, struct berth_error **err);
