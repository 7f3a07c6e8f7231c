#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "oci.h"
#include "seccomp-filter.h"
#include "seccomp-prog.h"

#include <linux/filter.h>
#include <linux/seccomp.h>

#define STRV(...) ((char *[]){__VA_ARGS__, NULL})

#if defined(__x86_64__)
#define NATIVE_ARCHES STRV("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32")
#elif defined(__aarch64__)
#define NATIVE_ARCHES STRV("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM")
#else
#define NATIVE_ARCHES NULL
#endif

static struct berth_seccomp_arg eq_arg(unsigned index, uint64_t value)
{
    return (struct berth_seccomp_arg){.index = index, .value = value, .op = SCMP_OP_EQ};
}

/* File scope: compound literals inside good_profile would die with its frame. */
static char *good_names_rw[] = {"read", "write", "no_such_syscall_in_any_kernel", NULL};
static char *good_names_personality[] = {"personality", NULL};
static char *good_names_ptrace[] = {"ptrace", NULL};
static char *good_arches[] = {"SCMP_ARCH_X86_64",  "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                              "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL};
static char *good_flags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                             "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL};

/* A profile that exercises every part of the schema and is valid. */
static void good_profile(struct berth_seccomp *s, struct berth_seccomp_rule rules[3],
                         struct berth_seccomp_arg args[3])
{
    args[0] = eq_arg(0, 1);
    args[1] = (struct berth_seccomp_arg){
        .index = 5, .value = 0xff, .value_two = 3, .op = SCMP_OP_MASKED_EQ};
    args[2] = (struct berth_seccomp_arg){.index = 1, .value = 7, .op = SCMP_OP_GT};
    rules[0] = (struct berth_seccomp_rule){.names = good_names_rw, .action = "SCMP_ACT_ALLOW"};
    rules[1] = (struct berth_seccomp_rule){.names = good_names_personality,
                                           .action = "SCMP_ACT_ERRNO",
                                           .has_errno_ret = true,
                                           .errno_ret = 38,
                                           .args = args,
                                           .n_args = 3};
    rules[2] = (struct berth_seccomp_rule){.names = good_names_ptrace, .action = "SCMP_ACT_TRACE"};
    *s = (struct berth_seccomp){
        .default_action = "SCMP_ACT_ERRNO",
        .has_default_errno_ret = true,
        .default_errno_ret = 1,
        .architectures = good_arches,
        .flags = good_flags,
        .rules = rules,
        .n_rules = 3,
    };
}

static void test_validate_good(void **state)
{
    struct berth_seccomp s;
    struct berth_seccomp_rule rules[3];
    struct berth_seccomp_arg args[3];
    struct berth_error *err = NULL;

    good_profile(&s, rules, args);
    assert_int_equal(berth_seccomp_validate(&s, &err), 0);
    assert_null(err);

    static const char *const actions[] = {
        "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",        "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",
    };
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        s.default_action = (char *)actions[i];
        rules[2].action = (char *)actions[i];
        assert_int_equal(berth_seccomp_validate(&s, &err), 0);
    }
    /* empty lists and no rules are fine too */
    s = (struct berth_seccomp){.default_action = "SCMP_ACT_ALLOW"};
    assert_int_equal(berth_seccomp_validate(&s, &err), 0);
    assert_null(err);
}

/* Every architecture of the runtime spec that libseccomp 2.5 knows. */
static void test_validate_arches(void **state)
{
    static const char *const arches[] = {
        "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
        "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
        "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
        "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
    };
    struct berth_error *err = NULL;

    for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
        char *list[] = {(char *)arches[i], NULL};
        struct berth_seccomp s = {.default_action = "SCMP_ACT_ALLOW", .architectures = list};
        if (berth_seccomp_validate(&s, &err) != 0)
            fail_msg("'%s' rejected: %s", arches[i], err->msg);
    }
}

/* Validates s, expecting EINVAL and a message containing both needles. */
static void expect_invalid(const struct berth_seccomp *s, const char *needle1, const char *needle2)
{
    struct berth_error *err = NULL;

    assert_int_equal(berth_seccomp_validate(s, &err), -EINVAL);
    assert_non_null(err);
    assert_int_equal(err->errnum, EINVAL);
    if (strstr(err->msg, needle1) == NULL || (needle2 && strstr(err->msg, needle2) == NULL))
        fail_msg("message '%s' lacks '%s'/'%s'", err->msg, needle1, needle2 ? needle2 : "");
    berth_error_clear(&err);
}

