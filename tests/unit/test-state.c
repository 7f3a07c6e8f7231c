#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_ids(void **state)
{
    const char *good[] = {"a", "web-1", "x.y_z+1", "0abc"};
    const char *bad[] = {"", "-a", ".hidden", "a/b", "..", "a b", "ü"};
    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        assert_int_equal(berth_state_validate_id(good[i], NULL), 0);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct berth_error *e = NULL;
        assert_int_equal(berth_state_validate_id(bad[i], &e), -22);
        assert_non_null(strstr(e->msg, "invalid container id"));
        berth_error_clear(&e);
    }
    char long_id[200];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    assert_int_equal(berth_state_validate_id(long_id, NULL), -22);
}

static void test_roundtrip_and_list(void **state)
{
    char root[] = "/tmp/berth-unit-state-XXXXXX";
    struct berth_error *e = NULL;
    assert_non_null(mkdtemp(root));
    int fd = berth_state_create(root, "c1", &e);
    assert_true(fd >= 0);
    struct berth_state s = {.id = "c1",
                            .phase = BERTH_PHASE_CREATED,
                            .owner = 42,
                            .pid = getpid(),
                            .bundle = "/b",
                            .rootfs = "/b/rootfs",
                            .created = "2026-01-01T00:00:00Z",
                            .oci_version = "1.0.2",
                            .annotations_json = "{\"k\":\"v\"}",
                            .has_pidns = true};
    s.pid_start = proc_start_time(s.pid);
    assert_int_equal(berth_state_write(fd, &s, &e), 0);
    struct berth_state *r = NULL;
    assert_int_equal(berth_state_read(fd, &r, &e), 0);
    assert_string_equal(r->id, "c1");
    assert_int_equal(r->pid, getpid());
    assert_int_equal(r->owner, 42);
    assert_int_equal(r->phase, BERTH_PHASE_CREATED);
    assert_true(r->has_pidns);
    assert_int_equal(berth_state_status(fd, r, false), BERTH_STATUS_RUNNING);
    r->pid_start++; /* a recycled pid must not look alive */
    assert_int_equal(berth_state_status(fd, r, false), BERTH_STATUS_STOPPED);
    /* a record still "creating": creating while locked, stopped once not */
    r->phase = BERTH_PHASE_CREATING;
    assert_int_equal(berth_state_status(fd, r, true), BERTH_STATUS_CREATING);
    assert_int_equal(berth_state_status(fd, r, false), BERTH_STATUS_STOPPED);
    assert_int_equal(berth_state_status(fd, NULL, true), BERTH_STATUS_CREATING);
    berth_state_free(r);
    /* readers do not wait for the lock create holds */
    bool busy = false;
    int rfd = berth_state_open(root, "c1", BERTH_LOCK_READ, &busy, &e);
    assert_true(rfd >= 0);
    assert_true(busy);
    close(rfd);
    int wfd = berth_state_open(root, "c1", BERTH_LOCK_TRY_WRITE, &busy, &e);
    assert_true(wfd >= 0 && busy);
    assert_int_equal(berth_state_lock_wait(wfd, "c1", 20000, &e), -EBUSY);
    berth_error_clear(&e);
    close(fd);
    assert_int_equal(berth_state_lock_wait(wfd, "c1", 20000, &e), 0);
    close(wfd);
    assert_true(berth_state_create(root, "c1", &e) == -17);
    assert_non_null(strstr(e->msg, "already exists"));
    berth_error_clear(&e);
    char **ids = NULL;
    assert_int_equal(berth_state_list(root, &ids, &e), 0);
    assert_string_equal(ids[0], "c1");
    assert_null(ids[1]);
    free(ids[0]);
    free(ids);
    assert_int_equal(berth_state_remove(root, "c1", &e), 0);
    assert_int_equal(berth_state_open(root, "c1", BERTH_LOCK_WRITE, NULL, &e), -2);
    assert_non_null(strstr(e->msg, "does not exist"));
    berth_error_clear(&e);
    rmdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_roundtrip_and_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
