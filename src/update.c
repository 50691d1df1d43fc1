/* SPDX-License-Identifier: MIT */
/*
 * The update state machine and the steps that change slots: the table of
 * allowed transitions, transaction ids, recording each transition (with
 * the slot rows it implies) in one store transaction before its side
 * effect, stage / promote / rollback through the slot backend, and the
 * recovery of a step interrupted by a crash. Choosing and downloading a
 * target is the command layer's; what a bundle may hold is the bundle
 * module's.
 */
#include <slipway/fault.h>
#include <slipway/log.h>
#include <slipway/update.h>

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[SW_UPDATE_N_STATES] = {
    [SW_UPDATE_AVAILABLE] = "available",   [SW_UPDATE_DOWNLOADING] = "downloading",
    [SW_UPDATE_DOWNLOADED] = "downloaded", [SW_UPDATE_STAGING] = "staging",
    [SW_UPDATE_STAGED] = "staged",         [SW_UPDATE_CHECKING] = "checking",
    [SW_UPDATE_CHECKED] = "checked",       [SW_UPDATE_CHECK_FAILED] = "check_failed",
    [SW_UPDATE_PROMOTING] = "promoting",   [SW_UPDATE_PROMOTED] = "promoted",
    [SW_UPDATE_COMMITTED] = "committed",   [SW_UPDATE_ROLLED_BACK] = "rolled_back",
    [SW_UPDATE_FAILED] = "failed",         [SW_UPDATE_CANCELLED] = "cancelled",
};

const char *
sw_update_state_to_string(enum sw_update_state s)
{
    if ((unsigned)s >= SW_UPDATE_N_STATES)
        return "unknown";
    return state_names[s];
}

int
sw_update_state_from_string(const char *s, enum sw_update_state *ret_state)
{
    for (unsigned i = 0; s && i < SW_UPDATE_N_STATES; i++)
        if (strcmp(state_names[i], s) == 0) {
            *ret_state = (enum sw_update_state)i;
            return 0;
        }
    return -SW_E_INVAL;
}

#define N SW_UPDATE_EDGE_NORMAL
#define R SW_UPDATE_EDGE_RECOVERY
/* edges[from][to]: the state machine of docs/staging.md, as a table */
static const unsigned char edges[SW_UPDATE_N_STATES][SW_UPDATE_N_STATES] = {
    [SW_UPDATE_AVAILABLE] = {[SW_UPDATE_DOWNLOADING] = N, [SW_UPDATE_CANCELLED] = N},
    [SW_UPDATE_DOWNLOADING] =
        {[SW_UPDATE_DOWNLOADED] = N, [SW_UPDATE_FAILED] = N, [SW_UPDATE_AVAILABLE] = R},
    [SW_UPDATE_DOWNLOADED] =
        {[SW_UPDATE_STAGING] = N, [SW_UPDATE_DOWNLOADING] = N, [SW_UPDATE_CANCELLED] = N},
    [SW_UPDATE_STAGING] =
        {[SW_UPDATE_STAGED] = N, [SW_UPDATE_FAILED] = N, [SW_UPDATE_DOWNLOADED] = R},
    [SW_UPDATE_STAGED] =
        {[SW_UPDATE_CHECKING] = N, [SW_UPDATE_PROMOTING] = N, [SW_UPDATE_CANCELLED] = N},
    [SW_UPDATE_CHECKING] =
        {[SW_UPDATE_CHECKED] = N, [SW_UPDATE_CHECK_FAILED] = N, [SW_UPDATE_STAGED] = R},
    [SW_UPDATE_CHECKED] = {[SW_UPDATE_PROMOTING] = N, [SW_UPDATE_CANCELLED] = N},
    [SW_UPDATE_CHECK_FAILED] = {[SW_UPDATE_CANCELLED] = N},
    [SW_UPDATE_PROMOTING] =
        {[SW_UPDATE_PROMOTED] = N, [SW_UPDATE_FAILED] = N, [SW_UPDATE_STAGED] = R},
    [SW_UPDATE_PROMOTED] = {[SW_UPDATE_COMMITTED] = N, [SW_UPDATE_ROLLED_BACK] = N},
    [SW_UPDATE_COMMITTED] = {[SW_UPDATE_ROLLED_BACK] = N},
};
#undef N
#undef R

