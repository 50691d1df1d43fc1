/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of keys: signatures made by python-tuf in the vectors verify
 * (ed25519, ECDSA P-256, RSA-PSS), signatures made here with libsodium and
 * libcrypto (test code only) verify and fail when tampered with, key ids
 * match those python-tuf wrote, and malformed, weak or unsupported keys
 * are refused with the right code.
 */
#include "testutil.h"

#include <slipway/cjson.h>
#include <slipway/key.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char msg[] = "the quick brown fox";

/* --- helpers --------------------------------------------------------------- */

static json_t *
keyobj(const char *type, const char *scheme, const char *pub)
{
    json_t *k =
        json_pack("{s:s,s:s,s:{s:s}}", "keytype", type, "scheme", scheme, "keyval", "public", pub);
    assert_non_null(k);
    return k;
}

static int
key_from(const char *id, const char *type, const char *scheme, const char *pub, struct sw_key **ret,
         struct sw_error *err)
{
    json_t *k = keyobj(type, scheme, pub);
    int r = sw_key_from_json(id, k, ret, err);
    json_decref(k);
    return r;
}

static char *
pem_of(EVP_PKEY *pkey)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *s;
    long n;
    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
    n = BIO_get_mem_data(bio, &data);
    s = strndup(data, (size_t)n);
    BIO_free(bio);
    return s;
}

/* Sign msg with libcrypto; padding 0 for ECDSA. Returns hex (caller frees). */
static char *
evp_sign_hex(EVP_PKEY *pkey, int padding, int saltlen, const char *m)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig;
    size_t len = 0;
    char *hex;
    assert_int_equal(EVP_DigestSignInit_ex(ctx, &pctx, "SHA256", NULL, NULL, pkey, NULL), 1);
    if (padding) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, padding), 1);
        if (padding == RSA_PKCS1_PSS_PADDING)
            assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen), 1);
    }
    assert_int_equal(EVP_DigestSign(ctx, NULL, &len, (const unsigned char *)m, strlen(m)), 1);
    sig = malloc(len);
    assert_int_equal(EVP_DigestSign(ctx, sig, &len, (const unsigned char *)m, strlen(m)), 1);
    hex = malloc(2 * len + 1);
    for (size_t i = 0; i < len; i++)
        sprintf(hex + 2 * i, "%02x", sig[i]);
    hex[2 * len] = '\0';
    free(sig);
    EVP_MD_CTX_free(ctx);
    return hex;
}

static void
flip_hex(char *hex, size_t at)
{
    hex[at] = hex[at] == '0' ? '1' : '0';
}

/* --- ed25519 ------------------------------------------------------------------ */

static void
test_ed25519_sign_verify(void **state)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    unsigned char sig[crypto_sign_BYTES];
    char pkhex[2 * sizeof(pk) + 1], sighex[2 * sizeof(sig) + 1];
    struct sw_error err = SW_ERROR_INIT;
    struct sw_key *k = NULL;
    (void)state;

    assert_true(sodium_init() >= 0);
    crypto_sign_keypair(pk, sk);
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg, strlen(msg), sk);
    sodium_bin2hex(pkhex, sizeof(pkhex), pk, sizeof(pk));
    sodium_bin2hex(sighex, sizeof(sighex), sig, sizeof(sig));

    assert_int_equal(key_from("k1", "ed25519", "ed25519", pkhex, &k, &err), 0);
    assert_string_equal(sw_key_id(k), "k1");
    assert_string_equal(sw_key_type(k), "ed25519");
    assert_string_equal(sw_key_scheme(k), "ed25519");
    assert_int_equal(sw_key_verify(k, msg, strlen(msg), sighex, &err), 0);

    /* another message, a flipped bit, a truncated or empty signature, not hex */
    assert_int_equal(sw_key_verify(k, msg, strlen(msg) - 1, sighex, &err), -SW_E_SIGNATURE);
    assert_non_null(strstr(err.msg, "does not verify"));
    {
        char saved = sighex[10];
        flip_hex(sighex, 10);
        assert_int_equal(sw_key_verify(k, msg, strlen(msg), sighex, &err), -SW_E_SIGNATURE);
        sighex[10] = saved;
    }
    assert_int_equal(sw_key_verify(k, msg, strlen(msg), sighex, &err), 0);
    sighex[126] = '\0';
    assert_int_equal(sw_key_verify(k, msg, strlen(msg), sighex, &err), -SW_E_SIGNATURE);
    assert_non_null(strstr(err.msg, "must be 64 bytes"));
    assert_int_equal(sw_key_verify(k, msg, strlen(msg), "", &err), -SW_E_SIGNATURE);
    assert_non_null(strstr(err.msg, "empty signature"));
    assert_int_equal(sw_key_verify(k, msg, strlen(msg), "zz", &err), -SW_E_SIGNATURE);
    sw_key_free(k);

    /* upper-case hex is the same key */
    for (char *p = pkhex; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_int_equal(key_from("k1", "ed25519", "ed25519", pkhex, &k, &err), 0);
    sw_key_free(k);
    sodium_memzero(sk, sizeof(sk));
}

