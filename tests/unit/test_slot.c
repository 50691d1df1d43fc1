/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the slot module: the registry and the wrappers' checks
 * (unknown backend, wrong ops version, writing to the active slot), and the
 * `dir` backend in a temporary directory: the full A/B cycle, refusals,
 * every state of `current`, configuration refusals, health marks, cleanup
 * of what a crash leaves, and a crash or failure at every fault point
 * leaving the old state or the new, never neither, with the op repeatable.
 */
#include "testutil.h"

#include "slot-int.h"
#include <slipway/config.h>
#include <slipway/slot.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- fixtures ----------------------------------------------------------- */

struct fx {
    char *dir;
    struct sw_config *cfg;
    struct sw_slot_backend *b;
};

static void
set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = v ? strdup(v) : NULL;
    if (v)
        assert_non_null(*dst);
}

static struct sw_config *
config_in(const char *dir)
{
    struct sw_config *cfg = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_config_defaults(&cfg, &err), 0);
    assert_int_equal(sw_config_set_state_dir(cfg, dir, &err), 0);
    return cfg;
}

static void
fx_init(struct fx *f)
{
    struct sw_error err = SW_ERROR_INIT;
    f->dir = tu_tmpdir();
    f->cfg = config_in(f->dir);
    f->b = NULL;
    assert_int_equal(sw_slot_open(f->cfg, &f->b, &err), 0);
}

static void
chmod_tree_writable(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    if (!d)
        return;
    chmod(path, 0700);
    while ((e = readdir(d))) {
        struct stat st;
        char *p;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        p = tu_path(path, e->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            chmod_tree_writable(p);
        free(p);
    }
    closedir(d);
}

static void
fx_release(struct fx *f)
{
    sw_slot_close(f->b);
    sw_config_free(f->cfg);
    chmod_tree_writable(f->dir);
    tu_rmtree(f->dir);
    free(f->dir);
}

static char *
fx_path(const struct fx *f, const char *rel)
{
    return tu_path(f->dir, rel);
}

static int
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Entries of dir whose name starts with prefix. */
static int
count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

/* Write a small tree (version text in two files, one in a subdirectory) through a writer. */
static void
write_tree(const struct sw_slot_writer *w, const char *version)
{
    int fd;
    assert_int_equal(w->kind, SW_SLOT_WRITE_TREE);
    assert_true(w->dirfd >= 0);
    fd = openat(w->dirfd, "VERSION", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, version, strlen(version)), (ssize_t)strlen(version));
    close(fd);
    assert_int_equal(mkdirat(w->dirfd, "etc", 0755), 0);
    fd = openat(w->dirfd, "etc/release", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, version, strlen(version)), (ssize_t)strlen(version));
    close(fd);
    assert_int_equal(symlinkat("../VERSION", w->dirfd, "etc/version-link"), 0);
}

/* prepare, write, finish slot id holding version. */
static void
stage(struct sw_slot_backend *b, enum sw_slot_id id, const char *version)
{
    struct sw_slot_writer w;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_slot_prepare(b, id, &err), 0);
    assert_int_equal(sw_slot_open_writer(b, id, SW_SLOT_WRITE_TREE, &w, &err), 0);
    write_tree(&w, version);
    assert_int_equal(sw_slot_finish(b, id, &w, &err), 0);
    assert_int_equal(w.dirfd, -1);
}

/* The version a slot directory holds, or NULL when VERSION is missing. Caller frees. */
static char *
slot_version(const struct fx *f, enum sw_slot_id id)
{
    char *p = tu_path(id == SW_SLOT_A ? f->cfg->slot_a : f->cfg->slot_b, "VERSION");
    char *v = NULL;
    if (access(p, F_OK) == 0)
        v = (char *)tu_read(p, NULL);
    free(p);
    return v;
}

/* The version `current` serves, or NULL. */
static char *
current_version(const struct fx *f)
{
    char *p = tu_path(f->cfg->current, "VERSION");
    char *v = NULL;
    if (access(p, F_OK) == 0)
        v = (char *)tu_read(p, NULL);
    free(p);
    return v;
}

static void
assert_active(struct sw_slot_backend *b, enum sw_slot_id want)
{
    enum sw_slot_id got = SW_SLOT_COUNT;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_slot_active(b, &got, &err), 0);
    assert_int_equal(got, want);
}

/* ---- registry and wrappers -------------------------------------------- */

