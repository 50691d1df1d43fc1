/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the offer policy: each reason a target is not offered,
 * rollout buckets against values computed independently with Python's
 * hashlib.blake2b, monotonic shares, canary, and malformed fields.
 */
#include "testutil.h"

#include <slipway/offer.h>

#include <stdio.h>
#include <string.h>

static const char DEV[] = "00112233445566778899aabbccddeeff";
#define NOW ((time_t)1800000000) /* 2027-01-15T08:00:00Z */

static struct sw_offer_device
device(void)
{
    struct sw_offer_device d = {DEV, "acme-gw", "stable", "1.0.0", "0.5.0", 0, NOW};
    return d;
}

static enum sw_offer_verdict
eval(const char *custom_json, const struct sw_offer_device *d, struct sw_offer *o)
{
    json_error_t je;
    json_t *c = custom_json ? json_loads(custom_json, 0, &je) : NULL;
    if (custom_json && !c)
        fail_msg("bad test JSON: %s", je.text);
    static char version[80];
    sw_offer_evaluate("app-1.0.tar", c, d, o);
    /* o->version borrows from c: keep a copy past the json_decref() */
    if (o->version) {
        snprintf(version, sizeof(version), "%s", o->version);
        o->version = version;
    }
    json_decref(c);
    return o->verdict;
}

static void
test_buckets_match_python(void **state)
{
    (void)state;
    /* hashlib.blake2b(dev, key=blake2b(salt, digest_size=32), digest_size=8), little-endian % 10000 */
    assert_int_equal(sw_offer_bucket("00112233445566778899aabbccddeeff", "app-1.0.tar"), 5335);
    assert_int_equal(sw_offer_bucket("ffeeddccbbaa99887766554433221100", "app-1.0.tar"), 3793);
    assert_int_equal(sw_offer_bucket("00112233445566778899aabbccddeeff", "other"), 1369);
}

static void
test_offered(void **state)
{
    struct sw_offer_device d = device();
    struct sw_offer o;
    (void)state;
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"1.1.0\",\"compatible\":[\"x\",\"acme-gw\"]}}", &d, &o),
        SW_OFFER_YES);
    assert_string_equal(o.version, "1.1.0");
    /* nothing installed: any version is newer */
    d.installed_version = NULL;
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"0.0.1\",\"compatible\":[\"acme-gw\"]}}", &d, &o),
        SW_OFFER_YES);
}

static void
test_reasons(void **state)
{
    struct sw_offer_device d = device();
    struct sw_offer o;
    (void)state;
    assert_int_equal(eval(NULL, &d, &o), SW_OFFER_NO_FIELDS);
    assert_int_equal(eval("{\"other\":1}", &d, &o), SW_OFFER_NO_FIELDS);
    assert_int_equal(eval("{\"slipway\":{\"compatible\":[\"acme-gw\"]}}", &d, &o),
                     SW_OFFER_NO_FIELDS);
    assert_non_null(strstr(o.reason, "version"));
    /* a single string is a list of one (as the shared vectors write it) */
    assert_int_equal(eval("{\"slipway\":{\"version\":\"1.2\",\"compatible\":\"acme-gw\"}}", &d, &o),
                     SW_OFFER_YES);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"1.2\",\"compatible\":\"other\"}}", &d, &o),
                     SW_OFFER_INCOMPATIBLE);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"1.2\",\"compatible\":[]}}", &d, &o),
                     SW_OFFER_NO_FIELDS);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"1.2\",\"compatible\":7}}", &d, &o),
                     SW_OFFER_NO_FIELDS);
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"1.2\",\"compatible\":[\"other-gw\"]}}", &d, &o),
        SW_OFFER_INCOMPATIBLE);
    assert_non_null(strstr(o.reason, "'other-gw'"));
    assert_non_null(strstr(o.reason, "'acme-gw'"));
    assert_int_equal(eval("{\"slipway\":{\"version\":\"1.2\",\"compatible\":[\"acme-gw\"],"
                          "\"channels\":[\"beta\"]}}",
                          &d, &o),
                     SW_OFFER_CHANNEL);
    assert_non_null(strstr(o.reason, "'stable'"));
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"1.0.0\",\"compatible\":[\"acme-gw\"]}}", &d, &o),
        SW_OFFER_NOT_NEWER);
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"0.9\",\"compatible\":[\"acme-gw\"]}}", &d, &o),
        SW_OFFER_NOT_NEWER);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"min_client\":\"0.6.0\"}}",
                          &d, &o),
                     SW_OFFER_CLIENT_TOO_OLD);
    assert_non_null(strstr(o.reason, "0.6.0"));
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"min_client\":\"0.5.0\"}}",
                          &d, &o),
                     SW_OFFER_YES);
    d.compatible = NULL;
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"]}}", &d, &o),
        SW_OFFER_INCOMPATIBLE);
    assert_non_null(strstr(o.reason, "no 'compatible'"));
}

