/* SPDX-License-Identifier: MIT */
/*
 * TUF metadata documents: strict validation of every field of root,
 * timestamp, snapshot and targets (delegations included) over views of the
 * validated bytes (no jansson tree: a document keeps only the strings it
 * needs), signature thresholds over canonical "signed", expiry,
 * delegation path matching and file checks. Fetching, versions across
 * documents and persistence are left to the trust module.
 */
#include <slipway/cjson.h>
#include <slipway/hash.h>
#include <slipway/metadata.h>

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_MAX 512

struct keyent {
    const char *id;     /* borrowed from the document */
    struct sw_key *key; /* NULL when unusable (unsupported type, bad material) */
};

struct sw_md_role {
    const char *name; /* borrowed */
    const char **keyids;
    size_t n_keyids;
    int64_t threshold;
    bool delegated;
    bool terminating;
    bool by_prefix; /* path_hash_prefixes rather than paths */
    const char **paths;
    size_t n_paths;
    enum sw_md_type top;        /* top-level roles: which document it signs */
    const struct sw_md *keysrc; /* the document holding the role and its keys */
    struct succinct *sc;        /* a TAP 15 bin: its delegation (keyids shared) */
    uint32_t bin;
};

/* TAP 15 "succinct_roles" of one targets document: its bins are md->dels */
struct succinct {
    unsigned bits;
    const char *prefix; /* borrowed */
    char *names;        /* every bin's name, NUL-separated, name_len + 1 bytes apart */
    size_t name_len;
    struct sw_md_role tmpl; /* keyids and threshold, shared by every bin */
    /* the bin of the last path matched: one hash per path, not one per bin */
    bool have_last;
    uint32_t last_bin;
    char last_path[SW_MD_MAX_PATH_LEN + 1];
};

struct sig {
    const char *keyid;
    const char *sig;
};

struct chunk;

struct sw_md {
    enum sw_md_type type;
    char *name;
    struct chunk *chunks;        /* every string and small array the document keeps */
    unsigned char *signed_bytes; /* canonical "signed", or NULL (SW_MD_PARSE_NO_SIGNED_BYTES) */
    size_t signed_len;
    size_t data_len, signed_off; /* the bytes parsed, and where "signed" starts in them */
    bool plain;                  /* they were validated plain (sw_cjson_validate_plain) */
    const char *spec_version;
    int64_t version;
    time_t expires;
    const char *expires_str;
    struct sig *sigs;
    size_t n_sigs;
    /* root "keys" or targets "delegations.keys" */
    struct keyent *keys;
    size_t n_keys;
    /* root */
    bool consistent_snapshot;
    struct sw_md_role roles[SW_MD_N_TYPES];
    /* timestamp and snapshot "meta", or targets "targets"; sorted by name */
    struct sw_md_fileinfo *files;
    size_t n_files;
    /* targets "delegations.roles", in order */
    bool has_delegations;
    struct sw_md_role *dels;
    size_t n_dels;
    struct succinct *sc; /* "delegations.succinct_roles", or NULL */
    /* targets' distinct "custom" values: an open-addressing table */
    struct sw_md_custom **cust_tab;
    size_t cust_cap, n_cust;
};

static const char *const type_names[SW_MD_N_TYPES] = {"root", "timestamp", "snapshot", "targets"};

const char *
sw_md_type_to_string(enum sw_md_type t)
{
    switch (t) {
    case SW_MD_ROOT:
    case SW_MD_TIMESTAMP:
    case SW_MD_SNAPSHOT:
    case SW_MD_TARGETS:
        return type_names[t];
    }
    return "unknown";
}

int
sw_md_type_from_string(const char *s, enum sw_md_type *ret)
{
    for (int i = 0; i < SW_MD_N_TYPES; i++) {
        if (s && strcmp(s, type_names[i]) == 0) {
            *ret = (enum sw_md_type)i;
            return 0;
        }
    }
    return -SW_E_INVAL;
}

/* --- the document's memory -------------------------------------------------- */

/*
 * Every string a document keeps (names, key ids, hashes, paths) and every
 * small array of them lives in chunks freed with the document: no jansson
 * tree, no malloc per string.
 */
struct chunk {
    struct chunk *next;
    size_t used, cap;
    unsigned char data[];
};

/* chunks start small and double up to CHUNK_SIZE: a bin of 2^14 keeps a
 * few hundred bytes, a 100 000-target document 64 KiB chunks */
#define CHUNK_FIRST ((size_t)1024)
#define CHUNK_SIZE ((size_t)64 * 1024)

static void *
pool_alloc(struct sw_md *md, size_t n)
{
    struct chunk *ch = md->chunks;
    void *p;
    n = (n + 7) & ~(size_t)7;
    if (!ch || ch->cap - ch->used < n) {
        size_t cap = !ch ? CHUNK_FIRST : ch->cap < CHUNK_SIZE ? 2 * ch->cap : CHUNK_SIZE;
        int big = n > cap / 4;
        struct chunk *nc;
        if (big)
            cap = n;
        nc = malloc(sizeof(*nc) + cap);
        if (!nc)
            return NULL;
        nc->used = 0;
        nc->cap = cap;
        if (big && ch) { /* a big one: keep filling the current chunk */
            nc->next = ch->next;
            ch->next = nc;
        } else {
            nc->next = ch;
            md->chunks = nc;
        }
        ch = nc;
    }
    p = ch->data + ch->used;
    ch->used += n;
    return p;
}

static void
pool_free(struct sw_md *md)
{
    while (md->chunks) {
        struct chunk *next = md->chunks->next;
        free(md->chunks);
        md->chunks = next;
    }
}

/* A decoded string of the document, kept as long as it; *ret_len its length. */
static const char *
pool_str(struct sw_md *md, const struct sw_cjson_val *v, size_t *ret_len)
{
    bool esc;
    size_t n;
    const unsigned char *raw = sw_cjson_str_raw(v, &n, &esc);
    char *s = pool_alloc(md, n + 1);
    if (!s)
        return NULL;
    if (!esc) {
        memcpy(s, raw, n);
        s[n] = '\0';
    } else {
        n = sw_cjson_str_decode(v, s);
    }
    if (ret_len)
        *ret_len = n;
    return s;
}

/* --- validation helpers ---------------------------------------------------- */

/* The members of "signed" the parser reads, found in one pass (it may hold 100 000 targets). */
static const char *const signed_fields[] = {
    "_type",       "spec_version", "version", "expires", "targets",
    "delegations", "meta",         "keys",    "roles",   "consistent_snapshot",
};
#define N_SIGNED_FIELDS (sizeof(signed_fields) / sizeof(signed_fields[0]))

struct vctx {
    char role[SW_CJSON_PRINTABLE_MAX]; /* printable role name for messages */
    struct sw_md *md;
    struct sw_buf scratch; /* a target's custom, encoded */
    /* the last target's custom as served, and its entry: the next one is often the same bytes */
    const unsigned char *last_custom;
    size_t last_custom_len;
    const struct sw_md_custom *last_custom_entry;
    /* "targets" of a targets document, read during the first walk of "signed" */
    bool targets_done;
    int targets_r;
    const unsigned char *sg; /* "signed", once its fields below are found */
    struct sw_cjson_val sgf[N_SIGNED_FIELDS];
    struct sw_error *err;
};

static int verr(struct vctx *c, int code, const char *field, const char *fmt, ...) SW_PRINTF(4, 5);

/* "role 'R': field 'F' MSG", or "role 'R': MSG" when field is NULL. */
static int
verr(struct vctx *c, int code, const char *field, const char *fmt, ...)
{
    char msg[SW_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (field)
        return sw_error_set(c->err, code, "role '%s': field '%s' %s", c->role, field, msg);
    return sw_error_set(c->err, code, "role '%s': %s", c->role, msg);
}

static int
nomem(struct vctx *c)
{
    return sw_error_set(c->err, SW_E_NOMEM, "out of memory");
}

/* out = prefix "." key (key made printable); prefix may be empty. */
static void
fjoin(char out[FIELD_MAX], const char *prefix, const char *key)
{
    char pk[SW_CJSON_PRINTABLE_MAX];
    sw_cjson_printable(key, pk, sizeof(pk));
    if (prefix[0])
        snprintf(out, FIELD_MAX, "%s.%s", prefix, pk);
    else
        snprintf(out, FIELD_MAX, "%s", pk);
}

/* out = prefix "[" i "]" */
static void
findex(char out[FIELD_MAX], const char *prefix, size_t i)
{
    if (snprintf(out, FIELD_MAX, "%s[%zu]", prefix, i) >= FIELD_MAX)
        out[FIELD_MAX - 1] = '\0';
}

static bool
present(const struct sw_cjson_val *v)
{
    return v->p != NULL;
}

/* The member key of obj, required or optional; ret->p is NULL when absent and optional. */
static int
member(struct vctx *c, const struct sw_cjson_val *obj, const char *prefix, const char *key,
       bool required, struct sw_cjson_val *ret, char field[FIELD_MAX])
{
    fjoin(field, prefix, key);
    if (c->sg && obj->p == c->sg) {
        for (size_t i = 0; i < N_SIGNED_FIELDS; i++)
            if (strcmp(signed_fields[i], key) == 0) {
                *ret = c->sgf[i];
                if (!present(ret) && required)
                    return verr(c, SW_E_METADATA, field, "is missing");
                return 0;
            }
    }
    if (!sw_cjson_get(obj, key, ret)) {
        ret->p = NULL;
        ret->end = NULL;
        if (required)
            return verr(c, SW_E_METADATA, field, "is missing");
    }
    return 0;
}

/* t is the kind wanted; SW_CJSON_TRUE stands for a boolean. */
static int
want_type(struct vctx *c, const struct sw_cjson_val *v, enum sw_cjson_kind t, const char *field)
{
    static const char *const what[] = {
        [SW_CJSON_NONE] = "a value",       [SW_CJSON_OBJECT] = "an object",
        [SW_CJSON_ARRAY] = "an array",     [SW_CJSON_STRING] = "a string",
        [SW_CJSON_INTEGER] = "an integer", [SW_CJSON_TRUE] = "a boolean",
        [SW_CJSON_FALSE] = "a boolean",    [SW_CJSON_NULL] = "null",
    };
    enum sw_cjson_kind k = sw_cjson_kind(v);
    bool ok = t == SW_CJSON_TRUE ? (k == SW_CJSON_TRUE || k == SW_CJSON_FALSE) : k == t;
    if (!ok)
        return verr(c, SW_E_METADATA, field, "must be %s", what[t]);
    return 0;
}

static int
want_int(struct vctx *c, const struct sw_cjson_val *v, int64_t min, const char *field, int64_t *ret)
{
    if (sw_cjson_kind(v) != SW_CJSON_INTEGER || sw_cjson_int(v) < min)
        return verr(c, SW_E_METADATA, field, "must be an integer >= %" PRId64, min);
    *ret = sw_cjson_int(v);
    return 0;
}

/* A version: an integer from 1 to SW_MD_MAX_VERSION, so version + 1 never overflows. */
static int
want_version(struct vctx *c, const struct sw_cjson_val *v, const char *field, int64_t *ret)
{
    int r = want_int(c, v, 1, field, ret);
    if (r == 0 && *ret > SW_MD_MAX_VERSION)
        return verr(c, SW_E_METADATA, field, "is %" PRId64 ", above the largest version %" PRId64,
                    *ret, (int64_t)SW_MD_MAX_VERSION);
    return r;
}

/* A string (never with NUL: the parser refuses it) of 1..maxlen bytes, kept with the document. */
static int
want_str(struct vctx *c, const struct sw_cjson_val *v, size_t maxlen, const char *field,
         const char **ret)
{
    const char *s;
    size_t n;
    if (sw_cjson_kind(v) != SW_CJSON_STRING)
        return verr(c, SW_E_METADATA, field, "must be a string");
    s = pool_str(c->md, v, &n);
    if (!s)
        return nomem(c);
    if (n == 0)
        return verr(c, SW_E_METADATA, field, "must not be empty");
    if (n > maxlen)
        return verr(c, SW_E_LIMIT, field, "is longer than %zu bytes", maxlen);
    *ret = s;
    return 0;
}

/* Any string, kept with the document. */
static int
want_any_str(struct vctx *c, const struct sw_cjson_val *v, const char *field, const char **ret)
{
    int r = want_type(c, v, SW_CJSON_STRING, field);
    if (r < 0)
        return r;
    *ret = pool_str(c->md, v, NULL);
    return *ret ? 0 : nomem(c);
}

static int
want_keyid(struct vctx *c, const char *id, const char *field)
{
    if (!sw_key_id_valid(id))
        return verr(c, SW_E_METADATA, field, "must be a key id of 1 to %d printable characters",
                    SW_KEY_ID_MAX);
    return 0;
}

/* --- dates ------------------------------------------------------------------- */

static int
digits(const char *s, int n, int *ret)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *ret = v;
    return 0;
}

