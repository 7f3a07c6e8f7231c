/* Unit tests for the cgroup module: placement, validation, state JSON,
 * conversions, the device filter program, and what the drivers write, on
 * fake cgroup trees in a tmpdir (no root, no cgroupfs). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
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

/* ---- fixtures ---- */

#define MEMSW_FILE "memory.memsw.limit_in_bytes"

static const char self_v1[] = "12:name=systemd:/user.slice\n"
                              "11:pids:/user.slice/app\n"
                              "10:cpu,cpuacct:/user.slice\n"
                              "9:memory:/user.slice/app\n"
                              "8:blkio:/\n"
                              "7:net_cls,net_prio:/\n"
                              "6:cpuset:/\n"
                              "5:devices:/user.slice\n"
                              "4:freezer:/\n"
                              "0::/user.slice/app\n";

static char *make_tmpdir(void)
{
    char *d = xstrdup("/tmp/test-cgroup-XXXXXX");
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

/* Creates dir rel (and parents) holding the files named in the
 * NULL-terminated list of name, content pairs. */
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

/* Content of root/rel with one trailing newline removed (caller frees). */
static char *readf(const char *root, const char *rel)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
    char *buf = NULL;
    assert_int_equal(read_file_at(AT_FDCWD, p, &buf, NULL, NULL), 0);
    size_t l = strlen(buf);
    if (l > 0 && buf[l - 1] == '\n')
        buf[l - 1] = '\0';
    return buf;
}

static void assert_file(const char *root, const char *rel, const char *want)
{
    _cleanup_free_ char *got = readf(root, rel);
    if (!streq(got, want))
        fail_msg("%s: got '%s', want '%s'", rel, got, want);
}

static bool exists(const char *root, const char *rel)
{
    _cleanup_free_ char *p = xasprintf("%s/%s", root, rel);
    return access(p, F_OK) == 0;
}

static void assert_dir(const struct berth_cgroup *cg, size_t i, const char *root, const char *name,
                       const char *rel)
{
    _cleanup_free_ char *want = xasprintf("%s/%s", root, rel);
    assert_true(i < cg->n_h);
    assert_string_equal(cg->h[i].name, name);
    assert_string_equal(cg->h[i].dir, want);
    assert_int_equal(cg->h[i].created, 0);
}

/* ---- validation and placement ---- */

static void test_path_validate(void **state)
{
    static const char *const good[] = {"a",   "a/b", "/a/b", "berth-x",    "/kubepods/pod1/c",
                                       "a.b", "..a", "a..",  "cpu,cpuacct"};
    static const char *const bad[] = {"",     "/",    "..",    ".",    "a/../b",
                                      "a/..", "../a", "/a//b", "a/",   "./a",
                                      "a/.",  "a\nb", "a\tb",  "\x7f", "a/\xff"};

    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        if (berth_cgroup_path_validate(good[i], NULL) != 0)
            fail_msg("'%s' refused", good[i]);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        _cleanup_error_ struct berth_error *e = NULL;
        if (berth_cgroup_path_validate(bad[i], &e) != -EINVAL)
            fail_msg("bad path #%zu accepted", i);
        assert_non_null(e);
        assert_int_equal(e->errnum, EINVAL);
    }
    _cleanup_error_ struct berth_error *e = NULL;
    berth_cgroup_path_validate("a/../b", &e);
    assert_string_equal(e->msg, "invalid cgroups path 'a/../b': '..' component");
}

static char *make_v1_root(void)
{
    char *root = make_tmpdir();
    mkdirs(root, "cpu,cpuacct/user.slice");
    mkdirs(root, "memory/user.slice/app");
    mkdirs(root, "pids/user.slice/app");
    mkdirs(root, "cpuset");
    mkdirs(root, "devices/user.slice");
    mkdirs(root, "freezer");
    mkdirs(root, "net_cls,net_prio");
    mkdirs(root, "systemd");
    return root; /* no blkio: that hierarchy is skipped */
}

