/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of canonical JSON: the securesystemslib vectors byte for byte
 * (and canonical bytes parsing back to themselves), hand-written canonical
 * forms, and every refusal of the strict parser and of the encoder with
 * its code and message. Every case runs twice: through the tree parser and
 * through the validator with views (the path big metadata documents take),
 * which must give the same canonical bytes and the same refusals, message
 * included. Randomised cross-checks against securesystemslib are in
 * tests/integration/t0200-cjson.sh.
 */
#include "testutil.h"

#include <slipway/cjson.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The canonical bytes of a view of in, which must equal want (want_len);
 * and _same must say whether in is its own canonical form.
 */
/* cases found plain (so their minified bytes were compared), counted */
static size_t n_plain;

static void
expect_view_canon(const void *in, size_t len, const void *want, size_t want_len)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_buf out = SW_BUF_INIT(0);
    struct sw_cjson_val v;
    bool same = false;

    if (sw_cjson_validate(in, len, 0, &v, &err) < 0)
        fail_msg("validate of %.*s failed: %s", (int)len, (const char *)in, err.msg);
    assert_int_equal(sw_cjson_encode_view(&v, &out, &err), 0);
    if (out.len != want_len || memcmp(out.data, want, want_len) != 0)
        fail_msg("view of %.*s: canonical %.*s, expected %.*s", (int)len, (const char *)in,
                 (int)out.len, out.data, (int)want_len, (const char *)want);
    out.len = 0;
    assert_int_equal(sw_cjson_encode_view_same(&v, &same, &out, &err), 0);
    if (same) {
        assert_int_equal(out.len, 0);
        assert_int_equal(sw_cjson_raw_len(&v), want_len);
        assert_memory_equal(v.p, want, want_len);
    } else {
        assert_int_equal(out.len, want_len);
        assert_memory_equal(out.data, want, want_len);
        /* not the same: the input (without white space around it) differs */
        assert_true(sw_cjson_raw_len(&v) != want_len || memcmp(v.p, want, want_len) != 0);
    }
    {
        /* a plain document (no escape, keys in order) is canonical without its white space */
        bool plain = false;
        assert_int_equal(sw_cjson_validate_plain(in, len, 0, &v, &plain, &err), 0);
        out.len = 0;
        assert_int_equal(sw_cjson_minify_view(&v, NULL, &out, &err), 0);
        if (plain && (out.len != want_len || memcmp(out.data, want, want_len) != 0))
            fail_msg("plain %.*s: minified %.*s, canonical %.*s", (int)len, (const char *)in,
                     (int)out.len, out.data, (int)want_len, (const char *)want);
        n_plain += plain;
        {
            /* _same: nothing copied exactly when there is no white space to drop */
            struct sw_buf o2 = SW_BUF_INIT(0);
            bool msame = false;
            assert_int_equal(sw_cjson_minify_view(&v, &msame, &o2, &err), 0);
            if (msame) {
                assert_int_equal(o2.len, 0);
                assert_int_equal(sw_cjson_raw_len(&v), out.len);
                assert_memory_equal(v.p, out.data, out.len);
            } else {
                assert_int_equal(o2.len, out.len);
                assert_memory_equal(o2.data, out.data, out.len);
                assert_true(sw_cjson_raw_len(&v) != out.len);
            }
            sw_buf_release(&o2);
        }
    }
    sw_buf_release(&out);
}

/* Parse s (strlen) and return canonical bytes as a string (caller frees). */
static char *
canon(const char *s)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_buf out = SW_BUF_INIT(0);
    json_t *v = NULL;
    int r = sw_cjson_parse_mem(s, strlen(s), 0, &v, &err);
    if (r < 0)
        fail_msg("parse of %s failed: %s", s, err.msg);
    assert_int_equal(sw_cjson_encode(v, &out, &err), 0);
    json_decref(v);
    expect_view_canon(s, strlen(s), out.data, out.len);
    return (char *)sw_buf_steal(&out, NULL);
}

static void
expect_canon(const char *in, const char *want)
{
    char *got = canon(in);
    assert_string_equal(got, want);
    free(got);
}

