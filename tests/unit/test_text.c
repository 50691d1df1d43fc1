/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of terminal-safe text: every C0 control, DEL, C1 control and
 * malformed UTF-8 byte is escaped, printable ASCII and well-formed UTF-8
 * are kept, output never splits an escape or a character, and the
 * printf and JSON sinks write no control byte.
 */
#include "testutil.h"

#include <slipway/text.h>

#include <stdlib.h>
#include <string.h>

static char *
esc(const char *s, size_t len, unsigned flags)
{
    static char out[1024];
    sw_text_escape_buf(out, sizeof(out), s, len, flags);
    return out;
}

#define ESC(lit, flags) esc(lit, sizeof(lit) - 1, flags)

/* No byte below 0x20 (but '\n' when allowed), no DEL, no 0x80..0x9f after 0xc2. */
static void
assert_clean(const char *s, int newline_ok)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n' && newline_ok)
            continue;
        if (*p < 0x20 || *p == 0x7f)
            fail_msg("control byte 0x%02x in '%s'", *p, s);
        if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            fail_msg("C1 control in '%s'", s);
    }
}

static void
test_controls(void **state)
{
    (void)state;
    assert_string_equal(ESC("plain name-1.0.tar", 0), "plain name-1.0.tar");
    assert_string_equal(ESC("\033[2J", 0), "\\x1b[2J");
    assert_string_equal(ESC("\033]0;owned\007", 0), "\\x1b]0;owned\\x07");
    assert_string_equal(ESC("a\rb", 0), "a\\x0db");
    assert_string_equal(ESC("a\tb", 0), "a\\x09b");
    assert_string_equal(ESC("a\nb", 0), "a\\x0ab");
    assert_string_equal(ESC("a\nb", SW_TEXT_KEEP_NEWLINE), "a\nb");
    assert_string_equal(ESC("a\rb", SW_TEXT_KEEP_NEWLINE), "a\\x0db");
    assert_string_equal(ESC("del\x7f", 0), "del\\x7f");
    assert_string_equal(ESC("\x01\x1f", 0), "\\x01\\x1f");
    /* a NUL inside the given length is escaped, not an end */
    assert_string_equal(esc("a\0b", 3, 0), "a\\x00b");
    /* backslash is kept: this is for terminals, not a reversible encoding */
    assert_string_equal(ESC("a\\x1b", 0), "a\\x1b");
    /* every byte below 0x20 and DEL */
    for (int c = 0; c < 0x20; c++) {
        char in[2] = {(char)c, 0}, want[8];
        snprintf(want, sizeof(want), "\\x%02x", c);
        assert_string_equal(esc(in, 1, 0), want);
    }
}

