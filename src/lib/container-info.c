/* `state` and `list` as structs (container.h). Readers never wait for a
 * lock: a record is replaced atomically, and a lock held elsewhere only
 * tells that a create is still running. */
#include "container.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container-internal.h"
#include "error.h"
#include "oci.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

struct berth_cgroup *berth_container_cgroup(const struct berth_state *s, struct berth_error **err)
{
    if (s->cgroup_json == NULL) {
        berth_error_set(err, ENOENT, "container '%s' has no cgroup", s->id);
        return NULL;
    }
    return berth_cgroup_from_json(s->cgroup_json, err);
}

/* A frozen cgroup is the one mark a pause leaves (runc reads it the same
 * way): nothing is recorded, so a thaw by anyone resumes the container. */
void berth_container_record_init(struct berth_state *s, const char *id, enum berth_phase phase,
                                 const struct berth_config *config)
{
    *s = (struct berth_state){
        .id = (char *)id,
        .phase = phase,
        .owner = getpid(),
        .owner_start = proc_start_time(getpid()),
        .rootfs = config->root_path,
        .oci_version = config->oci_version,
        .annotations_json = config->annotations_json,
        .has_pidns = config->ns[BERTH_NS_PID].enabled,
    };
}

enum berth_status berth_container_status(int dirfd, const struct berth_state *s, bool busy)
{
    enum berth_status st = berth_state_status(dirfd, s, busy);
    if (st != BERTH_STATUS_RUNNING)
        return st;
    struct berth_cgroup *cg = berth_container_cgroup(s, NULL);
    bool frozen = cg && berth_cgroup_frozen(cg);
    berth_cgroup_free(cg);
    return frozen ? BERTH_STATUS_PAUSED : st;
}

int berth_container_state(const char *root, const char *id, struct berth_container_info **ret,
                          struct berth_error **err)
{
    struct berth_state *s = NULL;
    bool busy = false;
    _cleanup_close_ int dfd = berth_state_open(root, id, BERTH_LOCK_READ, &busy, err);
    if (dfd < 0)
        return dfd;
    int r = berth_state_read(dfd, &s, err);
    if (r < 0 && r != -ENOENT)
        return berth_error_wrap(err, "cannot read the state of '%s'", id);
    berth_error_clear(err);
    struct berth_container_info *i = xzalloc(sizeof(*i));
    i->id = xstrdup(id);
    i->status = berth_container_status(dfd, s, busy);
    if (s) {
        i->pid = i->status == BERTH_STATUS_STOPPED ? 0 : s->pid;
        i->bundle = dup_or_null(s->bundle);
        i->rootfs = dup_or_null(s->rootfs);
        i->created = dup_or_null(s->created);
        i->oci_version = dup_or_null(s->oci_version);
        i->annotations_json = dup_or_null(s->annotations_json);
    }
    berth_state_free(s);
    *ret = i;
    return 0;
}

int berth_container_list(const char *root, struct berth_container_info ***ret, size_t *ret_n,
                         struct berth_error **err)
{
    _cleanup_strv_ char **ids = NULL;
    int r = berth_state_list(root, &ids, err);
    if (r < 0)
        return r;
    size_t n = 0;
    struct berth_container_info **v = xzalloc((strv_length(ids) + 1) * sizeof(*v));
    for (char **id = ids; *id; id++)
        if (berth_container_state(root, *id, &v[n], NULL) >= 0)
            n++; /* else removed while we listed */
    *ret = v;
    *ret_n = n;
    return 0;
}

void berth_container_info_free(struct berth_container_info *i)
{
    if (i == NULL)
        return;
    char *strs[] = {i->id, i->bundle, i->rootfs, i->created, i->oci_version, i->annotations_json};
    for (size_t k = 0; k < ARRAY_SIZE(strs); k++)
        free(strs[k]);
    free(i);
}

void berth_container_infos_free(struct berth_container_info **v, size_t n)
{
    for (size_t k = 0; v && k < n; k++)
        berth_container_info_free(v[k]);
    free(v);
}

static void set_str(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, json_string(v ? v : ""));
}

char *berth_container_info_oci_json(const struct berth_container_info *i)
{
    json_t *o = json_object();
    set_str(o, "ociVersion", i->oci_version);
    set_str(o, "id", i->id);
    set_str(o, "status", berth_status_name(i->status));
    json_object_set_new(o, "pid", json_integer(i->pid));
    set_str(o, "bundle", i->bundle);
    set_str(o, "rootfs", i->rootfs);
    set_str(o, "created", i->created);
    json_t *ann = i->annotations_json ? json_loads(i->annotations_json, 0, NULL) : NULL;
    json_object_set_new(o, "annotations", ann ? ann : json_object());
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (text == NULL)
        abort();
    return text;
}
