#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cleanup.h"
#include "error.h"
#include "oci.h"
#include "util.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

static const char full[] =
    "{\"ociVersion\":\"1.0.2\",\"unknownTopLevel\":{\"x\":1},"
    "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
    "\"process\":{\"args\":[\"/bin/sh\",\"-c\",\"true\"],\"env\":[\"A=1\"],\"cwd\":\"/tmp\","
    "\"user\":{\"uid\":1000,\"gid\":100,\"additionalGids\":[5,6],\"umask\":18},"
    "\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_NET_RAW\"],\"effective\":[\"CAP_KILL\"]},"
    "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":100,\"hard\":200}],"
    "\"noNewPrivileges\":true,\"oomScoreAdj\":-500},"
    "\"hostname\":\"h\",\"domainname\":\"d\","
    "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/data\",\"source\":\"/srv\",\"options\":[\"rbind\",\"ro\",\"rslave\"]}],"
    "\"annotations\":{\"b\":\"2\",\"a\":\"1\"},"
    "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"network\","
    "\"path\":\"/proc/1/ns/"
    "net\"}],"
    "\"devices\":[{\"type\":\"c\",\"path\":\"/dev/"
    "fuse\",\"major\":10,\"minor\":229,\"fileMode\":438}],"
    "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},\"maskedPaths\":[\"/proc/kcore\"],"
    "\"readonlyPaths\":[\"/proc/sys\"],\"rootfsPropagation\":\"rprivate\",\"cgroupsPath\":\"a/b\","
    "\"resources\":{\"memory\":{\"limit\":1048576,\"swap\":2097152},"
    "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0\"},"
    "\"pids\":{\"limit\":10},\"blockIO\":{\"weight\":500},"
    "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,"
    "\"minor\":3,\"access\":\"rw\"}]},"
    "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
    "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42,\"args\":[{\"index\":1,\"value\":7,"
    "\"op\":\"SCMP_CMP_EQ\"}]}]}}}";

static void test_full(void **state)
{
    struct berth_error *e = NULL;
    struct berth_config *c = berth_config_parse(full, strlen(full), "/bundle", &e);
    if (c == NULL)
        fail_msg("%s", e->msg);
    assert_string_equal(c->root_path, "/bundle/rootfs");
    assert_true(c->root_readonly);
    assert_string_equal(c->process.args[2], "true");
    assert_null(c->process.args[3]);
    assert_int_equal(c->process.user.uid, 1000);
    assert_int_equal(c->process.user.n_additional_gids, 2);
    assert_int_equal(c->process.user.umask, 022);
    assert_int_equal(c->process.caps.bounding, (1ULL << 5) | (1ULL << 13));
    assert_int_equal(c->process.rlimits[0].resource, RLIMIT_NOFILE);
    assert_int_equal(c->process.oom_score_adj, -500);
    assert_int_equal(c->n_mounts, 2);
    assert_true(c->mounts[1].is_bind);
    assert_int_equal(c->mounts[1].flags, MS_BIND | MS_REC | MS_RDONLY);
    assert_int_equal(c->mounts[1].propagation, MS_SLAVE | MS_REC);
    assert_true(c->ns[BERTH_NS_PID].enabled);
    assert_null(c->ns[BERTH_NS_PID].path);
    assert_string_equal(c->ns[BERTH_NS_NET].path, "/proc/1/ns/net");
    assert_false(c->ns[BERTH_NS_UTS].enabled);
    assert_int_equal(c->devices[0].major, 10);
    assert_int_equal(c->devices[0].file_mode, 0666);
    assert_string_equal(c->sysctls[0].key, "net.ipv4.ip_forward");
    assert_int_equal(c->rootfs_propagation, MS_PRIVATE | MS_REC);
    assert_int_equal(c->resources.mem_limit, 1048576);
    assert_int_equal(c->resources.cpu_quota, 50000);
    assert_int_equal(c->resources.pids_limit, 10);
    assert_int_equal(c->resources.blkio_weight, 500);
    assert_int_equal(c->resources.n_devices, 2);
    assert_int_equal(c->resources.devices[1].minor, 3);
    assert_string_equal(c->seccomp->rules[0].action, "SCMP_ACT_ERRNO");
    assert_int_equal(c->seccomp->rules[0].errno_ret, 42);
    assert_int_equal(c->seccomp->rules[0].args[0].op, SCMP_OP_EQ);
    assert_string_equal(c->annotations_json, "{\"a\":\"1\",\"b\":\"2\"}");
    berth_config_free(c);
}

