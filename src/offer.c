/* SPDX-License-Identifier: MIT */
/*
 * Offer policy: reads custom.slipway of a verified target and decides
 * whether this machine should take it (compatibility, channel, rollout
 * share, newer than installed, client new enough), with the reason when
 * not. Trust in the target itself is established elsewhere.
 */
#include <slipway/config.h>
#include <slipway/metadata.h>
#include <slipway/offer.h>
#include <slipway/text.h>
#include <slipway/version.h>

#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SW_OFFER_MAX_STEPS 32
#define SW_OFFER_MAX_AFTER (10LL * 366 * 86400) /* a wave step at most ten years after start */

const char *
sw_offer_verdict_to_string(enum sw_offer_verdict v)
{
    switch (v) {
    case SW_OFFER_YES:
        return "offered";
    case SW_OFFER_NO_FIELDS:
        return "no-fields";
    case SW_OFFER_INCOMPATIBLE:
        return "incompatible";
    case SW_OFFER_CHANNEL:
        return "channel";
    case SW_OFFER_ROLLOUT:
        return "rollout";
    case SW_OFFER_NOT_NEWER:
        return "not-newer";
    case SW_OFFER_CLIENT_TOO_OLD:
        return "client-too-old";
    case SW_OFFER_PULLED:
        return "pulled";
    }
    return "unknown";
}

unsigned
sw_offer_bucket(const char *device_id, const char *salt)
{
    unsigned char key[32], out[8];
    uint64_t v = 0;

    crypto_generichash(key, sizeof(key), (const unsigned char *)salt, strlen(salt), NULL, 0);
    crypto_generichash(out, sizeof(out), (const unsigned char *)device_id, strlen(device_id), key,
                       sizeof(key));
    for (int i = 7; i >= 0; i--)
        v = v << 8 | out[i];
    return (unsigned)(v % SW_OFFER_BUCKETS);
}

void
sw_offer_device_init(struct sw_offer_device *dev, const struct sw_config *cfg,
                     const char *device_id, const char *installed_version, time_t now)
{
    memset(dev, 0, sizeof(*dev));
    dev->device_id = device_id;
    dev->compatible = cfg->compatible;
    dev->channel = cfg->channel;
    dev->installed_version = installed_version;
    dev->client_version = SW_VERSION;
    dev->canary = cfg->canary;
    dev->now = now;
}

int
sw_offer_admits(unsigned bucket, unsigned share, int canary)
{
    if (share == 0)
        return 0;
    return canary || bucket < share;
}

/* A share in buckets as a percentage for people: "25", "12.5", "0.01". */
static const char *
share_text(unsigned share, char buf[16])
{
    if (share % 100 == 0)
        snprintf(buf, 16, "%u", share / 100);
    else if (share % 10 == 0)
        snprintf(buf, 16, "%u.%u", share / 100, share % 100 / 10);
    else
        snprintf(buf, 16, "%u.%02u", share / 100, share % 100);
    return buf;
}

/* "1d12h", "30m", "0h": groups of digits and a unit s, m, h, d or w; 0 or -1. */
static int
parse_after(const char *s, long long *ret)
{
    long long total = 0;
    if (!*s)
        return -1;
    while (*s) {
        long long v = 0, unit;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (*s++ - '0');
            if (++digits > 9)
                return -1;
        }
        if (!digits)
            return -1;
        switch (*s++) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        case 'w':
            unit = 7 * 86400;
            break;
        default:
            return -1;
        }
        total += v * unit;
        if (total > SW_OFFER_MAX_AFTER)
            return -1;
    }
    *ret = total;
    return 0;
}

/* Only the keys named (NULL-terminated) in o: 0, or -1 with the first other key in *ret_key. */
static int
only_keys(const json_t *o, const char *const *keys, const char **ret_key)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        size_t i;
        for (i = 0; keys[i] && strcmp(keys[i], k) != 0; i++)
            ;
        if (!keys[i]) {
            *ret_key = k;
            return -1;
        }
    }
    return 0;
}

