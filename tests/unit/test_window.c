/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of maintenance windows: the grammar (days, day ranges, lists,
 * past midnight, 24:00), what is refused, open/closed and the next opening
 * in UTC, across the week's end, and across both DST changes of a zone
 * given as a POSIX TZ string (no zoneinfo file needed).
 */
#include "testutil.h"

#include <slipway/metadata.h>
#include <slipway/window.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static time_t
at(const char *utc)
{
    time_t t;
    if (sw_md_parse_time(utc, &t) < 0)
        fail_msg("bad test time '%s'", utc);
    return t;
}

static struct sw_window *
parse_ok(const char *spec)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_window *w = NULL;
    if (sw_window_parse(spec, &w, &err) < 0)
        fail_msg("'%s': %s", spec, err.msg);
    return w;
}

/* Whether w is open at utc; when closed, next_open must be want_next (NULL: not checked). */
static void
expect(const struct sw_window *w, const char *utc, bool want_open, const char *want_next)
{
    bool open = !want_open;
    time_t next = 0;
    char got[21];
    assert_int_equal(sw_window_open(w, at(utc), &open, &next), 0);
    if (open != want_open)
        fail_msg("at %s: expected %s", utc, want_open ? "open" : "closed");
    if (want_open) {
        assert_true(next == at(utc));
        return;
    }
    sw_md_format_time(next, got);
    if (want_next && strcmp(got, want_next) != 0)
        fail_msg("at %s: next opening %s, expected %s", utc, got, want_next);
}

static void
test_weekdays_utc(void **state)
{
    struct sw_window *w;
    (void)state;
    set_tz("UTC0");
    w = parse_ok("Mon-Fri 02:00-04:00");
    /* 2026-12-01 is a Tuesday */
    expect(w, "2026-12-01T03:00:00Z", true, NULL);
    expect(w, "2026-12-01T02:00:00Z", true, NULL);
    expect(w, "2026-12-01T03:59:59Z", true, NULL);
    expect(w, "2026-12-01T01:59:59Z", false, "2026-12-01T02:00:00Z");
    expect(w, "2026-12-01T04:00:00Z", false, "2026-12-02T02:00:00Z");
    /* Friday after the window: next Monday */
    expect(w, "2026-12-04T05:00:00Z", false, "2026-12-07T02:00:00Z");
    expect(w, "2026-12-05T03:00:00Z", false, "2026-12-07T02:00:00Z");
    sw_window_free(w);
}

static void
test_lists_and_whole_days(void **state)
{
    struct sw_window *w;
    (void)state;
    set_tz("UTC0");
    w = parse_ok("Sat,Sun 00:00-24:00, Mon-Fri 02:00-04:00");
    expect(w, "2026-12-05T13:00:00Z", true, NULL); /* Saturday */
    expect(w, "2026-12-06T23:59:00Z", true, NULL); /* Sunday */
    expect(w, "2026-12-04T23:59:30Z", false, "2026-12-05T00:00:00Z");
    expect(w, "2026-12-07T00:00:00Z", false, "2026-12-07T02:00:00Z"); /* Monday */
    expect(w, "2026-12-07T03:00:00Z", true, NULL);
    sw_window_free(w);
    /* no day: every day; lower case days; spaces around items */
    w = parse_ok("  12:00-12:30 ,  sun 20:00-21:00 ");
    expect(w, "2026-12-01T12:10:00Z", true, NULL);
    expect(w, "2026-12-01T12:30:00Z", false, "2026-12-02T12:00:00Z");
    expect(w, "2026-12-06T20:30:00Z", true, NULL);
    sw_window_free(w);
    /* a wrapping day range */
    w = parse_ok("Fri-Mon 10:00-11:00");
    expect(w, "2026-12-06T10:30:00Z", true, NULL); /* Sunday */
    expect(w, "2026-12-07T10:30:00Z", true, NULL); /* Monday */
    expect(w, "2026-12-08T10:30:00Z", false, "2026-12-11T10:00:00Z");
    sw_window_free(w);
}

static void
test_past_midnight(void **state)
{
    struct sw_window *w;
    (void)state;
    set_tz("UTC0");
    w = parse_ok("Fri 23:00-01:00");
    expect(w, "2026-12-04T23:30:00Z", true, NULL);
    expect(w, "2026-12-05T00:30:00Z", true, NULL); /* Saturday, still Friday's window */
    expect(w, "2026-12-05T01:00:00Z", false, "2026-12-11T23:00:00Z");
    expect(w, "2026-12-06T00:30:00Z", false, "2026-12-11T23:00:00Z"); /* only after Friday */
    sw_window_free(w);
    /* Sunday night runs into Monday: across the end of the week */
    w = parse_ok("Sun 23:00-01:00");
    expect(w, "2026-12-07T00:30:00Z", true, NULL);
    expect(w, "2026-12-07T01:00:00Z", false, "2026-12-13T23:00:00Z");
    sw_window_free(w);
}

