/* SPDX-License-Identifier: MIT */
/*
 * Test tool: crafts hostile repositories from ones slipway-repo made, for
 * the client's attack tests. It edits metadata and signs it with the
 * publisher's own code (src/repo/keyring.c, tree.c, publish.c), so a test
 * can make exactly one thing wrong and keep everything else consistent.
 * Not installed.
 *
 *   tuf-forge resign FILE --key-dir K [--key NAME ...] [--set PATH=JSON ...]
 *           [--unset PATH ...] [--keep-signatures] [--duplicate-signature]
 *           [--bogus-signature] [--no-signatures] [--canonical] [--out OUT]
 *           [--passphrase-file P]
 *       Edit FILE's "signed" (PATH is dotted, relative to "signed"; a key
 *       holding '.' goes in brackets: targets[app-1.0.tar.gz].length; a
 *       number indexes an array; JSON is any JSON value, e.g. 1000 or
 *       '"2020-01-01T00:00:00Z"'), then sign with each --key (its
 *       signature replaces one by the same key id). The old signatures are
 *       dropped unless --keep-signatures. --duplicate-signature appends a
 *       second copy of the first signature; --bogus-signature corrupts
 *       the signatures made here (one hex digit changed); --no-signatures
 *       leaves an empty list. Writes FILE (or OUT) pretty-printed as
 *       slipway-repo does, or with --canonical in canonical form.
 *
 *   tuf-forge relink DIR --key-dir K --snapshot-key NAME --timestamp-key NAME
 *           [--role-version ROLE=N ...] [--set-snapshot-version N]
 *           [--set-timestamp-version N] [--expires DATE] [--no-meta-hashes]
 *           [--passphrase-file P]
 *       Recompute snapshot meta from the files as they are now: each role
 *       the current snapshot lists (and each --role-version ROLE) at the
 *       newest DIR/metadata/N.ROLE.json present (or version N), with its
 *       length and sha256 (none with --no-meta-hashes); sign a new
 *       snapshot (version old+1, or N) and a new timestamp over it, and
 *       write N.snapshot.json, snapshot.json and timestamp.json. --expires
 *       sets both expiry dates (else the old ones are kept).
 *
 * Errors: "tuf-forge: error: MESSAGE (SW_E_NAME)", exit 1; usage, exit 2.
 */
#include "repo/keyring.h"
#include "repo/publish.h"
#include "repo/tree.h"

#include <slipway/buf.h>
#include <slipway/cjson.h>
#include <slipway/fs.h>
#include <slipway/metadata.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 64

struct args {
    const char *target; /* FILE or DIR */
    const char *key_dir, *pass_file, *out, *snapshot_key, *timestamp_key, *expires;
    const char *keys[MAX_ITEMS], *sets[MAX_ITEMS], *unsets[MAX_ITEMS], *role_versions[MAX_ITEMS];
    size_t n_keys, n_sets, n_unsets, n_role_versions;
    int keep, duplicate, bogus, none, canonical, no_hashes;
    int64_t snapshot_version, timestamp_version;
};

static int
usage(void)
{
    fprintf(stderr,
            "usage: tuf-forge resign FILE --key-dir K [--key NAME ...] [--set PATH=JSON ...]\n"
            "           [--unset PATH ...] [--keep-signatures] [--duplicate-signature]\n"
            "           [--bogus-signature] [--no-signatures] [--canonical] [--out OUT]\n"
            "           [--passphrase-file P]\n"
            "       tuf-forge relink DIR --key-dir K --snapshot-key NAME --timestamp-key NAME\n"
            "           [--role-version ROLE=N ...] [--set-snapshot-version N]\n"
            "           [--set-timestamp-version N] [--expires DATE] [--no-meta-hashes]\n"
            "           [--passphrase-file P]\n");
    return 2;
}

static int
fail(const struct sw_error *err)
{
    fprintf(stderr, "tuf-forge: error: %s (%s)\n", err->msg, sw_errcode_name(err->code));
    return 1;
}