/* Parsing len bytes must fail with code, and the message must contain needle. */
static void
expect_refused_n(const char *in, size_t len, int code, const char *needle)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *v = NULL;
    int r = sw_cjson_parse_mem(in, len, 0, &v, &err);
    if (r != -code)
        fail_msg("parse of '%.*s': expected %s, got %d (%s)", (int)len, in, sw_errcode_name(code),
                 r, err.msg);
    assert_null(v);
    assert_int_equal(err.code, code);
    if (needle && !strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    {
        /* the validator refuses the same way, with the same message */
        struct sw_error e2 = SW_ERROR_INIT;
        struct sw_cjson_val view;
        r = sw_cjson_validate(in, len, 0, &view, &e2);
        if (r != -code || strcmp(e2.msg, err.msg) != 0)
            fail_msg("validate of '%.*s': %d (%s), the parser said %d (%s)", (int)len, in, r,
                     e2.msg, -code, err.msg);
    }
}

static void
expect_refused(const char *in, int code, const char *needle)
{
    expect_refused_n(in, strlen(in), code, needle);
}

static void
test_vectors(void **state)
{
    static const char *const names[] = {"empty", "keys-order", "nested", "numbers", "strings"};
    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char rel[256];
        char *path;
        unsigned char *in, *want;
        size_t in_len, want_len;
        struct sw_error err = SW_ERROR_INIT;
        struct sw_buf out = SW_BUF_INIT(0);
        json_t *v = NULL;

        snprintf(rel, sizeof(rel), "tests/vectors/canonical-json/%s.input.json", names[i]);
        path = tu_src_path(rel);
        in = tu_read(path, &in_len);
        free(path);
        snprintf(rel, sizeof(rel), "tests/vectors/canonical-json/%s.canonical", names[i]);
        path = tu_src_path(rel);
        want = tu_read(path, &want_len);
        free(path);

        if (sw_cjson_parse_mem(in, in_len, 0, &v, &err) < 0)
            fail_msg("%s: %s", names[i], err.msg);
        assert_int_equal(sw_cjson_encode(v, &out, &err), 0);
        json_decref(v);
        assert_int_equal(out.len, want_len);
        assert_memory_equal(out.data, want, want_len);
        expect_view_canon(in, in_len, want, want_len);
        expect_view_canon(want, want_len, want, want_len);

        /* the canonical bytes parse back to the same canonical bytes */
        v = NULL;
        out.len = 0;
        if (sw_cjson_parse_mem(want, want_len, 0, &v, &err) < 0)
            fail_msg("%s.canonical: %s", names[i], err.msg);
        assert_int_equal(sw_cjson_encode(v, &out, &err), 0);
        json_decref(v);
        assert_int_equal(out.len, want_len);
        assert_memory_equal(out.data, want, want_len);
        sw_buf_release(&out);
        free(in);
        free(want);
    }
}

static void
test_key_order(void **state)
{
    (void)state;
    /* code point order, not UTF-16 order: U+E000 sorts before U+1F680 and U+FF21 */
    expect_canon("{\"\xf0\x9f\x9a\x80\":1,\"\xef\xbc\xa1\":2,\"\xee\x80\x80\":3,\"\xc3\xa9\":4,"
                 "\"\":5,\"a\":6,\"A\":7,\"ab\":8}",
                 "{\"\":5,\"A\":7,\"a\":6,\"ab\":8,\"\xc3\xa9\":4,\"\xee\x80\x80\":3,"
                 "\"\xef\xbc\xa1\":2,\"\xf0\x9f\x9a\x80\":1}");
}

static void
test_key_order_prefix(void **state)
{
    (void)state;
    expect_canon("{\"ab\":1,\"a\":2,\"b\":3,\"aa\":4}", "{\"a\":2,\"aa\":4,\"ab\":1,\"b\":3}");
}

static void
test_strings(void **state)
{
    (void)state;
    /* only quote and backslash escaped; control bytes raw; escapes decoded to UTF-8 */
    expect_canon("[\"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\\u0001\\u001f\\u007f\"]",
                 "[\"q\\\"b\\\\s/n\nt\tr\rb\bf\f\x01\x1f\x7f\"]");
    expect_canon("\"\\u00e9\\u20ac\\ud83d\\ude80\"", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x9a\x80\"");
    expect_canon("\"\\uD83D\\uDE80\"", "\"\xf0\x9f\x9a\x80\"");
    /* raw control bytes inside strings are accepted (canonical JSON writes them) */
    expect_canon("\"a\x01\nb\"", "\"a\x01\nb\"");
    expect_canon("\"\"", "\"\"");
}

