/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of bounded buffers: growth, NUL termination, the hard maximum
 * (an error, never a truncation), printf, steal and release.
 */
#include "testutil.h"

#include <slipway/buf.h>

#include <stdlib.h>
#include <string.h>

static void
test_append_and_limit(void **state)
{
    struct sw_buf b = SW_BUF_INIT(10);
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    assert_int_equal(sw_buf_append(&b, "hello", 5, &err), 0);
    assert_int_equal(sw_buf_append_str(&b, "world", &err), 0);
    assert_int_equal(b.len, 10);
    assert_string_equal((char *)b.data, "helloworld");
    /* one byte past the maximum fails and leaves the content alone */
    assert_int_equal(sw_buf_append(&b, "!", 1, &err), -SW_E_LIMIT);
    assert_int_equal(err.code, SW_E_LIMIT);
    assert_int_equal(b.len, 10);
    assert_string_equal((char *)b.data, "helloworld");
    /* a huge length cannot wrap around */
    assert_int_equal(sw_buf_append(&b, "x", (size_t)-1, &err), -SW_E_LIMIT);
    sw_buf_release(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void
test_growth(void **state)
{
    struct sw_buf b = SW_BUF_INIT(0);
    char chunk[1000];
    (void)state;
    memset(chunk, 'a', sizeof(chunk));
    for (int i = 0; i < 100; i++)
        assert_int_equal(sw_buf_append(&b, chunk, sizeof(chunk), NULL), 0);
    assert_int_equal(b.len, 100000);
    assert_int_equal(b.data[b.len], '\0');
    assert_true(b.cap > b.len);
    sw_buf_release(&b);
}

static void
test_printf_steal(void **state)
{
    struct sw_buf b = SW_BUF_INIT(64);
    unsigned char *p;
    size_t n;
    (void)state;
    assert_int_equal(sw_buf_printf(&b, NULL, "%d-%s", 42, "x"), 0);
    p = sw_buf_steal(&b, &n);
    assert_int_equal(n, 4);
    assert_string_equal((char *)p, "42-x");
    assert_null(b.data);
    free(p);
    /* stealing an empty buffer gives an empty string */
    p = sw_buf_steal(&b, &n);
    assert_non_null(p);
    assert_int_equal(n, 0);
    assert_int_equal(p[0], '\0');
    free(p);
    assert_int_equal(sw_buf_printf(&b, NULL, "%0100d", 1), -SW_E_LIMIT);
    sw_buf_release(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_limit),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_printf_steal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
