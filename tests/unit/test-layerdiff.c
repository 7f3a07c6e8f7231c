/* berth build's layers (src/daemon/layerdiff.c): the tar of a tree is
 * deterministic and sorted, hard links stay links, skipped paths and the
 * dirs that only held them are left out, whiteouts become OCI ones, and
 * the cache's digest sees contents and modes but not times. */
#include "layerdiff.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

static char root[64];
static int rootfd = -1;

static void put(const char *path, const char *text)
{
    _cleanup_close_ int fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

static int setup(void **state)
{
    snprintf(root, sizeof(root), "/tmp/test-layerdiff-XXXXXX");
    assert_non_null(mkdtemp(root));
    rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal(mkdirat(rootfd, "etc", 0755), 0);
    assert_int_equal(mkdirat(rootfd, "b", 0755), 0);
    put("etc/hosts", "");
    put("b/f", "data\n");
    assert_int_equal(linkat(rootfd, "b/f", rootfd, "c", 0), 0);
    assert_int_equal(symlinkat("b/f", rootfd, "a-link"), 0);
    return 0;
}

static int teardown(void **state)
{
    close(rootfd);
    rm_rf_at(AT_FDCWD, root, NULL);
    return 0;
}

/* The tar's entries as "name[>link]" lines. */
static char *listing(int fd)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    char *out = xstrdup("");
    archive_read_support_format_tar(a);
    lseek(fd, 0, SEEK_SET);
    assert_int_equal(archive_read_open_fd(a, fd, 4096), ARCHIVE_OK);
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *l =
            archive_entry_hardlink(e) ? archive_entry_hardlink(e) : archive_entry_symlink(e);
        char *n = xasprintf("%s%s%s%s\n", out, archive_entry_pathname(e), l ? ">" : "", l ? l : "");
        free(out);
        out = n;
    }
    archive_read_free(a);
    return out;
}

static char *tar_of(unsigned flags, const char *const *skip, char hex[65])
{
    _cleanup_close_ int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    struct berth_error *err = NULL;
    assert_int_equal(layerdiff_tar(rootfd, flags, skip, fd, hex, &err), 0);
    return listing(fd);
}

static void test_sorted_and_deterministic(void **state)
{
    char h1[65], h2[65];
    _cleanup_free_ char *l1 = tar_of(0, NULL, h1), *l2 = tar_of(0, NULL, h2);
    assert_string_equal(l1, "a-link>b/f\nb/\nb/f\nc>b/f\netc/\netc/hosts\n");
    assert_string_equal(h1, h2);
}

static void test_skip_drops_dirs_held_only_for_it(void **state)
{
    static const char *const skip[] = {"etc/hosts", NULL};
    char hex[65];
    _cleanup_free_ char *l = tar_of(LAYERDIFF_OVERLAY, skip, hex);
    assert_string_equal(l, "a-link>b/f\nb/\nb/f\nc>b/f\n");
}

static void test_whiteouts(void **state)
{
    if (mknodat(rootfd, "gone", S_IFCHR | 0, makedev(0, 0)) < 0) {
        assert_int_equal(errno, EPERM);
        skip();
    }
    char hex[65];
    _cleanup_free_ char *l = tar_of(LAYERDIFF_OVERLAY, NULL, hex);
    unlinkat(rootfd, "gone", 0);
    assert_non_null(strstr(l, "\n.wh.gone\n"));
    /* without LAYERDIFF_OVERLAY a device node is refused */
    assert_int_equal(mknodat(rootfd, "gone", S_IFCHR | 0, makedev(0, 0)), 0);
    _cleanup_close_ int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    struct berth_error *err = NULL;
    assert_int_equal(layerdiff_tar(rootfd, 0, NULL, fd, hex, &err), -EINVAL);
    assert_non_null(strstr(err->msg, "'/gone' is a device node"));
    berth_error_clear(&err);
    unlinkat(rootfd, "gone", 0);
}

static void test_hash_sees_content_and_mode_not_time(void **state)
{
    char h1[65], h2[65], h3[65], h4[65];
    struct berth_error *err = NULL;
    assert_int_equal(layerdiff_hash(rootfd, h1, &err), 0);
    struct timespec t[2] = {{.tv_sec = 1000}, {.tv_sec = 1000}};
    assert_int_equal(utimensat(rootfd, "b/f", t, AT_SYMLINK_NOFOLLOW), 0);
    assert_int_equal(layerdiff_hash(rootfd, h2, &err), 0);
    assert_string_equal(h1, h2);
    assert_int_equal(fchmodat(rootfd, "b/f", 0600, 0), 0);
    assert_int_equal(layerdiff_hash(rootfd, h3, &err), 0);
    assert_string_not_equal(h1, h3);
    put("b/f", "other\n");
    assert_int_equal(layerdiff_hash(rootfd, h4, &err), 0);
    assert_string_not_equal(h3, h4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sorted_and_deterministic),
        cmocka_unit_test(test_skip_drops_dirs_held_only_for_it),
        cmocka_unit_test(test_whiteouts),
        cmocka_unit_test(test_hash_sees_content_and_mode_not_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