/*
 * The scans go 16 bytes at a time: every kind of byte they stop at, at
 * every offset in and around a block, through the tree and the views.
 */
static void
test_scan_boundaries(void **state)
{
    (void)state;
    for (size_t i = 0; i < 40; i++) {
        char pad[64], sp[64], in[1024], want[1024];
        size_t n;
        memset(pad, 'a', i);
        pad[i] = '\0';
        memset(sp, ' ', i);
        sp[i] = '\0';
        /* escapes of quote and backslash (kept escaped), of '/' and \u (decoded) */
        snprintf(in, sizeof(in), "[\"%s\\\"%s\\\\x\\/%s\\u00e9\"]", pad, pad, pad);
        snprintf(want, sizeof(want), "[\"%s\\\"%s\\\\x/%s\xc3\xa9\"]", pad, pad, pad);
        expect_canon(in, want);
        /* raw UTF-8 and raw control bytes stay as they are */
        snprintf(in, sizeof(in), "\"%s\xe2\x82\xac%s\x01%s\xf0\x9f\x9a\x80\"", pad, pad, pad);
        expect_canon(in, in);
        /* runs of white space of every length, as pretty-printers write them */
        snprintf(in, sizeof(in), "{\n%s\"k%s\"%s:%s\n\t%s[1,\r\n%s\"v\"%s],%s\"a\":{%s}%s}", sp,
                 pad, sp, sp, sp, sp, sp, sp, sp, sp);
        snprintf(want, sizeof(want), "{\"a\":{},\"k%s\":[1,\"v\"]}", pad);
        expect_canon(in, want);
        /* refusals after i plain bytes: the same message from both */
        n = (size_t)snprintf(in, sizeof(in), "[\"%s", pad);
        memcpy(in + n, "\0b\"]", 4);
        expect_refused_n(in, n + 4, SW_E_JSON, "NUL byte");
        snprintf(in, sizeof(in), "[\"%s\xff%s\"]", pad, pad);
        expect_refused(in, SW_E_JSON, "invalid UTF-8");
        snprintf(in, sizeof(in), "[\"%s\xe2\x82%s\"]", pad, pad);
        expect_refused(in, SW_E_JSON, "invalid UTF-8");
        snprintf(in, sizeof(in), "[\"%s", pad);
        expect_refused(in, SW_E_JSON, "unterminated string");
        snprintf(in, sizeof(in), "[\"%s\\", pad);
        expect_refused(in, SW_E_JSON, "unterminated string");
        snprintf(in, sizeof(in), "[\"%s\\q\"]", pad);
        expect_refused(in, SW_E_JSON, "invalid escape");
    }
}