static void
test_ed25519_bad_public(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_key *k = NULL;
    char hex65[66];
    (void)state;
    memset(hex65, 'a', 65);
    hex65[65] = '\0';
    assert_int_equal(key_from("k", "ed25519", "ed25519", "abcd", &k, &err), -SW_E_KEY);
    assert_non_null(strstr(err.msg, "64 hex characters"));
    assert_int_equal(key_from("k", "ed25519", "ed25519", hex65, &k, &err), -SW_E_KEY);
    hex65[63] = 'g';
    hex65[64] = '\0';
    assert_int_equal(key_from("k", "ed25519", "ed25519", hex65, &k, &err), -SW_E_KEY);
    assert_null(k);
}

/* --- ECDSA ----------------------------------------------------------------- */

static void
test_ecdsa_sign_verify(void **state)
{
    EVP_PKEY *p256 = EVP_EC_gen("P-256");
    struct sw_error err = SW_ERROR_INIT;
    struct sw_key *k = NULL, *legacy = NULL;
    char *pem, *sig;
    (void)state;

    assert_non_null(p256);
    pem = pem_of(p256);
    sig = evp_sign_hex(p256, 0, 0, msg);
    assert_int_equal(key_from("e1", "ecdsa", "ecdsa-sha2-nistp256", pem, &k, &err), 0);
    assert_int_equal(sw_key_verify(k, msg, strlen(msg), sig, &err), 0);
    assert_int_equal(sw_key_verify(k, "other", 5, sig, &err), -SW_E_SIGNATURE);
    /* the legacy key type name is the same key */
    assert_int_equal(
        key_from("e2", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", pem, &legacy, &err), 0);
    assert_int_equal(sw_key_verify(legacy, msg, strlen(msg), sig, &err), 0);
    assert_true(sw_key_same_material(k, legacy));
    /* a DER signature with a byte appended is not DER any more */
    {
        char *longer = malloc(strlen(sig) + 3);
        sprintf(longer, "%s00", sig);
        assert_int_equal(sw_key_verify(k, msg, strlen(msg), longer, &err), -SW_E_SIGNATURE);
        free(longer);
    }
    flip_hex(sig, strlen(sig) - 3);
    assert_int_equal(sw_key_verify(k, msg, strlen(msg), sig, &err), -SW_E_SIGNATURE);
    sw_key_free(k);
    sw_key_free(legacy);
    free(sig);
    free(pem);
    EVP_PKEY_free(p256);
}

static void
test_ecdsa_refusals(void **state)
{
    EVP_PKEY *p384 = EVP_EC_gen("P-384");
    EVP_PKEY *p256 = EVP_EC_gen("P-256");
    struct sw_error err = SW_ERROR_INIT;
    struct sw_key *k = NULL;
    char *pem384, *pem256, *junk;
    (void)state;

    pem384 = pem_of(p384);
    pem256 = pem_of(p256);
    assert_int_equal(key_from("e", "ecdsa", "ecdsa-sha2-nistp256", pem384, &k, &err), -SW_E_KEY);
    assert_non_null(strstr(err.msg, "P-256"));
    /* an EC key under an RSA scheme */
    assert_int_equal(key_from("e", "rsa", "rsassa-pss-sha256", pem256, &k, &err), -SW_E_KEY);
    assert_non_null(strstr(err.msg, "needs an RSA public key"));
    /* not PEM, PEM with something after it, a certificate, garbage base64 */
    assert_int_equal(key_from("e", "ecdsa", "ecdsa-sha2-nistp256", "AAAA", &k, &err), -SW_E_KEY);
    junk = malloc(strlen(pem256) + 16);
    sprintf(junk, "%sextra\n", pem256);
    assert_int_equal(key_from("e", "ecdsa", "ecdsa-sha2-nistp256", junk, &k, &err), -SW_E_KEY);
    assert_non_null(strstr(err.msg, "after the PEM block"));
    free(junk);
    assert_int_equal(key_from("e", "ecdsa", "ecdsa-sha2-nistp256",
                              "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", &k,
                              &err),
                     -SW_E_KEY);
    assert_int_equal(key_from("e", "ecdsa", "ecdsa-sha2-nistp256",
                              "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n", &k,
                              &err),
                     -SW_E_KEY);
    assert_int_equal(key_from("e", "ecdsa", "ecdsa-sha2-nistp256",
                              "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", &k,
                              &err),
                     -SW_E_KEY);
    assert_null(k);
    free(pem384);
    free(pem256);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(p256);
}

/* --- RSA --------------------------------------------------------------------- */

static void
test_rsa_schemes(void **state)
{
    EVP_PKEY *rsa = EVP_RSA_gen(2048);
    struct sw_error err = SW_ERROR_INIT;
    struct sw_key *pss = NULL, *pkcs = NULL;
    char *pem, *sig_pkcs, *sig_pss32, *sig_pssmax;
    (void)state;

    assert_non_null(rsa);
    pem = pem_of(rsa);
    sig_pkcs = evp_sign_hex(rsa, RSA_PKCS1_PADDING, 0, msg);
    sig_pss32 = evp_sign_hex(rsa, RSA_PKCS1_PSS_PADDING, 32, msg);
    sig_pssmax = evp_sign_hex(rsa, RSA_PKCS1_PSS_PADDING, RSA_PSS_SALTLEN_MAX, msg);

    assert_int_equal(key_from("r1", "rsa", "rsassa-pss-sha256", pem, &pss, &err), 0);
    assert_int_equal(key_from("r2", "rsa", "rsa-pkcs1v15-sha256", pem, &pkcs, &err), 0);
    /* PSS with any salt length; PKCS#1 v1.5 only under its own scheme */
    assert_int_equal(sw_key_verify(pss, msg, strlen(msg), sig_pss32, &err), 0);
    assert_int_equal(sw_key_verify(pss, msg, strlen(msg), sig_pssmax, &err), 0);
    assert_int_equal(sw_key_verify(pss, msg, strlen(msg), sig_pkcs, &err), -SW_E_SIGNATURE);
    assert_int_equal(sw_key_verify(pkcs, msg, strlen(msg), sig_pkcs, &err), 0);
    assert_int_equal(sw_key_verify(pkcs, msg, strlen(msg), sig_pss32, &err), -SW_E_SIGNATURE);
    assert_int_equal(sw_key_verify(pkcs, "x", 1, sig_pkcs, &err), -SW_E_SIGNATURE);
    flip_hex(sig_pss32, 100);
    assert_int_equal(sw_key_verify(pss, msg, strlen(msg), sig_pss32, &err), -SW_E_SIGNATURE);
    assert_true(sw_key_same_material(pss, pkcs));

    sw_key_free(pss);
    sw_key_free(pkcs);
    free(sig_pkcs);
    free(sig_pss32);
    free(sig_pssmax);
    free(pem);
    EVP_PKEY_free(rsa);
}

static void
test_rsa_too_small(void **state)
{
    EVP_PKEY *rsa = EVP_RSA_gen(1024);
    struct sw_error err = SW_ERROR_INIT;
    struct sw_key *k = NULL;
    char *pem;
    (void)state;
    assert_non_null(rsa);
    pem = pem_of(rsa);
    assert_int_equal(key_from("r", "rsa", "rsassa-pss-sha256", pem, &k, &err), -SW_E_KEY);
    assert_non_null(strstr(err.msg, "1024 bits"));
    assert_null(k);
    free(pem);
    EVP_PKEY_free(rsa);
}

/* --- vectors (signed by python-tuf) ------------------------------------------------ */

/* Verify the first signature of NAME/metadata/1.root.json with the key it names. */
static void
verify_vector_root(const char *name, const char *want_type)
{
    char rel[256];
    char *path;
    unsigned char *data;
    size_t len;
    json_t *doc = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_buf canon = SW_BUF_INIT(0);
    struct sw_key *k = NULL;
    const json_t *sig, *signed_;
    const char *keyid, *sighex;

    snprintf(rel, sizeof(rel), "tests/vectors/tuf/%s/metadata/1.root.json", name);
    path = tu_src_path(rel);
    data = tu_read(path, &len);
    free(path);
    assert_int_equal(sw_cjson_parse_mem(data, len, 0, &doc, &err), 0);
    free(data);
    signed_ = json_object_get(doc, "signed");
    sig = json_array_get(json_object_get(doc, "signatures"), 0);
    keyid = json_string_value(json_object_get(sig, "keyid"));
    sighex = json_string_value(json_object_get(sig, "sig"));
    assert_int_equal(sw_cjson_encode(signed_, &canon, &err), 0);
    if (sw_key_from_json(keyid, json_object_get(json_object_get(signed_, "keys"), keyid), &k,
                         &err) < 0)
        fail_msg("%s: %s", name, err.msg);
    assert_string_equal(sw_key_type(k), want_type);
    if (sw_key_verify(k, canon.data, canon.len, sighex, &err) < 0)
        fail_msg("%s: %s", name, err.msg);
    /* one changed byte of the signed bytes */
    canon.data[canon.len / 2] ^= 1;
    assert_int_equal(sw_key_verify(k, canon.data, canon.len, sighex, &err), -SW_E_SIGNATURE);
    sw_key_free(k);
    sw_buf_release(&canon);
    json_decref(doc);
}

static void
test_vector_signatures(void **state)
{
    (void)state;
    verify_vector_root("basic-ed25519", "ed25519");
    verify_vector_root("basic-ecdsa", "ecdsa");
    verify_vector_root("basic-rsa", "rsa");
}

/* Every key id python-tuf wrote equals the one computed here. */
static void
check_keyids(const char *rel, const char *member)
{
    char *path = tu_src_path(rel);
    unsigned char *data;
    size_t len;
    json_t *doc = NULL;
    const json_t *keys, *kobj;
    const char *id;
    size_t n = 0;

    data = tu_read(path, &len);
    free(path);
    assert_int_equal(sw_cjson_parse_mem(data, len, 0, &doc, NULL), 0);
    free(data);
    keys = json_object_get(json_object_get(doc, "signed"), member);
    if (strcmp(member, "delegations") == 0)
        keys = json_object_get(keys, "keys");
    json_object_foreach((json_t *)keys, id, kobj)
    {
        char computed[SW_KEY_ID_HEX_SIZE];
        assert_int_equal(sw_key_id_compute(kobj, computed, NULL), 0);
        if (strcmp(computed, id) != 0)
            fail_msg("%s: key %s computes as %s", rel, id, computed);
        n++;
    }
    assert_true(n > 0);
    json_decref(doc);
}

static void
test_keyid_compute(void **state)
{
    static const char *const vectors[] = {
        "bad-target-hash", "bad-threshold",       "basic-ecdsa",       "basic-ed25519", "basic-rsa",
        "delegations",     "duplicate-signature", "expired-timestamp", "root-rotation",
    };
    char rel[256];
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        snprintf(rel, sizeof(rel), "tests/vectors/tuf/%s/metadata/1.root.json", vectors[i]);
        check_keyids(rel, "keys");
    }
    check_keyids("tests/vectors/tuf/root-rotation/metadata/2.root.json", "keys");
    check_keyids("tests/vectors/tuf/root-rotation/metadata/3.root.json", "keys");
    check_keyids("tests/vectors/tuf/delegations/metadata/1.targets.json", "delegations");
    check_keyids("tests/vectors/tuf/delegations/metadata/1.apps.json", "delegations");
}

static void
test_keyid_compute_refusals(void **state)
{
    char id[SW_KEY_ID_HEX_SIZE];
    json_t *v = json_pack("{s:f}", "keytype", 1.5);
    json_t *arr = json_array();
    struct sw_error err = SW_ERROR_INIT;
    (void)state;
    assert_int_equal(sw_key_id_compute(v, id, &err), -SW_E_JSON);
    assert_int_equal(sw_key_id_compute(arr, id, &err), -SW_E_KEY);
    json_decref(v);
    json_decref(arr);
}

/* --- refusals ------------------------------------------------------------------ */

static void
test_unsupported(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_key *k = NULL;
    static const char pub[] = "fdc9fc342445e21682ad99d5f0edfb9852789192c5d5ec51e15639c64b84ea9b";
    (void)state;
    assert_int_equal(key_from("k", "ed448", "ed448", pub, &k, &err), -SW_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "key type 'ed448' with scheme 'ed448' is not supported"));
    assert_int_equal(key_from("k", "ecdsa", "ecdsa-sha2-nistp384", pub, &k, &err),
                     -SW_E_UNSUPPORTED);
    assert_int_equal(key_from("k", "ed25519", "rsassa-pss-sha256", pub, &k, &err),
                     -SW_E_UNSUPPORTED);
    assert_int_equal(key_from("k", "rsa", "rsassa-pss-sha512", pub, &k, &err), -SW_E_UNSUPPORTED);
    assert_int_equal(key_from("k", "sigstore-oidc", "Fulcio", pub, &k, &err), -SW_E_UNSUPPORTED);
    assert_int_equal(key_from("k", "ED25519", "ed25519", pub, &k, &err), -SW_E_UNSUPPORTED);
    assert_null(k);
}

