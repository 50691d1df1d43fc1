/* SPDX-License-Identifier: MIT */
/*
 * Canonical JSON: a strict recursive-descent parser that builds jansson
 * values (jansson's own parser has no depth limit of ours, accepts floats
 * and reports less), and the OLPC canonical encoder. Interpreting the
 * tree is left to the metadata and key modules.
 */
#include <slipway/cjson.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- parser ------------------------------------------------------------------ */

struct parser {
    const unsigned char *start, *p, *end;
    size_t values;
    struct sw_buf str; /* scratch for the string being decoded */
    struct sw_error *err;
};

/* Line and column (1-based, column in bytes) of a position, for messages. */
static void
position(const struct parser *ps, const unsigned char *at, size_t *ret_line, size_t *ret_col)
{
    size_t line = 1, col = 1;
    for (const unsigned char *q = ps->start; q < at; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    *ret_line = line;
    *ret_col = col;
}

static int fail_at(struct parser *ps, const unsigned char *at, int code, const char *fmt, ...)
    SW_PRINTF(4, 5);

static int
fail_at(struct parser *ps, const unsigned char *at, int code, const char *fmt, ...)
{
    char msg[SW_ERROR_MSG_MAX];
    size_t line, col;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    position(ps, at, &line, &col);
    return sw_error_set(ps->err, code, "json: %s at line %zu, column %zu (byte %zu)", msg, line,
                        col, (size_t)(at - ps->start));
}

/* Describe the byte at p for "unexpected ..." messages. */
static const char *
describe(const struct parser *ps, const unsigned char *p, char buf[16])
{
    if (p >= ps->end)
        return "end of input";
    if (*p >= 0x21 && *p <= 0x7e)
        snprintf(buf, 16, "'%c'", *p);
    else
        snprintf(buf, 16, "byte 0x%02x", *p);
    return buf;
}

static void
skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/*
 * Length of the valid UTF-8 sequence at p (1-4), or 0 when it is invalid
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
 */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
    size_t avail = (size_t)(end - p);
    unsigned char c = p[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        if (avail < 2 || (p[1] & 0xc0) != 0x80)
            return 0;
        return 2;
    }
    if (c >= 0xe0 && c <= 0xef) {
        unsigned char lo = 0x80, hi = 0xbf;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* U+D800-U+DFFF */
        if (avail < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned char lo = 0x80, hi = 0xbf;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
        if (avail < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

static int
hex4(const unsigned char *p, const unsigned char *end, unsigned *ret)
{
    unsigned v = 0;
    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *ret = v;
    return 0;
}

static int
put_utf8(struct parser *ps, unsigned cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xe0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xf0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return sw_buf_append(&ps->str, b, n, NULL);
}

/*
 * Decode the string starting at ps->p (on the opening quote) into ps->str
 * (NUL-terminated, no NUL inside). Leaves ps->p after the closing quote.
 */
static int
parse_string(struct parser *ps)
{
    const unsigned char *open = ps->p;
    int r;

    ps->str.len = 0;
    ps->p++;
    for (;;) {
        const unsigned char *run = ps->p;
        /* copy a run of plain bytes at once */
        while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' && *ps->p >= 0x01 &&
               *ps->p < 0x80)
            ps->p++;
        if (ps->p > run) {
            r = sw_buf_append(&ps->str, run, (size_t)(ps->p - run), NULL);
            if (r < 0)
                goto too_long;
        }
        if (ps->p >= ps->end)
            return fail_at(ps, open, SW_E_JSON, "unterminated string");
        if (*ps->p == '"') {
            ps->p++;
            break;
        }
        if (*ps->p == 0)
            return fail_at(ps, ps->p, SW_E_JSON, "NUL byte in string");
        if (*ps->p >= 0x80) {
            size_t n = utf8_seq(ps->p, ps->end);
            if (n == 0)
                return fail_at(ps, ps->p, SW_E_JSON, "invalid UTF-8 in string");
            r = sw_buf_append(&ps->str, ps->p, n, NULL);
            if (r < 0)
                goto too_long;
            ps->p += n;
            continue;
        }
        /* backslash escape */
        {
            const unsigned char *esc = ps->p;
            unsigned char c;
            unsigned cp;
            char tmp[16];
            if (ps->end - ps->p < 2)
                return fail_at(ps, open, SW_E_JSON, "unterminated string");
            c = ps->p[1];
            ps->p += 2;
            switch (c) {
            case '"':
            case '\\':
            case '/':
                r = sw_buf_append(&ps->str, &c, 1, NULL);
                break;
            case 'b':
                r = sw_buf_append(&ps->str, "\b", 1, NULL);
                break;
            case 'f':
                r = sw_buf_append(&ps->str, "\f", 1, NULL);
                break;
            case 'n':
                r = sw_buf_append(&ps->str, "\n", 1, NULL);
                break;
            case 'r':
                r = sw_buf_append(&ps->str, "\r", 1, NULL);
                break;
            case 't':
                r = sw_buf_append(&ps->str, "\t", 1, NULL);
                break;
            case 'u':
                if (hex4(ps->p, ps->end, &cp) < 0)
                    return fail_at(ps, esc, SW_E_JSON, "invalid \\u escape");
                ps->p += 4;
                if (cp == 0)
                    return fail_at(ps, esc, SW_E_JSON, "NUL (\\u0000) in string");
                if (cp >= 0xdc00 && cp <= 0xdfff)
                    return fail_at(ps, esc, SW_E_JSON, "lone low surrogate \\u%04x", cp);
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    unsigned lo;
                    if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
                        hex4(ps->p + 2, ps->end, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
                        return fail_at(ps, esc, SW_E_JSON, "lone high surrogate \\u%04x", cp);
                    ps->p += 6;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                r = put_utf8(ps, cp);
                break;
            default:
                return fail_at(ps, esc, SW_E_JSON, "invalid escape \\%s",
                               describe(ps, esc + 1, tmp));
            }
            if (r < 0)
                goto too_long;
        }
    }
    return 0;

too_long:
    return fail_at(ps, open, SW_E_LIMIT, "string longer than %zu bytes",
                   (size_t)SW_CJSON_MAX_STRING);
}

static int
parse_number(struct parser *ps, json_t **ret)
{
    const unsigned char *start = ps->p;
    int neg = 0;
    uint64_t mag = 0;
    uint64_t limit;
    json_t *v;

    if (*ps->p == '-') {
        neg = 1;
        ps->p++;
    }
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return fail_at(ps, start, SW_E_JSON, "invalid number");
    if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9')
        return fail_at(ps, start, SW_E_JSON, "number with a leading zero");
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        unsigned d = (unsigned)(*ps->p - '0');
        if (mag > (limit - d) / 10)
            return fail_at(ps, start, SW_E_JSON, "integer out of the 64-bit range");
        mag = mag * 10 + d;
        ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == '.' || *ps->p == 'e' || *ps->p == 'E'))
        return fail_at(ps, start, SW_E_JSON,
                       "floating-point number (fraction or exponent) not allowed");
    if (neg && mag == 0)
        return fail_at(ps, start, SW_E_JSON, "negative zero not allowed");
    if (neg)
        v = json_integer(mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)mag);
    else
        v = json_integer((json_int_t)mag);
    if (!v)
        return sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
    *ret = v;
    return 0;
}

static int
literal(struct parser *ps, const char *word, json_t *(*make)(void), json_t **ret)
{
    size_t n = strlen(word);
    char tmp[16];
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail_at(ps, ps->p, SW_E_JSON, "unexpected %s", describe(ps, ps->p, tmp));
    ps->p += n;
    *ret = make();
    if (!*ret)
        return sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
    return 0;
}

static int parse_value(struct parser *ps, int depth, json_t **ret);

static int
parse_array(struct parser *ps, int depth, json_t **ret)
{
    json_t *arr = json_array();
    json_t *item = NULL;
    char tmp[16];
    int r;

    if (!arr)
        return sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
    ps->p++; /* [ */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        goto done;
    }
    for (;;) {
        skip_ws(ps);
        r = parse_value(ps, depth + 1, &item);
        if (r < 0)
            goto fail;
        if (json_array_append_new(arr, item) < 0) {
            r = sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            break;
        }
        r = fail_at(ps, ps->p, SW_E_JSON, "expected ',' or ']' in array, found %s",
                    describe(ps, ps->p, tmp));
        goto fail;
    }
done:
    *ret = arr;
    return 0;
fail:
    json_decref(arr);
    return r;
}

