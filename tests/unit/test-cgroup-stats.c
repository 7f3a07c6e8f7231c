/* Unit tests for the cgroup drivers' stats and update operations, on fake
 * cgroup trees in a tmpdir (no root, no cgroupfs). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "error.h"
#include "oci.h"
#include "util.h"

static char *make_tmpdir(void)
{
    char *d = xstrdup("/tmp/test-cgroup-stats-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void remove_tmpdir(char *d)
{
    assert_int_equal(rm_rf_at(AT_FDCWD, d, NULL), 0);
    free(d);
}

static void mkdirs(const char *root, const char *rel)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
    for (char *s = p + strlen(root) + 1; s[-1]; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
        *s = c;
    }
}

/* Creates dir rel (and parents) holding the name, content pairs given. */
static void mkfiles(const char *root, const char *rel, ...)
{
    va_list ap;
    const char *name;

    mkdirs(root, rel);
    va_start(ap, rel);
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *content = va_arg(ap, const char *);
        _cleanup_free_ char *p = xasprintf("%s/%s/%s", root, rel, name);
        FILE *f = fopen(p, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
    }
    va_end(ap);
}

static void assert_file(const char *root, const char *rel, const char *want)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
    _cleanup_free_ char *got = NULL;
    assert_int_equal(read_file_at(AT_FDCWD, p, &got, NULL, NULL), 0);
    got[strcspn(got, "\n")] = '\0';
    if (!streq(got, want))
        fail_msg("%s: got '%s', want '%s'", rel, got, want);
}

static struct berth_cgroup *fake_cgroup(enum berth_cgroup_mode mode, const char *root,
                                        const char *self, unsigned created)
{
    _cleanup_error_ struct berth_error *e = NULL;
    struct berth_cgroup *cg = berth_cgroup_new(mode, root, self, "ctr", "t1", 0, &e);
    assert_non_null(cg);
    for (size_t i = 0; i < cg->n_h; i++)
        cg->h[i].created = created;
    return cg;
}

static uint64_t raw(const struct berth_cgroup_stats *s, const char *key)
{
    for (size_t i = 0; i < s->n_memory_stat; i++)
        if (streq(s->memory_stat[i].key, key))
            return s->memory_stat[i].value;
    fail_msg("no '%s' in the memory stat", key);
    return 0;
}

static const char self_v1[] = "5:pids:/\n4:cpu,cpuacct:/\n3:memory:/\n2:blkio:/\n1:freezer:/\n";

