/* SPDX-License-Identifier: MIT */
/*
 * Private to slipway-repo and its test tools: a repository tree on disk
 * (docs/repo.md). The published metadata (DIR/metadata/, what clients
 * read), the target files (DIR/targets/, HASH.NAME), and the staging area
 * (DIR/staged/: unpublished role envelopes and the names of keys; no
 * secrets). Loads the state, stages edits, writes files atomically.
 * Signing and publishing are publish.h's; checking as a client does is
 * check.h's.
 */
#ifndef SLIPWAY_REPO_TREE_H
#define SLIPWAY_REPO_TREE_H

#include <slipway/error.h>
#include <slipway/metadata.h>

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Named limits. */
#define SW_REPO_MAX_ROLES 32768 /* targets roles (top-level and delegated): 2^14 bins and more */
#define SW_REPO_MAX_VERSIONS 100000     /* versions of one role probed on disk */
#define SW_REPO_MAX_EXPIRES_AT 64       /* --expires-at overrides in one command */
#define SW_REPO_MAX_KEYNAMES_LEN 262144 /* bytes of staged/keynames.json */
#define SW_REPO_MAX_ADD 1000000         /* targets one add takes (files, a directory, a manifest) */
#define SW_REPO_MAX_ADD_DEPTH 32        /* directory levels one add walks */
#define SW_REPO_ADD_SAY_EACH 20         /* an add of more targets prints one summary line */
#define SW_REPO_MAX_SOURCES_LEN (256 * 1024 * 1024) /* bytes of staged/sources.json */

/* The spec_version written into new metadata. */
#define SW_REPO_SPEC_VERSION "1.0.31"

/* Default expiry, in days, by role type (delegated roles use targets'). */
#define SW_REPO_EXPIRES_ROOT_DAYS 365
#define SW_REPO_EXPIRES_TARGETS_DAYS 90
#define SW_REPO_EXPIRES_SNAPSHOT_DAYS 7
#define SW_REPO_EXPIRES_TIMESTAMP_DAYS 1

/* When staged or published metadata expires: a lifetime per type, or a date per role. */
struct sw_repo_expiry {
    long long secs[SW_MD_N_TYPES]; /* lifetime in seconds, indexed by enum sw_md_type */
    size_t n_at;
    struct {
        const char *role; /* borrowed; "ROLE" or "ROLE=...", compared up to '=' */
        time_t at;
    } at[SW_REPO_MAX_EXPIRES_AT];
};

void sw_repo_expiry_defaults(struct sw_repo_expiry *e);
/* The expiry of role (of type t) when signed at now, as "YYYY-MM-DDTHH:MM:SSZ". */
void sw_repo_expiry_for(const struct sw_repo_expiry *e, const char *role, enum sw_md_type t,
                        time_t now, char out[21]);

/*
 * Role names slipway-repo creates for delegations: segments of
 * [A-Za-z0-9._~-] separated by '/', none empty, "." or "..", none but the
 * last ending in ".json", not a top-level role name, at most
 * SW_MD_MAX_ROLE_NAME bytes. -SW_E_INVAL saying why.
 */
int sw_repo_check_role_name(const char *name, struct sw_error *err);

/*
 * The published file of a role at a version, relative to metadata/:
 * "N.ROLE.json" with the name as it is (a web server decodes the client's
 * "%2F" into '/', so role "a/b" lives at "N.a/b.json"). Refused
 * (-SW_E_METADATA) when that path would leave metadata/ or hold an empty,
 * "." or ".." segment. *ret: caller frees.
 */
int sw_repo_md_name(const char *role, int64_t version, char **ret, struct sw_error *err);

/*
 * Target paths slipway-repo accepts: what the client can fetch (no empty,
 * "." or ".." segment, not absolute, no '\', '%', '?', '#' or control
 * character), at most SW_MD_MAX_PATH_LEN bytes, valid UTF-8.
 */
int sw_repo_check_target_path(const char *path, struct sw_error *err);

/*
 * A target's file under targets/: "[dir/]HASH.NAME" for one of its hashes.
 * *ret (caller frees) is relative to targets/.
 */
int sw_repo_target_file_name(const char *path, const char *hash_hex, char **ret,
                             struct sw_error *err);

/* One targets role (top-level "targets" or delegated) as it stands. */
struct sw_repo_role {
    char *name;
    char *parent;         /* the delegating role; NULL for "targets" */
    int64_t version;      /* published version; 0 when never published */
    json_t *published;    /* published envelope or NULL (after commit, of a role that delegates
                             nothing: only {"signed": {"version": V}}; its bytes are exact) */
    unsigned char *bytes; /* its exact published bytes */
    size_t len;
    json_t *staged; /* staged envelope or NULL */
    int dirty;      /* staged envelope to be written back */
    int checked; /* publish.c: its published bytes verified against its delegator (this command) */
};