/* a minimal valid config up to the comma before what a case adds */
#define PRE "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},"

/* Each malformed config must fail with EINVAL and a message naming the field. */
static const struct {
    const char *json, *needle;
} bad[] = {
    {"{not json", "not valid JSON"},
    {"[]", "top level"},
    {"{\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]}}", "ociVersion"},
    {"{\"ociVersion\":\"1\",\"process\":{\"args\":[\"x\"]}}", "'root'"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"../x\"},\"process\":{\"args\":[\"x\"]}}",
     "root.path"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"a/../../x\"},\"process\":{\"args\":[\"x\"]}}",
     "root.path"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":\"x\"}}",
     "process.args"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[]}}", "process.args"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[1]}}", "process.args"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"],\"cwd\":"
     "\"rel\"}}",
     "process.cwd"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"],\"env\":["
     "\"NOEQ\"]}}",
     "process.env[0]"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"],\"user\":{"
     "\"uid\":-1}}}",
     "process.user.uid"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"],"
     "\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}}}",
     "process.capabilities.bounding"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"],\"rlimits\":[{"
     "\"type\":\"RLIMIT_X\",\"soft\":1,\"hard\":1}]}}",
     "process.rlimits[0].type"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},\"mounts\":[{"
     "\"destination\":\"rel\",\"type\":\"tmpfs\"}]}",
     "mounts[0].destination"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},\"linux\":{"
     "\"namespaces\":[{\"type\":\"bogus\"}]}}",
     "linux.namespaces[0].type"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},\"linux\":{"
     "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
     "linux.namespaces[1].type"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},\"linux\":{"
     "\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
     "linux.resources.memory.limit"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},\"linux\":{"
     "\"resources\":{\"cpu\":{\"shares\":1}}}}",
     "linux.resources.cpu.shares"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},\"linux\":{"
     "\"cgroupsPath\":\"a/../../b\"}}",
     "linux.cgroupsPath"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},\"linux\":{"
     "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}}}",
     "linux.seccomp"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},\"linux\":{"
     "\"rootfsPropagation\":\"sideways\"}}",
     "linux.rootfsPropagation"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},\"linux\":{"
     "\"sysctl\":{\"vm.swappiness\":1}}}",
     "linux.sysctl.vm.swappiness"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},\"linux\":{"
     "\"sysctl\":{\"vm.swappiness\":\"1\"}}}",
     "not namespaced"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},\"linux\":{"
     "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"}}}",
     "needs a network namespace"},
    /* without a mount namespace of its own, only a chroot (issue 12) */
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},"
     "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\"}]}",
     "'mounts' needs a mount namespace of the container's own"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\",\"readonly\":true},"
     "\"process\":{\"args\":[\"x\"]},\"linux\":{\"namespaces\":[{\"type\":\"mount\","
     "\"path\":\"/proc/1/ns/mnt\"}]}}",
     "'root.readonly' cannot be set up in a mount namespace joined by path ('/proc/1/ns/mnt')"},
    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"x\"]},"
     "\"linux\":{\"maskedPaths\":[\"/proc/kcore\"]}}",
     "'linux.maskedPaths' needs a mount namespace"},
    /* fields berth cannot honour: refused, named (issue 11) */
    {PRE "\"hooks\":{\"prestart\":[{\"path\":\"x\"}]}}",
     "'hooks.prestart[0].path' must be absolute"},
    {PRE "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"intelRdt\":{\"closID\":\"a\"}}}",
     "'linux.intelRdt' is not supported"},
    {PRE "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"resources\":{\"unified\":{"
         "\"memory/../x.y\":\"1\"}}}}",
     "'linux.resources.unified' key 'memory/../x.y'"},
    {PRE "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"cgroupsPath\":\"s.slice:p:n\"}}",
     "systemd unit path"},
    {PRE "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"devices\":[{\"type\":\"c\","
         "\"path\":\"/dev/../etc/x\",\"major\":1,\"minor\":3}]}}",
     "'linux.devices[0].path' ('/dev/../etc/x') is not below /dev"},
    {PRE "\"mounts\":[{\"destination\":\"/m\",\"source\":\"/s\",\"options\":[\"bind\","
         "\"size=1m\"]}]}",
     "'size' is not an option a bind mount can take"},
    {PRE "\"mounts\":[{\"destination\":\"/m\",\"type\":\"tmpfs\",\"options\":[\"idmap\"]}]}",
     "'idmap' is only for bind mounts"},
    {PRE "\"mounts\":[{\"destination\":\"/m\",\"type\":\"proc\",\"options\":[\"tmpcopyup\"]}]}",
     "'tmpcopyup' is only for tmpfs mounts"},
    {PRE "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"resources\":{\"memory\":{"
         "\"swappiness\":101}}}}",
     "memory.swappiness"},
    {PRE "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"resources\":{"
         "\"hugepageLimits\":[{\"pageSize\":\"../x\",\"limit\":1}]}}}",
     "hugepageLimits[0].pageSize"},
};

