/* What a container's root needs before libberth creates the container:
 * the working directory (docker creates a missing one, owned by root), the
 * image's content copied into a new, empty volume (docker's copy-up), and
 * the --init binary. Every path inside the rootfs goes through
 * RESOLVE_IN_ROOT (fs.h): the image's symlinks stay inside it. */
#include "shim.h"
#include "cleanup.h"
#include "copyup.h"
#include "durable.h"
#include "error.h"
#include "fs.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *shim_init_path(void)
{
    const char *env = getenv("BERTH_INIT");
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (env && *env)
        return access(env, X_OK) == 0 ? xstrdup(env) : NULL;
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    const char *dir = dirname(exe);
    /* installed: next to berth-shim; a build tree: src/init/ */
    char *p = xasprintf("%s/berth-init", dir);
    if (access(p, X_OK) == 0)
        return p;
    free(p);
    p = xasprintf("%s/../init/berth-init", dir);
    if (access(p, X_OK) == 0)
        return p;
    free(p);
    return NULL;
}

static bool dir_empty(int fd)
{
    int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    struct dirent *de;
    bool empty = true;
    while (d && empty && (de = readdir(d)) != NULL)
        empty = streq(de->d_name, ".") || streq(de->d_name, "..");
    if (d)
        closedir(d);
    else if (dup_fd >= 0)
        close(dup_fd);
    return empty;
}

/* A new volume starts with what the image has at its mount point. */
static int copy_up(int rootfd, const char *dest, const char *data, struct berth_error **err)
{
    _cleanup_close_ int dst = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dst < 0)
        return berth_error_set(err, errno, "cannot open volume '%s'", data);
    if (!dir_empty(dst))
        return 0;
    struct berth_error *e = NULL;
    _cleanup_close_ int path = berth_fs_open_in_root(rootfd, dest, BERTH_MKPATH_NONE, &e);
    if (path < 0) {
        berth_error_clear(&e); /* nothing there to copy */
        return 0;
    }
    char buf[32];
    _cleanup_close_ int src = open(berth_fd_path(path, buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (src < 0)
        return 0; /* not a directory: docker copies nothing either */
    int r = berth_copy_tree(src, dst, dest, err);
    if (r == 0)
        r = berth_copy_root_attrs(src, dst, "", dest, err);
    return r;
}

static int copy_up_volumes(int rootfd, json_t *rec, struct berth_error **err)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(rec, "Mounts"), i, m)
    {
        if (!streq(json_string_value(json_object_get(m, "Type")), "volume") ||
            json_is_true(json_object_get(m, "NoCopy")))
            continue;
        const char *dest = json_string_value(json_object_get(m, "Destination"));
        if (copy_up(rootfd, dest, json_string_value(json_object_get(m, "Source")), err) < 0)
            return berth_error_wrap(err, "cannot copy the image's '%s' into its volume", dest);
    }
    return 0;
}

int shim_prepare_rootfs(const struct shim_args *a, const char *rootfs, struct berth_error **err)
{
    json_t *rec = json_read_file(a->dir, "container.json", err);
    if (rec == NULL)
        return -EINVAL;
    _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    const char *cwd = json_string_value(json_object_get(json_object_get(rec, "Process"), "Cwd"));
    int r = rootfd < 0 ? berth_error_set(err, errno, "cannot open '%s'", rootfs) : 0;
    if (r == 0 && cwd && !streq(cwd, "/")) {
        int fd = berth_fs_open_in_root(rootfd, cwd, BERTH_MKPATH_DIR, err);
        r = fd < 0 ? berth_error_wrap(err, "cannot create the working directory") : 0;
        if (fd >= 0)
            close(fd);
    }
    if (r == 0)
        r = copy_up_volumes(rootfd, rec, err);
    if (r == 0 && json_is_true(json_object_get(json_object_get(rec, "HostConfig"), "Init"))) {
        _cleanup_free_ char *init = shim_init_path();
        if (init == NULL)
            r = berth_error_set(err, ENOENT,
                                "--init: cannot find berth-init next to berth-shim (or "
                                "$BERTH_INIT)");
    }
    json_decref(rec);
    return r;
}