/* Key lookups compare decoded strings, without decoding the ones that have no escape. */
static void
test_view_lookup(void **state)
{
    static const char doc[] =
        "{\"big\": [{\"s\": \"]}\\\"[{\", \"t\": [\"\\\\\", \"}\"]}, [[], {}], \"x]\"],"
        " \"len\": 2, \"length\": 1, \"lengthy\": 3, \"\\u006cength2\": 4, \"x\\\"y\": 5,"
        " \"l\\u00e9\": 6, \"\": 7}";
    struct sw_error err = SW_ERROR_INIT;
    struct sw_cjson_val v, x;
    const unsigned char *raw;
    size_t n;
    bool esc;
    (void)state;

    assert_int_equal(sw_cjson_validate(doc, strlen(doc), 0, &v, &err), 0);
    /* passing over "big" (brackets and escaped quotes inside its strings) finds the rest */
    assert_true(sw_cjson_get(&v, "len", &x));
    assert_int_equal(sw_cjson_int(&x), 2);
    assert_true(sw_cjson_get(&v, "length", &x));
    assert_int_equal(sw_cjson_int(&x), 1);
    assert_true(sw_cjson_get(&v, "lengthy", &x));
    assert_int_equal(sw_cjson_int(&x), 3);
    assert_true(sw_cjson_get(&v, "length2", &x));
    assert_int_equal(sw_cjson_int(&x), 4);
    assert_true(sw_cjson_get(&v, "x\"y", &x));
    assert_int_equal(sw_cjson_int(&x), 5);
    assert_true(sw_cjson_get(&v, "l\xc3\xa9", &x));
    assert_int_equal(sw_cjson_int(&x), 6);
    assert_true(sw_cjson_get(&v, "", &x));
    assert_int_equal(sw_cjson_int(&x), 7);
    assert_false(sw_cjson_get(&v, "lengt", &x));
    assert_false(sw_cjson_get(&v, "lengths", &x));
    assert_false(sw_cjson_get(&v, "\\u006cength2", &x));
    assert_int_equal(sw_cjson_count(&v), 8);
    /* the bytes between the quotes, and whether they need decoding */
    assert_true(sw_cjson_get(&v, "big", &x));
    {
        struct sw_cjson_iter it;
        struct sw_cjson_val k, e, s;
        sw_cjson_iter_init(&it, &x);
        assert_true(sw_cjson_iter_next(&it, NULL, &e));
        assert_true(sw_cjson_get(&e, "s", &s));
        raw = sw_cjson_str_raw(&s, &n, &esc);
        assert_true(esc);
        assert_int_equal(n, 6);
        assert_memory_equal(raw, "]}\\\"[{", 6);
        assert_true(sw_cjson_str_eq(&s, "]}\"[{"));
        assert_true(sw_cjson_iter_next(&it, NULL, &e));
        assert_true(sw_cjson_iter_next(&it, NULL, &e));
        raw = sw_cjson_str_raw(&e, &n, &esc);
        assert_false(esc);
        assert_int_equal(n, 2);
        assert_memory_equal(raw, "x]", 2);
        assert_false(sw_cjson_iter_next(&it, &k, &e));
    }
}

/* Plain: no string with an escape, every object's keys in order; only then minified is canonical. */
static void
test_plain(void **state)
{
    static const struct {
        const char *in;
        bool plain;
    } cases[] = {
        {"{\n \"a\": [1, \"x y\", {\"b\": true, \"c\": null}],\n \"b\": {}\n}\n", true},
        {"[\"\\u0041\"]", false},                 /* an escape */
        {"[\"a\\\\b\"]", false},                  /* a kept escape is an escape too */
        {"{\"b\": 1, \"a\": 2}", false},          /* out of order */
        {"{\"a\": {\"b\": 1, \"a\": 2}}", false}, /* deeper */
        {"{\"a\": 1, \"aa\": 2, \"b\": 3}", true},
        {"{\"aa\": 1, \"a\": 2}", false},
        {"{\"\xc3\xa9\": 1, \"z\": 2}", false}, /* byte order: 0xc3 after 'z' */
        {"\" raw\\ttab\"", false},
        {"\" raw\ttab and  spaces \"", true}, /* white space inside a string stays */
        {"  42  ", true},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sw_error err = SW_ERROR_INIT;
        struct sw_cjson_val v;
        bool plain = !cases[i].plain;
        assert_int_equal(
            sw_cjson_validate_plain(cases[i].in, strlen(cases[i].in), 0, &v, &plain, &err), 0);
        if (plain != cases[i].plain)
            fail_msg("%s: plain %d, expected %d", cases[i].in, plain, cases[i].plain);
        free(canon(cases[i].in)); /* and minified == canonical where plain */
    }
    expect_canon("{\n \"a\": [1, \"x y\", {\"b\": true, \"c\": null}],\n \"b\": {}\n}\n",
                 "{\"a\":[1,\"x y\",{\"b\":true,\"c\":null}],\"b\":{}}");
    expect_canon("\" raw\ttab and  spaces \"", "\" raw\ttab and  spaces \"");
    assert_true(n_plain > 20);
}

static void
test_numbers_and_literals(void **state)
{
    (void)state;
    expect_canon("[0, -1, 9223372036854775807, -9223372036854775808, 42]",
                 "[0,-1,9223372036854775807,-9223372036854775808,42]");
    expect_canon(" \t\r\n[true ,false, null ]\n", "[true,false,null]");
    expect_canon("{\"a\" : { } , \"b\" : [ ] }", "{\"a\":{},\"b\":[]}");
    expect_canon("7", "7");
}

