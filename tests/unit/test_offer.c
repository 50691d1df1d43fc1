/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the offer policy: each reason a target is not offered,
 * rollout buckets against values computed independently with Python's
 * hashlib.blake2b, monotonic shares, canary, and malformed fields.
 */
#include "testutil.h"

#include <slipway/offer.h>

#include <stdio.h>
#include <string.h>

static const char DEV[] = "00112233445566778899aabbccddeeff";
#define NOW ((time_t)1800000000) /* 2027-01-15T08:00:00Z */

static struct sw_offer_device
device(void)
{
    struct sw_offer_device d = {DEV, "acme-gw", "stable", "1.0.0", "0.5.0", 0, NOW};
    return d;
}

static enum sw_offer_verdict
eval(const char *custom_json, const struct sw_offer_device *d, struct sw_offer *o)
{
    json_error_t je;
    json_t *c = custom_json ? json_loads(custom_json, 0, &je) : NULL;
    if (custom_json && !c)
        fail_msg("bad test JSON: %s", je.text);
    static char version[80];
    sw_offer_evaluate("app-1.0.tar", c, d, o);
    /* o->version borrows from c: keep a copy past the json_decref() */
    if (o->version) {
        snprintf(version, sizeof(version), "%s", o->version);
        o->version = version;
    }
    json_decref(c);
    return o->verdict;
}

static void
test_buckets_match_python(void **state)
{
    (void)state;
    /* hashlib.blake2b(dev, key=blake2b(salt, digest_size=32), digest_size=8), little-endian % 10000 */
    assert_int_equal(sw_offer_bucket("00112233445566778899aabbccddeeff", "app-1.0.tar"), 5335);
    assert_int_equal(sw_offer_bucket("ffeeddccbbaa99887766554433221100", "app-1.0.tar"), 3793);
    assert_int_equal(sw_offer_bucket("00112233445566778899aabbccddeeff", "other"), 1369);
}

static void
test_offered(void **state)
{
    struct sw_offer_device d = device();
    struct sw_offer o;
    (void)state;
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"1.1.0\",\"compatible\":[\"x\",\"acme-gw\"]}}", &d, &o),
        SW_OFFER_YES);
    assert_string_equal(o.version, "1.1.0");
    /* nothing installed: any version is newer */
    d.installed_version = NULL;
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"0.0.1\",\"compatible\":[\"acme-gw\"]}}", &d, &o),
        SW_OFFER_YES);
}

static void
test_reasons(void **state)
{
    struct sw_offer_device d = device();
    struct sw_offer o;
    (void)state;
    assert_int_equal(eval(NULL, &d, &o), SW_OFFER_NO_FIELDS);
    assert_int_equal(eval("{\"other\":1}", &d, &o), SW_OFFER_NO_FIELDS);
    assert_int_equal(eval("{\"slipway\":{\"compatible\":[\"acme-gw\"]}}", &d, &o),
                     SW_OFFER_NO_FIELDS);
    assert_non_null(strstr(o.reason, "version"));
    /* a single string is a list of one (as the shared vectors write it) */
    assert_int_equal(eval("{\"slipway\":{\"version\":\"1.2\",\"compatible\":\"acme-gw\"}}", &d, &o),
                     SW_OFFER_YES);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"1.2\",\"compatible\":\"other\"}}", &d, &o),
                     SW_OFFER_INCOMPATIBLE);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"1.2\",\"compatible\":[]}}", &d, &o),
                     SW_OFFER_NO_FIELDS);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"1.2\",\"compatible\":7}}", &d, &o),
                     SW_OFFER_NO_FIELDS);
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"1.2\",\"compatible\":[\"other-gw\"]}}", &d, &o),
        SW_OFFER_INCOMPATIBLE);
    assert_non_null(strstr(o.reason, "'other-gw'"));
    assert_non_null(strstr(o.reason, "'acme-gw'"));
    assert_int_equal(eval("{\"slipway\":{\"version\":\"1.2\",\"compatible\":[\"acme-gw\"],"
                          "\"channels\":[\"beta\"]}}",
                          &d, &o),
                     SW_OFFER_CHANNEL);
    assert_non_null(strstr(o.reason, "'stable'"));
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"1.0.0\",\"compatible\":[\"acme-gw\"]}}", &d, &o),
        SW_OFFER_NOT_NEWER);
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"0.9\",\"compatible\":[\"acme-gw\"]}}", &d, &o),
        SW_OFFER_NOT_NEWER);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"min_client\":\"0.6.0\"}}",
                          &d, &o),
                     SW_OFFER_CLIENT_TOO_OLD);
    assert_non_null(strstr(o.reason, "0.6.0"));
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"min_client\":\"0.5.0\"}}",
                          &d, &o),
                     SW_OFFER_YES);
    d.compatible = NULL;
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"]}}", &d, &o),
        SW_OFFER_INCOMPATIBLE);
    assert_non_null(strstr(o.reason, "no 'compatible'"));
}

