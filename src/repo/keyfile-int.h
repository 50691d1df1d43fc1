/* SPDX-License-Identifier: MIT */
/*
 * Private to keyfile.c and its tests and fuzz target: the layout of the
 * NAME.sec format (docs/keyfile.md) and its parser, which only checks the
 * structure; decryption is keyfile.c's.
 */
#ifndef SLIPWAY_REPO_KEYFILE_INT_H
#define SLIPWAY_REPO_KEYFILE_INT_H

#include "keyfile.h"

#include <stddef.h>
#include <stdint.h>

#define SW_KEYSEC_MAGIC "SWSECKEY"
#define SW_KEYSEC_MAGIC_LEN 8
#define SW_KEYSEC_VERSION 1
#define SW_KEYSEC_KDF_ARGON2ID13 1
#define SW_KEYSEC_AEAD_XCHACHA20POLY1305 1
#define SW_KEYSEC_SALT_LEN 16  /* crypto_pwhash_SALTBYTES */
#define SW_KEYSEC_NONCE_LEN 24 /* crypto_aead_xchacha20poly1305_ietf_NPUBBYTES */
#define SW_KEYSEC_TAG_LEN 16   /* crypto_aead_xchacha20poly1305_ietf_ABYTES */

/* offsets of the fields; the header (associated data) is [0, SW_KEYSEC_HEADER_LEN) */
#define SW_KEYSEC_OFF_VERSION 8
#define SW_KEYSEC_OFF_TYPE 9
#define SW_KEYSEC_OFF_KDF 10
#define SW_KEYSEC_OFF_AEAD 11
#define SW_KEYSEC_OFF_OPSLIMIT 12
#define SW_KEYSEC_OFF_MEMLIMIT 20
#define SW_KEYSEC_OFF_SALT 28
#define SW_KEYSEC_OFF_NONCE 44
#define SW_KEYSEC_OFF_SECRET_LEN 68
#define SW_KEYSEC_HEADER_LEN 72

/* Bounds on what a file may ask for (a damaged file must not cost 100 GiB). */
#define SW_KEYSEC_MAX_OPSLIMIT 16
#define SW_KEYSEC_MAX_MEMLIMIT (1024ULL * 1024 * 1024) /* crypto_pwhash_MEMLIMIT_SENSITIVE */
#define SW_KEYSEC_MAX_SECRET 1024

/* Secret key material: the ed25519 seed, or the ECDSA key as PKCS#8 DER. */
#define SW_KEYSEC_ED25519_SEED_LEN 32

struct sw_keysec {
    enum sw_key_type type;
    uint64_t opslimit;
    uint64_t memlimit;
    const unsigned char *header; /* borrowed from the parsed buffer: the associated data */
    const unsigned char *salt;
    const unsigned char *nonce;
    const unsigned char *ciphertext; /* secret_len + SW_KEYSEC_TAG_LEN bytes */
    size_t secret_len;
};

/*
 * Check the structure of a NAME.sec image (what names it in messages) and
 * point ret into buf. -SW_E_KEY when it is not one or is truncated or has
 * trailing bytes, -SW_E_UNSUPPORTED for a newer version or unknown
 * algorithm. Nothing is decrypted.
 */
int sw_keysec_parse(const unsigned char *buf, size_t len, const char *what, struct sw_keysec *ret,
                    struct sw_error *err);

/* Check a public key object given as JSON text (for the fuzz target). */
int sw_keyfile_public_parse_mem(const char *text, size_t len, const char *what, json_t **ret_public,
                                struct sw_error *err);

#endif
