/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the trust module over the shared vectors (made by
 * python-tuf) read through a file:// mirror: pinning a root (and refusing
 * bad ones), what the metadata directory and the store hold afterwards,
 * target search through delegations, downloads that are kept or refused,
 * role file names, and the freeze floor of the clock.
 */
#include "testutil.h"

#include <slipway/config.h>
#include <slipway/fetch.h>
#include <slipway/fs.h>
#include <slipway/store.h>
#include <slipway/trust.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 2050-01-01T00:00:00Z: the vectors expire in 2099 (but expired-timestamp) */
#define NOW ((time_t)2524608000)

struct fx {
    char *tmp;
    char *md;     /* tmp/md */
    char *state;  /* tmp/state */
    char *vector; /* tests/vectors/tuf/NAME */
    struct sw_fetch *fetch;
    struct sw_store *store;
    struct sw_trust *t;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->tmp = tu_tmpdir();
    f->md = tu_path(f->tmp, "md");
    f->state = tu_path(f->tmp, "state");
    assert_int_equal(mkdir(f->md, 0700), 0);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    sw_trust_free(f->t);
    sw_fetch_free(f->fetch);
    sw_store_close(f->store);
    tu_rmtree(f->tmp);
    free(f->tmp);
    free(f->md);
    free(f->state);
    free(f->vector);
    free(f);
    return 0;
}

static unsigned char *
vector_file(struct fx *f, const char *rel, size_t *len)
{
    char *p = tu_path(f->vector, rel);
    unsigned char *b = tu_read(p, len);
    free(p);
    return b;
}

/* Pin the vector's 1.root.json and open a trust over a file:// mirror of it. */
static unsigned walk_cap; /* max_walk_roles of the next open_vector (0: default) */

static void
open_vector(struct fx *f, const char *name, int with_store)
{
    struct sw_mirror m;
    struct sw_fetch_settings s;
    struct sw_trust_config tc;
    struct sw_error err = SW_ERROR_INIT;
    char *abs, *murl, *turl, *rel;
    unsigned char *root;
    size_t len;

    assert_true(asprintf(&rel, "tests/vectors/tuf/%s", name) > 0);
    f->vector = tu_src_path(rel);
    free(rel);
    abs = realpath(f->vector, NULL);
    assert_non_null(abs);
    assert_true(asprintf(&murl, "file://%s/metadata/", abs) > 0);
    assert_true(asprintf(&turl, "file://%s/targets/", abs) > 0);
    free(abs);
    memset(&m, 0, sizeof(m));
    m.name = (char *)"vec";
    m.metadata_url = murl;
    m.targets_url = turl;
    memset(&s, 0, sizeof(s));
    s.backoff_ms = 1;
    s.backoff_max_ms = 1;
    if (sw_fetch_new(&m, 1, &s, &f->fetch, &err) != 0)
        fail_msg("%s", err.msg);
    free(murl);
    free(turl);
    if (with_store)
        assert_int_equal(sw_store_open(f->state, SW_STORE_CREATE, &f->store, NULL), 0);
    root = vector_file(f, "metadata/1.root.json", &len);
    if (sw_trust_install_root(f->md, f->store, root, len, 0, 1, NOW, &err) != 0)
        fail_msg("%s", err.msg);
    free(root);
    memset(&tc, 0, sizeof(tc));
    tc.metadata_dir = f->md;
    tc.store = f->store;
    tc.fetch = f->fetch;
    tc.max_root_size = 512 * 1024;
    tc.max_timestamp_size = 16 * 1024;
    tc.max_metadata_size = 1024 * 1024;
    tc.max_walk_roles = walk_cap;
    if (sw_trust_open(&tc, &f->t, &err) != 0)
        fail_msg("%s", err.msg);
}

static int
md_has(struct fx *f, const char *name)
{
    char *p = tu_path(f->md, name);
    int r = access(p, F_OK) == 0;
    free(p);
    return r;
}

