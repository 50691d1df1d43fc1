/* SPDX-License-Identifier: MIT */
/*
 * The TUF client workflow, step by step as section 5 of the specification
 * lists it: root rotation by chained versions, timestamp, snapshot, targets
 * and delegated roles, target files. Owns what is trusted (the metadata
 * directory, versions in the store, the time floor) and every rule of the
 * workflow; parsing and signatures are the metadata module's, transport is
 * fetch's. Every check runs inside fetch's verify callback, so a mirror
 * that serves bad metadata is failed over like one that is down.
 */
#include <slipway/fs.h>
#include <slipway/hash.h>
#include <slipway/key.h>
#include <slipway/log.h>
#include <slipway/trust.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Whether one delegation (a role entry in a delegator's document held by
 * this session) accepts a document of its role: the verdict of
 * sw_md_verify, or of the fetch made for it.
 */
struct role_verdict {
    const struct sw_md_role *by;
    struct sw_md *md; /* the accepted document (owned by the entry), or NULL */
    int code;         /* refused: SW_E_* */
    char *msg;
};

/*
 * One document of a delegated role, parsed without its signed bytes
 * (SW_MD_PARSE_NO_SIGNED_BYTES): a delegation checks it against the bytes
 * it was parsed from, read again from the kept file, or takes the verdict
 * the store recorded for those bytes (verify once).
 */
struct role_doc {
    struct sw_md *md;
    char sha[SW_HASH_MAX_HEX]; /* lowercase hex SHA-256 of those bytes */
    int64_t len;
    int kept; /* the kept file holds these bytes now (not replaced by a fetch since) */
};

/* A verdict to record in the store at the end of a walk or search (verify once). */
struct pending_verdict {
    char *role;
    char binding[SW_HASH_MAX_HEX];
    char sha[SW_HASH_MAX_HEX];
    int64_t len;
};

/*
 * A delegated role in this session. Its documents are those of the version
 * the snapshot names (the kept one, one fetched); none is used for a path
 * before the delegation of that path accepted it. Documents stay until the
 * session roles are dropped, as the search holds pointers into them.
 */
struct role_entry {
    char *name;
    struct role_doc *docs;
    size_t n_docs;
    int kept_read;              /* the kept file has been looked at */
    struct sw_error kept_error; /* why the kept file is not usable */
    struct role_verdict *verdicts;
    size_t n_verdicts;
};

struct sw_trust {
    struct sw_trust_config cfg;
    char *dir;
    struct sw_md *root;
    struct sw_md *ts;         /* trusted timestamp (may be NULL) */
    struct sw_md *snap;       /* trusted snapshot (may be NULL) */
    struct sw_md *targets;    /* trusted top-level targets (may be NULL) */
    struct role_entry *roles; /* delegated roles trusted in this session */
    size_t n_roles;
    size_t cap_roles;
    /* roles by name: open addressing, slot = index in roles + 1 (0: empty); a
     * walk of 2^14 bins looks a role up once per delegation, so no scan */
    uint32_t *role_index;
    size_t role_index_cap; /* a power of two, at least twice n_roles */
    unsigned requests;
    time_t now;
    struct sw_trust_report *rep;
    int root_rotated; /* a new root was accepted in this session */
    /* the SHA-256 and length of the kept bytes loaded for ts, snap, targets */
    char kept_sha[SW_MD_N_TYPES][SW_HASH_MAX_HEX];
    int64_t kept_len[SW_MD_N_TYPES];
    /*
     * "Nothing new": the timestamp was unchanged and the store's records say
     * the kept snapshot and targets are the ones it names and are fresh, so
     * they were not read; they are loaded when first needed.
     */
    int top_deferred;
    int nothing_new;
    int ts_unchanged; /* this refresh's timestamp was the trusted one */
    /* sw_trust_hold_floor(): the floor a refresh raises, written by the caller */
    int floor_held;
    int floor_due;
    time_t floor_at;
    /* a walk keeping many roles: one store transaction, one directory fsync */
    int batch;
    int batch_txn;
    unsigned batch_writes;
    /* the last role found expired, for sw_trust_expired() */
    char expired_role[SW_MD_MAX_ROLE_NAME + 1];
    time_t expired_at;
    int have_expired;
    int64_t deferred_version[SW_MD_N_TYPES];
    /* verify once for delegated roles: signature checks made, verdicts taken from the store */
    unsigned sig_checks;
    unsigned verdicts_reused;
    struct pending_verdict *pending;
    size_t n_pending;
};

static void flush_verdicts(struct sw_trust *t);

/* Store settings of the fast "nothing new" refresh. */
#define SETTING_COMPLETE "trust-complete"    /* sha256 of the snapshot a refresh completed */
#define SETTING_WALKED "trust-walk-complete" /* "SHA256 MIN-EXPIRY N" of a walk with no skip */

static const char *const top_roles[] = {"root", "timestamp", "snapshot", "targets"};

static int
is_top_level_name(const char *name)
{
    for (size_t i = 0; i < sizeof(top_roles) / sizeof(top_roles[0]); i++)
        if (strcmp(name, top_roles[i]) == 0)
            return 1;
    return 0;
}

/* --- files of the metadata directory --------------------------------------------- */

int
sw_trust_role_filename(const char *role, char **ret, struct sw_error *err)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(role), enc = 0;
    char *out, *p;

    if (n == 0 || n > SW_MD_MAX_ROLE_NAME)
        return sw_error_set(err, SW_E_METADATA, "role name of %zu bytes is not allowed", n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)role[i];
        enc += (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '.' || c == '-' || c == '~'
                   ? 1
                   : 3;
    }
    if (enc + strlen(".json") > SW_TRUST_MAX_FILENAME) {
        /* too long for one file name: a name no percent-encoding gives ("%%") */
        char sha[SW_HASH_MAX_HEX];
        int r = sw_hash_buf_hex(SW_HASH_SHA256, role, n, sha, err);
        if (r < 0)
            return r;
        if (asprintf(&out, "%%%%sha256-%s.json", sha) < 0)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        *ret = out;
        return 0;
    }
    out = malloc(enc + sizeof(".json"));
    if (!out)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    p = out;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)role[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '.' || c == '-' || c == '~') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    memcpy(p, ".json", sizeof(".json"));
    *ret = out;
    return 0;
}

static int
role_path(const struct sw_trust *t, const char *role, char **ret, struct sw_error *err)
{
    char *fname = NULL;
    int r = sw_trust_role_filename(role, &fname, err);
    if (r < 0)
        return r;
    *ret = sw_fs_join(t->dir, fname);
    free(fname);
    if (!*ret)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    return 0;
}

static void
note_change(struct sw_trust *t, const char *role, int64_t old_version, int64_t new_version)
{
    struct sw_trust_report *rep = t->rep;
    if (!rep || old_version == new_version)
        return;
    for (size_t i = 0; i < rep->n_changes; i++)
        if (strcmp(rep->changes[i].role, role) == 0) {
            rep->changes[i].new_version = new_version;
            return;
        }
    if (rep->n_changes < SW_TRUST_MAX_CHANGES) {
        struct sw_trust_change *c = &rep->changes[rep->n_changes++];
        snprintf(c->role, sizeof(c->role), "%s", role);
        c->old_version = old_version;
        c->new_version = new_version;
    }
}

/*
 * The SHA-256 a snapshot or timestamp gives for a file, lowercase, into
 * out; 0 when it gives none. Once the file was checked against meta, it
 * is the file's: no second hash of megabytes.
 */
static int
meta_sha256(const struct sw_md_fileinfo *meta, char out[SW_HASH_MAX_HEX])
{
    for (size_t i = 0; meta && i < meta->n_hashes; i++) {
        const char *v = meta->hashes[i].value;
        if (strcmp(meta->hashes[i].alg, "sha256") != 0 || strlen(v) != 64)
            continue;
        for (size_t j = 0; j <= 64; j++)
            out[j] = (char)(v[j] >= 'A' && v[j] <= 'F' ? v[j] - 'A' + 'a' : v[j]);
        return 1;
    }
    return 0;
}

/*
 * Keep the exact bytes of a role that has just verified, and record it
 * (for a delegated role, dropping the verdicts recorded for its old bytes).
 * sha (or NULL): the lowercase hex SHA-256 of the bytes when it is already
 * known (sha[0] != 0: checked against them), else filled in.
 */
static int
persist(struct sw_trust *t, const char *role, const struct sw_md *md, const void *bytes, size_t len,
        char *sha_io, struct sw_error *err)
{
    char *path = NULL;
    char sha[SW_HASH_MAX_HEX];
    int r;

    if (sha_io && sha_io[0]) {
        memcpy(sha, sha_io, sizeof(sha));
    } else {
        r = sw_hash_buf_hex(SW_HASH_SHA256, bytes, len, sha, err);
        if (r < 0)
            return r;
        if (sha_io)
            memcpy(sha_io, sha, sizeof(sha));
    }

    r = role_path(t, role, &path, err);
    if (r < 0)
        return r;
    if (t->batch) {
        /* one of the roles of a walk: the directory is fsynced once at its end */
        r = sw_fs_write_replace(path, bytes, len, 0600, err);
        t->batch_writes++;
    } else {
        r = sw_fs_write_atomic(path, bytes, len, 0600, err);
    }
    free(path);
    if (r < 0)
        return sw_error_prefix(err, "keeping role '%s': ", role);
    if (t->cfg.store) {
        struct sw_store_meta m;
        if (!is_top_level_name(role)) {
            r = sw_store_verdicts_forget(t->cfg.store, role, err);
            if (r < 0)
                return r;
        }
        memset(&m, 0, sizeof(m));
        m.role = (char *)role;
        m.version = sw_md_version(md);
        m.expires = (char *)sw_md_expires_string(md);
        m.length = (int64_t)len;
        m.sha256 = sha;
        r = sw_store_meta_set(t->cfg.store, &m, err);
        if (r < 0)
            return r;
    }
    sw_log_debug("trusted %s version %" PRId64, role, sw_md_version(md));
    return 0;
}

/* Forget a trusted role: its file and its record. */
static int
forget(struct sw_trust *t, const char *role, struct sw_error *err)
{
    char *path = NULL;
    int r = role_path(t, role, &path, err);
    if (r < 0)
        return r;
    r = sw_fs_unlink(path, err);
    free(path);
    if (r < 0)
        return r;
    if (t->cfg.store && !is_top_level_name(role)) {
        r = sw_store_verdicts_forget(t->cfg.store, role, err);
        if (r < 0)
            return r;
    }
    if (t->cfg.store)
        return sw_store_meta_delete(t->cfg.store, role, err);
    return 0;
}

static int
read_local(struct sw_trust *t, const char *role, uint64_t max, unsigned char **ret, size_t *ret_len,
           struct sw_error *err)
{
    char *path = NULL;
    int r = role_path(t, role, &path, err);
    if (r < 0)
        return r;
    r = sw_fs_read_file(path, (size_t)max, ret, ret_len, err);
    free(path);
    return r;
}

/*
 * A kept file of at least this many bytes is mapped for its parse rather
 * than read into a buffer (map_local).
 */
#define KEPT_MAP_MIN (64u << 10)

/*
 * read_local(), except that a kept file of KEPT_MAP_MIN bytes or more (up
 * to max) is mapped read-only and private instead of copied into a
 * buffer: the page cache is mapped at once (MAP_POPULATE), no page fault
 * and no copy per 4 KiB (a 40 MiB targets file took ~10 000 faults, 15-20
 * us each here). The bytes are untrusted and checked exactly as read ones
 * are. The file is ours (in the 0700 state directory) and only ever
 * replaced by a rename, never truncated in place, so the mapped inode
 * cannot shrink under the parse (which would raise SIGBUS); the mapping
 * lives only for the parse. *ret_mapped says how to release *ret
 * (unmap_local). Anything else (small, absent, not a regular file, over
 * max, a mapping refused) goes through read_local with its messages.
 */
