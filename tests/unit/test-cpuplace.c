/* Placement's arithmetic (src/daemon/cpuplace.c): /proc/stat, the loads,
 * the choice by policy, cpuset lists. */
#include "cpuplace.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char stat0[] = "cpu  100 0 100 800 0 0 0 0 0 0\n"
                            "cpu0 50 0 50 400 0 0 0 0 0 0\n"
                            "cpu1 50 0 50 400 0 0 0 0 0 0\n"
                            "intr 12345\n";
/* cpu0 all busy (user), cpu1 all nice: a niced hog counts as idle */
static const char stat1[] = "cpu  300 100 100 800 0 0 0 0 0 0\n"
                            "cpu0 150 0 50 400 0 0 0 0 0 0\n"
                            "cpu1 50 100 50 400 0 0 0 0 0 0\n";

static void test_stat_and_measured(void **state)
{
    (void)state;
    struct cpu_sample *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    assert_int_equal(cpuplace_parse_stat(stat0, a), 0);
    assert_int_equal(a->n, 2);
    assert_int_equal(a->cpu[1], 1);
    assert_int_equal(cpuplace_parse_stat(stat1, b), 0);
    assert_true(cpuplace_measured(a, b, 0) > 0.99);
    assert_true(cpuplace_measured(a, b, 1) < 0.01);
    /* unknown cpu, and no time passed */
    assert_true(cpuplace_measured(a, b, 7) == 0);
    assert_true(cpuplace_measured(a, a, 0) == 0);
    assert_int_equal(cpuplace_parse_stat("intr 1\n", a), -EINVAL);
    free(a);
    free(b);
}

static void test_is_auto(void **state)
{
    (void)state;
    unsigned n;
    bool bad;
    assert_true(cpuplace_is_auto("auto", &n, &bad));
    assert_int_equal(n, 0);
    assert_true(cpuplace_is_auto("auto:3", &n, &bad));
    assert_int_equal(n, 3);
    assert_false(cpuplace_is_auto("0-1", &n, &bad));
    assert_false(bad);
    static const char *const wrong[] = {"auto:", "auto:0", "auto:x", "auto:2x", "autox", "auto:-1"};
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        assert_false(cpuplace_is_auto(wrong[i], &n, &bad));
        assert_true(bad);
    }
}

static void test_choose_spread(void **state)
{
    (void)state;
    struct cpu_load l[] = {{0, 0.9, 0}, {1, 0.1, 0}, {2, 0.0, 1.0}, {3, 0.1, 0}};
    unsigned out[4];
    assert_int_equal(cpuplace_choose(l, 4, 1, 0, PLACE_SPREAD, out), 0);
    assert_int_equal(out[0], 1); /* tie with 3: the lower */
    assert_int_equal(cpuplace_choose(l, 4, 2, 0, PLACE_SPREAD, out), 0);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 3);
    /* committed counts: cpu2 is given away although idle */
    assert_int_equal(cpuplace_choose(l, 4, 3, 0, PLACE_SPREAD, out), 0);
    assert_int_equal(out[2], 3);
    assert_int_equal(out[0], 0);
    /* both saturated: the one berth gave less */
    struct cpu_load sat[] = {{0, 1.0, 1.0}, {1, 1.0, 0}};
    assert_int_equal(cpuplace_choose(sat, 2, 1, 0, PLACE_SPREAD, out), 0);
    assert_int_equal(out[0], 1);
    assert_int_equal(cpuplace_choose(l, 4, 0, 0, PLACE_SPREAD, out), -EINVAL);
    assert_int_equal(cpuplace_choose(l, 4, 5, 0, PLACE_SPREAD, out), -EINVAL);
}

static void test_choose_pack(void **state)
{
    (void)state;
    /* 0.5 CPUs: the busiest CPU that still has room for it */
    struct cpu_load l[] = {{0, 0.1, 0}, {1, 0.4, 0}, {2, 0.0, 0.8}, {3, 0.0, 0}};
    unsigned out[2];
    assert_int_equal(cpuplace_choose(l, 4, 1, 0.5, PLACE_PACK, out), 0);
    assert_int_equal(out[0], 1);
    /* 1.5 CPUs on two: 0.75 each; only 0 and 3 have room, busiest first */
    assert_int_equal(cpuplace_choose(l, 4, 2, 1.5, PLACE_PACK, out), 0);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 3);
    /* what berth gave counts before what it measured */
    struct cpu_load m[] = {{0, 0.6, 0}, {1, 0.1, 0.3}};
    assert_int_equal(cpuplace_choose(m, 2, 1, 0.2, PLACE_PACK, out), 0);
    assert_int_equal(out[0], 1);
}

static void test_lists(void **state)
{
    (void)state;
    unsigned c[8], in[] = {0, 1, 2, 5, 7, 8};
    char buf[64];
    assert_int_equal(cpuplace_parse_list("0-2,5", c, 8), 4);
    assert_int_equal(c[3], 5);
    assert_int_equal(cpuplace_parse_list("3\n", c, 8), 1);
    assert_int_equal(cpuplace_parse_list("2-1", c, 8), -EINVAL);
    assert_int_equal(cpuplace_parse_list("a", c, 8), -EINVAL);
    assert_int_equal(cpuplace_parse_list("1,", c, 8), -EINVAL);
    cpuplace_format(in, 6, buf, sizeof(buf));
    assert_string_equal(buf, "0-2,5,7-8");
    enum cpuplace_policy p;
    assert_int_equal(cpuplace_policy_parse("pack", &p), 0);
    assert_int_equal(p, PLACE_PACK);
    assert_int_equal(cpuplace_policy_parse("Pack", &p), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stat_and_measured),
        cmocka_unit_test(test_is_auto),
        cmocka_unit_test(test_choose_spread),
        cmocka_unit_test(test_choose_pack),
        cmocka_unit_test(test_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