static int
push(const char **list, size_t *n, const char *v)
{
    if (*n >= MAX_ITEMS)
        return -1;
    list[(*n)++] = v;
    return 0;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define VALUE()                                                                                    \
    do {                                                                                           \
        if (!v)                                                                                    \
            return -1;                                                                             \
        i++;                                                                                       \
    } while (0)
        if (strcmp(o, "--key-dir") == 0) {
            VALUE();
            a->key_dir = v;
        } else if (strcmp(o, "--passphrase-file") == 0) {
            VALUE();
            a->pass_file = v;
        } else if (strcmp(o, "--out") == 0) {
            VALUE();
            a->out = v;
        } else if (strcmp(o, "--key") == 0) {
            VALUE();
            if (push(a->keys, &a->n_keys, v) < 0)
                return -1;
        } else if (strcmp(o, "--set") == 0) {
            VALUE();
            if (push(a->sets, &a->n_sets, v) < 0)
                return -1;
        } else if (strcmp(o, "--unset") == 0) {
            VALUE();
            if (push(a->unsets, &a->n_unsets, v) < 0)
                return -1;
        } else if (strcmp(o, "--role-version") == 0) {
            VALUE();
            if (push(a->role_versions, &a->n_role_versions, v) < 0)
                return -1;
        } else if (strcmp(o, "--snapshot-key") == 0) {
            VALUE();
            a->snapshot_key = v;
        } else if (strcmp(o, "--timestamp-key") == 0) {
            VALUE();
            a->timestamp_key = v;
        } else if (strcmp(o, "--expires") == 0) {
            VALUE();
            a->expires = v;
        } else if (strcmp(o, "--set-snapshot-version") == 0) {
            VALUE();
            a->snapshot_version = strtoll(v, NULL, 10);
        } else if (strcmp(o, "--set-timestamp-version") == 0) {
            VALUE();
            a->timestamp_version = strtoll(v, NULL, 10);
        } else if (strcmp(o, "--keep-signatures") == 0) {
            a->keep = 1;
        } else if (strcmp(o, "--duplicate-signature") == 0) {
            a->duplicate = 1;
        } else if (strcmp(o, "--bogus-signature") == 0) {
            a->bogus = 1;
        } else if (strcmp(o, "--no-signatures") == 0) {
            a->none = 1;
        } else if (strcmp(o, "--canonical") == 0) {
            a->canonical = 1;
        } else if (strcmp(o, "--no-meta-hashes") == 0) {
            a->no_hashes = 1;
        } else if (o[0] == '-' || a->target) {
            return -1;
        } else {
            a->target = o;
        }
#undef VALUE
    }
    return a->target ? 0 : -1;
}

/* --- JSON paths ---------------------------------------------------------------------- */

/* Next segment of a dotted path into seg (size n); returns the rest or NULL when malformed. */
static const char *
next_segment(const char *p, char *seg, size_t n)
{
    size_t len;
    const char *end;
    if (*p == '[') {
        end = strchr(p + 1, ']');
        if (!end)
            return NULL;
        len = (size_t)(end - p - 1);
        p++;
        end++;
    } else {
        len = strcspn(p, ".[");
        end = p + len;
    }
    if (len == 0 || len >= n)
        return NULL;
    memcpy(seg, p, len);
    seg[len] = '\0';
    if (*end == '.')
        end++;
    return end;
}

static json_t *
child(json_t *v, const char *seg, int create)
{
    if (json_is_array(v)) {
        char *e;
        unsigned long i = strtoul(seg, &e, 10);
        return *e ? NULL : json_array_get(v, i);
    }
    if (!json_is_object(v))
        return NULL;
    if (!json_object_get(v, seg) && create)
        json_object_set_new(v, seg, json_object());
    return json_object_get(v, seg);
}

/* Set (value non-NULL, taken over) or delete the member at path under root. */
static int
apply_path(json_t *root, const char *path, json_t *value, struct sw_error *err)
{
    char seg[1024];
    const char *p = path;
    json_t *cur = root;

    for (;;) {
        const char *rest = next_segment(p, seg, sizeof(seg));
        if (!rest) {
            json_decref(value);
            return sw_error_set(err, SW_E_INVAL, "malformed path '%s'", path);
        }
        if (!*rest) {
            int r;
            if (json_is_array(cur)) {
                char *e;
                unsigned long i = strtoul(seg, &e, 10);
                r = *e ? -1 : value ? json_array_set_new(cur, i, value) : json_array_remove(cur, i);
                value = NULL;
            } else if (json_is_object(cur)) {
                r = value ? json_object_set_new(cur, seg, value) : json_object_del(cur, seg);
                value = NULL;
            } else {
                r = -1;
            }
            json_decref(value);
            if (r < 0)
                return sw_error_set(err, SW_E_INVAL, "cannot %s '%s'", value ? "set" : "remove",
                                    path);
            return 0;
        }
        cur = child(cur, seg, value != NULL);
        if (!cur) {
            json_decref(value);
            return sw_error_set(err, SW_E_NOTFOUND, "path '%s' does not exist", path);
        }
        p = rest;
    }
}