static int
parse_object(struct parser *ps, int depth, json_t **ret)
{
    json_t *obj = json_object();
    json_t *item = NULL;
    char *key = NULL;
    char tmp[16];
    int r;

    if (!obj)
        return sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
    ps->p++; /* { */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        goto done;
    }
    for (;;) {
        const unsigned char *key_at;
        skip_ws(ps);
        key_at = ps->p;
        if (ps->p >= ps->end || *ps->p != '"') {
            r = fail_at(ps, ps->p, SW_E_JSON, "expected a string key in object, found %s",
                        describe(ps, ps->p, tmp));
            goto fail;
        }
        r = parse_string(ps);
        if (r < 0)
            goto fail;
        key = strndup(ps->str.data ? (const char *)ps->str.data : "", ps->str.len);
        if (!key) {
            r = sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
        if (json_object_get(obj, key)) {
            char pk[SW_CJSON_PRINTABLE_MAX];
            r = fail_at(ps, key_at, SW_E_JSON, "duplicate key \"%s\"",
                        sw_cjson_printable(key, pk, sizeof(pk)));
            goto fail;
        }
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
            r = fail_at(ps, ps->p, SW_E_JSON, "expected ':' after object key, found %s",
                        describe(ps, ps->p, tmp));
            goto fail;
        }
        ps->p++;
        skip_ws(ps);
        r = parse_value(ps, depth + 1, &item);
        if (r < 0)
            goto fail;
        if (json_object_set_new_nocheck(obj, key, item) < 0) {
            r = sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
        free(key);
        key = NULL;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            break;
        }
        r = fail_at(ps, ps->p, SW_E_JSON, "expected ',' or '}' in object, found %s",
                    describe(ps, ps->p, tmp));
        goto fail;
    }
