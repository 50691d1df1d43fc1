/* SPDX-License-Identifier: MIT */
/*
 * Exit codes: the one scheme shared by slipway and slipway-repo, and the
 * one mapping from error codes to it. Documented in docs/exit-codes.md and
 * in the EXIT STATUS section of slipway(1) and slipway-repo(1). Never
 * renumber; a new kind of failure gets a new number.
 */
#ifndef SLIPWAY_EXIT_H
#define SLIPWAY_EXIT_H

enum sw_exit {
    SW_EXIT_OK = 0,           /* success (for update: nothing to do) */
    SW_EXIT_FAILURE = 1,      /* the operation failed (files, arguments, state) */
    SW_EXIT_USAGE = 2,        /* bad command line */
    SW_EXIT_CONFIG = 3,       /* the configuration is wrong, unreadable or unsafe */
    SW_EXIT_STORE = 4,        /* the state directory or store is unusable */
    SW_EXIT_TRUST = 5,        /* verification refused the repository, a document or a target */
    SW_EXIT_FETCH = 6,        /* no mirror could deliver */
    SW_EXIT_KEYS = 7,         /* a key file, key directory or passphrase was refused */
    SW_EXIT_UNSIGNED = 8,     /* nothing was published: a signature threshold is not met */
    SW_EXIT_REFUSED = 9,      /* the update is not in a state that allows this, or a downgrade */
    SW_EXIT_BUNDLE = 10,      /* a bundle breaks an extraction rule, or there is no space */
    SW_EXIT_SLOT = 11,        /* a slot operation failed, or the slots disagree with the store */
    SW_EXIT_CHECK = 12,       /* a required pre-promote check failed: promotion refused */
    SW_EXIT_ROLLED_BACK = 13, /* promoted, a required post-promote check failed: rolled back */
    SW_EXIT_UPDATED = 14,     /* update: a new version was installed and committed */
    SW_EXIT_STAGED = 15,      /* update: a new version is staged and checked, not promoted */
    SW_EXIT_DECLINED = 16,    /* update: policy, a hold or the window declined an update */
    SW_EXIT_LOCKED = 17,      /* another slipway holds the lock */
    SW_EXIT__MAX = SW_EXIT_LOCKED,
};

/* The exit code for an error code (positive or negated SW_E_*; 0 is SW_EXIT_OK). */
int sw_exit_code(int r);

#endif