int
sw_md_parse_time(const char *s, time_t *ret)
{
    struct tm tm, back;
    int y, mo, d, h, mi, se;
    time_t t;

    if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z')
        return -SW_E_INVAL;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return -SW_E_INVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return -SW_E_INVAL;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    t = timegm(&tm);
    /* a date that does not exist (2030-02-30) comes back normalised */
    if (!gmtime_r(&t, &back) || back.tm_year != y - 1900 || back.tm_mon != mo - 1 ||
        back.tm_mday != d || back.tm_hour != h || back.tm_min != mi || back.tm_sec != se)
        return -SW_E_INVAL;
    *ret = t;
    return 0;
}

void
sw_md_format_time(time_t t, char out[21])
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 21, "(invalid time)");
}

/* --- common fields --------------------------------------------------------------- */

/* "1.0.31" or "1.0": two or three dot-separated runs of digits. */
static bool
version_shaped(const char *v)
{
    int parts = 0;
    for (;;) {
        const char *start = v;
        while (*v >= '0' && *v <= '9')
            v++;
        if (v == start || v - start > 9)
            return false;
        parts++;
        if (*v == '\0')
            return parts >= 2 && parts <= 3;
        if (*v++ != '.')
            return false;
    }
}

static int
check_spec_version(struct vctx *c, const char *v)
{
    char pv[SW_CJSON_PRINTABLE_MAX];
    sw_cjson_printable(v, pv, sizeof(pv));
    if (!version_shaped(v))
        return verr(c, SW_E_METADATA, "spec_version", "is '%s', not a version such as '1.0.31'",
                    pv);
    if (strncmp(v, "1.", 2) != 0)
        return verr(c, SW_E_UNSUPPORTED, "spec_version",
                    "is '%s': only major version %d of the specification is supported", pv,
                    SW_MD_SPEC_MAJOR);
    return 0;
}

static int
parse_signatures(struct vctx *c, struct sw_md *md, const struct sw_cjson_val *doc)
{
    char field[FIELD_MAX], f2[FIELD_MAX];
    struct sw_cjson_val arr, sig, v;
    struct sw_cjson_iter it;
    size_t n, i = 0;
    int r;

    if (!sw_cjson_get(doc, "signatures", &arr))
        return verr(c, SW_E_METADATA, "signatures", "is missing");
    r = want_type(c, &arr, SW_CJSON_ARRAY, "signatures");
    if (r < 0)
        return r;
    n = sw_cjson_count(&arr);
    if (n > SW_MD_MAX_SIGNATURES)
        return verr(c, SW_E_LIMIT, "signatures", "has %zu entries, more than %d", n,
                    SW_MD_MAX_SIGNATURES);
    md->sigs = calloc(n ? n : 1, sizeof(*md->sigs));
    if (!md->sigs)
        return nomem(c);
    sw_cjson_iter_init(&it, &arr);
    for (i = 0; sw_cjson_iter_next(&it, NULL, &sig); i++) {
        findex(field, "signatures", i);
        r = want_type(c, &sig, SW_CJSON_OBJECT, field);
        if (r < 0)
            return r;
        r = member(c, &sig, field, "keyid", true, &v, f2);
        if (r == 0)
            r = want_any_str(c, &v, f2, &md->sigs[i].keyid);
        if (r == 0)
            r = want_keyid(c, md->sigs[i].keyid, f2);
        if (r < 0)
            return r;
        r = member(c, &sig, field, "sig", true, &v, f2);
        if (r == 0)
            r = want_any_str(c, &v, f2, &md->sigs[i].sig);
        if (r < 0)
            return r;
        for (size_t j = 0; j < i; j++)
            if (strcmp(md->sigs[j].keyid, md->sigs[i].keyid) == 0)
                return verr(c, SW_E_METADATA, NULL,
                            "signatures: key id '%s' signs more than once (entries %zu and %zu)",
                            md->sigs[i].keyid, j, i);
        md->n_sigs++;
    }
    return 0;
}

/* --- keys and roles ------------------------------------------------------------- */

static int
parse_keys(struct vctx *c, struct sw_md *md, const struct sw_cjson_val *obj, const char *prefix)
{
    char field[FIELD_MAX], f2[FIELD_MAX];
    struct sw_cjson_val key, kobj, v;
    struct sw_cjson_iter it;
    size_t n = sw_cjson_count(obj);
    int r;

    if (n > SW_MD_MAX_KEYS)
        return verr(c, SW_E_LIMIT, prefix, "has %zu keys, more than %d", n, SW_MD_MAX_KEYS);
    md->keys = calloc(n ? n : 1, sizeof(*md->keys));
    if (!md->keys)
        return nomem(c);
    sw_cjson_iter_init(&it, obj);
    while (sw_cjson_iter_next(&it, &key, &kobj)) {
        struct sw_error kerr = SW_ERROR_INIT;
        const char *id = pool_str(md, &key, NULL);
        json_t *kj = NULL;
        if (!id)
            return nomem(c);
        fjoin(field, prefix, id);
        r = want_keyid(c, id, field);
        if (r == 0)
            r = want_type(c, &kobj, SW_CJSON_OBJECT, field);
        if (r < 0)
            return r;
        /* the shape TUF requires of any key, whatever its type */
        r = member(c, &kobj, field, "keytype", true, &v, f2);
        if (r == 0)
            r = want_type(c, &v, SW_CJSON_STRING, f2);
        if (r == 0)
            r = member(c, &kobj, field, "scheme", true, &v, f2);
        if (r == 0)
            r = want_type(c, &v, SW_CJSON_STRING, f2);
        if (r == 0)
            r = member(c, &kobj, field, "keyval", true, &v, f2);
        if (r == 0)
            r = want_type(c, &v, SW_CJSON_OBJECT, f2);
        if (r < 0)
            return r;
        md->keys[md->n_keys].id = id;
        /* a key is a small object: the key module reads it as a tree */
        r = sw_cjson_view_to_json(&kobj, &kj, &kerr);
        if (r == 0)
            r = sw_key_from_json(id, kj, &md->keys[md->n_keys].key, &kerr);
        json_decref(kj);
        if (r == -SW_E_NOMEM || r == -SW_E_INTERNAL) {
            sw_error_set(c->err, -r, "%s", kerr.msg);
            return r;
        }
        /* otherwise an unsupported or broken key is kept as unusable: it never counts */
        md->n_keys++;
    }
    return 0;
}

static const struct keyent *
find_key(const struct sw_md *md, const char *keyid)
{
    for (size_t i = 0; i < md->n_keys; i++)
        if (strcmp(md->keys[i].id, keyid) == 0)
            return &md->keys[i];
    return NULL;
}

/* keyids and threshold, shared by top-level and delegated roles */
static int
parse_role_keys(struct vctx *c, const struct sw_cjson_val *robj, const char *prefix,
                struct sw_md_role *role)
{
    char field[FIELD_MAX], f2[FIELD_MAX];
    struct sw_cjson_val v, id;
    struct sw_cjson_iter it;
    size_t n;
    int r;

