#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "mountopt.h"
#include "oci-userns.h"
#include "oci.h"
#include "util.h"

#include <string.h>
#include <sys/personality.h>

/* linux.uidMappings, gidMappings, timeOffsets, personality and the idmap
 * mount options, as berth_config_parse takes them (oci-userns.c). */

#define PRE       "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},"
#define NS(extra) "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}" extra "],"
#define MAPS                                                                                       \
    "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"                      \
    "\"gidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":1},"                           \
    "{\"containerID\":1,\"hostID\":300000,\"size\":10}]"

static struct berth_config *parse_ok(const char *json)
{
    struct berth_error *e = NULL;
    struct berth_config *c = berth_config_parse(json, strlen(json), "/b", &e);
    if (c == NULL)
        fail_msg("%s: %s", json, e->msg);
    return c;
}

static void test_mappings(void **state)
{
    struct berth_config *c = parse_ok(PRE NS(",{\"type\":\"user\"}") MAPS "}}");
    assert_true(c->ns[BERTH_NS_USER].enabled);
    assert_null(c->ns[BERTH_NS_USER].path);
    assert_int_equal(c->n_uid_mappings, 1);
    assert_int_equal(c->uid_mappings[0].host_id, 100000);
    assert_int_equal(c->uid_mappings[0].size, 65536);
    assert_int_equal(c->n_gid_mappings, 2);
    assert_int_equal(c->gid_mappings[1].container_id, 1);
    assert_int_equal(c->gid_mappings[1].host_id, 300000);
    berth_config_free(c);
    /* joined by path: no mappings of its own */
    c = parse_ok(PRE NS(",{\"type\":\"user\",\"path\":\"/proc/1/ns/user\"}") "\"sysctl\":{}}}");
    assert_string_equal(c->ns[BERTH_NS_USER].path, "/proc/1/ns/user");
    assert_int_equal(c->n_uid_mappings, 0);
    berth_config_free(c);
}

static void test_time_and_personality(void **state)
{
    struct berth_config *c = parse_ok(
        PRE NS(",{\"type\":\"time\"}") "\"timeOffsets\":{\"boottime\":{\"secs\":-5,"
                                       "\"nanosecs\":7}},\"personality\":{\"domain\":\"LINUX32\","
                                       "\"flags\":[\"ADDR_NO_RANDOMIZE\"]}}}");
    assert_true(c->ns[BERTH_NS_TIME].enabled);
    assert_false(c->time_offsets[BERTH_CLOCK_MONOTONIC].set);
    assert_true(c->time_offsets[BERTH_CLOCK_BOOTTIME].set);
    assert_int_equal(c->time_offsets[BERTH_CLOCK_BOOTTIME].secs, -5);
    assert_int_equal(c->time_offsets[BERTH_CLOCK_BOOTTIME].nanosecs, 7);
    assert_true(c->has_personality);
    assert_int_equal(c->personality, PER_LINUX32 | ADDR_NO_RANDOMIZE);
    berth_config_free(c);
    assert_int_equal(berth_personality_domain("LINUX"), PER_LINUX);
    assert_int_equal(berth_personality_domain("linux"), -1);
    assert_int_equal(berth_personality_flag("MMAP_PAGE_ZERO"), -1);
}

static void test_idmap_options(void **state)
{
    char *opts[] = {"rbind", "idmap", NULL}, *ropts[] = {"rbind", "ridmap", "ro", NULL};
    struct berth_mount_opts mo;
    berth_mount_opts_parse(opts, &mo);
    assert_int_equal(mo.idmap, BERTH_IDMAP);
    assert_null(mo.data);
    berth_mount_opts_parse(ropts, &mo);
    assert_int_equal(mo.idmap, BERTH_IDMAP_REC);
    assert_null(mo.data);
    struct berth_config *c =
        parse_ok(PRE "\"mounts\":[{\"destination\":\"/d\",\"source\":\"/s\",\"options\":["
                     "\"rbind\",\"ridmap\"]}]," NS(",{\"type\":\"user\"}") MAPS "}}");
    assert_int_equal(c->mounts[0].idmap, BERTH_IDMAP_REC);
    berth_config_free(c);
}

static const struct {
    const char *json, *msg;
} bad[] = {
    {PRE NS("") MAPS "}}", "need a user namespace"},
    {PRE NS(",{\"type\":\"user\",\"path\":\"/proc/1/ns/user\"}") MAPS "}}",
     "not one joined by path ('/proc/1/ns/user')"},
    {PRE NS(",{\"type\":\"user\"}") "\"sysctl\":{}}}",
     "a new user namespace needs 'linux.uidMappings' and 'linux.gidMappings'"},
    {PRE NS(",{\"type\":\"user\"}") "\"uidMappings\":[{\"containerID\":0,\"hostID\":1}]}}",
     "'linux.uidMappings[0].size' is required"},
    {PRE NS(",{\"type\":\"user\"}") "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,"
                                    "\"size\":0}]}}",
     "'linux.uidMappings[0].size' must be positive"},
    {PRE NS(",{\"type\":\"user\"}") "\"uidMappings\":[{\"containerID\":4294967295,\"hostID\":1,"
                                    "\"size\":2}]}}",
     "'linux.uidMappings[0]' goes past id 4294967295"},
    {PRE NS(",{\"type\":\"user\"}") "\"uidMappings\":[{\"containerID\":0,\"hostID\":1,"
                                    "\"size\":10},{\"containerID\":20,\"hostID\":5,\"size\":1}]}}",
     "'linux.uidMappings[1]' overlaps 'linux.uidMappings[0]'"},
    {PRE NS(",{\"type\":\"user\"}") "\"uidMappings\":[{\"containerID\":-1,\"hostID\":1,"
                                    "\"size\":1}]}}",
     "'linux.uidMappings[0].containerID' is out of range"},
    {PRE NS("") "\"timeOffsets\":{\"monotonic\":{\"secs\":1}}}}",
     "'linux.timeOffsets' needs a new time namespace"},
    {PRE NS(",{\"type\":\"time\",\"path\":\"/proc/1/ns/time\"}") "\"timeOffsets\":{"
                                                                 "\"boottime\":{\"secs\":1}}}}",
     "'linux.timeOffsets' needs a new time namespace"},
    {PRE NS(",{\"type\":\"time\"}") "\"timeOffsets\":{\"realtime\":{\"secs\":1}}}}",
     "'linux.timeOffsets.realtime'"},
    {PRE NS(",{\"type\":\"time\"}") "\"timeOffsets\":{\"boottime\":{\"nanosecs\":1000000000}}}}",
     "'linux.timeOffsets.boottime.nanosecs' is out of range"},
    {PRE NS("") "\"personality\":{\"flags\":[]}}}", "'linux.personality.domain'"},
    {PRE NS("") "\"personality\":{\"domain\":\"SVR4\"}}}",
     "'linux.personality.domain' 'SVR4' is not supported"},
    {PRE NS("") "\"personality\":{\"domain\":\"LINUX\",\"flags\":[\"MMAP_PAGE_ZERO\"]}}}",
     "'linux.personality.flags' 'MMAP_PAGE_ZERO' is not supported"},
    {PRE "\"mounts\":[{\"destination\":\"/d\",\"source\":\"/s\",\"options\":[\"rbind\","
         "\"idmap\"]}]," NS("") "\"sysctl\":{}}}",
     "'mounts[0].options' 'idmap' needs a user namespace"},
    {PRE "\"mounts\":[{\"destination\":\"/d\",\"source\":\"/s\",\"options\":[\"rbind\","
         "\"idmap\"],\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}]," NS(
             ",{\"type\":\"user\"}") MAPS "}}",
     "'mounts[0].uidMappings' is not supported"},
};

static void test_bad(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct berth_error *e = NULL;
        struct berth_config *c = berth_config_parse(bad[i].json, strlen(bad[i].json), "/b", &e);
        if (c != NULL)
            fail_msg("case %zu parsed: %s", i, bad[i].json);
        if (strstr(e->msg, bad[i].msg) == NULL)
            fail_msg("case %zu: '%s' does not contain '%s'", i, e->msg, bad[i].msg);
        berth_error_clear(&e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mappings),
        cmocka_unit_test(test_time_and_personality),
        cmocka_unit_test(test_idmap_options),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