enum sw_update_edge
sw_update_edge(enum sw_update_state from, enum sw_update_state to)
{
    if ((unsigned)from >= SW_UPDATE_N_STATES || (unsigned)to >= SW_UPDATE_N_STATES)
        return SW_UPDATE_EDGE_NONE;
    return (enum sw_update_edge)edges[from][to];
}

bool
sw_update_state_final(enum sw_update_state s)
{
    return s == SW_UPDATE_ROLLED_BACK || s == SW_UPDATE_FAILED || s == SW_UPDATE_CANCELLED;
}

bool
sw_update_state_pending(enum sw_update_state s)
{
    return s == SW_UPDATE_AVAILABLE || s == SW_UPDATE_DOWNLOADED || s == SW_UPDATE_STAGED ||
           s == SW_UPDATE_CHECKED;
}

void
sw_update_txn_new(char ret_txn[SW_UPDATE_TXN_SIZE])
{
    unsigned char raw[8];
    randombytes_buf(raw, sizeof(raw));
    memcpy(ret_txn, "tx-", 3);
    sodium_bin2hex(ret_txn + 3, SW_UPDATE_TXN_SIZE - 3, raw, sizeof(raw));
}

static enum sw_update_state
state_of(const struct sw_store_update *u)
{
    enum sw_update_state s = SW_UPDATE_FAILED;
    sw_update_state_from_string(u->state, &s);
    return s;
}

int
sw_update_transition(struct sw_update_ctx *c, struct sw_store_update *u, enum sw_update_state to,
                     const char *kind, const char *reason, const char *error,
                     const struct sw_update_slot_change *changes, size_t n_changes, int recovery,
                     struct sw_error *err)
{
    enum sw_update_state from = state_of(u);
    enum sw_update_edge e = sw_update_edge(from, to);
    struct sw_store_event ev;
    struct sw_store_update nu = *u;
    char *nstate = NULL, *nerror = NULL;
    int r;

