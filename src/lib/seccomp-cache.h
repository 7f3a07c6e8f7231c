#pragma once
/* Compiled seccomp filters, cached under the state root: compiling Docker's
 * profile (about 350 rules) costs libseccomp some 15 ms, at every container
 * start and every exec. The runtime looks the program up (or compiles and
 * stores it) before it starts the process, which then only installs it
 * (seccomp-prog.h); nothing of the cache is ever visible in a container.
 *
 * ROOT/.seccomp/ is the caller's (euid), mode 0700; an entry, named by the
 * hex key (berth_seccomp_key), is a 0600 file of the caller's: a header
 * (magic, format, flags, length, the key, the program's SHA-256) and the
 * program. Entries are written to a unique temporary name, fsync'ed and
 * renamed into place, so that concurrent runtimes filling the same entry,
 * or a crash, leave either none or a whole one. Entries are opened with
 * O_NOFOLLOW and used only if every check holds (owner, mode, size, header,
 * key, checksum, length <= BPF_MAXINSNS); anything else is compiled again
 * and the entry replaced. A directory of another owner or mode is not used. */
struct berth_error;
struct berth_seccomp;
struct berth_seccomp_prog;

/* The program for profile `s`: from the cache of `state_root`, else
 * compiled (and stored; a store that fails is logged at debug and ignored).
 * `state_root` NULL: compiled, no cache. *ret is the caller's. Errors:
 * those of berth_seccomp_compile, never one of the cache's. */
int berth_seccomp_cache_get(const char *state_root, const struct berth_seccomp *s,
                            struct berth_seccomp_prog **ret, struct berth_error **err);

/* The cache directory under the state root: a dot name, which is no
 * container id (state.h), so `list` skips it and no id can collide. */
#define BERTH_SECCOMP_CACHE_DIR ".seccomp"
