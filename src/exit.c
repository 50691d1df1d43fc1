/* SPDX-License-Identifier: MIT */
/*
 * The exit-code scheme of both programs: one mapping from SW_E_* codes,
 * so slipway and slipway-repo give the same number for the same kind of
 * failure.
 */
#include <slipway/error.h>
#include <slipway/exit.h>

#include <stddef.h>

int
sw_exit_code(int r)
{
    int code = r < 0 ? -r : r;

    switch (code) {
    case SW_OK:
        return SW_EXIT_OK;
    case SW_E_USAGE:
        return SW_EXIT_USAGE;
    case SW_E_BUSY:
        return SW_EXIT_LOCKED;
    case SW_E_CHECK:
        return SW_EXIT_CHECK;
    case SW_E_ROLLED_BACK:
        return SW_EXIT_ROLLED_BACK;
    case SW_E_DECLINED:
        return SW_EXIT_DECLINED;
    case SW_E_PASSPHRASE:
    case SW_E_WEAK_PASSPHRASE:
    case SW_E_REPO_KEYDIR:
    case SW_E_KEYFILE:
        return SW_EXIT_KEYS;
    case SW_E_REPO_UNSIGNED:
        return SW_EXIT_UNSIGNED;
    case SW_E_REPO_INVALID:
        return SW_EXIT_TRUST;
    case SW_E_UPDATE_STATE:
    case SW_E_DOWNGRADE:
        return SW_EXIT_REFUSED;
    case SW_E_BUNDLE:
    case SW_E_NOSPACE:
        return SW_EXIT_BUNDLE;
    case SW_E_SLOT:
    case SW_E_SLOT_MISMATCH:
        return SW_EXIT_SLOT;
    default:
        break;
    }
    if (code >= 100 && code < 200)
        return SW_EXIT_CONFIG;
    if (code >= 200 && code < 300)
        return SW_EXIT_STORE;
    if ((code >= 300 && code < 400) || (code >= 500 && code < 600))
        return SW_EXIT_TRUST;
    if (code >= 400 && code < 500)
        return SW_EXIT_FETCH;
    return SW_EXIT_FAILURE;
}