static void
test_always(void **state)
{
    struct sw_window *w;
    bool open = false;
    time_t next = 0;
    (void)state;
    set_tz("UTC0");
    w = parse_ok("");
    assert_true(sw_window_always(w));
    expect(w, "2026-12-01T03:00:00Z", true, NULL);
    sw_window_free(w);
    w = parse_ok("   ");
    assert_true(sw_window_always(w));
    sw_window_free(w);
    assert_int_equal(sw_window_open(NULL, 1000, &open, &next), 0);
    assert_true(open);
    assert_true(next == 1000);
    w = parse_ok("Mon 00:00-24:00");
    assert_false(sw_window_always(w));
    sw_window_free(w);
}

static void
test_refused(void **state)
{
    static const char *const bad[] = {
        "Mon 02:00",
        "Xyz 01:00-02:00",
        "Mon 25:00-26:00",
        "Mon 02:00-02:00",
        "Mon,",
        "Mon-Fri",
        "Mon 24:00-01:00",
        ",",
        "Mon 2:00-4:00",
        "Mon 02:60-03:00",
        "Mon-Xyz 01:00-02:00",
        "Mon 01:00-02:00,,",
        "Monday 01:00-02:00",
        "Mon 01:00 02:00",
        "Mon 01:00-24:01",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sw_error err = SW_ERROR_INIT;
        struct sw_window *w = NULL;
        if (sw_window_parse(bad[i], &w, &err) == 0)
            fail_msg("'%s' was accepted", bad[i]);
        assert_null(w);
        assert_int_equal(err.code, SW_E_INVAL);
        assert_non_null(strstr(err.msg, "maintenance window"));
    }
    {
        char big[SW_WINDOW_SPEC_MAX + 20];
        struct sw_error err = SW_ERROR_INIT;
        struct sw_window *w = NULL;
        memset(big, ' ', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(sw_window_parse(big, &w, &err), -SW_E_INVAL);
    }
}

/* Central Europe: CET (UTC+1), CEST (UTC+2) from the last Sunday of March to that of October. */
#define TZ_BERLIN "CET-1CEST,M3.5.0,M10.5.0/3"

static void
test_local_time(void **state)
{
    struct sw_window *w;
    (void)state;
    set_tz(TZ_BERLIN);
    w = parse_ok("Mon-Fri 02:00-04:00");
    /* 02:00 CET on Tuesday 2026-12-01 is 01:00 UTC */
    expect(w, "2026-12-01T01:30:00Z", true, NULL);
    expect(w, "2026-12-01T00:59:00Z", false, "2026-12-01T01:00:00Z");
    expect(w, "2026-12-01T03:00:00Z", false, "2026-12-02T01:00:00Z");
    sw_window_free(w);
}

static void
test_dst_spring_forward(void **state)
{
    struct sw_window *w;
    (void)state;
    set_tz(TZ_BERLIN);
    /* Sunday 2027-03-28: at 01:00 UTC local time jumps from 02:00 CET to 03:00 CEST */
    w = parse_ok("Sun 02:00-04:00");
    /* 01:30 CET: closed; 02:00-02:59 do not exist, so it opens at 03:00 CEST = 01:00 UTC */
    expect(w, "2027-03-28T00:30:00Z", false, "2027-03-28T01:00:00Z");
    expect(w, "2027-03-28T01:30:00Z", true, NULL);  /* 03:30 CEST */
    expect(w, "2027-03-28T02:00:00Z", false, NULL); /* 04:00 CEST */
    sw_window_free(w);
    /* a window only inside the missing hour does not open that day */
    w = parse_ok("Sun 02:15-02:45");
    expect(w, "2027-03-28T00:30:00Z", false, "2027-04-04T00:15:00Z");
    sw_window_free(w);
}

static void
test_dst_fall_back(void **state)
{
    struct sw_window *w;
    (void)state;
    set_tz(TZ_BERLIN);
    /* Sunday 2026-10-25: 02:00-03:00 local happens twice (00:00-01:00 UTC CEST, 01:00-02:00 CET) */
    w = parse_ok("Sun 02:00-03:00");
    expect(w, "2026-10-24T23:30:00Z", false, "2026-10-25T00:00:00Z"); /* 01:30 CEST */
    expect(w, "2026-10-25T00:30:00Z", true, NULL);                    /* 02:30 CEST */
    expect(w, "2026-10-25T01:30:00Z", true, NULL);                    /* 02:30 CET */
    expect(w, "2026-10-25T02:00:00Z", false, "2026-11-01T01:00:00Z"); /* 03:00 CET */
    sw_window_free(w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekdays_utc),
        cmocka_unit_test(test_lists_and_whole_days),
        cmocka_unit_test(test_past_midnight),
        cmocka_unit_test(test_always),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_local_time),
        cmocka_unit_test(test_dst_spring_forward),
        cmocka_unit_test(test_dst_fall_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
