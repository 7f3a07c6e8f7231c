#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "criu.h"
#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_find(void **state)
{
    char dir[] = "/tmp/berth-unit-criu-XXXXXX";
    struct berth_error *e = NULL;
    assert_non_null(mkdtemp(dir));
    char *exe = xasprintf("%s/criu", dir);
    int fd = open(exe, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    close(fd);

    char *path = xasprintf("/nonexistent:%s", dir);
    char *found = berth_criu_find(NULL, path, &e);
    assert_string_equal(found, exe);
    free(found);
    found = berth_criu_find("", path, &e); /* an empty BERTH_CRIU is unset */
    assert_string_equal(found, exe);
    free(found);
    found = berth_criu_find(exe, "", &e);
    assert_string_equal(found, exe);
    free(found);

    assert_null(berth_criu_find(NULL, "", &e));
    assert_int_equal(e->errnum, ENOENT);
    assert_non_null(strstr(e->msg, "no 'criu' on PATH ''"));
    berth_error_clear(&e);
    assert_null(berth_criu_find("/nonexistent", path, &e));
    assert_non_null(strstr(e->msg, "BERTH_CRIU='/nonexistent' is not an executable"));
    berth_error_clear(&e);

    unlink(exe);
    rmdir(dir);
    free(exe);
    free(path);
}

/* A failing run names the first real error of the log, past criu's
 * probing noise, and the log itself. */
static void test_run_failure(void **state)
{
    char log[] = "/tmp/berth-unit-criu-log-XXXXXX";
    struct berth_error *e = NULL;
    int fd = mkstemp(log);
    assert_true(fd >= 0);
    const char *text = "(00.1) Error (criu/util.c:627): execvp(\"iptables-save\", ...) failed\n"
                       "(00.2) Error (criu/util.c:642): exited, status=1\n"
                       "(00.3) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds\n"
                       "(00.4) Error (criu/cr-dump.c:2053): Dumping FAILED.\n";
    assert_true(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    char *argv[] = {"/bin/sh", "-c", "exit 1", NULL};
    struct berth_criu_spawn sp = {0};
    assert_int_equal(berth_criu_run(argv, &sp, "dump", log, &e), -EIO);
    assert_non_null(strstr(e->msg, "criu dump failed (status 1): vdso: Unexpected rt vDSO area "
                                   "bounds (log: /tmp/berth-unit-criu-log-"));
    berth_error_clear(&e);
    char *ok[] = {"/bin/sh", "-c", "exit 0", NULL};
    assert_int_equal(berth_criu_run(ok, &sp, "dump", log, &e), 0);
    assert_null(e);
    unlink(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_run_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