static void
test_rollout(void **state)
{
    struct sw_offer_device d = device();
    struct sw_offer o;
    (void)state;
    /* this device's bucket for "app-1.0.tar" is 5335: in at 54 %, out at 53 % */
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":53}}}",
                          &d, &o),
                     SW_OFFER_ROLLOUT);
    assert_int_equal(o.bucket, 5335);
    assert_int_equal(o.share, 5300);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":54}}}",
                          &d, &o),
                     SW_OFFER_YES);
    /* raising the share keeps it in */
    for (int p = 54; p <= 100; p++) {
        char js[200];
        snprintf(js, sizeof(js),
                 "{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                 "\"rollout\":{\"percent\":%d}}}",
                 p);
        assert_int_equal(eval(js, &d, &o), SW_OFFER_YES);
    }
    /* an explicit salt changes the bucket (1369 for "other") */
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":14,\"salt\":\"other\"}}}",
                          &d, &o),
                     SW_OFFER_YES);
    assert_int_equal(o.bucket, 1369);
    /* 0 % offers nothing, not even to a canary; a canary is first otherwise */
    d.canary = 1;
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":0}}}",
                          &d, &o),
                     SW_OFFER_ROLLOUT);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":1}}}",
                          &d, &o),
                     SW_OFFER_YES);
    /* malformed rollouts */
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":101}}}",
                          &d, &o),
                     SW_OFFER_NO_FIELDS);
    assert_int_equal(eval("{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],"
                          "\"rollout\":{\"percent\":\"50\"}}}",
                          &d, &o),
                     SW_OFFER_NO_FIELDS);
}

/* A rollout JSON for version 2.0 compatible with the test device. */
static enum sw_offer_verdict
eval_rollout(const char *rollout_json, const struct sw_offer_device *d, struct sw_offer *o)
{
    char js[2048];
    snprintf(js, sizeof(js),
             "{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"acme-gw\"],\"rollout\":%s}}",
             rollout_json);
    return eval(js, d, o);
}

/* NOW = 2027-01-15T08:00:00Z; waves start one day before */
#define WAVES(ramp)                                                                                \
    "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"ramp\":\"" ramp "\",\"steps\":["             \
    "{\"after\":\"0h\",\"percent\":1},{\"after\":\"1d\",\"percent\":10},"                          \
    "{\"after\":\"3d\",\"percent\":100}]}}"

static void
test_waves_step(void **state)
{
    struct sw_offer_device d = device();
    struct sw_offer o;
    (void)state;
    /* exactly one day after start: step 2 (10 %) reached */
    assert_int_equal(eval_rollout(WAVES("step"), &d, &o), SW_OFFER_ROLLOUT);
    assert_int_equal(o.share, 1000);
    assert_int_equal(o.wave_step, 2);
    assert_int_equal(o.wave_steps, 3);
    assert_int_equal(o.bucket, 5335);
    assert_non_null(strstr(o.reason, "wave step 2 of 3"));
    assert_non_null(strstr(o.reason, "10%"));
    /* one second earlier: step 1 (1 %) */
    d.now = NOW - 1;
    eval_rollout(WAVES("step"), &d, &o);
    assert_int_equal(o.share, 100);
    assert_int_equal(o.wave_step, 1);
    /* before start: nothing, step 0 */
    d.now = NOW - 86401;
    eval_rollout(WAVES("step"), &d, &o);
    assert_int_equal(o.share, 0);
    assert_int_equal(o.wave_step, 0);
    assert_non_null(strstr(o.reason, "not reached its first step"));
    /* a canary is not offered before the start either (share 0) */
    d.canary = 1;
    assert_int_equal(eval_rollout(WAVES("step"), &d, &o), SW_OFFER_ROLLOUT);
    d.now = NOW - 86400; /* the start: 1 %, and the canary is in */
    assert_int_equal(eval_rollout(WAVES("step"), &d, &o), SW_OFFER_YES);
    assert_non_null(strstr(o.reason, "canary"));
    d.canary = 0;
    /* after the last step: 100 %, offered */
    d.now = NOW + 2 * 86400;
    assert_int_equal(eval_rollout(WAVES("step"), &d, &o), SW_OFFER_YES);
    assert_int_equal(o.share, 10000);
    assert_int_equal(o.wave_step, 3);
    assert_non_null(strstr(o.reason, "wave step 3 of 3"));
    /* no trusted time: no wave is offered */
    d.now = 0;
    assert_int_equal(eval_rollout(WAVES("step"), &d, &o), SW_OFFER_ROLLOUT);
    assert_int_equal(o.share, 0);
    assert_non_null(strstr(o.reason, "no trusted time"));
}