    r = member(c, robj, prefix, "keyids", true, &v, field);
    if (r == 0)
        r = want_type(c, &v, SW_CJSON_ARRAY, field);
    if (r < 0)
        return r;
    n = sw_cjson_count(&v);
    if (n > SW_MD_MAX_KEYIDS)
        return verr(c, SW_E_LIMIT, field, "has %zu key ids, more than %d", n, SW_MD_MAX_KEYIDS);
    role->keyids = calloc(n ? n : 1, sizeof(*role->keyids));
    if (!role->keyids)
        return nomem(c);
    sw_cjson_iter_init(&it, &v);
    for (size_t i = 0; sw_cjson_iter_next(&it, NULL, &id); i++) {
        const char *s;
        findex(f2, field, i);
        r = want_any_str(c, &id, f2, &s);
        if (r == 0)
            r = want_keyid(c, s, f2);
        if (r < 0)
            return r;
        for (size_t j = 0; j < i; j++)
            if (strcmp(role->keyids[j], s) == 0)
                return verr(c, SW_E_METADATA, f2, "repeats key id '%s'", role->keyids[j]);
        role->keyids[role->n_keyids++] = s;
    }
    r = member(c, robj, prefix, "threshold", true, &v, field);
    if (r == 0)
        r = want_int(c, &v, 1, field, &role->threshold);
    return r;
}

static void
free_role(struct sw_md_role *role)
{
    free(role->keyids);
    free(role->paths);
}

static int
parse_root(struct vctx *c, struct sw_md *md, const struct sw_cjson_val *sg)
{
    char field[FIELD_MAX], prefix[FIELD_MAX];
    struct sw_cjson_val v, roles, key, robj;
    struct sw_cjson_iter it;
    int r;

    r = member(c, sg, "", "consistent_snapshot", false, &v, field);
    if (r == 0 && present(&v)) {
        r = want_type(c, &v, SW_CJSON_TRUE, field);
        md->consistent_snapshot = sw_cjson_kind(&v) == SW_CJSON_TRUE;
    }
    if (r < 0)
        return r;

    r = member(c, sg, "", "keys", true, &v, field);
    if (r == 0)
        r = want_type(c, &v, SW_CJSON_OBJECT, field);
    if (r == 0)
        r = parse_keys(c, md, &v, "keys");
    if (r < 0)
        return r;

    r = member(c, sg, "", "roles", true, &roles, field);
    if (r == 0)
        r = want_type(c, &roles, SW_CJSON_OBJECT, field);
    if (r < 0)
        return r;
    sw_cjson_iter_init(&it, &roles);
    while (sw_cjson_iter_next(&it, &key, &robj)) {
        enum sw_md_type t;
        struct sw_md_role mirrors; /* the optional mirrors role: checked, then dropped */
        struct sw_md_role *role = &mirrors;
        const char *name = pool_str(md, &key, NULL);
        if (!name)
            return nomem(c);
        memset(&mirrors, 0, sizeof(mirrors));
        fjoin(prefix, "roles", name);
        if (sw_md_type_from_string(name, &t) == 0) {
            role = &md->roles[t];
            role->top = t;
            role->name = type_names[t];
        } else if (strcmp(name, "mirrors") != 0) {
            return verr(c, SW_E_METADATA, prefix,
                        "is not a top-level role (root, timestamp, snapshot, targets)");
        }
        role->keysrc = md;
        r = want_type(c, &robj, SW_CJSON_OBJECT, prefix);
        if (r == 0)
            r = parse_role_keys(c, &robj, prefix, role);
        if (role == &mirrors)
            free_role(&mirrors);
        if (r < 0)
            return r;
    }
    for (int t = 0; t < SW_MD_N_TYPES; t++) {
        if (!md->roles[t].name) {
            fjoin(field, "roles", type_names[t]);
            return verr(c, SW_E_METADATA, field, "is missing");
        }
    }
    return 0;
}

/* --- file information -------------------------------------------------------------- */

/* 1: a lowercase hex digit, 2: an uppercase one (A-F). */
static const unsigned char hexdigit[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['A'] = 2, ['B'] = 2, ['C'] = 2, ['D'] = 2, ['E'] = 2, ['F'] = 2,
};

static bool
is_hex(const char *s, bool lower_only)
{
    unsigned char bad = lower_only ? 2 : 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!hexdigit[*p] || hexdigit[*p] == bad)
            return false;
    return true;
}

