/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of TUF metadata: every vector repository parses and its
 * signature chain verifies (or fails where expect.json says so), each
 * validation error names its role and field, thresholds count distinct
 * authorised keys (keys made here with libsodium, over canonical "signed"
 * bytes written by hand), delegation paths match like python-tuf (hash
 * prefixes from independently computed SHA-256 digests), and file checks
 * refuse wrong lengths, hashes and unknown algorithms.
 */
#include "testutil.h"

#include <slipway/cjson.h>
#include <slipway/metadata.h>

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- helpers --------------------------------------------------------------- */

static unsigned char *
vec_read(const char *vec, const char *file, size_t *len)
{
    char rel[512];
    char *path;
    unsigned char *data;
    snprintf(rel, sizeof(rel), "tests/vectors/tuf/%s/%s", vec, file);
    path = tu_src_path(rel);
    data = tu_read(path, len);
    free(path);
    return data;
}

static struct sw_md *
vec_parse(const char *vec, const char *file, enum sw_md_type type, const char *role)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *md = NULL;
    size_t len;
    unsigned char *data = vec_read(vec, file, &len);
    if (sw_md_parse_role_mem(data, len, type, role, &md, &err) < 0)
        fail_msg("%s/%s: %s", vec, file, err.msg);
    free(data);
    return md;
}

static void
expect_verify(const struct sw_md *md, const struct sw_md_role *role)
{
    struct sw_error err = SW_ERROR_INIT;
    assert_non_null(role);
    if (sw_md_verify(md, role, &err) < 0)
        fail_msg("role '%s' over '%s': %s", sw_md_role_name(role), sw_md_name(md), err.msg);
}

static void
expect_verify_fails(const struct sw_md *md, const struct sw_md_role *role, const char *needle)
{
    struct sw_error err = SW_ERROR_INIT;
    int r = sw_md_verify(md, role, &err);
    if (r != -SW_E_SIGNATURE)
        fail_msg("expected a signature failure, got %d (%s)", r, err.msg);
    if (needle && !strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

/* The file check of fi against the bytes of a vector file. */
static int
vec_check(const char *vec, const char *file, const struct sw_md_fileinfo *fi, struct sw_error *err)
{
    size_t len;
    unsigned char *data = vec_read(vec, file, &len);
    int r;
    assert_non_null(fi);
    r = sw_md_fileinfo_check(fi, data, len, err);
    free(data);
    return r;
}

/* metadata/1.X.json for a role */
static void
role_file(char *out, size_t n, const char *role)
{
    snprintf(out, n, "metadata/1.%s.json", role);
}

/* The target file of a consistent-snapshot repository: targets/DIR/SHA256.BASENAME */
static void
target_file(char *out, size_t n, const struct sw_md_fileinfo *fi)
{
    const char *slash = strrchr(fi->name, '/');
    const char *sha = NULL;
    for (size_t i = 0; i < fi->n_hashes; i++)
        if (strcmp(fi->hashes[i].alg, "sha256") == 0)
            sha = fi->hashes[i].value;
    assert_non_null(sha);
    if (slash)
        snprintf(out, n, "targets/%.*s/%s.%s", (int)(slash - fi->name), fi->name, sha, slash + 1);
    else
        snprintf(out, n, "targets/%s.%s", sha, fi->name);
}

/*
 * Walk a vector the way a client does up to targets (no versions, no
 * network): root by itself, timestamp, snapshot and targets by root's
 * roles, each meta entry checked against the bytes. Returns the first
 * failure (its message in err) or 0; *ret_targets gets top-level targets.
 */
static int
walk(const char *vec, struct sw_md **ret_root, struct sw_md **ret_targets, struct sw_error *err)
{
    struct sw_md *root = vec_parse(vec, "metadata/1.root.json", SW_MD_ROOT, NULL);
    struct sw_md *ts = NULL, *snap = NULL, *targets = NULL;
    unsigned char *data = NULL;
    size_t len;
    int r;

    r = sw_md_verify(root, sw_md_root_role(root, SW_MD_ROOT), err);
    if (r < 0)
        goto out;
    ts = vec_parse(vec, "metadata/timestamp.json", SW_MD_TIMESTAMP, NULL);
    r = sw_md_verify(ts, sw_md_root_role(root, SW_MD_TIMESTAMP), err);
    if (r < 0)
        goto out;
    r = vec_check(vec, "metadata/1.snapshot.json", sw_md_timestamp_snapshot(ts), err);
    if (r < 0)
        goto out;
    snap = vec_parse(vec, "metadata/1.snapshot.json", SW_MD_SNAPSHOT, NULL);
    r = sw_md_verify(snap, sw_md_root_role(root, SW_MD_SNAPSHOT), err);
    if (r < 0)
        goto out;
    r = vec_check(vec, "metadata/1.targets.json", sw_md_snapshot_meta(snap, "targets"), err);
    if (r < 0)
        goto out;
    data = vec_read(vec, "metadata/1.targets.json", &len);
    r = sw_md_parse_mem(data, len, SW_MD_TARGETS, &targets, err);
    if (r < 0)
        goto out;
    r = sw_md_verify(targets, sw_md_root_role(root, SW_MD_TARGETS), err);
    if (r < 0)
        goto out;
    *ret_root = root;
    root = NULL;
    *ret_targets = targets;
    targets = NULL;
out:
    free(data);
    sw_md_free(root);
    sw_md_free(ts);
    sw_md_free(snap);
    sw_md_free(targets);
    return r;
}

/* --- every vector file parses --------------------------------------------------- */

/* A fileinfo as the document's tree has it (from sw_cjson_parse_mem, jansson). */
static void
same_fileinfo(const struct sw_md_fileinfo *fi, const json_t *t, bool target)
{
    const json_t *hashes = json_object_get(t, "hashes"), *len = json_object_get(t, "length");
    const json_t *custom = json_object_get(t, "custom");
    const char *alg;
    const json_t *hv;
    assert_non_null(fi);
    assert_int_equal(fi->length, len ? json_integer_value(len) : -1);
    if (!target)
        assert_int_equal(fi->version, json_integer_value(json_object_get(t, "version")));
    assert_int_equal(fi->n_hashes, json_object_size(hashes));
    json_object_foreach((json_t *)hashes, alg, hv)
    {
        bool found = false;
        for (size_t i = 0; i < fi->n_hashes; i++)
            if (strcmp(fi->hashes[i].alg, alg) == 0) {
                assert_string_equal(fi->hashes[i].value, json_string_value(hv));
                found = true;
            }
        assert_true(found);
    }
    if (target && custom)
        assert_true(json_equal(sw_md_fileinfo_custom(fi), custom));
    else
        assert_null(sw_md_fileinfo_custom(fi));
}

/*
 * What the views parser keeps of a document equals what its jansson tree
 * holds: every target (length, hashes, custom) or meta entry, and the
 * signed bytes are the tree's canonical encoding. Also parsed without
 * signed bytes, which are then NULL.
 */
static void
same_as_tree(const struct sw_md *md, const unsigned char *data, size_t len)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_buf canon = SW_BUF_INIT(0);
    struct sw_md *lean = NULL;
    json_t *doc = NULL;
    const json_t *sg, *files, *v;
    const char *name;
    const unsigned char *b;
    size_t n;

    assert_int_equal(sw_cjson_parse_mem(data, len, 0, &doc, &err), 0);
    sg = json_object_get(doc, "signed");
    assert_int_equal(sw_cjson_encode(sg, &canon, &err), 0);
    b = sw_md_signed_bytes(md, &n);
    assert_int_equal(n, canon.len);
    assert_memory_equal(b, canon.data, n);
    assert_int_equal(sw_md_version(md), json_integer_value(json_object_get(sg, "version")));
    assert_string_equal(sw_md_expires_string(md),
                        json_string_value(json_object_get(sg, "expires")));
    switch (sw_md_type(md)) {
    case SW_MD_TARGETS:
        files = json_object_get(sg, "targets");
        assert_int_equal(sw_md_target_count(md), json_object_size(files));
        json_object_foreach((json_t *)files, name, v)
            same_fileinfo(sw_md_target(md, name), v, true);
        assert_int_equal(sw_md_has_delegations(md), json_object_get(sg, "delegations") != NULL);
        break;
    case SW_MD_SNAPSHOT:
    case SW_MD_TIMESTAMP:
        files = json_object_get(sg, "meta");
        json_object_foreach((json_t *)files, name, v)
        {
            const struct sw_md_fileinfo *fi = NULL;
            for (size_t i = 0; i < sw_md_snapshot_meta_count(md); i++)
                if (strcmp(sw_md_snapshot_meta_at(md, i)->name, name) == 0)
                    fi = sw_md_snapshot_meta_at(md, i);
            if (sw_md_type(md) == SW_MD_TIMESTAMP)
                fi = sw_md_timestamp_snapshot(md);
            same_fileinfo(fi, v, false);
        }
        break;
    case SW_MD_ROOT:
        assert_int_equal(sw_md_root_consistent_snapshot(md),
                         json_is_true(json_object_get(sg, "consistent_snapshot")));
        break;
    }
    assert_int_equal(sw_md_parse_role_flags(data, len, sw_md_type(md), sw_md_name(md),
                                            SW_MD_PARSE_NO_SIGNED_BYTES, &lean, &err),
                     0);
    assert_null(sw_md_signed_bytes(lean, &n));
    assert_int_equal(sw_md_target_count(lean), sw_md_target_count(md));
    sw_md_free(lean);
    sw_buf_release(&canon);
    json_decref(doc);
}

static void
test_vectors_parse(void **state)
{
    static const char *const vectors[] = {
        "bad-target-hash", "bad-threshold", "basic-ecdsa",         "basic-ed25519",
        "basic-rsa",       "delegations",   "duplicate-signature", "expired-timestamp",
        "root-rotation",   "succinct-bins",
    };
    size_t parsed = 0;
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        char rel[256];
        char *dir;
        DIR *d;
        struct dirent *e;
        snprintf(rel, sizeof(rel), "tests/vectors/tuf/%s/metadata", vectors[i]);
        dir = tu_src_path(rel);
        d = opendir(dir);
        assert_non_null(d);
        while ((e = readdir(d))) {
            char file[300], role[256];
            const char *name = e->d_name, *dot;
            enum sw_md_type type = SW_MD_TARGETS;
            struct sw_error err = SW_ERROR_INIT;
            struct sw_md *md = NULL;
            unsigned char *data;
            size_t len;
            int r;
            if (!strstr(name, ".json"))
                continue;
            /* N.ROLE.json or ROLE.json */
            dot = strchr(name, '.');
            if (name[0] >= '0' && name[0] <= '9')
                name = dot + 1;
            snprintf(role, sizeof(role), "%.*s", (int)(strlen(name) - 5), name);
            sw_md_type_from_string(role, &type);
            snprintf(file, sizeof(file), "metadata/%s", e->d_name);
            data = vec_read(vectors[i], file, &len);
            r = sw_md_parse_role_mem(data, len, type, role, &md, &err);
            if (r == 0)
                same_as_tree(md, data, len);
            free(data);
            if (strcmp(vectors[i], "duplicate-signature") == 0 && strcmp(role, "targets") == 0) {
                /* the same key id twice in "signatures" is refused outright */
                assert_int_equal(r, -SW_E_METADATA);
                assert_non_null(strstr(err.msg, "role 'targets': signatures: key id "
                                                "'6ec1e5cf02b089d4abdcad543b8059cfd69bf22e7e6a91"
                                                "1061f2b25917a82166' signs more than once"));
                continue;
            }
            if (r < 0)
                fail_msg("%s/%s: %s", vectors[i], file, err.msg);
            assert_int_equal(sw_md_type(md), type);
            assert_string_equal(sw_md_name(md), role);
            sw_md_free(md);
            parsed++;
        }
        closedir(d);
        free(dir);
    }
    assert_true(parsed >= 65);
}

/* --- signature chains of the vectors ---------------------------------------------- */

static void
check_basic(const char *vec)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *root = NULL, *targets = NULL;
    char file[512];
    if (walk(vec, &root, &targets, &err) < 0)
        fail_msg("%s: %s", vec, err.msg);
    assert_int_equal(sw_md_target_count(targets), 2);
    for (size_t i = 0; i < sw_md_target_count(targets); i++) {
        const struct sw_md_fileinfo *fi = sw_md_target_at(targets, i);
        target_file(file, sizeof(file), fi);
        if (vec_check(vec, file, fi, &err) < 0)
            fail_msg("%s: %s", vec, err.msg);
    }
    sw_md_free(root);
    sw_md_free(targets);
}

static void
test_basic_vectors(void **state)
{
    (void)state;
    check_basic("basic-ed25519");
    check_basic("basic-ecdsa");
    check_basic("basic-rsa");
}

