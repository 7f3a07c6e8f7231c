#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "oci.h"
#include "seccomp-cache.h"
#include "seccomp-filter.h"
#include "seccomp-prog.h"

#define STRV(...) ((char *[]){__VA_ARGS__, NULL})

struct fixture {
    char root[64];
    char path[160]; /* the entry of the profile below */
    struct berth_seccomp s;
    struct berth_seccomp_rule rule;
    struct berth_seccomp_prog *compiled;
};

static char *names[] = {"mkdir", "mkdirat", NULL};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct berth_error *err = NULL;
    uint8_t key[32];

    snprintf(f->root, sizeof(f->root), "/tmp/berth-test-scache-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    f->rule = (struct berth_seccomp_rule){
        .names = names, .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = 42};
    f->s =
        (struct berth_seccomp){.default_action = "SCMP_ACT_ALLOW", .rules = &f->rule, .n_rules = 1};
    assert_int_equal(berth_seccomp_compile(&f->s, &f->compiled, &err), 0);
    assert_int_equal(berth_seccomp_key(&f->s, key, &err), 0);
    int n = snprintf(f->path, sizeof(f->path), "%s/%s/", f->root, BERTH_SECCOMP_CACHE_DIR);
    for (int i = 0; i < 32; i++)
        n += snprintf(f->path + n, sizeof(f->path) - (size_t)n, "%02x", key[i]);
    *state = f;
    return 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(p);
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    nftw(f->root, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    berth_seccomp_prog_free(f->compiled);
    free(f);
    return 0;
}

/* get, compared with a fresh compile */
static void get_matches(struct fixture *f, const char *root)
{
    struct berth_seccomp_prog *p = NULL;
    struct berth_error *err = NULL;

    assert_int_equal(berth_seccomp_cache_get(root, &f->s, &p, &err), 0);
    assert_null(err);
    assert_int_equal(p->n, f->compiled->n);
    assert_int_equal(p->flags, f->compiled->flags);
    assert_memory_equal(p->insns, f->compiled->insns, p->n * sizeof(*p->insns));
    berth_seccomp_prog_free(p);
}

static ino_t inode_of(const char *path, mode_t want_mode)
{
    struct stat st;

    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, want_mode);
    assert_int_equal(st.st_uid, geteuid());
    return st.st_ino;
}

static void test_fill_and_hit(void **state)
{
    struct fixture *f = *state;
    char dir[128];

    get_matches(f, f->root);
    snprintf(dir, sizeof(dir), "%s/%s", f->root, BERTH_SECCOMP_CACHE_DIR);
    inode_of(dir, 0700);
    ino_t ino = inode_of(f->path, 0600);
    get_matches(f, f->root);
    assert_int_equal(inode_of(f->path, 0600), ino); /* read, not rewritten */
}

/* Each damage is noticed: the program is compiled again and the entry
 * replaced (a new inode). */
static void test_damaged(void **state)
{
    struct fixture *f = *state;
    static const off_t offsets[] = {0, 8, 12, 24, 56, 88, 95};

    get_matches(f, f->root);
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        ino_t ino = inode_of(f->path, 0600);
        int fd = open(f->path, O_WRONLY | O_CLOEXEC);
        unsigned char c = 0xa5;
        assert_int_equal(pwrite(fd, &c, 1, offsets[i]), 1);
        close(fd);
        get_matches(f, f->root);
        if (inode_of(f->path, 0600) == ino)
            fail_msg("damage at offset %lld was not noticed", (long long)offsets[i]);
    }
    assert_int_equal(truncate(f->path, 88 + 8), 0);
    ino_t ino = inode_of(f->path, 0600);
    get_matches(f, f->root);
    assert_true(inode_of(f->path, 0600) != ino);
}

static void test_not_private(void **state)
{
    struct fixture *f = *state;

    get_matches(f, f->root);
    assert_int_equal(chmod(f->path, 0640), 0);
    get_matches(f, f->root);
    inode_of(f->path, 0600);
    /* a directory open to others is neither used nor repaired */
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/%s", f->root, BERTH_SECCOMP_CACHE_DIR);
    assert_int_equal(unlink(f->path), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    get_matches(f, f->root);
    assert_int_equal(access(f->path, F_OK), -1);
    inode_of(dir, 0755);
}

static void test_no_root(void **state)
{
    struct fixture *f = *state;
    char missing[128];

    get_matches(f, NULL);
    snprintf(missing, sizeof(missing), "%s/missing", f->root);
    get_matches(f, missing);
    assert_int_equal(access(missing, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fill_and_hit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_private, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_root, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
