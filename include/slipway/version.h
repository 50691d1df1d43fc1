/* SPDX-License-Identifier: MIT */
/*
 * Release versions as targets carry them in custom.slipway.version and
 * min_client: checking their form and ordering them. Semantic Versioning
 * extended to any number of release fields: "1.2", "1.2.3", "2024.11.0.4",
 * with an optional "-prerelease" (before the release) and "+build" (ignored
 * for ordering). What a version is compared with is left to callers.
 */
#ifndef SLIPWAY_VERSION_H
#define SLIPWAY_VERSION_H

#include <slipway/error.h>

#define SW_VERSION_MAX_LEN 64

/*
 * 0 when s is a valid version: 1-64 bytes; release fields of digits
 * separated by '.', without leading zeros; optionally '-' and dot-separated
 * prerelease identifiers of [0-9A-Za-z-]; optionally '+' and build
 * identifiers of the same. -SW_E_INVAL with what is wrong otherwise.
 */
int sw_version_check(const char *s, struct sw_error *err);

/*
 * Order two valid versions: <0, 0 or >0. Release fields compare
 * numerically ("1.10" > "1.9", "1.0" == "1.0.0"); a prerelease comes before
 * its release ("1.0.0-rc.1" < "1.0.0"); prerelease identifiers compare as
 * in Semantic Versioning 2.0.0; build metadata is ignored. The caller must
 * have checked both.
 */
int sw_version_cmp(const char *a, const char *b);

#endif
