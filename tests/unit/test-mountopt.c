#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "mountopt.h"
#include "util.h"

#include <stdlib.h>
#include <sys/mount.h>

static void parse(const char *const *opts, struct berth_mount_opts *r)
{
    berth_mount_opts_parse((char **)opts, r);
}

static void test_flags(void **state)
{
    const char *o[] = {"ro", "nosuid", "nodev", "noexec", "relatime", NULL};
    struct berth_mount_opts r;
    parse(o, &r);
    assert_int_equal(r.flags, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
    assert_null(r.data);
    assert_int_equal(r.propagation, 0);
}

static void test_later_option_wins(void **state)
{
    const char *o[] = {"ro", "rw", "suid", NULL};
    struct berth_mount_opts r;
    parse(o, &r);
    assert_int_equal(r.flags & MS_RDONLY, 0);
    assert_true(r.clear & MS_RDONLY);
    assert_true(r.clear & MS_NOSUID);
}

static void test_bind_and_propagation(void **state)
{
    const char *o[] = {"rbind", "rslave", NULL};
    struct berth_mount_opts r;
    parse(o, &r);
    assert_int_equal(r.flags, MS_BIND | MS_REC);
    assert_int_equal(r.propagation, MS_SLAVE | MS_REC);
    const char *o2[] = {"bind", "private", NULL};
    parse(o2, &r);
    assert_int_equal(r.flags, MS_BIND);
    assert_int_equal(r.propagation, MS_PRIVATE);
}

static void test_data(void **state)
{
    const char *o[] = {"nosuid", "mode=755", "size=65536k", NULL};
    struct berth_mount_opts r;
    parse(o, &r);
    assert_int_equal(r.flags, MS_NOSUID);
    assert_string_equal(r.data, "mode=755,size=65536k");
    free(r.data);
}

/* runc's "tmpcopyup" is berth's to act on, never fs data (issue 12) */
static void test_tmpcopyup(void **state)
{
    const char *o[] = {"tmpcopyup", "size=1m", "nosuid", NULL};
    struct berth_mount_opts r;
    parse(o, &r);
    assert_true(r.tmpcopyup);
    assert_string_equal(r.data, "size=1m");
    free(r.data);
    const char *o2[] = {"tmpcopyup", "notmpcopyup", NULL};
    parse(o2, &r);
    assert_false(r.tmpcopyup);
    assert_null(r.data);
    bool listed = false;
    for (size_t i = 0; berth_mount_opt_name(i); i++)
        listed |= streq(berth_mount_opt_name(i), "tmpcopyup");
    assert_true(listed);
}

/* runc's recursive options, and the flags an rbind carries down (issue 11) */
static void test_recursive(void **state)
{
    const char *o[] = {"rbind", "rro", "rnosuid", "rnoatime", "rsuid", NULL};
    struct berth_mount_opts r;
    unsigned long long set, clr;

    parse(o, &r);
    assert_true(r.flags & MS_REC);
    assert_int_equal(r.rec_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME);
    assert_int_equal(r.rec_clr, MOUNT_ATTR_NOSUID | MOUNT_ATTR__ATIME);
    assert_null(r.data);
    berth_mount_flags_to_attr(MS_RDONLY | MS_NOEXEC | MS_STRICTATIME, &set, &clr);
    assert_int_equal(set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_STRICTATIME);
    assert_int_equal(clr, MOUNT_ATTR__ATIME);
    berth_mount_flags_to_attr(0, &set, &clr);
    assert_int_equal(set | clr, 0);
}

static void test_propagation_keyword(void **state)
{
    unsigned long f = 0;
    assert_int_equal(berth_propagation_parse("rshared", &f), 0);
    assert_int_equal(f, MS_SHARED | MS_REC);
    assert_int_equal(berth_propagation_parse("runbindable", &f), 0);
    assert_int_equal(f, MS_UNBINDABLE | MS_REC);
    assert_true(berth_propagation_parse("sideways", &f) < 0);
    assert_true(berth_propagation_parse("", &f) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_later_option_wins),
        cmocka_unit_test(test_bind_and_propagation),
        cmocka_unit_test(test_data),
        cmocka_unit_test(test_propagation_keyword),
        cmocka_unit_test(test_recursive),
        cmocka_unit_test(test_tmpcopyup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
