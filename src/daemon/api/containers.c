/* /containers/...: create, list, inspect, start, wait, stop, kill, delete */
#include "api.h"
#include "../body.h"
#include "../build.h"
#include "../daemon.h"
#include "../volumes.h"
#include "cleanup.h"
#include "images-query.h"
#include "store.h"
#include "durable.h"
#include "error.h"
#include "signals.h"
#include "units.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static time_t parse_time(const char *s)
{
    struct tm tm = {0};
    if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return 0;
    return timegm(&tm);
}

static char *status_text(struct ctr *c)
{
    char dur[64];
    time_t now = time(NULL);
    if (c->restarting) {
        json_t *last = json_object_get(c->state, "LastExit");
        berth_human_duration(now -
                                 parse_time(json_string_value(json_object_get(last, "FinishedAt"))),
                             dur, sizeof(dur));
        return xasprintf("Restarting (%d) %s ago",
                         (int)json_integer_value(json_object_get(last, "ExitCode")), dur);
    }
    if (c->status == CTR_RUNNING) {
        berth_human_duration(
            now - parse_time(json_string_value(json_object_get(c->state, "StartedAt"))), dur,
            sizeof(dur));
        return xasprintf("Up %s%s", dur, c->paused ? " (Paused)" : "");
    }
    if (c->status == CTR_EXITED) {
        berth_human_duration(
            now - parse_time(json_string_value(json_object_get(c->exit, "FinishedAt"))), dur,
            sizeof(dur));
        return xasprintf("Exited (%d) %s ago", ctr_exit_code(c), dur);
    }
    return xstrdup("Created");
}

static const char *state_name(const struct ctr *c)
{
    return c->restarting ? "restarting" : c->paused ? "paused" : ctr_status_name(c->status);
}

static char *command_line(const struct ctr *c)
{
    json_t *args = json_object_get(json_object_get(c->rec, "Process"), "Args"), *a;
    size_t i, len = 1;
    json_array_foreach(args, i, a) len += strlen(json_string_value(a)) + 1;
    char *s = xzalloc(len);
    json_array_foreach(args, i, a)
    {
        if (i > 0)
            strcat(s, " ");
        strcat(s, json_string_value(a));
    }
    return s;
}

/* A list entry without State and Status, as JSON text: what depends on
 * the container record only (kept with it: records_memo). */
