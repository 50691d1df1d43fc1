/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the state store: creation (modes, device id, schema),
 * re-open, migration from an older schema, and refusal of a newer schema,
 * a foreign file, a foreign SQLite database and a truncated or damaged
 * store, each leaving the file byte-for-byte as it was; the whole-file
 * check at most once a day, and at once after a crash.
 */
#include "testutil.h"

#include "store-int.h"
#include <slipway/store.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fixture {
    char *dir;   /* a private parent */
    char *state; /* dir/state */
    char *db;    /* dir/state/state.db */
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->dir = tu_tmpdir();
    f->state = tu_path(f->dir, "state");
    f->db = tu_path(f->state, "state.db");
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    tu_rmtree(f->dir);
    free(f->dir);
    free(f->state);
    free(f->db);
    free(f);
    return 0;
}

static struct sw_store *
open_ok(const char *dir)
{
    struct sw_store *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_store_open(dir, SW_STORE_CREATE, &st, &err) != 0)
        fail_msg("open failed: %s", err.msg);
    return st;
}

/* Open must fail with code; the message must contain needle; bytes unchanged. */
static void
open_refused(const char *dir, const char *db, int code, const char *needle)
{
    struct sw_store *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    size_t before_len, after_len;
    unsigned char *before = tu_read(db, &before_len), *after;
    struct stat sb;
    int r = sw_store_open(dir, SW_STORE_CREATE, &st, &err);
    if (r != -code)
        fail_msg("expected %d, got %d (%s)", -code, r, err.msg);
    assert_null(st);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    after = tu_read(db, &after_len);
    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);
    assert_int_equal(stat(db, &sb), 0);
    free(before);
    free(after);
}