static void test_validate_actions(void **state)
{
    struct berth_seccomp s;
    struct berth_seccomp_rule rules[3];
    struct berth_seccomp_arg args[3];

    good_profile(&s, rules, args);
    s.default_action = "SCMP_ACT_BOGUS";
    expect_invalid(&s, "'SCMP_ACT_BOGUS'", "'linux.seccomp.defaultAction'");
    s.default_action = NULL;
    expect_invalid(&s, "'linux.seccomp.defaultAction'", NULL);
    s.default_action = "scmp_act_allow"; /* the spec's names are upper case */
    expect_invalid(&s, "'scmp_act_allow'", NULL);
    s.default_action = "SCMP_ACT_NOTIFY";
    expect_invalid(&s, "not supported", "'linux.seccomp.defaultAction'");

    good_profile(&s, rules, args);
    rules[1].action = "SCMP_ACT_KILLL";
    expect_invalid(&s, "'SCMP_ACT_KILLL'", "'linux.seccomp.syscalls[1].action'");
    rules[1].action = "SCMP_ACT_NOTIFY";
    expect_invalid(&s, "'SCMP_ACT_NOTIFY'", "not supported");

    good_profile(&s, rules, args);
    rules[1].errno_ret = 0x10000; /* does not fit SECCOMP_RET_DATA */
    expect_invalid(&s, "errnoRet", "'linux.seccomp.syscalls[1].action'");
    good_profile(&s, rules, args);
    s.default_errno_ret = 0x10000;
    expect_invalid(&s, "errnoRet", "'linux.seccomp.defaultAction'");
}

static void test_validate_lists(void **state)
{
    struct berth_seccomp s;
    struct berth_seccomp_rule rules[3];
    struct berth_seccomp_arg args[3];

    good_profile(&s, rules, args);
    s.architectures = STRV("SCMP_ARCH_X86_64", "SCMP_ARCH_VAX");
    expect_invalid(&s, "'SCMP_ARCH_VAX'", "'linux.seccomp.architectures[1]'");
    s.architectures = STRV("x86_64");
    expect_invalid(&s, "'x86_64'", "'linux.seccomp.architectures[0]'");
    s.architectures = STRV("SCMP_ARCH_");
    expect_invalid(&s, "'SCMP_ARCH_'", NULL);
    s.architectures = STRV("SCMP_ARCH_X86_64_AND_A_VERY_LONG_SUFFIX_THAT_OVERFLOWS");
    expect_invalid(&s, "architecture", NULL);

    good_profile(&s, rules, args);
    s.flags = STRV("SECCOMP_FILTER_FLAG_BOGUS");
    expect_invalid(&s, "'SECCOMP_FILTER_FLAG_BOGUS'", "'linux.seccomp.flags[0]'");
    s.flags = STRV("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_NEW_LISTENER");
    expect_invalid(&s, "'linux.seccomp.flags[1]'", NULL);
}

static void test_validate_args(void **state)
{
    struct berth_seccomp s;
    struct berth_seccomp_rule rules[3];
    struct berth_seccomp_arg args[3];

    good_profile(&s, rules, args);
    args[2].index = 6;
    expect_invalid(&s, "'linux.seccomp.syscalls[1].args[2].index'", "6");
    good_profile(&s, rules, args);
    args[0].op = 0;
    expect_invalid(&s, "'linux.seccomp.syscalls[1].args[0].op'", NULL);
    args[0].op = SCMP_OP_MASKED_EQ + 1;
    expect_invalid(&s, "'linux.seccomp.syscalls[1].args[0].op'", NULL);
}

static void key_of(const struct berth_seccomp *s, uint8_t out[32])
{
    struct berth_error *err = NULL;

    assert_int_equal(berth_seccomp_key(s, out, &err), 0);
    assert_null(err);
}

