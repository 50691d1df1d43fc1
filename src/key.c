/* SPDX-License-Identifier: MIT */
/*
 * Public keys from TUF key objects and signature verification: ed25519 via
 * libsodium, ECDSA P-256 and RSA (PSS, PKCS#1 v1.5) via libcrypto's EVP.
 * There is no signing code here. Deciding which key counts for which role
 * is left to the metadata module.
 */
#include <slipway/buf.h>
#include <slipway/cjson.h>
#include <slipway/hash.h>
#include <slipway/key.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

enum key_scheme {
    SCHEME_ED25519,
    SCHEME_ECDSA_P256,
    SCHEME_RSA_PSS,
    SCHEME_RSA_PKCS1,
};

struct sw_key {
    char *id;
    char *type;
    char *scheme_name;
    enum key_scheme scheme;
    unsigned char ed25519[crypto_sign_PUBLICKEYBYTES];
    EVP_PKEY *pkey;        /* ECDSA and RSA */
    unsigned char fpr[32]; /* SHA-256 of the key material, for sw_key_same_material() */
};

struct scheme_info {
    const char *keytype;
    const char *scheme;
    enum key_scheme id;
};

static const struct scheme_info schemes[] = {
    {"ed25519", "ed25519", SCHEME_ED25519},
    {"ecdsa", "ecdsa-sha2-nistp256", SCHEME_ECDSA_P256},
    {"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", SCHEME_ECDSA_P256},
    {"rsa", "rsassa-pss-sha256", SCHEME_RSA_PSS},
    {"rsa", "rsa-pkcs1v15-sha256", SCHEME_RSA_PKCS1},
};

bool
sw_key_id_valid(const char *id)
{
    size_t n = 0;
    if (!id)
        return false;
    for (; id[n]; n++)
        if ((unsigned char)id[n] <= 0x20 || (unsigned char)id[n] >= 0x7f)
            return false;
    return n >= 1 && n <= SW_KEY_ID_MAX;
}

void
sw_key_free(struct sw_key *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    free(k->id);
    free(k->type);
    free(k->scheme_name);
    free(k);
}

/* Parse exactly one PEM "PUBLIC KEY" block (SubjectPublicKeyInfo) and nothing else. */
static int
parse_spki_pem(const char *keyid, const char *pem, EVP_PKEY **ret, struct sw_error *err)
{
    static const char begin[] = "-----BEGIN PUBLIC KEY-----";
    BIO *bio = NULL;
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    const unsigned char *p;
    long der_len = 0;
    EVP_PKEY *pkey = NULL;
    char rest;
    int r;

    if (strncmp(pem, begin, sizeof(begin) - 1) != 0) {
        r = sw_error_set(err, SW_E_KEY, "key '%s': keyval.public is not a PEM public key", keyid);
        goto out;
    }
    bio = BIO_new_mem_buf(pem, (int)strlen(pem));
    if (!bio) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    if (PEM_read_bio(bio, &name, &header, &der, &der_len) != 1 ||
        strcmp(name, PEM_STRING_PUBLIC) != 0 || header[0] != '\0') {
        r = sw_error_set(err, SW_E_KEY, "key '%s': keyval.public is not a valid PEM public key",
                         keyid);
        goto out;
    }
    /* only white space may follow the block */
    while (BIO_read(bio, &rest, 1) == 1) {
        if (rest != '\n' && rest != '\r' && rest != ' ' && rest != '\t') {
            r = sw_error_set(err, SW_E_KEY, "key '%s': keyval.public has data after the PEM block",
                             keyid);
            goto out;
        }
    }
    p = der;
    pkey = d2i_PUBKEY(NULL, &p, der_len);
    if (!pkey || p != der + der_len) {
        r = sw_error_set(err, SW_E_KEY,
                         "key '%s': keyval.public is not a valid "
                         "SubjectPublicKeyInfo",
                         keyid);
        goto out;
    }
    *ret = pkey;
    pkey = NULL;
    r = 0;
out:
    EVP_PKEY_free(pkey);
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    BIO_free(bio);
    ERR_clear_error();
    return r;
}