static void
test_ids(void **state)
{
    enum sw_slot_id id;
    (void)state;
    assert_string_equal(sw_slot_id_to_string(SW_SLOT_A), "a");
    assert_string_equal(sw_slot_id_to_string(SW_SLOT_B), "b");
    assert_null(sw_slot_id_to_string((enum sw_slot_id)2));
    assert_int_equal(sw_slot_id_from_string("b", &id), 0);
    assert_int_equal(id, SW_SLOT_B);
    assert_int_equal(sw_slot_id_from_string("a", &id), 0);
    assert_int_equal(id, SW_SLOT_A);
    assert_int_equal(sw_slot_id_from_string("c", &id), -SW_E_INVAL);
    assert_int_equal(sw_slot_id_from_string("A", &id), -SW_E_INVAL);
    assert_int_equal(sw_slot_id_from_string(NULL, &id), -SW_E_INVAL);
    assert_int_equal(sw_slot_other(SW_SLOT_A), SW_SLOT_B);
    assert_int_equal(sw_slot_other(SW_SLOT_B), SW_SLOT_A);
}

static void
test_registry(void **state)
{
    const struct sw_slot_ops *const *all = sw_slot_ops_all();
    const struct sw_slot_ops *dir = sw_slot_ops_find("dir");
    struct sw_slot_backend *b = NULL;
    struct sw_error err = SW_ERROR_INIT;
    char *tmp = tu_tmpdir();
    struct sw_config *cfg = config_in(tmp);
    size_t n = 0;
    (void)state;

    assert_non_null(dir);
    assert_string_equal(dir->name, "dir");
    assert_int_equal(dir->version, SW_SLOT_OPS_VERSION);
    assert_null(sw_slot_ops_find("block"));
    assert_null(sw_slot_ops_find("DIR"));
    assert_null(sw_slot_ops_find(""));
    assert_null(sw_slot_ops_find(NULL));
    while (all[n])
        n++;
    assert_int_equal(n, 1);
    assert_ptr_equal(all[0], dir);

    /* the configuration's name chooses the backend */
    assert_int_equal(sw_slot_open(cfg, &b, &err), 0);
    assert_ptr_equal(sw_slot_backend_ops(b), dir);
    sw_slot_close(b);
    b = NULL;
    set_str(&cfg->slot_backend, "block");
    assert_int_equal(sw_slot_open(cfg, &b, &err), -SW_E_UNSUPPORTED);
    assert_null(b);
    assert_non_null(strstr(err.msg, "unknown slot backend 'block'"));
    sw_slot_close(NULL);
    sw_config_free(cfg);
    tu_rmtree(tmp);
    free(tmp);
}

static int fake_opened;

static int
fake_open(const struct sw_config *cfg, void **ret_state, struct sw_error *err)
{
    (void)cfg;
    (void)err;
    fake_opened++;
    *ret_state = NULL;
    return 0;
}

static void
test_ops_version(void **state)
{
    struct sw_slot_ops v2 = sw_slot_dir_ops, partial = sw_slot_dir_ops, ok = sw_slot_dir_ops;
    struct sw_slot_backend *b = NULL;
    struct sw_error err = SW_ERROR_INIT;
    char *tmp = tu_tmpdir();
    struct sw_config *cfg = config_in(tmp);
    (void)state;

    v2.version = 2;
    v2.name = "future";
    v2.open = fake_open;
    fake_opened = 0;
    assert_int_equal(sw_slot_open_ops(&v2, cfg, &b, &err), -SW_E_UNSUPPORTED);
    assert_null(b);
    assert_int_equal(fake_opened, 0); /* refused before the backend runs */
    assert_non_null(strstr(err.msg, "'future' has operations version 2"));
    v2.version = 0;
    assert_int_equal(sw_slot_open_ops(&v2, cfg, &b, &err), -SW_E_UNSUPPORTED);

    partial.mark = NULL;
    assert_int_equal(sw_slot_open_ops(&partial, cfg, &b, &err), -SW_E_INTERNAL);
    assert_non_null(strstr(err.msg, "lacks an operation"));
    assert_null(b);

    ok.open = fake_open;
    ok.close = free;
    assert_int_equal(sw_slot_open_ops(&ok, cfg, &b, &err), 0);
    assert_int_equal(fake_opened, 1);
    sw_slot_close(b);
    sw_config_free(cfg);
    tu_rmtree(tmp);
    free(tmp);
}

static void
test_wrapper_bad_ids(void **state)
{
    struct fx f;
    struct sw_slot_info info;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    fx_init(&f);
    assert_int_equal(sw_slot_info(f.b, (enum sw_slot_id)2, &info, &err), -SW_E_INVAL);
    assert_int_equal(sw_slot_prepare(f.b, (enum sw_slot_id) - 1, &err), -SW_E_INVAL);
    assert_int_equal(sw_slot_activate(f.b, (enum sw_slot_id)7, &err), -SW_E_INVAL);
    assert_int_equal(sw_slot_mark(f.b, SW_SLOT_A, (enum sw_slot_health)9, &err), -SW_E_INVAL);
    fx_release(&f);
}

