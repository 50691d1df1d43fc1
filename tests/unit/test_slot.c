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
#include <sys/resource.h>
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
    assert_int_equal(w.fd, -1);
    assert_int_equal(w.image_length, 0);
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

/* A fake backend: slot a is active, every write op counts its calls. */
static int fake_writes;

static int
fake_info(void *state, enum sw_slot_id id, struct sw_slot_info *ret_info, struct sw_error *err)
{
    (void)state;
    (void)err;
    memset(ret_info, 0, sizeof(*ret_info));
    ret_info->id = id;
    ret_info->active = id == SW_SLOT_A;
    return 0;
}

static int
fake_prepare(void *state, enum sw_slot_id id, struct sw_error *err)
{
    (void)state;
    (void)id;
    (void)err;
    fake_writes++;
    return 0;
}

static int
fake_open_writer(void *state, enum sw_slot_id id, enum sw_slot_write_kind kind,
                 struct sw_slot_writer *ret_writer, struct sw_error *err)
{
    (void)state;
    (void)id;
    (void)kind;
    (void)ret_writer;
    (void)err;
    fake_writes++;
    return 0;
}

static int
fake_abort(void *state, enum sw_slot_id id, struct sw_slot_writer *w, struct sw_error *err)
{
    (void)state;
    (void)id;
    (void)w;
    (void)err;
    fake_writes++;
    return 0;
}

static void
test_wrapper_refuses_active(void **state)
{
    struct sw_slot_ops fake = sw_slot_dir_ops;
    struct sw_slot_backend *b = NULL;
    struct sw_slot_writer w;
    struct sw_error err = SW_ERROR_INIT;
    char *tmp = tu_tmpdir();
    struct sw_config *cfg = config_in(tmp);
    (void)state;

    fake.name = "fake";
    fake.open = fake_open;
    fake.close = free;
    fake.info = fake_info;
    fake.prepare = fake_prepare;
    fake.open_writer = fake_open_writer;
    fake.abort = fake_abort;
    assert_int_equal(sw_slot_open_ops(&fake, cfg, &b, &err), 0);
    fake_writes = 0;
    /* the wrapper refuses before the backend is asked */
    assert_int_equal(sw_slot_prepare(b, SW_SLOT_A, &err), -SW_E_SLOT);
    assert_non_null(strstr(err.msg, "refusing to prepare slot 'a': it is the active slot"));
    assert_int_equal(sw_slot_open_writer(b, SW_SLOT_A, SW_SLOT_WRITE_TREE, &w, &err), -SW_E_SLOT);
    assert_non_null(strstr(err.msg, "refusing to write to slot 'a'"));
    /* a refused abort still closes the writer it was given */
    w.kind = SW_SLOT_WRITE_TREE;
    w.dirfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    w.fd = -1;
    assert_true(w.dirfd >= 0);
    {
        int fd = w.dirfd;
        assert_int_equal(sw_slot_abort(b, SW_SLOT_A, &w, &err), -SW_E_SLOT);
        assert_int_equal(w.dirfd, -1);
        assert_int_equal(fcntl(fd, F_GETFD), -1);
    }
    assert_int_equal(fake_writes, 0);
    /* the other slot goes through */
    assert_int_equal(sw_slot_prepare(b, SW_SLOT_B, &err), 0);
    assert_int_equal(sw_slot_open_writer(b, SW_SLOT_B, SW_SLOT_WRITE_TREE, &w, &err), 0);
    assert_int_equal(sw_slot_abort(b, SW_SLOT_B, NULL, &err), 0);
    assert_int_equal(fake_writes, 3);
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

/* ---- `current` in every state ---------------------------------------- */

static void
expect_no_active(struct fx *f, const char *what)
{
    enum sw_slot_id id = SW_SLOT_COUNT;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_slot_active(f->b, &id, &err), -SW_E_SLOT);
    assert_int_equal(id, SW_SLOT_COUNT);
    if (!strstr(err.msg, what))
        fail_msg("'%s' does not say '%s'", err.msg, what);
    assert_non_null(strstr(err.msg, f->cfg->current));
}