done:
    *ret = obj;
    return 0;
fail:
    free(key);
    json_decref(obj);
    return r;
}

static int
parse_value(struct parser *ps, int depth, json_t **ret)
{
    char tmp[16];
    int r;

    if (depth > SW_CJSON_MAX_DEPTH)
        return fail_at(ps, ps->p, SW_E_LIMIT, "nesting deeper than %d", SW_CJSON_MAX_DEPTH);
    if (++ps->values > SW_CJSON_MAX_VALUES)
        return fail_at(ps, ps->p, SW_E_LIMIT, "more than %d values", SW_CJSON_MAX_VALUES);
    if (ps->p >= ps->end)
        return fail_at(ps, ps->p, SW_E_JSON, "unexpected end of input, expected a value");
    switch (*ps->p) {
    case '{':
        return parse_object(ps, depth, ret);
    case '[':
        return parse_array(ps, depth, ret);
    case '"':
        r = parse_string(ps);
        if (r < 0)
            return r;
        *ret = json_stringn_nocheck(ps->str.data ? (const char *)ps->str.data : "", ps->str.len);
        if (!*ret)
            return sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
        return 0;
    case 't':
        return literal(ps, "true", json_true, ret);
    case 'f':
        return literal(ps, "false", json_false, ret);
    case 'n':
        return literal(ps, "null", json_null, ret);
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps, ret);
        if (*ps->p == '.')
            return fail_at(ps, ps->p, SW_E_JSON,
                           "floating-point number (fraction or exponent) not allowed");
        return fail_at(ps, ps->p, SW_E_JSON, "unexpected %s, expected a value",
                       describe(ps, ps->p, tmp));
    }
}

int
sw_cjson_parse_mem(const void *data, size_t len, size_t max_len, json_t **ret, struct sw_error *err)
{
    struct parser ps;
    json_t *v = NULL;
    char tmp[16];
    int r;

    if (max_len == 0 || max_len > SW_CJSON_MAX_LEN)
        max_len = SW_CJSON_MAX_LEN;
    if (len > max_len)
        return sw_error_set(err, SW_E_LIMIT, "json: document of %zu bytes exceeds the limit of %zu",
                            len, max_len);
    if (!data && len)
        return sw_error_set(err, SW_E_INVAL, "json: no data");
    memset(&ps, 0, sizeof(ps));
    ps.start = ps.p = data ? data : (const unsigned char *)"";
    ps.end = ps.start + len;
    ps.str = (struct sw_buf)SW_BUF_INIT(SW_CJSON_MAX_STRING);
    ps.err = err;

    if (len >= 3 && memcmp(ps.p, "\xef\xbb\xbf", 3) == 0) {
        r = fail_at(&ps, ps.p, SW_E_JSON, "byte-order mark not allowed");
        goto out;
    }
    skip_ws(&ps);
    r = parse_value(&ps, 1, &v);
    if (r < 0)
        goto out;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        r = fail_at(&ps, ps.p, SW_E_JSON, "trailing %s after the value", describe(&ps, ps.p, tmp));
        goto out;
    }
    *ret = v;
    v = NULL;
    r = 0;
out:
    json_decref(v);
    sw_buf_release(&ps.str);
    return r;
}

/* --- encoder ------------------------------------------------------------------ */

static int
check_utf8(const char *s, size_t n, const char *what, struct sw_error *err)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        size_t k;
        if (*p == 0)
            return sw_error_set(err, SW_E_JSON, "canonical json: NUL byte in %s", what);
        k = utf8_seq(p, end);
        if (k == 0)
            return sw_error_set(err, SW_E_JSON, "canonical json: invalid UTF-8 in %s", what);
        p += k;
    }
    return 0;
}