static void test_bad(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct berth_error *e = NULL;
        struct berth_config *c = berth_config_parse(bad[i].json, strlen(bad[i].json), "/b", &e);
        if (c != NULL)
            fail_msg("case %zu parsed: %s", i, bad[i].json);
        assert_non_null(e);
        assert_int_equal(e->errnum, 22);
        if (strstr(e->msg, bad[i].needle) == NULL)
            fail_msg("case %zu: '%s' does not name '%s'", i, e->msg, bad[i].needle);
        assert_null(strchr(e->msg, '\n'));
        berth_error_clear(&e);
    }
}

/* The resource fields of issue 11, and what counts as "not set". */
static void test_resources_extra(void **state)
{
    static const char json[] =
        PRE "\"hooks\":{\"prestart\":[]},\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],"
            "\"resources\":{\"memory\":{\"swappiness\":-1,\"kernelTCP\":4096,"
            "\"disableOOMKiller\":true},\"cpu\":{\"burst\":10,\"idle\":1},"
            "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
            "\"network\":{\"classID\":7,\"priorities\":[{\"name\":\"eth0\",\"priority\":3}]}}}}";
    struct berth_error *e = NULL;
    struct berth_config *c = berth_config_parse(json, strlen(json), "/b", &e);
    if (c == NULL)
        fail_msg("%s", e->msg);
    const struct berth_resources *r = &c->resources;
    assert_false(r->has_mem_swappiness); /* -1 is docker's "not set" */
    assert_true(r->has_mem_kernel_tcp);
    assert_true(r->disable_oom_killer);
    assert_int_equal(r->cpu_burst, 10);
    assert_int_equal(r->cpu_idle, 1);
    assert_int_equal(r->n_hugepages, 1);
    assert_string_equal(r->hugepages[0].page_size, "2MB");
    assert_true(r->has_net_class_id);
    assert_string_equal(r->net_priorities[0].name, "eth0");
    assert_string_equal(berth_resources_first_field(r), "linux.resources.memory.kernelTCP");
    berth_config_free(c);
    struct berth_resources none = {0};
    assert_null(berth_resources_first_field(&none));
}

/* issue 12: resources.unified in its order; a mount namespace that is not
 * the container's own, with nothing to mount, is taken (a chroot) */
static void test_unified_and_chroot(void **state)
{
    static const char json[] =
        PRE "\"linux\":{\"namespaces\":[{\"type\":\"mount\",\"path\":\"/proc/1/ns/mnt\"}],"
            "\"resources\":{\"unified\":{\"pids.max\":\"7\",\"memory.high\":\"max\","
            "\"cgroup.max.depth\":\"2\"}}}}";
    struct berth_error *e = NULL;
    struct berth_config *c = berth_config_parse(json, strlen(json), "/b", &e);
    if (c == NULL)
        fail_msg("%s", e->msg);
    const struct berth_resources *r = &c->resources;
    assert_int_equal(r->n_unified, 3);
    assert_string_equal(r->unified[0].key, "pids.max");
    assert_string_equal(r->unified[0].value, "7");
    assert_string_equal(r->unified[1].key, "memory.high");
    assert_string_equal(r->unified[2].key, "cgroup.max.depth");
    assert_string_equal(berth_resources_first_field(r), "linux.resources.unified");
    assert_string_equal(c->ns[BERTH_NS_MNT].path, "/proc/1/ns/mnt");
    berth_config_free(c);
    static const char none[] = PRE "\"linux\":{\"sysctl\":{}}}";
    c = berth_config_parse(none, strlen(none), "/b", &e);
    if (c == NULL)
        fail_msg("%s", e->msg);
    assert_false(c->ns[BERTH_NS_MNT].enabled);
    berth_config_free(c);
}

