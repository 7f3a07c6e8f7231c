#pragma once
/* The runtime-spec "features" document of this build (`features`; named
 * oci-features.h so as not to shadow glibc's <features.h>): what
 * config.json may ask of berth. Lists hold static names (only the arrays
 * are allocated). */
#include <stdbool.h>
#include <stddef.h>

struct berth_name_list {
    const char **v;
    size_t n;
};

struct berth_features {
    const char *oci_version_min, *oci_version_max;
    struct berth_name_list hooks;         /* those config.json may have */
    struct berth_name_list mount_options; /* sorted */
    struct berth_name_list namespaces;    /* the types berth creates or joins */
    struct berth_name_list capabilities;  /* CAP_* names berth knows */
    bool cgroup_v1, cgroup_v2, cgroup_systemd, cgroup_systemd_user, cgroup_rdma;
    bool seccomp_enabled;
    struct berth_name_list seccomp_actions, seccomp_operators, seccomp_archs;
    struct berth_name_list seccomp_known_flags, seccomp_supported_flags;
    bool apparmor, selinux; /* the host runs the module (berth refuses labels otherwise) */
    bool intel_rdt;
};

/* Fills *ret (free with berth_features_free). Never fails. */
void berth_features_get(struct berth_features *ret);
void berth_features_free(struct berth_features *f);
