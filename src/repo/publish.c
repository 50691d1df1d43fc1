/* SPDX-License-Identifier: MIT */
/*
 * Signing and publishing for slipway-repo: thresholds of staged roles
 * (counted with the metadata module, as a client counts them), signatures
 * from the key ring, and the order of writes that keeps a repository
 * consistent for clients at every instant: root, then targets roles, then
 * snapshot, and the timestamp last. The layout on disk is tree.c's.
 */
#include "publish.h"

#include <slipway/buf.h>
#include <slipway/cjson.h>
#include <slipway/hash.h>
#include <slipway/log.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A threshold a staged envelope must meet: a role and the document holding its keys. */
struct req {
    const struct sw_md *holder;
    const struct sw_md_role *role;
    const char *check; /* "own threshold", "previous root", "delegated by 'targets'" */
};

struct tally {
    size_t have;
    int64_t need;
    size_t n_keyids;
    unsigned char signed_by[SW_MD_MAX_KEYIDS];
};

/*
 * Parsed documents kept for one command, freed together; the delegators
 * among them by role index (repo->roles[i] parsed once as the holder of
 * its delegations, however many roles it delegates: 2^14 bins share one).
 */
struct mds {
    struct sw_md **v;
    size_t n;
    const struct sw_md **by_role;
    size_t n_by_role;
};

#define MDS_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, NULL, 0                                                                           \
    }

static void
mds_release(struct mds *m)
{
    for (size_t i = 0; i < m->n; i++)
        sw_md_free(m->v[i]);
    free(m->v);
    free(m->by_role);
    m->v = NULL;
    m->n = 0;
    m->by_role = NULL;
    m->n_by_role = 0;
}

