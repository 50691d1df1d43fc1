/* SPDX-License-Identifier: MIT */
/*
 * Progress rendering for the command layer: a one-line bar (bytes, rate,
 * ETA) for a terminal, and a JSON-lines stream for front ends
 * (--progress-fd N). It consumes the fetch module's progress events; when
 * to show what (terminal, -q) is decided by the command layer.
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

/* Human-readable size into out ("512 B", "1.5 KiB", "256.0 MiB"). */
void sw_progress_format_bytes(uint64_t n, char *out, size_t outlen);

void sw_progress_free(struct sw_progress *pr);

#endif