/* A repository opened by one command; the fields are read-only to callers. */
struct sw_repo {
    char *dir, *metadata_dir, *targets_dir, *staged_dir, *roles_dir;
    int lock_fd;
    /* root: the newest published N.root.json, and a staged next one */
    int64_t root_version;
    json_t *root;
    json_t *staged_root;
    int root_dirty;
    /* online roles as published */
    json_t *timestamp;
    int64_t timestamp_version;
    json_t *snapshot;
    int64_t snapshot_version;
    /* targets roles in pre-order from "targets" over staged-else-published delegations */
    struct sw_repo_role *roles;
    size_t n_roles, roles_cap;
    /* role names -> index + 1 (0: free slot), open addressing; capacity a power of two */
    size_t *role_index;
    size_t role_index_cap;
    /* names of keys by key id, for messages (staged/keynames.json) */
    json_t *keynames;
    int keynames_dirty;
    /*
     * target files added but not yet copied into targets/ (staged/sources.json):
     * {ROLE: {PATH: {"source": ABSOLUTE-FILE, "length": N, "hashes": {...}}}};
     * NULL until a function below that needs it reads it (note_source,
     * unstage, copy_sources, clear_staged)
     */
    json_t *sources;
    int sources_dirty;
    /* caches of one command: the source directory resolved last, the targets/ directory made last */
    char *src_dir, *src_dir_real, *made_dir;
    int probe; /* SW_REPO_PROBE */
};

enum sw_repo_open_flags {
    SW_REPO_CREATE = 1 << 0, /* make DIR/{metadata,targets,staged}; refuse existing metadata */
    SW_REPO_NOLOCK = 1 << 1, /* do not take DIR/staged/lock (read-only users) */
    SW_REPO_PROBE = 1 << 2,  /* load the newest N.ROLE.json on disk, not the snapshot's */
};

/*
 * Open (or with SW_REPO_CREATE make) the repository at dir, take its lock
 * (-SW_E_BUSY when another slipway-repo holds it) and load it: the newest
 * root, the timestamp, the snapshot it names, each targets role at the
 * version the snapshot lists, and everything staged. -SW_E_NOTFOUND when
 * dir is not a repository; -SW_E_REPO_INVALID when published files do not
 * agree (naming the file; 'slipway-repo verify' tells more).
 */
int sw_repo_open(const char *dir, unsigned flags, struct sw_repo **ret, struct sw_error *err);
void sw_repo_free(struct sw_repo *repo);

/* The role of this name, or NULL. */
struct sw_repo_role *sw_repo_role(struct sw_repo *repo, const char *name);
/* Staged envelope if any, else published (or NULL). Borrowed. */
json_t *sw_repo_role_current(const struct sw_repo_role *role);
json_t *sw_repo_root_current(const struct sw_repo *repo);

/*
 * The staged envelope of a targets role, made when missing: a copy of the
 * published "signed" (or, for a role never published, an empty targets
 * document) with version = published + 1. Every call is an edit: the
 * expiry is set anew from e at now and existing signatures are dropped
 * (*ret_dropped says how many). Returns the "signed" object to edit
 * (borrowed). -SW_E_NOTFOUND when no role of that name is delegated.
 */
int sw_repo_stage(struct sw_repo *repo, const char *name, const struct sw_repo_expiry *e,
                  time_t now, json_t **ret_signed, size_t *ret_dropped, struct sw_error *err);

/* A new role, not yet delegated in the role list: added with an empty staged envelope. */
int sw_repo_stage_new_role(struct sw_repo *repo, const char *name, const char *parent,
                           const struct sw_repo_expiry *e, time_t now, struct sw_error *err);

/* The same for root: the next root version, staged. */
int sw_repo_stage_root(struct sw_repo *repo, const struct sw_repo_expiry *e, time_t now,
                       json_t **ret_signed, size_t *ret_dropped, struct sw_error *err);

/* Write every changed staged envelope and the key names. */
int sw_repo_save(struct sw_repo *repo, struct sw_error *err);

/* Remove the staged envelopes and sources (after they were published). */
int sw_repo_clear_staged(struct sw_repo *repo, struct sw_error *err);

/*
 * Discard what is staged for one role ("root" or a targets role): its
 * staged envelope (file and memory) and the sources of the targets it
 * would list. Nothing under targets/ is touched. 0 when nothing was staged
 * for it (*ret_had 0), else *ret_had 1 and *ret_sources the number of
 * sources dropped. The caller writes the sources with sw_repo_save().
 */