static void
test_malformed(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_key *k = NULL;
    static const char pub[] = "fdc9fc342445e21682ad99d5f0edfb9852789192c5d5ec51e15639c64b84ea9b";
    char longid[SW_KEY_ID_MAX + 2];
    json_t *o;
    (void)state;

    o = json_pack("{s:s,s:{s:s}}", "scheme", "ed25519", "keyval", "public", pub);
    assert_int_equal(sw_key_from_json("k", o, &k, &err), -SW_E_KEY);
    assert_non_null(strstr(err.msg, "'keytype' must be a string"));
    json_decref(o);
    o = json_pack("{s:s,s:i,s:{s:s}}", "keytype", "ed25519", "scheme", 1, "keyval", "public", pub);
    assert_int_equal(sw_key_from_json("k", o, &k, &err), -SW_E_KEY);
    json_decref(o);
    o = json_pack("{s:s,s:s,s:s}", "keytype", "ed25519", "scheme", "ed25519", "keyval", pub);
    assert_int_equal(sw_key_from_json("k", o, &k, &err), -SW_E_KEY);
    assert_non_null(strstr(err.msg, "'keyval' must be an object"));
    json_decref(o);
    o = json_pack("{s:s,s:s,s:{s:i}}", "keytype", "ed25519", "scheme", "ed25519", "keyval",
                  "public", 5);
    assert_int_equal(sw_key_from_json("k", o, &k, &err), -SW_E_KEY);
    assert_non_null(strstr(err.msg, "'keyval.public' must be a string"));
    json_decref(o);
    o = json_array();
    assert_int_equal(sw_key_from_json("k", o, &k, &err), -SW_E_KEY);
    json_decref(o);

    /* key ids: empty, with a space or a control byte, too long */
    assert_int_equal(key_from("", "ed25519", "ed25519", pub, &k, &err), -SW_E_KEY);
    assert_int_equal(key_from("a b", "ed25519", "ed25519", pub, &k, &err), -SW_E_KEY);
    assert_int_equal(key_from("a\nb", "ed25519", "ed25519", pub, &k, &err), -SW_E_KEY);
    assert_non_null(strstr(err.msg, "a\\x0ab"));
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    assert_int_equal(key_from(longid, "ed25519", "ed25519", pub, &k, &err), -SW_E_KEY);
    longid[SW_KEY_ID_MAX] = '\0';
    assert_int_equal(key_from(longid, "ed25519", "ed25519", pub, &k, &err), 0);
    sw_key_free(k);
    assert_true(sw_key_id_valid("abc"));
    assert_false(sw_key_id_valid(NULL));
    assert_false(sw_key_id_valid("\xc3\xa9"));
    sw_key_free(NULL);
}

