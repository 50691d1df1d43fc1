/* SPDX-License-Identifier: MIT */
/*
 * Public keys as TUF metadata carries them, and signature verification:
 * ed25519 (libsodium), ecdsa-sha2-nistp256 and RSA (PSS or PKCS#1 v1.5,
 * SHA-256) through libcrypto. Verification only: this module contains no
 * signing code. Which keys are trusted for what is left to the metadata
 * and trust modules.
 */
#ifndef SLIPWAY_KEY_H
#define SLIPWAY_KEY_H

#include <slipway/error.h>

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Longest key id accepted (printable ASCII, no space). */
#define SW_KEY_ID_MAX 128
/* A computed key id: lowercase hex SHA-256 plus NUL. */
#define SW_KEY_ID_HEX_SIZE 65
/* Longest keyval.public string accepted. */
#define SW_KEY_MAX_PUBLIC 16384
/* Longest signature accepted, in bytes (hex is twice as long). */
#define SW_KEY_MAX_SIG 1024
/* RSA modulus sizes accepted, in bits. */
#define SW_KEY_RSA_MIN_BITS 2048
#define SW_KEY_RSA_MAX_BITS 8192

struct sw_key;

/*
 * A key from its TUF key object {"keytype", "scheme", "keyval": {"public"}}
 * (other members are allowed and ignored). Supported pairs:
 *   ed25519 / ed25519                    keyval.public: 64 hex characters
 *   ecdsa or ecdsa-sha2-nistp256 /
 *     ecdsa-sha2-nistp256                PEM SubjectPublicKeyInfo, P-256
 *   rsa / rsassa-pss-sha256,
 *   rsa / rsa-pkcs1v15-sha256            PEM SubjectPublicKeyInfo, 2048-8192 bits
 * keyid is the id the metadata gives; it is kept as given, never recomputed.
 * Errors: -SW_E_KEY for a malformed key object, key id or public key;
 * -SW_E_UNSUPPORTED for another key type or scheme (TUF: such a key is not
 * fatal, it just never counts). keyid and keyobj are borrowed; on success
 * *ret is new: free with sw_key_free().
 */
int sw_key_from_json(const char *keyid, const json_t *keyobj, struct sw_key **ret,
                     struct sw_error *err);

/*
 * Check a hex signature (as in metadata "sig") over msg. 0 when valid;
 * -SW_E_SIGNATURE when it does not verify or is malformed or empty.
 */
int sw_key_verify(const struct sw_key *k, const void *msg, size_t len, const char *sig_hex,
                  struct sw_error *err);

/* The key id given at creation. */
const char *sw_key_id(const struct sw_key *k);
/* The keytype and scheme as given ("ecdsa", "ecdsa-sha2-nistp256", ...). */
const char *sw_key_type(const struct sw_key *k);
const char *sw_key_scheme(const struct sw_key *k);

/*
 * True when both hold the same public key material (whatever their ids or
 * schemes): a threshold counts such keys once.
 */
bool sw_key_same_material(const struct sw_key *a, const struct sw_key *b);

/*
 * SHA-256 of the key's public material (32 bytes, borrowed from k): what
 * sw_key_same_material() compares. For the trust module's verify-once
 * bindings.
 */
#define SW_KEY_FINGERPRINT_SIZE 32
const unsigned char *sw_key_fingerprint(const struct sw_key *k);

void sw_key_free(struct sw_key *k);

/*
 * The TUF key id of a key object: lowercase hex SHA-256 of its canonical
 * JSON, the whole object exactly as it appears (what python-tuf computes).
 * Used to make ids (slipway-repo), never to check the ids metadata gives.
 */
int sw_key_id_compute(const json_t *keyobj, char ret_id[SW_KEY_ID_HEX_SIZE], struct sw_error *err);

/* True when id is an acceptable key id: 1..SW_KEY_ID_MAX printable ASCII, no space. */
bool sw_key_id_valid(const char *id);

#endif
