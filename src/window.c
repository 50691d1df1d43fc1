/* SPDX-License-Identifier: MIT */
/*
 * Maintenance windows: the parser of [slipway] maintenance-window and the
 * question "is this local time inside, and if not when does it open". A
 * window is a bitmap of the minutes of a week (Monday 00:00 first), so DST
 * changes need no special case: a time is inside when its local minute is.
 */
#include <slipway/window.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MINUTES_PER_DAY 1440
#define MINUTES_PER_WEEK (7 * MINUTES_PER_DAY)

struct sw_window {
    bool always;
    unsigned char bits[MINUTES_PER_WEEK / 8];
};

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static void
set_minute(struct sw_window *w, unsigned m)
{
    m %= MINUTES_PER_WEEK;
    w->bits[m / 8] |= (unsigned char)(1u << (m % 8));
}

static bool
has_minute(const struct sw_window *w, unsigned m)
{
    return w->bits[m / 8] & (1u << (m % 8));
}

/* A three-letter day name (any case): 0 = Monday .. 6 = Sunday, or -1. */
static int
day_index(const char *s, size_t len)
{
    for (int i = 0; i < 7; i++)
        if (len == 3 && strncasecmp(s, day_names[i], 3) == 0)
            return i;
    return -1;
}

/* "Mon" or "Mon-Fri" (wrapping: "Fri-Mon"): the days into *mask. */
static int
parse_days(const char *s, size_t len, unsigned *mask)
{
    const char *dash = memchr(s, '-', len);
    int a, b;
    if (!dash) {
        if ((a = day_index(s, len)) < 0)
            return -1;
        *mask |= 1u << a;
        return 0;
    }
    a = day_index(s, (size_t)(dash - s));
    b = day_index(dash + 1, len - (size_t)(dash - s) - 1);
    if (a < 0 || b < 0)
        return -1;
    for (int d = a;; d = (d + 1) % 7) {
        *mask |= 1u << d;
        if (d == b)
            break;
    }
    return 0;
}

/* "HH:MM" as minutes; 24:00 only when allow_24. */
static int
parse_clock(const char *s, size_t len, bool allow_24, unsigned *ret)
{
    unsigned h, m;
    if (len != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    h = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
    m = (unsigned)(s[3] - '0') * 10 + (unsigned)(s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)))
        return -1;
    *ret = h * 60 + m;
    return 0;
}

static void
add_range(struct sw_window *w, unsigned days, unsigned from, unsigned to)
{
    for (unsigned d = 0; d < 7; d++) {
        unsigned base = d * MINUTES_PER_DAY;
        if (!(days & (1u << d)))
            continue;
        if (from < to) {
            for (unsigned m = from; m < to; m++)
                set_minute(w, base + m);
        } else { /* past midnight: into the next day (Sunday into Monday) */
            for (unsigned m = from; m < MINUTES_PER_DAY; m++)
                set_minute(w, base + m);
            for (unsigned m = 0; m < to; m++)
                set_minute(w, base + MINUTES_PER_DAY + m);
        }
    }
}

static const char *
skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

