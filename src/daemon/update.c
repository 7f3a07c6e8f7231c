/* docker update (issue 14): POST /containers/{id}/update changes the
 * resource fields of a container's HostConfig durably (a restart keeps
 * them) and, when it runs, its cgroup: through libberth for berth's own
 * runtime, through `RUNTIME update --resources - ID` for runc, crun or a
 * runtime given by path. Every other field of Docker's UpdateConfig
 * (KernelMemory, Devices...) is refused by name unless unset. RestartPolicy
 * goes into the record only: the shim reads it at each exit. */
#include "daemon.h"
#include "body.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "durable.h"
#include "error.h"
#include "oci.h"
#include "resources.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static json_int_t iget(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static json_t *memory_of(json_t *d, json_t *host)
{
    json_t *m = json_object();
    if (json_object_get(d, "Memory"))
        json_object_set_new(m, "limit", json_integer(iget(d, "Memory")));
    if (json_object_get(d, "MemoryReservation"))
        json_object_set_new(m, "reservation", json_integer(iget(d, "MemoryReservation")));
    if (json_object_get(d, "MemorySwap"))
        json_object_set_new(m, "swap", json_integer(iget(d, "MemorySwap")));
    else if (json_object_get(d, "Memory") && iget(host, "MemorySwap") == 0 &&
             berth_cgroup_swap_accounted())
        json_object_set_new(m, "swap", json_integer(2 * iget(d, "Memory"))); /* docker's default */
    return m;
}

static json_t *cpu_of(json_t *d)
{
    json_t *c = json_object();
    json_int_t shares = iget(d, "CpuShares");
    if (shares > 0)
        json_object_set_new(c, "shares",
                            json_integer(shares < 2        ? 2
                                         : shares > 262144 ? 262144
                                                           : shares));
    if (iget(d, "NanoCpus") > 0) {
        json_object_set_new(c, "quota", json_integer(iget(d, "NanoCpus") / 10000));
        json_object_set_new(c, "period", json_integer(100000));
    }
    if (json_object_get(d, "CpuQuota"))
        json_object_set_new(c, "quota", json_integer(iget(d, "CpuQuota")));
    if (json_object_get(d, "CpuPeriod"))
        json_object_set_new(c, "period", json_integer(iget(d, "CpuPeriod")));
    if (json_object_get(d, "CpusetCpus"))
        json_object_set(c, "cpus", json_object_get(d, "CpusetCpus"));
    if (json_object_get(d, "CpusetMems"))
        json_object_set(c, "mems", json_object_get(d, "CpusetMems"));
    return c;
}

/* The changes as an OCI linux.resources object. */
static json_t *resources_of(json_t *d, json_t *host)
{
    json_t *res = json_object(), *m = memory_of(d, host), *c = cpu_of(d);
    json_object_set_new(res, "memory", m);
    json_object_set_new(res, "cpu", c);
    if (json_object_get(d, "PidsLimit"))
        json_object_set_new(
            res, "pids",
            json_pack("{s:I}", "limit", iget(d, "PidsLimit") > 0 ? iget(d, "PidsLimit") : -1));
    if (json_object_get(d, "BlkioWeight"))
        json_object_set_new(res, "blockIO", json_pack("{s:I}", "weight", iget(d, "BlkioWeight")));
    return res;
}

/* v2: a new reservation is also the new memory.high, as the shim's spec
 * makes it at create (src/shim/spec.c): memwatch.c learns of a crossing
 * from memory.events' `high` counter, so memory.low alone would leave the
 * soft limit it watches where it was. (d holds set values only: Docker's
 * 0 leaves the reservation as it is.) */
static void v2_high_of(json_t *d, json_t *res)
{
    enum berth_cgroup_mode mode;
    char high[32];
    json_int_t resv = iget(d, "MemoryReservation");
    if (resv <= 0 || berth_cgroup_detect("/sys/fs/cgroup", &mode, NULL) < 0 ||
        mode != BERTH_CGROUP_V2)
        return;
    snprintf(high, sizeof(high), "%lld", (long long)resv);
    json_object_set_new(res, "unified", json_pack("{s:s}", "memory.high", high));
}

static int apply_berth(const struct ctr *c, const char *text, struct berth_error **err)
{
    struct berth_resources res;
    if (berth_resources_from_json(text, strlen(text), &res, err) < 0)
        return -EINVAL;
    int r = berth_container_update(engine.state_root, c->id, &res, err);
    berth_resources_free(&res);
    return r;
}