static void
test_current_dangling(void **state)
{
    struct fx f;
    struct sw_slot_info info;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    fx_init(&f);

    /* to slot a's path while a does not exist: a counts as active all the same */
    assert_int_equal(symlink("slots/a", f.cfg->current), 0);
    expect_no_active(&f, "points to slot 'a'");
    expect_no_active(&f, "which does not exist");
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_A, &info, &err), 0);
    assert_true(info.active);
    assert_false(info.present);
    assert_int_equal(sw_slot_prepare(f.b, SW_SLOT_A, &err), -SW_E_SLOT);
    assert_int_equal(access(f.cfg->slot_a, F_OK), -1);
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_B, &info, &err), 0);
    assert_false(info.active);

    /* to an absolute path that is no slot */
    assert_int_equal(unlink(f.cfg->current), 0);
    assert_int_equal(symlink("/nonexistent/slipway-slot", f.cfg->current), 0);
    expect_no_active(&f, "is dangling");
    expect_no_active(&f, "/nonexistent/slipway-slot");
    for (int i = 0; i < SW_SLOT_COUNT; i++) {
        assert_int_equal(sw_slot_info(f.b, (enum sw_slot_id)i, &info, &err), 0);
        assert_false(info.active);
    }
    /* activate replaces a broken link */
    stage(f.b, SW_SLOT_A, "1.0");
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_A, &err), 0);
    assert_active(f.b, SW_SLOT_A);
    fx_release(&f);
}

static void
test_current_elsewhere(void **state)
{
    struct fx f;
    struct sw_slot_info info;
    struct sw_error err = SW_ERROR_INIT;
    char *other;
    (void)state;
    fx_init(&f);
    stage(f.b, SW_SLOT_A, "1.0");
    stage(f.b, SW_SLOT_B, "2.0");
    other = fx_path(&f, "elsewhere");
    assert_int_equal(mkdir(other, 0755), 0);
    assert_int_equal(symlink(other, f.cfg->current), 0);
    expect_no_active(&f, "which is neither slot 'a'");
    expect_no_active(&f, other);
    for (int i = 0; i < SW_SLOT_COUNT; i++) {
        assert_int_equal(sw_slot_info(f.b, (enum sw_slot_id)i, &info, &err), 0);
        assert_false(info.active);
        assert_true(info.complete);
    }
    /* a link into a slot is not the slot */
    assert_int_equal(unlink(f.cfg->current), 0);
    assert_int_equal(symlink("slots/a/etc", f.cfg->current), 0);
    expect_no_active(&f, "which is neither slot");
    /* the same directory by another spelling is the slot: identity decides */
    assert_int_equal(unlink(f.cfg->current), 0);
    assert_int_equal(symlink("./slots//b/", f.cfg->current), 0);
    assert_active(f.b, SW_SLOT_B);
    free(other);
    fx_release(&f);
}

static void
test_current_not_a_link(void **state)
{
    struct fx f;
    struct sw_error err = SW_ERROR_INIT;
    char *v;
    (void)state;
    fx_init(&f);
    stage(f.b, SW_SLOT_A, "1.0");

    tu_write_str(f.cfg->current, "slots/a\n");
    expect_no_active(&f, "is a regular file, not a symbolic link");
    /* activate does not overwrite what it did not make */
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_A, &err), -SW_E_SLOT);
    assert_non_null(strstr(err.msg, "is not a symbolic link"));
    v = (char *)tu_read(f.cfg->current, NULL);
    assert_string_equal(v, "slots/a\n");
    free(v);

    assert_int_equal(unlink(f.cfg->current), 0);
    assert_int_equal(mkdir(f.cfg->current, 0755), 0);
    expect_no_active(&f, "is a directory");
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_A, &err), -SW_E_SLOT);
    assert_int_equal(rmdir(f.cfg->current), 0);
    fx_release(&f);
}

static void
test_absolute_link_outside(void **state)
{
    char *dir = tu_tmpdir(), *a = tu_path(dir, "srv/a"), *b = tu_path(dir, "srv/b");
    char *cur = tu_path(dir, "run/current"), link[512];
    struct sw_config *cfg = config_in(dir);
    struct sw_slot_backend *sb = NULL;
    struct sw_error err = SW_ERROR_INIT;
    ssize_t n;
    (void)state;
    set_str(&cfg->slot_a, a);
    set_str(&cfg->slot_b, b);
    set_str(&cfg->current, cur);
    assert_int_equal(sw_slot_open(cfg, &sb, &err), 0);
    stage(sb, SW_SLOT_B, "2.0");
    assert_int_equal(sw_slot_activate(sb, SW_SLOT_B, &err), 0);
    /* the slot is not below current's directory: the link is absolute */
    n = readlink(cur, link, sizeof(link) - 1);
    assert_true(n > 0);
    link[n] = '\0';
    assert_string_equal(link, b);
    assert_active(sb, SW_SLOT_B);
    sw_slot_close(sb);
    sw_config_free(cfg);
    tu_rmtree(dir);
    free(dir);
    free(a);
    free(b);
    free(cur);
}