static void
test_refresh_basic(void **state)
{
    struct fx *f = *state;
    struct sw_trust_report rep;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_store_meta m;
    unsigned char *kept, *served;
    size_t kl, sl;

    open_vector(f, "basic-ed25519", 1);
    if (sw_trust_refresh(f->t, NOW, &rep, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(rep.n_changes, 3);
    assert_string_equal(rep.changes[0].role, "timestamp");
    assert_int_equal(rep.changes[0].old_version, 0);
    assert_int_equal(rep.changes[0].new_version, 1);
    /* kept exactly as served */
    {
        char *p = tu_path(f->md, "snapshot.json");
        kept = tu_read(p, &kl);
        free(p);
    }
    served = vector_file(f, "metadata/1.snapshot.json", &sl);
    assert_int_equal(kl, sl);
    assert_memory_equal(kept, served, kl);
    free(kept);
    free(served);
    /* and recorded */
    assert_int_equal(sw_store_meta_get(f->store, "targets", &m, NULL), 0);
    assert_int_equal(m.version, 1);
    assert_string_equal(m.expires, "2099-01-01T00:00:00Z");
    sw_store_meta_release(&m);

    /* nothing new: the timestamp is the same */
    if (sw_trust_refresh(f->t, NOW, &rep, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(rep.n_changes, 0);
    assert_int_equal(rep.timestamp_unchanged, 1);
    /* two requests: the probe for root 2 and the timestamp */
    assert_int_equal(rep.requests, 2);
}

static void
test_find_and_download(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    const struct sw_md_fileinfo *info = NULL;
    const char *role = NULL;
    char *dest = tu_path(f->tmp, "out.bin");
    unsigned char *got;
    int cached = -1;
    unsigned before;

    open_vector(f, "basic-ed25519", 0);
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), 0);
    assert_int_equal(sw_trust_find_target(f->t, "sub/dir/notes.txt", &info, &role, &err), 0);
    assert_string_equal(role, "targets");
    assert_int_equal(info->length, 6);
    assert_int_equal(sw_trust_find_target(f->t, "nope", &info, &role, &err), -SW_E_NOTFOUND);
    assert_non_null(strstr(err.msg, "'nope'"));
    assert_int_equal(sw_trust_find_target(f->t, "app-1.0.0.tar.gz", &info, &role, &err), 0);
    if (sw_trust_download_target(f->t, "app-1.0.0.tar.gz", info, dest, &cached, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(cached, 0);
    got = tu_read(dest, NULL);
    assert_string_equal((char *)got, "bundle one\n");
    free(got);
    before = sw_trust_requests(f->t);
    assert_int_equal(sw_trust_download_target(f->t, "app-1.0.0.tar.gz", info, dest, &cached, &err),
                     0);
    assert_int_equal(cached, 1);
    assert_int_equal(sw_trust_requests(f->t), before);
    /* a changed file is fetched again and replaced */
    tu_write_str(dest, "bundle two\n");
    assert_int_equal(sw_trust_download_target(f->t, "app-1.0.0.tar.gz", info, dest, &cached, &err),
                     0);
    assert_int_equal(cached, 0);
    got = tu_read(dest, NULL);
    assert_string_equal((char *)got, "bundle one\n");
    free(got);
    free(dest);
}

static void
test_bad_target_hash(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    const struct sw_md_fileinfo *info = NULL;
    char *dest = tu_path(f->tmp, "out.bin"), *part = tu_path(f->tmp, "out.bin%part");

    open_vector(f, "bad-target-hash", 0);
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), 0);
    assert_int_equal(sw_trust_find_target(f->t, "app-1.0.0.tar.gz", &info, NULL, &err), 0);
    assert_int_equal(sw_trust_download_target(f->t, "app-1.0.0.tar.gz", info, dest, NULL, &err),
                     -SW_E_HASH);
    assert_non_null(strstr(err.msg, "sha256"));
    assert_int_equal(access(dest, F_OK), -1);
    assert_int_equal(access(part, F_OK), -1);
    free(dest);
    free(part);
}

static void
test_delegations(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    const struct sw_md_fileinfo *info = NULL;
    const char *role = NULL;
    char **paths = NULL;
    struct sw_trust_skip *skips = NULL;
    size_t n_skips = 0;
    size_t n = 0;

    open_vector(f, "delegations", 0);
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), 0);
    assert_false(md_has(f, "apps.json"));
    assert_int_equal(sw_trust_find_target(f->t, "apps/edge-1.0.tar.gz", &info, &role, &err), 0);
    assert_string_equal(role, "apps-edge");
    /* only the roles on the way were fetched and kept */
    assert_true(md_has(f, "apps.json"));
    assert_true(md_has(f, "apps-edge.json"));
    assert_false(md_has(f, "bins.json"));
    /* sha256("pkg3.bin") starts 0060, of "pkg0.bin" feae (Python's hashlib) */
    assert_int_equal(sw_trust_find_target(f->t, "pkg3.bin", &info, &role, &err), 0);
    assert_string_equal(role, "bins");
    assert_int_equal(sw_trust_find_target(f->t, "pkg0.bin", &info, &role, &err), 0);
    assert_string_equal(role, "bins-rest");
    /* the pattern apps-star does not cover a path with another slash */
    assert_int_equal(sw_trust_find_target(f->t, "apps/x/edge-1.0.tar.gz", &info, &role, &err),
                     -SW_E_NOTFOUND);
    /* every path any role lists: apps 1, apps-edge 1, bins 7, bins-rest 1 */
    assert_int_equal(sw_trust_list_paths(f->t, &paths, &n, &skips, &n_skips, &err), 0);
    assert_int_equal(n_skips, 0);
    assert_null(skips);
    assert_int_equal(n, 10);
    assert_string_equal(paths[0], "apps/core-2.0.tar.gz");
    assert_string_equal(paths[2], "pkg0.bin");
    assert_string_equal(paths[9], "pkg7.bin");
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

static void
test_failures_keep_nothing_unverified(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;

    open_vector(f, "bad-threshold", 0);
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), -SW_E_SIGNATURE);
    assert_non_null(strstr(err.msg, "role 'snapshot': 1 of 2 required signatures"));
    assert_true(md_has(f, "timestamp.json"));
    assert_false(md_has(f, "snapshot.json"));
    assert_false(md_has(f, "targets.json"));
}

