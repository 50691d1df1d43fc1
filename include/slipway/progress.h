/* SPDX-License-Identifier: MIT */
/*
 * Progress rendering for the command layer: a one-line bar (bytes, rate,
 * ETA) for a terminal, and a JSON-lines stream for front ends
 * (--progress-fd N; schema version SW_PROGRESS_SCHEMA, docs/progress.md).
 * It consumes the fetch module's progress events, labelled with what they
 * are for; when to show what (terminal, -q) is decided by the command layer.
 */
#ifndef SLIPWAY_PROGRESS_H
#define SLIPWAY_PROGRESS_H

#include <slipway/error.h>
#include <slipway/fetch.h>

struct sw_progress;

/*
 * A renderer that draws a bar on bar_fd (a terminal; -1 for none) and
 * writes one JSON object per event and line to json_fd (-1 for none). The
 * descriptors are borrowed and must stay open until sw_progress_free().
 */
int sw_progress_new(int bar_fd, int json_fd, struct sw_progress **ret_progress,
                    struct sw_error *err);

/* 1 when a bar belongs on fd: it is a terminal, not quiet, and TERM is not "dumb". */
int sw_progress_want_bar(int fd, int quiet);

/* A sw_fetch_progress_fn: pass it with the struct sw_progress as its ctx. */
void sw_progress_fetch(void *ctx, const struct sw_fetch_progress *p);

/* The "version" of every JSON line (docs/progress.md, docs/progress.schema.json). */
#define SW_PROGRESS_SCHEMA 1

/* A rate (and so an ETA) is reported only after this many seconds of a request. */
#define SW_PROGRESS_RATE_AFTER 0.5

/*
 * What the downloads that follow are for, until the next call: the
 * metadata of role, or target (one of them, copied; NULL for both clears
 * it). With probe, a "not found" is the expected end (the next-root probe)
 * and is reported as the event "absent", with no error. Events carry the
 * role or target and the workflow step: 1 root, 2 timestamp, 3 snapshot,
 * 4 targets, 5 delegated roles of 5; a target's download is step 1 of 1
 * (of 2 for stage, sw_progress_set_target_steps). pr may be NULL.
 */
void sw_progress_set_item(struct sw_progress *pr, const char *role, const char *target, int probe);

/* How many steps a target takes in this command: 1 (fetch), 2 (stage: download, extract). */
void sw_progress_set_target_steps(struct sw_progress *pr, int steps);

/* The events that follow are the extraction of target: kind "extract", the last step. */
void sw_progress_set_extract(struct sw_progress *pr, const char *target);

/* Human-readable size into out ("512 B", "1.5 KiB", "256.0 MiB"). */
void sw_progress_format_bytes(uint64_t n, char *out, size_t outlen);

void sw_progress_free(struct sw_progress *pr);

#endif