static void test_v1_stats(void **state)
{
    char *root = make_tmpdir();
    struct berth_cgroup_stats s;
    _cleanup_error_ struct berth_error *e = NULL;
    long hz = sysconf(_SC_CLK_TCK);

    mkfiles(root, "cpu,cpuacct/ctr", "cpuacct.usage", "3000\n", "cpuacct.usage_percpu",
            "1000 2000 \n", "cpuacct.stat", "user 2\nsystem 1\n", "cpu.stat",
            "nr_periods 10\nnr_throttled 4\nthrottled_time 999\n", NULL);
    mkfiles(root, "memory/ctr", "memory.usage_in_bytes", "4096\n", "memory.max_usage_in_bytes",
            "8192\n", "memory.limit_in_bytes", "9223372036854771712\n", "memory.failcnt", "3\n",
            "memory.memsw.usage_in_bytes", "5000\n", "memory.memsw.max_usage_in_bytes", "9000\n",
            "memory.memsw.limit_in_bytes", "65536\n", "memory.memsw.failcnt", "0\n", "memory.stat",
            "cache 12\nrss 34\n", "memory.oom_control", "oom_kill_disable 0\noom_kill 2\n", NULL);
    mkfiles(root, "pids/ctr", "pids.current", "3\n", "pids.max", "max\n", NULL);
    mkfiles(root, "blkio/ctr", "blkio.throttle.io_service_bytes_recursive",
            "8:0 Read 100\n8:0 Write 200\n8:0 Sync 300\n8:0 Async 0\n8:0 Discard 0\n"
            "8:0 Total 300\nTotal 300\n",
            NULL);
    mkfiles(root, "freezer/ctr", "freezer.state", "THAWED\n", NULL);
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V1, root, self_v1, 1);

    assert_int_equal(berth_cgroup_stats(cg, &s, &e), 0);
    assert_int_equal(s.cpu_total, 3000);
    assert_int_equal(s.n_cpu_percpu, 2);
    assert_int_equal(s.cpu_percpu[1], 2000);
    assert_int_equal(s.cpu_user, 2 * (1000000000ULL / hz));
    assert_int_equal(s.cpu_kernel, 1 * (1000000000ULL / hz));
    assert_int_equal(s.cpu_periods, 10);
    assert_int_equal(s.cpu_throttled_periods, 4);
    assert_int_equal(s.cpu_throttled_time, 999);
    assert_int_equal(s.memory.usage, 4096);
    assert_int_equal(s.memory.max, 8192);
    assert_int_equal(s.memory.limit, 9223372036854771712ULL);
    assert_int_equal(s.memory.failcnt, 3);
    assert_true(s.has_swap);
    assert_int_equal(s.swap.usage, 5000);
    assert_int_equal(s.swap.limit, 65536);
    assert_int_equal(raw(&s, "rss"), 34);
    assert_int_equal(s.pids_current, 3);
    assert_int_equal(s.pids_limit, 0);
    assert_int_equal(s.n_io, 6); /* the last "Total" line is no device's */
    assert_string_equal(s.io[1].op, "Write");
    assert_int_equal(s.io[1].major, 8);
    assert_int_equal(s.io[1].value, 200);
    assert_int_equal(s.oom_kills, 2);
    berth_cgroup_stats_free(&s);
    berth_cgroup_stats_free(&s); /* a freed one is empty */
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

static char *make_v2_tree(void)
{
    char *root = make_tmpdir();
    mkfiles(root, "", "cgroup.subtree_control", "cpu memory pids io\n", NULL);
    mkfiles(root, "ctr", "cpu.stat",
            "usage_usec 30\nuser_usec 20\nsystem_usec 10\nnr_periods 5\nnr_throttled 1\n"
            "throttled_usec 7\n",
            "memory.current", "4096\n", "memory.peak", "8192\n", "memory.max", "max\n",
            "memory.events", "low 0\nhigh 0\nmax 6\noom 1\noom_kill 1\n", "memory.swap.current",
            "100\n", "memory.swap.max", "200\n", "memory.stat", "anon 1\nfile 2\n", "pids.current",
            "2\n", "pids.max", "20\n", "io.stat", "8:16 rbytes=11 wbytes=22 rios=1 wios=2\n",
            "cgroup.procs", "", "cgroup.events", "populated 1\nfrozen 0\n", NULL);
    return root;
}

static void test_v2_stats(void **state)
{
    char *root = make_v2_tree();
    struct berth_cgroup_stats s;
    _cleanup_error_ struct berth_error *e = NULL;
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V2, root, "0::/\n", 1);

    assert_int_equal(berth_cgroup_stats(cg, &s, &e), 0);
    assert_int_equal(s.cpu_total, 30000);
    assert_int_equal(s.cpu_user, 20000);
    assert_int_equal(s.cpu_kernel, 10000);
    assert_int_equal(s.n_cpu_percpu, 0);
    assert_int_equal(s.cpu_throttled_periods, 1);
    assert_int_equal(s.cpu_throttled_time, 7000);
    assert_int_equal(s.memory.usage, 4096);
    assert_int_equal(s.memory.max, 8192);
    assert_int_equal(s.memory.limit, UINT64_MAX);
    assert_int_equal(s.memory.failcnt, 6);
    /* memory plus swap, as v1's memsw */
    assert_true(s.has_swap);
    assert_int_equal(s.swap.usage, 4196);
    assert_int_equal(s.swap.limit, UINT64_MAX);
    assert_int_equal(raw(&s, "file"), 2);
    assert_int_equal(s.pids_current, 2);
    assert_int_equal(s.pids_limit, 20);
    assert_int_equal(s.n_io, 2);
    assert_string_equal(s.io[0].op, "Read");
    assert_int_equal(s.io[0].minor, 16);
    assert_int_equal(s.io[1].value, 22);
    assert_int_equal(s.oom_kills, 1);
    assert_false(berth_cgroup_frozen(cg));
    berth_cgroup_stats_free(&s);

    /* a cgroup that is gone */
    _cleanup_free_ char *dir = xasprintf("%s/ctr", root);
    assert_int_equal(rm_rf_at(AT_FDCWD, dir, NULL), 0);
    assert_int_equal(berth_cgroup_stats(cg, &s, &e), -ENOENT);
    assert_int_equal(s.n_memory_stat, 0);
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