static int bad(char *why, size_t n, const char *fmt, ...) SW_PRINTF(3, 4);

static int
bad(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

static int
percent_value(const json_t *v, unsigned *ret)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100)
        return -1;
    *ret = (unsigned)json_integer_value(v) * (SW_OFFER_BUCKETS / 100);
    return 0;
}

/* The share of waves at now; see docs/rollouts.md. */
static int
waves_share(const json_t *w, time_t now, int *ret_step, char *why, size_t n)
{
    static const char *const wave_keys[] = {"start", "steps", "ramp", NULL};
    static const char *const step_keys[] = {"after", "percent", NULL};
    long long after[SW_OFFER_MAX_STEPS];
    unsigned pct[SW_OFFER_MAX_STEPS];
    const json_t *start, *steps, *ramp, *st;
    const char *k;
    time_t t0;
    size_t i, ns;
    int linear = 0, reached = 0;

    if (!json_is_object(w))
        return bad(why, n, "custom.slipway.rollout.waves must be an object");
    if (only_keys(w, wave_keys, &k) < 0)
        return bad(why, n,
                   "custom.slipway.rollout.waves has an unknown key (only start, steps "
                   "and ramp)");
    start = json_object_get(w, "start");
    if (!json_is_string(start) || sw_md_parse_time(json_string_value(start), &t0) < 0)
        return bad(why, n,
                   "custom.slipway.rollout.waves.start must be a UTC time "
                   "'YYYY-MM-DDTHH:MM:SSZ'");
    ramp = json_object_get(w, "ramp");
    if (ramp && !(json_is_string(ramp) && (strcmp(json_string_value(ramp), "step") == 0 ||
                                           strcmp(json_string_value(ramp), "linear") == 0)))
        return bad(why, n, "custom.slipway.rollout.waves.ramp must be \"step\" or \"linear\"");
    linear = ramp && strcmp(json_string_value(ramp), "linear") == 0;
    steps = json_object_get(w, "steps");
    ns = json_array_size(steps);
    if (!json_is_array(steps) || ns == 0 || ns > SW_OFFER_MAX_STEPS)
        return bad(why, n, "custom.slipway.rollout.waves.steps must be a list of 1 to %d steps",
                   SW_OFFER_MAX_STEPS);
    json_array_foreach(steps, i, st)
    {
        const json_t *a = json_object_get(st, "after");
        if (!json_is_object(st) || only_keys(st, step_keys, &k) < 0 || !json_is_string(a) ||
            parse_after(json_string_value(a), &after[i]) < 0 ||
            percent_value(json_object_get(st, "percent"), &pct[i]) < 0)
            return bad(why, n,
                       "custom.slipway.rollout.waves.steps[%zu] must be {\"after\": \"DURATION\" "
                       "(such as 0h, 12h, 1d, 1w), \"percent\": 0-100}",
                       i);
        if (i > 0 && after[i] <= after[i - 1])
            return bad(why, n,
                       "custom.slipway.rollout.waves.steps[%zu] must come after the step before "
                       "it",
                       i);
        if (i > 0 && pct[i] < pct[i - 1])
            return bad(why, n,
                       "custom.slipway.rollout.waves.steps[%zu] lowers the share: a wave may "
                       "only grow",
                       i);
    }
    *ret_step = 0;
    if (now <= 0 || now < t0)
        return 0;
    for (i = 0; i < ns; i++)
        if ((long long)(now - t0) >= after[i])
            reached = (int)i + 1;
    *ret_step = reached;
    if (reached == 0)
        return 0;
    if (!linear || (size_t)reached == ns)
        return (int)pct[reached - 1];
    {
        long long from = after[reached - 1], to = after[reached], at = (long long)(now - t0);
        long long lo = pct[reached - 1], hi = pct[reached];
        return (int)(lo + (hi - lo) * (at - from) / (to - from));
    }
}