static void
test_basic_fields(void **state)
{
    struct sw_md *root = vec_parse("basic-ed25519", "metadata/1.root.json", SW_MD_ROOT, NULL);
    struct sw_md *ts = vec_parse("basic-ed25519", "metadata/timestamp.json", SW_MD_TIMESTAMP, NULL);
    struct sw_md *snap =
        vec_parse("basic-ed25519", "metadata/1.snapshot.json", SW_MD_SNAPSHOT, NULL);
    struct sw_md *tg = vec_parse("basic-ed25519", "metadata/1.targets.json", SW_MD_TARGETS, NULL);
    const struct sw_md_role *r;
    const struct sw_md_fileinfo *fi;
    const json_t *slipway;
    (void)state;

    assert_int_equal(sw_md_version(root), 1);
    assert_string_equal(sw_md_spec_version(root), "1.0.31");
    assert_int_equal(sw_md_expires(root), 4070908800); /* 2099-01-01T00:00:00Z */
    assert_string_equal(sw_md_expires_string(root), "2099-01-01T00:00:00Z");
    assert_true(sw_md_root_consistent_snapshot(root));
    r = sw_md_root_role(root, SW_MD_SNAPSHOT);
    assert_string_equal(sw_md_role_name(r), "snapshot");
    assert_int_equal(sw_md_role_threshold(r), 1);
    assert_int_equal(sw_md_role_keyid_count(r), 1);
    assert_string_equal(sw_md_role_keyid(r, 0),
                        "2c607bc102bd58e589428a7fbd738f515209d4f319ba6d90b43639a8dd198ad9");
    assert_null(sw_md_role_keyid(r, 1));
    assert_false(sw_md_role_terminating(r));
    assert_false(sw_md_delegation_matches(r, "anything"));
    assert_non_null(sw_md_key(root, sw_md_role_keyid(r, 0)));
    assert_null(sw_md_key(root, "nope"));
    assert_int_equal(sw_md_signature_count(root), 1);
    assert_string_equal(sw_md_signature_keyid(root, 0),
                        "19d3b08a06f7dbe5fc7ce00c2f36b43c4e5fd4953f6df503364d958e656baa67");
    assert_null(sw_md_signature_keyid(root, 1));
    assert_int_equal(strlen(sw_md_signature_sig(root, 0)), 128);

    fi = sw_md_timestamp_snapshot(ts);
    assert_string_equal(fi->name, "snapshot.json");
    assert_int_equal(fi->version, 1);
    assert_int_equal(fi->length, 557);
    assert_int_equal(fi->n_hashes, 1);
    assert_string_equal(fi->hashes[0].alg, "sha256");
    assert_string_equal(fi->hashes[0].value,
                        "a19ea4aad8fa8eb585a8b422d9ed75fc024cc39d9d546337a2f0c1fa8d1fbcb7");

    fi = sw_md_snapshot_meta(snap, "targets");
    assert_int_equal(fi->length, 1195);
    assert_int_equal(sw_md_snapshot_meta_count(snap), 1);
    assert_ptr_equal(sw_md_snapshot_meta_at(snap, 0), fi);
    assert_null(sw_md_snapshot_meta(snap, "apps"));

    fi = sw_md_target(tg, "app-1.0.0.tar.gz");
    assert_non_null(fi);
    assert_int_equal(fi->length, 11);
    assert_int_equal(fi->version, 0);
    assert_int_equal(fi->n_hashes, 2);
    slipway = json_object_get(sw_md_fileinfo_custom(fi), "slipway");
    assert_string_equal(json_string_value(json_object_get(slipway, "version")), "1.0.0");
    assert_string_equal(json_string_value(json_object_get(slipway, "compatible")), "vector-device");
    fi = sw_md_target(tg, "sub/dir/notes.txt");
    assert_int_equal(fi->length, 6);
    assert_null(sw_md_fileinfo_custom(fi));
    assert_null(sw_md_target(tg, "sub/dir"));
    assert_string_equal(sw_md_target_at(tg, 0)->name, "app-1.0.0.tar.gz");
    assert_null(sw_md_target_at(tg, 2));
    assert_false(sw_md_has_delegations(tg));
    assert_int_equal(sw_md_delegation_count(tg), 0);

    /* type-specific accessors on the wrong type */
    assert_null(sw_md_root_role(ts, SW_MD_ROOT));
    assert_false(sw_md_root_consistent_snapshot(ts));
    assert_null(sw_md_timestamp_snapshot(snap));
    assert_null(sw_md_snapshot_meta(ts, "targets"));
    assert_null(sw_md_target(snap, "app-1.0.0.tar.gz"));
    assert_int_equal(sw_md_target_count(root), 0);

    sw_md_free(root);
    sw_md_free(ts);
    sw_md_free(snap);
    sw_md_free(tg);
}

static void
test_bad_threshold(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *root = NULL, *targets = NULL;
    (void)state;
    assert_int_equal(walk("bad-threshold", &root, &targets, &err), -SW_E_SIGNATURE);
    assert_string_equal(err.msg, "role 'snapshot': 1 of 2 required signatures");
}

static void
test_duplicate_signature(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *root = NULL, *targets = NULL;
    (void)state;
    /* the second signature changed the file snapshot describes */
    assert_int_equal(walk("duplicate-signature", &root, &targets, &err), -SW_E_LENGTH);
    assert_non_null(strstr(err.msg, "file 'targets.json': "));
}

static void
test_bad_target_hash(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *root = NULL, *targets = NULL;
    const struct sw_md_fileinfo *fi;
    char file[512];
    (void)state;
    assert_int_equal(walk("bad-target-hash", &root, &targets, &err), 0);
    fi = sw_md_target(targets, "app-1.0.0.tar.gz");
    target_file(file, sizeof(file), fi);
    assert_int_equal(vec_check("bad-target-hash", file, fi, &err), -SW_E_HASH);
    assert_non_null(strstr(err.msg,
                           "file 'app-1.0.0.tar.gz': sha256 mismatch (expected "
                           "92ac832a9f23d2f4d1ca03ff82cb8f9c1b4d376b261b00ecb49ed0d069f6f209"));
    sw_md_free(root);
    sw_md_free(targets);
}

static void
test_expired_timestamp(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *root = vec_parse("expired-timestamp", "metadata/1.root.json", SW_MD_ROOT, NULL);
    struct sw_md *ts =
        vec_parse("expired-timestamp", "metadata/timestamp.json", SW_MD_TIMESTAMP, NULL);
    const time_t y2020 = 1577836800; /* 2020-01-01T00:00:00Z */
    (void)state;
    /* the signature is fine; the time is not */
    expect_verify(ts, sw_md_root_role(root, SW_MD_TIMESTAMP));
    assert_int_equal(sw_md_expires(ts), y2020);
    assert_false(sw_md_is_expired(ts, y2020 - 1));
    assert_int_equal(sw_md_check_expiry(ts, y2020 - 1, &err), 0);
    assert_true(sw_md_is_expired(ts, y2020));
    assert_int_equal(sw_md_check_expiry(ts, y2020 + 86400 * 365 * 5, &err), -SW_E_EXPIRED);
    assert_string_equal(err.msg, "role 'timestamp': expired at 2020-01-01T00:00:00Z");
    /* root of the same vector is not expired */
    assert_int_equal(sw_md_check_expiry(root, y2020 + 86400 * 365 * 5, &err), 0);
    sw_md_free(root);
    sw_md_free(ts);
}

static void
test_root_rotation(void **state)
{
    struct sw_md *r1 = vec_parse("root-rotation", "metadata/1.root.json", SW_MD_ROOT, NULL);
    struct sw_md *r2 = vec_parse("root-rotation", "metadata/2.root.json", SW_MD_ROOT, NULL);
    struct sw_md *r3 = vec_parse("root-rotation", "metadata/3.root.json", SW_MD_ROOT, NULL);
    (void)state;
    assert_int_equal(sw_md_version(r2), 2);
    assert_int_equal(sw_md_role_threshold(sw_md_root_role(r2, SW_MD_ROOT)), 2);
    /* N+1 is signed by N's root threshold and by its own */
    expect_verify(r1, sw_md_root_role(r1, SW_MD_ROOT));
    expect_verify(r2, sw_md_root_role(r1, SW_MD_ROOT));
    expect_verify(r2, sw_md_root_role(r2, SW_MD_ROOT));
    expect_verify(r3, sw_md_root_role(r2, SW_MD_ROOT));
    expect_verify(r3, sw_md_root_role(r3, SW_MD_ROOT));
    /* skipping version 2 does not work: 1's root key did not sign 3 */
    expect_verify_fails(r3, sw_md_root_role(r1, SW_MD_ROOT),
                        "role 'root': 0 of 1 required signatures (ignored: 4 by a key the role "
                        "does not list)");
    /* 1 is not signed by 3's threshold */
    expect_verify_fails(r1, sw_md_root_role(r3, SW_MD_ROOT), "0 of 2");
    sw_md_free(r1);
    sw_md_free(r2);
    sw_md_free(r3);
}

static void
test_delegations_vector(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *root = NULL, *targets = NULL;
    struct sw_md *snap = vec_parse("delegations", "metadata/1.snapshot.json", SW_MD_SNAPSHOT, NULL);
    struct sw_md *apps, *edge, *bins, *rest;
    const struct sw_md_role *r_apps, *r_edge, *r_bins, *r_rest;
    char file[300];
    static const char *const roles[] = {"apps", "apps-edge", "bins", "bins-rest"};
    (void)state;

    if (walk("delegations", &root, &targets, &err) < 0)
        fail_msg("%s", err.msg);
    assert_true(sw_md_has_delegations(targets));
    assert_int_equal(sw_md_delegation_count(targets), 3);
    assert_int_equal(sw_md_target_count(targets), 0);
    /* snapshot lists each delegated role with the bytes served */
    for (size_t i = 0; i < 4; i++) {
        role_file(file, sizeof(file), roles[i]);
        if (vec_check("delegations", file, sw_md_snapshot_meta(snap, roles[i]), &err) < 0)
            fail_msg("%s", err.msg);
    }
    apps = vec_parse("delegations", "metadata/1.apps.json", SW_MD_TARGETS, "apps");
    edge = vec_parse("delegations", "metadata/1.apps-edge.json", SW_MD_TARGETS, "apps-edge");
    bins = vec_parse("delegations", "metadata/1.bins.json", SW_MD_TARGETS, "bins");
    rest = vec_parse("delegations", "metadata/1.bins-rest.json", SW_MD_TARGETS, "bins-rest");

    r_apps = sw_md_delegation(targets, "apps");
    r_bins = sw_md_delegation(targets, "bins");
    r_rest = sw_md_delegation(targets, "bins-rest");
    r_edge = sw_md_delegation(apps, "apps-edge");
    assert_ptr_equal(sw_md_delegation_at(targets, 0), r_apps);
    assert_null(sw_md_delegation(targets, "apps-edge"));
    assert_null(sw_md_delegation_at(targets, 3));

    /* each delegated role is signed by the keys its delegator names */
    expect_verify(apps, r_apps);
    expect_verify(edge, r_edge);
    expect_verify(bins, r_bins);
    expect_verify(rest, r_rest);
    /* and not by another role's keys */
    expect_verify_fails(apps, r_bins, "role 'bins': 0 of 1");
    expect_verify_fails(bins, r_rest, "0 of 1");
    expect_verify_fails(edge, r_apps, "0 of 1");

    assert_false(sw_md_role_terminating(r_apps));
    assert_true(sw_md_role_terminating(r_edge));
    assert_true(sw_md_delegation_matches(r_apps, "apps/core-2.0.tar.gz"));
    assert_true(sw_md_delegation_matches(r_apps, "apps/edge-1.0.tar.gz"));
    assert_false(sw_md_delegation_matches(r_apps, "apps/x/core.tar.gz"));
    assert_false(sw_md_delegation_matches(r_apps, "pkg0.bin"));
    assert_true(sw_md_delegation_matches(r_edge, "apps/edge-1.0.tar.gz"));
    assert_false(sw_md_delegation_matches(r_edge, "apps/core-2.0.tar.gz"));

    /*
     * sha256 of the paths (Python hashlib): pkg0.bin feae6303..., pkg1.bin
     * 7d19ce94..., pkg2.bin 54aa46fc..., pkg3.bin 0060f14d..., pkg4.bin
     * 45d011a4..., pkg5.bin 787c88eb..., pkg6.bin 01b4d092..., pkg7.bin
     * 5c468878...: bins (0-7) takes pkg1-7, bins-rest (8-f) takes pkg0.
     */
    assert_false(sw_md_delegation_matches(r_bins, "pkg0.bin"));
    assert_true(sw_md_delegation_matches(r_rest, "pkg0.bin"));
    for (int i = 1; i <= 7; i++) {
        char p[32];
        snprintf(p, sizeof(p), "pkg%d.bin", i);
        assert_true(sw_md_delegation_matches(r_bins, p));
        assert_false(sw_md_delegation_matches(r_rest, p));
        assert_non_null(sw_md_target(bins, p));
    }
    assert_non_null(sw_md_target(rest, "pkg0.bin"));
    /* the path's hash is computed once and kept for that path only: alternating paths */
    for (int k = 0; k < 3; k++) {
        assert_false(sw_md_delegation_matches(r_bins, "pkg0.bin"));
        assert_true(sw_md_delegation_matches(r_bins, "pkg1.bin"));
        assert_true(sw_md_delegation_matches(r_rest, "pkg0.bin"));
        assert_false(sw_md_delegation_matches(r_rest, "pkg6.bin"));
        assert_true(sw_md_delegation_matches(r_bins, "pkg6.bin"));
    }

    /* the targets the vector expects, checked against the files served */
    {
        struct {
            struct sw_md *md;
            const char *path;
        } want[] = {
            {apps, "apps/core-2.0.tar.gz"},
            {edge, "apps/edge-1.0.tar.gz"},
            {rest, "pkg0.bin"},
            {bins, "pkg3.bin"},
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
            const struct sw_md_fileinfo *fi = sw_md_target(want[i].md, want[i].path);
            target_file(file, sizeof(file), fi);
            if (vec_check("delegations", file, fi, &err) < 0)
                fail_msg("%s", err.msg);
        }
    }
    sw_md_free(apps);
    sw_md_free(edge);
    sw_md_free(bins);
    sw_md_free(rest);
    sw_md_free(snap);
    sw_md_free(root);
    sw_md_free(targets);
}

/* --- validation errors --------------------------------------------------------------- */

#define HEX64 "0000000000000000000000000000000000000000000000000000000000000000"
#define PUB1 "fdc9fc342445e21682ad99d5f0edfb9852789192c5d5ec51e15639c64b84ea9b"

