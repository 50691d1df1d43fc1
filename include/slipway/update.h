/* SPDX-License-Identifier: MIT */
/*
 * The update state machine: the states an update moves through, which
 * transitions are allowed, transaction ids, and the steps of the pipeline
 * that change slots (stage, promote, rollback), each recorded in the store
 * before its side effect begins, with recovery of an interrupted step on
 * start. Trust and fetch (choosing and downloading a target) are the
 * command layer's; what a bundle may hold is the bundle module's; what is
 * on disk is the slot backend's.
 */
#ifndef SLIPWAY_UPDATE_H
#define SLIPWAY_UPDATE_H

#include <slipway/bundle.h>
#include <slipway/error.h>
#include <slipway/hook.h>
#include <slipway/metadata.h>
#include <slipway/slot.h>
#include <slipway/store.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The states, as the store spells them (schema/0001-init.sql). Never renumber. */
enum sw_update_state {
    SW_UPDATE_AVAILABLE = 0,
    SW_UPDATE_DOWNLOADING = 1,
    SW_UPDATE_DOWNLOADED = 2,
    SW_UPDATE_STAGING = 3,
    SW_UPDATE_STAGED = 4,
    SW_UPDATE_CHECKING = 5, /* the hooks issue: pre-promote checks */
    SW_UPDATE_CHECKED = 6,
    SW_UPDATE_CHECK_FAILED = 7,
    SW_UPDATE_PROMOTING = 8,
    SW_UPDATE_PROMOTED = 9,
    SW_UPDATE_COMMITTED = 10,
    SW_UPDATE_ROLLED_BACK = 11,
    SW_UPDATE_FAILED = 12,
    SW_UPDATE_CANCELLED = 13,
};
#define SW_UPDATE_N_STATES 14

const char *sw_update_state_to_string(enum sw_update_state s);
int sw_update_state_from_string(const char *s, enum sw_update_state *ret_state);

/* How a transition may be taken. */
enum sw_update_edge {
    SW_UPDATE_EDGE_NONE = 0,     /* never */
    SW_UPDATE_EDGE_NORMAL = 1,   /* by a command */
    SW_UPDATE_EDGE_RECOVERY = 2, /* only by recovery, undoing an interrupted step */
};
enum sw_update_edge sw_update_edge(enum sw_update_state from, enum sw_update_state to);

/* No transition leaves it (committed may still be rolled back: see docs/staging.md). */
bool sw_update_state_final(enum sw_update_state s);
/*
 * Waiting for the next step (available, downloaded, staged, checked, and
 * check_failed: waiting for a fix, a new check or a forced promotion).
 */
bool sw_update_state_pending(enum sw_update_state s);

/* "tx-" and 16 lowercase hex digits of randomness, NUL-terminated. */
#define SW_UPDATE_TXN_SIZE 20
void sw_update_txn_new(char ret_txn[SW_UPDATE_TXN_SIZE]);

/* The test hooks the steps run (everything borrowed). */
struct sw_update_hooks {
    const struct sw_config *cfg;         /* hook-dirs, [hook "NAME"] sections */
    const struct sw_hook_params *params; /* NULL: sw_hook_params_init(cfg) */
    const char *channel;                 /* SLIPWAY_CHANNEL; may be NULL */
};

/* What the steps below work with. Everything is borrowed. */
struct sw_update_ctx {
    struct sw_store *store;
    struct sw_slot_backend *slots;       /* NULL: steps that touch a slot fail */
    const char *actor;                   /* who asked: "slipway", "user:NAME", ... */
    const struct sw_update_hooks *hooks; /* NULL: no hooks run (the gate passes) */
};

/* A slot row written in the same store transaction as a transition. */
struct sw_update_slot_change {
    const char *name;    /* "a" / "b" */
    const char *state;   /* empty, staging, staged, active, previous, bad */
    const char *version; /* NULL when empty */
    int64_t update_id;   /* 0 = none */
};

/*
 * Move u to state `to`: in one store transaction, the update's row (state,
 * and error when given), the slot rows in changes, and an event of `kind`
 * ("transition" when NULL) with from/to state, the update's txn, ctx->actor
 * and reason. The edge must be NORMAL (or RECOVERY when recovery is set):
 * otherwise -SW_E_UPDATE_STATE and nothing is written. u->state is updated
 * on success. Fault point "update-transition" before the commit.
 */
int sw_update_transition(struct sw_update_ctx *c, struct sw_store_update *u,
                         enum sw_update_state to, const char *kind, const char *reason,
                         const char *error, const struct sw_update_slot_change *changes,
                         size_t n_changes, int recovery, struct sw_error *err);

/* The newest pending update (-SW_E_NOTFOUND when none). Release with sw_store_update_release(). */
int sw_update_find_pending(struct sw_update_ctx *c, struct sw_store_update *ret_update,
                           struct sw_error *err);