static void
test_same_material(void **state)
{
    static const char a[] = "fdc9fc342445e21682ad99d5f0edfb9852789192c5d5ec51e15639c64b84ea9b";
    static const char b[] = "61ce685b44d8359719f1ec27da34bbd585e3040a304f8ff3140301a74f05af9d";
    struct sw_key *k1 = NULL, *k2 = NULL, *k3 = NULL;
    (void)state;
    assert_int_equal(key_from("id1", "ed25519", "ed25519", a, &k1, NULL), 0);
    assert_int_equal(key_from("id2", "ed25519", "ed25519", a, &k2, NULL), 0);
    assert_int_equal(key_from("id3", "ed25519", "ed25519", b, &k3, NULL), 0);
    assert_true(sw_key_same_material(k1, k2));
    assert_false(sw_key_same_material(k1, k3));
    sw_key_free(k1);
    sw_key_free(k2);
    sw_key_free(k3);
}

/* The PEM SubjectPublicKeyInfo of an EC key with a point format and a parameter encoding. */
static char *
ec_pem_as(EVP_PKEY *pkey, const char *point_format, const char *encoding)
{
    EVP_PKEY *dup = EVP_PKEY_dup(pkey);
    char *pem;
    assert_non_null(dup);
    assert_int_equal(EVP_PKEY_set_utf8_string_param(dup, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                                    point_format),
                     1);
    assert_int_equal(EVP_PKEY_set_utf8_string_param(dup, OSSL_PKEY_PARAM_EC_ENCODING, encoding), 1);
    pem = pem_of(dup);
    EVP_PKEY_free(dup);
    return pem;
}