static void
test_c1_and_utf8(void **state)
{
    (void)state;
    /* U+009B (CSI) and U+0085 (NEL) in UTF-8 */
    assert_string_equal(ESC("\xc2\x9b"
                            "2J",
                            0),
                        "\\xc2\\x9b2J");
    assert_string_equal(ESC("\xc2\x85", 0), "\\xc2\\x85");
    assert_string_equal(ESC("\xc2\x80\xc2\x9f", 0), "\\xc2\\x80\\xc2\\x9f");
    /* U+00A0 and above are kept: é, €, an emoji, U+10FFFF */
    assert_string_equal(ESC("\xc2\xa0", 0), "\xc2\xa0");
    assert_string_equal(ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80", 0),
                        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80");
    assert_string_equal(ESC("\xf4\x8f\xbf\xbf", 0), "\xf4\x8f\xbf\xbf");
    /* raw C1 bytes, stray continuations, bad leads */
    assert_string_equal(ESC("\x9b"
                            "2J",
                            0),
                        "\\x9b2J");
    assert_string_equal(ESC("\x80\xbf", 0), "\\x80\\xbf");
    assert_string_equal(ESC("\xc0\xaf", 0), "\\xc0\\xaf"); /* overlong '/' */
    assert_string_equal(ESC("\xc1\x9b", 0), "\\xc1\\x9b"); /* overlong CSI-ish */
    assert_string_equal(ESC("\xe0\x80\x9b", 0), "\\xe0\\x80\\x9b");
    assert_string_equal(ESC("\xed\xa0\x80", 0), "\\xed\\xa0\\x80");          /* surrogate */
    assert_string_equal(ESC("\xf4\x90\x80\x80", 0), "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
    assert_string_equal(ESC("\xf5\x80", 0), "\\xf5\\x80");
    assert_string_equal(ESC("\xff\xfe", 0), "\\xff\\xfe");
    /* truncated sequences, at the end and before ASCII */
    assert_string_equal(ESC("ab\xe2\x82", 0), "ab\\xe2\\x82");
    assert_string_equal(ESC("\xe2\x82"
                            "x",
                            0),
                        "\\xe2\\x82x");
    assert_string_equal(ESC("\xc3", 0), "\\xc3");
}

static void
test_is_safe(void **state)
{
    (void)state;
    assert_true(sw_text_is_safe("abc", 3, 0));
    assert_true(sw_text_is_safe("caf\xc3\xa9", 5, 0));
    assert_true(sw_text_is_safe("a\n", 2, SW_TEXT_KEEP_NEWLINE));
    assert_false(sw_text_is_safe("a\n", 2, 0));
    assert_false(sw_text_is_safe("\033", 1, SW_TEXT_KEEP_NEWLINE));
    assert_false(sw_text_is_safe("\xc2\x9b", 2, 0));
    assert_false(sw_text_is_safe("\xc3", 1, 0));
    assert_true(sw_text_is_safe("", 0, 0));
    /* what ends a run of printable ASCII, after it */
    assert_false(sw_text_is_safe("abcdefghijklmnop\x7f", 17, 0));
    assert_false(sw_text_is_safe("abcdefghijklmnop\x01q", 18, 0));
    assert_true(sw_text_is_safe("abc\ndef\n", 8, SW_TEXT_KEEP_NEWLINE));
    assert_false(sw_text_is_safe("abc\ndef\r", 8, SW_TEXT_KEEP_NEWLINE));
    assert_true(sw_text_is_safe("abc \xc3\xa9 def", 10, 0));
}

static void
test_truncation(void **state)
{
    char out[8];
    (void)state;
    /* room for 7 bytes: "ab" + "\x1b" (4) = 6, the next escape does not fit */
    assert_int_equal(sw_text_escape_buf(out, sizeof(out), "ab\033\033", 4, 0), 6);
    assert_string_equal(out, "ab\\x1b");
    /* a UTF-8 character is never split */
    assert_int_equal(sw_text_escape_buf(out, 4, "a\xe2\x82\xac", 4, 0), 1);
    assert_string_equal(out, "a");
    assert_int_equal(sw_text_escape_buf(out, 1, "abc", 3, 0), 0);
    assert_string_equal(out, "");
    assert_int_equal(sw_text_escape_buf(out, 0, "abc", 3, 0), 0);
    /* a run of plain bytes is cut where the room ends, and goes on after an escape */
    assert_int_equal(sw_text_escape_buf(out, 4, "abcdef", 6, 0), 3);
    assert_string_equal(out, "abc");
    assert_int_equal(sw_text_escape_buf(out, sizeof(out),
                                        "a\x7f"
                                        "bc",
                                        4, 0),
                     7);
    assert_string_equal(out, "a\\x7fbc");
    assert_int_equal(sw_text_escape_buf(out, sizeof(out), "ab\ncd", 5, SW_TEXT_KEEP_NEWLINE), 5);
    assert_string_equal(out, "ab\ncd");
}

static void
test_escape_dup(void **state)
{
    char *s;
    (void)state;
    s = sw_text_escape("\033\033\033", 0);
    assert_string_equal(s, "\\x1b\\x1b\\x1b");
    free(s);
    s = sw_text_escape(NULL, 0);
    assert_string_equal(s, "");
    free(s);
}

static void
test_printf_sink(void **state)
{
    char *dir = tu_tmpdir(), *path = tu_path(dir, "out");
    unsigned char *got;
    FILE *f = fopen(path, "w");
    (void)state;
    assert_non_null(f);
    assert_int_equal(sw_text_printf(f, "%-6s|%s\n", "a\033[2J",
                                    "\xc2\x9b"
                                    "b\rc"),
                     0);
    assert_int_equal(sw_text_printf(f, "plain %d\n", 7), 0);
    fclose(f);
    got = tu_read(path, NULL);
    assert_string_equal((char *)got, "a\\x1b[2J |\\xc2\\x9bb\\x0dc\nplain 7\n");
    assert_clean((char *)got, 1);
    free(got);
    tu_rmtree(dir);
    free(path);
    free(dir);
}

static void
test_json_sink(void **state)
{
    json_t *v = json_pack("{s:s,s:s}", "name", "\033]0;t\007 \xc2\x9b x\x7f \xc3\xa9", "ok", "a");
    char *s;
    json_t *back;
    json_error_t jerr;
    (void)state;
    assert_non_null(v);
    s = sw_text_json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(s);
    assert_string_equal(s,
                        "{\"name\":\"\\u001B]0;t\\u0007 \\u009B x\\u007F \\u00E9\",\"ok\":\"a\"}");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
    /* and it is the same JSON */
    back = json_loads(s, 0, &jerr);
    assert_non_null(back);
    assert_true(json_equal(back, v));
    json_decref(back);
    free(s);
    json_decref(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_controls),   cmocka_unit_test(test_c1_and_utf8),
        cmocka_unit_test(test_is_safe),    cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_escape_dup), cmocka_unit_test(test_printf_sink),
        cmocka_unit_test(test_json_sink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
