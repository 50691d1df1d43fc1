/* SPDX-License-Identifier: MIT */
/*
 * Private to the store: the embedded migrations generated at build time
 * from schema/NNNN-name.sql by contrib/embed-schema.sh.
 */
#ifndef SLIPWAY_STORE_INT_H
#define SLIPWAY_STORE_INT_H

#include <stddef.h>

struct sw_migration {
    int version;      /* 1, 2, ... in order */
    const char *name; /* "0001-init" */
    const char *sql;  /* the file's text */
};

extern const struct sw_migration sw_migrations[];
extern const size_t sw_n_migrations;

struct sw_store;
struct sw_error;

/*
 * sw_store_open() with another list of migrations, so tests can open a store
 * as an older or a newer program would.
 */
int sw_store_open_migrations(const char *state_dir, unsigned flags, const struct sw_migration *migs,
                             size_t n_migs, struct sw_store **ret_store, struct sw_error *err);

#endif