static void
test_parents_created(void **state)
{
    char *dir = tu_tmpdir(), *sd = tu_path(dir, "state"), *slots, *real, *srv;
    struct sw_config *cfg = config_in(sd);
    struct sw_slot_backend *sb = NULL;
    struct sw_error err = SW_ERROR_INIT;
    mode_t old = umask(077);
    struct stat st;
    (void)state;

    /* the state directory does not exist yet: it is made private, the slots 0755 */
    assert_int_equal(sw_slot_open(cfg, &sb, &err), 0);
    stage(sb, SW_SLOT_A, "1.0");
    assert_int_equal(sw_slot_activate(sb, SW_SLOT_A, &err), 0);
    umask(old);
    assert_int_equal(stat(sd, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    slots = tu_path(sd, "slots");
    assert_int_equal(stat(cfg->slot_a, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    sw_slot_close(sb);

    /* a parent that is a link is fine (only a slot itself may not be one) */
    real = tu_path(dir, "data");
    srv = tu_path(dir, "srv");
    assert_int_equal(mkdir(real, 0755), 0);
    assert_int_equal(symlink(real, srv), 0);
    free(cfg->slot_b);
    cfg->slot_b = tu_path(srv, "b");
    assert_int_equal(sw_slot_open(cfg, &sb, &err), 0);
    stage(sb, SW_SLOT_B, "2.0");
    assert_int_equal(sw_slot_activate(sb, SW_SLOT_B, &err), 0);
    assert_active(sb, SW_SLOT_B);
    assert_int_equal(sw_slot_activate(sb, SW_SLOT_A, &err), 0);
    assert_int_equal(sw_slot_prepare(sb, SW_SLOT_B, &err), 0);
    sw_slot_close(sb);
    sw_config_free(cfg);
    tu_rmtree(dir);
    free(dir);
    free(sd);
    free(slots);
    free(real);
    free(srv);
}

/* ---- configuration refusals ------------------------------------------- */

static void
expect_open_refused(const char *dir, const char *a, const char *b, const char *cur, int code,
                    const char *what)
{
    struct sw_config *cfg = config_in(dir);
    struct sw_slot_backend *sb = NULL;
    struct sw_error err = SW_ERROR_INIT;
    set_str(&cfg->slot_a, a);
    set_str(&cfg->slot_b, b);
    set_str(&cfg->current, cur);
    assert_int_equal(sw_slot_open(cfg, &sb, &err), -code);
    assert_null(sb);
    if (!strstr(err.msg, what))
        fail_msg("'%s' does not say '%s'", err.msg, what);
    sw_config_free(cfg);
}

static void
test_config_refusals(void **state)
{
    char *dir = tu_tmpdir(), *a = tu_path(dir, "a"), *b = tu_path(dir, "b");
    char *cur = tu_path(dir, "current"), *ab = tu_path(dir, "a/b"), *ac = tu_path(dir, "a/cur");
    char *curb = tu_path(dir, "current/b"), *adot = tu_path(dir, "x/../a");
    char *real = tu_path(dir, "real"), *alias = tu_path(dir, "alias");
    char *aslash = NULL;
    (void)state;
    assert_int_not_equal(asprintf(&aslash, "%s//", a), -1);

    expect_open_refused(dir, a, a, cur, SW_E_CONFIG, "are the same directory");
    expect_open_refused(dir, a, aslash, cur, SW_E_CONFIG, "are the same directory");
    expect_open_refused(dir, a, ab, cur, SW_E_CONFIG, "slot-b '");
    expect_open_refused(dir, ab, a, cur, SW_E_CONFIG, "is inside slot-b");
    expect_open_refused(dir, a, b, ac, SW_E_CONFIG, "is inside slot-a");
    expect_open_refused(dir, a, b, b, SW_E_CONFIG, "the same path as slot-b");
    expect_open_refused(dir, a, curb, cur, SW_E_CONFIG, "is under current");
    expect_open_refused(dir, adot, b, cur, SW_E_CONFIG, "without '..'");
    expect_open_refused(dir, "relative/a", b, cur, SW_E_CONFIG, "absolute path");
    expect_open_refused(dir, "/", b, cur, SW_E_CONFIG, "cannot be '/'");
    expect_open_refused(dir, a, NULL, cur, SW_E_CONFIG, "'slot-b' is not set");
    /* a slot that is a symlink, and two names of one directory */
    assert_int_equal(mkdir(real, 0755), 0);
    assert_int_equal(symlink(real, alias), 0);
    expect_open_refused(dir, alias, b, cur, SW_E_SLOT, "is a symbolic link");
    tu_write_str(b, "file");
    expect_open_refused(dir, a, b, cur, SW_E_SLOT, "is not a directory");
    assert_int_equal(unlink(b), 0);
    {
        char *inreal = tu_path(dir, "real/x"), *inalias = tu_path(dir, "alias/x");
        assert_int_equal(mkdir(inreal, 0755), 0);
        expect_open_refused(dir, inreal, inalias, cur, SW_E_CONFIG, "are the same directory");
        free(inreal);
        free(inalias);
    }
    tu_rmtree(dir);
    free(dir);
    free(a);
    free(b);
    free(cur);
    free(ab);
    free(ac);
    free(curb);
    free(adot);
    free(real);
    free(alias);
    free(aslash);
}

/* ---- marks, verification ----------------------------------------------- */

static void
test_marks(void **state)
{
    struct fx f;
    struct sw_slot_info info;
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    fx_init(&f);

    /* good is for a finished slot only; bad is always allowed */
    assert_int_equal(sw_slot_mark(f.b, SW_SLOT_A, SW_SLOT_HEALTH_GOOD, &err), -SW_E_SLOT);
    stage(f.b, SW_SLOT_A, "1.0");
    assert_int_equal(sw_slot_mark(f.b, SW_SLOT_A, SW_SLOT_HEALTH_GOOD, &err), 0);
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_A, &info, &err), 0);
    assert_int_equal(info.health, SW_SLOT_HEALTH_GOOD);
    assert_true(info.complete);
    /* marks survive reopening (they are on disk) and can be repeated */
    sw_slot_close(f.b);
    assert_int_equal(sw_slot_open(f.cfg, &f.b, &err), 0);
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_A, &info, &err), 0);
    assert_int_equal(info.health, SW_SLOT_HEALTH_GOOD);
    assert_int_equal(sw_slot_mark(f.b, SW_SLOT_A, SW_SLOT_HEALTH_GOOD, &err), 0);
    assert_int_equal(sw_slot_mark(f.b, SW_SLOT_A, SW_SLOT_HEALTH_BAD, &err), 0);
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_A, &info, &err), 0);
    assert_int_equal(info.health, SW_SLOT_HEALTH_BAD);
    /* a mark does not touch the tree, and new content starts unknown */
    assert_int_equal(count_entries(f.cfg->slot_a), 2);
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_A, &err), 0);
    assert_int_equal(sw_slot_prepare(f.b, SW_SLOT_A, &err), 0);
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_A, &info, &err), 0);
    assert_int_equal(info.health, SW_SLOT_HEALTH_UNKNOWN);
    fx_release(&f);
}