/* One change to good_profile each: every one must change the key. */
static void m_default_action(struct berth_seccomp *s)
{
    s->default_action = "SCMP_ACT_KILL";
}
static void m_default_errno(struct berth_seccomp *s)
{
    s->default_errno_ret = 2;
}
static void m_rule_action(struct berth_seccomp *s)
{
    s->rules[0].action = "SCMP_ACT_LOG";
}
static void m_rule_errno(struct berth_seccomp *s)
{
    s->rules[1].errno_ret = 39;
}
static void m_rule_no_errno(struct berth_seccomp *s)
{
    s->rules[1].has_errno_ret = false;
}
static void m_arg_value(struct berth_seccomp *s)
{
    s->rules[1].args[0].value = 2;
}
static void m_arg_value_two(struct berth_seccomp *s)
{
    s->rules[1].args[1].value_two = 4;
}
static void m_arg_op(struct berth_seccomp *s)
{
    s->rules[1].args[2].op = SCMP_OP_GE;
}
static void m_arg_index(struct berth_seccomp *s)
{
    s->rules[1].args[2].index = 2;
}
static void m_arg_dropped(struct berth_seccomp *s)
{
    s->rules[1].n_args = 2;
}
static char *arches_dropped[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                                 "SCMP_ARCH_AARCH64", NULL};
static void m_arch_dropped(struct berth_seccomp *s)
{
    s->architectures = arches_dropped;
}
static char *arches_swapped[] = {"SCMP_ARCH_X86",     "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",
                                 "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",    NULL};
static void m_arch_swapped(struct berth_seccomp *s)
{
    s->architectures = arches_swapped;
}
static char *flags_dropped[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", NULL};
static void m_flag_dropped(struct berth_seccomp *s)
{
    s->flags = flags_dropped;
}
static char *flags_changed[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                "SECCOMP_FILTER_FLAG_TSYNC", NULL};
static void m_flag_changed(struct berth_seccomp *s)
{
    s->flags = flags_changed;
}
static char *names_other[] = {"kill", NULL};
static void m_name(struct berth_seccomp *s)
{
    s->rules[2].names = names_other;
}
/* "read", "write" vs "readwrite": the names are length-prefixed */
static char *names_joined[] = {"readwrite", "no_such_syscall_in_any_kernel", NULL};
static void m_names_split(struct berth_seccomp *s)
{
    s->rules[0].names = names_joined;
}
static void m_rule_dropped(struct berth_seccomp *s)
{
    s->n_rules = 2;
}

static void test_key(void **state)
{
    static void (*const mutations[])(struct berth_seccomp *) = {
        m_default_action, m_default_errno, m_rule_action,  m_rule_errno,   m_rule_no_errno,
        m_arg_value,      m_arg_value_two, m_arg_op,       m_arg_index,    m_arg_dropped,
        m_arch_dropped,   m_arch_swapped,  m_flag_dropped, m_flag_changed, m_name,
        m_names_split,    m_rule_dropped,
    };
    struct berth_seccomp s;
    struct berth_seccomp_rule rules[3];
    struct berth_seccomp_arg args[3];
    uint8_t base[32], again[32], other[32];

    good_profile(&s, rules, args);
    key_of(&s, base);
    /* the same profile built again (other memory, same content) */
    good_profile(&s, rules, args);
    key_of(&s, again);
    assert_memory_equal(base, again, sizeof(base));
    for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
        good_profile(&s, rules, args);
        mutations[i](&s);
        key_of(&s, other);
        if (memcmp(base, other, sizeof(base)) == 0)
            fail_msg("mutation %zu leaves the key unchanged", i);
    }
}

/* The key is over the profile as resolved: spellings of one filter agree. */
static void test_key_canonical(void **state)
{
    struct berth_seccomp a = {.default_action = "SCMP_ACT_ERRNO"};
    struct berth_seccomp b = {.default_action = "SCMP_ACT_ERRNO",
                              .has_default_errno_ret = true,
                              .default_errno_ret = EPERM};
    struct berth_seccomp c = {.default_action = "SCMP_ACT_ALLOW",
                              .has_default_errno_ret = true,
                              .default_errno_ret = 5}; /* errnoRet means nothing there */
    struct berth_seccomp d = {.default_action = "SCMP_ACT_ALLOW"};
    uint8_t ka[32], kb[32], kc[32], kd[32];
    struct berth_error *err = NULL;

    key_of(&a, ka);
    key_of(&b, kb);
    key_of(&c, kc);
    key_of(&d, kd);
    assert_memory_equal(ka, kb, sizeof(ka));
    assert_memory_equal(kc, kd, sizeof(kc));
    assert_memory_not_equal(ka, kc, sizeof(ka));
    struct berth_seccomp bad = {.default_action = "SCMP_ACT_NOPE"};
    assert_int_equal(berth_seccomp_key(&bad, ka, &err), -EINVAL);
    berth_error_clear(&err);
}