static int
check_pkey(struct sw_key *k, struct sw_error *err)
{
    switch (k->scheme) {
    case SCHEME_ECDSA_P256: {
        char group[64] = "", enc[32] = "";
        size_t glen = 0, elen = 0;
        if (EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_EC)
            return sw_error_set(err, SW_E_KEY, "key '%s': scheme '%s' needs an EC public key",
                                k->id, k->scheme_name);
        if (EVP_PKEY_get_group_name(k->pkey, group, sizeof(group), &glen) != 1 ||
            strcmp(group, "prime256v1") != 0)
            return sw_error_set(err, SW_E_KEY, "key '%s': EC key is not on curve P-256", k->id);
        /*
         * Explicit curve parameters (accepted by OpenSSL when they equal
         * P-256's) are refused: RFC 5480 wants the named curve, and a key
         * must have one form.
         */
        if (EVP_PKEY_get_utf8_string_param(k->pkey, OSSL_PKEY_PARAM_EC_ENCODING, enc, sizeof(enc),
                                           &elen) != 1 ||
            strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) != 0)
            return sw_error_set(err, SW_E_KEY,
                                "key '%s': EC key must name its curve, not give explicit "
                                "parameters",
                                k->id);
        return 0;
    }
    case SCHEME_RSA_PSS:
    case SCHEME_RSA_PKCS1: {
        int bits;
        if (EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_RSA)
            return sw_error_set(err, SW_E_KEY, "key '%s': scheme '%s' needs an RSA public key",
                                k->id, k->scheme_name);
        bits = EVP_PKEY_get_bits(k->pkey);
        if (bits < SW_KEY_RSA_MIN_BITS || bits > SW_KEY_RSA_MAX_BITS)
            return sw_error_set(err, SW_E_KEY,
                                "key '%s': RSA key of %d bits (from %d to %d accepted)", k->id,
                                bits, SW_KEY_RSA_MIN_BITS, SW_KEY_RSA_MAX_BITS);
        return 0;
    }
    case SCHEME_ED25519:
        break;
    }
    return sw_error_set(err, SW_E_INTERNAL, "key '%s': not an OpenSSL key scheme", k->id);
}

/* Append a 4-byte big-endian length and then b (the big-endian bytes of bn) to buf. */
static int
put_bn(struct sw_buf *buf, const BIGNUM *bn)
{
    int n = BN_num_bytes(bn);
    unsigned char len[4];
    unsigned char *tmp;
    int r;

    if (n < 0 || n > SW_KEY_RSA_MAX_BITS / 8)
        return -SW_E_KEY;
    len[0] = (unsigned char)((unsigned)n >> 24);
    len[1] = (unsigned char)((unsigned)n >> 16);
    len[2] = (unsigned char)((unsigned)n >> 8);
    len[3] = (unsigned char)n;
    tmp = malloc((size_t)n + 1);
    if (!tmp)
        return -SW_E_NOMEM;
    BN_bn2bin(bn, tmp);
    r = sw_buf_append(buf, len, sizeof(len), NULL);
    if (r == 0)
        r = sw_buf_append(buf, tmp, (size_t)n, NULL);
    free(tmp);
    return r;
}

/*
 * The fingerprint of an OpenSSL key, over a canonical form of the key
 * itself, never over its encoding: for EC "ecdsa-p256:" and the
 * uncompressed point 04 || X || Y (32 bytes each), whether the SPKI holds
 * it compressed, uncompressed or hybrid, with a named curve or explicit
 * parameters; for RSA "rsa:" and the length-prefixed modulus and public
 * exponent. So one key listed under two encodings counts once.
 */
static int
canonical_fpr(const struct sw_key *k, unsigned char fpr[32], struct sw_error *err)
{
    struct sw_buf c = SW_BUF_INIT(2 * SW_KEY_RSA_MAX_BITS / 8 + 64);
    unsigned char d[SW_HASH_MAX_LEN];
    BIGNUM *a = NULL, *b = NULL;
    int r;

    if (k->scheme == SCHEME_ECDSA_P256) {
        unsigned char pt[1 + 2 * 32];
        pt[0] = 0x04;
        if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &a) != 1 ||
            EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &b) != 1 ||
            BN_bn2binpad(a, pt + 1, 32) != 32 || BN_bn2binpad(b, pt + 33, 32) != 32) {
            r = sw_error_set(err, SW_E_KEY, "key '%s': cannot read the EC public point", k->id);
            goto out;
        }
        r = sw_buf_append(&c, "ecdsa-p256:", 11, err);
        if (r == 0)
            r = sw_buf_append(&c, pt, sizeof(pt), err);
    } else {
        if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &a) != 1 ||
            EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &b) != 1) {
            r = sw_error_set(err, SW_E_KEY, "key '%s': cannot read the RSA modulus and exponent",
                             k->id);
            goto out;
        }
        r = sw_buf_append(&c, "rsa:", 4, err);
        if (r == 0)
            r = put_bn(&c, a);
        if (r == 0)
            r = put_bn(&c, b);
        if (r < 0) {
            r = sw_error_set(err, -r, "key '%s': cannot encode the RSA public key", k->id);
            goto out;
        }
    }
    if (r == 0)
        r = sw_hash_buf(SW_HASH_SHA256, c.data, c.len, d, err);
    if (r == 0)
        memcpy(fpr, d, 32);
