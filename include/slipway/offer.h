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
#include <stddef.h>
#include <time.h>

#define SW_OFFER_BUCKETS 10000 /* rollout buckets: a share is in 1/100 of a percent */
#define SW_OFFER_REASON_MAX 256

/* What is known about this machine. Strings are borrowed. */
struct sw_offer_device {
    const char *device_id;         /* from the store */
    const char *compatible;        /* [slipway] compatible; NULL when unset */
    const char *channel;           /* [slipway] channel */
    const char *installed_version; /* version in the active slot; NULL when none */
    const char *client_version;    /* this program's version */
    int canary;                    /* [slipway] canary: bucket 0, first in every rollout */
    time_t now; /* the trust client's clock (sw_trust_now: never below the floor); 0 = unknown,
                 * and then a wave rollout offers nothing */
};

struct sw_config;

/*
 * Fill dev from the configuration ([slipway] compatible, channel, canary),
 * the stored device id, the installed version (NULL when none) and the
 * trusted time. All strings stay borrowed from the arguments.
 */
void sw_offer_device_init(struct sw_offer_device *dev, const struct sw_config *cfg,
                          const char *device_id, const char *installed_version, time_t now);

enum sw_offer_verdict {
    SW_OFFER_YES = 0,       /* offered */
    SW_OFFER_NO_FIELDS = 1, /* no or malformed custom.slipway */
    SW_OFFER_INCOMPATIBLE = 2,
    SW_OFFER_CHANNEL = 3,
    SW_OFFER_ROLLOUT = 4,
    SW_OFFER_NOT_NEWER = 5,
    SW_OFFER_CLIENT_TOO_OLD = 6,
    SW_OFFER_PULLED = 7, /* custom.slipway.rollout.pulled: withdrawn by the publisher */
};

/*
 * "offered", "no-fields", "incompatible", "channel", "rollout", "not-newer", "client-too-old",
 * "pulled"
 */
const char *sw_offer_verdict_to_string(enum sw_offer_verdict v);

struct sw_offer {
    enum sw_offer_verdict verdict;
    char reason[SW_OFFER_REASON_MAX]; /* one line a person can act on */
    const char *version;              /* custom.slipway.version, borrowed; NULL if absent */
    unsigned share;                   /* rollout share in buckets (10000 = everyone) */
    unsigned bucket;                  /* this device's bucket for this target */
    int has_rollout;                  /* a well-formed custom.slipway.rollout is present */
    int wave_step;            /* waves: 1-based index of the last step reached (0 before the first);
                     * -1 without waves */
    int wave_steps;           /* waves: how many steps; 0 without waves */
    int pulled;               /* rollout.pulled is true */
    const char *replace_with; /* rollout.replace-with, borrowed from custom; NULL if absent */
    int downgrade; /* offered as a replacement older than the installed version: a downgrade the
                    * signed policy allows (stage it with allow-downgrade) */
};

/*
 * Decide for one target, given its path and its "custom" object (may be
 * NULL). Never fails on what the target carries: malformed fields make
 * SW_OFFER_NO_FIELDS with the reason. ret->version borrows from custom.
 */
void sw_offer_evaluate(const char *target_path, const json_t *custom,
                       const struct sw_offer_device *dev, struct sw_offer *ret);

/* One verified target as the trust client lists it: both borrowed. */
struct sw_offer_target {
    const char *path;
    const json_t *custom; /* the target's "custom" object, or NULL */
};

/*
 * Decide for every target at once, and choose: ret_decisions (an array of
 * n the caller provides) gets the decision for targets[i] at index i, as
 * sw_offer_evaluate() makes it, then completed with what needs the whole
 * set: when the installed version is a pulled target naming a
 * "replace-with" version, targets of that version (for this machine and not
 * pulled themselves) are offered whatever their rollout share, with
 * downgrade set when older than the installed version. The chosen target is
 * the newest offered one (the first listed among equals): its index goes to
 * *ret_chosen and the function returns 1; it returns 0 when nothing is
 * offered. Never fails: what a target carries only changes its decision.
 * Decisions borrow from targets[].custom.
 */
int sw_offer_choose(const struct sw_offer_target *targets, size_t n,
                    const struct sw_offer_device *dev, struct sw_offer *ret_decisions,
                    size_t *ret_chosen);
/*
 * The same, the decision for targets[i] written to *ret_at[i] (n pointers
 * the caller provides, to decisions it keeps elsewhere): no second array
 * of decisions (each is a few hundred bytes) for 100 000 targets.
 */
int sw_offer_choose_at(const struct sw_offer_target *targets, size_t n,
                       const struct sw_offer_device *dev, struct sw_offer *const *ret_at,
                       size_t *ret_chosen);

/*
 * The whole-set rule of sw_offer_choose() (a pulled installed release's
 * replace-with) for a caller that decides one target at a time and keeps no
 * decisions, as list does at 100 000 targets: passes over the same targets
 * in the same order, each decision made afresh by sw_offer_evaluate().
 * When sw_offer_replace_needed(dev) (a valid installed version), a first
 * pass gives each decision i to sw_offer_replace_note(); when rp->replace
 * is set after it, a second pass gives each to sw_offer_replace_match().
 * The last pass gives each decision to sw_offer_replace_apply() before it
 * is used: it then reads as sw_offer_choose() makes it. The strings in rp
 * are borrowed from the targets' custom objects, which must outlive it.
 */
struct sw_offer_replace {
    const char *replace;        /* the version the pulled installed release moves to; NULL: none */
    const char *pulled_version; /* that release's version */
    size_t pulled_at;           /* its index among the decisions */
    int found; /* a target of version replace is for this machine (after the second pass) */
};
void sw_offer_replace_init(struct sw_offer_replace *rp);
int sw_offer_replace_needed(const struct sw_offer_device *dev);
void sw_offer_replace_note(struct sw_offer_replace *rp, const struct sw_offer_device *dev,
                           const struct sw_offer *o, size_t i);
void sw_offer_replace_match(struct sw_offer_replace *rp, const struct sw_offer *o);
void sw_offer_replace_apply(const struct sw_offer_replace *rp, const struct sw_offer_device *dev,
                            struct sw_offer *o, size_t i);

/*
 * Whether a device in bucket (0..9999) is admitted at share (buckets,
 * 0..10000): bucket < share, a canary at any share above 0.
 */
int sw_offer_admits(unsigned bucket, unsigned share, int canary);

/*
 * The share (in buckets) of a rollout object at time now, or -1 with a
 * reason in why when it is malformed; *ret_step as wave_step above. For
 * tools and tests; sw_offer_evaluate() uses it.
 */
int sw_offer_rollout_share(const json_t *rollout, time_t now, int *ret_step, char *why,
                           size_t why_len);

/*
 * The rollout bucket of a device for a salt: BLAKE2b-64 of the device id
 * keyed with BLAKE2b-256 of the salt, little-endian, modulo 10000. The same
 * device and salt always give the same bucket, so raising a share never
 * drops a device that was in.
 */
unsigned sw_offer_bucket(const char *device_id, const char *salt);

#endif
