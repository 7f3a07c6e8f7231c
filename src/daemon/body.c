/* The checks of a create body (POST /containers/create) that need no
 * disk: its JSON, the types of its fields, what berth cannot honour yet
 * (refused by name: DESIGN.md, never silently ignored), the name, the host
 * config, and the process from the body over the image's config. The fuzz
 * target tests/fuzz/fuzz-api-body.c drives them with any input. */
#include "body.h"
#include "error.h"
#include "units.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int body_parse(const char *text, size_t len, json_t **ret, struct berth_error **err)
{
    json_error_t je;
    if (text == NULL || len == 0) {
        *ret = json_object();
        return 0;
    }
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        return berth_error_set(err, EINVAL, "invalid JSON: %s", je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return berth_error_set(err, EINVAL, "invalid JSON: the body is not an object");
    }
    *ret = j;
    return 0;
}

/* A field that must be absent, null, false, 0, "" or empty. */
static bool unset(json_t *v)
{
    return v == NULL || json_is_null(v) || json_is_false(v) ||
           (json_is_integer(v) && json_integer_value(v) == 0) ||
           (json_is_string(v) && *json_string_value(v) == '\0') ||
           (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_object(v) && json_object_size(v) == 0);
}

/* --log-opt: max-size and max-file (the shim rotates); every other
 * option, mode=non-blocking included, is refused by name. */
static int check_log_opts(json_t *cfg, struct berth_error **err)
{
    const char *k;
    json_t *v;
    int64_t size = 0;
    long long files = 1;
    if (cfg && !json_is_null(cfg) && !json_is_object(cfg))
        return berth_error_set(err, EINVAL, "invalid LogConfig.Config: an object expected");
    json_object_foreach(cfg, k, v)
    {
        const char *s = json_string_value(v);
        if (s == NULL)
            return berth_error_set(err, EINVAL, "invalid log-opt %s: a string expected", k);
        if (streq(k, "max-size")) {
            if (berth_parse_size(s, &size) < 0 || size <= 0)
                return berth_error_set(err, EINVAL, "invalid log-opt max-size '%s'", s);
        } else if (streq(k, "max-file")) {
            if (parse_i64(s, &files) < 0 || files < 1)
                return berth_error_set(err, EINVAL, "max-file cannot be less than 1: '%s'", s);
        } else {
            return berth_error_set(err, EINVAL,
                                   "log-opt '%s' is not supported by berth yet (only max-size, "
                                   "max-file)",
                                   k);
        }
    }
    if (files > 1 && size == 0)
        return berth_error_set(err, EINVAL, "max-file cannot be set without max-size");
    return 0;
}

static int refuse_unsupported(json_t *body, json_t *host, struct berth_error **err)
{
    static const char *const cfg[] = {"Tty",     "OpenStdin",  "AttachStdin", "ExposedPorts",
                                      "Volumes", "StopSignal", "Healthcheck", "Shell"};
    static const char *const hc[] = {"Binds",
                                     "Mounts",
                                     "PortBindings",
                                     "Privileged",
                                     "CapAdd",
                                     "CapDrop",
                                     "Devices",
                                     "ReadonlyRootfs",
                                     "CpuShares",
                                     "CpusetCpus",
                                     "CpusetMems",
                                     "MemorySwap",
                                     "MemoryReservation",
                                     "BlkioWeight",
                                     "Init",
                                     "SecurityOpt",
                                     "Dns",
                                     "ExtraHosts",
                                     "Sysctls",
                                     "Tmpfs",
                                     "VolumesFrom",
                                     "Links",
                                     "CpuQuota",
                                     "CpuPeriod",
                                     "KernelMemory",
                                     "OomKillDisable",
                                     "PidMode",
                                     "IpcMode",
                                     "UTSMode",
                                     "UsernsMode",
                                     "GroupAdd",
                                     "DeviceRequests",
                                     "Runtime",
                                     "StorageOpt",
                                     "PublishAllPorts"};
    for (size_t i = 0; i < ARRAY_SIZE(cfg); i++)
        if (!unset(json_object_get(body, cfg[i])))
            return berth_error_set(err, EINVAL, "%s is not supported by berth yet", cfg[i]);
    for (size_t i = 0; i < ARRAY_SIZE(hc); i++)
        if (!unset(json_object_get(host, hc[i])))
            return berth_error_set(err, EINVAL, "HostConfig.%s is not supported by berth yet",
                                   hc[i]);
    const char *rp =
        json_string_value(json_object_get(json_object_get(host, "RestartPolicy"), "Name"));
    if (rp && *rp && !streq(rp, "no"))
        return berth_error_set(err, EINVAL,
                               "HostConfig.RestartPolicy '%s' is not supported by "
                               "berth yet",
                               rp);
    const char *lt = json_string_value(json_object_get(json_object_get(host, "LogConfig"), "Type"));
    if (lt && *lt && !streq(lt, "json-file"))
        return berth_error_set(err, EINVAL,
                               "log driver '%s' is not supported: berth writes "
                               "json-file logs",
                               lt);
    return check_log_opts(json_object_get(json_object_get(host, "LogConfig"), "Config"), err);
}

