/* SPDX-License-Identifier: MIT */
/*
 * The state store: STATE_DIR/state.db, an SQLite database (WAL, foreign
 * keys, busy timeout, mode 0600 in a 0700 directory) that journals every
 * update, slot, hook run, event and trusted-metadata version. Owns the
 * schema and its migrations; what the rows mean is up to each module.
 */
#ifndef SLIPWAY_STORE_H
#define SLIPWAY_STORE_H

#include <slipway/error.h>
#include <stddef.h>
#include <stdint.h>

/* "SLPW": the SQLite application_id of every slipway store */
#define SW_STORE_APPLICATION_ID 0x534c5057

#define SW_STORE_FILENAME "state.db"

/* How long a writer waits for another process's lock, in milliseconds. */
#define SW_STORE_BUSY_TIMEOUT_MS 10000
/* seconds between two whole-file integrity checks of a store at open (src/store.c) */
#define SW_STORE_CHECK_EVERY (24 * 3600)

struct sw_store;

enum sw_store_flags {
    SW_STORE_CREATE = 1 << 0, /* create the directory and the store when missing */
};

/*
 * Open (and with SW_STORE_CREATE, create) the store in state_dir and bring
 * its schema up to date. A newer schema (-SW_E_STORE_NEWER), a file that is
 * not a slipway store (-SW_E_STORE_FOREIGN) or a damaged one
 * (-SW_E_STORE_CORRUPT) is refused and the file left untouched.
 * The first creation makes a random device id. Close with sw_store_close().
 */
int sw_store_open(const char *state_dir, unsigned flags, struct sw_store **ret_store,
                  struct sw_error *err);

/* Close; NULL is a no-op. */
void sw_store_close(struct sw_store *st);

/* Schema version of the open store, and the newest this program knows. */
int sw_store_schema_version(const struct sw_store *st);
int sw_store_latest_schema_version(void);

/* Path of the database file (borrowed from st). */
const char *sw_store_path(const struct sw_store *st);

/* Device id: 32 lowercase hex digits, made at creation (borrowed from st). */
const char *sw_store_device_id(const struct sw_store *st);

/*
 * Explicit transactions (BEGIN IMMEDIATE ... COMMIT / ROLLBACK). Test
 * builds have the fault point "store-commit" before every COMMIT.
 */
int sw_store_begin(struct sw_store *st, struct sw_error *err);
int sw_store_commit(struct sw_store *st, struct sw_error *err);
void sw_store_rollback(struct sw_store *st);

/*
 * Settings. get: -SW_E_NOTFOUND when unset; *ret_value is the caller's to
 * free. set: a value equal to the one stored writes nothing (updated_at is
 * when the value last changed), so a commit around it costs no fsync.
 */
int sw_store_setting_get(struct sw_store *st, const char *key, char **ret_value,
                         struct sw_error *err);
int sw_store_setting_set(struct sw_store *st, const char *key, const char *value,
                         struct sw_error *err);

/* One half of the A/B pair, as recorded. */
struct sw_store_slot {
    char name[8];
    char state[16];
    char *version;     /* NULL when empty */
    int64_t update_id; /* the update whose tree it holds; 0 = none */
    int64_t updated_at;
};

/* All slots, in name order. Free with sw_store_slots_free(). */
int sw_store_slots(struct sw_store *st, struct sw_store_slot **ret_slots, size_t *ret_n,
                   struct sw_error *err);
void sw_store_slots_free(struct sw_store_slot *slots, size_t n);

/* A trusted metadata role as recorded. */
struct sw_store_meta {
    char *role;
    int64_t version;
    char *expires; /* UTC YYYY-MM-DDTHH:MM:SSZ */
    int64_t length;
    char *sha256; /* hex of the exact bytes kept */
    int64_t verified_at;
};

/* Record (insert or replace) the trusted version of a role. */
int sw_store_meta_set(struct sw_store *st, const struct sw_store_meta *m, struct sw_error *err);
/* -SW_E_NOTFOUND when the role has no record. Free with sw_store_meta_release(). */
int sw_store_meta_get(struct sw_store *st, const char *role, struct sw_store_meta *ret_meta,
                      struct sw_error *err);
/* Forget a role (fast-forward recovery, dropped delegation). */
int sw_store_meta_delete(struct sw_store *st, const char *role, struct sw_error *err);
/* All roles, ordered by name. Free with sw_store_meta_list_free(). */
int sw_store_meta_list(struct sw_store *st, struct sw_store_meta **ret_list, size_t *ret_n,
                       struct sw_error *err);