static const char ts_base[] =
    "{\"signatures\":[{\"keyid\":\"aa\",\"sig\":\"00\"}],"
    "\"signed\":{\"_type\":\"timestamp\",\"spec_version\":\"1.0.31\",\"version\":3,"
    "\"expires\":\"2030-01-01T00:00:00Z\","
    "\"meta\":{\"snapshot.json\":{\"version\":2,\"length\":10,\"hashes\":{\"sha256\":\"" HEX64
    "\"}}}}}";

static const char snap_base[] =
    "{\"signatures\":[],"
    "\"signed\":{\"_type\":\"snapshot\",\"spec_version\":\"1.0\",\"version\":1,"
    "\"expires\":\"2030-01-01T00:00:00Z\","
    "\"meta\":{\"targets.json\":{\"version\":1},\"apps.json\":{\"version\":2}}}}";

static const char root_base[] =
    "{\"signatures\":[{\"keyid\":\"aa\",\"sig\":\"00\"}],"
    "\"signed\":{\"_type\":\"root\",\"spec_version\":\"1.0.31\",\"version\":1,"
    "\"expires\":\"2030-01-01T00:00:00Z\",\"consistent_snapshot\":false,"
    "\"keys\":{\"aa\":{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\",\"keyval\":{\"public\":"
    "\"" PUB1 "\"}}},"
    "\"roles\":{\"root\":{\"keyids\":[\"aa\"],\"threshold\":1},"
    "\"timestamp\":{\"keyids\":[\"aa\"],\"threshold\":1},"
    "\"snapshot\":{\"keyids\":[\"aa\"],\"threshold\":1},"
    "\"targets\":{\"keyids\":[\"aa\"],\"threshold\":1}}}}";

static const char targets_base[] =
    "{\"signatures\":[{\"keyid\":\"aa\",\"sig\":\"00\"}],"
    "\"signed\":{\"_type\":\"targets\",\"spec_version\":\"1.0.31\",\"version\":1,"
    "\"expires\":\"2030-01-01T00:00:00Z\","
    "\"targets\":{\"a.txt\":{\"length\":3,\"hashes\":{\"sha256\":\"" HEX64 "\"},"
    "\"custom\":{\"slipway\":{\"version\":\"1.0\",\"rollout\":{\"percent\":10}}}}},"
    "\"delegations\":{\"keys\":{\"aa\":{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\","
    "\"keyval\":{\"public\":\"" PUB1 "\"}}},"
    "\"roles\":[{\"name\":\"apps\",\"keyids\":[\"aa\"],\"threshold\":1,\"terminating\":false,"
    "\"paths\":[\"apps/*\"]},"
    "{\"name\":\"bins\",\"keyids\":[\"aa\"],\"threshold\":1,\"terminating\":true,"
    "\"path_hash_prefixes\":[\"0\",\"ab\"]}]}}}";

/* Set (value JSON) or delete (value NULL) the member at a '/'-separated path. */
static char *
mutate(const char *base, const char *path, const char *value)
{
    json_error_t jerr;
    json_t *doc = json_loads(base, 0, &jerr);
    json_t *cur = doc;
    char *p = strdup(path), *tok = p, *slash;
    char *out;
    assert_non_null(doc);
    /* split on '/', keeping empty parts (an empty key is a valid key) */
    while ((slash = strchr(tok, '/'))) {
        *slash = '\0';
        cur = json_is_array(cur) ? json_array_get(cur, strtoul(tok, NULL, 10))
                                 : json_object_get(cur, tok);
        assert_non_null(cur);
        tok = slash + 1;
    }
    if (value) {
        json_t *v = json_loads(value, JSON_DECODE_ANY, &jerr);
        assert_non_null(v);
        if (json_is_array(cur))
            json_array_set_new(cur, strtoul(tok, NULL, 10), v);
        else
            json_object_set_new(cur, tok, v);
    } else if (json_is_array(cur)) {
        json_array_remove(cur, strtoul(tok, NULL, 10));
    } else {
        assert_int_equal(json_object_del(cur, tok), 0);
    }
    out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    free(p);
    return out;
}

static int
parse_str(const char *doc, enum sw_md_type type, struct sw_error *err)
{
    struct sw_md *md = NULL;
    int r = sw_md_parse_mem(doc, strlen(doc), type, &md, err);
    sw_md_free(md);
    return r;
}

struct mut {
    enum sw_md_type type;
    const char *path;
    const char *value; /* NULL: delete */
    int code;          /* 0: must parse */
    const char *needle;
};

static const char *
base_of(enum sw_md_type t)
{
    switch (t) {
    case SW_MD_ROOT:
        return root_base;
    case SW_MD_TIMESTAMP:
        return ts_base;
    case SW_MD_SNAPSHOT:
        return snap_base;
    case SW_MD_TARGETS:
        return targets_base;
    }
    return NULL;
}

static void
run_mutations(const struct mut *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct sw_error err = SW_ERROR_INIT;
        char *doc = mutate(base_of(m[i].type), m[i].path, m[i].value);
        int r = parse_str(doc, m[i].type, &err);
        if (r != -m[i].code)
            fail_msg("%s = %s: expected %s, got %d (%s)", m[i].path,
                     m[i].value ? m[i].value : "(deleted)", sw_errcode_name(m[i].code), r, err.msg);
        if (m[i].needle && !strstr(err.msg, m[i].needle))
            fail_msg("%s = %s: message '%s' lacks '%s'", m[i].path,
                     m[i].value ? m[i].value : "(deleted)", err.msg, m[i].needle);
        free(doc);
    }
}

static void
test_bases_parse(void **state)
{
    (void)state;
    for (int t = 0; t < SW_MD_N_TYPES; t++) {
        struct sw_error err = SW_ERROR_INIT;
        if (parse_str(base_of((enum sw_md_type)t), (enum sw_md_type)t, &err) < 0)
            fail_msg("%s base: %s", sw_md_type_to_string((enum sw_md_type)t), err.msg);
    }
}

static void
test_common_fields(void **state)
{
    const enum sw_md_type T = SW_MD_TIMESTAMP;
    const int M = SW_E_METADATA;
    const char *bad_time = "not a UTC time 'YYYY-MM-DDTHH:MM:SSZ'";
    const struct mut m[] = {
        {T, "signed/_type", NULL, M, "role 'timestamp': field '_type' is missing"},
        {T, "signed/_type", "\"snapshot\"", M, "field '_type' is 'snapshot', expected 'timestamp'"},
        {T, "signed/_type", "\"Timestamp\"", M, "expected 'timestamp'"},
        {T, "signed/_type", "1", M, "field '_type' must be a string"},
        {T, "signed/version", NULL, M, "field 'version' is missing"},
        {T, "signed/version", "0", M, "field 'version' must be an integer >= 1"},
        {T, "signed/version", "-5", M, "field 'version' must be an integer >= 1"},
        {T, "signed/version", "\"1\"", M, "field 'version' must be an integer >= 1"},
        {T, "signed/version", "true", M, "field 'version' must be an integer >= 1"},
        {T, "signed/version", "1.0", SW_E_JSON, "floating-point"},
        {T, "signed/expires", NULL, M, "field 'expires' is missing"},
        {T, "signed/expires", "2030", M, "field 'expires' must be a string"},
        {T, "signed/expires", "\"2030-01-01\"", M, "field 'expires' is '2030-01-01', not a UTC"},
        {T, "signed/expires", "\"2030-01-01T00:00:00+01:00\"", M, bad_time},
        {T, "signed/expires", "\"2030-13-01T00:00:00Z\"", M, bad_time},
        {T, "signed/expires", "\"2030-00-01T00:00:00Z\"", M, bad_time},
        {T, "signed/expires", "\"2030-02-30T00:00:00Z\"", M, bad_time},
        {T, "signed/expires", "\"2023-02-29T00:00:00Z\"", M, bad_time},
        {T, "signed/expires", "\"2030-01-32T00:00:00Z\"", M, bad_time},
        {T, "signed/expires", "\"2030-01-01T24:00:00Z\"", M, bad_time},
        {T, "signed/expires", "\"2030-01-01T00:60:00Z\"", M, bad_time},
        {T, "signed/expires", "\"2030-01-01T00:00:60Z\"", M, bad_time},
        {T, "signed/expires", "\"2030-01-01t00:00:00z\"", M, bad_time},
        {T, "signed/expires", "\"2030-01-01T00:00:00.5Z\"", M, bad_time},
        {T, "signed/expires", "\"2030-01-01 00:00:00Z\"", M, bad_time},
        {T, "signed/expires", "\" 2030-01-01T00:00:00Z\"", M, bad_time},
        {T, "signed/expires", "\"2030-01-01T00:00:00\"", M, bad_time},
        {T, "signed/expires", "\"2030-1-01T00:00:00Z\"", M, bad_time},
        {T, "signed/expires", "\"+030-01-01T00:00:00Z\"", M, bad_time},
        {T, "signed/expires", "\"\"", M, bad_time},
        {T, "signed/expires", "\"2024-02-29T23:59:59Z\"", 0, NULL},
        {T, "signed/spec_version", NULL, M, "field 'spec_version' is missing"},
        {T, "signed/spec_version", "\"2.0\"", SW_E_UNSUPPORTED,
         "field 'spec_version' is '2.0': only major version 1"},
        {T, "signed/spec_version", "\"2.0.0\"", SW_E_UNSUPPORTED, NULL},
        {T, "signed/spec_version", "\"0.9.0\"", SW_E_UNSUPPORTED, NULL},
        {T, "signed/spec_version", "\"1\"", M, "field 'spec_version' is '1', not a version"},
        {T, "signed/spec_version", "\"1.0.31-rc1\"", M, "not a version"},
        {T, "signed/spec_version", "\"1.0.31.1\"", M, "not a version"},
        {T, "signed/spec_version", "\"1..0\"", M, "not a version"},
        {T, "signed/spec_version", "\"v1.0\"", M, "not a version"},
        {T, "signed/spec_version", "\"\"", M, "field 'spec_version' must not be empty"},
        {T, "signed/spec_version", "1", M, "field 'spec_version' must be a string"},
        {T, "signed/spec_version", "\"1.0\"", 0, NULL},
        {T, "signed/spec_version", "\"1.99.1234\"", 0, NULL},
        {T, "signed", NULL, M, "field 'signed' is missing"},
        {T, "signed", "[]", M, "field 'signed' must be an object"},
        {T, "signatures", NULL, M, "field 'signatures' is missing"},
        {T, "signatures", "{}", M, "field 'signatures' must be an array"},
        {T, "signatures/0", "\"x\"", M, "field 'signatures[0]' must be an object"},
        {T, "signatures/0/keyid", NULL, M, "field 'signatures[0].keyid' is missing"},
        {T, "signatures/0/keyid", "7", M, "field 'signatures[0].keyid' must be a string"},
        {T, "signatures/0/keyid", "\"a b\"", M, "field 'signatures[0].keyid' must be a key id"},
        {T, "signatures/0/keyid", "\"\"", M, "must be a key id"},
        {T, "signatures/0/sig", NULL, M, "field 'signatures[0].sig' is missing"},
        {T, "signatures/0/sig", "null", M, "field 'signatures[0].sig' must be a string"},
        /* unknown fields are kept, not refused */
        {T, "signed/x-unknown", "{\"b\":[1,{\"c\":null}]}", 0, NULL},
        {T, "x-top", "1", 0, NULL},
        {T, "signatures/0/x-extra", "true", 0, NULL},
        {T, "signed/x-unknown", "{\"b\":1.5}", SW_E_JSON, "floating-point"},
    };
    (void)state;
    run_mutations(m, sizeof(m) / sizeof(m[0]));
}

static void
test_timestamp_snapshot_fields(void **state)
{
    const enum sw_md_type T = SW_MD_TIMESTAMP, S = SW_MD_SNAPSHOT;
    const int M = SW_E_METADATA;
    const struct mut m[] = {
        {T, "signed/meta", NULL, M, "role 'timestamp': field 'meta' is missing"},
        {T, "signed/meta", "[]", M, "field 'meta' must be an object"},
        {T, "signed/meta/snapshot.json", NULL, M, "field 'meta.snapshot.json' is missing"},
        {T, "signed/meta/targets.json", "{\"version\":1}", M,
         "field 'meta' must describe snapshot.json only"},
        {T, "signed/meta/snapshot.json", "1", M, "field 'meta.snapshot.json' must be an object"},
        {T, "signed/meta/snapshot.json/version", NULL, M,
         "field 'meta.snapshot.json.version' is missing"},
        {T, "signed/meta/snapshot.json/version", "0", M,
         "field 'meta.snapshot.json.version' must be an integer >= 1"},
        {T, "signed/meta/snapshot.json/length", "-1", M,
         "field 'meta.snapshot.json.length' must be an integer >= 0"},
        {T, "signed/meta/snapshot.json/length", "\"10\"", M, "must be an integer >= 0"},
        {T, "signed/meta/snapshot.json/length", NULL, 0, NULL},
        {T, "signed/meta/snapshot.json/hashes", NULL, 0, NULL},
        {T, "signed/meta/snapshot.json/hashes", "{}", M,
         "field 'meta.snapshot.json.hashes' must hold at least one hash"},
        {T, "signed/meta/snapshot.json/hashes", "[\"sha256\"]", M, "must be an object"},
        {T, "signed/meta/snapshot.json/hashes/sha256", "\"abc\"", M,
         "field 'meta.snapshot.json.hashes.sha256' must be 64 hex characters"},
        {T, "signed/meta/snapshot.json/hashes/sha256", "\"" HEX64 "0\"", M, "64 hex"},
        {T, "signed/meta/snapshot.json/hashes/sha256",
         "\"zz00000000000000000000000000000000000000000000000000000000000000\"", M, "64 hex"},
        {T, "signed/meta/snapshot.json/hashes/sha512", "\"" HEX64 "\"", M,
         "field 'meta.snapshot.json.hashes.sha512' must be 128 hex characters"},
        {T, "signed/meta/snapshot.json/hashes/sha256", "5", M, "must be a string"},
        {T, "signed/meta/snapshot.json/hashes/sha256", "\"\"", M, "must not be empty"},
        /* an unknown algorithm parses; checking a file against it is refused */
        {T, "signed/meta/snapshot.json/hashes/blake3", "\"anything\"", 0, NULL},
        {S, "signed/meta/targets.json", NULL, M,
         "role 'snapshot': field 'meta.targets.json' is missing"},
        {S, "signed/meta/targets.json/version", NULL, M,
         "role 'snapshot': field 'meta.targets.json.version' is missing"},
        {S, "signed/meta/targets.json/version", "0", M,
         "role 'snapshot': field 'meta.targets.json.version' must be an integer >= 1"},
        {S, "signed/meta/apps.json", "3", M, "field 'meta.apps.json' must be an object"},
        {S, "signed/meta/a\nb.json", "{}", M, "field 'meta.a\\x0ab.json.version' is missing"},
        {S, "signed/_type", "\"timestamp\"", M, "role 'snapshot': field '_type' is 'timestamp'"},
    };
    (void)state;
    run_mutations(m, sizeof(m) / sizeof(m[0]));
}

