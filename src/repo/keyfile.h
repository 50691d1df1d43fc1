/* SPDX-License-Identifier: MIT */
/*
 * Private to slipway-repo: the publisher's key pairs, one per name in a key
 * directory (NAME.pub, the TUF public key object; NAME.sec, the secret key
 * encrypted under a passphrase, see docs/keyfile.md), and signing with them.
 * Key ids, canonical JSON and verification belong to other modules. The
 * client must never reference this module: it holds all the signing code.
 */
#ifndef SLIPWAY_REPO_KEYFILE_H
#define SLIPWAY_REPO_KEYFILE_H

#include "passphrase.h"

#include <slipway/error.h>

#include <jansson.h>
#include <stddef.h>

/* Key types slipway-repo makes. Stored in NAME.sec: never renumber. */
enum sw_key_type {
    SW_KEY_ED25519 = 1,    /* keytype/scheme "ed25519" (libsodium) */
    SW_KEY_ECDSA_P256 = 2, /* keytype "ecdsa", scheme "ecdsa-sha2-nistp256" (libcrypto) */
};

/* "ed25519", "ecdsa" */
const char *sw_key_type_to_string(enum sw_key_type type);
/* Accepts "ed25519", "ecdsa" and "ecdsa-sha2-nistp256"; else -SW_E_UNSUPPORTED. */
int sw_key_type_from_string(const char *name, enum sw_key_type *ret_type, struct sw_error *err);

/*
 * Argon2id cost of a new NAME.sec: libsodium's crypto_pwhash_*_INTERACTIVE
 * (2 passes, 64 MiB, the default), _MODERATE (3, 256 MiB) and _SENSITIVE
 * (4, 1 GiB). The cost is stored in the file, so loading needs no level.
 */
enum sw_kdf_level {
    SW_KDF_INTERACTIVE = 0,
    SW_KDF_MODERATE = 1,
    SW_KDF_SENSITIVE = 2,
};

/* "interactive", "moderate", "sensitive" */
const char *sw_kdf_level_to_string(enum sw_kdf_level level);
int sw_kdf_level_from_string(const char *name, enum sw_kdf_level *ret_level, struct sw_error *err);

/* A key name: [A-Za-z0-9][A-Za-z0-9._-]*, at most this many bytes. */
#define SW_KEY_NAME_MAX 64
/* Largest NAME.pub and NAME.sec read. */
#define SW_MAX_KEYFILE_PUB 4096
#define SW_MAX_KEYFILE_SEC 4096

/* 0 when name is a valid key name, else -SW_E_INVAL saying what is allowed. */
int sw_keyfile_check_name(const char *name, struct sw_error *err);

/*
 * Make a new key pair DIR/NAME.pub and DIR/NAME.sec (both created
 * exclusively with mode 0600, fsync'd, then the directory fsync'd). DIR is
 * created with mode 0700 when missing. An existing NAME.pub or NAME.sec is
 * never overwritten: -SW_E_EXISTS. The passphrase must pass
 * sw_passphrase_check_strength() (-SW_E_WEAK_PASSPHRASE). On success, when
 * ret_public is non-NULL, *ret_public is the public key object (caller
 * json_decref()s it).
 */
int sw_keyfile_generate(const char *dir, const char *name, enum sw_key_type type,
                        const struct sw_passphrase *pass, enum sw_kdf_level level,
                        json_t **ret_public, struct sw_error *err);

/*
 * Read and check DIR/NAME.pub: exactly keytype, scheme and keyval.public of
 * a type above, ed25519 as 64 lowercase hex digits, ecdsa as a PEM
 * SubjectPublicKeyInfo of a P-256 key. *ret_public: caller json_decref()s.
 */
int sw_keyfile_load_public(const char *dir, const char *name, json_t **ret_public,
                           struct sw_error *err);

/*
 * Check a public key object as sw_keyfile_load_public() does (what names
 * the object in messages). On success *ret_type is its type and, when
 * ret_raw is non-NULL, *ret_raw (caller free()s) the raw public key: 32
 * bytes for ed25519, the DER SubjectPublicKeyInfo for ecdsa.
 */
int sw_keyfile_public_check(const json_t *key, const char *what, enum sw_key_type *ret_type,
                            unsigned char **ret_raw, size_t *ret_raw_len, struct sw_error *err);

/* An unlocked secret key, ready to sign. Opaque. */
struct sw_signer;

/*
 * Decrypt DIR/NAME.sec with pass. The file must be a regular file, not a
 * symbolic link, with no group or other permission bits (-SW_E_KEYFILE with
 * the chmod to run). A wrong passphrase or a damaged file is
 * -SW_E_PASSPHRASE; a file that is not a slipway secret key, or is
 * truncated, is -SW_E_KEYFILE; a newer format version is -SW_E_UNSUPPORTED.
 * When DIR/NAME.pub exists it must hold the same public key (-SW_E_KEYFILE
 * otherwise) and its object becomes the signer's public key object (so
 * the key id is the one computed from NAME.pub); without it the object is
 * derived from the secret key.
 * Free *ret_signer with sw_signer_free().
 */
int sw_keyfile_load_signer(const char *dir, const char *name, const struct sw_passphrase *pass,
                           struct sw_signer **ret_signer, struct sw_error *err);

/*
 * Sign len bytes of msg (for TUF: the canonical JSON of "signed"). On
 * success *ret_sig_hex (caller free()s) is lowercase hex: 128 digits for
 * ed25519; for ecdsa the DER ECDSA-Sig-Value over SHA-256 of msg.
 */
int sw_signer_sign(struct sw_signer *s, const void *msg, size_t len, char **ret_sig_hex,
                   struct sw_error *err);

/* Borrowed (valid until sw_signer_free): the public key object, its type and raw bytes. */
const json_t *sw_signer_public_json(const struct sw_signer *s);
enum sw_key_type sw_signer_type(const struct sw_signer *s);
const unsigned char *sw_signer_public_raw(const struct sw_signer *s, size_t *ret_len);
/* The key's name, as loaded. */
const char *sw_signer_name(const struct sw_signer *s);

/* Wipe the secret key and free. NULL does nothing. */
void sw_signer_free(struct sw_signer *s);

#endif