void sw_store_meta_release(struct sw_store_meta *m);
void sw_store_meta_list_free(struct sw_store_meta *list, size_t n);
/*
 * Call fn(role, length, ctx) for every recorded role, in no order, with
 * nothing copied (role is valid during the call only); a negative return
 * of fn stops the walk and is returned. For checks over thousands of
 * roles (a kept file per role), where sw_store_meta_list's records cost.
 */
int sw_store_meta_each_length(struct sw_store *st,
                              int (*fn)(const char *role, int64_t length, void *ctx), void *ctx,
                              struct sw_error *err);

/*
 * Verify once for delegated roles: a delegation (named by binding, a hex
 * digest the trust module makes of what decides its verdict) accepted the
 * kept file of role whose bytes have this SHA-256 (hex) and length.
 * verdict_set inserts or replaces the row of (role, binding).
 * verdict_match: 1 when such a row holds exactly sha256 (case-insensitive)
 * and length, 0 when not, < 0 on a store error. verdicts_forget drops every
 * row of role, or every row at all when role is NULL. All strings borrowed.
 */
int sw_store_verdict_set(struct sw_store *st, const char *role, const char *binding,
                         const char *sha256, int64_t length, struct sw_error *err);
int sw_store_verdict_match(struct sw_store *st, const char *role, const char *binding,
                           const char *sha256, int64_t length, struct sw_error *err);
int sw_store_verdicts_forget(struct sw_store *st, const char *role, struct sw_error *err);

/* One row of the events table. Strings may be NULL except kind and actor. */
struct sw_store_event {
    const char *kind; /* "init", "refresh", "transition", "promotion", "rollback", ... */
    const char *txn;
    int64_t update_id; /* 0 = none */
    const char *from_state;
    const char *to_state;
    const char *actor;
    const char *reason;
    const char *detail; /* JSON text */
};

int sw_store_event_add(struct sw_store *st, const struct sw_store_event *ev, struct sw_error *err);

/*
 * Set one slot's row (name "a" or "b"): state (empty, staging, staged,
 * active, previous, bad), version (NULL when empty) and update (0 = none).
 */
int sw_store_slot_set(struct sw_store *st, const char *name, const char *state, const char *version,
                      int64_t update_id, struct sw_error *err);

/* One row of the updates table. Strings are owned (sw_store_update_release). */
struct sw_store_update {
    int64_t id;
    char *txn;
    char *target;
    char *version;
    char *from_version; /* the version active when it began; NULL for none */
    int64_t length;     /* -1 when unknown */
    char *sha256;       /* hex; NULL when unknown */
    char *slot;         /* "a", "b" or NULL */
    char *state;
    char *actor;
    char *error; /* why it failed; NULL */
    int64_t created_at;
    int64_t updated_at;
};

/* Insert u (id ignored; created_at and updated_at set to now); *ret_id may be NULL. */
int sw_store_update_add(struct sw_store *st, const struct sw_store_update *u, int64_t *ret_id,
                        struct sw_error *err);
/* Write back state, slot, error and from_version of u (by id), updated_at = now. */
int sw_store_update_save(struct sw_store *st, const struct sw_store_update *u,
                         struct sw_error *err);
/* -SW_E_NOTFOUND when there is no such update. Release with sw_store_update_release(). */
int sw_store_update_get(struct sw_store *st, int64_t id, struct sw_store_update *ret_update,
                        struct sw_error *err);
/* The newest updates first, at most limit (0 = all). Free with sw_store_updates_free(). */
int sw_store_updates_list(struct sw_store *st, size_t limit, struct sw_store_update **ret_list,
                          size_t *ret_n, struct sw_error *err);
void sw_store_update_release(struct sw_store_update *u);
void sw_store_updates_free(struct sw_store_update *list, size_t n);

/* One event as read back. Strings are owned; NULL when the column is. */
struct sw_store_event_row {
    int64_t id;
    int64_t at;    /* Unix seconds */
    int64_t at_ms; /* Unix milliseconds (0 for events of schema 1) */
    char *kind;
    char *txn;
    int64_t update_id;
    char *from_state;
    char *to_state;
    char *actor;
    char *reason;
    char *detail;
};

