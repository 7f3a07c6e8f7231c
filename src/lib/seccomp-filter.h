#pragma once
/* linux.seccomp through libseccomp. (Named seccomp-filter, not seccomp, so
 * that it never shadows libseccomp's own <seccomp.h> on the include path.) */

#include <stdbool.h>
#include <stddef.h>

struct berth_error;
struct berth_seccomp;

/* What `features` lists: the i-th action and flag name berth takes (NULL
 * past the last; SCMP_ACT_NOTIFY, refused, is not among them), whether the
 * linked libseccomp knows an OCI architecture name ("SCMP_ARCH_X86_64"),
 * and whether libseccomp and the kernel support a flag. */
const char *berth_seccomp_action_name(size_t i);
bool berth_seccomp_arch_known(const char *name);
const char *berth_seccomp_flag_name(size_t i);
bool berth_seccomp_flag_supported(const char *name);

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
