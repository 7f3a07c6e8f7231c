/* Unit tests for `update`'s parsing: runc's size and duration syntax
 * (units.c), its resource options and a bare linux.resources object
 * (resources.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cleanup.h"
#include "error.h"
#include "oci.h"
#include "resources.h"
#include "units.h"
#include "util.h"

#include <errno.h>
#include <string.h>

static void test_sizes(void **state)
{
    static const struct {
        const char *in;
        int64_t want;
    } good[] = {
        {"0", 0},           {"100", 100},        {"100b", 100},
        {"1k", 1024},       {"1K", 1024},        {"64m", 64 << 20},
        {"64M", 64 << 20},  {"64mb", 64 << 20},  {"64MiB", 64 << 20},
        {"64 m", 64 << 20}, {"1.5g", 3LL << 29}, {"2t", 2LL << 40},
        {"1p", 1LL << 50},  {"-1", -1},
    };
    static const char *const bad[] = {"",    "m",   "12XB", "-5",   "1.",  ".5",    "64mm",
                                      "1kx", " 1k", "1k ",  "0x10", "-1m", "8192p", "1e3"};
    int64_t v;

    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        if (berth_parse_size(good[i].in, &v) != 0 || v != good[i].want)
            fail_msg("'%s': got %lld", good[i].in, (long long)v);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (berth_parse_size(bad[i], &v) != -EINVAL)
            fail_msg("'%s' accepted", bad[i]);
}

static void test_durations(void **state)
{
    static const struct {
        const char *in;
        uint64_t want;
    } good[] = {
        {"0", 0},
        {"1s", 1000000000ULL},
        {"500ms", 500000000ULL},
        {"1.5s", 1500000000ULL},
        {"1m30s", 90000000000ULL},
        {"2h", 7200000000000ULL},
        {"250us", 250000ULL},
        {"250\xc2\xb5s", 250000ULL},
        {"10ns", 10ULL},
    };
    static const char *const bad[] = {"", "1", "s", "1x", "-1s", "+1s", "1s ", "1.s", "ms5"};
    uint64_t v;

    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        if (berth_parse_duration(good[i].in, &v) != 0 || v != good[i].want)
            fail_msg("'%s': got %llu", good[i].in, (unsigned long long)v);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (berth_parse_duration(bad[i], &v) != -EINVAL)
            fail_msg("'%s' accepted", bad[i]);
}

/* Docker's words, as `docker ps` prints them (go-units HumanDuration) */
static void test_human_durations(void **state)
{
    static const struct {
        long secs;
        const char *want;
    } cases[] = {
        {0, "Less than a second"}, {1, "1 second"},          {59, "59 seconds"},
        {60, "About a minute"},    {119, "About a minute"},  {120, "2 minutes"},
        {3599, "59 minutes"},      {3600, "About an hour"},  {5400, "2 hours"},
        {47 * 3600, "47 hours"},   {48 * 3600, "2 days"},    {15 * 86400, "2 weeks"},
        {61 * 86400, "2 months"},  {800 * 86400, "2 years"},
    };
    char buf[48];
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        berth_human_duration(cases[i].secs, buf, sizeof(buf));
        if (strcmp(buf, cases[i].want) != 0)
            fail_msg("%ld s: got '%s', want '%s'", cases[i].secs, buf, cases[i].want);
    }
}

static void set(struct berth_resources *r, const char *name, const char *value)
{
    _cleanup_error_ struct berth_error *e = NULL;
    if (berth_resources_set_option(r, name, value, &e) != 0)
        fail_msg("--%s %s: %s", name, value, e ? e->msg : "?");
}

static void test_options(void **state)
{
    struct berth_resources r;

    memset(&r, 0, sizeof(r));
    set(&r, "memory", "64m");
    set(&r, "memory-swap", "-1");
    set(&r, "memory-reservation", "32m");
    set(&r, "cpu-share", "512");
    set(&r, "cpu-quota", "-1");
    set(&r, "cpu-period", "50000");
    set(&r, "cpuset-cpus", "0-1,3");
    set(&r, "cpuset-cpus", "2"); /* the last one wins */
    set(&r, "cpuset-mems", "0");
    set(&r, "pids-limit", "10");
    set(&r, "blkio-weight", "300");
    assert_true(r.has_mem_limit && r.mem_limit == 64 << 20);
    assert_true(r.has_mem_swap && r.mem_swap == -1);
    assert_true(r.has_mem_reservation && r.mem_reservation == 32 << 20);
    assert_true(r.has_cpu_shares && r.cpu_shares == 512);
    assert_true(r.has_cpu_quota && r.cpu_quota == -1);
    assert_true(r.has_cpu_period && r.cpu_period == 50000);
    assert_string_equal(r.cpu_cpus, "2");
    assert_string_equal(r.cpu_mems, "0");
    assert_true(r.has_pids_limit && r.pids_limit == 10);
    assert_true(r.has_blkio_weight && r.blkio_weight == 300);
    assert_false(r.has_mem_kernel || r.has_cpu_rt_period);
    assert_null(berth_resources_first_field(&(struct berth_resources){0}));
    berth_resources_free(&r);

    /* runc's "unchanged" values */
    memset(&r, 0, sizeof(r));
    set(&r, "pids-limit", "0");
    set(&r, "blkio-weight", "0");
    assert_false(r.has_pids_limit || r.has_blkio_weight);
    set(&r, "pids-limit", "-1");
    assert_true(r.has_pids_limit && r.pids_limit == -1);
    berth_resources_free(&r);
}

