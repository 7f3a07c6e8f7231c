#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sha256.h"

static void hex(const uint8_t *b, char *out)
{
    for (int i = 0; i < BERTH_SHA256_LEN; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static void check(const char *msg, const char *want)
{
    uint8_t d[BERTH_SHA256_LEN];
    char got[2 * BERTH_SHA256_LEN + 1];

    berth_sha256(msg, strlen(msg), d);
    hex(d, got);
    assert_string_equal(got, want);
}

/* FIPS 180-2 appendix B and the NIST examples */
static void test_vectors(void **state)
{
    check("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* 55, 56 and 64 bytes: the padding's edge cases */
    check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    check("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

/* a million 'a's in uneven pieces: streaming equals one shot */
static void test_streaming(void **state)
{
    static char a[1000];
    struct berth_sha256 c;
    uint8_t d[BERTH_SHA256_LEN];
    char got[2 * BERTH_SHA256_LEN + 1];
    size_t left = 1000000, piece = 1;

    memset(a, 'a', sizeof(a));
    berth_sha256_init(&c);
    while (left > 0) {
        size_t n = piece < left ? piece : left;
        berth_sha256_update(&c, a, n);
        left -= n;
        piece = piece * 7 % 997 + 1;
    }
    berth_sha256_final(&c, d);
    hex(d, got);
    assert_string_equal(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_streaming),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