/* The store's and the system's view of both slots, cross-checked. */
struct sw_update_view {
    struct sw_store_slot *rows; /* the store's rows a, b */
    size_t n_rows;
    int store_active; /* enum sw_slot_id, -1 for none */
    int fs_active;    /* enum sw_slot_id, -1 for none (or no backend) */
    bool have_info;   /* info[] was read from the backend */
    struct sw_slot_info info[SW_SLOT_COUNT];
    size_t n_problems;
    char problems[4][256]; /* each disagreement, one line a person can act on */
};

/*
 * Fill v (release with sw_update_view_release). A disagreement is not an
 * error here: it is listed in v->problems; sw_update_view_check() turns it
 * into -SW_E_SLOT_MISMATCH for the steps that must refuse.
 */
int sw_update_view_read(struct sw_update_ctx *c, struct sw_update_view *v, struct sw_error *err);
int sw_update_view_check(const struct sw_update_view *v, struct sw_error *err);
void sw_update_view_release(struct sw_update_view *v);
/* The row of slot name in v, or NULL. */
const struct sw_store_slot *sw_update_view_row(const struct sw_update_view *v, const char *name);

/*
 * Recover every interrupted step (see docs/staging.md, Recovery): finish it
 * when that is safe, otherwise undo it, and record a "recovery" event for
 * each. *ret_n (may be NULL) is how many were recovered. Run with the lock
 * held, before any other step.
 */
int sw_update_recover(struct sw_update_ctx *c, size_t *ret_n, struct sw_error *err);

/*
 * Stage u (downloaded) into slot `slot` (the inactive one): record staging,
 * prepare the slot, open a tree writer, check and extract the bundle at
 * bundle_path against info, make it durable (finish), record staged. A
 * refused bundle aborts the writer (the slot is left empty) and records
 * failed with the bundle module's message (naming the entry and the rule).
 */
int sw_update_stage(struct sw_update_ctx *c, struct sw_store_update *u, enum sw_slot_id slot,
                    const char *bundle_path, const struct sw_md_fileinfo *info,
                    const struct sw_bundle_limits *lim, sw_bundle_progress_fn progress,
                    void *progress_ctx, struct sw_bundle_stats *ret_stats, struct sw_error *err);

/*
 * The pre-promote checks: run the pre-promote hooks (c->hooks) against the
 * staged update's slot (SLIPWAY_SLOT_DIR; SLIPWAY_ACTIVE_DIR is the live
 * tree), recording staged|checked|check_failed -> checking -> checked |
 * check_failed and storing every run (hook_runs, hook_findings: duration,
 * exit code or signal, status, findings, output) under the update and
 * phase, with fingerprints of the slot and of the hook set (paths, modes,
 * contents, their sections) so a later promote knows whether the verdict
 * still holds. -SW_E_UPDATE_STATE when nothing is staged. A failing hook is
 * not an error of the call: *ret_results (may be NULL; free with
 * sw_hook_results_free) says so in required_failed. *ret_update (may be
 * NULL) receives the update checked.
 */
int sw_update_check(struct sw_update_ctx *c, struct sw_store_update *ret_update,
                    struct sw_hook_results **ret_results, struct sw_error *err);

/* How to promote. */
struct sw_update_promote_opts {
    const char *reason;       /* recorded with the promotion; may be NULL */
    bool force;               /* promote although required pre-promote hooks failed */
    const char *force_reason; /* required when force; recorded in a "forced" event */
};

/*
 * Promote the staged update: refuse when the slots disagree with the store
 * (-SW_E_SLOT_MISMATCH) or nothing is staged (-SW_E_UPDATE_STATE); verify
 * the slot. The gate: unless the stored pre-promote verdict of this update
 * passed for the slot's and the hook set's current fingerprints, run
 * sw_update_check first; a required hook that did not pass refuses with
 * -SW_E_CHECK naming it (nothing switched), unless opts->force (with a
 * force_reason, recorded). Then record promoting, switch, record promoted
 * (with the slot rows), run the post-promote hooks against the live tree
 * (stored like the checks) and record committed; a required post-promote
 * failure rolls back at once (the event names the hook and keeps its
 * output) and returns -SW_E_ROLLED_BACK. *ret_update (may be NULL)
 * receives the update promoted (or rolled back); *ret_post (may be NULL)
 * the post-promote results.
 */
int sw_update_promote(struct sw_update_ctx *c, const struct sw_update_promote_opts *opts,
                      struct sw_store_update *ret_update, struct sw_hook_results **ret_post,
                      struct sw_error *err);

/*
 * Roll back the running update: the other slot must hold a complete
 * previous version. Records rolled_back (with reason), switches, marks the
 * slot rolled back from bad. *ret_update (may be NULL): the update undone.
 */
int sw_update_rollback(struct sw_update_ctx *c, const char *reason,
                       struct sw_store_update *ret_update, struct sw_error *err);

#endif