/* --- resign ------------------------------------------------------------------------------ */

static int
write_env(const char *path, const json_t *env, int canonical, struct sw_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    int r;
    if (canonical) {
        struct sw_buf b = SW_BUF_INIT(0);
        r = sw_cjson_encode(env, &b, err);
        bytes = sw_buf_steal(&b, &len);
    } else {
        r = sw_repo_encode(env, &bytes, &len, err);
    }
    if (r == 0)
        r = sw_fs_write_atomic(path, bytes, len, 0644, err);
    free(bytes);
    return r;
}

static void
corrupt(json_t *sigs, size_t from)
{
    for (size_t i = from; i < json_array_size(sigs); i++) {
        json_t *e = json_array_get(sigs, i);
        const char *s = json_string_value(json_object_get(e, "sig"));
        char *c = s ? strdup(s) : NULL;
        if (!c || !*c) {
            free(c);
            continue;
        }
        c[0] = c[0] == '0' ? '1' : '0';
        json_object_set_new(e, "sig", json_string(c));
        free(c);
    }
}

static int
resign(const struct args *a, struct sw_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0, before;
    json_t *env = NULL, *sigs;
    struct sw_keyring *kr = NULL;
    int r;

    r = sw_fs_read_file(a->target, SW_MD_MAX_LEN, &bytes, &len, err);
    if (r == 0)
        r = sw_cjson_parse_mem(bytes, len, 0, &env, err);
    if (r < 0)
        goto out;
    if (!json_is_object(json_object_get(env, "signed"))) {
        r = sw_error_set(err, SW_E_METADATA, "'%s' has no 'signed' object", a->target);
        goto out;
    }
    for (size_t i = 0; i < a->n_sets; i++) {
        const char *eq = strchr(a->sets[i], '=');
        char *path;
        json_t *v = NULL;
        if (!eq) {
            r = sw_error_set(err, SW_E_INVAL, "--set '%s' must be PATH=JSON", a->sets[i]);
            goto out;
        }
        r = sw_cjson_parse_mem(eq + 1, strlen(eq + 1), 0, &v, err);
        if (r < 0)
            goto out;
        path = strndup(a->sets[i], (size_t)(eq - a->sets[i]));
        r = path ? apply_path(json_object_get(env, "signed"), path, v, err)
                 : sw_error_set(err, SW_E_NOMEM, "out of memory");
        free(path);
        if (r < 0)
            goto out;
    }
    for (size_t i = 0; i < a->n_unsets; i++)
        if ((r = apply_path(json_object_get(env, "signed"), a->unsets[i], NULL, err)) < 0)
            goto out;
    if (!a->keep || !json_is_array(json_object_get(env, "signatures")))
        json_object_set_new(env, "signatures", json_array());
    sigs = json_object_get(env, "signatures");
    before = json_array_size(sigs);
    if (a->n_keys) {
        if (!a->key_dir) {
            r = sw_error_set(err, SW_E_USAGE, "--key needs --key-dir");
            goto out;
        }
        r = sw_keyring_open(a->key_dir, a->pass_file, &kr, err);
        if (r < 0)
            goto out;
    }
    for (size_t i = 0; i < a->n_keys; i++) {
        struct sw_signer *s = NULL;
        char id[SW_KEY_ID_HEX_SIZE];
        if ((r = sw_keyring_unlock(kr, a->keys[i], &s, err)) < 0 ||
            (r = sw_keyring_signer_id(s, id, err)) < 0 ||
            (r = sw_keyring_sign_envelope(env, s, id, err)) < 0)
            goto out;
    }
    if (a->bogus)
        corrupt(sigs, a->keep ? before : 0);
    if (a->duplicate && json_array_size(sigs) > 0)
        json_array_append_new(sigs, json_deep_copy(json_array_get(sigs, 0)));
    if (a->none)
        json_array_clear(sigs);
    r = write_env(a->out ? a->out : a->target, env, a->canonical, err);
out:
    sw_keyring_free(kr);
    json_decref(env);
    free(bytes);
    return r;
}