static void
test_expired_timestamp(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;

    open_vector(f, "expired-timestamp", 0);
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), -SW_E_EXPIRED);
    assert_non_null(strstr(err.msg, "expired at 2020-01-01T00:00:00Z"));
    assert_false(md_has(f, "timestamp.json"));
    /* before its expiry, the same timestamp is accepted */
    assert_int_equal(sw_trust_refresh(f->t, (time_t)1500000000, NULL, &err), 0);
}

static void
test_root_rotation(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_trust_report rep;

    open_vector(f, "root-rotation", 1);
    assert_int_equal(sw_trust_refresh(f->t, NOW, &rep, &err), 0);
    assert_int_equal(sw_md_version(sw_trust_root(f->t)), 3);
    assert_string_equal(rep.changes[0].role, "root");
    assert_int_equal(rep.changes[0].old_version, 1);
    assert_int_equal(rep.changes[0].new_version, 3);
}

static void
test_install_root_checks(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    unsigned char *root;
    size_t len;
    char *p;

    f->vector = tu_src_path("tests/vectors/tuf/basic-ed25519");
    root = vector_file(f, "metadata/1.root.json", &len);
    /* expired at the time given */
    assert_int_equal(
        sw_trust_install_root(f->md, NULL, root, len, 0, 1, (time_t)4102444800 + 1, &err),
        -SW_E_EXPIRED);
    assert_false(md_has(f, "root.json"));
    /* not self-signed any more: one byte of "signed" changed */
    {
        unsigned char *bad = malloc(len);
        char *pos;
        memcpy(bad, root, len);
        pos = strstr((char *)bad, "\"version\": 1");
        assert_non_null(pos);
        pos[11] = '2';
        assert_true(sw_trust_install_root(f->md, NULL, bad, len, 0, 1, NOW, &err) < 0);
        assert_non_null(strstr(err.msg, "its own root threshold"));
        free(bad);
    }
    /* not a root at all */
    {
        size_t tl;
        unsigned char *ts = vector_file(f, "metadata/timestamp.json", &tl);
        assert_int_equal(sw_trust_install_root(f->md, NULL, ts, tl, 0, 1, NOW, &err),
                         -SW_E_METADATA);
        free(ts);
    }
    assert_false(md_has(f, "root.json"));
    assert_int_equal(sw_trust_install_root(f->md, NULL, root, len, 0, 1, NOW, &err), 0);
    assert_int_equal(sw_trust_install_root(f->md, NULL, root, len, 0, 1, NOW, &err), -SW_E_EXISTS);
    assert_non_null(strstr(err.msg, "--force"));
    /* --force forgets other trusted roles */
    p = tu_path(f->md, "timestamp.json");
    tu_write_str(p, "{}");
    free(p);
    assert_int_equal(sw_trust_install_root(f->md, NULL, root, len, 1, 1, NOW, &err), 0);
    assert_false(md_has(f, "timestamp.json"));
    free(root);
}