static void test_bad_options(void **state)
{
    static const char *const bad[][2] = {
        {"memory", "12XB"},       {"memory", "-2"},          {"cpu-period", "-5"},
        {"cpu-period", "999"},    {"cpu-period", "1000001"}, {"cpu-quota", "10"},
        {"cpu-quota", "-2"},      {"cpu-shares", "1"},       {"cpu-shares", "x"},
        {"cpuset-cpus", ""},      {"cpuset-cpus", "a"},      {"cpuset-mems", "-1"},
        {"pids-limit", "-2"},     {"pids-limit", "ten"},     {"blkio-weight", "5"},
        {"blkio-weight", "1001"}, {"l3-cache-schema", "x"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct berth_resources r;
        _cleanup_error_ struct berth_error *e = NULL;
        memset(&r, 0, sizeof(r));
        if (berth_resources_set_option(&r, bad[i][0], bad[i][1], &e) != -EINVAL)
            fail_msg("--%s '%s' accepted", bad[i][0], bad[i][1]);
        _cleanup_free_ char *opt = xasprintf("'--%s'", bad[i][0]);
        assert_non_null(strstr(e->msg, opt));
        assert_null(berth_resources_first_field(&r));
        assert_null(r.cpu_cpus);
    }
}

static void test_check(void **state)
{
    struct berth_resources r = {.has_mem_limit = true, .mem_limit = 64 << 20};
    _cleanup_error_ struct berth_error *e = NULL;

    assert_int_equal(berth_resources_check(&r, NULL), 0);
    r.has_mem_swap = true;
    r.mem_swap = -1;
    assert_int_equal(berth_resources_check(&r, NULL), 0);
    r.mem_swap = 128 << 20;
    assert_int_equal(berth_resources_check(&r, NULL), 0);
    r.mem_swap = 32 << 20;
    assert_int_equal(berth_resources_check(&r, &e), -EINVAL);
    assert_non_null(strstr(e->msg, "swap"));
}

static void test_json(void **state)
{
    static const char text[] = "{\"memory\": {\"limit\": 1048576, \"swap\": -1},"
                               " \"cpu\": {\"quota\": 20000, \"cpus\": \"0\"},"
                               " \"pids\": {\"limit\": 5},"
                               " \"devices\": [{\"allow\": true, \"type\": \"c\", \"major\": 1,"
                               " \"minor\": 11, \"access\": \"rw\"}]}";
    struct berth_resources r;
    _cleanup_error_ struct berth_error *e = NULL;

    assert_int_equal(berth_resources_from_json(text, strlen(text), &r, &e), 0);
    assert_true(r.has_mem_limit && r.mem_limit == 1048576);
    assert_true(r.has_mem_swap && r.mem_swap == -1);
    assert_true(r.has_cpu_quota && r.cpu_quota == 20000);
    assert_string_equal(r.cpu_cpus, "0");
    assert_true(r.has_pids_limit && r.pids_limit == 5);
    assert_int_equal(r.n_devices, 1);
    assert_true(r.devices[0].allow && r.devices[0].type == 'c' && r.devices[0].minor == 11);
    assert_string_equal(r.devices[0].access, "rw");
    berth_resources_free(&r);
}

static void test_bad_json(void **state)
{
    static const struct {
        const char *text, *says;
    } bad[] = {
        {"", "not JSON"},
        {"{\"memory\": {\"limit\": 3", "not JSON"},
        {"[1]", "not a JSON object"},
        {"{\"pids\": {\"limit\": \"ten\"}}", "linux.resources.pids.limit"},
        {"{\"cpu\": {\"shares\": 1}}", "linux.resources.cpu.shares"},
        {"{\"memory\": {\"limit\": 100, \"swap\": 50}}", "linux.resources.memory.swap"},
        {"{\"unified\": {\"../memory.max\": \"1\"}}", "linux.resources.unified"},
        {"{\"unified\": {\"cgroup.procs\": \"1\"}}", "'cgroup.procs'"},
        {"{\"unified\": {\"memory.high\": 1}}", "linux.resources.unified.memory.high"},
        {"{\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}", "access"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct berth_resources r;
        _cleanup_error_ struct berth_error *e = NULL;
        if (berth_resources_from_json(bad[i].text, strlen(bad[i].text), &r, &e) != -EINVAL)
            fail_msg("'%s' accepted", bad[i].text);
        if (strstr(e->msg, bad[i].says) == NULL)
            fail_msg("'%s': '%s' does not say '%s'", bad[i].text, e->msg, bad[i].says);
        assert_null(r.devices);
        assert_null(r.cpu_cpus);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_human_durations),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_bad_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