/*
 * One P-256 key in its three point encodings is one key: a threshold must
 * count it once (the fingerprint is over the point, not the SPKI bytes).
 */
static void
test_ecdsa_point_encodings_same_material(void **state)
{
    EVP_PKEY *p256 = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
    struct sw_error err = SW_ERROR_INIT;
    struct sw_key *u = NULL, *c = NULL, *h = NULL, *o = NULL;
    char *pu, *pc, *ph, *po, *sig;
    (void)state;

    pu = ec_pem_as(p256, "uncompressed", "named_curve");
    pc = ec_pem_as(p256, "compressed", "named_curve");
    ph = ec_pem_as(p256, "hybrid", "named_curve");
    po = ec_pem_as(other, "compressed", "named_curve");
    assert_string_not_equal(pu, pc);
    assert_string_not_equal(pu, ph);
    sig = evp_sign_hex(p256, 0, 0, msg);
    assert_int_equal(key_from("u", "ecdsa", "ecdsa-sha2-nistp256", pu, &u, &err), 0);
    assert_int_equal(key_from("c", "ecdsa", "ecdsa-sha2-nistp256", pc, &c, &err), 0);
    assert_int_equal(key_from("h", "ecdsa", "ecdsa-sha2-nistp256", ph, &h, &err), 0);
    assert_int_equal(key_from("o", "ecdsa", "ecdsa-sha2-nistp256", po, &o, &err), 0);
    /* the same signature verifies under every encoding of the key */
    assert_int_equal(sw_key_verify(u, msg, strlen(msg), sig, &err), 0);
    assert_int_equal(sw_key_verify(c, msg, strlen(msg), sig, &err), 0);
    assert_int_equal(sw_key_verify(h, msg, strlen(msg), sig, &err), 0);
    assert_true(sw_key_same_material(u, c));
    assert_true(sw_key_same_material(c, u));
    assert_true(sw_key_same_material(u, h));
    assert_false(sw_key_same_material(u, o));
    assert_false(sw_key_same_material(c, o));
    sw_key_free(u);
    sw_key_free(c);
    sw_key_free(h);
    sw_key_free(o);
    free(sig);
    free(pu);
    free(pc);
    free(ph);
    free(po);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(other);
}

