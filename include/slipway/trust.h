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
#define SW_TRUST_MAX_FILENAME 255       /* bytes of a role's file name (NAME_MAX) */
#define SW_TRUST_MAX_WALK_ROLES                                                                    \
    8192 /* delegated roles walked by refresh and list (4096 TAP 15 bins) */

/* What the download that follows is for, told to progress reports. Strings borrowed. */
struct sw_trust_fetching {
    const char *role;   /* the role whose metadata is fetched, or NULL for a target */
    const char *target; /* the target path, or NULL for metadata */
    int probe;          /* a next-root probe: "not found" is its expected end, not a failure */
};

typedef void (*sw_trust_fetching_fn)(void *ctx, const struct sw_trust_fetching *what);

struct sw_trust_config {
    const char *metadata_dir; /* trusted metadata: root.json, ... (a private directory) */
    struct sw_store *store;   /* versions, events and the time floor; NULL for none */
    struct sw_fetch *fetch;   /* mirrors; borrowed; NULL: local operations only */
    uint64_t max_root_size;
    uint64_t max_timestamp_size;
    uint64_t max_metadata_size;  /* snapshot or targets whose length is not given */
    uint64_t max_target_size;    /* 0: only the signed length limits a target */
    unsigned max_root_rotations; /* 0: SW_TRUST_MAX_ROOT_ROTATIONS */
    unsigned max_delegations;    /* 0: SW_TRUST_MAX_DELEGATIONS */
    unsigned max_walk_roles;     /* delegated roles one walk keeps or lists; 0: the default */
    /* delegated roles only from metadata_dir, never fetched (targets may still be); NULL fetch too */
    int local_roles;
    sw_fetch_progress_fn progress; /* optional: events of every download */
    void *progress_ctx;
    sw_trust_fetching_fn fetching; /* optional: what the next download is for (progress_ctx) */
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
 * A delegated role that could not be used through one delegator: not in
 * the snapshot, not kept (local_roles), not fetched, or not signed by the
 * keys that delegator gives it. The same role may be usable through
 * another delegator (a "diamond"): trust is per delegation.
 */
struct sw_trust_skip {
    char *role;      /* the delegated role */
    char *delegator; /* the role delegating it on that path */
    int code;        /* SW_E_* (positive) */
    char *reason;    /* the message */
};

/* Free what a skip holds (not s itself); the fields become NULL. */
void sw_trust_skip_release(struct sw_trust_skip *s);

/* Release n skips and free the array. */
void sw_trust_skips_free(struct sw_trust_skip *skips, size_t n);

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
 * 5.3 to 5.6), at time now. rep (optional) receives what changed. Delegated
 * roles are fetched on demand, or all at once by sw_trust_fetch_delegated().
 */
int sw_trust_refresh(struct sw_trust *t, time_t now, struct sw_trust_report *rep,
                     struct sw_error *err);

/*
 * After sw_trust_refresh(): fetch and keep every delegated role reachable
 * from targets (breadth first, at most cfg.max_walk_roles), each
 * verified against the delegator on the path it is reached by, so that
 * list and target search need no network afterwards. A role that cannot
 * be fetched or verified through a delegator is not a failure of this
 * call: it is added to *ret_skips (caller frees with sw_trust_skips_free;
 * NULL when none) and the walk goes on. *ret_n_roles (may be NULL) is the
 * number of distinct delegated roles usable. Fails only when the walk
 * itself cannot go on (no trusted targets, out of memory, the metadata
 * directory or store cannot be written).
 */
