/* -u NAME[:GROUP]: the container's own /etc/passwd and /etc/group, as
 * docker resolves them (moby/sys/user GetExecUser). The files are read
 * from the top-most layer that has them, each opened inside its layer with
 * openat2(RESOLVE_IN_ROOT): a symlink in the image cannot point the daemon
 * at the host's files. */
#include "user.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The file's text from the top-most layer holding it; NULL when none. A
 * whiteout (a 0:0 character device) hides the layers below. */
static char *read_in_layers(char *const *layers, const char *path)
{
    size_t n = 0;
    while (layers && layers[n])
        n++;
    while (n-- > 0) {
        _cleanup_close_ int root = open(layers[n], O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                               .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
        _cleanup_close_ int fd = -1;
        struct stat st;
        if (root < 0)
            continue;
        if (fstatat(root, path + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode))
            return NULL;
        fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 22))
            continue;
        char *buf = xzalloc((size_t)st.st_size + 1);
        ssize_t k = read(fd, buf, (size_t)st.st_size);
        buf[k > 0 ? k : 0] = '\0';
        return buf;
    }
    return NULL;
}

static bool parse_id(const char *s, long *ret)
{
    char *end;
    if (*s == '\0' || *s == '-')
        return false;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno || v < 0 || v > 0x7fffffff)
        return false;
    *ret = v;
    return true;
}

/* Finds the line whose name (field 0) is `name` or, when numeric, whose
 * id (field 2) is it; its fields go to f[0..nf-1] (pointers into text). */
static bool find_entry(char *text, const char *name, char **f, size_t nf)
{
    long id = -1, fid;
    bool numeric = parse_id(name, &id);
    char *save = NULL;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        size_t i = 0;
        char *p = l;
        for (; i < nf; i++) {
            f[i] = p;
            p = strchr(p, ':');
            if (p == NULL)
                break;
            *p++ = '\0';
        }
        if (i + 1 < nf || *l == '#')
            continue;
        if (streq(f[0], name) || (numeric && parse_id(f[2], &fid) && fid == id))
            return true;
    }
    return false;
}

/* The gids of the groups in /etc/group that list `user` as a member. */
static json_t *supplementary(char *group_text, const char *user)
{
    json_t *out = json_array();
    char *save = NULL;
    long gid;
    if (group_text == NULL || user == NULL)
        return out;
    for (char *l = strtok_r(group_text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *f[4], *p = l;
        size_t i = 0;
        for (; i < 4 && p; i++) {
            f[i] = p;
            if ((p = strchr(p, ':')) != NULL)
                *p++ = '\0';
        }
        if (i < 4 || *l == '#' || !parse_id(f[2], &gid))
            continue;
        char *msave = NULL;
        for (char *m = strtok_r(f[3], ",", &msave); m; m = strtok_r(NULL, ",", &msave))
            if (streq(m, user))
                json_array_append_new(out, json_integer(gid));
    }
    return out;
}

static int resolve_group(const char *group, char *const *layers, long *gid,
                         struct berth_error **err)
{
    _cleanup_free_ char *text = read_in_layers(layers, "/etc/group");
    char *f[4];
    if (text && find_entry(text, group, f, 4) && parse_id(f[2], gid))
        return 0;
    if (parse_id(group, gid))
        return 0;
    return berth_error_set(err, EINVAL,
                           "unable to find group %s: no matching entries in group file", group);
}

int user_resolve(const char *spec, char *const *layers, long *ret_uid, long *ret_gid,
                 json_t **ret_groups, struct berth_error **err)
{
    _cleanup_free_ char *copy = xstrdup(spec && *spec ? spec : "root");
    _cleanup_free_ char *passwd = read_in_layers(layers, "/etc/passwd");
    char *group = strchr(copy, ':'), *f[4];
    long uid = 0, gid = 0;
    const char *name = NULL;
    if (group)
        *group++ = '\0';
    if (*copy == '\0')
        strcpy(copy, "0");
    if (passwd && find_entry(passwd, copy, f, 4) && parse_id(f[2], &uid) && parse_id(f[3], &gid)) {
        name = f[0];
    } else if (!parse_id(copy, &uid)) {
        if (streq(copy, "root"))
            uid = 0;
        else
            return berth_error_set(
                err, EINVAL, "unable to find user %s: no matching entries in passwd file", copy);
    }
    if (group && *group && resolve_group(group, layers, &gid, err) < 0)
        return -EINVAL;
    _cleanup_free_ char *grp = group && *group ? NULL : read_in_layers(layers, "/etc/group");
    *ret_groups = supplementary(grp, name ? name : (uid == 0 ? "root" : NULL));
    *ret_uid = uid;
    *ret_gid = gid;
    return 0;
}

int user_add_groups(json_t *names, char *const *layers, json_t *groups, struct berth_error **err)
{
    json_t *n, *g;
    size_t i, k;
    json_array_foreach(names, i, n)
    {
        long gid;
        bool have = false;
        if (resolve_group(json_string_value(n), layers, &gid, err) < 0)
            return -EINVAL;
        json_array_foreach(groups, k, g) have = have || json_integer_value(g) == gid;
        if (!have)
            json_array_append_new(groups, json_integer(gid));
    }
    return 0;
}
