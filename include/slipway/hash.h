/* SPDX-License-Identifier: MIT */
/*
 * Hashing: SHA-256 and SHA-512 through OpenSSL's EVP interface (which uses
 * the CPU's SHA instructions), streaming or one-shot, and hex encoding.
 * Which digests to compare with what is left to callers.
 */
#ifndef SLIPWAY_HASH_H
#define SLIPWAY_HASH_H

#include <slipway/error.h>
#include <stddef.h>

enum sw_hash_alg {
    SW_HASH_SHA256 = 0,
    SW_HASH_SHA512 = 1,
};

#define SW_HASH_N_ALGS 2
#define SW_HASH_MAX_LEN 64 /* bytes of the longest digest */
#define SW_HASH_MAX_HEX (2 * SW_HASH_MAX_LEN + 1)

/* "sha256", "sha512" */
const char *sw_hash_alg_to_string(enum sw_hash_alg alg);
/* -SW_E_UNSUPPORTED for any other name (TUF: an unknown algorithm rejects). */
int sw_hash_alg_from_string(const char *name, enum sw_hash_alg *ret_alg);
/* Digest length in bytes. */
size_t sw_hash_len(enum sw_hash_alg alg);

struct sw_hash;

int sw_hash_new(enum sw_hash_alg alg, struct sw_hash **ret_hash, struct sw_error *err);
int sw_hash_update(struct sw_hash *h, const void *data, size_t len, struct sw_error *err);
/* Writes sw_hash_len() bytes to out; the object may then only be freed. */
int sw_hash_final(struct sw_hash *h, unsigned char out[SW_HASH_MAX_LEN], struct sw_error *err);
void sw_hash_free(struct sw_hash *h);

/* One-shot digest of a buffer. */
int sw_hash_buf(enum sw_hash_alg alg, const void *data, size_t len,
                unsigned char out[SW_HASH_MAX_LEN], struct sw_error *err);
/* One-shot digest as lowercase hex (out holds SW_HASH_MAX_HEX bytes). */
int sw_hash_buf_hex(enum sw_hash_alg alg, const void *data, size_t len, char out[SW_HASH_MAX_HEX],
                    struct sw_error *err);

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void sw_hex_encode(const unsigned char *in, size_t n, char *out);
/*
 * Decode hex (either case, even length, no separators) into out of outmax
 * bytes. -SW_E_INVAL when malformed or too long.
 */
int sw_hex_decode(const char *hex, unsigned char *out, size_t outmax, size_t *ret_len);

#endif