static char *summary_fixed(const struct ctr *c)
{
    _cleanup_free_ char *name = xasprintf("/%s", ctr_name(c));
    _cleanup_free_ char *cmd = command_line(c);
    json_t *hc = json_object_get(c->rec, "HostConfig");
    json_t *labels = json_object_get(json_object_get(c->rec, "Config"), "Labels");
    json_t *j = json_pack(
        "{s:s,s:[s],s:O,s:O,s:s,s:I,s:o,s:{s:O},s:{s:{}},s:[]}", "Id", c->id, "Names", name,
        "Image", json_object_get(c->rec, "Image"), "ImageID", json_object_get(c->rec, "ImageID"),
        "Command", cmd, "Created",
        (json_int_t)parse_time(json_string_value(json_object_get(c->rec, "Created"))), "Labels",
        json_is_object(labels) ? json_incref(labels) : json_object(), "HostConfig", "NetworkMode",
        json_object_get(hc, "NetworkMode"), "NetworkSettings", "Networks", "Mounts");
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

/* berth's brief entry (x-berth-brief=1): what berth ps shows and no more,
 * so a CLI parses half as much of a long list. */
static char *summary_brief(const struct ctr *c)
{
    _cleanup_free_ char *name = xasprintf("/%s", ctr_name(c));
    _cleanup_free_ char *cmd = command_line(c);
    json_t *labels = json_object_get(json_object_get(c->rec, "Config"), "Labels");
    json_t *j =
        json_pack("{s:s,s:[s],s:O,s:s,s:I,s:o}", "Id", c->id, "Names", name, "Image",
                  json_object_get(c->rec, "Image"), "Command", cmd, "Created",
                  (json_int_t)parse_time(json_string_value(json_object_get(c->rec, "Created"))),
                  "Labels", json_is_object(labels) ? json_incref(labels) : json_object());
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

struct text {
    char *p;
    size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = xrealloc(t->p, t->cap);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

/* The container's State.Health: the shim's health.json (rewritten after
 * each check, so read per request, not kept with the record) while it runs
 * or backs off with a healthcheck; NULL otherwise. Before the shim wrote
 * it: "starting", as Docker at each start. */
static json_t *health_json(const struct ctr *c)
{
    json_t *hc = json_object_get(json_object_get(c->rec, "Config"), "Healthcheck");
    const char *kind = json_string_value(json_array_get(json_object_get(hc, "Test"), 0));
    if (kind == NULL || streq(kind, "NONE") || (c->status != CTR_RUNNING && !c->restarting))
        return NULL;
    json_t *h = json_read_file(c->dir, "health.json", NULL);
    return h ? h : json_pack("{s:s,s:i,s:[]}", "Status", "starting", "FailingStreak", 0, "Log");
}

/* ps's health filter: starting, healthy, unhealthy or none */
static void health_name(const struct ctr *c, char buf[16])
{
    json_t *h = health_json(c);
    const char *st = json_string_value(json_object_get(h, "Status"));
    snprintf(buf, 16, "%s", st ? st : "none");
    json_decref(h);
}

/* Docker's State.String: "Up 5 seconds (healthy)", "(health: starting)";
 * takes st. */
static char *with_health(const struct ctr *c, char *st)
{
    char h[16];
    if (c->status != CTR_RUNNING || c->paused || c->restarting)
        return st;
    health_name(c, h);
    if (streq(h, "none"))
        return st;
    char *s = xasprintf("%s (%s%s)", st, streq(h, "starting") ? "health: " : "", h);
    free(st);
    return s;
}

static int health_value_check(const char *s, struct berth_error **err)
{
    if (s &&
        (streq(s, "starting") || streq(s, "healthy") || streq(s, "unhealthy") || streq(s, "none")))
        return 0;
    return berth_error_set(err, EINVAL, "Unrecognised filter value for health: %s", s ? s : "");
}

static int health_filter_check(const char *key, json_t *vals, struct berth_error **err)
{
    const char *k2;
    json_t *v;
    size_t i;
    if (!streq(key, "health"))
        return 0;
    json_object_foreach(vals, k2, v)
    {
        if (health_value_check(k2, err) < 0)
            return -EINVAL;
    }
    json_array_foreach(vals, i, v)
    {
        if (health_value_check(json_string_value(v), err) < 0)
            return -EINVAL;
    }
    return 0;
}

/* Docker's list entry: the record's part, then the status of now (plain
 * ASCII of our own: nothing to escape). */
static void summary_write(struct text *out, struct ctr *c, bool brief)
{
    _cleanup_free_ char *fixed =
        brief ? records_memo(c, 1, summary_brief) : records_memo(c, 0, summary_fixed);
    _cleanup_free_ char *st = with_health(c, status_text(c));
    char tail[160];
    int n = snprintf(tail, sizeof(tail), ",\"State\":\"%s\",\"Status\":\"%s\"}", state_name(c), st);
    text_add(out, fixed, strlen(fixed) - 1);
    /* published ports: only a running container on a network has them */
    const char *mode =
        json_string_value(json_object_get(json_object_get(c->rec, "HostConfig"), "NetworkMode"));
    json_t *ports = c->status == CTR_RUNNING && mode && !streq(mode, "none") &&
                            !streq(mode, "host") && strncmp(mode, "container:", 10) != 0
                        ? netctr_ports_list(c)
                        : NULL;
    _cleanup_free_ char *ptext = ports ? json_dumps(ports, JSON_COMPACT) : NULL;
    json_decref(ports);
    text_add(out, ",\"Ports\":", 9);
    text_add(out, ptext ? ptext : "[]", ptext ? strlen(ptext) : 2);
    text_add(out, tail, (size_t)n < sizeof(tail) ? (size_t)n : sizeof(tail) - 1);
}

/* One filter value: name= (a substring, as Docker), status=, label=K or K=V. */
static bool filter_one(struct ctr *c, const char *key, const char *val)
{
    if (streq(key, "name"))
        return strstr(ctr_name(c), val[0] == '/' ? val + 1 : val) != NULL;
    if (streq(key, "status"))
        return streq(state_name(c), val);
    if (streq(key, "id"))
        return strncmp(c->id, val, strlen(val)) == 0;
    if (streq(key, "health")) {
        char h[16];
        health_name(c, h);
        return streq(h, val);
    }
    json_t *labels = json_object_get(json_object_get(c->rec, "Config"), "Labels");
    const char *eq = strchr(val, '=');
    _cleanup_free_ char *k = xstrdup(val);
    if (eq)
        k[eq - val] = '\0';
    const char *have = json_string_value(json_object_get(labels, k));
    return have && (eq == NULL || streq(have, eq + 1));
}

/* Docker's rule: every key must match, any one of a key's values. */
static bool filter_match(struct ctr *c, json_t *filters)
{
    const char *key;
    json_t *vals, *v;
    size_t i;
    json_object_foreach(filters, key, vals)
    {
        bool any = false;
        if (json_is_object(vals)) { /* the old form {"VALUE":true} */
            const char *k2;
            json_object_foreach(vals, k2, v) any = any || filter_one(c, key, k2);
        }
        json_array_foreach(vals, i, v) any = any || filter_one(c, key, json_string_value(v));
        if (!any)
            return false;
    }
    return true;
}

static int filters_parse(const char *text, json_t **ret, struct berth_error **err)
{
    static const char *const known[] = {"name", "status", "label", "id", "health"};
    const char *key;
    json_t *vals, *v;
    size_t i;
    *ret = NULL;
    if (text == NULL || *text == '\0')
        return 0;
    json_t *f = json_loads(text, 0, NULL);
    if (!json_is_object(f)) {
        json_decref(f);
        return berth_error_set(err, EINVAL, "invalid filter: '%s'", text);
    }
    json_object_foreach(f, key, vals)
    {
        bool ok = false;
        for (i = 0; i < ARRAY_SIZE(known); i++)
            ok = ok || streq(key, known[i]);
        json_array_foreach(vals, i, v) ok = ok && json_is_string(v);
        if (!ok || !(json_is_array(vals) || json_is_object(vals))) {
            int r = berth_error_set(err, EINVAL, "invalid filter '%s'", key);
            json_decref(f); /* key lives in f */
            return r;
        }
        if (health_filter_check(key, vals, err) < 0) {
            json_decref(f);
            return -EINVAL;
        }
    }
    *ret = f;
    return 0;
}

static enum MHD_Result list(struct request *r)
{
    struct ctr **v;
    size_t n;
    struct berth_error *err = NULL;
    json_t *filters = NULL;
    bool all = api_arg_bool(r, "all", false);
    bool brief = api_arg_bool(r, "x-berth-brief", false);
    if (filters_parse(api_arg(r, "filters"), &filters, &err) < 0)
        return api_error(r, err);
    /* as Docker: a status filter shows stopped containers without all */
    all = all || json_object_get(filters, "status");
    struct text out = {0};
    size_t k = 0;
    text_add(&out, "[", 1);
    ctr_list(&v, &n);
    for (size_t i = 0; i < n; i++)
        if ((all || v[i]->status == CTR_RUNNING) && filter_match(v[i], filters)) {
            if (k++)
                text_add(&out, ",", 1);
            summary_write(&out, v[i], brief);
        }
    ctrs_free(v, n);
    json_decref(filters);
    text_add(&out, "]\n", 2);
    return api_text(r, 200, "application/json", out.p, out.len);
}

static json_t *state_json(struct ctr *c)
{
    const char *zero = "0001-01-01T00:00:00Z";
    json_t *started = json_object_get(c->state ? c->state : c->exit, "StartedAt");
    /* a running container shows its last exit (restart policy) as Docker */
    json_t *last = c->exit ? c->exit : json_object_get(c->state, "LastExit");
    const char *fin = json_string_value(json_object_get(last, "FinishedAt"));
    const char *err = json_string_value(json_object_get(c->exit, "Error"));
    json_t *st = json_pack(
        "{s:s,s:b,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:s,s:s,s:s,s:I}", "Status", state_name(c), "Running",
        c->status == CTR_RUNNING, "Paused", c->paused, "Restarting", c->restarting, "OOMKilled",
        json_is_true(json_object_get(last, "OOMKilled")), "Dead", 0, "RemovalInProgress", 0, "Pid",
        c->status == CTR_RUNNING ? (int)json_integer_value(json_object_get(c->state, "Pid")) : 0,
        "ExitCode", (int)json_integer_value(json_object_get(last, "ExitCode")), "Error",
        err ? err : "", "StartedAt", json_is_string(started) ? json_string_value(started) : zero,
        "FinishedAt", fin ? fin : zero, "LogDrops", ctr_log_drops(c));
    if (c->restarting) { /* berth's: the back-off being waited out */
        json_object_set(st, "RestartDelayMs", json_object_get(c->state, "RestartDelayMs"));
        json_object_set(st, "NextRestartAt", json_object_get(c->state, "NextRestartAt"));
    }
    json_t *health = health_json(c);
    if (health)
        json_object_set_new(st, "Health", health);
    return st;
}

/* Docker's RestartCount: the policy's restarts since the last start. */
static int restart_count(const struct ctr *c)
{
    json_t *j = c->exit ? c->exit : c->state;
    return (int)json_integer_value(json_object_get(j, "RestartCount"));
}

static enum MHD_Result inspect(struct request *r, struct ctr *c)
{
    json_t *proc = json_object_get(c->rec, "Process");
    json_t *args = json_deep_copy(json_object_get(proc, "Args"));
    json_t *path = json_incref(json_array_get(args, 0));
    json_array_remove(args, 0);
    json_t *cfg = json_deep_copy(json_object_get(c->rec, "Config"));
    json_object_set(cfg, "Env", json_object_get(proc, "Env"));
    json_object_set(cfg, "Hostname", json_object_get(proc, "Hostname"));
    json_object_set(cfg, "WorkingDir", json_object_get(proc, "Cwd"));
    static const char *const stdio_flags[] = {"Tty", "OpenStdin", "StdinOnce", "AttachStdin"};
    for (size_t i = 0; i < ARRAY_SIZE(stdio_flags); i++)
        json_object_set_new(cfg, stdio_flags[i],
                            json_boolean(json_is_true(json_object_get(cfg, stdio_flags[i]))));
    json_object_set(cfg, "Image", json_object_get(c->rec, "Image"));
    _cleanup_free_ char *name = xasprintf("/%s", ctr_name(c));
    _cleanup_free_ char *logpath = xasprintf("%s/%s-json.log", c->dir, c->id);
    _cleanup_free_ char *upper = xasprintf("%s/upper", c->dir);
    _cleanup_free_ char *merged = xasprintf("%s/rootfs", c->dir);
    _cleanup_free_ char *resolv = xasprintf("%s/resolv.conf", c->dir);
    _cleanup_free_ char *hostname = xasprintf("%s/hostname", c->dir);
    _cleanup_free_ char *hosts = xasprintf("%s/hosts", c->dir);
    json_t *hc = json_deep_copy(json_object_get(c->rec, "HostConfig"));
    if (json_object_get(hc, "LogConfig") == NULL)
        json_object_set_new(hc, "LogConfig",
                            json_pack("{s:s,s:{}}", "Type", "json-file", "Config"));
    if (!json_is_object(json_object_get(hc, "RestartPolicy")))
        json_object_set_new(hc, "RestartPolicy",
                            json_pack("{s:s,s:i}", "Name", "no", "MaximumRetryCount", 0));
    json_t *out = json_pack(
        "{s:s,s:O,s:o,s:o,s:o,s:O,s:s,s:i,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:s,s:s,"
        "s:{s:s,s:{s:s,s:s}}}",
        "Id", c->id, "Created", json_object_get(c->rec, "Created"), "Path",
        path ? path : json_string(""), "Args", args, "State", state_json(c), "Image",
        json_object_get(c->rec, "ImageID"), "Name", name, "RestartCount", restart_count(c),
        "Driver", "overlay2", "Platform", "linux", "LogPath", logpath, "HostConfig", hc, "Config",
        cfg, "NetworkSettings", netctr_settings(c), "Mounts", volumes_inspect_mounts(c->rec),
        "ResolvConfPath", resolv, "HostnamePath", hostname, "HostsPath", hosts, "GraphDriver",
        "Name", "overlay2", "Data", "UpperDir", upper, "MergedDir", merged);
    /* berth's own: the CPUs placement picked and the loads it saw */
    json_t *placed = json_read_file(c->dir, "placement.json", NULL);
    if (placed)
        json_object_set_new(out, "Placement", placed);
    /* and the GPUs and CDI devices gpu.c gave it at its last start */
    json_t *gpus = json_object_size(json_object_get(c->rec, "HostConfig")) &&
                           json_array_size(json_object_get(json_object_get(c->rec, "HostConfig"),
                                                           "DeviceRequests"))
                       ? json_read_file(c->dir, "gpus.json", NULL)
                       : NULL;
    if (gpus) {
        json_object_del(gpus, "Edits");
        json_object_set_new(out, "Devices", gpus);
    }
    return api_json(r, 200, out);
}

static enum MHD_Result create(struct request *r)
{
    enum MHD_Result ret;
    struct berth_error *err = NULL;
    json_t *body = api_body_json(r, &ret);
    if (body == NULL)
        return ret;
    char id[65];
    const char *name = api_arg(r, "name");
    int rc = ctr_create(body, name, id, &err);
    json_decref(body);
    if (rc < 0)
        return api_error(r, err);
    return api_json(r, 201, json_pack("{s:s,s:[]}", "Id", id, "Warnings"));
}

static int signal_arg(struct request *r, const char *key, int def)
{
    const char *s = api_arg(r, key);
    if (s == NULL || *s == '\0')
        return def;
    int sig = berth_signal_parse(s);
    return sig > 0 ? sig : -1;
}

static enum MHD_Result action(struct request *r, struct ctr *c, const char *what)
{
    struct berth_error *err = NULL;
    bool modified = true;
    int rc = 0;
    if (streq(what, "start")) {
        rc = ctr_start(c, &modified, &err);
    } else if (streq(what, "stop")) {
        const char *t = api_arg(r, "t") ? api_arg(r, "t") : api_arg(r, "timeout");
        json_t *st = json_object_get(json_object_get(c->rec, "Config"), "StopTimeout");
        long long secs = json_is_integer(st) ? json_integer_value(st) : 10; /* --stop-timeout */
        if (t && (parse_i64(t, &secs) < 0 || secs < -1))
            return api_message(r, 400, "invalid value for t: '%s'", t);
        rc = ctr_stop(c, secs < 0 ? 3600 : (int)secs, KILL_MANUAL, &modified, &err);
    } else if (streq(what, "kill")) {
        int sig = signal_arg(r, "signal", SIGKILL);
        if (sig < 0)
            return api_message(r, 400, "invalid signal: %s", api_arg(r, "signal"));
        /* the end the user asked for: not restarted by the policy */
        unsigned fl = sig == SIGKILL ? KILL_ALL | KILL_MANUAL : 0;
        rc = ctr_kill(c, sig, fl | (sig == ctr_stop_signal(c) ? KILL_MANUAL : 0), &err);
    } else if (streq(what, "pause") || streq(what, "unpause")) {
        rc = ctr_pause(c, streq(what, "pause"), &err);
    } else if (streq(what, "rename")) {
        rc = ctr_rename(c, api_arg(r, "name"), &err);
    } else if (streq(what, "restart")) {
        const char *t = api_arg(r, "t") ? api_arg(r, "t") : api_arg(r, "timeout");
        json_t *st = json_object_get(json_object_get(c->rec, "Config"), "StopTimeout");
        long long secs = json_is_integer(st) ? json_integer_value(st) : 10; /* --stop-timeout */
        if (t && (parse_i64(t, &secs) < 0 || secs < -1))
            return api_message(r, 400, "invalid value for t: '%s'", t);
        rc = ctr_restart(c, secs < 0 ? 3600 : (int)secs, &err);
    } else if (streq(what, "resize")) {
        return api_resize(r, c->id, NULL);
    } else {
        return api_message(r, 404, "page not found");
    }
    if (rc < 0)
        return api_error(r, err);
    return api_empty(r, modified ? 204 : 304);
}

/* The answer's headers go out at once, the body once the condition holds:
 * the docker CLI starts the container only after the headers came. */
static ssize_t wait_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct ctr_waiter *w = cls;
    if (pos > 0)
        return (ssize_t)MHD_CONTENT_READER_END_OF_STREAM;
    int code = ctr_wait_block(w);
    int n = snprintf(buf, max, "{\"StatusCode\":%d,\"Error\":null}\n", code);
    return n;
}

static enum MHD_Result wait_for(struct request *r, struct ctr *c)
{
    const char *cond = api_arg(r, "condition");
    enum wait_cond wc = WAIT_NOT_RUNNING;
    struct berth_error *err = NULL;
    if (streq(cond, "next-exit"))
        wc = WAIT_NEXT_EXIT;
    else if (streq(cond, "removed"))
        wc = WAIT_REMOVED;
    else if (cond && *cond && !streq(cond, "not-running"))
        return api_message(r, 400, "invalid condition: '%s'", cond);
    struct ctr_waiter *w = xzalloc(sizeof(*w));
    if (ctr_wait_prepare(c->id, wc, w, &err) < 0) {
        free(w);
        return api_error(r, err);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256, wait_cb, w, free);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Bytes of the regular files under dfd (taken), down to a depth. */
static long long tree_bytes(int dfd, int depth)
{
    long long n = 0;
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (d == NULL) {
        if (dfd >= 0)
            close(dfd);
        return 0;
    }
    for (struct dirent *de; (de = readdir(d));) {
        struct stat st;
        if (streq(de->d_name, ".") || streq(de->d_name, "..") ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(st.st_mode))
            n += st.st_size;
        else if (S_ISDIR(st.st_mode) && depth < 256)
            n += tree_bytes(
                openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC),
                depth + 1);
    }
    closedir(d);
    return n;
}

/* POST /containers/prune: every container that does not run (created or
 * exited; a build's own are the build's), with image prune's until,
 * label and label! filters. */
static enum MHD_Result prune(struct request *r)
{
    struct store_prune f = {0};
    json_t *filters = NULL;
    _cleanup_free_ char *bad = images_prune_filters_plain(api_arg(r, "filters"), &f, &filters);
    if (bad) {
        json_decref(filters);
        return api_message(r, 400, "%s", bad);
    }
    struct ctr **v;
    size_t n;
    json_t *gone = json_array();
    long long bytes = 0;
    ctr_list(&v, &n);
    for (size_t i = 0; i < n; i++) {
        json_t *labels = json_object_get(json_object_get(v[i]->rec, "Config"), "Labels");
        if (v[i]->status == CTR_RUNNING || json_object_get(labels, BUILD_LABEL) ||
            store_prune_keeps(&f, labels, store_parse_time(v[i]->created)))
            continue;
        _cleanup_free_ char *upper = xasprintf("%s/upper", v[i]->dir);
        long long size = tree_bytes(open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0);
        struct berth_error *err = NULL;
        if (ctr_remove(v[i]->id, false, &err) < 0) {
            berth_error_clear(&err); /* started meanwhile: it stays */
            continue;
        }
        bytes += size;
        json_array_append_new(gone, json_string(v[i]->id));
    }
    ctrs_free(v, n);
    json_decref(filters); /* f's label lists are its */
    return api_json(r, 200,
                    json_pack("{s:o,s:I}", "ContainersDeleted", gone, "SpaceReclaimed", bytes));
}

enum MHD_Result api_commit(struct request *r)
{
    const char *ref = api_arg(r, "container"), *repo = api_arg(r, "repo");
    const char *tag = api_arg(r, "tag"), *changes = api_arg(r, "changes");
    if (ref == NULL || *ref == '\0')
        return api_message(r, 400, "no container given (container=)");
    if (changes && *changes) /* Dockerfile instructions: refused, not ignored */
        return api_message(r, 400, "changes (commit --change) is not supported by berth yet");
    json_t *cfg = r->body_len ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
    bool set = cfg && !body_unset(cfg);
    json_decref(cfg);
    if (set)
        return api_message(r, 400, "a commit's config body is not supported by berth yet");
    if ((!repo || !*repo) && tag && *tag)
        return api_message(r, 400, "a tag needs a repository (repo=)");
    struct ctr *c = NULL;
    struct berth_error *err = NULL;
    if (ctr_find(ref, &c, &err) < 0)
        return api_error(r, err);
    _cleanup_free_ char *full =
        repo && *repo ? xasprintf("%s%s%s", repo, tag && *tag ? ":" : "", tag ? tag : "") : NULL;
    struct commit_opts o = {.ref = full,
                            .comment = api_arg(r, "comment"),
                            .author = api_arg(r, "author"),
                            .pause = api_arg_bool(r, "pause", true)};
    char *id = NULL;
    int rc = ctr_commit(c, &o, &id, &err);
    ctr_free(c);
    if (rc < 0)
        return api_error(r, err);
    json_t *j = json_pack("{s:s}", "Id", id);
    free(id);
    return api_json(r, 201, j);
}

enum MHD_Result api_containers(struct request *r)
{
    const char *rest = r->path + strlen("/containers/");
    if (streq(rest, "create") && streq(r->method, "POST"))
        return create(r);
    if (streq(rest, "json") && streq(r->method, "GET"))
        return list(r);
    if (streq(rest, "prune") && streq(r->method, "POST"))
        return prune(r);
    char ref[256];
    if (*rest == '/') /* a name given as "/NAME" */
        rest++;
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (n == 0 || n >= sizeof(ref))
        return api_message(r, 404, "page not found");
    memcpy(ref, rest, n);
    ref[n] = '\0';
    const char *what = slash ? slash + 1 : "";
    struct ctr *c = NULL;
    struct berth_error *err = NULL;
    if (ctr_find(ref, &c, &err) < 0)
        return api_error(r, err);
    enum MHD_Result ret;
    if (*what == '\0' && streq(r->method, "DELETE")) {
        bool v = api_arg_bool(r, "v", false); /* rm -v: its anonymous volumes */
        ret = ctr_remove_v(c->id, api_arg_bool(r, "force", false), v, &err) < 0 ? api_error(r, err)
                                                                                : api_empty(r, 204);
    } else if (streq(what, "json") && streq(r->method, "GET")) {
        ret = inspect(r, c);
    } else if (streq(what, "logs") && streq(r->method, "GET")) {
        ret = api_logs(r, c->id);
    } else if (streq(what, "attach") && streq(r->method, "POST")) {
        ret = api_attach(r, c->id);
    } else if (streq(what, "top") && streq(r->method, "GET")) {
        json_t *top = ctr_top(c, api_arg(r, "ps_args"), &err);
        ret = top ? api_json(r, 200, top) : api_error(r, err);
    } else if (streq(what, "stats") && streq(r->method, "GET")) {
        ret = api_stats(r, c);
    } else if (streq(what, "exec") && streq(r->method, "POST")) {
        ret = api_exec_create(r, c);
    } else if (streq(what, "update") && streq(r->method, "POST")) {
        ret = api_update(r, c);
    } else if (streq(what, "archive")) {
        ret = api_archive(r, c);
    } else if (streq(what, "export") && streq(r->method, "GET")) {
        ret = api_export(r, c);
    } else if (streq(what, "wait") && streq(r->method, "POST")) {
        ret = wait_for(r, c);
    } else if (streq(r->method, "POST")) {
        ret = action(r, c, what);
    } else {
        ret = api_message(r, 404, "page not found");
    }
    ctr_free(c);
    return ret;
}