/*
 * Versions are bounded by SW_MD_MAX_VERSION (INT64_MAX - 1) in every role
 * and every "meta" entry, so a trusted version + 1 never overflows.
 */
static void
test_version_bounds(void **state)
{
    const enum sw_md_type R = SW_MD_ROOT, T = SW_MD_TIMESTAMP, S = SW_MD_SNAPSHOT,
                          G = SW_MD_TARGETS;
    const int M = SW_E_METADATA;
    const char *above = "above the largest version 9223372036854775806";
    const struct mut m[] = {
        {R, "signed/version", "9223372036854775807", M, "field 'version' is 9223372036854775807"},
        {R, "signed/version", "9223372036854775807", M, above},
        {T, "signed/version", "9223372036854775807", M, above},
        {S, "signed/version", "9223372036854775807", M, above},
        {G, "signed/version", "9223372036854775807", M, above},
        {R, "signed/version", "9223372036854775806", 0, NULL},
        {T, "signed/version", "9223372036854775806", 0, NULL},
        {G, "signed/version", "9223372036854775806", 0, NULL},
        {R, "signed/version", "-9223372036854775808", M, "must be an integer >= 1"},
        {T, "signed/meta/snapshot.json/version", "9223372036854775807", M,
         "field 'meta.snapshot.json.version' is 9223372036854775807, above the largest version"},
        {T, "signed/meta/snapshot.json/version", "9223372036854775806", 0, NULL},
        {S, "signed/meta/targets.json/version", "9223372036854775807", M,
         "role 'snapshot': field 'meta.targets.json.version' is 9223372036854775807"},
        {S, "signed/meta/targets.json/version", "9223372036854775806", 0, NULL},
    };
    (void)state;
    assert_true(SW_MD_MAX_VERSION == INT64_MAX - 1);
    run_mutations(m, sizeof(m) / sizeof(m[0]));
}

static void
test_root_fields(void **state)
{
    const enum sw_md_type R = SW_MD_ROOT;
    const int M = SW_E_METADATA;
    const struct mut m[] = {
        {R, "signed/keys", NULL, M, "role 'root': field 'keys' is missing"},
        {R, "signed/keys", "[]", M, "field 'keys' must be an object"},
        {R, "signed/keys/aa", "\"x\"", M, "field 'keys.aa' must be an object"},
        {R, "signed/keys/aa/keytype", NULL, M, "field 'keys.aa.keytype' is missing"},
        {R, "signed/keys/aa/scheme", "1", M, "field 'keys.aa.scheme' must be a string"},
        {R, "signed/keys/aa/keyval", "\"x\"", M, "field 'keys.aa.keyval' must be an object"},
        {R, "signed/keys/b b", "{}", M, "field 'keys.b b' must be a key id"},
        /* unsupported or broken keys are kept as unusable */
        {R, "signed/keys/aa/keytype", "\"ed448\"", 0, NULL},
        {R, "signed/keys/aa/keyval/public", "\"zz\"", 0, NULL},
        {R, "signed/keys/aa/keyval", "{\"other\":1}", 0, NULL},
        {R, "signed/roles", NULL, M, "field 'roles' is missing"},
        {R, "signed/roles", "[]", M, "field 'roles' must be an object"},
        {R, "signed/roles/snapshot", NULL, M, "field 'roles.snapshot' is missing"},
        {R, "signed/roles/foo", "{\"keyids\":[],\"threshold\":1}", M,
         "field 'roles.foo' is not a top-level role"},
        {R, "signed/roles/mirrors", "{\"keyids\":[\"aa\"],\"threshold\":1}", 0, NULL},
        {R, "signed/roles/mirrors", "{\"keyids\":[\"aa\"]}", M,
         "field 'roles.mirrors.threshold' is missing"},
        {R, "signed/roles/root", "[]", M, "field 'roles.root' must be an object"},
        {R, "signed/roles/root/threshold", NULL, M, "field 'roles.root.threshold' is missing"},
        {R, "signed/roles/root/threshold", "0", M,
         "field 'roles.root.threshold' must be an integer >= 1"},
        {R, "signed/roles/root/threshold", "-1", M, "must be an integer >= 1"},
        {R, "signed/roles/targets/keyids", NULL, M, "field 'roles.targets.keyids' is missing"},
        {R, "signed/roles/targets/keyids", "\"aa\"", M,
         "field 'roles.targets.keyids' must be an array"},
        {R, "signed/roles/targets/keyids", "[5]", M,
         "field 'roles.targets.keyids[0]' must be a string"},
        {R, "signed/roles/targets/keyids", "[\"aa\",\"bb\",\"aa\"]", M,
         "field 'roles.targets.keyids[2]' repeats key id 'aa'"},
        /* a listed key id need not be in keys (it just never counts) */
        {R, "signed/roles/targets/keyids", "[\"aa\",\"bb\"]", 0, NULL},
        {R, "signed/roles/targets/keyids", "[]", 0, NULL},
        {R, "signed/consistent_snapshot", "\"yes\"", M,
         "field 'consistent_snapshot' must be a boolean"},
        {R, "signed/consistent_snapshot", NULL, 0, NULL},
        {R, "signed/_type", "\"targets\"", M, "expected 'root'"},
    };
    (void)state;
    run_mutations(m, sizeof(m) / sizeof(m[0]));
}

static void
test_targets_fields(void **state)
{
    const enum sw_md_type G = SW_MD_TARGETS;
    const int M = SW_E_METADATA;
    const struct mut m[] = {
        {G, "signed/targets", NULL, M, "role 'targets': field 'targets' is missing"},
        {G, "signed/targets", "[]", M, "field 'targets' must be an object"},
        {G, "signed/targets", "{}", 0, NULL},
        {G, "signed/targets/a.txt", "[]", M, "field 'targets.a.txt' must be an object"},
        {G, "signed/targets/a.txt/length", NULL, M, "field 'targets.a.txt.length' is missing"},
        {G, "signed/targets/a.txt/length", "-1", M,
         "field 'targets.a.txt.length' must be an integer >= 0"},
        {G, "signed/targets/a.txt/length", "0", 0, NULL},
        {G, "signed/targets/a.txt/hashes", NULL, M, "field 'targets.a.txt.hashes' is missing"},
        {G, "signed/targets/a.txt/hashes", "{}", M,
         "field 'targets.a.txt.hashes' must hold at least one hash"},
        {G, "signed/targets/a.txt/custom", "[]", M,
         "field 'targets.a.txt.custom' must be an object"},
        {G, "signed/targets/a.txt/custom", NULL, 0, NULL},
        {G, "signed/targets/a.txt/custom/slipway/rollout/percent", "12.5", SW_E_JSON,
         "floating-point"},
        {G, "signed/targets/", "{\"length\":1,\"hashes\":{\"sha256\":\"" HEX64 "\"}}", M,
         "field 'targets' has an empty target path"},
        {G, "signed/delegations", "[]", M, "field 'delegations' must be an object"},
        {G, "signed/delegations", NULL, 0, NULL},
        {G, "signed/delegations/keys", NULL, M, "field 'delegations.keys' is missing"},
        {G, "signed/delegations/keys/aa/keyval", "1", M,
         "field 'delegations.keys.aa.keyval' must be an object"},
        {G, "signed/delegations/roles", NULL, M, "field 'delegations.roles' is missing"},
        {G, "signed/delegations/roles", "{}", M, "field 'delegations.roles' must be an array"},
        {G, "signed/delegations/roles", "[]", 0, NULL},
        {G, "signed/delegations/succinct_roles", "{}", M,
         "field 'delegations' must not have both 'roles' and 'succinct_roles'"},
        {G, "signed/delegations/roles/0", "5", M, "field 'delegations.roles[0]' must be an object"},
        {G, "signed/delegations/roles/0/name", NULL, M,
         "field 'delegations.roles[0].name' is missing"},
        {G, "signed/delegations/roles/0/name", "\"\"", M,
         "field 'delegations.roles[0].name' must not be empty"},
        {G, "signed/delegations/roles/1/name", "\"apps\"", M,
         "field 'delegations.roles[1]' repeats role name 'apps'"},
        /* role names are names, not paths */
        {G, "signed/delegations/roles/0/name", "\"../x\"", 0, NULL},
        {G, "signed/delegations/roles/0/name", "\"a/b\"", 0, NULL},
        {G, "signed/delegations/roles/0/name", "\"targets\"", 0, NULL},
        {G, "signed/delegations/roles/0/keyids", NULL, M,
         "field 'delegations.roles[0].keyids' is missing"},
        {G, "signed/delegations/roles/0/threshold", "0", M,
         "field 'delegations.roles[0].threshold' must be an integer >= 1"},
        {G, "signed/delegations/roles/0/terminating", NULL, M,
         "field 'delegations.roles[0].terminating' is missing"},
        {G, "signed/delegations/roles/0/terminating", "\"no\"", M,
         "field 'delegations.roles[0].terminating' must be a boolean"},
        {G, "signed/delegations/roles/0/paths", NULL, M,
         "field 'delegations.roles[0]' must have exactly one of 'paths' and "
         "'path_hash_prefixes'"},
        {G, "signed/delegations/roles/0/path_hash_prefixes", "[\"0\"]", M, "exactly one of"},
        {G, "signed/delegations/roles/0/paths", "\"apps/*\"", M,
         "field 'delegations.roles[0].paths' must be an array"},
        {G, "signed/delegations/roles/0/paths", "[1]", M,
         "field 'delegations.roles[0].paths[0]' must be a string"},
        {G, "signed/delegations/roles/0/paths", "[]", 0, NULL},
        {G, "signed/delegations/roles/1/path_hash_prefixes", "[\"AB\"]", M,
         "field 'delegations.roles[1].path_hash_prefixes[0]' must be lowercase hex"},
        {G, "signed/delegations/roles/1/path_hash_prefixes", "[\"0g\"]", M, "lowercase hex"},
        {G, "signed/delegations/roles/1/path_hash_prefixes", "[\"\"]", M, "must not be empty"},
        {G, "signed/delegations/roles/1/path_hash_prefixes", "[\"" HEX64 "0\"]", SW_E_LIMIT,
         "is longer than 64 bytes"},
        {G, "signed/delegations/roles/1/path_hash_prefixes", "[\"" HEX64 "\"]", 0, NULL},
        {G, "signed/_type", "\"root\"", M, "field '_type' is 'root', expected 'targets'"},
    };
    (void)state;
    run_mutations(m, sizeof(m) / sizeof(m[0]));
}

static void
test_names_in_messages(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *md = NULL;
    char *doc = mutate(targets_base, "signed/version", "0");
    (void)state;
    /* a delegated role is named by the caller; odd bytes are escaped */
    assert_int_equal(sw_md_parse_role_mem(doc, strlen(doc), SW_MD_TARGETS, "../a\nb", &md, &err),
                     -SW_E_METADATA);
    assert_string_equal(err.msg, "role '../a\\x0ab': field 'version' must be an integer >= 1");
    free(doc);
    /* JSON errors carry the role too */
    assert_int_equal(
        sw_md_parse_role_mem("{\"a\":1,\"a\":2}", 13, SW_MD_TARGETS, "apps", &md, &err),
        -SW_E_JSON);
    assert_non_null(strstr(err.msg, "role 'apps': json: duplicate key \"a\""));
    assert_int_equal(sw_md_parse_mem("[]", 2, SW_MD_ROOT, &md, &err), -SW_E_METADATA);
    assert_string_equal(err.msg, "role 'root': document must be a JSON object");
    assert_int_equal(sw_md_parse_mem("{}", 2, (enum sw_md_type)9, &md, &err), -SW_E_INVAL);
    assert_null(md);
}

static void
test_duplicate_json_keys(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    const char doc[] = "{\"signatures\":[],\"signed\":{\"_type\":\"snapshot\",\"spec_version\":"
                       "\"1.0\",\"version\":1,\"version\":2,\"expires\":\"2030-01-01T00:00:00Z\","
                       "\"meta\":{\"targets.json\":{\"version\":1}}}}";
    (void)state;
    assert_int_equal(parse_str(doc, SW_MD_SNAPSHOT, &err), -SW_E_JSON);
    assert_non_null(strstr(err.msg, "role 'snapshot': json: duplicate key \"version\""));
}