static void
test_waves_linear(void **state)
{
    struct sw_offer_device d = device();
    struct sw_offer o;
    unsigned last = 0;
    (void)state;
    /* halfway between 1d (10 %) and 3d (100 %): 55 % */
    d.now = NOW + 86400;
    eval_rollout(WAVES("linear"), &d, &o);
    assert_int_equal(o.share, 5500);
    assert_int_equal(o.wave_step, 2);
    assert_int_equal(eval_rollout(WAVES("linear"), &d, &o), SW_OFFER_YES); /* bucket 5335 */
    /* a quarter of the way from 0h (1 %) to 1d (10 %): 3.25 % */
    d.now = NOW - 86400 + 21600;
    eval_rollout(WAVES("linear"), &d, &o);
    assert_int_equal(o.share, 325);
    assert_non_null(strstr(o.reason, "3.25%"));
    /* the share never decreases with time, hour by hour over four days */
    for (time_t t = NOW - 86400; t <= NOW + 3 * 86400; t += 3600) {
        d.now = t;
        eval_rollout(WAVES("linear"), &d, &o);
        assert_true(o.share >= last);
        last = o.share;
    }
    assert_int_equal(last, 10000);
    /* this device comes in once the share passes its bucket, and stays */
    {
        int in = 0;
        for (time_t t = NOW - 86400; t <= NOW + 3 * 86400; t += 600) {
            d.now = t;
            enum sw_offer_verdict v = eval_rollout(WAVES("linear"), &d, &o);
            if (in)
                assert_int_equal(v, SW_OFFER_YES);
            in = v == SW_OFFER_YES;
            assert_int_equal(in, o.share > 5335);
        }
        assert_true(in);
    }
    /* "step" is the default ramp */
    d.now = NOW + 86400;
    eval_rollout("{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":["
                 "{\"after\":\"0h\",\"percent\":1},{\"after\":\"1d\",\"percent\":10},"
                 "{\"after\":\"3d\",\"percent\":100}]}}",
                 &d, &o);
    assert_int_equal(o.share, 1000);
    /* compound durations: 1d12h = 36 h */
    d.now = NOW + 36 * 3600 - 86400;
    eval_rollout("{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":["
                 "{\"after\":\"1d12h\",\"percent\":40}]}}",
                 &d, &o);
    assert_int_equal(o.share, 4000);
    d.now -= 1;
    eval_rollout("{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":["
                 "{\"after\":\"1d12h\",\"percent\":40}]}}",
                 &d, &o);
    assert_int_equal(o.share, 0);
}

static void
test_malformed_policies(void **state)
{
    static const char *const bad[] = {
        "{\"percent\":50,\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":[{\"after\":"
        "\"0h\",\"percent\":1}]}}",
        "{\"percent\":50,\"pulld\":true}",
        "{\"percent\":-1}",
        "{\"salt\":\"\"}",
        "{\"salt\":7}",
        "{\"pulled\":\"yes\"}",
        "{\"replace-with\":\"1.0\"}",
        "{\"pulled\":true,\"replace-with\":\"not a version!\"}",
        "{\"pulled\":true,\"replace-with\":\"2.0\"}",
        "{\"waves\":{}}",
        "{\"waves\":[]}",
        "{\"waves\":{\"start\":\"2027-01-14\",\"steps\":[{\"after\":\"0h\",\"percent\":1}]}}",
        "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":[]}}",
        "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":[{\"after\":\"0\","
        "\"percent\":1}]}}",
        "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":[{\"after\":\"1y\","
        "\"percent\":1}]}}",
        "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":[{\"after\":\"h\","
        "\"percent\":1}]}}",
        "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":[{\"after\":\"99999w\","
        "\"percent\":1}]}}",
        "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":[{\"after\":\"0h\","
        "\"percent\":101}]}}",
        "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":[{\"after\":\"0h\"}]}}",
        "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":[{\"after\":\"0h\","
        "\"percent\":1,\"x\":1}]}}",
        /* steps out of order, or a share that shrinks */
        "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":[{\"after\":\"1d\","
        "\"percent\":1},{\"after\":\"1d\",\"percent\":5}]}}",
        "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"steps\":[{\"after\":\"0h\","
        "\"percent\":50},{\"after\":\"1d\",\"percent\":10}]}}",
        "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"ramp\":\"cubic\",\"steps\":[{"
        "\"after\":\"0h\",\"percent\":1}]}}",
        "{\"waves\":{\"start\":\"2027-01-14T08:00:00Z\",\"when\":1,\"steps\":[{\"after\":"
        "\"0h\",\"percent\":1}]}}",
        "[]",
        "50",
    };
    struct sw_offer_device d = device();
    struct sw_offer o;
    (void)state;
    d.canary = 1; /* not even a canary is offered a malformed policy */
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (eval_rollout(bad[i], &d, &o) != SW_OFFER_NO_FIELDS)
            fail_msg("policy %zu was not refused: %s", i, bad[i]);
        assert_non_null(strstr(o.reason, "custom.slipway.rollout"));
    }
    /* and a good one next to them is fine */
    assert_int_equal(eval_rollout("{\"percent\":100,\"salt\":\"s\",\"pulled\":false}", &d, &o),
                     SW_OFFER_YES);
}

/* Targets for sw_offer_choose from JSON texts (kept alive in a static array). */
struct set {
    json_t *c[8];
    struct sw_offer_target t[8];
    struct sw_offer d[8];
    size_t n;
};

static void
set_add(struct set *s, const char *path, const char *custom_json)
{
    json_error_t je;
    s->c[s->n] = json_loads(custom_json, 0, &je);
    if (!s->c[s->n])
        fail_msg("bad test JSON: %s", je.text);
    s->t[s->n].path = path;
    s->t[s->n].custom = s->c[s->n];
    s->n++;
}

static void
set_free(struct set *s)
{
    for (size_t i = 0; i < s->n; i++)
        json_decref(s->c[i]);
    s->n = 0;
}

/*
 * The decisions of s->d made again one target at a time as list makes
 * them (sw_offer_replace_*: fresh decisions in each pass, none kept, the
 * targets visited in order): each the same, reasons included.
 */
static void
stream_check(const struct set *s, const struct sw_offer_device *d)
{
    struct sw_offer_replace rp;
    struct sw_offer o;

    sw_offer_replace_init(&rp);
    for (int pass = 0; sw_offer_replace_needed(d) && pass < 2 && (pass == 0 || rp.replace); pass++)
        for (size_t i = 0; i < s->n; i++) {
            memset(&o, 0x5a, sizeof(o));
            sw_offer_evaluate(s->t[i].path, s->t[i].custom, d, &o);
            if (pass == 0)
                sw_offer_replace_note(&rp, d, &o, i);
            else
                sw_offer_replace_match(&rp, &o);
        }
    for (size_t i = 0; i < s->n; i++) {
        memset(&o, 0x5a, sizeof(o));
        sw_offer_evaluate(s->t[i].path, s->t[i].custom, d, &o);
        sw_offer_replace_apply(&rp, d, &o, i);
        assert_int_equal(o.verdict, s->d[i].verdict);
        assert_string_equal(o.reason, s->d[i].reason);
        assert_ptr_equal(o.version, s->d[i].version);
        assert_int_equal(o.downgrade, s->d[i].downgrade);
    }
}

/*
 * sw_offer_choose() into s->d, checked against sw_offer_choose_at() writing
 * through pointers to decisions stored backwards: the same result, the
 * same chosen index, the same decisions (reasons included).
 */
static int
choose_both(struct set *s, const struct sw_offer_device *d, size_t *chosen)
{
    struct sw_offer back[8], *at[8];
    size_t c2 = *chosen;
    int r = sw_offer_choose(s->t, s->n, d, s->d, chosen);
    memset(back, 0x5a, sizeof(back));
    for (size_t i = 0; i < s->n; i++)
        at[i] = &back[s->n - 1 - i];
    assert_int_equal(sw_offer_choose_at(s->t, s->n, d, at, &c2), r);
    assert_int_equal(c2, *chosen);
    for (size_t i = 0; i < s->n; i++) {
        assert_int_equal(at[i]->verdict, s->d[i].verdict);
        assert_string_equal(at[i]->reason, s->d[i].reason);
        assert_ptr_equal(at[i]->version, s->d[i].version);
        assert_int_equal(at[i]->downgrade, s->d[i].downgrade);
    }
    stream_check(s, d);
    return r;
}

#define REL(v, extra) "{\"slipway\":{\"version\":\"" v "\",\"compatible\":[\"acme-gw\"]" extra "}}"

static void
test_choose_newest(void **state)
{
    struct sw_offer_device d = device();
    struct set s = {0};
    size_t chosen = 99;
    (void)state;
    set_add(&s, "app-1.1.tar", REL("1.1", ""));
    set_add(&s, "app-1.3.tar", REL("1.3", ""));
    set_add(&s, "app-1.2.tar", REL("1.2", ""));
    set_add(&s, "app-1.4.tar", REL("1.4", ",\"rollout\":{\"percent\":0}"));
    set_add(&s, "other.tar", "{\"slipway\":{\"version\":\"9.0\",\"compatible\":[\"x\"]}}");
    assert_int_equal(choose_both(&s, &d, &chosen), 1);
    assert_int_equal(chosen, 1);
    assert_int_equal(s.d[3].verdict, SW_OFFER_ROLLOUT);
    assert_int_equal(s.d[4].verdict, SW_OFFER_INCOMPATIBLE);
    assert_false(s.d[1].downgrade);
    set_free(&s);
    /* nothing offered */
    set_add(&s, "app-0.9.tar", REL("0.9", ""));
    chosen = 99;
    assert_int_equal(choose_both(&s, &d, &chosen), 0);
    assert_int_equal(chosen, 99);
    assert_int_equal(s.d[0].verdict, SW_OFFER_NOT_NEWER);
    set_free(&s);
    assert_int_equal(sw_offer_choose(NULL, 0, &d, NULL, &chosen), 0);
}

static void
test_pulled(void **state)
{
    struct sw_offer_device d = device();
    struct sw_offer o;
    struct set s = {0};
    size_t chosen = 99;
    (void)state;
    /* a new machine (on 1.0.0) does not take a pulled 2.0, even at 100 % or as a canary */
    d.canary = 1;
    assert_int_equal(eval_rollout("{\"percent\":100,\"pulled\":true}", &d, &o), SW_OFFER_PULLED);
    assert_true(o.pulled);
    assert_non_null(strstr(o.reason, "no machine newly takes it"));
    d.canary = 0;
    /* a machine running it keeps it */
    d.installed_version = "2.0";
    assert_int_equal(eval_rollout("{\"pulled\":true}", &d, &o), SW_OFFER_PULLED);
    assert_non_null(strstr(o.reason, "keeps it"));
    /* pulled: false is an ordinary release */
    d.installed_version = "1.0.0";
    assert_int_equal(eval_rollout("{\"pulled\":false}", &d, &o), SW_OFFER_YES);
    assert_false(o.pulled);
    /* the set: 2.0 pulled without replacement; 1.5 is what a 1.0.0 machine gets */
    set_add(&s, "app-1.5.tar", REL("1.5", ""));
    set_add(&s, "app-2.0.tar", REL("2.0", ",\"rollout\":{\"pulled\":true}"));
    assert_int_equal(choose_both(&s, &d, &chosen), 1);
    assert_int_equal(chosen, 0);
    assert_int_equal(s.d[1].verdict, SW_OFFER_PULLED);
    /* a machine on 2.0 keeps it: nothing newer, and 1.5 is older */
    d.installed_version = "2.0";
    assert_int_equal(choose_both(&s, &d, &chosen), 0);
    assert_int_equal(s.d[0].verdict, SW_OFFER_NOT_NEWER);
    set_free(&s);
}

static void
test_replace_with(void **state)
{
    struct sw_offer_device d = device();
    struct set s = {0};
    size_t chosen = 99;
    (void)state;
    /* 2.0 is pulled and replaced by the older 1.5, which itself rolls out to 0 % */
    set_add(&s, "app-1.5.tar", REL("1.5", ",\"rollout\":{\"percent\":0}"));
    set_add(&s, "app-2.0.tar",
            REL("2.0", ",\"rollout\":{\"pulled\":true,\"replace-with\":\"1.5\"}"));
    set_add(&s, "app-1.4.tar", REL("1.4", ""));
    /* a machine on 2.0 is offered 1.5: a downgrade the policy allows */
    d.installed_version = "2.0";
    assert_int_equal(choose_both(&s, &d, &chosen), 1);
    assert_int_equal(chosen, 0);
    assert_int_equal(s.d[0].verdict, SW_OFFER_YES);
    assert_true(s.d[0].downgrade);
    assert_non_null(strstr(s.d[0].reason, "replaces the pulled 2.0"));
    assert_int_equal(s.d[1].verdict, SW_OFFER_PULLED);
    assert_string_equal(s.d[1].replace_with, "1.5");
    assert_int_equal(s.d[2].verdict, SW_OFFER_NOT_NEWER); /* 1.4 is no replacement */
    assert_false(s.d[2].downgrade);
    /* a machine on 1.0.0 gets neither 2.0 (pulled) nor 1.5 (0 %): 1.4 */
    d.installed_version = "1.0.0";
    assert_int_equal(choose_both(&s, &d, &chosen), 1);
    assert_int_equal(chosen, 2);
    assert_int_equal(s.d[0].verdict, SW_OFFER_ROLLOUT);
    assert_false(s.d[0].downgrade);
    set_free(&s);
    /* a replacement not for this machine: it keeps the pulled release, and says why */
    set_add(&s, "app-1.5.tar",
            "{\"slipway\":{\"version\":\"1.5\",\"compatible\":[\"other-board\"]}}");
    set_add(&s, "app-2.0.tar",
            REL("2.0", ",\"rollout\":{\"pulled\":true,\"replace-with\":\"1.5\"}"));
    d.installed_version = "2.0";
    assert_int_equal(choose_both(&s, &d, &chosen), 0);
    assert_int_equal(s.d[1].verdict, SW_OFFER_PULLED);
    assert_non_null(strstr(s.d[1].reason, "not among the targets for this machine"));
    set_free(&s);
    /* a newer offered release wins over the replacement, and is no downgrade */
    set_add(&s, "app-1.5.tar", REL("1.5", ""));
    set_add(&s, "app-2.0.tar",
            REL("2.0", ",\"rollout\":{\"pulled\":true,\"replace-with\":\"1.5\"}"));
    set_add(&s, "app-2.1.tar", REL("2.1", ""));
    assert_int_equal(choose_both(&s, &d, &chosen), 1);
    assert_int_equal(chosen, 2);
    assert_false(s.d[2].downgrade);
    set_free(&s);
}

/* Values from metadata in a reason are escaped, and a cut reason is still valid UTF-8. */
static void
test_reason_untrusted_values(void **state)
{
    struct sw_offer_device d = device();
    struct sw_offer o;
    char json[1024];
    (void)state;
    assert_int_equal(eval("{\"slipway\":{\"version\":\"1.1.0\",\"compatible\":"
                          "[\"\\u001b]0;owned\\u0007\", \"\\u009b2J\\r\"]}}",
                          &d, &o),
                     SW_OFFER_INCOMPATIBLE);
    assert_string_equal(o.reason,
                        "for '\\x1b]0;owned\\x07', '\\xc2\\x9b2J\\x0d', not for 'acme-gw'");
    assert_int_equal(
        eval("{\"slipway\":{\"version\":\"1.1.0\",\"compatible\":\"\\u001b[2J\"}}", &d, &o),
        SW_OFFER_INCOMPATIBLE);
    assert_string_equal(o.reason, "for '\\x1b[2J', not for 'acme-gw'");
    /* a long list of two-byte characters: cut, never inside a character */
    strcpy(json, "{\"slipway\":{\"version\":\"1.1.0\",\"compatible\":[\"");
    for (int i = 0; i < 150; i++)
        strcat(json, "\xc3\xa9");
    strcat(json, "\"]}}");
    assert_int_equal(eval(json, &d, &o), SW_OFFER_INCOMPATIBLE);
    assert_true(strlen(o.reason) > 100);
    {
        json_t *j = json_string(o.reason); /* NULL for invalid UTF-8 */
        assert_non_null(j);
        json_decref(j);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets_match_python),
        cmocka_unit_test(test_offered),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_reason_untrusted_values),
        cmocka_unit_test(test_rollout),
        cmocka_unit_test(test_waves_step),
        cmocka_unit_test(test_waves_linear),
        cmocka_unit_test(test_malformed_policies),
        cmocka_unit_test(test_choose_newest),
        cmocka_unit_test(test_pulled),
        cmocka_unit_test(test_replace_with),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