/* ---- the dir backend: the cycle ---------------------------------------- */

static void
test_first_install_nothing_active(void **state)
{
    struct fx f;
    struct sw_slot_info info;
    enum sw_slot_id id = SW_SLOT_B;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    fx_init(&f);
    assert_int_equal(sw_slot_active(f.b, &id, &err), -SW_E_SLOT);
    assert_int_equal(id, SW_SLOT_B); /* ret_ untouched on failure */
    assert_non_null(strstr(err.msg, "no slot is active"));
    assert_non_null(strstr(err.msg, f.cfg->current));
    assert_non_null(strstr(err.msg, "does not exist"));
    for (int i = 0; i < SW_SLOT_COUNT; i++) {
        assert_int_equal(sw_slot_info(f.b, (enum sw_slot_id)i, &info, &err), 0);
        assert_false(info.present);
        assert_true(info.empty);
        assert_false(info.complete);
        assert_false(info.active);
        assert_false(info.next_boot);
        assert_int_equal(info.health, SW_SLOT_HEALTH_UNKNOWN);
    }
    /* opening the backend created nothing */
    assert_int_equal(count_entries(f.dir), 0);
    fx_release(&f);
}

static void
test_full_cycle(void **state)
{
    struct fx f;
    struct sw_slot_info info;
    struct sw_error err = SW_ERROR_INIT;
    struct stat st;
    char *v, link[256];
    ssize_t n;
    (void)state;
    fx_init(&f);

    /* first install into a, switch to it */
    assert_int_equal(sw_slot_prepare(f.b, SW_SLOT_A, &err), 0);
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_A, &info, &err), 0);
    assert_true(info.present);
    assert_true(info.empty);
    assert_false(info.complete);
    assert_string_equal(info.path, f.cfg->slot_a);
    assert_int_equal(stat(f.cfg->slot_a, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    stage(f.b, SW_SLOT_A, "1.0");
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_A, &err), 0);
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_A, &info, &err), 0);
    assert_true(info.complete);
    assert_false(info.empty);
    assert_false(info.active);
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_A, &err), 0);
    assert_active(f.b, SW_SLOT_A);
    v = current_version(&f);
    assert_string_equal(v, "1.0");
    free(v);
    /* the link is relative to current's directory in the default layout */
    n = readlink(f.cfg->current, link, sizeof(link) - 1);
    assert_true(n > 0);
    link[n] = '\0';
    assert_string_equal(link, "slots/a");
    /* the tree holds exactly what was written: backend state lives beside it */
    assert_int_equal(count_entries(f.cfg->slot_a), 2);
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_A, &info, &err), 0);
    assert_true(info.active);
    assert_true(info.next_boot);
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_B, &info, &err), 0);
    assert_false(info.active);

    /* the update into b */
    stage(f.b, SW_SLOT_B, "2.0");
    assert_active(f.b, SW_SLOT_A); /* staging does not switch */
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_B, &err), 0);
    assert_active(f.b, SW_SLOT_B);
    v = current_version(&f);
    assert_string_equal(v, "2.0");
    free(v);
    /* activating again is a no-op that succeeds */
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_B, &err), 0);
    assert_active(f.b, SW_SLOT_B);

    /* rollback: a is still complete, one switch back */
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_A, &err), 0);
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_A, &err), 0);
    assert_active(f.b, SW_SLOT_A);
    v = current_version(&f);
    assert_string_equal(v, "1.0");
    free(v);
    v = slot_version(&f, SW_SLOT_B);
    assert_string_equal(v, "2.0");
    free(v);

    /* a third version replaces b's tree; nothing of the old one stays */
    stage(f.b, SW_SLOT_B, "3.0");
    v = slot_version(&f, SW_SLOT_B);
    assert_string_equal(v, "3.0");
    free(v);
    assert_int_equal(count_entries(f.cfg->slot_b), 2);
    {
        char *slots = fx_path(&f, "slots");
        /* a, b and their two state files; no .old trees left */
        assert_int_equal(count_entries(slots), 4);
        assert_int_equal(count_prefixed(slots, ".b.old-"), 0);
        free(slots);
    }
    assert_int_equal(count_prefixed(f.dir, ".current.tmp-"), 0);
    fx_release(&f);
}

