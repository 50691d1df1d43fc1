/* SPDX-License-Identifier: MIT */
/*
 * TUF 1.0 metadata: strict parsing and validation of root, timestamp,
 * snapshot and (delegated) targets documents, signature thresholds over the
 * canonical form of "signed", expiry against a time the caller gives,
 * delegation path matching, and checking bytes against a length and
 * hashes. The client workflow (which file to fetch, versions, rollback,
 * persistence) is left to the trust module.
 */
#ifndef SLIPWAY_METADATA_H
#define SLIPWAY_METADATA_H

#include <slipway/buf.h>
#include <slipway/error.h>
#include <slipway/key.h>

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Named limits; exceeding one is -SW_E_LIMIT naming the role and field. */
#define SW_MD_MAX_LEN ((size_t)64 * 1024 * 1024) /* bytes of one document */
#define SW_MD_MAX_SIGNATURES 256                 /* entries in "signatures" */
#define SW_MD_MAX_KEYS 1024                      /* keys in root "keys" or "delegations.keys" */
#define SW_MD_MAX_KEYIDS 256                     /* key ids of one role */
#define SW_MD_MAX_DELEGATIONS 4096               /* roles in one "delegations.roles" */
#define SW_MD_MAX_META 100000                    /* entries in snapshot "meta" */
#define SW_MD_MAX_TARGETS 200000                 /* entries in "targets" */
#define SW_MD_MAX_PATHS 4096                     /* patterns or prefixes of one delegation */
#define SW_MD_MAX_PATH_LEN 1024                  /* bytes of a target path or path pattern */
#define SW_MD_MAX_ROLE_NAME 255                  /* bytes of a delegated role name */
#define SW_MD_MAX_HASHES 8                       /* algorithms in one "hashes" */
#define SW_MD_MAX_SPEC_VERSION 32                /* bytes of "spec_version" */
#define SW_MD_MAX_HASH_HEX 256                   /* bytes of a hash value (known or not) */
/*
 * TAP 15 "succinct_roles": the largest "bit_length" accepted. The
 * specification allows 1 to 32; each bin is a role the parser lays out
 * (about 100 bytes and its name), so 2^32 bins cannot be, and a document
 * above this cap is refused (-SW_E_LIMIT) naming the cap.
 */
#define SW_MD_MAX_SUCCINCT_BITS 16 /* 65 536 bins */

/*
 * The largest "version" accepted, of every role and in every timestamp or
 * snapshot "meta" entry: one below INT64_MAX, so the next version
 * (N+1.root.json) is always representable.
 */
#define SW_MD_MAX_VERSION (INT64_MAX - 1)

/* The TUF specification major version this code implements. */
#define SW_MD_SPEC_MAJOR 1

enum sw_md_type {
    SW_MD_ROOT = 0,
    SW_MD_TIMESTAMP = 1,
    SW_MD_SNAPSHOT = 2,
    SW_MD_TARGETS = 3, /* top-level or delegated */
};
#define SW_MD_N_TYPES 4

/* "root", "timestamp", "snapshot", "targets" */
const char *sw_md_type_to_string(enum sw_md_type t);
/* -SW_E_INVAL for any other name. */
int sw_md_type_from_string(const char *s, enum sw_md_type *ret);

/* One parsed, validated document. Opaque; borrowed views below live as long as it. */
struct sw_md;
/* A role's authorisation: top-level (from root "roles") or delegated. */
struct sw_md_role;

/* A target's "custom" value, kept by the document (sw_md_fileinfo_custom()). */
struct sw_md_custom;

/* One hash of a file: algorithm name as written, value as written (hex). */
struct sw_md_hash {
    const char *alg;
    const char *value;
};

/*
 * What metadata says about a file: a metadata file in timestamp/snapshot
 * "meta" (name "snapshot.json", "ROLE.json"; version >= 1, length and
 * hashes optional) or a target (name is the target path; version 0,
 * length and at least one hash always present, custom optional). All
 * pointers are borrowed from the document. A caller that fills one itself
 * (to check a file) points hashes at its own array and leaves custom_ NULL.
 */