static void
test_limits(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *md = NULL;
    struct sw_buf b = SW_BUF_INIT(0);
    char *big, *doc;
    (void)state;

    /* more signatures than SW_MD_MAX_SIGNATURES */
    assert_int_equal(sw_buf_append_str(&b, "{\"signatures\":[", NULL), 0);
    for (int i = 0; i <= SW_MD_MAX_SIGNATURES; i++)
        assert_int_equal(
            sw_buf_printf(&b, NULL, "%s{\"keyid\":\"k%d\",\"sig\":\"\"}", i ? "," : "", i), 0);
    assert_int_equal(sw_buf_append_str(&b, "],\"signed\":{}}", NULL), 0);
    assert_int_equal(sw_md_parse_mem(b.data, b.len, SW_MD_SNAPSHOT, &md, &err), -SW_E_LIMIT);
    assert_non_null(strstr(err.msg, "field 'signatures' has 257 entries, more than 256"));
    sw_buf_release(&b);

    /* a document longer than SW_MD_MAX_LEN is refused before it is read */
    big = calloc(1, SW_MD_MAX_LEN + 1);
    assert_non_null(big);
    assert_int_equal(sw_md_parse_mem(big, SW_MD_MAX_LEN + 1, SW_MD_ROOT, &md, &err), -SW_E_LIMIT);
    assert_non_null(strstr(err.msg, "role 'root': json: document of 67108865 bytes exceeds"));
    free(big);

    /* too deep, in custom where anything goes */
    {
        char deep[2 * 80 + 8];
        size_t o = 0;
        for (int i = 0; i < 70; i++)
            deep[o++] = '[';
        for (int i = 0; i < 70; i++)
            deep[o++] = ']';
        deep[o] = '\0';
        char *obj = malloc(strlen(deep) + 16);
        sprintf(obj, "{\"x\":%s}", deep);
        /* build by text: jansson's own parser would refuse nothing here */
        doc = malloc(strlen(targets_base) + strlen(obj) + 16);
        {
            const char *at = strstr(targets_base, "\"custom\":");
            size_t pre = (size_t)(at - targets_base) + strlen("\"custom\":");
            memcpy(doc, targets_base, pre);
            sprintf(doc + pre, "%s,\"x-custom\":%s", obj, at + strlen("\"custom\":"));
        }
        assert_int_equal(parse_str(doc, SW_MD_TARGETS, &err), -SW_E_LIMIT);
        assert_non_null(strstr(err.msg, "nesting deeper than 64"));
        free(doc);
        free(obj);
    }

    /* a target path and a role name over their limits */
    {
        char path[SW_MD_MAX_PATH_LEN + 16], mpath[SW_MD_MAX_PATH_LEN + 64];
        memset(path, 'p', SW_MD_MAX_PATH_LEN + 1);
        path[SW_MD_MAX_PATH_LEN + 1] = '\0';
        snprintf(mpath, sizeof(mpath), "signed/targets/%s", path);
        doc = mutate(targets_base, mpath, "{\"length\":1,\"hashes\":{\"sha256\":\"" HEX64 "\"}}");
        assert_int_equal(parse_str(doc, SW_MD_TARGETS, &err), -SW_E_LIMIT);
        assert_non_null(strstr(err.msg, "is a path longer than 1024 bytes"));
        free(doc);
        path[SW_MD_MAX_ROLE_NAME + 1] = '\0';
        snprintf(mpath, sizeof(mpath), "\"%s\"", path);
        doc = mutate(targets_base, "signed/delegations/roles/0/name", mpath);
        assert_int_equal(parse_str(doc, SW_MD_TARGETS, &err), -SW_E_LIMIT);
        assert_non_null(strstr(err.msg, "field 'delegations.roles[0].name' is longer than 255"));
        free(doc);
    }

    /* more hashes than SW_MD_MAX_HASHES */
    doc = mutate(targets_base, "signed/targets/a.txt/hashes",
                 "{\"a\":\"1\",\"b\":\"1\",\"c\":\"1\",\"d\":\"1\",\"e\":\"1\",\"f\":\"1\","
                 "\"g\":\"1\",\"h\":\"1\",\"i\":\"1\"}");
    assert_int_equal(parse_str(doc, SW_MD_TARGETS, &err), -SW_E_LIMIT);
    assert_non_null(strstr(err.msg, "has 9 hashes, more than 8"));
    free(doc);
}

static void
test_signed_bytes(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *md = NULL;
    size_t len;
    const unsigned char *bytes;
    /* served with white space, escapes and an unknown field */
    const char doc[] = "{ \"signed\" : {\n \"version\": 3, \"_type\": \"timestamp\",\n"
                       "  \"meta\": {\"snapshot.json\": {\"version\": 2}},\n"
                       "  \"x-new\": {\"z\": \"\\u00e9\\n\", \"a\": [true, null]},\n"
                       "  \"expires\": \"2030-01-01T00:00:00Z\", \"spec_version\": \"1.0.31\"\n"
                       " },\n \"signatures\": [] }\n";
    /* written by hand in canonical form */
    const char want[] = "{\"_type\":\"timestamp\",\"expires\":\"2030-01-01T00:00:00Z\","
                        "\"meta\":{\"snapshot.json\":{\"version\":2}},\"spec_version\":\"1.0.31\","
                        "\"version\":3,\"x-new\":{\"a\":[true,null],\"z\":\"\xc3\xa9\n\"}}";
    (void)state;
    assert_int_equal(sw_md_parse_mem(doc, strlen(doc), SW_MD_TIMESTAMP, &md, &err), 0);
    bytes = sw_md_signed_bytes(md, &len);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(bytes, want, len);
    assert_int_equal(sw_md_signature_count(md), 0);
    assert_int_equal(sw_md_timestamp_snapshot(md)->length, -1);
    assert_int_equal(sw_md_timestamp_snapshot(md)->n_hashes, 0);
    sw_md_free(md);
    sw_md_free(NULL);
    {
        /* pretty-printed with its keys in order and no escape: the white space is all that goes */
        const char pretty[] =
            "{\n \"signatures\": [],\n \"signed\": {\n  \"_type\": \"timestamp\",\n"
            "  \"expires\": \"2030-01-01T00:00:00Z\",\n"
            "  \"meta\": {\n   \"snapshot.json\": {\n    \"version\": 2\n   }\n  },\n"
            "  \"spec_version\": \"1.0.31\",\n  \"version\": 3,\n"
            "  \"x-new\": {\"a\": [true, null], \"z\": \"x\ty \"}\n }\n}\n";
        const char pwant[] =
            "{\"_type\":\"timestamp\",\"expires\":\"2030-01-01T00:00:00Z\","
            "\"meta\":{\"snapshot.json\":{\"version\":2}},\"spec_version\":\"1.0.31\","
            "\"version\":3,\"x-new\":{\"a\":[true,null],\"z\":\"x\ty \"}}";
        assert_int_equal(sw_md_parse_mem(pretty, strlen(pretty), SW_MD_TIMESTAMP, &md, &err), 0);
        bytes = sw_md_signed_bytes(md, &len);
        assert_int_equal(len, strlen(pwant));
        assert_memory_equal(bytes, pwant, len);
        sw_md_free(md);
    }
}

/* --- thresholds with keys made here ----------------------------------------------------- */

struct tkey {
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    char pkhex[2 * crypto_sign_PUBLICKEYBYTES + 1];
};

static struct tkey K[4];
static struct sw_md *T_root;

/* snapshot "signed" in canonical form, written by hand: the bytes signatures cover */
static const char snap_signed[] =
    "{\"_type\":\"snapshot\",\"expires\":\"2099-01-01T00:00:00Z\","
    "\"meta\":{\"targets.json\":{\"version\":1}},\"spec_version\":\"1.0.31\",\"version\":1}";

static int
setup_keys(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *root;
    char *text;
    (void)state;
    if (sodium_init() < 0)
        return -1;
    for (int i = 0; i < 4; i++) {
        crypto_sign_keypair(K[i].pk, K[i].sk);
        sodium_bin2hex(K[i].pkhex, sizeof(K[i].pkhex), K[i].pk, sizeof(K[i].pk));
    }
    /*
     * keys: k0-k3; "dup" is k0's key under a second id; "odd" an unsupported
     * type. snapshot role: k0, k1, k2, dup, odd and "missing" (not in keys),
     * threshold 2. timestamp role: k3.
     */
    root =
        json_pack("{s:[],s:{s:s,s:s,s:i,s:s,s:{s:o,s:o,s:o,s:o,s:o,s:o},s:{s:o,s:o,s:o,s:o}}}",
                  "signatures", "signed", "_type", "root", "spec_version", "1.0.31", "version", 1,
                  "expires", "2099-01-01T00:00:00Z", "keys", "k0",
                  json_pack("{s:s,s:s,s:{s:s}}", "keytype", "ed25519", "scheme", "ed25519",
                            "keyval", "public", K[0].pkhex),
                  "k1",
                  json_pack("{s:s,s:s,s:{s:s}}", "keytype", "ed25519", "scheme", "ed25519",
                            "keyval", "public", K[1].pkhex),
                  "k2",
                  json_pack("{s:s,s:s,s:{s:s}}", "keytype", "ed25519", "scheme", "ed25519",
                            "keyval", "public", K[2].pkhex),
                  "k3",
                  json_pack("{s:s,s:s,s:{s:s}}", "keytype", "ed25519", "scheme", "ed25519",
                            "keyval", "public", K[3].pkhex),
                  "dup",
                  json_pack("{s:s,s:s,s:{s:s}}", "keytype", "ed25519", "scheme", "ed25519",
                            "keyval", "public", K[0].pkhex),
                  "odd",
                  json_pack("{s:s,s:s,s:{s:s}}", "keytype", "ed448", "scheme", "ed448", "keyval",
                            "public", K[1].pkhex),
                  "roles", "root", json_pack("{s:[s],s:i}", "keyids", "k0", "threshold", 1),
                  "timestamp", json_pack("{s:[s],s:i}", "keyids", "k3", "threshold", 1), "snapshot",
                  json_pack("{s:[s,s,s,s,s,s],s:i}", "keyids", "k0", "k1", "k2", "dup", "odd",
                            "missing", "threshold", 2),
                  "targets", json_pack("{s:[s],s:i}", "keyids", "k0", "threshold", 1));
    if (!root)
        return -1;
    text = json_dumps(root, 0);
    json_decref(root);
    if (sw_md_parse_mem(text, strlen(text), SW_MD_ROOT, &T_root, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        free(text);
        return -1;
    }
    free(text);
    return 0;
}

static int
teardown_keys(void **state)
{
    (void)state;
    sw_md_free(T_root);
    T_root = NULL;
    sodium_memzero(K, sizeof(K));
    return 0;
}

/* One "signatures" entry: keyid, and who signs (key index) or a literal sig (signer < 0). */
struct tsig {
    const char *keyid;
    int signer;
    const char *literal;
};

static struct sw_md *
signed_snapshot(const struct tsig *sigs, size_t n, struct sw_error *err)
{
    struct sw_buf b = SW_BUF_INIT(0);
    struct sw_md *md = NULL;
    assert_int_equal(sw_buf_append_str(&b, "{\"signatures\":[", NULL), 0);
    for (size_t i = 0; i < n; i++) {
        char hex[2 * crypto_sign_BYTES + 1];
        if (sigs[i].signer >= 0) {
            unsigned char sig[crypto_sign_BYTES];
            crypto_sign_detached(sig, NULL, (const unsigned char *)snap_signed, strlen(snap_signed),
                                 K[sigs[i].signer].sk);
            sodium_bin2hex(hex, sizeof(hex), sig, sizeof(sig));
        } else {
            snprintf(hex, sizeof(hex), "%s", sigs[i].literal);
        }
        assert_int_equal(sw_buf_printf(&b, NULL, "%s{\"keyid\":\"%s\",\"sig\":\"%s\"}",
                                       i ? "," : "", sigs[i].keyid, hex),
                         0);
    }
    assert_int_equal(sw_buf_printf(&b, NULL, "],\"signed\":%s}", snap_signed), 0);
    if (sw_md_parse_mem(b.data, b.len, SW_MD_SNAPSHOT, &md, err) < 0)
        md = NULL;
    sw_buf_release(&b);
    return md;
}

/* Verify a snapshot signed as listed; want_ok, or the failure message contains needle. */
static void
threshold_case(const struct tsig *sigs, size_t n, bool want_ok, const char *needle)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *md = signed_snapshot(sigs, n, &err);
    size_t len;
    int r;
    if (!md)
        fail_msg("parse: %s", err.msg);
    /* the bytes verified are exactly the hand-written canonical ones */
    assert_memory_equal(sw_md_signed_bytes(md, &len), snap_signed, strlen(snap_signed));
    assert_int_equal(len, strlen(snap_signed));
    r = sw_md_verify(md, sw_md_root_role(T_root, SW_MD_SNAPSHOT), &err);
    if (want_ok && r != 0)
        fail_msg("expected success: %s", err.msg);
    if (!want_ok) {
        assert_int_equal(r, -SW_E_SIGNATURE);
        if (!strstr(err.msg, needle))
            fail_msg("message '%s' lacks '%s'", err.msg, needle);
    }
    sw_md_free(md);
}

#define CASE(ok, needle, ...)                                                                      \
    do {                                                                                           \
        const struct tsig s_[] = {__VA_ARGS__};                                                    \
        threshold_case(s_, sizeof(s_) / sizeof(s_[0]), ok, needle);                                \
    } while (0)

/* 64 zero bytes in hex: well-formed, never valid */
#define Z16 "0000000000000000"
static const char bad_sig[] = Z16 Z16 Z16 Z16 Z16 Z16 Z16 Z16;

