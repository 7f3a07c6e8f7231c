#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fault.h"
#include "kernel.h"

#include <errno.h>
#include <stdlib.h>

static void test_parse_release(void **state)
{
    int major = 0, minor = 0;

    assert_int_equal(berth_kernel_parse_release("6.1.0-18-amd64", &major, &minor), 0);
    assert_int_equal(major, 6);
    assert_int_equal(minor, 1);
    assert_int_equal(berth_kernel_parse_release("5.7", &major, &minor), 0);
    assert_int_equal(minor, 7);
    assert_int_equal(berth_kernel_parse_release("6.18.44-fc-v1045", &major, &minor), 0);
    assert_int_equal(minor, 18);
    assert_int_equal(berth_kernel_parse_release("six", &major, &minor), -EINVAL);
    assert_int_equal(berth_kernel_parse_release("6", &major, &minor), -EINVAL);
    assert_int_equal(berth_kernel_parse_release("6.x", &major, &minor), -EINVAL);
}

/* BERTH_TEST_FAULT: only the named point fires, only with "fail" here */
static void test_fault(void **state)
{
    unsetenv("BERTH_TEST_FAULT");
    assert_false(berth_fault("a"));
    setenv("BERTH_TEST_FAULT", "ab:fail,a:fail,c:kill2", 1);
    assert_true(berth_fault("a"));
    assert_true(berth_fault("ab"));
    assert_false(berth_fault("b"));
    assert_false(berth_fault("c")); /* "kill2" is no action */
    unsetenv("BERTH_TEST_FAULT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_release),
        cmocka_unit_test(test_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
