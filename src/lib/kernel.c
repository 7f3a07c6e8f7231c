#include "kernel.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/utsname.h>

int berth_kernel_parse_release(const char *release, int *ret_major, int *ret_minor)
{
    char *end = NULL;

    long major = strtol(release, &end, 10);
    if (end == release || *end != '.' || major < 0 || major > 1000)
        return -EINVAL;
    const char *p = end + 1;
    long minor = strtol(p, &end, 10);
    if (end == p || minor < 0 || minor > 1000)
        return -EINVAL;
    *ret_major = (int)major;
    *ret_minor = (int)minor;
    return 0;
}

int berth_kernel_check(struct berth_error **err)
{
    struct utsname u;
    int major, minor;

    if (uname(&u) < 0)
        return berth_error_set(err, errno, "cannot read the kernel version");
    if (berth_kernel_parse_release(u.release, &major, &minor) < 0)
        return berth_error_set(err, EINVAL, "cannot parse the kernel version '%s'", u.release);
    if (major > BERTH_MIN_KERNEL_MAJOR ||
        (major == BERTH_MIN_KERNEL_MAJOR && minor >= BERTH_MIN_KERNEL_MINOR))
        return 0;
    return berth_error_set(err, EOPNOTSUPP, "berth needs Linux %d.%d or later, this kernel is %s",
                           BERTH_MIN_KERNEL_MAJOR, BERTH_MIN_KERNEL_MINOR, u.release);
}