static void
test_refusals(void **state)
{
    struct fx f;
    struct sw_slot_writer w;
    struct sw_error err = SW_ERROR_INIT;
    char *v, *p;
    (void)state;
    fx_init(&f);

    /* activate a slot never written */
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_A, &err), -SW_E_SLOT);
    assert_non_null(strstr(err.msg, "no finished tree"));
    assert_int_equal(access(f.cfg->current, F_OK), -1);
    /* a writer before prepare */
    assert_int_equal(sw_slot_open_writer(f.b, SW_SLOT_A, SW_SLOT_WRITE_TREE, &w, &err), -SW_E_SLOT);
    assert_non_null(strstr(err.msg, "prepare it first"));

    stage(f.b, SW_SLOT_A, "1.0");
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_A, &err), 0);

    /* the active slot is never prepared, written or emptied, by the wrapper ... */
    assert_int_equal(sw_slot_prepare(f.b, SW_SLOT_A, &err), -SW_E_SLOT);
    assert_non_null(strstr(err.msg, "it is the active slot"));
    assert_int_equal(sw_slot_open_writer(f.b, SW_SLOT_A, SW_SLOT_WRITE_TREE, &w, &err), -SW_E_SLOT);
    assert_int_equal(sw_slot_abort(f.b, SW_SLOT_A, NULL, &err), -SW_E_SLOT);
    /* ... nor by the backend called directly */
    {
        void *st = NULL;
        assert_int_equal(sw_slot_dir_ops.open(f.cfg, &st, &err), 0);
        assert_int_equal(sw_slot_dir_ops.prepare(st, SW_SLOT_A, &err), -SW_E_SLOT);
        assert_int_equal(sw_slot_dir_ops.abort(st, SW_SLOT_A, NULL, &err), -SW_E_SLOT);
        sw_slot_dir_ops.close(st);
    }
    v = slot_version(&f, SW_SLOT_A);
    assert_string_equal(v, "1.0");
    free(v);
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_A, &err), 0);

    /* images are the block backend's */
    assert_int_equal(sw_slot_prepare(f.b, SW_SLOT_B, &err), 0);
    assert_int_equal(sw_slot_open_writer(f.b, SW_SLOT_B, SW_SLOT_WRITE_IMAGE, &w, &err),
                     -SW_E_UNSUPPORTED);
    /* a slot that is not empty is not written to */
    p = tu_path(f.cfg->slot_b, "stray");
    tu_write_str(p, "x");
    assert_int_equal(sw_slot_open_writer(f.b, SW_SLOT_B, SW_SLOT_WRITE_TREE, &w, &err), -SW_E_SLOT);
    assert_non_null(strstr(err.msg, "not empty"));
    free(p);
    /* a prepared but unfinished slot does not verify and is not activated */
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_B, &err), -SW_E_SLOT);
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_B, &err), -SW_E_SLOT);
    assert_active(f.b, SW_SLOT_A);
    /* a finished slot needs prepare before a new writer */
    stage(f.b, SW_SLOT_B, "2.0");
    assert_int_equal(sw_slot_open_writer(f.b, SW_SLOT_B, SW_SLOT_WRITE_TREE, &w, &err), -SW_E_SLOT);
    assert_non_null(strstr(err.msg, "finished"));
    fx_release(&f);
}

static void
test_abort_empties(void **state)
{
    struct fx f;
    struct sw_slot_writer w;
    struct sw_slot_info info;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    fx_init(&f);

    assert_int_equal(sw_slot_prepare(f.b, SW_SLOT_B, &err), 0);
    assert_int_equal(sw_slot_open_writer(f.b, SW_SLOT_B, SW_SLOT_WRITE_TREE, &w, &err), 0);
    write_tree(&w, "bad");
    assert_int_equal(sw_slot_abort(f.b, SW_SLOT_B, &w, &err), 0);
    assert_int_equal(w.dirfd, -1);
    assert_int_equal(count_entries(f.cfg->slot_b), 0);
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_B, &info, &err), 0);
    assert_true(info.present);
    assert_true(info.empty);
    assert_false(info.complete);
    /* abort without a writer (after a crash) empties a finished slot too */
    stage(f.b, SW_SLOT_B, "2.0");
    assert_int_equal(sw_slot_abort(f.b, SW_SLOT_B, NULL, &err), 0);
    assert_int_equal(count_entries(f.cfg->slot_b), 0);
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_B, &err), -SW_E_SLOT);
    /* and it may be repeated */
    assert_int_equal(sw_slot_abort(f.b, SW_SLOT_B, NULL, &err), 0);
    fx_release(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_ops_version),
        cmocka_unit_test(test_wrapper_bad_ids),
        cmocka_unit_test(test_first_install_nothing_active),
        cmocka_unit_test(test_full_cycle),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_abort_empties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