    if (e == SW_UPDATE_EDGE_NONE || (e == SW_UPDATE_EDGE_RECOVERY && !recovery))
        return sw_error_set(err, SW_E_UPDATE_STATE, "update %s ('%s'): cannot go from %s to %s",
                            u->txn, u->target, sw_update_state_to_string(from),
                            sw_update_state_to_string(to));
    nstate = strdup(sw_update_state_to_string(to));
    if (!nstate || (error && !(nerror = strdup(error)))) {
        free(nstate);
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    nu.state = nstate;
    if (error)
        nu.error = nerror;
    r = sw_store_begin(c->store, err);
    if (r < 0)
        goto fail;
    r = sw_store_update_save(c->store, &nu, err);
    if (r < 0)
        goto fail;
    for (size_t i = 0; i < n_changes; i++) {
        r = sw_store_slot_set(c->store, changes[i].name, changes[i].state, changes[i].version,
                              changes[i].update_id, err);
        if (r < 0)
            goto fail;
    }
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind ? kind : "transition";
    ev.txn = u->txn;
    ev.update_id = u->id;
    ev.from_state = sw_update_state_to_string(from);
    ev.to_state = sw_update_state_to_string(to);
    ev.actor = c->actor ? c->actor : "slipway";
    ev.reason = reason;
    ev.detail = NULL;
    r = sw_store_event_add(c->store, &ev, err);
    if (r < 0)
        goto fail;
    if (SW_FAULT("update-transition")) {
        r = sw_error_set(err, SW_E_FAULT, "injected fault before recording %s",
                         sw_update_state_to_string(to));
        goto fail;
    }
    r = sw_store_commit(c->store, err);
    if (r < 0)
        goto fail;
    sw_log_debug("update %s: %s -> %s%s%s", u->txn, sw_update_state_to_string(from),
                 sw_update_state_to_string(to), reason ? ": " : "", reason ? reason : "");
    free(u->state);
    u->state = nstate;
    if (error) {
        free(u->error);
        u->error = nerror;
    }
    return 0;
fail:
    sw_store_rollback(c->store);
    free(nstate);
    free(nerror);
    return r;
}

int
sw_update_find_pending(struct sw_update_ctx *c, struct sw_store_update *ret_update,
                       struct sw_error *err)
{
    struct sw_store_update *list = NULL;
    size_t n = 0;
    int r = sw_store_updates_list(c->store, 0, &list, &n, err);
    if (r < 0)
        return r;
    r = sw_error_set(err, SW_E_NOTFOUND, "no update is pending");
    for (size_t i = 0; i < n; i++)
        if (sw_update_state_pending(state_of(&list[i]))) {
            *ret_update = list[i];
            memset(&list[i], 0, sizeof(list[i]));
            sw_error_clear(err);
            r = 0;
            break;
        }
    sw_store_updates_free(list, n);
    return r;
}

/* --- the two views of the slots --------------------------------------------------- */

const struct sw_store_slot *
sw_update_view_row(const struct sw_update_view *v, const char *name)
{
    for (size_t i = 0; i < v->n_rows; i++)
        if (strcmp(v->rows[i].name, name) == 0)
            return &v->rows[i];
    return NULL;
}

static void add_problem(struct sw_update_view *v, const char *fmt, ...) SW_PRINTF(2, 3);

static void
add_problem(struct sw_update_view *v, const char *fmt, ...)
{
    va_list ap;
    if (v->n_problems >= sizeof(v->problems) / sizeof(v->problems[0]))
        return;
    va_start(ap, fmt);
    vsnprintf(v->problems[v->n_problems++], sizeof(v->problems[0]), fmt, ap);
    va_end(ap);
}

static bool
holds_tree(const char *state)
{
    return strcmp(state, "staged") == 0 || strcmp(state, "active") == 0 ||
           strcmp(state, "previous") == 0 || strcmp(state, "bad") == 0;
}

int
sw_update_view_read(struct sw_update_ctx *c, struct sw_update_view *v, struct sw_error *err)
{
    int r;

    memset(v, 0, sizeof(*v));
    v->store_active = -1;
    v->fs_active = -1;
    r = sw_store_slots(c->store, &v->rows, &v->n_rows, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < v->n_rows; i++) {
        enum sw_slot_id id;
        if (strcmp(v->rows[i].state, "active") == 0 &&
            sw_slot_id_from_string(v->rows[i].name, &id) == 0)
            v->store_active = (int)id;
    }
    if (!c->slots)
        return 0;
    {
        enum sw_slot_id id;
        struct sw_error e2 = SW_ERROR_INIT;
        r = sw_slot_active(c->slots, &id, &e2);
        if (r == 0)
            v->fs_active = (int)id;
        else if (r != -SW_E_SLOT)
            /* which slot runs cannot be told: a disagreement to report, not to guess at */
            add_problem(v, "cannot tell which slot is active on disk: %.200s", e2.msg);
    }
    for (int i = 0; i < SW_SLOT_COUNT; i++) {
        r = sw_slot_info(c->slots, (enum sw_slot_id)i, &v->info[i], err);
        if (r < 0)
            goto fail;
    }
    v->have_info = true;
    if (v->n_problems == 0 && v->store_active != v->fs_active) {
        if (v->fs_active < 0)
            add_problem(v,
                        "the store says slot '%s' is active, but no slot is active on disk "
                        "(the 'current' link is missing)",
                        sw_slot_id_to_string((enum sw_slot_id)v->store_active));
        else if (v->store_active < 0)
            add_problem(v, "slot '%s' is active on disk, but the store records no active slot",
                        sw_slot_id_to_string((enum sw_slot_id)v->fs_active));
        else
            add_problem(v, "slot '%s' is active on disk, but the store says slot '%s' is",
                        sw_slot_id_to_string((enum sw_slot_id)v->fs_active),
                        sw_slot_id_to_string((enum sw_slot_id)v->store_active));
    }
    for (int i = 0; i < SW_SLOT_COUNT; i++) {
        const struct sw_store_slot *row =
            sw_update_view_row(v, sw_slot_id_to_string((enum sw_slot_id)i));
        if (row && holds_tree(row->state) && (!v->info[i].present || !v->info[i].complete))
            add_problem(v,
                        "the store says slot '%s' holds version %s (%s), but it is not "
                        "complete on disk",
                        row->name, row->version ? row->version : "?", row->state);
    }
    return 0;
fail:
    sw_store_slots_free(v->rows, v->n_rows);
    v->rows = NULL;
    v->n_rows = 0;
    return r;
}

int
sw_update_view_check(const struct sw_update_view *v, struct sw_error *err)
{
    if (v->n_problems == 0)
        return 0;
    return sw_error_set(err, SW_E_SLOT_MISMATCH,
                        "the slots on disk and the state store disagree: %s%s; nothing was "
                        "changed: repair by hand (see 'slipway status')",
                        v->problems[0], v->n_problems > 1 ? " (and more)" : "");
}

void
sw_update_view_release(struct sw_update_view *v)
{
    if (!v)
        return;
    sw_store_slots_free(v->rows, v->n_rows);
    v->rows = NULL;
    v->n_rows = 0;
}

/* --- stage --------------------------------------------------------------------------- */

static int
need_slots(struct sw_update_ctx *c, struct sw_error *err)
{
    if (!c->slots)
        return sw_error_set(err, SW_E_INTERNAL, "no slot backend is open");
    return 0;
}

int
sw_update_stage(struct sw_update_ctx *c, struct sw_store_update *u, enum sw_slot_id slot,
                const char *bundle_path, const struct sw_md_fileinfo *info,
                const struct sw_bundle_limits *lim, sw_bundle_progress_fn progress,
                void *progress_ctx, struct sw_bundle_stats *ret_stats, struct sw_error *err)
{
    const char *sname = sw_slot_id_to_string(slot);
    struct sw_update_slot_change ch;
    struct sw_slot_writer w;
    struct sw_error xerr = SW_ERROR_INIT;
    char *nslot = NULL;
    bool have_writer = false;
    int r;

    r = need_slots(c, err);
    if (r < 0)
        return r;
    nslot = strdup(sname);
    if (!nslot)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    free(u->slot);
    u->slot = nslot;
    ch.name = sname;
    ch.state = "staging";
    ch.version = u->version;
    ch.update_id = u->id;
    r = sw_update_transition(c, u, SW_UPDATE_STAGING, NULL, "extracting into the inactive slot",
                             NULL, &ch, 1, 0, err);
    if (r < 0)
        return r;
    r = sw_slot_prepare(c->slots, slot, &xerr);
    if (r < 0)
        goto refused;
    r = sw_slot_open_writer(c->slots, slot, SW_SLOT_WRITE_TREE, &w, &xerr);
    if (r < 0)
        goto refused;
    have_writer = true;
    r = sw_bundle_extract(bundle_path, info, w.dirfd, lim, progress, progress_ctx, ret_stats,
                          &xerr);
    if (r < 0)
        goto refused;
    /* a finish that fails leaves the writer open, for abort */
    r = sw_slot_finish(c->slots, slot, &w, &xerr);
    if (r < 0)
        goto refused;
    have_writer = false;
    ch.state = "staged";
    return sw_update_transition(c, u, SW_UPDATE_STAGED, NULL, "extracted and made durable", NULL,
                                &ch, 1, 0, err);
refused:
    sw_error_prefix(&xerr, "staging '%s' into slot '%s': ", u->target, sname);
    if (err)
        *err = xerr;
    {
        struct sw_error aerr = SW_ERROR_INIT;
        int ar;
        if (have_writer)
            ar = sw_slot_abort(c->slots, slot, &w, &aerr);
        else
            ar = sw_slot_prepare(c->slots, slot, &aerr);
        ch.state = "empty";
        ch.version = NULL;
        ch.update_id = 0;
        if (ar < 0) {
            /* the slot could not be emptied: say so, and keep it out of use */
            sw_log_warning("slot '%s' could not be emptied: %s", sname, aerr.msg);
            ch.state = "bad";
        }
        sw_update_transition(c, u, SW_UPDATE_FAILED, NULL, "staging refused", xerr.msg, &ch, 1, 0,
                             NULL);
    }
    return r;
}

/* --- promote and rollback ------------------------------------------------------------ */

static int
row_update(struct sw_update_ctx *c, const struct sw_store_slot *row,
           struct sw_store_update *ret_update, struct sw_error *err)
{
    if (!row || row->update_id <= 0)
        return sw_error_set(err, SW_E_NOTFOUND, "slot '%s' holds no recorded update",
                            row ? row->name : "?");
    return sw_store_update_get(c->store, row->update_id, ret_update, err);
}

/* The switch to slot id and the slot rows that say so, after `u` was recorded as promoting. */
static int
finish_promote(struct sw_update_ctx *c, struct sw_store_update *u, enum sw_slot_id id,
               const struct sw_update_view *v, int recovery, struct sw_error *err)
{
    struct sw_update_slot_change ch[2];
    size_t n = 0;
    int r;

    if (SW_FAULT("update-promote-switch"))
        return sw_error_set(err, SW_E_FAULT, "injected fault before the switch");
    r = sw_slot_activate(c->slots, id, err);
    if (r < 0)
        return sw_error_prefix(err, "promoting slot '%s': ", sw_slot_id_to_string(id));
    ch[n].name = sw_slot_id_to_string(id);
    ch[n].state = "active";
    ch[n].version = u->version;
    ch[n].update_id = u->id;
    n++;
    {
        const struct sw_store_slot *old =
            sw_update_view_row(v, sw_slot_id_to_string(sw_slot_other(id)));
        if (old && strcmp(old->state, "active") == 0) {
            ch[n].name = old->name;
            ch[n].state = "previous";
            ch[n].version = old->version;
            ch[n].update_id = old->update_id;
            n++;
        }
    }
    r = sw_update_transition(c, u, SW_UPDATE_PROMOTED, recovery ? "recovery" : "promotion",
                             recovery ? "recovery: the switch had happened; promotion finished"
                                      : "switched to the staged slot",
                             NULL, ch, n, 0, err);
    if (r < 0)
        return r;
    sw_slot_mark(c->slots, id, SW_SLOT_HEALTH_GOOD, NULL);
    /*
     * Seam: post-promote health checks (the hooks issue) run here, before
     * the commit; a required failure rolls back. Until then promotion
     * commits at once.
     */
    return sw_update_transition(c, u, SW_UPDATE_COMMITTED, recovery ? "recovery" : NULL,
                                recovery ? "recovery: no post-promote checks: committed"
                                         : "no post-promote checks: committed",
                                NULL, NULL, 0, 0, err);
}

/* The newest update that is staged (or checked), whatever was fetched after it. */
static int
find_staged(struct sw_update_ctx *c, struct sw_store_update *ret, struct sw_error *err)
{
    struct sw_store_update *list = NULL;
    size_t n = 0;
    int r = sw_store_updates_list(c->store, 0, &list, &n, err);
    if (r < 0)
        return r;
    r = -SW_E_NOTFOUND;
    for (size_t i = 0; i < n; i++)
        if (state_of(&list[i]) == SW_UPDATE_STAGED || state_of(&list[i]) == SW_UPDATE_CHECKED) {
            *ret = list[i];
            memset(&list[i], 0, sizeof(list[i]));
            r = 0;
            break;
        }
    sw_store_updates_free(list, n);
    return r;
}

int
sw_update_promote(struct sw_update_ctx *c, const struct sw_update_promote_opts *opts,
                  struct sw_store_update *ret_update, struct sw_hook_results **ret_post,
                  struct sw_error *err)
{
    const char *reason = opts ? opts->reason : NULL;
    struct sw_update_view v;
    if (ret_post)
        *ret_post = NULL; /* the hooks issue: post-promote results */
    struct sw_store_update u;
    enum sw_slot_id id;
    int r;

