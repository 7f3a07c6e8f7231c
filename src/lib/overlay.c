#include "overlay.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

static bool plain_path(const char *p)
{
    return p && p[0] == '/' && strpbrk(p, ":,\\") == NULL;
}

int berth_overlay_mount(const char *const *lowers, size_t n, const char *upper, const char *work,
                        const char *target, struct berth_error **err)
{
    if (n == 0 || !plain_path(upper) || !plain_path(work))
        return berth_error_set(err, EINVAL, "cannot mount the overlay on '%s': bad layer paths",
                               target);
    size_t len = 64 + strlen(upper) + strlen(work);
    for (size_t i = 0; i < n; i++) {
        if (!plain_path(lowers[i]))
            return berth_error_set(err, EINVAL, "cannot use '%s' as an overlay layer", lowers[i]);
        len += strlen(lowers[i]) + 1;
    }
    _cleanup_free_ char *opts = xmalloc(len);
    char *p = stpcpy(opts, "lowerdir=");
    /* overlayfs lists the top layer first */
    for (size_t i = n; i-- > 0;) {
        p = stpcpy(p, lowers[i]);
        if (i > 0)
            p = stpcpy(p, ":");
    }
    sprintf(p, ",upperdir=%s,workdir=%s", upper, work);
    if (mount("overlay", target, "overlay", 0, opts) < 0)
        return berth_error_set(err, errno, "cannot mount the overlay on '%s'", target);
    return 0;
}

int berth_overlay_umount(const char *target, struct berth_error **err)
{
    if (umount2(target, UMOUNT_NOFOLLOW) == 0 || errno == EINVAL || errno == ENOENT)
        return 0;
    if (errno == EBUSY && umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
        return 0;
    return berth_error_set(err, errno, "cannot unmount '%s'", target);
}