int
sw_window_parse(const char *spec, struct sw_window **ret, struct sw_error *err)
{
    struct sw_window *w;
    const char *p, *end;
    unsigned pending = 0; /* days named by earlier comma-separated items */
    bool any = false;

    if (spec && strlen(spec) > SW_WINDOW_SPEC_MAX)
        return sw_error_set(err, SW_E_INVAL, "maintenance window is longer than %d bytes",
                            SW_WINDOW_SPEC_MAX);
    w = calloc(1, sizeof(*w));
    if (!w)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    p = spec ? spec : "";
    p = skip_space(p, p + strlen(p));
    if (!*p) {
        w->always = true;
        *ret = w;
        return 0;
    }
    end = p + strlen(p);
    while (p < end) {
        const char *item_end = memchr(p, ',', (size_t)(end - p));
        const char *q, *tok_end, *dash;
        unsigned from, to, days = 0;
        size_t len;

        if (!item_end)
            item_end = end;
        q = skip_space(p, item_end);
        tok_end = item_end;
        while (tok_end > q && (tok_end[-1] == ' ' || tok_end[-1] == '\t'))
            tok_end--;
        len = (size_t)(tok_end - q);
        if (len == 0) {
            free(w);
            return sw_error_set(err, SW_E_INVAL,
                                "maintenance window: an empty item between "
                                "commas");
        }
        /* "DAYS HH:MM-HH:MM", "HH:MM-HH:MM" or "DAYS" (more days for the next item) */
        {
            const char *sp = q;
            while (sp < tok_end && *sp != ' ' && *sp != '\t')
                sp++;
            if (sp == tok_end && !isdigit((unsigned char)*q)) {
                if (parse_days(q, len, &pending) < 0)
                    goto bad_item;
                p = item_end < end ? item_end + 1 : end;
                continue;
            }
            if (sp < tok_end) {
                if (parse_days(q, (size_t)(sp - q), &days) < 0)
                    goto bad_item;
                q = skip_space(sp, tok_end);
            } else if (!pending) {
                days = 0x7f; /* no day: every day */
            }
        }
        days |= pending;
        pending = 0;
        len = (size_t)(tok_end - q);
        dash = memchr(q, '-', len);
        if (!dash || parse_clock(q, (size_t)(dash - q), false, &from) < 0 ||
            parse_clock(dash + 1, (size_t)(tok_end - dash - 1), true, &to) < 0)
            goto bad_item;
        if (from == to) {
            free(w);
            return sw_error_set(err, SW_E_INVAL,
                                "maintenance window: '%.*s' is empty (start equals end; "
                                "00:00-24:00 is a whole day)",
                                (int)(item_end - p), p);
        }
        add_range(w, days, from, to);
        any = true;
        p = item_end < end ? item_end + 1 : end;
        continue;
    bad_item:
        free(w);
        return sw_error_set(err, SW_E_INVAL,
                            "maintenance window: cannot read '%.*s' (expected such as "
                            "'Mon-Fri 02:00-04:00' or 'Sat,Sun 00:00-24:00')",
                            (int)(item_end - p) > 80 ? 80 : (int)(item_end - p), p);
    }
    if (pending || !any) {
        free(w);
        return sw_error_set(err, SW_E_INVAL,
                            "maintenance window: days without hours at the end (write "
                            "'Sat,Sun 00:00-24:00')");
    }
    *ret = w;
    return 0;
}

void
sw_window_free(struct sw_window *w)
{
    free(w);
}

bool
sw_window_always(const struct sw_window *w)
{
    return !w || w->always;
}

/* The minute of the week of t in local time (Monday 00:00 = 0), and its second. */
static int
week_minute(time_t t, unsigned *ret_minute, int *ret_sec)
{
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return -SW_E_INVAL;
    *ret_minute = (unsigned)((tm.tm_wday + 6) % 7) * MINUTES_PER_DAY + (unsigned)tm.tm_hour * 60 +
                  (unsigned)tm.tm_min;
    *ret_sec = tm.tm_sec > 59 ? 59 : tm.tm_sec;
    return 0;
}

int
sw_window_open(const struct sw_window *w, time_t now, bool *open, time_t *next_open)
{
    unsigned m;
    int sec, r;
    time_t t;

    if (sw_window_always(w)) {
        *open = true;
        *next_open = now;
        return 0;
    }
    if ((r = week_minute(now, &m, &sec)) < 0)
        return r;
    if (has_minute(w, m)) {
        *open = true;
        *next_open = now;
        return 0;
    }
    *open = false;
    /* minute by minute from the next local minute: 8 days covers a week and a DST shift */
    t = now - sec + 60;
    for (unsigned i = 0; i < MINUTES_PER_WEEK + 2 * MINUTES_PER_DAY; i++, t += 60) {
        if ((r = week_minute(t, &m, &sec)) < 0)
            return r;
        if (sec != 0) /* an offset change that is not a whole minute: realign */
            t -= sec;
        if (has_minute(w, m)) {
            *next_open = t;
            return 0;
        }
    }
    return -SW_E_INVAL; /* not reached: a parsed window has at least one minute */
}
