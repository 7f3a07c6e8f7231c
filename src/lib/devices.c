#include "devices.h"
#include "cleanup.h"
#include "error.h"
#include "fs.h"
#include "oci.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct {
    const char *path;
    unsigned major, minor;
} default_devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static const struct {
    const char *path, *target;
} default_links[] = {
    {"/dev/ptmx", "pts/ptmx"},          {"/dev/fd", "/proc/self/fd"},
    {"/dev/stdin", "/proc/self/fd/0"},  {"/dev/stdout", "/proc/self/fd/1"},
    {"/dev/stderr", "/proc/self/fd/2"}, {"/dev/core", "/proc/kcore"},
};

/* Config devices (`replace`) refuse symlinks on the way: the node must land
 * in the container's /dev, not wherever a link in the image points. */
static int make_node(int rootfd, const char *path, mode_t mode, dev_t dev, bool replace,
                     struct berth_error **err)
{
    const char *name = NULL;
    enum berth_mkpath mk = BERTH_MKPATH_DIR | (replace ? BERTH_MKPATH_NO_SYMLINKS : 0);
    _cleanup_close_ int dfd = berth_fs_open_parent_in_root(rootfd, path, mk, &name, err);
    if (dfd < 0)
        return dfd;
    if (replace)
        (void)unlinkat(dfd, name, 0);
    if (mknodat(dfd, name, mode, dev) < 0 && !(errno == EEXIST && !replace))
        return berth_error_set_sys(err, errno, "cannot create device '%s'", path);
    /* mknod honours the umask; the spec's fileMode is meant literally */
    if (fchmodat(dfd, name, mode & 07777, AT_SYMLINK_NOFOLLOW) < 0 && errno != EOPNOTSUPP)
        return berth_error_set_sys(err, errno, "cannot chmod device '%s'", path);
    return 0;
}

/* In a user namespace mknod is refused: the host's node at the same path
 * is bind mounted on an empty file instead, as runc and crun do. Its mode
 * and owner are the host's: a chmod or chown would change the host's node. */
static int bind_node(int rootfd, const char *path, bool replace, struct berth_error **err)
{
    const char *name = NULL;
    char buf[32];
    struct stat st;
    enum berth_mkpath mk = BERTH_MKPATH_DIR | (replace ? BERTH_MKPATH_NO_SYMLINKS : 0);
    _cleanup_close_ int dfd = berth_fs_open_parent_in_root(rootfd, path, mk, &name, err);
    if (dfd < 0)
        return dfd;
    if (stat(path, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
        return berth_error_set(err, errno ? errno : ENODEV,
                               "cannot bind mount device '%s' from the host in a user namespace",
                               path);
    if (replace && unlinkat(dfd, name, 0) < 0 && errno == EBUSY) {
        /* a default device bound here already: the config's replaces it */
        _cleanup_close_ int old = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (old >= 0 && umount2(berth_fd_path(old, buf), MNT_DETACH) == 0)
            (void)unlinkat(dfd, name, 0);
    }
    _cleanup_close_ int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0000);
    if (fd < 0 && errno == EEXIST && !replace)
        return 0;
    if (fd < 0)
        return berth_error_set(err, errno, "cannot create device '%s'", path);
    if (mount(path, berth_fd_path(fd, buf), NULL, MS_BIND, NULL) < 0)
        return berth_error_set(err, errno, "cannot bind mount device '%s'", path);
    return 0;
}

static int make_defaults(int rootfd, bool userns, struct berth_error **err)
{
    for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
        int r = userns ? bind_node(rootfd, default_devices[i].path, false, err)
                       : make_node(rootfd, default_devices[i].path, S_IFCHR | 0666,
                                   makedev(default_devices[i].major, default_devices[i].minor),
                                   false, err);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < ARRAY_SIZE(default_links); i++) {
        const char *name = NULL;
        _cleanup_close_ int dfd = berth_fs_open_parent_in_root(rootfd, default_links[i].path,
                                                               BERTH_MKPATH_DIR, &name, err);
        if (dfd < 0)
            return dfd;
        if (symlinkat(default_links[i].target, dfd, name) < 0 && errno != EEXIST)
            return berth_error_set_sys(err, errno, "cannot create link '%s'",
                                       default_links[i].path);
    }
    return 0;
}

static int make_config_device(int rootfd, const struct berth_device *d, bool userns,
                              struct berth_error **err)
{
    /* a fifo needs no privilege */
    if (userns && d->type != 'p')
        return bind_node(rootfd, d->path, true, err);
    mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
    mode_t mode = type | (d->has_mode ? d->file_mode : 0666);
    dev_t dev = d->type == 'p' ? 0 : makedev((unsigned)d->major, (unsigned)d->minor);
    int r = make_node(rootfd, d->path, mode, dev, true, err);
    if (r < 0)
        return r;
    if (!d->has_uid && !d->has_gid)
        return 0;
    const char *name = NULL;
    _cleanup_close_ int dfd = berth_fs_open_parent_in_root(
        rootfd, d->path, BERTH_MKPATH_DIR | BERTH_MKPATH_NO_SYMLINKS, &name, err);
    if (dfd < 0)
        return dfd;
    if (fchownat(dfd, name, d->has_uid ? d->uid : (uid_t)-1, d->has_gid ? d->gid : (gid_t)-1,
                 AT_SYMLINK_NOFOLLOW) < 0)
        return berth_error_set_sys(err, errno, "cannot chown device '%s'", d->path);
    return 0;
}

int berth_devices_create(int rootfd, const struct berth_config *c, int defaults,
                         struct berth_error **err)
{
    int r;
    bool userns = c->ns[BERTH_NS_USER].enabled;
    if (defaults && (r = make_defaults(rootfd, userns, err)) < 0)
        return r;
    for (size_t i = 0; i < c->n_devices; i++)
        if ((r = make_config_device(rootfd, &c->devices[i], userns, err)) < 0)
            return r;
    return 0;
}

static void add_rule(struct berth_device_rule *r, size_t *n, char type, int64_t major,
                     int64_t minor, const char *access)
{
    struct berth_device_rule *d = &r[(*n)++];
    d->allow = true;
    d->type = type;
    d->major = major;
    d->minor = minor;
    snprintf(d->access, sizeof(d->access), "%s", access);
}

struct berth_device_rule *berth_devices_cgroup_rules(const struct berth_config *c, size_t *ret_n)
{
    return berth_devices_resources_rules(&c->resources, ret_n);
}

struct berth_device_rule *berth_devices_resources_rules(const struct berth_resources *res,
                                                        size_t *ret_n)
{
    size_t cap = res->n_devices + ARRAY_SIZE(default_devices) + 6, n = 0;
    struct berth_device_rule *r = xzalloc(cap * sizeof(*r));

    if (res->n_devices == 0)
        r[n++] = (struct berth_device_rule){.allow = false, .type = 'a', .major = -1, .minor = -1};
    for (size_t i = 0; i < res->n_devices; i++)
        r[n++] = res->devices[i];
    add_rule(r, &n, 'c', -1, -1, "m");
    add_rule(r, &n, 'b', -1, -1, "m");
    for (size_t k = 0; k < ARRAY_SIZE(default_devices); k++)
        add_rule(r, &n, 'c', default_devices[k].major, default_devices[k].minor, "rwm");
    add_rule(r, &n, 'c', 5, 2, "rwm");    /* /dev/ptmx */
    add_rule(r, &n, 'c', 136, -1, "rwm"); /* /dev/pts/N */
    add_rule(r, &n, 'c', 5, 1, "rwm");    /* /dev/console */
    *ret_n = n;
    return r;
}