static void test_new_v1_relative(void **state)
{
    char *root = make_v1_root();
    _cleanup_error_ struct berth_error *e = NULL;

    struct berth_cgroup *cg = berth_cgroup_new(BERTH_CGROUP_V1, root, self_v1, NULL, "c1", 0, &e);
    assert_non_null(cg);
    assert_null(e);
    assert_ptr_equal(cg->ops, &berth_cgroup_v1_ops);
    assert_false(cg->absolute);
    assert_int_equal(cg->n_h, 6);
    assert_dir(cg, 0, root, "pids", "pids/user.slice/app/berth-c1");
    assert_dir(cg, 1, root, "cpu,cpuacct", "cpu,cpuacct/user.slice/berth-c1");
    assert_dir(cg, 2, root, "memory", "memory/user.slice/app/berth-c1");
    assert_dir(cg, 3, root, "cpuset", "cpuset/berth-c1");
    assert_dir(cg, 4, root, "devices", "devices/user.slice/berth-c1");
    assert_dir(cg, 5, root, "freezer", "freezer/berth-c1");
    berth_cgroup_free(cg);

    cg = berth_cgroup_new(BERTH_CGROUP_V1, root, self_v1, "pod/ctr", "c1", 0, &e);
    assert_non_null(cg);
    assert_dir(cg, 2, root, "memory", "memory/user.slice/app/pod/ctr");
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

static void test_new_v1_absolute(void **state)
{
    char *root = make_v1_root();

    struct berth_cgroup *cg =
        berth_cgroup_new(BERTH_CGROUP_V1, root, self_v1, "/kube/pod1/c1", "x", 0, NULL);
    assert_non_null(cg);
    assert_true(cg->absolute);
    assert_dir(cg, 0, root, "pids", "pids/kube/pod1/c1");
    assert_dir(cg, 1, root, "cpu,cpuacct", "cpu,cpuacct/kube/pod1/c1");
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

/* "cpu,cpuacct" reachable only through the "cpu" name (a symlink on hosts) */
static void test_new_v1_comount_by_name(void **state)
{
    char *root = make_tmpdir();
    mkdirs(root, "cpu");

    struct berth_cgroup *cg =
        berth_cgroup_new(BERTH_CGROUP_V1, root, "3:cpu,cpuacct:/a\n", NULL, "c", 0, NULL);
    assert_non_null(cg);
    assert_int_equal(cg->n_h, 1);
    assert_dir(cg, 0, root, "cpu,cpuacct", "cpu/a/berth-c");
    berth_cgroup_free(cg);

    _cleanup_error_ struct berth_error *e = NULL;
    assert_null(berth_cgroup_new(BERTH_CGROUP_V1, root, "3:memory:/\n", NULL, "c", 0, &e));
    assert_int_equal(e->errnum, ENOENT);
    remove_tmpdir(root);
}

static void test_new_v2(void **state)
{
    const char *root = "/sys/fs/cgroup";

    struct berth_cgroup *cg = berth_cgroup_new(BERTH_CGROUP_V2, root, self_v1, NULL, "c1", 0, NULL);
    assert_non_null(cg);
    assert_ptr_equal(cg->ops, &berth_cgroup_v2_ops);
    assert_dir(cg, 0, root, "", "user.slice/app/berth-c1");
    berth_cgroup_free(cg);

    cg = berth_cgroup_new(BERTH_CGROUP_V2, root, "0::/\n", "a/b", "c1", 0, NULL);
    assert_non_null(cg);
    assert_dir(cg, 0, root, "", "a/b");
    berth_cgroup_free(cg);

    cg = berth_cgroup_new(BERTH_CGROUP_V2, "/sys/fs/cgroup/", "0::/x\n", "/m/n", "c1", 0, NULL);
    assert_non_null(cg);
    assert_dir(cg, 0, root, "", "m/n");
    berth_cgroup_free(cg);

    _cleanup_error_ struct berth_error *e = NULL;
    assert_null(berth_cgroup_new(BERTH_CGROUP_V2, root, "4:memory:/\n", NULL, "c1", 0, &e));
    assert_int_equal(e->errnum, ENOENT);
}

static void test_new_invalid(void **state)
{
    static const struct {
        enum berth_cgroup_mode mode;
        const char *root, *self, *path, *id;
    } cases[] = {
        {BERTH_CGROUP_V2, "/sys/fs/cgroup", "0::/\n", "a/../../b", "c"},
        {BERTH_CGROUP_V2, "/sys/fs/cgroup", "0::/\n", NULL, "a/b"},
        {BERTH_CGROUP_V2, "/sys/fs/cgroup", "0::/\n", NULL, ""},
        {BERTH_CGROUP_V2, "/sys/fs/cgroup", "0::/\n", NULL, NULL},
        {BERTH_CGROUP_V2, "/sys/fs/cgroup", "0::/../x\n", "c", "c"},
        {BERTH_CGROUP_V2, "sys/fs/cgroup", "0::/\n", "c", "c"},
        {3, "/sys/fs/cgroup", "0::/\n", "c", "c"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        _cleanup_error_ struct berth_error *e = NULL;
        struct berth_cgroup *cg = berth_cgroup_new(cases[i].mode, cases[i].root, cases[i].self,
                                                   cases[i].path, cases[i].id, 0, &e);
        if (cg != NULL)
            fail_msg("case %zu accepted", i);
        assert_int_equal(e->errnum, EINVAL);
    }
    /* an absolute path does not depend on the caller's cgroup */
    struct berth_cgroup *cg =
        berth_cgroup_new(BERTH_CGROUP_V2, "/sys/fs/cgroup", "0::/../x\n", "/c", "c", 0, NULL);
    assert_non_null(cg);
    berth_cgroup_free(cg);
}

/* ---- state JSON ---- */

static void assert_same(const struct berth_cgroup *a, const struct berth_cgroup *b)
{
    assert_ptr_equal(a->ops, b->ops);
    assert_string_equal(a->root, b->root);
    assert_int_equal(a->absolute, b->absolute);
    assert_int_equal(a->n_h, b->n_h);
    for (size_t i = 0; i < a->n_h; i++) {
        assert_string_equal(a->h[i].name, b->h[i].name);
        assert_string_equal(a->h[i].dir, b->h[i].dir);
        assert_int_equal(a->h[i].created, b->h[i].created);
    }
}

static void test_json_roundtrip(void **state)
{
    char *root = make_v1_root();

    struct berth_cgroup *cg =
        berth_cgroup_new(BERTH_CGROUP_V1, root, self_v1, "/kube/pod1/c1", "x", 0, NULL);
    assert_non_null(cg);
    cg->h[0].created = 2;
    cg->h[3].created = 1;
    _cleanup_free_ char *json = berth_cgroup_to_json(cg);
    assert_null(strchr(json, '\n'));
    _cleanup_error_ struct berth_error *e = NULL;
    struct berth_cgroup *back = berth_cgroup_from_json(json, &e);
    assert_null(e);
    assert_non_null(back);
    assert_same(cg, back);
    berth_cgroup_free(back);
    berth_cgroup_free(cg);

    cg = berth_cgroup_new(BERTH_CGROUP_V2, "/sys/fs/cgroup", "0::/u\n", "a/b", "x", 0, NULL);
    cg->h[0].created = 2;
    _cleanup_free_ char *json2 = berth_cgroup_to_json(cg);
    assert_string_equal(json2, "{\"mode\":\"v2\",\"root\":\"/sys/fs/cgroup\",\"absolute\":false,"
                               "\"devProgId\":0,\"hierarchies\":[{\"name\":\"\",\"dir\":\"/sys/"
                               "fs/cgroup/u/a/b\",\"created\":2}]}");
    back = berth_cgroup_from_json(json2, NULL);
    assert_non_null(back);
    assert_same(cg, back);
    berth_cgroup_free(back);
    /* the id of the device filter berth attached survives the round trip */
    cg->dev_prog_id = 77;
    _cleanup_free_ char *json3 = berth_cgroup_to_json(cg);
    back = berth_cgroup_from_json(json3, NULL);
    assert_int_equal(back->dev_prog_id, 77);
    berth_cgroup_free(back);
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

static void test_json_invalid(void **state)
{
#define H(dir, created) "{\"name\":\"\",\"dir\":\"" dir "\",\"created\":" created "}"
#define S(mode, hs)     "{\"mode\":" mode ",\"root\":\"/r\",\"absolute\":false,\"hierarchies\":" hs "}"
    static const char *const bad[] = {
        "",
        "[]",
        "{\"mode\":\"v2\"}",
        S("\"v3\"", "[" H("/r/a", "1") "]"),
        S("2", "[" H("/r/a", "1") "]"),
        S("\"v2\"", "[]"),
        S("\"v2\"", "{}"),
        S("\"v2\"", "[" H("/r/a", "1") "," H("/r/b", "1") "]"),
        S("\"v2\"", "[" H("/r/a", "\"1\"") "]"),
        S("\"v2\"", "[" H("/r/a", "2") "]"),
        S("\"v2\"", "[" H("/r/a", "-1") "]"),
        S("\"v2\"", "[" H("/other/a", "0") "]"),
        S("\"v2\"", "[" H("/r/../a", "0") "]"),
        S("\"v2\"", "[" H("/r", "0") "]"),
        S("\"v1\"", "[{\"name\":1,\"dir\":\"/r/a\",\"created\":0}]"),
        "{\"mode\":\"v2\",\"root\":\"r\",\"absolute\":false,\"hierarchies\":[" H("r/a", "0") "]}",
        "{\"mode\":\"v2\",\"root\":\"/r\",\"absolute\":0,\"hierarchies\":[" H("/r/a", "0") "]}",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        _cleanup_error_ struct berth_error *e = NULL;
        if (berth_cgroup_from_json(bad[i], &e) != NULL)
            fail_msg("case %zu accepted: %s", i, bad[i]);
        assert_int_equal(e->errnum, EINVAL);
    }
    struct berth_cgroup *cg = berth_cgroup_from_json(S("\"v2\"", "[" H("/r/a/b", "2") "]"), NULL);
    assert_non_null(cg);
    berth_cgroup_free(cg);
#undef S
#undef H
}

/* ---- conversions ---- */

static void test_conversions(void **state)
{
    assert_int_equal(berth_cgroup_shares_to_weight(0), 0);
    assert_int_equal(berth_cgroup_shares_to_weight(2), 1);
    assert_int_equal(berth_cgroup_shares_to_weight(1), 1);
    assert_int_equal(berth_cgroup_shares_to_weight(1024), 39);
    assert_int_equal(berth_cgroup_shares_to_weight(262144), 10000);
    assert_int_equal(berth_cgroup_shares_to_weight(1000000), 10000);

    assert_int_equal(berth_cgroup_blkio_to_io_weight(0), 0);
    assert_int_equal(berth_cgroup_blkio_to_io_weight(10), 1);
    assert_int_equal(berth_cgroup_blkio_to_io_weight(500), 4950);
    assert_int_equal(berth_cgroup_blkio_to_io_weight(1000), 10000);

    int64_t v = 0;
    assert_int_equal(berth_cgroup_swap_v2(100, 300, &v), 0);
    assert_int_equal(v, 200);
    assert_int_equal(berth_cgroup_swap_v2(100, 100, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(berth_cgroup_swap_v2(100, -1, &v), 0);
    assert_int_equal(v, -1);
    assert_int_equal(berth_cgroup_swap_v2(-1, 300, &v), 0);
    assert_int_equal(v, -1);
    assert_int_equal(berth_cgroup_swap_v2(300, 100, &v), -EINVAL);
    assert_int_equal(berth_cgroup_swap_v2(100, -2, &v), -EINVAL);
}

/* ---- device filter: run the program on a tiny interpreter ---- */

enum { R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE, M = BPF_DEVCG_ACC_MKNOD };
enum { CHR = BPF_DEVCG_DEV_CHAR, BLK = BPF_DEVCG_DEV_BLOCK };

static int run_prog(const struct bpf_insn *p, size_t n, uint32_t type, uint32_t access,
                    uint32_t major, uint32_t minor)
{
    uint32_t ctx[3] = {access << 16 | type, major, minor};
    uint64_t r[11] = {0};

    for (size_t pc = 0; pc < n; pc++) {
        const struct bpf_insn *i = &p[pc];
        uint8_t d = i->dst_reg, s = i->src_reg;
        uint64_t imm = (uint64_t)(int64_t)i->imm;
        switch (i->code) {
        case BPF_LDX | BPF_MEM | BPF_W:
            assert_int_equal(s, BPF_REG_1);
            assert_true(i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
            r[d] = ctx[i->off / 4];
            break;
        case BPF_ALU | BPF_AND | BPF_K:
            r[d] = (uint32_t)(r[d] & (uint32_t)i->imm);
            break;
        case BPF_ALU | BPF_RSH | BPF_K:
            r[d] = (uint32_t)r[d] >> i->imm;
            break;
        case BPF_ALU | BPF_MOV | BPF_X:
            r[d] = (uint32_t)r[s];
            break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
            r[d] = imm;
            break;
        case BPF_JMP | BPF_JNE | BPF_K:
            pc += r[d] != imm ? i->off : 0;
            break;
        case BPF_JMP | BPF_JEQ | BPF_K:
            pc += r[d] == imm ? i->off : 0;
            break;
        case BPF_JMP | BPF_JNE | BPF_X:
            pc += r[d] != r[s] ? i->off : 0;
            break;
        case BPF_JMP | BPF_EXIT:
            return (int)r[0];
        default:
            fail_msg("unexpected opcode 0x%x at %zu", i->code, pc);
        }
    }
    fail_msg("program fell off its end");
    return -1;
}

struct dev_case {
    uint32_t type, access, major, minor;
    int want;
};

static void check_prog(const struct berth_device_rule *rules, size_t n,
                       const struct dev_case *cases, size_t n_cases)
{
    size_t len = 0;
    _cleanup_free_ struct bpf_insn *p = berth_cgroup_devices_prog(rules, n, &len, NULL);

    assert_non_null(p);
    /* the verifier refuses unreachable code: every insn after a block's
     * EXIT must be a jump target */
    for (size_t i = 0; i < len; i++)
        if (p[i].code == (BPF_JMP | BPF_EXIT) && i + 1 < len) {
            bool target = false;
            for (size_t j = 0; j <= i; j++)
                if (BPF_CLASS(p[j].code) == BPF_JMP && p[j].code != (BPF_JMP | BPF_EXIT) &&
                    j + 1 + p[j].off == i + 1)
                    target = true;
            assert_true(target);
        }
    for (size_t i = 0; i < n_cases; i++) {
        const struct dev_case *c = &cases[i];
        int got = run_prog(p, len, c->type, c->access, c->major, c->minor);
        if (got != c->want)
            fail_msg("case %zu: type %u access %u %u:%u gave %d", i, c->type, c->access, c->major,
                     c->minor, got);
    }
}

static void test_devices_prog(void **state)
{
    static const struct dev_case none_c[] = {{CHR, R, 1, 3, 0}, {BLK, M, 8, 0, 0}};
    check_prog(NULL, 0, none_c, ARRAY_SIZE(none_c));

    static const struct berth_device_rule typical[] = {
        {false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}, {true, 'c', 1, 5, "rw"},
        {true, 'b', -1, -1, "m"},    {true, 'c', 136, -1, ""},
    };
    static const struct dev_case typical_c[] = {
        {CHR, R | W, 1, 3, 1}, {CHR, M, 1, 5, 0},           {CHR, R, 1, 5, 1},
        {CHR, R | W, 1, 5, 1}, {BLK, M, 8, 0, 1},           {BLK, R, 8, 0, 0},
        {CHR, R, 4, 0, 0},     {CHR, R | W | M, 136, 7, 1}, {BLK, R, 1, 3, 0},
        {CHR, R, 1, 4, 0},     {CHR, W | M, 1, 5, 0},
    };
    check_prog(typical, ARRAY_SIZE(typical), typical_c, ARRAY_SIZE(typical_c));

    /* last match wins; a deny covers any requested access bit */
    static const struct berth_device_rule open_[] = {
        {true, 'a', -1, -1, "rwm"},
        {false, 'c', 5, 1, "w"},
    };
    static const struct dev_case open_c[] = {
        {CHR, R | W, 5, 1, 0}, {CHR, R, 5, 1, 1}, {BLK, W, 5, 1, 1}, {CHR, W, 5, 2, 1}};
    check_prog(open_, ARRAY_SIZE(open_), open_c, ARRAY_SIZE(open_c));

    static const struct berth_device_rule shadowed[] = {
        {true, 'c', 1, 3, "rwm"},
        {false, 'a', -1, -1, "rwm"},
    };
    static const struct dev_case shadowed_c[] = {{CHR, R, 1, 3, 0}};
    check_prog(shadowed, ARRAY_SIZE(shadowed), shadowed_c, ARRAY_SIZE(shadowed_c));
    size_t len = 0;
    _cleanup_free_ struct bpf_insn *p = berth_cgroup_devices_prog(shadowed, 2, &len, NULL);
    assert_int_equal(len, 8); /* prologue and "return 0" only */

    static const struct berth_device_rule bad_type[] = {{true, 'x', 1, 3, "rwm"}};
    static const struct berth_device_rule bad_access[] = {{true, 'c', 1, 3, "rwx"}};
    static const struct berth_device_rule bad_major[] = {{true, 'c', -2, 3, "rwm"}};
    _cleanup_error_ struct berth_error *e = NULL;
    assert_null(berth_cgroup_devices_prog(bad_type, 1, &len, &e));
    assert_int_equal(e->errnum, EINVAL);
    assert_null(berth_cgroup_devices_prog(bad_access, 1, &len, NULL));
    assert_null(berth_cgroup_devices_prog(bad_major, 1, &len, NULL));
}

/* ---- v1 driver on a fake tree ---- */

static const char *const v1_hiers[] = {"memory", "cpu,cpuacct", "cpuset", "pids",
                                       "blkio",  "devices",     "freezer"};

static char *make_v1_tree(const char *leaf)
{
    char *root = make_tmpdir();
    _cleanup_free_ char *m = xasprintf("memory/u/%s", leaf);
    _cleanup_free_ char *c = xasprintf("cpu,cpuacct/u/%s", leaf);
    _cleanup_free_ char *cs = xasprintf("cpuset/u/%s", leaf);
    _cleanup_free_ char *p = xasprintf("pids/u/%s", leaf);
    _cleanup_free_ char *b = xasprintf("blkio/u/%s", leaf);
    _cleanup_free_ char *d = xasprintf("devices/u/%s", leaf);
    _cleanup_free_ char *f = xasprintf("freezer/u/%s", leaf);

    mkfiles(root, m, "memory.limit_in_bytes", "9223372036854771712\n", "memory.soft_limit_in_bytes",
            "", MEMSW_FILE, "9223372036854771712\n", "cgroup.procs", "", NULL);
    mkfiles(root, c, "cpu.shares", "1024\n", "cpu.cfs_period_us", "100000\n", "cpu.cfs_quota_us",
            "-1\n", "cgroup.procs", "", NULL);
    mkfiles(root, "cpuset/u", "cpuset.cpus", "0-3\n", "cpuset.mems", "0\n", NULL);
    mkfiles(root, cs, "cpuset.cpus", "\n", "cpuset.mems", "", "cgroup.procs", "", NULL);
    mkfiles(root, p, "pids.max", "max\n", "cgroup.procs", "", NULL);
    mkfiles(root, b, "blkio.bfq.weight", "default 100\n", "cgroup.procs", "", NULL);
    mkfiles(root, d, "devices.allow", "", "devices.deny", "", "cgroup.procs", "", NULL);
    mkfiles(root, f, "freezer.state", "THAWED\n", "cgroup.procs", "", NULL);
    return root;
}

static const char self_fake[] = "7:freezer:/u\n6:devices:/u\n5:blkio:/u\n4:pids:/u\n"
                                "3:cpuset:/u\n2:cpu,cpuacct:/u\n1:memory:/u\n0::/u\n";

/* The directories exist already (mkdir on tmpfs would make them empty):
 * mark them as made by berth, as prepare or an earlier setup would. */
static struct berth_cgroup *fake_cgroup(enum berth_cgroup_mode mode, const char *root,
                                        const char *self, const char *path, unsigned created)
{
    _cleanup_error_ struct berth_error *e = NULL;
    struct berth_cgroup *cg = berth_cgroup_new(mode, root, self, path, "t1", 0, &e);
    assert_non_null(cg);
    for (size_t i = 0; i < cg->n_h; i++)
        cg->h[i].created = created;
    return cg;
}

static void assert_v1(const char *root, const char *hier, const char *file, const char *want)
{
    _cleanup_free_ char *rel = xasprintf("%s/u/berth-t1/%s", hier, file);
    assert_file(root, rel, want);
}

static void test_v1_setup(void **state)
{
    char *root = make_v1_tree("berth-t1");
    struct berth_device_rule rules[] = {{false, 'a', -1, -1, "rwm"}, {true, 'c', 1, 3, "rwm"}};
    struct berth_resources res = {
        .has_mem_limit = true,
        .mem_limit = 1 << 20,
        .has_mem_swap = true,
        .mem_swap = 2 << 20,
        .has_mem_reservation = true,
        .mem_reservation = 512 << 10,
        .has_cpu_shares = true,
        .cpu_shares = 512,
        .has_cpu_period = true,
        .cpu_period = 100000,
        .has_cpu_quota = true,
        .cpu_quota = 50000,
        .cpu_cpus = "1",
        .has_pids_limit = true,
        .pids_limit = 64,
        .has_blkio_weight = true,
        .blkio_weight = 300,
    };
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V1, root, self_fake, NULL, 1);
    _cleanup_error_ struct berth_error *e = NULL;

    assert_int_equal(cg->n_h, ARRAY_SIZE(v1_hiers));
    assert_int_equal(berth_cgroup_prepare(cg, &e), -1);
    assert_null(e);
    assert_int_equal(berth_cgroup_setup(cg, &res, 4242, false, &e), 0);
    assert_null(e);
    assert_v1(root, "memory", "memory.limit_in_bytes", "1048576");
    assert_v1(root, "memory", MEMSW_FILE, "2097152");
    assert_v1(root, "memory", "memory.soft_limit_in_bytes", "524288");
    assert_v1(root, "cpu,cpuacct", "cpu.shares", "512");
    assert_v1(root, "cpu,cpuacct", "cpu.cfs_period_us", "100000");
    assert_v1(root, "cpu,cpuacct", "cpu.cfs_quota_us", "50000");
    assert_v1(root, "cpuset", "cpuset.cpus", "1");
    assert_v1(root, "cpuset", "cpuset.mems", "0"); /* copied from the parent */
    assert_file(root, "cpuset/u/cpuset.cpus", "0-3");
    assert_v1(root, "pids", "pids.max", "64");
    assert_v1(root, "blkio", "blkio.bfq.weight", "300");
    /* setup leaves the device rules to set_devices */
    assert_v1(root, "devices", "devices.deny", "");
    assert_int_equal(berth_cgroup_set_devices(cg, rules, ARRAY_SIZE(rules), &e), 0);
    assert_v1(root, "devices", "devices.deny", "a");
    assert_v1(root, "devices", "devices.allow", "c 1:3 rwm");
    for (size_t i = 0; i < ARRAY_SIZE(v1_hiers); i++)
        assert_v1(root, v1_hiers[i], "cgroup.procs", "4242");
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

/* "max", "-1", wildcards, a narrow 'a' rule split in two, freezing */
static void test_v1_setup_other_values(void **state)
{
    char *root = make_v1_tree("berth-t1");
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V1, root, self_fake, NULL, 1);
    _cleanup_error_ struct berth_error *e = NULL;
    struct berth_device_rule rules2[] = {{true, 'c', -1, 5, "m"}, {false, 'a', 7, -1, "r"}};
    struct berth_resources res2 = {
        .has_pids_limit = true,
        .pids_limit = 0,
        .has_cpu_quota = true,
        .cpu_quota = -1,
        .has_mem_limit = true,
        .mem_limit = -1,
    };
    assert_int_equal(berth_cgroup_setup(cg, &res2, 7, false, &e), 0);
    assert_int_equal(berth_cgroup_set_devices(cg, rules2, 2, &e), 0);
    assert_v1(root, "pids", "pids.max", "max");
    assert_v1(root, "cpu,cpuacct", "cpu.cfs_quota_us", "-1");
    assert_v1(root, "memory", "memory.limit_in_bytes", "-1");
    assert_v1(root, "devices", "devices.allow", "c *:5 m");
    /* one open for both rules: the fake file keeps every write */
    assert_v1(root, "devices", "devices.deny", "c 7:* rb 7:* r");
    assert_v1(root, "freezer", "cgroup.procs", "7");

    assert_int_equal(berth_cgroup_freeze(cg, true, &e), 0);
    assert_v1(root, "freezer", "freezer.state", "FROZEN");
    assert_int_equal(berth_cgroup_freeze(cg, false, &e), 0);
    assert_v1(root, "freezer", "freezer.state", "THAWED");
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

static void test_v1_setup_errors(void **state)
{
    char *root = make_v1_tree("berth-t1");
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V1, root, self_fake, NULL, 1);
    struct berth_resources swap = {
        .has_mem_limit = true, .mem_limit = 100, .has_mem_swap = true, .mem_swap = 200};
    struct berth_resources blkio = {.has_blkio_weight = true, .blkio_weight = 100};

    _cleanup_free_ char *memsw = xasprintf("%s/memory/u/berth-t1/" MEMSW_FILE, root);
    assert_int_equal(unlink(memsw), 0);
    _cleanup_error_ struct berth_error *e = NULL;
    assert_int_equal(berth_cgroup_setup(cg, &swap, 1, false, &e), -EOPNOTSUPP);
    assert_non_null(strstr(e->msg, MEMSW_FILE));
    berth_error_clear(&e);
    /* the pid goes in before the limits (the first attach waits for an RCU
     * grace period, overlapping the child's work) */
    for (size_t i = 0; i < ARRAY_SIZE(v1_hiers); i++)
        assert_v1(root, v1_hiers[i], "cgroup.procs", "1");
    swap.mem_swap = 100; /* no swap beyond the limit: nothing to enforce */
    assert_int_equal(berth_cgroup_setup(cg, &swap, 1, false, &e), 0);

    _cleanup_free_ char *bfq = xasprintf("%s/blkio/u/berth-t1/blkio.bfq.weight", root);
    assert_int_equal(unlink(bfq), 0);
    assert_int_equal(berth_cgroup_setup(cg, &blkio, 1, false, &e), -EOPNOTSUPP);
    assert_non_null(strstr(e->msg, "blkio.weight"));
    berth_error_clear(&e);
    berth_cgroup_free(cg);

    /* existing and not created by berth: a relative path is a conflict */
    cg = fake_cgroup(BERTH_CGROUP_V1, root, self_fake, NULL, 0);
    assert_int_equal(berth_cgroup_setup(cg, NULL, 1, false, &e), -EEXIST);
    berth_error_clear(&e);
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

/* blockIO on v1: BFQ's files where CFQ's are missing, CFQ's leaf weights
 * ignored when missing, one write per device line. A fake file keeps every
 * write of one open, so the lines run together. */
static void test_v1_blkio(void **state)
{
    char *root = make_v1_tree("berth-t1");
    struct berth_blkio_weight_device wdev[] = {{8, 0, 200, 0}, {8, 16, 0, 300}, {8, 32, 10, 20}};
    struct berth_blkio_throttle rbps[] = {{8, 0, 1048576}, {8, 16, 0}};
    struct berth_blkio_throttle wiops[] = {{253, 1, 100}};
    struct berth_resources res = {
        .has_blkio_weight = true,
        .blkio_weight = 300,
        .has_blkio_leaf_weight = true,
        .blkio_leaf_weight = 500,
        .blkio_weight_devices = wdev,
        .n_blkio_weight_devices = ARRAY_SIZE(wdev),
        .blkio_throttle = {[BERTH_THROTTLE_READ_BPS] = rbps, [BERTH_THROTTLE_WRITE_IOPS] = wiops},
        .n_blkio_throttle = {[BERTH_THROTTLE_READ_BPS] = ARRAY_SIZE(rbps),
                             [BERTH_THROTTLE_WRITE_IOPS] = ARRAY_SIZE(wiops)},
    };
    static const char *const throttle[] = {
        "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
        "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
    _cleanup_error_ struct berth_error *e = NULL;

    mkfiles(root, "blkio/u/berth-t1", "blkio.bfq.weight_device", "", throttle[0], "", throttle[1],
            "", throttle[2], "", throttle[3], "", NULL);
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V1, root, self_fake, NULL, 1);
    /* no CFQ: leaf weights cannot be honoured, and are refused, named */
    assert_int_equal(berth_cgroup_setup(cg, &res, 5, false, &e), -EOPNOTSUPP);
    assert_non_null(strstr(e->msg, "cannot honour 'linux.resources.blockIO.leafWeight'"));
    berth_error_clear(&e);
    res.has_blkio_leaf_weight = false;
    wdev[1].weight = 150;
    wdev[1].leaf_weight = wdev[2].leaf_weight = 0;
    assert_int_equal(berth_cgroup_setup(cg, &res, 5, false, &e), 0);
    assert_null(e);
    assert_v1(root, "blkio", "blkio.bfq.weight", "300");
    assert_v1(root, "blkio", "blkio.bfq.weight_device", "8:0 2008:16 1508:32 10");
    assert_false(exists(root, "blkio/u/berth-t1/blkio.leaf_weight"));
    assert_v1(root, "blkio", throttle[0], "8:0 10485768:16 0");
    assert_v1(root, "blkio", throttle[1], "");
    assert_v1(root, "blkio", throttle[2], "");
    assert_v1(root, "blkio", throttle[3], "253:1 100");
    assert_v1(root, "blkio", "cgroup.procs", "5");

    /* CFQ's files win, leaf weights included */
    res.has_blkio_leaf_weight = true;
    wdev[1].weight = 0;
    wdev[1].leaf_weight = 300;
    wdev[2].leaf_weight = 20;
    mkfiles(root, "blkio/u/berth-t1", "blkio.weight", "", "blkio.weight_device", "",
            "blkio.leaf_weight", "", "blkio.leaf_weight_device", "", NULL);
    assert_int_equal(berth_cgroup_setup(cg, &res, 5, false, &e), 0);
    assert_v1(root, "blkio", "blkio.weight", "300");
    assert_v1(root, "blkio", "blkio.weight_device", "8:0 2008:32 10");
    assert_v1(root, "blkio", "blkio.leaf_weight", "500");
    assert_v1(root, "blkio", "blkio.leaf_weight_device", "8:16 3008:32 20");

    /* per-device weights without either file */
    res.has_blkio_weight = false;
    _cleanup_free_ char *wd = xasprintf("%s/blkio/u/berth-t1/blkio.weight_device", root);
    _cleanup_free_ char *bfq = xasprintf("%s/blkio/u/berth-t1/blkio.bfq.weight_device", root);
    assert_int_equal(unlink(wd), 0);
    assert_int_equal(unlink(bfq), 0);
    assert_int_equal(berth_cgroup_setup(cg, &res, 5, false, &e), -EOPNOTSUPP);
    _cleanup_free_ char *want = xasprintf(
        "cannot set blkio weight in cgroup '%s/blkio/u/berth-t1': neither 'blkio.weight_device' "
        "nor 'blkio.bfq.weight_device' exists (no CFQ or BFQ scheduler)",
        root);
    assert_string_equal(e->msg, want);
    berth_error_clear(&e);

    /* the kernel's refusal of one device line is reported with the line */
    struct berth_resources only_throttle = {
        .blkio_throttle = {[BERTH_THROTTLE_WRITE_BPS] = rbps},
        .n_blkio_throttle = {[BERTH_THROTTLE_WRITE_BPS] = 1},
    };
    _cleanup_free_ char *wbps = xasprintf("%s/blkio/u/berth-t1/%s", root, throttle[1]);
    assert_int_equal(unlink(wbps), 0);
    assert_int_equal(berth_cgroup_setup(cg, &only_throttle, 5, false, &e), -ENOENT);
    _cleanup_free_ char *want2 = xasprintf("cannot open '%s'", wbps);
    assert_string_equal(e->msg, want2);
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

/* An existing cgroup named by an absolute path is joined; a limit or a
 * device rule in it is refused, naming the field, and nothing is written. */
static void test_v1_join_absolute(void **state)
{
    char *root = make_v1_tree("berth-t1");
    struct berth_resources res = {.has_pids_limit = true, .pids_limit = 5};
    struct berth_device_rule rule = {true, 'c', 1, 3, "rwm"};
    struct berth_resources dev = {.devices = &rule, .n_devices = 1};
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V1, root, self_fake, "/u/berth-t1", 0);
    _cleanup_error_ struct berth_error *e = NULL;

    assert_int_equal(berth_cgroup_setup(cg, &res, 99, false, &e), -EINVAL);
    assert_non_null(strstr(e->msg, "cannot apply 'linux.resources.pids.limit' to cgroup"));
    assert_non_null(strstr(e->msg, "berth did not create it"));
    berth_error_clear(&e);
    assert_int_equal(berth_cgroup_setup(cg, &dev, 99, false, &e), -EINVAL);
    assert_non_null(strstr(e->msg, "'linux.resources.devices'"));
    berth_error_clear(&e);
    assert_v1(root, "pids", "cgroup.procs", "");
    assert_int_equal(berth_cgroup_setup(cg, NULL, 99, false, &e), 0);
    /* berth's default device policy stays out of a cgroup it did not make */
    assert_int_equal(berth_cgroup_set_devices(cg, &rule, 1, &e), 0);
    assert_v1(root, "devices", "devices.allow", "");
    assert_v1(root, "pids", "pids.max", "max");
    assert_v1(root, "pids", "cgroup.procs", "99");
    assert_v1(root, "cpuset", "cpuset.mems", ""); /* not berth's: not copied */
    assert_int_equal(berth_cgroup_destroy(cg, &e), 0);
    assert_true(exists(root, "pids/u/berth-t1/pids.max"));
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

/* ---- creation and removal (plain directories) ---- */

static void test_create_remove(void **state)
{
    char *root = make_tmpdir();
    _cleanup_error_ struct berth_error *e = NULL;
    mkdirs(root, "u/a/sibling");

    struct berth_cgroup *cg =
        berth_cgroup_new(BERTH_CGROUP_V2, root, "0::/u\n", "a/b/c", "x", 0, &e);
    assert_non_null(cg);
    int fd = berth_cgroup_prepare(cg, &e);
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
    assert_int_equal(cg->h[0].created, 2);
    assert_true(exists(root, "u/a/b/c"));
    /* prepared once: a second prepare keeps the count */
    fd = berth_cgroup_prepare(cg, &e);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cg->h[0].created, 2);
    /* the container made a child cgroup of its own */
    mkdirs(root, "u/a/b/c/inner");
    assert_int_equal(berth_cgroup_destroy(cg, &e), 0);
    assert_null(e);
    assert_false(exists(root, "u/a/b"));
    assert_true(exists(root, "u/a/sibling"));
    assert_int_equal(cg->h[0].created, 0);
    /* again: nothing left to do */
    assert_int_equal(berth_cgroup_destroy(cg, &e), 0);
    berth_cgroup_free(cg);

    /* a busy created parent is kept */
    cg = berth_cgroup_new(BERTH_CGROUP_V2, root, "0::/u\n", "p/q", "x", 0, &e);
    fd = berth_cgroup_prepare(cg, &e);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(cg->h[0].created, 2);
    mkdirs(root, "u/p/other");
    assert_int_equal(berth_cgroup_destroy(cg, &e), 0);
    assert_false(exists(root, "u/p/q"));
    assert_true(exists(root, "u/p/other"));
    /* a leftover relative cgroup is refused */
    mkdirs(root, "u/p/q");
    assert_int_equal(berth_cgroup_prepare(cg, &e), -EEXIST);
    _cleanup_free_ char *want = xasprintf("cgroup '%s/u/p/q' already exists", root);
    assert_string_equal(e->msg, want);
    berth_cgroup_free(cg);

    /* a level that cannot be made below one that was: the made one goes */
    char longname[300];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    _cleanup_free_ char *path = xasprintf("n/%s", longname);
    cg = berth_cgroup_new(BERTH_CGROUP_V2, root, "0::/u\n", path, "x", 0, &e);
    assert_non_null(cg);
    assert_int_equal(berth_cgroup_prepare(cg, &e), -ENAMETOOLONG);
    berth_error_clear(&e);
    assert_false(exists(root, "u/n"));
    assert_int_equal(cg->h[0].created, 0);
    berth_cgroup_free(cg);

    /* nothing is made above the root */
    cg = berth_cgroup_new(BERTH_CGROUP_V2, root, "0::/missing/deeper\n", "c", "x", 0, &e);
    _cleanup_free_ char *gone = xasprintf("%s-gone", root);
    free(cg->root);
    cg->root = xstrdup(gone);
    free(cg->h[0].dir);
    cg->h[0].dir = xasprintf("%s/a/b", gone);
    assert_int_equal(berth_cgroup_prepare(cg, &e), -ENOENT);
    _cleanup_free_ char *want_gone = xasprintf("cannot create cgroup '%s/a'", gone);
    assert_string_equal(e->msg, want_gone);
    berth_error_clear(&e);
    assert_false(exists(gone, ""));
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

/* ---- v2 driver on a fake tree ---- */

static char *make_v2_tree(const char *parent_ctrls)
{
    char *root = make_tmpdir();

    mkfiles(root, "u", "cgroup.subtree_control", parent_ctrls, NULL);
    mkfiles(root, "u/pod", "cgroup.subtree_control", "", NULL);
    mkfiles(root, "u/pod/ctr", "memory.max", "max\n", "memory.low", "0\n", "memory.swap.max",
            "max\n", "cpu.weight", "100\n", "cpu.max", "max 100000\n", "cpuset.cpus", "",
            "cpuset.mems", "", "pids.max", "max\n", "io.weight", "default 100\n", "cgroup.procs",
            "", "cgroup.freeze", "0\n", "cgroup.events", "populated 1\nfrozen 1\n", NULL);
    return root;
}

static void test_v2_setup(void **state)
{
    char *root = make_v2_tree("cpuset cpu io memory hugetlb pids\n");
    struct berth_resources res = {
        .has_mem_limit = true,
        .mem_limit = 1 << 20,
        .has_mem_swap = true,
        .mem_swap = 3 << 20,
        .has_mem_reservation = true,
        .mem_reservation = 256 << 10,
        .has_cpu_shares = true,
        .cpu_shares = 1024,
        .has_cpu_quota = true,
        .cpu_quota = 50000,
        .cpu_cpus = "0-1",
        .cpu_mems = "0",
        .has_pids_limit = true,
        .pids_limit = 100,
        .has_blkio_weight = true,
        .blkio_weight = 500,
    };
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V2, root, "0::/u\n", "pod/ctr", 2);
    _cleanup_error_ struct berth_error *e = NULL;

    assert_int_equal(berth_cgroup_setup(cg, &res, 4242, false, &e), 0);
    assert_null(e);
    assert_file(root, "u/pod/cgroup.subtree_control", "+memory +cpu +cpuset +pids +io");
    assert_file(root, "u/cgroup.subtree_control", "cpuset cpu io memory hugetlb pids");
    assert_file(root, "u/pod/ctr/memory.max", "1048576");
    assert_file(root, "u/pod/ctr/memory.low", "262144");
    assert_file(root, "u/pod/ctr/memory.swap.max", "2097152");
    assert_file(root, "u/pod/ctr/cpu.weight", "39");
    assert_file(root, "u/pod/ctr/cpu.max", "50000 100000");
    assert_file(root, "u/pod/ctr/cpuset.cpus", "0-1");
    assert_file(root, "u/pod/ctr/cpuset.mems", "0");
    assert_file(root, "u/pod/ctr/pids.max", "100");
    assert_file(root, "u/pod/ctr/io.weight", "default 4950");
    assert_file(root, "u/pod/ctr/cgroup.procs", "4242");
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

static void test_v2_setup_other_values(void **state)
{
    char *root = make_v2_tree("cpuset cpu io memory hugetlb pids\n");
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V2, root, "0::/u\n", "pod/ctr", 2);
    _cleanup_error_ struct berth_error *e = NULL;
    struct berth_resources res2 = {
        .has_mem_limit = true,
        .mem_limit = -1,
        .has_cpu_quota = true,
        .cpu_quota = -1,
        .has_cpu_period = true,
        .cpu_period = 20000,
        .has_pids_limit = true,
        .pids_limit = -1,
    };
    assert_int_equal(berth_cgroup_setup(cg, &res2, 1, false, &e), 0);
    assert_file(root, "u/pod/ctr/memory.max", "max");
    assert_file(root, "u/pod/ctr/cpu.max", "max 20000");
    assert_file(root, "u/pod/ctr/pids.max", "max");
    assert_file(root, "u/pod/cgroup.subtree_control", "+memory +cpu +pids");

    struct berth_resources bad_swap = {
        .has_mem_limit = true, .mem_limit = 300, .has_mem_swap = true, .mem_swap = 200};
    assert_int_equal(berth_cgroup_setup(cg, &bad_swap, 1, false, &e), -EINVAL);
    berth_error_clear(&e);

    assert_int_equal(berth_cgroup_freeze(cg, true, &e), 0);
    assert_file(root, "u/pod/ctr/cgroup.freeze", "1");
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

/* blockIO on v2: converted weights with per-device lines in io.weight, and
 * the four throttle lists merged into one io.max line per device. */
static void test_v2_io(void **state)
{
    char *root = make_v2_tree("io memory\n");
    struct berth_blkio_weight_device wdev[] = {{8, 0, 200, 0}, {8, 16, 0, 0}, {8, 32, 1000, 0}};
    struct berth_blkio_throttle rbps[] = {{8, 0, 1000}, {8, 16, 0}, {8, 0, 3000}};
    struct berth_blkio_throttle wbps[] = {{8, 0, 2000}};
    struct berth_blkio_throttle riops[] = {{8, 16, 10}};
    struct berth_blkio_throttle wiops[] = {{254, 0, 5}};
    struct berth_resources res = {
        .has_blkio_weight = true,
        .blkio_weight = 500,
        .blkio_weight_devices = wdev,
        .n_blkio_weight_devices = ARRAY_SIZE(wdev),
        .blkio_throttle = {rbps, wbps, riops, wiops},
        .n_blkio_throttle = {ARRAY_SIZE(rbps), ARRAY_SIZE(wbps), ARRAY_SIZE(riops),
                             ARRAY_SIZE(wiops)},
    };
    _cleanup_error_ struct berth_error *e = NULL;

    mkfiles(root, "u/pod/ctr", "io.max", "", NULL);
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V2, root, "0::/u\n", "pod/ctr", 2);
    /* leaf weights have no v2 counterpart: refused, not dropped */
    struct berth_resources leaf = {.has_blkio_leaf_weight = true, .blkio_leaf_weight = 100};
    assert_int_equal(berth_cgroup_setup(cg, &leaf, 9, false, &e), -EOPNOTSUPP);
    assert_non_null(strstr(e->msg, "'linux.resources.blockIO.leafWeight'"));
    berth_error_clear(&e);
    assert_int_equal(berth_cgroup_setup(cg, &res, 9, false, &e), 0);
    assert_null(e);
    assert_file(root, "u/pod/cgroup.subtree_control", "+io");
    /* one write per line; the fake file keeps them all */
    assert_file(root, "u/pod/ctr/io.weight", "default 49508:0 19208:32 10000");
    assert_file(root, "u/pod/ctr/io.max",
                "8:0 rbps=3000 wbps=2000"
                "8:16 rbps=max riops=10"
                "254:0 wiops=5");
    assert_file(root, "u/pod/ctr/cgroup.procs", "9");

    /* throttling alone needs the io controller, not a weight file */
    _cleanup_free_ char *iow = xasprintf("%s/u/pod/ctr/io.weight", root);
    assert_int_equal(unlink(iow), 0);
    struct berth_resources only_max = {.blkio_throttle = {[BERTH_THROTTLE_READ_IOPS] = riops},
                                       .n_blkio_throttle = {[BERTH_THROTTLE_READ_IOPS] = 1}};
    assert_int_equal(berth_cgroup_setup(cg, &only_max, 9, false, &e), 0);
    assert_file(root, "u/pod/cgroup.subtree_control", "+io");
    assert_file(root, "u/pod/ctr/io.max", "8:16 riops=10");

    /* BFQ's file takes v1's range */
    mkfiles(root, "u/pod/ctr", "io.bfq.weight", "", NULL);
    res.n_blkio_throttle[0] = res.n_blkio_throttle[1] = 0;
    res.n_blkio_throttle[2] = res.n_blkio_throttle[3] = 0;
    assert_int_equal(berth_cgroup_setup(cg, &res, 9, false, &e), 0);
    assert_file(root, "u/pod/ctr/io.bfq.weight", "5008:0 2008:32 1000");

    /* no weight file at all */
    _cleanup_free_ char *bfq = xasprintf("%s/u/pod/ctr/io.bfq.weight", root);
    assert_int_equal(unlink(bfq), 0);
    assert_int_equal(berth_cgroup_setup(cg, &res, 9, false, &e), -EOPNOTSUPP);
    assert_non_null(strstr(e->msg, "neither 'io.weight' nor 'io.bfq.weight' exists"));
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

static void test_v2_missing_controller(void **state)
{
    char *root = make_v2_tree("cpu memory\n");
    struct berth_resources res = {
        .has_mem_limit = true, .mem_limit = 1 << 20, .has_pids_limit = true, .pids_limit = 10};
    struct berth_cgroup *cg = fake_cgroup(BERTH_CGROUP_V2, root, "0::/u\n", "pod/ctr", 2);
    _cleanup_error_ struct berth_error *e = NULL;

    assert_int_equal(berth_cgroup_setup(cg, &res, 1, false, &e), -EOPNOTSUPP);
    _cleanup_free_ char *want =
        xasprintf("cgroup controller 'pids' is not enabled in '%s/u/cgroup.subtree_control'", root);
    assert_string_equal(e->msg, want);
    assert_file(root, "u/cgroup.subtree_control", "cpu memory");
    assert_file(root, "u/pod/cgroup.subtree_control", "");
    berth_cgroup_free(cg);
    remove_tmpdir(root);
}

int main(void)
{
    /* clang-format off */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_validate),
        cmocka_unit_test(test_new_v1_relative),
        cmocka_unit_test(test_new_v1_absolute),
        cmocka_unit_test(test_new_v1_comount_by_name),
        cmocka_unit_test(test_new_v2),
        cmocka_unit_test(test_new_invalid),
        cmocka_unit_test(test_json_roundtrip),
        cmocka_unit_test(test_json_invalid),
        cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_devices_prog),
        cmocka_unit_test(test_v1_setup),
        cmocka_unit_test(test_v1_setup_other_values),
        cmocka_unit_test(test_v1_setup_errors),
        cmocka_unit_test(test_v1_blkio),
        cmocka_unit_test(test_v1_join_absolute),
        cmocka_unit_test(test_create_remove),
        cmocka_unit_test(test_v2_setup),
        cmocka_unit_test(test_v2_setup_other_values),
        cmocka_unit_test(test_v2_io),
        cmocka_unit_test(test_v2_missing_controller),
    };
    /* clang-format on */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
