/* SPDX-License-Identifier: MIT */
/*
 * Canonical JSON: a strict JSON parser (bytes from outside into a jansson
 * tree, with named limits) and the OLPC canonical encoder that TUF signs.
 * What the values mean is left to the metadata module.
 */
#ifndef SLIPWAY_CJSON_H
#define SLIPWAY_CJSON_H

#include <slipway/buf.h>
#include <slipway/error.h>

#include <jansson.h>
#include <stddef.h>

/* Deepest nesting of arrays and objects (the top-level value is depth 1). */
#define SW_CJSON_MAX_DEPTH 64
/* Longest string or object key, in bytes once unescaped. */
#define SW_CJSON_MAX_STRING (1024 * 1024)
/* Most values (of any type, containers included) in one document. */
#define SW_CJSON_MAX_VALUES (4 * 1024 * 1024)
/* Hard ceiling for max_len; also used when max_len is 0. */
#define SW_CJSON_MAX_LEN ((size_t)256 * 1024 * 1024)

/*
 * Parse len bytes of JSON (RFC 8259) strictly into a new jansson tree.
 * Refused, with -SW_E_JSON and a message naming line, column and byte:
 *   syntax errors and trailing bytes after the value (only white space
 *   may follow); duplicate object keys; numbers with a fraction or an
 *   exponent (floats), integers outside int64, "-0", leading zeros;
 *   invalid UTF-8 (overlong forms, encoded surrogates, > U+10FFFF);
 *   NUL in a string, raw or as \u0000; lone UTF-16 surrogate escapes;
 *   a byte-order mark.
 * Refused with -SW_E_LIMIT: input longer than max_len (0 = SW_CJSON_MAX_LEN,
 *   which is also the ceiling), nesting deeper than SW_CJSON_MAX_DEPTH, a
 *   string longer than SW_CJSON_MAX_STRING, more than SW_CJSON_MAX_VALUES
 *   values.
 * One deliberate leniency: the raw control bytes 0x01-0x1f are accepted
 * inside strings, because canonical JSON writes them raw (a PEM key's
 * newlines, for one) and a canonical document must parse back to itself.
 * On success *ret holds a new reference: caller releases with json_decref().
 */
int sw_cjson_parse_mem(const void *data, size_t len, size_t max_len, json_t **ret,
                       struct sw_error *err);

/*
 * Append the canonical form of v to out (OLPC canonical JSON, as
 * securesystemslib's encode_canonical writes it): object keys sorted by
 * code point (UTF-8 byte order), no white space, strings raw UTF-8 with
 * only '\' and '"' escaped, integers in decimal, true/false/null.
 * -SW_E_JSON for a real number, a string or key with NUL or invalid UTF-8;
 * -SW_E_LIMIT for nesting deeper than SW_CJSON_MAX_DEPTH or when out
 * passes its maximum. v is borrowed; on error out may hold a partial
 * encoding (release or reset it).
 */
int sw_cjson_encode(const json_t *v, struct sw_buf *out, struct sw_error *err);

/*
 * A printable copy of an untrusted string for an error message: bytes
 * outside printable ASCII become \xNN, and a long string is cut with
 * "...". Writes to buf (size bufsz >= 8) and returns buf.
 */
const char *sw_cjson_printable(const char *s, char *buf, size_t bufsz);

/* Size of a buffer for sw_cjson_printable() that keeps messages short. */
#define SW_CJSON_PRINTABLE_MAX 96

#endif
