/* pause, unpause, rename, restart and top of a container: the calls of
 * libberth on its cgroup (berthd never clones: these only freeze, thaw
 * and list) and the record's one durable rewrite for a rename. */
#include "daemon.h"
#include "events.h"
#include "body.h"
#include "cleanup.h"
#include "container.h"
#include "durable.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int ctr_pause(struct ctr *c, bool pause, struct berth_error **err)
{
    struct berth_error *e = NULL;
    if (c->status != CTR_RUNNING)
        return berth_error_set(err, EBUSY, "Container %s is not running", c->id);
    if (pause && c->paused)
        return berth_error_set(err, EBUSY, "Container %s is already paused", c->id);
    if (!pause && !c->paused)
        return berth_error_set(err, EBUSY, "Container %s is not paused", c->id);
    int r = ctr_rt_pause(c, pause, &e);
    if (r < 0) {
        _cleanup_free_ char *msg = berth_error_format(e);
        berth_error_clear(&e);
        return berth_error_set(err, EIO, "cannot %s container %s: %s", pause ? "pause" : "unpause",
                               c->id, msg);
    }
    c->paused = pause;
    events_container(c, pause ? "pause" : "unpause", NULL);
    return 0;
}

int ctr_rename(struct ctr *c, const char *name, struct berth_error **err)
{
    const char *n = name && name[0] == '/' ? name + 1 : name;
    if (n == NULL || *n == '\0')
        return berth_error_set(err, EINVAL, "Neither old nor new names may be empty");
    if (!body_name_valid(n))
        return berth_error_set(err, EINVAL,
                               "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                               "allowed",
                               n);
    if (streq(n, ctr_name(c)))
        return berth_error_set(err, EINVAL,
                               "Renaming a container with the same name as its "
                               "current name");
    pthread_mutex_lock(&engine.lock);
    int r = 0;
    if (ctr_name_taken(n)) {
        r = berth_error_set(err, EEXIST, "Conflict. The container name \"/%s\" is already in use",
                            n);
    } else {
        json_t *rec = json_read_file(c->dir, "container.json", err);
        r = rec ? 0 : -EIO;
        if (rec) {
            json_object_set_new(rec, "Name", json_string(n));
            r = durable_write_json(c->dir, "container.json", rec, err);
            json_decref(rec);
        }
    }
    pthread_mutex_unlock(&engine.lock);
    if (r == 0) {
        _cleanup_free_ char *old = xasprintf("/%s", ctr_name(c));
        netctr_renamed(c->id, n);
        events_container(c, "rename", json_pack("{s:s,s:s}", "name", n, "oldName", old));
    }
    return r;
}

int ctr_restart(struct ctr *c, int timeout, struct berth_error **err)
{
    bool modified;
    if (ctr_stop(c, timeout, KILL_MANUAL, &modified, err) < 0)
        return -EIO;
    struct ctr *now = NULL;
    int r = ctr_find(c->id, &now, err);
    if (r == 0)
        r = ctr_start(now, &modified, err);
    if (r == 0)
        events_container(now, "restart", NULL);
    ctr_free(now);
    return r;
}

/* Runs ps with `args` (split at blanks); its output, or NULL. */
static char *run_ps(const char *args, struct berth_error **err)
{
    _cleanup_free_ char *copy = xstrdup(args);
    char *argv[34] = {"ps"};
    int n = 1;
    for (char *save = NULL, *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
        if (n < 33)
            argv[n++] = t;
    _cleanup_free_ char *bin = path_lookup("ps", getenv("PATH"));
    int p[2];
    if (bin == NULL)
        return berth_error_set(err, ENOENT, "cannot find 'ps' in PATH"), NULL;
    if (pipe2(p, O_CLOEXEC) < 0)
        return berth_error_set(err, errno, "cannot run ps"), NULL;
    pid_t pid = fork(); /* berthd has threads: only async-signal-safe calls */
    if (pid == 0) {
        dup2(p[1], 1);
        execve(bin, argv, environ);
        _exit(127);
    }
    close(p[1]);
    char *out = NULL;
    size_t len = 0;
    ssize_t k;
    char buf[4096];
    while (pid > 0 && (k = read(p[0], buf, sizeof(buf))) > 0) {
        out = xrealloc(out, len + (size_t)k + 1);
        memcpy(out + len, buf, (size_t)k);
        len += (size_t)k;
        out[len] = '\0';
    }
    close(p[0]);
    int st = 0;
    if (pid > 0)
        waitpid(pid, &st, 0);
    if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || out == NULL) {
        free(out);
        return berth_error_set(err, EINVAL, "ps '%s' failed", args), NULL;
    }
    return out;
}

/* Splits a row at blanks into at most `ncols` fields, the last one
 * keeping the rest of the line (the command, with its spaces). */
static json_t *row_fields(char *line, size_t ncols)
{
    json_t *row = json_array();
    char *p = line;
    for (size_t i = 0; i < ncols && *p; i++) {
        p += strspn(p, " \t");
        size_t w = i + 1 == ncols ? strlen(p) : strcspn(p, " \t");
        json_array_append_new(row, json_stringn(p, w));
        p += w;
    }
    return row;
}

static bool pid_in(pid_t pid, const pid_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == pid)
            return true;
    return false;
}

json_t *ctr_top(struct ctr *c, const char *ps_args, struct berth_error **err)
{
    struct berth_error *e = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    size_t npids = 0;
    if (c->status != CTR_RUNNING)
        return berth_error_set(err, EBUSY, "Container %s is not running", c->id), NULL;
    if (ctr_rt_pids(c, &pids, &npids, &e) < 0) {
        berth_error_clear(&e);
        return berth_error_set(err, EBUSY, "Container %s is not running", c->id), NULL;
    }
    _cleanup_free_ char *out = run_ps(ps_args && *ps_args ? ps_args : "-ef", err);
    if (out == NULL)
        return NULL;
    char *save = NULL, *line = strtok_r(out, "\n", &save);
    json_t *titles = line ? row_fields(line, 64) : json_array(), *t;
    size_t i, pidcol = (size_t)-1, ncols = json_array_size(titles);
    json_array_foreach(titles, i, t) if (streq(json_string_value(t), "PID")) pidcol = i;
    if (pidcol == (size_t)-1) {
        json_decref(titles);
        return berth_error_set(err, EINVAL, "Couldn't find PID field in ps output"), NULL;
    }
    json_t *procs = json_array();
    while ((line = strtok_r(NULL, "\n", &save))) {
        json_t *row = row_fields(line, ncols);
        long long pid = 0;
        if (parse_i64(json_string_value(json_array_get(row, pidcol)), &pid) == 0 &&
            pid_in((pid_t)pid, pids, npids))
            json_array_append(procs, row);
        json_decref(row);
    }
    return json_pack("{s:o,s:o}", "Titles", titles, "Processes", procs);
}