static void
test_refuse_duplicates(void **state)
{
    (void)state;
    expect_refused("{\"a\":1,\"a\":2}", SW_E_JSON, "duplicate key \"a\"");
    expect_refused("{\"a\":1,\"\\u0061\":2}", SW_E_JSON, "duplicate key");
    expect_refused("{\"x\":{\"k\":1,\"b\":2,\"k\":3}}", SW_E_JSON, "duplicate key \"k\"");
    expect_refused("{\"\":1,\"\":2}", SW_E_JSON, "duplicate key \"\"");
}

/*
 * Objects of more keys than the validator compares one by one go through
 * a hash table: a duplicate anywhere among them (escaped or not) is
 * refused when it is read, with the message the tree parser gives.
 */
static void
test_refuse_duplicates_big(void **state)
{
    char doc[4096], *p;
    (void)state;
    for (int dup_at = 1; dup_at < 40; dup_at += 7) {
        p = doc;
        p += sprintf(p, "{");
        for (int i = 0; i < 40; i++)
            p += sprintf(p, "%s\"k%02d\":%d", i ? "," : "", i == dup_at ? 0 : i, i);
        sprintf(p, "}");
        expect_refused(doc, SW_E_JSON, "duplicate key \"k00\"");
    }
    /* two duplicates: the one that comes first in the document is named */
    p = doc;
    p += sprintf(p, "{");
    for (int i = 0; i < 30; i++)
        p += sprintf(p, "\"k%02d\":%d,", i, i);
    sprintf(p, "\"k20\":1,\"k\\u0030%d\":1}", 5);
    expect_refused(doc, SW_E_JSON, "duplicate key \"k20\"");
    /* a duplicate, then a syntax error: the duplicate is what both report */
    p = doc;
    p += sprintf(p, "{");
    for (int i = 0; i < 30; i++)
        p += sprintf(p, "\"k%02d\":%d,", i, i);
    sprintf(p, "\"k03\":1,\"k99\" 1}");
    expect_refused(doc, SW_E_JSON, "duplicate key \"k03\"");
    /* escaped spelling of an earlier key, far apart */
    p = doc;
    p += sprintf(p, "{\"ab\":0");
    for (int i = 0; i < 30; i++)
        p += sprintf(p, ",\"k%02d\":%d", i, i);
    sprintf(p, ",\"\\u0061b\":1}");
    expect_refused(doc, SW_E_JSON, "duplicate key \"ab\"");
    /* no duplicate among many: accepted, canonical (keys sorted) */
    p = doc;
    p += sprintf(p, "{");
    for (int i = 39; i >= 0; i--)
        p += sprintf(p, "%s\"k%02d\":%d", i < 39 ? "," : "", i, i);
    sprintf(p, "}");
    free(canon(doc));
}

static void
test_refuse_floats(void **state)
{
    (void)state;
    expect_refused("1.0", SW_E_JSON, "floating-point");
    expect_refused("1e5", SW_E_JSON, "floating-point");
    expect_refused("1E+5", SW_E_JSON, "floating-point");
    expect_refused("-0.5", SW_E_JSON, "floating-point");
    expect_refused("[0.1]", SW_E_JSON, "floating-point");
    expect_refused("{\"a\":{\"b\":[1,2,3.25]}}", SW_E_JSON, "floating-point");
    expect_refused(".5", SW_E_JSON, "floating-point");
    expect_refused("NaN", SW_E_JSON, "unexpected");
    expect_refused("Infinity", SW_E_JSON, "unexpected");
    expect_refused("-Infinity", SW_E_JSON, "invalid number");
}

static void
test_refuse_integers(void **state)
{
    (void)state;
    expect_refused("9223372036854775808", SW_E_JSON, "64-bit");
    expect_refused("-9223372036854775809", SW_E_JSON, "64-bit");
    expect_refused("[123456789012345678901234567890]", SW_E_JSON, "64-bit");
    expect_refused("-0", SW_E_JSON, "negative zero");
    expect_refused("01", SW_E_JSON, "leading zero");
    expect_refused("-01", SW_E_JSON, "leading zero");
    expect_refused("+1", SW_E_JSON, "unexpected '+'");
    expect_refused("-", SW_E_JSON, "invalid number");
    expect_refused("--1", SW_E_JSON, "invalid number");
    expect_refused("0x10", SW_E_JSON, "trailing 'x'");
}

