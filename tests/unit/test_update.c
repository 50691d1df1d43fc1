/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the update state machine: state names (the store's), the
 * table of transitions, transaction ids, a transition written with its
 * event and slot rows in one store transaction (or not at all), the
 * cross-check of store and disk, and recovery of interrupted staging and
 * promotion against the real dir backend; the promote gate (pre-promote
 * hooks blocking, passing, forced; verdicts kept or run again when the
 * slot or the hook set changes), post-promote hooks rolling back, and
 * recovery of interrupted checks and of a promotion whose post-promote
 * hooks did not finish.
 */
#include "testutil.h"

#include <slipway/config.h>
#include <slipway/slot.h>
#include <slipway/store.h>
#include <slipway/update.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
    char *dir;
    char *hooks;            /* DIR/hooks: the hook-dirs of hcfg */
    struct sw_config *hcfg; /* hook-dirs and [hook "NAME"] sections */
    struct sw_update_hooks hk;
    struct sw_config *cfg;
    struct sw_store *st;
    struct sw_slot_backend *slots;
    struct sw_update_ctx c;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct sw_error err = SW_ERROR_INIT;
    f->dir = tu_tmpdir();
    if (sw_config_defaults(&f->cfg, &err) < 0 || sw_config_set_state_dir(f->cfg, f->dir, &err) < 0)
        fail_msg("config: %s", err.msg);
    if (sw_store_open(f->dir, SW_STORE_CREATE, &f->st, &err) < 0)
        fail_msg("store: %s", err.msg);
    if (sw_slot_open(f->cfg, &f->slots, &err) < 0)
        fail_msg("slots: %s", err.msg);
    f->c.store = f->st;
    f->c.slots = f->slots;
    f->c.actor = "test";
    f->hooks = tu_path(f->dir, "hooks");
    {
        char conf[1024], *pre = tu_path(f->hooks, "pre-promote"),
                         *post = tu_path(f->hooks, "post-promote");
        snprintf(conf, sizeof(conf),
                 "[slipway]\nhook-dirs = %s\nhook-timeout = 20\n"
                 "[hook \"advice\"]\nrequired = no\n",
                 f->hooks);
        if (sw_config_parse_mem("hooks.conf", conf, strlen(conf), &f->hcfg, &err) < 0)
            fail_msg("hook config: %s", err.msg);
        assert_int_equal(mkdir(f->hooks, 0755), 0);
        assert_int_equal(mkdir(pre, 0755), 0);
        assert_int_equal(mkdir(post, 0755), 0);
        free(pre);
        free(post);
    }
    f->hk.cfg = f->hcfg;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    sw_slot_close(f->slots);
    sw_store_close(f->st);
    sw_config_free(f->cfg);
    sw_config_free(f->hcfg);
    free(f->hooks);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* A new update row in state s; the returned row is the caller's. */
static void
add_update(struct fixture *f, const char *s, const char *version, const char *slot,
           struct sw_store_update *ret)
{
    char txn[SW_UPDATE_TXN_SIZE], target[64], ver[32], state[32], actor[] = "test";
    char slotname[8];
    struct sw_store_update u;
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = 0;

    sw_update_txn_new(txn);
    snprintf(target, sizeof(target), "app-%s.tar", version);
    snprintf(ver, sizeof(ver), "%s", version);
    snprintf(state, sizeof(state), "%s", s);
    memset(&u, 0, sizeof(u));
    u.txn = txn;
    u.target = target;
    u.version = ver;
    u.length = 10;
    u.state = state;
    u.actor = actor;
    if (slot) {
        snprintf(slotname, sizeof(slotname), "%s", slot);
        u.slot = slotname;
    }
    if (sw_store_update_add(f->st, &u, &id, &err) < 0)
        fail_msg("add: %s", err.msg);
    assert_int_equal(sw_store_update_get(f->st, id, ret, &err), 0);
}

static size_t
n_events(struct fixture *f, int64_t id, const char *kind)
{
    struct sw_store_event_row *ev = NULL;
    size_t n = 0, k = 0;
    assert_int_equal(sw_store_events_list(f->st, id, &ev, &n, NULL), 0);
    for (size_t i = 0; i < n; i++)
        if (!kind || strcmp(ev[i].kind, kind) == 0)
            k++;
    sw_store_events_free(ev, n);
    return k;
}

static void
test_state_names(void **state)
{
    struct fixture *f = *state;
    enum sw_update_state s;

    for (int i = 0; i < SW_UPDATE_N_STATES; i++) {
        struct sw_store_update u;
        const char *name = sw_update_state_to_string((enum sw_update_state)i);
        assert_string_not_equal(name, "unknown");
        assert_int_equal(sw_update_state_from_string(name, &s), 0);
        assert_int_equal((int)s, i);
        /* every name is one the store's schema accepts */
        add_update(f, name, "1.0.0", NULL, &u);
        sw_store_update_release(&u);
    }
    assert_int_equal(sw_update_state_from_string("Staged", &s), -SW_E_INVAL);
    assert_int_equal(sw_update_state_from_string(NULL, &s), -SW_E_INVAL);
    assert_string_equal(sw_update_state_to_string((enum sw_update_state)99), "unknown");
}

static void
test_edges(void **state)
{
    (void)state;
    /* the pipeline in order */
    assert_int_equal(sw_update_edge(SW_UPDATE_AVAILABLE, SW_UPDATE_DOWNLOADING),
                     SW_UPDATE_EDGE_NORMAL);
    assert_int_equal(sw_update_edge(SW_UPDATE_DOWNLOADED, SW_UPDATE_STAGING),
                     SW_UPDATE_EDGE_NORMAL);
    assert_int_equal(sw_update_edge(SW_UPDATE_STAGED, SW_UPDATE_PROMOTING), SW_UPDATE_EDGE_NORMAL);
    assert_int_equal(sw_update_edge(SW_UPDATE_STAGED, SW_UPDATE_CHECKING), SW_UPDATE_EDGE_NORMAL);
    assert_int_equal(sw_update_edge(SW_UPDATE_CHECKED, SW_UPDATE_PROMOTING), SW_UPDATE_EDGE_NORMAL);
    assert_int_equal(sw_update_edge(SW_UPDATE_PROMOTED, SW_UPDATE_COMMITTED),
                     SW_UPDATE_EDGE_NORMAL);
    assert_int_equal(sw_update_edge(SW_UPDATE_COMMITTED, SW_UPDATE_ROLLED_BACK),
                     SW_UPDATE_EDGE_NORMAL);
    /* undoing is recovery's alone */
    assert_int_equal(sw_update_edge(SW_UPDATE_STAGING, SW_UPDATE_DOWNLOADED),
                     SW_UPDATE_EDGE_RECOVERY);
    assert_int_equal(sw_update_edge(SW_UPDATE_PROMOTING, SW_UPDATE_STAGED),
                     SW_UPDATE_EDGE_RECOVERY);
    assert_int_equal(sw_update_edge(SW_UPDATE_DOWNLOADING, SW_UPDATE_AVAILABLE),
                     SW_UPDATE_EDGE_RECOVERY);
    /* never: skipping a step, going back, leaving a final state */
    assert_int_equal(sw_update_edge(SW_UPDATE_AVAILABLE, SW_UPDATE_STAGED), SW_UPDATE_EDGE_NONE);
    assert_int_equal(sw_update_edge(SW_UPDATE_DOWNLOADED, SW_UPDATE_PROMOTING),
                     SW_UPDATE_EDGE_NONE);
    assert_int_equal(sw_update_edge(SW_UPDATE_COMMITTED, SW_UPDATE_STAGED), SW_UPDATE_EDGE_NONE);
    /* the gate: checks may run again; a failed check is promoted only when forced */
    assert_int_equal(sw_update_edge(SW_UPDATE_CHECK_FAILED, SW_UPDATE_CHECKING),
                     SW_UPDATE_EDGE_NORMAL);
    assert_int_equal(sw_update_edge(SW_UPDATE_CHECKED, SW_UPDATE_CHECKING), SW_UPDATE_EDGE_NORMAL);
    assert_int_equal(sw_update_edge(SW_UPDATE_CHECK_FAILED, SW_UPDATE_PROMOTING),
                     SW_UPDATE_EDGE_NORMAL);
    assert_int_equal(sw_update_edge(SW_UPDATE_CHECKING, SW_UPDATE_PROMOTING), SW_UPDATE_EDGE_NONE);
    assert_int_equal(sw_update_edge(SW_UPDATE_CHECKING, SW_UPDATE_STAGED), SW_UPDATE_EDGE_RECOVERY);
    assert_true(sw_update_state_pending(SW_UPDATE_CHECK_FAILED));
    assert_false(sw_update_state_pending(SW_UPDATE_CHECKING));
    for (int to = 0; to < SW_UPDATE_N_STATES; to++) {
        assert_int_equal(sw_update_edge(SW_UPDATE_ROLLED_BACK, (enum sw_update_state)to),
                         SW_UPDATE_EDGE_NONE);
        assert_int_equal(sw_update_edge(SW_UPDATE_FAILED, (enum sw_update_state)to),
                         SW_UPDATE_EDGE_NONE);
        assert_int_equal(sw_update_edge(SW_UPDATE_CANCELLED, (enum sw_update_state)to),
                         SW_UPDATE_EDGE_NONE);
    }
    assert_true(sw_update_state_final(SW_UPDATE_ROLLED_BACK));
    assert_false(sw_update_state_final(SW_UPDATE_COMMITTED));
    assert_true(sw_update_state_pending(SW_UPDATE_STAGED));
    assert_false(sw_update_state_pending(SW_UPDATE_STAGING));
}

static void
test_txn(void **state)
{
    char a[SW_UPDATE_TXN_SIZE], b[SW_UPDATE_TXN_SIZE];
    (void)state;
    sw_update_txn_new(a);
    sw_update_txn_new(b);
    assert_int_equal(strlen(a), SW_UPDATE_TXN_SIZE - 1);
    assert_memory_equal(a, "tx-", 3);
    assert_int_equal(strspn(a + 3, "0123456789abcdef"), 16);
    assert_string_not_equal(a, b);
}

static void
test_transition_writes_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u, got;
    struct sw_store_slot *slots = NULL;
    struct sw_update_slot_change ch = {"b", "staging", "2.0.0", 0};
    struct sw_error err = SW_ERROR_INIT;
    size_t n;

    add_update(f, "downloaded", "2.0.0", "b", &u);
    ch.update_id = u.id;
    /* a forbidden edge writes nothing */
    assert_int_equal(
        sw_update_transition(&f->c, &u, SW_UPDATE_PROMOTING, NULL, "x", NULL, NULL, 0, 0, &err),
        -SW_E_UPDATE_STATE);
    assert_non_null(strstr(err.msg, "cannot go from downloaded to promoting"));
    /* a recovery edge only with the recovery flag */
    assert_int_equal(
        sw_update_transition(&f->c, &u, SW_UPDATE_STAGING, NULL, "extract", NULL, &ch, 1, 0, &err),
        0);
    assert_string_equal(u.state, "staging");
    assert_int_equal(
        sw_update_transition(&f->c, &u, SW_UPDATE_DOWNLOADED, NULL, "undo", NULL, NULL, 0, 0, &err),
        -SW_E_UPDATE_STATE);
    assert_int_equal(n_events(f, u.id, NULL), 1);
    /* the row, the slot and the event were written together */
    assert_int_equal(sw_store_update_get(f->st, u.id, &got, NULL), 0);
    assert_string_equal(got.state, "staging");
    sw_store_update_release(&got);
    assert_int_equal(sw_store_slots(f->st, &slots, &n, NULL), 0);
    assert_string_equal(slots[1].state, "staging");
    assert_string_equal(slots[1].version, "2.0.0");
    assert_int_equal(slots[1].update_id, u.id);
    sw_store_slots_free(slots, n);
    {
        struct sw_store_event_row *ev = NULL;
        assert_int_equal(sw_store_events_list(f->st, u.id, &ev, &n, NULL), 0);
        assert_int_equal(n, 1);
        assert_string_equal(ev[0].kind, "transition");
        assert_string_equal(ev[0].from_state, "downloaded");
        assert_string_equal(ev[0].to_state, "staging");
        assert_string_equal(ev[0].txn, u.txn);
        assert_string_equal(ev[0].actor, "test");
        assert_string_equal(ev[0].reason, "extract");
        sw_store_events_free(ev, n);
    }
    /* a failure before the commit leaves nothing of it (test builds: the fault point) */
    setenv("SLIPWAY_FAULT", "update-transition:fail", 1);
    ch.state = "staged";
    assert_int_equal(
        sw_update_transition(&f->c, &u, SW_UPDATE_STAGED, NULL, "done", NULL, &ch, 1, 0, &err),
        -SW_E_FAULT);
    unsetenv("SLIPWAY_FAULT");
    assert_string_equal(u.state, "staging");
    assert_int_equal(sw_store_update_get(f->st, u.id, &got, NULL), 0);
    assert_string_equal(got.state, "staging");
    sw_store_update_release(&got);
    assert_int_equal(sw_store_slots(f->st, &slots, &n, NULL), 0);
    assert_string_equal(slots[1].state, "staging");
    sw_store_slots_free(slots, n);
    assert_int_equal(n_events(f, u.id, NULL), 1);
    sw_store_update_release(&u);
}