/* Compiling is deterministic (what makes a cache sound) and keeps the
 * flags seccomp_load would pass. */
static void test_compile(void **state)
{
    struct berth_seccomp s;
    struct berth_seccomp_rule rules[3];
    struct berth_seccomp_arg args[3];
    struct berth_seccomp_prog *p1 = NULL, *p2 = NULL;
    struct berth_error *err = NULL;

    good_profile(&s, rules, args);
    assert_int_equal(berth_seccomp_compile(&s, &p1, &err), 0);
    assert_int_equal(berth_seccomp_compile(&s, &p2, &err), 0);
    assert_true(p1->n > 0 && p1->n <= BPF_MAXINSNS);
    assert_int_equal(p1->n, p2->n);
    assert_memory_equal(p1->insns, p2->insns, p1->n * sizeof(*p1->insns));
    assert_true(p1->flags & SECCOMP_FILTER_FLAG_TSYNC);
    assert_int_equal(p1->flags & ~(unsigned)(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG |
                                             SECCOMP_FILTER_FLAG_SPEC_ALLOW),
                     0);
    berth_seccomp_prog_free(p1);
    berth_seccomp_prog_free(p2);
    s.flags = NULL;
    assert_int_equal(berth_seccomp_compile(&s, &p1, &err), 0);
    assert_int_equal(p1->flags, 0);
    berth_seccomp_prog_free(p1);
}

/* load validates first and leaves the process alone on a bad profile */
static void test_load_invalid(void **state)
{
    struct berth_seccomp s = {.default_action = "SCMP_ACT_ALLOW", .flags = STRV("BOGUS")};
    struct berth_error *err = NULL;

    assert_int_equal(berth_seccomp_load(&s, &err), -EINVAL);
    assert_non_null(strstr(err->msg, "'linux.seccomp.flags[0]'"));
    berth_error_clear(&err);
}

/* Runs fn in a child (a filter cannot be removed again) and returns its exit
 * status; fn's non-zero codes say which check failed. */
static int in_child(int (*fn)(void))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn());
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        fail_msg("child died by signal %d", WTERMSIG(status));
    return WEXITSTATUS(status);
}

static int load_in_child(const struct berth_seccomp *s)
{
    struct berth_error *err = NULL;

    /* lets an unprivileged process load a filter */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return 100;
    if (berth_seccomp_load(s, &err) < 0) {
        fprintf(stderr, "# load failed: %s (%s)\n", err->msg, strerror(err->errnum));
        return 101;
    }
    return 0;
}

/* -1 with this errno from the last call? */
#define FAILS_WITH(call, e) ((errno = 0, (call)) == -1 && errno == (e))

static int check_filter(void)
{
    char dir[64];

    snprintf(dir, sizeof(dir), "/tmp/berth-test-seccomp-%d", (int)getpid());
    if (!FAILS_WITH(mkdir(dir, 0700), 42))
        return rmdir(dir), 1;
    if (!FAILS_WITH(mkdirat(AT_FDCWD, dir, 0700), 42))
        return rmdir(dir), 2;
    if (!FAILS_WITH(personality(0xffffffff), 7))
        return 3;
    if (!FAILS_WITH(syscall(SYS_getppid), EPERM)) /* ERRNO without errnoRet */
        return 4;
    if (!FAILS_WITH(dup(1000), 33) || !FAILS_WITH(dup(1001), 33) ||
        !FAILS_WITH(dup(1002), EBADF)) /* two conditions on arg 0: either matches */
        return 5;
    if (!FAILS_WITH(fcntl(1000, F_GETFD), 35) || !FAILS_WITH(fcntl(1000, F_GETFL), EBADF))
        return 6; /* conditions on args 0 and 1: both must match */
    if (!FAILS_WITH(getpriority(PRIO_PROCESS, 0x1234), 34) ||
        !FAILS_WITH(getpriority(PRIO_PROCESS, 0x12ab), 34))
        return 7; /* MASKED_EQ: (arg1 & 0xff00) == 0x1200 */
    errno = 0;
    if (getpriority(PRIO_PROCESS, 0) == -1 && errno != 0)
        return 8;
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || getpid() <= 0 || close(fd) < 0)
        return 9;
    return 0;
}