static void
test_threshold(void **state)
{
    (void)state;
    /* exactly at the threshold, above it, in any order */
    CASE(true, NULL, {"k0", 0, NULL}, {"k1", 1, NULL});
    CASE(true, NULL, {"k2", 2, NULL}, {"k1", 1, NULL}, {"k0", 0, NULL});
    /* one below */
    CASE(false, "role 'snapshot': 1 of 2 required signatures", {"k0", 0, NULL});
    threshold_case(NULL, 0, false, "role 'snapshot': 0 of 2 required signatures");
    /* the same key material under a second id counts once */
    CASE(false, "1 of 2 required signatures (ignored: 1 by a key already counted under another id)",
         {"k0", 0, NULL}, {"dup", 0, NULL});
    /* a key id neither the role nor the root knows */
    CASE(false, "1 of 2 required signatures (ignored: 1 by a key the role does not list)",
         {"k0", 0, NULL}, {"stranger", 1, NULL});
    /* the timestamp key is valid in root but not for snapshot */
    CASE(false, "(ignored: 1 by a key the role does not list)", {"k0", 0, NULL}, {"k3", 3, NULL});
    /* a listed id with no key, and an unsupported key */
    CASE(false, "(ignored: 1 by an unknown key)", {"k0", 0, NULL}, {"missing", 1, NULL});
    CASE(false, "(ignored: 1 by an unsupported or malformed key)", {"k0", 0, NULL},
         {"odd", 1, NULL});
    /* a signature by the wrong key for its id is invalid */
    CASE(false, "(ignored: 1 invalid)", {"k0", 0, NULL}, {"k1", 2, NULL});
    /* invalid, empty, non-hex signatures are ignored when the threshold is met anyway */
    CASE(true, NULL, {"k2", -1, bad_sig}, {"k0", 0, NULL}, {"k1", 1, NULL});
    CASE(true, NULL, {"k2", -1, ""}, {"k0", 0, NULL}, {"k1", 1, NULL});
    CASE(true, NULL, {"k0", 0, NULL}, {"k2", -1, "zz"}, {"k1", 1, NULL});
    CASE(true, NULL, {"stranger", 3, NULL}, {"k3", 3, NULL}, {"k0", 0, NULL}, {"k1", 1, NULL});
    /* and reported when it is not */
    CASE(false,
         "1 of 2 required signatures (ignored: 2 invalid, 1 by a key the role does not list)",
         {"k0", 0, NULL}, {"k1", -1, bad_sig}, {"k2", -1, ""}, {"k3", 3, NULL});
}

static void
test_threshold_refusals(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *md;
    const struct tsig twice[] = {{"k0", 0, NULL}, {"k0", 0, NULL}};
    const struct tsig ok[] = {{"k0", 0, NULL}, {"k1", 1, NULL}};
    (void)state;
    /* the same key id twice is refused outright, even with a valid threshold */
    md = signed_snapshot(twice, 2, &err);
    assert_null(md);
    assert_int_equal(err.code, SW_E_METADATA);
    assert_non_null(strstr(err.msg, "role 'snapshot': signatures: key id 'k0' signs more than "
                                    "once (entries 0 and 1)"));
    /* a role for another type of document */
    md = signed_snapshot(ok, 2, &err);
    assert_non_null(md);
    assert_int_equal(sw_md_verify(md, sw_md_root_role(T_root, SW_MD_TIMESTAMP), &err),
                     -SW_E_METADATA);
    assert_non_null(strstr(err.msg, "a snapshot document cannot be checked"));
    assert_null(sw_md_root_role(T_root, (enum sw_md_type)7));
    sw_md_free(md);
    /* the root's keys: usable, unusable, absent */
    assert_non_null(sw_md_key(T_root, "k1"));
    assert_null(sw_md_key(T_root, "odd"));
    assert_null(sw_md_key(T_root, "missing"));
    assert_null(sw_md_key(T_root, NULL));
}

/* --- delegation path patterns -------------------------------------------------------------- */