/* --- relink ------------------------------------------------------------------------------ */

static int
read_env(const char *mdir, const char *rel, json_t **ret, unsigned char **ret_bytes,
         size_t *ret_len, struct sw_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    int r = sw_repo_read_metadata(mdir, rel, &bytes, &len, err);
    if (r == 0 && ret)
        r = sw_cjson_parse_mem(bytes, len, 0, ret, err);
    if (r == 0 && ret_bytes) {
        *ret_bytes = bytes;
        *ret_len = len;
        bytes = NULL;
    }
    free(bytes);
    return r;
}

static int
role_entry(const char *mdir, const char *role, int64_t version, int probe, int no_hashes,
           json_t *meta, struct sw_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    char *rel = NULL, *mname = NULL;
    json_t *e = NULL;
    int r;

    /* the newest version present, from the one given */
    while (probe) {
        char *nrel = NULL, *path;
        if (sw_repo_md_name(role, version + 1, &nrel, err) < 0)
            break;
        path = sw_fs_join(mdir, nrel);
        free(nrel);
        r = path ? sw_fs_exists(path, NULL) : 0;
        free(path);
        if (r != 1)
            break;
        version++;
    }
    if ((r = sw_repo_md_name(role, version, &rel, err)) < 0 ||
        (r = read_env(mdir, rel, NULL, &bytes, &len, err)) < 0)
        goto out;
    if (no_hashes) {
        e = json_pack("{s:I}", "version", (json_int_t)version);
        r = e ? 0 : sw_error_set(err, SW_E_NOMEM, "out of memory");
    } else {
        r = sw_repo_meta_entry(bytes, len, version, &e, err);
    }
    if (r < 0)
        goto out;
    if (asprintf(&mname, "%s.json", role) < 0 || json_object_set_new(meta, mname, e) < 0)
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
    e = NULL;
out:
    json_decref(e);
    free(mname);
    free(rel);
    free(bytes);
    return r;
}

static int
sign_with(struct sw_keyring *kr, json_t *env, const char *name, struct sw_error *err)
{
    struct sw_signer *s = NULL;
    char id[SW_KEY_ID_HEX_SIZE];
    int r;
    json_object_set_new(env, "signatures", json_array());
    if ((r = sw_keyring_unlock(kr, name, &s, err)) < 0 ||
        (r = sw_keyring_signer_id(s, id, err)) < 0)
        return r;
    return sw_keyring_sign_envelope(env, s, id, err);
}