static void
test_refuse_utf8(void **state)
{
    (void)state;
    expect_refused("\"\xc3\"", SW_E_JSON, "invalid UTF-8");             /* truncated */
    expect_refused("\"\xc0\xaf\"", SW_E_JSON, "invalid UTF-8");         /* overlong '/' */
    expect_refused("\"\xe0\x80\xaf\"", SW_E_JSON, "invalid UTF-8");     /* overlong */
    expect_refused("\"\xed\xa0\x80\"", SW_E_JSON, "invalid UTF-8");     /* encoded surrogate */
    expect_refused("\"\xf4\x90\x80\x80\"", SW_E_JSON, "invalid UTF-8"); /* > U+10FFFF */
    expect_refused("\"\xf5\x80\x80\x80\"", SW_E_JSON, "invalid UTF-8");
    expect_refused("\"\x80\"", SW_E_JSON, "invalid UTF-8"); /* stray continuation */
    expect_refused("\"\xe2\x82\"", SW_E_JSON, "invalid UTF-8");
    expect_refused("\"\xff\"", SW_E_JSON, "invalid UTF-8");
    expect_refused("{\"\xc3\x28\":1}", SW_E_JSON, "invalid UTF-8"); /* in a key */
    expect_refused("\xef\xbb\xbf{}", SW_E_JSON, "byte-order mark");
    expect_refused("[\xc3\xa9]", SW_E_JSON, "unexpected byte 0xc3");
}

static void
test_refuse_nul_and_surrogates(void **state)
{
    (void)state;
    expect_refused_n("\"a\0b\"", 5, SW_E_JSON, "NUL byte");
    expect_refused("\"a\\u0000b\"", SW_E_JSON, "NUL");
    expect_refused("{\"\\u0000\":1}", SW_E_JSON, "NUL");
    expect_refused("\"\\ud800\"", SW_E_JSON, "lone high surrogate");
    expect_refused("\"\\ud800x\"", SW_E_JSON, "lone high surrogate");
    expect_refused("\"\\ud800\\u0041\"", SW_E_JSON, "lone high surrogate");
    expect_refused("\"\\ud800\\ud800\"", SW_E_JSON, "lone high surrogate");
    expect_refused("\"\\udc00\"", SW_E_JSON, "lone low surrogate");
    expect_refused("\"\\u12\"", SW_E_JSON, "invalid \\u escape");
    expect_refused("\"\\u12g4\"", SW_E_JSON, "invalid \\u escape");
    expect_refused("\"\\x41\"", SW_E_JSON, "invalid escape");
    expect_refused("\"\\'\"", SW_E_JSON, "invalid escape");
    expect_refused_n("[0]\0", 4, SW_E_JSON, "trailing byte 0x00");
}

static void
test_refuse_syntax(void **state)
{
    (void)state;
    expect_refused("", SW_E_JSON, "unexpected end of input");
    expect_refused("  \n ", SW_E_JSON, "unexpected end of input");
    expect_refused("{} x", SW_E_JSON, "trailing 'x'");
    expect_refused("{}{}", SW_E_JSON, "trailing '{'");
    expect_refused("1 2", SW_E_JSON, "trailing '2'");
    expect_refused("{\"a\" 1}", SW_E_JSON, "expected ':'");
    expect_refused("{\"a\":1,}", SW_E_JSON, "expected a string key");
    expect_refused("{\"a\":1 \"b\":2}", SW_E_JSON, "expected ',' or '}'");
    expect_refused("[1,]", SW_E_JSON, "unexpected ']'");
    expect_refused("[1 2]", SW_E_JSON, "expected ',' or ']'");
    expect_refused("{'a':1}", SW_E_JSON, "expected a string key");
    expect_refused("{a:1}", SW_E_JSON, "expected a string key");
    expect_refused("tru", SW_E_JSON, "unexpected 't'");
    expect_refused("nul", SW_E_JSON, "unexpected 'n'");
    expect_refused("True", SW_E_JSON, "unexpected 'T'");
    expect_refused("\"abc", SW_E_JSON, "unterminated string");
    expect_refused("\"abc\\", SW_E_JSON, "unterminated string");
    expect_refused("[", SW_E_JSON, "unexpected end of input");
    expect_refused("{", SW_E_JSON, "expected a string key");
    expect_refused("\f[]", SW_E_JSON, "unexpected byte 0x0c");
    expect_refused("[1]\v", SW_E_JSON, "trailing byte 0x0b");
    expect_refused("/* c */ {}", SW_E_JSON, "unexpected '/'");
}