static void
test_path_patterns(void **state)
{
    /* expectations follow the TUF specification's examples and Python's fnmatch per segment */
    static const struct {
        const char *pattern, *path;
        bool match;
    } cases[] = {
        {"targets/*.tgz", "targets/foo.tgz", true},
        {"targets/*.tgz", "targets/bar.tgz", true},
        {"targets/*.tgz", "targets/foo.txt", false},
        {"foo-version-?.tgz", "foo-version-2.tgz", true},
        {"foo-version-?.tgz", "foo-version-a.tgz", true},
        {"foo-version-?.tgz", "foo-version-alpha.tgz", false},
        {"*.tgz", "foo.tgz", true},
        {"*.tgz", "targets/foo.tgz", false},
        {"foo.tgz", "foo.tgz", true},
        {"foo.tgz", "foo.tgz2", false},
        {"foo.tgz", "xfoo.tgz", false},
        /* '*' and '?' never cross '/' */
        {"*", "a/b", false},
        {"a*", "a/b", false},
        {"a?b", "a/b", false},
        {"*/*", "a/b", true},
        {"*/*", "a/b/c", false},
        {"**", "a/b", false},
        {"**/x", "a/x", true},
        {"apps/*", "apps/", true},
        {"apps/*", "apps", false},
        {"apps/*", "apps/x/y", false},
        {"apps/*/*", "apps/x/y", true},
        /* case-sensitive, whole path */
        {"Apps/*", "apps/x", false},
        {"*.TGZ", "foo.tgz", false},
        {"foo", "foo/", false},
        {"a*b*c", "aXbYc", true},
        {"a*b*c", "abc", true},
        {"a*b*c", "aXbY", false},
        {"*a", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbba", true},
        {"*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
        {"*", "", true},
        {"", "", true},
        {"", "a", false},
        {"a/", "a/", true},
        {"a/", "a", false},
        {"/a", "/a", true},
        {"/a", "a", false},
        /* no backslash escapes */
        {"a\\*", "a\\b", true},
        {"a\\*", "a*", false},
        /* character classes */
        {"[ab].txt", "a.txt", true},
        {"[ab].txt", "c.txt", false},
        {"[!ab].txt", "c.txt", true},
        {"[!ab].txt", "a.txt", false},
        {"[a-c]x", "bx", true},
        {"[a-c]x", "dx", false},
        {"[]]x", "]x", true},
        {"[!]]x", "ax", true},
        {"[!]]x", "]x", false},
        {"[x", "[x", true},
        {"[x", "x", false},
        {"a[/]b", "a/b", false},
        {"[z-a]", "b", false},
        {"[-a]", "-", true},
        {"[a-]", "-", true},
        {"[a-]", "b", false},
        /* an empty range then '!': '!' only (Python's regex translation matches anything) */
        {"[--*!]", "!", true},
        {"[--*!]", "a", false},
        /* characters, not bytes */
        {"?.txt", "\xc3\xa9.txt", true},
        {"caf?", "caf\xc3\xa9", true},
        {"caf??", "caf\xc3\xa9", false},
        {"[\xc3\xa9]", "\xc3\xa9", true},
        {"[a-z]", "\xc3\xa9", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (sw_md_path_pattern_match(cases[i].pattern, cases[i].path) != cases[i].match)
            fail_msg("pattern '%s' path '%s': expected %s", cases[i].pattern, cases[i].path,
                     cases[i].match ? "a match" : "no match");
    assert_false(sw_md_path_pattern_match(NULL, "a"));
    assert_false(sw_md_path_pattern_match("a", NULL));
}

static void
test_hash_prefixes(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *md = NULL;
    const struct sw_md_role *bins;
    /* sha256("abc") = ba7816bf... (FIPS 180-2); sha256("a") = ca978112... */
    char *doc = mutate(targets_base, "signed/delegations/roles/1/path_hash_prefixes",
                       "[\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\","
                       "\"ca97\",\"f\"]");
    (void)state;
    assert_int_equal(sw_md_parse_mem(doc, strlen(doc), SW_MD_TARGETS, &md, &err), 0);
    bins = sw_md_delegation(md, "bins");
    assert_non_null(bins);
    assert_true(sw_md_delegation_matches(bins, "abc"));
    assert_true(sw_md_delegation_matches(bins, "a"));
    assert_true(sw_md_delegation_matches(bins, "pkg0.bin"));  /* feae6303... */
    assert_false(sw_md_delegation_matches(bins, "pkg3.bin")); /* 0060f14d... */
    assert_false(sw_md_delegation_matches(bins, "pkg1.bin")); /* 7d19ce94... */
    assert_false(sw_md_delegation_matches(bins, NULL));
    /* the paths role of the same document */
    assert_true(sw_md_delegation_matches(sw_md_delegation(md, "apps"), "apps/x"));
    assert_false(sw_md_delegation_matches(sw_md_delegation(md, "apps"), "abc"));
    assert_true(sw_md_role_terminating(bins));
    sw_md_free(md);
    free(doc);
}

/* --- file checks ------------------------------------------------------------------------- */

/* FIPS 180-2 digests of "abc" */
#define ABC256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC512                                                                                     \
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"                             \
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

static void
test_file_checks(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md_fileinfo fi;
    struct sw_md_hash hashes[2];
    struct sw_md_filecheck *fc = NULL;
    (void)state;

    memset(&fi, 0, sizeof(fi));
    fi.hashes = hashes;
    fi.name = "f.bin";
    fi.length = 3;
    fi.n_hashes = 2;
    fi.hashes[0].alg = "sha256";
    fi.hashes[0].value = ABC256;
    fi.hashes[1].alg = "sha512";
    fi.hashes[1].value = ABC512;
    assert_int_equal(sw_md_fileinfo_check(&fi, "abc", 3, &err), 0);
    assert_int_equal(sw_md_fileinfo_check(&fi, "abd", 3, &err), -SW_E_HASH);
    assert_string_equal(err.msg, "file 'f.bin': sha256 mismatch (expected " ABC256
                                 ", got a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe8629"
                                 "8449c9)");
    assert_int_equal(sw_md_fileinfo_check(&fi, "ab", 2, &err), -SW_E_LENGTH);
    assert_string_equal(err.msg, "file 'f.bin': 2 bytes, expected 3");
    assert_int_equal(sw_md_fileinfo_check(&fi, "abcd", 4, &err), -SW_E_LENGTH);

    /* streaming: in pieces, and too many bytes refused as they arrive */
    assert_int_equal(sw_md_filecheck_new(&fi, &fc, &err), 0);
    assert_int_equal(sw_md_filecheck_update(fc, "a", 1, &err), 0);
    assert_int_equal(sw_md_filecheck_update(fc, "bc", 2, &err), 0);
    assert_int_equal(sw_md_filecheck_final(fc, &err), 0);
    sw_md_filecheck_free(fc);
    assert_int_equal(sw_md_filecheck_new(&fi, &fc, &err), 0);
    assert_int_equal(sw_md_filecheck_update(fc, "ab", 2, &err), 0);
    assert_int_equal(sw_md_filecheck_update(fc, "cd", 2, &err), -SW_E_LENGTH);
    assert_string_equal(err.msg, "file 'f.bin': more than the 3 bytes expected");
    sw_md_filecheck_free(fc);
    sw_md_filecheck_free(NULL);

    /* every hash must match: sha256 right, sha512 wrong */
    fi.hashes[1].value = "cdaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                         "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
    assert_int_equal(sw_md_fileinfo_check(&fi, "abc", 3, &err), -SW_E_HASH);
    assert_non_null(strstr(err.msg, "sha512 mismatch"));
    /* upper-case hex in metadata is the same digest */
    fi.n_hashes = 1;
    fi.hashes[0].value = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
    assert_int_equal(sw_md_fileinfo_check(&fi, "abc", 3, &err), 0);

    /* an unknown algorithm is refused, never skipped, even beside a good one */
    fi.n_hashes = 2;
    fi.hashes[0].value = ABC256;
    fi.hashes[1].alg = "md5";
    fi.hashes[1].value = "900150983cd24fb0d6963f7d28e17f72";
    assert_int_equal(sw_md_fileinfo_check(&fi, "abc", 3, &err), -SW_E_UNSUPPORTED);
    assert_string_equal(err.msg, "file 'f.bin': hash algorithm 'md5' is not supported");

    /* a malformed value in a hand-made fileinfo */
    fi.n_hashes = 1;
    fi.hashes[0].value = "abc";
    assert_int_equal(sw_md_fileinfo_check(&fi, "abc", 3, &err), -SW_E_METADATA);

    /* no length: any length, hashes still checked */
    fi.length = -1;
    fi.hashes[0].value = ABC256;
    assert_int_equal(sw_md_fileinfo_check(&fi, "abc", 3, &err), 0);
    assert_int_equal(sw_md_fileinfo_check(&fi, "abcabc", 6, &err), -SW_E_HASH);
    /* neither length nor hashes: nothing to check */
    fi.n_hashes = 0;
    assert_int_equal(sw_md_fileinfo_check(&fi, "xyz", 3, &err), 0);
    /* empty file */
    fi.length = 0;
    assert_int_equal(sw_md_fileinfo_check(&fi, NULL, 0, &err), 0);
}

static void
test_unknown_alg_from_metadata(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *md = NULL;
    char *doc = mutate(ts_base, "signed/meta/snapshot.json/hashes/blake3", "\"00\"");
    (void)state;
    assert_int_equal(sw_md_parse_mem(doc, strlen(doc), SW_MD_TIMESTAMP, &md, &err), 0);
    assert_int_equal(sw_md_fileinfo_check(sw_md_timestamp_snapshot(md), "0123456789", 10, &err),
                     -SW_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "file 'snapshot.json': hash algorithm 'blake3'"));
    sw_md_free(md);
    free(doc);
}

/* --- dates and names ---------------------------------------------------------------------- */

static void
test_times(void **state)
{
    /* epoch values from Python's calendar.timegm */
    static const struct {
        const char *s;
        time_t t;
    } good[] = {
        {"1970-01-01T00:00:00Z", 0},          {"2000-01-01T00:00:00Z", 946684800},
        {"2020-01-01T00:00:00Z", 1577836800}, {"2024-02-29T12:34:56Z", 1709210096},
        {"2038-01-19T03:14:08Z", 2147483648}, {"2099-01-01T00:00:00Z", 4070908800},
    };
    char out[21];
    time_t t;
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(sw_md_parse_time(good[i].s, &t), 0);
        assert_int_equal(t, good[i].t);
        sw_md_format_time(t, out);
        assert_string_equal(out, good[i].s);
    }
    assert_int_equal(sw_md_parse_time(NULL, &t), -SW_E_INVAL);
    assert_int_equal(sw_md_parse_time("2030-01-01T00:00:00ZZ", &t), -SW_E_INVAL);
    assert_int_equal(sw_md_parse_time("1900-02-29T00:00:00Z", &t), -SW_E_INVAL);
}

/* --- TAP 15 succinct hash bins ---------------------------------------------------- */

/*
 * The succinct-bins vector (python-tuf): bit length 4, prefix "bins". Every
 * target of expect.json's "bins" map is in the bin it names, found by the
 * hash of its path, and listed there by a bin signed with the keys of
 * "succinct_roles"; no other bin is trusted for it.
 */
static void
test_succinct_vector(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *root = NULL, *targets = NULL;
    struct sw_md *snap =
        vec_parse("succinct-bins", "metadata/1.snapshot.json", SW_MD_SNAPSHOT, NULL);
    char *exp_path = tu_src_path("tests/vectors/tuf/succinct-bins/expect.json");
    json_error_t jerr;
    json_t *expect = json_load_file(exp_path, 0, &jerr);
    const json_t *bins, *want;
    const char *path;
    size_t n_checked = 0;
    (void)state;

    assert_non_null(expect);
    bins = json_object_get(expect, "bins");
    assert_int_equal(json_object_size(bins), 24);
    if (walk("succinct-bins", &root, &targets, &err) < 0)
        fail_msg("%s", err.msg);
    assert_true(sw_md_has_delegations(targets));
    assert_true(sw_md_has_succinct(targets));
    assert_int_equal(sw_md_succinct_bit_length(targets), 4);
    assert_string_equal(sw_md_succinct_prefix(targets), "bins");
    assert_int_equal(sw_md_delegation_count(targets), 16);
    assert_null(sw_md_delegation_at(targets, 16));

    /* 16 bins, each listed in the snapshot with the bytes served, each signed by the bin key */
    for (size_t i = 0; i < 16; i++) {
        const struct sw_md_role *bin = sw_md_delegation_at(targets, i);
        char name[16], file[64];
        struct sw_md *md;
        snprintf(name, sizeof(name), "bins-%zx", i);
        assert_string_equal(sw_md_role_name(bin), name);
        assert_ptr_equal(sw_md_delegation(targets, name), bin);
        assert_false(sw_md_role_terminating(bin));
        assert_int_equal(sw_md_role_threshold(bin), 1);
        assert_int_equal(sw_md_role_keyid_count(bin), 1);
        assert_string_equal(sw_md_role_keyid(bin, 0),
                            "7cd857c659c266783518131ad721460252706854a2135700a77fdefb608026eb");
        role_file(file, sizeof(file), name);
        if (vec_check("succinct-bins", file, sw_md_snapshot_meta(snap, name), &err) < 0)
            fail_msg("%s", err.msg);
        md = vec_parse("succinct-bins", file, SW_MD_TARGETS, name);
        expect_verify(md, bin);
        /* every target a bin lists hashes to that bin */
        for (size_t t = 0; t < sw_md_target_count(md); t++) {
            const struct sw_md_fileinfo *fi = sw_md_target_at(md, t);
            want = json_object_get(bins, fi->name);
            assert_non_null(want);
            assert_string_equal(json_string_value(want), name);
            n_checked++;
        }
        sw_md_free(md);
    }
    assert_int_equal(n_checked, 24);

    /* the bin of every path, as python-tuf computed it */
    json_object_foreach((json_t *)bins, path, want)
    {
        const char *wname = json_string_value(want);
        unsigned long wbin = strtoul(wname + strlen("bins-"), NULL, 16);
        const struct sw_md_role *bin = sw_md_succinct_role_for(targets, path);
        char name[16];
        assert_int_equal(sw_md_succinct_bin(path, 4), wbin);
        assert_int_equal(sw_md_succinct_bin_name("bins", 4, (uint32_t)wbin, name, sizeof(name)), 0);
        assert_string_equal(name, wname);
        assert_non_null(bin);
        assert_string_equal(sw_md_role_name(bin), wname);
        for (size_t i = 0; i < 16; i++)
            assert_int_equal(sw_md_delegation_matches(sw_md_delegation_at(targets, i), path),
                             i == wbin);
        /* the search tests only this index (python-tuf's bin for the path) */
        assert_int_equal(sw_md_succinct_index_for(targets, path), (long)wbin);
    }
    /* no bin matches by anything but the hash: not a pattern, not a prefix of the name */
    assert_false(
        sw_md_delegation_matches(sw_md_delegation(targets, "bins-0"), "apps/pkg-00.tar.gz"));
    assert_true(
        sw_md_delegation_matches(sw_md_delegation(targets, "bins-f"), "apps/pkg-00.tar.gz"));
    /* names that are not bins */
    assert_null(sw_md_delegation(targets, "bins-10"));
    assert_null(sw_md_delegation(targets, "bins-F"));
    assert_null(sw_md_delegation(targets, "bins-"));
    assert_null(sw_md_delegation(targets, "bins"));
    assert_null(sw_md_delegation(targets, "bin-3"));
    assert_null(sw_md_delegation(targets, "bins-g"));
    assert_null(sw_md_delegation(targets, "bins--"));
    assert_null(sw_md_delegation(targets, NULL));
    /* a bin is not signed by the top-level targets key */
    expect_verify_fails(targets, sw_md_delegation(targets, "bins-0"), "0 of 1");

    json_decref(expect);
    free(exp_path);
    sw_md_free(snap);
    sw_md_free(root);
    sw_md_free(targets);
}

/*
 * Bin numbers and names at other bit lengths. The hashes are Python
 * hashlib's: sha256("apps/pkg-00.tar.gz") starts f659bbb9, sha256("a")
 * ca978112, sha256("x/y.tar") d0162963. Names follow TAP 15 (bit length
 * 11: alice.hbd-000 ... alice.hbd-7ff).
 */
static void
test_succinct_bins(void **state)
{
    char name[64];
    (void)state;
    assert_int_equal(sw_md_succinct_bin("apps/pkg-00.tar.gz", 32), 0xf659bbb9u);
    assert_int_equal(sw_md_succinct_bin("apps/pkg-00.tar.gz", 10), 0x3d9);
    assert_int_equal(sw_md_succinct_bin("apps/pkg-00.tar.gz", 16), 0xf659);
    assert_int_equal(sw_md_succinct_bin("apps/pkg-00.tar.gz", 1), 1);
    assert_int_equal(sw_md_succinct_bin("a", 10), 0x32a);
    assert_int_equal(sw_md_succinct_bin("a", 8), 0xca);
    assert_int_equal(sw_md_succinct_bin("x/y.tar", 10), 0x340);
    assert_int_equal(sw_md_succinct_bin("x/y.tar", 3), 6);

    assert_int_equal(sw_md_succinct_bin_name("alice.hbd", 11, 0, name, sizeof(name)), 0);
    assert_string_equal(name, "alice.hbd-000");
    assert_int_equal(sw_md_succinct_bin_name("alice.hbd", 11, 0x7ff, name, sizeof(name)), 0);
    assert_string_equal(name, "alice.hbd-7ff");
    assert_int_equal(sw_md_succinct_bin_name("alice.hbd", 11, 0x800, name, sizeof(name)),
                     -SW_E_INVAL);
    assert_int_equal(sw_md_succinct_bin_name("b", 1, 1, name, sizeof(name)), 0);
    assert_string_equal(name, "b-1");
    assert_int_equal(sw_md_succinct_bin_name("b", 5, 0x1f, name, sizeof(name)), 0);
    assert_string_equal(name, "b-1f");
    assert_int_equal(sw_md_succinct_bin_name("b", 8, 3, name, sizeof(name)), 0);
    assert_string_equal(name, "b-03");
    assert_int_equal(sw_md_succinct_bin_name("b", 32, 0xffffffffu, name, sizeof(name)), 0);
    assert_string_equal(name, "b-ffffffff");
    assert_int_equal(sw_md_succinct_bin_name("b", 0, 0, name, sizeof(name)), -SW_E_INVAL);
    assert_int_equal(sw_md_succinct_bin_name("b", 33, 0, name, sizeof(name)), -SW_E_INVAL);
    assert_int_equal(sw_md_succinct_bin_name("bins", 4, 0, name, 6), -SW_E_INVAL);
}

/* A targets document with "succinct_roles" = SUCC (JSON text) and no "roles". */
static char *
succinct_doc(const char *succ)
{
    char *doc = NULL;
    int n = asprintf(&doc,
                     "{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"spec_version\":"
                     "\"1.0.31\",\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\",\"targets\":{},"
                     "\"delegations\":{\"keys\":{\"aa\":{\"keytype\":\"ed25519\",\"scheme\":"
                     "\"ed25519\",\"keyval\":{\"public\":\"" PUB1 "\"}}},\"succinct_roles\":%s}}}",
                     succ);
    assert_true(n > 0);
    return doc;
}

static void
expect_succinct_error(const char *succ, int code, const char *needle)
{
    struct sw_error err = SW_ERROR_INIT;
    char *doc = succinct_doc(succ);
    int r = parse_str(doc, SW_MD_TARGETS, &err);
    if (r != -code || !strstr(err.msg, needle))
        fail_msg("%s: got %d '%s', want %d '%s'", succ, r, err.msg, -code, needle);
    free(doc);
}

static void
test_succinct_fields(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *md = NULL;
    char *doc;
    const int M = SW_E_METADATA;
    (void)state;

#define SUCC(rest) "{\"keyids\":[\"aa\"],\"threshold\":1" rest "}"
    expect_succinct_error("[]", M, "field 'delegations.succinct_roles' must be an object");
    expect_succinct_error("{\"threshold\":1,\"bit_length\":4,\"name_prefix\":\"b\"}", M,
                          "field 'delegations.succinct_roles.keyids' is missing");
    expect_succinct_error(
        "{\"keyids\":[\"aa\"],\"threshold\":0,\"bit_length\":4,\"name_prefix\":\"b\"}", M,
        "field 'delegations.succinct_roles.threshold' must be an integer >= 1");
    expect_succinct_error(SUCC(",\"name_prefix\":\"b\""), M,
                          "field 'delegations.succinct_roles.bit_length' is missing");
    expect_succinct_error(SUCC(",\"bit_length\":0,\"name_prefix\":\"b\""), M,
                          "field 'delegations.succinct_roles.bit_length' must be an integer >= 1");
    expect_succinct_error(SUCC(",\"bit_length\":\"4\",\"name_prefix\":\"b\""), M,
                          "bit_length' must be an integer");
    expect_succinct_error(SUCC(",\"bit_length\":33,\"name_prefix\":\"b\""), M,
                          "field 'delegations.succinct_roles.bit_length' must be an integer from "
                          "1 to 32");
    /* allowed by TAP 15, above what slipway lays out: refused naming the cap */
    expect_succinct_error(SUCC(",\"bit_length\":17,\"name_prefix\":\"b\""), SW_E_LIMIT,
                          "field 'delegations.succinct_roles.bit_length' is 17: slipway accepts "
                          "at most 16 (65536 bins)");
    expect_succinct_error(SUCC(",\"bit_length\":32,\"name_prefix\":\"b\""), SW_E_LIMIT,
                          "at most 16");
    expect_succinct_error(SUCC(",\"bit_length\":4"), M,
                          "field 'delegations.succinct_roles.name_prefix' is missing");
    expect_succinct_error(SUCC(",\"bit_length\":4,\"name_prefix\":\"\""), M,
                          "field 'delegations.succinct_roles.name_prefix' must not be empty");
    expect_succinct_error(SUCC(",\"bit_length\":4,\"name_prefix\":7"), M,
                          "field 'delegations.succinct_roles.name_prefix' must be a string");
    /* NUL is refused by the JSON reader before any field is looked at */
    expect_succinct_error(SUCC(",\"bit_length\":4,\"name_prefix\":\"a\\u0000b\""), SW_E_JSON,
                          "NUL");
    {
        /* bin names stay within SW_MD_MAX_ROLE_NAME: prefix + '-' + one digit */
        char big[600], succ[800];
        memset(big, 'p', 254);
        big[254] = '\0';
        snprintf(succ, sizeof(succ), SUCC(",\"bit_length\":4,\"name_prefix\":\"%s\""), big);
        expect_succinct_error(succ, SW_E_LIMIT, "name_prefix' is longer than 253 bytes");
        big[253] = '\0';
        snprintf(succ, sizeof(succ), SUCC(",\"bit_length\":4,\"name_prefix\":\"%s\""), big);
        doc = succinct_doc(succ);
        assert_int_equal(parse_str(doc, SW_MD_TARGETS, &err), 0);
        free(doc);
    }

    /* the largest accepted: 65 536 bins, looked up by name without a scan */
    doc = succinct_doc(SUCC(",\"bit_length\":16,\"name_prefix\":\"p\",\"x-extra\":true"));
    if (sw_md_parse_mem(doc, strlen(doc), SW_MD_TARGETS, &md, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(sw_md_delegation_count(md), 65536);
    assert_string_equal(sw_md_role_name(sw_md_delegation_at(md, 0)), "p-0000");
    assert_string_equal(sw_md_role_name(sw_md_delegation_at(md, 65535)), "p-ffff");
    assert_ptr_equal(sw_md_delegation(md, "p-f659"), sw_md_delegation_at(md, 0xf659));
    assert_ptr_equal(sw_md_succinct_role_for(md, "apps/pkg-00.tar.gz"),
                     sw_md_delegation_at(md, 0xf659));
    /* the remembered bin follows the path asked about */
    assert_true(sw_md_delegation_matches(sw_md_delegation_at(md, 0xf659), "apps/pkg-00.tar.gz"));
    assert_true(sw_md_delegation_matches(sw_md_delegation_at(md, 0xca97), "a"));
    assert_false(sw_md_delegation_matches(sw_md_delegation_at(md, 0xf659), "a"));
    assert_true(sw_md_delegation_matches(sw_md_delegation_at(md, 0xf659), "apps/pkg-00.tar.gz"));
    assert_false(sw_md_delegation_matches(sw_md_delegation_at(md, 0xca97), "apps/pkg-00.tar.gz"));
    sw_md_free(md);
    free(doc);

    /* a document with plain roles has no bins */
    md = NULL;
    assert_int_equal(sw_md_parse_mem(targets_base, strlen(targets_base), SW_MD_TARGETS, &md, &err),
                     0);
    assert_false(sw_md_has_succinct(md));
    assert_int_equal(sw_md_succinct_bit_length(md), 0);
    assert_null(sw_md_succinct_prefix(md));
    assert_null(sw_md_succinct_role_for(md, "a"));
    assert_int_equal(sw_md_succinct_index_for(md, "a"), -1);
    sw_md_free(md);
#undef SUCC
}

static void
test_type_names(void **state)
{
    enum sw_md_type t;
    (void)state;
    for (int i = 0; i < SW_MD_N_TYPES; i++) {
        assert_int_equal(sw_md_type_from_string(sw_md_type_to_string((enum sw_md_type)i), &t), 0);
        assert_int_equal(t, i);
    }
    assert_string_equal(sw_md_type_to_string(SW_MD_SNAPSHOT), "snapshot");
    assert_int_equal(sw_md_type_from_string("mirrors", &t), -SW_E_INVAL);
    assert_int_equal(sw_md_type_from_string(NULL, &t), -SW_E_INVAL);
    assert_string_equal(sw_md_type_to_string((enum sw_md_type)42), "unknown");
}

/*
 * Verify once: a document parsed without its signed bytes keeps none, is
 * refused by sw_md_verify(), and checks against the very bytes it came
 * from: the vector as served (pretty, so its canonical form is made for
 * the check), the same bytes compact and canonical (checked in place), and
 * never bytes of another length or with one signed byte changed.
 */
static void
test_verify_without_signed_bytes(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *root = vec_parse("basic-ed25519", "metadata/1.root.json", SW_MD_ROOT, "root");
    const struct sw_md_role *role = sw_md_root_role(root, SW_MD_TARGETS);
    struct sw_md *md = NULL;
    size_t len, n = 99;
    unsigned char *data = vec_read("basic-ed25519", "metadata/1.targets.json", &len);
    struct sw_buf canon = SW_BUF_INIT(0);
    json_t *doc = NULL;
    char *at;
    (void)state;

    assert_int_equal(sw_md_parse_role_flags(data, len, SW_MD_TARGETS, NULL,
                                            SW_MD_PARSE_NO_SIGNED_BYTES, &md, &err),
                     0);
    assert_null(sw_md_signed_bytes(md, &n));
    assert_int_equal(n, 0);
    assert_int_equal(sw_md_verify(md, role, &err), -SW_E_INVAL);
    assert_non_null(strstr(err.msg, "signed bytes were not kept"));
    if (sw_md_verify_mem(md, data, len, role, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(sw_md_verify_mem(md, data, len - 1, role, &err), -SW_E_INVAL);
    /* one byte of "expires" changed, same length: the signature no longer holds */
    at = strstr((char *)data, "\"expires\": \"");
    assert_non_null(at);
    at += strlen("\"expires\": \"") + 3; /* the last digit of the year */
    *at = *at == '9' ? '8' : (char)(*at + 1);
    assert_int_equal(sw_md_verify_mem(md, data, len, role, &err), -SW_E_SIGNATURE);
    sw_md_free(md);
    md = NULL;

    /* served canonical: {"signatures":[...],"signed":CANONICAL} checked in place */
    free(data);
    data = vec_read("basic-ed25519", "metadata/1.targets.json", &len);
    assert_int_equal(sw_cjson_parse_mem(data, len, 0, &doc, &err), 0);
    assert_int_equal(sw_cjson_encode(doc, &canon, &err), 0);
    assert_int_equal(sw_md_parse_role_flags(canon.data, canon.len, SW_MD_TARGETS, NULL,
                                            SW_MD_PARSE_NO_SIGNED_BYTES, &md, &err),
                     0);
    if (sw_md_verify_mem(md, canon.data, canon.len, role, &err) < 0)
        fail_msg("%s", err.msg);
    sw_md_free(md);
    /* and kept: the signed bytes are a copy of that part of the input */
    assert_int_equal(sw_md_parse_role_mem(canon.data, canon.len, SW_MD_TARGETS, NULL, &md, &err),
                     0);
    assert_non_null(memmem(canon.data, canon.len, sw_md_signed_bytes(md, &n), n));
    expect_verify(md, role);
    sw_md_free(md);
    sw_buf_release(&canon);
    json_decref(doc);
    free(data);
    sw_md_free(root);
}

/*
 * A target's custom is kept once per distinct value: targets carrying the
 * same one share its tree, a different one (or the same members in another
 * order, escaped) gets the tree of its own value; none has none.
 */
static void
test_custom_shared(void **state)
{
    static const char doc[] =
        "{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"spec_version\":\"1.0.31\","
        "\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\",\"targets\":{"
        "\"a\":{\"length\":1,\"hashes\":{\"sha256\":\"" ABC256 "\"},"
        "\"custom\":{\"slipway\":{\"version\":\"1.0\",\"compatible\":[\"x\"]}}},"
        "\"b\":{\"custom\":{\"slipway\":{\"compatible\":[\"x\"],\"ver\\u0073ion\":\"1.0\"}},"
        "\"hashes\":{\"sha256\":\"" ABC256 "\"},\"length\":2},"
        "\"c\":{\"length\":3,\"hashes\":{\"sha256\":\"" ABC256 "\"},"
        "\"custom\":{\"slipway\":{\"version\":\"2.0\",\"compatible\":[\"x\"]}}},"
        "\"d\":{\"length\":4,\"hashes\":{\"sha256\":\"" ABC256 "\"}}}}}";
    struct sw_error err = SW_ERROR_INIT;
    struct sw_md *md = NULL;
    const json_t *a, *b, *c;
    (void)state;

    if (sw_md_parse_mem(doc, strlen(doc), SW_MD_TARGETS, &md, &err) < 0)
        fail_msg("%s", err.msg);
    a = sw_md_fileinfo_custom(sw_md_target(md, "a"));
    b = sw_md_fileinfo_custom(sw_md_target(md, "b"));
    c = sw_md_fileinfo_custom(sw_md_target(md, "c"));
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_ptr_equal(a, sw_md_fileinfo_custom(sw_md_target(md, "a"))); /* built once */
    assert_true(a != c);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(a, "slipway"), "version")), "1.0");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(c, "slipway"), "version")), "2.0");
    assert_null(sw_md_fileinfo_custom(sw_md_target(md, "d")));
    assert_int_equal(sw_md_target(md, "b")->length, 2);
    sw_md_free(md);
}

