/* SPDX-License-Identifier: MIT */
/*
 * Private to slipway-repo and its test tools: a key directory seen as a
 * key ring. Where it may live (never inside the repository it signs), the
 * public keys it holds by name and key id, unlocking secret keys with one
 * passphrase (asking again on a terminal for a key it does not open), and
 * adding a signature to a metadata envelope. Key files are keyfile.h's.
 */
#ifndef SLIPWAY_REPO_KEYRING_H
#define SLIPWAY_REPO_KEYRING_H

#include "keyfile.h"

#include <slipway/error.h>
#include <slipway/key.h>

#include <jansson.h>
#include <stddef.h>

/* Most NAME.pub files read from one key directory. */
#define SW_KEYRING_MAX_KEYS 4096
/* Passphrase questions for one key on a terminal before giving up. */
#define SW_KEYRING_TTY_TRIES 3

/*
 * Refuse a key directory that is the repository, lies inside it or holds
 * it (-SW_E_REPO_KEYDIR): whatever is in the repository tree gets served.
 * Either may not exist yet; they are compared by their real paths (the
 * nearest existing ancestor resolved, symbolic links followed).
 */
int sw_keyring_check_placement(const char *key_dir, const char *repo_dir, struct sw_error *err);

struct sw_keyring;

/*
 * Open key_dir (which must exist) and read every NAME.pub in it; a .pub
 * that is not a valid public key is skipped with a debug message. With
 * pass_file non-NULL the passphrase comes from that file, else from the
 * terminal when first needed. Strings are copied. Free with
 * sw_keyring_free().
 */
int sw_keyring_open(const char *key_dir, const char *pass_file, struct sw_keyring **ret,
                    struct sw_error *err);

void sw_keyring_free(struct sw_keyring *kr);

const char *sw_keyring_dir(const struct sw_keyring *kr);

/* The name of the key with this id in the ring, or NULL. */
const char *sw_keyring_name_of(const struct sw_keyring *kr, const char *keyid);
/* Whether the ring holds NAME.sec for the key with this id. */
int sw_keyring_can_sign(const struct sw_keyring *kr, const char *keyid);

/*
 * Resolve a key as a command line gives it: "NAME" (NAME.pub in kr's
 * directory; kr may be NULL only for paths) or a path to a .pub file (it
 * holds '/' or ends in ".pub"). *ret_key is a new reference to the public
 * key object, ret_id its TUF key id, *ret_name (caller frees) the name.
 */
int sw_keyring_resolve_public(const struct sw_keyring *kr, const char *arg, json_t **ret_key,
                              char ret_id[SW_KEY_ID_HEX_SIZE], char **ret_name,
                              struct sw_error *err);

/*
 * Unlock the key with this name (NAME.sec in the ring's directory) and
 * return it, borrowed from the ring (kept for later calls, wiped at
 * sw_keyring_free). The first key unlocked asks for the passphrase (from
 * the file, else on the terminal); later keys try the same one first and,
 * on a terminal, ask again for a key it does not open.
 */
int sw_keyring_unlock(struct sw_keyring *kr, const char *name, struct sw_signer **ret,
                      struct sw_error *err);

/* Use pass (taken over, freed by the ring) as the passphrase tried first. */
void sw_keyring_set_passphrase(struct sw_keyring *kr, struct sw_passphrase *pass);

/* The key id of an unlocked key (of its public key object). */
int sw_keyring_signer_id(const struct sw_signer *s, char ret_id[SW_KEY_ID_HEX_SIZE],
                         struct sw_error *err);

/*
 * Sign envelope["signed"] (its canonical form) with s and put the
 * signature in envelope["signatures"] under keyid, replacing one by the
 * same key id. envelope is modified in place (borrowed).
 */
int sw_keyring_sign_envelope(json_t *envelope, struct sw_signer *s, const char *keyid,
                             struct sw_error *err);

/*
 * The same with the canonical form of envelope["signed"] already made
 * (canonical, len: borrowed; the caller made them from this envelope), so
 * that signing with several keys encodes the document once.
 */
int sw_keyring_sign_canonical(json_t *envelope, struct sw_signer *s, const char *keyid,
                              const void *canonical, size_t len, struct sw_error *err);

#endif
