/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the probes: MQTT remaining-length encoding against the
 * table of MQTT 3.1.1 section 2.2.3, CONNECT bytes laid out by hand from
 * sections 3.1.1-3.1.3, CONNACK checks (section 3.2) including every named
 * refusal, and a TCP probe of a listening and a closed loopback port.
 * The servers (nginx, mosquitto, fakes) are in t0833-probe.sh.
 */
#include "testutil.h"

#include <slipway/probe.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
test_varint(void **state)
{
    /* MQTT 3.1.1 table 2.4, and the worked example 321 = 0xC1 0x02 */
    static const struct {
        uint32_t v;
        size_t n;
        uint8_t b[4];
    } t[] = {
        {0, 1, {0x00}},
        {127, 1, {0x7f}},
        {128, 2, {0x80, 0x01}},
        {321, 2, {0xc1, 0x02}},
        {16383, 2, {0xff, 0x7f}},
        {16384, 3, {0x80, 0x80, 0x01}},
        {2097151, 3, {0xff, 0xff, 0x7f}},
        {2097152, 4, {0x80, 0x80, 0x80, 0x01}},
        {268435455, 4, {0xff, 0xff, 0xff, 0x7f}},
    };
    uint8_t out[4];
    (void)state;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_int_equal(sw_probe_mqtt_varint(t[i].v, out), t[i].n);
        assert_memory_equal(out, t[i].b, t[i].n);
    }
    assert_int_equal(sw_probe_mqtt_varint(268435456, out), 0);
}

static void
test_connect_anonymous(void **state)
{
    /* fixed header 0x10, remaining length 27; "MQTT", level 4, flags clean
     * session (0x02), keep-alive 30; payload: client id with its length */
    static const uint8_t want[] = {0x10, 0x1b, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                                   0x00, 0x1e, 0x00, 0x0f, 's', 'l', 'i', 'p', 'w',  'a',
                                   'y',  '-',  'p',  'r',  'o', 'b', 'e', '-', '1'};
    struct sw_probe_mqtt m = {"slipway-probe-1", NULL, NULL, 0};
    struct sw_error err = SW_ERROR_INIT;
    uint8_t buf[64];
    size_t len = 0;
    (void)state;
    assert_int_equal(sw_probe_mqtt_connect_encode(&m, 30, buf, sizeof(buf), &len, &err), 0);
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    /* one byte short of room is refused, not truncated */
    assert_int_equal(sw_probe_mqtt_connect_encode(&m, 30, buf, sizeof(want) - 1, &len, &err),
                     -SW_E_LIMIT);
}

static void
test_connect_user_password(void **state)
{
    /* flags: user name 0x80 | password 0x40 | clean session 0x02 = 0xC2;
     * keep-alive 10 (0x00 0x0A) as in the spec's figure 3.6 */
    static const uint8_t want[] = {0x10, 0x15, 0x00, 0x04, 'M',  'Q',  'T', 'T',
                                   0x04, 0xc2, 0x00, 0x0a, 0x00, 0x01, 'c', 0x00,
                                   0x02, 'u',  's',  0x00, 0x02, 0x00, 'p'};
    static const uint8_t pw[] = {0x00, 'p'}; /* binary data: a NUL is allowed */
    struct sw_probe_mqtt m = {"c", "us", pw, sizeof(pw)};
    struct sw_error err = SW_ERROR_INIT;
    uint8_t buf[64];
    size_t len = 0;
    (void)state;
    assert_int_equal(sw_probe_mqtt_connect_encode(&m, 10, buf, sizeof(buf), &len, &err), 0);
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    /* a password without a user name is not allowed (3.1.2.9) */
    m.username = NULL;
    assert_int_equal(sw_probe_mqtt_connect_encode(&m, 10, buf, sizeof(buf), &len, &err),
                     -SW_E_INVAL);
    assert_non_null(strstr(err.msg, "needs a user name"));
}

static void
test_connect_long_id(void **state)
{
    char id[201];
    char *huge = malloc(SW_PROBE_MAX_MQTT_FIELD + 2);
    struct sw_probe_mqtt m = {id, NULL, NULL, 0};
    struct sw_error err = SW_ERROR_INIT;
    static uint8_t buf[300];
    size_t len = 0;
    (void)state;
    memset(id, 'x', 200);
    id[200] = '\0';
    assert_int_equal(sw_probe_mqtt_connect_encode(&m, 30, buf, sizeof(buf), &len, &err), 0);
    /* remaining length 10 + 2 + 200 = 212 = 0xD4 0x01 */
    assert_int_equal(buf[1], 0xd4);
    assert_int_equal(buf[2], 0x01);
    assert_int_equal(len, 1 + 2 + 212);
    assert_int_equal(buf[13], 0x00);
    assert_int_equal(buf[14], 200);
    assert_non_null(huge);
    memset(huge, 'y', SW_PROBE_MAX_MQTT_FIELD + 1);
    huge[SW_PROBE_MAX_MQTT_FIELD + 1] = '\0';
    m.client_id = huge;
    assert_int_equal(sw_probe_mqtt_connect_encode(&m, 30, buf, sizeof(buf), &len, &err),
                     -SW_E_INVAL);
    assert_non_null(strstr(err.msg, "client id"));
    free(huge);
}

