/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the cmocka unit tests: temporary directories that are
 * removed afterwards, small file helpers, and where the source tree is.
 * Every function fails the running test on error instead of returning one.
 */
#ifndef SLIPWAY_TESTUTIL_H
#define SLIPWAY_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* A new empty directory (mode 0700) under $TMPDIR; caller frees the string. */
char *tu_tmpdir(void);

/* rm -rf; never follows symlinks. */
void tu_rmtree(const char *path);

/* dir + "/" + name; caller frees. */
char *tu_path(const char *dir, const char *name);

/* Write bytes to path (created 0600, truncated). */
void tu_write(const char *path, const void *data, size_t len);
void tu_write_str(const char *path, const char *text);

/* Whole file, NUL-terminated; *len may be NULL. Caller frees. */
unsigned char *tu_read(const char *path, size_t *len);

/* Root of the source tree ($SW_SRCDIR, default "."), for tests/vectors. */
const char *tu_srcdir(void);

/* Source-tree path; caller frees. */
char *tu_src_path(const char *rel);

#endif