out:
    BN_free(a);
    BN_free(b);
    sw_buf_release(&c);
    ERR_clear_error();
    return r;
}

static char *
dup_str(const char *s)
{
    return strdup(s);
}

int
sw_key_from_json(const char *keyid, const json_t *keyobj, struct sw_key **ret, struct sw_error *err)
{
    char pid[SW_CJSON_PRINTABLE_MAX], pt[SW_CJSON_PRINTABLE_MAX], ps[SW_CJSON_PRINTABLE_MAX];
    const json_t *jtype, *jscheme, *jval, *jpub;
    const char *type, *scheme, *pub;
    const struct scheme_info *si = NULL;
    struct sw_key *k = NULL;
    int r;

    if (!sw_key_id_valid(keyid))
        return sw_error_set(err, SW_E_KEY, "key id '%s' is not 1 to %d printable characters",
                            sw_cjson_printable(keyid, pid, sizeof(pid)), SW_KEY_ID_MAX);
    if (!json_is_object(keyobj))
        return sw_error_set(err, SW_E_KEY, "key '%s': not an object", keyid);
    jtype = json_object_get(keyobj, "keytype");
    jscheme = json_object_get(keyobj, "scheme");
    jval = json_object_get(keyobj, "keyval");
    if (!json_is_string(jtype))
        return sw_error_set(err, SW_E_KEY, "key '%s': field 'keytype' must be a string", keyid);
    if (!json_is_string(jscheme))
        return sw_error_set(err, SW_E_KEY, "key '%s': field 'scheme' must be a string", keyid);
    if (!json_is_object(jval))
        return sw_error_set(err, SW_E_KEY, "key '%s': field 'keyval' must be an object", keyid);
    type = json_string_value(jtype);
    scheme = json_string_value(jscheme);
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (strcmp(type, schemes[i].keytype) == 0 && strcmp(scheme, schemes[i].scheme) == 0)
            si = &schemes[i];
    if (!si)
        return sw_error_set(err, SW_E_UNSUPPORTED,
                            "key '%s': key type '%s' with scheme '%s' is not supported", keyid,
                            sw_cjson_printable(type, pt, sizeof(pt)),
                            sw_cjson_printable(scheme, ps, sizeof(ps)));
    jpub = json_object_get(jval, "public");
    if (!json_is_string(jpub))
        return sw_error_set(err, SW_E_KEY, "key '%s': field 'keyval.public' must be a string",
                            keyid);
    pub = json_string_value(jpub);
    if (json_string_length(jpub) > SW_KEY_MAX_PUBLIC || strlen(pub) != json_string_length(jpub))
        return sw_error_set(err, SW_E_KEY, "key '%s': keyval.public is too long or holds NUL",
                            keyid);

    if (sodium_init() < 0)
        return sw_error_set(err, SW_E_INTERNAL, "libsodium cannot be initialised");
    k = calloc(1, sizeof(*k));
    if (!k)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    k->scheme = si->id;
    k->id = dup_str(keyid);
    k->type = dup_str(type);
    k->scheme_name = dup_str(scheme);
    if (!k->id || !k->type || !k->scheme_name) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }

    if (k->scheme == SCHEME_ED25519) {
        size_t n = 0;
        if (strlen(pub) != 2 * crypto_sign_PUBLICKEYBYTES ||
            sw_hex_decode(pub, k->ed25519, sizeof(k->ed25519), &n) < 0 ||
            n != crypto_sign_PUBLICKEYBYTES) {
            r = sw_error_set(err, SW_E_KEY,
                             "key '%s': ed25519 keyval.public must be 64 hex characters", keyid);
            goto out;
        }
        {
            unsigned char tagged[8 + crypto_sign_PUBLICKEYBYTES];
            unsigned char d[SW_HASH_MAX_LEN];
            memcpy(tagged, "ed25519:", 8);
            memcpy(tagged + 8, k->ed25519, sizeof(k->ed25519));
            r = sw_hash_buf(SW_HASH_SHA256, tagged, sizeof(tagged), d, err);
            if (r < 0)
                goto out;
            memcpy(k->fpr, d, sizeof(k->fpr));
        }
    } else {
        r = parse_spki_pem(keyid, pub, &k->pkey, err);
        if (r < 0)
            goto out;
        r = check_pkey(k, err);
        if (r < 0)
            goto out;
        r = canonical_fpr(k, k->fpr, err);
        if (r < 0)
            goto out;
    }
    *ret = k;
    k = NULL;
    r = 0;
