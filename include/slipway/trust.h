/* SPDX-License-Identifier: MIT */
/*
 * The TUF client workflow (specification 1.0, section 5): from the pinned
 * root through root rotation, timestamp, snapshot and targets to delegated
 * roles and target files, with every check the specification lists. Each
 * role is kept, the moment it verifies, as the exact bytes served, in a
 * private metadata directory (and its version in the store). Parsing and
 * signature checks are the metadata module's; bytes come from fetch.
 */
#ifndef SLIPWAY_TRUST_H
#define SLIPWAY_TRUST_H

#include <slipway/error.h>
#include <slipway/fetch.h>
#include <slipway/metadata.h>
#include <slipway/store.h>

#include <stdint.h>
#include <time.h>

#define SW_TRUST_MAX_ROOT_ROTATIONS 256 /* new roots accepted in one refresh */
#define SW_TRUST_MAX_DELEGATIONS 32     /* roles visited in one target search */
#define SW_TRUST_MAX_FILENAME 1024      /* bytes of an encoded role file name */

struct sw_trust_config {
    const char *metadata_dir; /* trusted metadata: root.json, ... (a private directory) */
    struct sw_store *store;   /* versions, events and the time floor; NULL for none */
    struct sw_fetch *fetch;   /* mirrors; borrowed; NULL: local operations only */
    uint64_t max_root_size;
    uint64_t max_timestamp_size;
    uint64_t max_metadata_size;    /* snapshot or targets whose length is not given */
    uint64_t max_target_size;      /* 0: only the signed length limits a target */
    unsigned max_root_rotations;   /* 0: SW_TRUST_MAX_ROOT_ROTATIONS */
    unsigned max_delegations;      /* 0: SW_TRUST_MAX_DELEGATIONS */
    sw_fetch_progress_fn progress; /* optional, for target downloads */
    void *progress_ctx;
};

/* What a refresh changed for one role. */
struct sw_trust_change {
    char role[32];       /* "root", "timestamp", "snapshot", "targets" */
    int64_t old_version; /* 0 when there was none */
    int64_t new_version; /* 0 when it was dropped (fast-forward recovery) */
};

#define SW_TRUST_MAX_CHANGES 16

struct sw_trust_report {
    size_t n_changes;
    struct sw_trust_change changes[SW_TRUST_MAX_CHANGES];
    int timestamp_unchanged; /* the mirror's timestamp was the one already trusted */
    unsigned requests;       /* requests made to mirrors */
};

struct sw_trust;

/*
 * Pin a first root in metadata_dir, which must exist: root_bytes must be a well-formed root signed by its own
 * root threshold and, when check_expiry, not expired at now. Existing trust
 * in metadata_dir is refused (-SW_E_EXISTS) unless force, which drops every
 * trusted role first. Writes metadata_dir/root.json (exactly root_bytes)
 * and, with a store, records it with an "init" event.
 */
int sw_trust_install_root(const char *metadata_dir, struct sw_store *store, const void *root_bytes,
                          size_t len, int force, int check_expiry, time_t now,
                          struct sw_error *err);

/*
 * Load the trusted root from cfg->metadata_dir (-SW_E_TRUST_NOROOT when
 * there is none) and check it is signed by its own threshold, before any
 * network request. cfg is copied; what it points to is borrowed.
 */
int sw_trust_open(const struct sw_trust_config *cfg, struct sw_trust **ret_trust,
                  struct sw_error *err);

/*
 * Update root, timestamp, snapshot and targets from the mirrors (section
 * 5.3 to 5.6), at time now. rep (optional) receives what changed.
 */
int sw_trust_refresh(struct sw_trust *t, time_t now, struct sw_trust_report *rep,
                     struct sw_error *err);

/*
 * Without the network: load and check the trusted timestamp, snapshot and
 * targets (signatures, versions that match, expiry at now), so trusted
 * targets can be read. -SW_E_TRUST when they are missing or stale, naming
 * 'slipway refresh' as the fix.
 */
int sw_trust_load_local(struct sw_trust *t, time_t now, struct sw_error *err);

/*
 * Find a target by path (section 5.7): top-level targets, then delegated
 * roles in pre-order depth-first search, each role once, fetching those
 * not yet trusted when a fetcher is set. *ret_info and *ret_role are
 * borrowed from t. -SW_E_NOTFOUND when no trusted role lists it.
 */
int sw_trust_find_target(struct sw_trust *t, const char *path,
                         const struct sw_md_fileinfo **ret_info, const char **ret_role,
                         struct sw_error *err);

/*
 * Every target path any reachable role lists, sorted and without
 * duplicates (caller frees each and the array). Resolve each with
 * sw_trust_find_target() to honour delegation order.
 */
int sw_trust_list_paths(struct sw_trust *t, char ***ret_paths, size_t *ret_n, struct sw_error *err);

/*
 * Download a target to dest, verified against info (length and every hash)
 * before it is renamed into place. A dest already holding the right bytes
 * is kept without a request (*ret_cached = 1). ret_cached may be NULL.
 */
int sw_trust_download_target(struct sw_trust *t, const char *path,
                             const struct sw_md_fileinfo *info, const char *dest, int *ret_cached,
                             struct sw_error *err);

/* The trusted root, and the top-level role documents loaded so far (may be NULL). */
const struct sw_md *sw_trust_root(const struct sw_trust *t);
const struct sw_md *sw_trust_role(const struct sw_trust *t, enum sw_md_type type);

/* Requests made to mirrors since open. */
unsigned sw_trust_requests(const struct sw_trust *t);

void sw_trust_free(struct sw_trust *t);

/*
 * The file name a role is kept under in the metadata directory: the role
 * name percent-encoded except A-Za-z0-9_.-~, then ".json" ("../x" becomes
 * "..%2Fx.json"). *ret is the caller's to free.
 */
int sw_trust_role_filename(const char *role, char **ret, struct sw_error *err);

/*
 * Read the clock through libc, never below the floor kept in the store
 * (the time the newest timestamp was verified). *ret_behind is set when
 * the clock was below the floor. store may be NULL (no floor).
 */
int sw_trust_now(struct sw_store *store, time_t *ret_now, int *ret_behind, struct sw_error *err);

#endif