struct sw_md_fileinfo {
    const char *name;
    int64_t version; /* 0 for targets */
    int64_t length;  /* -1 when absent */
    size_t n_hashes;
    struct sw_md_hash *hashes;          /* n_hashes of them */
    const struct sw_md_custom *custom_; /* private: read it with sw_md_fileinfo_custom() */
};

/*
 * A target's "custom" object as a jansson tree, or NULL when it has none.
 * Borrowed: built on first use from the canonical bytes the document
 * keeps, and kept with the document (one tree per distinct value, shared
 * by the targets that carry the same one); do not modify. Not for two
 * threads at once on one document.
 */
const json_t *sw_md_fileinfo_custom(const struct sw_md_fileinfo *fi);

/*
 * Parse and validate a document of the expected type. role_name is used in
 * messages ("role 'apps': ..."); NULL means the type's name. Messages name
 * the role and the field ("role 'snapshot': field
 * 'meta.targets.json.version' must be an integer >= 1"). Errors:
 * -SW_E_JSON (not strict JSON), -SW_E_LIMIT (a named limit), -SW_E_METADATA
 * (a missing, mistyped or invalid field, wrong "_type", a key id repeated
 * in "signatures"), -SW_E_UNSUPPORTED (spec_version major is not 1).
 * Unknown fields are kept: signatures are checked over the canonical form
 * of "signed" exactly as served. Keys of unsupported types or with bad key
 * material are kept as unusable (they never count), as TUF requires.
 * data is borrowed; on success *ret is new: free with sw_md_free().
 */
int sw_md_parse_mem(const void *data, size_t len, enum sw_md_type expected, struct sw_md **ret,
                    struct sw_error *err);
int sw_md_parse_role_mem(const void *data, size_t len, enum sw_md_type expected,
                         const char *role_name, struct sw_md **ret, struct sw_error *err);

/*
 * The same with flags. SW_MD_PARSE_NO_SIGNED_BYTES: do not keep the
 * canonical bytes of "signed" (as large as the document): for a document
 * already verified (verify once) or checked right away with
 * sw_md_verify_mem() while its bytes are at hand. sw_md_verify() then
 * refuses (-SW_E_INVAL) and sw_md_signed_bytes() is NULL.
 */
#define SW_MD_PARSE_NO_SIGNED_BYTES 0x1u
int sw_md_parse_role_flags(const void *data, size_t len, enum sw_md_type expected,
                           const char *role_name, unsigned flags, struct sw_md **ret,
                           struct sw_error *err);

void sw_md_free(struct sw_md *md);

/* --- every document -------------------------------------------------------- */

enum sw_md_type sw_md_type(const struct sw_md *md);
/* The name used in messages (role_name given to the parser, or the type). */
const char *sw_md_name(const struct sw_md *md);
int64_t sw_md_version(const struct sw_md *md);
const char *sw_md_spec_version(const struct sw_md *md);
/* "expires" as seconds since the epoch, and as written. */
time_t sw_md_expires(const struct sw_md *md);
const char *sw_md_expires_string(const struct sw_md *md);
/* True when now >= expires (TUF: expired at the instant itself). */
bool sw_md_is_expired(const struct sw_md *md, time_t now);
/* 0, or -SW_E_EXPIRED "role 'timestamp': expired at 2020-01-01T00:00:00Z". */
int sw_md_check_expiry(const struct sw_md *md, time_t now, struct sw_error *err);

/*
 * Canonical bytes of "signed", what signatures cover (borrowed); NULL when
 * parsed with SW_MD_PARSE_NO_SIGNED_BYTES.
 */
const unsigned char *sw_md_signed_bytes(const struct sw_md *md, size_t *ret_len);

/* The "signatures" entries, in order. */
size_t sw_md_signature_count(const struct sw_md *md);
const char *sw_md_signature_keyid(const struct sw_md *md, size_t i);
const char *sw_md_signature_sig(const struct sw_md *md, size_t i);