/* Events of one update (update_id > 0) or all (0), oldest first. Free with sw_store_events_free(). */
int sw_store_events_list(struct sw_store *st, int64_t update_id,
                         struct sw_store_event_row **ret_list, size_t *ret_n, struct sw_error *err);
void sw_store_events_free(struct sw_store_event_row *list, size_t n);

/* One finding a hook reported, as stored. Strings owned when read back. */
struct sw_store_hook_finding {
    char *check;
    char *status; /* "pass", "fail", "skip" */
    char *detail; /* may be NULL */
};

/* One run of one hook, as stored (hook_runs). Strings owned when read back. */
struct sw_store_hook_run {
    int64_t id;
    char *hook; /* file name, "NN-name" */
    char *path;
    int required;
    unsigned attempts;
    char *status;  /* sw_hook_status_to_string(): pass, fail, skip, error, refused */
    int exit_code; /* -1 when it did not exit */
    int signal;    /* 0 when none */
    int timed_out;
    int64_t started_at; /* Unix seconds */
    int64_t duration_ms;
    char *reason; /* NULL when none */
    char *output; /* NUL-terminated (also when read back), output_len bytes; may be NULL */
    size_t output_len;
    int output_truncated;
    char *bad_lines; /* JSON array of strings, or NULL */
    size_t findings_dropped;
    struct sw_store_hook_finding *findings;
    size_t n_findings;
};

/* One run of a phase against an update: its verdict, fingerprints and runs. */
struct sw_store_hook_phase {
    int64_t id;
    int64_t update_id; /* 0 = none */
    char *txn;
    char *phase;             /* "pre-promote", "post-promote" */
    char *slot;              /* the slot tested ("a", "b"), or NULL */
    char *slot_fingerprint;  /* hex SHA-256 (docs/staging.md, "Fingerprints") */
    char *hooks_fingerprint; /* hex SHA-256 */
    size_t n_hooks;          /* hooks run (masked ones are not) */
    size_t required_failed;
    size_t wanted_failed;
    int passed;   /* required_failed == 0 and nothing else failed the phase */
    char *reason; /* why it passed or failed, one line; may be NULL */
    int64_t started_at_ms;
    int64_t duration_ms;
    struct sw_store_hook_run *runs; /* in run order */
    size_t n_runs;
};

/*
 * Record a phase with all its runs and their findings in one store
 * transaction (begun and committed here: call it outside any other).
 * Nothing is written when it fails. *ret_id (may be NULL): the phase's id.
 * Test builds: the fault point "store-hook-phase" before the commit.
 */
int sw_store_hook_phase_add(struct sw_store *st, const struct sw_store_hook_phase *p,
                            int64_t *ret_id, struct sw_error *err);
/*
 * The phases of an update (update_id > 0) or of all updates (0), oldest
 * first, each with its runs and findings. Free with sw_store_hook_phases_free().
 */
int sw_store_hook_phases_list(struct sw_store *st, int64_t update_id,
                              struct sw_store_hook_phase **ret_list, size_t *ret_n,
                              struct sw_error *err);
/*
 * The newest run of phase for update_id, with its runs: the latest verdict.
 * -SW_E_NOTFOUND when the phase never ran. Release with sw_store_hook_phase_release().
 */
int sw_store_hook_phase_latest(struct sw_store *st, int64_t update_id, const char *phase,
                               struct sw_store_hook_phase *ret_phase, struct sw_error *err);
void sw_store_hook_phase_release(struct sw_store_hook_phase *p);
void sw_store_hook_phases_free(struct sw_store_hook_phase *list, size_t n);

/*
 * The operator's hold (slipway hold): no unattended update while held.
 * *ret_held 1 or 0; when held, *ret_actor (who), *ret_reason (NULL when
 * none given) and *ret_since (Unix seconds) are filled, the strings owned
 * by the caller (free()); NULL and 0 when not held. Any ret_ but ret_held
 * may be NULL.
 */
int sw_store_hold_get(struct sw_store *st, int *ret_held, char **ret_reason, char **ret_actor,
                      int64_t *ret_since, struct sw_error *err);
/* Hold (again: the newest actor and reason win) and record a "hold" event, in one transaction. */
int sw_store_hold_set(struct sw_store *st, const char *actor, const char *reason, int64_t since,
                      struct sw_error *err);
/* Release the hold (nothing to release is fine) and record an "unhold" event. */
int sw_store_hold_clear(struct sw_store *st, const char *actor, const char *reason,
                        struct sw_error *err);

#endif
