/* SPDX-License-Identifier: MIT */
/*
 * Private to the slot module: the backends' tables (one source file each,
 * src/slot-<name>.c, as SQLite keeps one file per VFS) and a way for tests
 * to open a backend from a table that is not in the registry.
 */
#ifndef SLIPWAY_SLOT_INT_H
#define SLIPWAY_SLOT_INT_H

#include <slipway/slot.h>

/* The `dir` backend (src/slot-dir.c). */
extern const struct sw_slot_ops sw_slot_dir_ops;

/*
 * sw_slot_open() with an explicit table (borrowed, outlives the backend),
 * checked the same way: its version and that every operation is set.
 * For tests (a table of another version, a fake backend).
 */
int sw_slot_open_ops(const struct sw_slot_ops *ops, const struct sw_config *cfg,
                     struct sw_slot_backend **ret_backend, struct sw_error *err);

#endif
