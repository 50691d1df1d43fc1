/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of error reporting: codes returned negated, messages set and
 * prefixed (and truncated safely), names and texts of every code.
 */
#include "testutil.h"

#include <slipway/error.h>

#include <errno.h>
#include <string.h>

static void
test_set_and_prefix(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    assert_int_equal(sw_error_set(&err, SW_E_CONFIG, "bad key '%s'", "x"), -SW_E_CONFIG);
    assert_int_equal(err.code, SW_E_CONFIG);
    assert_string_equal(err.msg, "bad key 'x'");
    assert_int_equal(sw_error_prefix(&err, "file '%s': ", "a.conf"), -SW_E_CONFIG);
    assert_string_equal(err.msg, "file 'a.conf': bad key 'x'");
    /* a negative code is taken as its magnitude */
    assert_int_equal(sw_error_set(&err, -SW_E_IO, "x"), -SW_E_IO);
    assert_int_equal(err.code, SW_E_IO);
    /* NULL err is allowed */
    assert_int_equal(sw_error_set(NULL, SW_E_IO, "x"), -SW_E_IO);
    sw_error_clear(&err);
    assert_int_equal(err.code, 0);
    assert_string_equal(err.msg, "");
}

static void
test_errno(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    assert_int_equal(sw_error_errno(&err, SW_E_IO, ENOENT, "cannot open '%s'", "f"), -SW_E_IO);
    assert_string_equal(err.msg, "cannot open 'f': No such file or directory");
}

static void
test_long_prefix_truncates(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    char big[3000];
    (void)state;
    memset(big, 'p', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    sw_error_set(&err, SW_E_IO, "tail");
    sw_error_prefix(&err, "%s", big);
    assert_int_equal(strlen(err.msg), SW_ERROR_MSG_MAX - 1);
    /* prefixing an unset error still yields a code */
    sw_error_clear(&err);
    assert_int_equal(sw_error_prefix(&err, "x: "), -SW_E_INTERNAL);
}

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(sw_errcode_name(SW_E_STORE_NEWER), "SW_E_STORE_NEWER");
    assert_string_equal(sw_errcode_name(-SW_E_FETCH_PIN), "SW_E_FETCH_PIN");
    assert_string_equal(sw_errcode_name(9999), "SW_E_UNKNOWN");
    assert_string_equal(sw_strerror(9999), "unknown error");
    /* every code in the enum has a name that matches it */
    for (int c = 0; c < 1000; c++) {
        const char *n = sw_errcode_name(c);
        if (strcmp(n, "SW_E_UNKNOWN") == 0)
            continue;
        assert_true(strncmp(n, "SW_", 3) == 0);
        assert_string_not_equal(sw_strerror(c), "unknown error");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_and_prefix),
        cmocka_unit_test(test_errno),
        cmocka_unit_test(test_long_prefix_truncates),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