static void
test_error_position(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *v = NULL;
    const char *doc = "{\n  \"a\": 1,\n  \"b\": 1.5\n}";
    (void)state;
    assert_int_equal(sw_cjson_parse_mem(doc, strlen(doc), 0, &v, &err), -SW_E_JSON);
    assert_non_null(strstr(err.msg, "at line 3, column 8 (byte 19)"));
}

static void
test_depth_limit(void **state)
{
    char buf[2 * (SW_CJSON_MAX_DEPTH + 1) + 1];
    struct sw_error err = SW_ERROR_INIT;
    json_t *v = NULL;
    int d;
    (void)state;
    /* exactly SW_CJSON_MAX_DEPTH levels parse */
    for (d = 0; d < SW_CJSON_MAX_DEPTH; d++)
        buf[d] = '[';
    for (int i = 0; i < SW_CJSON_MAX_DEPTH; i++)
        buf[d + i] = ']';
    assert_int_equal(sw_cjson_parse_mem(buf, 2 * (size_t)SW_CJSON_MAX_DEPTH, 0, &v, &err), 0);
    json_decref(v);
    v = NULL;
    /* one more is refused */
    for (d = 0; d <= SW_CJSON_MAX_DEPTH; d++)
        buf[d] = '[';
    for (int i = 0; i <= SW_CJSON_MAX_DEPTH; i++)
        buf[d + i] = ']';
    assert_int_equal(sw_cjson_parse_mem(buf, 2 * (size_t)(SW_CJSON_MAX_DEPTH + 1), 0, &v, &err),
                     -SW_E_LIMIT);
    assert_non_null(strstr(err.msg, "nesting deeper than 64"));
    /* objects count too */
    {
        struct sw_buf b = SW_BUF_INIT(0);
        for (d = 0; d <= SW_CJSON_MAX_DEPTH; d++)
            assert_int_equal(sw_buf_append_str(&b, "{\"a\":", NULL), 0);
        assert_int_equal(sw_buf_append_str(&b, "1", NULL), 0);
        for (d = 0; d <= SW_CJSON_MAX_DEPTH; d++)
            assert_int_equal(sw_buf_append_str(&b, "}", NULL), 0);
        assert_int_equal(sw_cjson_parse_mem(b.data, b.len, 0, &v, &err), -SW_E_LIMIT);
        sw_buf_release(&b);
    }
}

static void
test_length_limits(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *v = NULL;
    const char *doc = "{\"a\":[1,2,3]}";
    char *big;
    size_t n = SW_CJSON_MAX_STRING + 3;
    (void)state;
    /* exactly max_len is fine, one byte more is refused before parsing */
    assert_int_equal(sw_cjson_parse_mem(doc, strlen(doc), strlen(doc), &v, &err), 0);
    json_decref(v);
    v = NULL;
    assert_int_equal(sw_cjson_parse_mem(doc, strlen(doc), strlen(doc) - 1, &v, &err), -SW_E_LIMIT);
    assert_non_null(strstr(err.msg, "exceeds the limit of 12"));

    /* a string of SW_CJSON_MAX_STRING bytes parses; one more byte does not */
    big = malloc(n);
    assert_non_null(big);
    big[0] = '"';
    memset(big + 1, 'x', n - 2);
    big[n - 1] = '"';
    big[n - 2] = '"';
    assert_int_equal(sw_cjson_parse_mem(big, n - 1, 0, &v, &err), 0);
    assert_int_equal(json_string_length(v), SW_CJSON_MAX_STRING);
    json_decref(v);
    v = NULL;
    big[n - 2] = 'x';
    assert_int_equal(sw_cjson_parse_mem(big, n, 0, &v, &err), -SW_E_LIMIT);
    assert_non_null(strstr(err.msg, "string longer than"));
    free(big);
}