static void
test_verify_catches_changes(void **state)
{
    struct fx f;
    struct sw_slot_info info;
    struct sw_error err = SW_ERROR_INIT;
    char *aside = NULL, *sp;
    (void)state;
    fx_init(&f);
    stage(f.b, SW_SLOT_B, "2.0");
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_B, &err), 0);

    /* the directory replaced by another (same content, another inode) */
    assert_int_not_equal(asprintf(&aside, "%s.moved", f.cfg->slot_b), -1);
    assert_int_equal(rename(f.cfg->slot_b, aside), 0);
    assert_int_equal(mkdir(f.cfg->slot_b, 0755), 0);
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_B, &err), -SW_E_SLOT);
    assert_non_null(strstr(err.msg, "not the directory that was finished"));
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_B, &info, &err), 0);
    assert_false(info.complete);
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_B, &err), -SW_E_SLOT);
    /* gone */
    assert_int_equal(rmdir(f.cfg->slot_b), 0);
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_B, &err), -SW_E_SLOT);
    assert_non_null(strstr(err.msg, "is gone"));
    /* a symlink in its place */
    assert_int_equal(symlink(aside, f.cfg->slot_b), 0);
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_B, &err), -SW_E_SLOT);
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_B, &info, &err), 0);
    assert_false(info.present);
    /* prepare refuses to empty through it: the target is left alone */
    assert_int_equal(sw_slot_prepare(f.b, SW_SLOT_B, &err), -SW_E_SLOT);
    assert_int_equal(count_entries(aside), 2);
    assert_int_equal(unlink(f.cfg->slot_b), 0);
    assert_int_equal(rename(aside, f.cfg->slot_b), 0);
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_B, &err), 0);
    /* a damaged state file */
    sp = fx_path(&f, "slots/.b.slot-state");
    tu_write_str(sp, "garbage\n");
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_B, &err), -SW_E_SLOT);
    assert_non_null(strstr(err.msg, "damaged"));
    assert_int_equal(sw_slot_info(f.b, SW_SLOT_B, &info, &err), 0);
    assert_false(info.complete);
    /* prepare starts over from it */
    assert_int_equal(sw_slot_prepare(f.b, SW_SLOT_B, &err), 0);
    free(sp);
    free(aside);
    fx_release(&f);
}

