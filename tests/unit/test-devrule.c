/* --device-cgroup-rule's syntax (src/engine-common/devrule.c): Docker's
 * forms pass with their fields, anything else is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "devrule.h"

static void test_good(void **state)
{
    (void)state;
    struct berth_devrule r;
    assert_true(berth_devrule_parse("c 189:* rwm", &r));
    assert_int_equal(r.type, 'c');
    assert_int_equal(r.major, 189);
    assert_int_equal(r.minor, -1);
    assert_string_equal(r.access, "rwm");
    assert_true(berth_devrule_parse("b 8:0 r", &r));
    assert_int_equal(r.minor, 0);
    assert_string_equal(r.access, "r");
    assert_true(berth_devrule_parse("a *:* mw", &r));
    assert_int_equal(r.major, -1);
    assert_true(berth_devrule_parse("c 4294967295:1 w", &r));
    assert_int_equal(r.major, 4294967295L);
}

static void test_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "c",
        "c 1:3",
        "x 1:3 rwm",
        "c 1:3 rwx",
        "c 1:3 rr",
        "c 1 rwm",
        "c 1:3  rwm",
        " c 1:3 rwm",
        "c -1:3 rwm",
        "c 1:3 rwmm",
        "c 1:* ",
        "c a:3 rw",
        "c 1:3 rwm x",
        "c 4294967296:1 r",
        "c 12345678901:1 r",
        "c **:1 r",
    };
    struct berth_devrule r;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (berth_devrule_parse(bad[i], &r))
            fail_msg("'%s' passed", bad[i]);
    }
    assert_false(berth_devrule_parse(NULL, &r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