/* Known algorithm names are shared, not copied per file. */
static const char *
alg_name(struct sw_md *md, const struct sw_cjson_val *key)
{
    static const char *const known[] = {"sha256", "sha512", "sha384", "sha224", "md5", "sha1"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (sw_cjson_str_eq(key, known[i]))
            return known[i];
    return pool_str(md, key, NULL);
}

/* "BASE.NAME.hashes", for a message: built only when one is needed. */
static void
hashes_field(char out[FIELD_MAX], const char *base, const char *name)
{
    char prefix[FIELD_MAX];
    fjoin(prefix, base, name);
    fjoin(out, prefix, "hashes");
}

/* The members of a "hashes" object, gathered in one pass (n counts them all). */
struct hash_members {
    struct sw_cjson_val key[SW_MD_MAX_HASHES], val[SW_MD_MAX_HASHES];
    size_t n;
};

/* Gather obj's members (an object: checked by the caller); *ret_end where it ends. */
static void
gather_hashes(const struct sw_cjson_val *obj, struct hash_members *hm,
              const unsigned char **ret_end)
{
    struct sw_cjson_iter it;
    struct sw_cjson_val key, v;
    hm->n = 0;
    sw_cjson_iter_init(&it, obj);
    while (sw_cjson_iter_next(&it, &key, &v)) {
        if (hm->n < SW_MD_MAX_HASHES) {
            hm->key[hm->n] = key;
            hm->val[hm->n] = v;
        }
        hm->n++;
    }
    *ret_end = sw_cjson_iter_pos(&it);
}

/* The hashes of file NAME under BASE ("meta" or "targets"), gathered from obj (NULL: gather). */
static int
parse_hashes(struct vctx *c, const struct sw_cjson_val *obj, const struct hash_members *given,
             const char *base, const char *name, struct sw_md_fileinfo *fi)
{
    char field[FIELD_MAX], f2[FIELD_MAX];
    struct hash_members own;
    const struct hash_members *hm = given;
    struct sw_md_hash *h;
    size_t n;

    if (sw_cjson_kind(obj) != SW_CJSON_OBJECT) {
        hashes_field(field, base, name);
        return want_type(c, obj, SW_CJSON_OBJECT, field);
    }
    if (!hm) {
        const unsigned char *end;
        gather_hashes(obj, &own, &end);
        hm = &own;
    }
    n = hm->n;
    if (n == 0 || n > SW_MD_MAX_HASHES) {
        hashes_field(field, base, name);
        if (n == 0)
            return verr(c, SW_E_METADATA, field, "must hold at least one hash");
        return verr(c, SW_E_LIMIT, field, "has %zu hashes, more than %d", n, SW_MD_MAX_HASHES);
    }
    h = pool_alloc(c->md, n * sizeof(*h));
    if (!h)
        return nomem(c);
    fi->hashes = h;
    for (size_t i = 0; i < n; i++) {
        enum sw_hash_alg a;
        const struct sw_cjson_val *v = &hm->val[i];
        const char *value = NULL, *alg = alg_name(c->md, &hm->key[i]);
        size_t vl = 0;
        bool known;
        if (!alg)
            return nomem(c);
        if (sw_cjson_kind(v) == SW_CJSON_STRING) {
            value = pool_str(c->md, v, &vl);
            if (!value)
                return nomem(c);
        }
        known = sw_hash_alg_from_string(alg, &a) == 0;
        if (!value || vl == 0 || vl > SW_MD_MAX_HASH_HEX ||
            (known && (vl != 2 * sw_hash_len(a) || !is_hex(value, false)))) {
            int r;
            hashes_field(field, base, name);
            fjoin(f2, field, alg);
            r = want_str(c, v, SW_MD_MAX_HASH_HEX, f2, &value);
            if (r < 0)
                return r;
            return verr(c, SW_E_METADATA, f2, "must be %zu hex characters", 2 * sw_hash_len(a));
        }
        /* an unknown algorithm is kept: checking a file against it is refused */
        h[fi->n_hashes].alg = alg;
        h[fi->n_hashes].value = value;
        fi->n_hashes++;
    }
    return 0;
}

/* METAFILES entry: version, optional length and hashes */
static int
parse_metafile(struct vctx *c, const char *name, const struct sw_cjson_val *obj,
               struct sw_md_fileinfo *fi)
{
    char prefix[FIELD_MAX], field[FIELD_MAX];
    struct sw_cjson_val v;
    int r;

    fjoin(prefix, "meta", name);
    fi->name = name;
    fi->length = -1;
    r = want_type(c, obj, SW_CJSON_OBJECT, prefix);
    if (r == 0)
        r = member(c, obj, prefix, "version", true, &v, field);
    if (r == 0)
        r = want_version(c, &v, field, &fi->version);
    if (r == 0)
        r = member(c, obj, prefix, "length", false, &v, field);
    if (r == 0 && present(&v))
        r = want_int(c, &v, 0, field, &fi->length);
    if (r == 0)
        r = member(c, obj, prefix, "hashes", false, &v, field);
    if (r == 0 && present(&v))
        r = parse_hashes(c, &v, NULL, "meta", name, fi);
    return r;
}

static int
cmp_fileinfo(const void *a, const void *b)
{
    return strcmp(((const struct sw_md_fileinfo *)a)->name,
                  ((const struct sw_md_fileinfo *)b)->name);
}

/* Sort by name; a document whose keys come in order (any sorted or canonical one) is not sorted again. */
static void
sort_files(struct sw_md_fileinfo *f, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (strcmp(f[i - 1].name, f[i].name) > 0) {
            qsort(f, n, sizeof(*f), cmp_fileinfo);
            return;
        }
}

static int
parse_meta(struct vctx *c, struct sw_md *md, const struct sw_cjson_val *sg)
{
    char field[FIELD_MAX];
    struct sw_cjson_val meta, key, v;
    struct sw_cjson_iter it;
    size_t n;
    int r;

    r = member(c, sg, "", "meta", true, &meta, field);
    if (r == 0)
        r = want_type(c, &meta, SW_CJSON_OBJECT, field);
    if (r < 0)
        return r;
    n = sw_cjson_count(&meta);
    if (n > SW_MD_MAX_META)
        return verr(c, SW_E_LIMIT, "meta", "has %zu entries, more than %d", n, SW_MD_MAX_META);
    if (md->type == SW_MD_TIMESTAMP) {
        if (!sw_cjson_get(&meta, "snapshot.json", &v))
            return verr(c, SW_E_METADATA, "meta.snapshot.json", "is missing");
        if (n != 1)
            return verr(c, SW_E_METADATA, "meta", "must describe snapshot.json only");
    } else if (!sw_cjson_get(&meta, "targets.json", &v)) {
        return verr(c, SW_E_METADATA, "meta.targets.json", "is missing");
    }
    md->files = calloc(n ? n : 1, sizeof(*md->files));
    if (!md->files)
        return nomem(c);
    sw_cjson_iter_init(&it, &meta);
    while (sw_cjson_iter_next(&it, &key, &v)) {
        size_t kl;
        const char *name = pool_str(md, &key, &kl);
        if (!name)
            return nomem(c);
        if (kl > SW_MD_MAX_ROLE_NAME + 5) {
            fjoin(field, "meta", name);
            return verr(c, SW_E_LIMIT, field, "names a role longer than %d bytes",
                        SW_MD_MAX_ROLE_NAME);
        }
        r = parse_metafile(c, name, &v, &md->files[md->n_files]);
        if (r < 0)
            return r;
        md->n_files++;
    }
    sort_files(md->files, md->n_files);
    return 0;
}

/* --- targets and delegations --------------------------------------------------------- */

/*
 * A target's "custom", kept as its canonical bytes, once per distinct
 * value (a repository's targets mostly carry the same few); the jansson
 * tree is built when first asked for, and kept with the document.
 */
struct sw_md_custom {
    const unsigned char *bytes; /* in the document's pool */
    size_t len;
    uint64_t hash;
    json_t *json;
};

static uint64_t
fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static int
custom_grow(struct sw_md *md)
{
    size_t nc = md->cust_cap ? 2 * md->cust_cap : 64;
    struct sw_md_custom **nt = calloc(nc, sizeof(*nt));
    if (!nt)
        return -SW_E_NOMEM;
    for (size_t i = 0; i < md->cust_cap; i++) {
        struct sw_md_custom *e = md->cust_tab[i];
        size_t j;
        if (!e)
            continue;
        for (j = e->hash & (nc - 1); nt[j]; j = (j + 1) & (nc - 1))
            ;
        nt[j] = e;
    }
    free(md->cust_tab);
    md->cust_tab = nt;
    md->cust_cap = nc;
    return 0;
}

/* The shared entry for these canonical bytes (added when new); NULL when out of memory. */
static const struct sw_md_custom *
custom_intern(struct sw_md *md, const unsigned char *b, size_t n)
{
    uint64_t h = fnv1a(b, n);
    struct sw_md_custom *e;
    unsigned char *copy;
    size_t j;

    if ((md->n_cust + 1) * 2 > md->cust_cap && custom_grow(md) < 0)
        return NULL;
    for (j = h & (md->cust_cap - 1); md->cust_tab[j]; j = (j + 1) & (md->cust_cap - 1)) {
        e = md->cust_tab[j];
        if (e->hash == h && e->len == n && memcmp(e->bytes, b, n) == 0)
            return e;
    }
    e = pool_alloc(md, sizeof(*e));
    copy = pool_alloc(md, n);
    if (!e || !copy)
        return NULL;
    memcpy(copy, b, n);
    e->bytes = copy;
    e->len = n;
    e->hash = h;
    e->json = NULL;
    md->cust_tab[j] = e;
    md->n_cust++;
    return e;
}

const json_t *
sw_md_fileinfo_custom(const struct sw_md_fileinfo *fi)
{
    struct sw_md_custom *e = (struct sw_md_custom *)fi->custom_;
    if (!e)
        return NULL;
    /* bytes this document encoded from a validated value: they parse */
    if (!e->json && sw_cjson_parse_mem(e->bytes, e->len, 0, &e->json, NULL) < 0)
        e->json = NULL;
    return e->json;
}

/* "targets.PATH[.MEMBER]", for a message: built only when one is needed. */
static const char *
target_field(char out[FIELD_MAX], const char *path, const char *member)
{
    char prefix[FIELD_MAX];
    fjoin(prefix, "targets", path);
    if (member)
        fjoin(out, prefix, member);
    else
        memcpy(out, prefix, FIELD_MAX);
    return out;
}

/* *ret_end: where obj ends, for the caller's iterator (NULL when unknown). */
static int
parse_target(struct vctx *c, const char *path, size_t path_len, const struct sw_cjson_val *obj,
             struct sw_md_fileinfo *fi, const unsigned char **ret_end)
{
    char field[FIELD_MAX];
    struct sw_cjson_val key, v, length = {NULL, NULL}, hashes = {NULL, NULL}, custom = {NULL, NULL};
    struct sw_cjson_iter it;
    struct hash_members hm;
    bool have_hm = false, have_custom = false;
    const struct sw_md_custom *entry = NULL;
    int r, rc = 0;

    *ret_end = NULL;
    if (path[0] == '\0')
        return verr(c, SW_E_METADATA, "targets", "has an empty target path");
    if (path_len > SW_MD_MAX_PATH_LEN)
        return verr(c, SW_E_LIMIT, target_field(field, path, NULL),
                    "is a path longer than %d bytes", SW_MD_MAX_PATH_LEN);
    fi->name = path;
    fi->version = 0;
    if (sw_cjson_kind(obj) != SW_CJSON_OBJECT)
        return want_type(c, obj, SW_CJSON_OBJECT, target_field(field, path, NULL));
    /*
     * One pass over the members (a target is read once, whatever its
     * size): "hashes" is gathered and "custom" encoded as they are met,
     * and the iterator resumes after them; what they hold is checked
     * below, in the same order as before (length, hashes, custom).
     */
    sw_cjson_iter_init(&it, obj);
    while (sw_cjson_iter_next(&it, &key, &v)) {
        const unsigned char *end = NULL;
        if (sw_cjson_str_eq(&key, "length")) {
            length = v;
        } else if (sw_cjson_str_eq(&key, "hashes")) {
            hashes = v;
            have_hm = false;
            if (sw_cjson_kind(&v) == SW_CJSON_OBJECT) {
                gather_hashes(&v, &hm, &end);
                have_hm = true;
            }
        } else if (sw_cjson_str_eq(&key, "custom")) {
            custom = v;
            have_custom = false;
            entry = NULL;
            if (sw_cjson_kind(&v) == SW_CJSON_OBJECT) {
                /* the same bytes as the last target's: the same canonical form */
                size_t raw = sw_cjson_raw_len(&v);
                if (c->last_custom_entry && raw == c->last_custom_len &&
                    memcmp(v.p, c->last_custom, raw) == 0) {
                    entry = c->last_custom_entry;
                    end = v.p + raw;
                    have_custom = true;
                } else {
                    c->scratch.len = 0;
                    rc = sw_cjson_encode_view_end(&v, &c->scratch, &end, c->err);
                    have_custom = rc == 0;
                }
            }
        }
        if (end)
            sw_cjson_iter_resume(&it, end);
    }
    *ret_end = sw_cjson_iter_pos(&it);
    if (!present(&length))
        return verr(c, SW_E_METADATA, target_field(field, path, "length"), "is missing");
    if (sw_cjson_kind(&length) != SW_CJSON_INTEGER || sw_cjson_int(&length) < 0)
        return want_int(c, &length, 0, target_field(field, path, "length"), &fi->length);
    fi->length = sw_cjson_int(&length);
    if (!present(&hashes))
        return verr(c, SW_E_METADATA, target_field(field, path, "hashes"), "is missing");
    r = parse_hashes(c, &hashes, have_hm ? &hm : NULL, "targets", path, fi);
    if (r < 0 || !present(&custom))
        return r;
    if (sw_cjson_kind(&custom) != SW_CJSON_OBJECT)
        return want_type(c, &custom, SW_CJSON_OBJECT, target_field(field, path, "custom"));
    if (!have_custom) {
        /* encoding it failed above (out of memory): the message is in c->err */
        return rc < 0 ? rc : nomem(c);
    }
    if (!entry) {
        entry = custom_intern(c->md, c->scratch.data, c->scratch.len);
        if (!entry)
            return nomem(c);
        c->last_custom = custom.p;
        c->last_custom_len = sw_cjson_raw_len(&custom);
        c->last_custom_entry = entry;
    }
    fi->custom_ = entry;
    return 0;
}

static int
parse_delegated_role(struct vctx *c, const struct sw_cjson_val *robj, size_t idx,
                     struct sw_md_role *role)
{
    char prefix[FIELD_MAX], field[FIELD_MAX], f2[FIELD_MAX];
    struct sw_cjson_val v, paths, prefixes, p;
    struct sw_cjson_iter it;
    size_t n;
    int r;

    findex(prefix, "delegations.roles", idx);
    role->delegated = true;
    r = want_type(c, robj, SW_CJSON_OBJECT, prefix);
    if (r == 0)
        r = member(c, robj, prefix, "name", true, &v, field);
    if (r == 0)
        r = want_str(c, &v, SW_MD_MAX_ROLE_NAME, field, &role->name);
    if (r == 0)
        r = parse_role_keys(c, robj, prefix, role);
    if (r == 0)
        r = member(c, robj, prefix, "terminating", true, &v, field);
    if (r == 0)
        r = want_type(c, &v, SW_CJSON_TRUE, field);
    if (r < 0)
        return r;
    role->terminating = sw_cjson_kind(&v) == SW_CJSON_TRUE;

    r = member(c, robj, prefix, "paths", false, &paths, field);
    if (r == 0)
        r = member(c, robj, prefix, "path_hash_prefixes", false, &prefixes, f2);
    if (r < 0)
        return r;
    if (present(&paths) == present(&prefixes))
        return verr(c, SW_E_METADATA, prefix,
                    "must have exactly one of 'paths' and 'path_hash_prefixes'");
    role->by_prefix = present(&prefixes);
    v = present(&paths) ? paths : prefixes;
    if (role->by_prefix)
        memcpy(field, f2, sizeof(field));
    r = want_type(c, &v, SW_CJSON_ARRAY, field);
    if (r < 0)
        return r;
    n = sw_cjson_count(&v);
    if (n > SW_MD_MAX_PATHS)
        return verr(c, SW_E_LIMIT, field, "has %zu entries, more than %d", n, SW_MD_MAX_PATHS);
    role->paths = calloc(n ? n : 1, sizeof(*role->paths));
    if (!role->paths)
        return nomem(c);
    sw_cjson_iter_init(&it, &v);
    for (size_t i = 0; sw_cjson_iter_next(&it, NULL, &p); i++) {
        const char *s;
        findex(f2, field, i);
        r = want_str(c, &p, role->by_prefix ? 64 : SW_MD_MAX_PATH_LEN, f2, &s);
        if (r < 0)
            return r;
        if (role->by_prefix && !is_hex(s, true))
            return verr(c, SW_E_METADATA, f2, "must be lowercase hex of 1 to 64 characters");
        role->paths[role->n_paths++] = s;
    }
    return 0;
}

/* TAP 15: 2^bit_length bins named PREFIX-HEX, laid out as delegated roles. */
static int
parse_succinct(struct vctx *c, struct sw_md *md, const struct sw_cjson_val *sobj)
{
    const char *const prefix = "delegations.succinct_roles";
    char field[FIELD_MAX];
    struct succinct *sc;
    struct sw_cjson_val v;
    int64_t bits = 0;
    size_t n, digits, maxp;
    int r;

    r = want_type(c, sobj, SW_CJSON_OBJECT, prefix);
    if (r < 0)
        return r;
    sc = calloc(1, sizeof(*sc));
    if (!sc)
        return nomem(c);
    md->sc = sc;
    sc->tmpl.delegated = true;
    sc->tmpl.top = SW_MD_TARGETS;
    sc->tmpl.keysrc = md;
    r = parse_role_keys(c, sobj, prefix, &sc->tmpl);
    if (r == 0)
        r = member(c, sobj, prefix, "bit_length", true, &v, field);
    if (r == 0)
        r = want_int(c, &v, 1, field, &bits);
    if (r < 0)
        return r;
    if (bits > 32)
        return verr(c, SW_E_METADATA, field, "must be an integer from 1 to 32");
    if (bits > SW_MD_MAX_SUCCINCT_BITS)
        return verr(c, SW_E_LIMIT, field,
                    "is %" PRId64 ": slipway accepts at most %d (%lu bins); split the bins "
                    "over more delegators",
                    bits, SW_MD_MAX_SUCCINCT_BITS, 1UL << SW_MD_MAX_SUCCINCT_BITS);
    sc->bits = (unsigned)bits;
    n = (size_t)1 << bits;
    digits = ((size_t)bits + 3) / 4; /* hex digits of 2^bits - 1 */
    maxp = SW_MD_MAX_ROLE_NAME - 1 - digits;
    r = member(c, sobj, prefix, "name_prefix", true, &v, field);
    if (r == 0)
        r = want_str(c, &v, maxp, field, &sc->prefix);
    if (r < 0)
        return r;
    sc->name_len = strlen(sc->prefix) + 1 + digits;
    sc->names = malloc(n * (sc->name_len + 1));
    md->dels = calloc(n, sizeof(*md->dels));
    if (!sc->names || !md->dels)
        return nomem(c);
    for (size_t i = 0; i < n; i++) {
        struct sw_md_role *role = &md->dels[i];
        char *name = sc->names + i * (sc->name_len + 1);
        *role = sc->tmpl;
        role->sc = sc;
        role->bin = (uint32_t)i;
        role->name = name;
        snprintf(name, sc->name_len + 1, "%s-%0*zx", sc->prefix, (int)digits, i);
    }
    md->n_dels = n;
    return 0;
}

static int
parse_delegations(struct vctx *c, struct sw_md *md, const struct sw_cjson_val *dobj)
{
    char field[FIELD_MAX];
    struct sw_cjson_val v, roles, robj;
    struct sw_cjson_iter it;
    size_t n;
    int r;

    r = want_type(c, dobj, SW_CJSON_OBJECT, "delegations");
    if (r < 0)
        return r;
    md->has_delegations = true;
    r = member(c, dobj, "delegations", "keys", true, &v, field);
    if (r == 0)
        r = want_type(c, &v, SW_CJSON_OBJECT, field);
    if (r == 0)
        r = parse_keys(c, md, &v, "delegations.keys");
    if (r < 0)
        return r;
    if (sw_cjson_get(dobj, "succinct_roles", &v)) {
        if (sw_cjson_get(dobj, "roles", &roles))
            return verr(c, SW_E_METADATA, "delegations",
                        "must not have both 'roles' and 'succinct_roles' (TAP 15)");
        return parse_succinct(c, md, &v);
    }
    r = member(c, dobj, "delegations", "roles", true, &roles, field);
    if (r == 0)
        r = want_type(c, &roles, SW_CJSON_ARRAY, field);
    if (r < 0)
        return r;
    n = sw_cjson_count(&roles);
    if (n > SW_MD_MAX_DELEGATIONS)
        return verr(c, SW_E_LIMIT, field, "has %zu roles, more than %d", n, SW_MD_MAX_DELEGATIONS);
    md->dels = calloc(n ? n : 1, sizeof(*md->dels));
    if (!md->dels)
        return nomem(c);
    sw_cjson_iter_init(&it, &roles);
    for (size_t i = 0; sw_cjson_iter_next(&it, NULL, &robj); i++) {
        struct sw_md_role *role = &md->dels[i];
        role->keysrc = md;
        role->top = SW_MD_TARGETS;
        md->n_dels++;
        r = parse_delegated_role(c, &robj, i, role);
        if (r < 0)
            return r;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(md->dels[j].name, role->name) == 0) {
                char pn[SW_CJSON_PRINTABLE_MAX];
                findex(field, "delegations.roles", i);
                return verr(c, SW_E_METADATA, field, "repeats role name '%s'",
                            sw_cjson_printable(role->name, pn, sizeof(pn)));
            }
        }
    }
    return 0;
}