int
sw_offer_rollout_share(const json_t *rollout, time_t now, int *ret_step, char *why, size_t n)
{
    static const char *const keys[] = {"percent", "waves", "salt", "pulled", "replace-with", NULL};
    const json_t *pct, *waves, *salt, *pulled, *repl;
    const char *k;
    unsigned share = SW_OFFER_BUCKETS;

    *ret_step = -1;
    if (!json_is_object(rollout))
        return bad(why, n, "custom.slipway.rollout must be an object (see docs/rollouts.md)");
    if (only_keys(rollout, keys, &k) < 0) {
        char key[64];
        sw_text_escape_buf(key, sizeof(key), k, strlen(k), 0);
        return bad(why, n,
                   "custom.slipway.rollout has an unknown key '%s' (percent, waves, salt, "
                   "pulled, replace-with)",
                   key);
    }
    pct = json_object_get(rollout, "percent");
    waves = json_object_get(rollout, "waves");
    salt = json_object_get(rollout, "salt");
    pulled = json_object_get(rollout, "pulled");
    repl = json_object_get(rollout, "replace-with");
    if (salt && (!json_is_string(salt) || json_string_length(salt) == 0))
        return bad(why, n, "custom.slipway.rollout.salt must be a non-empty string");
    if (pulled && !json_is_boolean(pulled))
        return bad(why, n, "custom.slipway.rollout.pulled must be true or false");
    if (repl && (!json_is_string(repl) || sw_version_check(json_string_value(repl), NULL) < 0))
        return bad(why, n, "custom.slipway.rollout.replace-with must be a version");
    if (repl && !json_is_true(pulled))
        return bad(why, n, "custom.slipway.rollout.replace-with needs \"pulled\": true");
    if (pct && waves)
        return bad(why, n, "custom.slipway.rollout has both percent and waves: one or the other");
    if (pct && percent_value(pct, &share) < 0)
        return bad(why, n,
                   "custom.slipway.rollout must be {\"percent\": 0-100[, \"salt\": \"...\"]} "
                   "or waves (see docs/rollouts.md)");
    if (waves) {
        int s = waves_share(waves, now, ret_step, why, n);
        if (s < 0)
            return s;
        share = (unsigned)s;
    }
    return (int)share;
}

static void verdict(struct sw_offer *o, enum sw_offer_verdict v, const char *fmt, ...)
    SW_PRINTF(3, 4);

static void
verdict(struct sw_offer *o, enum sw_offer_verdict v, const char *fmt, ...)
{
    va_list ap;
    int r;
    o->verdict = v;
    va_start(ap, fmt);
    r = vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
    va_end(ap);
    if (r >= (int)sizeof(o->reason)) { /* cut: drop a character the cut split */
        size_t len = strlen(o->reason), k = len;
        while (k > 0 && ((unsigned char)o->reason[k - 1] & 0xc0) == 0x80)
            k--;
        if (k > 0 && (unsigned char)o->reason[k - 1] >= 0xc0) {
            unsigned char lead = (unsigned char)o->reason[k - 1];
            size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
            if (len - (k - 1) < need)
                o->reason[k - 1] = '\0';
        }
    }
}

/* One non-empty string, or a JSON array of 1 to 64 of them. */
static int
string_list(const json_t *a)
{
    size_t i;
    const json_t *v;
    if (json_is_string(a))
        return json_string_length(a) > 0;
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > 64)
        return 0;
    json_array_foreach(a, i, v) if (!json_is_string(v) || json_string_length(v) == 0) return 0;
    return 1;
}

static int
list_has(const json_t *a, const char *s)
{
    size_t i;
    const json_t *v;
    if (json_is_string(a))
        return strcmp(json_string_value(a), s) == 0;
    json_array_foreach(a, i, v) if (strcmp(json_string_value(v), s) == 0) return 1;
    return 0;
}

/*
 * The quoted strings of a list for a reason, each escaped (they come from
 * metadata): a cut never splits a character, so the reason stays valid
 * UTF-8 for JSON output.
 */
