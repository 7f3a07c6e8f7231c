#pragma once
/* A compiled seccomp filter: the classic BPF program libseccomp generates
 * (seccomp-filter.h) and the seccomp(2) flags it would load it with. It is
 * what the runtime hands the container's init and exec'd processes (in
 * memory, or as JSON to a re-executed one) and what the cache stores
 * (seccomp-cache.h), so that only the runtime ever compiles. */
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct berth_error;
struct sock_filter;

struct berth_seccomp_prog {
    struct sock_filter *insns; /* owned; 1 .. BPF_MAXINSNS of them */
    size_t n;
    unsigned flags; /* SECCOMP_FILTER_FLAG_TSYNC, _LOG, _SPEC_ALLOW */
};

/* The flags a program may carry: any other makes it invalid. */
#define BERTH_SECCOMP_PROG_FLAGS (1u | 2u | 4u)

void berth_seccomp_prog_free(struct berth_seccomp_prog *p);
static inline void berth_seccomp_prog_freep(struct berth_seccomp_prog **p)
{
    berth_seccomp_prog_free(*p);
}
#define _cleanup_seccomp_prog_ __attribute__((cleanup(berth_seccomp_prog_freep)))

/* Whether n instructions and `flags` make a program seccomp(2) may take. */
bool berth_seccomp_prog_sane(size_t n, unsigned flags);

/* Installs the program in the calling thread (all threads with TSYNC) with
 * seccomp(SECCOMP_SET_MODE_FILTER), as libseccomp's seccomp_load would, with
 * no_new_privs left alone: the caller set it or holds CAP_SYS_ADMIN, else
 * EACCES. A thread TSYNC could not synchronise gives ESRCH. */
int berth_seccomp_install(const struct berth_seccomp_prog *p, struct berth_error **err);

/* {"flags": N, "bpf": "HEX"}, for a re-executed init's arguments (launch.c). */
json_t *berth_seccomp_prog_to_json(const struct berth_seccomp_prog *p);
/* The inverse; EPROTO for anything but a sane program. */
int berth_seccomp_prog_from_json(json_t *o, struct berth_seccomp_prog **ret,
                                 struct berth_error **err);