static int load_and_check(void)
{
    struct berth_seccomp_arg dup_args[] = {eq_arg(0, 1000), eq_arg(0, 1001)};
    struct berth_seccomp_arg fcntl_args[] = {eq_arg(0, 1000), eq_arg(1, F_GETFD)};
    struct berth_seccomp_arg prio_args[] = {
        {.index = 1, .value = 0xff00, .value_two = 0x1200, .op = SCMP_OP_MASKED_EQ}};
    struct berth_seccomp_arg pers_args[] = {eq_arg(0, 0xffffffff)};
    struct berth_seccomp_rule rules[] = {
        {.names = STRV("mkdir", "mkdirat", "no_such_syscall"),
         .action = "SCMP_ACT_ERRNO",
         .has_errno_ret = true,
         .errno_ret = 42},
        {.names = STRV("personality"),
         .action = "SCMP_ACT_ERRNO",
         .has_errno_ret = true,
         .errno_ret = 7,
         .args = pers_args,
         .n_args = 1},
        {.names = STRV("getppid"), .action = "SCMP_ACT_ERRNO"},
        {.names = STRV("getpid"), .action = "SCMP_ACT_ALLOW"}, /* = default: skipped */
        {.names = STRV("dup"),
         .action = "SCMP_ACT_ERRNO",
         .has_errno_ret = true,
         .errno_ret = 33,
         .args = dup_args,
         .n_args = 2},
        {.names = STRV("fcntl"),
         .action = "SCMP_ACT_ERRNO",
         .has_errno_ret = true,
         .errno_ret = 35,
         .args = fcntl_args,
         .n_args = 2},
        {.names = STRV("getpriority"),
         .action = "SCMP_ACT_ERRNO",
         .has_errno_ret = true,
         .errno_ret = 34,
         .args = prio_args,
         .n_args = 1},
    };
    struct berth_seccomp s = {
        .default_action = "SCMP_ACT_ALLOW",
        .architectures = NATIVE_ARCHES,
        .flags = STRV("SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"),
        .rules = rules,
        .n_rules = sizeof(rules) / sizeof(rules[0]),
    };
    int r = load_in_child(&s);
    return r ? r : check_filter();
}

static void test_load(void **state)
{
    assert_int_equal(in_child(load_and_check), 0);
}

/* With a default of ERRNO nearly every syscall fails, so the child only
 * makes raw syscalls after the load (no libc or sanitizer wrappers). */
static int default_errno(bool has_ret, unsigned ret, int expect)
{
    struct berth_seccomp_rule rules[] = {
        {.names = STRV("exit_group", "exit"), .action = "SCMP_ACT_ALLOW"},
    };
    struct berth_seccomp s = {
        .default_action = "SCMP_ACT_ERRNO",
        .has_default_errno_ret = has_ret,
        .default_errno_ret = ret,
        .rules = rules,
        .n_rules = 1,
    };
    int r = load_in_child(&s);
    if (r)
        return r;
    errno = 0;
    long v = syscall(SYS_getppid);
    int saved = errno;
    syscall(SYS_exit_group, v == -1 && saved == expect ? 0 : 1);
    return 2;
}

static int default_errno_eperm(void)
{
    return default_errno(false, 0, EPERM);
}

static int default_errno_77(void)
{
    return default_errno(true, 77, 77);
}

static void test_load_default_errno(void **state)
{
    assert_int_equal(in_child(default_errno_eperm), 0);
    assert_int_equal(in_child(default_errno_77), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_good),
        cmocka_unit_test(test_validate_arches),
        cmocka_unit_test(test_validate_actions),
        cmocka_unit_test(test_validate_lists),
        cmocka_unit_test(test_validate_args),
        cmocka_unit_test(test_load_invalid),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_load_default_errno),
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_key_canonical),
        cmocka_unit_test(test_compile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