static void
test_open_needs_a_good_root(void **state)
{
    struct fx *f = *state;
    struct sw_trust_config tc;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_trust *t = NULL;
    char *p;

    memset(&tc, 0, sizeof(tc));
    tc.metadata_dir = f->md;
    tc.max_root_size = 512 * 1024;
    assert_int_equal(sw_trust_open(&tc, &t, &err), -SW_E_TRUST_NOROOT);
    assert_non_null(strstr(err.msg, "slipway init --root"));
    p = tu_path(f->md, "root.json");
    tu_write_str(p, "{\"signed\": {}, \"signatures\": []}");
    assert_int_equal(sw_trust_open(&tc, &t, &err), -SW_E_TRUST);
    assert_non_null(strstr(err.msg, "damaged"));
    assert_null(t);
    free(p);
}

static void
test_role_filenames(void **state)
{
    static const struct {
        const char *role, *file;
    } cases[] = {
        /* expected: urllib.parse.quote(role, safe="") + ".json" */
        {"targets", "targets.json"},
        {"../x", "..%2Fx.json"},
        {"a/b", "a%2Fb.json"},
        {"with space", "with%20space.json"},
        {"caf\xc3\xa9", "caf%C3%A9.json"},
        {"a_b-c.d~e", "a_b-c.d~e.json"},
        {"%", "%25.json"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = NULL;
        assert_int_equal(sw_trust_role_filename(cases[i].role, &got, NULL), 0);
        assert_string_equal(got, cases[i].file);
        free(got);
    }
    {
        char *got = NULL;
        assert_true(sw_trust_role_filename("", &got, NULL) < 0);
    }
}

static void
test_role_filenames_long(void **state)
{
    char name[SW_MD_MAX_ROLE_NAME + 2];
    char *got = NULL;
    (void)state;
    /* 250 plain bytes + ".json" is 255, the longest file name: kept as it is */
    memset(name, 'a', 250);
    name[250] = '\0';
    assert_int_equal(sw_trust_role_filename(name, &got, NULL), 0);
    assert_int_equal(strlen(got), 255);
    assert_memory_equal(got, name, 250);
    assert_string_equal(got + 250, ".json");
    free(got);
    /* one more byte: the SHA-256 of the name (hashlib.sha256(b"a" * 251)) */
    memset(name, 'a', 251);
    name[251] = '\0';
    assert_int_equal(sw_trust_role_filename(name, &got, NULL), 0);
    assert_string_equal(
        got, "%%sha256-772f911dd9d6692897188d0b03f718fb5fbd02020d0fce1374f1354a31205024.json");
    free(got);
    /* the longest name a role may have, every byte encoded (765 bytes) */
    memset(name, '/', 255);
    name[255] = '\0';
    assert_int_equal(sw_trust_role_filename(name, &got, NULL), 0);
    assert_string_equal(
        got, "%%sha256-595e6ca3d0f666a13da6535365bf31bb147a515410f9b3f283203f325d6013aa.json");
    free(got);
    /* and none longer */
    memset(name, 'a', 256);
    name[256] = '\0';
    assert_int_equal(sw_trust_role_filename(name, &got, NULL), -SW_E_METADATA);
}

/*
 * diamond-delegation (python-tuf): parent-a (team-a/ *) and parent-b
 * (team-b/ *) each delegate "release" with another key; release is signed
 * by parent-a's key only and lists one target under each.
 */
static void
assert_team_b_refused(struct fx *f)
{
    struct sw_error err = SW_ERROR_INIT;
    const struct sw_md_fileinfo *info = NULL;
    struct sw_trust_skip sk;
    int r = sw_trust_find_target_why(f->t, "team-b/app.tar.gz", &info, NULL, &sk, &err);
    assert_int_equal(r, -SW_E_SIGNATURE);
    assert_non_null(sk.role);
    assert_string_equal(sk.role, "release");
    assert_string_equal(sk.delegator, "parent-b");
    assert_int_equal(sk.code, SW_E_SIGNATURE);
    assert_non_null(strstr(err.msg, "team-b/app.tar.gz"));
    assert_non_null(strstr(err.msg, "parent-b"));
    sw_trust_skip_release(&sk);
}

static void
assert_team_a_trusted(struct fx *f)
{
    struct sw_error err = SW_ERROR_INIT;
    const struct sw_md_fileinfo *info = NULL;
    const char *role = NULL;
    if (sw_trust_find_target(f->t, "team-a/app.tar.gz", &info, &role, &err) != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(role, "release");
    assert_int_equal(info->length, 10);
}

static void
test_diamond_a_then_b(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    open_vector(f, "diamond-delegation", 0);
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), 0);
    assert_team_a_trusted(f);
    assert_true(md_has(f, "release.json"));
    /* release is already trusted through parent-a: that is no authority for team-b */
    assert_team_b_refused(f);
    assert_team_b_refused(f); /* asked again, the same answer */
    /* what parent-a verified is not dropped because parent-b refuses it */
    assert_true(md_has(f, "release.json"));
    assert_team_a_trusted(f);
}

