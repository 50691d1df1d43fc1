/* SPDX-License-Identifier: MIT */
/*
 * Health probes of a service: a TCP connect, an HTTP status, an MQTT 3.1.1
 * CONNECT answered by CONNACK, each within one deadline. Also the MQTT
 * packet encoding and CONNACK parsing as pure functions. Retries, option
 * parsing and printing stay with the `slipway probe` command (src/cli/probe.c).
 */
#ifndef SLIPWAY_PROBE_H
#define SLIPWAY_PROBE_H

#include <slipway/error.h>

#include <stddef.h>
#include <stdint.h>

#define SW_PROBE_MAX_BODY (64 * 1024)    /* HTTP body bytes read; the rest is not read */
#define SW_PROBE_MAX_MQTT_FIELD 65535    /* client id, user name, password (MQTT 3.1.1 1.5.3) */
#define SW_PROBE_MQTT_KEEPALIVE 30       /* seconds, sent in CONNECT */
#define SW_PROBE_MQTT_CONNACK_LEN 4      /* 0x20 0x02 flags rc */
#define SW_PROBE_MQTT_MAX_CONNECT 200000 /* bytes of a CONNECT we build */

/*
 * Error codes the probes return: -SW_E_FETCH_CONNECT (refused, unreachable,
 * name not resolved), -SW_E_FETCH_SLOW (the deadline passed), -SW_E_FETCH_HTTP
 * (a status outside the wanted range), -SW_E_INVAL (a bad answer or a CONNACK
 * that refuses), -SW_E_IO. err names the host and port or URL and what failed.
 */

/* Connect to host:port (a name or an address) within timeout_ms, then close. */
int sw_probe_tcp(const char *host, const char *port, int timeout_ms, struct sw_error *err);

struct sw_probe_http {
    const char *url; /* http:// or https:// only (borrowed) */
    long status_min; /* accepted status range, inclusive (200-399 by default) */
    long status_max;
    const char *ca_file; /* https: CA certificates, or NULL for the system's (borrowed) */
};

/*
 * GET url within timeout_ms: no redirect followed, no proxy, at most
 * SW_PROBE_MAX_BODY body bytes read. 0 when the status is in range.
 * *ret_status (may be NULL) is the status received, 0 when none.
 */
int sw_probe_http(const struct sw_probe_http *p, int timeout_ms, long *ret_status,
                  struct sw_error *err);

struct sw_probe_mqtt {
    const char *client_id;   /* non-empty (borrowed) */
    const char *username;    /* or NULL (borrowed) */
    const uint8_t *password; /* or NULL; needs username (borrowed) */
    size_t password_len;
};

/*
 * Connect to host:port, send an MQTT 3.1.1 CONNECT (clean session), read
 * the CONNACK within timeout_ms, and send DISCONNECT when it was accepted.
 * 0 when the broker accepted the connection. *ret_rc (may be NULL) is the
 * CONNACK return code, or -1 when none was read.
 */
int sw_probe_mqtt(const char *host, const char *port, const struct sw_probe_mqtt *m, int timeout_ms,
                  int *ret_rc, struct sw_error *err);

/*
 * Encode the CONNECT packet of m into buf (cap bytes): fixed header,
 * variable header ("MQTT", level 4, flags, keep-alive), payload. *ret_len
 * is its length. -SW_E_INVAL for a field too long or a password without a
 * user name, -SW_E_LIMIT when cap is too small.
 */
int sw_probe_mqtt_connect_encode(const struct sw_probe_mqtt *m, uint16_t keepalive, uint8_t *buf,
                                 size_t cap, size_t *ret_len, struct sw_error *err);

/* Encode an MQTT remaining length (1 to 4 bytes) into out; its byte count, or 0 if too large. */
size_t sw_probe_mqtt_varint(uint32_t value, uint8_t out[4]);

/*
 * Check the SW_PROBE_MQTT_CONNACK_LEN bytes of a CONNACK: packet type 0x20
 * with no flags, remaining length 2, reserved acknowledge flag bits 0,
 * return code 0. *ret_rc is the return code when the packet has the CONNACK
 * form, else -1. -SW_E_INVAL names what is wrong (a refusing code by name).
 */
int sw_probe_mqtt_connack_check(const uint8_t *buf, size_t len, int *ret_rc, struct sw_error *err);

/* The meaning of a CONNACK return code ("not authorized"); "unknown" past 5. */
const char *sw_probe_mqtt_rc_to_string(int rc);

#endif