static void
test_rollout(void **state)
{
    struct sw_offer_device d = device();
    struct sw_offer o;
    (void)state;
    /* this device's bucket for "app-1.0.tar" is 5335: in at 54 %, out at 53 % */
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":53}}}",
                          &d, &o),
                     SW_OFFER_ROLLOUT);
    assert_int_equal(o.bucket, 5335);
    assert_int_equal(o.share, 5300);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":54}}}",
                          &d, &o),
                     SW_OFFER_YES);
    /* raising the share keeps it in */
    for (int p = 54; p <= 100; p++) {
        char js[200];
        snprintf(js, sizeof(js),
                 "{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                 "\"rollout\":{\"percent\":%d}}}",
                 p);
        assert_int_equal(eval(js, &d, &o), SW_OFFER_YES);
    }
    /* an explicit salt changes the bucket (1369 for "other") */
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":14,\"salt\":\"other\"}}}",
                          &d, &o),
                     SW_OFFER_YES);
    assert_int_equal(o.bucket, 1369);
    /* 0 % offers nothing, not even to a canary; a canary is first otherwise */
    d.canary = 1;
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":0}}}",
                          &d, &o),
                     SW_OFFER_ROLLOUT);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":1}}}",
                          &d, &o),
                     SW_OFFER_YES);
    /* malformed rollouts */
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":101}}}",
                          &d, &o),
                     SW_OFFER_NO_FIELDS);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":\"50\"}}}",
                          &d, &o),
                     SW_OFFER_NO_FIELDS);
}

/* Values from metadata in a reason are escaped, and a cut reason is still valid UTF-8. */
static void
test_reason_untrusted_values(void **state)
{
    struct sw_offer_device d = device();
    struct sw_offer o;
    char json[1024];
    (void)state;
    assert_int_equal(eval("{\"slipway\":{\"version\":\"1.1.0\",\"compatible\":"
                          "[\"\\u001b]0;owned\\u0007\", \"\\u009b2J\\r\"]}}",
                          &d, &o),
                     SW_OFFER_INCOMPATIBLE);
    assert_string_equal(o.reason,
                        "for '\\x1b]0;owned\\x07', '\\xc2\\x9b2J\\x0d', not for 'acme-gw'");
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"1.1.0\",\"compatible\":\"\\u001b[2J\"}}", &d, &o),
        SW_OFFER_INCOMPATIBLE);
    assert_string_equal(o.reason, "for '\\x1b[2J', not for 'acme-gw'");
    /* a long list of two-byte characters: cut, never inside a character */
    strcpy(json, "{\"slipway\":{\"version\":\"1.1.0\",\"compatible\":[\"");
    for (int i = 0; i < 150; i++)
        strcat(json, "\xc3\xa9");
    strcat(json, "\"]}}");
    assert_int_equal(eval(json, &d, &o), SW_OFFER_INCOMPATIBLE);
    assert_true(strlen(o.reason) > 100);
    {
        json_t *j = json_string(o.reason); /* NULL for invalid UTF-8 */
        assert_non_null(j);
        json_decref(j);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets_match_python),
        cmocka_unit_test(test_offered),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_reason_untrusted_values),
        cmocka_unit_test(test_rollout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
