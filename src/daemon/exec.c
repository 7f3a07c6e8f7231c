/* Docker's exec instances as records in the container's dir (records on
 * disk are the truth: berthd keeps no table of them). The shim starts the
 * process (src/shim/exec.c) and writes its exit. */
#include "daemon.h"
#include "events.h"
#include "api/api.h"
#include "cleanup.h"
#include "durable.h"
#include "error.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Docker's ConsoleSize: [height, width] (null: none). */
static int check_size(json_t *size, struct berth_error **err)
{
    json_t *h = json_array_get(size, 0), *w = json_array_get(size, 1);
    if (size == NULL || json_is_null(size))
        return 0;
    if (!json_is_array(size) || json_array_size(size) != 2 || !json_is_integer(h) ||
        !json_is_integer(w) || json_integer_value(h) < 0 || json_integer_value(h) > 65535 ||
        json_integer_value(w) < 0 || json_integer_value(w) > 65535)
        return berth_error_set(err, EINVAL, "invalid ConsoleSize: [height, width] expected");
    return 0;
}

static int check_stdio(json_t *body, struct berth_error **err)
{
    struct detach_keys dk;
    const char *keys = json_string_value(json_object_get(body, "DetachKeys"));
    if (check_size(json_object_get(body, "ConsoleSize"), err) < 0)
        return -EINVAL;
    if (keys && *keys && detach_keys_parse(keys, &dk) < 0)
        return berth_error_set(err, EINVAL, "Invalid detach keys (%s) provided", keys);
    return 0;
}

int exec_set_console_size(const char *cid, const char *eid, json_t *size, struct berth_error **err)
{
    if (size == NULL || json_is_null(size))
        return 0;
    if (check_size(size, err) < 0)
        return -EINVAL;
    _cleanup_free_ char *dir = xasprintf("%s/containers/%s/execs", engine.data_root, cid);
    _cleanup_free_ char *name = xasprintf("%s.json", eid);
    json_t *rec = json_read_file(dir, name, err);
    if (rec == NULL)
        return -ENOENT;
    json_object_set(json_object_get(rec, "Config"), "ConsoleSize", size);
    int r = durable_write_json(dir, name, rec, err);
    json_decref(rec);
    return r;
}

static int check_body(json_t *body, struct berth_error **err)
{
    static const char *const refused[] = {"Privileged"};
    json_t *cmd = json_object_get(body, "Cmd"), *v;
    size_t i;
    if (!json_is_array(cmd) || json_array_size(cmd) == 0)
        return berth_error_set(err, EINVAL, "No exec command specified");
    json_array_foreach(cmd, i, v) if (!json_is_string(v)) return berth_error_set(
        err, EINVAL, "invalid Cmd: an array of strings expected");
    json_t *env = json_object_get(body, "Env");
    if (env && !json_is_null(env) && !json_is_array(env))
        return berth_error_set(err, EINVAL, "invalid Env: an array of strings expected");
    json_array_foreach(
        env, i,
        v) if (!json_is_string(v) ||
               !strchr(json_string_value(v),
                       '=')) return berth_error_set(err, EINVAL,
                                                    "invalid Env entry: KEY=VALUE expected");
    for (i = 0; i < ARRAY_SIZE(refused); i++) {
        v = json_object_get(body, refused[i]);
        if (v && !json_is_null(v) && !json_is_false(v) &&
            !(json_is_string(v) && !*json_string_value(v)))
            return berth_error_set(err, EINVAL, "exec option %s is not supported by berth yet",
                                   refused[i]);
    }
    if (check_stdio(body, err) < 0)
        return -EINVAL;
    const char *user = json_string_value(json_object_get(body, "User"));
    if (user && *user && strspn(user, "0123456789:") != strlen(user))
        return berth_error_set(
            err, EINVAL, "user '%s' is not supported: berth takes numeric UID[:GID] only", user);
    const char *wd = json_string_value(json_object_get(body, "WorkingDir"));
    if (wd && *wd && wd[0] != '/')
        return berth_error_set(err, EINVAL,
                               "the working directory '%s' is invalid: it needs to "
                               "be an absolute path",
                               wd);
    return 0;
}