    memset(&u, 0, sizeof(u));
    r = need_slots(c, err);
    if (r < 0)
        return r;
    r = sw_update_view_read(c, &v, err);
    if (r < 0)
        return r;
    r = sw_update_view_check(&v, err);
    if (r < 0)
        goto out;
    r = find_staged(c, &u, err);
    if (r == -SW_E_NOTFOUND) {
        r = sw_error_set(err, SW_E_UPDATE_STATE, "nothing is staged; run 'slipway stage' first");
        goto out;
    }
    if (r < 0)
        goto out;
    sw_log_set_txn(u.txn);
    if (!u.slot || sw_slot_id_from_string(u.slot, &id) < 0) {
        r = sw_error_set(err, SW_E_INTERNAL, "update %s is staged in no slot", u.txn);
        goto out;
    }
    {
        const struct sw_store_slot *row = sw_update_view_row(&v, u.slot);
        if (!row || strcmp(row->state, "staged") != 0 || row->update_id != u.id) {
            r = sw_error_set(err, SW_E_SLOT_MISMATCH,
                             "update %s is staged in slot '%s', but the store says that slot "
                             "is %s; stage it again",
                             u.txn, u.slot, row ? row->state : "missing");
            goto out;
        }
    }
    r = sw_slot_verify(c->slots, id, err);
    if (r < 0) {
        sw_error_prefix(err, "slot '%s' no longer holds what was staged: ", u.slot);
        goto out;
    }
    /*
     * Seam: pre-promote checks (the hooks issue) run here against the
     * staged slot (staged -> checking -> checked | check_failed); a
     * required failure stops before the switch.
     */
    r = sw_update_transition(c, &u, SW_UPDATE_PROMOTING, "promotion",
                             reason ? reason : "promotion asked for", NULL, NULL, 0, 0, err);
    if (r < 0)
        goto out;
    r = finish_promote(c, &u, id, &v, 0, err);
    if (r < 0)
        goto out;
    if (ret_update) {
        *ret_update = u;
        memset(&u, 0, sizeof(u));
    }
out:
    sw_store_update_release(&u);
    sw_update_view_release(&v);
    return r;
}

/* The switch back and the slot rows, after `u` was recorded as rolled back. */
static int
finish_rollback(struct sw_update_ctx *c, const struct sw_store_update *u, enum sw_slot_id from,
                const struct sw_store_slot *prev, int recovery, struct sw_error *err)
{
    struct sw_update_slot_change ch[2];
    struct sw_store_event ev;
    enum sw_slot_id to = sw_slot_other(from);
    int r;

    if (SW_FAULT("update-rollback-switch"))
        return sw_error_set(err, SW_E_FAULT, "injected fault before the switch back");
    r = sw_slot_activate(c->slots, to, err);
    if (r < 0)
        return sw_error_prefix(err, "rolling back to slot '%s': ", sw_slot_id_to_string(to));
    sw_slot_mark(c->slots, from, SW_SLOT_HEALTH_BAD, NULL);
    ch[0].name = sw_slot_id_to_string(to);
    ch[0].state = "active";
    ch[0].version = prev->version;
    ch[0].update_id = prev->update_id;
    ch[1].name = sw_slot_id_to_string(from);
    ch[1].state = "bad";
    ch[1].version = u->version;
    ch[1].update_id = u->id;
    r = sw_store_begin(c->store, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < 2 && r == 0; i++)
        r = sw_store_slot_set(c->store, ch[i].name, ch[i].state, ch[i].version, ch[i].update_id,
                              err);
    memset(&ev, 0, sizeof(ev));
    ev.kind = recovery ? "recovery" : "switch";
    ev.txn = u->txn;
    ev.update_id = u->id;
    ev.to_state = "rolled_back";
    ev.actor = c->actor ? c->actor : "slipway";
    ev.reason = recovery ? "recovery: the rollback was interrupted; switch back finished"
                         : "switched back to the previous slot";
    if (r == 0)
        r = sw_store_event_add(c->store, &ev, err);
    if (r == 0)
        r = sw_store_commit(c->store, err);
    if (r < 0)
        sw_store_rollback(c->store);
    else /* a warning: under the journal, priority 4 */
        sw_log_warning("rolled back update %s: version %s left, slot '%s' (version %s) is active "
                       "again",
                       u->txn, u->version, ch[0].name, prev->version ? prev->version : "-");
    return r;
}

int
sw_update_rollback(struct sw_update_ctx *c, const char *reason, struct sw_store_update *ret_update,
                   struct sw_error *err)
{
    struct sw_update_view v;
    struct sw_store_update u;
    const struct sw_store_slot *cur, *prev;
    enum sw_slot_id id;
    int r;