static int
parse_target_map(struct vctx *c, struct sw_md *md, const struct sw_cjson_val *targets,
                 const unsigned char **ret_end)
{
    struct sw_cjson_val key, v;
    struct sw_cjson_iter it;
    size_t n, cap = 0;
    int r;

    *ret_end = NULL;
    /* grown as it goes: counting first would be one more pass over the whole object */
    sw_cjson_iter_init(&it, targets);
    while (sw_cjson_iter_next(&it, &key, &v)) {
        size_t pl;
        const char *path;
        const unsigned char *end = NULL;
        if (md->n_files == cap) {
            struct sw_md_fileinfo *nf;
            if (cap == SW_MD_MAX_TARGETS) {
                n = sw_cjson_count(targets);
                return verr(c, SW_E_LIMIT, "targets", "has %zu entries, more than %d", n,
                            SW_MD_MAX_TARGETS);
            }
            cap = cap ? 2 * cap : 64;
            if (cap > SW_MD_MAX_TARGETS)
                cap = SW_MD_MAX_TARGETS;
            nf = realloc(md->files, cap * sizeof(*nf));
            if (!nf)
                return nomem(c);
            md->files = nf;
        }
        memset(&md->files[md->n_files], 0, sizeof(md->files[0]));
        path = pool_str(md, &key, &pl);
        if (!path)
            return nomem(c);
        r = parse_target(c, path, pl, &v, &md->files[md->n_files], &end);
        if (r < 0)
            return r;
        sw_cjson_iter_resume(&it, end);
        md->n_files++;
    }
    if (!md->files) {
        md->files = calloc(1, sizeof(*md->files));
        if (!md->files)
            return nomem(c);
    } else if (cap > md->n_files) {
        struct sw_md_fileinfo *nf = realloc(md->files, md->n_files * sizeof(*nf));
        if (nf)
            md->files = nf;
    }
    sort_files(md->files, md->n_files);
    *ret_end = sw_cjson_iter_pos(&it);
    return 0;
}

static int
parse_targets(struct vctx *c, struct sw_md *md, const struct sw_cjson_val *sg)
{
    char field[FIELD_MAX];
    struct sw_cjson_val targets, v;
    int r;

    r = member(c, sg, "", "targets", true, &targets, field);
    if (r == 0)
        r = want_type(c, &targets, SW_CJSON_OBJECT, field);
    if (r < 0)
        return r;
    if (c->targets_done) {
        /* read while "signed" was first walked: its result (its message is still in c->err) */
        r = c->targets_r;
    } else {
        const unsigned char *end;
        r = parse_target_map(c, md, &targets, &end);
    }
    if (r < 0)
        return r;
    r = member(c, sg, "", "delegations", false, &v, field);
    if (r == 0 && present(&v))
        r = parse_delegations(c, md, &v);
    return r;
}

/* --- parse entry point ----------------------------------------------------------------- */

void
sw_md_free(struct sw_md *md)
{
    if (!md)
        return;
    for (size_t i = 0; i < md->n_keys; i++)
        sw_key_free(md->keys[i].key);
    free(md->keys);
    for (int t = 0; t < SW_MD_N_TYPES; t++)
        free_role(&md->roles[t]);
    if (md->sc) {
        free_role(&md->sc->tmpl);
        free(md->sc->names);
        free(md->sc);
    } else {
        for (size_t i = 0; i < md->n_dels; i++)
            free_role(&md->dels[i]);
    }
    for (size_t i = 0; i < md->cust_cap; i++)
        if (md->cust_tab[i])
            json_decref(md->cust_tab[i]->json);
    free(md->cust_tab);
    free(md->dels);
    free(md->files);
    free(md->sigs);
    free(md->signed_bytes);
    free(md->name);
    pool_free(md);
    free(md);
}

static int
parse_doc(struct vctx *c, struct sw_md *md, const struct sw_cjson_val *doc,
          enum sw_md_type expected, struct sw_cjson_val *ret_signed)
{
    char field[FIELD_MAX];
    struct sw_cjson_val sg, v;
    const char *s;
    int r;