static void
test_connack(void **state)
{
    static const char *const names[] = {NULL,
                                        "unacceptable protocol version",
                                        "client identifier rejected",
                                        "server unavailable",
                                        "bad user name or password",
                                        "not authorized"};
    struct sw_error err = SW_ERROR_INIT;
    uint8_t ok[] = {0x20, 0x02, 0x00, 0x00};
    uint8_t present[] = {0x20, 0x02, 0x01, 0x00};
    uint8_t b[4];
    int rc = 99;
    (void)state;
    assert_int_equal(sw_probe_mqtt_connack_check(ok, 4, &rc, &err), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(sw_probe_mqtt_connack_check(present, 4, &rc, &err), 0);
    for (int i = 1; i <= 5; i++) {
        uint8_t refused[] = {0x20, 0x02, 0x00, (uint8_t)i};
        char want[32];
        assert_int_equal(sw_probe_mqtt_connack_check(refused, 4, &rc, &err), -SW_E_INVAL);
        assert_int_equal(rc, i);
        snprintf(want, sizeof(want), "return code %d", i);
        assert_non_null(strstr(err.msg, want));
        assert_non_null(strstr(err.msg, names[i]));
    }
    memcpy(b, (uint8_t[]){0x20, 0x02, 0x00, 0x06}, 4);
    assert_int_equal(sw_probe_mqtt_connack_check(b, 4, &rc, &err), -SW_E_INVAL);
    assert_non_null(strstr(err.msg, "return code 6 (unknown)"));
    /* not a CONNACK: a PUBLISH, a CONNACK type with flag bits set */
    memcpy(b, (uint8_t[]){0x30, 0x02, 0x00, 0x00}, 4);
    assert_int_equal(sw_probe_mqtt_connack_check(b, 4, &rc, &err), -SW_E_INVAL);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err.msg, "not a CONNACK (packet type byte 0x30"));
    memcpy(b, (uint8_t[]){0x21, 0x02, 0x00, 0x00}, 4);
    assert_int_equal(sw_probe_mqtt_connack_check(b, 4, &rc, &err), -SW_E_INVAL);
    /* wrong remaining length, reserved flag bits, cut short */
    memcpy(b, (uint8_t[]){0x20, 0x03, 0x00, 0x00}, 4);
    assert_int_equal(sw_probe_mqtt_connack_check(b, 4, &rc, &err), -SW_E_INVAL);
    assert_non_null(strstr(err.msg, "remaining length 3"));
    memcpy(b, (uint8_t[]){0x20, 0x02, 0x02, 0x00}, 4);
    assert_int_equal(sw_probe_mqtt_connack_check(b, 4, &rc, &err), -SW_E_INVAL);
    assert_non_null(strstr(err.msg, "reserved bits"));
    assert_int_equal(sw_probe_mqtt_connack_check(ok, 3, &rc, &err), -SW_E_INVAL);
    assert_non_null(strstr(err.msg, "cut after 3 bytes"));
    assert_int_equal(sw_probe_mqtt_connack_check(ok, 0, &rc, &err), -SW_E_INVAL);
}

static void
test_tcp(void **state)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    struct sw_error err = SW_ERROR_INIT;
    char port[16];
    int s = socket(AF_INET, SOCK_STREAM, 0);
    (void)state;
    assert_true(s >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s, 4), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    snprintf(port, sizeof(port), "%u", ntohs(a.sin_port));
    assert_int_equal(sw_probe_tcp("127.0.0.1", port, 2000, &err), 0);
    close(s);
    /* the same port, closed now: refused, and the message says where */
    assert_int_equal(sw_probe_tcp("127.0.0.1", port, 2000, &err), -SW_E_FETCH_CONNECT);
    assert_non_null(strstr(err.msg, "127.0.0.1:"));
    assert_non_null(strstr(err.msg, port));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint),
        cmocka_unit_test(test_connect_anonymous),
        cmocka_unit_test(test_connect_user_password),
        cmocka_unit_test(test_connect_long_id),
        cmocka_unit_test(test_connack),
        cmocka_unit_test(test_tcp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