static void
test_create(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = open_ok(f->state);
    struct stat sb;
    const char *id;
    struct sw_store_slot *slots = NULL;
    size_t n = 0;

    assert_int_equal(sw_store_schema_version(st), sw_store_latest_schema_version());
    assert_true(sw_store_latest_schema_version() >= 1);
    assert_string_equal(sw_store_path(st), f->db);
    id = sw_store_device_id(st);
    assert_int_equal(strlen(id), 32);
    assert_int_equal(strspn(id, "0123456789abcdef"), 32);

    assert_int_equal(stat(f->state, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0700);
    assert_int_equal(stat(f->db, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);

    assert_int_equal(sw_store_slots(st, &slots, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(slots[0].name, "a");
    assert_string_equal(slots[0].state, "empty");
    assert_null(slots[0].version);
    assert_string_equal(slots[1].name, "b");
    sw_store_slots_free(slots, n);
    sw_store_close(st);

    /* WAL files, when they exist, are private too */
    {
        char *wal = tu_path(f->state, "state.db-wal");
        st = open_ok(f->state);
        assert_int_equal(sw_store_setting_set(st, "channel", "beta", NULL), 0);
        if (stat(wal, &sb) == 0)
            assert_int_equal(sb.st_mode & 077, 0);
        sw_store_close(st);
        free(wal);
    }
}

static void
test_reopen_keeps_device_id(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = open_ok(f->state);
    char id[33], *v = NULL;
    struct sw_error err = SW_ERROR_INIT;

    memcpy(id, sw_store_device_id(st), 33);
    assert_int_equal(sw_store_setting_set(st, "channel", "beta", NULL), 0);
    sw_store_close(st);

    st = open_ok(f->state);
    assert_string_equal(sw_store_device_id(st), id);
    assert_int_equal(sw_store_setting_get(st, "channel", &v, NULL), 0);
    assert_string_equal(v, "beta");
    free(v);
    assert_int_equal(sw_store_setting_get(st, "nope", &v, &err), -SW_E_NOTFOUND);
    sw_store_close(st);

    /* another store gets another id */
    {
        char *other = tu_path(f->dir, "other");
        st = open_ok(other);
        assert_string_not_equal(sw_store_device_id(st), id);
        sw_store_close(st);
        free(other);
    }
}

static void
test_no_create(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_store_open(f->state, 0, &st, &err), -SW_E_NOTFOUND);
    assert_null(st);
    assert_int_equal(access(f->state, F_OK), -1);
}

static const char mig2_sql[] = "CREATE TABLE extra (x INTEGER) STRICT;"
                               "INSERT INTO extra VALUES (42);";

static void
test_migrate_from_older(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_migration migs[2];
    char id[33];
    sqlite3 *db;
    sqlite3_stmt *stmt;
    char *v = NULL;

    /* an older program: only migration 1 */
    assert_int_equal(
        sw_store_open_migrations(f->state, SW_STORE_CREATE, sw_migrations, 1, &st, &err), 0);
    assert_int_equal(sw_store_schema_version(st), 1);
    assert_int_equal(sw_store_setting_set(st, "channel", "beta", NULL), 0);
    memcpy(id, sw_store_device_id(st), 33);
    sw_store_close(st);

    /* a newer program: migration 1 plus one more */
    migs[0] = sw_migrations[0];
    migs[1].version = 2;
    migs[1].name = "0002-test";
    migs[1].sql = mig2_sql;
    assert_int_equal(sw_store_open_migrations(f->state, SW_STORE_CREATE, migs, 2, &st, &err), 0);
    assert_int_equal(sw_store_schema_version(st), 2);
    assert_string_equal(sw_store_device_id(st), id);
    assert_int_equal(sw_store_setting_get(st, "channel", &v, NULL), 0);
    assert_string_equal(v, "beta");
    free(v);
    sw_store_close(st);

    /* read it back independently */
    assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(stmt, 0), 2);
    sqlite3_finalize(stmt);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT x FROM extra", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(stmt, 0), 42);
    sqlite3_finalize(stmt);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(stmt, 0), SW_STORE_APPLICATION_ID);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

static void
test_failed_migration_rolls_back(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_migration migs[2];

    assert_int_equal(
        sw_store_open_migrations(f->state, SW_STORE_CREATE, sw_migrations, 1, &st, &err), 0);
    sw_store_close(st);
    migs[0] = sw_migrations[0];
    migs[1].version = 2;
    migs[1].name = "0002-broken";
    migs[1].sql = "CREATE TABLE ok_then (x INTEGER); THIS IS NOT SQL;";
    assert_int_equal(sw_store_open_migrations(f->state, SW_STORE_CREATE, migs, 2, &st, &err),
                     -SW_E_STORE);
    assert_non_null(strstr(err.msg, "0002-broken"));
    /* still at version 1, without the half-applied table */
    assert_int_equal(
        sw_store_open_migrations(f->state, SW_STORE_CREATE, sw_migrations, 1, &st, &err), 0);
    assert_int_equal(sw_store_schema_version(st), 1);
    sw_store_close(st);
    {
        sqlite3 *db;
        sqlite3_stmt *stmt;
        assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db,
                                            "SELECT count(*) FROM sqlite_schema WHERE "
                                            "name = 'ok_then'",
                                            -1, &stmt, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(stmt, 0), 0);
        sqlite3_finalize(stmt);
        sqlite3_close(db);
    }
}

static void
test_refuse_newer(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_migration migs[64];
    size_t n = sw_n_migrations;

    for (size_t i = 0; i < n; i++)
        migs[i] = sw_migrations[i];
    migs[n].version = (int)n + 1;
    migs[n].name = "9999-future";
    migs[n].sql = "CREATE TABLE future (x INTEGER);";
    assert_int_equal(sw_store_open_migrations(f->state, SW_STORE_CREATE, migs, n + 1, &st, &err),
                     0);
    sw_store_close(st);
    open_refused(f->state, f->db, SW_E_STORE_NEWER, "newer than this slipway");
}

static void
test_refuse_not_sqlite(void **state)
{
    struct fixture *f = *state;
    char junk[4096];
    assert_int_equal(mkdir(f->state, 0700), 0);
    memset(junk, 'x', sizeof(junk));
    tu_write(f->db, junk, sizeof(junk));
    open_refused(f->state, f->db, SW_E_STORE_FOREIGN, "not an SQLite database");
    /* a short file too */
    tu_write_str(f->db, "hello");
    open_refused(f->state, f->db, SW_E_STORE_FOREIGN, "not an SQLite database");
}

static void
test_refuse_other_sqlite(void **state)
{
    struct fixture *f = *state;
    sqlite3 *db;
    assert_int_equal(mkdir(f->state, 0700), 0);
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "CREATE TABLE mine (x); PRAGMA user_version = 7;", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    chmod(f->db, 0600);
    open_refused(f->state, f->db, SW_E_STORE_FOREIGN, "another program");

    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA application_id = 1234;", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    open_refused(f->state, f->db, SW_E_STORE_FOREIGN, "application id");
}

static void
test_refuse_truncated(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = open_ok(f->state);
    struct stat sb;
    /* make the store span many pages */
    assert_int_equal(sw_store_begin(st, NULL), 0);
    for (int i = 0; i < 400; i++) {
        char key[32], val[600];
        snprintf(key, sizeof(key), "k%d", i);
        memset(val, 'v', sizeof(val) - 1);
        val[sizeof(val) - 1] = '\0';
        assert_int_equal(sw_store_setting_set(st, key, val, NULL), 0);
    }
    assert_int_equal(sw_store_commit(st, NULL), 0);
    sw_store_close(st);
    assert_int_equal(stat(f->db, &sb), 0);
    assert_true(sb.st_size > 64 * 1024);
    assert_int_equal(truncate(f->db, sb.st_size / 2), 0);
    {
        struct sw_store *st2 = NULL;
        struct sw_error err = SW_ERROR_INIT;
        size_t before_len, after_len;
        unsigned char *before = tu_read(f->db, &before_len), *after;
        int r = sw_store_open(f->state, SW_STORE_CREATE, &st2, &err);
        assert_true(r == -SW_E_STORE_CORRUPT);
        assert_non_null(strstr(err.msg, "state.db"));
        after = tu_read(f->db, &after_len);
        assert_int_equal(before_len, after_len);
        assert_memory_equal(before, after, before_len);
        free(before);
        free(after);
    }
}

/*
 * A store holding history over many pages, closed cleanly: returns the
 * offset of its last page (an events page, read by no open) and its size.
 */
static long
store_with_history(struct fixture *f, long *ret_page_size)
{
    struct sw_store *st = open_ok(f->state);
    struct sw_store_event ev = {0};
    char reason[600];
    struct stat sb;
    sqlite3 *db;
    sqlite3_stmt *stmt;

    memset(reason, 'r', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
    ev.kind = "refresh";
    ev.actor = "test";
    ev.reason = reason;
    assert_int_equal(sw_store_begin(st, NULL), 0);
    for (int i = 0; i < 300; i++)
        assert_int_equal(sw_store_event_add(st, &ev, NULL), 0);
    assert_int_equal(sw_store_commit(st, NULL), 0);
    sw_store_close(st);
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    *ret_page_size = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    assert_int_equal(stat(f->db, &sb), 0);
    assert_true(sb.st_size >= 40 * *ret_page_size);
    return (long)sb.st_size - *ret_page_size;
}

/* Damage the b-tree page at off: an invalid page type, which quick_check reports. */
static void
damage_page(const char *db, long off)
{
    FILE *fp = fopen(db, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, off, SEEK_SET), 0);
    assert_int_equal(fputc(0x55, fp), 0x55);
    assert_int_equal(fclose(fp), 0);
}

static void
set_checked_at(const char *db, long long at)
{
    sqlite3 *h;
    char sql[160];
    snprintf(sql, sizeof(sql), "UPDATE settings SET value = '%lld' WHERE key = 'store-checked-at'",
             at);
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_changes(h), 1);
    sqlite3_close(h);
}