int sw_repo_unstage(struct sw_repo *repo, const char *name, int *ret_had, size_t *ret_sources,
                    struct sw_error *err);

/* Remember and look up a key's name by id (for messages; public). */
int sw_repo_note_keyname(struct sw_repo *repo, const char *keyid, const char *name,
                         struct sw_error *err);
const char *sw_repo_keyname(const struct sw_repo *repo, const char *keyid);

/*
 * The bytes slipway-repo writes for a metadata envelope: JSON with sorted
 * keys and one-space indentation (as python-tuf writes). *ret: free().
 */
int sw_repo_encode(const json_t *envelope, unsigned char **ret, size_t *ret_len,
                   struct sw_error *err);

/*
 * Parse an envelope (as a tree) with the metadata module, as a client
 * would parse its bytes. role_name for messages (NULL: the type's name).
 */
int sw_repo_md_from_json(const json_t *envelope, enum sw_md_type type, const char *role_name,
                         struct sw_md **ret, struct sw_error *err);

/*
 * Write a metadata file under metadata/ (rel from sw_repo_md_name or
 * "timestamp.json"), making parent directories. exclusive: the file must
 * not exist, unless it already holds exactly these bytes (a repeated
 * commit after a crash). Otherwise replaced atomically.
 */
int sw_repo_write_metadata(const struct sw_repo *repo, const char *rel, const void *bytes,
                           size_t len, int exclusive, struct sw_error *err);

/*
 * A batch of new metadata files (many roles published by one commit):
 * sw_repo_batch_add() writes each into a temporary file beside metadata/rel
 * (no fsync; *b made on first use); sw_repo_batch_commit() makes them
 * durable with one syncfs(), creates each name exclusively (an existing
 * file must hold the same bytes, as sw_repo_write_metadata() with
 * exclusive) and fsyncs each directory once. sw_repo_batch_free() removes
 * what was not committed. Fault points "repo-metadata-sync",
 * "repo-metadata-link".
 */
struct sw_repo_batch;
int sw_repo_batch_add(struct sw_repo *repo, struct sw_repo_batch **b, const char *rel,
                      const void *bytes, size_t len, struct sw_error *err);
int sw_repo_batch_commit(struct sw_repo *repo, struct sw_repo_batch *b, struct sw_error *err);
void sw_repo_batch_free(struct sw_repo_batch *b);

/* Read metadata/rel (at most SW_MD_MAX_LEN); -SW_E_NOTFOUND when missing. */
int sw_repo_read_metadata(const char *metadata_dir, const char *rel, unsigned char **ret,
                          size_t *ret_len, struct sw_error *err);

/*
 * Copy the file at src into targets/ under "[dir/]HASH.NAME" for its
 * sha256 and its sha512 (one inode, two names), durably. *ret_info is a
 * new {"length": N, "hashes": {"sha256": ..., "sha512": ...}}.
 */
int sw_repo_import_target(struct sw_repo *repo, const char *src, const char *path,
                          json_t **ret_info, struct sw_error *err);

/*
 * The same, for one of many targets imported by one command (batch): no
 * fsync of the file or its directory; the caller makes every imported
 * file durable at once with sw_repo_sync_targets() before the metadata
 * that names them is written. The bytes are streamed through EVP
 * (sw_hash) once, for both digests.
 */
int sw_repo_import_target_batch(struct sw_repo *repo, const char *src, const char *path, int batch,
                                json_t **ret_info, struct sw_error *err);

/*
 * Stream the file at src once and hash it: *ret_info is a new
 * {"length": N, "hashes": {"sha256": ..., "sha512": ...}}. Copies nothing.
 */
int sw_repo_hash_file(const char *src, json_t **ret_info, struct sw_error *err);

/*
 * Remember that target path (of role) is to be copied from src (made
 * absolute here) at commit, with info as sw_repo_hash_file() made it
 * (borrowed). Written by sw_repo_save().
 */
int sw_repo_note_source(struct sw_repo *repo, const char *path, const char *role, const char *src,
                        const json_t *info, struct sw_error *err);

/*
 * Copy into targets/ the source of every target a staged role lists with
 * the hashes its source was added with (skipping files already there),
 * streaming each once and checking its length and hashes again while
 * copying: a file changed since 'add' is -SW_E_HASH naming it, and nothing
 * of it is left under targets/. Then every copied file is made durable,
 * before the caller writes metadata. *ret_copied: how many were copied.
 */
int sw_repo_copy_sources(struct sw_repo *repo, size_t *ret_copied, struct sw_error *err);

/* Make every file written under targets/ durable: one syncfs() of its file system. */
int sw_repo_sync_targets(const struct sw_repo *repo, struct sw_error *err);

#endif
