#include "mountopt.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

struct flag_opt {
    const char *name;
    bool clear; /* the option turns the flag off */
    unsigned long flag;
};

static const struct flag_opt flag_opts[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
    {"defaults", false, 0},
};

static const struct {
    const char *name;
    unsigned long flags;
} prop_opts[] = {
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

int berth_propagation_parse(const char *s, unsigned long *ret)
{
    for (size_t i = 0; i < ARRAY_SIZE(prop_opts); i++) {
        if (streq(s, prop_opts[i].name)) {
            *ret = prop_opts[i].flags;
            return 0;
        }
    }
    return -EINVAL;
}

static bool apply_flag_opt(const char *o, struct berth_mount_opts *r)
{
    for (size_t i = 0; i < ARRAY_SIZE(flag_opts); i++) {
        if (!streq(o, flag_opts[i].name))
            continue;
        if (flag_opts[i].clear) {
            r->flags &= ~flag_opts[i].flag;
            r->clear |= flag_opts[i].flag;
        } else {
            r->flags |= flag_opts[i].flag;
            r->clear &= ~flag_opts[i].flag;
        }
        return true;
    }
    return false;
}

static void append_data(char **data, const char *o)
{
    if (*data == NULL) {
        *data = xstrdup(o);
        return;
    }
    size_t a = strlen(*data), b = strlen(o);
    *data = xrealloc(*data, a + b + 2);
    (*data)[a] = ',';
    memcpy(*data + a + 1, o, b + 1);
}

void berth_mount_opts_parse(char **options, struct berth_mount_opts *ret)
{
    memset(ret, 0, sizeof(*ret));
    for (char **o = options; o && *o; o++) {
        unsigned long prop;
        if (apply_flag_opt(*o, ret))
            continue;
        if (berth_propagation_parse(*o, &prop) == 0) {
            ret->propagation = prop;
            continue;
        }
        /* OCI runtimes treat "tmpcopyup", "idmap" etc. as their own
         * extensions; the kernel gets everything else as fs data. */
        append_data(&ret->data, *o);
    }
}