static int
map_local(struct sw_trust *t, const char *role, uint64_t max, unsigned char **ret, size_t *ret_len,
          int *ret_mapped, struct sw_error *err)
{
    char *path = NULL;
    struct stat st;
    void *p = MAP_FAILED;
    int fd = -1, r;

    *ret_mapped = 0;
    r = role_path(t, role, &path, err);
    if (r < 0)
        return r;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= KEPT_MAP_MIN &&
        (uint64_t)st.st_size <= max)
        p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (fd >= 0)
        close(fd);
    free(path);
    if (p == MAP_FAILED)
        return read_local(t, role, max, ret, ret_len, err);
    *ret = p;
    *ret_len = (size_t)st.st_size;
    *ret_mapped = 1;
    return 0;
}

static void
unmap_local(unsigned char *bytes, size_t len, int mapped)
{
    if (mapped)
        munmap(bytes, len);
    else
        free(bytes);
}

/* --- fetching metadata --------------------------------------------------------- */

/* What a piece of metadata must be to be accepted; checked in the verify callback. */
struct meta_check {
    struct sw_trust *t;
    enum sw_md_type type;
    const char *role_name;
    const struct sw_md_role *role;       /* authorises the signatures */
    const struct sw_md_role *role2;      /* roots: the new root's own threshold too */
    const struct sw_md_fileinfo *expect; /* length/hashes/version from above, or NULL */
    int64_t expect_version;              /* exact version required, or 0 */
    struct sw_md *md;                    /* the accepted document */
    int unchanged;                       /* timestamp: same version as trusted */
    unsigned parse_flags;                /* SW_MD_PARSE_NO_SIGNED_BYTES: checked right away */
    const void *data;                    /* the bytes being accepted, while they are */
    size_t len;
};

/* Remember the role found expired, so the command can say who must act. */
static void
note_expired(struct sw_trust *t, const struct sw_md *md)
{
    snprintf(t->expired_role, sizeof(t->expired_role), "%s", sw_md_name(md));
    t->expired_at = sw_md_expires(md);
    t->have_expired = 1;
}

/* sw_md_check_expiry() at the session's time, remembering what expired. */
static int
check_expiry(struct sw_trust *t, const struct sw_md *md, struct sw_error *err)
{
    int r = sw_md_check_expiry(md, t->now, err);
    if (r < 0)
        note_expired(t, md);
    return r;
}

static int
check_root(struct meta_check *c, struct sw_md *md, struct sw_error *err)
{
    const struct sw_md_role *own = sw_md_root_role(md, SW_MD_ROOT);
    int r;
    /* signed by the old root's threshold, and by its own */
    r = sw_md_verify(md, c->role, err);
    if (r < 0)
        return sw_error_prefix(
            err, "root version %" PRId64 " against the trusted root: ", c->expect_version);
    r = sw_md_verify(md, own, err);
    if (r < 0)
        return sw_error_prefix(
            err, "root version %" PRId64 " against its own keys: ", c->expect_version);
    if (sw_md_version(md) != c->expect_version)
        return sw_error_set(err, SW_E_VERSION,
                            "role 'root': file %" PRId64 ".root.json holds version %" PRId64,
                            c->expect_version, sw_md_version(md));
    return 0;
}

static int
check_timestamp(struct meta_check *c, struct sw_md *md, struct sw_error *err)
{
    struct sw_trust *t = c->t;
    const struct sw_md_fileinfo *nsnap = sw_md_timestamp_snapshot(md);
    int r = sw_md_verify(md, c->role, err);
    if (r < 0)
        return r;
    c->unchanged = 0;
    if (t->ts) {
        const struct sw_md_fileinfo *osnap = sw_md_timestamp_snapshot(t->ts);
        if (sw_md_version(md) < sw_md_version(t->ts))
            return sw_error_set(err, SW_E_ROLLBACK,
                                "role 'timestamp': version %" PRId64
                                " is older than the trusted version %" PRId64,
                                sw_md_version(md), sw_md_version(t->ts));
        if (sw_md_version(md) == sw_md_version(t->ts)) {
            c->unchanged = 1;
            return 0;
        }
        if (nsnap->version < osnap->version)
            return sw_error_set(err, SW_E_ROLLBACK,
                                "role 'timestamp': names snapshot version %" PRId64
                                ", older than the trusted snapshot version %" PRId64,
                                nsnap->version, osnap->version);
    }
    return check_expiry(t, md, err);
}

/* The snapshot trusted before this one, kept for rollback checks. */
static struct sw_md *rollback_snapshot(struct sw_trust *t);

static int
check_snapshot(struct meta_check *c, struct sw_md *md, struct sw_error *err)
{
    struct sw_md *old = rollback_snapshot(c->t);
    int r = sw_md_verify(md, c->role, err);
    if (r < 0)
        return r;
    if (old) {
        size_t n = sw_md_snapshot_meta_count(old);
        for (size_t i = 0; i < n; i++) {
            const struct sw_md_fileinfo *o = sw_md_snapshot_meta_at(old, i);
            const struct sw_md_fileinfo *nf = NULL;
            size_t nn = sw_md_snapshot_meta_count(md);
            for (size_t j = 0; j < nn; j++) {
                const struct sw_md_fileinfo *x = sw_md_snapshot_meta_at(md, j);
                if (strcmp(x->name, o->name) == 0) {
                    nf = x;
                    break;
                }
            }
            if (!nf)
                return sw_error_set(err, SW_E_ROLLBACK,
                                    "role 'snapshot': version %" PRId64
                                    " no longer lists '%s', which the trusted snapshot did",
                                    sw_md_version(md), o->name);
            if (nf->version < o->version)
                return sw_error_set(err, SW_E_ROLLBACK,
                                    "role 'snapshot': '%s' goes back from version %" PRId64
                                    " to %" PRId64,
                                    o->name, o->version, nf->version);
        }
    }
    if (sw_md_version(md) != c->expect_version)
        return sw_error_set(err, SW_E_VERSION,
                            "role 'snapshot': version %" PRId64
                            " does not match the version %" PRId64 " the timestamp names",
                            sw_md_version(md), c->expect_version);
    return check_expiry(c->t, md, err);
}

static int
check_targets(struct meta_check *c, struct sw_md *md, struct sw_error *err)
{
    int r;
    if (c->role != sw_md_root_role(c->t->root, SW_MD_TARGETS))
        c->t->sig_checks++;
    r = sw_md_verify_mem(md, c->data, c->len, c->role, err);
    if (r < 0)
        return r;
    if (sw_md_version(md) != c->expect_version)
        return sw_error_set(err, SW_E_VERSION,
                            "role '%s': version %" PRId64 " does not match the version %" PRId64
                            " the snapshot names",
                            c->role_name, sw_md_version(md), c->expect_version);
    return check_expiry(c->t, md, err);
}

/* Parse and check bytes as c describes; on success c->md holds the document. */
static int
meta_accept(struct meta_check *c, const void *data, size_t len, struct sw_error *err)
{
    struct sw_md *md = NULL;
    int r;

    if (c->expect) {
        r = sw_md_fileinfo_check(c->expect, data, len, err);
        if (r < 0)
            return sw_error_prefix(err, "role '%s': ", c->role_name);
    }
    r = sw_md_parse_role_flags(data, len, c->type, c->role_name, c->parse_flags, &md, err);
    if (r < 0)
        return r;
    c->data = data;
    c->len = len;
    switch (c->type) {
    case SW_MD_ROOT:
        r = check_root(c, md, err);
        break;
    case SW_MD_TIMESTAMP:
        r = check_timestamp(c, md, err);
        break;
    case SW_MD_SNAPSHOT:
        r = check_snapshot(c, md, err);
        break;
    case SW_MD_TARGETS:
        r = check_targets(c, md, err);
        break;
    default:
        r = sw_error_set(err, SW_E_INTERNAL, "unknown role type");
    }
    c->data = NULL;
    c->len = 0;
    if (r < 0) {
        sw_md_free(md);
        return r;
    }
    sw_md_free(c->md);
    c->md = md;
    return 0;
}

static int
meta_verify_cb(void *ctx, const struct sw_fetch_result *res, struct sw_error *err)
{
    return meta_accept(ctx, res->data, (size_t)res->length, err);
}

/* The configuration setting that caps a role of this type without a signed length. */
static const char *
cap_setting(enum sw_md_type type)
{
    if (type == SW_MD_ROOT)
        return "max-root-size";
    if (type == SW_MD_TIMESTAMP)
        return "max-timestamp-size";
    return "max-metadata-size";
}

/*
 * Fetch metadata file `name` (not yet encoded) into memory, at most cap
 * bytes, accepted by c. On success *buf holds the bytes and c->md the
 * document.
 */
static int
fetch_meta(struct sw_trust *t, const char *name, uint64_t cap, struct meta_check *c,
           struct sw_buf *buf, struct sw_error *err)
{
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    unsigned before;
    int r;

    if (!t->cfg.fetch)
        return sw_error_set(err, SW_E_TRUST, "no mirror is configured to fetch '%s' from", name);
    memset(&req, 0, sizeof(req));
    req.base = SW_FETCH_METADATA;
    req.path = name;
    req.mode = SW_FETCH_NAME;
    req.max_bytes = cap;
    req.buf = buf;
    req.verify = meta_verify_cb;
    req.verify_ctx = c;
    req.progress = t->cfg.progress;
    req.progress_ctx = t->cfg.progress_ctx;
    if (t->cfg.fetching) {
        /* roots are only ever fetched as the probe for version N+1 */
        struct sw_trust_fetching w = {c->role_name, NULL, c->type == SW_MD_ROOT};
        t->cfg.fetching(t->cfg.progress_ctx, &w);
    }
    memset(&res, 0, sizeof(res));
    before = sw_fetch_request_count(t->cfg.fetch);
    r = sw_fetch_get(t->cfg.fetch, &req, &res, err);
    t->requests += sw_fetch_request_count(t->cfg.fetch) - before;
    if (r == -SW_E_FETCH_TOOBIG && c->expect && c->expect->length >= 0) {
        /* longer than signed metadata says: the mirror serves the wrong file */
        sw_error_prefix(err, "role '%s' is longer than the %" PRId64 " bytes signed for it: ",
                        c->role_name, c->expect->length);
        if (err)
            err->code = SW_E_LENGTH;
        r = -SW_E_LENGTH;
    } else if (r == -SW_E_FETCH_TOOBIG && err) {
        /* a cap of the configuration, not a signed length: say which setting raises it */
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof(err->msg) - n,
                 "; if the role is meant to be this large, raise [fetch] %s (now %" PRIu64
                 " bytes)",
                 cap_setting(c->type), cap);
    }
    return r;
}

/*
 * The cap for a snapshot or targets role (top-level or delegated) that the
 * metadata above names with meta: its signed length, which must itself be
 * within max-metadata-size (the cap it is read back from disk with), else
 * max-metadata-size. One size rule for download and disk: a role over the
 * setting is refused before any request and never kept.
 */
static int
role_cap(const struct sw_trust *t, const char *role, const struct sw_md_fileinfo *meta,
         uint64_t *ret_cap, struct sw_error *err)
{
    if (meta->length >= 0 && (uint64_t)meta->length > t->cfg.max_metadata_size)
        return sw_error_set(err, SW_E_LIMIT,
                            "role '%s' is %" PRId64 " bytes, more than max-metadata-size (%" PRIu64
                            " bytes); refusing to fetch it (raise max-metadata-size to accept it)",
                            role, meta->length, t->cfg.max_metadata_size);
    *ret_cap = meta->length >= 0 ? (uint64_t)meta->length : t->cfg.max_metadata_size;
    return 0;
}

/* --- loading what is already trusted ------------------------------------------------ */

/*
 * Verify once: bytes whose SHA-256 and length are those the store recorded
 * when they verified, under the root trusted now (no root was accepted in
 * this session since), need no second signature check.
 */
static int
verified_before(struct sw_trust *t, const char *role, const char *sha, size_t len)
{
    struct sw_store_meta m;
    int same;
    if (!t->cfg.store || t->root_rotated)
        return 0;
    if (sw_store_meta_get(t->cfg.store, role, &m, NULL) < 0)
        return 0;
    same = m.length == (int64_t)len && m.sha256 && strcasecmp(m.sha256, sha) == 0;
    sw_store_meta_release(&m);
    return same;
}

/*
 * Parse a locally kept role and check its signatures under role. Absent or
 * no longer valid: *ret = NULL (an invalid one is forgotten). Expiry and
 * versions are the caller's to judge.
 */
