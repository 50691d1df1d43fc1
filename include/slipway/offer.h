/* SPDX-License-Identifier: MIT */
/*
 * Which verified targets are offered to this machine, and why not: the
 * slipway fields a target carries in custom.slipway (version, compatible,
 * channels, rollout, min_client; see docs/targets.md) checked against this
 * device. The signature and hash checks that make a target trustworthy are
 * the trust module's; this only decides among trusted targets.
 */
#ifndef SLIPWAY_OFFER_H
#define SLIPWAY_OFFER_H

#include <slipway/error.h>

#include <jansson.h>

#define SW_OFFER_BUCKETS 10000 /* rollout buckets: a share is in 1/100 of a percent */
#define SW_OFFER_REASON_MAX 256

/* What is known about this machine. Strings are borrowed. */
struct sw_offer_device {
    const char *device_id;         /* from the store */
    const char *compatible;        /* [slipway] compatible; NULL when unset */
    const char *channel;           /* [slipway] channel */
    const char *installed_version; /* version in the active slot; NULL when none */
    const char *client_version;    /* this program's version */
    int canary;                    /* [slipway] canary */
};

enum sw_offer_verdict {
    SW_OFFER_YES = 0,       /* offered */
    SW_OFFER_NO_FIELDS = 1, /* no or malformed custom.slipway */
    SW_OFFER_INCOMPATIBLE = 2,
    SW_OFFER_CHANNEL = 3,
    SW_OFFER_ROLLOUT = 4,
    SW_OFFER_NOT_NEWER = 5,
    SW_OFFER_CLIENT_TOO_OLD = 6,
};

/* "offered", "no-fields", "incompatible", "channel", "rollout", "not-newer", "client-too-old" */
const char *sw_offer_verdict_to_string(enum sw_offer_verdict v);

struct sw_offer {
    enum sw_offer_verdict verdict;
    char reason[SW_OFFER_REASON_MAX]; /* one line a person can act on */
    const char *version;              /* custom.slipway.version, borrowed; NULL if absent */
    unsigned share;                   /* rollout share in buckets (10000 = everyone) */
    unsigned bucket;                  /* this device's bucket for this target */
};

/*
 * Decide for one target, given its path and its "custom" object (may be
 * NULL). Never fails on what the target carries: malformed fields make
 * SW_OFFER_NO_FIELDS with the reason. ret->version borrows from custom.
 */
void sw_offer_evaluate(const char *target_path, const json_t *custom,
                       const struct sw_offer_device *dev, struct sw_offer *ret);

/*
 * The rollout bucket of a device for a salt: BLAKE2b-64 of the device id
 * keyed with BLAKE2b-256 of the salt, little-endian, modulo 10000. The same
 * device and salt always give the same bucket, so raising a share never
 * drops a device that was in.
 */
unsigned sw_offer_bucket(const char *device_id, const char *salt);

#endif