static long long
checked_at(struct sw_store *st)
{
    char *v = NULL;
    long long at;
    assert_int_equal(sw_store_setting_get(st, "store-checked-at", &v, NULL), 0);
    at = strtoll(v, NULL, 10);
    free(v);
    return at;
}

/*
 * The whole-file check runs at most once a day: a store checked an hour ago
 * opens without reading its history (a damaged history page is found by the
 * next check); one checked more than a day ago, or "in the future", is
 * checked again, refused when damaged (the file left as it was), and the
 * time of a passing check is recorded.
 */
static void
test_check_daily(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st;
    long page, last = store_with_history(f, &page);
    long long now = (long long)time(NULL);

    /* a new store counts as checked now */
    st = open_ok(f->state);
    assert_true(checked_at(st) >= now - 5 && checked_at(st) <= now + 5);
    sw_store_close(st);

    /* checked more than a day ago: checked again, and recorded */
    set_checked_at(f->db, now - SW_STORE_CHECK_EVERY - 10);
    st = open_ok(f->state);
    assert_true(checked_at(st) >= now);
    sw_store_close(st);

    /* a damaged history page: not read by an open an hour after a check */
    set_checked_at(f->db, now - 3600);
    damage_page(f->db, last);
    st = open_ok(f->state);
    assert_int_equal(checked_at(st), now - 3600);
    sw_store_close(st);

    /* ...but found by the next daily check, and by one whose time is in the future */
    set_checked_at(f->db, now - SW_STORE_CHECK_EVERY - 10);
    open_refused(f->state, f->db, SW_E_STORE_CORRUPT, "is damaged");
    set_checked_at(f->db, now + 3600);
    open_refused(f->state, f->db, SW_E_STORE_CORRUPT, "is damaged");
}

/* A write-ahead log left by a writer that did not close (a crash): checked at once. */
static void
test_check_after_crash(void **state)
{
    struct fixture *f = *state;
    long page, last = store_with_history(f, &page);
    char *wal = tu_path(f->state, "state.db-wal");
    struct stat sb;
    pid_t pid;
    int status;

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* a writer that commits to the settings page and dies without closing */
        sqlite3 *h;
        if (sqlite3_open(f->db, &h) != SQLITE_OK ||
            sqlite3_exec(h,
                         "PRAGMA journal_mode = WAL; INSERT INTO settings (key, value, updated_at) "
                         "VALUES ('crash-test', '1', 0)",
                         NULL, NULL, NULL) != SQLITE_OK)
            _exit(1);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(stat(wal, &sb), 0);
    assert_true(sb.st_size > 0);
    damage_page(f->db, last);
    {
        struct sw_store *st = NULL;
        struct sw_error err = SW_ERROR_INIT;
        assert_int_equal(sw_store_open(f->state, SW_STORE_CREATE, &st, &err), -SW_E_STORE_CORRUPT);
        assert_non_null(strstr(err.msg, "is damaged"));
    }
    free(wal);
}

