/* SPDX-License-Identifier: MIT */
/*
 * Careful file-system primitives: bounded reads that refuse links and
 * non-regular files, atomic replacement (temporary file, fsync, rename,
 * fsync of the directory) with fault points, and private directories.
 * Deciding which paths are trusted is left to callers.
 */
#ifndef SLIPWAY_FS_H
#define SLIPWAY_FS_H

#include <slipway/error.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Read a whole regular file of at most max bytes (a larger one is
 * -SW_E_LIMIT). The final component must not be a symlink. On success
 * *ret_buf (caller frees) is NUL-terminated and *ret_len excludes the NUL.
 */
int sw_fs_read_file(const char *path, size_t max, unsigned char **ret_buf, size_t *ret_len,
                    struct sw_error *err);

/*
 * sw_fs_read_file() of a file that must be private: any group or other
 * permission bit is -SW_E_PERM naming the chmod that fixes it (checked on
 * the open file, so it cannot change in between).
 */
int sw_fs_read_private(const char *path, size_t max, unsigned char **ret_buf, size_t *ret_len,
                       struct sw_error *err);

/*
 * Replace path atomically with len bytes of data and the given mode:
 * a temporary file in the same directory, fsync, rename, fsync of the
 * directory. Fault points: "fs-write-fsync", "fs-write-rename".
 */
int sw_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                       struct sw_error *err);

/*
 * sw_fs_write_atomic() without the fsync of the directory: for a batch of
 * files in one directory, which the caller makes durable with one
 * sw_fs_fsync_dir() after the last (before anything depends on them).
 */
int sw_fs_write_replace(const char *path, const void *data, size_t len, mode_t mode,
                        struct sw_error *err);
/* Create a new file exclusively (O_EXCL) with mode and the given bytes, durably. */
int sw_fs_write_new(const char *path, const void *data, size_t len, mode_t mode,
                    struct sw_error *err);

/* fsync a directory, so renames and creations in it are durable. */
int sw_fs_fsync_dir(const char *dir, struct sw_error *err);

/* fsync the directory that holds path. */
int sw_fs_fsync_parent(const char *path, struct sw_error *err);

/* mkdir -p; new components get mode. Existing ones are left alone. */
int sw_fs_mkdir_p(const char *path, mode_t mode, struct sw_error *err);

/*
 * Make sure path is a private directory: created 0700 (with parents) when
 * missing; otherwise it must be a real directory (not a symlink), owned by
 * the effective user, with no group or other permission bits.
 */
int sw_fs_private_dir(const char *path, struct sw_error *err);

/* "a" + "/" + "b" (no doubled slash), or NULL when out of memory. Caller frees. */
char *sw_fs_join(const char *a, const char *b);

/* 1 if path exists (without following a final symlink), 0 if not, <0 on error. */
int sw_fs_exists(const char *path, struct sw_error *err);

/* Remove a file; a missing file is not an error. */
int sw_fs_unlink(const char *path, struct sw_error *err);

#endif
