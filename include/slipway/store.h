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

/* Explicit transactions (BEGIN IMMEDIATE ... COMMIT / ROLLBACK). */
int sw_store_begin(struct sw_store *st, struct sw_error *err);
int sw_store_commit(struct sw_store *st, struct sw_error *err);
void sw_store_rollback(struct sw_store *st);

/* Settings. get: -SW_E_NOTFOUND when unset; *ret_value is the caller's to free. */
int sw_store_setting_get(struct sw_store *st, const char *key, char **ret_value,
                         struct sw_error *err);
int sw_store_setting_set(struct sw_store *st, const char *key, const char *value,
                         struct sw_error *err);

/* One half of the A/B pair, as recorded. */
struct sw_store_slot {
    char name[8];
    char state[16];
    char *version; /* NULL when empty */
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

#endif