    if (sw_cjson_kind(doc) != SW_CJSON_OBJECT)
        return verr(c, SW_E_METADATA, NULL, "document must be a JSON object");
    r = parse_signatures(c, md, doc);
    if (r < 0)
        return r;
    if (!sw_cjson_get(doc, "signed", &sg))
        return verr(c, SW_E_METADATA, "signed", "is missing");
    r = want_type(c, &sg, SW_CJSON_OBJECT, "signed");
    if (r < 0)
        return r;
    *ret_signed = sg;
    {
        struct sw_cjson_iter it;
        struct sw_cjson_val k;
        sw_cjson_iter_init(&it, &sg);
        while (sw_cjson_iter_next(&it, &k, &v)) {
            const unsigned char *end = NULL;
            for (size_t i = 0; i < N_SIGNED_FIELDS; i++) {
                if (present(&c->sgf[i]) || !sw_cjson_str_eq(&k, signed_fields[i]))
                    continue;
                c->sgf[i] = v;
                /*
                 * A targets document's "targets" (all but all of it) is read
                 * now rather than passed over and read again; what it finds
                 * is reported where parse_targets() would have found it, so
                 * errors in the fields checked first still come first.
                 */
                if (expected == SW_MD_TARGETS && strcmp(signed_fields[i], "targets") == 0 &&
                    sw_cjson_kind(&v) == SW_CJSON_OBJECT) {
                    c->targets_r = parse_target_map(c, md, &v, &end);
                    c->targets_done = true;
                }
            }
            if (end)
                sw_cjson_iter_resume(&it, end);
        }
        c->sg = sg.p;
    }

    r = member(c, &sg, "", "_type", true, &v, field);
    if (r == 0)
        r = want_any_str(c, &v, field, &s);
    if (r < 0)
        return r;
    if (strcmp(s, type_names[expected]) != 0) {
        char ps[SW_CJSON_PRINTABLE_MAX];
        return verr(c, SW_E_METADATA, "_type", "is '%s', expected '%s'",
                    sw_cjson_printable(s, ps, sizeof(ps)), type_names[expected]);
    }
    r = member(c, &sg, "", "spec_version", true, &v, field);
    if (r == 0)
        r = want_str(c, &v, SW_MD_MAX_SPEC_VERSION, field, &md->spec_version);
    if (r == 0)
        r = check_spec_version(c, md->spec_version);
    if (r == 0)
        r = member(c, &sg, "", "version", true, &v, field);
    if (r == 0)
        r = want_version(c, &v, field, &md->version);
    if (r == 0)
        r = member(c, &sg, "", "expires", true, &v, field);
    if (r == 0)
        r = want_any_str(c, &v, field, &md->expires_str);
    if (r < 0)
        return r;
    if (sw_md_parse_time(md->expires_str, &md->expires) < 0) {
        char pe[SW_CJSON_PRINTABLE_MAX];
        return verr(c, SW_E_METADATA, "expires", "is '%s', not a UTC time 'YYYY-MM-DDTHH:MM:SSZ'",
                    sw_cjson_printable(md->expires_str, pe, sizeof(pe)));
    }

    switch (expected) {
    case SW_MD_ROOT:
        return parse_root(c, md, &sg);
    case SW_MD_TIMESTAMP:
    case SW_MD_SNAPSHOT:
        return parse_meta(c, md, &sg);
    case SW_MD_TARGETS:
        return parse_targets(c, md, &sg);
    }
    return sw_error_set(c->err, SW_E_INTERNAL, "unknown metadata type");
}

/*
 * The canonical bytes of "signed" at v: *ret_bytes is v's own bytes when
 * they are canonical as served (nothing allocated, *ret_owned NULL), or a
 * new buffer in *ret_owned (free it).
 */
static int
signed_canon(const struct sw_cjson_val *v, bool plain, const unsigned char **ret_bytes,
             size_t *ret_len, unsigned char **ret_owned, struct sw_error *err)
{
    struct sw_buf canon = SW_BUF_INIT(SW_MD_MAX_LEN);
    bool same = false;
    /* a plain document (sorted keys, no escapes): canonical once its white space is gone */
    int r = plain ? sw_cjson_minify_view(v, &same, &canon, err)
                  : sw_cjson_encode_view_same(v, &same, &canon, err);
    if (r < 0) {
        sw_buf_release(&canon);
        return r;
    }
    if (same) {
        *ret_bytes = v->p;
        *ret_len = sw_cjson_raw_len(v);
        *ret_owned = NULL;
        return 0;
    }
    *ret_owned = sw_buf_steal(&canon, ret_len);
    if (!*ret_owned) /* "signed" is an object: never empty */
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    *ret_bytes = *ret_owned;
    return 0;
}

int
sw_md_parse_role_flags(const void *data, size_t len, enum sw_md_type expected,
                       const char *role_name, unsigned flags, struct sw_md **ret,
                       struct sw_error *err)
{
    struct vctx c;
    struct sw_md *md = NULL;
    struct sw_cjson_val doc, sg;
    bool plain = false;
    int r;

    if ((unsigned)expected >= SW_MD_N_TYPES)
        return sw_error_set(err, SW_E_INVAL, "unknown metadata type %d", (int)expected);
    if (!role_name)
        role_name = type_names[expected];
    memset(&c, 0, sizeof(c));
    c.err = err;
    c.scratch = (struct sw_buf)SW_BUF_INIT(SW_CJSON_MAX_LEN);
    sw_cjson_printable(role_name, c.role, sizeof(c.role));

    md = calloc(1, sizeof(*md));
    if (!md)
        return nomem(&c);
    c.md = md;
    md->type = expected;
    md->name = strdup(role_name);
    if (!md->name) {
        r = nomem(&c);
        goto out;
    }
    r = sw_cjson_validate_plain(data, len, SW_MD_MAX_LEN, &doc, &plain, err);
    if (r < 0) {
        sw_error_prefix(err, "role '%s': ", c.role);
        goto out;
    }
    r = parse_doc(&c, md, &doc, expected, &sg);
    if (r < 0)
        goto out;
    md->data_len = len;
    md->plain = plain;
    md->signed_off = (size_t)(sg.p - (const unsigned char *)data);
    if (!(flags & SW_MD_PARSE_NO_SIGNED_BYTES)) {
        const unsigned char *b;
        unsigned char *owned;
        size_t n;
        r = signed_canon(&sg, plain, &b, &n, &owned, err);
        if (r < 0) {
            sw_error_prefix(err, "role '%s': field 'signed': ", c.role);
            goto out;
        }
        if (!owned) {
            owned = malloc(n);
            if (!owned) {
                r = nomem(&c);
                goto out;
            }
            memcpy(owned, b, n);
        }
        md->signed_bytes = owned;
        md->signed_len = n;
    }
    *ret = md;
    md = NULL;
    r = 0;
out:
    sw_buf_release(&c.scratch);
    sw_md_free(md);
    return r;
}

int
sw_md_parse_role_mem(const void *data, size_t len, enum sw_md_type expected, const char *role_name,
                     struct sw_md **ret, struct sw_error *err)
{
    return sw_md_parse_role_flags(data, len, expected, role_name, 0, ret, err);
}

int
sw_md_parse_mem(const void *data, size_t len, enum sw_md_type expected, struct sw_md **ret,
                struct sw_error *err)
{
    return sw_md_parse_role_mem(data, len, expected, NULL, ret, err);
}

/* --- accessors ---------------------------------------------------------------------- */

enum sw_md_type
sw_md_type(const struct sw_md *md)
{
    return md->type;
}

const char *
sw_md_name(const struct sw_md *md)
{
    return md->name;
}

int64_t
sw_md_version(const struct sw_md *md)
{
    return md->version;
}

const char *
sw_md_spec_version(const struct sw_md *md)
{
    return md->spec_version;
}

time_t
sw_md_expires(const struct sw_md *md)
{
    return md->expires;
}

const char *
sw_md_expires_string(const struct sw_md *md)
{
    return md->expires_str;
}

bool
sw_md_is_expired(const struct sw_md *md, time_t now)
{
    return now >= md->expires;
}

int
sw_md_check_expiry(const struct sw_md *md, time_t now, struct sw_error *err)
{
    char pn[SW_CJSON_PRINTABLE_MAX];
    if (sw_md_is_expired(md, now))
        return sw_error_set(err, SW_E_EXPIRED, "role '%s': expired at %s",
                            sw_cjson_printable(md->name, pn, sizeof(pn)), md->expires_str);
    return 0;
}

const unsigned char *
sw_md_signed_bytes(const struct sw_md *md, size_t *ret_len)
{
    if (ret_len)
        *ret_len = md->signed_bytes ? md->signed_len : 0;
    return md->signed_bytes;
}

size_t
sw_md_signature_count(const struct sw_md *md)
{
    return md->n_sigs;
}

const char *
sw_md_signature_keyid(const struct sw_md *md, size_t i)
{
    return i < md->n_sigs ? md->sigs[i].keyid : NULL;
}

const char *
sw_md_signature_sig(const struct sw_md *md, size_t i)
{
    return i < md->n_sigs ? md->sigs[i].sig : NULL;
}

const struct sw_key *
sw_md_key(const struct sw_md *md, const char *keyid)
{
    const struct keyent *e = keyid ? find_key(md, keyid) : NULL;
    return e ? e->key : NULL;
}

const struct sw_md_role *
sw_md_root_role(const struct sw_md *root, enum sw_md_type role)
{
    if (root->type != SW_MD_ROOT || (unsigned)role >= SW_MD_N_TYPES)
        return NULL;
    return &root->roles[role];
}

bool
sw_md_root_consistent_snapshot(const struct sw_md *root)
{
    return root->type == SW_MD_ROOT && root->consistent_snapshot;
}

const char *
sw_md_role_name(const struct sw_md_role *role)
{
    return role->name;
}

int64_t
sw_md_role_threshold(const struct sw_md_role *role)
{
    return role->threshold;
}

size_t
sw_md_role_keyid_count(const struct sw_md_role *role)
{
    return role->n_keyids;
}

const char *
sw_md_role_keyid(const struct sw_md_role *role, size_t i)
{
    return i < role->n_keyids ? role->keyids[i] : NULL;
}

const struct sw_md *
sw_md_role_keysrc(const struct sw_md_role *role)
{
    return role->keysrc;
}

bool
sw_md_role_terminating(const struct sw_md_role *role)
{
    return role->delegated && role->terminating;
}

const struct sw_md_fileinfo *
sw_md_timestamp_snapshot(const struct sw_md *ts)
{
    if (ts->type != SW_MD_TIMESTAMP || ts->n_files != 1)
        return NULL;
    return &ts->files[0];
}

static const struct sw_md_fileinfo *
find_file(const struct sw_md *md, const char *name)
{
    struct sw_md_fileinfo key;
    key.name = name;
    return bsearch(&key, md->files, md->n_files, sizeof(*md->files), cmp_fileinfo);
}

