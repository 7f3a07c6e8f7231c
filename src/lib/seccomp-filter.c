#include "seccomp-filter.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "oci.h"
#include "seccomp-prog.h"
#include "sha256.h"
#include "util.h"

#include <ctype.h>
#include <seccomp.h>
#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest JSON path we name in messages: "linux.seccomp.syscalls[N].args[M].index" */
#define FIELD_MAX 96
/* The kernel passes 16 bits of SECCOMP_RET_DATA to ERRNO and TRACE. */
#define RET_DATA_MAX 0xffffu
/* seccomp(2) sees six syscall arguments. */
#define ARG_INDEX_MAX 5

struct action_name {
    const char *name;
    uint32_t action;
    bool takes_data; /* errnoRet goes into SECCOMP_RET_DATA */
};

static const struct action_name action_table[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
};

struct flag_name {
    const char *name;
    enum scmp_filter_attr attr;
};

static const struct flag_name flag_table[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB},
};

static void seccomp_releasep(scmp_filter_ctx *ctx)
{
    if (*ctx)
        seccomp_release(*ctx);
}
#define _cleanup_seccomp_ _cleanup_(seccomp_releasep)

/* `field` is the JSON path of the action; the errnoRet field sits beside it.
 * Without errnoRet, ERRNO and TRACE return EPERM, as in runc. */
static int resolve_action(const char *name, bool has_ret, unsigned errno_ret, const char *field,
                          uint32_t *ret_action, struct berth_error **err)
{
    if (name == NULL)
        return berth_error_set(err, EINVAL, "missing seccomp action '%s'", field);
    if (streq(name, "SCMP_ACT_NOTIFY"))
        return berth_error_set(err, EINVAL,
                               "seccomp action 'SCMP_ACT_NOTIFY' in '%s' is not supported", field);
    for (size_t i = 0; i < ARRAY_SIZE(action_table); i++) {
        const struct action_name *a = &action_table[i];
        if (!streq(name, a->name))
            continue;
        if (!a->takes_data) {
            *ret_action = a->action; /* errnoRet means nothing here; runc ignores it too */
            return 0;
        }
        if (has_ret && errno_ret > RET_DATA_MAX)
            return berth_error_set(err, EINVAL, "errnoRet %u for '%s' is out of range (max %u)",
                                   errno_ret, field, RET_DATA_MAX);
        *ret_action = a->action | (has_ret ? errno_ret : EPERM);
        return 0;
    }
    return berth_error_set(err, EINVAL, "unknown seccomp action '%s' in '%s'", name, field);
}

/* OCI spells architectures "SCMP_ARCH_X86_64"; libseccomp knows "x86_64".
 * Returns the SCMP_ARCH_* token or 0 if unknown. */
static uint32_t resolve_arch(const char *name)
{
    static const char prefix[] = "SCMP_ARCH_";
    char lower[32];
    size_t i;

    if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
        return 0;
    name += sizeof(prefix) - 1;
    for (i = 0; name[i] && i + 1 < sizeof(lower); i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    if (name[i] != '\0' || i == 0)
        return 0;
    lower[i] = '\0';
    return seccomp_arch_resolve_name(lower);
}

static const struct flag_name *resolve_flag(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(flag_table); i++)
        if (streq(name, flag_table[i].name))
            return &flag_table[i];
    return NULL;
}

/* Returns the libseccomp operator, or 0 (not an operator) if unknown. */
static enum scmp_compare resolve_op(enum berth_seccomp_op op)
{
    switch (op) {
    case SCMP_OP_NE:
        return SCMP_CMP_NE;
    case SCMP_OP_LT:
        return SCMP_CMP_LT;
    case SCMP_OP_LE:
        return SCMP_CMP_LE;
    case SCMP_OP_EQ:
        return SCMP_CMP_EQ;
    case SCMP_OP_GE:
        return SCMP_CMP_GE;
    case SCMP_OP_GT:
        return SCMP_CMP_GT;
    case SCMP_OP_MASKED_EQ:
        return SCMP_CMP_MASKED_EQ;
    default:
        return _SCMP_CMP_MIN;
    }
}

static int validate_rule(const struct berth_seccomp_rule *rule, size_t n, struct berth_error **err)
{
    char field[FIELD_MAX];
    uint32_t action;

    snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu].action", n);
    int r = resolve_action(rule->action, rule->has_errno_ret, rule->errno_ret, field, &action, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < rule->n_args; i++) {
        const struct berth_seccomp_arg *a = &rule->args[i];
        if (a->index > ARG_INDEX_MAX)
            return berth_error_set(err, EINVAL,
                                   "argument index %u in 'linux.seccomp.syscalls[%zu].args[%zu]"
                                   ".index' is out of range (max %d)",
                                   a->index, n, i, ARG_INDEX_MAX);
        if (resolve_op(a->op) == _SCMP_CMP_MIN)
            return berth_error_set(err, EINVAL,
                                   "unknown seccomp operator %d in "
                                   "'linux.seccomp.syscalls[%zu].args[%zu].op'",
                                   (int)a->op, n, i);
    }
    return 0;
}