static void
list_text(const json_t *a, char *out, size_t n)
{
    size_t i, used = 0;
    const json_t *v;
    out[0] = '\0';
    json_array_foreach(json_is_string(a) ? NULL : a, i, v)
    {
        /* room for ", ", two quotes, at least one byte and the NUL */
        if (n - used < 6)
            break;
        if (i) {
            memcpy(out + used, ", ", 2);
            used += 2;
        }
        out[used++] = '\'';
        used += sw_text_escape_buf(out + used, n - used - 1, json_string_value(v),
                                   json_string_length(v), 0);
        out[used++] = '\'';
        out[used] = '\0';
    }
    if (json_is_string(a) && n >= 3) {
        out[used++] = '\'';
        used +=
            sw_text_escape_buf(out + used, n - 2, json_string_value(a), json_string_length(a), 0);
        out[used++] = '\'';
        out[used] = '\0';
    }
}

void
sw_offer_evaluate(const char *target_path, const json_t *custom, const struct sw_offer_device *dev,
                  struct sw_offer *o)
{
    const json_t *sw, *ver, *compat, *chans, *rollout, *minc;
    char list[160];
    struct sw_error err = SW_ERROR_INIT;

    memset(o, 0, sizeof(*o));
    o->share = SW_OFFER_BUCKETS;
    sw = custom ? json_object_get(custom, "slipway") : NULL;
    if (!json_is_object(sw)) {
        verdict(o, SW_OFFER_NO_FIELDS, "no custom.slipway fields: not a slipway release");
        return;
    }
    ver = json_object_get(sw, "version");
    if (!json_is_string(ver) || sw_version_check(json_string_value(ver), &err) < 0) {
        verdict(o, SW_OFFER_NO_FIELDS, "custom.slipway.version is missing or malformed%s%s",
                err.msg[0] ? ": " : "", err.msg);
        return;
    }
    o->version = json_string_value(ver);

    compat = json_object_get(sw, "compatible");
    if (!string_list(compat)) {
        verdict(o, SW_OFFER_NO_FIELDS,
                "custom.slipway.compatible must be a string or a non-empty list of strings");
        return;
    }
    chans = json_object_get(sw, "channels");
    if (chans && !string_list(chans)) {
        verdict(o, SW_OFFER_NO_FIELDS,
                "custom.slipway.channels must be a non-empty list of "
                "strings");
        return;
    }
    rollout = json_object_get(sw, "rollout");
    o->wave_step = -1;
    if (rollout) {
        char why[SW_OFFER_REASON_MAX];
        const json_t *salt;
        int step, share = sw_offer_rollout_share(rollout, dev->now, &step, why, sizeof(why));
        if (share < 0) {
            verdict(o, SW_OFFER_NO_FIELDS, "%s", why);
            return;
        }
        salt = json_object_get(rollout, "salt");
        o->has_rollout = 1;
        o->share = (unsigned)share;
        o->wave_step = step;
        o->wave_steps =
            step >= 0
                ? (int)json_array_size(json_object_get(json_object_get(rollout, "waves"), "steps"))
                : 0;
        o->pulled = json_is_true(json_object_get(rollout, "pulled"));
        o->replace_with = json_string_value(json_object_get(rollout, "replace-with"));
        if (o->replace_with && sw_version_cmp(o->replace_with, o->version) == 0) {
            verdict(o, SW_OFFER_NO_FIELDS,
                    "custom.slipway.rollout.replace-with names the pulled version itself");
            return;
        }
        o->bucket = sw_offer_bucket(dev->device_id, salt ? json_string_value(salt) : target_path);
    }
    minc = json_object_get(sw, "min_client");
    if (minc && (!json_is_string(minc) || sw_version_check(json_string_value(minc), NULL) < 0)) {
        verdict(o, SW_OFFER_NO_FIELDS, "custom.slipway.min_client is malformed");
        return;
    }

