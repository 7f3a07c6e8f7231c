#pragma once
/* linux.seccomp through libseccomp. (Named seccomp-filter, not seccomp, so
 * that it never shadows libseccomp's own <seccomp.h> on the include path.) */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct berth_error;
struct berth_seccomp;
struct berth_seccomp_prog;

/* Goes into every cache key (seccomp-cache.h): bump it when the key's
 * serialisation, the entry format or what compiling produces changes. */
#define BERTH_SECCOMP_CACHE_FORMAT 1

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

/* berth_seccomp_load's first half, without touching the calling process:
 * validates, builds the filter with libseccomp and exports its program
 * (seccomp_export_bpf) with the flags seccomp_load would pass. *ret is the
 * caller's (berth_seccomp_prog_free). Errors as berth_seccomp_load's; E2BIG
 * for a program longer than BPF_MAXINSNS. */
int berth_seccomp_compile(const struct berth_seccomp *s, struct berth_seccomp_prog **ret,
                          struct berth_error **err);

/* SHA-256 over everything that decides the compiled program: a canonical
 * serialisation of the profile as resolved (the default action with its
 * errno, the architectures, the flags, every rule's action, syscall names
 * and argument conditions), libseccomp's version and API level, the native
 * architecture and BERTH_SECCOMP_CACHE_FORMAT. Equal profiles give equal
 * keys. Errors: EINVAL for a profile berth_seccomp_validate rejects. */
int berth_seccomp_key(const struct berth_seccomp *s, uint8_t ret[32], struct berth_error **err);