static int validate_lists(const struct berth_seccomp *s, struct berth_error **err)
{
    for (size_t i = 0; s->architectures && s->architectures[i]; i++)
        if (resolve_arch(s->architectures[i]) == 0)
            return berth_error_set(err, EINVAL,
                                   "unknown seccomp architecture '%s' in "
                                   "'linux.seccomp.architectures[%zu]'",
                                   s->architectures[i], i);
    for (size_t i = 0; s->flags && s->flags[i]; i++)
        if (resolve_flag(s->flags[i]) == NULL)
            return berth_error_set(err, EINVAL,
                                   "unknown seccomp flag '%s' in 'linux.seccomp.flags[%zu]'",
                                   s->flags[i], i);
    return 0;
}

const char *berth_seccomp_action_name(size_t i)
{
    return i < ARRAY_SIZE(action_table) ? action_table[i].name : NULL;
}

bool berth_seccomp_arch_known(const char *name)
{
    return resolve_arch(name) != 0;
}

const char *berth_seccomp_flag_name(size_t i)
{
    return i < ARRAY_SIZE(flag_table) ? flag_table[i].name : NULL;
}

/* libseccomp's API level says what the library and kernel together can
 * do: 2 brought TSYNC, 3 the LOG flag, 4 SPEC_ALLOW. */
bool berth_seccomp_flag_supported(const char *name)
{
    const struct flag_name *f = resolve_flag(name);
    unsigned api = seccomp_api_get();

    if (f == NULL)
        return false;
    switch (f->attr) {
    case SCMP_FLTATR_CTL_TSYNC:
        return api >= 2;
    case SCMP_FLTATR_CTL_LOG:
        return api >= 3;
    default:
        return api >= 4;
    }
}