static void test_defaults(void **state)
{
    const char *j = "{\"ociVersion\":\"1\",\"root\":{\"path\":\"/abs/root\"},"
                    "\"process\":{\"args\":[\"x\"]},"
                    "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}";
    struct berth_error *e = NULL;
    struct berth_config *c = berth_config_parse(j, strlen(j), "/b", &e);
    assert_non_null(c);
    assert_string_equal(c->root_path, "/abs/root");
    assert_string_equal(c->process.cwd, "/");
    assert_null(c->process.env[0]);
    assert_false(c->process.caps.present);
    assert_false(c->has_resources);
    assert_null(c->seccomp);
    berth_config_free(c);
}

/* linux.resources.blockIO beyond the weight */
static struct berth_config *parse_blkio(const char *blkio, struct berth_error **err)
{
    _cleanup_free_ char *j = xasprintf("{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},"
                                       "\"process\":{\"args\":[\"x\"]},"
                                       "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],"
                                       "\"resources\":{\"blockIO\":%s}}}",
                                       blkio);
    return berth_config_parse(j, strlen(j), "/b", err);
}

static void test_blkio(void **state)
{
    struct berth_error *e = NULL;
    struct berth_config *c =
        parse_blkio("{\"weight\":300,\"leafWeight\":20,"
                    "\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":500,\"leafWeight\":10},"
                    "{\"major\":8,\"minor\":16,\"weight\":0},{\"major\":4095,\"minor\":1048575,"
                    "\"leafWeight\":1000}],"
                    "\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576},"
                    "{\"major\":8,\"minor\":16,\"rate\":0}],"
                    "\"throttleWriteBpsDevice\":[],"
                    "\"throttleReadIOPSDevice\":null,"
                    "\"throttleWriteIOPSDevice\":[{\"major\":253,\"minor\":1,"
                    "\"rate\":1e19}]}",
                    &e);
    if (c == NULL)
        fail_msg("%s", e->msg);
    const struct berth_resources *r = &c->resources;
    assert_true(r->has_blkio_weight);
    assert_int_equal(r->blkio_weight, 300);
    assert_true(r->has_blkio_leaf_weight);
    assert_int_equal(r->blkio_leaf_weight, 20);
    assert_int_equal(r->n_blkio_weight_devices, 3);
    assert_int_equal(r->blkio_weight_devices[0].major, 8);
    assert_int_equal(r->blkio_weight_devices[0].weight, 500);
    assert_int_equal(r->blkio_weight_devices[0].leaf_weight, 10);
    assert_int_equal(r->blkio_weight_devices[1].minor, 16);
    assert_int_equal(r->blkio_weight_devices[1].weight, 0);
    assert_int_equal(r->blkio_weight_devices[2].major, 4095);
    assert_int_equal(r->blkio_weight_devices[2].minor, 1048575);
    assert_int_equal(r->blkio_weight_devices[2].weight, 0);
    assert_int_equal(r->blkio_weight_devices[2].leaf_weight, 1000);
    assert_int_equal(r->n_blkio_throttle[BERTH_THROTTLE_READ_BPS], 2);
    assert_int_equal(r->blkio_throttle[BERTH_THROTTLE_READ_BPS][0].rate, 1048576);
    assert_int_equal(r->blkio_throttle[BERTH_THROTTLE_READ_BPS][1].minor, 16);
    assert_int_equal(r->blkio_throttle[BERTH_THROTTLE_READ_BPS][1].rate, 0);
    assert_int_equal(r->n_blkio_throttle[BERTH_THROTTLE_WRITE_BPS], 0);
    assert_int_equal(r->n_blkio_throttle[BERTH_THROTTLE_READ_IOPS], 0);
    assert_int_equal(r->n_blkio_throttle[BERTH_THROTTLE_WRITE_IOPS], 1);
    assert_int_equal(r->blkio_throttle[BERTH_THROTTLE_WRITE_IOPS][0].major, 253);
    assert_true(r->blkio_throttle[BERTH_THROTTLE_WRITE_IOPS][0].rate == 10000000000000000000ULL);
    berth_config_free(c);

    /* a weight of 0 is "not given" */
    c = parse_blkio("{\"weight\":0,\"leafWeight\":0}", &e);
    assert_non_null(c);
    assert_false(c->resources.has_blkio_weight);
    assert_false(c->resources.has_blkio_leaf_weight);
    berth_config_free(c);
}