/*
 * Targets listed out of order are found and listed sorted; targets in
 * order are too. A custom repeated byte for byte (as a pretty-printed
 * document repeats it) is the same shared value as the first, also after
 * a different one came between; a custom that differs by one byte is not.
 */
static void
test_targets_order_and_repeats(void **state)
{
#define T(name, len, custom)                                                                       \
    "\"" name "\":{\"length\":" #len ",\"hashes\":{\"sha256\":\"" ABC256 "\"},\"custom\":" custom  \
    "}"
#define CA "{\"slipway\": {\"version\": \"1.0\"}}"
#define CB "{\"slipway\": {\"version\": \"1.1\"}}"
    static const char *const docs[] = {
        "{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"spec_version\":\"1.0.31\","
        "\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\",\"targets\":{" T("m", 1, CA) "," T(
            "c", 2, CA) "," T("x", 3, CB) "," T("a", 4, CA) "," T("b", 5, CB) "}}}",
        "{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"spec_version\":\"1.0.31\","
        "\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\",\"targets\":{" T("a", 4, CA) "," T(
            "b", 5, CB) "," T("c", 2, CA) "," T("m", 1, CA) "," T("x", 3, CB) "}}}",
    };
#undef T
#undef CA
#undef CB
    static const char *const sorted[] = {"a", "b", "c", "m", "x"};
    static const int64_t lengths[] = {4, 5, 2, 1, 3};
    (void)state;

    for (size_t d = 0; d < 2; d++) {
        struct sw_error err = SW_ERROR_INIT;
        struct sw_md *md = NULL;
        const json_t *a, *b;
        if (sw_md_parse_mem(docs[d], strlen(docs[d]), SW_MD_TARGETS, &md, &err) < 0)
            fail_msg("%s", err.msg);
        assert_int_equal(sw_md_target_count(md), 5);
        for (size_t i = 0; i < 5; i++) {
            assert_string_equal(sw_md_target_at(md, i)->name, sorted[i]);
            assert_ptr_equal(sw_md_target(md, sorted[i]), sw_md_target_at(md, i));
            assert_int_equal(sw_md_target(md, sorted[i])->length, lengths[i]);
        }
        a = sw_md_fileinfo_custom(sw_md_target(md, "a"));
        b = sw_md_fileinfo_custom(sw_md_target(md, "b"));
        assert_non_null(a);
        assert_non_null(b);
        assert_true(a != b);
        assert_ptr_equal(sw_md_fileinfo_custom(sw_md_target(md, "c")), a);
        assert_ptr_equal(sw_md_fileinfo_custom(sw_md_target(md, "m")), a);
        assert_ptr_equal(sw_md_fileinfo_custom(sw_md_target(md, "x")), b);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(a, "slipway"), "version")), "1.0");
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(b, "slipway"), "version")), "1.1");
        assert_null(sw_md_target(md, "n"));
        sw_md_free(md);
    }
}

/*
 * "targets" is read while "signed" is first walked; what is wrong in it is
 * still reported after what is wrong in _type, spec_version, version and
 * expires, wherever they stand in the document (here after "targets").
 */
static void
test_targets_error_order(void **state)
{
#define BAD_TARGETS "\"targets\":{\"a\":{\"length\":-1,\"hashes\":{}}}"
    static const struct {
        const char *doc, *want;
    } cases[] = {
        {"{\"signatures\":[],\"signed\":{" BAD_TARGETS ",\"_type\":\"root\","
         "\"spec_version\":\"1.0.31\",\"version\":1,\"expires\":\"2030-01-01T00:00:00Z\"}}",
         "field '_type' is 'root', expected 'targets'"},
        {"{\"signatures\":[],\"signed\":{\"_type\":\"targets\"," BAD_TARGETS ","
         "\"spec_version\":\"1.0.31\",\"version\":0,\"expires\":\"2030-01-01T00:00:00Z\"}}",
         "field 'version' must be an integer >= 1"},
        {"{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"version\":1," BAD_TARGETS ","
         "\"spec_version\":\"1.0.31\",\"expires\":\"soon\"}}",
         "field 'expires' is 'soon'"},
        {"{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"version\":1," BAD_TARGETS ","
         "\"spec_version\":\"1.0.31\",\"expires\":\"2030-01-01T00:00:00Z\"}}",
         "field 'targets.a.length' must be an integer >= 0"},
        {"{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"version\":1,"
         "\"targets\":{\"a\":{\"length\":1,\"hashes\":{}}},"
         "\"spec_version\":\"1.0.31\",\"expires\":\"2030-01-01T00:00:00Z\"}}",
         "field 'targets.a.hashes' must hold at least one hash"},
        {"{\"signatures\":[],\"signed\":{\"_type\":\"targets\",\"version\":1,"
         "\"targets\":{\"a\":{\"length\":1,\"hashes\":{\"sha256\":\"" ABC256 "\"}}},"
         "\"delegations\":{\"keys\":{},\"roles\":7},"
         "\"spec_version\":\"1.0.31\",\"expires\":\"2030-01-01T00:00:00Z\"}}",
         "field 'delegations.roles' must be an array"},
    };
#undef BAD_TARGETS
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sw_error err = SW_ERROR_INIT;
        struct sw_md *md = NULL;
        assert_true(sw_md_parse_mem(cases[i].doc, strlen(cases[i].doc), SW_MD_TARGETS, &md, &err) <
                    0);
        assert_null(md);
        if (!strstr(err.msg, cases[i].want))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_parse),
        cmocka_unit_test(test_basic_vectors),
        cmocka_unit_test(test_basic_fields),
        cmocka_unit_test(test_bad_threshold),
        cmocka_unit_test(test_duplicate_signature),
        cmocka_unit_test(test_bad_target_hash),
        cmocka_unit_test(test_expired_timestamp),
        cmocka_unit_test(test_root_rotation),
        cmocka_unit_test(test_delegations_vector),
        cmocka_unit_test(test_succinct_vector),
        cmocka_unit_test(test_succinct_bins),
        cmocka_unit_test(test_succinct_fields),
        cmocka_unit_test(test_bases_parse),
        cmocka_unit_test(test_common_fields),
        cmocka_unit_test(test_timestamp_snapshot_fields),
        cmocka_unit_test(test_version_bounds),
        cmocka_unit_test(test_root_fields),
        cmocka_unit_test(test_targets_fields),
        cmocka_unit_test(test_names_in_messages),
        cmocka_unit_test(test_duplicate_json_keys),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_signed_bytes),
        cmocka_unit_test_setup_teardown(test_threshold, setup_keys, teardown_keys),
        cmocka_unit_test_setup_teardown(test_threshold_refusals, setup_keys, teardown_keys),
        cmocka_unit_test(test_path_patterns),
        cmocka_unit_test(test_hash_prefixes),
        cmocka_unit_test(test_file_checks),
        cmocka_unit_test(test_unknown_alg_from_metadata),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_verify_without_signed_bytes),
        cmocka_unit_test(test_custom_shared),
        cmocka_unit_test(test_targets_order_and_repeats),
        cmocka_unit_test(test_targets_error_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
