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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* --- scanning ------------------------------------------------------------------ */

/*
 * The loops every pass spends its time in, 16 bytes at a time where SSE2
 * is there (every x86-64), a byte at a time otherwise and for the tail.
 * Each reads only [p, end).
 */

/* The first '"', '\\', NUL or non-ASCII byte in [p, end) (what ends a plain run), or end. */
static const unsigned char *
scan_plain(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\'), z = _mm_setzero_si128();
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, b)),
                                   _mm_cmpeq_epi8(x, z));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(hit, x)); /* x: bytes >= 0x80 */
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < end && *p != '"' && *p != '\\' && *p != 0 && *p < 0x80)
        p++;
    return p;
}

/* The first '"' or '\\' in [p, end), or end. */
static const unsigned char *
scan_quote(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\');
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m =
            (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, b)));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < end && *p != '"' && *p != '\\')
        p++;
    return p;
}

/* The first '"', '{', '[', '}' or ']' in [p, end), or end. */
static const unsigned char *
scan_structural(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    /* '[' | 0x20 == '{' and ']' | 0x20 == '}', and no other byte maps there */
    const __m128i q = _mm_set1_epi8('"'), o = _mm_set1_epi8('{'), c = _mm_set1_epi8('}'),
                  lc = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i y = _mm_or_si128(x, lc);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_cmpeq_epi8(x, q), _mm_or_si128(_mm_cmpeq_epi8(y, o), _mm_cmpeq_epi8(y, c))));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < end && *p != '"' && *p != '{' && *p != '[' && *p != '}' && *p != ']')
        p++;
    return p;
}

/* The first '"', bracket or byte <= 0x20 (white space, between tokens) in [p, end), or end. */
static const unsigned char *
scan_token_end(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), o = _mm_set1_epi8('{'), c = _mm_set1_epi8('}'),
                  lc = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i y = _mm_or_si128(x, lc);
        __m128i low = _mm_cmpeq_epi8(_mm_max_epu8(x, lc), lc); /* x <= 0x20 */
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), low),
                         _mm_or_si128(_mm_cmpeq_epi8(y, o), _mm_cmpeq_epi8(y, c))));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < end && *p != '"' && *p != '{' && *p != '[' && *p != '}' && *p != ']' && *p > 0x20)
        p++;
    return p;
}

/* Past JSON white space; a run of spaces (a pretty-printed document's indentation) at once. */
static const unsigned char *
scan_ws_run(const unsigned char *p, const unsigned char *end)
{
    for (;;) {
        while (p < end && (*p == '\n' || *p == '\r' || *p == '\t'))
            p++;
        if (p >= end || *p != ' ')
            return p;
#if defined(__SSE2__)
        {
            const __m128i sp = _mm_set1_epi8(' ');
            while (end - p >= 16) {
                __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
                unsigned m = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, sp)) & 0xffffu;
                if (m) {
                    p += __builtin_ctz(m);
                    goto next;
                }
                p += 16;
            }
        }
#endif
        while (p < end && *p == ' ')
            p++;
#if defined(__SSE2__)
    next:;
#endif
    }
}

/* The same; most calls stand on a token already, and return at once. */
static inline const unsigned char *
scan_ws(const unsigned char *p, const unsigned char *end)
{
    if (p<end && * p> ' ')
        return p;
    return scan_ws_run(p, end);
}

/* --- parser ------------------------------------------------------------------ */

/* A key seen in an object being validated: its decoded bytes and where it stood. */
struct keyref {
    const unsigned char *s; /* into the input, or into a copy on keys.esc (escaped keys) */
    size_t n;
    const unsigned char *at;
};

/*
 * Keys of the object open at one depth (validation only; reused): a list,
 * and past DUP_SCAN_MAX keys an open-addressing table of indices + 1 into
 * it, so a duplicate is found when its key is read, in any object size.
 */
struct keyvec {
    struct keyref *v;
    size_t n, cap;
    uint32_t *tab;
    size_t tcap, tn; /* slots, and keys entered (tn == 0: not built for this object) */
};

/* Decoded copies of escaped keys, freed when validation ends. */
struct esccopy {
    struct esccopy *next;
    unsigned char bytes[];
};