    memset(&u, 0, sizeof(u));
    r = need_slots(c, err);
    if (r < 0)
        return r;
    r = sw_update_view_read(c, &v, err);
    if (r < 0)
        return r;
    r = sw_update_view_check(&v, err);
    if (r < 0)
        goto out;
    if (v.store_active < 0) {
        r = sw_error_set(err, SW_E_UPDATE_STATE, "no slot is active: nothing to roll back");
        goto out;
    }
    id = (enum sw_slot_id)v.store_active;
    cur = sw_update_view_row(&v, sw_slot_id_to_string(id));
    prev = sw_update_view_row(&v, sw_slot_id_to_string(sw_slot_other(id)));
    if (!prev || strcmp(prev->state, "previous") != 0 || !prev->version ||
        !v.info[sw_slot_other(id)].present || !v.info[sw_slot_other(id)].complete) {
        r = sw_error_set(err, SW_E_UPDATE_STATE,
                         "slot '%s' holds no complete previous version (it is %s): nothing "
                         "to roll back to",
                         sw_slot_id_to_string(sw_slot_other(id)), prev ? prev->state : "missing");
        goto out;
    }
    r = row_update(c, cur, &u, err);
    if (r < 0)
        goto out;
    sw_log_set_txn(u.txn);
    if (state_of(&u) != SW_UPDATE_PROMOTED && state_of(&u) != SW_UPDATE_COMMITTED) {
        r = sw_error_set(err, SW_E_UPDATE_STATE, "update %s of slot '%s' is %s: cannot roll back",
                         u.txn, cur->name, u.state);
        goto out;
    }
    r = sw_update_transition(c, &u, SW_UPDATE_ROLLED_BACK, "rollback",
                             reason ? reason : "rollback asked for", NULL, NULL, 0, 0, err);
    if (r < 0)
        goto out;
    r = finish_rollback(c, &u, id, prev, 0, err);
    if (r < 0)
        goto out;
    if (ret_update) {
        *ret_update = u;
        memset(&u, 0, sizeof(u));
    }
out:
    sw_store_update_release(&u);
    sw_update_view_release(&v);
    return r;
}

/* --- recovery ------------------------------------------------------------------------- */

static int
recover_one(struct sw_update_ctx *c, struct sw_store_update *u, size_t *n, struct sw_error *err)
{
    enum sw_update_state s = state_of(u);
    struct sw_update_view v;
    enum sw_slot_id id;
    int r = 0;

    switch (s) {
    case SW_UPDATE_DOWNLOADING:
        r = sw_update_transition(c, u, SW_UPDATE_AVAILABLE, "recovery",
                                 "recovery: the download was interrupted; undone (a partial "
                                 "file is resumed by the next fetch)",
                                 NULL, NULL, 0, 1, err);
        break;
    case SW_UPDATE_CHECKING:
        r = sw_update_transition(c, u, SW_UPDATE_STAGED, "recovery",
                                 "recovery: checks were interrupted; undone", NULL, NULL, 0, 1,
                                 err);
        break;
    case SW_UPDATE_STAGING: {
        struct sw_update_slot_change ch;
        r = need_slots(c, err);
        if (r < 0 || !u->slot || sw_slot_id_from_string(u->slot, &id) < 0)
            return r < 0 ? r : sw_error_set(err, SW_E_INTERNAL, "update %s: no slot", u->txn);
        /* a half-written tree: empty the slot (prepare is idempotent), then say so */
        r = sw_slot_prepare(c->slots, id, err);
        if (r < 0)
            return sw_error_prefix(err, "recovery of update %s: ", u->txn);
        ch.name = u->slot;
        ch.state = "empty";
        ch.version = NULL;
        ch.update_id = 0;
        r = sw_update_transition(c, u, SW_UPDATE_DOWNLOADED, "recovery",
                                 "recovery: staging was interrupted; undone, the slot emptied",
                                 NULL, &ch, 1, 1, err);
        break;
    }
    case SW_UPDATE_PROMOTING:
        r = need_slots(c, err);
        if (r < 0 || !u->slot || sw_slot_id_from_string(u->slot, &id) < 0)
            return r < 0 ? r : sw_error_set(err, SW_E_INTERNAL, "update %s: no slot", u->txn);
        r = sw_update_view_read(c, &v, err);
        if (r < 0)
            return r;
        if (v.fs_active == (int)id) {
            /* the link was switched: finishing is safe, the slot was staged whole */
            r = finish_promote(c, u, id, &v, 1, err);
        } else {
            r = sw_update_transition(c, u, SW_UPDATE_STAGED, "recovery",
                                     "recovery: promotion was interrupted before the switch; "
                                     "undone",
                                     NULL, NULL, 0, 1, err);
        }
        sw_update_view_release(&v);
        break;
    case SW_UPDATE_PROMOTED:
        r = sw_update_transition(c, u, SW_UPDATE_COMMITTED, "recovery",
                                 "recovery: no post-promote checks: committed", NULL, NULL, 0, 0,
                                 err);
        break;
    case SW_UPDATE_ROLLED_BACK: {
        const struct sw_store_slot *row, *prev;
        if (!u->slot || sw_slot_id_from_string(u->slot, &id) < 0)
            return 0;
        r = need_slots(c, err);
        if (r < 0)
            return r;
        r = sw_update_view_read(c, &v, err);
        if (r < 0)
            return r;
        row = sw_update_view_row(&v, u->slot);
        prev = sw_update_view_row(&v, sw_slot_id_to_string(sw_slot_other(id)));
        if (row && strcmp(row->state, "active") == 0 && row->update_id == u->id && prev &&
            strcmp(prev->state, "previous") == 0)
            r = finish_rollback(c, u, id, prev, 1, err);
        else
            r = 1; /* done already */
        sw_update_view_release(&v);
        if (r == 1)
            return 0;
        break;
    }
    case SW_UPDATE_AVAILABLE:
    case SW_UPDATE_DOWNLOADED:
    case SW_UPDATE_STAGED:
    case SW_UPDATE_CHECKED:
    case SW_UPDATE_CHECK_FAILED:
    case SW_UPDATE_COMMITTED:
    case SW_UPDATE_FAILED:
    case SW_UPDATE_CANCELLED:
        return 0;
    }
    if (r == 0) {
        (*n)++;
        sw_log_notice("update %s ('%s'): recovered an interrupted %s", u->txn, u->target,
                      sw_update_state_to_string(s));
    }
    return r;
}

int
sw_update_recover(struct sw_update_ctx *c, size_t *ret_n, struct sw_error *err)
{
    struct sw_store_update *list = NULL;
    size_t n_list = 0, n = 0;
    int r;

    /* only the newest few can be in flight: every step finishes or fails before the next */
    r = sw_store_updates_list(c->store, 8, &list, &n_list, err);
    if (r < 0)
        return r;
    for (size_t i = n_list; i-- > 0;) {
        sw_log_set_txn(list[i].txn);
        r = recover_one(c, &list[i], &n, err);
        sw_log_set_txn(NULL);
        if (r < 0)
            break;
    }
    sw_store_updates_free(list, n_list);
    if (r == 0 && ret_n)
        *ret_n = n;
    return r;
}