/* Reads what the child wrote to `fd` (its stderr), at most len - 1 bytes. */
static void read_text(int fd, char *buf, size_t len)
{
    size_t n = 0;
    ssize_t k;
    while (n + 1 < len && (k = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)k;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
}

/* RUNTIME --root EXEC/runtime-NAME update --resources - ID (as the shim
 * drives it: src/shim/runtime-exec.c), the resources on its stdin. */
static int apply_runtime(const struct ctr *c, const char *text, struct berth_error **err)
{
    const char *name = ctr_runtime(c);
    _cleanup_free_ char *bin = name[0] == '/' ? xstrdup(name) : path_lookup(name, NULL);
    _cleanup_free_ char *b = xstrdup(name);
    _cleanup_free_ char *root = xasprintf("%s-%s", engine.state_root, basename(b));
    char *argv[] = {bin, "--root", root, "update", "--resources", "-", (char *)c->id, NULL};
    int in[2], out[2];
    if (bin == NULL)
        return berth_error_set(err, ENOENT, "runtime '%s' not found", name);
    if (pipe2(in, O_CLOEXEC) < 0)
        return berth_error_set(err, errno, "cannot run %s update", name);
    if (pipe2(out, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        return berth_error_set(err, errno, "cannot run %s update", name);
    }
    sigset_t none;
    sigemptyset(&none);
    pid_t pid = fork(); /* berthd has threads: only async-signal-safe calls */
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, &none, NULL);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        execve(bin, argv, environ);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    /* SIGPIPE is ignored: a runtime that exits early makes this EPIPE */
    bool wrote = pid > 0 && write(in[1], text, strlen(text)) == (ssize_t)strlen(text);
    close(in[1]);
    char msg[1024];
    read_text(out[0], msg, sizeof(msg));
    close(out[0]);
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !wrote || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return berth_error_set(err, EIO, "%s update failed: %s", name, msg);
    return 0;
}

/* The record's HostConfig with the changes, written durably. */
static int write_record(const struct ctr *c, json_t *host, struct berth_error **err)
{
    pthread_mutex_lock(&engine.lock);
    json_t *rec = json_read_file(c->dir, "container.json", err);
    int r = rec ? 0 : -EIO;
    if (rec) {
        json_object_set(rec, "HostConfig", host);
        r = durable_write_json(c->dir, "container.json", rec, err);
        json_decref(rec);
    }
    pthread_mutex_unlock(&engine.lock);
    return r;
}

int ctr_update(struct ctr *c, json_t *body, struct berth_error **err)
{
    json_t *d = NULL;
    if (body_update_changes(body, &d, err) < 0)
        return -EINVAL;
    json_t *host = json_deep_copy(json_object_get(c->rec, "HostConfig"));
    if (!json_is_object(host)) {
        json_decref(host);
        host = json_object();
    }
    json_object_update(host, d);
    int r = body_check_resources(host, err);
    if (r == 0 && json_object_get(d, "RestartPolicy")) {
        /* the shim reads it from the record at the container's next exit */
        r = body_check_restart_policy(host, err);
        json_object_del(d, "RestartPolicy");
    }
    _cleanup_free_ char *placed = NULL;
    if (r == 0 && c->status == CTR_RUNNING && json_object_get(d, "CpusetCpus")) {
        r = placement_place(c, host, &placed, err); /* auto: re-placed now */
        if (r > 0)
            json_object_set_new(d, "CpusetCpus", json_string(placed));
        r = r < 0 ? r : 0;
    }
    if (r == 0 && c->status == CTR_RUNNING && json_object_size(d) > 0) {
        json_t *res = resources_of(d, json_object_get(c->rec, "HostConfig"));
        if (streq(ctr_runtime(c), "berth"))
            v2_high_of(d, res);
        _cleanup_free_ char *text = json_dumps(res, JSON_COMPACT);
        json_decref(res);
        r = streq(ctr_runtime(c), "berth") ? apply_berth(c, text, err)
                                           : apply_runtime(c, text, err);
        if (r < 0)
            r = berth_error_wrap(err, "Cannot update container %s", c->id);
    }
    if (r == 0)
        r = write_record(c, host, err);
    if (r == 0 && c->status == CTR_RUNNING && json_object_get(d, "MemoryReservation")) {
        char rep[64]; /* the shim's soft-limit watch takes the new value */
        ctr_shim_request(c->id, "reload\n", rep, sizeof(rep), NULL, 0);
    }
    json_decref(host);
    json_decref(d);
    return r;
}