const struct sw_md_fileinfo *
sw_md_snapshot_meta(const struct sw_md *snap, const char *role)
{
    char name[SW_MD_MAX_ROLE_NAME + 6];
    if (snap->type != SW_MD_SNAPSHOT || !role || strlen(role) > SW_MD_MAX_ROLE_NAME)
        return NULL;
    snprintf(name, sizeof(name), "%s.json", role);
    return find_file(snap, name);
}

size_t
sw_md_snapshot_meta_count(const struct sw_md *snap)
{
    return snap->type == SW_MD_SNAPSHOT ? snap->n_files : 0;
}

const struct sw_md_fileinfo *
sw_md_snapshot_meta_at(const struct sw_md *snap, size_t i)
{
    return snap->type == SW_MD_SNAPSHOT && i < snap->n_files ? &snap->files[i] : NULL;
}

const struct sw_md_fileinfo *
sw_md_target(const struct sw_md *targets, const char *path)
{
    if (targets->type != SW_MD_TARGETS || !path)
        return NULL;
    return find_file(targets, path);
}

size_t
sw_md_target_count(const struct sw_md *targets)
{
    return targets->type == SW_MD_TARGETS ? targets->n_files : 0;
}

const struct sw_md_fileinfo *
sw_md_target_at(const struct sw_md *targets, size_t i)
{
    return targets->type == SW_MD_TARGETS && i < targets->n_files ? &targets->files[i] : NULL;
}

bool
sw_md_has_delegations(const struct sw_md *targets)
{
    return targets->has_delegations;
}

size_t
sw_md_delegation_count(const struct sw_md *targets)
{
    return targets->n_dels;
}

const struct sw_md_role *
sw_md_delegation_at(const struct sw_md *targets, size_t i)
{
    return i < targets->n_dels ? &targets->dels[i] : NULL;
}

const struct sw_md_role *
sw_md_delegation(const struct sw_md *targets, const char *name)
{
    if (targets->sc) {
        const struct succinct *sc = targets->sc;
        size_t pl = strlen(sc->prefix);
        unsigned long bin;
        char *end;
        /* PREFIX-HEX, exactly as the bin is named: no scan of 2^bits names */
        if (!name || strlen(name) != sc->name_len || strncmp(name, sc->prefix, pl) != 0 ||
            name[pl] != '-' || !is_hex(name + pl + 1, true))
            return NULL;
        bin = strtoul(name + pl + 1, &end, 16);
        if (*end || bin >= targets->n_dels)
            return NULL;
        return &targets->dels[bin];
    }
    for (size_t i = 0; name && i < targets->n_dels; i++)
        if (strcmp(targets->dels[i].name, name) == 0)
            return &targets->dels[i];
    return NULL;
}

/* --- signature thresholds ---------------------------------------------------------- */

static bool
role_lists(const struct sw_md_role *role, const char *keyid)
{
    for (size_t i = 0; i < role->n_keyids; i++)
        if (strcmp(role->keyids[i], keyid) == 0)
            return true;
    return false;
}

/* The threshold check over canonical bytes of md's "signed". */
static int
verify_bytes(const struct sw_md *md, const unsigned char *bytes, size_t len,
             const struct sw_md_role *role, struct sw_error *err)
{
    char pn[SW_CJSON_PRINTABLE_MAX], why[256] = "";
    const struct sw_key **counted = NULL;
    size_t n_counted = 0, unlisted = 0, unknown = 0, unusable = 0, invalid = 0, same = 0;
    int r;

    sw_cjson_printable(role->name, pn, sizeof(pn));
    if (role->delegated ? md->type != SW_MD_TARGETS : md->type != role->top)
        return sw_error_set(err, SW_E_METADATA,
                            "role '%s': a %s document cannot be checked "
                            "against this role",
                            pn, type_names[md->type]);
    counted = calloc(md->n_sigs ? md->n_sigs : 1, sizeof(*counted));
    if (!counted)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    for (size_t i = 0; i < md->n_sigs && (int64_t)n_counted < role->threshold; i++) {
        const struct sig *s = &md->sigs[i];
        const struct keyent *e;
        bool dup = false;
        if (!role_lists(role, s->keyid)) {
            unlisted++;
            continue;
        }
        e = find_key(role->keysrc, s->keyid);
        if (!e) {
            unknown++;
            continue;
        }
        if (!e->key) {
            unusable++;
            continue;
        }
        if (sw_key_verify(e->key, bytes, len, s->sig, NULL) < 0) {
            invalid++;
            continue;
        }
        for (size_t j = 0; j < n_counted; j++)
            dup = dup || sw_key_same_material(counted[j], e->key);
        if (dup) {
            same++;
            continue;
        }
        counted[n_counted++] = e->key;
    }
    free(counted);
    if ((int64_t)n_counted >= role->threshold)
        return 0;

    {
        size_t o = 0;
        const struct {
            size_t n;
            const char *what;
        } reasons[] = {
            {invalid, "invalid"},
            {unlisted, "by a key the role does not list"},
            {unknown, "by an unknown key"},
            {unusable, "by an unsupported or malformed key"},
            {same, "by a key already counted under another id"},
        };
        for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
            if (!reasons[i].n)
                continue;
            r = snprintf(why + o, sizeof(why) - o, "%s%zu %s",
                         o ? ", " : " (ignored: ", reasons[i].n, reasons[i].what);
            if (r > 0 && (size_t)r < sizeof(why) - o)
                o += (size_t)r;
        }
        if (o && o + 1 < sizeof(why))
            memcpy(why + o, ")", 2);
    }
    return sw_error_set(err, SW_E_SIGNATURE, "role '%s': %zu of %" PRId64 " required signatures%s",
                        pn, n_counted, role->threshold, why);
}

int
sw_md_verify(const struct sw_md *md, const struct sw_md_role *role, struct sw_error *err)
{
    if (!md->signed_bytes) {
        char pn[SW_CJSON_PRINTABLE_MAX];
        return sw_error_set(err, SW_E_INVAL,
                            "role '%s': its signed bytes were not kept (check it with the bytes "
                            "it was parsed from)",
                            sw_cjson_printable(md->name, pn, sizeof(pn)));
    }
    return verify_bytes(md, md->signed_bytes, md->signed_len, role, err);
}

int
sw_md_verify_mem(const struct sw_md *md, const void *data, size_t len,
                 const struct sw_md_role *role, struct sw_error *err)
{
    const unsigned char *b;
    unsigned char *owned = NULL;
    struct sw_cjson_val v;
    size_t n;
    int r;

    if (md->signed_bytes)
        return verify_bytes(md, md->signed_bytes, md->signed_len, role, err);
    if (!data || len != md->data_len || md->signed_off >= len ||
        ((const unsigned char *)data)[md->signed_off] != '{')
        return sw_error_set(err, SW_E_INVAL, "role '%s': not the bytes it was parsed from",
                            md->name);
    v.p = (const unsigned char *)data + md->signed_off;
    v.end = (const unsigned char *)data + len;
    r = signed_canon(&v, md->plain, &b, &n, &owned, err);
    if (r == 0)
        r = verify_bytes(md, b, n, role, err);
    free(owned);
    return r;
}

/* --- delegation paths --------------------------------------------------------------- */

/* Decode UTF-8 into code points; an invalid byte b becomes 0xdc00 + b (never matches a real one). */
static size_t
decode_cps(const char *s, size_t n, uint32_t *out)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    size_t k = 0;
    while (p < end) {
        unsigned char c = *p;
        uint32_t cp;
        size_t len;
        if (c < 0x80) {
            cp = c;
            len = 1;
        } else if (c >= 0xc2 && c <= 0xdf && end - p >= 2 && (p[1] & 0xc0) == 0x80) {
            cp = ((uint32_t)(c & 0x1f) << 6) | (p[1] & 0x3f);
            len = 2;
        } else if (c >= 0xe0 && c <= 0xef && end - p >= 3 && (p[1] & 0xc0) == 0x80 &&
                   (p[2] & 0xc0) == 0x80) {
            cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
            len = 3;
        } else if (c >= 0xf0 && c <= 0xf4 && end - p >= 4 && (p[1] & 0xc0) == 0x80 &&
                   (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80) {
            cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
                 ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
            len = 4;
        } else {
            cp = 0xdc00 + c;
            len = 1;
        }
        out[k++] = cp;
        p += len;
    }
    return k;
}

/*
 * Does the token at p[*pi] (not '*') match character ch? Advances *pi past
 * the token. '?' is any character; "[...]" a class as Python's fnmatch
 * reads it (leading '!' negates, a ']' right after '[' or "[!" is literal,
 * "a-z" a range, '-' first or last literal; no closing ']' makes '[' a
 * literal); anything else is itself.
 */
static bool
token_match(const uint32_t *p, size_t pn, size_t *pi, uint32_t ch)
{
    size_t i = *pi, j, k;
    bool neg = false, in = false;

    if (p[i] == '?') {
        *pi = i + 1;
        return true;
    }
    if (p[i] != '[') {
        *pi = i + 1;
        return p[i] == ch;
    }
    j = i + 1;
    if (j < pn && p[j] == '!')
        j++;
    if (j < pn && p[j] == ']')
        j++;
    while (j < pn && p[j] != ']')
        j++;
    if (j >= pn) { /* no closing bracket: a literal '[' */
        *pi = i + 1;
        return ch == '[';
    }
    k = i + 1;
    if (k < j && p[k] == '!') {
        neg = true;
        k++;
    }
    /* items between k and j (exclusive); the first may be ']' */
    while (k < j) {
        uint32_t lo = p[k], hi = lo;
        if (k + 2 < j && p[k + 1] == '-') {
            hi = p[k + 2];
            k += 3;
        } else {
            k += 1;
        }
        if (ch >= lo && ch <= hi)
            in = true;
    }
    *pi = j + 1;
    return in != neg;
}

