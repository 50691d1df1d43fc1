/* SPDX-License-Identifier: MIT */
/*
 * The state store: opening and creating STATE_DIR/state.db safely, checking
 * that an existing file is ours and whole before anything writes to it,
 * applying the embedded migrations, and the small row-level accessors other
 * modules use. Which rows to write, and when, is left to those modules.
 */
#include "store-int.h"
#include <slipway/fault.h>
#include <slipway/fs.h>
#include <slipway/log.h>
#include <slipway/store.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define SETTING_CHECKED_AT "store-checked-at"

/* Statements prepared once per open and reused (a run asks for settings and roles often). */
enum cached_stmt {
    STMT_SETTING_GET,
    STMT_SETTING_SET,
    STMT_META_GET,
    STMT_VERDICT_MATCH,
    STMT_VERDICT_SET,
    STMT_VERDICTS_FORGET,
    N_CACHED_STMTS,
};

struct sw_store {
    sqlite3 *db;
    sqlite3_stmt *cached[N_CACHED_STMTS];
    char *path;
    int schema_version;
    char device_id[33];
#ifdef SW_FAULT_INJECTION
    int changes_committed; /* sqlite3_total_changes() at the last commit that wrote */
#endif
};

static int
db_error(struct sw_store *st, struct sw_error *err, const char *what)
{
    int code = SW_E_STORE;
    int rc = sqlite3_extended_errcode(st->db);
    if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
        code = SW_E_STORE_CORRUPT;
    else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        code = SW_E_BUSY;
    return sw_error_set(err, code, "state store '%s': %s: %s", st->path, what,
                        sqlite3_errmsg(st->db));
}

/* The statement `which` (sql), prepared at its first use; hand it back with stmt_done. */
static sqlite3_stmt *
stmt_get(struct sw_store *st, enum cached_stmt which, const char *sql)
{
    if (!st->cached[which] && sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                                 &st->cached[which], NULL) != SQLITE_OK)
        return NULL;
    return st->cached[which];
}

/* Reset a cached statement (ending its read, dropping its bindings) for the next use. */
static void
stmt_done(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

static int
exec_sql(struct sw_store *st, const char *sql, struct sw_error *err, const char *what)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(st, err, what);
    return 0;
}

static int
pragma_int(struct sw_store *st, const char *sql, int *ret, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int r;

    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, sql);
    r = sqlite3_step(stmt);
    if (r != SQLITE_ROW) {
        r = db_error(st, err, sql);
        sqlite3_finalize(stmt);
        return r;
    }
    *ret = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return 0;
}

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * Look at an existing file before SQLite touches it: a regular file of ours,
 * owner-only. Sets *ret_empty when it has no bytes (a creation that was
 * interrupted) and *ret_unclaimed when it is an SQLite file with no
 * application id yet.
 */