int berth_seccomp_validate(const struct berth_seccomp *s, struct berth_error **err)
{
    uint32_t action;

    int r = resolve_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret,
                           "linux.seccomp.defaultAction", &action, err);
    if (r < 0)
        return r;
    r = validate_lists(s, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < s->n_rules; i++) {
        r = validate_rule(&s->rules[i], i, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Adds the listed architectures to the native one every filter starts with
 * (listing the native one too gives EEXIST, which is fine). Must run before
 * rules are added: a rule only lands in the architectures present then. */
static int add_arches(scmp_filter_ctx ctx, const struct berth_seccomp *s, struct berth_error **err)
{
    for (size_t i = 0; s->architectures && s->architectures[i]; i++) {
        int r = seccomp_arch_add(ctx, resolve_arch(s->architectures[i]));
        if (r < 0 && r != -EEXIST)
            return berth_error_set(err, -r, "cannot add seccomp architecture '%s'",
                                   s->architectures[i]);
    }
    return 0;
}

/* libseccomp answers EOPNOTSUPP when the kernel lacks a flag (TSYNC before
 * 3.17, LOG before 4.14, SPEC_ALLOW before 4.17). None of them makes the
 * filter stricter, so a profile that asks for one still loads without it. */
static int set_flags(scmp_filter_ctx ctx, const struct berth_seccomp *s, struct berth_error **err)
{
    for (size_t i = 0; s->flags && s->flags[i]; i++) {
        const struct flag_name *f = resolve_flag(s->flags[i]);
        int r = seccomp_attr_set(ctx, f->attr, 1);
        if (r == -EOPNOTSUPP) {
            berth_log(BERTH_LOG_DEBUG, "seccomp flag '%s' is not supported, ignoring", f->name);
            continue;
        }
        if (r < 0)
            return berth_error_set(err, -r, "cannot set seccomp flag '%s'", f->name);
    }
    return 0;
}

static bool args_share_index(const struct berth_seccomp_rule *rule)
{
    unsigned seen = 0;

    for (size_t i = 0; i < rule->n_args; i++) {
        unsigned bit = 1u << rule->args[i].index; /* index <= 5, validated */
        if (seen & bit)
            return true;
        seen |= bit;
    }
    return false;
}

/* libseccomp refuses two comparisons of one argument in a rule (EINVAL).
 * Like runc, such a rule becomes one rule per comparison, which ORs them
 * where the profile meant AND; profiles in the wild (Docker's) use it for
 * "any of these values". */
static int add_syscall(scmp_filter_ctx ctx, uint32_t action, int nr,
                       const struct scmp_arg_cmp *conds, size_t n, bool split)
{
    if (!split)
        return seccomp_rule_add_array(ctx, action, nr, n, conds);
    for (size_t i = 0; i < n; i++) {
        int r = seccomp_rule_add_array(ctx, action, nr, 1, &conds[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct berth_seccomp_rule *rule, size_t n,
                    uint32_t default_action, struct berth_error **err)
{
    char field[FIELD_MAX];
    uint32_t action;

    snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu].action", n);
    int r = resolve_action(rule->action, rule->has_errno_ret, rule->errno_ret, field, &action, err);
    if (r < 0)
        return r;
    /* libseccomp refuses a rule that repeats the default action (EACCES) */
    if (action == default_action)
        return 0;
    _cleanup_free_ struct scmp_arg_cmp *conds = xzalloc(rule->n_args * sizeof(*conds));
    for (size_t i = 0; i < rule->n_args; i++)
        conds[i] = (struct scmp_arg_cmp){
            .arg = rule->args[i].index,
            .op = resolve_op(rule->args[i].op),
            .datum_a = rule->args[i].value, /* the mask for MASKED_EQ */
            .datum_b = rule->args[i].value_two,
        };
    bool split = args_share_index(rule);
    for (char **name = rule->names; name && *name; name++) {
        int nr = seccomp_syscall_resolve_name(*name);
        if (nr == __NR_SCMP_ERROR) {
            berth_log(BERTH_LOG_DEBUG, "unknown syscall '%s' in seccomp profile, ignoring", *name);
            continue;
        }
        r = add_syscall(ctx, action, nr, conds, rule->n_args, split);
        if (r < 0)
            return berth_error_set(err, -r, "cannot add seccomp rule for syscall '%s'", *name);
    }
    return 0;
}

static int configure(scmp_filter_ctx ctx, struct berth_error **err)
{
    /* The runtime sets no_new_privs itself when process.noNewPrivileges asks;
     * libseccomp would otherwise set it on every load. */
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (r < 0)
        return berth_error_set(err, -r, "cannot configure the seccomp filter");
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 5)
    /* Without it libseccomp reports any failed load as ECANCELED. */
    (void)seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
#endif
    return 0;
}

/* The libseccomp context for a profile: everything but the load. */
static int build_filter(const struct berth_seccomp *s, scmp_filter_ctx *ret,
                        struct berth_error **err)
{
    uint32_t default_action;

    int r = berth_seccomp_validate(s, err);
    if (r < 0)
        return r;
    r = resolve_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret,
                       "linux.seccomp.defaultAction", &default_action, err);
    if (r < 0)
        return r;
    /* NULL only for an action the kernel lacks (KILL_PROCESS, LOG) or ENOMEM */
    _cleanup_seccomp_ scmp_filter_ctx ctx = seccomp_init(default_action);
    if (ctx == NULL)
        return berth_error_set(err, EOPNOTSUPP,
                               "cannot create a seccomp filter with default action '%s'",
                               s->default_action);
    r = configure(ctx, err);
    if (r >= 0)
        r = add_arches(ctx, s, err);
    if (r >= 0)
        r = set_flags(ctx, s, err);
    for (size_t i = 0; r >= 0 && i < s->n_rules; i++)
        r = add_rule(ctx, &s->rules[i], i, default_action, err);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(ctx);
    return 0;
}

/* What seccomp_load would pass to seccomp(2): the flags set_flags kept. */
static unsigned kernel_flags(scmp_filter_ctx ctx)
{
    static const struct {
        enum scmp_filter_attr attr;
        unsigned flag;
    } map[] = {
        {SCMP_FLTATR_CTL_TSYNC, SECCOMP_FILTER_FLAG_TSYNC},
        {SCMP_FLTATR_CTL_LOG, SECCOMP_FILTER_FLAG_LOG},
        {SCMP_FLTATR_CTL_SSB, SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    };
    unsigned flags = 0;

    for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
        uint32_t v = 0;
        if (seccomp_attr_get(ctx, map[i].attr, &v) == 0 && v)
            flags |= map[i].flag;
    }
    return flags;
}

/* libseccomp 2.5 exports only to an fd: a memfd, as a pipe may hold as
 * little as a page where the user's pipe quota is spent. */
static int export_prog(scmp_filter_ctx ctx, struct berth_seccomp_prog **ret,
                       struct berth_error **err)
{
    struct stat st;

    _cleanup_close_ int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return berth_error_set(err, errno, "cannot export the seccomp filter");
    int r = seccomp_export_bpf(ctx, fd);
    if (r < 0)
        return berth_error_set(err, -r, "cannot export the seccomp filter");
    if (fstat(fd, &st) < 0)
        return berth_error_set(err, errno, "cannot export the seccomp filter");
    size_t n = (size_t)st.st_size / sizeof(struct sock_filter);
    if ((size_t)st.st_size % sizeof(struct sock_filter) || !berth_seccomp_prog_sane(n, 0))
        return berth_error_set(err, E2BIG, "seccomp filter of %lld bytes cannot be loaded",
                               (long long)st.st_size);
    _cleanup_free_ struct sock_filter *insns = xmalloc((size_t)st.st_size);
    if (pread(fd, insns, (size_t)st.st_size, 0) != st.st_size)
        return berth_error_set(err, EIO, "cannot export the seccomp filter");
    struct berth_seccomp_prog *p = xzalloc(sizeof(*p));
    p->insns = TAKE_PTR(insns);
    p->n = n;
    p->flags = kernel_flags(ctx);
    *ret = p;
    return 0;
}

int berth_seccomp_compile(const struct berth_seccomp *s, struct berth_seccomp_prog **ret,
                          struct berth_error **err)
{
    _cleanup_seccomp_ scmp_filter_ctx ctx = NULL;

    int r = build_filter(s, &ctx, err);
    return r < 0 ? r : export_prog(ctx, ret, err);
}

int berth_seccomp_load(const struct berth_seccomp *s, struct berth_error **err)
{
    _cleanup_seccomp_prog_ struct berth_seccomp_prog *p = NULL;

    int r = berth_seccomp_compile(s, &p, err);
    return r < 0 ? r : berth_seccomp_install(p, err);
}

/* The key's serialisation: fixed-width little-endian integers and
 * length-prefixed strings, so that no two profiles encode alike. */
static void put_u64(struct berth_sha256 *c, uint64_t v)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    berth_sha256_update(c, b, sizeof(b));
}

static void put_str(struct berth_sha256 *c, const char *s)
{
    size_t n = strlen(s);

    put_u64(c, n);
    berth_sha256_update(c, s, n);
}

static int put_rule(struct berth_sha256 *c, const struct berth_seccomp_rule *rule, size_t n,
                    struct berth_error **err)
{
    char field[FIELD_MAX];
    uint32_t action;

    snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu].action", n);
    int r = resolve_action(rule->action, rule->has_errno_ret, rule->errno_ret, field, &action, err);
    if (r < 0)
        return r;
    put_u64(c, action);
    put_u64(c, strv_length(rule->names));
    for (char **name = rule->names; name && *name; name++)
        put_str(c, *name);
    put_u64(c, rule->n_args);
    for (size_t i = 0; i < rule->n_args; i++) {
        put_u64(c, rule->args[i].index);
        put_u64(c, (uint64_t)rule->args[i].op);
        put_u64(c, rule->args[i].value);
        put_u64(c, rule->args[i].value_two);
    }
    return 0;
}