static int
load_local(struct sw_trust *t, const char *name, enum sw_md_type type,
           const struct sw_md_role *role, uint64_t max, struct sw_md **ret, struct sw_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    struct sw_md *md = NULL;
    struct sw_error e2 = SW_ERROR_INIT;
    int mapped = 0, r;

    *ret = NULL;
    r = map_local(t, name, max, &bytes, &len, &mapped, &e2);
    if (r == -SW_E_NOTFOUND)
        return 0;
    if (r < 0 && r != -SW_E_LIMIT) {
        *err = e2;
        return r;
    }
    if (r == 0) {
        r = sw_hash_buf_hex(SW_HASH_SHA256, bytes, len, t->kept_sha[type], &e2);
        t->kept_len[type] = (int64_t)len;
    }
    /* verify once: kept bytes the store recorded as verified need no canonical form at all */
    if (r == 0)
        r = sw_md_parse_role_flags(bytes, len, type, name, SW_MD_PARSE_NO_SIGNED_BYTES, &md, &e2);
    if (r == 0 && !(verified_before(t, name, t->kept_sha[type], len)))
        r = sw_md_verify_mem(md, bytes, len, role, &e2);
    unmap_local(bytes, len, mapped);
    if (r < 0) {
        /* a kept file that no longer verifies (keys rotated) is dropped */
        sw_log_info("dropping trusted %s: %s", name, e2.msg);
        sw_md_free(md);
        return forget(t, name, err);
    }
    *ret = md;
    return 0;
}

static struct sw_md *
rollback_snapshot(struct sw_trust *t)
{
    return t->snap;
}

static void
drop_session_roles(struct sw_trust *t)
{
    for (size_t i = 0; i < t->n_roles; i++) {
        struct role_entry *e = &t->roles[i];
        free(e->name);
        for (size_t j = 0; j < e->n_docs; j++)
            sw_md_free(e->docs[j].md);
        free(e->docs);
        for (size_t j = 0; j < e->n_verdicts; j++)
            free(e->verdicts[j].msg);
        free(e->verdicts);
    }
    free(t->roles);
    t->roles = NULL;
    t->n_roles = 0;
    t->cap_roles = 0;
    free(t->role_index);
    t->role_index = NULL;
    t->role_index_cap = 0;
}

/* --- open and install ------------------------------------------------------------------ */

int
sw_trust_open(const struct sw_trust_config *cfg, struct sw_trust **ret_trust, struct sw_error *err)
{
    struct sw_trust *t;
    unsigned char *bytes = NULL;
    size_t len = 0;
    int r;

    t = calloc(1, sizeof(*t));
    if (!t)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    t->cfg = *cfg;
    if (!t->cfg.max_root_rotations)
        t->cfg.max_root_rotations = SW_TRUST_MAX_ROOT_ROTATIONS;
    if (!t->cfg.max_delegations)
        t->cfg.max_delegations = SW_TRUST_MAX_DELEGATIONS;
    if (!t->cfg.max_walk_roles)
        t->cfg.max_walk_roles = SW_TRUST_MAX_WALK_ROLES;
    t->dir = strdup(cfg->metadata_dir);
    if (!t->dir) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto fail;
    }
    r = read_local(t, "root", cfg->max_root_size, &bytes, &len, err);
    if (r == -SW_E_NOTFOUND) {
        r = sw_error_set(err, SW_E_TRUST_NOROOT,
                         "no trusted root in '%s'; pin one with 'slipway init --root ROOT.json'",
                         t->dir);
        goto fail;
    }
    if (r < 0)
        goto fail;
    r = sw_md_parse_role_mem(bytes, len, SW_MD_ROOT, "root", &t->root, err);
    if (r == 0)
        r = sw_md_verify(t->root, sw_md_root_role(t->root, SW_MD_ROOT), err);
    free(bytes);
    if (r < 0) {
        sw_error_prefix(err,
                        "the trusted root in '%s' is damaged (pin it again with 'slipway "
                        "init --root ROOT.json --force'): ",
                        t->dir);
        r = -SW_E_TRUST;
        if (err)
            err->code = SW_E_TRUST;
        goto fail;
    }
    *ret_trust = t;
    return 0;
fail:
    sw_trust_free(t);
    return r;
}

void
sw_trust_free(struct sw_trust *t)
{
    if (!t)
        return;
    sw_md_free(t->root);
    sw_md_free(t->ts);
    sw_md_free(t->snap);
    sw_md_free(t->targets);
    flush_verdicts(t);
    drop_session_roles(t);
    free(t->dir);
    free(t);
}

const struct sw_md *
sw_trust_root(const struct sw_trust *t)
{
    return t->root;
}

const struct sw_md *
sw_trust_role(const struct sw_trust *t, enum sw_md_type type)
{
    switch (type) {
    case SW_MD_ROOT:
        return t->root;
    case SW_MD_TIMESTAMP:
        return t->ts;
    case SW_MD_SNAPSHOT:
        return t->snap;
    case SW_MD_TARGETS:
        return t->targets;
    }
    return NULL;
}

int64_t
sw_trust_role_version(const struct sw_trust *t, enum sw_md_type type)
{
    const struct sw_md *md = sw_trust_role(t, type);
    if (md)
        return sw_md_version(md);
    if (t->top_deferred && (type == SW_MD_SNAPSHOT || type == SW_MD_TARGETS))
        return t->deferred_version[type];
    return 0;
}

unsigned
sw_trust_requests(const struct sw_trust *t)
{
    return t->requests;
}

void
sw_trust_delegated_checks(const struct sw_trust *t, unsigned *ret_checked, unsigned *ret_reused)
{
    *ret_checked = t->sig_checks;
    *ret_reused = t->verdicts_reused;
}

void
sw_trust_set_local_roles(struct sw_trust *t, int local_roles)
{
    t->cfg.local_roles = local_roles;
}

void
sw_trust_hold_floor(struct sw_trust *t, int hold)
{
    t->floor_held = hold;
}

int
sw_trust_floor_write(struct sw_trust *t, struct sw_error *err)
{
    char v[32];
    int r;

    if (!t->floor_due || !t->cfg.store)
        return 0;
    snprintf(v, sizeof(v), "%lld", (long long)t->floor_at);
    r = sw_store_setting_set(t->cfg.store, "time-floor", v, err);
    if (r == 0)
        t->floor_due = 0;
    return r;
}

/* Remove every *.json file of the metadata directory (a forced re-pin). */
static int
forget_all(const char *dir, struct sw_store *store, struct sw_error *err)
{
    struct sw_store_meta *list = NULL;
    size_t n = 0;
    int r;

    if (store) {
        r = sw_store_meta_list(store, &list, &n, err);
        if (r < 0)
            return r;
        for (size_t i = 0; i < n && r == 0; i++) {
            char *fname = NULL, *path;
            r = sw_trust_role_filename(list[i].role, &fname, err);
            if (r < 0)
                break;
            path = sw_fs_join(dir, fname);
            free(fname);
            if (!path) {
                r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                break;
            }
            r = sw_fs_unlink(path, err);
            free(path);
            if (r == 0)
                r = sw_store_meta_delete(store, list[i].role, err);
        }
        sw_store_meta_list_free(list, n);
        if (r == 0)
            r = sw_store_verdicts_forget(store, NULL, err);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < sizeof(top_roles) / sizeof(top_roles[0]); i++) {
        char *path = NULL;
        char name[32];
        snprintf(name, sizeof(name), "%s.json", top_roles[i]);
        path = sw_fs_join(dir, name);
        if (!path)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        r = sw_fs_unlink(path, err);
        free(path);
        if (r < 0)
            return r;
    }
    return 0;
}

int
sw_trust_install_root(const char *metadata_dir, struct sw_store *store, const void *root_bytes,
                      size_t len, int force, int check_expiry, time_t now, struct sw_error *err)
{
    struct sw_md *md = NULL;
    char *path = NULL;
    int r;

    r = sw_md_parse_role_mem(root_bytes, len, SW_MD_ROOT, "root", &md, err);
    if (r < 0)
        return r;
    r = sw_md_verify(md, sw_md_root_role(md, SW_MD_ROOT), err);
    if (r < 0) {
        sw_error_prefix(err, "not signed by its own root threshold: ");
        goto out;
    }
    if (check_expiry) {
        r = sw_md_check_expiry(md, now, err);
        if (r < 0)
            goto out;
    }
    path = sw_fs_join(metadata_dir, "root.json");
    if (!path) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    r = sw_fs_exists(path, err);
    if (r < 0)
        goto out;
    if (r == 1 && !force) {
        r = sw_error_set(err, SW_E_EXISTS,
                         "a root is already trusted ('%s'); replacing it needs --force", path);
        goto out;
    }
    r = forget_all(metadata_dir, store, err);
    if (r < 0)
        goto out;
    {
        struct sw_trust tmp;
        memset(&tmp, 0, sizeof(tmp));
        tmp.dir = (char *)metadata_dir;
        tmp.cfg.store = store;
        r = persist(&tmp, "root", md, root_bytes, len, NULL, err);
        if (r < 0)
            goto out;
    }
    if (store) {
        char detail[128];
        struct sw_store_event ev;
        memset(&ev, 0, sizeof(ev));
        snprintf(detail, sizeof(detail), "{\"root_version\":%" PRId64 "}", sw_md_version(md));
        ev.kind = "init";
        ev.actor = "operator";
        ev.reason = force ? "root pinned again (--force)" : "root pinned";
        ev.detail = detail;
        r = sw_store_event_add(store, &ev, err);
    }
out:
    free(path);
    sw_md_free(md);
    return r;
}

/* --- 5.3: the root ------------------------------------------------------------------ */

/* Did the keys or threshold of a top-level role change between two roots? */
static int
role_keys_changed(const struct sw_md *a, const struct sw_md *b, enum sw_md_type type)
{
    const struct sw_md_role *ra = sw_md_root_role(a, type), *rb = sw_md_root_role(b, type);
    size_t n = sw_md_role_keyid_count(ra);

    if (sw_md_role_threshold(ra) != sw_md_role_threshold(rb) || n != sw_md_role_keyid_count(rb))
        return 1;
    for (size_t i = 0; i < n; i++) {
        const char *id = sw_md_role_keyid(ra, i);
        int found = 0;
        for (size_t j = 0; j < n && !found; j++)
            found = strcmp(id, sw_md_role_keyid(rb, j)) == 0;
        if (!found)
            return 1;
    }
    return 0;
}

static int
drop_role(struct sw_trust *t, const char *role, struct sw_md **slot, struct sw_error *err)
{
    int64_t v = *slot ? sw_md_version(*slot) : 0;
    sw_md_free(*slot);
    *slot = NULL;
    if (v)
        note_change(t, role, v, 0);
    return forget(t, role, err);
}

static int
update_root(struct sw_trust *t, struct sw_error *err)
{
    struct sw_md *first = NULL;
    unsigned rotations = 0;
    int r = 0;

    for (;;) {
        struct meta_check c;
        struct sw_buf buf = SW_BUF_INIT(0);
        char name[64];
        int64_t next = sw_md_version(t->root) + 1;

        if (rotations >= t->cfg.max_root_rotations) {
            r = sw_error_set(err, SW_E_LIMIT,
                             "more than %u new root versions in one refresh; refusing to go on",
                             t->cfg.max_root_rotations);
            goto out;
        }
        memset(&c, 0, sizeof(c));
        c.t = t;
        c.type = SW_MD_ROOT;
        c.role_name = "root";
        c.role = sw_md_root_role(t->root, SW_MD_ROOT);
        c.expect_version = next;
        snprintf(name, sizeof(name), "%" PRId64 ".root.json", next);
        r = fetch_meta(t, name, t->cfg.max_root_size, &c, &buf, err);
        if (r == -SW_E_FETCH_NOTFOUND) {
            /* 404 or 403 for the next root: there is no newer root */
            sw_buf_release(&buf);
            r = 0;
            break;
        }
        if (r < 0) {
            sw_buf_release(&buf);
            sw_md_free(c.md);
            goto out;
        }
        r = persist(t, "root", c.md, buf.data, buf.len, NULL, err);
        sw_buf_release(&buf);
        if (r < 0) {
            sw_md_free(c.md);
            goto out;
        }
        note_change(t, "root", sw_md_version(t->root), next);
        if (!first)
            first = t->root;
        else
            sw_md_free(t->root);
        t->root = c.md;
        t->root_rotated = 1;
        rotations++;
    }
    /* 5.3.10: a root that is expired now is a freeze attack */
    r = check_expiry(t, t->root, err);
    if (r < 0)
        goto out;

    /* 5.3.11: fast-forward recovery when keys rotated */
    if (first) {
        int ts_keys = role_keys_changed(first, t->root, SW_MD_TIMESTAMP);
        int snap_keys = role_keys_changed(first, t->root, SW_MD_SNAPSHOT);
        int tgt_keys = role_keys_changed(first, t->root, SW_MD_TARGETS);
        if (ts_keys || snap_keys) {
            r = drop_role(t, "timestamp", &t->ts, err);
            if (r == 0)
                r = drop_role(t, "snapshot", &t->snap, err);
            if (r < 0)
                goto out;
        }
        if (tgt_keys) {
            r = drop_role(t, "targets", &t->targets, err);
            if (r < 0)
                goto out;
        }
    }
out:
    sw_md_free(first);
    return r;
}