int exec_create(struct ctr *c, json_t *body, char ret_id[65], struct berth_error **err)
{
    if (check_body(body, err) < 0)
        return -EINVAL;
    if (c->status != CTR_RUNNING)
        return berth_error_set(err, EBUSY, "Container %s is not running", c->id);
    if (c->paused)
        return berth_error_set(err, EBUSY,
                               "Container %s is paused, unpause the container before "
                               "exec",
                               c->id);
    char id[65];
    random_hex_id(id);
    _cleanup_free_ char *dir = xasprintf("%s/execs", c->dir);
    _cleanup_free_ char *name = xasprintf("%s.json", id);
    json_t *rec = json_pack("{s:s,s:s,s:O}", "ID", id, "ContainerID", c->id, "Config", body);
    int r = mkdir_p(dir, 0700, err);
    if (r == 0)
        r = durable_write_json(dir, name, rec, err);
    json_decref(rec);
    if (r == 0)
        events_exec(c->id, id, "exec_create");
    if (r == 0)
        memcpy(ret_id, id, 65);
    return r;
}

int exec_find(const char *eid, char ret_cid[65], json_t **ret_rec, struct berth_error **err)
{
    struct ctr **v;
    size_t n;
    json_t *rec = NULL;
    _cleanup_free_ char *name = xasprintf("%s.json", eid);
    if (strlen(eid) == 64 && strspn(eid, "0123456789abcdef") == 64) {
        ctr_list(&v, &n);
        for (size_t i = 0; i < n && rec == NULL; i++) {
            _cleanup_free_ char *dir = xasprintf("%s/execs", v[i]->dir);
            rec = json_read_file(dir, name, NULL);
            if (rec)
                memcpy(ret_cid, v[i]->id, 65);
        }
        ctrs_free(v, n);
    }
    if (rec == NULL)
        return berth_error_set(err, ENOENT, "No such exec instance: %s", eid);
    *ret_rec = rec;
    return 0;
}

static json_t *exit_record(const char *cid, const char *eid)
{
    _cleanup_free_ char *dir = xasprintf("%s/containers/%s/execs", engine.data_root, cid);
    _cleanup_free_ char *name = xasprintf("%s.exit.json", eid);
    return json_read_file(dir, name, NULL);
}

static void mark_started(const char *cid, const char *eid, int pid)
{
    _cleanup_free_ char *dir = xasprintf("%s/containers/%s/execs", engine.data_root, cid);
    _cleanup_free_ char *name = xasprintf("%s.json", eid);
    json_t *rec = json_read_file(dir, name, NULL);
    if (rec == NULL)
        return;
    json_object_set_new(rec, "Started", json_true());
    json_object_set_new(rec, "Pid", json_integer(pid));
    durable_write_json(dir, name, rec, NULL);
    json_decref(rec);
}

int exec_check_fresh(const char *cid, const char *eid, struct berth_error **err)
{
    _cleanup_free_ char *dir = xasprintf("%s/containers/%s/execs", engine.data_root, cid);
    _cleanup_free_ char *name = xasprintf("%s.json", eid);
    json_t *rec = json_read_file(dir, name, NULL);
    json_t *ex = exit_record(cid, eid);
    bool ran = ex || json_is_true(json_object_get(rec, "Started"));
    json_decref(rec);
    json_decref(ex);
    if (ran)
        return berth_error_set(err, EBUSY, "Error: Exec command %s has already run", eid);
    return 0;
}