/*
 * The same P-256 key with explicit curve parameters in its SPKI, which
 * OpenSSL 3 accepts: it must either be refused or be the same key as the
 * named-curve one. slipway refuses it (TUF and RFC 5480 want a named curve).
 */
static void
test_ecdsa_explicit_parameters(void **state)
{
    EVP_PKEY *p256 = EVP_EC_gen("P-256");
    struct sw_error err = SW_ERROR_INIT;
    struct sw_key *k = NULL;
    char *pu, *pc;
    (void)state;

    pu = ec_pem_as(p256, "uncompressed", "explicit");
    pc = ec_pem_as(p256, "compressed", "explicit");
    assert_int_equal(key_from("x", "ecdsa", "ecdsa-sha2-nistp256", pu, &k, &err), -SW_E_KEY);
    assert_non_null(strstr(err.msg, "explicit parameters"));
    assert_int_equal(key_from("x", "ecdsa", "ecdsa-sha2-nistp256", pc, &k, &err), -SW_E_KEY);
    assert_null(k);
    free(pu);
    free(pc);
    EVP_PKEY_free(p256);
}

/* RSA: the modulus and exponent are the key, however the SPKI spells them. */
static void
test_rsa_same_material(void **state)
{
    EVP_PKEY *r1 = EVP_RSA_gen(2048), *r2 = EVP_RSA_gen(2048);
    struct sw_key *a = NULL, *b = NULL, *c = NULL;
    char *p1, *p2;
    (void)state;

    p1 = pem_of(r1);
    p2 = pem_of(r2);
    assert_int_equal(key_from("a", "rsa", "rsassa-pss-sha256", p1, &a, NULL), 0);
    assert_int_equal(key_from("b", "rsa", "rsa-pkcs1v15-sha256", p1, &b, NULL), 0);
    assert_int_equal(key_from("c", "rsa", "rsassa-pss-sha256", p2, &c, NULL), 0);
    assert_true(sw_key_same_material(a, b));
    assert_false(sw_key_same_material(a, c));
    sw_key_free(a);
    sw_key_free(b);
    sw_key_free(c);
    free(p1);
    free(p2);
    EVP_PKEY_free(r1);
    EVP_PKEY_free(r2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ed25519_sign_verify),
        cmocka_unit_test(test_ed25519_bad_public),
        cmocka_unit_test(test_ecdsa_sign_verify),
        cmocka_unit_test(test_ecdsa_refusals),
        cmocka_unit_test(test_rsa_schemes),
        cmocka_unit_test(test_rsa_too_small),
        cmocka_unit_test(test_vector_signatures),
        cmocka_unit_test(test_keyid_compute),
        cmocka_unit_test(test_keyid_compute_refusals),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_same_material),
        cmocka_unit_test(test_ecdsa_point_encodings_same_material),
        cmocka_unit_test(test_ecdsa_explicit_parameters),
        cmocka_unit_test(test_rsa_same_material),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
