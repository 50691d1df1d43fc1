/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for crash tests. SW_FAULT("name") marks a point before an
 * fsync, rename or other step whose interruption must be survivable. Only
 * test builds (-DSW_FAULT_INJECTION) compile the points in; elsewhere each
 * is the constant 0.
 *
 * In a test build, SLIPWAY_FAULT=NAME[@N][:crash|:fail] makes the N-th hit
 * (default the first) of point NAME either kill the process with SIGKILL
 * (crash, the default) or make SW_FAULT() return 1 so the caller fails
 * with SW_E_FAULT (fail).
 *
 * SLIPWAY_FAULT_LIST=FILE appends the name of every point hit, one per line
 * and hit, to FILE: the crash tests run a scenario once with it to learn
 * every point on the path (and how often each is hit), so a new point is
 * covered without editing a test.
 */
#ifndef SLIPWAY_FAULT_H
#define SLIPWAY_FAULT_H

#ifdef SW_FAULT_INJECTION
int sw_fault_hit(const char *name);
#define SW_FAULT(name) sw_fault_hit(name)
#else
#define SW_FAULT(name) 0
#endif

#endif
