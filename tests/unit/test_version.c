/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of version checking and ordering: the precedence examples of
 * the Semantic Versioning 2.0.0 specification (section 11), more release
 * fields, build metadata ignored, and malformed versions refused.
 */
#include "testutil.h"

#include <slipway/version.h>

static void
test_semver_spec_order(void **state)
{
    /* semver.org 2.0.0, item 11: each is lower than the next */
    static const char *order[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                  "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                  "1.0.0-rc.1",  "1.0.0",         "2.0.0",
                                  "2.1.0",       "2.1.1"};
    size_t n = sizeof(order) / sizeof(order[0]);
    (void)state;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(sw_version_check(order[i], NULL), 0);
        assert_int_equal(sw_version_cmp(order[i], order[i]), 0);
        for (size_t j = i + 1; j < n; j++) {
            if (sw_version_cmp(order[i], order[j]) >= 0)
                fail_msg("%s should be below %s", order[i], order[j]);
            if (sw_version_cmp(order[j], order[i]) <= 0)
                fail_msg("%s should be above %s", order[j], order[i]);
        }
    }
}

static void
test_release_fields(void **state)
{
    (void)state;
    assert_true(sw_version_cmp("1.10", "1.9") > 0);
    assert_true(sw_version_cmp("1.0", "1.0.0") == 0);
    assert_true(sw_version_cmp("1.0.1", "1.0") > 0);
    assert_true(sw_version_cmp("2024.11.0.4", "2024.11.0.3") > 0);
    assert_true(sw_version_cmp("10", "9.99.99") > 0);
    assert_true(sw_version_cmp("1.0.0+build.5", "1.0.0+build.7") == 0);
    assert_true(sw_version_cmp("1.0.0-rc.1+b", "1.0.0") < 0);
    assert_true(sw_version_cmp("123456789012345678", "123456789012345677") > 0);
}

static void
test_bad_versions(void **state)
{
    static const char *bad[] = {
        "",
        "v1.0",
        "1..0",
        "1.0.",
        ".1",
        "1.01",
        "1.0-",
        "1.0-a..b",
        "1.0+",
        "1.0 rc",
        "1.0-rc_1",
        "01",
        "1234567890123456789",
        "1.0-01",
        "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.25.26"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sw_error err = SW_ERROR_INIT;
        if (sw_version_check(bad[i], &err) != -SW_E_INVAL)
            fail_msg("accepted '%s'", bad[i]);
        assert_true(err.msg[0] != '\0');
    }
    assert_int_equal(sw_version_check("0.1.0", NULL), 0);
    assert_int_equal(sw_version_check("1.0.0-0.3.7", NULL), 0);
    assert_int_equal(sw_version_check("1.0.0-x-y-z.--", NULL), 0);
    assert_int_equal(sw_version_check("1.0.0+20130313144700", NULL), 0);
    assert_int_equal(sw_version_check("1.0.0+001", NULL), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_semver_spec_order),
        cmocka_unit_test(test_release_fields),
        cmocka_unit_test(test_bad_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
