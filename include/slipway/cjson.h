/* SPDX-License-Identifier: MIT */
/*
 * Canonical JSON: a strict JSON parser (bytes from outside into a jansson
 * tree, with named limits), a validator with read-only views over the
 * validated bytes (no tree: what big metadata documents use), and the OLPC
 * canonical encoder that TUF signs, over a tree or over a view.
 * What the values mean is left to the metadata module.
 */
#ifndef SLIPWAY_CJSON_H
#define SLIPWAY_CJSON_H

#include <slipway/buf.h>
#include <slipway/error.h>

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * A view of one value inside bytes that sw_cjson_validate() accepted: p
 * is its first byte, end the end of the document. Views borrow the bytes;
 * nothing is copied or decoded until asked.
 */
struct sw_cjson_val {
    const unsigned char *p, *end;
};

enum sw_cjson_kind {
    SW_CJSON_NONE = 0, /* not a value (an absent member) */
    SW_CJSON_OBJECT = 1,
    SW_CJSON_ARRAY = 2,
    SW_CJSON_STRING = 3,
    SW_CJSON_INTEGER = 4,
    SW_CJSON_TRUE = 5,
    SW_CJSON_FALSE = 6,
    SW_CJSON_NULL = 7,
};

/*
 * Check len bytes exactly as sw_cjson_parse_mem() does (every rule and
 * limit above, the same errors), without building a tree: memory used is
 * the keys of the objects open at once, not the document. On success
 * *ret (may be NULL) is a view of the top-level value.
 */
int sw_cjson_validate(const void *data, size_t len, size_t max_len, struct sw_cjson_val *ret,
                      struct sw_error *err);

/*
 * The same, and *ret_plain (may be NULL): true when no string holds an
 * escape and every object's keys come in canonical order. Then the
 * canonical form of any value of the document is its bytes without the
 * white space between tokens (sw_cjson_minify_view()): what a pretty-
 * printed canonical document (python-tuf's, slipway-repo's) is.
 */
int sw_cjson_validate_plain(const void *data, size_t len, size_t max_len, struct sw_cjson_val *ret,
                            bool *ret_plain, struct sw_error *err);

/*
 * Reading views (all borrowed, none fails; on bytes that were not
 * validated they give wrong answers but never read outside [p, end)).
 */
enum sw_cjson_kind sw_cjson_kind(const struct sw_cjson_val *v);
/* Members of an object (ret_key set) or elements of an array (ret_key NULL), in order. */
struct sw_cjson_iter {
    const unsigned char *p, *end;
    const unsigned char *last; /* the value returned last, passed over on the next call */
    /* private: the byte after the last key returned, and whether it held an escape */
    const unsigned char *key_end;
    bool key_esc;
};
void sw_cjson_iter_init(struct sw_cjson_iter *it, const struct sw_cjson_val *v);
bool sw_cjson_iter_next(struct sw_cjson_iter *it, struct sw_cjson_val *ret_key,
                        struct sw_cjson_val *ret);
/*
 * Once sw_cjson_iter_next() returned false: the byte after the closing
 * bracket. A caller that has read a value to its end (with an iterator of
 * its own) gives that position to the iterator it came from, which then
 * need not pass over the value again.
 */
const unsigned char *sw_cjson_iter_pos(const struct sw_cjson_iter *it);
void sw_cjson_iter_resume(struct sw_cjson_iter *it, const unsigned char *pos);
/* Members or elements (one scan). */
size_t sw_cjson_count(const struct sw_cjson_val *v);
/* The member of obj named key (compared decoded); false when absent or obj is no object. */
bool sw_cjson_get(const struct sw_cjson_val *obj, const char *key, struct sw_cjson_val *ret);
/* Strings: the decoded value equals want; the bytes between the quotes (>= decoded length). */
bool sw_cjson_str_eq(const struct sw_cjson_val *v, const char *want);
size_t sw_cjson_str_raw_len(const struct sw_cjson_val *v);
/*
 * The bytes between the quotes, as served (borrowed), in one scan; *ret_esc
 * tells whether they hold an escape: when not, they are the decoded string.
 */
const unsigned char *sw_cjson_str_raw(const struct sw_cjson_val *v, size_t *ret_len, bool *ret_esc);
/* Decode into out (sw_cjson_str_raw_len(v) + 1 bytes), NUL-terminated; returns the length. */
size_t sw_cjson_str_decode(const struct sw_cjson_val *v, char *out);
/* The same into a new string (caller frees), NULL when out of memory. */
char *sw_cjson_str_dup(const struct sw_cjson_val *v, size_t *ret_len);
/* An integer (validated: in int64). */
int64_t sw_cjson_int(const struct sw_cjson_val *v);
/* Bytes the value spans in the input, as served. */
size_t sw_cjson_raw_len(const struct sw_cjson_val *v);

/*
 * The canonical form of a view, as sw_cjson_encode() writes a tree of the
 * same value (appended to out). _same: when the value as served is already
 * canonical, *ret_same is true and nothing is appended (the bytes are
 * v->p, sw_cjson_raw_len(v) long); otherwise out gets the canonical form.
 */
int sw_cjson_encode_view(const struct sw_cjson_val *v, struct sw_buf *out, struct sw_error *err);
/* The same, and *ret_end: the byte after v in the input (for an iterator to resume at). */
int sw_cjson_encode_view_end(const struct sw_cjson_val *v, struct sw_buf *out,
                             const unsigned char **ret_end, struct sw_error *err);
int sw_cjson_encode_view_same(const struct sw_cjson_val *v, bool *ret_same, struct sw_buf *out,
                              struct sw_error *err);
/*
 * v's bytes without the white space between tokens, appended to out: its
 * canonical form when its document was validated plain (above); for any
 * other only a compact copy. With ret_same (may be NULL): when v holds no
 * such white space, *ret_same is true and nothing is appended (the bytes
 * are v->p, sw_cjson_raw_len(v) long). -SW_E_LIMIT when out passes its
 * maximum.
 */
int sw_cjson_minify_view(const struct sw_cjson_val *v, bool *ret_same, struct sw_buf *out,
                         struct sw_error *err);
/* A new jansson tree of a view (json_decref() it). */
int sw_cjson_view_to_json(const struct sw_cjson_val *v, json_t **ret, struct sw_error *err);

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