/* ---- removal and leftovers -------------------------------------------- */

static void
test_leftovers_and_links_inside(void **state)
{
    struct fx f;
    struct sw_error err = SW_ERROR_INIT;
    char *outside, *victim, *slots, *old, *p, *tmpl, *foreign;
    (void)state;
    fx_init(&f);
    stage(f.b, SW_SLOT_A, "1.0");
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_A, &err), 0);

    /* something outside the slots that links inside them point to */
    outside = fx_path(&f, "outside");
    assert_int_equal(mkdir(outside, 0755), 0);
    victim = tu_path(outside, "keep");
    tu_write_str(victim, "precious");

    /* slot b holds links to the outside, also to the directory itself */
    stage(f.b, SW_SLOT_B, "2.0");
    p = tu_path(f.cfg->slot_b, "dirlink");
    assert_int_equal(symlink(outside, p), 0);
    free(p);
    p = tu_path(f.cfg->slot_b, "etc/filelink");
    assert_int_equal(symlink(victim, p), 0);
    free(p);

    /* a crash left an old tree of a and b, a temporary state file and link */
    slots = fx_path(&f, "slots");
    old = tu_path(slots, ".a.old-0123456789abcdef");
    assert_int_equal(mkdir(old, 0755), 0);
    p = tu_path(old, "link");
    assert_int_equal(symlink(outside, p), 0);
    free(p);
    p = tu_path(old, "sub");
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
    p = tu_path(old, "sub/f");
    tu_write_str(p, "x");
    free(p);
    free(old);
    old = tu_path(slots, ".b.old-00000000deadbeef");
    assert_int_equal(mkdir(old, 0755), 0);
    free(old);
    p = tu_path(slots, "..b.slot-state.tmpAbCdEf");
    tu_write_str(p, "half");
    free(p);
    tmpl = fx_path(&f, ".current.tmp-0011223344556677");
    assert_int_equal(symlink("slots/b", tmpl), 0);
    /* what is not ours is left alone */
    foreign = tu_path(slots, "unrelated");
    tu_write_str(foreign, "mine");

    assert_int_equal(sw_slot_prepare(f.b, SW_SLOT_B, &err), 0);
    assert_int_equal(count_entries(f.cfg->slot_b), 0);
    assert_int_equal(count_prefixed(slots, ".a.old-"), 0);
    assert_int_equal(count_prefixed(slots, ".b.old-"), 0);
    assert_int_equal(count_prefixed(slots, "..b.slot-state.tmp"), 0);
    assert_int_equal(access(foreign, F_OK), 0);
    /* nothing behind a link was touched */
    assert_int_equal(count_entries(outside), 1);
    p = (char *)tu_read(victim, NULL);
    assert_string_equal(p, "precious");
    free(p);
    /* the active slot is whole */
    assert_int_equal(sw_slot_verify(f.b, SW_SLOT_A, &err), 0);
    assert_int_equal(count_entries(f.cfg->slot_a), 2);

    /* the next activate removes the stale temporary link */
    assert_int_equal(lstat(tmpl, &(struct stat){0}), 0);
    stage(f.b, SW_SLOT_B, "2.1");
    assert_int_equal(sw_slot_activate(f.b, SW_SLOT_B, &err), 0);
    assert_int_equal(count_prefixed(f.dir, ".current.tmp-"), 0);
    assert_active(f.b, SW_SLOT_B);

    free(outside);
    free(victim);
    free(slots);
    free(tmpl);
    free(foreign);
    fx_release(&f);
}

