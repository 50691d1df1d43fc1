/* SPDX-License-Identifier: MIT */
/*
 * Offer policy: reads custom.slipway of a verified target and decides
 * whether this machine should take it (compatibility, channel, rollout
 * share, newer than installed, client new enough), with the reason when
 * not. Trust in the target itself is established elsewhere.
 */
#include <slipway/offer.h>
#include <slipway/text.h>
#include <slipway/version.h>

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
    if (rollout) {
        const json_t *pct = json_object_get(rollout, "percent");
        const json_t *salt = json_object_get(rollout, "salt");
        if (!json_is_object(rollout) || !json_is_integer(pct) || json_integer_value(pct) < 0 ||
            json_integer_value(pct) > 100 || (salt && !json_is_string(salt))) {
            verdict(o, SW_OFFER_NO_FIELDS,
                    "custom.slipway.rollout must be {\"percent\": 0-100[, \"salt\": \"...\"]}");
            return;
        }
        o->share = (unsigned)json_integer_value(pct) * (SW_OFFER_BUCKETS / 100);
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
    if (dev->installed_version && sw_version_check(dev->installed_version, NULL) == 0 &&
        sw_version_cmp(o->version, dev->installed_version) <= 0) {
        verdict(o, SW_OFFER_NOT_NEWER, "version %s is not newer than the installed %s", o->version,
                dev->installed_version);
        return;
    }
    if (rollout) {
        unsigned bucket = dev->canary ? 0 : o->bucket;
        if (o->share == 0 || bucket >= o->share) {
            verdict(o, SW_OFFER_ROLLOUT,
                    "rolling out to %u%% of machines; this one (bucket %u of %u%s) is not yet "
                    "among them",
                    o->share / (SW_OFFER_BUCKETS / 100), o->bucket, SW_OFFER_BUCKETS,
                    dev->canary ? ", canary" : "");
            return;
        }
    }
    verdict(o, SW_OFFER_YES, "offered: version %s%s", o->version,
            rollout ? " (within its rollout share)" : "");
}