static void
test_diamond_b_then_a(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    open_vector(f, "diamond-delegation", 0);
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), 0);
    assert_team_b_refused(f);
    assert_false(md_has(f, "release.json")); /* nothing unverified is kept */
    assert_team_a_trusted(f);
    assert_true(md_has(f, "release.json"));
    assert_team_b_refused(f);
}

/* Open the trust of f again, without a fetcher: only what is kept. */
static void
reopen_local(struct fx *f)
{
    struct sw_trust_config tc;
    struct sw_error err = SW_ERROR_INIT;
    sw_trust_free(f->t);
    f->t = NULL;
    memset(&tc, 0, sizeof(tc));
    tc.metadata_dir = f->md;
    tc.store = f->store;
    tc.fetch = f->fetch;
    tc.local_roles = 1;
    tc.max_root_size = 512 * 1024;
    tc.max_timestamp_size = 16 * 1024;
    tc.max_metadata_size = 1024 * 1024;
    if (sw_trust_open(&tc, &f->t, &err) != 0 || sw_trust_load_local(f->t, NOW, &err) != 0)
        fail_msg("%s", err.msg);
}

static void
test_diamond_walk(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_trust_skip *skips = NULL;
    size_t n_skips = 0, n_roles = 0, n = 0;
    char **paths = NULL;
    unsigned checked = 0, reused = 0;

    open_vector(f, "diamond-delegation", 1);
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), 0);
    if (sw_trust_fetch_delegated(f->t, &n_roles, &skips, &n_skips, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(n_roles, 3); /* parent-a, parent-b, release */
    assert_int_equal(n_skips, 1);
    assert_string_equal(skips[0].role, "release");
    assert_string_equal(skips[0].delegator, "parent-b");
    assert_int_equal(skips[0].code, SW_E_SIGNATURE);
    sw_trust_skips_free(skips, n_skips);
    assert_true(md_has(f, "parent-a.json") && md_has(f, "parent-b.json"));
    assert_true(md_has(f, "release.json"));

    sw_trust_delegated_checks(f->t, &checked, &reused);
    assert_int_equal(reused, 0);

    /* a later process, no network: team-b first, then team-a, then the list */
    reopen_local(f);
    assert_team_b_refused(f);
    assert_team_a_trusted(f);
    /*
     * verify once is per delegation: parent-a, parent-b and release through
     * parent-a are the verdicts of the walk above; release through parent-b
     * (other keys) has none, so it is checked (and refused) again
     */
    sw_trust_delegated_checks(f->t, &checked, &reused);
    assert_int_equal(checked, 1);
    assert_int_equal(reused, 3);
    assert_int_equal(sw_trust_list_paths(f->t, &paths, &n, &skips, &n_skips, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(paths[0], "team-a/app.tar.gz");
    assert_string_equal(paths[1], "team-b/app.tar.gz");
    assert_int_equal(n_skips, 1);
    assert_string_equal(skips[0].delegator, "parent-b");
    assert_int_equal(sw_trust_requests(f->t), 0);
    assert_true(md_has(f, "release.json"));
    sw_trust_delegated_checks(f->t, &checked, &reused);
    assert_int_equal(checked, 1); /* the verdicts of this session are kept for it */
    assert_int_equal(reused, 3);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    sw_trust_skips_free(skips, n_skips);
}

/* The walk keeps at most max_walk_roles delegated roles; the rest are skips naming the cap. */
static void
test_walk_cap(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_trust_skip *skips = NULL;
    size_t n_skips = 0, n_roles = 0;

    walk_cap = 2;
    open_vector(f, "delegations", 1);
    walk_cap = 0;
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), 0);
    if (sw_trust_fetch_delegated(f->t, &n_roles, &skips, &n_skips, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(n_roles, 2); /* apps, bins; not bins-rest, apps-edge */
    assert_int_equal(n_skips, 2);
    for (size_t i = 0; i < n_skips; i++) {
        assert_int_equal(skips[i].code, SW_E_LIMIT);
        assert_non_null(strstr(skips[i].reason, "more than 2 delegated roles"));
    }
    assert_false(md_has(f, "bins-rest.json"));
    sw_trust_skips_free(skips, n_skips);
}

/*
 * The 16 TAP 15 bins of the python-tuf vector: each walked once (the role
 * table and its name index grow several times on the way: they start
 * smaller than 16; so do the walk's queue and its set, room for 8), every
 * target of expect.json listed once, offline too.
 */
static void
test_succinct_walk(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_trust_skip *skips = NULL;
    size_t n_skips = 0, n_roles = 0, n = 0;
    char **paths = NULL, *path = tu_src_path("tests/vectors/tuf/succinct-bins/expect.json");
    json_t *expect = json_load_file(path, 0, NULL), *bins = json_object_get(expect, "bins");
    unsigned checked = 0, reused = 0;

    free(path);
    assert_non_null(bins);
    open_vector(f, "succinct-bins", 1);
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), 0);
    if (sw_trust_fetch_delegated(f->t, &n_roles, &skips, &n_skips, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(n_roles, 16);
    assert_int_equal(n_skips, 0);
    sw_trust_skips_free(skips, n_skips);
    /* each bin checked once, as fetched */
    sw_trust_delegated_checks(f->t, &checked, &reused);
    assert_int_equal(checked, 16);
    assert_int_equal(reused, 0);
    reopen_local(f);
    assert_int_equal(sw_trust_list_paths(f->t, &paths, &n, &skips, &n_skips, &err), 0);
    assert_int_equal(n_skips, 0);
    /* verify once: the list checks no signature, every bin's verdict is the store's */
    sw_trust_delegated_checks(f->t, &checked, &reused);
    assert_int_equal(checked, 0);
    assert_int_equal(reused, 16);
    assert_int_equal(n, json_object_size(bins));
    for (size_t i = 0; i < n; i++) {
        assert_non_null(json_object_get(bins, paths[i]));
        free(paths[i]);
    }
    free(paths);
    sw_trust_skips_free(skips, n_skips);
    assert_int_equal(sw_trust_requests(f->t), 0);
    json_decref(expect);
}

/*
 * Verdicts found in a session that cannot record them at once (a list
 * after the records were lost) are written at the end of the walk, in
 * their own transaction, and the next session reuses them; inside a
 * transaction the caller holds they are not written, and the caller's
 * transaction is left alone (its writes commit).
 */
/* list every path (a walk of all bins), expecting that many signature checks and reused verdicts */
static void
list_counting(struct fx *f, unsigned expect_checked, unsigned expect_reused)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_trust_skip *skips = NULL;
    size_t n_skips = 0, n = 0;
    char **paths = NULL;
    unsigned checked = 0, reused = 0;

    if (sw_trust_list_paths(f->t, &paths, &n, &skips, &n_skips, &err) != 0)
        fail_msg("%s", err.msg);
    sw_trust_delegated_checks(f->t, &checked, &reused);
    assert_int_equal(checked, expect_checked);
    assert_int_equal(reused, expect_reused);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
    sw_trust_skips_free(skips, n_skips);
}

static void
test_verdicts_recorded_later(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_trust_skip *skips = NULL;
    size_t n_skips = 0, n_roles = 0;
    char *v = NULL;

    open_vector(f, "succinct-bins", 1);
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), 0);
    if (sw_trust_fetch_delegated(f->t, &n_roles, &skips, &n_skips, &err) != 0)
        fail_msg("%s", err.msg);
    sw_trust_skips_free(skips, n_skips);
    assert_int_equal(sw_store_verdicts_forget(f->store, NULL, NULL), 0);

    /* the caller's transaction: its write survives the walk, no verdict is written */
    reopen_local(f);
    assert_int_equal(sw_store_begin(f->store, NULL), 0);
    assert_int_equal(sw_store_setting_set(f->store, "test-key", "kept", NULL), 0);
    list_counting(f, 16, 0);
    if (sw_store_commit(f->store, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(sw_store_setting_get(f->store, "test-key", &v, NULL), 0);
    assert_string_equal(v, "kept");
    free(v);

    /* no transaction open: checked again, and recorded at the end of the walk */
    reopen_local(f);
    list_counting(f, 16, 0);
    reopen_local(f);
    list_counting(f, 0, 16);
}

/*
 * Nothing new: a second session's refresh makes two requests and reads
 * neither snapshot nor targets (not loaded); the walk does nothing; a
 * search then loads them and finds targets as before.
 */
static void
test_nothing_new_deferred(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_trust_skip *skips = NULL;
    struct sw_trust_report rep;
    struct sw_trust_config tc;
    size_t n_skips = 0, n_roles = 0;
    const struct sw_md_fileinfo *info = NULL;
    const char *role = NULL;
    int64_t tv;

    open_vector(f, "delegations", 1);
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), 0);
    if (sw_trust_fetch_delegated(f->t, &n_roles, &skips, &n_skips, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(n_roles, 4);
    assert_int_equal(n_skips, 0);
    tv = sw_md_version(sw_trust_role(f->t, SW_MD_TARGETS));
    sw_trust_free(f->t);
    memset(&tc, 0, sizeof(tc));
    tc.metadata_dir = f->md;
    tc.store = f->store;
    tc.fetch = f->fetch;
    tc.max_root_size = 512 * 1024;
    tc.max_timestamp_size = 16 * 1024;
    tc.max_metadata_size = 1024 * 1024;
    assert_int_equal(sw_trust_open(&tc, &f->t, &err), 0);
    assert_int_equal(sw_trust_refresh(f->t, NOW, &rep, &err), 0);
    assert_true(rep.timestamp_unchanged);
    assert_int_equal(rep.requests, 2);
    assert_int_equal(rep.n_changes, 0);
    assert_null(sw_trust_role(f->t, SW_MD_TARGETS));
    assert_null(sw_trust_role(f->t, SW_MD_SNAPSHOT));
    assert_int_equal(sw_trust_role_version(f->t, SW_MD_TARGETS), tv);
    n_roles = 0;
    if (sw_trust_fetch_delegated(f->t, &n_roles, &skips, &n_skips, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(n_roles, 4);
    assert_int_equal(n_skips, 0);
    assert_null(sw_trust_role(f->t, SW_MD_TARGETS));
    assert_int_equal(sw_trust_requests(f->t), 2);
    /* a search loads them from the kept files, without a request */
    assert_int_equal(sw_trust_find_target(f->t, "pkg3.bin", &info, &role, &err), 0);
    assert_string_equal(role, "bins");
    assert_non_null(sw_trust_role(f->t, SW_MD_TARGETS));
    assert_int_equal(sw_trust_requests(f->t), 2);
}

/* Without the network a role that is not kept is reported, not fetched. */
static void
test_local_roles_not_fetched(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_trust_skip *skips = NULL;
    size_t n_skips = 0, n = 0;
    char **paths = NULL;
    const struct sw_md_fileinfo *info = NULL;
    struct sw_trust_skip sk;

    open_vector(f, "delegations", 0);
    assert_int_equal(sw_trust_refresh(f->t, NOW, NULL, &err), 0);
    reopen_local(f);
    assert_true(sw_trust_find_target_why(f->t, "apps/core-2.0.tar.gz", &info, NULL, &sk, &err) < 0);
    assert_string_equal(sk.role, "apps");
    assert_string_equal(sk.delegator, "targets");
    assert_non_null(strstr(err.msg, "slipway refresh"));
    sw_trust_skip_release(&sk);
    assert_int_equal(sw_trust_list_paths(f->t, &paths, &n, &skips, &n_skips, &err), 0);
    assert_int_equal(n, 0);       /* targets itself lists none */
    assert_int_equal(n_skips, 3); /* apps, bins, bins-rest; apps-edge is below apps */
    assert_int_equal(sw_trust_requests(f->t), 0);
    assert_false(md_has(f, "apps.json"));
    free(paths);
    sw_trust_skips_free(skips, n_skips);
}

static void
test_freeze_floor(void **state)
{
    struct fx *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    time_t now = 0, real = time(NULL);
    int behind = -1;

    assert_int_equal(sw_store_open(f->state, SW_STORE_CREATE, &f->store, NULL), 0);
    assert_int_equal(sw_trust_now(f->store, &now, &behind, &err), 0);
    assert_int_equal(behind, 0);
    assert_true(now >= real && now - real < 5);
    /* a floor ahead of the clock wins */
    assert_int_equal(sw_store_setting_set(f->store, "time-floor", "4000000000", NULL), 0);
    assert_int_equal(sw_trust_now(f->store, &now, &behind, &err), 0);
    assert_int_equal(behind, 1);
    assert_int_equal((long long)now, 4000000000LL);
    /* a floor behind the clock does not matter */
    assert_int_equal(sw_store_setting_set(f->store, "time-floor", "1000", NULL), 0);
    assert_int_equal(sw_trust_now(f->store, &now, &behind, &err), 0);
    assert_int_equal(behind, 0);
    assert_true(now >= real);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refresh_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_and_download, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_target_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delegations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures_keep_nothing_unverified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_timestamp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_root_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_needs_a_good_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_filenames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_filenames_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diamond_a_then_b, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diamond_b_then_a, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diamond_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_succinct_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_new_deferred, setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_roles_not_fetched, setup, teardown),
        cmocka_unit_test_setup_teardown(test_freeze_floor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verdicts_recorded_later, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