static void
test_remove_deep_readonly_tree(void **state)
{
    struct fx f;
    struct sw_slot_writer w;
    struct sw_error err = SW_ERROR_INIT;
    int fd, r, depth = 1500;
    struct rlimit saved, low;
    char *slots;
    (void)state;
    fx_init(&f);

    /* deeper than the descriptors allowed below, with read-only and closed directories */
    assert_int_equal(sw_slot_prepare(f.b, SW_SLOT_B, &err), 0);
    assert_int_equal(sw_slot_open_writer(f.b, SW_SLOT_B, SW_SLOT_WRITE_TREE, &w, &err), 0);
    fd = dup(w.dirfd);
    for (int i = 0; i < depth; i++) {
        int nfd, ffd;
        assert_int_equal(mkdirat(fd, "d", 0755), 0);
        ffd = openat(fd, "f", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        assert_true(ffd >= 0);
        close(ffd);
        assert_int_equal(symlinkat("/", fd, "root-link"), 0);
        nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(nfd >= 0);
        if (i % 3 == 0)
            assert_int_equal(fchmod(fd, i % 2 ? 0555 : 0), 0);
        close(fd);
        fd = nfd;
    }
    close(fd);
    assert_int_equal(sw_slot_finish(f.b, SW_SLOT_B, &w, &err), 0);
    /* a remover holding a descriptor per level would run out of them */
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = 64;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    r = sw_slot_prepare(f.b, SW_SLOT_B, &err);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_int_equal(r, 0);
    assert_int_equal(count_entries(f.cfg->slot_b), 0);
    slots = fx_path(&f, "slots");
    assert_int_equal(count_prefixed(slots, ".b.old-"), 0);
    free(slots);
    fx_release(&f);
}

/* ---- crashes and failures at every fault point ------------------------ */

#ifdef SW_FAULT_INJECTION
/*
 * Every fault point of the dir backend's path, read from the sources so a
 * new point is covered without touching this test: those of
 * src/slot-dir.c, and those of src/fs.c (its state file is written with
 * sw_fs_write_atomic).
 */
#define MAX_POINTS 32
static char *fault_points[MAX_POINTS];
static size_t n_points;

static void
collect_points(const char *rel)
{
    char *path = tu_src_path(rel);
    char *text = (char *)tu_read(path, NULL), *p = text;
    while ((p = strstr(p, "SW_FAULT(\""))) {
        char *start = p + strlen("SW_FAULT(\""), *end = strchr(start, '"');
        assert_non_null(end);
        assert_true(n_points < MAX_POINTS);
        fault_points[n_points] = strndup(start, (size_t)(end - start));
        assert_non_null(fault_points[n_points]);
        n_points++;
        p = end;
    }
    free(text);
    free(path);
}

static void
load_points(void)
{
    size_t own;
    if (n_points)
        return;
    collect_points("src/slot-dir.c");
    own = n_points;
    collect_points("src/fs.c");
    /* prepare, finish and activate each have two: the list is really there */
    assert_true(own >= 6);
    assert_true(n_points >= own + 2);
}

enum op {
    OP_PREPARE,  /* prepare b (which holds a finished "2.0") */
    OP_STAGE,    /* prepare b, write "3.0", finish */
    OP_ACTIVATE, /* switch from a to b */
    OP_MARK,     /* mark b good */
    OP_ABORT,    /* empty b without a writer */
    OP_COUNT,
};
static const char *const op_names[] = {"prepare", "stage", "activate", "mark", "abort"};

/* The op with a fresh backend; 0 or the positive error code. */
static int
run_op(const struct sw_config *cfg, enum op op)
{
    struct sw_slot_backend *b = NULL;
    struct sw_slot_writer w;
    int r;

    if ((r = sw_slot_open(cfg, &b, NULL)) < 0)
        return -r;
    switch (op) {
    case OP_PREPARE:
        r = sw_slot_prepare(b, SW_SLOT_B, NULL);
        break;
    case OP_STAGE:
        r = sw_slot_prepare(b, SW_SLOT_B, NULL);
        if (r == 0)
            r = sw_slot_open_writer(b, SW_SLOT_B, SW_SLOT_WRITE_TREE, &w, NULL);
        if (r == 0) {
            int fd = openat(w.dirfd, "VERSION", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd < 0 || write(fd, "3.0", 3) != 3 || mkdirat(w.dirfd, "etc", 0755) < 0)
                r = -SW_E_IO;
            if (fd >= 0)
                close(fd);
            fd = openat(w.dirfd, "etc/release", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd < 0 || write(fd, "3.0", 3) != 3)
                r = -SW_E_IO;
            if (fd >= 0)
                close(fd);
            if (r == 0)
                r = sw_slot_finish(b, SW_SLOT_B, &w, NULL);
            if (w.dirfd >= 0)
                close(w.dirfd);
        }
        break;
    case OP_ACTIVATE:
        r = sw_slot_activate(b, SW_SLOT_B, NULL);
        break;
    case OP_MARK:
        r = sw_slot_mark(b, SW_SLOT_B, SW_SLOT_HEALTH_GOOD, NULL);
        break;
    case OP_ABORT:
        r = sw_slot_abort(b, SW_SLOT_B, NULL, NULL);
        break;
    case OP_COUNT:
    default:
        r = -SW_E_INTERNAL;
        break;
    }
    sw_slot_close(b);
    return r < 0 ? -r : 0;
}

/* Run op in a child with SLIPWAY_FAULT=spec; its wait status. */
static int
run_child(const struct sw_config *cfg, enum op op, const char *spec)
{
    int status = 0;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("SLIPWAY_FAULT", spec, 1);
        _exit(run_op(cfg, op));
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

/* Both files of a tree written by write_tree or run_op, equal; the version or NULL. */
static char *
whole_version(const char *slot)
{
    char *p = tu_path(slot, "VERSION"), *q = tu_path(slot, "etc/release");
    char *v = NULL, *w = NULL;
    if (access(p, F_OK) == 0 && access(q, F_OK) == 0) {
        v = (char *)tu_read(p, NULL);
        w = (char *)tu_read(q, NULL);
        if (strcmp(v, w) != 0) {
            free(v);
            v = NULL;
        }
    }
    free(w);
    free(p);
    free(q);
    return v;
}

/* The invariants after an interrupted op, then the op repeated to completion. */
static void
check_after(struct fx *f, enum op op, const char *spec)
{
    struct sw_slot_backend *b = NULL;
    struct sw_slot_info ia, ib;
    struct sw_error err = SW_ERROR_INIT;
    enum sw_slot_id active = SW_SLOT_COUNT;
    char *va, *vb, *slots;
    int r;

    assert_int_equal(sw_slot_open(f->cfg, &b, &err), 0);
    /* `current` is always a slot, the old one or the new one */
    r = sw_slot_active(b, &active, &err);
    if (r < 0)
        fail_msg("%s at %s: no active slot: %s", op_names[op], spec, err.msg);
    if (op == OP_ACTIVATE)
        assert_true(active == SW_SLOT_A || active == SW_SLOT_B);
    else
        assert_int_equal(active, SW_SLOT_A);
    /* the active slot is whole and complete */
    assert_int_equal(sw_slot_info(b, SW_SLOT_A, &ia, &err), 0);
    assert_int_equal(sw_slot_info(b, SW_SLOT_B, &ib, &err), 0);
    va = whole_version(f->cfg->slot_a);
    assert_non_null(va);
    assert_string_equal(va, "1.0");
    assert_true(ia.complete);
    /* b counts as complete only when its tree is whole: the old one or the new one */
    vb = whole_version(f->cfg->slot_b);
    if (ib.complete) {
        if (!vb)
            fail_msg("%s at %s: slot b is complete but its tree is not whole", op_names[op], spec);
        if (strcmp(vb, "2.0") != 0 && !(op == OP_STAGE && strcmp(vb, "3.0") == 0))
            fail_msg("%s at %s: slot b holds '%s'", op_names[op], spec, vb);
        assert_int_equal(sw_slot_verify(b, SW_SLOT_B, &err), 0);
    } else {
        assert_int_equal(sw_slot_verify(b, SW_SLOT_B, &err), -SW_E_SLOT);
        assert_true(op == OP_PREPARE || op == OP_STAGE || op == OP_ABORT);
    }
    if (op == OP_MARK)
        assert_true(ib.health == SW_SLOT_HEALTH_UNKNOWN || ib.health == SW_SLOT_HEALTH_GOOD);
    free(va);
    free(vb);
    sw_slot_close(b);

    /* the op repeated without a fault completes, and leaves nothing behind */
    r = run_op(f->cfg, op);
    if (r != 0)
        fail_msg("%s repeated after %s: error %d", op_names[op], spec, r);
    assert_int_equal(sw_slot_open(f->cfg, &b, &err), 0);
    assert_int_equal(sw_slot_info(b, SW_SLOT_B, &ib, &err), 0);
    vb = whole_version(f->cfg->slot_b);
    switch (op) {
    case OP_PREPARE:
    case OP_ABORT:
        assert_true(ib.present && ib.empty && !ib.complete);
        break;
    case OP_STAGE:
        assert_true(ib.complete);
        assert_string_equal(vb, "3.0");
        break;
    case OP_ACTIVATE:
        assert_active(b, SW_SLOT_B);
        break;
    case OP_MARK:
        assert_int_equal(ib.health, SW_SLOT_HEALTH_GOOD);
        break;
    case OP_COUNT:
    default:
        fail();
    }
    free(vb);
    sw_slot_close(b);
    slots = fx_path(f, "slots");
    assert_int_equal(count_prefixed(slots, ".b.old-"), 0);
    assert_int_equal(count_prefixed(slots, "..b.slot-state.tmp"), 0);
    free(slots);
    if (op == OP_ACTIVATE)
        assert_int_equal(count_prefixed(f->dir, ".current.tmp-"), 0);
}

static void
run_campaign(const char *mode)
{
    bool hit[MAX_POINTS] = {false};

    load_points();
    for (int op = 0; op < OP_COUNT; op++) {
        for (size_t p = 0; p < n_points; p++) {
            struct fx f;
            struct sw_error err = SW_ERROR_INIT;
            char spec[128];
            int status;

            fx_init(&f);
            stage(f.b, SW_SLOT_A, "1.0");
            assert_int_equal(sw_slot_activate(f.b, SW_SLOT_A, &err), 0);
            stage(f.b, SW_SLOT_B, "2.0");
            snprintf(spec, sizeof(spec), "%s:%s", fault_points[p], mode);
            status = run_child(f.cfg, (enum op)op, spec);
            if (strcmp(mode, "crash") == 0) {
                if (WIFSIGNALED(status)) {
                    assert_int_equal(WTERMSIG(status), SIGKILL);
                    hit[p] = true;
                } else {
                    /* the op does not pass this point: it completed */
                    assert_true(WIFEXITED(status));
                    assert_int_equal(WEXITSTATUS(status), 0);
                }
            } else {
                assert_true(WIFEXITED(status));
                if (WEXITSTATUS(status) == SW_E_FAULT)
                    hit[p] = true;
                else if (WEXITSTATUS(status) != 0)
                    fail_msg("%s at %s: error %d", op_names[op], spec, WEXITSTATUS(status));
            }
            check_after(&f, (enum op)op, spec);
            fx_release(&f);
        }
    }
    /* every point was reached by some op: the campaign is not vacuous */
    for (size_t p = 0; p < n_points; p++)
        if (!hit[p])
            fail_msg("fault point '%s' was never reached (%s)", fault_points[p], mode);
}
#endif

static void
test_crash_every_point(void **state)
{
    (void)state;
#ifdef SW_FAULT_INJECTION
    run_campaign("crash");
#else
    skip();
#endif
}

static void
test_fail_every_point(void **state)
{
    (void)state;
#ifdef SW_FAULT_INJECTION
    run_campaign("fail");
#else
    skip();
#endif
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_ops_version),
        cmocka_unit_test(test_wrapper_refuses_active),
        cmocka_unit_test(test_wrapper_bad_ids),
        cmocka_unit_test(test_first_install_nothing_active),
        cmocka_unit_test(test_full_cycle),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_abort_empties),
        cmocka_unit_test(test_current_dangling),
        cmocka_unit_test(test_current_elsewhere),
        cmocka_unit_test(test_current_not_a_link),
        cmocka_unit_test(test_absolute_link_outside),
        cmocka_unit_test(test_parents_created),
        cmocka_unit_test(test_config_refusals),
        cmocka_unit_test(test_marks),
        cmocka_unit_test(test_verify_catches_changes),
        cmocka_unit_test(test_leftovers_and_links_inside),
        cmocka_unit_test(test_remove_deep_readonly_tree),
        cmocka_unit_test(test_crash_every_point),
        cmocka_unit_test(test_fail_every_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
