#include "runtime.h"
#include "cleanup.h"
#include "oci-features.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static json_t *names(const struct berth_name_list *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->v[i]));
    return a;
}

static json_t *enabled(bool on)
{
    return json_pack("{s:b}", "enabled", on);
}

static json_t *linux_features(const struct berth_features *f)
{
    json_t *cgroup =
        json_pack("{s:b,s:b,s:b,s:b,s:b}", "v1", f->cgroup_v1, "v2", f->cgroup_v2, "systemd",
                  f->cgroup_systemd, "systemdUser", f->cgroup_systemd_user, "rdma", f->cgroup_rdma);
    json_t *seccomp =
        json_pack("{s:b,s:o,s:o,s:o,s:o,s:o}", "enabled", f->seccomp_enabled, "actions",
                  names(&f->seccomp_actions), "operators", names(&f->seccomp_operators), "archs",
                  names(&f->seccomp_archs), "knownFlags", names(&f->seccomp_known_flags),
                  "supportedFlags", names(&f->seccomp_supported_flags));
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "namespaces", names(&f->namespaces),
                     "capabilities", names(&f->capabilities), "cgroup", cgroup, "seccomp", seccomp,
                     "apparmor", enabled(f->apparmor), "selinux", enabled(f->selinux), "intelRdt",
                     enabled(f->intel_rdt));
}

int cmd_features(int argc, char **argv)
{
    struct berth_features f;
    if (argc != 1)
        return rt_usage("features");
    berth_features_get(&f);
    json_t *o =
        json_pack("{s:s,s:s,s:o,s:o,s:o,s:{}}", "ociVersionMin", f.oci_version_min, "ociVersionMax",
                  f.oci_version_max, "hooks", names(&f.hooks), "mountOptions",
                  names(&f.mount_options), "linux", linux_features(&f), "annotations");
    berth_features_free(&f);
    _cleanup_free_ char *text = o ? json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (text == NULL)
        abort();
    puts(text);
    return 0;
}