out:
    sw_key_free(k);
    return r;
}

static int
verify_evp(const struct sw_key *k, const void *msg, size_t len, const unsigned char *sig,
           size_t siglen, struct sw_error *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = 0;

    if (!ctx)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    if (EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", NULL, NULL, k->pkey, NULL) != 1)
        goto out;
    if (k->scheme == SCHEME_RSA_PSS) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1)
            goto out;
    } else if (k->scheme == SCHEME_RSA_PKCS1) {
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
            goto out;
    }
    ok = EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
out:
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (!ok)
        return sw_error_set(err, SW_E_SIGNATURE, "key '%s': %s signature does not verify", k->id,
                            k->scheme_name);
    return 0;
}

int
sw_key_verify(const struct sw_key *k, const void *msg, size_t len, const char *sig_hex,
              struct sw_error *err)
{
    unsigned char sig[SW_KEY_MAX_SIG];
    size_t siglen = 0;

    if (!sig_hex || !sig_hex[0])
        return sw_error_set(err, SW_E_SIGNATURE, "key '%s': empty signature", k->id);
    if (strlen(sig_hex) > 2 * sizeof(sig) || sw_hex_decode(sig_hex, sig, sizeof(sig), &siglen) < 0)
        return sw_error_set(err, SW_E_SIGNATURE,
                            "key '%s': signature is not hex of at most %zu "
                            "bytes",
                            k->id, sizeof(sig));
    if (!msg && len)
        return sw_error_set(err, SW_E_INVAL, "key '%s': no message", k->id);
    switch (k->scheme) {
    case SCHEME_ED25519:
        if (siglen != crypto_sign_BYTES)
            return sw_error_set(err, SW_E_SIGNATURE,
                                "key '%s': ed25519 signature must be %d bytes, not %zu", k->id,
                                crypto_sign_BYTES, siglen);
        if (crypto_sign_verify_detached(sig, msg ? msg : (const void *)"", len, k->ed25519) != 0)
            return sw_error_set(err, SW_E_SIGNATURE, "key '%s': ed25519 signature does not verify",
                                k->id);
        return 0;
    case SCHEME_ECDSA_P256:
    case SCHEME_RSA_PSS:
    case SCHEME_RSA_PKCS1:
        return verify_evp(k, msg ? msg : (const void *)"", len, sig, siglen, err);
    }
    return sw_error_set(err, SW_E_INTERNAL, "key '%s': unknown scheme", k->id);
}

const char *
sw_key_id(const struct sw_key *k)
{
    return k->id;
}

const char *
sw_key_type(const struct sw_key *k)
{
    return k->type;
}

const char *
sw_key_scheme(const struct sw_key *k)
{
    return k->scheme_name;
}

const unsigned char *
sw_key_fingerprint(const struct sw_key *k)
{
    return k->fpr;
}

bool
sw_key_same_material(const struct sw_key *a, const struct sw_key *b)
{
    return sodium_memcmp(a->fpr, b->fpr, sizeof(a->fpr)) == 0;
}

int
sw_key_id_compute(const json_t *keyobj, char ret_id[SW_KEY_ID_HEX_SIZE], struct sw_error *err)
{
    struct sw_buf c = SW_BUF_INIT(SW_KEY_MAX_PUBLIC * 2);
    char hex[SW_HASH_MAX_HEX];
    int r;

    if (!json_is_object(keyobj))
        return sw_error_set(err, SW_E_KEY, "key object must be an object");
    r = sw_cjson_encode(keyobj, &c, err);
    if (r == 0)
        r = sw_hash_buf_hex(SW_HASH_SHA256, c.data, c.len, hex, err);
    if (r == 0)
        memcpy(ret_id, hex, SW_KEY_ID_HEX_SIZE);
    sw_buf_release(&c);
    return r;
}