/* update takes a new swap total against the memory limit in force. */
static void test_v2_update(void **state)
{
    char *root = make_v2_tree();
    _cleanup_error_ struct berth_error *e = NULL;
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V2, root, "0::/\n", 1);
    struct berth_resources res = {.has_mem_limit = true, .mem_limit = 1 << 20};

    mkfiles(root, "ctr", "pids.max", "max\n", NULL);
    assert_int_equal(berth_cgroup_update(cg, &res, &e), 0);
    assert_file(root, "ctr/memory.max", "1048576");
    res = (struct berth_resources){.has_mem_swap = true, .mem_swap = 3 << 20};
    assert_int_equal(berth_cgroup_update(cg, &res, &e), 0);
    assert_file(root, "ctr/memory.max", "1048576");
    assert_file(root, "ctr/memory.swap.max", "2097152");
    res = (struct berth_resources){.has_pids_limit = true, .pids_limit = -1};
    assert_int_equal(berth_cgroup_update(cg, &res, &e), 0);
    assert_file(root, "ctr/pids.max", "max");
    assert_null(e);
    /* a joined cgroup is not berth's to change */
    cg->h[0].created = 0;
    res = (struct berth_resources){.has_pids_limit = true, .pids_limit = 5};
    assert_int_equal(berth_cgroup_update(cg, &res, &e), -EINVAL);
    assert_non_null(strstr(e->msg, "linux.resources.pids.limit"));
    assert_file(root, "ctr/pids.max", "max");
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

static void test_v1_update(void **state)
{
    char *root = make_tmpdir();
    _cleanup_error_ struct berth_error *e = NULL;

    mkfiles(root, "pids/ctr", "pids.max", "max\n", "cgroup.procs", "", NULL);
    mkfiles(root, "cpu,cpuacct/ctr", "cpu.shares", "1024\n", "cpu.cfs_quota_us", "-1\n",
            "cpu.cfs_period_us", "100000\n", NULL);
    mkfiles(root, "memory/ctr", "memory.limit_in_bytes", "9223372036854771712\n", NULL);
    mkfiles(root, "blkio/ctr", NULL);
    mkfiles(root, "freezer/ctr", NULL);
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V1, root, self_v1, 1);
    struct berth_resources res = {.has_pids_limit = true,
                                  .pids_limit = 7,
                                  .has_cpu_quota = true,
                                  .cpu_quota = 20000,
                                  .has_mem_limit = true,
                                  .mem_limit = 1 << 20};

    assert_int_equal(berth_cgroup_update(cg, &res, &e), 0);
    assert_file(root, "pids/ctr/pids.max", "7");
    assert_file(root, "cpu,cpuacct/ctr/cpu.cfs_quota_us", "20000");
    assert_file(root, "cpu,cpuacct/ctr/cpu.shares", "1024");
    assert_file(root, "memory/ctr/memory.limit_in_bytes", "1048576");
    /* nothing is attached: cgroup.procs stays as it was */
    assert_file(root, "pids/ctr/cgroup.procs", "");
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_stats),
        cmocka_unit_test(test_v2_stats),
        cmocka_unit_test(test_v2_update),
        cmocka_unit_test(test_v1_update),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