/* Stage a tiny tree into slot id through the backend, as the pipeline does. */
static void
write_slot(struct fixture *f, enum sw_slot_id id, const char *content)
{
    struct sw_slot_writer w;
    struct sw_error err = SW_ERROR_INIT;
    int fd;

    if (sw_slot_prepare(f->slots, id, &err) < 0 ||
        sw_slot_open_writer(f->slots, id, SW_SLOT_WRITE_TREE, &w, &err) < 0)
        fail_msg("slot: %s", err.msg);
    fd = openat(w.dirfd, "release", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    if (sw_slot_finish(f->slots, id, &w, &err) < 0)
        fail_msg("finish: %s", err.msg);
}

static void
test_recover_staging_empties_the_slot(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u, got;
    struct sw_slot_info info;
    struct sw_error err = SW_ERROR_INIT;
    size_t n = 0;
    char *junk;

    add_update(f, "staging", "1.0.0", "a", &u);
    assert_int_equal(sw_store_slot_set(f->st, "a", "staging", "1.0.0", u.id, NULL), 0);
    /* half a tree, as a crash during extraction leaves it */
    assert_int_equal(sw_slot_prepare(f->slots, SW_SLOT_A, &err), 0);
    junk = tu_path(f->cfg->slot_a, "half-written");
    tu_write_str(junk, "partial");
    assert_int_equal(sw_update_recover(&f->c, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(access(junk, F_OK), -1);
    assert_int_equal(sw_slot_info(f->slots, SW_SLOT_A, &info, &err), 0);
    assert_true(info.empty);
    assert_int_equal(sw_store_update_get(f->st, u.id, &got, NULL), 0);
    assert_string_equal(got.state, "downloaded");
    sw_store_update_release(&got);
    assert_int_equal(n_events(f, u.id, "recovery"), 1);
    /* nothing left to recover */
    assert_int_equal(sw_update_recover(&f->c, &n, &err), 0);
    assert_int_equal(n, 0);
    free(junk);
    sw_store_update_release(&u);
}

/* The id of the newest update. */
static int64_t
got_id(struct fixture *f)
{
    struct sw_store_update *list = NULL;
    size_t n = 0;
    int64_t id;
    assert_int_equal(sw_store_updates_list(f->st, 1, &list, &n, NULL), 0);
    assert_int_equal(n, 1);
    id = list[0].id;
    sw_store_updates_free(list, n);
    return id;
}

static void
test_recover_promoting(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u, got;
    struct sw_store_slot *slots = NULL;
    struct sw_error err = SW_ERROR_INIT;
    enum sw_slot_id act;
    size_t n = 0;

    /* interrupted before the switch: undone, back to staged, nothing active */
    write_slot(f, SW_SLOT_A, "1.0.0\n");
    add_update(f, "promoting", "1.0.0", "a", &u);
    assert_int_equal(sw_store_slot_set(f->st, "a", "staged", "1.0.0", u.id, NULL), 0);
    assert_int_equal(sw_update_recover(&f->c, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(sw_store_update_get(f->st, u.id, &got, NULL), 0);
    assert_string_equal(got.state, "staged");
    sw_store_update_release(&got);
    assert_int_equal(sw_slot_active(f->slots, &act, NULL), -SW_E_SLOT);

    /* interrupted after the switch: finished, committed, the slot row active */
    sw_store_update_release(&u);
    assert_int_equal(sw_store_update_get(f->st, got_id(f), &u, NULL), 0);
    assert_int_equal(
        sw_update_transition(&f->c, &u, SW_UPDATE_PROMOTING, NULL, NULL, NULL, NULL, 0, 0, &err),
        0);
    assert_int_equal(sw_slot_activate(f->slots, SW_SLOT_A, &err), 0);
    assert_int_equal(sw_update_recover(&f->c, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(sw_store_update_get(f->st, u.id, &got, NULL), 0);
    assert_string_equal(got.state, "committed");
    sw_store_update_release(&got);
    assert_int_equal(sw_store_slots(f->st, &slots, &n, NULL), 0);
    assert_string_equal(slots[0].state, "active");
    assert_string_equal(slots[0].version, "1.0.0");
    sw_store_slots_free(slots, n);
    assert_int_equal(n_events(f, u.id, "recovery"), 3);
    sw_store_update_release(&u);
}

static void
test_view_mismatch(void **state)
{
    struct fixture *f = *state;
    struct sw_update_view v;
    struct sw_error err = SW_ERROR_INIT;

    assert_int_equal(sw_update_view_read(&f->c, &v, &err), 0);
    assert_int_equal(v.n_problems, 0);
    assert_int_equal(sw_update_view_check(&v, &err), 0);
    sw_update_view_release(&v);

    /* the store says a runs, the disk has no active slot and an empty a */
    assert_int_equal(sw_store_slot_set(f->st, "a", "active", "1.0.0", 0, NULL), 0);
    assert_int_equal(sw_update_view_read(&f->c, &v, &err), 0);
    assert_int_equal(v.store_active, SW_SLOT_A);
    assert_int_equal(v.fs_active, -1);
    assert_int_equal(v.n_problems, 2);
    assert_non_null(strstr(v.problems[0], "no slot is active on disk"));
    assert_non_null(strstr(v.problems[1], "not complete on disk"));
    assert_int_equal(sw_update_view_check(&v, &err), -SW_E_SLOT_MISMATCH);
    sw_update_view_release(&v);

    /* promote and rollback refuse it and change nothing */
    assert_int_equal(sw_update_promote(&f->c, NULL, NULL, NULL, &err), -SW_E_SLOT_MISMATCH);
    assert_int_equal(sw_update_rollback(&f->c, NULL, NULL, &err), -SW_E_SLOT_MISMATCH);

    /* the disk agrees once a holds a finished tree and current points at it */
    write_slot(f, SW_SLOT_A, "1.0.0\n");
    assert_int_equal(sw_slot_activate(f->slots, SW_SLOT_A, &err), 0);
    assert_int_equal(sw_update_view_read(&f->c, &v, &err), 0);
    assert_int_equal(v.n_problems, 0);
    assert_int_equal(v.fs_active, SW_SLOT_A);
    sw_update_view_release(&v);
}

/* --- the gate ------------------------------------------------------------------------ */

/* An executable hook PHASE/NAME running the shell text body, mode 0755. */
static void
put_hook(struct fixture *f, const char *phase, const char *name, const char *body)
{
    char rel[256], text[1024];
    char *path;
    snprintf(rel, sizeof(rel), "%s/%s", phase, name);
    snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
    path = tu_path(f->hooks, rel);
    unlink(path);
    tu_write_str(path, text);
    assert_int_equal(chmod(path, 0755), 0);
    free(path);
}

/* update in state "staged" whose tree is in slot id, the slot row saying so */
static void
staged(struct fixture *f, enum sw_slot_id id, const char *version, struct sw_store_update *ret)
{
    char content[64];
    snprintf(content, sizeof(content), "%s\n", version);
    write_slot(f, id, content);
    add_update(f, "staged", version, sw_slot_id_to_string(id), ret);
    assert_int_equal(
        sw_store_slot_set(f->st, sw_slot_id_to_string(id), "staged", version, ret->id, NULL), 0);
}

/* version running in slot id, recorded committed, the slot row active, current pointing at it */
static void
running(struct fixture *f, enum sw_slot_id id, const char *version)
{
    struct sw_store_update u;
    struct sw_error err = SW_ERROR_INIT;
    char content[64];
    snprintf(content, sizeof(content), "%s\n", version);
    write_slot(f, id, content);
    add_update(f, "committed", version, sw_slot_id_to_string(id), &u);
    assert_int_equal(
        sw_store_slot_set(f->st, sw_slot_id_to_string(id), "active", version, u.id, NULL), 0);
    if (sw_slot_activate(f->slots, id, &err) < 0)
        fail_msg("activate: %s", err.msg);
    sw_store_update_release(&u);
}

static char *
state_now(struct fixture *f, int64_t id)
{
    struct sw_store_update got;
    char *s;
    assert_int_equal(sw_store_update_get(f->st, id, &got, NULL), 0);
    s = strdup(got.state);
    sw_store_update_release(&got);
    return s;
}

static void
assert_state(struct fixture *f, int64_t id, const char *want)
{
    char *s = state_now(f, id);
    assert_string_equal(s, want);
    free(s);
}

/* The phases of update id, of one phase name (NULL: all). */
static size_t
n_phases(struct fixture *f, int64_t id, const char *phase)
{
    struct sw_store_hook_phase *list = NULL;
    size_t n = 0, k = 0;
    assert_int_equal(sw_store_hook_phases_list(f->st, id, &list, &n, NULL), 0);
    for (size_t i = 0; i < n; i++)
        if (!phase || strcmp(list[i].phase, phase) == 0)
            k++;
    sw_store_hook_phases_free(list, n);
    return k;
}

/* The event of kind (the last one) of update id: reason and detail, copied. */
static int
event_of(struct fixture *f, int64_t id, const char *kind, char **ret_reason, char **ret_detail)
{
    struct sw_store_event_row *ev = NULL;
    size_t n = 0;
    int found = 0;
    assert_int_equal(sw_store_events_list(f->st, id, &ev, &n, NULL), 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ev[i].kind, kind) == 0) {
            found = 1;
            free(*ret_reason);
            free(*ret_detail);
            *ret_reason = ev[i].reason ? strdup(ev[i].reason) : NULL;
            *ret_detail = ev[i].detail ? strdup(ev[i].detail) : NULL;
        }
    sw_store_events_free(ev, n);
    return found;
}

static void
test_check_and_gate_block_then_force(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u, got;
    struct sw_hook_results *res = NULL;
    struct sw_store_hook_phase ph;
    struct sw_update_promote_opts opts;
    struct sw_error err = SW_ERROR_INIT;
    enum sw_slot_id act;
    char *reason = NULL, *detail = NULL;

    f->c.hooks = &f->hk;
    put_hook(f, "pre-promote", "10-fine", "exit 0");
    put_hook(f, "pre-promote", "20-disk",
             "echo \"free space: too little in $SLIPWAY_SLOT_DIR\"; exit 1");
    staged(f, SW_SLOT_A, "1.0.0", &u);

    /* check: the failing required hook is a result, not an error */
    assert_int_equal(sw_update_check(&f->c, &got, &res, &err), 0);
    assert_string_equal(got.state, "check_failed");
    assert_int_equal(res->n, 2);
    assert_int_equal(res->required_failed, 1);
    assert_int_equal(res->v[1].status, SW_HOOK_FAIL);
    sw_hook_results_free(res);
    sw_store_update_release(&got);
    assert_int_equal(sw_store_hook_phase_latest(f->st, u.id, SW_HOOK_PHASE_PRE_PROMOTE, &ph, &err),
                     0);
    assert_false(ph.passed);
    assert_int_equal(ph.n_runs, 2);
    assert_string_equal(ph.runs[0].hook, "10-fine");
    assert_string_equal(ph.runs[1].status, "fail");
    assert_int_equal(ph.runs[1].exit_code, 1);
    assert_non_null(strstr(ph.runs[1].output, "free space: too little in "));
    assert_non_null(strstr(ph.runs[1].output, f->cfg->slot_a));
    assert_string_equal(ph.slot, "a");
    assert_int_equal(strlen(ph.slot_fingerprint), 64);
    assert_int_equal(strlen(ph.hooks_fingerprint), 64);
    sw_store_hook_phase_release(&ph);

    /* promote refuses, names the hook, switches nothing (and runs the checks again) */
    assert_int_equal(sw_update_promote(&f->c, NULL, NULL, NULL, &err), -SW_E_CHECK);
    assert_non_null(strstr(err.msg, "'20-disk'"));
    assert_non_null(strstr(err.msg, "exited with status 1"));
    assert_int_equal(sw_slot_active(f->slots, &act, NULL), -SW_E_SLOT);
    assert_state(f, u.id, "check_failed");
    assert_int_equal(n_phases(f, u.id, SW_HOOK_PHASE_PRE_PROMOTE), 2);

    /* forced: only with a reason; then recorded with the failing hook */
    memset(&opts, 0, sizeof(opts));
    opts.force = true;
    assert_int_equal(sw_update_promote(&f->c, &opts, NULL, NULL, &err), -SW_E_INVAL);
    opts.force_reason = "";
    assert_int_equal(sw_update_promote(&f->c, &opts, NULL, NULL, &err), -SW_E_INVAL);
    assert_state(f, u.id, "check_failed");
    opts.force_reason = "the disk check is wrong on this board";
    assert_int_equal(sw_update_promote(&f->c, &opts, &got, NULL, &err), 0);
    assert_string_equal(got.state, "committed");
    sw_store_update_release(&got);
    assert_int_equal(sw_slot_active(f->slots, &act, NULL), 0);
    assert_int_equal(act, SW_SLOT_A);
    assert_true(event_of(f, u.id, "forced", &reason, &detail));
    assert_string_equal(reason, "the disk check is wrong on this board");
    assert_non_null(detail);
    assert_non_null(strstr(detail, "\"20-disk\""));
    assert_int_equal(n_events(f, u.id, "forced"), 1);
    free(reason);
    free(detail);
    sw_store_update_release(&u);
}

static void
test_gate_wanted_failure_passes_and_verdict_is_kept(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u, got;
    struct sw_hook_results *res = NULL;
    struct sw_error err = SW_ERROR_INIT;
    enum sw_slot_id act;

    f->c.hooks = &f->hk;
    put_hook(f, "pre-promote", "10-advice", "echo consider more swap; exit 1");
    staged(f, SW_SLOT_A, "1.0.0", &u);
    assert_int_equal(sw_update_check(&f->c, &got, &res, &err), 0);
    assert_string_equal(got.state, "checked");
    assert_int_equal(res->required_failed, 0);
    assert_int_equal(res->wanted_failed, 1);
    assert_int_equal(res->v[0].required, 0);
    sw_hook_results_free(res);
    sw_store_update_release(&got);
    /* the stored verdict holds: promote does not run the hooks again */
    assert_int_equal(sw_update_promote(&f->c, NULL, &got, NULL, &err), 0);
    assert_string_equal(got.state, "committed");
    sw_store_update_release(&got);
    assert_int_equal(n_phases(f, u.id, SW_HOOK_PHASE_PRE_PROMOTE), 1);
    assert_int_equal(sw_slot_active(f->slots, &act, NULL), 0);
    assert_int_equal(act, SW_SLOT_A);
    sw_store_update_release(&u);
}

static void
test_gate_reruns_when_hooks_or_slot_change(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u, got;
    struct sw_store_hook_phase *list = NULL;
    struct sw_error err = SW_ERROR_INIT;
    size_t n = 0;
    char *file;

    f->c.hooks = &f->hk;
    put_hook(f, "pre-promote", "10-ok", "exit 0");
    staged(f, SW_SLOT_B, "2.0.0", &u);
    assert_int_equal(sw_update_check(&f->c, &got, NULL, &err), 0);
    assert_string_equal(got.state, "checked");
    sw_store_update_release(&got);
    /* the hook set changed after the check: promote runs it again, and it now fails */
    put_hook(f, "pre-promote", "10-ok", "exit 9");
    assert_int_equal(sw_update_promote(&f->c, NULL, NULL, NULL, &err), -SW_E_CHECK);
    assert_non_null(strstr(err.msg, "'10-ok'"));
    put_hook(f, "pre-promote", "10-ok", "exit 0");
    assert_int_equal(sw_update_check(&f->c, &got, NULL, &err), 0);
    assert_string_equal(got.state, "checked");
    sw_store_update_release(&got);
    /* the slot's tree changed after the check: run again (it passes), then promoted */
    file = tu_path(f->cfg->slot_b, "release");
    tu_write_str(file, "tampered\n");
    free(file);
    assert_int_equal(sw_update_promote(&f->c, NULL, &got, NULL, &err), 0);
    assert_string_equal(got.state, "committed");
    sw_store_update_release(&got);
    assert_int_equal(sw_store_hook_phases_list(f->st, u.id, &list, &n, NULL), 0);
    /* check, promote (refused), check, promote (slot changed), then post-promote (no hooks) */
    assert_int_equal(n, 5);
    assert_string_equal(list[4].phase, SW_HOOK_PHASE_POST_PROMOTE);
    assert_int_equal(list[4].n_runs, 0);
    assert_int_equal(n_phases(f, u.id, SW_HOOK_PHASE_PRE_PROMOTE), 4);
    assert_true(list[0].passed);
    assert_false(list[1].passed);
    assert_string_not_equal(list[0].hooks_fingerprint, list[1].hooks_fingerprint);
    assert_string_equal(list[0].slot_fingerprint, list[1].slot_fingerprint);
    assert_string_equal(list[2].hooks_fingerprint, list[3].hooks_fingerprint);
    assert_string_not_equal(list[2].slot_fingerprint, list[3].slot_fingerprint);
    assert_true(list[3].passed);
    sw_store_hook_phases_free(list, n);
    sw_store_update_release(&u);
}

static void
test_gate_no_hooks(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u, got;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_store_hook_phase ph;

    /* c->hooks NULL: check records checked, saying there were no hooks */
    staged(f, SW_SLOT_A, "1.0.0", &u);
    assert_int_equal(sw_update_check(&f->c, &got, NULL, &err), 0);
    assert_string_equal(got.state, "checked");
    sw_store_update_release(&got);
    assert_int_equal(sw_store_hook_phase_latest(f->st, u.id, SW_HOOK_PHASE_PRE_PROMOTE, &ph, &err),
                     0);
    assert_true(ph.passed);
    assert_int_equal(ph.n_runs, 0);
    assert_non_null(strstr(ph.reason, "no pre-promote hooks"));
    sw_store_hook_phase_release(&ph);
    assert_int_equal(sw_update_promote(&f->c, NULL, &got, NULL, &err), 0);
    assert_string_equal(got.state, "committed");
    sw_store_update_release(&got);
    /* nothing staged any more */
    assert_int_equal(sw_update_check(&f->c, NULL, NULL, &err), -SW_E_UPDATE_STATE);
    sw_store_update_release(&u);
}

static void
test_post_promote_failure_rolls_back(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u, got;
    struct sw_hook_results *post = NULL;
    struct sw_store_slot *slots = NULL;
    struct sw_error err = SW_ERROR_INIT;
    enum sw_slot_id act;
    char *reason = NULL, *detail = NULL;
    size_t n;

    f->c.hooks = &f->hk;
    running(f, SW_SLOT_A, "1.0.0");
    staged(f, SW_SLOT_B, "2.0.0", &u);
    put_hook(f, "post-promote", "10-live", "test -f \"$SLIPWAY_SLOT_DIR/release\"");
    put_hook(f, "post-promote", "50-health",
             "printf 'mqtt: no CONNACK from 127.0.0.1:1883\\033[2J\\n'; exit 4");
    memset(&got, 0, sizeof(got));
    assert_int_equal(sw_update_promote(&f->c, NULL, &got, &post, &err), -SW_E_ROLLED_BACK);
    assert_non_null(strstr(err.msg, "'50-health'"));
    assert_non_null(strstr(err.msg, "rolled back to 1.0.0"));
    assert_string_equal(got.state, "rolled_back");
    sw_store_update_release(&got);
    assert_non_null(post);
    assert_int_equal(post->n, 2);
    assert_int_equal(post->v[0].status, SW_HOOK_PASS); /* it saw the live tree */
    assert_int_equal(post->required_failed, 1);
    sw_hook_results_free(post);
    /* switched back at once; the new slot marked bad */
    assert_int_equal(sw_slot_active(f->slots, &act, NULL), 0);
    assert_int_equal(act, SW_SLOT_A);
    assert_int_equal(sw_store_slots(f->st, &slots, &n, NULL), 0);
    assert_string_equal(slots[0].state, "active");
    assert_string_equal(slots[0].version, "1.0.0");
    assert_string_equal(slots[1].state, "bad");
    sw_store_slots_free(slots, n);
    assert_state(f, u.id, "rolled_back");
    /* the event names the hook, its exit and its output (escaped) */
    assert_true(event_of(f, u.id, "rollback", &reason, &detail));
    assert_non_null(strstr(reason, "50-health"));
    {
        json_t *d = json_loads(detail, 0, NULL), *x;
        assert_non_null(d);
        x = json_array_get(json_object_get(d, "failed"), 0);
        assert_string_equal(json_string_value(json_object_get(x, "hook")), "50-health");
        assert_int_equal(json_integer_value(json_object_get(x, "exit_code")), 4);
        assert_string_equal(json_string_value(json_object_get(x, "output")),
                            "mqtt: no CONNACK from 127.0.0.1:1883\\x1b[2J\n");
        json_decref(d);
    }
    assert_int_equal(n_phases(f, u.id, SW_HOOK_PHASE_POST_PROMOTE), 1);
    free(reason);
    free(detail);
    sw_store_update_release(&u);
}

static void
test_post_promote_pass_commits(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u, got;
    struct sw_error err = SW_ERROR_INIT;

    f->c.hooks = &f->hk;
    running(f, SW_SLOT_A, "1.0.0");
    staged(f, SW_SLOT_B, "2.0.0", &u);
    put_hook(f, "post-promote", "10-live", "grep -q 2.0.0 \"$SLIPWAY_SLOT_DIR/release\"");
    assert_int_equal(sw_update_promote(&f->c, NULL, &got, NULL, &err), 0);
    assert_string_equal(got.state, "committed");
    sw_store_update_release(&got);
    assert_int_equal(n_phases(f, u.id, SW_HOOK_PHASE_POST_PROMOTE), 1);
    sw_store_update_release(&u);
}

static void
test_recover_checking(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u;
    struct sw_error err = SW_ERROR_INIT;
    size_t n = 0;

    staged(f, SW_SLOT_A, "1.0.0", &u);
    assert_int_equal(
        sw_update_transition(&f->c, &u, SW_UPDATE_CHECKING, NULL, NULL, NULL, NULL, 0, 0, &err), 0);
    assert_int_equal(sw_update_recover(&f->c, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_state(f, u.id, "staged");
    assert_int_equal(n_events(f, u.id, "recovery"), 1);
    sw_store_update_release(&u);
}

/* A crash between promoted and committed: recovery runs the post-promote hooks again. */
static void
test_recover_promoted_reruns_post_promote(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u;
    struct sw_error err = SW_ERROR_INIT;
    enum sw_slot_id act;
    size_t n = 0;

    f->c.hooks = &f->hk;
    running(f, SW_SLOT_A, "1.0.0");
    staged(f, SW_SLOT_B, "2.0.0", &u);
    put_hook(f, "post-promote", "50-health", "exit 1");
    /* what a crash right after the switch leaves */
    assert_int_equal(
        sw_update_transition(&f->c, &u, SW_UPDATE_PROMOTING, NULL, NULL, NULL, NULL, 0, 0, &err),
        0);
    {
        struct sw_update_slot_change ch[2] = {{"b", "active", "2.0.0", u.id},
                                              {"a", "previous", "1.0.0", 0}};
        struct sw_store_slot *slots = NULL;
        size_t ns;
        assert_int_equal(sw_store_slots(f->st, &slots, &ns, NULL), 0);
        ch[1].update_id = slots[0].update_id;
        sw_store_slots_free(slots, ns);
        assert_int_equal(sw_slot_activate(f->slots, SW_SLOT_B, &err), 0);
        assert_int_equal(
            sw_update_transition(&f->c, &u, SW_UPDATE_PROMOTED, NULL, NULL, NULL, ch, 2, 0, &err),
            0);
    }
    assert_int_equal(sw_update_recover(&f->c, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_state(f, u.id, "rolled_back");
    assert_int_equal(sw_slot_active(f->slots, &act, NULL), 0);
    assert_int_equal(act, SW_SLOT_A);
    assert_int_equal(n_phases(f, u.id, SW_HOOK_PHASE_POST_PROMOTE), 1);
    sw_store_update_release(&u);
}

/* A pre-promote hook that writes to the slot under test fails the phase, whatever it exits. */
static void
test_check_fails_when_a_hook_writes_to_the_slot(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u, got;
    struct sw_store_hook_phase ph;
    struct sw_error err = SW_ERROR_INIT;

    f->c.hooks = &f->hk;
    put_hook(f, "pre-promote", "10-scribbler", "echo cache >\"$SLIPWAY_SLOT_DIR/cache\"; exit 0");
    staged(f, SW_SLOT_A, "1.0.0", &u);
    assert_int_equal(sw_update_check(&f->c, &got, NULL, &err), 0);
    assert_string_equal(got.state, "check_failed");
    sw_store_update_release(&got);
    assert_int_equal(sw_store_hook_phase_latest(f->st, u.id, SW_HOOK_PHASE_PRE_PROMOTE, &ph, &err),
                     0);
    assert_false(ph.passed);
    assert_int_equal(ph.required_failed, 0); /* the hook itself passed */
    assert_string_equal(ph.runs[0].status, "pass");
    assert_non_null(strstr(ph.reason, "changed while the pre-promote hooks ran"));
    sw_store_hook_phase_release(&ph);
    assert_int_equal(sw_update_promote(&f->c, NULL, NULL, NULL, &err), -SW_E_CHECK);
    assert_non_null(strstr(err.msg, "changed while"));
    sw_store_update_release(&u);
}

/* A first install has nothing to roll back to: kept, the failure recorded, -SW_E_CHECK. */
static void
test_post_promote_failure_on_first_install_is_kept(void **state)
{
    struct fixture *f = *state;
    struct sw_store_update u, got;
    struct sw_error err = SW_ERROR_INIT;
    enum sw_slot_id act;
    char *reason = NULL, *detail = NULL;

    f->c.hooks = &f->hk;
    staged(f, SW_SLOT_A, "1.0.0", &u);
    put_hook(f, "post-promote", "50-health", "echo down; exit 1");
    memset(&got, 0, sizeof(got));
    assert_int_equal(sw_update_promote(&f->c, NULL, &got, NULL, &err), -SW_E_CHECK);
    assert_non_null(strstr(err.msg, "'50-health'"));
    assert_non_null(strstr(err.msg, "no previous version to roll back to"));
    assert_string_equal(got.state, "committed");
    assert_non_null(got.error);
    sw_store_update_release(&got);
    assert_int_equal(sw_slot_active(f->slots, &act, NULL), 0);
    assert_int_equal(act, SW_SLOT_A);
    assert_true(event_of(f, u.id, "post-promote-failed", &reason, &detail));
    assert_non_null(strstr(detail, "\"50-health\""));
    free(reason);
    free(detail);
    sw_store_update_release(&u);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_state_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_txn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transition_writes_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_staging_empties_the_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_promoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_and_gate_block_then_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gate_wanted_failure_passes_and_verdict_is_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gate_reruns_when_hooks_or_slot_change, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_gate_no_hooks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_promote_failure_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_promote_pass_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recover_checking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_fails_when_a_hook_writes_to_the_slot, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_post_promote_failure_on_first_install_is_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_recover_promoted_reruns_post_promote, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