/* One path segment against one pattern segment (neither holds '/'). */
static bool
segment_match(const uint32_t *p, size_t pn, const uint32_t *s, size_t sn)
{
    size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;
    while (si < sn) {
        size_t next = pi;
        if (pi < pn && p[pi] == '*') {
            while (pi < pn && p[pi] == '*')
                pi++;
            star_p = pi;
            star_s = si;
            continue;
        }
        if (pi < pn && token_match(p, pn, &next, s[si])) {
            pi = next;
            si++;
            continue;
        }
        if (star_p == SIZE_MAX)
            return false;
        pi = star_p;
        si = ++star_s;
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

bool
sw_md_path_pattern_match(const char *pattern, const char *path)
{
    uint32_t *pc = NULL, *sc = NULL;
    size_t pn, sn, pl, sl, pi = 0, si = 0;
    bool ok = false;

    if (!pattern || !path)
        return false;
    pl = strlen(pattern);
    sl = strlen(path);
    if (pl > SW_MD_MAX_PATH_LEN || sl > SW_MD_MAX_PATH_LEN)
        return false;
    pc = malloc((pl + 1) * sizeof(*pc));
    sc = malloc((sl + 1) * sizeof(*sc));
    if (!pc || !sc)
        goto out;
    pn = decode_cps(pattern, pl, pc);
    sn = decode_cps(path, sl, sc);
    /* segment by segment: the same number of '/'-separated parts, each matching */
    for (;;) {
        size_t pe = pi, se = si;
        while (pe < pn && pc[pe] != '/')
            pe++;
        while (se < sn && sc[se] != '/')
            se++;
        if (!segment_match(pc + pi, pe - pi, sc + si, se - si))
            goto out;
        if (pe == pn || se == sn) {
            ok = pe == pn && se == sn;
            goto out;
        }
        pi = pe + 1;
        si = se + 1;
    }
out:
    free(pc);
    free(sc);
    return ok;
}

uint32_t
sw_md_succinct_bin(const char *path, unsigned bit_length)
{
    unsigned char d[SW_HASH_MAX_LEN];
    uint32_t v;

    if (bit_length < 1 || bit_length > 32 ||
        sw_hash_buf(SW_HASH_SHA256, path, strlen(path), d, NULL) < 0)
        return 0;
    v = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | (uint32_t)d[3];
    return v >> (32 - bit_length);
}

int
sw_md_succinct_bin_name(const char *prefix, unsigned bit_length, uint32_t bin, char *out,
                        size_t outlen)
{
    int digits = ((int)bit_length + 3) / 4, n;

    if (bit_length < 1 || bit_length > 32 || (bit_length < 32 && bin >> bit_length) || !prefix)
        return -SW_E_INVAL;
    n = snprintf(out, outlen, "%s-%0*" PRIx32, prefix, digits, bin);
    if (n < 0 || (size_t)n >= outlen)
        return -SW_E_INVAL;
    return 0;
}

bool
sw_md_has_succinct(const struct sw_md *targets)
{
    return targets->sc != NULL;
}

unsigned
sw_md_succinct_bit_length(const struct sw_md *targets)
{
    return targets->sc ? targets->sc->bits : 0;
}

const char *
sw_md_succinct_prefix(const struct sw_md *targets)
{
    return targets->sc ? targets->sc->prefix : NULL;
}

/* The bin of path, remembered for the next call with the same path. */
static uint32_t
succinct_bin_of(struct succinct *sc, const char *path)
{
    size_t n;
    uint32_t bin;

    if (sc->have_last && strcmp(sc->last_path, path) == 0)
        return sc->last_bin;
    bin = sw_md_succinct_bin(path, sc->bits);
    n = strlen(path);
    if (n < sizeof(sc->last_path)) {
        memcpy(sc->last_path, path, n + 1);
        sc->last_bin = bin;
        sc->have_last = true;
    }
    return bin;
}

const struct sw_md_role *
sw_md_succinct_role_for(const struct sw_md *targets, const char *path)
{
    if (!targets->sc || !path)
        return NULL;
    return &targets->dels[succinct_bin_of(targets->sc, path)];
}

long
sw_md_succinct_index_for(const struct sw_md *targets, const char *path)
{
    if (!targets->sc || !path)
        return -1;
    return (long)succinct_bin_of(targets->sc, path);
}

/*
 * The SHA-256 (hex) of a target path for path_hash_prefixes, computed once
 * per path: a search tests one path against every delegation of a
 * delegator (256 or more hash bins), so the last path's hash is kept (per
 * thread; it depends on nothing but the path).
 */
static const char *
path_hash_hex(const char *path)
{
    static _Thread_local char last_path[SW_MD_MAX_PATH_LEN + 1];
    static _Thread_local char last_hex[SW_HASH_MAX_HEX];
    static _Thread_local bool have;
    size_t n = strlen(path);

    if (have && strcmp(last_path, path) == 0)
        return last_hex;
    have = false;
    if (sw_hash_buf_hex(SW_HASH_SHA256, path, n, last_hex, NULL) < 0)
        return NULL;
    if (n < sizeof(last_path)) {
        memcpy(last_path, path, n + 1);
        have = true;
    }
    return last_hex;
}

bool
sw_md_delegation_matches(const struct sw_md_role *role, const char *target_path)
{
    if (!role->delegated || !target_path)
        return false;
    if (role->sc)
        return succinct_bin_of(role->sc, target_path) == role->bin;
    if (role->by_prefix) {
        const char *hex = path_hash_hex(target_path);
        if (!hex)
            return false;
        for (size_t i = 0; i < role->n_paths; i++)
            if (strncmp(hex, role->paths[i], strlen(role->paths[i])) == 0)
                return true;
        return false;
    }
    for (size_t i = 0; i < role->n_paths; i++)
        if (sw_md_path_pattern_match(role->paths[i], target_path))
            return true;
    return false;
}

/* --- file checks ------------------------------------------------------------------------ */

struct sw_md_filecheck {
    const struct sw_md_fileinfo *fi;
    struct sw_hash *h[SW_MD_MAX_HASHES];
    enum sw_hash_alg alg[SW_MD_MAX_HASHES];
    unsigned char want[SW_MD_MAX_HASHES][SW_HASH_MAX_LEN];
    uint64_t seen;
};

void
sw_md_filecheck_free(struct sw_md_filecheck *fc)
{
    if (!fc)
        return;
    for (size_t i = 0; i < SW_MD_MAX_HASHES; i++)
        sw_hash_free(fc->h[i]);
    free(fc);
}

int
sw_md_filecheck_new(const struct sw_md_fileinfo *fi, struct sw_md_filecheck **ret,
                    struct sw_error *err)
{
    char pn[SW_CJSON_PRINTABLE_MAX], pa[SW_CJSON_PRINTABLE_MAX];
    struct sw_md_filecheck *fc = NULL;
    int r;

    sw_cjson_printable(fi->name, pn, sizeof(pn));
    if (fi->n_hashes > SW_MD_MAX_HASHES)
        return sw_error_set(err, SW_E_LIMIT, "file '%s': more than %d hashes", pn,
                            SW_MD_MAX_HASHES);
    fc = calloc(1, sizeof(*fc));
    if (!fc)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    fc->fi = fi;
    for (size_t i = 0; i < fi->n_hashes; i++) {
        size_t n = 0;
        if (sw_hash_alg_from_string(fi->hashes[i].alg, &fc->alg[i]) < 0) {
            r = sw_error_set(err, SW_E_UNSUPPORTED,
                             "file '%s': hash algorithm '%s' is not "
                             "supported",
                             pn, sw_cjson_printable(fi->hashes[i].alg, pa, sizeof(pa)));
            goto out;
        }
        if (sw_hex_decode(fi->hashes[i].value, fc->want[i], SW_HASH_MAX_LEN, &n) < 0 ||
            n != sw_hash_len(fc->alg[i])) {
            r = sw_error_set(err, SW_E_METADATA, "file '%s': %s hash is not %zu hex characters", pn,
                             fi->hashes[i].alg, 2 * sw_hash_len(fc->alg[i]));
            goto out;
        }
        r = sw_hash_new(fc->alg[i], &fc->h[i], err);
        if (r < 0)
            goto out;
    }
    *ret = fc;
    fc = NULL;
    r = 0;
out:
    sw_md_filecheck_free(fc);
    return r;
}

int
sw_md_filecheck_update(struct sw_md_filecheck *fc, const void *data, size_t len,
                       struct sw_error *err)
{
    if (fc->fi->length >= 0 && (uint64_t)fc->fi->length - fc->seen < len) {
        char pn[SW_CJSON_PRINTABLE_MAX];
        return sw_error_set(err, SW_E_LENGTH, "file '%s': more than the %" PRId64 " bytes expected",
                            sw_cjson_printable(fc->fi->name, pn, sizeof(pn)), fc->fi->length);
    }
    fc->seen += len;
    for (size_t i = 0; i < fc->fi->n_hashes; i++) {
        int r = sw_hash_update(fc->h[i], data, len, err);
        if (r < 0)
            return r;
    }
    return 0;
}

int
sw_md_filecheck_final(struct sw_md_filecheck *fc, struct sw_error *err)
{
    char pn[SW_CJSON_PRINTABLE_MAX];
    sw_cjson_printable(fc->fi->name, pn, sizeof(pn));
    if (fc->fi->length >= 0 && fc->seen != (uint64_t)fc->fi->length)
        return sw_error_set(err, SW_E_LENGTH, "file '%s': %" PRIu64 " bytes, expected %" PRId64, pn,
                            fc->seen, fc->fi->length);
    for (size_t i = 0; i < fc->fi->n_hashes; i++) {
        unsigned char got[SW_HASH_MAX_LEN];
        size_t n = sw_hash_len(fc->alg[i]);
        int r = sw_hash_final(fc->h[i], got, err);
        if (r < 0)
            return r;
        sw_hash_free(fc->h[i]);
        fc->h[i] = NULL;
        if (sodium_memcmp(got, fc->want[i], n) != 0) {
            char hex[SW_HASH_MAX_HEX];
            sw_hex_encode(got, n, hex);
            return sw_error_set(err, SW_E_HASH, "file '%s': %s mismatch (expected %s, got %s)", pn,
                                sw_hash_alg_to_string(fc->alg[i]), fc->fi->hashes[i].value, hex);
        }
    }
    return 0;
}

int
sw_md_fileinfo_check(const struct sw_md_fileinfo *fi, const void *data, size_t len,
                     struct sw_error *err)
{
    struct sw_md_filecheck *fc = NULL;
    int r = sw_md_filecheck_new(fi, &fc, err);
    if (r == 0)
        r = sw_md_filecheck_update(fc, data, len, err);
    if (r == 0)
        r = sw_md_filecheck_final(fc, err);
    sw_md_filecheck_free(fc);
    return r;
}