static int check_types(json_t *body, struct berth_error **err)
{
    static const struct {
        const char *key;
        int type;
    } t[] = {{"Image", JSON_STRING},    {"Cmd", JSON_ARRAY},         {"Entrypoint", JSON_ARRAY},
             {"Env", JSON_ARRAY},       {"WorkingDir", JSON_STRING}, {"User", JSON_STRING},
             {"Hostname", JSON_STRING}, {"HostConfig", JSON_OBJECT}, {"Labels", JSON_OBJECT}};
    if (!json_is_object(body))
        return berth_error_set(err, EINVAL, "the request body is not a JSON object");
    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        json_t *v = json_object_get(body, t[i].key);
        if (v && !json_is_null(v) && (int)json_typeof(v) != t[i].type)
            return berth_error_set(err, EINVAL, "invalid type for field '%s'", t[i].key);
        if (v && json_is_array(v)) {
            size_t k;
            json_t *s;
            json_array_foreach(v, k, s) if (!json_is_string(s)) return berth_error_set(
                err, EINVAL, "invalid type for field '%s': strings expected", t[i].key);
        }
    }
    return 0;
}

static int check_host(json_t *host, const char **ret_net, struct berth_error **err)
{
    const char *net = json_string_value(json_object_get(host, "NetworkMode"));
    if (net == NULL || *net == '\0' || streq(net, "default"))
        net = "none";
    if (streq(net, "bridge"))
        return berth_error_set(err, EINVAL,
                               "network mode 'bridge' is not supported: berth has "
                               "no networking yet, use --network none or host");
    if (!streq(net, "none") && !streq(net, "host"))
        return berth_error_set(err, EINVAL, "network mode '%s' is not supported (none or host)",
                               net);
    static const char *const nums[] = {"Memory", "NanoCpus", "PidsLimit"};
    for (size_t i = 0; i < ARRAY_SIZE(nums); i++) {
        json_t *v = json_object_get(host, nums[i]);
        if (v && !json_is_null(v) && !json_is_integer(v))
            return berth_error_set(err, EINVAL, "invalid type for field 'HostConfig.%s'", nums[i]);
        if (json_integer_value(v) < 0 && !streq(nums[i], "PidsLimit"))
            return berth_error_set(err, EINVAL, "invalid HostConfig.%s: %lld", nums[i],
                                   (long long)json_integer_value(v));
    }
    json_int_t mem = json_integer_value(json_object_get(host, "Memory"));
    if (mem > 0 && mem < 6 * 1024 * 1024)
        return berth_error_set(err, EINVAL, "Minimum memory limit allowed is 6MB");
    *ret_net = net;
    return 0;
}

/* "", "root", "UID" or "UID:GID" (numbers only, until names are looked
 * up in the image's /etc/passwd). */