int sw_trust_fetch_delegated(struct sw_trust *t, size_t *ret_n_roles,
                             struct sw_trust_skip **ret_skips, size_t *ret_n_skips,
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
 * not yet trusted when a fetcher is set (and not local_roles). Every
 * delegated role is verified against the delegator of the path it is
 * reached by, each time. *ret_info and *ret_role are borrowed from t.
 * -SW_E_NOTFOUND when no trusted role lists it. When a role on the way
 * cannot be used the search stops there (a later role must not answer for
 * a path an earlier one governs) with that role's error.
 */
int sw_trust_find_target(struct sw_trust *t, const char *path,
                         const struct sw_md_fileinfo **ret_info, const char **ret_role,
                         struct sw_error *err);

/*
 * sw_trust_find_target(), and when the search stopped at a delegated role
 * that cannot be used, *ret_skip (may be NULL) says which (release it with
 * sw_trust_skip_release; its role is NULL otherwise).
 */
int sw_trust_find_target_why(struct sw_trust *t, const char *path,
                             const struct sw_md_fileinfo **ret_info, const char **ret_role,
                             struct sw_trust_skip *ret_skip, struct sw_error *err);

/*
 * Every target path any usable role lists, sorted and without duplicates
 * (caller frees each and the array), and the delegations that could not be
 * used (caller frees with sw_trust_skips_free; NULL when none), whose
 * branches are left out: one bad role does not fail the list. Resolve each
 * path with sw_trust_find_target() to honour delegation order.
 */
int sw_trust_list_paths(struct sw_trust *t, char ***ret_paths, size_t *ret_n,
                        struct sw_trust_skip **ret_skips, size_t *ret_n_skips,
                        struct sw_error *err);

/*
 * Download a target to dest, verified against info (length and every hash)
 * before it is renamed into place. A dest already holding the right bytes
 * is kept without a request (*ret_cached = 1). ret_cached may be NULL.
 */
int sw_trust_download_target(struct sw_trust *t, const char *path,
                             const struct sw_md_fileinfo *info, const char *dest, int *ret_cached,
                             struct sw_error *err);

/*
 * The trusted root, and the top-level role documents loaded so far (may be
 * NULL; see sw_trust_role_version()).
 */
const struct sw_md *sw_trust_root(const struct sw_trust *t);
const struct sw_md *sw_trust_role(const struct sw_trust *t, enum sw_md_type type);

/*
 * The version of a top-level role trusted now, 0 when none. After a
 * "nothing new" refresh the kept snapshot and targets are not read (their
 * versions come from the store's records; sw_trust_role() gives NULL for
 * them until a target search, list or walk loads them).
 */
int64_t sw_trust_role_version(const struct sw_trust *t, enum sw_md_type type);

/* Requests made to mirrors since open. */
unsigned sw_trust_requests(const struct sw_trust *t);

/*
 * Since open: signature checks of delegated roles made (*ret_checked),
 * and delegations' verdicts taken from the store's records instead
 * (*ret_reused: verify once, docs/trust.md).
 */
void sw_trust_delegated_checks(const struct sw_trust *t, unsigned *ret_checked,
                               unsigned *ret_reused);

/*
 * Change cfg.local_roles of an open trust: after sw_trust_fetch_delegated()
 * a caller that goes on to search targets with the same handle sets it, so
 * that a delegated role that could not be used is not fetched again.
 */
void sw_trust_set_local_roles(struct sw_trust *t, int local_roles);

/*
 * The time floor (store setting time-floor) a refresh raises once the
 * timestamp is verified. By default sw_trust_refresh() writes it at once
 * (a commit of its own). With hold set it only notes it, and the caller
 * writes it with sw_trust_floor_write() in its own transaction, with its
 * record of the refresh (`slipway update`: one commit per nothing-new run).
 * sw_trust_floor_write() writes nothing when no refresh since the last
 * write verified a timestamp; it is due even when the refresh failed later.
 */
void sw_trust_hold_floor(struct sw_trust *t, int hold);
int sw_trust_floor_write(struct sw_trust *t, struct sw_error *err);

void sw_trust_free(struct sw_trust *t);

/*
 * The file name a role is kept under in the metadata directory: the role
 * name percent-encoded except A-Za-z0-9_.-~, then ".json" ("../x" becomes
 * "..%2Fx.json"). When that would be longer than SW_TRUST_MAX_FILENAME
 * bytes, "%%sha256-HEX.json" instead, HEX the SHA-256 of the name: no
 * percent-encoded name holds "%%". *ret is the caller's to free.
 */
int sw_trust_role_filename(const char *role, char **ret, struct sw_error *err);

/*
 * Read the clock through libc, never below the floor kept in the store
 * (the time the newest timestamp was verified). *ret_behind is set when
 * the clock was below the floor. store may be NULL (no floor).
 */
int sw_trust_now(struct sw_store *store, time_t *ret_now, int *ret_behind, struct sw_error *err);

/*
 * The last role this session found expired: 1 with *ret_role (borrowed
 * from t, valid until the next call on t) and its expiry, or 0 when none
 * has (t may be NULL).
 */
int sw_trust_expired(const struct sw_trust *t, const char **ret_role, time_t *ret_expires);

#endif