static void
test_encode_refusals(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_buf out = SW_BUF_INIT(0);
    struct sw_buf small = SW_BUF_INIT(8);
    json_t *v, *deep;
    (void)state;

    v = json_pack("{s:f}", "x", 1.5);
    assert_int_equal(sw_cjson_encode(v, &out, &err), -SW_E_JSON);
    assert_non_null(strstr(err.msg, "floating-point"));
    json_decref(v);

    v = json_stringn("a\0b", 3);
    assert_int_equal(sw_cjson_encode(v, &out, &err), -SW_E_JSON);
    assert_non_null(strstr(err.msg, "NUL"));
    json_decref(v);

    v = json_stringn_nocheck("\xc3", 1);
    assert_int_equal(sw_cjson_encode(v, &out, &err), -SW_E_JSON);
    assert_non_null(strstr(err.msg, "invalid UTF-8"));
    json_decref(v);

    v = json_object();
    json_object_setn_new_nocheck(v, "\xff", 1, json_true());
    assert_int_equal(sw_cjson_encode(v, &out, &err), -SW_E_JSON);
    json_decref(v);

    deep = json_array();
    v = deep;
    for (int i = 0; i < SW_CJSON_MAX_DEPTH; i++) {
        json_t *a = json_array();
        json_array_append_new(v, a);
        v = a;
    }
    assert_int_equal(sw_cjson_encode(deep, &out, &err), -SW_E_LIMIT);
    json_decref(deep);

    v = json_pack("{s:s}", "key", "a long value");
    assert_int_equal(sw_cjson_encode(v, &small, &err), -SW_E_LIMIT);
    json_decref(v);
    sw_buf_release(&small);

    /* a tree built in code encodes like the parsed one */
    v = json_pack("{s:i,s:[b,n],s:s}", "z", -7, "a", 1, "m", "\"\\");
    out.len = 0;
    assert_int_equal(sw_cjson_encode(v, &out, &err), 0);
    assert_string_equal((char *)out.data, "{\"a\":[true,null],\"m\":\"\\\"\\\\\",\"z\":-7}");
    json_decref(v);
    sw_buf_release(&out);
}

static void
test_printable(void **state)
{
    char buf[SW_CJSON_PRINTABLE_MAX];
    char tiny[12];
    char longs[300];
    (void)state;
    assert_string_equal(sw_cjson_printable("abc", buf, sizeof(buf)), "abc");
    assert_string_equal(sw_cjson_printable("a\nb\\\xc3\xa9", buf, sizeof(buf)),
                        "a\\x0ab\\x5c\\xc3\\xa9");
    assert_string_equal(sw_cjson_printable("abcdefghijklmnop", tiny, sizeof(tiny)), "abcdefgh...");
    memset(longs, 'x', sizeof(longs) - 1);
    longs[sizeof(longs) - 1] = '\0';
    sw_cjson_printable(longs, buf, sizeof(buf));
    assert_true(strlen(buf) < sizeof(buf));
    assert_non_null(strstr(buf, "..."));
    assert_string_equal(sw_cjson_printable(NULL, buf, sizeof(buf)), "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_key_order),
        cmocka_unit_test(test_key_order_prefix),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_scan_boundaries),
        cmocka_unit_test(test_view_lookup),
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_numbers_and_literals),
        cmocka_unit_test(test_refuse_duplicates),
        cmocka_unit_test(test_refuse_duplicates_big),
        cmocka_unit_test(test_refuse_floats),
        cmocka_unit_test(test_refuse_integers),
        cmocka_unit_test(test_refuse_utf8),
        cmocka_unit_test(test_refuse_nul_and_surrogates),
        cmocka_unit_test(test_refuse_syntax),
        cmocka_unit_test(test_error_position),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_length_limits),
        cmocka_unit_test(test_encode_refusals),
        cmocka_unit_test(test_printable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
