/* SPDX-License-Identifier: MIT */
/*
 * Version strings: validation and ordering (Semantic Versioning 2.0.0
 * precedence, with any number of release fields). Which version is
 * installed, or offered, is left to the offer and store modules.
 */
#include <slipway/version.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int
check_idents(const char *s, size_t n, int numeric_only, int no_leading_zero, const char *what,
             const char *full, struct sw_error *err)
{
    size_t i = 0;
    if (n == 0)
        return sw_error_set(err, SW_E_INVAL, "version '%s': empty %s", full, what);
    while (i <= n) {
        size_t start = i, len;
        int all_digits = 1;
        while (i < n && s[i] != '.') {
            char c = s[i];
            if (isdigit((unsigned char)c)) {
                /* fine */
            } else if (!numeric_only && (isalpha((unsigned char)c) || c == '-')) {
                all_digits = 0;
            } else {
                return sw_error_set(err, SW_E_INVAL,
                                    "version '%s': character '%c' is not "
                                    "allowed in the %s",
                                    full, c, what);
            }
            i++;
        }
        len = i - start;
        if (len == 0)
            return sw_error_set(err, SW_E_INVAL, "version '%s': empty field in the %s", full, what);
        if (no_leading_zero && all_digits && len > 1 && s[start] == '0')
            return sw_error_set(err, SW_E_INVAL,
                                "version '%s': numeric field with a leading zero in the %s", full,
                                what);
        if (all_digits && len > 18)
            return sw_error_set(err, SW_E_INVAL, "version '%s': number too large in the %s", full,
                                what);
        i++; /* skip '.' (or step past the end) */
    }
    return 0;
}

int
sw_version_check(const char *s, struct sw_error *err)
{
    size_t n = strlen(s), rel, pre_end;
    const char *dash, *plus;

    if (n == 0 || n > SW_VERSION_MAX_LEN)
        return sw_error_set(err, SW_E_INVAL, "version '%.80s' must be 1 to %d characters", s,
                            SW_VERSION_MAX_LEN);
    plus = strchr(s, '+');
    pre_end = plus ? (size_t)(plus - s) : n;
    dash = memchr(s, '-', pre_end);
    rel = dash ? (size_t)(dash - s) : pre_end;
    if (check_idents(s, rel, 1, 1, "release", s, err) < 0)
        return -SW_E_INVAL;
    if (dash && check_idents(dash + 1, pre_end - rel - 1, 0, 1, "prerelease", s, err) < 0)
        return -SW_E_INVAL;
    if (plus && check_idents(plus + 1, n - pre_end - 1, 0, 0, "build metadata", s, err) < 0)
        return -SW_E_INVAL;
    return 0;
}

/* Next dot-separated field of s[0..end); *pos advances. */
static int
next_field(const char *s, size_t end, size_t *pos, const char **ret, size_t *ret_len)
{
    size_t start = *pos;
    if (start > end)
        return 0;
    while (*pos < end && s[*pos] != '.')
        (*pos)++;
    *ret = s + start;
    *ret_len = *pos - start;
    (*pos)++;
    return 1;
}

static int
all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int
cmp_num(const char *a, size_t an, const char *b, size_t bn)
{
    /* no leading zeros (checked), so longer is larger */
    while (an > 1 && *a == '0')
        a++, an--;
    while (bn > 1 && *b == '0')
        b++, bn--;
    if (an != bn)
        return an < bn ? -1 : 1;
    {
        int c = memcmp(a, b, an);
        return c < 0 ? -1 : c > 0;
    }
}

static void
split(const char *s, size_t *ret_rel, size_t *ret_pre_start, size_t *ret_pre_end)
{
    size_t n = strlen(s);
    const char *plus = strchr(s, '+');
    size_t pre_end = plus ? (size_t)(plus - s) : n;
    const char *dash = memchr(s, '-', pre_end);
    *ret_rel = dash ? (size_t)(dash - s) : pre_end;
    *ret_pre_start = dash ? *ret_rel + 1 : pre_end;
    *ret_pre_end = pre_end;
}

int
sw_version_cmp(const char *a, const char *b)
{
    size_t arel, apre, aend, brel, bpre, bend;
    size_t ap = 0, bp = 0;

    split(a, &arel, &apre, &aend);
    split(b, &brel, &bpre, &bend);
    /* release fields; a missing field counts as 0 */
    for (;;) {
        const char *af = "0", *bf = "0";
        size_t al = 1, bl = 1;
        int ha = next_field(a, arel, &ap, &af, &al);
        int hb = next_field(b, brel, &bp, &bf, &bl);
        int c;
        if (!ha && !hb)
            break;
        if (!ha) {
            af = "0";
            al = 1;
        }
        if (!hb) {
            bf = "0";
            bl = 1;
        }
        c = cmp_num(af, al, bf, bl);
        if (c)
            return c;
    }
    /* a prerelease sorts before the release itself */
    if (apre == aend && bpre == bend)
        return 0;
    if (apre == aend)
        return 1;
    if (bpre == bend)
        return -1;
    ap = apre;
    bp = bpre;
    for (;;) {
        const char *af = "", *bf = "";
        size_t al = 0, bl = 0;
        int ha = next_field(a, aend, &ap, &af, &al);
        int hb = next_field(b, bend, &bp, &bf, &bl);
        int da, db, c;
        if (!ha || !hb)
            return ha == hb ? 0 : (ha ? 1 : -1);
        da = all_digits(af, al);
        db = all_digits(bf, bl);
        if (da && db)
            c = cmp_num(af, al, bf, bl);
        else if (da != db)
            c = da ? -1 : 1; /* numeric identifiers sort first */
        else {
            size_t m = al < bl ? al : bl;
            c = memcmp(af, bf, m);
            c = c ? (c < 0 ? -1 : 1) : (al == bl ? 0 : (al < bl ? -1 : 1));
        }
        if (c)
            return c;
    }
}