int exec_start(const char *cid, const char *eid, bool detach, int fds[3], struct berth_error **err)
{
    char req[96], rep[4096];
    int got[3];
    snprintf(req, sizeof(req), "exec %s%s\n", eid, detach ? " detach" : "");
    fds[0] = fds[1] = fds[2] = -1;
    if (exec_check_fresh(cid, eid, err) < 0)
        return -EBUSY;
    events_exec(cid, eid, "exec_start"); /* as Docker, before: the shim's exec_die follows */
    if (ctr_shim_request(cid, req, rep, sizeof(rep), got, 3) < 0)
        return berth_error_set(err, EBUSY, "Container %s is not running", cid);
    json_t *j = json_loads(rep, JSON_DISABLE_EOF_CHECK, NULL);
    const char *msg = json_string_value(json_object_get(j, "Error"));
    int r = 0;
    if (!json_is_integer(json_object_get(j, "Pid"))) {
        /* as Docker: a command that cannot start is the caller's mistake, and
         * the instance ends with 126 (127: not found) */
        bool nf = msg && (strstr(msg, "No such file") || strstr(msg, "not found"));
        json_t *ex = json_pack("{s:i}", "ExitCode", nf ? 127 : 126);
        _cleanup_free_ char *dir = xasprintf("%s/containers/%s/execs", engine.data_root, cid);
        _cleanup_free_ char *name = xasprintf("%s.exit.json", eid);
        durable_write_json(dir, name, ex, NULL);
        json_decref(ex);
        r = berth_error_set(err, EINVAL, "OCI runtime exec failed: %s",
                            msg ? msg : "the shim gave no answer");
        for (int i = 0; i < 3; i++)
            if (got[i] >= 0)
                close(got[i]);
    } else {
        mark_started(cid, eid, (int)json_integer_value(json_object_get(j, "Pid")));
    }
    if (r < 0) {
    } else if (json_is_true(json_object_get(j, "Stdin"))) {
        memcpy(fds, got, sizeof(got));
    } else {
        fds[1] = got[0];
        fds[2] = got[1];
        if (got[2] >= 0)
            close(got[2]);
    }
    json_decref(j);
    return r;
}

bool exec_wait_exit(const char *cid, const char *eid, long ms)
{
    _cleanup_free_ char *p =
        xasprintf("%s/containers/%s/execs/%s.exit.json", engine.data_root, cid, eid);
    for (long t = 0; t <= ms; t += 10) {
        if (access(p, F_OK) == 0)
            return true;
        usleep(10000);
    }
    return access(p, F_OK) == 0;
}

json_t *exec_inspect(const char *cid, const char *eid, json_t *rec)
{
    json_t *ex = exit_record(cid, eid);
    json_t *cfg = json_object_get(rec, "Config");
    struct ctr *c = NULL;
    bool running = false;
    if (ex == NULL && ctr_find(cid, &c, NULL) == 0) {
        running = c->status == CTR_RUNNING; /* started: its pipes are with berthd */
        ctr_free(c);
    }
    json_t *args = json_deep_copy(json_object_get(cfg, "Cmd"));
    json_t *ep = json_incref(json_array_get(args, 0));
    json_array_remove(args, 0);
    json_t *j = json_pack(
        "{s:s,s:s,s:b,s:o,s:b,s:b,s:b,s:b,s:{s:b,s:o,s:o,s:b,s:s}}", "ID", eid, "ContainerID", cid,
        "Running", running && json_is_true(json_object_get(rec, "Started")), "ExitCode",
        json_is_integer(json_object_get(ex, "ExitCode"))
            ? json_incref(json_object_get(ex, "ExitCode"))
            : json_null(),
        "OpenStdin", json_is_true(json_object_get(cfg, "AttachStdin")), "OpenStderr",
        json_is_true(json_object_get(cfg, "AttachStderr")), "OpenStdout",
        json_is_true(json_object_get(cfg, "AttachStdout")), "CanRemove", 0, "ProcessConfig", "tty",
        json_is_true(json_object_get(cfg, "Tty")), "entrypoint", ep ? ep : json_string(""),
        "arguments", args, "privileged", 0, "user",
        json_string_value(json_object_get(cfg, "User"))
            ? json_string_value(json_object_get(cfg, "User"))
            : "");
    json_decref(ex);
    return j;
}
