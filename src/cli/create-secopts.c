/* run's and create's security flags (issue 14) into the create body's
 * HostConfig, as the docker CLI sends them: --cap-add --cap-drop
 * --security-opt --device --ulimit --sysctl (--privileged is a plain
 * boolean in create-opts.c). berthd checks the values (src/daemon/secopts.c);
 * what only the CLI can see (a seccomp file) is checked here. */
#include "cli.h"
#include "cleanup.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *member(json_t *host, const char *k, json_t *(*make)(void))
{
    json_t *v = json_object_get(host, k);
    if (v == NULL)
        json_object_set_new(host, k, v = make());
    return v;
}

/* seccomp=FILE: the file's JSON, compacted, as the docker CLI sends it */
static int secopt(json_t *host, const char *arg)
{
    size_t k = strcspn(arg, "=:");
    const char *file = arg[k] ? arg + k + 1 : "";
    json_t *opts = member(host, "SecurityOpt", json_array);
    if (k != 7 || strncmp(arg, "seccomp", 7) != 0 || streq(file, "unconfined")) {
        json_array_append_new(opts, json_string(arg));
        return 0;
    }
    json_error_t je;
    json_t *profile = json_load_file(file, 0, &je);
    if (profile == NULL)
        return cli_error(-1, "cannot load seccomp profile '%s': %s", file, je.text);
    _cleanup_free_ char *text = json_dumps(profile, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(profile);
    _cleanup_free_ char *opt = xasprintf("seccomp=%s", text);
    json_array_append_new(opts, json_string(opt));
    return 0;
}

static bool device_mode(const char *s)
{
    return *s && strspn(s, "rwm") == strlen(s);
}

/* HOST[:CTR[:rwm]] or HOST:rwm (docker's parseDevice) */
static int device(json_t *host, const char *arg)
{
    _cleanup_free_ char *src = xstrdup(arg);
    char *dst = strchr(src, ':'), *perm = NULL;
    if (dst)
        *dst++ = '\0';
    if (dst && (perm = strchr(dst, ':')))
        *perm++ = '\0';
    if (dst && perm == NULL && device_mode(dst)) {
        perm = dst;
        dst = NULL;
    }
    if (*src != '/' || (dst && *dst != '/') || (perm && !device_mode(perm)))
        return cli_error(-1, "invalid value '%s' for --device: HOST[:CONTAINER[:rwm]] expected",
                         arg);
    json_array_append_new(member(host, "Devices", json_array),
                          json_pack("{s:s,s:s,s:s}", "PathOnHost", src, "PathInContainer",
                                    dst ? dst : src, "CgroupPermissions", perm ? perm : "rwm"));
    return 0;
}

static int limit(const char *s, long long *v)
{
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return end == s || *end || errno || *v < -1 ? -1 : 0;
}

/* NAME=SOFT[:HARD]; berthd knows the names */
static int ulimit(json_t *host, const char *arg)
{
    _cleanup_free_ char *name = xstrdup(arg);
    char *soft = strchr(name, '='), *hard = NULL;
    long long s = 0, h = 0;
    if (soft) {
        *soft++ = '\0';
        if ((hard = strchr(soft, ':')))
            *hard++ = '\0';
    }
    if (soft == NULL || limit(soft, &s) < 0 || (hard && limit(hard, &h) < 0))
        return cli_error(-1, "invalid value '%s' for --ulimit: NAME=SOFT[:HARD] expected", arg);
    json_array_append_new(
        member(host, "Ulimits", json_array),
        json_pack("{s:s,s:I,s:I}", "Name", name, "Soft", s, "Hard", hard ? h : s));
    return 0;
}

int cli_security_flag(json_t *host, const char *flag, const char *arg)
{
    if (streq(flag, "cap-add") || streq(flag, "cap-drop")) {
        json_array_append_new(
            member(host, streq(flag, "cap-add") ? "CapAdd" : "CapDrop", json_array),
            json_string(arg));
        return 0;
    }
    if (streq(flag, "security-opt"))
        return secopt(host, arg);
    if (streq(flag, "device"))
        return device(host, arg);
    if (streq(flag, "ulimit"))
        return ulimit(host, arg);
    const char *eq = strchr(arg, '='); /* sysctl */
    if (eq == NULL || eq == arg)
        return cli_error(-1, "invalid value '%s' for --sysctl: KEY=VALUE expected", arg);
    _cleanup_free_ char *k = xstrdup(arg);
    k[eq - arg] = '\0';
    json_object_set_new(member(host, "Sysctls", json_object), k, json_string(eq + 1));
    return 0;
}
