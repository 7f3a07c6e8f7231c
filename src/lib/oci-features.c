/* The runtime-spec features document (features.h), gathered from the
 * tables the parsers use, so that it cannot list what they refuse. */
#include "oci-features.h"
#include "caps.h"
#include "lsm.h"
#include "mountopt.h"
#include "oci-linux.h"
#include "oci.h"
#include "seccomp-filter.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Every architecture name of the runtime-spec; libseccomp says which it
 * knows. */
static const char *const oci_archs[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

static void add(struct berth_name_list *l, const char *name)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
    l->v[l->n++] = name;
}

/* Fills `l` from an index-based accessor that returns NULL past the end. */
static void add_all(struct berth_name_list *l, const char *(*name)(size_t))
{
    for (size_t i = 0; name(i); i++)
        add(l, name(i));
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void linux_lists(struct berth_features *f)
{
    for (int t = 0; t < BERTH_NS_COUNT; t++)
        add(&f->namespaces, berth_ns_name(t));
    for (int c = 0; c < 64; c++)
        if (berth_cap_name(c))
            add(&f->capabilities, berth_cap_name(c));
    add_all(&f->seccomp_actions, berth_seccomp_action_name);
    add_all(&f->seccomp_operators, berth_seccomp_op_name);
    for (size_t i = 0; i < ARRAY_SIZE(oci_archs); i++)
        if (berth_seccomp_arch_known(oci_archs[i]))
            add(&f->seccomp_archs, oci_archs[i]);
    add_all(&f->seccomp_known_flags, berth_seccomp_flag_name);
    for (size_t i = 0; berth_seccomp_flag_name(i); i++)
        if (berth_seccomp_flag_supported(berth_seccomp_flag_name(i)))
            add(&f->seccomp_supported_flags, berth_seccomp_flag_name(i));
}

void berth_features_get(struct berth_features *ret)
{
    memset(ret, 0, sizeof(*ret));
    /* the spec's features document exists since 1.1.0; berth checks no
     * version and accepts the 1.0 configs too */
    ret->oci_version_min = "1.0.0";
    ret->oci_version_max = "1.1.0";
    for (int k = 0; k < BERTH_HOOK_COUNT; k++)
        add(&ret->hooks, berth_hook_name(k));
    add_all(&ret->mount_options, berth_mount_opt_name);
    qsort(ret->mount_options.v, ret->mount_options.n, sizeof(char *), cmp_name);
    linux_lists(ret);
    ret->cgroup_v1 = ret->cgroup_v2 = true;
    ret->seccomp_enabled = true;
    ret->apparmor = berth_lsm_apparmor_enabled();
    ret->selinux = berth_lsm_selinux_enabled();
}

void berth_features_free(struct berth_features *f)
{
    struct berth_name_list *lists[] = {
        &f->hooks,         &f->mount_options,       &f->namespaces,
        &f->capabilities,  &f->seccomp_actions,     &f->seccomp_operators,
        &f->seccomp_archs, &f->seccomp_known_flags, &f->seccomp_supported_flags,
    };
    for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
        free(lists[i]->v);
    memset(f, 0, sizeof(*f));
}