static int
check_existing(const char *path, int *ret_empty, int *ret_unclaimed, int *ret_wal_left,
               struct sw_error *err)
{
    unsigned char hdr[100];
    struct stat st, wst;
    ssize_t n;
    uint32_t app_id, page_size, n_pages;
    char *wal = NULL;
    int fd, r = 0;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ELOOP)
            return sw_error_set(err, SW_E_PERM, "state store '%s' is a symbolic link; refusing",
                                path);
        return sw_error_errno(err, SW_E_IO, errno, "cannot open state store '%s'", path);
    }
    if (fstat(fd, &st) < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot stat state store '%s'", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = sw_error_set(err, SW_E_STORE_FOREIGN, "state store '%s' is not a regular file", path);
        goto out;
    }
    if (st.st_uid != geteuid()) {
        r = sw_error_set(err, SW_E_PERM, "state store '%s' is owned by uid %u, not by uid %u", path,
                         (unsigned)st.st_uid, (unsigned)geteuid());
        goto out;
    }
    if (st.st_mode & 077) {
        r = sw_error_set(err, SW_E_PERM,
                         "state store '%s' has mode %04o, open to other users; "
                         "run 'chmod 600 %s'",
                         path, (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    *ret_empty = st.st_size == 0;
    *ret_unclaimed = 0;
    if (st.st_size == 0)
        goto out;
    n = pread(fd, hdr, sizeof(hdr), 0);
    if (n < 0) {
        r = sw_error_errno(err, SW_E_IO, errno, "cannot read state store '%s'", path);
        goto out;
    }
    if ((size_t)n < sizeof(hdr) || memcmp(hdr, "SQLite format 3", 16) != 0) {
        r = sw_error_set(err, SW_E_STORE_FOREIGN,
                         "'%s' is not a slipway state store (not an SQLite database); "
                         "move it away or choose another --state-dir",
                         path);
        goto out;
    }
    app_id = be32(hdr + 68);
    if (app_id == 0) {
        *ret_unclaimed = 1;
    } else if (app_id != SW_STORE_APPLICATION_ID) {
        r = sw_error_set(err, SW_E_STORE_FOREIGN,
                         "'%s' is not a slipway state store (SQLite application id 0x%08x, "
                         "slipway's is 0x%08x)",
                         path, (unsigned)app_id, (unsigned)SW_STORE_APPLICATION_ID);
        goto out;
    }
    /*
     * A write-ahead log left behind: the last writer did not close (a crash,
     * a power loss) or another process has the store open. Without one the
     * file holds every page its header counts (SQLite keeps that count
     * valid: the change counter at 24 equals the version-valid-for at 92),
     * so a shorter file was cut short.
     */
    if (asprintf(&wal, "%s-wal", path) < 0) {
        wal = NULL;
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    *ret_wal_left = lstat(wal, &wst) == 0 && (!S_ISREG(wst.st_mode) || wst.st_size > 0);
    page_size = (uint32_t)hdr[16] << 8 | hdr[17];
    if (page_size == 1)
        page_size = 65536;
    n_pages = be32(hdr + 28);
    if (!*ret_wal_left && n_pages > 0 && be32(hdr + 24) == be32(hdr + 92) &&
        (uint64_t)n_pages * page_size > (uint64_t)st.st_size) {
        r = sw_error_set(err, SW_E_STORE_CORRUPT,
                         "state store '%s' is damaged (%jd bytes, its header counts %" PRIu32
                         " pages of %" PRIu32 "); restore it from a backup or move it away to "
                         "start afresh",
                         path, (intmax_t)st.st_size, n_pages, page_size);
        goto out;
    }
out:
    free(wal);
    close(fd);
    return r;
}

static int
quick_check(struct sw_store *st, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    const char *res;
    int r;

    if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check(1)", -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "integrity check");
    r = sqlite3_step(stmt);
    if (r != SQLITE_ROW) {
        r = db_error(st, err, "integrity check");
        sqlite3_finalize(stmt);
        return r;
    }
    res = (const char *)sqlite3_column_text(stmt, 0);
    if (!res || strcmp(res, "ok") != 0) {
        r = sw_error_set(err, SW_E_STORE_CORRUPT,
                         "state store '%s' is damaged (%s); restore it from a backup or move "
                         "it away to start afresh",
                         st->path, res ? res : "no result");
        sqlite3_finalize(stmt);
        return r;
    }
    sqlite3_finalize(stmt);
    return 0;
}

static int
count_tables(struct sw_store *st, int *ret, struct sw_error *err)
{
    return pragma_int(st, "SELECT count(*) FROM sqlite_schema", ret, err);
}

/*
 * Whether the whole file is checked (PRAGMA quick_check) before anything
 * writes to it. It reads every page, so its cost grows with the history
 * kept (events, hook runs): an hourly run pays it at most once a day. It
 * is due when the last passing check (setting store-checked-at) is more
 * than SW_STORE_CHECK_EVERY seconds old, unreadable or in the future; when
 * a write-ahead log was left behind (a crash or power loss before the last
 * writer closed, or another process using the store); before migrations;
 * and for a store not claimed yet. Between checks, the pages a run reads
 * are checked by SQLite as it reads them (SQLITE_CORRUPT), and a file
 * shorter than its header says is refused before SQLite opens it.
 */
#ifdef SW_FAULT_INJECTION
/*
 * Test builds: every commit of a write transaction that changed a row
 * (explicit or a single statement's) is a hit of fault point store-write-commit, so a test can
 * count the commits of a run (SLIPWAY_FAULT_LIST) or make one fail
 * (SLIPWAY_FAULT=store-write-commit@N:fail: SQLite rolls it back).
 */
static int
commit_hook(void *arg)
{
    struct sw_store *st = arg;
    int changes = sqlite3_total_changes(st->db);

    /* a transaction that changed no row (BEGIN ... COMMIT with nothing, an
     * UPDATE whose WHERE matched nothing) writes no page: not counted */
    if (changes == st->changes_committed)
        return 0;
    if (SW_FAULT("store-write-commit"))
        return 1;
    st->changes_committed = changes;
    return 0;
}
#endif

static int
check_due(struct sw_store *st, int unclaimed, int wal_left, size_t n_migs, time_t *now)
{
    char *v = NULL, *end;
    long long at;
    int due;

    if (unclaimed || wal_left || st->schema_version < (int)n_migs)
        return 1;
    if (sw_store_setting_get(st, SETTING_CHECKED_AT, &v, NULL) < 0)
        return 1;
    errno = 0;
    at = strtoll(v, &end, 10);
    due = errno || end == v || *end || at > (long long)*now ||
          (long long)*now - at >= SW_STORE_CHECK_EVERY;
    free(v);
    return due;
}

static int
setting_set(struct sw_store *st, const char *key, const char *value, struct sw_error *err)
{
    sqlite3_stmt *stmt;
    int r = 0;

    stmt = stmt_get(st, STMT_SETTING_SET,
                    "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                    "updated_at = excluded.updated_at WHERE value IS NOT excluded.value");
    if (!stmt)
        return db_error(st, err, "setting");
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)time(NULL));
    if (sqlite3_step(stmt) != SQLITE_DONE)
        r = db_error(st, err, "setting");
    stmt_done(stmt);
    return r;
}

static int
migrate(struct sw_store *st, const struct sw_migration *migs, size_t n_migs, struct sw_error *err)
{
    char pragma[64];
    char *devid = NULL;
    int r;

    if ((size_t)st->schema_version >= n_migs)
        return 0;
    r = exec_sql(st, "BEGIN IMMEDIATE", err, "begin migration");
    if (r < 0)
        return r;
    for (size_t i = (size_t)st->schema_version; i < n_migs; i++) {
        if (migs[i].version != (int)i + 1) {
            r = sw_error_set(err, SW_E_INTERNAL, "migration '%s' is out of order", migs[i].name);
            goto fail;
        }
        if (sqlite3_exec(st->db, migs[i].sql, NULL, NULL, NULL) != SQLITE_OK) {
            r = db_error(st, err, migs[i].name);
            goto fail;
        }
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", migs[i].version);
        r = exec_sql(st, pragma, err, "set schema version");
        if (r < 0)
            goto fail;
    }
    snprintf(pragma, sizeof(pragma), "PRAGMA application_id = %d", SW_STORE_APPLICATION_ID);
    r = exec_sql(st, pragma, err, "set application id");
    if (r < 0)
        goto fail;
    /* the device id is made once, in the transaction that makes the store */
    r = sw_store_setting_get(st, "device-id", &devid, NULL);
    if (r == -SW_E_NOTFOUND) {
        unsigned char raw[16];
        char hex[33];
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
        r = setting_set(st, "device-id", hex, err);
        if (r < 0)
            goto fail;
    } else if (r < 0) {
        goto fail;
    }
    free(devid);
    devid = NULL;
    r = exec_sql(st, "COMMIT", err, "commit migration");
    if (r < 0)
        goto fail;
    st->schema_version = (int)n_migs;
    return 0;
fail:
    free(devid);
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return r;
}

static int
load_device_id(struct sw_store *st, struct sw_error *err)
{
    char *id = NULL;
    int r = sw_store_setting_get(st, "device-id", &id, err);
    if (r < 0)
        return r;
    if (strlen(id) != 32 || strspn(id, "0123456789abcdef") != 32) {
        free(id);
        return sw_error_set(err, SW_E_STORE_CORRUPT, "state store '%s': device-id is malformed",
                            st->path);
    }
    memcpy(st->device_id, id, 33);
    free(id);
    return 0;
}

int
sw_store_open_migrations(const char *state_dir, unsigned flags, const struct sw_migration *migs,
                         size_t n_migs, struct sw_store **ret_store, struct sw_error *err)
{
    struct sw_store *st = NULL;
    int fresh = 0, empty = 0, unclaimed = 0, wal_left = 0, checked = 0, r, app_id = 0, ntables = 0;
    time_t now = time(NULL);
    struct stat sb;

    if (sodium_init() < 0)
        return sw_error_set(err, SW_E_INTERNAL, "libsodium failed to initialise");
    if (!(flags & SW_STORE_CREATE) && lstat(state_dir, &sb) < 0)
        return sw_error_errno(err, SW_E_NOTFOUND, errno, "state directory '%s'", state_dir);
    r = sw_fs_private_dir(state_dir, err);
    if (r < 0)
        return r;

    st = calloc(1, sizeof(*st));
    if (!st)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    st->path = sw_fs_join(state_dir, SW_STORE_FILENAME);
    if (!st->path) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto fail;
    }

    if (lstat(st->path, &sb) < 0) {
        int fd;
        if (errno != ENOENT) {
            r = sw_error_errno(err, SW_E_IO, errno, "cannot stat state store '%s'", st->path);
            goto fail;
        }
        if (!(flags & SW_STORE_CREATE)) {
            r = sw_error_set(err, SW_E_NOTFOUND, "no state store at '%s'", st->path);
            goto fail;
        }
        fd = open(st->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            r = sw_error_errno(err, SW_E_IO, errno, "cannot create state store '%s'", st->path);
            goto fail;
        }
        if (fchmod(fd, 0600) < 0) {
            r = sw_error_errno(err, SW_E_IO, errno, "cannot set the mode of '%s'", st->path);
            close(fd);
            goto fail;
        }
        close(fd);
        fresh = 1;
    } else {
        r = check_existing(st->path, &empty, &unclaimed, &wal_left, err);
        if (r < 0)
            goto fail;
        fresh = empty;
    }

    if (sqlite3_open_v2(st->path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        r = sw_error_set(err, SW_E_STORE, "cannot open state store '%s': %s", st->path,
                         st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, SW_STORE_BUSY_TIMEOUT_MS);
#ifdef SW_FAULT_INJECTION
    sqlite3_commit_hook(st->db, commit_hook, st);
#endif

    if (!fresh) {
        r = pragma_int(st, "PRAGMA application_id", &app_id, err);
        if (r < 0)
            goto fail;
        r = pragma_int(st, "PRAGMA user_version", &st->schema_version, err);
        if (r < 0)
            goto fail;
        if (unclaimed) {
            /* an SQLite file nobody has claimed is ours only when it is empty */
            r = count_tables(st, &ntables, err);
            if (r < 0)
                goto fail;
            if (ntables > 0 || st->schema_version != 0) {
                r = sw_error_set(err, SW_E_STORE_FOREIGN,
                                 "'%s' is an SQLite database of another program, not a "
                                 "slipway state store",
                                 st->path);
                goto fail;
            }
        }
        if (st->schema_version > (int)n_migs) {
            r = sw_error_set(err, SW_E_STORE_NEWER,
                             "state store '%s' has schema version %d, newer than this "
                             "slipway understands (%zu); upgrade slipway",
                             st->path, st->schema_version, n_migs);
            goto fail;
        }
        if (st->schema_version < 1 && !unclaimed) {
            r = sw_error_set(err, SW_E_STORE_CORRUPT,
                             "state store '%s' has slipway's id but no schema version", st->path);
            goto fail;
        }
        checked = !check_due(st, unclaimed, wal_left, n_migs, &now);
        if (!checked) {
            r = quick_check(st, err);
            if (r < 0)
                goto fail;
        }
    }

    /* From here on the file is known to be ours (or new): writes may begin. */
    r = exec_sql(st, "PRAGMA journal_mode = WAL", err, "enable WAL");
    if (r < 0)
        goto fail;
    r = exec_sql(st, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL", err, "set pragmas");
    if (r < 0)
        goto fail;
    r = migrate(st, migs, n_migs, err);
    if (r < 0)
        goto fail;
    r = load_device_id(st, err);
    if (r < 0)
        goto fail;
    if (!checked) {
        /* a new store, or one that passed its check: the next one is due in a day */
        char v[32];
        snprintf(v, sizeof(v), "%lld", (long long)now);
        if (setting_set(st, SETTING_CHECKED_AT, v, NULL) < 0)
            sw_log_debug("state store '%s': cannot record its integrity check", st->path);
    }
    *ret_store = st;
    return 0;
fail:
    sw_store_close(st);
    return r;
}

int
sw_store_open(const char *state_dir, unsigned flags, struct sw_store **ret_store,
              struct sw_error *err)
{
    return sw_store_open_migrations(state_dir, flags, sw_migrations, sw_n_migrations, ret_store,
                                    err);
}

void
sw_store_close(struct sw_store *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < N_CACHED_STMTS; i++)
        sqlite3_finalize(st->cached[i]);
    if (st->db)
        sqlite3_close_v2(st->db);
    free(st->path);
    free(st);
}

int
sw_store_schema_version(const struct sw_store *st)
{
    return st->schema_version;
}

int
sw_store_latest_schema_version(void)
{
    return (int)sw_n_migrations;
}

const char *
sw_store_path(const struct sw_store *st)
{
    return st->path;
}

const char *
sw_store_device_id(const struct sw_store *st)
{
    return st->device_id;
}

int
sw_store_begin(struct sw_store *st, struct sw_error *err)
{
    return exec_sql(st, "BEGIN IMMEDIATE", err, "begin transaction");
}

int
sw_store_commit(struct sw_store *st, struct sw_error *err)
{
    if (SW_FAULT("store-commit"))
        return sw_error_set(err, SW_E_FAULT, "state store '%s': injected fault before commit",
                            st->path);
    return exec_sql(st, "COMMIT", err, "commit transaction");
}

void
sw_store_rollback(struct sw_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static char *
column_strdup(sqlite3_stmt *stmt, int col)
{
    const unsigned char *s = sqlite3_column_text(stmt, col);
    return s ? strdup((const char *)s) : NULL;
}

int
sw_store_setting_get(struct sw_store *st, const char *key, char **ret_value, struct sw_error *err)
{
    sqlite3_stmt *stmt;
    int r;

    stmt = stmt_get(st, STMT_SETTING_GET, "SELECT value FROM settings WHERE key = ?1");
    if (!stmt)
        return db_error(st, err, "read setting");
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    r = sqlite3_step(stmt);
    if (r == SQLITE_ROW) {
        char *v = column_strdup(stmt, 0);
        stmt_done(stmt);
        if (!v)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        *ret_value = v;
        return 0;
    }
    if (r == SQLITE_DONE)
        r = sw_error_set(err, SW_E_NOTFOUND, "setting '%s' is not set", key);
    else
        r = db_error(st, err, "read setting");
    stmt_done(stmt);
    return r;
}

int
sw_store_setting_set(struct sw_store *st, const char *key, const char *value, struct sw_error *err)
{
    return setting_set(st, key, value, err);
}

int
sw_store_slots(struct sw_store *st, struct sw_store_slot **ret_slots, size_t *ret_n,
               struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    struct sw_store_slot *slots = NULL;
    size_t n = 0;
    int r;

    if (sqlite3_prepare_v2(st->db,
                           "SELECT name, state, version, update_id, updated_at FROM slots "
                           "ORDER BY name",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "read slots");
    while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct sw_store_slot *ns = realloc(slots, (n + 1) * sizeof(*slots));
        if (!ns) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
        slots = ns;
        memset(&slots[n], 0, sizeof(slots[n]));
        snprintf(slots[n].name, sizeof(slots[n].name), "%s",
                 (const char *)sqlite3_column_text(stmt, 0));
        snprintf(slots[n].state, sizeof(slots[n].state), "%s",
                 (const char *)sqlite3_column_text(stmt, 1));
        slots[n].version = column_strdup(stmt, 2);
        slots[n].update_id = sqlite3_column_int64(stmt, 3);
        slots[n].updated_at = sqlite3_column_int64(stmt, 4);
        n++;
    }
    if (r != SQLITE_DONE) {
        r = db_error(st, err, "read slots");
        goto fail;
    }
    sqlite3_finalize(stmt);
    *ret_slots = slots;
    *ret_n = n;
    return 0;
fail:
    sqlite3_finalize(stmt);
    sw_store_slots_free(slots, n);
    return r;
}

void
sw_store_slots_free(struct sw_store_slot *slots, size_t n)
{
    if (!slots)
        return;
    for (size_t i = 0; i < n; i++)
        free(slots[i].version);
    free(slots);
}

int
sw_store_meta_set(struct sw_store *st, const struct sw_store_meta *m, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int r = 0;

    if (sqlite3_prepare_v2(st->db,
                           "INSERT OR REPLACE INTO trusted_metadata "
                           "(role, version, expires, length, sha256, verified_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "record trusted metadata");
    sqlite3_bind_text(stmt, 1, m->role, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, m->version);
    sqlite3_bind_text(stmt, 3, m->expires, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, m->length);
    sqlite3_bind_text(stmt, 5, m->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 6, m->verified_at ? m->verified_at : (int64_t)time(NULL));
    if (sqlite3_step(stmt) != SQLITE_DONE)
        r = db_error(st, err, "record trusted metadata");
    sqlite3_finalize(stmt);
    return r;
}

static int
meta_from_row(sqlite3_stmt *stmt, struct sw_store_meta *m)
{
    memset(m, 0, sizeof(*m));
    m->role = column_strdup(stmt, 0);
    m->version = sqlite3_column_int64(stmt, 1);
    m->expires = column_strdup(stmt, 2);
    m->length = sqlite3_column_int64(stmt, 3);
    m->sha256 = column_strdup(stmt, 4);
    m->verified_at = sqlite3_column_int64(stmt, 5);
    if (!m->role || !m->expires || !m->sha256) {
        sw_store_meta_release(m);
        return -SW_E_NOMEM;
    }
    return 0;
}

int
sw_store_meta_get(struct sw_store *st, const char *role, struct sw_store_meta *ret_meta,
                  struct sw_error *err)
{
    sqlite3_stmt *stmt;
    int r;

    stmt = stmt_get(st, STMT_META_GET,
                    "SELECT role, version, expires, length, sha256, verified_at "
                    "FROM trusted_metadata WHERE role = ?1");
    if (!stmt)
        return db_error(st, err, "read trusted metadata");
    sqlite3_bind_text(stmt, 1, role, -1, SQLITE_STATIC);
    r = sqlite3_step(stmt);
    if (r == SQLITE_ROW) {
        r = meta_from_row(stmt, ret_meta);
        if (r < 0)
            sw_error_set(err, SW_E_NOMEM, "out of memory");
    } else if (r == SQLITE_DONE) {
        r = sw_error_set(err, SW_E_NOTFOUND, "no trusted metadata recorded for role '%s'", role);
    } else {
        r = db_error(st, err, "read trusted metadata");
    }
    stmt_done(stmt);
    return r;
}

int
sw_store_meta_delete(struct sw_store *st, const char *role, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int r = 0;

    if (sqlite3_prepare_v2(st->db, "DELETE FROM trusted_metadata WHERE role = ?1", -1, &stmt,
                           NULL) != SQLITE_OK)
        return db_error(st, err, "forget trusted metadata");
    sqlite3_bind_text(stmt, 1, role, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        r = db_error(st, err, "forget trusted metadata");
    sqlite3_finalize(stmt);
    return r;
}

int
sw_store_meta_list(struct sw_store *st, struct sw_store_meta **ret_list, size_t *ret_n,
                   struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    struct sw_store_meta *list = NULL;
    size_t n = 0;
    int r;

    if (sqlite3_prepare_v2(st->db,
                           "SELECT role, version, expires, length, sha256, verified_at "
                           "FROM trusted_metadata ORDER BY role",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "read trusted metadata");
    while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct sw_store_meta *nl = realloc(list, (n + 1) * sizeof(*list));
        if (!nl || meta_from_row(stmt, &nl[n]) < 0) {
            if (nl)
                list = nl;
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
        list = nl;
        n++;
    }
    if (r != SQLITE_DONE) {
        r = db_error(st, err, "read trusted metadata");
        goto fail;
    }
    sqlite3_finalize(stmt);
    *ret_list = list;
    *ret_n = n;
    return 0;
fail:
    sqlite3_finalize(stmt);
    sw_store_meta_list_free(list, n);
    return r;
}

int
sw_store_meta_each_length(struct sw_store *st,
                          int (*fn)(const char *role, int64_t length, void *ctx), void *ctx,
                          struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int r, q;

    if (sqlite3_prepare_v2(st->db, "SELECT role, length FROM trusted_metadata", -1, &stmt, NULL) !=
        SQLITE_OK)
        return db_error(st, err, "read trusted metadata");
    r = 0;
    while (r == 0 && (q = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *role = (const char *)sqlite3_column_text(stmt, 0);
        if (!role) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            break;
        }
        r = fn(role, sqlite3_column_int64(stmt, 1), ctx);
    }
    if (r == 0 && q != SQLITE_DONE)
        r = db_error(st, err, "read trusted metadata");
    sqlite3_finalize(stmt);
    return r;
}

void
sw_store_meta_release(struct sw_store_meta *m)
{
    if (!m)
        return;
    free(m->role);
    free(m->expires);
    free(m->sha256);
    memset(m, 0, sizeof(*m));
}

void
sw_store_meta_list_free(struct sw_store_meta *list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        sw_store_meta_release(&list[i]);
    free(list);
}

/* --- verify once for delegated roles (schema 0004) ------------------------------------ */

int
sw_store_verdict_set(struct sw_store *st, const char *role, const char *binding, const char *sha256,
                     int64_t length, struct sw_error *err)
{
    sqlite3_stmt *stmt;
    int r = 0;

    stmt = stmt_get(st, STMT_VERDICT_SET,
                    "INSERT OR REPLACE INTO delegation_verdicts (role, binding, sha256, length) "
                    "VALUES (?1, ?2, lower(?3), ?4)");
    if (!stmt)
        return db_error(st, err, "record a delegation's verdict");
    sqlite3_bind_text(stmt, 1, role, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, binding, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, length);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        r = db_error(st, err, "record a delegation's verdict");
    stmt_done(stmt);
    return r;
}

int
sw_store_verdict_match(struct sw_store *st, const char *role, const char *binding,
                       const char *sha256, int64_t length, struct sw_error *err)
{
    sqlite3_stmt *stmt;
    int r;

    stmt = stmt_get(st, STMT_VERDICT_MATCH,
                    "SELECT 1 FROM delegation_verdicts WHERE role = ?1 AND binding = ?2 "
                    "AND sha256 = lower(?3) AND length = ?4");
    if (!stmt)
        return db_error(st, err, "read a delegation's verdict");
    sqlite3_bind_text(stmt, 1, role, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, binding, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 4, length);
    r = sqlite3_step(stmt);
    if (r == SQLITE_ROW)
        r = 1;
    else if (r == SQLITE_DONE)
        r = 0;
    else
        r = db_error(st, err, "read a delegation's verdict");
    stmt_done(stmt);
    return r;
}

int
sw_store_verdicts_forget(struct sw_store *st, const char *role, struct sw_error *err)
{
    sqlite3_stmt *stmt;
    int r = 0;

    if (!role)
        return exec_sql(st, "DELETE FROM delegation_verdicts", err, "forget delegations' verdicts");
    /* once for every delegated role a walk keeps: prepared once */
    stmt = stmt_get(st, STMT_VERDICTS_FORGET, "DELETE FROM delegation_verdicts WHERE role = ?1");
    if (!stmt)
        return db_error(st, err, "forget delegations' verdicts");
    sqlite3_bind_text(stmt, 1, role, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        r = db_error(st, err, "forget delegations' verdicts");
    stmt_done(stmt);
    return r;
}

int
sw_store_event_add(struct sw_store *st, const struct sw_store_event *ev, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int r = 0;

    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO events (at, kind, txn, update_id, from_state, to_state, "
                           "actor, reason, detail, at_ms) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "record event");
    {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        sqlite3_bind_int64(stmt, 1, (sqlite3_int64)tv.tv_sec);
        sqlite3_bind_int64(stmt, 10, (sqlite3_int64)tv.tv_sec * 1000 + tv.tv_usec / 1000);
    }
    sqlite3_bind_text(stmt, 2, ev->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, ev->txn, -1, SQLITE_STATIC);
    if (ev->update_id > 0)
        sqlite3_bind_int64(stmt, 4, ev->update_id);
    else
        sqlite3_bind_null(stmt, 4);
    sqlite3_bind_text(stmt, 5, ev->from_state, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, ev->to_state, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 7, ev->actor ? ev->actor : "slipway", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 8, ev->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 9, ev->detail, -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        r = db_error(st, err, "record event");
    sqlite3_finalize(stmt);
    return r;
}

int
sw_store_slot_set(struct sw_store *st, const char *name, const char *state, const char *version,
                  int64_t update_id, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int r = 0;

    if (sqlite3_prepare_v2(st->db,
                           "UPDATE slots SET state = ?2, version = ?3, update_id = ?4, "
                           "updated_at = ?5 WHERE name = ?1",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "record slot");
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, version, -1, SQLITE_STATIC);
    if (update_id > 0)
        sqlite3_bind_int64(stmt, 4, update_id);
    else
        sqlite3_bind_null(stmt, 4);
    sqlite3_bind_int64(stmt, 5, (sqlite3_int64)time(NULL));
    if (sqlite3_step(stmt) != SQLITE_DONE)
        r = db_error(st, err, "record slot");
    else if (sqlite3_changes(st->db) != 1)
        r = sw_error_set(err, SW_E_INVAL, "state store '%s': no slot '%s'", st->path, name);
    sqlite3_finalize(stmt);
    return r;
}

static void
bind_text_or_null(sqlite3_stmt *stmt, int col, const char *s)
{
    if (s)
        sqlite3_bind_text(stmt, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, col);
}

int
sw_store_update_add(struct sw_store *st, const struct sw_store_update *u, int64_t *ret_id,
                    struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int64_t now = (int64_t)time(NULL);
    int r = 0;

    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO updates (txn, target, version, from_version, length, "
                           "sha256, slot, state, actor, error, created_at, updated_at) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "record update");
    sqlite3_bind_text(stmt, 1, u->txn, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, u->target, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, u->version, -1, SQLITE_STATIC);
    bind_text_or_null(stmt, 4, u->from_version);
    if (u->length >= 0)
        sqlite3_bind_int64(stmt, 5, u->length);
    else
        sqlite3_bind_null(stmt, 5);
    bind_text_or_null(stmt, 6, u->sha256);
    bind_text_or_null(stmt, 7, u->slot);
    sqlite3_bind_text(stmt, 8, u->state, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 9, u->actor ? u->actor : "slipway", -1, SQLITE_STATIC);
    bind_text_or_null(stmt, 10, u->error);
    sqlite3_bind_int64(stmt, 11, now);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        r = db_error(st, err, "record update");
    else if (ret_id)
        *ret_id = sqlite3_last_insert_rowid(st->db);
    sqlite3_finalize(stmt);
    return r;
}

int
sw_store_update_save(struct sw_store *st, const struct sw_store_update *u, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int r = 0;

    if (sqlite3_prepare_v2(st->db,
                           "UPDATE updates SET state = ?2, slot = ?3, error = ?4, "
                           "from_version = ?5, updated_at = ?6 WHERE id = ?1",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "record update");
    sqlite3_bind_int64(stmt, 1, u->id);
    sqlite3_bind_text(stmt, 2, u->state, -1, SQLITE_STATIC);
    bind_text_or_null(stmt, 3, u->slot);
    bind_text_or_null(stmt, 4, u->error);
    bind_text_or_null(stmt, 5, u->from_version);
    sqlite3_bind_int64(stmt, 6, (sqlite3_int64)time(NULL));
    if (sqlite3_step(stmt) != SQLITE_DONE)
        r = db_error(st, err, "record update");
    else if (sqlite3_changes(st->db) != 1)
        r = sw_error_set(err, SW_E_NOTFOUND, "state store '%s': no update %lld", st->path,
                         (long long)u->id);
    sqlite3_finalize(stmt);
    return r;
}

#define UPDATE_COLUMNS                                                                             \
    "id, txn, target, version, from_version, length, sha256, slot, state, actor, error, "          \
    "created_at, updated_at"

static int
update_from_row(sqlite3_stmt *stmt, struct sw_store_update *u)
{
    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(stmt, 0);
    u->txn = column_strdup(stmt, 1);
    u->target = column_strdup(stmt, 2);
    u->version = column_strdup(stmt, 3);
    u->from_version = column_strdup(stmt, 4);
    u->length = sqlite3_column_type(stmt, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(stmt, 5);
    u->sha256 = column_strdup(stmt, 6);
    u->slot = column_strdup(stmt, 7);
    u->state = column_strdup(stmt, 8);
    u->actor = column_strdup(stmt, 9);
    u->error = column_strdup(stmt, 10);
    u->created_at = sqlite3_column_int64(stmt, 11);
    u->updated_at = sqlite3_column_int64(stmt, 12);
    if (!u->txn || !u->target || !u->version || !u->state || !u->actor) {
        sw_store_update_release(u);
        return -SW_E_NOMEM;
    }
    return 0;
}

int
sw_store_update_get(struct sw_store *st, int64_t id, struct sw_store_update *ret_update,
                    struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int r;

    if (sqlite3_prepare_v2(st->db, "SELECT " UPDATE_COLUMNS " FROM updates WHERE id = ?1", -1,
                           &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "read update");
    sqlite3_bind_int64(stmt, 1, id);
    r = sqlite3_step(stmt);
    if (r == SQLITE_ROW) {
        r = update_from_row(stmt, ret_update);
        if (r < 0)
            sw_error_set(err, SW_E_NOMEM, "out of memory");
    } else if (r == SQLITE_DONE) {
        r = sw_error_set(err, SW_E_NOTFOUND, "no update %lld in the state store", (long long)id);
    } else {
        r = db_error(st, err, "read update");
    }
    sqlite3_finalize(stmt);
    return r;
}

int
sw_store_updates_list(struct sw_store *st, size_t limit, struct sw_store_update **ret_list,
                      size_t *ret_n, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    struct sw_store_update *list = NULL;
    size_t n = 0;
    int r;

    if (sqlite3_prepare_v2(st->db,
                           "SELECT " UPDATE_COLUMNS " FROM updates ORDER BY id DESC LIMIT ?1", -1,
                           &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "read updates");
    sqlite3_bind_int64(stmt, 1, limit ? (sqlite3_int64)limit : -1);
    while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct sw_store_update *nl = realloc(list, (n + 1) * sizeof(*list));
        if (!nl) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
        list = nl;
        if (update_from_row(stmt, &list[n]) < 0) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
        n++;
    }
    if (r != SQLITE_DONE) {
        r = db_error(st, err, "read updates");
        goto fail;
    }
    sqlite3_finalize(stmt);
    *ret_list = list;
    *ret_n = n;
    return 0;
fail:
    sqlite3_finalize(stmt);
    sw_store_updates_free(list, n);
    return r;
}

void
sw_store_update_release(struct sw_store_update *u)
{
    if (!u)
        return;
    free(u->txn);
    free(u->target);
    free(u->version);
    free(u->from_version);
    free(u->sha256);
    free(u->slot);
    free(u->state);
    free(u->actor);
    free(u->error);
    memset(u, 0, sizeof(*u));
}

void
sw_store_updates_free(struct sw_store_update *list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        sw_store_update_release(&list[i]);
    free(list);
}

int
sw_store_events_list(struct sw_store *st, int64_t update_id, struct sw_store_event_row **ret_list,
                     size_t *ret_n, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    struct sw_store_event_row *list = NULL;
    size_t n = 0;
    int r;

    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, at, at_ms, kind, txn, update_id, from_state, to_state, "
                           "actor, reason, detail FROM events "
                           "WHERE ?1 = 0 OR update_id = ?1 ORDER BY id",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "read events");
    sqlite3_bind_int64(stmt, 1, update_id);
    while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct sw_store_event_row *nl = realloc(list, (n + 1) * sizeof(*list)), *e;
        if (!nl) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
        list = nl;
        e = &list[n++];
        memset(e, 0, sizeof(*e));
        e->id = sqlite3_column_int64(stmt, 0);
        e->at = sqlite3_column_int64(stmt, 1);
        e->at_ms = sqlite3_column_int64(stmt, 2);
        e->kind = column_strdup(stmt, 3);
        e->txn = column_strdup(stmt, 4);
        e->update_id = sqlite3_column_int64(stmt, 5);
        e->from_state = column_strdup(stmt, 6);
        e->to_state = column_strdup(stmt, 7);
        e->actor = column_strdup(stmt, 8);
        e->reason = column_strdup(stmt, 9);
        e->detail = column_strdup(stmt, 10);
        if (!e->kind || !e->actor) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
    }
    if (r != SQLITE_DONE) {
        r = db_error(st, err, "read events");
        goto fail;
    }
    sqlite3_finalize(stmt);
    *ret_list = list;
    *ret_n = n;
    return 0;
fail:
    sqlite3_finalize(stmt);
    sw_store_events_free(list, n);
    return r;
}

void
sw_store_events_free(struct sw_store_event_row *list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++) {
        free(list[i].kind);
        free(list[i].txn);
        free(list[i].from_state);
        free(list[i].to_state);
        free(list[i].actor);
        free(list[i].reason);
        free(list[i].detail);
    }
    free(list);
}

/* --- hook phases and runs --------------------------------------------------------- */

static int
add_hook_run(struct sw_store *st, const struct sw_store_hook_phase *p, int64_t phase_id,
             const struct sw_store_hook_run *run, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int64_t run_id;
    int r = 0;

    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO hook_runs (update_id, txn, phase, hook, path, required, "
                           "attempt, status, exit_code, signal, started_at, duration_ms, output, "
                           "output_truncated, phase_id, reason, timed_out, bad_lines, "
                           "findings_dropped) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                           "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "record hook run");
    if (p->update_id > 0)
        sqlite3_bind_int64(stmt, 1, p->update_id);
    else
        sqlite3_bind_null(stmt, 1);
    bind_text_or_null(stmt, 2, p->txn);
    sqlite3_bind_text(stmt, 3, p->phase, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, run->hook, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, run->path, -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 6, run->required ? 1 : 0);
    sqlite3_bind_int(stmt, 7, run->attempts ? (int)run->attempts : 1);
    sqlite3_bind_text(stmt, 8, run->status, -1, SQLITE_STATIC);
    if (run->exit_code >= 0)
        sqlite3_bind_int(stmt, 9, run->exit_code);
    else
        sqlite3_bind_null(stmt, 9);
    if (run->signal > 0)
        sqlite3_bind_int(stmt, 10, run->signal);
    else
        sqlite3_bind_null(stmt, 10);
    sqlite3_bind_int64(stmt, 11, run->started_at ? run->started_at : (sqlite3_int64)time(NULL));
    sqlite3_bind_int64(stmt, 12, run->duration_ms);
    if (run->output)
        sqlite3_bind_blob64(stmt, 13, run->output, run->output_len, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, 13);
    sqlite3_bind_int(stmt, 14, run->output_truncated ? 1 : 0);
    sqlite3_bind_int64(stmt, 15, phase_id);
    bind_text_or_null(stmt, 16, run->reason);
    sqlite3_bind_int(stmt, 17, run->timed_out ? 1 : 0);
    bind_text_or_null(stmt, 18, run->bad_lines);
    sqlite3_bind_int64(stmt, 19, (sqlite3_int64)run->findings_dropped);
    if (sqlite3_step(stmt) != SQLITE_DONE)
        r = db_error(st, err, "record hook run");
    sqlite3_finalize(stmt);
    if (r < 0)
        return r;
    run_id = sqlite3_last_insert_rowid(st->db);
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO hook_findings (hook_run_id, check_name, status, detail) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "record hook finding");
    for (size_t i = 0; i < run->n_findings && r == 0; i++) {
        sqlite3_reset(stmt);
        sqlite3_bind_int64(stmt, 1, run_id);
        sqlite3_bind_text(stmt, 2, run->findings[i].check, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, run->findings[i].status, -1, SQLITE_STATIC);
        bind_text_or_null(stmt, 4, run->findings[i].detail);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            r = db_error(st, err, "record hook finding");
    }
    sqlite3_finalize(stmt);
    return r;
}

int
sw_store_hook_phase_add(struct sw_store *st, const struct sw_store_hook_phase *p, int64_t *ret_id,
                        struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int64_t id = 0;
    int r;

    r = sw_store_begin(st, err);
    if (r < 0)
        return r;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO hook_phases (update_id, txn, phase, slot, "
                           "slot_fingerprint, hooks_fingerprint, n_hooks, required_failed, "
                           "wanted_failed, verdict, reason, started_at_ms, duration_ms) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                           -1, &stmt, NULL) != SQLITE_OK) {
        r = db_error(st, err, "record hook phase");
        goto fail;
    }
    if (p->update_id > 0)
        sqlite3_bind_int64(stmt, 1, p->update_id);
    else
        sqlite3_bind_null(stmt, 1);
    bind_text_or_null(stmt, 2, p->txn);
    sqlite3_bind_text(stmt, 3, p->phase, -1, SQLITE_STATIC);
    bind_text_or_null(stmt, 4, p->slot);
    sqlite3_bind_text(stmt, 5, p->slot_fingerprint ? p->slot_fingerprint : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, p->hooks_fingerprint ? p->hooks_fingerprint : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 7, (sqlite3_int64)p->n_hooks);
    sqlite3_bind_int64(stmt, 8, (sqlite3_int64)p->required_failed);
    sqlite3_bind_int64(stmt, 9, (sqlite3_int64)p->wanted_failed);
    sqlite3_bind_text(stmt, 10, p->passed ? "pass" : "fail", -1, SQLITE_STATIC);
    bind_text_or_null(stmt, 11, p->reason);
    sqlite3_bind_int64(stmt, 12, p->started_at_ms);
    sqlite3_bind_int64(stmt, 13, p->duration_ms);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        r = db_error(st, err, "record hook phase");
        goto fail;
    }
    sqlite3_finalize(stmt);
    stmt = NULL;
    id = sqlite3_last_insert_rowid(st->db);
    for (size_t i = 0; i < p->n_runs; i++) {
        r = add_hook_run(st, p, id, &p->runs[i], err);
        if (r < 0)
            goto fail;
    }
    if (SW_FAULT("store-hook-phase")) {
        r = sw_error_set(err, SW_E_FAULT,
                         "state store '%s': injected fault before recording "
                         "the %s hooks",
                         st->path, p->phase);
        goto fail;
    }
    r = sw_store_commit(st, err);
    if (r < 0)
        goto fail;
    if (ret_id)
        *ret_id = id;
    return 0;
fail:
    sqlite3_finalize(stmt);
    sw_store_rollback(st);
    return r;
}

static void
hook_run_release(struct sw_store_hook_run *run)
{
    free(run->hook);
    free(run->path);
    free(run->status);
    free(run->reason);
    free(run->output);
    free(run->bad_lines);
    for (size_t i = 0; i < run->n_findings; i++) {
        free(run->findings[i].check);
        free(run->findings[i].status);
        free(run->findings[i].detail);
    }
    free(run->findings);
    memset(run, 0, sizeof(*run));
}

void
sw_store_hook_phase_release(struct sw_store_hook_phase *p)
{
    if (!p)
        return;
    free(p->txn);
    free(p->phase);
    free(p->slot);
    free(p->slot_fingerprint);
    free(p->hooks_fingerprint);
    free(p->reason);
    for (size_t i = 0; i < p->n_runs; i++)
        hook_run_release(&p->runs[i]);
    free(p->runs);
    memset(p, 0, sizeof(*p));
}

void
sw_store_hook_phases_free(struct sw_store_hook_phase *list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        sw_store_hook_phase_release(&list[i]);
    free(list);
}

static int
read_findings(struct sw_store *st, struct sw_store_hook_run *run, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int r;

    if (sqlite3_prepare_v2(st->db,
                           "SELECT check_name, status, detail FROM hook_findings "
                           "WHERE hook_run_id = ?1 ORDER BY id",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "read hook findings");
    sqlite3_bind_int64(stmt, 1, run->id);
    while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct sw_store_hook_finding *nf =
            realloc(run->findings, (run->n_findings + 1) * sizeof(*nf));
        if (!nf) {
            sqlite3_finalize(stmt);
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        }
        run->findings = nf;
        nf = &run->findings[run->n_findings++];
        nf->check = column_strdup(stmt, 0);
        nf->status = column_strdup(stmt, 1);
        nf->detail = column_strdup(stmt, 2);
        if (!nf->check || !nf->status) {
            sqlite3_finalize(stmt);
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        }
    }
    sqlite3_finalize(stmt);
    if (r != SQLITE_DONE)
        return db_error(st, err, "read hook findings");
    return 0;
}

static int
read_runs(struct sw_store *st, struct sw_store_hook_phase *p, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int r;

    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, hook, path, required, attempt, status, exit_code, signal, "
                           "started_at, duration_ms, output, output_truncated, reason, "
                           "timed_out, bad_lines, findings_dropped FROM hook_runs "
                           "WHERE phase_id = ?1 ORDER BY id",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "read hook runs");
    sqlite3_bind_int64(stmt, 1, p->id);
    while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct sw_store_hook_run *nr = realloc(p->runs, (p->n_runs + 1) * sizeof(*nr));
        const void *blob;
        int blen;
        if (!nr) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
        p->runs = nr;
        nr = &p->runs[p->n_runs++];
        memset(nr, 0, sizeof(*nr));
        nr->id = sqlite3_column_int64(stmt, 0);
        nr->hook = column_strdup(stmt, 1);
        nr->path = column_strdup(stmt, 2);
        nr->required = sqlite3_column_int(stmt, 3);
        nr->attempts = (unsigned)sqlite3_column_int(stmt, 4);
        nr->status = column_strdup(stmt, 5);
        nr->exit_code =
            sqlite3_column_type(stmt, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(stmt, 6);
        nr->signal = sqlite3_column_int(stmt, 7);
        nr->started_at = sqlite3_column_int64(stmt, 8);
        nr->duration_ms = sqlite3_column_int64(stmt, 9);
        blob = sqlite3_column_blob(stmt, 10);
        blen = sqlite3_column_bytes(stmt, 10);
        if (blob || sqlite3_column_type(stmt, 10) != SQLITE_NULL) {
            nr->output = malloc((size_t)blen + 1);
            if (!nr->output) {
                r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                goto fail;
            }
            if (blen > 0)
                memcpy(nr->output, blob, (size_t)blen);
            nr->output[blen] = '\0';
            nr->output_len = (size_t)blen;
        }
        nr->output_truncated = sqlite3_column_int(stmt, 11);
        nr->reason = column_strdup(stmt, 12);
        nr->timed_out = sqlite3_column_int(stmt, 13);
        nr->bad_lines = column_strdup(stmt, 14);
        nr->findings_dropped = (size_t)sqlite3_column_int64(stmt, 15);
        if (!nr->hook || !nr->path || !nr->status) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
        r = read_findings(st, nr, err);
        if (r < 0)
            goto fail;
    }
    if (r != SQLITE_DONE) {
        r = db_error(st, err, "read hook runs");
        goto fail;
    }
    r = 0;
fail:
    sqlite3_finalize(stmt);
    return r;
}

#define PHASE_COLUMNS                                                                              \
    "SELECT id, update_id, txn, phase, slot, slot_fingerprint, hooks_fingerprint, n_hooks, "       \
    "required_failed, wanted_failed, verdict, reason, started_at_ms, duration_ms FROM "            \
    "hook_phases "

static int
phase_from_row(sqlite3_stmt *stmt, struct sw_store_hook_phase *p)
{
    const unsigned char *verdict;
    memset(p, 0, sizeof(*p));
    p->id = sqlite3_column_int64(stmt, 0);
    p->update_id = sqlite3_column_int64(stmt, 1);
    p->txn = column_strdup(stmt, 2);
    p->phase = column_strdup(stmt, 3);
    p->slot = column_strdup(stmt, 4);
    p->slot_fingerprint = column_strdup(stmt, 5);
    p->hooks_fingerprint = column_strdup(stmt, 6);
    p->n_hooks = (size_t)sqlite3_column_int64(stmt, 7);
    p->required_failed = (size_t)sqlite3_column_int64(stmt, 8);
    p->wanted_failed = (size_t)sqlite3_column_int64(stmt, 9);
    verdict = sqlite3_column_text(stmt, 10);
    p->passed = verdict && strcmp((const char *)verdict, "pass") == 0;
    p->reason = column_strdup(stmt, 11);
    p->started_at_ms = sqlite3_column_int64(stmt, 12);
    p->duration_ms = sqlite3_column_int64(stmt, 13);
    if (!p->phase || !p->slot_fingerprint || !p->hooks_fingerprint)
        return -SW_E_NOMEM;
    return 0;
}

int
sw_store_hook_phases_list(struct sw_store *st, int64_t update_id,
                          struct sw_store_hook_phase **ret_list, size_t *ret_n,
                          struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    struct sw_store_hook_phase *list = NULL;
    size_t n = 0;
    int r;

    if (sqlite3_prepare_v2(st->db, PHASE_COLUMNS "WHERE ?1 = 0 OR update_id = ?1 ORDER BY id", -1,
                           &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "read hook phases");
    sqlite3_bind_int64(stmt, 1, update_id);
    while ((r = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct sw_store_hook_phase *nl = realloc(list, (n + 1) * sizeof(*list));
        if (!nl) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
        list = nl;
        if (phase_from_row(stmt, &list[n++]) < 0) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto fail;
        }
    }
    if (r != SQLITE_DONE) {
        r = db_error(st, err, "read hook phases");
        goto fail;
    }
    sqlite3_finalize(stmt);
    stmt = NULL;
    for (size_t i = 0; i < n; i++) {
        r = read_runs(st, &list[i], err);
        if (r < 0)
            goto fail;
    }
    *ret_list = list;
    *ret_n = n;
    return 0;
fail:
    sqlite3_finalize(stmt);
    sw_store_hook_phases_free(list, n);
    return r;
}

int
sw_store_hook_phase_latest(struct sw_store *st, int64_t update_id, const char *phase,
                           struct sw_store_hook_phase *ret_phase, struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    struct sw_store_hook_phase p;
    int r;

    memset(&p, 0, sizeof(p));
    if (sqlite3_prepare_v2(st->db,
                           PHASE_COLUMNS "WHERE update_id = ?1 AND phase = ?2 ORDER BY id DESC "
                                         "LIMIT 1",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(st, err, "read hook phase");
    sqlite3_bind_int64(stmt, 1, update_id);
    sqlite3_bind_text(stmt, 2, phase, -1, SQLITE_STATIC);
    r = sqlite3_step(stmt);
    if (r == SQLITE_DONE) {
        sqlite3_finalize(stmt);
        return sw_error_set(err, SW_E_NOTFOUND, "no %s hooks ran for update %" PRId64, phase,
                            update_id);
    }
    if (r != SQLITE_ROW) {
        r = db_error(st, err, "read hook phase");
        sqlite3_finalize(stmt);
        return r;
    }
    r = phase_from_row(stmt, &p);
    sqlite3_finalize(stmt);
    if (r < 0) {
        sw_store_hook_phase_release(&p);
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    r = read_runs(st, &p, err);
    if (r < 0) {
        sw_store_hook_phase_release(&p);
        return r;
    }
    *ret_phase = p;
    return 0;
}

/* --- hold (slipway hold / unhold) ---------------------------------------------------------- */

/*
 * A hold is three rows of settings: hold-since (Unix seconds), hold-actor
 * and hold-reason; held when hold-since is there. Setting or clearing it and
 * the event that records it are one transaction.
 */
static const char *const hold_keys[] = {"hold-since", "hold-actor", "hold-reason"};

int
sw_store_hold_get(struct sw_store *st, int *ret_held, char **ret_reason, char **ret_actor,
                  int64_t *ret_since, struct sw_error *err)
{
    char *v[3] = {NULL, NULL, NULL};
    int r = 0;

    for (size_t i = 0; i < 3 && r == 0; i++) {
        r = sw_store_setting_get(st, hold_keys[i], &v[i], err);
        if (r == -SW_E_NOTFOUND) {
            sw_error_clear(err);
            r = 0;
        }
    }
    if (r < 0)
        goto out;
    if (v[0]) {
        char *end;
        long long since = strtoll(v[0], &end, 10);
        if (*end || since < 0 || !v[1]) {
            r = sw_error_set(err, SW_E_STORE_CORRUPT, "state store '%s': the hold is malformed",
                             st->path);
            goto out;
        }
        if (ret_since)
            *ret_since = since;
    } else if (ret_since) {
        *ret_since = 0;
    }
    *ret_held = v[0] != NULL;
    if (ret_actor) {
        *ret_actor = v[0] ? v[1] : NULL;
        if (v[0])
            v[1] = NULL;
    }
    if (ret_reason) {
        *ret_reason = v[0] && v[2] && v[2][0] ? v[2] : NULL;
        if (*ret_reason)
            v[2] = NULL;
    }
out:
    for (size_t i = 0; i < 3; i++)
        free(v[i]);
    return r;
}

static int
hold_event(struct sw_store *st, const char *kind, const char *actor, const char *reason,
           struct sw_error *err)
{
    struct sw_store_event ev = {kind, NULL, 0, NULL, NULL, actor, reason, NULL};
    return sw_store_event_add(st, &ev, err);
}

int
sw_store_hold_set(struct sw_store *st, const char *actor, const char *reason, int64_t since,
                  struct sw_error *err)
{
    char since_s[24];
    int r;

    snprintf(since_s, sizeof(since_s), "%lld", (long long)since);
    if ((r = sw_store_begin(st, err)) < 0)
        return r;
    if ((r = sw_store_setting_set(st, "hold-since", since_s, err)) < 0 ||
        (r = sw_store_setting_set(st, "hold-actor", actor, err)) < 0 ||
        (r = sw_store_setting_set(st, "hold-reason", reason ? reason : "", err)) < 0 ||
        (r = hold_event(st, "hold", actor, reason, err)) < 0 || (r = sw_store_commit(st, err)) < 0)
        sw_store_rollback(st);
    return r;
}

int
sw_store_hold_clear(struct sw_store *st, const char *actor, const char *reason,
                    struct sw_error *err)
{
    sqlite3_stmt *stmt = NULL;
    int r;

    if ((r = sw_store_begin(st, err)) < 0)
        return r;
    if (sqlite3_prepare_v2(st->db, "DELETE FROM settings WHERE key IN (?1, ?2, ?3)", -1, &stmt,
                           NULL) != SQLITE_OK) {
        r = db_error(st, err, "clear the hold");
        goto fail;
    }
    for (int i = 0; i < 3; i++)
        sqlite3_bind_text(stmt, i + 1, hold_keys[i], -1, SQLITE_STATIC);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        r = db_error(st, err, "clear the hold");
        goto fail;
    }
    sqlite3_finalize(stmt);
    stmt = NULL;
    if ((r = hold_event(st, "unhold", actor, reason, err)) < 0 ||
        (r = sw_store_commit(st, err)) < 0)
        goto fail;
    return 0;
fail:
    sqlite3_finalize(stmt);
    sw_store_rollback(st);
    return r;
}
