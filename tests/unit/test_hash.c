/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of hashing and hex: the FIPS 180-2 published digests of "abc"
 * and of the 448-bit message, streaming equal to one-shot, and hex decoding
 * of bad input.
 */
#include "testutil.h"

#include <slipway/hash.h>

#include <string.h>

/* FIPS 180-2, appendix B and C */
static const char abc256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char abc512[] = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                             "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
static const char msg448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char msg448_256[] = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

static void
test_known_digests(void **state)
{
    char hex[SW_HASH_MAX_HEX];
    (void)state;
    assert_int_equal(sw_hash_buf_hex(SW_HASH_SHA256, "abc", 3, hex, NULL), 0);
    assert_string_equal(hex, abc256);
    assert_int_equal(sw_hash_buf_hex(SW_HASH_SHA512, "abc", 3, hex, NULL), 0);
    assert_string_equal(hex, abc512);
    assert_int_equal(sw_hash_buf_hex(SW_HASH_SHA256, msg448, strlen(msg448), hex, NULL), 0);
    assert_string_equal(hex, msg448_256);
}

static void
test_streaming(void **state)
{
    struct sw_hash *h = NULL;
    unsigned char d[SW_HASH_MAX_LEN];
    char hex[SW_HASH_MAX_HEX];
    (void)state;
    assert_int_equal(sw_hash_new(SW_HASH_SHA256, &h, NULL), 0);
    for (size_t i = 0; i < strlen(msg448); i += 5)
        assert_int_equal(
            sw_hash_update(h, msg448 + i, strlen(msg448 + i) < 5 ? strlen(msg448 + i) : 5, NULL),
            0);
    assert_int_equal(sw_hash_final(h, d, NULL), 0);
    sw_hash_free(h);
    sw_hex_encode(d, 32, hex);
    assert_string_equal(hex, msg448_256);
    sw_hash_free(NULL);
}

static void
test_names(void **state)
{
    enum sw_hash_alg a;
    (void)state;
    assert_int_equal(sw_hash_alg_from_string("sha512", &a), 0);
    assert_int_equal(a, SW_HASH_SHA512);
    assert_string_equal(sw_hash_alg_to_string(a), "sha512");
    assert_int_equal(sw_hash_len(a), 64);
    assert_int_equal(sw_hash_alg_from_string("sha256", &a), 0);
    assert_int_equal(sw_hash_len(a), 32);
    assert_int_equal(sw_hash_alg_from_string("md5", &a), -SW_E_UNSUPPORTED);
    assert_int_equal(sw_hash_alg_from_string("SHA256", &a), -SW_E_UNSUPPORTED);
    assert_int_equal(sw_hash_alg_from_string("", &a), -SW_E_UNSUPPORTED);
}

static void
test_hex(void **state)
{
    unsigned char out[4];
    size_t n;
    (void)state;
    assert_int_equal(sw_hex_decode("00fFa1", out, sizeof(out), &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(out[2], 0xa1);
    assert_int_equal(sw_hex_decode("abc", out, sizeof(out), &n), -SW_E_INVAL);
    assert_int_equal(sw_hex_decode("zz", out, sizeof(out), &n), -SW_E_INVAL);
    assert_int_equal(sw_hex_decode("0011223344", out, sizeof(out), &n), -SW_E_INVAL);
    assert_int_equal(sw_hex_decode("", out, sizeof(out), &n), 0);
    assert_int_equal(n, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_digests),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