/* --- 5.4 to 5.6 ------------------------------------------------------------------------- */

static int
load_trusted_ts(struct sw_trust *t, struct sw_error *err)
{
    if (t->ts)
        return 0;
    return load_local(t, "timestamp", SW_MD_TIMESTAMP, sw_md_root_role(t->root, SW_MD_TIMESTAMP),
                      t->cfg.max_timestamp_size, &t->ts, err);
}

static int
load_trusted_top(struct sw_trust *t, struct sw_error *err)
{
    int r = load_trusted_ts(t, err);
    if (r < 0)
        return r;
    t->top_deferred = 0;
    if (!t->snap) {
        r = load_local(t, "snapshot", SW_MD_SNAPSHOT, sw_md_root_role(t->root, SW_MD_SNAPSHOT),
                       t->cfg.max_metadata_size, &t->snap, err);
        if (r < 0)
            return r;
    }
    if (!t->targets) {
        r = load_local(t, "targets", SW_MD_TARGETS, sw_md_root_role(t->root, SW_MD_TARGETS),
                       t->cfg.max_metadata_size, &t->targets, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int
update_timestamp(struct sw_trust *t, struct sw_error *err)
{
    struct meta_check c;
    struct sw_buf buf = SW_BUF_INIT(0);
    int64_t old = t->ts ? sw_md_version(t->ts) : 0;
    int r;

    memset(&c, 0, sizeof(c));
    c.t = t;
    c.type = SW_MD_TIMESTAMP;
    c.role_name = "timestamp";
    c.role = sw_md_root_role(t->root, SW_MD_TIMESTAMP);
    r = fetch_meta(t, "timestamp.json", t->cfg.max_timestamp_size, &c, &buf, err);
    if (r < 0) {
        sw_md_free(c.md);
        sw_buf_release(&buf);
        return r;
    }
    if (c.unchanged) {
        /* the same version as trusted: keep ours, which must still be fresh */
        sw_md_free(c.md);
        sw_buf_release(&buf);
        t->ts_unchanged = 1;
        if (t->rep)
            t->rep->timestamp_unchanged = 1;
        return check_expiry(t, t->ts, err);
    }
    r = persist(t, "timestamp", c.md, buf.data, buf.len, NULL, err);
    sw_buf_release(&buf);
    if (r < 0) {
        sw_md_free(c.md);
        return r;
    }
    sw_md_free(t->ts);
    t->ts = c.md;
    note_change(t, "timestamp", old, sw_md_version(t->ts));
    return 0;
}

/*
 * Is a kept role still the one the metadata above it names: the same
 * version, not expired, and, where a length or hashes are given, the same
 * bytes? (A kept file of the right version but other bytes, such as one an
 * attacker with a stolen key had signed, is fetched again.)
 */
static int
current_enough(struct sw_trust *t, const char *role, const struct sw_md *md,
               const struct sw_md_fileinfo *meta)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    int ok;

    if (!md || sw_md_version(md) != meta->version || sw_md_is_expired(md, t->now))
        return 0;
    if (meta->length < 0 && meta->n_hashes == 0)
        return 1;
    {
        /* the bytes loaded were hashed once when loaded: no second read for sha256 */
        enum sw_md_type ty = strcmp(role, "snapshot") == 0 ? SW_MD_SNAPSHOT : SW_MD_TARGETS;
        int only_sha256 = 1, same = t->kept_sha[ty][0] != '\0';
        for (size_t i = 0; i < meta->n_hashes; i++) {
            if (strcmp(meta->hashes[i].alg, "sha256") != 0)
                only_sha256 = 0;
            else if (strcasecmp(meta->hashes[i].value, t->kept_sha[ty]) != 0)
                same = 0;
        }
        if (meta->length >= 0 && meta->length != t->kept_len[ty])
            same = 0;
        if (only_sha256 && same)
            return 1;
        if (only_sha256 && t->kept_sha[ty][0] != '\0') {
            sw_log_info("the kept %s version %" PRId64
                        " is not the one signed now; fetching it again",
                        role, meta->version);
            return 0;
        }
    }
    if (read_local(t, role, t->cfg.max_metadata_size, &bytes, &len, NULL) < 0)
        return 0;
    ok = sw_md_fileinfo_check(meta, bytes, len, NULL) == 0;
    free(bytes);
    if (!ok)
        sw_log_info("the kept %s version %" PRId64 " is not the one signed now; fetching it again",
                    role, meta->version);
    return ok;
}

/* The file name of a role's metadata under consistent snapshots or not. */
static void
versioned_name(const struct sw_trust *t, const char *role, int64_t version, char **ret)
{
    if (sw_md_root_consistent_snapshot(t->root)) {
        if (asprintf(ret, "%" PRId64 ".%s.json", version, role) < 0)
            *ret = NULL;
    } else if (asprintf(ret, "%s.json", role) < 0) {
        *ret = NULL;
    }
}

static int
update_snapshot(struct sw_trust *t, struct sw_error *err)
{
    const struct sw_md_fileinfo *meta = sw_md_timestamp_snapshot(t->ts);
    struct meta_check c;
    struct sw_buf buf = SW_BUF_INIT(0);
    int64_t old = t->snap ? sw_md_version(t->snap) : 0;
    uint64_t cap = 0;
    char *name = NULL;
    int r;

    r = check_expiry(t, t->ts, err);
    if (r < 0)
        return r;
    /* the trusted snapshot is still the current one: no request */
    if (current_enough(t, "snapshot", t->snap, meta))
        return 0;

    memset(&c, 0, sizeof(c));
    c.t = t;
    c.type = SW_MD_SNAPSHOT;
    c.role_name = "snapshot";
    c.role = sw_md_root_role(t->root, SW_MD_SNAPSHOT);
    c.expect = meta;
    c.expect_version = meta->version;
    r = role_cap(t, "snapshot", meta, &cap, err);
    if (r < 0)
        return r;
    versioned_name(t, "snapshot", meta->version, &name);
    if (!name)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = fetch_meta(t, name, cap, &c, &buf, err);
    free(name);
    if (r == -SW_E_FETCH_TOOBIG && meta->length < 0)
        sw_error_prefix(err,
                        "role 'snapshot' is longer than max-metadata-size (%" PRIu64 " bytes): ",
                        t->cfg.max_metadata_size);
    if (r < 0) {
        sw_md_free(c.md);
        sw_buf_release(&buf);
        return r;
    }
    r = persist(t, "snapshot", c.md, buf.data, buf.len, NULL, err);
    sw_buf_release(&buf);
    if (r < 0) {
        sw_md_free(c.md);
        return r;
    }
    sw_md_free(t->snap);
    t->snap = c.md;
    note_change(t, "snapshot", old, sw_md_version(t->snap));
    return 0;
}

static int role_binding(const struct sw_trust *t, const struct sw_md_role *role,
                        char out[SW_HASH_MAX_HEX]);

/*
 * Fetch, check and keep a targets role (top-level or delegated) named in
 * snapshot. Parsed without its signed bytes (checked while they are at
 * hand); a delegated role's verdict is recorded with it, in one store
 * transaction. ret_sha (or NULL): the SHA-256 of the bytes kept.
 */
static int
fetch_targets_role(struct sw_trust *t, const char *role_name, const struct sw_md_role *role,
                   const struct sw_md_fileinfo *meta, struct sw_md **ret, char *ret_sha,
                   int64_t *ret_len, struct sw_error *err)
{
    struct meta_check c;
    struct sw_buf buf = SW_BUF_INIT(0);
    char sha[SW_HASH_MAX_HEX], binding[SW_HASH_MAX_HEX];
    int delegated = role != sw_md_root_role(t->root, SW_MD_TARGETS), own_txn = 0;
    uint64_t cap = 0;
    char *name = NULL;
    int r;

    memset(&c, 0, sizeof(c));
    c.t = t;
    c.type = SW_MD_TARGETS;
    c.role_name = role_name;
    c.role = role;
    c.expect = meta;
    c.expect_version = meta->version;
    /*
     * Checked against role once, while its bytes are at hand: no canonical
     * copy is kept (as large as the document). Another delegation of a
     * delegated role checks it against the kept file (get_delegated).
     */
    c.parse_flags = SW_MD_PARSE_NO_SIGNED_BYTES;
    r = role_cap(t, role_name, meta, &cap, err);
    if (r < 0)
        return r;
    versioned_name(t, role_name, meta->version, &name);
    if (!name)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = fetch_meta(t, name, cap, &c, &buf, err);
    free(name);
    if (r == -SW_E_FETCH_TOOBIG && meta->length < 0)
        sw_error_prefix(err, "role '%s' is longer than max-metadata-size (%" PRIu64 " bytes): ",
                        role_name, t->cfg.max_metadata_size);
    if (r == 0 && delegated && t->cfg.store && !t->batch_txn)
        own_txn = sw_store_begin(t->cfg.store, NULL) == 0;
    /* the bytes have the snapshot's hashes (checked in meta_accept): its SHA-256 is theirs */
    if (!meta_sha256(meta, sha))
        sha[0] = '\0';
    if (r == 0)
        r = persist(t, role_name, c.md, buf.data, buf.len, sha, err);
    if (r == 0 && delegated && t->cfg.store && role_binding(t, role, binding) == 0)
        r = sw_store_verdict_set(t->cfg.store, role_name, binding, sha, (int64_t)buf.len, err);
    if (own_txn) {
        if (r == 0)
            r = sw_store_commit(t->cfg.store, err);
        if (r < 0)
            sw_store_rollback(t->cfg.store);
    }
    if (ret_len)
        *ret_len = (int64_t)buf.len;
    sw_buf_release(&buf);
    if (r < 0) {
        sw_md_free(c.md);
        return r;
    }
    if (ret_sha)
        memcpy(ret_sha, sha, sizeof(sha));
    *ret = c.md;
    return 0;
}

static int
update_targets(struct sw_trust *t, struct sw_error *err)
{
    const struct sw_md_fileinfo *meta = sw_md_snapshot_meta(t->snap, "targets");
    int64_t old = t->targets ? sw_md_version(t->targets) : 0;
    struct sw_md *md = NULL;
    int r;

    if (!meta)
        return sw_error_set(err, SW_E_METADATA,
                            "role 'snapshot': version %" PRId64 " does not list targets.json",
                            sw_md_version(t->snap));
    if (current_enough(t, "targets", t->targets, meta))
        return 0;
    r = fetch_targets_role(t, "targets", sw_md_root_role(t->root, SW_MD_TARGETS), meta, &md, NULL,
                           NULL, err);
    if (r < 0)
        return r;
    sw_md_free(t->targets);
    t->targets = md;
    note_change(t, "targets", old, sw_md_version(md));
    return 0;
}

/* 5.5 and 5.6 from the kept files: what a refresh does past a timestamp. */
static int
refresh_snapshot_targets(struct sw_trust *t, struct sw_error *err)
{
    int r = load_trusted_top(t, err);
    if (r < 0)
        return r;
    r = update_snapshot(t, err);
    if (r < 0)
        return r;
    r = update_targets(t, err);
    if (r == 0 && t->cfg.store) {
        /* this snapshot and its targets are complete: the next "nothing new" may skip them */
        struct sw_store_meta m;
        r = sw_store_meta_get(t->cfg.store, "snapshot", &m, err);
        if (r == 0) {
            r = sw_store_setting_set(t->cfg.store, SETTING_COMPLETE, m.sha256, err);
            sw_store_meta_release(&m);
        }
    }
    return r;
}

/* A record of the store that has not expired at now. */
static int
record_fresh(const struct sw_store_meta *m, time_t now)
{
    time_t exp;
    return m->expires && sw_md_parse_time(m->expires, &exp) == 0 && exp > now;
}

/*
 * Is there nothing new past an unchanged timestamp, from the store's records
 * alone (constant time, no metadata file read)? No root was accepted in
 * this refresh; the last complete refresh ended at the kept snapshot; the
 * snapshot record has the version, length and sha256 the timestamp names;
 * snapshot and targets records have not expired. Any doubt: 0, and the
 * refresh reads and checks the kept files as before.
 */
static int
nothing_new(struct sw_trust *t)
{
    const struct sw_md_fileinfo *meta = sw_md_timestamp_snapshot(t->ts);
    struct sw_store_meta snap, tgt;
    char *complete = NULL;
    int ok = 0, have_snap = 0, have_tgt = 0;

    if (!t->cfg.store || t->root_rotated || !meta)
        return 0;
    if (sw_store_setting_get(t->cfg.store, SETTING_COMPLETE, &complete, NULL) < 0)
        return 0;
    have_snap = sw_store_meta_get(t->cfg.store, "snapshot", &snap, NULL) == 0;
    have_tgt = have_snap && sw_store_meta_get(t->cfg.store, "targets", &tgt, NULL) == 0;
    if (!have_tgt)
        goto out;
    ok = snap.sha256 && strcasecmp(complete, snap.sha256) == 0 && snap.version == meta->version &&
         (meta->length < 0 || meta->length == snap.length) && record_fresh(&snap, t->now) &&
         record_fresh(&tgt, t->now);
    for (size_t i = 0; ok && i < meta->n_hashes; i++)
        ok = strcmp(meta->hashes[i].alg, "sha256") == 0 &&
             strcasecmp(meta->hashes[i].value, snap.sha256) == 0;
    for (int i = 0; ok && i < 2; i++) {
        const struct sw_store_meta *m = i == 0 ? &snap : &tgt;
        char *path = NULL;
        struct stat st;
        ok = role_path(t, m->role, &path, NULL) == 0 && lstat(path, &st) == 0 &&
             S_ISREG(st.st_mode) && (int64_t)st.st_size == m->length;
        free(path);
    }
    if (ok) {
        t->deferred_version[SW_MD_SNAPSHOT] = snap.version;
        t->deferred_version[SW_MD_TARGETS] = tgt.version;
    }
out:
    if (have_tgt)
        sw_store_meta_release(&tgt);
    if (have_snap)
        sw_store_meta_release(&snap);
    free(complete);
    return ok;
}

int
sw_trust_refresh(struct sw_trust *t, time_t now, struct sw_trust_report *rep, struct sw_error *err)
{
    unsigned start = t->requests;
    int r;

    t->now = now;
    t->rep = rep;
    if (rep)
        memset(rep, 0, sizeof(*rep));
    drop_session_roles(t);

    t->nothing_new = 0;
    t->ts_unchanged = 0;
    t->floor_due = 0;
    r = update_root(t, err);
    if (r < 0)
        goto out;
    r = load_trusted_ts(t, err);
    if (r < 0)
        goto out;
    r = update_timestamp(t, err);
    if (r < 0)
        goto out;
    if (t->cfg.store) {
        /* the freeze floor: time never goes below a verified timestamp's */
        t->floor_due = 1;
        t->floor_at = now;
        if (!t->floor_held) {
            r = sw_trust_floor_write(t, err);
            if (r < 0)
                goto out;
        }
    }
    if (t->ts_unchanged && !t->snap && !t->targets && nothing_new(t)) {
        /* the kept snapshot and targets are current: not read now, loaded when needed */
        t->top_deferred = 1;
        t->nothing_new = 1;
        sw_log_debug("nothing new: timestamp version %" PRId64 " is the trusted one",
                     sw_md_version(t->ts));
        goto out;
    }
    r = refresh_snapshot_targets(t, err);
out:
    if (rep)
        rep->requests = t->requests - start;
    t->rep = NULL;
    return r;
}

int
sw_trust_load_local(struct sw_trust *t, time_t now, struct sw_error *err)
{
    const struct sw_md_fileinfo *smeta, *tmeta;
    int r;

    t->now = now;
    r = check_expiry(t, t->root, err);
    if (r < 0)
        goto stale;
    r = load_trusted_top(t, err);
    if (r < 0)
        return r;
    if (!t->ts || !t->snap || !t->targets) {
        r = sw_error_set(err, SW_E_TRUST, "no trusted %s yet",
                         !t->ts     ? "timestamp"
                         : !t->snap ? "snapshot"
                                    : "targets");
        goto stale;
    }
    smeta = sw_md_timestamp_snapshot(t->ts);
    tmeta = sw_md_snapshot_meta(t->snap, "targets");
    if (sw_md_version(t->snap) != smeta->version || !tmeta ||
        sw_md_version(t->targets) != tmeta->version) {
        r = sw_error_set(err, SW_E_TRUST, "trusted metadata versions do not match each other");
        goto stale;
    }
    r = check_expiry(t, t->ts, err);
    if (r == 0)
        r = check_expiry(t, t->snap, err);
    if (r == 0)
        r = check_expiry(t, t->targets, err);
    if (r < 0)
        goto stale;
    return 0;
stale:
    sw_error_prefix(err, "trusted metadata is not usable, run 'slipway refresh': ");
    return r;
}

/* --- 5.7: delegated roles and target search ------------------------------------------- */

/* Failures that stop a walk or search outright rather than one branch of it. */
static int
is_fatal(int r)
{
    int code = r < 0 ? -r : r;
    return code == SW_E_NOMEM || code == SW_E_IO || code == SW_E_INTERNAL ||
           (code >= 200 && code < 300);
}

void
sw_trust_skip_release(struct sw_trust_skip *s)
{
    if (!s)
        return;
    free(s->role);
    free(s->delegator);
    free(s->reason);
    s->role = s->delegator = s->reason = NULL;
    s->code = 0;
}

void
sw_trust_skips_free(struct sw_trust_skip *skips, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sw_trust_skip_release(&skips[i]);
    free(skips);
}

static int
skip_fill(struct sw_trust_skip *s, const char *role, const char *delegator,
          const struct sw_error *why, struct sw_error *err)
{
    s->role = strdup(role);
    s->delegator = strdup(delegator);
    s->reason = strdup(why->msg);
    s->code = why->code ? why->code : SW_E_TRUST;
    if (!s->role || !s->delegator || !s->reason) {
        sw_trust_skip_release(s);
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    return 0;
}

/* FNV-1a: role names are chosen by the repository, so this only spreads
 * them; a crafted set of colliding names costs a scan, never a wrong answer */
static size_t
name_hash(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)(h ^ (h >> 32));
}

/* The slot of name in the index: where it is, or the empty one it would take. */
static size_t
role_slot(const struct sw_trust *t, const char *name)
{
    size_t mask = t->role_index_cap - 1, i = name_hash(name) & mask;
    while (t->role_index[i] && strcmp(t->roles[t->role_index[i] - 1].name, name) != 0)
        i = (i + 1) & mask;
    return i;
}

/* Room for one more role in the array and the index (rebuilt when it grows). */
static int
roles_reserve(struct sw_trust *t, struct sw_error *err)
{
    if (t->n_roles == t->cap_roles) {
        size_t cap = t->cap_roles ? 2 * t->cap_roles : 4;
        struct role_entry *nr =
            cap <= UINT32_MAX / 4 ? reallocarray(t->roles, cap, sizeof(*nr)) : NULL;
        if (!nr)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        t->roles = nr;
        t->cap_roles = cap;
    }
    if (2 * (t->n_roles + 1) > t->role_index_cap) {
        size_t cap = t->role_index_cap ? 2 * t->role_index_cap : 8;
        uint32_t *old = t->role_index;
        t->role_index = calloc(cap, sizeof(*t->role_index));
        if (!t->role_index) {
            t->role_index = old;
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
        }
        t->role_index_cap = cap;
        free(old);
        for (size_t i = 0; i < t->n_roles; i++)
            t->role_index[role_slot(t, t->roles[i].name)] = (uint32_t)(i + 1);
    }
    return 0;
}

static struct role_entry *
session_entry(struct sw_trust *t, const char *name, struct sw_error *err)
{
    struct role_entry *nr;
    size_t slot;
    if (t->role_index_cap) {
        slot = role_slot(t, name);
        if (t->role_index[slot])
            return &t->roles[t->role_index[slot] - 1];
    }
    if (roles_reserve(t, err) < 0)
        return NULL;
    slot = role_slot(t, name);
    nr = &t->roles[t->n_roles];
    memset(nr, 0, sizeof(*nr));
    nr->name = strdup(name);
    if (!nr->name) {
        sw_error_set(err, SW_E_NOMEM, "out of memory");
        return NULL;
    }
    t->n_roles++;
    t->role_index[slot] = (uint32_t)t->n_roles;
    return nr;
}

/* Add md (taking it, even on error), parsed from the kept bytes of this sha and length. */
static int
entry_add_doc(struct role_entry *e, struct sw_md *md, const char *sha, int64_t len,
              struct sw_error *err)
{
    struct role_doc *nd = realloc(e->docs, (e->n_docs + 1) * sizeof(*nd));
    if (!nd) {
        sw_md_free(md);
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    e->docs = nd;
    nd = &e->docs[e->n_docs++];
    memset(nd, 0, sizeof(*nd));
    nd->md = md;
    snprintf(nd->sha, sizeof(nd->sha), "%s", sha);
    for (char *p = nd->sha; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    nd->len = len;
    nd->kept = 1;
    return 0;
}

/*
 * A kept delegated role is missing or damaged: the next refresh must walk
 * again even when nothing is new. Only running out of memory fails.
 */
static int
kept_unusable(struct sw_trust *t)
{
    struct sw_error e2 = SW_ERROR_INIT;
    char *v = NULL;
    if (!t->cfg.store || sw_store_setting_get(t->cfg.store, SETTING_WALKED, &v, NULL) < 0)
        return 0;
    if (v[0] != '\0' && sw_store_setting_set(t->cfg.store, SETTING_WALKED, "", &e2) < 0)
        sw_log_info("cannot clear '%s': %s", SETTING_WALKED, e2.msg);
    free(v);
    return 0;
}

/*
 * Read the kept file of a delegated role once per session: a document
 * only when it has the length and hashes the snapshot gives (checked
 * before parsing), the version it names, and has not expired. Its
 * signatures are checked per delegation, later (doc_verify), so it is
 * parsed without its signed bytes; its SHA-256 is the snapshot's when
 * the snapshot gives one (just checked), else computed. Otherwise
 * e->kept_error says why. Only running out of memory fails.
 */
static int
read_kept(struct sw_trust *t, struct role_entry *e, const struct sw_md_fileinfo *meta,
          struct sw_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    struct sw_md *md = NULL;
    struct sw_error *ke = &e->kept_error;
    char sha[SW_HASH_MAX_HEX];
    int mapped = 0, r;

    e->kept_read = 1;
    r = map_local(t, e->name, t->cfg.max_metadata_size, &bytes, &len, &mapped, ke);
    if (r == -SW_E_NOTFOUND) {
        sw_error_set(ke, SW_E_TRUST, "role '%s' is not kept here", e->name);
        return kept_unusable(t);
    }
    if (r == -SW_E_NOMEM)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    if (r == 0 && (meta->length >= 0 || meta->n_hashes > 0))
        r = sw_md_fileinfo_check(meta, bytes, len, ke);
    if (r == 0 && !meta_sha256(meta, sha))
        r = sw_hash_buf_hex(SW_HASH_SHA256, bytes, len, sha, ke);
    if (r == 0)
        r = sw_md_parse_role_flags(bytes, len, SW_MD_TARGETS, e->name, SW_MD_PARSE_NO_SIGNED_BYTES,
                                   &md, ke);
    unmap_local(bytes, len, mapped);
    if (r == 0 && sw_md_version(md) != meta->version)
        r = sw_error_set(ke, SW_E_TRUST,
                         "the kept role '%s' is version %" PRId64
                         ", the snapshot names version %" PRId64,
                         e->name, sw_md_version(md), meta->version);
    if (r == 0 && sw_md_is_expired(md, t->now)) {
        note_expired(t, md);
        r = sw_error_set(ke, SW_E_EXPIRED, "the kept role '%s' version %" PRId64 " has expired",
                         e->name, meta->version);
    }
    if (r == -SW_E_NOMEM) {
        sw_md_free(md);
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    if (r < 0) {
        sw_md_free(md);
        return kept_unusable(t);
    }
    sw_error_clear(ke);
    return entry_add_doc(e, md, sha, (int64_t)len, err);
}

static int
add_verdict(struct role_entry *e, const struct sw_md_role *by, struct sw_md *md,
            const struct sw_error *why, struct sw_error *err)
{
    struct role_verdict *nv = realloc(e->verdicts, (e->n_verdicts + 1) * sizeof(*nv));
    if (!nv)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    e->verdicts = nv;
    nv = &e->verdicts[e->n_verdicts];
    memset(nv, 0, sizeof(*nv));
    nv->by = by;
    nv->md = md;
    if (!md) {
        nv->code = why->code ? why->code : SW_E_TRUST;
        nv->msg = strdup(why->msg);
        if (!nv->msg)
            return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    e->n_verdicts++;
    return 0;
}

/*
 * Verify once for delegated roles. What decides whether a delegation
 * accepts given bytes: the trusted root (by version: a new root makes
 * every binding new), the delegator's name, the threshold, and each key
 * id with its key's scheme and public key material (SHA-256 of it), in
 * the delegation's order. out: lowercase hex SHA-256 over those,
 * length-prefixed. -SW_E_NOMEM or an error of the hash.
 */
static int
role_binding(const struct sw_trust *t, const struct sw_md_role *role, char out[SW_HASH_MAX_HEX])
{
    const struct sw_md *src = sw_md_role_keysrc(role);
    const char *dname = src ? sw_md_name(src) : "";
    struct sw_buf b = SW_BUF_INIT(0);
    size_t n = sw_md_role_keyid_count(role);
    int r;

    r = sw_buf_printf(&b, NULL,
                      "slipway-delegation-verdict-1 root=%" PRId64 " %zu:%s t=%" PRId64 " n=%zu\n",
                      sw_md_version(t->root), strlen(dname), dname, sw_md_role_threshold(role), n);
    for (size_t i = 0; r == 0 && i < n; i++) {
        const char *id = sw_md_role_keyid(role, i);
        const struct sw_key *k = src ? sw_md_key(src, id) : NULL;
        char fpr[2 * SW_KEY_FINGERPRINT_SIZE + 1];
        if (k) {
            const char *scheme = sw_key_scheme(k);
            sw_hex_encode(sw_key_fingerprint(k), SW_KEY_FINGERPRINT_SIZE, fpr);
            r = sw_buf_printf(&b, NULL, "%zu:%s %zu:%s %s\n", strlen(id), id, strlen(scheme),
                              scheme, fpr);
        } else {
            /* absent or unusable: it never counts */
            r = sw_buf_printf(&b, NULL, "%zu:%s -\n", strlen(id), id);
        }
    }
    if (r == 0)
        r = sw_hash_buf_hex(SW_HASH_SHA256, b.data, b.len, out, NULL);
    sw_buf_release(&b);
    return r;
}

/* Record that the delegation of binding accepted d's bytes: now in a walk's transaction, else queued. */
static void
note_verdict(struct sw_trust *t, const char *role, const char *binding, const struct role_doc *d)
{
    struct sw_error e2 = SW_ERROR_INIT;
    struct pending_verdict *np;

    if (!t->cfg.store)
        return;
    if (t->batch_txn) {
        if (sw_store_verdict_set(t->cfg.store, role, binding, d->sha, d->len, &e2) < 0)
            sw_log_debug("not recording the verdict on '%s': %s", role, e2.msg);
        return;
    }
    np = realloc(t->pending, (t->n_pending + 1) * sizeof(*np));
    if (!np)
        return;
    t->pending = np;
    np = &t->pending[t->n_pending];
    np->role = strdup(role);
    if (!np->role)
        return;
    snprintf(np->binding, sizeof(np->binding), "%s", binding);
    snprintf(np->sha, sizeof(np->sha), "%s", d->sha);
    np->len = d->len;
    t->n_pending++;
}

/*
 * Write the queued verdicts in one store transaction. Recording is only
 * a saving: a store that cannot be written (read-only, busy) costs the
 * next session its signature checks, nothing else.
 */
static void
flush_verdicts(struct sw_trust *t)
{
    struct sw_error e2 = SW_ERROR_INIT;
    int r = 0;

    if (t->n_pending && t->cfg.store) {
        /* (a transaction of the caller's already open: nothing recorded, nothing of it undone) */
        int began = sw_store_begin(t->cfg.store, &e2) == 0;
        r = began ? 0 : -SW_E_STORE;
        for (size_t i = 0; r == 0 && i < t->n_pending; i++)
            r = sw_store_verdict_set(t->cfg.store, t->pending[i].role, t->pending[i].binding,
                                     t->pending[i].sha, t->pending[i].len, &e2);
        if (r == 0)
            r = sw_store_commit(t->cfg.store, &e2);
        if (r < 0) {
            if (began)
                sw_store_rollback(t->cfg.store);
            sw_log_debug("not recording %zu verdict(s) on delegated roles: %s", t->n_pending,
                         e2.msg);
        }
    }
    for (size_t i = 0; i < t->n_pending; i++)
        free(t->pending[i].role);
    free(t->pending);
    t->pending = NULL;
    t->n_pending = 0;
}

/*
 * The bytes d was parsed from: the kept file, when it still holds exactly
 * them (its SHA-256 and length). *ret_mapped as map_local. A document
 * whose file a fetch of this session replaced has none: a delegation
 * asked after that fetch judges the fetched document.
 */
static int
doc_bytes(struct sw_trust *t, const struct role_entry *e, const struct role_doc *d,
          unsigned char **ret, size_t *ret_len, int *ret_mapped, struct sw_error *err)
{
    char sha[SW_HASH_MAX_HEX];
    int r;

    if (!d->kept)
        return sw_error_set(err, SW_E_TRUST, "the kept role '%s' was replaced in this session",
                            e->name);
    r = map_local(t, e->name, t->cfg.max_metadata_size, ret, ret_len, ret_mapped, err);
    if (r < 0)
        return r;
    r = sw_hash_buf_hex(SW_HASH_SHA256, *ret, *ret_len, sha, err);
    if (r == 0 && ((int64_t)*ret_len != d->len || strcasecmp(sha, d->sha) != 0))
        r = sw_error_set(err, SW_E_TRUST, "the kept role '%s' changed on disk while in use",
                         e->name);
    if (r < 0)
        unmap_local(*ret, *ret_len, *ret_mapped);
    return r;
}

/*
 * Does delegation role accept d? When the kept file holds d's bytes and
 * the store recorded that a delegation of the same binding accepted
 * those bytes (their SHA-256 and length), under the root trusted now
 * (none accepted in this session): yes, with no signature check (verify
 * once). Otherwise its signatures are checked against the bytes, and a
 * yes is recorded.
 */
static int
doc_verify(struct sw_trust *t, struct role_entry *e, struct role_doc *d,
           const struct sw_md_role *role, struct sw_error *err)
{
    char binding[SW_HASH_MAX_HEX];
    unsigned char *bytes = NULL;
    size_t len = 0;
    int mapped = 0, have_binding, r;

    have_binding = t->cfg.store && role_binding(t, role, binding) == 0;
    if (have_binding && d->kept && !t->root_rotated &&
        sw_store_verdict_match(t->cfg.store, e->name, binding, d->sha, d->len, NULL) == 1) {
        t->verdicts_reused++;
        return 0;
    }
    r = doc_bytes(t, e, d, &bytes, &len, &mapped, err);
    if (r < 0)
        return r;
    t->sig_checks++;
    r = sw_md_verify_mem(d->md, bytes, len, role, err);
    unmap_local(bytes, len, mapped);
    if (r == 0 && have_binding && d->kept)
        note_verdict(t, e->name, binding, d);
    return r;
}

static int
can_fetch_roles(const struct sw_trust *t)
{
    return t->cfg.fetch && !t->cfg.local_roles;
}

/*
 * The document of the delegated role that delegation `role` (in the
 * document of `delegator`, trusted on the path being walked) accepts:
 * verified against that delegation's keys and threshold every time a
 * delegation is asked for the first time, whoever asked before (a diamond
 * gives one role name two authorisations). A kept document is used when
 * this delegation accepts it; otherwise, when fetching is allowed, the
 * role is fetched, checked against this delegation and the snapshot, and
 * kept. A document one delegation refuses is never dropped: another may
 * accept it. The verdict is remembered for the session.
 */
static int
get_delegated(struct sw_trust *t, const struct sw_md_role *role, struct sw_md **ret,
              struct sw_error *err)
{
    const char *name = sw_md_role_name(role);
    const struct sw_md_fileinfo *meta;
    struct sw_error why = SW_ERROR_INIT;
    struct role_entry *e;
    struct sw_md *md = NULL;
    int r;

    if (is_top_level_name(name))
        return sw_error_set(err, SW_E_METADATA,
                            "a delegated role may not be named '%s' like a top-level role", name);
    /* asked again in this session (a search per target): the verdict, before any lookup */
    e = t->role_index_cap && t->role_index[role_slot(t, name)]
            ? &t->roles[t->role_index[role_slot(t, name)] - 1]
            : NULL;
    for (size_t i = 0; e && i < e->n_verdicts; i++) {
        if (e->verdicts[i].by != role)
            continue;
        if (e->verdicts[i].md) {
            *ret = e->verdicts[i].md;
            return 0;
        }
        return sw_error_set(err, e->verdicts[i].code, "%s", e->verdicts[i].msg);
    }
    meta = sw_md_snapshot_meta(t->snap, name);
    if (!meta)
        return sw_error_set(err, SW_E_METADATA,
                            "role '%s' is delegated but snapshot version %" PRId64
                            " does not list it; refusing to fetch it",
                            name, sw_md_version(t->snap));
    e = session_entry(t, name, err);
    if (!e)
        return -SW_E_NOMEM;
    if (!e->kept_read) {
        r = read_kept(t, e, meta, err);
        if (r < 0)
            return r;
    }
    why = e->kept_error;
    for (size_t i = 0; i < e->n_docs && !md; i++) {
        sw_error_clear(&why);
        r = doc_verify(t, e, &e->docs[i], role, &why);
        if (r == -SW_E_NOMEM) {
            if (err)
                *err = why;
            return r;
        }
        if (r == 0)
            md = e->docs[i].md;
    }
    /*
     * Fetch when nothing usable is kept, or when what is kept is refused and
     * the snapshot gives no hashes that would make a fetched copy the same bytes.
     */
    if (!md && can_fetch_roles(t) && (e->n_docs == 0 || meta->n_hashes == 0)) {
        struct sw_md *fetched = NULL;
        char sha[SW_HASH_MAX_HEX];
        int64_t flen = 0;
        sw_error_clear(&why);
        r = fetch_targets_role(t, name, role, meta, &fetched, sha, &flen, &why);
        if (r < 0 && is_fatal(r)) {
            /* out of memory, or the metadata directory or store cannot be written */
            if (err)
                *err = why;
            return r;
        }
        if (r == 0) {
            /* the kept file holds the fetched bytes now: the older document cannot be checked */
            for (size_t i = 0; i < e->n_docs; i++)
                e->docs[i].kept = 0;
            r = entry_add_doc(e, fetched, sha, flen, err);
            if (r < 0)
                return r;
            md = fetched;
        }
    } else if (!md && e->n_docs == 0) {
        /* not kept, and no fetching now */
        sw_error_prefix(&why, "not usable without the network (run 'slipway refresh'): ");
    }
    r = add_verdict(e, role, md, &why, err);
    if (r < 0)
        return r;
    if (!md) {
        /* a kept document refused (changed on disk, new keys): the next refresh walks again */
        if (e->n_docs > 0)
            kept_unusable(t);
        if (err)
            *err = why;
        return -(why.code ? why.code : SW_E_TRUST);
    }
    *ret = md;
    return 0;
}

struct visit {
    const struct sw_md_role *role; /* NULL for top-level targets */
    const char *name;
    const char *delegator; /* the role whose document holds `role` */
};

static int
ensure_targets(struct sw_trust *t, struct sw_error *err)
{
    if (t->top_deferred) {
        /*
         * After a "nothing new" refresh: read the kept snapshot and targets
         * now, checked and (when damaged) fetched as the refresh would have.
         */
        int r = refresh_snapshot_targets(t, err);
        if (r < 0)
            return r;
        if (!t->snap || !t->targets ||
            sw_md_version(t->snap) != sw_md_timestamp_snapshot(t->ts)->version ||
            !sw_md_snapshot_meta(t->snap, "targets") ||
            sw_md_version(t->targets) != sw_md_snapshot_meta(t->snap, "targets")->version ||
            sw_md_check_expiry(t->snap, t->now, NULL) < 0 ||
            sw_md_check_expiry(t->targets, t->now, NULL) < 0)
            return sw_error_set(err, SW_E_TRUST,
                                "the kept snapshot and targets do not match the trusted "
                                "timestamp; run 'slipway refresh'");
    }
    if (!t->targets || !t->snap)
        return sw_error_set(err, SW_E_TRUST, "no trusted targets yet; run 'slipway refresh'");
    return 0;
}

int
sw_trust_find_target_why(struct sw_trust *t, const char *path,
                         const struct sw_md_fileinfo **ret_info, const char **ret_role,
                         struct sw_trust_skip *ret_skip, struct sw_error *err)
{
    struct visit *stack = NULL;
    const char **visited = NULL;
    size_t sp = 0, n_visited = 0, cap = 0;
    int r;

    if (ret_skip)
        memset(ret_skip, 0, sizeof(*ret_skip));
    r = ensure_targets(t, err);
    if (r < 0)
        return r;
    cap = 64;
    stack = calloc(cap, sizeof(*stack));
    visited = calloc(t->cfg.max_delegations + 1, sizeof(*visited));
    if (!stack || !visited) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    stack[sp].role = NULL;
    stack[sp].name = "targets";
    stack[sp].delegator = NULL;
    sp++;
    r = -SW_E_NOTFOUND;
    while (sp > 0) {
        struct visit v = stack[--sp];
        struct sw_md *md = NULL;
        const struct sw_md_fileinfo *info;
        long bin;
        size_t n, n_children = 0, first_child = sp;
        int seen = 0;

        /*
         * Each role once, by name: a role already visited for this path, by
         * whichever delegator accepted it, listed no entry for it, and its
         * delegations were already followed. This ends cycles too.
         */
        for (size_t i = 0; i < n_visited && !seen; i++)
            seen = strcmp(visited[i], v.name) == 0;
        if (seen)
            continue;
        if (n_visited >= t->cfg.max_delegations) {
            sw_log_info("target search for '%s' stopped after %u roles", path,
                        t->cfg.max_delegations);
            break;
        }
        if (!v.role) {
            md = t->targets;
        } else {
            struct sw_error why = SW_ERROR_INIT;
            r = get_delegated(t, v.role, &md, &why);
            if (r < 0) {
                if (!is_fatal(r) && ret_skip) {
                    int r2 = skip_fill(ret_skip, v.name, v.delegator, &why, err);
                    if (r2 < 0) {
                        r = r2;
                        goto out;
                    }
                }
                if (err)
                    *err = why;
                if (!is_fatal(r))
                    sw_error_prefix(err, "target '%s': role '%s' (delegated by '%s'): ", path,
                                    v.name, v.delegator);
                goto out;
            }
            r = -SW_E_NOTFOUND;
        }
        visited[n_visited++] = v.name;
        info = sw_md_target(md, path);
        if (info) {
            *ret_info = info;
            if (ret_role)
                *ret_role = sw_md_name(md);
            r = 0;
            goto out;
        }
        /* children that are trusted for this path, in listed order */
        n = sw_md_delegation_count(md);
        bin = sw_md_succinct_index_for(md, path);
        /* succinct bins: only the path's own bin can match (one hash, not 2^bits tests) */
        for (size_t i = bin >= 0 ? (size_t)bin : 0; i < n; i++) {
            const struct sw_md_role *d = sw_md_delegation_at(md, i);
            if (bin >= 0 && i != (size_t)bin)
                break;
            if (!sw_md_delegation_matches(d, path))
                continue;
            if (sp + n_children + 1 > cap) {
                struct visit *ns = realloc(stack, 2 * cap * sizeof(*ns));
                if (!ns) {
                    r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                    goto out;
                }
                stack = ns;
                cap *= 2;
            }
            stack[sp + n_children].role = d;
            stack[sp + n_children].name = sw_md_role_name(d);
            stack[sp + n_children].delegator = sw_md_name(md);
            n_children++;
            if (sw_md_role_terminating(d)) {
                /* a terminating role ends the search after its own subtree */
                memmove(stack, stack + first_child, n_children * sizeof(*stack));
                first_child = 0;
                sp = 0;
                break;
            }
        }
        /* push in reverse so the first listed is visited first */
        for (size_t i = 0; i < n_children / 2; i++) {
            struct visit tmp = stack[first_child + i];
            stack[first_child + i] = stack[first_child + n_children - 1 - i];
            stack[first_child + n_children - 1 - i] = tmp;
        }
        sp = first_child + n_children;
    }
    sw_error_set(err, SW_E_NOTFOUND, "no trusted role lists target '%s'", path);
out:
    flush_verdicts(t);
    free(stack);
    free(visited);
    return r;
}

int
sw_trust_find_target(struct sw_trust *t, const char *path, const struct sw_md_fileinfo **ret_info,
                     const char **ret_role, struct sw_error *err)
{
    return sw_trust_find_target_why(t, path, ret_info, ret_role, NULL, err);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
add_skip(struct sw_trust_skip **skips, size_t *n, const char *role, const char *delegator,
         const struct sw_error *why, struct sw_error *err)
{
    struct sw_trust_skip *ns = realloc(*skips, (*n + 1) * sizeof(*ns));
    int r;
    if (!ns)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    *skips = ns;
    r = skip_fill(&ns[*n], role, delegator, why, err);
    if (r < 0)
        return r;
    (*n)++;
    return 0;
}

/*
 * Every role the store records is still kept with the length recorded:
 * one stat a role, no read (a file removed or cut short is noticed; other
 * damage is found by whatever reads it, which drops it).
 */
static int
kept_file_present(const char *role, int64_t length, void *ctx)
{
    int dfd = *(const int *)ctx;
    char *fname = NULL;
    struct stat st;
    int ok;

    if (strcmp(role, "root") == 0 || strcmp(role, "timestamp") == 0)
        return 0;
    /* relative to the directory opened once: no walk of its path per role (4096 bins) */
    ok = sw_trust_role_filename(role, &fname, NULL) == 0 &&
         fstatat(dfd, fname, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
         (int64_t)st.st_size == length;
    free(fname);
    return ok ? 0 : -SW_E_NOTFOUND;
}

static int
kept_files_present(struct sw_trust *t)
{
    int dfd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ok;

    if (dfd < 0)
        return 0;
    ok = sw_store_meta_each_length(t->cfg.store, kept_file_present, &dfd, NULL) == 0;
    close(dfd);
    return ok;
}

/*
 * Did the last walk after a refresh keep every delegated role of the
 * snapshot kept now, all still fresh? From the store alone.
 */
static int
walked_before(struct sw_trust *t, size_t *ret_n_roles)
{
    struct sw_store_meta snap;
    char *v = NULL, sha[SW_HASH_MAX_HEX];
    long long min_exp = 0;
    size_t n = 0;
    int ok = 0;

    if (!t->cfg.store || sw_store_setting_get(t->cfg.store, SETTING_WALKED, &v, NULL) < 0)
        return 0;
    if (sw_store_meta_get(t->cfg.store, "snapshot", &snap, NULL) == 0) {
        ok = sscanf(v, "%128s %lld %zu", sha, &min_exp, &n) == 3 && snap.sha256 &&
             strcasecmp(sha, snap.sha256) == 0 && min_exp > (long long)t->now;
        sw_store_meta_release(&snap);
    }
    free(v);
    if (ok)
        ok = kept_files_present(t);
    if (ok && ret_n_roles)
        *ret_n_roles = n;
    return ok;
}

/*
 * After a walk that fetched: when it kept every role, record the snapshot
 * it walked and the earliest expiry of its roles; otherwise clear the
 * record, so the next refresh walks again.
 */
static int
note_walk(struct sw_trust *t, const struct sw_md *const *docs, size_t n, size_t n_skips,
          struct sw_error *err)
{
    struct sw_store_meta snap;
    time_t min_exp = (time_t)INT64_MAX;
    char v[SW_HASH_MAX_HEX + 64];
    int r;

    if (!t->cfg.store)
        return 0;
    v[0] = '\0';
    if (n_skips == 0 && sw_store_meta_get(t->cfg.store, "snapshot", &snap, NULL) == 0) {
        for (size_t i = 0; i < n; i++) {
            time_t e;
            if (sw_md_parse_time(sw_md_expires_string(docs[i]), &e) == 0 && e < min_exp)
                min_exp = e;
        }
        if (snap.sha256)
            snprintf(v, sizeof(v), "%s %lld %zu", snap.sha256, (long long)min_exp, n);
        sw_store_meta_release(&snap);
    }
    r = sw_store_setting_set(t->cfg.store, SETTING_WALKED, v, err);
    return r;
}

/* Put md in the set of queued documents (open addressing over pointers,
 * cap a power of two, at least twice the queue's room); 0 if already in. */
static int
queued_add(const struct sw_md **set, size_t cap, const struct sw_md *md)
{
    size_t i = (size_t)(((uintptr_t)md >> 4) * 11400714819323198485ull) & (cap - 1);
    while (set[i] && set[i] != md)
        i = (i + 1) & (cap - 1);
    if (set[i])
        return 0;
    set[i] = md;
    return 1;
}

/*
 * Room for one more document in the walk's queue: the queue doubles and
 * its set is rebuilt at twice that size. Both start small, so a walk of a
 * few roles touches a few hundred bytes, not room for the cap (8192 roles:
 * 320 KiB of zeroed memory, about 80 page faults, in every run).
 */
static int
queue_grow(const struct sw_md ***queue, size_t *queue_cap, const struct sw_md ***queued, size_t nq)
{
    size_t cap = *queue_cap * 2;
    const struct sw_md **q, **set;

    q = realloc(*queue, cap * sizeof(*q));
    if (!q)
        return -1;
    *queue = q;
    set = calloc(2 * cap, sizeof(*set));
    if (!set)
        return -1;
    for (size_t i = 0; i < nq; i++)
        queued_add(set, 2 * cap, q[i]);
    free(*queued);
    *queued = set;
    *queue_cap = cap;
    return 0;
}

/*
 * Breadth first over every delegation reachable from targets: each
 * delegated role through each delegator that names it (get_delegated
 * verifies it against that delegator), a document walked once. Collects
 * the target paths of every usable document when ret_paths is set, and
 * the delegations that could not be used.
 */
static int
walk_roles(struct sw_trust *t, char ***ret_paths, size_t *ret_n, size_t *ret_n_roles,
           struct sw_trust_skip **ret_skips, size_t *ret_n_skips, struct sw_error *err)
{
    const struct sw_md **queue = NULL, **queued = NULL;
    size_t queue_cap = 8; /* grows: the 16 bins of test_succinct_walk double it twice */
    struct sw_trust_skip *skips = NULL;
    char **paths = NULL;
    size_t nq = 0, np = 0, n_skips = 0, out = 0;
    int r;

    if (!ret_paths && t->nothing_new && walked_before(t, ret_n_roles)) {
        /* nothing new, and the last walk of this snapshot kept every role: nothing to do */
        *ret_skips = NULL;
        *ret_n_skips = 0;
        return 0;
    }
    r = ensure_targets(t, err);
    if (r < 0)
        return r;
    queue = calloc(queue_cap, sizeof(*queue));
    queued = calloc(2 * queue_cap, sizeof(*queued));
    if (!queue || !queued) {
        free(queue);
        free(queued);
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    queue[nq++] = t->targets;
    queued_add(queued, 2 * queue_cap, t->targets);
    for (size_t qi = 0; qi < nq; qi++) {
        const struct sw_md *md = queue[qi];
        size_t n = ret_paths ? sw_md_target_count(md) : 0;
        if (n > 0) {
            char **np2 = realloc(paths, (np + n) * sizeof(*paths));
            if (!np2) {
                r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                goto fail;
            }
            paths = np2;
        }
        for (size_t i = 0; i < n; i++) {
            paths[np] = strdup(sw_md_target_at(md, i)->name);
            if (!paths[np]) {
                r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                goto fail;
            }
            np++;
        }
        n = sw_md_delegation_count(md);
        for (size_t i = 0; i < n; i++) {
            const struct sw_md_role *d = sw_md_delegation_at(md, i);
            const char *name = sw_md_role_name(d);
            struct sw_error why = SW_ERROR_INIT;
            struct sw_md *child = NULL;
            int named = 0;

            /* past the cap only a role already walked (named again) may pass */
            for (size_t j = 1; nq > t->cfg.max_walk_roles && j < nq && !named; j++)
                named = strcmp(sw_md_name(queue[j]), name) == 0;
            if (nq > t->cfg.max_walk_roles && !named) {
                sw_error_set(&why, SW_E_LIMIT,
                             "not walked: more than %u delegated roles (raise [fetch] "
                             "max-delegated-roles)",
                             t->cfg.max_walk_roles);
                r = add_skip(&skips, &n_skips, name, sw_md_name(md), &why, err);
                if (r < 0)
                    goto fail;
                continue;
            }
            r = get_delegated(t, d, &child, &why);
            if (r < 0 && is_fatal(r)) {
                if (err)
                    *err = why;
                goto fail;
            }
            if (r < 0) {
                r = add_skip(&skips, &n_skips, name, sw_md_name(md), &why, err);
                if (r < 0)
                    goto fail;
                continue;
            }
            /* a role named again may bring its other document: never past the queue */
            if (nq > t->cfg.max_walk_roles)
                continue;
            if (nq == queue_cap && queue_grow(&queue, &queue_cap, &queued, nq) < 0) {
                r = sw_error_set(err, SW_E_NOMEM, "out of memory");
                goto fail;
            }
            if (queued_add(queued, 2 * queue_cap, child))
                queue[nq++] = child;
        }
    }
    if (ret_paths) {
        if (np > 1)
            qsort(paths, np, sizeof(*paths), cmp_str);
        for (size_t i = 0; i < np; i++) {
            if (out > 0 && strcmp(paths[out - 1], paths[i]) == 0) {
                free(paths[i]);
                continue;
            }
            paths[out++] = paths[i];
        }
        *ret_paths = paths;
        *ret_n = out;
    }
    if (ret_n_roles)
        *ret_n_roles = nq - 1;
    if (!ret_paths) {
        r = note_walk(t, queue + 1, nq - 1, n_skips, err);
        if (r < 0)
            goto fail;
    }
    sw_log_debug("walked %zu delegated role(s): %u signature check(s), %u verdict(s) recorded "
                 "before",
                 nq - 1, t->sig_checks, t->verdicts_reused);
    flush_verdicts(t);
    free(queue);
    free(queued);
    *ret_skips = skips;
    *ret_n_skips = n_skips;
    return 0;
fail:
    flush_verdicts(t);
    for (size_t i = 0; i < np; i++)
        free(paths[i]);
    free(paths);
    free(queue);
    free(queued);
    sw_trust_skips_free(skips, n_skips);
    return r;
}

int
sw_trust_list_paths(struct sw_trust *t, char ***ret_paths, size_t *ret_n,
                    struct sw_trust_skip **ret_skips, size_t *ret_n_skips, struct sw_error *err)
{
    return walk_roles(t, ret_paths, ret_n, NULL, ret_skips, ret_n_skips, err);
}

/* Start keeping many roles at once: in one store transaction when one can be opened. */
static void
batch_begin(struct sw_trust *t)
{
    t->batch = 1;
    t->batch_writes = 0;
    t->batch_txn = t->cfg.store && sw_store_begin(t->cfg.store, NULL) == 0;
}

/*
 * End it: the directory fsynced once (so every file is durable) before the
 * records that name them are committed. Also after a failure: what was
 * renamed into place is made durable and recorded.
 */
static int
batch_end(struct sw_trust *t, struct sw_error *err)
{
    int r = 0;
    if (t->batch_writes)
        r = sw_fs_fsync_dir(t->dir, err);
    if (t->batch_txn) {
        if (r == 0)
            r = sw_store_commit(t->cfg.store, err);
        if (r < 0)
            sw_store_rollback(t->cfg.store);
    }
    sw_log_debug("kept %u delegated role(s) with one directory fsync", t->batch_writes);
    t->batch = t->batch_txn = 0;
    t->batch_writes = 0;
    return r;
}

int
sw_trust_fetch_delegated(struct sw_trust *t, size_t *ret_n_roles, struct sw_trust_skip **ret_skips,
                         size_t *ret_n_skips, struct sw_error *err)
{
    struct sw_error e2 = SW_ERROR_INIT;
    int r, r2;

    batch_begin(t);
    r = walk_roles(t, NULL, NULL, ret_n_roles, ret_skips, ret_n_skips, err);
    r2 = batch_end(t, r < 0 ? &e2 : err);
    if (r == 0 && r2 < 0) {
        sw_trust_skips_free(*ret_skips, *ret_n_skips);
        *ret_skips = NULL;
        *ret_n_skips = 0;
        return r2;
    }
    return r;
}

/* --- 5.7.3: target files -------------------------------------------------------------- */

struct target_check {
    const char *path;
    const struct sw_md_fileinfo *info;
};

static int
target_verify_cb(void *ctx, const struct sw_fetch_result *res, struct sw_error *err)
{
    struct target_check *tc = ctx;
    const struct sw_md_fileinfo *fi = tc->info;

    if ((int64_t)res->length != fi->length)
        return sw_error_set(err, SW_E_LENGTH,
                            "target '%s': %" PRIu64 " bytes arrived, metadata says %" PRId64,
                            tc->path, res->length, fi->length);
    for (size_t i = 0; i < fi->n_hashes; i++) {
        enum sw_hash_alg alg;
        char got[SW_HASH_MAX_HEX];
        if (sw_hash_alg_from_string(fi->hashes[i].alg, &alg) < 0)
            return sw_error_set(err, SW_E_UNSUPPORTED,
                                "target '%s': hash algorithm '%s' is not supported", tc->path,
                                fi->hashes[i].alg);
        sw_fetch_result_hex(res, alg, got);
        if (strcasecmp(got, fi->hashes[i].value) != 0)
            return sw_error_set(err, SW_E_HASH, "target '%s': %s is %s, metadata says %s", tc->path,
                                fi->hashes[i].alg, got, fi->hashes[i].value);
    }
    return 0;
}

/* Does path already hold exactly the target? */
static int
already_there(const char *path, const struct sw_md_fileinfo *fi)
{
    struct sw_md_filecheck *fc = NULL;
    unsigned char buf[65536];
    int fd, ok = 0;
    struct stat st;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != fi->length)
        goto out;
    if (sw_md_filecheck_new(fi, &fc, NULL) < 0)
        goto out;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        if (n == 0)
            break;
        if (sw_md_filecheck_update(fc, buf, (size_t)n, NULL) < 0)
            goto out;
    }
    ok = sw_md_filecheck_final(fc, NULL) == 0;
out:
    sw_md_filecheck_free(fc);
    close(fd);
    return ok;
}

int
sw_trust_download_target(struct sw_trust *t, const char *path, const struct sw_md_fileinfo *info,
                         const char *dest, int *ret_cached, struct sw_error *err)
{
    struct sw_fetch_request req;
    struct sw_fetch_result res;
    struct target_check tc = {path, info};
    const char *prefix_hash = NULL;
    char *url_path = NULL;
    unsigned algs = 0;
    int r;

    if (ret_cached)
        *ret_cached = 0;
    if (info->length < 0)
        return sw_error_set(err, SW_E_METADATA, "target '%s' has no length", path);
    if (t->cfg.max_target_size && (uint64_t)info->length > t->cfg.max_target_size)
        return sw_error_set(err, SW_E_LIMIT,
                            "target '%s' is %" PRId64 " bytes, more than max-target-size %" PRIu64,
                            path, info->length, t->cfg.max_target_size);
    for (size_t i = 0; i < info->n_hashes; i++) {
        enum sw_hash_alg alg;
        if (sw_hash_alg_from_string(info->hashes[i].alg, &alg) < 0)
            return sw_error_set(err, SW_E_UNSUPPORTED,
                                "target '%s': hash algorithm '%s' is not supported; refusing it",
                                path, info->hashes[i].alg);
        algs |= 1u << alg;
        if (!prefix_hash || strcmp(info->hashes[i].alg, "sha256") == 0)
            prefix_hash = info->hashes[i].value;
    }
    if (!algs)
        return sw_error_set(err, SW_E_METADATA, "target '%s' has no hashes", path);
    if (already_there(dest, info)) {
        if (ret_cached)
            *ret_cached = 1;
        return 0;
    }
    if (!t->cfg.fetch)
        return sw_error_set(err, SW_E_TRUST, "no mirror is configured to fetch target '%s'", path);
    if (sw_md_root_consistent_snapshot(t->root)) {
        const char *slash = strrchr(path, '/');
        if (slash)
            r = asprintf(&url_path, "%.*s/%s.%s", (int)(slash - path), path, prefix_hash,
                         slash + 1);
        else
            r = asprintf(&url_path, "%s.%s", prefix_hash, path);
    } else {
        r = asprintf(&url_path, "%s", path);
    }
    if (r < 0)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    memset(&req, 0, sizeof(req));
    req.base = SW_FETCH_TARGETS;
    req.path = url_path;
    req.mode = SW_FETCH_PATH;
    req.max_bytes = (uint64_t)info->length;
    req.hash_algs = algs;
    req.dest = dest;
    req.verify = target_verify_cb;
    req.verify_ctx = &tc;
    req.progress = t->cfg.progress;
    req.progress_ctx = t->cfg.progress_ctx;
    if (t->cfg.fetching) {
        struct sw_trust_fetching w = {NULL, path, 0};
        t->cfg.fetching(t->cfg.progress_ctx, &w);
    }
    memset(&res, 0, sizeof(res));
    if (info->length == 0) {
        /* a cap of 0 bytes cannot be asked of fetch; an empty target is made here */
        r = sw_md_fileinfo_check(info, "", 0, err);
        if (r == 0)
            r = sw_fs_write_atomic(dest, "", 0, 0600, err);
    } else {
        unsigned before = sw_fetch_request_count(t->cfg.fetch);
        r = sw_fetch_get(t->cfg.fetch, &req, &res, err);
        t->requests += sw_fetch_request_count(t->cfg.fetch) - before;
    }
    free(url_path);
    return r;
}

/* --- the clock ---------------------------------------------------------------------- */

int
sw_trust_expired(const struct sw_trust *t, const char **ret_role, time_t *ret_expires)
{
    if (!t || !t->have_expired)
        return 0;
    *ret_role = t->expired_role;
    *ret_expires = t->expired_at;
    return 1;
}

int
sw_trust_now(struct sw_store *store, time_t *ret_now, int *ret_behind, struct sw_error *err)
{
    time_t now = time(NULL);
    char *v = NULL;
    int r;

    if (ret_behind)
        *ret_behind = 0;
    if (store) {
        r = sw_store_setting_get(store, "time-floor", &v, err);
        if (r == 0) {
            char *end;
            long long floor = strtoll(v, &end, 10);
            if (*end == '\0' && floor > (long long)now) {
                now = (time_t)floor;
                if (ret_behind)
                    *ret_behind = 1;
            }
            free(v);
        } else if (r != -SW_E_NOTFOUND) {
            return r;
        }
    }
    *ret_now = now;
    return 0;
}