static int
relink(const struct args *a, struct sw_error *err)
{
    char *mdir = sw_fs_join(a->target, "metadata");
    json_t *ts = NULL, *snap = NULL, *meta = NULL, *sentry = NULL;
    unsigned char *sbytes = NULL;
    size_t slen = 0;
    struct sw_keyring *kr = NULL;
    struct sw_repo fake;
    char rel[48];
    int64_t sv, tv;
    const char *name;
    json_t *v;
    int r;

    memset(&fake, 0, sizeof(fake));
    if (!mdir)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    if (!a->key_dir || !a->snapshot_key || !a->timestamp_key) {
        r = sw_error_set(err, SW_E_USAGE,
                         "relink needs --key-dir, --snapshot-key and "
                         "--timestamp-key");
        goto out;
    }
    if ((r = read_env(mdir, "timestamp.json", &ts, NULL, NULL, err)) < 0)
        goto out;
    sv = json_integer_value(json_object_get(
        json_object_get(json_object_get(json_object_get(ts, "signed"), "meta"), "snapshot.json"),
        "version"));
    snprintf(rel, sizeof(rel), "%" PRId64 ".snapshot.json", sv);
    if ((r = read_env(mdir, rel, &snap, NULL, NULL, err)) < 0)
        goto out;
    meta = json_object();
    if (!meta) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    json_object_foreach(json_object_get(json_object_get(snap, "signed"), "meta"), name, v)
    {
        char role[SW_MD_MAX_ROLE_NAME + 8];
        size_t n = strlen(name);
        int pinned = 0;
        if (n <= 5 || n - 5 >= sizeof(role))
            continue;
        memcpy(role, name, n - 5);
        role[n - 5] = '\0';
        for (size_t i = 0; i < a->n_role_versions; i++) {
            const char *eq = strchr(a->role_versions[i], '=');
            pinned |= eq && (size_t)(eq - a->role_versions[i]) == strlen(role) &&
                      strncmp(a->role_versions[i], role, strlen(role)) == 0;
        }
        if (pinned)
            continue;
        r = role_entry(mdir, role, json_integer_value(json_object_get(v, "version")), 1,
                       a->no_hashes, meta, err);
        if (r < 0)
            goto out;
    }
    for (size_t i = 0; i < a->n_role_versions; i++) {
        const char *eq = strchr(a->role_versions[i], '=');
        char *role = eq ? strndup(a->role_versions[i], (size_t)(eq - a->role_versions[i])) : NULL;
        if (!role) {
            r = sw_error_set(err, SW_E_USAGE, "--role-version '%s' must be ROLE=N",
                             a->role_versions[i]);
            goto out;
        }
        r = role_entry(mdir, role, strtoll(eq + 1, NULL, 10), 0, a->no_hashes, meta, err);
        free(role);
        if (r < 0)
            goto out;
    }
    r = sw_keyring_open(a->key_dir, a->pass_file, &kr, err);
    if (r < 0)
        goto out;
    json_object_set(json_object_get(snap, "signed"), "meta", meta);
    sv = a->snapshot_version
             ? a->snapshot_version
             : json_integer_value(json_object_get(json_object_get(snap, "signed"), "version")) + 1;
    json_object_set_new(json_object_get(snap, "signed"), "version", json_integer(sv));
    if (a->expires)
        json_object_set_new(json_object_get(snap, "signed"), "expires", json_string(a->expires));
    if ((r = sign_with(kr, snap, a->snapshot_key, err)) < 0 ||
        (r = sw_repo_encode(snap, &sbytes, &slen, err)) < 0)
        goto out;
    fake.metadata_dir = mdir;
    snprintf(rel, sizeof(rel), "%" PRId64 ".snapshot.json", sv);
    if ((r = sw_repo_write_metadata(&fake, rel, sbytes, slen, 0, err)) < 0 ||
        (r = sw_repo_write_metadata(&fake, "snapshot.json", sbytes, slen, 0, err)) < 0)
        goto out;
    if (a->no_hashes)
        sentry = json_pack("{s:I}", "version", (json_int_t)sv);
    else if ((r = sw_repo_meta_entry(sbytes, slen, sv, &sentry, err)) < 0)
        goto out;
    json_object_set_new(json_object_get(json_object_get(ts, "signed"), "meta"), "snapshot.json",
                        sentry);
    sentry = NULL;
    tv = a->timestamp_version
             ? a->timestamp_version
             : json_integer_value(json_object_get(json_object_get(ts, "signed"), "version")) + 1;
    json_object_set_new(json_object_get(ts, "signed"), "version", json_integer(tv));
    if (a->expires)
        json_object_set_new(json_object_get(ts, "signed"), "expires", json_string(a->expires));
    if ((r = sign_with(kr, ts, a->timestamp_key, err)) < 0)
        goto out;
    free(sbytes);
    sbytes = NULL;
    if ((r = sw_repo_encode(ts, &sbytes, &slen, err)) < 0 ||
        (r = sw_repo_write_metadata(&fake, "timestamp.json", sbytes, slen, 0, err)) < 0)
        goto out;
    printf("snapshot version %" PRId64 ", timestamp version %" PRId64 "\n", sv, tv);
out:
    json_decref(sentry);
    json_decref(ts);
    json_decref(snap);
    json_decref(meta);
    sw_keyring_free(kr);
    free(sbytes);
    free(mdir);
    return r;
}

int
main(int argc, char **argv)
{
    struct sw_error err = SW_ERROR_INIT;
    struct args a;
    int r;

    if (argc < 3 || parse_args(argc, argv, &a) < 0)
        return usage();
    if (strcmp(argv[1], "resign") == 0)
        r = resign(&a, &err);
    else if (strcmp(argv[1], "relink") == 0)
        r = relink(&a, &err);
    else
        return usage();
    return r < 0 ? fail(&err) : 0;
}
