/* SPDX-License-Identifier: MIT */
/*
 * Private to slipway-repo: checking a repository tree as a client would,
 * from a trusted root, and reporting every problem found rather than the
 * first. Parsing and signature thresholds are the metadata module's; the
 * client's own workflow (trust.h) stops at the first failure and fetches
 * over the network, which is not what a publisher's report needs.
 */
#ifndef SLIPWAY_REPO_CHECK_H
#define SLIPWAY_REPO_CHECK_H

#include <slipway/error.h>

#include <jansson.h>
#include <stddef.h>
#include <time.h>

/* Most problems listed in one report (the count goes on). */
#define SW_CHECK_MAX_LISTED 1000

struct sw_check_opts {
    const char *dir;       /* the repository: DIR/metadata/, DIR/targets/ */
    const char *root_file; /* the trusted root; NULL: DIR/metadata/1.root.json */
    time_t now;            /* expiry is checked against this */
    int skip_target_files; /* do not read target files */
};

/*
 * Walk from the trusted root through every N.root.json (each signed by the
 * previous root's threshold and its own, versions consecutive), then
 * timestamp, snapshot, every targets role reachable by delegation
 * (pre-order, each once) and every target file (HASH.NAME for each hash):
 * signatures and thresholds, versions against the links that name them,
 * lengths and hashes, expiry, paths within delegations, copies such as
 * root.json that must equal their versioned file, and versions newer than
 * what links to them (a stale snapshot or timestamp). *ret_report is a
 * new object: {"ok", "root_version", "problems": [{"file", "check",
 * "message"}], "roles": [...], "targets": [...]}; *ret_problems counts
 * the problems. Returns 0 whatever it finds; < 0 only when it could not
 * work (out of memory).
 */
int sw_repo_check(const struct sw_check_opts *o, json_t **ret_report, size_t *ret_problems,
                  struct sw_error *err);

#endif