/*
 * Check that md is signed by at least role's threshold of distinct keys
 * among role's key ids, over the canonical form of md's "signed". The keys
 * come from the document that holds role: root "keys" for a top-level role
 * (sw_md_root_role), the delegating targets' "delegations.keys" for a
 * delegated one (sw_md_delegation). Signatures by key ids the role does
 * not list, by unknown or unusable keys, invalid or empty ones are
 * ignored; a key's material counts once even under two ids. Returns 0, or
 * -SW_E_SIGNATURE "role 'snapshot': 1 of 2 required signatures (...)",
 * or -SW_E_METADATA when md's type does not fit the role.
 */
int sw_md_verify(const struct sw_md *md, const struct sw_md_role *role, struct sw_error *err);

/*
 * sw_md_verify() for a document parsed without its signed bytes: data and
 * len are the very bytes it was parsed from (borrowed). The canonical form
 * of "signed" is made for this check only, and not at all when "signed"
 * was served canonical (its bytes are checked in place). -SW_E_INVAL when
 * len is not the parsed length.
 */
int sw_md_verify_mem(const struct sw_md *md, const void *data, size_t len,
                     const struct sw_md_role *role, struct sw_error *err);

/*
 * The key with this id in the document's key list (root "keys" or
 * targets "delegations.keys"); NULL when absent, unusable or md has none.
 */
const struct sw_key *sw_md_key(const struct sw_md *md, const char *keyid);

/* --- root ---------------------------------------------------------------- */

/* The top-level role of this type from root "roles"; NULL if md is not a root. */
const struct sw_md_role *sw_md_root_role(const struct sw_md *root, enum sw_md_type role);
/* "consistent_snapshot" (false when absent). */
bool sw_md_root_consistent_snapshot(const struct sw_md *root);

/* --- roles (top-level and delegated) ---------------------------------------- */

const char *sw_md_role_name(const struct sw_md_role *role);
int64_t sw_md_role_threshold(const struct sw_md_role *role);
size_t sw_md_role_keyid_count(const struct sw_md_role *role);
const char *sw_md_role_keyid(const struct sw_md_role *role, size_t i);
/* The document that holds the role and its keys (root, or the delegating targets). */
const struct sw_md *sw_md_role_keysrc(const struct sw_md_role *role);
/* Delegated roles only (false for top-level ones). */
bool sw_md_role_terminating(const struct sw_md_role *role);

/*
 * Whether a delegated role is trusted for target_path: "paths" patterns
 * match the whole path, '*' any run and '?' any one character except '/',
 * "[...]" and "[!...]" a character class (never '/'), every other byte
 * itself (case-sensitive, no backslash escapes; the segment-wise fnmatch of
 * python-tuf); "path_hash_prefixes" match when the lowercase hex SHA-256
 * of target_path starts with one of them. False for top-level roles.
 */
bool sw_md_delegation_matches(const struct sw_md_role *role, const char *target_path);
/* The same test for one pattern (exposed for tests and for slipway-repo). */
bool sw_md_path_pattern_match(const char *pattern, const char *path);

/*
 * TAP 15 succinct hash bins. A "delegations" object holds "roles" or
 * "succinct_roles" (never both). Its bins are exposed as ordinary
 * delegated roles: sw_md_delegation_count() is 2^bit_length,
 * sw_md_delegation_at(i) is bin i, named NAME_PREFIX-HEX (lowercase hex,
 * zero-padded to the digits of 2^bit_length - 1), with the keyids and
 * threshold of "succinct_roles", not terminating (TAP 15), trusted
 * exactly for the paths that hash to it. sw_md_delegation_matches() on a
 * bin hashes a path once per document, not once per bin (the last path's
 * bin is remembered in the document: a struct sw_md is not for matching
 * from two threads at once).
 */
/* The bin of path among 2^bit_length: the first 4 bytes of sha256(path), big-endian, >> (32 - bit_length). */
uint32_t sw_md_succinct_bin(const char *path, unsigned bit_length);
/*
 * The name of bin i: "PREFIX-HEX". 0, or -SW_E_INVAL when bit_length is
 * not 1..32, i is out of range or out (size outlen) is too small.
 */
