/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the update state machine: state names (the store's), the
 * table of transitions, transaction ids, a transition written with its
 * event and slot rows in one store transaction (or not at all), the
 * cross-check of store and disk, and recovery of interrupted staging and
 * promotion against the real dir backend.
 */
#include "testutil.h"

#include <slipway/config.h>
#include <slipway/slot.h>
#include <slipway/store.h>
#include <slipway/update.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
    char *dir;
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
    assert_int_equal(sw_update_edge(SW_UPDATE_CHECK_FAILED, SW_UPDATE_PROMOTING),
                     SW_UPDATE_EDGE_NONE);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