/* Besides the profile: the compiler (libseccomp's version and, as it
 * depends on the kernel, its API level) and the native architecture. */
static void put_context(struct berth_sha256 *c)
{
    const struct scmp_version *v = seccomp_version();

    put_str(c, "berth-seccomp-cache");
    put_u64(c, BERTH_SECCOMP_CACHE_FORMAT);
    put_u64(c, v ? v->major : 0);
    put_u64(c, v ? v->minor : 0);
    put_u64(c, v ? v->micro : 0);
    put_u64(c, seccomp_api_get());
    put_u64(c, seccomp_arch_native());
}

int berth_seccomp_key(const struct berth_seccomp *s, uint8_t ret[BERTH_SHA256_LEN],
                      struct berth_error **err)
{
    struct berth_sha256 c;
    uint32_t action;

    int r = berth_seccomp_validate(s, err);
    if (r < 0 ||
        (r = resolve_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret,
                            "linux.seccomp.defaultAction", &action, err)) < 0)
        return r;
    berth_sha256_init(&c);
    put_context(&c);
    put_u64(&c, action);
    put_u64(&c, strv_length(s->architectures));
    for (char **a = s->architectures; a && *a; a++)
        put_u64(&c, resolve_arch(*a));
    put_u64(&c, strv_length(s->flags));
    for (char **f = s->flags; f && *f; f++)
        put_u64(&c, resolve_flag(*f)->attr);
    put_u64(&c, s->n_rules);
    for (size_t i = 0; i < s->n_rules; i++)
        if ((r = put_rule(&c, &s->rules[i], i, err)) < 0)
            return r;
    berth_sha256_final(&c, ret);
    return 0;
}
