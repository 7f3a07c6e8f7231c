#include "caps.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "oci.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

/* Masks in struct berth_caps are 64 bits wide. */
#define CAP_MASK_BITS 64

/* Indexed by number. libcap's cap_to_name() would allocate a string per call
 * and print unknown numbers as digits; a table gives static names and the same
 * answer on every host. Capabilities newer than the kernel headers berth is
 * built against stay unnamed (and are still handled by number). */
static const char *const cap_names[] = {
    [CAP_CHOWN] = "CAP_CHOWN",
    [CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
    [CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
    [CAP_FOWNER] = "CAP_FOWNER",
    [CAP_FSETID] = "CAP_FSETID",
    [CAP_KILL] = "CAP_KILL",
    [CAP_SETGID] = "CAP_SETGID",
    [CAP_SETUID] = "CAP_SETUID",
    [CAP_SETPCAP] = "CAP_SETPCAP",
    [CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
    [CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
    [CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
    [CAP_NET_ADMIN] = "CAP_NET_ADMIN",
    [CAP_NET_RAW] = "CAP_NET_RAW",
    [CAP_IPC_LOCK] = "CAP_IPC_LOCK",
    [CAP_IPC_OWNER] = "CAP_IPC_OWNER",
    [CAP_SYS_MODULE] = "CAP_SYS_MODULE",
    [CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
    [CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
    [CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
    [CAP_SYS_PACCT] = "CAP_SYS_PACCT",
    [CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
    [CAP_SYS_BOOT] = "CAP_SYS_BOOT",
    [CAP_SYS_NICE] = "CAP_SYS_NICE",
    [CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
    [CAP_SYS_TIME] = "CAP_SYS_TIME",
    [CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
    [CAP_MKNOD] = "CAP_MKNOD",
    [CAP_LEASE] = "CAP_LEASE",
    [CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
    [CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
    [CAP_SETFCAP] = "CAP_SETFCAP",
    [CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
    [CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
    [CAP_SYSLOG] = "CAP_SYSLOG",
    [CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
    [CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
    [CAP_AUDIT_READ] = "CAP_AUDIT_READ",
#ifdef CAP_PERFMON /* linux 5.8 headers */
    [CAP_PERFMON] = "CAP_PERFMON",
    [CAP_BPF] = "CAP_BPF",
#endif
#ifdef CAP_CHECKPOINT_RESTORE /* linux 5.9 headers */
    [CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
#endif
};

static void cap_freep(cap_t *c)
{
    if (*c)
        cap_free(*c);
}
#define _cleanup_cap_ _cleanup_(cap_freep)

int berth_cap_from_name(const char *name)
{
    if (name == NULL)
        return -1;
    if (strncasecmp(name, "CAP_", 4) == 0)
        name += 4;
    for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
        if (cap_names[i] && strcasecmp(name, cap_names[i] + 4) == 0)
            return (int)i;
    return -1;
}

const char *berth_cap_name(int cap)
{
    if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
        return NULL;
    return cap_names[cap];
}

int berth_cap_last_cap(void)
{
    _cleanup_error_ struct berth_error *ignored = NULL;
    _cleanup_free_ char *buf = NULL;
    long long v;

    if (read_file_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &buf, NULL, &ignored) < 0)
        return CAP_LAST_CAP;
    buf[strcspn(buf, "\n")] = '\0';
    if (parse_i64(buf, &v) < 0 || v < 0)
        return CAP_LAST_CAP;
    return v >= CAP_MASK_BITS ? CAP_MASK_BITS - 1 : (int)v;
}

/* Name for messages: capabilities missing from the table go by number. */
static const char *cap_label(int cap, char buf[static 16])
{
    const char *name = berth_cap_name(cap);
    if (name)
        return name;
    snprintf(buf, 16, "%d", cap);
    return buf;
}

static uint64_t cap_valid_mask(int last)
{
    return last >= CAP_MASK_BITS - 1 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
}

int berth_caps_drop_bounding(const struct berth_caps *caps, struct berth_error **err)
{
    int last = berth_cap_last_cap();
    char buf[16];

    for (int cap = 0; cap <= last; cap++) {
        if (caps->bounding & (UINT64_C(1) << cap))
            continue;
        int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        /* EINVAL: cap_last_cap said more than the kernel knows, nothing to drop */
        if (r < 0 && errno == EINVAL)
            continue;
        if (r < 0)
            return berth_error_set(err, errno, "cannot read capability '%s' of the bounding set",
                                   cap_label(cap, buf));
        if (r == 0)
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            return berth_error_set(err, errno, "cannot drop capability '%s' from the bounding set",
                                   cap_label(cap, buf));
    }
    return 0;
}

static int set_flag_mask(cap_t c, cap_flag_t flag, uint64_t mask)
{
    for (cap_value_t cap = 0; cap < CAP_MASK_BITS; cap++) {
        if (!(mask & (UINT64_C(1) << cap)))
            continue;
        if (cap_set_flag(c, flag, 1, &cap, CAP_SET) < 0)
            return -errno;
    }
    return 0;
}

static int set_proc_caps(const struct berth_caps *caps, uint64_t valid, struct berth_error **err)
{
    _cleanup_cap_ cap_t c = cap_init();
    if (c == NULL)
        return berth_error_set(err, errno, "cannot allocate capability state");

    int r = set_flag_mask(c, CAP_EFFECTIVE, caps->effective & valid);
    if (r >= 0)
        r = set_flag_mask(c, CAP_PERMITTED, caps->permitted & valid);
    if (r >= 0)
        r = set_flag_mask(c, CAP_INHERITABLE, caps->inheritable & valid);
    if (r < 0)
        return berth_error_set(err, -r, "cannot build capability sets");
    if (cap_set_proc(c) < 0)
        return berth_error_set(err, errno,
                               "cannot set effective, permitted and inheritable capabilities");
    return 0;
}

static int raise_ambient(uint64_t ambient, struct berth_error **err)
{
    char buf[16];

    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
        /* kernels before 4.3 have no ambient set; fine if none is wanted */
        if (errno == EINVAL && ambient == 0)
            return 0;
        return berth_error_set(err, errno, "cannot clear the ambient capability set");
    }
    for (int cap = 0; cap < CAP_MASK_BITS; cap++) {
        if (!(ambient & (UINT64_C(1) << cap)))
            continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            return berth_error_set(err, errno, "cannot raise ambient capability '%s'",
                                   cap_label(cap, buf));
    }
    return 0;
}

int berth_caps_apply(const struct berth_caps *caps, struct berth_error **err)
{
    uint64_t valid = cap_valid_mask(berth_cap_last_cap());
    /* The kernel only keeps ambient capabilities that are both permitted and
     * inheritable. runc's default spec lists ambient caps without an
     * inheritable set, so, like runc, the others are skipped, not refused. */
    uint64_t ambient = caps->ambient & valid & caps->permitted & caps->inheritable;
    if (ambient != (caps->ambient & valid))
        berth_log(BERTH_LOG_DEBUG, "ambient capabilities outside permitted+inheritable skipped");

    int r = set_proc_caps(caps, valid, err);
    if (r < 0)
        return r;
    return raise_ambient(ambient, err);
}
