/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of pins: a public key and a certificate in PEM give the pin
 * openssl's command line computes (the expected values were made with
 * `openssl pkey -pubin -outform der | openssl dgst -sha256 -binary |
 * base64`), and what is not a certificate or public key is refused.
 */
#include "testutil.h"

#include <slipway/pin.h>

#include <string.h>

static const char ed_pub[] = "-----BEGIN PUBLIC KEY-----\n"
                             "MCowBQYDK2VwAyEAg/fDVtYw1voLn0IbtQW46IVLlBlFgfv7fQbKMHEma7w=\n"
                             "-----END PUBLIC KEY-----\n";
static const char ed_pin[] = "sha256//H6bEOIdz6b2JG++yIkquivKOhnRe8TRuvY6qaAWRxUg=";

static void
test_public_key(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    char pin[SW_PIN_SIZE];
    (void)state;
    assert_int_equal(sw_pin_from_pem(ed_pub, strlen(ed_pub), pin, &err), 0);
    assert_string_equal(pin, ed_pin);
}

static void
test_refused(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    char pin[SW_PIN_SIZE];
    char cut[sizeof(ed_pub)];
    (void)state;
    assert_int_equal(sw_pin_from_pem("junk", 4, pin, &err), -SW_E_INVAL);
    assert_non_null(strstr(err.msg, "no PEM certificate"));
    assert_int_equal(sw_pin_from_pem("", 0, pin, &err), -SW_E_INVAL);
    /* a truncated key is not a key */
    memcpy(cut, ed_pub, sizeof(ed_pub));
    cut[40] = '\0';
    assert_int_equal(sw_pin_from_pem(cut, strlen(cut), pin, &err), -SW_E_INVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_key),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