static int
mds_parse(struct mds *m, const json_t *env, enum sw_md_type type, const char *name,
          const struct sw_md **ret, struct sw_error *err)
{
    struct sw_md *md = NULL;
    struct sw_md **nv;
    int r = sw_repo_md_from_json(env, type, name, &md, err);
    if (r < 0)
        return r;
    nv = realloc(m->v, (m->n + 1) * sizeof(*nv));
    if (!nv) {
        sw_md_free(md);
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    m->v = nv;
    m->v[m->n++] = md;
    *ret = md;
    return 0;
}

/* The canonical form of env["signed"], what its signatures cover, into out. */
static int
canonical_signed(const json_t *env, struct sw_buf *out, struct sw_error *err)
{
    const json_t *signed_ = json_object_get(env, "signed");
    if (!json_is_object(signed_))
        return sw_error_set(err, SW_E_METADATA, "the envelope has no 'signed' object");
    return sw_cjson_encode(signed_, out, err);
}

/*
 * Count distinct valid signatures in env["signatures"] by q's keys over
 * bytes (the canonical env["signed"]), as sw_md_verify() counts them: a
 * signature entry that is not {"keyid": STRING, "sig": STRING} counts for
 * nothing (the document is parsed as a client parses it once, before it
 * is written).
 */
static void
count_env(const json_t *env, const unsigned char *bytes, size_t len, const struct req *q,
          struct tally *t)
{
    const struct sw_key *counted[SW_MD_MAX_KEYIDS];
    const json_t *sigs = json_object_get(env, "signatures");
    size_t n_counted = 0;

    memset(t, 0, sizeof(*t));
    t->need = sw_md_role_threshold(q->role);
    t->n_keyids = sw_md_role_keyid_count(q->role);
    for (size_t i = 0; i < t->n_keyids && i < SW_MD_MAX_KEYIDS; i++) {
        const char *id = sw_md_role_keyid(q->role, i);
        const struct sw_key *key = sw_md_key(q->holder, id);
        int valid = 0;
        if (!key)
            continue;
        for (size_t j = 0; j < json_array_size(sigs) && !valid; j++) {
            const char *kid = json_string_value(json_object_get(json_array_get(sigs, j), "keyid"));
            const char *sig = json_string_value(json_object_get(json_array_get(sigs, j), "sig"));
            if (kid && sig && strcmp(kid, id) == 0 &&
                sw_key_verify(key, bytes, len, sig, NULL) == 0)
                valid = 1;
        }
        for (size_t k = 0; valid && k < n_counted; k++)
            if (sw_key_same_material(counted[k], key))
                valid = 0;
        if (valid) {
            counted[n_counted++] = key;
            t->signed_by[i] = 1;
            t->have++;
        }
    }
}

/* count_env() of env as it stands (encoding its "signed" only when it holds signatures). */
static int
tally(const json_t *env, const char *name, const struct req *q, struct tally *t,
      struct sw_error *err)
{
    struct sw_buf buf = SW_BUF_INIT(SW_MD_MAX_LEN);
    int r = 0;

    if (json_array_size(json_object_get(env, "signatures")) == 0) {
        memset(t, 0, sizeof(*t));
        t->need = sw_md_role_threshold(q->role);
        t->n_keyids = sw_md_role_keyid_count(q->role);
        return 0;
    }
    r = canonical_signed(env, &buf, err);
    if (r < 0)
        sw_error_prefix(err, "staged role '%s': ", name);
    else
        count_env(env, buf.data, buf.len, q, t);
    sw_buf_release(&buf);
    return r;
}

/* Whether key counts in t besides the keys t already counted (distinct key material). */
static int
adds_material(const struct req *q, const struct tally *t, const struct sw_key *key)
{
    for (size_t i = 0; i < t->n_keyids && i < SW_MD_MAX_KEYIDS; i++) {
        const struct sw_key *k;
        if (!t->signed_by[i])
            continue;
        k = sw_md_key(q->holder, sw_md_role_keyid(q->role, i));
        if (k && sw_key_same_material(k, key))
            return 0;
    }
    return 1;
}

static const char *
key_label(const struct sw_repo_ctx *c, const char *keyid)
{
    const char *n = c->kr ? sw_keyring_name_of(c->kr, keyid) : NULL;
    return n ? n : sw_repo_keyname(c->repo, keyid);
}

/*
 * Sign env with keys of the ring until every requirement is met or no key
 * is left; ts[q] is the tally of reqs[q] when done. The "signed" object is
 * encoded once: each signature made is counted as made (it is valid by
 * construction), not verified again.
 */
static int
autosign(struct sw_repo_ctx *c, json_t *env, const char *name, const struct req *reqs,
         size_t n_reqs, struct tally *ts, size_t *ret_added, struct sw_error *err)
{
    struct sw_buf buf = SW_BUF_INIT(SW_MD_MAX_LEN);
    int r;

    *ret_added = 0;
    r = canonical_signed(env, &buf, err);
    if (r < 0)
        return sw_error_prefix(err, "staged role '%s': ", name);
    for (size_t q = 0; q < n_reqs; q++) {
        struct tally *t = &ts[q];
        unsigned char tried[SW_MD_MAX_KEYIDS];
        memset(tried, 0, sizeof(tried));
        count_env(env, buf.data, buf.len, &reqs[q], t);
        while (c->kr && (int64_t)t->have < t->need) {
            const struct sw_key *key;
            struct sw_signer *s = NULL;
            const char *id = NULL;
            size_t i;
            for (i = 0; i < t->n_keyids && i < SW_MD_MAX_KEYIDS; i++) {
                id = sw_md_role_keyid(reqs[q].role, i);
                if (!t->signed_by[i] && !tried[i] && sw_keyring_can_sign(c->kr, id) &&
                    sw_md_key(reqs[q].holder, id))
                    break;
            }
            if (i == t->n_keyids || i == SW_MD_MAX_KEYIDS)
                break;
            tried[i] = 1;
            key = sw_md_key(reqs[q].holder, id);
            r = sw_keyring_unlock(c->kr, sw_keyring_name_of(c->kr, id), &s, err);
            if (r == 0)
                r = sw_keyring_sign_canonical(env, s, id, buf.data, buf.len, err);
            if (r < 0)
                goto out;
            (*ret_added)++;
            sw_log_info("signed role '%s' with key '%s'", name, sw_keyring_name_of(c->kr, id));
            if (adds_material(&reqs[q], t, key)) {
                t->signed_by[i] = 1;
                t->have++;
            }
        }
    }
out:
    sw_buf_release(&buf);
    return r;
}

/*
 * Append to report["staged"] (and "pending" when unmet) one entry per
 * requirement, from its tally ts[q].
 */
static int
describe(struct sw_repo_ctx *c, const json_t *env, const char *name, const struct req *reqs,
         const struct tally *ts, size_t n_reqs, int *ret_ready, struct sw_error *err)
{
    json_t *staged = json_object_get(c->report, "staged");
    json_t *pending = json_object_get(c->report, "pending");
    int ready = 1;

    if (!staged) {
        staged = json_array();
        if (!staged || json_object_set_new(c->report, "staged", staged) < 0)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    if (!pending) {
        pending = json_array();
        if (!pending || json_object_set_new(c->report, "pending", pending) < 0)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    for (size_t q = 0; q < n_reqs; q++) {
        const struct tally *t = &ts[q];
        json_t *missing = json_array(), *entry;
        for (size_t i = 0; missing && i < t->n_keyids; i++) {
            const char *id = sw_md_role_keyid(reqs[q].role, i);
            const char *label = key_label(c, id);
            if (i < SW_MD_MAX_KEYIDS && t->signed_by[i])
                continue;
            json_t *m = label ? json_pack("{s:s,s:s}", "keyid", id, "name", label)
                              : json_pack("{s:s,s:n}", "keyid", id, "name");
            if (!m || json_array_append_new(missing, m) < 0) {
                json_decref(missing);
                return sw_error_set(err, SW_E_NOMEM, "out of memory");
            }
        }
        entry = json_pack("{s:s,s:I,s:s,s:I,s:I,s:b,s:o}", "role", name, "version",
                          (json_int_t)json_integer_value(
                              json_object_get(json_object_get(env, "signed"), "version")),
                          "check", reqs[q].check, "signatures", (json_int_t)t->have, "threshold",
                          (json_int_t)t->need, "ready", (int64_t)t->have >= t->need, "missing",
                          missing);
        if (!entry || json_array_append(staged, entry) < 0) {
            json_decref(entry);
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        }
        if ((int64_t)t->have < t->need) {
            ready = 0;
            if (json_array_append(pending, entry) < 0) {
                json_decref(entry);
                return sw_error_set(err, SW_E_NOMEM, "out of memory");
            }
        }
        json_decref(entry);
    }
    *ret_ready = ready;
    return 0;
}

/* describe() with the tallies counted now. */
static int
describe_now(struct sw_repo_ctx *c, const json_t *env, const char *name, const struct req *reqs,
             size_t n_reqs, int *ret_ready, struct sw_error *err)
{
    struct tally ts[2];
    for (size_t q = 0; q < n_reqs && q < 2; q++) {
        int r = tally(env, name, &reqs[q], &ts[q], err);
        if (r < 0)
            return r;
    }
    return describe(c, env, name, reqs, ts, n_reqs, ret_ready, err);
}

/* The requirements of a staged root: its own threshold and the previous root's. */
static int
root_reqs(struct sw_repo_ctx *c, struct mds *m, struct req reqs[2], size_t *ret_n,
          struct sw_error *err)
{
    const struct sw_md *self, *old;
    size_t n = 0;
    int r = mds_parse(m, c->repo->staged_root, SW_MD_ROOT, "root", &self, err);
    if (r < 0)
        return sw_error_prefix(err, "staged root: ");
    reqs[n].holder = self;
    reqs[n].role = sw_md_root_role(self, SW_MD_ROOT);
    reqs[n].check = "its own root keys";
    n++;
    if (c->repo->root) {
        r = mds_parse(m, c->repo->root, SW_MD_ROOT, "root", &old, err);
        if (r < 0)
            return sw_error_prefix(err, "published root: ");
        reqs[n].holder = old;
        reqs[n].role = sw_md_root_role(old, SW_MD_ROOT);
        reqs[n].check = "the previous root's keys";
        n++;
    }
    *ret_n = n;
    return 0;
}

/* The delegator's view of a targets role: from the current root or the parent's current envelope. */
static int
role_req(struct sw_repo_ctx *c, struct mds *m, const struct sw_md *root_md,
         const struct sw_repo_role *role, struct req *ret, struct sw_error *err)
{
    const struct sw_md *holder;
    const json_t *penv;
    struct sw_repo_role *parent;
    size_t pi;
    int r;

    if (!role->parent) {
        ret->holder = root_md;
        ret->role = sw_md_root_role(root_md, SW_MD_TARGETS);
        ret->check = "the root's targets keys";
        return 0;
    }
    parent = sw_repo_role(c->repo, role->parent);
    penv = parent ? sw_repo_role_current(parent) : NULL;
    if (!penv)
        return sw_error_set(err, SW_E_REPO_INVALID, "role '%s': its delegator '%s' is missing",
                            role->name, role->parent);
    pi = (size_t)(parent - c->repo->roles);
    if (pi < m->n_by_role && m->by_role[pi]) {
        holder = m->by_role[pi];
    } else {
        r = mds_parse(m, penv, SW_MD_TARGETS, parent->name, &holder, err);
        if (r < 0)
            return r;
        if (pi >= m->n_by_role) {
            size_t n = c->repo->n_roles > pi ? c->repo->n_roles : pi + 1;
            const struct sw_md **nb = realloc(m->by_role, n * sizeof(*nb));
            if (!nb)
                return sw_error_set(err, SW_E_NOMEM, "out of memory");
            memset(nb + m->n_by_role, 0, (n - m->n_by_role) * sizeof(*nb));
            m->by_role = nb;
            m->n_by_role = n;
        }
        m->by_role[pi] = holder;
    }
    ret->holder = holder;
    ret->role = sw_md_delegation(holder, role->name);
    ret->check = parent->parent ? "its delegator's keys" : "the delegation in targets";
    if (!ret->role)
        return sw_error_set(err, SW_E_REPO_INVALID, "role '%s' is no longer delegated by '%s'",
                            role->name, role->parent);
    return 0;
}

static int64_t
env_version(const json_t *env)
{
    const json_t *v = json_object_get(json_object_get(env, "signed"), "version");
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

static int
note_signed(struct sw_repo_ctx *c, const char *role, size_t added, struct sw_error *err)
{
    json_t *a = json_object_get(c->report, "signed");
    if (!added)
        return 0;
    if (!a) {
        a = json_object();
        if (!a || json_object_set_new(c->report, "signed", a) < 0)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    if (json_object_set_new(a, role, json_integer((json_int_t)added)) < 0)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    return 0;
}

static int
note_published(struct sw_repo_ctx *c, const char *role, int64_t version, const char *file,
               struct sw_error *err)
{
    json_t *a = json_object_get(c->report, "published");
    json_t *e;
    if (!a) {
        a = json_array();
        if (!a || json_object_set_new(c->report, "published", a) < 0)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    e = json_pack("{s:s,s:I,s:s}", "role", role, "version", (json_int_t)version, "file", file);
    if (!e || json_array_append_new(a, e) < 0)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    return 0;
}

/* --- snapshot and timestamp ---------------------------------------------------------- */

int
sw_repo_meta_entry(const void *bytes, size_t len, int64_t version, json_t **ret,
                   struct sw_error *err)
{
    char hex[SW_HASH_MAX_HEX];
    int r = sw_hash_buf_hex(SW_HASH_SHA256, bytes, len, hex, err);
    if (r < 0)
        return r;
    *ret = json_pack("{s:I,s:I,s:{s:s}}", "version", (json_int_t)version, "length", (json_int_t)len,
                     "hashes", "sha256", hex);
    if (!*ret)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    return 0;
}

#define MAX_ONLINE SW_MD_MAX_KEYIDS

struct online {
    size_t n;
    struct sw_signer *s[MAX_ONLINE];
    char id[MAX_ONLINE][SW_KEY_ID_HEX_SIZE];
};

/* Unlock enough keys of a top-level online role (snapshot, timestamp) from the ring. */
static int
online_keys(struct sw_repo_ctx *c, const struct sw_md *root_md, enum sw_md_type type,
            struct online *o, struct sw_error *err)
{
    const struct sw_md_role *role = sw_md_root_role(root_md, type);
    int64_t need = sw_md_role_threshold(role);
    const char *tname = sw_md_type_to_string(type);
    char ids[512] = "";
    int r;

    memset(o, 0, sizeof(*o));
    if (!c->kr)
        return sw_error_set(err, SW_E_USAGE,
                            "signing '%s' needs the key directory (--key-dir or "
                            "SLIPWAY_REPO_KEY_DIR)",
                            tname);
    for (size_t i = 0; i < sw_md_role_keyid_count(role) && (int64_t)o->n < need; i++) {
        const char *id = sw_md_role_keyid(role, i);
        if (!sw_keyring_can_sign(c->kr, id) || !sw_md_key(root_md, id))
            continue;
        r = sw_keyring_unlock(c->kr, sw_keyring_name_of(c->kr, id), &o->s[o->n], err);
        if (r < 0)
            return r;
        snprintf(o->id[o->n], sizeof(o->id[o->n]), "%s", id);
        o->n++;
    }
    if ((int64_t)o->n >= need)
        return 0;
    for (size_t i = 0; i < sw_md_role_keyid_count(role); i++) {
        const char *id = sw_md_role_keyid(role, i);
        const char *label = key_label(c, id);
        size_t l = strlen(ids);
        snprintf(ids + l, sizeof(ids) - l, "%s%s", l ? ", " : "", label ? label : id);
    }
    return sw_error_set(err, SW_E_REPO_UNSIGNED,
                        "role '%s' needs %" PRId64 " signature%s but the key directory '%s' holds "
                        "the secret key of only %zu of its keys (%s)",
                        tname, need, need == 1 ? "" : "s", sw_keyring_dir(c->kr), o->n, ids);
}

static int
sign_all(json_t *env, struct online *o, struct sw_error *err)
{
    for (size_t i = 0; i < o->n; i++) {
        int r = sw_keyring_sign_envelope(env, o->s[i], o->id[i], err);
        if (r < 0)
            return r;
    }
    return 0;
}

/*
 * Parse bytes, the file of version of role, as a client parses it and
 * verify it against its delegator as it will be published: refused when
 * it does not verify, warned when it has expired.
 */
static int
check_role_bytes(struct sw_repo_ctx *c, struct mds *m, const struct sw_md *root_md,
                 const struct sw_repo_role *role, const unsigned char *bytes, size_t len,
                 int64_t version, struct sw_error *err)
{
    struct sw_md *md = NULL;
    struct req q;
    int r = role_req(c, m, root_md, role, &q, err);
    if (r < 0)
        return r;
    r = sw_md_parse_role_mem(bytes, len, SW_MD_TARGETS, role->name, &md, err);
    if (r == 0)
        r = sw_md_verify(md, q.role, err);
    if (r == 0 && sw_md_version(md) != version)
        r = sw_error_set(err, SW_E_VERSION,
                         "role '%s': file of version %" PRId64 " says version %" PRId64, role->name,
                         version, sw_md_version(md));
    if (r == 0 && sw_md_is_expired(md, c->now))
        sw_log_warning("role '%s' version %" PRId64 " has expired (%s): renew it with "
                       "'slipway-repo renew'",
                       role->name, version, sw_md_expires_string(md));
    sw_md_free(md);
    return r;
}

/*
 * Every published targets role must verify against its delegator before a
 * snapshot lists it; a role published by this command was checked so
 * before it was written (role->checked) and is not parsed again.
 */
static int
check_published_roles(struct sw_repo_ctx *c, const struct sw_md *root_md, struct sw_error *err)
{
    struct mds m = MDS_INIT;
    int r = 0;

    for (size_t i = 0; i < c->repo->n_roles && r == 0; i++) {
        const struct sw_repo_role *role = &c->repo->roles[i];
        if (!role->published || role->checked)
            continue;
        r = check_role_bytes(c, &m, root_md, role, role->bytes, role->len, role->version, err);
        if (r < 0)
            sw_error_prefix(err, "refusing to snapshot: ");
    }
    mds_release(&m);
    return r;
}

static int
write_timestamp(struct sw_repo_ctx *c, const unsigned char *snap_bytes, size_t snap_len,
                int64_t snap_version, struct online *ts, struct sw_error *err)
{
    char exp[21];
    json_t *meta = NULL, *env = NULL;
    unsigned char *bytes = NULL;
    size_t len = 0;
    int64_t version = c->repo->timestamp_version + 1;
    int r;

    if (c->repo->timestamp_version >= SW_MD_MAX_VERSION)
        return sw_error_set(err, SW_E_VERSION,
                            "role 'timestamp' is at version %" PRId64
                            ", the largest a client accepts",
                            c->repo->timestamp_version);

    r = sw_repo_meta_entry(snap_bytes, snap_len, snap_version, &meta, err);
    if (r < 0)
        return r;
    sw_repo_expiry_for(c->exp, "timestamp", SW_MD_TIMESTAMP, c->now, exp);
    env = json_pack("{s:[],s:{s:s,s:s,s:I,s:s,s:{s:o}}}", "signatures", "signed", "_type",
                    "timestamp", "spec_version", SW_REPO_SPEC_VERSION, "version",
                    (json_int_t)version, "expires", exp, "meta", "snapshot.json", meta);
    if (!env) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    if ((r = sign_all(env, ts, err)) < 0 || (r = sw_repo_encode(env, &bytes, &len, err)) < 0 ||
        (r = sw_repo_write_metadata(c->repo, "timestamp.json", bytes, len, 0, err)) < 0)
        goto out;
    json_decref(c->repo->timestamp);
    c->repo->timestamp = env;
    env = NULL;
    c->repo->timestamp_version = version;
    r = note_published(c, "timestamp", version, "timestamp.json", err);
    if (r == 0)
        json_object_set_new(c->report, "timestamp_expires", json_string(exp));
out:
    json_decref(env);
    free(bytes);
    return r;
}

/* A new snapshot of the published roles, then a new timestamp. */
static int
write_snapshot(struct sw_repo_ctx *c, const struct sw_md *root_md, struct online *snap,
               struct online *ts, struct sw_error *err)
{
    char exp[21], rel[48];
    json_t *meta = json_object(), *env = NULL;
    unsigned char *bytes = NULL;
    size_t len = 0;
    int64_t version = c->repo->snapshot_version + 1;
    int r;

    if (!meta)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    if (c->repo->snapshot_version >= SW_MD_MAX_VERSION) {
        json_decref(meta);
        return sw_error_set(err, SW_E_VERSION,
                            "role 'snapshot' is at version %" PRId64
                            ", the largest a client accepts",
                            c->repo->snapshot_version);
    }
    r = check_published_roles(c, root_md, err);
    if (r < 0)
        goto out;
    for (size_t i = 0; i < c->repo->n_roles; i++) {
        const struct sw_repo_role *role = &c->repo->roles[i];
        json_t *e = NULL;
        char *mname = NULL;
        if (!role->published) {
            sw_log_warning("role '%s' is delegated but was never published; the snapshot "
                           "leaves it out",
                           role->name);
            continue;
        }
        r = sw_repo_meta_entry(role->bytes, role->len, role->version, &e, err);
        if (r < 0)
            goto out;
        if (asprintf(&mname, "%s.json", role->name) < 0 ||
            json_object_set_new(meta, mname, e) < 0) {
            free(mname);
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        free(mname);
    }
    sw_repo_expiry_for(c->exp, "snapshot", SW_MD_SNAPSHOT, c->now, exp);
    env = json_pack("{s:[],s:{s:s,s:s,s:I,s:s,s:O}}", "signatures", "signed", "_type", "snapshot",
                    "spec_version", SW_REPO_SPEC_VERSION, "version", (json_int_t)version, "expires",
                    exp, "meta", meta);
    if (!env) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    snprintf(rel, sizeof(rel), "%" PRId64 ".snapshot.json", version);
    /*
     * Not exclusive: clients learn a snapshot only from the timestamp, written
     * last, which links the previous version; a file of this version is what a
     * commit killed before its timestamp left, never seen by a client, and is
     * replaced (its expiry differs, so its bytes do).
     */
    if ((r = sign_all(env, snap, err)) < 0 || (r = sw_repo_encode(env, &bytes, &len, err)) < 0 ||
        (r = sw_repo_write_metadata(c->repo, rel, bytes, len, 0, err)) < 0 ||
        (r = sw_repo_write_metadata(c->repo, "snapshot.json", bytes, len, 0, err)) < 0)
        goto out;
    json_decref(c->repo->snapshot);
    c->repo->snapshot = env;
    env = NULL;
    c->repo->snapshot_version = version;
    r = note_published(c, "snapshot", version, rel, err);
    if (r < 0)
        goto out;
    r = write_timestamp(c, bytes, len, version, ts, err);
out:
    json_decref(meta);
    json_decref(env);
    free(bytes);
    return r;
}

/* --- commit --------------------------------------------------------------------------- */

static int
anything_staged(const struct sw_repo *repo)
{
    if (repo->staged_root)
        return 1;
    for (size_t i = 0; i < repo->n_roles; i++)
        if (repo->roles[i].staged)
            return 1;
    return 0;
}

/* Stage again (to be re-signed) a published role that no longer verifies against its delegator. */
static int
restage_if_keys_changed(struct sw_repo_ctx *c, struct mds *m, const struct sw_md *root_md,
                        struct sw_repo_role *role, struct sw_error *err)
{
    struct req q;
    struct tally t;
    json_t *signed_;
    size_t dropped;
    int r;

    if (role->staged || !role->published)
        return 0;
    r = role_req(c, m, root_md, role, &q, err);
    if (r < 0)
        return r;
    r = tally(role->published, role->name, &q, &t, err);
    if (r < 0)
        return r;
    if ((int64_t)t.have >= t.need)
        return 0;
    sw_log_notice("role '%s' must be signed again: its keys or threshold changed", role->name);
    r = sw_repo_stage(c->repo, role->name, c->exp, c->now, &signed_, &dropped, err);
    if (r == 0 && json_object_set_new(c->report, "restaged", json_true()) < 0)
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
    return r;
}

/*
 * Encode a staged role, check its bytes as a client would (once), and add
 * them to the batch of files the commit writes (sw_repo_batch_commit()).
 */
static int
publish_role(struct sw_repo_ctx *c, struct mds *m, const struct sw_md *root_md,
             struct sw_repo_role *role, struct sw_repo_batch **batch, struct sw_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    char *rel = NULL;
    int64_t version = env_version(role->staged);
    int r;

    if ((r = sw_repo_encode(role->staged, &bytes, &len, err)) < 0)
        goto out;
    /*
     * The trees are done with once the bytes are made: the previous version,
     * and the staged one unless its delegations are still read (the holder
     * of roles it delegates). Their memory goes to the check's parse, so a
     * commit of 100 000 targets holds one tree at a time, not three.
     */
    json_decref(role->published);
    if (json_object_get(json_object_get(role->staged, "signed"), "delegations")) {
        role->published = json_incref(role->staged);
    } else {
        role->published =
            json_pack("{s:[],s:{s:I}}", "signatures", "signed", "version", (json_int_t)version);
        json_decref(role->staged);
        role->staged = NULL;
        if (!role->published) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
    }
    free(role->bytes);
    role->bytes = NULL;
    role->len = 0;
    r = check_role_bytes(c, m, root_md, role, bytes, len, version, err);
    if (r < 0) {
        sw_error_prefix(err, "refusing to publish: ");
        goto out;
    }
    role->checked = 1;
    if ((r = sw_repo_md_name(role->name, version, &rel, err)) < 0 ||
        (r = sw_repo_batch_add(c->repo, batch, rel, bytes, len, err)) < 0)
        goto out;
    role->bytes = bytes;
    bytes = NULL;
    role->len = len;
    role->version = version;
    r = note_published(c, role->name, version, rel, err);
out:
    free(bytes);
    free(rel);
    return r;
}

static int
publish_root(struct sw_repo_ctx *c, struct sw_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    char rel[48];
    int64_t version = env_version(c->repo->staged_root);
    int r;

    snprintf(rel, sizeof(rel), "%" PRId64 ".root.json", version);
    if ((r = sw_repo_encode(c->repo->staged_root, &bytes, &len, err)) < 0 ||
        (r = sw_repo_write_metadata(c->repo, rel, bytes, len, 1, err)) < 0 ||
        (r = sw_repo_write_metadata(c->repo, "root.json", bytes, len, 0, err)) < 0)
        goto out;
    json_decref(c->repo->root);
    c->repo->root = json_incref(c->repo->staged_root);
    c->repo->root_version = version;
    r = note_published(c, "root", version, rel, err);
out:
    free(bytes);
    return r;
}

int
sw_repo_commit(struct sw_repo_ctx *c, struct sw_error *err)
{
    struct sw_repo *repo = c->repo;
    struct mds m = MDS_INIT;
    struct sw_repo_batch *batch = NULL;
    struct sw_repo_role *top = NULL;
    struct online snap, ts;
    const struct sw_md *root_md = NULL;
    int ready = 1, r;

    memset(&snap, 0, sizeof(snap));
    memset(&ts, 0, sizeof(ts));
    if (!anything_staged(repo)) {
        json_object_set_new(c->report, "nothing_staged", json_true());
        return 0;
    }
    if (!sw_repo_root_current(repo))
        return sw_error_set(err, SW_E_NOTFOUND, "'%s' has no root; run 'slipway-repo init'",
                            repo->dir);

    /* 1. a staged root: the previous root's threshold and its own */
    if (repo->staged_root) {
        struct req reqs[2];
        size_t n = 0, added = 0;
        int ok;
        if (env_version(repo->staged_root) != repo->root_version + 1) {
            r = sw_error_set(err, SW_E_VERSION,
                             "staged root has version %" PRId64 " but the next one is %" PRId64
                             "; stage it again with 'slipway-repo rotate-root'",
                             env_version(repo->staged_root), repo->root_version + 1);
            goto out;
        }
        r = root_reqs(c, &m, reqs, &n, err);
        if (r < 0)
            goto out;
        struct tally rt[2];
        r = autosign(c, repo->staged_root, "root", reqs, n, rt, &added, err);
        if (r < 0)
            goto out;
        if (added)
            repo->root_dirty = 1;
        if ((r = note_signed(c, "root", added, err)) < 0)
            goto out;
        mds_release(&m);
        r = root_reqs(c, &m, reqs, &n, err);
        if (r < 0)
            goto out;
        r = describe_now(c, repo->staged_root, "root", reqs, n, &ok, err);
        if (r < 0)
            goto out;
        ready &= ok;
    }
    r = mds_parse(&m, sw_repo_root_current(repo), SW_MD_ROOT, "root", &root_md, err);
    if (r < 0)
        goto out;

    /* 2. roles whose keys changed are signed again */
    for (size_t i = 0; i < repo->n_roles; i++) {
        struct sw_repo_role *role = &repo->roles[i];
        struct sw_repo_role *parent = role->parent ? sw_repo_role(repo, role->parent) : NULL;
        if ((role->parent && parent && parent->staged) || (!role->parent && repo->staged_root)) {
            r = restage_if_keys_changed(c, &m, root_md, role, err);
            if (r < 0)
                goto out;
        }
    }

    /* 3. staged targets roles, against their delegators as they will be */
    for (size_t i = 0; i < repo->n_roles; i++) {
        struct sw_repo_role *role = &repo->roles[i];
        struct req q;
        struct tally t;
        size_t added = 0;
        int ok;
        if (!role->staged)
            continue;
        if (env_version(role->staged) != role->version + 1) {
            r = sw_error_set(err, SW_E_VERSION,
                             "staged role '%s' has version %" PRId64
                             " but the next one is %" PRId64,
                             role->name, env_version(role->staged), role->version + 1);
            goto out;
        }
        r = role_req(c, &m, root_md, role, &q, err);
        if (r < 0)
            goto out;
        r = autosign(c, role->staged, role->name, &q, 1, &t, &added, err);
        if (r < 0)
            goto out;
        if (added)
            role->dirty = 1;
        if ((r = note_signed(c, role->name, added, err)) < 0)
            goto out;
        r = describe(c, role->staged, role->name, &q, &t, 1, &ok, err);
        if (r < 0)
            goto out;
        ready &= ok;
    }
    if (!ready) {
        r = sw_repo_save(repo, err);
        if (r == 0)
            r = sw_error_set(err, SW_E_REPO_UNSIGNED,
                             "nothing was published: a staged role still lacks signatures");
        goto out;
    }

    /* 4. the online keys, before anything is written */
    if ((r = online_keys(c, root_md, SW_MD_SNAPSHOT, &snap, err)) < 0 ||
        (r = online_keys(c, root_md, SW_MD_TIMESTAMP, &ts, err)) < 0) {
        sw_repo_save(repo, NULL);
        goto out;
    }

    /* 5. the target files added since, copied and checked again, durable before any metadata */
    {
        size_t copied = 0;
        r = sw_repo_copy_sources(repo, &copied, err);
        if (r < 0) {
            sw_repo_save(repo, NULL);
            goto out;
        }
        if (copied &&
            json_object_set_new(c->report, "copied", json_integer((json_int_t)copied)) < 0) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        /*
         * the sources are done with: their memory goes to the documents below (a
         * failure from here on leaves staged/sources.json as it was on disk)
         */
        if (json_object_size(repo->sources)) {
            json_object_clear(repo->sources);
            repo->sources_dirty = 1;
        }
    }

    /*
     * 6. publish: root, roles, snapshot, timestamp last. Each role is encoded
     * and checked as a client would first, into a temporary file, so that a
     * role that does not verify stops the commit before anything is published.
     */
    for (size_t i = 0; i < repo->n_roles; i++) {
        struct sw_repo_role *role = &repo->roles[i];
        if (!role->staged)
            continue;
        r = publish_role(c, &m, root_md, role, &batch, err);
        if (r < 0)
            goto out;
        if (!role->parent)
            top = role;
    }
    if (repo->staged_root) {
        r = publish_root(c, err);
        if (r < 0)
            goto out;
    }
    /* every role file durable at once (one sync, not two fsyncs a role), then targets.json */
    r = sw_repo_batch_commit(repo, batch, err);
    if (r == 0 && top)
        r = sw_repo_write_metadata(repo, "targets.json", top->bytes, top->len, 0, err);
    if (r < 0)
        goto out;
    r = write_snapshot(c, root_md, &snap, &ts, err);
    if (r < 0)
        goto out;
    r = sw_repo_clear_staged(repo, err);
    if (r == 0)
        r = sw_repo_save(repo, err);
out:
    sw_repo_batch_free(batch);
    mds_release(&m);
    return r;
}

/* --- sign --------------------------------------------------------------------------------- */

static int
staged_reqs(struct sw_repo_ctx *c, struct mds *m, const char *name, json_t **ret_env,
            struct req reqs[2], size_t *ret_n, struct sw_error *err)
{
    const struct sw_md *root_md;
    struct sw_repo_role *role;
    int r;

    if (strcmp(name, "root") == 0) {
        if (!c->repo->staged_root)
            return sw_error_set(err, SW_E_NOTFOUND,
                                "no root is staged in '%s'; stage one with 'slipway-repo "
                                "rotate-root'",
                                c->repo->dir);
        *ret_env = c->repo->staged_root;
        return root_reqs(c, m, reqs, ret_n, err);
    }
    if (strcmp(name, "snapshot") == 0 || strcmp(name, "timestamp") == 0)
        return sw_error_set(err, SW_E_INVAL,
                            "'%s' is signed by 'commit', 'snapshot' and 'timestamp' with the "
                            "online keys, never staged",
                            name);
    role = sw_repo_role(c->repo, name);
    if (!role)
        return sw_error_set(err, SW_E_NOTFOUND, "no role '%s' in '%s'", name, c->repo->dir);
    if (!role->staged)
        return sw_error_set(err, SW_E_NOTFOUND,
                            "nothing is staged for role '%s'; stage a change first (add, remove, "
                            "rollout, delegate, renew)",
                            name);
    *ret_env = role->staged;
    r = mds_parse(m, sw_repo_root_current(c->repo), SW_MD_ROOT, "root", &root_md, err);
    if (r < 0)
        return r;
    *ret_n = 1;
    return role_req(c, m, root_md, role, &reqs[0], err);
}

int
sw_repo_sign(struct sw_repo_ctx *c, const char *name, const char *const *key_names, size_t n_keys,
             struct sw_error *err)
{
    struct mds m = MDS_INIT;
    struct req reqs[2];
    size_t n = 0;
    json_t *env = NULL, *done = json_array();
    int ready, r;

    if (!done)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = staged_reqs(c, &m, name, &env, reqs, &n, err);
    if (r < 0)
        goto out;
    for (size_t k = 0; k < n_keys; k++) {
        struct sw_signer *s = NULL;
        char id[SW_KEY_ID_HEX_SIZE];
        int listed = 0;
        r = sw_keyring_unlock(c->kr, key_names[k], &s, err);
        if (r < 0)
            goto out;
        r = sw_keyring_signer_id(s, id, err);
        if (r < 0)
            goto out;
        for (size_t q = 0; q < n; q++)
            for (size_t i = 0; i < sw_md_role_keyid_count(reqs[q].role); i++)
                if (strcmp(sw_md_role_keyid(reqs[q].role, i), id) == 0 &&
                    sw_md_key(reqs[q].holder, id))
                    listed = 1;
        if (!listed) {
            r = sw_error_set(err, SW_E_KEYFILE, "key '%s' (id %.16s...) is not a key of role '%s'",
                             key_names[k], id, name);
            goto out;
        }
        r = sw_keyring_sign_envelope(env, s, id, err);
        if (r < 0)
            goto out;
        if (json_array_append_new(done, json_pack("{s:s,s:s}", "name", key_names[k], "keyid", id)) <
            0) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        r = sw_repo_note_keyname(c->repo, id, key_names[k], err);
        if (r < 0)
            goto out;
    }
    if (strcmp(name, "root") == 0)
        c->repo->root_dirty = 1;
    else
        sw_repo_role(c->repo, name)->dirty = 1;
    r = sw_repo_save(c->repo, err);
    if (r < 0)
        goto out;
    /* count again over the signed envelope (the parsed documents are the delegators) */
    r = describe_now(c, env, name, reqs, n, &ready, err);
    if (r < 0)
        goto out;
    json_object_set(c->report, "signed_with", done);
out:
    json_decref(done);
    mds_release(&m);
    return r;
}

int
sw_repo_describe_staged(struct sw_repo_ctx *c, struct sw_error *err)
{
    struct mds m = MDS_INIT;
    const struct sw_md *root_md = NULL;
    int ready, r = 0;

    if (c->repo->staged_root) {
        struct req reqs[2];
        size_t n = 0;
        r = root_reqs(c, &m, reqs, &n, err);
        if (r == 0)
            r = describe_now(c, c->repo->staged_root, "root", reqs, n, &ready, err);
    }
    for (size_t i = 0; r == 0 && i < c->repo->n_roles; i++) {
        struct sw_repo_role *role = &c->repo->roles[i];
        struct req q;
        if (!role->staged)
            continue;
        if (!root_md)
            r = mds_parse(&m, sw_repo_root_current(c->repo), SW_MD_ROOT, "root", &root_md, err);
        if (r == 0)
            r = role_req(c, &m, root_md, role, &q, err);
        if (r == 0)
            r = describe_now(c, role->staged, role->name, &q, 1, &ready, err);
    }
    mds_release(&m);
    return r;
}

/* --- timestamp and snapshot alone --------------------------------------------------------- */

int
sw_repo_renew_timestamp(struct sw_repo_ctx *c, struct sw_error *err)
{
    struct mds m = MDS_INIT;
    struct online ts;
    const struct sw_md *root_md;
    unsigned char *bytes = NULL;
    size_t len = 0;
    char rel[48];
    int r;

    if (!c->repo->root || !c->repo->snapshot)
        return sw_error_set(err, SW_E_NOTFOUND,
                            "'%s' has no published snapshot; run 'slipway-repo commit' first",
                            c->repo->dir);
    r = mds_parse(&m, c->repo->root, SW_MD_ROOT, "root", &root_md, err);
    if (r < 0)
        goto out;
    r = online_keys(c, root_md, SW_MD_TIMESTAMP, &ts, err);
    if (r < 0)
        goto out;
    snprintf(rel, sizeof(rel), "%" PRId64 ".snapshot.json", c->repo->snapshot_version);
    r = sw_repo_read_metadata(c->repo->metadata_dir, rel, &bytes, &len, err);
    if (r < 0)
        goto out;
    r = write_timestamp(c, bytes, len, c->repo->snapshot_version, &ts, err);
out:
    free(bytes);
    mds_release(&m);
    return r;
}

int
sw_repo_resnapshot(struct sw_repo_ctx *c, struct sw_error *err)
{
    struct mds m = MDS_INIT;
    struct online snap, ts;
    const struct sw_md *root_md;
    int r;

    if (!c->repo->root)
        return sw_error_set(err, SW_E_NOTFOUND,
                            "'%s' has no published root; run 'slipway-repo commit' first",
                            c->repo->dir);
    r = mds_parse(&m, c->repo->root, SW_MD_ROOT, "root", &root_md, err);
    if (r < 0)
        goto out;
    if ((r = online_keys(c, root_md, SW_MD_SNAPSHOT, &snap, err)) < 0 ||
        (r = online_keys(c, root_md, SW_MD_TIMESTAMP, &ts, err)) < 0)
        goto out;
    r = write_snapshot(c, root_md, &snap, &ts, err);
out:
    mds_release(&m);
    return r;
}
