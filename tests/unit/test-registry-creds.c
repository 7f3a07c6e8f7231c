/* Docker's X-Registry-Auth header as berthd decodes it
 * (src/engine-common/registry-client.c): what the docker CLI and berth
 * send (base64url JSON, with or without padding), standard base64, an
 * empty header; anything else refused with the header's name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "error.h"
#include "registry.h"

static int decode(const char *header, struct registry_creds *c)
{
    struct berth_error *err = NULL;
    int r = registry_creds_decode(header, c, &err);
    if (r < 0) {
        assert_non_null(err);
        assert_non_null(strstr(err->msg, "X-Registry-Auth"));
        assert_null(c->username);
    }
    berth_error_clear(&err);
    return r;
}

static void test_url_alphabet(void **state)
{
    (void)state;
    struct registry_creds c;
    /* {"username":"u?>","password":"p~~~","serveraddress":"h"}: '-' and '_' */
    const char *h = "eyJ1c2VybmFtZSI6InU_PiIsInBhc3N3b3JkIjoicH5-fiIsInNlcnZlcmFkZHJlc3MiOiJoIn0";
    assert_int_equal(decode(h, &c), 0);
    assert_string_equal(c.username, "u?>");
    assert_string_equal(c.password, "p~~~");
    assert_null(c.token);
    registry_creds_free(&c);
    /* the same in the standard alphabet, padded */
    const char *s = "eyJ1c2VybmFtZSI6InU/PiIsInBhc3N3b3JkIjoicH5+fiIsInNlcnZlcmFkZHJlc3MiOiJoIn0=";
    assert_int_equal(decode(s, &c), 0);
    assert_string_equal(c.username, "u?>");
    registry_creds_free(&c);
}

static void test_anonymous(void **state)
{
    (void)state;
    struct registry_creds c;
    assert_int_equal(decode(NULL, &c), 0);
    assert_null(c.username);
    assert_int_equal(decode("", &c), 0);
    assert_int_equal(decode("e30=", &c), 0); /* {} */
    assert_null(c.username);
    /* {"username":"","registrytoken":"t"} */
    assert_int_equal(decode("eyJ1c2VybmFtZSI6IiIsInJlZ2lzdHJ5dG9rZW4iOiJ0In0", &c), 0);
    assert_null(c.username);
    assert_string_equal(c.token, "t");
    registry_creds_free(&c);
}

static void test_refused(void **state)
{
    (void)state;
    struct registry_creds c;
    assert_int_equal(decode("not base64!", &c), -EINVAL);
    assert_int_equal(decode("WzFd", &c), -EINVAL); /* [1]: no object */
    assert_int_equal(decode("eyJ1", &c), -EINVAL); /* cut JSON */
    assert_int_equal(decode("e", &c), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_alphabet),
        cmocka_unit_test(test_anonymous),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
