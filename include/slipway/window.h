/* SPDX-License-Identifier: MIT */
/*
 * Maintenance windows: when an unattended run may promote. Parses
 * [slipway] maintenance-window ("Mon-Fri 02:00-04:00, Sat,Sun 00:00-24:00",
 * local time; see slipway.conf(5)) and answers whether a time is inside
 * and when the window opens next. Reading the clock is the caller's.
 */
#ifndef SLIPWAY_WINDOW_H
#define SLIPWAY_WINDOW_H

#include <slipway/error.h>

#include <stdbool.h>
#include <time.h>

#define SW_WINDOW_SPEC_MAX 1024 /* longest maintenance-window value accepted */

struct sw_window;

/*
 * Parse spec: ranges separated by commas, each "DAYS HH:MM-HH:MM" where
 * DAYS is a day (Mon..Sun), a range of days (Mon-Fri, Fri-Mon), several of
 * them separated by commas, or absent (every day). 24:00 may end a range;
 * a range whose end is before its start runs past midnight into the next
 * day. An empty spec (or NULL) is a window that is always open. On
 * success *ret owns a new window (free with sw_window_free()).
 */
int sw_window_parse(const char *spec, struct sw_window **ret, struct sw_error *err);

void sw_window_free(struct sw_window *w);

/* Whether the window is always open (empty spec). */
bool sw_window_always(const struct sw_window *w);

/*
 * Whether now (local time, as TZ says) is inside w: *open; *next_open is
 * now when open, else the first minute the window opens after now (local
 * time, across DST changes). w NULL is always open. Returns 0, or
 * -SW_E_INVAL when the local time cannot be computed.
 */
int sw_window_open(const struct sw_window *w, time_t now, bool *open, time_t *next_open);

#endif
