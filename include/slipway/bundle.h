/* SPDX-License-Identifier: MIT */
/*
 * Bundles: a tar archive (uncompressed, gzip, xz or zstd) holding the whole
 * tree of one slot, checked against verified targets metadata and then
 * extracted safely with libarchive into an empty directory. Owns every rule
 * of what a bundle may contain (paths, links, special files, caps, modes,
 * ownership, xattrs). Choosing the slot, emptying it on refusal and making
 * the tree durable (one syncfs) are the slot backend's; the state machine is
 * the update module's.
 */
#ifndef SLIPWAY_BUNDLE_H
#define SLIPWAY_BUNDLE_H

#include <slipway/error.h>
#include <slipway/metadata.h>

#include <stdbool.h>
#include <stdint.h>

/* Defaults of the [stage] settings (documented in slipway.conf(5)). */
#define SW_BUNDLE_DEFAULT_MAX_BYTES (16ULL << 30)      /* 16 GiB of file data in all */
#define SW_BUNDLE_DEFAULT_MAX_ENTRIES 1000000ULL       /* archive entries */
#define SW_BUNDLE_DEFAULT_MAX_ENTRY_BYTES (8ULL << 30) /* one file */
#define SW_BUNDLE_DEFAULT_RESERVE_BYTES (64ULL << 20)  /* kept free on the slot's filesystem */
#define SW_BUNDLE_MAX_PATH 4096                        /* bytes of one entry's path */
#define SW_BUNDLE_MAX_NAME 255                         /* bytes of one path component */

/* What a bundle may do; sw_bundle_limits_init() sets the documented defaults. */
struct sw_bundle_limits {
    uint64_t max_bytes;       /* total bytes of regular file data */
    uint64_t max_entries;     /* archive entries of every kind */
    uint64_t max_entry_bytes; /* one regular file */
    uint64_t reserve_bytes;   /* free space that must remain after extraction */
    bool allow_devices;       /* character and block device nodes (root only) */
    bool allow_fifos;         /* named pipes */
    bool keep_setid;          /* keep setuid/setgid bits (stripped by default) */
    bool keep_xattrs;         /* restore extended attributes */
    bool restore_owner;       /* restore uid/gid; only honoured when running as root */
};

void sw_bundle_limits_init(struct sw_bundle_limits *lim);

/* What an extraction did. */
struct sw_bundle_stats {
    uint64_t entries;      /* archive entries written */
    uint64_t bytes;        /* bytes of regular file data written */
    uint64_t bundle_bytes; /* length of the bundle file */
    double hash_seconds;   /* checking the bundle against metadata */
    double extract_seconds;
};

/*
 * Called now and then during a long extraction, from the calling thread,
 * with the bytes of the bundle consumed so far and its length (the last
 * call has done == total); may be NULL.
 */
typedef void (*sw_bundle_progress_fn)(void *ctx, uint64_t done_bytes, uint64_t total_bytes);

/*
 * Check the bundle file at `path` against `info` (length and every hash,
 * from verified targets metadata: borrowed) and extract it into the
 * directory `dirfd` (borrowed; must be empty; nothing is ever written
 * outside it). The file is opened once (O_NOFOLLOW, regular file only),
 * checked from that descriptor, and extracted from the same descriptor, so
 * the bytes extracted are the bytes checked even if the path is replaced.
 * Free space on dirfd's filesystem is checked before writing (bundle
 * length plus lim->reserve_bytes). No sync is done here.
 *
 * Errors: -SW_E_LENGTH / -SW_E_HASH when the file is not the target;
 * -SW_E_BUNDLE when the archive breaks a rule, with err naming the entry
 * and the rule ("entry 'x/../y': path holds a '..' component");
 * -SW_E_LIMIT for a cap (naming the setting that raises it);
 * -SW_E_NOSPACE for free space; -SW_E_INVAL when dirfd is not empty;
 * -SW_E_UNSUPPORTED / -SW_E_METADATA for a hash the metadata names that
 * cannot be checked. lim is borrowed; NULL means the defaults. The rules
 * are in docs/staging.md. On error the directory may hold part of the
 * tree: the caller empties it.
 */
int sw_bundle_extract(const char *path, const struct sw_md_fileinfo *info, int dirfd,
                      const struct sw_bundle_limits *lim, sw_bundle_progress_fn progress,
                      void *progress_ctx, struct sw_bundle_stats *ret_stats, struct sw_error *err);

/*
 * Check only: does the file at `path` have the length and hashes of
 * `info`? 0, -SW_E_LENGTH, -SW_E_HASH, -SW_E_NOTFOUND or -SW_E_IO.
 */
int sw_bundle_check(const char *path, const struct sw_md_fileinfo *info, struct sw_error *err);

#endif
