/* SPDX-License-Identifier: MIT */
/*
 * Terminal-safe text: untrusted strings (target and role names, values from
 * signed metadata, file names of a repository) escaped before they reach a
 * terminal or a log, so no escape sequence, OSC title, carriage return or
 * C1 control can steer the operator's terminal. Used by the sinks (the
 * logger, the command layers' printing and JSON output); deciding what to
 * print is left to them.
 */
#ifndef SLIPWAY_TEXT_H
#define SLIPWAY_TEXT_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <slipway/error.h>

/* Keep '\n' as is (a sink's own line ends); without it '\n' is escaped too. */
#define SW_TEXT_KEEP_NEWLINE 1u

/* Longest escaped form of one input byte ("\xNN"). */
#define SW_TEXT_ESCAPE_MAX 4

/*
 * Copy len bytes of src to dst (dstsz bytes, always NUL-terminated when
 * dstsz > 0) with every byte that can steer a terminal written as \xNN
 * (lowercase hex): C0 controls (tab and CR included; '\n' only with
 * SW_TEXT_KEEP_NEWLINE), DEL, the two bytes of a C1 control (U+0080 to
 * U+009F in UTF-8), and each byte that is not part of well-formed UTF-8
 * (stray continuation bytes, overlong forms, surrogates, code points past
 * U+10FFFF, truncated sequences). Printable ASCII and well-formed UTF-8
 * above U+009F are kept as they are. Backslash is kept: this is for
 * terminal safety, not a reversible encoding. Output that does not fit
 * stops before the character that does not fit (never inside an escape or
 * a UTF-8 sequence). Returns the bytes written, without the NUL.
 */
size_t sw_text_escape_buf(char *dst, size_t dstsz, const char *src, size_t len, unsigned flags);

/*
 * The escaped copy of the NUL-terminated s (NULL gives ""), in new memory:
 * free() it. NULL when out of memory.
 */
char *sw_text_escape(const char *s, unsigned flags);

/* True when len bytes of s would be written unchanged. */
bool sw_text_is_safe(const char *s, size_t len, unsigned flags);

/*
 * printf to f, the whole formatted text escaped with SW_TEXT_KEEP_NEWLINE:
 * the command layers' sink for text output. Returns 0 or -SW_E_IO /
 * -SW_E_NOMEM (errno set).
 */
int sw_text_printf(FILE *f, const char *fmt, ...) SW_PRINTF(2, 3);
int sw_text_vprintf(FILE *f, const char *fmt, va_list ap) SW_PRINTF(2, 0);

/*
 * v as JSON text (json_dumps with flags) holding only printable ASCII
 * and white space: every non-ASCII character as \uXXXX (JSON_ENSURE_ASCII
 * is added) and DEL, which jansson leaves raw, as \u007F. Controls are
 * escaped by jansson. Free with free(); NULL when v cannot be encoded.
 */
char *sw_text_json_dumps(const json_t *v, size_t flags);

#endif
