/* SPDX-License-Identifier: MIT */
/*
 * SHA-2 digests through libcrypto's EVP interface, and hex. Deciding which
 * algorithms a piece of metadata requires is left to the metadata module.
 */
#include <slipway/hash.h>

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sw_hash {
    EVP_MD_CTX *ctx;
    enum sw_hash_alg alg;
};

const char *
sw_hash_alg_to_string(enum sw_hash_alg alg)
{
    switch (alg) {
    case SW_HASH_SHA256:
        return "sha256";
    case SW_HASH_SHA512:
        return "sha512";
    }
    return "unknown";
}

int
sw_hash_alg_from_string(const char *name, enum sw_hash_alg *ret_alg)
{
    if (strcmp(name, "sha256") == 0) {
        *ret_alg = SW_HASH_SHA256;
        return 0;
    }
    if (strcmp(name, "sha512") == 0) {
        *ret_alg = SW_HASH_SHA512;
        return 0;
    }
    return -SW_E_UNSUPPORTED;
}

size_t
sw_hash_len(enum sw_hash_alg alg)
{
    return alg == SW_HASH_SHA512 ? 64 : 32;
}

static EVP_MD *fetched[2];
static pthread_once_t fetched_once = PTHREAD_ONCE_INIT;

static void
fetch_mds(void)
{
    fetched[0] = EVP_MD_fetch(NULL, "SHA256", NULL);
    fetched[1] = EVP_MD_fetch(NULL, "SHA512", NULL);
}

/*
 * The digest, fetched from the default provider once per process: the
 * EVP_sha256() of an EVP_Digest() is looked up again by name on every
 * call (about 0.4 us, more than hashing a target path; a list of 100 000
 * targets in hash bins hashes each path once). The legacy one if the
 * fetch failed.
 */
static const EVP_MD *
evp_md(enum sw_hash_alg alg)
{
    const EVP_MD *md;
    pthread_once(&fetched_once, fetch_mds);
    md = fetched[alg == SW_HASH_SHA512 ? 1 : 0];
    if (md)
        return md;
    return alg == SW_HASH_SHA512 ? EVP_sha512() : EVP_sha256();
}

int
sw_hash_new(enum sw_hash_alg alg, struct sw_hash **ret_hash, struct sw_error *err)
{
    struct sw_hash *h = calloc(1, sizeof(*h));
    if (!h)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    h->alg = alg;
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, evp_md(alg), NULL) != 1) {
        sw_hash_free(h);
        return sw_error_set(err, SW_E_INTERNAL, "cannot start a %s digest",
                            sw_hash_alg_to_string(alg));
    }
    *ret_hash = h;
    return 0;
}

int
sw_hash_update(struct sw_hash *h, const void *data, size_t len, struct sw_error *err)
{
    if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
        return sw_error_set(err, SW_E_INTERNAL, "%s digest failed", sw_hash_alg_to_string(h->alg));
    return 0;
}

int
sw_hash_final(struct sw_hash *h, unsigned char out[SW_HASH_MAX_LEN], struct sw_error *err)
{
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(h->ctx, out, &n) != 1 || n != sw_hash_len(h->alg))
        return sw_error_set(err, SW_E_INTERNAL, "%s digest failed", sw_hash_alg_to_string(h->alg));
    return 0;
}

void
sw_hash_free(struct sw_hash *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

int
sw_hash_buf(enum sw_hash_alg alg, const void *data, size_t len, unsigned char out[SW_HASH_MAX_LEN],
            struct sw_error *err)
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, evp_md(alg), NULL) != 1 || n != sw_hash_len(alg))
        return sw_error_set(err, SW_E_INTERNAL, "%s digest failed", sw_hash_alg_to_string(alg));
    return 0;
}

int
sw_hash_buf_hex(enum sw_hash_alg alg, const void *data, size_t len, char out[SW_HASH_MAX_HEX],
                struct sw_error *err)
{
    unsigned char d[SW_HASH_MAX_LEN];
    int r = sw_hash_buf(alg, data, len, d, err);
    if (r < 0)
        return r;
    sw_hex_encode(d, sw_hash_len(alg), out);
    return 0;
}

void
sw_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
sw_hex_decode(const char *hex, unsigned char *out, size_t outmax, size_t *ret_len)
{
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > outmax)
        return -SW_E_INVAL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -SW_E_INVAL;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    if (ret_len)
        *ret_len = n / 2;
    return 0;
}
