#include "lsm.h"
#include "cleanup.h"
#include "error.h"
#include "oci.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/vfs.h>

#define SELINUX_MAGIC 0xf97cff8c

bool berth_lsm_apparmor_enabled(void)
{
    _cleanup_free_ char *v = NULL;
    return read_file_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", &v, NULL, NULL) >= 0 &&
           v[0] == 'Y';
}

bool berth_lsm_selinux_enabled(void)
{
    struct statfs fs;
    return statfs("/sys/fs/selinux", &fs) == 0 && (unsigned long)fs.f_type == SELINUX_MAGIC;
}

int berth_lsm_check(const struct berth_config *c, struct berth_error **err)
{
    if (c->process.apparmor_profile && *c->process.apparmor_profile &&
        !berth_lsm_apparmor_enabled())
        return berth_error_set(err, EINVAL,
                               "invalid config: 'process.apparmorProfile' needs AppArmor, which "
                               "this host does not run");
    if (c->process.selinux_label && *c->process.selinux_label && !berth_lsm_selinux_enabled())
        return berth_error_set(err, EINVAL,
                               "invalid config: 'process.selinuxLabel' needs SELinux, which this "
                               "host does not run");
    if (c->mount_label && *c->mount_label && !berth_lsm_selinux_enabled())
        return berth_error_set(err, EINVAL,
                               "invalid config: 'linux.mountLabel' needs SELinux, which this host "
                               "does not run");
    return 0;
}

static int write_attr(const char *path, const char *value, struct berth_error **err)
{
    return write_file_at(AT_FDCWD, path, value, strlen(value), err);
}

int berth_lsm_apply_exec(const struct berth_process *p, struct berth_error **err)
{
    int r;

    if (p->apparmor_profile && *p->apparmor_profile) {
        _cleanup_free_ char *v = xasprintf("exec %s", p->apparmor_profile);
        /* the per-module file (5.8+) first, the shared one on older kernels */
        r = write_attr("/proc/self/attr/apparmor/exec", v, NULL);
        if (r < 0 && (r = write_attr("/proc/self/attr/exec", v, err)) < 0)
            return berth_error_wrap(err, "cannot apply AppArmor profile '%s'", p->apparmor_profile);
    }
    if (p->selinux_label && *p->selinux_label &&
        (r = write_attr("/proc/self/attr/exec", p->selinux_label, err)) < 0)
        return berth_error_wrap(err, "cannot apply SELinux label '%s'", p->selinux_label);
    return 0;
}

char *berth_lsm_mount_data(const char *type, const char *data, const char *mount_label)
{
    if (mount_label == NULL || *mount_label == '\0' ||
        !(streq(type, "tmpfs") || streq(type, "devpts") || streq(type, "mqueue")))
        return NULL;
    if (data && *data)
        return xasprintf("%s,context=\"%s\"", data, mount_label);
    return xasprintf("context=\"%s\"", mount_label);
}
