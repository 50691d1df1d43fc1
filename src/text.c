/* SPDX-License-Identifier: MIT */
/*
 * Escaping of untrusted text for terminals and logs: C0, DEL, C1 and
 * malformed UTF-8 become \xNN, everything printable is kept. The sinks
 * (logger, command output, JSON output) call it; what they print is theirs.
 */
#include <slipway/text.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Length of the well-formed UTF-8 sequence at s (at most n bytes), 0 when
 * the bytes there are not one (RFC 3629 table: no overlongs, no surrogates,
 * nothing past U+10FFFF).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf)
        need = 2;
    else if (c >= 0xe0 && c <= 0xef)
        need = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (n < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return need;
}

/*
 * How the character at s is written: *ret_keep bytes kept as they are, or
 * (when 0) *ret_esc bytes escaped. Returns the input bytes consumed.
 */
static size_t
classify(const unsigned char *s, size_t n, unsigned flags, size_t *ret_keep, size_t *ret_esc)
{
    unsigned char c = s[0];
    size_t u;

    *ret_keep = 0;
    *ret_esc = 0;
    if (c == '\n' && (flags & SW_TEXT_KEEP_NEWLINE)) {
        *ret_keep = 1;
        return 1;
    }
    if (c < 0x20 || c == 0x7f) {
        *ret_esc = 1;
        return 1;
    }
    if (c < 0x80) {
        *ret_keep = 1;
        return 1;
    }
    u = utf8_len(s, n);
    if (u == 0) {
        *ret_esc = 1; /* one malformed byte; resynchronise on the next */
        return 1;
    }
    if (c == 0xc2 && s[1] <= 0x9f) { /* U+0080..U+009F: C1 controls */
        *ret_esc = 2;
        return 2;
    }
    *ret_keep = u;
    return u;
}

/* Bytes from i on that are printable ASCII (and newlines when kept): kept as they are. */
static size_t
plain_run(const unsigned char *p, size_t i, size_t len, unsigned flags)
{
    size_t j = i;
    if (flags & SW_TEXT_KEEP_NEWLINE) {
        while (j < len && ((p[j] >= 0x20 && p[j] < 0x7f) || p[j] == '\n'))
            j++;
    } else {
        while (j < len && p[j] >= 0x20 && p[j] < 0x7f)
            j++;
    }
    return j - i;
}

bool
sw_text_is_safe(const char *s, size_t len, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t keep, esc;
        i += plain_run(p, i, len, flags);
        if (i == len)
            break;
        i += classify(p + i, len - i, flags, &keep, &esc);
        if (esc)
            return false;
    }
    return true;
}

size_t
sw_text_escape_buf(char *dst, size_t dstsz, const char *src, size_t len, unsigned flags)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)src;
    size_t o = 0;

    if (dstsz == 0)
        return 0;
    for (size_t i = 0; i < len;) {
        size_t keep, esc, used, out, run = plain_run(p, i, len, flags);
        if (run) { /* copied at once, as far as there is room */
            if (run > dstsz - 1 - o)
                run = dstsz - 1 - o;
            memcpy(dst + o, p + i, run);
            o += run;
            i += run;
            if (i == len || o + 1 == dstsz)
                break;
        }
        used = classify(p + i, len - i, flags, &keep, &esc);
        out = keep ? keep : SW_TEXT_ESCAPE_MAX * esc;
        if (o + out + 1 > dstsz)
            break;
        if (keep) {
            memcpy(dst + o, p + i, keep);
            o += keep;
        } else {
            for (size_t j = 0; j < esc; j++) {
                dst[o++] = '\\';
                dst[o++] = 'x';
                dst[o++] = hex[p[i + j] >> 4];
                dst[o++] = hex[p[i + j] & 0xf];
            }
        }
        i += used;
    }
    dst[o] = '\0';
    return o;
}

char *
sw_text_escape(const char *s, unsigned flags)
{
    size_t len = s ? strlen(s) : 0, sz;
    char *out;

    if (len > (SIZE_MAX - 1) / SW_TEXT_ESCAPE_MAX)
        return NULL;
    sz = len * SW_TEXT_ESCAPE_MAX + 1;
    out = malloc(sz);
    if (!out)
        return NULL;
    sw_text_escape_buf(out, sz, s ? s : "", len, flags);
    return out;
}

int
sw_text_vprintf(FILE *f, const char *fmt, va_list ap)
{
    char *raw = NULL, *safe;
    int n = vasprintf(&raw, fmt, ap);
    int r = 0;

    if (n < 0)
        return -SW_E_NOMEM;
    if (sw_text_is_safe(raw, (size_t)n, SW_TEXT_KEEP_NEWLINE)) {
        safe = raw;
        raw = NULL;
    } else {
        safe = sw_text_escape(raw, SW_TEXT_KEEP_NEWLINE);
        if (!safe) {
            free(raw);
            errno = ENOMEM;
            return -SW_E_NOMEM;
        }
    }
    if (fputs(safe, f) == EOF)
        r = -SW_E_IO;
    free(safe);
    free(raw);
    return r;
}

int
sw_text_printf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = sw_text_vprintf(f, fmt, ap);
    va_end(ap);
    return r;
}

char *
sw_text_json_dumps(const json_t *v, size_t flags)
{
    char *s = json_dumps(v, flags | JSON_ENSURE_ASCII), *out;
    size_t n_del = 0, len, o = 0;

    if (!s)
        return NULL;
    len = strlen(s);
    for (size_t i = 0; i < len; i++)
        n_del += s[i] == 0x7f;
    if (n_del == 0)
        return s;
    /* DEL is only ever inside a string here: JSON's own syntax is ASCII */
    out = malloc(len + 5 * n_del + 1);
    if (out) {
        for (size_t i = 0; i < len; i++) {
            if (s[i] == 0x7f) {
                memcpy(out + o, "\\u007F", 6);
                o += 6;
            } else {
                out[o++] = s[i];
            }
        }
        out[o] = '\0';
    }
    free(s);
    return out;
}
