#include "mountopt.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

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
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"symfollow", true, MS_NOSYMFOLLOW},
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

/* runc's recursive variants; an atime mode replaces the whole atime field */
static const struct {
    const char *name;
    bool clear;
    unsigned long long attr;
} rec_opts[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
};

static bool is_atime_mode(const char *name)
{
    return streq(name, "rnoatime") || streq(name, "rrelatime") || streq(name, "rstrictatime");
}

static bool apply_rec_opt(const char *o, struct berth_mount_opts *r)
{
    for (size_t i = 0; i < ARRAY_SIZE(rec_opts); i++) {
        if (!streq(o, rec_opts[i].name))
            continue;
        unsigned long long a = rec_opts[i].attr;
        if (is_atime_mode(o)) {
            r->rec_set = (r->rec_set & ~(unsigned long long)MOUNT_ATTR__ATIME) | a;
            r->rec_clr |= MOUNT_ATTR__ATIME;
        } else if (rec_opts[i].clear) {
            r->rec_set &= ~a;
            r->rec_clr |= a;
        } else {
            r->rec_set |= a;
            r->rec_clr &= ~a;
        }
        return true;
    }
    return false;
}

void berth_mount_flags_to_attr(unsigned long flags, unsigned long long *ret_set,
                               unsigned long long *ret_clr)
{
    static const struct {
        unsigned long flag;
        unsigned long long attr;
    } map[] = {
        {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
        {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
        {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
    };
    unsigned long long set = 0, clr = 0;

    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (flags & map[i].flag)
            set |= map[i].attr;
    if (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {
        clr |= MOUNT_ATTR__ATIME;
        set |= (flags & MS_NOATIME)       ? MOUNT_ATTR_NOATIME
               : (flags & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME
                                          : MOUNT_ATTR_RELATIME;
    }
    *ret_set = set;
    *ret_clr = clr;
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

const char *berth_mount_opt_name(size_t i)
{
    if (i < ARRAY_SIZE(flag_opts))
        return flag_opts[i].name;
    i -= ARRAY_SIZE(flag_opts);
    if (i < ARRAY_SIZE(prop_opts))
        return prop_opts[i].name;
    i -= ARRAY_SIZE(prop_opts);
    if (i < ARRAY_SIZE(rec_opts))
        return rec_opts[i].name;
    i -= ARRAY_SIZE(rec_opts);
    static const char *const extensions[] = {"tmpcopyup", "notmpcopyup", "idmap", "ridmap"};
    return i < ARRAY_SIZE(extensions) ? extensions[i] : NULL;
}

void berth_mount_opts_parse(char **options, struct berth_mount_opts *ret)
{
    memset(ret, 0, sizeof(*ret));
    for (char **o = options; o && *o; o++) {
        unsigned long prop;
        if (apply_flag_opt(*o, ret) || apply_rec_opt(*o, ret))
            continue;
        if (berth_propagation_parse(*o, &prop) == 0) {
            ret->propagation = prop;
            continue;
        }
        if (streq(*o, "idmap") || streq(*o, "ridmap")) {
            ret->idmap = streq(*o, "idmap") ? BERTH_IDMAP : BERTH_IDMAP_REC;
            continue;
        }
        if (streq(*o, "tmpcopyup") || streq(*o, "notmpcopyup")) {
            ret->tmpcopyup = streq(*o, "tmpcopyup");
            continue;
        }
        /* OCI runtimes treat "tmpcopyup", "idmap" etc. as their own
         * extensions; the kernel gets everything else as fs data. */
        append_data(&ret->data, *o);
    }
}
