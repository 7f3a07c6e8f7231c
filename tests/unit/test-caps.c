#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "error.h"
#include "oci.h"

#define BIT(c) (UINT64_C(1) << (c))

static void lower(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

/* Every capability the kernel knows and berth was built with round trips
 * through its name, with or without "CAP_", in any case, and agrees with
 * libcap's name for it. */
static void test_round_trip(void **state)
{
    int last = berth_cap_last_cap();
    char buf[64];

    for (int cap = 0; cap <= last; cap++) {
        const char *name = berth_cap_name(cap);
        if (name == NULL) {
            assert_true(cap > CAP_LAST_CAP); /* newer than our headers */
            continue;
        }
        assert_int_equal(strncmp(name, "CAP_", 4), 0);
        assert_int_equal(berth_cap_from_name(name), cap);
        assert_int_equal(berth_cap_from_name(name + 4), cap);
        lower(buf, name, sizeof(buf));
        assert_int_equal(berth_cap_from_name(buf), cap);
        assert_int_equal(berth_cap_from_name(buf + 4), cap);

        char *lib = cap_to_name(cap);
        assert_non_null(lib);
        if (!isdigit((unsigned char)lib[0])) /* libcap older than the cap */
            assert_string_equal(lib, buf);
        cap_free(lib);
    }
    /* and the whole compiled-in table is dense */
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
        assert_non_null(berth_cap_name(cap));
}

static void test_case_and_prefix(void **state)
{
    assert_int_equal(berth_cap_from_name("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
    assert_int_equal(berth_cap_from_name("cap_sys_admin"), CAP_SYS_ADMIN);
    assert_int_equal(berth_cap_from_name("Cap_Sys_Admin"), CAP_SYS_ADMIN);
    assert_int_equal(berth_cap_from_name("SYS_ADMIN"), CAP_SYS_ADMIN);
    assert_int_equal(berth_cap_from_name("net_bind_service"), CAP_NET_BIND_SERVICE);
    assert_int_equal(berth_cap_from_name("CHOWN"), CAP_CHOWN);
    assert_string_equal(berth_cap_name(CAP_CHOWN), "CAP_CHOWN");
    assert_string_equal(berth_cap_name(CAP_AUDIT_READ), "CAP_AUDIT_READ");
}

static void test_unknown(void **state)
{
    static const char *const bad[] = {
        NULL,         "",          "CAP_",     "CAP_FOO",        "FOO",
        "0",          "21",        "CAP_21",   "CAP_CAP_CHOWN",  " CAP_CHOWN",
        "CAP_CHOWN ", "CAP-CHOWN", "CAPCHOWN", "CAP_SYS_ADMINX",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = berth_cap_from_name(bad[i]);
        if (r != -1)
            fail_msg("'%s' parsed as %d", bad[i] ? bad[i] : "(null)", r);
    }
    assert_null(berth_cap_name(-1));
    assert_null(berth_cap_name(64));
    assert_null(berth_cap_name(1000));
}

static void test_last_cap(void **state)
{
    int last = berth_cap_last_cap();
    FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
    if (f == NULL) {
        assert_int_equal(last, CAP_LAST_CAP);
        return;
    }
    int expect = -1;
    assert_int_equal(fscanf(f, "%d", &expect), 1);
    fclose(f);
    assert_int_equal(last, expect > 63 ? 63 : expect);
    assert_true(last >= CAP_AUDIT_READ);
}

/* Runs fn in a child so capability changes cannot leak into the test runner;
 * returns the child's exit status. */
static int in_child(int (*fn)(void))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fn());
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int ambient_not_inheritable(void)
{
    struct berth_error *err = NULL;
    struct berth_caps caps = {
        .present = true,
        .permitted = BIT(CAP_NET_RAW),
        .effective = BIT(CAP_NET_RAW),
        .ambient = BIT(CAP_NET_RAW),
    };
    /* like runc: an ambient cap the kernel would not keep is skipped */
    if (berth_caps_apply(&caps, &err) != 0)
        return 1;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0) != 0)
        return 2;
    if (prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0) != 1)
        return 3;
    return 0;
}

/* Lowers the test child's own capabilities: needs them first. */
static void test_ambient_check(void **state)
{
    if (geteuid() != 0)
        skip();
    assert_int_equal(in_child(ambient_not_inheritable), 0);
}

/* cmocka 1.1.5 prints a skip as "not ok N # SKIP", which meson's TAP parser
 * counts as a failure; so an unprivileged run passes these with a note. */
static bool have_setpcap(void)
{
    cap_t c = cap_get_proc();
    cap_flag_value_t v = CAP_CLEAR;
    if (c)
        cap_get_flag(c, CAP_SETPCAP, CAP_EFFECTIVE, &v);
    cap_free(c);
    if (v != CAP_SET)
        print_message("# skipped: needs CAP_SETPCAP\n");
    return v == CAP_SET;
}

static int drop_bounding(void)
{
    struct berth_error *err = NULL;
    struct berth_caps caps = {.present = true, .bounding = ~(BIT(CAP_NET_RAW) | BIT(CAP_MKNOD))};

    if (berth_caps_drop_bounding(&caps, &err) < 0)
        return 1;
    if (prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0) != 0 ||
        prctl(PR_CAPBSET_READ, CAP_MKNOD, 0, 0, 0) != 0)
        return 2;
    if (prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0) != 1)
        return 3;
    /* dropping again is a no-op, not an error */
    if (berth_caps_drop_bounding(&caps, &err) < 0)
        return 4;
    caps.bounding = 0;
    if (berth_caps_drop_bounding(&caps, &err) < 0)
        return 5;
    for (int cap = 0; cap <= berth_cap_last_cap(); cap++)
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
            return 6;
    return 0;
}

static void test_drop_bounding(void **state)
{
    if (!have_setpcap())
        return;
    assert_int_equal(in_child(drop_bounding), 0);
}

static int apply_sets(void)
{
    struct berth_error *err = NULL;
    uint64_t keep = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL);
    struct berth_caps caps = {
        .present = true,
        .effective = BIT(CAP_CHOWN) | BIT(CAP_KILL),
        .permitted = keep,
        .inheritable = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL),
        .ambient = BIT(CAP_NET_BIND_SERVICE),
    };
    if (berth_caps_apply(&caps, &err) < 0)
        return 1;
    cap_t c = cap_get_proc();
    for (int cap = 0; cap <= berth_cap_last_cap(); cap++) {
        cap_flag_value_t e, p, i;
        cap_get_flag(c, cap, CAP_EFFECTIVE, &e);
        cap_get_flag(c, cap, CAP_PERMITTED, &p);
        cap_get_flag(c, cap, CAP_INHERITABLE, &i);
        if ((e == CAP_SET) != !!(caps.effective & BIT(cap)) ||
            (p == CAP_SET) != !!(caps.permitted & BIT(cap)) ||
            (i == CAP_SET) != !!(caps.inheritable & BIT(cap)))
            return 2;
        int amb = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
        if (amb != !!(caps.ambient & BIT(cap)))
            return 3;
    }
    cap_free(c);
    return 0;
}

static void test_apply(void **state)
{
    if (!have_setpcap())
        return;
    assert_int_equal(in_child(apply_sets), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_case_and_prefix),
        cmocka_unit_test(test_unknown),       cmocka_unit_test(test_last_cap),
        cmocka_unit_test(test_ambient_check), cmocka_unit_test(test_drop_bounding),
        cmocka_unit_test(test_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