int sw_md_succinct_bin_name(const char *prefix, unsigned bit_length, uint32_t bin, char *out,
                            size_t outlen);
/* targets: whether its delegations are succinct; its bit_length and name_prefix (0/NULL if not). */
bool sw_md_has_succinct(const struct sw_md *targets);
unsigned sw_md_succinct_bit_length(const struct sw_md *targets);
const char *sw_md_succinct_prefix(const struct sw_md *targets);
/* The bin trusted for path (hashing it once), or NULL when targets has no succinct delegations. */
const struct sw_md_role *sw_md_succinct_role_for(const struct sw_md *targets, const char *path);
/* The same as an index for sw_md_delegation_at(), or -1 without succinct delegations. */
long sw_md_succinct_index_for(const struct sw_md *targets, const char *path);

/* --- timestamp and snapshot ---------------------------------------------------- */

/* timestamp: meta["snapshot.json"]; NULL if md is not a timestamp. */
const struct sw_md_fileinfo *sw_md_timestamp_snapshot(const struct sw_md *ts);
/* snapshot: meta["ROLE.json"] for a role name; NULL when not listed. */
const struct sw_md_fileinfo *sw_md_snapshot_meta(const struct sw_md *snap, const char *role);
/* snapshot: all entries, sorted by name. */
size_t sw_md_snapshot_meta_count(const struct sw_md *snap);
const struct sw_md_fileinfo *sw_md_snapshot_meta_at(const struct sw_md *snap, size_t i);

/* --- targets ------------------------------------------------------------------ */

/* targets: the entry for a target path; NULL when not listed. */
const struct sw_md_fileinfo *sw_md_target(const struct sw_md *targets, const char *path);
/* targets: all entries, sorted by path. */
size_t sw_md_target_count(const struct sw_md *targets);
const struct sw_md_fileinfo *sw_md_target_at(const struct sw_md *targets, size_t i);

/* targets: whether "delegations" is present, and its roles in order (succinct bins in bin order). */
bool sw_md_has_delegations(const struct sw_md *targets);
size_t sw_md_delegation_count(const struct sw_md *targets);
const struct sw_md_role *sw_md_delegation_at(const struct sw_md *targets, size_t i);
/* The delegated role of this name; NULL when there is none. */
const struct sw_md_role *sw_md_delegation(const struct sw_md *targets, const char *name);

/* --- checking files against their info --------------------------------------------- */

/*
 * Streaming check of bytes against a fileinfo: the length (when given) and
 * every hash. An unknown hash algorithm is refused at creation
 * (-SW_E_UNSUPPORTED), never skipped. update() fails -SW_E_LENGTH as soon
 * as more bytes than the length arrive; final() fails -SW_E_LENGTH or
 * -SW_E_HASH. fi is borrowed and must outlive the check.
 */
struct sw_md_filecheck;
int sw_md_filecheck_new(const struct sw_md_fileinfo *fi, struct sw_md_filecheck **ret,
                        struct sw_error *err);
int sw_md_filecheck_update(struct sw_md_filecheck *fc, const void *data, size_t len,
                           struct sw_error *err);
int sw_md_filecheck_final(struct sw_md_filecheck *fc, struct sw_error *err);
void sw_md_filecheck_free(struct sw_md_filecheck *fc);

/* One-shot form of the above over a buffer. */
int sw_md_fileinfo_check(const struct sw_md_fileinfo *fi, const void *data, size_t len,
                         struct sw_error *err);

/* --- dates ---------------------------------------------------------------------- */

/*
 * Parse a TUF date-time, exactly "YYYY-MM-DDTHH:MM:SSZ" (UTC, valid
 * calendar date, seconds 00-59). -SW_E_INVAL otherwise.
 */
int sw_md_parse_time(const char *s, time_t *ret);
/* Format t the same way into out (at least 21 bytes). */
void sw_md_format_time(time_t t, char out[21]);

#endif
