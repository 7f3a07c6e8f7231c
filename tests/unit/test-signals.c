#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "signals.h"

static void test_names(void **state)
{
    assert_int_equal(berth_signal_parse("KILL"), SIGKILL);
    assert_int_equal(berth_signal_parse("SIGKILL"), SIGKILL);
    assert_int_equal(berth_signal_parse("kill"), SIGKILL);
    assert_int_equal(berth_signal_parse("sigKill"), SIGKILL);
    assert_int_equal(berth_signal_parse("TERM"), SIGTERM);
    assert_int_equal(berth_signal_parse("SIGWINCH"), SIGWINCH);
    assert_int_equal(berth_signal_parse("STKFLT"), SIGSTKFLT);
    assert_int_equal(berth_signal_parse("SYS"), SIGSYS);
}

static void test_aliases(void **state)
{
    assert_int_equal(berth_signal_parse("IOT"), SIGABRT);
    assert_int_equal(berth_signal_parse("SIGCLD"), SIGCHLD);
    assert_int_equal(berth_signal_parse("POLL"), SIGIO);
    /* aliases parse, but the canonical name comes back */
    assert_string_equal(berth_signal_name(SIGABRT), "SIGABRT");
    assert_string_equal(berth_signal_name(SIGCHLD), "SIGCHLD");
    assert_string_equal(berth_signal_name(SIGIO), "SIGIO");
}

static void test_numbers(void **state)
{
    assert_int_equal(berth_signal_parse("9"), 9);
    assert_int_equal(berth_signal_parse("1"), 1);
    assert_int_equal(berth_signal_parse("15"), SIGTERM);
    assert_int_equal(berth_signal_parse("32"), 32);
    char buf[16];
    snprintf(buf, sizeof(buf), "%d", SIGRTMAX);
    assert_int_equal(berth_signal_parse(buf), SIGRTMAX);
}

static void test_realtime(void **state)
{
    assert_int_equal(berth_signal_parse("RTMIN"), SIGRTMIN);
    assert_int_equal(berth_signal_parse("SIGRTMIN"), SIGRTMIN);
    assert_int_equal(berth_signal_parse("RTMIN+3"), SIGRTMIN + 3);
    assert_int_equal(berth_signal_parse("rtmin+0"), SIGRTMIN);
    assert_int_equal(berth_signal_parse("RTMAX"), SIGRTMAX);
    assert_int_equal(berth_signal_parse("SIGRTMAX-2"), SIGRTMAX - 2);
    char buf[32];
    snprintf(buf, sizeof(buf), "RTMIN+%d", SIGRTMAX - SIGRTMIN);
    assert_int_equal(berth_signal_parse(buf), SIGRTMAX);
    snprintf(buf, sizeof(buf), "RTMAX-%d", SIGRTMAX - SIGRTMIN);
    assert_int_equal(berth_signal_parse(buf), SIGRTMIN);
}

static void test_rejects(void **state)
{
    static const char *const bad[] = {
        NULL,
        "",
        "0",
        "00",
        "-9",
        "+9",
        " 9",
        "9 ",
        "0x9",
        "65",
        "99999999999999999999",
        "SIG",
        "SIGFOO",
        "KILLX",
        "SIGSIGKILL",
        "RTMIN+",
        "RTMIN-1",
        "RTMAX+1",
        "RTMIN+99",
        "RTMAX-99",
        "RTMIN3",
        "RTMINIMUM",
        "RTMIN+-1",
        "RTMIN+ 1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = berth_signal_parse(bad[i]);
        if (r != -EINVAL)
            fail_msg("'%s' parsed as %d", bad[i] ? bad[i] : "(null)", r);
    }
    char buf[16];
    snprintf(buf, sizeof(buf), "%d", SIGRTMAX + 1);
    assert_int_equal(berth_signal_parse(buf), -EINVAL);
}

static void test_name(void **state)
{
    assert_string_equal(berth_signal_name(SIGKILL), "SIGKILL");
    assert_string_equal(berth_signal_name(SIGHUP), "SIGHUP");
    assert_string_equal(berth_signal_name(SIGRTMIN), "SIGRTMIN");
    assert_string_equal(berth_signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
    assert_string_equal(berth_signal_name(SIGRTMAX), "SIGRTMAX");
    assert_string_equal(berth_signal_name(SIGRTMAX - 2), "SIGRTMAX-2");
    assert_null(berth_signal_name(0));
    assert_null(berth_signal_name(-1));
    assert_null(berth_signal_name(SIGRTMAX + 1));
}

/* Every number 1..SIGRTMAX that has a name parses back to itself. */
static void test_round_trip(void **state)
{
    for (int sig = 1; sig <= SIGRTMAX; sig++) {
        const char *name = berth_signal_name(sig);
        if (name == NULL) {
            /* only the C library's reserved real-time signals are unnamed */
            assert_true(sig > SIGSYS && sig < SIGRTMIN);
            continue;
        }
        assert_int_equal(strncmp(name, "SIG", 3), 0);
        assert_int_equal(berth_signal_parse(name), sig);
        assert_int_equal(berth_signal_parse(name + 3), sig);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),      cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_numbers),    cmocka_unit_test(test_realtime),
        cmocka_unit_test(test_rejects),    cmocka_unit_test(test_name),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