    if (!dev->compatible) {
        list_text(compat, list, sizeof(list));
        verdict(o, SW_OFFER_INCOMPATIBLE,
                "this machine sets no 'compatible' in [slipway]; the target is for %s", list);
        return;
    }
    if (!list_has(compat, dev->compatible)) {
        list_text(compat, list, sizeof(list));
        verdict(o, SW_OFFER_INCOMPATIBLE, "for %s, not for '%s'", list, dev->compatible);
        return;
    }
    if (chans && !list_has(chans, dev->channel)) {
        list_text(chans, list, sizeof(list));
        verdict(o, SW_OFFER_CHANNEL, "on channel %s, this machine follows '%s'", list,
                dev->channel);
        return;
    }
    if (minc && sw_version_cmp(dev->client_version, json_string_value(minc)) < 0) {
        verdict(o, SW_OFFER_CLIENT_TOO_OLD, "needs slipway %s or newer, this is %s",
                json_string_value(minc), dev->client_version);
        return;
    }
    if (o->pulled) {
        char rv[80] = "";
        int runs = dev->installed_version && sw_version_check(dev->installed_version, NULL) == 0 &&
                   sw_version_cmp(o->version, dev->installed_version) == 0;
        if (o->replace_with)
            snprintf(rv, sizeof(rv), "; machines running it move to %s", o->replace_with);
        if (runs)
            verdict(o, SW_OFFER_PULLED,
                    "version %s was pulled by its publisher; this machine runs it and keeps it%s",
                    o->version, rv);
        else
            verdict(o, SW_OFFER_PULLED,
                    "version %s was pulled by its publisher: no machine newly takes it%s",
                    o->version, rv);
        return;
    }
    if (dev->installed_version && sw_version_check(dev->installed_version, NULL) == 0 &&
        sw_version_cmp(o->version, dev->installed_version) <= 0) {
        verdict(o, SW_OFFER_NOT_NEWER, "version %s is not newer than the installed %s", o->version,
                dev->installed_version);
        return;
    }
    if (rollout && !sw_offer_admits(o->bucket, o->share, dev->canary)) {
        char pct[16], who[64];
        snprintf(who, sizeof(who), "bucket %u of %u%s", o->bucket, SW_OFFER_BUCKETS,
                 dev->canary ? ", canary" : "");
        if (o->wave_step < 0)
            verdict(o, SW_OFFER_ROLLOUT,
                    "rolling out to %s%% of machines; this one (%s) is not yet among them",
                    share_text(o->share, pct), who);
        else if (dev->now <= 0)
            verdict(o, SW_OFFER_ROLLOUT, "a wave rollout, and no trusted time yet: not offered");
        else if (o->wave_step == 0)
            verdict(o, SW_OFFER_ROLLOUT,
                    "a wave rollout of %d steps that has not reached its first step yet "
                    "(starts %s); this one is %s",
                    o->wave_steps,
                    json_string_value(json_object_get(json_object_get(rollout, "waves"), "start")),
                    who);
        else
            verdict(o, SW_OFFER_ROLLOUT,
                    "wave step %d of %d: rolling out to %s%% of machines now; this one (%s) is "
                    "not yet among them",
                    o->wave_step, o->wave_steps, share_text(o->share, pct), who);
        return;
    }
    if (rollout && o->wave_step > 0) {
        char pct[16];
        verdict(o, SW_OFFER_YES,
                "offered: version %s (wave step %d of %d, %s%% of machines now, this one in "
                "bucket %u%s)",
                o->version, o->wave_step, o->wave_steps, share_text(o->share, pct), o->bucket,
                dev->canary ? ", canary" : "");
        return;
    }
    verdict(o, SW_OFFER_YES, "offered: version %s%s", o->version,
            rollout ? " (within its rollout share)" : "");
}

void
sw_offer_replace_init(struct sw_offer_replace *rp)
{
    memset(rp, 0, sizeof(*rp));
}

int
sw_offer_replace_needed(const struct sw_offer_device *dev)
{
    return dev->installed_version && sw_version_check(dev->installed_version, NULL) == 0;
}

