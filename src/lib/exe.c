#include "exe.h"
#include "cleanup.h"
#include "error.h"
#include "fault.h"
#include "log.h"

#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

bool berth_exe_protected(void)
{
    struct statvfs sv;
    _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return false;
    if (fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY))
        return true;
    int seals = fcntl(fd, F_GET_SEALS);
    return seals >= 0 && (seals & F_SEAL_WRITE);
}

/* A bind mount of the binary that belongs to no mount namespace, made
 * read-only: exec'd from it, the image's exe is on that mount. */
static int open_ro_mount(void)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};

    if (berth_fault("exe-open-tree"))
        return -ENOSYS;
    _cleanup_close_ int fd =
        open_tree(AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
        return -errno;
    return TAKE_FD(fd);
}

static int copy_to_memfd(struct berth_error **err)
{
    _cleanup_close_ int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat st;

    if (src < 0 || fstat(src, &st) < 0)
        return berth_error_set(err, errno, "cannot open the runtime binary");
    _cleanup_close_ int fd = memfd_create("berth-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot create a memfd for the runtime binary");
    for (off_t off = 0; off < st.st_size;) {
        ssize_t n = sendfile(fd, src, &off, (size_t)(st.st_size - off));
        if (n <= 0)
            return berth_error_set(err, n < 0 ? errno : EIO, "cannot copy the runtime binary");
    }
    if (fcntl(fd, F_ADD_SEALS, SEALS) < 0)
        return berth_error_set(err, errno, "cannot seal the copy of the runtime binary");
    return TAKE_FD(fd);
}

int berth_exe_open_protected(struct berth_error **err)
{
    int fd = open_ro_mount();
    if (fd >= 0)
        return fd;
    /* no open_tree/mount_setattr (before 5.12), not allowed to use them, or
     * a binary they cannot bind (replaced on disk): a copy is as safe */
    berth_log(BERTH_LOG_DEBUG, "no read-only mount of the runtime binary (%s), copying it",
              strerror(-fd));
    return copy_to_memfd(err);
}