#define BIO "invalid config: 'linux.resources.blockIO."
static const struct {
    const char *blkio, *msg;
} bad_blkio[] = {
    {"[]", "invalid config: 'linux.resources.blockIO' must be an object"},
    {"{\"weight\":5}", BIO "weight' must be 10..1000"},
    {"{\"weight\":1001}", BIO "weight' must be 10..1000"},
    {"{\"leafWeight\":9}", BIO "leafWeight' must be 10..1000"},
    {"{\"leafWeight\":\"20\"}", BIO "leafWeight' must be an integer"},
    {"{\"weightDevice\":{}}", BIO "weightDevice' must be an array"},
    {"{\"weightDevice\":[1]}", BIO "weightDevice[0]' must be an object"},
    {"{\"weightDevice\":[{\"minor\":0,\"weight\":10}]}", BIO "weightDevice[0].major' is required"},
    {"{\"weightDevice\":[{\"major\":8,\"weight\":10}]}", BIO "weightDevice[0].minor' is required"},
    {"{\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":10},{\"major\":8,\"minor\":1,"
     "\"weight\":2000}]}",
     BIO "weightDevice[1].weight' must be 10..1000"},
    {"{\"weightDevice\":[{\"major\":8,\"minor\":0,\"leafWeight\":1}]}",
     BIO "weightDevice[0].leafWeight' must be 10..1000"},
    {"{\"weightDevice\":[{\"major\":8,\"minor\":0}]}",
     BIO "weightDevice[0]' must have a weight or a leafWeight"},
    {"{\"weightDevice\":[{\"major\":-1,\"minor\":0,\"weight\":10}]}",
     BIO "weightDevice[0].major' is out of range (-1)"},
    {"{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":\"1M\"}]}",
     BIO "throttleReadBpsDevice[0].rate' must be a non-negative integer"},
    {"{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":-1}]}",
     BIO "throttleReadBpsDevice[0].rate' must be a non-negative integer"},
    {"{\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1.5}]}",
     BIO "throttleWriteBpsDevice[0].rate' must be a non-negative integer"},
    {"{\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1},{\"major\":8,"
     "\"minor\":1}]}",
     BIO "throttleWriteBpsDevice[1].rate' is required"},
    {"{\"throttleReadIOPSDevice\":\"8:0 100\"}", BIO "throttleReadIOPSDevice' must be an array"},
    {"{\"throttleReadIOPSDevice\":[null]}", BIO "throttleReadIOPSDevice[0]' must be an object"},
    {"{\"throttleWriteIOPSDevice\":[{\"major\":4096,\"minor\":0,\"rate\":1}]}",
     BIO "throttleWriteIOPSDevice[0].major' is out of range (4096)"},
    {"{\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":1048576,\"rate\":1}]}",
     BIO "throttleWriteIOPSDevice[0].minor' is out of range (1048576)"},
    {"{\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":true,\"rate\":1}]}",
     BIO "throttleWriteIOPSDevice[0].minor' must be an integer"},
};
#undef BIO

static void test_blkio_bad(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(bad_blkio); i++) {
        struct berth_error *e = NULL;
        struct berth_config *c = parse_blkio(bad_blkio[i].blkio, &e);
        if (c != NULL)
            fail_msg("case %zu parsed: %s", i, bad_blkio[i].blkio);
        assert_int_equal(e->errnum, EINVAL);
        if (!streq(e->msg, bad_blkio[i].msg))
            fail_msg("case %zu: got '%s', want '%s'", i, e->msg, bad_blkio[i].msg);
        berth_error_clear(&e);
    }
}

static void test_ns_names(void **state)
{
    assert_int_equal(berth_ns_from_name("network"), BERTH_NS_NET);
    assert_int_equal(berth_ns_from_name("net"), -1);
    assert_string_equal(berth_ns_proc_name(BERTH_NS_NET), "net");
    assert_int_equal(berth_ns_clone_flag(BERTH_NS_MNT), CLONE_NEWNS);
    assert_int_equal(berth_rlimit_from_name("RLIMIT_NPROC"), RLIMIT_NPROC);
    assert_int_equal(berth_rlimit_from_name("NPROC"), -1);
}

int main(void)
{
    /* clang-format off */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_unified_and_chroot),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_resources_extra),
        cmocka_unit_test(test_blkio),
        cmocka_unit_test(test_blkio_bad),
        cmocka_unit_test(test_ns_names),
    };
    /* clang-format on */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