struct parser {
    const unsigned char *start, *p, *end;
    size_t values;
    bool build;        /* build jansson values; false: validate only */
    bool had_escape;   /* the last string held a backslash escape */
    bool any_escape;   /* some string held one */
    bool unsorted;     /* some object's keys were not in canonical order (validate mode) */
    size_t str_len;    /* decoded length of the last string (validate mode) */
    struct sw_buf str; /* scratch for the string being decoded */
    struct keyvec *kv; /* validate mode: SW_CJSON_MAX_DEPTH + 1 of them */
    struct esccopy *esc;
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
    ps->p = scan_ws(ps->p, ps->end);
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

/* Append to the string being decoded (validate mode: only count, against the same cap). */
static int
str_put(struct parser *ps, const void *b, size_t n)
{
    if (ps->build)
        return sw_buf_append(&ps->str, b, n, NULL);
    if (n > SW_CJSON_MAX_STRING - ps->str_len)
        return -SW_E_LIMIT;
    ps->str_len += n;
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
    return str_put(ps, b, n);
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
    ps->str_len = 0;
    ps->had_escape = false;
    ps->p++;
    for (;;) {
        const unsigned char *run = ps->p;
        /* copy a run of plain bytes at once */
        ps->p = scan_plain(ps->p, ps->end);
        if (ps->p > run) {
            r = str_put(ps, run, (size_t)(ps->p - run));
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
            r = str_put(ps, ps->p, n);
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
            ps->had_escape = true;
            ps->any_escape = true;
            if (ps->end - ps->p < 2)
                return fail_at(ps, open, SW_E_JSON, "unterminated string");
            c = ps->p[1];
            ps->p += 2;
            switch (c) {
            case '"':
            case '\\':
            case '/':
                r = str_put(ps, &c, 1);
                break;
            case 'b':
                r = str_put(ps, "\b", 1);
                break;
            case 'f':
                r = str_put(ps, "\f", 1);
                break;
            case 'n':
                r = str_put(ps, "\n", 1);
                break;
            case 'r':
                r = str_put(ps, "\r", 1);
                break;
            case 't':
                r = str_put(ps, "\t", 1);
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
    if (!ps->build)
        return 0;
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
    if (!ps->build)
        return 0;
    *ret = make();
    if (!*ret)
        return sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
    return 0;
}

static int parse_value(struct parser *ps, int depth, json_t **ret);

static int
parse_array(struct parser *ps, int depth, json_t **ret)
{
    json_t *arr = ps->build ? json_array() : NULL;
    json_t *item = NULL;
    char tmp[16];
    int r;

    if (ps->build && !arr)
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
        if (ps->build && json_array_append_new(arr, item) < 0) {
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
    if (ps->build)
        *ret = arr;
    return 0;
fail:
    json_decref(arr);
    return r;
}

static int
dup_key(struct parser *ps, const struct keyref *k)
{
    char pk[SW_CJSON_PRINTABLE_MAX];
    char *copy = strndup((const char *)k->s, k->n);
    int r;
    if (!copy)
        return sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
    r = fail_at(ps, k->at, SW_E_JSON, "duplicate key \"%s\"",
                sw_cjson_printable(copy, pk, sizeof(pk)));
    free(copy);
    return r;
}

/* Small objects: a new key against those before it; larger ones through a hash table. */
#define DUP_SCAN_MAX 16

static uint64_t
key_hash(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* Put index i of kv->v into the table (there is room). */
static void
tab_put(struct keyvec *kv, size_t i)
{
    size_t j = key_hash(kv->v[i].s, kv->v[i].n) & (kv->tcap - 1);
    while (kv->tab[j])
        j = (j + 1) & (kv->tcap - 1);
    kv->tab[j] = (uint32_t)(i + 1);
    kv->tn++;
}

/*
 * Whether k is among the keys kv->v[base..n) of the object being read
 * (1), after entering them in the table when it is not built yet; 0 when
 * new, or -SW_E_NOMEM. The caller appends k to the list afterwards.
 */
static int
key_seen(struct parser *ps, struct keyvec *kv, size_t base, const struct keyref *k)
{
    size_t need = 2 * (kv->n - base + 1), j;
    if (need > kv->tcap || kv->tn == 0) {
        size_t nc = kv->tcap ? kv->tcap : 64;
        while (nc < need)
            nc *= 2;
        if (nc != kv->tcap) {
            uint32_t *nt = calloc(nc, sizeof(*nt));
            if (!nt)
                return sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
            free(kv->tab);
            kv->tab = nt;
            kv->tcap = nc;
        } else {
            memset(kv->tab, 0, kv->tcap * sizeof(*kv->tab));
        }
        kv->tn = 0;
        for (size_t i = base; i < kv->n; i++)
            tab_put(kv, i);
    }
    for (j = key_hash(k->s, k->n) & (kv->tcap - 1); kv->tab[j]; j = (j + 1) & (kv->tcap - 1)) {
        const struct keyref *o = &kv->v[kv->tab[j] - 1];
        if (o->n == k->n && memcmp(o->s, k->s, k->n) == 0)
            return 1;
    }
    /* k goes in at index kv->n (appended next) */
    kv->tab[j] = (uint32_t)(kv->n + 1);
    kv->tn++;
    return 0;
}

/*
 * Validate an object without building it: every key is kept as a
 * reference (into the input when it has no escape) to refuse duplicates,
 * as the tree would.
 */
static int
check_object(struct parser *ps, int depth)
{
    struct keyvec *kv = &ps->kv[depth];
    size_t base = kv->n;
    char tmp[16];
    int r = 0;

    ps->p++; /* { */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return 0;
    }
    for (;;) {
        struct keyref k;
        skip_ws(ps);
        k.at = ps->p;
        if (ps->p >= ps->end || *ps->p != '"') {
            r = fail_at(ps, ps->p, SW_E_JSON, "expected a string key in object, found %s",
                        describe(ps, ps->p, tmp));
            goto out;
        }
        r = parse_string(ps);
        if (r < 0)
            goto out;
        if (!ps->had_escape) {
            k.s = k.at + 1;
            k.n = (size_t)(ps->p - k.at) - 2;
        } else {
            /* decode it once more, for comparison */
            const unsigned char *after = ps->p;
            struct esccopy *e;
            ps->p = k.at;
            ps->build = true;
            r = parse_string(ps);
            ps->build = false;
            if (r < 0)
                goto out;
            e = malloc(sizeof(*e) + ps->str.len + 1);
            if (!e) {
                r = sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
                goto out;
            }
            memcpy(e->bytes, ps->str.data ? ps->str.data : (unsigned char *)"", ps->str.len);
            e->next = ps->esc;
            ps->esc = e;
            k.s = e->bytes;
            k.n = ps->str.len;
            ps->p = after;
        }
        if (kv->n - base < DUP_SCAN_MAX) {
            for (size_t i = base; i < kv->n; i++)
                if (kv->v[i].n == k.n && memcmp(kv->v[i].s, k.s, k.n) == 0) {
                    r = dup_key(ps, &k);
                    goto out;
                }
        } else {
            r = key_seen(ps, kv, base, &k);
            if (r != 0) {
                if (r > 0)
                    r = dup_key(ps, &k);
                goto out;
            }
        }
        if (kv->n > base && !ps->unsorted) {
            /* in canonical order: after the key before it, in UTF-8 byte order */
            const struct keyref *pk = &kv->v[kv->n - 1];
            int c = memcmp(pk->s, k.s, pk->n < k.n ? pk->n : k.n);
            if (c > 0 || (c == 0 && pk->n > k.n))
                ps->unsorted = true;
        }
        if (kv->n == kv->cap) {
            size_t nc = kv->cap ? 2 * kv->cap : 64;
            struct keyref *nv = realloc(kv->v, nc * sizeof(*nv));
            if (!nv) {
                r = sw_error_set(ps->err, SW_E_NOMEM, "out of memory");
                goto out;
            }
            kv->v = nv;
            kv->cap = nc;
        }
        kv->v[kv->n++] = k;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
            r = fail_at(ps, ps->p, SW_E_JSON, "expected ':' after object key, found %s",
                        describe(ps, ps->p, tmp));
            goto out;
        }
        ps->p++;
        skip_ws(ps);
        r = parse_value(ps, depth + 1, NULL);
        if (r < 0)
            goto out;
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
        goto out;
    }
out:
    kv->n = base;
    if (kv->tn) {
        memset(kv->tab, 0, kv->tcap * sizeof(*kv->tab));
        kv->tn = 0;
    }
    return r;
}

static int
parse_object(struct parser *ps, int depth, json_t **ret)
{
    json_t *obj;
    json_t *item = NULL;
    char *key = NULL;
    char tmp[16];
    int r;

    if (!ps->build)
        return check_object(ps, depth);
    obj = json_object();
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
        if (r < 0 || !ps->build)
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

static int
run_parser(const void *data, size_t len, size_t max_len, json_t **ret, bool *ret_plain,
           struct sw_error *err)
{
    struct parser ps;
    struct keyvec kv[SW_CJSON_MAX_DEPTH + 2];
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
    memset(kv, 0, sizeof(kv));
    ps.start = ps.p = data ? data : (const unsigned char *)"";
    ps.end = ps.start + len;
    ps.str = (struct sw_buf)SW_BUF_INIT(SW_CJSON_MAX_STRING);
    ps.build = ret != NULL;
    ps.kv = kv;
    ps.err = err;

    if (len >= 3 && memcmp(ps.p, "\xef\xbb\xbf", 3) == 0) {
        r = fail_at(&ps, ps.p, SW_E_JSON, "byte-order mark not allowed");
        goto out;
    }
    skip_ws(&ps);
    r = parse_value(&ps, 1, ret ? &v : NULL);
    if (r < 0)
        goto out;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        r = fail_at(&ps, ps.p, SW_E_JSON, "trailing %s after the value", describe(&ps, ps.p, tmp));
        goto out;
    }
    if (ret)
        *ret = v;
    if (ret_plain)
        *ret_plain = !ps.any_escape && !ps.unsorted;
    v = NULL;
    r = 0;
out:
    json_decref(v);
    sw_buf_release(&ps.str);
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
        free(kv[i].v);
        free(kv[i].tab);
    }
    while (ps.esc) {
        struct esccopy *next = ps.esc->next;
        free(ps.esc);
        ps.esc = next;
    }
    return r;
}

int
sw_cjson_parse_mem(const void *data, size_t len, size_t max_len, json_t **ret, struct sw_error *err)
{
    if (!ret)
        return sw_error_set(err, SW_E_INVAL, "json: no result");
    return run_parser(data, len, max_len, ret, NULL, err);
}

int
sw_cjson_validate_plain(const void *data, size_t len, size_t max_len, struct sw_cjson_val *ret,
                        bool *ret_plain, struct sw_error *err)
{
    const unsigned char *p = data ? data : (const unsigned char *)"";
    bool plain = false;
    int r = run_parser(data, len, max_len, NULL, &plain, err);
    if (r < 0)
        return r;
    if (ret) {
        ret->p = p;
        ret->end = p + len;
        while (ret->p < ret->end &&
               (*ret->p == ' ' || *ret->p == '\t' || *ret->p == '\n' || *ret->p == '\r'))
            ret->p++;
    }
    if (ret_plain)
        *ret_plain = plain;
    return 0;
}

int
sw_cjson_validate(const void *data, size_t len, size_t max_len, struct sw_cjson_val *ret,
                  struct sw_error *err)
{
    return sw_cjson_validate_plain(data, len, max_len, ret, NULL, err);
}

/* --- views over validated bytes --------------------------------------------------- */

/*
 * These walk bytes sw_cjson_validate() accepted. Every step is bounded by
 * the view's end, so bytes that were not validated (a programmer error)
 * give wrong answers, never a read out of bounds.
 */

static const unsigned char *
ws(const unsigned char *p, const unsigned char *end)
{
    return scan_ws(p, end);
}

/*
 * p on the opening quote: the byte after the closing one, in one pass
 * that also tells whether the string holds an escape (*ret_esc).
 */
static const unsigned char *
skip_string(const unsigned char *p, const unsigned char *end, bool *ret_esc)
{
    const unsigned char *q = p + 1;
    bool esc = false;
    for (;;) {
        q = scan_quote(q, end);
        if (q >= end) {
            q = end;
            break;
        }
        if (*q == '"') {
            q++;
            break;
        }
        /* a backslash and the byte it escapes ("\\uXXXX": its hex digits are plain) */
        esc = true;
        q = end - q > 2 ? q + 2 : end;
    }
    if (ret_esc)
        *ret_esc = esc;
    return q;
}

static const unsigned char *
skip_value(const unsigned char *p, const unsigned char *end)
{
    size_t depth = 0;
    if (p >= end)
        return end;
    switch (*p) {
    case '"':
        return skip_string(p, end, NULL);
    case '{':
    case '[':
        for (; (p = scan_structural(p, end)) < end; p++) {
            switch (*p) {
            case '"':
                p = skip_string(p, end, NULL) - 1;
                break;
            case '{':
            case '[':
                depth++;
                break;
            default: /* '}' or ']' */
                if (--depth == 0)
                    return p + 1;
                break;
            }
        }
        return end;
    case 't':
    case 'n':
        return (size_t)(end - p) >= 4 ? p + 4 : end;
    case 'f':
        return (size_t)(end - p) >= 5 ? p + 5 : end;
    default:
        if (*p == '-')
            p++;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        return p;
    }
}

enum sw_cjson_kind
sw_cjson_kind(const struct sw_cjson_val *v)
{
    if (!v || !v->p || v->p >= v->end)
        return SW_CJSON_NONE;
    switch (*v->p) {
    case '{':
        return SW_CJSON_OBJECT;
    case '[':
        return SW_CJSON_ARRAY;
    case '"':
        return SW_CJSON_STRING;
    case 't':
        return SW_CJSON_TRUE;
    case 'f':
        return SW_CJSON_FALSE;
    case 'n':
        return SW_CJSON_NULL;
    default:
        return SW_CJSON_INTEGER;
    }
}

void
sw_cjson_iter_init(struct sw_cjson_iter *it, const struct sw_cjson_val *v)
{
    it->end = v->end;
    it->last = NULL;
    it->key_end = NULL;
    it->key_esc = false;
    it->p = v->p && v->p < v->end && (*v->p == '{' || *v->p == '[') ? v->p + 1 : v->end;
}

bool
sw_cjson_iter_next(struct sw_cjson_iter *it, struct sw_cjson_val *ret_key, struct sw_cjson_val *ret)
{
    const unsigned char *p;
    /* the value returned last is passed over only now: a caller that stops there never pays */
    if (it->last) {
        it->p = skip_value(it->last, it->end);
        it->last = NULL;
    }
    p = ws(it->p, it->end);
    if (p < it->end && *p == ',')
        p = ws(p + 1, it->end);
    if (p >= it->end || *p == '}' || *p == ']') {
        it->p = p < it->end ? p + 1 : it->end; /* after the closing bracket */
        return false;
    }
    if (ret_key) {
        ret_key->p = p;
        ret_key->end = it->end;
        p = skip_string(p, it->end, &it->key_esc);
        it->key_end = p;
        p = ws(p, it->end);
        if (p < it->end && *p == ':')
            p++;
        p = ws(p, it->end);
    }
    ret->p = p;
    ret->end = it->end;
    it->p = p;
    it->last = p;
    return true;
}

const unsigned char *
sw_cjson_iter_pos(const struct sw_cjson_iter *it)
{
    return it->p;
}

void
sw_cjson_iter_resume(struct sw_cjson_iter *it, const unsigned char *pos)
{
    if (pos && pos >= it->p && pos <= it->end) {
        it->p = pos;
        it->last = NULL;
    }
}

size_t
sw_cjson_count(const struct sw_cjson_val *v)
{
    struct sw_cjson_iter it;
    struct sw_cjson_val k, x;
    size_t n = 0;
    bool obj = sw_cjson_kind(v) == SW_CJSON_OBJECT;
    sw_cjson_iter_init(&it, v);
    while (sw_cjson_iter_next(&it, obj ? &k : NULL, &x))
        n++;
    return n;
}

/* Raw bytes between the quotes; *ret_esc when they hold an escape. */
static size_t
str_raw(const struct sw_cjson_val *v, const unsigned char **ret, bool *ret_esc)
{
    const unsigned char *close;
    if (sw_cjson_kind(v) != SW_CJSON_STRING) {
        *ret = (const unsigned char *)"";
        *ret_esc = false;
        return 0;
    }
    close = skip_string(v->p, v->end, ret_esc);
    *ret = v->p + 1;
    return close > v->p + 1 ? (size_t)(close - v->p - 2) : 0;
}

size_t
sw_cjson_str_decode(const struct sw_cjson_val *v, char *out)
{
    const unsigned char *s, *end;
    bool esc;
    size_t n = str_raw(v, &s, &esc), o = 0;

    if (!esc) {
        memcpy(out, s, n);
        out[n] = '\0';
        return n;
    }
    end = s + n;
    while (s < end) {
        unsigned cp, lo;
        if (*s != '\\') {
            out[o++] = (char)*s++;
            continue;
        }
        if (end - s < 2)
            break;
        s++;
        switch (*s++) {
        case 'b':
            out[o++] = '\b';
            break;
        case 'f':
            out[o++] = '\f';
            break;
        case 'n':
            out[o++] = '\n';
            break;
        case 'r':
            out[o++] = '\r';
            break;
        case 't':
            out[o++] = '\t';
            break;
        case 'u':
            if (hex4(s, end, &cp) < 0)
                goto done;
            s += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (end - s < 6 || hex4(s + 2, end, &lo) < 0)
                    goto done;
                s += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp < 0x80) {
                out[o++] = (char)cp;
            } else if (cp < 0x800) {
                out[o++] = (char)(0xc0 | (cp >> 6));
                out[o++] = (char)(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                out[o++] = (char)(0xe0 | (cp >> 12));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[o++] = (char)(0x80 | (cp & 0x3f));
            } else {
                out[o++] = (char)(0xf0 | (cp >> 18));
                out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[o++] = (char)(0x80 | (cp & 0x3f));
            }
            break;
        default: /* '"', '\\', '/' */
            out[o++] = (char)s[-1];
        }
    }
done:
    out[o] = '\0';
    return o;
}

const unsigned char *
sw_cjson_str_raw(const struct sw_cjson_val *v, size_t *ret_len, bool *ret_esc)
{
    const unsigned char *s;
    *ret_len = str_raw(v, &s, ret_esc);
    return s;
}

size_t
sw_cjson_str_raw_len(const struct sw_cjson_val *v)
{
    const unsigned char *s;
    bool esc;
    return str_raw(v, &s, &esc);
}

char *
sw_cjson_str_dup(const struct sw_cjson_val *v, size_t *ret_len)
{
    char *out = malloc(sw_cjson_str_raw_len(v) + 1);
    size_t n;
    if (!out)
        return NULL;
    n = sw_cjson_str_decode(v, out);
    if (ret_len)
        *ret_len = n;
    return out;
}

bool
sw_cjson_str_eq(const struct sw_cjson_val *v, const char *want)
{
    const unsigned char *s, *q;
    const unsigned char *w = (const unsigned char *)want;
    bool esc, eq;
    size_t n;
    char small[64], *d;

    if (sw_cjson_kind(v) != SW_CJSON_STRING)
        return false;
    /*
     * Byte by byte while there is no escape: the raw bytes are then the
     * decoded ones, so the first difference (or the closing quote) decides.
     */
    for (q = v->p + 1; q < v->end; q++, w++) {
        if (*q == '\\')
            goto decode;
        if (*q == '"')
            return *w == '\0';
        if (*q != *w) /* *w == '\0' included: the string goes on */
            return false;
    }
    return false;
decode:
    n = str_raw(v, &s, &esc);
    d = n < sizeof(small) ? small : malloc(n + 1);
    if (!d)
        return false;
    eq = sw_cjson_str_decode(v, d) == strlen(want) && strcmp(d, want) == 0;
    if (d != small)
        free(d);
    return eq;
}

bool
sw_cjson_get(const struct sw_cjson_val *obj, const char *key, struct sw_cjson_val *ret)
{
    struct sw_cjson_iter it;
    struct sw_cjson_val k, v;
    if (sw_cjson_kind(obj) != SW_CJSON_OBJECT)
        return false;
    sw_cjson_iter_init(&it, obj);
    while (sw_cjson_iter_next(&it, &k, &v))
        if (sw_cjson_str_eq(&k, key)) {
            *ret = v;
            return true;
        }
    return false;
}

int64_t
sw_cjson_int(const struct sw_cjson_val *v)
{
    const unsigned char *p = v->p;
    bool neg = false;
    uint64_t mag = 0;
    if (sw_cjson_kind(v) != SW_CJSON_INTEGER)
        return 0;
    if (p < v->end && *p == '-') {
        neg = true;
        p++;
    }
    while (p < v->end && *p >= '0' && *p <= '9')
        mag = mag * 10 + (unsigned)(*p++ - '0');
    if (neg)
        return mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    return (int64_t)mag;
}

/* --- canonical encoding of a view ------------------------------------------------- */

/*
 * Output goes to out, unless ref is set: then as long as the output equals
 * ref byte for byte nothing is copied (a document served in canonical form
 * is its own signed bytes); at the first difference the matching prefix is
 * copied to out and output continues there.
 */
struct sink {
    struct sw_buf *out;
    const unsigned char *ref;
    size_t ref_len, pos;
    bool diverged;
    struct sw_error *err;
};

/*
 * Room for n more bytes in out, at once: the canonical form of a
 * validated value is never longer than the value as served (white space
 * goes, escapes only shorten), so a copy that diverges from its input
 * grows to that size once instead of doubling (no copies on the way, and
 * only the pages written are touched). Best effort: appending grows the
 * buffer as usual if this fails.
 */
static void
reserve(struct sw_buf *out, size_t n)
{
    size_t want = out->len + n + 1;
    unsigned char *nd;
    if (out->max && want > out->max + 1)
        want = out->max + 1;
    if (want <= out->cap)
        return;
    nd = realloc(out->data, want);
    if (!nd)
        return;
    out->data = nd;
    out->data[out->len] = '\0';
    out->cap = want;
}

static int
emit(struct sink *k, const void *b, size_t n)
{
    struct sw_buf *o = k->out;
    if (!k->ref || k->diverged) {
        /* the common case in place: room in the buffer (kept NUL-terminated) */
        if (o->data && o->cap - o->len > n && (!o->max || o->len + n <= o->max)) {
            memcpy(o->data + o->len, b, n);
            o->len += n;
            o->data[o->len] = '\0';
            return 0;
        }
        return sw_buf_append(o, b, n, k->err);
    }
    if (k->ref && !k->diverged) {
        if (n <= k->ref_len - k->pos && memcmp(k->ref + k->pos, b, n) == 0) {
            k->pos += n;
            return 0;
        }
        int r;
        k->diverged = true;
        reserve(k->out, k->ref_len);
        r = sw_buf_append(k->out, k->ref, k->pos, k->err);
        if (r < 0)
            return r;
    }
    return sw_buf_append(k->out, b, n, k->err);
}

struct member {
    const unsigned char *key; /* decoded */
    size_t klen;
    struct sw_cjson_val val;
    char *owned; /* key decoded from escapes, or NULL */
};

static int
cmp_member(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static int
emit_string(struct sink *k, const unsigned char *s, size_t n)
{
    size_t run = 0;
    int r = emit(k, "\"", 1);
    for (size_t i = 0; r == 0 && i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            r = emit(k, s + run, i - run);
            if (r == 0)
                r = emit(k, "\\", 1);
            run = i;
        }
    }
    if (r == 0)
        r = emit(k, s + run, n - run);
    if (r == 0)
        r = emit(k, "\"", 1);
    return r;
}

static int
emit_view_string(struct sink *k, const struct sw_cjson_val *v)
{
    const unsigned char *s;
    bool esc;
    size_t n = str_raw(v, &s, &esc);
    char *d;
    int r;
    if (!esc && (size_t)(v->end - v->p) >= n + 2) /* no backslash, so no quote inside */
        return emit(k, v->p, n + 2);              /* as it is, quotes included */
    d = malloc(n + 1);
    if (!d)
        return sw_error_set(k->err, SW_E_NOMEM, "out of memory");
    n = sw_cjson_str_decode(v, d);
    r = emit_string(k, (const unsigned char *)d, n);
    free(d);
    return r;
}

/* Bytes written so far (whether still matching ref or copied to out). */
static size_t
sink_pos(const struct sink *k)
{
    return k->ref && !k->diverged ? k->pos : k->out->len;
}

/* Take back what was written after pos (out holds the whole output once diverged). */
static void
sink_rewind(struct sink *k, size_t pos)
{
    if (k->ref && !k->diverged)
        k->pos = pos;
    else
        k->out->len = pos;
}

static int encode_view(struct sink *k, const struct sw_cjson_val *v, int depth,
                       const unsigned char **ret_end);

/* An object whose keys are not in order: every member gathered, sorted, then written. */
static int
encode_sorted(struct sink *k, const struct sw_cjson_val *v, int depth,
              const unsigned char **ret_end)
{
    struct sw_cjson_iter it;
    struct sw_cjson_val key, x;
    struct member *m = NULL;
    size_t n = 0, cap = 0;
    int r = 0;

    sw_cjson_iter_init(&it, v);
    while (sw_cjson_iter_next(&it, &key, &x)) {
        const unsigned char *s;
        bool esc;
        size_t kl = str_raw(&key, &s, &esc);
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 8;
            struct member *nm = realloc(m, nc * sizeof(*nm));
            if (!nm) {
                r = sw_error_set(k->err, SW_E_NOMEM, "out of memory");
                goto out;
            }
            m = nm;
            cap = nc;
        }
        m[n].owned = NULL;
        if (esc) {
            m[n].owned = sw_cjson_str_dup(&key, &kl);
            if (!m[n].owned) {
                r = sw_error_set(k->err, SW_E_NOMEM, "out of memory");
                goto out;
            }
            s = (const unsigned char *)m[n].owned;
        }
        m[n].key = s;
        m[n].klen = kl;
        m[n].val = x;
        n++;
    }
    *ret_end = sw_cjson_iter_pos(&it);
    if (n > 1)
        qsort(m, n, sizeof(*m), cmp_member);
    r = emit(k, "{", 1);
    for (size_t i = 0; r == 0 && i < n; i++) {
        const unsigned char *e;
        if (i)
            r = emit(k, ",", 1);
        if (r == 0)
            r = emit_string(k, m[i].key, m[i].klen);
        if (r == 0)
            r = emit(k, ":", 1);
        if (r == 0)
            r = encode_view(k, &m[i].val, depth + 1, &e);
    }
    if (r == 0)
        r = emit(k, "}", 1);
out:
    for (size_t i = 0; i < n; i++)
        free(m[i].owned);
    free(m);
    return r;
}

/* Key a after key b in canonical order? Keys with escapes are compared decoded. */
static int
key_order(const struct sw_cjson_val *a, const struct sw_cjson_val *b, bool *ret_after)
{
    const unsigned char *sa, *sb;
    bool ea, eb;
    size_t na = str_raw(a, &sa, &ea), nb = str_raw(b, &sb, &eb), n;
    char *da = NULL, *db = NULL;
    int c;
    if (ea) {
        da = sw_cjson_str_dup(a, &na);
        sa = (const unsigned char *)da;
    }
    if (eb) {
        db = sw_cjson_str_dup(b, &nb);
        sb = (const unsigned char *)db;
    }
    if ((ea && !da) || (eb && !db)) {
        free(da);
        free(db);
        return -SW_E_NOMEM;
    }
    n = na < nb ? na : nb;
    c = memcmp(sa, sb, n);
    *ret_after = c > 0 || (c == 0 && na > nb);
    free(da);
    free(db);
    return 0;
}

/*
 * The canonical form of v, and where v ends in the input (*ret_end). An
 * object is written in one pass as long as its keys come in order (as in
 * any canonical or sorted document); the first key out of order takes
 * back what was written of it and sorts it instead.
 */
static int
encode_view(struct sink *k, const struct sw_cjson_val *v, int depth, const unsigned char **ret_end)
{
    struct sw_cjson_iter it;
    struct sw_cjson_val key, prev, x;
    int r = 0;

    *ret_end = v->p;
    if (depth > SW_CJSON_MAX_DEPTH)
        return sw_error_set(k->err, SW_E_LIMIT, "canonical json: nesting deeper than %d",
                            SW_CJSON_MAX_DEPTH);
    switch (sw_cjson_kind(v)) {
    case SW_CJSON_OBJECT: {
        size_t start = sink_pos(k), pn = 0;
        bool first = true, pesc = false;
        r = emit(k, "{", 1);
        sw_cjson_iter_init(&it, v);
        while (r == 0 && sw_cjson_iter_next(&it, &key, &x)) {
            const unsigned char *e;
            /* the key's bytes, as the iterator passed over them */
            size_t kn = it.key_end >= key.p + 2 ? (size_t)(it.key_end - key.p) - 2 : 0;
            bool kesc = it.key_esc;
            if (!first) {
                bool after = false;
                if (!kesc && !pesc) { /* raw bytes are the decoded ones */
                    int c = memcmp(key.p + 1, prev.p + 1, kn < pn ? kn : pn);
                    after = c > 0 || (c == 0 && kn > pn);
                } else {
                    r = key_order(&key, &prev, &after);
                    if (r < 0)
                        return sw_error_set(k->err, SW_E_NOMEM, "out of memory");
                }
                if (!after) {
                    sink_rewind(k, start);
                    return encode_sorted(k, v, depth, ret_end);
                }
                r = emit(k, ",", 1);
            }
            first = false;
            prev = key;
            pn = kn;
            pesc = kesc;
            if (r == 0 && !kesc && it.key_end == key.p + kn + 2)
                r = emit(k, key.p, kn + 2); /* no backslash, so no quote inside */
            else if (r == 0)
                r = emit_view_string(k, &key);
            if (r == 0)
                r = emit(k, ":", 1);
            if (r == 0)
                r = encode_view(k, &x, depth + 1, &e);
            if (r == 0)
                sw_cjson_iter_resume(&it, e);
        }
        if (r == 0)
            r = emit(k, "}", 1);
        *ret_end = sw_cjson_iter_pos(&it);
        return r;
    }
    case SW_CJSON_ARRAY: {
        bool first = true;
        r = emit(k, "[", 1);
        sw_cjson_iter_init(&it, v);
        while (r == 0 && sw_cjson_iter_next(&it, NULL, &x)) {
            const unsigned char *e;
            if (!first)
                r = emit(k, ",", 1);
            first = false;
            if (r == 0)
                r = encode_view(k, &x, depth + 1, &e);
            if (r == 0)
                sw_cjson_iter_resume(&it, e);
        }
        if (r == 0)
            r = emit(k, "]", 1);
        *ret_end = sw_cjson_iter_pos(&it);
        return r;
    }
    case SW_CJSON_STRING: {
        bool esc;
        *ret_end = skip_string(v->p, v->end, &esc);
        if (!esc && *ret_end >= v->p + 2 && (*ret_end)[-1] == '"')
            return emit(k, v->p, (size_t)(*ret_end - v->p)); /* as it is, quotes included */
        return emit_view_string(k, v);
    }
    case SW_CJSON_INTEGER:
        /* validated: no '+', no leading zero, no "-0", so the digits are canonical */
        *ret_end = skip_value(v->p, v->end);
        return emit(k, v->p, (size_t)(*ret_end - v->p));
    case SW_CJSON_TRUE:
        *ret_end = skip_value(v->p, v->end);
        return emit(k, "true", 4);
    case SW_CJSON_FALSE:
        *ret_end = skip_value(v->p, v->end);
        return emit(k, "false", 5);
    case SW_CJSON_NULL:
        *ret_end = skip_value(v->p, v->end);
        return emit(k, "null", 4);
    case SW_CJSON_NONE:
        break;
    }
    return sw_error_set(k->err, SW_E_INVAL, "canonical json: no value");
}

int
sw_cjson_encode_view(const struct sw_cjson_val *v, struct sw_buf *out, struct sw_error *err)
{
    struct sink k = {out, NULL, 0, 0, false, err};
    const unsigned char *e;
    return encode_view(&k, v, 1, &e);
}

int
sw_cjson_encode_view_end(const struct sw_cjson_val *v, struct sw_buf *out,
                         const unsigned char **ret_end, struct sw_error *err)
{
    struct sink k = {out, NULL, 0, 0, false, err};
    const unsigned char *e;
    int r = encode_view(&k, v, 1, &e);
    if (r == 0)
        *ret_end = e;
    return r;
}

int
sw_cjson_encode_view_same(const struct sw_cjson_val *v, bool *ret_same, struct sw_buf *out,
                          struct sw_error *err)
{
    /* compared with the input from v on; where v ends is known once it is encoded */
    const unsigned char *e;
    struct sink k = {out, v->p, (size_t)(v->end - v->p), 0, false, err};
    int r = encode_view(&k, v, 1, &e);
    if (r < 0)
        return r;
    *ret_same = !k.diverged && k.pos == (size_t)(e - v->p);
    if (!k.diverged && !*ret_same)
        r = sw_buf_append(out, k.ref, k.pos, err);
    return r;
}

int
sw_cjson_minify_view(const struct sw_cjson_val *v, bool *ret_same, struct sw_buf *out,
                     struct sw_error *err)
{
    const unsigned char *p = v->p, *end = v->end, *from = v->p;
    size_t depth = 0;
    bool copying = !ret_same; /* with ret_same: nothing is copied until white space is met */
    int r = 0;

    if (ret_same)
        *ret_same = false;
    if (sw_cjson_kind(v) != SW_CJSON_OBJECT && sw_cjson_kind(v) != SW_CJSON_ARRAY) {
        if (ret_same) {
            *ret_same = true;
            return 0;
        }
        return sw_buf_append(out, v->p, sw_cjson_raw_len(v), err);
    }
    /* [from, p) is what is kept and not yet copied */
    while (r == 0 && p < end) {
        p = scan_token_end(p, end);
        if (p >= end)
            break;
        if (*p == '"') {
            p = skip_string(p, end, NULL);
        } else if (*p <= 0x20) {
            if (!copying) {
                reserve(out, (size_t)(end - v->p)); /* at most this long; touched as written */
                copying = true;
            }
            r = sw_buf_append(out, from, (size_t)(p - from), err);
            from = p = scan_ws(p, end);
        } else {
            if (*p == '{' || *p == '[')
                depth++;
            else if (--depth == 0) {
                p++;
                break;
            }
            p++;
        }
    }
    if (r == 0 && !copying) {
        *ret_same = true;
        return 0;
    }
    if (r == 0 && p > from)
        r = sw_buf_append(out, from, (size_t)(p - from), err);
    return r;
}

size_t
sw_cjson_raw_len(const struct sw_cjson_val *v)
{
    return (size_t)(skip_value(v->p, v->end) - v->p);
}

int
sw_cjson_view_to_json(const struct sw_cjson_val *v, json_t **ret, struct sw_error *err)
{
    struct sw_buf b = SW_BUF_INIT(SW_CJSON_MAX_LEN);
    int r = sw_cjson_encode_view(v, &b, err);
    if (r == 0)
        r = sw_cjson_parse_mem(b.data, b.len, 0, ret, err);
    sw_buf_release(&b);
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