static int parse_user(const char *u, long *uid, long *gid, struct berth_error **err)
{
    *uid = *gid = 0;
    if (u == NULL || *u == '\0' || streq(u, "root"))
        return 0;
    char *end;
    *uid = strtol(u, &end, 10);
    if (end == u || *uid < 0 || (*end && *end != ':'))
        return berth_error_set(err, EINVAL,
                               "user '%s' is not supported: numeric UID[:GID] "
                               "only",
                               u);
    *gid = *uid;
    if (*end == ':') {
        char *g = end + 1;
        *gid = strtol(g, &end, 10);
        if (end == g || *gid < 0 || *end)
            return berth_error_set(err, EINVAL,
                                   "user '%s' is not supported: numeric "
                                   "UID[:GID] only",
                                   u);
    }
    return 0;
}

static json_t *merge_env(json_t *image_env, json_t *env)
{
    json_t *out = json_is_array(image_env) ? json_deep_copy(image_env) : json_array();
    size_t i, k;
    json_t *e, *o;
    json_array_foreach(env, i, e)
    {
        const char *s = json_string_value(e);
        size_t klen = strcspn(s, "=");
        bool replaced = false;
        json_array_foreach(out, k, o)
        {
            const char *t = json_string_value(o);
            if (strncmp(t, s, klen) == 0 && (t[klen] == '=' || t[klen] == '\0')) {
                json_array_set(out, k, e);
                replaced = true;
                break;
            }
        }
        if (!replaced)
            json_array_append(out, e);
    }
    return out;
}

/* The process: Docker's rules for Entrypoint and Cmd over the image's. */
int body_process(json_t *body, json_t *imgcfg, const char *hostname, json_t **ret,
                 struct berth_error **err)
{
    json_t *ep = json_object_get(body, "Entrypoint"), *cmd = json_object_get(body, "Cmd");
    if (!json_is_array(ep))
        ep = json_object_get(imgcfg, "Entrypoint");
    if (!json_is_array(cmd) && !json_is_array(json_object_get(body, "Entrypoint")))
        cmd = json_object_get(imgcfg, "Cmd");
    json_t *args = json_array();
    if (json_is_array(ep))
        json_array_extend(args, ep);
    if (json_is_array(cmd))
        json_array_extend(args, cmd);
    if (json_array_size(args) == 0) {
        json_decref(args);
        return berth_error_set(err, EINVAL, "no command specified");
    }
    long uid, gid;
    const char *user = json_string_value(json_object_get(body, "User"));
    if (user == NULL || *user == '\0')
        user = json_string_value(json_object_get(imgcfg, "User"));
    if (parse_user(user, &uid, &gid, err) < 0) {
        json_decref(args);
        return -EINVAL;
    }
    const char *cwd = json_string_value(json_object_get(body, "WorkingDir"));
    if (cwd == NULL || *cwd == '\0')
        cwd = json_string_value(json_object_get(imgcfg, "WorkingDir"));
    if (cwd == NULL || *cwd == '\0')
        cwd = "/";
    if (cwd[0] != '/') {
        json_decref(args);
        return berth_error_set(err, EINVAL,
                               "the working directory '%s' is invalid, it needs "
                               "to be an absolute path",
                               cwd);
    }
    json_t *env = merge_env(json_object_get(imgcfg, "Env"), json_object_get(body, "Env"));
    *ret = json_pack("{s:o,s:o,s:s,s:i,s:i,s:s}", "Args", args, "Env", env, "Cwd", cwd, "Uid",
                     (int)uid, "Gid", (int)gid, "Hostname", hostname);
    return 0;
}

bool body_name_valid(const char *n)
{
    if (n[0] == '/')
        n++;
    if (!isalnum((unsigned char)n[0]))
        return false;
    for (const char *p = n; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
            return false;
    return strlen(n) < 128;
}

int body_check(json_t *body, const char *name, const char **ret_net, struct berth_error **err)
{
    if (check_types(body, err) < 0 ||
        refuse_unsupported(body, json_object_get(body, "HostConfig"), err) < 0)
        return -EINVAL;
    if (name && *name && !body_name_valid(name))
        return berth_error_set(err, EINVAL,
                               "Invalid container name (%s), only "
                               "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                               name);
    const char *image = json_string_value(json_object_get(body, "Image"));
    if (image == NULL || *image == '\0')
        return berth_error_set(err, EINVAL, "no image given (the body's Image field)");
    return check_host(json_object_get(body, "HostConfig"), ret_net, err);
}
