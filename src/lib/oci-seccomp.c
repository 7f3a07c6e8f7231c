#include "oci-linux.h"
#include "oci.h"
#include "cleanup.h"
#include "error.h"
#include "json-util.h"
#include "seccomp-filter.h"
#include "util.h"

#include <errno.h>
#include <string.h>

static const char *const op_names[] = {
    [SCMP_OP_NE] = "SCMP_CMP_NE",
    [SCMP_OP_LT] = "SCMP_CMP_LT",
    [SCMP_OP_LE] = "SCMP_CMP_LE",
    [SCMP_OP_EQ] = "SCMP_CMP_EQ",
    [SCMP_OP_GE] = "SCMP_CMP_GE",
    [SCMP_OP_GT] = "SCMP_CMP_GT",
    [SCMP_OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

const char *berth_seccomp_op_name(size_t i)
{
    return i + 1 < ARRAY_SIZE(op_names) ? op_names[i + 1] : NULL;
}

static int parse_arg(json_t *o, const char *path, void *out, struct berth_error **err)
{
    struct berth_seccomp_arg *a = out;
    _cleanup_free_ char *op = NULL;
    uint64_t idx = 0;
    int r;

    if ((r = jget_u64(o, "index", path, &idx, NULL, err)) < 0 ||
        (r = jget_u64(o, "value", path, &a->value, NULL, err)) < 0 ||
        (r = jget_u64(o, "valueTwo", path, &a->value_two, NULL, err)) < 0 ||
        (r = jget_string(o, "op", path, true, &op, err)) < 0)
        return r;
    if (idx > 5)
        return berth_error_set(err, EINVAL, "invalid config: '%s.index' must be 0..5", path);
    a->index = (unsigned)idx;
    for (size_t i = 1; i < ARRAY_SIZE(op_names); i++) {
        if (streq(op, op_names[i])) {
            a->op = (enum berth_seccomp_op)i;
            return 0;
        }
    }
    return berth_error_set(err, EINVAL, "invalid config: '%s.op' '%s' is unknown", path, op);
}

/* `key` is "errnoRet" in a rule and "defaultErrnoRet" for the default
 * action (runtime-spec config-linux.md) */
static int parse_errno_ret(json_t *o, const char *key, const char *path, bool *has, unsigned *ret,
                           struct berth_error **err)
{
    int64_t v = 0;
    int r = jget_int(o, key, path, 0, 4095, &v, has, err);
    *ret = (unsigned)v;
    return r;
}

static int parse_rule(json_t *o, const char *path, void *out, struct berth_error **err)
{
    struct berth_seccomp_rule *rule = out;
    int r;

    if ((r = jget_strv(o, "names", path, true, &rule->names, err)) < 0 ||
        (r = jget_string(o, "action", path, true, &rule->action, err)) < 0 ||
        (r = parse_errno_ret(o, "errnoRet", path, &rule->has_errno_ret, &rule->errno_ret, err)) < 0)
        return r;
    if (rule->names[0] == NULL)
        return berth_error_set(err, EINVAL, "invalid config: '%s.names' is empty", path);
    r = jget_object_array(o, "args", path, sizeof(*rule->args), parse_arg, &rule->args,
                          &rule->n_args, err);
    return r < 0 ? r : 0;
}

static int parse_body(json_t *o, struct berth_seccomp *s, struct berth_error **err)
{
    const char *P = "linux.seccomp";
    int r;

    if ((r = jget_string(o, "defaultAction", P, true, &s->default_action, err)) < 0 ||
        (r = parse_errno_ret(o, "defaultErrnoRet", P, &s->has_default_errno_ret,
                             &s->default_errno_ret, err)) < 0 ||
        (r = jget_strv(o, "architectures", P, false, &s->architectures, err)) < 0 ||
        (r = jget_strv(o, "flags", P, false, &s->flags, err)) < 0 ||
        (r = jget_object_array(o, "syscalls", P, sizeof(*s->rules), parse_rule, &s->rules,
                               &s->n_rules, err)) < 0)
        return r;
    if (s->architectures == NULL)
        s->architectures = xzalloc(sizeof(char *));
    if (s->flags == NULL)
        s->flags = xzalloc(sizeof(char *));
    return 0;
}

int berth_oci_parse_seccomp(json_t *lx, struct berth_config *c, struct berth_error **err)
{
    json_t *o = NULL;
    int r = jget_object(lx, "seccomp", "linux", &o, err);
    if (r <= 0)
        return r;
    /* the notify listener (SCMP_ACT_NOTIFY's agent) is not implemented */
    if ((r = jrefuse(o, "listenerPath", "linux.seccomp", err)) < 0 ||
        (r = jrefuse(o, "listenerMetadata", "linux.seccomp", err)) < 0)
        return r;
    c->seccomp = xzalloc(sizeof(*c->seccomp));
    if ((r = parse_body(o, c->seccomp, err)) < 0)
        return r;
    return berth_seccomp_validate(c->seccomp, err);
}

void berth_oci_free_seccomp(struct berth_seccomp *s)
{
    if (s == NULL)
        return;
    free(s->default_action);
    strv_freep(&s->architectures);
    strv_freep(&s->flags);
    for (size_t i = 0; i < s->n_rules; i++) {
        strv_freep(&s->rules[i].names);
        free(s->rules[i].action);
        free(s->rules[i].args);
    }
    free(s->rules);
    free(s);
}