void
sw_offer_replace_note(struct sw_offer_replace *rp, const struct sw_offer_device *dev,
                      const struct sw_offer *o, size_t i)
{
    if (rp->replace || !sw_offer_replace_needed(dev))
        return;
    if (o->verdict == SW_OFFER_PULLED && o->replace_with && o->version &&
        sw_version_cmp(o->version, dev->installed_version) == 0) {
        rp->replace = o->replace_with;
        rp->pulled_version = o->version;
        rp->pulled_at = i;
    }
}

/* For this machine (past compatible, channel and min_client), not pulled, of the replacement. */
static int
replaces(const struct sw_offer_replace *rp, const struct sw_offer *o)
{
    if (!rp->replace || !o->version)
        return 0;
    if (o->verdict != SW_OFFER_YES && o->verdict != SW_OFFER_NOT_NEWER &&
        o->verdict != SW_OFFER_ROLLOUT)
        return 0;
    return sw_version_cmp(o->version, rp->replace) == 0;
}

void
sw_offer_replace_match(struct sw_offer_replace *rp, const struct sw_offer *o)
{
    if (replaces(rp, o))
        rp->found = 1;
}

void
sw_offer_replace_apply(const struct sw_offer_replace *rp, const struct sw_offer_device *dev,
                       struct sw_offer *o, size_t i)
{
    if (!rp->replace)
        return;
    if (replaces(rp, o)) {
        o->downgrade = sw_version_cmp(o->version, dev->installed_version) < 0;
        verdict(o, SW_OFFER_YES,
                "offered: version %s replaces the pulled %s installed here, as the pulled "
                "release's signed policy says%s",
                o->version, rp->pulled_version,
                o->downgrade ? " (a downgrade the policy allows)" : "");
    } else if (i == rp->pulled_at && !rp->found) {
        char rv[80];
        snprintf(rv, sizeof(rv), "%s", rp->replace);
        verdict(o, SW_OFFER_PULLED,
                "version %s was pulled by its publisher; this machine runs it and keeps it: its "
                "replacement %s is not among the targets for this machine",
                o->version, rv);
    }
}

/* Decision i: in the array d, or where at[i] points. */
#define D(i) (at ? at[i] : &d[i])

static int
choose(const struct sw_offer_target *targets, size_t n, const struct sw_offer_device *dev,
       struct sw_offer *d, struct sw_offer *const *at, size_t *ret_chosen)
{
    struct sw_offer_replace rp;
    size_t chosen = 0;
    int have = 0;

    sw_offer_replace_init(&rp);
    for (size_t i = 0; i < n; i++) {
        sw_offer_evaluate(targets[i].path, targets[i].custom, dev, D(i));
        sw_offer_replace_note(&rp, dev, D(i), i);
    }
    for (size_t i = 0; rp.replace && i < n; i++)
        sw_offer_replace_match(&rp, D(i));
    for (size_t i = 0; rp.replace && i < n; i++)
        sw_offer_replace_apply(&rp, dev, D(i), i);
    for (size_t i = 0; i < n; i++) {
        if (D(i)->verdict != SW_OFFER_YES || !D(i)->version)
            continue;
        if (have && sw_version_cmp(D(i)->version, D(chosen)->version) <= 0)
            continue;
        chosen = i;
        have = 1;
    }
    if (have)
        *ret_chosen = chosen;
    return have;
}

#undef D

int
sw_offer_choose(const struct sw_offer_target *targets, size_t n, const struct sw_offer_device *dev,
                struct sw_offer *ret_decisions, size_t *ret_chosen)
{
    return choose(targets, n, dev, ret_decisions, NULL, ret_chosen);
}

int
sw_offer_choose_at(const struct sw_offer_target *targets, size_t n,
                   const struct sw_offer_device *dev, struct sw_offer *const *ret_at,
                   size_t *ret_chosen)
{
    return choose(targets, n, dev, NULL, ret_at, ret_chosen);
}
