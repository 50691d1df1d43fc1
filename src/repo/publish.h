/* SPDX-License-Identifier: MIT */
/*
 * Private to slipway-repo and its test tools: signing and publishing. Which
 * keys a staged role needs (for a new root: the old and the new
 * thresholds), adding signatures, and publishing staged roles with a new
 * snapshot and timestamp in an order that keeps clients consistent (roles,
 * then snapshot, then timestamp last). Reports what it did, or who must
 * still sign what, into a JSON object the command prints.
 */
#ifndef SLIPWAY_REPO_PUBLISH_H
#define SLIPWAY_REPO_PUBLISH_H

#include "keyring.h"
#include "tree.h"

#include <slipway/error.h>

#include <jansson.h>
#include <time.h>

/* What one publishing command works with. All borrowed. */
struct sw_repo_ctx {
    struct sw_repo *repo;
    struct sw_keyring *kr;            /* NULL: no key directory (nothing signed) */
    const struct sw_repo_expiry *exp; /* expiry of what gets staged or signed */
    time_t now;
    json_t *report; /* an object; gets "published", "signatures", "pending", ... */
};

/*
 * Publish everything staged: check each staged role (a staged root against
 * the previous root's threshold and its own; a targets role against its
 * delegator, staged or published), adding signatures with the keys the
 * key directory holds, then write the roles, a new snapshot (length and
 * sha256 of each targets role) and a new timestamp. A top-level targets
 * (or delegated) role whose keys changed is staged again to be re-signed.
 * When a threshold is not met nothing is published: the signatures made
 * are kept in the staging area, report["pending"] says who must sign
 * what, and the result is -SW_E_REPO_UNSIGNED. With nothing staged,
 * report["nothing_staged"] is true and nothing is written.
 */
int sw_repo_commit(struct sw_repo_ctx *c, struct sw_error *err);

/*
 * Add signatures by the named keys (of the key directory) to the staged
 * envelope of role ("root" or a targets role). A key the role does not
 * list is refused (-SW_E_KEY). report["pending"] tells what is missing.
 */
int sw_repo_sign(struct sw_repo_ctx *c, const char *role, const char *const *key_names,
                 size_t n_keys, struct sw_error *err);

/* Fill report["pending"] for what is staged now, without signing. */
int sw_repo_describe_staged(struct sw_repo_ctx *c, struct sw_error *err);

/* A new timestamp over the published snapshot, signed by the timestamp keys. */
int sw_repo_renew_timestamp(struct sw_repo_ctx *c, struct sw_error *err);

/*
 * A new snapshot and timestamp over the published targets roles, taking
 * for each role the newest N.ROLE.json on disk (so a role signed outside
 * slipway-repo is picked up); every role must verify against its delegator.
 */
int sw_repo_resnapshot(struct sw_repo_ctx *c, struct sw_error *err);

/*
 * A meta entry {"version": V, "length": N, "hashes": {"sha256": H}} for
 * bytes (snapshot and timestamp "meta"). *ret is new.
 */
int sw_repo_meta_entry(const void *bytes, size_t len, int64_t version, json_t **ret,
                       struct sw_error *err);

#endif