/* Setting a value equal to the stored one writes nothing (updated_at: when it changed). */
static int64_t
updated_at(const char *db, const char *key)
{
    sqlite3 *h;
    sqlite3_stmt *stmt;
    int64_t at;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(h, "SELECT updated_at FROM settings WHERE key = ?1", -1, &stmt, NULL),
        SQLITE_OK);
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    at = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(h);
    return at;
}

static void
test_setting_unchanged(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = open_ok(f->state);
    sqlite3 *h;
    char *v = NULL;

    assert_int_equal(sw_store_setting_set(st, "k", "v", NULL), 0);
    assert_int_equal(sqlite3_open(f->db, &h), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(h, "UPDATE settings SET updated_at = 7 WHERE key = 'k'", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(sw_store_setting_set(st, "k", "v", NULL), 0);
    assert_int_equal(updated_at(f->db, "k"), 7);
    assert_int_equal(sw_store_setting_set(st, "k", "w", NULL), 0);
    assert_true(updated_at(f->db, "k") > 7);
    assert_int_equal(sw_store_setting_get(st, "k", &v, NULL), 0);
    assert_string_equal(v, "w");
    free(v);
    sw_store_close(st);
}

static void
test_refuse_loose_modes(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = open_ok(f->state);
    struct sw_error err = SW_ERROR_INIT;
    sw_store_close(st);

    assert_int_equal(chmod(f->db, 0644), 0);
    open_refused(f->state, f->db, SW_E_PERM, "chmod 600");
    assert_int_equal(chmod(f->db, 0600), 0);

    assert_int_equal(chmod(f->state, 0755), 0);
    assert_int_equal(sw_store_open(f->state, SW_STORE_CREATE, &st, &err), -SW_E_PERM);
    assert_non_null(strstr(err.msg, "chmod 700"));
    assert_int_equal(chmod(f->state, 0700), 0);

    /* a symlinked store is refused */
    {
        char *real = tu_path(f->dir, "real.db");
        assert_int_equal(rename(f->db, real), 0);
        assert_int_equal(symlink(real, f->db), 0);
        assert_int_equal(sw_store_open(f->state, SW_STORE_CREATE, &st, &err), -SW_E_PERM);
        assert_non_null(strstr(err.msg, "symbolic link"));
        free(real);
    }
}

static void
test_meta_and_events(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = open_ok(f->state);
    struct sw_store_meta m = {0}, got;
    struct sw_store_meta *list = NULL;
    size_t n = 0;
    struct sw_store_event ev = {0};
    struct sw_error err = SW_ERROR_INIT;

    m.role = (char *)"root";
    m.version = 3;
    m.expires = (char *)"2030-01-01T00:00:00Z";
    m.length = 1234;
    m.sha256 = (char *)"ab";
    assert_int_equal(sw_store_meta_set(st, &m, NULL), 0);
    m.role = (char *)"timestamp";
    m.version = 9;
    assert_int_equal(sw_store_meta_set(st, &m, NULL), 0);
    assert_int_equal(sw_store_meta_get(st, "root", &got, NULL), 0);
    assert_int_equal(got.version, 3);
    assert_string_equal(got.expires, "2030-01-01T00:00:00Z");
    assert_true(got.verified_at > 0);
    sw_store_meta_release(&got);
    assert_int_equal(sw_store_meta_list(st, &list, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].role, "root");
    assert_string_equal(list[1].role, "timestamp");
    sw_store_meta_list_free(list, n);
    assert_int_equal(sw_store_meta_delete(st, "timestamp", NULL), 0);
    assert_int_equal(sw_store_meta_get(st, "timestamp", &got, &err), -SW_E_NOTFOUND);

    ev.kind = "init";
    ev.actor = "test";
    ev.reason = "unit test";
    assert_int_equal(sw_store_event_add(st, &ev, NULL), 0);
    /* foreign keys are on: an event cannot name an update that does not exist */
    ev.update_id = 77;
    assert_true(sw_store_event_add(st, &ev, &err) < 0);
    sw_store_close(st);
}

struct lengths_seen {
    int64_t root, timestamp;
    int calls, stop_after;
};

static int
note_length(const char *role, int64_t length, void *ctx)
{
    struct lengths_seen *s = ctx;
    s->calls++;
    if (strcmp(role, "root") == 0)
        s->root = length;
    else if (strcmp(role, "timestamp") == 0)
        s->timestamp = length;
    return s->calls == s->stop_after ? -SW_E_NOTFOUND : 0;
}

/* sw_store_meta_each_length: every role's recorded length; a negative return stops the walk. */
static void
test_meta_each_length(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = open_ok(f->state);
    struct sw_store_meta m = {0};
    struct lengths_seen seen = {-1, -1, 0, 0};

    m.expires = (char *)"2030-01-01T00:00:00Z";
    m.sha256 = (char *)"ab";
    m.role = (char *)"root";
    m.version = 1;
    m.length = 1234;
    assert_int_equal(sw_store_meta_set(st, &m, NULL), 0);
    m.role = (char *)"timestamp";
    m.length = 77;
    assert_int_equal(sw_store_meta_set(st, &m, NULL), 0);
    assert_int_equal(sw_store_meta_each_length(st, note_length, &seen, NULL), 0);
    assert_int_equal(seen.calls, 2);
    assert_int_equal(seen.root, 1234);
    assert_int_equal(seen.timestamp, 77);
    seen = (struct lengths_seen){-1, -1, 0, 1};
    assert_int_equal(sw_store_meta_each_length(st, note_length, &seen, NULL), -SW_E_NOTFOUND);
    assert_int_equal(seen.calls, 1);
    sw_store_close(st);
}

/* Updates, slots and events: what the update module keeps. */
static void
test_updates_slots_events(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = open_ok(f->state);
    struct sw_error err = SW_ERROR_INIT;
    struct sw_store_update u, got, *list = NULL;
    struct sw_store_slot *slots = NULL;
    struct sw_store_event_row *evs = NULL;
    struct sw_store_event ev;
    size_t n = 0;
    int64_t id1 = 0, id2 = 0;

    char txn1[] = "tx-0000000000000001", txn2[] = "tx-0000000000000002";
    char txn3[] = "tx-0000000000000003", t1[] = "app-1.0.tar", t2[] = "app-1.1.tar";
    char v1[] = "1.0.0", v2[] = "1.1.0", sha[] = "ab", avail[] = "available";
    char actor[] = "user:test", bad[] = "half-done";

    memset(&u, 0, sizeof(u));
    u.txn = txn1;
    u.target = t1;
    u.version = v1;
    u.length = 1234;
    u.sha256 = sha;
    u.state = avail;
    u.actor = actor;
    assert_int_equal(sw_store_update_add(st, &u, &id1, &err), 0);
    u.txn = txn2;
    u.target = t2;
    u.version = v2;
    u.from_version = v1;
    u.length = -1;
    u.sha256 = NULL;
    assert_int_equal(sw_store_update_add(st, &u, &id2, &err), 0);
    assert_true(id2 > id1 && id1 > 0);
    /* txn is unique */
    assert_true(sw_store_update_add(st, &u, NULL, &err) < 0);
    /* a state the schema does not know is refused */
    u.txn = txn3;
    u.state = bad;
    assert_true(sw_store_update_add(st, &u, NULL, &err) < 0);

    assert_int_equal(sw_store_update_get(st, id1, &got, &err), 0);
    assert_string_equal(got.txn, "tx-0000000000000001");
    assert_int_equal(got.length, 1234);
    assert_null(got.from_version);
    assert_null(got.slot);
    free(got.state);
    got.state = strdup("staging");
    got.slot = strdup("a");
    got.error = strdup("why");
    assert_int_equal(sw_store_update_save(st, &got, &err), 0);
    sw_store_update_release(&got);
    assert_int_equal(sw_store_update_get(st, id1, &got, &err), 0);
    assert_string_equal(got.state, "staging");
    assert_string_equal(got.slot, "a");
    assert_string_equal(got.error, "why");
    sw_store_update_release(&got);
    assert_int_equal(sw_store_update_get(st, 999, &got, &err), -SW_E_NOTFOUND);

    /* newest first, with a limit */
    assert_int_equal(sw_store_updates_list(st, 0, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, id2);
    assert_int_equal(list[0].length, -1);
    assert_string_equal(list[0].from_version, "1.0.0");
    sw_store_updates_free(list, n);
    assert_int_equal(sw_store_updates_list(st, 1, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, id2);
    sw_store_updates_free(list, n);

    /* slot rows: the states of schema 2 ('previous' among them), nothing else */
    assert_int_equal(sw_store_slot_set(st, "a", "previous", "1.0.0", id1, &err), 0);
    assert_int_equal(sw_store_slot_set(st, "b", "active", "1.1.0", id2, &err), 0);
    assert_true(sw_store_slot_set(st, "b", "booting", NULL, 0, &err) < 0);
    assert_int_equal(sw_store_slot_set(st, "c", "empty", NULL, 0, &err), -SW_E_INVAL);
    assert_true(sw_store_slot_set(st, "a", "staged", "1", 4242, &err) < 0); /* no such update */
    assert_int_equal(sw_store_slots(st, &slots, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(slots[0].state, "previous");
    assert_string_equal(slots[0].version, "1.0.0");
    assert_int_equal(slots[0].update_id, id1);
    assert_string_equal(slots[1].state, "active");
    assert_int_equal(slots[1].update_id, id2);
    sw_store_slots_free(slots, n);

    /* events of one update, oldest first, with milliseconds */
    memset(&ev, 0, sizeof(ev));
    ev.kind = "transition";
    ev.txn = "tx-0000000000000001";
    ev.update_id = id1;
    ev.from_state = "available";
    ev.to_state = "downloading";
    ev.actor = "user:test";
    assert_int_equal(sw_store_event_add(st, &ev, &err), 0);
    ev.from_state = "downloading";
    ev.to_state = "downloaded";
    ev.reason = "verified";
    assert_int_equal(sw_store_event_add(st, &ev, &err), 0);
    ev.update_id = id2;
    assert_int_equal(sw_store_event_add(st, &ev, &err), 0);
    assert_int_equal(sw_store_events_list(st, id1, &evs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(evs[0].to_state, "downloading");
    assert_null(evs[0].reason);
    assert_string_equal(evs[1].reason, "verified");
    assert_true(evs[1].at_ms >= evs[0].at_ms);
    assert_true(evs[0].at_ms / 1000 == evs[0].at || evs[0].at_ms / 1000 + 1 == evs[0].at);
    sw_store_events_free(evs, n);
    assert_int_equal(sw_store_events_list(st, 0, &evs, &n, &err), 0);
    assert_int_equal(n, 3);
    sw_store_events_free(evs, n);
    sw_store_close(st);
}

/* A schema-1 store moves to schema 2 keeping its slot rows; 'previous' is then allowed. */
static void
test_migrate_slots_to_2(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_store_slot *slots = NULL;
    size_t n = 0;

    assert_true(sw_n_migrations >= 2);
    assert_int_equal(
        sw_store_open_migrations(f->state, SW_STORE_CREATE, sw_migrations, 1, &st, &err), 0);
    assert_int_equal(sw_store_slot_set(st, "a", "active", "0.9.0", 0, &err), 0);
    assert_true(sw_store_slot_set(st, "b", "previous", "0.8.0", 0, &err) < 0);
    sw_store_close(st);
    st = open_ok(f->state);
    assert_int_equal(sw_store_schema_version(st), (int)sw_n_migrations);
    assert_int_equal(sw_store_slots(st, &slots, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(slots[0].state, "active");
    assert_string_equal(slots[0].version, "0.9.0");
    assert_string_equal(slots[1].state, "empty");
    sw_store_slots_free(slots, n);
    assert_int_equal(sw_store_slot_set(st, "b", "previous", "0.8.0", 0, &err), 0);
    sw_store_close(st);
}

/* A schema-2 store's hook runs and findings survive the move to 3; 'refused' is then allowed. */
static void
test_migrate_hook_runs_to_3(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    sqlite3 *db;
    sqlite3_stmt *stmt;

    assert_true(sw_n_migrations >= 3);
    assert_int_equal(
        sw_store_open_migrations(f->state, SW_STORE_CREATE, sw_migrations, 2, &st, &err), 0);
    sw_store_close(st);
    assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "PRAGMA foreign_keys = ON;"
                     "INSERT INTO hook_runs (id, phase, hook, path, required, status, "
                     "started_at, output) VALUES (7, 'pre-promote', '10-a', '/h/10-a', "
                     "1, 'fail', 1, CAST('old output' AS BLOB));"
                     "INSERT INTO hook_findings (hook_run_id, check_name, status) "
                     "VALUES (7, 'disk', 'fail')",
                     NULL, NULL, NULL),
        SQLITE_OK);
    /* schema 2 does not know 'refused' */
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO hook_runs (phase, hook, path, required, "
                                      "status, started_at) VALUES ('pre-promote', 'x', 'x', 1, "
                                      "'refused', 1)",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    sqlite3_close(db);
    st = open_ok(f->state);
    assert_int_equal(sw_store_schema_version(st), (int)sw_n_migrations);
    sw_store_close(st);
    assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT r.hook, r.output, f.check_name FROM hook_runs r "
                                        "JOIN hook_findings f ON f.hook_run_id = r.id "
                                        "WHERE r.id = 7",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "10-a");
    assert_string_equal((const char *)sqlite3_column_text(stmt, 1), "old output");
    assert_string_equal((const char *)sqlite3_column_text(stmt, 2), "disk");
    sqlite3_finalize(stmt);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO hook_runs (phase, hook, path, required, status, "
                                  "started_at) VALUES ('pre-promote', 'x', 'x', 1, 'refused', 1)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    /* the findings still belong to their run: deleting it removes them */
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA foreign_keys = ON; DELETE FROM hook_runs WHERE id = 7",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM hook_findings", -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(stmt, 0), 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

/*
 * Schema 4, verify once for delegated roles: a store of schema 3 (its
 * trusted roles kept) gains the verdicts table; a verdict matches only its
 * role, binding, SHA-256 (any case) and length; forgetting a role drops
 * its verdicts only, forgetting all drops every one.
 */
static void
test_delegation_verdicts(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    const char *sha = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
    const char *low = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
    struct sw_store_meta m = {0};

    assert_true(sw_n_migrations >= 4);
    assert_int_equal(
        sw_store_open_migrations(f->state, SW_STORE_CREATE, sw_migrations, 3, &st, &err), 0);
    m.role = (char *)"pkgs-00";
    m.version = 1;
    m.expires = (char *)"2030-01-01T00:00:00Z";
    m.length = 10;
    m.sha256 = (char *)low;
    assert_int_equal(sw_store_meta_set(st, &m, NULL), 0);
    sw_store_close(st);
    st = open_ok(f->state);
    assert_int_equal(sw_store_schema_version(st), (int)sw_n_migrations);
    assert_int_equal(sw_store_meta_get(st, "pkgs-00", &m, NULL), 0);
    sw_store_meta_release(&m);

    assert_int_equal(sw_store_verdict_match(st, "pkgs-00", "b1", low, 10, NULL), 0);
    assert_int_equal(sw_store_verdict_set(st, "pkgs-00", "b1", sha, 10, NULL), 0);
    assert_int_equal(sw_store_verdict_set(st, "pkgs-00", "b2", low, 10, NULL), 0);
    assert_int_equal(sw_store_verdict_set(st, "pkgs-01", "b1", low, 10, NULL), 0);
    assert_int_equal(sw_store_verdict_match(st, "pkgs-00", "b1", low, 10, NULL), 1);
    assert_int_equal(sw_store_verdict_match(st, "pkgs-00", "b1", sha, 10, NULL), 1);
    assert_int_equal(sw_store_verdict_match(st, "pkgs-00", "b1", low, 11, NULL), 0);
    assert_int_equal(sw_store_verdict_match(st, "pkgs-00", "b3", low, 10, NULL), 0);
    assert_int_equal(sw_store_verdict_match(st, "pkgs-02", "b1", low, 10, NULL), 0);
    assert_int_equal(
        sw_store_verdict_match(st, "pkgs-00", "b1",
                               "bbcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
                               10, NULL),
        0);
    /* a binding's verdict is replaced, not added to */
    assert_int_equal(sw_store_verdict_set(st, "pkgs-00", "b1", "00", 3, NULL), 0);
    assert_int_equal(sw_store_verdict_match(st, "pkgs-00", "b1", low, 10, NULL), 0);
    assert_int_equal(sw_store_verdict_match(st, "pkgs-00", "b1", "00", 3, NULL), 1);

    assert_int_equal(sw_store_verdicts_forget(st, "pkgs-00", NULL), 0);
    assert_int_equal(sw_store_verdict_match(st, "pkgs-00", "b1", "00", 3, NULL), 0);
    assert_int_equal(sw_store_verdict_match(st, "pkgs-00", "b2", low, 10, NULL), 0);
    assert_int_equal(sw_store_verdict_match(st, "pkgs-01", "b1", low, 10, NULL), 1);
    assert_int_equal(sw_store_verdicts_forget(st, NULL, NULL), 0);
    assert_int_equal(sw_store_verdict_match(st, "pkgs-01", "b1", low, 10, NULL), 0);
    sw_store_close(st);
}

static void
test_hook_phases(void **state)
{
    struct fixture *f = *state;
    struct sw_store *st = open_ok(f->state);
    struct sw_error err = SW_ERROR_INIT;
    struct sw_store_update u;
    struct sw_store_hook_finding fd[2] = {{(char *)"disk", (char *)"fail", (char *)"2% free"},
                                          {(char *)"inodes", (char *)"pass", NULL}};
    struct sw_store_hook_run runs[2];
    struct sw_store_hook_phase p, got, *list = NULL;
    char out[] = "line one\nbin\0ary";
    int64_t uid = 0, pid = 0;
    size_t n = 0;

    memset(&u, 0, sizeof(u));
    u.txn = (char *)"tx-00000000000000aa";
    u.target = (char *)"app.tar";
    u.version = (char *)"1.0.0";
    u.state = (char *)"staged";
    u.actor = (char *)"test";
    assert_int_equal(sw_store_update_add(st, &u, &uid, &err), 0);
    memset(runs, 0, sizeof(runs));
    runs[0].hook = (char *)"10-disk";
    runs[0].path = (char *)"/h/pre-promote/10-disk";
    runs[0].required = 1;
    runs[0].attempts = 2;
    runs[0].status = (char *)"fail";
    runs[0].exit_code = 1;
    runs[0].duration_ms = 12;
    runs[0].reason = (char *)"exited with status 1";
    runs[0].output = out;
    runs[0].output_len = sizeof(out) - 1;
    runs[0].bad_lines = (char *)"[\"not json: {\"]";
    runs[0].findings = fd;
    runs[0].n_findings = 2;
    runs[1].hook = (char *)"20-unsafe";
    runs[1].path = (char *)"/h/pre-promote/20-unsafe";
    runs[1].status = (char *)"refused";
    runs[1].exit_code = -1;
    memset(&p, 0, sizeof(p));
    p.update_id = uid;
    p.txn = u.txn;
    p.phase = (char *)"pre-promote";
    p.slot = (char *)"b";
    p.slot_fingerprint = (char *)"aa";
    p.hooks_fingerprint = (char *)"bb";
    p.n_hooks = 2;
    p.required_failed = 1;
    p.reason = (char *)"required pre-promote hooks failed";
    p.started_at_ms = 1700000000123;
    p.duration_ms = 20;
    p.runs = runs;
    p.n_runs = 2;

    /* a failure before the commit writes nothing */
    setenv("SLIPWAY_FAULT", "store-hook-phase:fail", 1);
    assert_int_equal(sw_store_hook_phase_add(st, &p, NULL, &err), -SW_E_FAULT);
    unsetenv("SLIPWAY_FAULT");
    assert_int_equal(sw_store_hook_phase_latest(st, uid, "pre-promote", &got, &err),
                     -SW_E_NOTFOUND);
    assert_int_equal(sw_store_hook_phases_list(st, uid, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    sw_store_hook_phases_free(list, n);

    assert_int_equal(sw_store_hook_phase_add(st, &p, &pid, &err), 0);
    p.passed = 1;
    p.required_failed = 0;
    p.slot_fingerprint = (char *)"cc";
    p.n_runs = 0;
    assert_int_equal(sw_store_hook_phase_add(st, &p, NULL, &err), 0);
    p.phase = (char *)"post-promote";
    p.passed = 0;
    assert_int_equal(sw_store_hook_phase_add(st, &p, NULL, &err), 0);
    /* a phase name outside the schema is refused */
    p.phase = (char *)"mid-promote";
    assert_true(sw_store_hook_phase_add(st, &p, NULL, &err) < 0);

    /* the latest verdict of one phase */
    assert_int_equal(sw_store_hook_phase_latest(st, uid, "pre-promote", &got, &err), 0);
    assert_true(got.passed);
    assert_string_equal(got.slot_fingerprint, "cc");
    assert_int_equal(got.n_runs, 0);
    sw_store_hook_phase_release(&got);

    /* every phase, oldest first, with runs and findings as written */
    assert_int_equal(sw_store_hook_phases_list(st, uid, &list, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(list[0].id, pid);
    assert_false(list[0].passed);
    assert_string_equal(list[0].txn, "tx-00000000000000aa");
    assert_string_equal(list[0].slot, "b");
    assert_string_equal(list[0].hooks_fingerprint, "bb");
    assert_int_equal(list[0].required_failed, 1);
    assert_int_equal(list[0].started_at_ms, 1700000000123);
    assert_int_equal(list[0].n_runs, 2);
    assert_string_equal(list[0].runs[0].hook, "10-disk");
    assert_int_equal(list[0].runs[0].attempts, 2);
    assert_int_equal(list[0].runs[0].exit_code, 1);
    assert_int_equal(list[0].runs[0].output_len, sizeof(out) - 1);
    assert_memory_equal(list[0].runs[0].output, out, sizeof(out) - 1);
    assert_string_equal(list[0].runs[0].bad_lines, "[\"not json: {\"]");
    assert_int_equal(list[0].runs[0].n_findings, 2);
    assert_string_equal(list[0].runs[0].findings[0].detail, "2% free");
    assert_null(list[0].runs[0].findings[1].detail);
    assert_string_equal(list[0].runs[1].status, "refused");
    assert_int_equal(list[0].runs[1].exit_code, -1);
    assert_null(list[0].runs[1].output);
    assert_string_equal(list[2].phase, "post-promote");
    sw_store_hook_phases_free(list, n);
    sw_store_close(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_each_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_device_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_from_older, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_not_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_other_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_daily, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_after_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setting_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_loose_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_updates_slots_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_slots_to_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_hook_runs_to_3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hook_phases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delegation_verdicts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