static int
encode_string(const char *s, size_t n, const char *what, struct sw_buf *out, struct sw_error *err)
{
    size_t i, run = 0;
    int r = check_utf8(s, n, what, err);
    if (r < 0)
        return r;
    r = sw_buf_append(out, "\"", 1, err);
    for (i = 0; r == 0 && i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            r = sw_buf_append(out, s + run, i - run, err);
            if (r == 0)
                r = sw_buf_append(out, "\\", 1, err);
            run = i;
        }
    }
    if (r == 0)
        r = sw_buf_append(out, s + run, n - run, err);
    if (r == 0)
        r = sw_buf_append(out, "\"", 1, err);
    return r;
}

struct okey {
    const char *key;
    size_t len;
    json_t *value;
};

static int
cmp_okey(const void *a, const void *b)
{
    const struct okey *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static int encode_value(const json_t *v, int depth, struct sw_buf *out, struct sw_error *err);

static int
encode_object(const json_t *v, int depth, struct sw_buf *out, struct sw_error *err)
{
    size_t n = json_object_size(v), i = 0;
    struct okey *keys = NULL;
    const char *k;
    size_t klen;
    json_t *val;
    void *tmp;
    int r = 0;

    if (n) {
        keys = calloc(n, sizeof(*keys));
        if (!keys)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    json_object_keylen_foreach_safe((json_t *)v, tmp, k, klen, val)
    {
        if (i < n) {
            keys[i].key = k;
            keys[i].len = klen;
            keys[i].value = val;
            i++;
        }
    }
    n = i;
    if (n > 1)
        qsort(keys, n, sizeof(*keys), cmp_okey);
    r = sw_buf_append(out, "{", 1, err);
    for (i = 0; r == 0 && i < n; i++) {
        if (i)
            r = sw_buf_append(out, ",", 1, err);
        if (r == 0)
            r = encode_string(keys[i].key, keys[i].len, "an object key", out, err);
        if (r == 0)
            r = sw_buf_append(out, ":", 1, err);
        if (r == 0)
            r = encode_value(keys[i].value, depth + 1, out, err);
    }
    if (r == 0)
        r = sw_buf_append(out, "}", 1, err);
    free(keys);
    return r;
}

static int
encode_value(const json_t *v, int depth, struct sw_buf *out, struct sw_error *err)
{
    char num[32];
    int r = 0;

    if (depth > SW_CJSON_MAX_DEPTH)
        return sw_error_set(err, SW_E_LIMIT, "canonical json: nesting deeper than %d",
                            SW_CJSON_MAX_DEPTH);
    if (!v)
        return sw_error_set(err, SW_E_INVAL, "canonical json: no value");
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return encode_object(v, depth, out, err);
    case JSON_ARRAY:
        r = sw_buf_append(out, "[", 1, err);
        for (size_t i = 0; r == 0 && i < json_array_size(v); i++) {
            if (i)
                r = sw_buf_append(out, ",", 1, err);
            if (r == 0)
                r = encode_value(json_array_get(v, i), depth + 1, out, err);
        }
        if (r == 0)
            r = sw_buf_append(out, "]", 1, err);
        return r;
    case JSON_STRING:
        return encode_string(json_string_value(v), json_string_length(v), "a string", out, err);
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" PRId64, (int64_t)json_integer_value(v));
        return sw_buf_append_str(out, num, err);
    case JSON_REAL:
        return sw_error_set(err, SW_E_JSON,
                            "canonical json: floating-point numbers cannot be encoded");
    case JSON_TRUE:
        return sw_buf_append(out, "true", 4, err);
    case JSON_FALSE:
        return sw_buf_append(out, "false", 5, err);
    case JSON_NULL:
        return sw_buf_append(out, "null", 4, err);
    }
    return sw_error_set(err, SW_E_INTERNAL, "canonical json: unknown value type");
}

int
sw_cjson_encode(const json_t *v, struct sw_buf *out, struct sw_error *err)
{
    return encode_value(v, 1, out, err);
}

/* --- messages ------------------------------------------------------------------ */

const char *
sw_cjson_printable(const char *s, char *buf, size_t bufsz)
{
    size_t o = 0;
    if (bufsz < 8) {
        if (bufsz)
            buf[0] = '\0';
        return buf;
    }
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;
        if (o + need + 4 > bufsz) { /* room for "..." and NUL */
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (need == 1)
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02x", c);
    }
    buf[o] = '\0';
    return buf;
}
