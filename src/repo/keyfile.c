/* SPDX-License-Identifier: MIT */
/*
 * The publisher's key pairs: generating them (ed25519 with libsodium, ECDSA
 * P-256 with libcrypto), writing NAME.pub and the passphrase-encrypted
 * NAME.sec (Argon2id + XChaCha20-Poly1305, docs/keyfile.md), loading and
 * signing. Secret key material only ever lives in sodium_malloc memory.
 * Passphrases come from passphrase.c; key ids and verification are others'.
 */
#include "keyfile-int.h"

#include <slipway/fs.h>
#include <slipway/hash.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ED25519_PUB_LEN 32
#define ED25519_SK_LEN 64
#define ED25519_SIG_LEN 64
#define KEY_LEN 32 /* crypto_aead_xchacha20poly1305_ietf_KEYBYTES */
#define PEM_BEGIN "-----BEGIN PUBLIC KEY-----\n"
#define PEM_END "-----END PUBLIC KEY-----"

struct sw_signer {
    enum sw_key_type type;
    char *name;
    /*
     * sodium_malloc, no access between uses: the libsodium ed25519 secret
     * key (seed and public key, 64 bytes), or the ECDSA key as PKCS#8 DER.
     */
    unsigned char *secret;
    size_t secret_len;
    unsigned char *raw; /* public: 32 bytes, or DER SubjectPublicKeyInfo */
    size_t raw_len;
    json_t *pub;
};

/* A buffer of secret bytes in sodium_malloc memory. */
struct secret {
    unsigned char *data;
    size_t len;
};

static int
secret_alloc(struct secret *s, size_t len, struct sw_error *err)
{
    s->data = sodium_malloc(len ? len : 1);
    if (!s->data)
        return sw_error_set(err, SW_E_NOMEM, "out of memory for secret key material");
    s->len = len;
    return 0;
}

static void
secret_wipe(struct secret *s)
{
    if (s->data) {
        sodium_memzero(s->data, s->len ? s->len : 1);
        sodium_free(s->data);
    }
    s->data = NULL;
    s->len = 0;
}

static int
sodium_ready(struct sw_error *err)
{
    if (sodium_init() < 0)
        return sw_error_set(err, SW_E_INTERNAL, "cannot initialise libsodium");
    return 0;
}

/* Fill err with msg and OpenSSL's latest reason, and clear OpenSSL's queue. */
static int
ossl_error(struct sw_error *err, int code, const char *msg)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    int r;
    if (reason)
        r = sw_error_set(err, code, "%s: %s", msg, reason);
    else
        r = sw_error_set(err, code, "%s", msg);
    ERR_clear_error();
    return r;
}

/* --- names ---------------------------------------------------------------- */

const char *
sw_key_type_to_string(enum sw_key_type type)
{
    switch (type) {
    case SW_KEY_ED25519:
        return "ed25519";
    case SW_KEY_ECDSA_P256:
        return "ecdsa";
    }
    return "unknown";
}

static const char *
key_scheme(enum sw_key_type type)
{
    switch (type) {
    case SW_KEY_ED25519:
        return "ed25519";
    case SW_KEY_ECDSA_P256:
        return "ecdsa-sha2-nistp256";
    }
    return "unknown";
}

int
sw_key_type_from_string(const char *name, enum sw_key_type *ret_type, struct sw_error *err)
{
    if (strcmp(name, "ed25519") == 0)
        *ret_type = SW_KEY_ED25519;
    else if (strcmp(name, "ecdsa") == 0 || strcmp(name, "ecdsa-sha2-nistp256") == 0)
        *ret_type = SW_KEY_ECDSA_P256;
    else
        return sw_error_set(err, SW_E_UNSUPPORTED, "unknown key type '%s' (known: ed25519, ecdsa)",
                            name);
    return 0;
}

static const struct {
    const char *name;
    unsigned long long opslimit;
    size_t memlimit;
} kdf_levels[] = {
    [SW_KDF_INTERACTIVE] = {"interactive", crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE},
    [SW_KDF_MODERATE] = {"moderate", crypto_pwhash_argon2id_OPSLIMIT_MODERATE,
                         crypto_pwhash_argon2id_MEMLIMIT_MODERATE},
    [SW_KDF_SENSITIVE] = {"sensitive", crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE,
                          crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE},
};
#define N_KDF_LEVELS (sizeof(kdf_levels) / sizeof(kdf_levels[0]))

const char *
sw_kdf_level_to_string(enum sw_kdf_level level)
{
    if ((size_t)level < N_KDF_LEVELS)
        return kdf_levels[level].name;
    return "unknown";
}

int
sw_kdf_level_from_string(const char *name, enum sw_kdf_level *ret_level, struct sw_error *err)
{
    for (size_t i = 0; i < N_KDF_LEVELS; i++) {
        if (strcmp(name, kdf_levels[i].name) == 0) {
            *ret_level = (enum sw_kdf_level)i;
            return 0;
        }
    }
    return sw_error_set(err, SW_E_INVAL,
                        "unknown key derivation level '%s' (known: interactive, moderate, "
                        "sensitive)",
                        name);
}

int
sw_keyfile_check_name(const char *name, struct sw_error *err)
{
    size_t len = strlen(name);
    bool ok = len > 0 && len <= SW_KEY_NAME_MAX;

    for (size_t i = 0; ok && i < len; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        ok = alnum || (i > 0 && (c == '.' || c == '_' || c == '-'));
    }
    if (!ok)
        return sw_error_set(err, SW_E_INVAL,
                            "invalid key name '%s': use letters, digits, '.', '_' and '-', "
                            "starting with a letter or digit, at most %d characters",
                            name, SW_KEY_NAME_MAX);
    return 0;
}

/* DIR/NAME.EXT; caller frees. */
static char *
key_path(const char *dir, const char *name, const char *ext)
{
    char *p;
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    if (asprintf(&p, "%.*s/%s.%s", (int)dl, dir, name, ext) < 0)
        return NULL;
    return p;
}

/* --- public keys ------------------------------------------------------------ */

static json_t *
public_json(enum sw_key_type type, const char *public_text)
{
    return json_pack("{s:s, s:s, s:{s:s}}", "keytype", sw_key_type_to_string(type), "scheme",
                     key_scheme(type), "keyval", "public", public_text);
}

static bool
is_lower_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* Parse a PEM SubjectPublicKeyInfo of a P-256 key. *ret_pkey: EVP_PKEY_free(). */
static bool
is_p256(EVP_PKEY *pk)
{
    char group[80];
    size_t glen = 0;
    if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
        return false;
    if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) != 1)
        return false;
    return OBJ_sn2nid(group) == NID_X9_62_prime256v1 ||
           EC_curve_nist2nid(group) == NID_X9_62_prime256v1;
}

/* DER SubjectPublicKeyInfo of pk; caller frees. */
static int
spki_der(EVP_PKEY *pk, unsigned char **ret_der, size_t *ret_len, struct sw_error *err)
{
    unsigned char *der, *q;
    int n = i2d_PUBKEY(pk, NULL);
    if (n <= 0)
        return ossl_error(err, SW_E_KEY, "cannot encode an ECDSA public key");
    der = malloc((size_t)n);
    if (!der)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    q = der;
    if (i2d_PUBKEY(pk, &q) != n) {
        free(der);
        return ossl_error(err, SW_E_KEY, "cannot encode an ECDSA public key");
    }
    *ret_der = der;
    *ret_len = (size_t)n;
    return 0;
}

/* PEM SubjectPublicKeyInfo of pk, NUL-terminated; caller frees. */
static int
spki_pem(EVP_PKEY *pk, char **ret_pem, struct sw_error *err)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL, *pem;
    long n;
    int r;

    if (!b)
        return ossl_error(err, SW_E_NOMEM, "cannot encode an ECDSA public key");
    if (PEM_write_bio_PUBKEY(b, pk) != 1) {
        r = ossl_error(err, SW_E_KEY, "cannot encode an ECDSA public key");
        goto out;
    }
    n = BIO_get_mem_data(b, &data);
    if (n <= 0 || !data) {
        r = sw_error_set(err, SW_E_INTERNAL, "cannot encode an ECDSA public key");
        goto out;
    }
    pem = strndup(data, (size_t)n);
    if (!pem) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    *ret_pem = pem;
    r = 0;
out:
    BIO_free(b);
    return r;
}

int
sw_keyfile_public_check(const json_t *key, const char *what, enum sw_key_type *ret_type,
                        unsigned char **ret_raw, size_t *ret_raw_len, struct sw_error *err)
{
    const char *keytype, *scheme, *pubtext;
    const json_t *keyval, *public;
    enum sw_key_type type;
    unsigned char *raw = NULL;
    size_t raw_len = 0, plen;
    EVP_PKEY *pk = NULL;
    BIO *b = NULL;
    int r;

    if (!json_is_object(key))
        return sw_error_set(err, SW_E_KEY, "%s: a public key must be a JSON object", what);
    keytype = json_string_value(json_object_get(key, "keytype"));
    scheme = json_string_value(json_object_get(key, "scheme"));
    keyval = json_object_get(key, "keyval");
    if (!keytype || !scheme || !json_is_object(keyval) || json_object_size(key) != 3)
        return sw_error_set(err, SW_E_KEY,
                            "%s: a public key has exactly the fields 'keytype', 'scheme' "
                            "(strings) and 'keyval' (an object)",
                            what);
    public = json_object_get(keyval, "public");
    pubtext = json_string_value(public);
    if (!pubtext || json_object_size(keyval) != 1)
        return sw_error_set(err, SW_E_KEY,
                            "%s: 'keyval' must hold exactly one field, 'public', a string", what);
    plen = json_string_length(public);
    if (strcmp(keytype, "ed25519") == 0 && strcmp(scheme, "ed25519") == 0) {
        type = SW_KEY_ED25519;
        if (plen != 2 * ED25519_PUB_LEN || !is_lower_hex(pubtext, plen))
            return sw_error_set(err, SW_E_KEY,
                                "%s: an ed25519 public key is %d lowercase hex digits", what,
                                2 * ED25519_PUB_LEN);
        if (ret_raw) {
            raw = malloc(ED25519_PUB_LEN);
            if (!raw)
                return sw_error_set(err, SW_E_NOMEM, "out of memory");
            if (sw_hex_decode(pubtext, raw, ED25519_PUB_LEN, &raw_len) < 0 ||
                raw_len != ED25519_PUB_LEN) {
                free(raw);
                return sw_error_set(err, SW_E_INTERNAL, "%s: cannot decode hex", what);
            }
        }
    } else if (strcmp(keytype, "ecdsa") == 0 && strcmp(scheme, "ecdsa-sha2-nistp256") == 0) {
        size_t elen = strlen(PEM_END);
        type = SW_KEY_ECDSA_P256;
        if (strlen(pubtext) != plen || strncmp(pubtext, PEM_BEGIN, strlen(PEM_BEGIN)) != 0 ||
            !((plen > elen && strcmp(pubtext + plen - elen, PEM_END) == 0) ||
              (plen > elen + 1 && strncmp(pubtext + plen - elen - 1, PEM_END, elen) == 0 &&
               pubtext[plen - 1] == '\n')))
            return sw_error_set(err, SW_E_KEY,
                                "%s: an ecdsa public key is a PEM block '%.*s' ... '%s'", what,
                                (int)strlen(PEM_BEGIN) - 1, PEM_BEGIN, PEM_END);
        b = BIO_new_mem_buf(pubtext, (int)plen);
        if (!b) {
            r = ossl_error(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        pk = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
        if (!pk) {
            r = ossl_error(err, SW_E_KEY, "cannot parse the ecdsa public key");
            sw_error_prefix(err, "%s: ", what);
            goto out;
        }
        if (!is_p256(pk)) {
            r = sw_error_set(err, SW_E_KEY, "%s: the ecdsa public key is not on curve P-256", what);
            goto out;
        }
        if (ret_raw) {
            r = spki_der(pk, &raw, &raw_len, err);
            if (r < 0)
                goto out;
        }
    } else {
        return sw_error_set(err, SW_E_UNSUPPORTED,
                            "%s: unsupported key type '%s' with scheme '%s' (known: ed25519 "
                            "with ed25519, ecdsa with ecdsa-sha2-nistp256)",
                            what, keytype, scheme);
    }
    *ret_type = type;
    if (ret_raw) {
        *ret_raw = raw;
        *ret_raw_len = raw_len;
        raw = NULL;
    }
    r = 0;
out:
    free(raw);
    EVP_PKEY_free(pk);
    BIO_free(b);
    return r;
}

int
sw_keyfile_public_parse_mem(const char *text, size_t len, const char *what, json_t **ret_public,
                            struct sw_error *err)
{
    json_error_t jerr;
    enum sw_key_type type;
    json_t *key;
    int r;

    if (len > SW_MAX_KEYFILE_PUB)
        return sw_error_set(err, SW_E_LIMIT, "%s: more than %d bytes", what, SW_MAX_KEYFILE_PUB);
    key = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!key)
        return sw_error_set(err, SW_E_JSON, "%s: line %d: %s", what, jerr.line, jerr.text);
    r = sw_keyfile_public_check(key, what, &type, NULL, NULL, err);
    if (r < 0) {
        json_decref(key);
        return r;
    }
    *ret_public = key;
    return 0;
}

/*
 * A key file that cannot be used (unsafe mode, a link, not a key file,
 * damaged) is the publisher's to fix: -SW_E_KEYFILE (exit 7), whatever
 * the lower layer called it. Other codes pass through.
 */
static int
keyfile_refused(int r, struct sw_error *err)
{
    if (r != -SW_E_KEY && r != -SW_E_PERM)
        return r;
    if (err)
        err->code = SW_E_KEYFILE;
    return -SW_E_KEYFILE;
}

int
sw_keyfile_load_public(const char *dir, const char *name, json_t **ret_public, struct sw_error *err)
{
    unsigned char *text = NULL;
    char *path = NULL, *what = NULL;
    size_t len;
    int r;

    r = sw_keyfile_check_name(name, err);
    if (r < 0)
        return r;
    path = key_path(dir, name, "pub");
    if (!path || asprintf(&what, "'%s'", path) < 0) {
        what = NULL;
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    r = sw_fs_read_file(path, SW_MAX_KEYFILE_PUB, &text, &len, err);
    if (r < 0)
        goto out;
    r = sw_keyfile_public_parse_mem((const char *)text, len, what, ret_public, err);
out:
    free(text);
    free(what);
    free(path);
    return keyfile_refused(r, err);
}

/* --- the NAME.sec format ---------------------------------------------------- */

static void
put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

static uint64_t
get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void
put_be32(unsigned char *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

static uint32_t
get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int
sw_keysec_parse(const unsigned char *buf, size_t len, const char *what, struct sw_keysec *ret,
                struct sw_error *err)
{
    struct sw_keysec k;
    unsigned type;

    if (len < SW_KEYSEC_MAGIC_LEN || memcmp(buf, SW_KEYSEC_MAGIC, SW_KEYSEC_MAGIC_LEN) != 0)
        return sw_error_set(err, SW_E_KEY, "%s is not a slipway secret key file", what);
    /* the version first: a later format need only keep magic and version */
    if (len > SW_KEYSEC_OFF_VERSION && buf[SW_KEYSEC_OFF_VERSION] != SW_KEYSEC_VERSION)
        return sw_error_set(err, SW_E_UNSUPPORTED,
                            "%s has format version %u; this program reads version %d", what,
                            buf[SW_KEYSEC_OFF_VERSION], SW_KEYSEC_VERSION);
    if (len < SW_KEYSEC_HEADER_LEN)
        return sw_error_set(err, SW_E_KEY,
                            "%s is truncated: %zu bytes, shorter than its %d-byte header", what,
                            len, SW_KEYSEC_HEADER_LEN);
    type = buf[SW_KEYSEC_OFF_TYPE];
    if (type != SW_KEY_ED25519 && type != SW_KEY_ECDSA_P256)
        return sw_error_set(err, SW_E_UNSUPPORTED, "%s holds a key of unknown type %u", what, type);
    if (buf[SW_KEYSEC_OFF_KDF] != SW_KEYSEC_KDF_ARGON2ID13 ||
        buf[SW_KEYSEC_OFF_AEAD] != SW_KEYSEC_AEAD_XCHACHA20POLY1305)
        return sw_error_set(err, SW_E_UNSUPPORTED,
                            "%s uses an unknown key derivation (%u) or cipher (%u)", what,
                            buf[SW_KEYSEC_OFF_KDF], buf[SW_KEYSEC_OFF_AEAD]);
    k.type = (enum sw_key_type)type;
    k.opslimit = get_be64(buf + SW_KEYSEC_OFF_OPSLIMIT);
    k.memlimit = get_be64(buf + SW_KEYSEC_OFF_MEMLIMIT);
    if (k.opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN || k.opslimit > SW_KEYSEC_MAX_OPSLIMIT ||
        k.memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN || k.memlimit > SW_KEYSEC_MAX_MEMLIMIT)
        return sw_error_set(err, SW_E_KEY,
                            "%s is damaged: key derivation cost out of range (%llu passes, "
                            "%llu bytes)",
                            what, (unsigned long long)k.opslimit, (unsigned long long)k.memlimit);
    k.secret_len = get_be32(buf + SW_KEYSEC_OFF_SECRET_LEN);
    if (k.secret_len == 0 || k.secret_len > SW_KEYSEC_MAX_SECRET)
        return sw_error_set(err, SW_E_KEY, "%s is damaged: secret length %zu out of range", what,
                            k.secret_len);
    if (len != SW_KEYSEC_HEADER_LEN + k.secret_len + SW_KEYSEC_TAG_LEN)
        return sw_error_set(err, SW_E_KEY, "%s is %s: %zu bytes where its header says %zu", what,
                            len < SW_KEYSEC_HEADER_LEN + k.secret_len + SW_KEYSEC_TAG_LEN
                                ? "truncated"
                                : "damaged (trailing bytes)",
                            len, (size_t)SW_KEYSEC_HEADER_LEN + k.secret_len + SW_KEYSEC_TAG_LEN);
    k.header = buf;
    k.salt = buf + SW_KEYSEC_OFF_SALT;
    k.nonce = buf + SW_KEYSEC_OFF_NONCE;
    k.ciphertext = buf + SW_KEYSEC_HEADER_LEN;
    *ret = k;
    return 0;
}

/* Argon2id key of pass with the file's salt and cost, into key (sodium memory). */
static int
derive_key(const struct sw_passphrase *pass, const unsigned char *salt, uint64_t opslimit,
           uint64_t memlimit, struct secret *key, const char *what, struct sw_error *err)
{
    int r = secret_alloc(key, KEY_LEN, err);
    if (r < 0)
        return r;
    if (crypto_pwhash(key->data, KEY_LEN, sw_passphrase_data(pass), sw_passphrase_len(pass), salt,
                      opslimit, (size_t)memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        secret_wipe(key);
        return sw_error_set(err, SW_E_NOMEM,
                            "cannot derive the key of %s: not enough memory for %llu MiB", what,
                            (unsigned long long)(memlimit >> 20));
    }
    return 0;
}

/* Encrypt secret into a new NAME.sec image (*ret_buf: caller frees; holds no secret). */
static int
seal(enum sw_key_type type, const struct secret *secret, const struct sw_passphrase *pass,
     enum sw_kdf_level level, const char *what, unsigned char **ret_buf, size_t *ret_len,
     struct sw_error *err)
{
    struct secret key = {NULL, 0};
    size_t len = SW_KEYSEC_HEADER_LEN + secret->len + SW_KEYSEC_TAG_LEN;
    unsigned long long clen = 0;
    unsigned char *buf;
    int r;

    if ((size_t)level >= N_KDF_LEVELS)
        return sw_error_set(err, SW_E_INVAL, "unknown key derivation level %d", (int)level);
    if (secret->len == 0 || secret->len > SW_KEYSEC_MAX_SECRET)
        return sw_error_set(err, SW_E_INTERNAL, "secret key of %zu bytes", secret->len);
    buf = calloc(1, len);
    if (!buf)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    memcpy(buf, SW_KEYSEC_MAGIC, SW_KEYSEC_MAGIC_LEN);
    buf[SW_KEYSEC_OFF_VERSION] = SW_KEYSEC_VERSION;
    buf[SW_KEYSEC_OFF_TYPE] = (unsigned char)type;
    buf[SW_KEYSEC_OFF_KDF] = SW_KEYSEC_KDF_ARGON2ID13;
    buf[SW_KEYSEC_OFF_AEAD] = SW_KEYSEC_AEAD_XCHACHA20POLY1305;
    put_be64(buf + SW_KEYSEC_OFF_OPSLIMIT, kdf_levels[level].opslimit);
    put_be64(buf + SW_KEYSEC_OFF_MEMLIMIT, kdf_levels[level].memlimit);
    randombytes_buf(buf + SW_KEYSEC_OFF_SALT, SW_KEYSEC_SALT_LEN);
    randombytes_buf(buf + SW_KEYSEC_OFF_NONCE, SW_KEYSEC_NONCE_LEN);
    put_be32(buf + SW_KEYSEC_OFF_SECRET_LEN, (uint32_t)secret->len);

    r = derive_key(pass, buf + SW_KEYSEC_OFF_SALT, kdf_levels[level].opslimit,
                   kdf_levels[level].memlimit, &key, what, err);
    if (r < 0)
        goto out;
    /* the whole header is associated data: no byte of the file can change unnoticed */
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(buf + SW_KEYSEC_HEADER_LEN, &clen, secret->data,
                                                   secret->len, buf, SW_KEYSEC_HEADER_LEN, NULL,
                                                   buf + SW_KEYSEC_OFF_NONCE, key.data) != 0 ||
        clen != secret->len + SW_KEYSEC_TAG_LEN) {
        r = sw_error_set(err, SW_E_INTERNAL, "cannot encrypt %s", what);
        goto out;
    }
    *ret_buf = buf;
    *ret_len = len;
    buf = NULL;
    r = 0;
out:
    secret_wipe(&key);
    free(buf);
    return r;
}

/*
 * Read NAME.sec: a regular file, not a link, with no group or other
 * permission bits, at most SW_MAX_KEYFILE_SEC bytes. Holds no secret.
 */
static int
read_secret_file(const char *path, unsigned char **ret_buf, size_t *ret_len, struct sw_error *err)
{
    int r = sw_fs_read_private(path, SW_MAX_KEYFILE_SEC, ret_buf, ret_len, err);
    if (r == -SW_E_NOTFOUND)
        return sw_error_set(err, SW_E_NOTFOUND, "no secret key '%s'", path);
    if (r == -SW_E_INVAL || r == -SW_E_LIMIT) {
        /* not a regular file, or too large: not a secret key file */
        if (err)
            err->code = SW_E_KEY;
        return -SW_E_KEY;
    }
    return r;
}

/* --- key material ------------------------------------------------------------- */

/* EVP_PKEY of a PKCS#8 DER P-256 key (for signing or deriving the public key). */
static int
ecdsa_pkey(const struct secret *der, EVP_PKEY **ret_pk, const char *what, struct sw_error *err)
{
    const unsigned char *p = der->data;
    PKCS8_PRIV_KEY_INFO *p8;
    EVP_PKEY *pk = NULL;

    p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)der->len);
    if (p8 && p == der->data + der->len)
        pk = EVP_PKCS82PKEY(p8);
    PKCS8_PRIV_KEY_INFO_free(p8); /* clears the key bytes it held */
    if (!pk)
        return ossl_error(err, SW_E_KEY, "cannot read the ECDSA key");
    if (!is_p256(pk)) {
        EVP_PKEY_free(pk);
        return sw_error_set(err, SW_E_KEY, "the ECDSA key in %s is not on curve P-256", what);
    }
    *ret_pk = pk;
    return 0;
}

/* Public key object and raw bytes of an ECDSA key. */
static int
ecdsa_public(EVP_PKEY *pk, json_t **ret_pub, unsigned char **ret_raw, size_t *ret_raw_len,
             struct sw_error *err)
{
    char *pem = NULL;
    json_t *pub;
    int r;

    r = spki_pem(pk, &pem, err);
    if (r < 0)
        return r;
    pub = public_json(SW_KEY_ECDSA_P256, pem);
    free(pem);
    if (!pub)
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    r = spki_der(pk, ret_raw, ret_raw_len, err);
    if (r < 0) {
        json_decref(pub);
        return r;
    }
    *ret_pub = pub;
    return 0;
}

/* Public key object and raw bytes of an ed25519 public key. */
static int
ed25519_public(const unsigned char pk[ED25519_PUB_LEN], json_t **ret_pub, unsigned char **ret_raw,
               size_t *ret_raw_len, struct sw_error *err)
{
    char hex[2 * ED25519_PUB_LEN + 1];
    unsigned char *raw;
    json_t *pub;

    sw_hex_encode(pk, ED25519_PUB_LEN, hex);
    raw = malloc(ED25519_PUB_LEN);
    pub = public_json(SW_KEY_ED25519, hex);
    if (!raw || !pub) {
        free(raw);
        json_decref(pub);
        return sw_error_set(err, SW_E_NOMEM, "out of memory");
    }
    memcpy(raw, pk, ED25519_PUB_LEN);
    *ret_pub = pub;
    *ret_raw = raw;
    *ret_raw_len = ED25519_PUB_LEN;
    return 0;
}

/*
 * A new key: *stored is what NAME.sec keeps (the ed25519 seed, or PKCS#8
 * DER), with the public key object and raw bytes.
 */
static int
make_key(enum sw_key_type type, struct secret *stored, json_t **ret_pub, unsigned char **ret_raw,
         size_t *ret_raw_len, struct sw_error *err)
{
    struct secret sk = {NULL, 0};
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    EVP_PKEY *pk = NULL;
    unsigned char *q;
    int r, n;

    switch (type) {
    case SW_KEY_ED25519: {
        unsigned char pub[ED25519_PUB_LEN];
        r = secret_alloc(stored, SW_KEYSEC_ED25519_SEED_LEN, err);
        if (r < 0)
            goto out;
        r = secret_alloc(&sk, ED25519_SK_LEN, err);
        if (r < 0)
            goto out;
        randombytes_buf(stored->data, stored->len);
        if (crypto_sign_ed25519_seed_keypair(pub, sk.data, stored->data) != 0) {
            r = sw_error_set(err, SW_E_INTERNAL, "cannot make an ed25519 key");
            goto out;
        }
        r = ed25519_public(pub, ret_pub, ret_raw, ret_raw_len, err);
        goto out;
    }
    case SW_KEY_ECDSA_P256:
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        if (!pk) {
            r = ossl_error(err, SW_E_INTERNAL, "cannot make an ECDSA P-256 key");
            goto out;
        }
        p8 = EVP_PKEY2PKCS8(pk);
        n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, NULL) : -1;
        if (n <= 0 || n > SW_KEYSEC_MAX_SECRET) {
            r = ossl_error(err, SW_E_INTERNAL, "cannot encode the new ECDSA key");
            goto out;
        }
        r = secret_alloc(stored, (size_t)n, err);
        if (r < 0)
            goto out;
        q = stored->data;
        if (i2d_PKCS8_PRIV_KEY_INFO(p8, &q) != n) {
            r = ossl_error(err, SW_E_INTERNAL, "cannot encode the new ECDSA key");
            goto out;
        }
        r = ecdsa_public(pk, ret_pub, ret_raw, ret_raw_len, err);
        goto out;
    }
    r = sw_error_set(err, SW_E_UNSUPPORTED, "unknown key type %d", (int)type);
out:
    if (r < 0)
        secret_wipe(stored);
    secret_wipe(&sk);
    PKCS8_PRIV_KEY_INFO_free(p8);
    EVP_PKEY_free(pk);
    return r;
}

/* Make sure dir exists: created 0700 (and durable) when missing. */
static int
prepare_dir(const char *dir, struct sw_error *err)
{
    struct stat st;
    int r;

    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return sw_error_set(err, SW_E_INVAL, "key directory '%s' is not a directory", dir);
        return 0;
    }
    if (errno != ENOENT)
        return sw_error_errno(err, SW_E_IO, errno, "cannot stat key directory '%s'", dir);
    r = sw_fs_mkdir_p(dir, 0700, err);
    if (r < 0)
        return r;
    if (chmod(dir, 0700) < 0)
        return sw_error_errno(err, SW_E_IO, errno, "cannot set the mode of '%s'", dir);
    return sw_fs_fsync_parent(dir, err);
}

int
sw_keyfile_generate(const char *dir, const char *name, enum sw_key_type type,
                    const struct sw_passphrase *pass, enum sw_kdf_level level, json_t **ret_public,
                    struct sw_error *err)
{
    char *pub_path = NULL, *sec_path = NULL, *what = NULL, *pub_text = NULL;
    struct secret stored = {NULL, 0};
    unsigned char *raw = NULL, *sec = NULL;
    size_t raw_len = 0, sec_len = 0;
    bool sec_written = false;
    json_t *pub = NULL;
    int r;

    r = sodium_ready(err);
    if (r < 0)
        return r;
    r = sw_keyfile_check_name(name, err);
    if (r < 0)
        return r;
    if (type != SW_KEY_ED25519 && type != SW_KEY_ECDSA_P256)
        return sw_error_set(err, SW_E_UNSUPPORTED, "unknown key type %d", (int)type);
    if ((size_t)level >= N_KDF_LEVELS)
        return sw_error_set(err, SW_E_INVAL, "unknown key derivation level %d", (int)level);
    r = sw_passphrase_check_strength(pass, err);
    if (r < 0)
        return r;
    pub_path = key_path(dir, name, "pub");
    sec_path = key_path(dir, name, "sec");
    if (!pub_path || !sec_path || asprintf(&what, "'%s'", sec_path) < 0) {
        what = NULL;
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    r = prepare_dir(dir, err);
    if (r < 0)
        goto out;
    for (int i = 0; i < 2; i++) {
        const char *p = i == 0 ? sec_path : pub_path;
        r = sw_fs_exists(p, err);
        if (r < 0)
            goto out;
        if (r > 0) {
            r = sw_error_set(err, SW_E_EXISTS,
                             "key '%s' already exists in '%s' ('%s'); refusing to overwrite it",
                             name, dir, p);
            goto out;
        }
    }

    r = make_key(type, &stored, &pub, &raw, &raw_len, err);
    if (r < 0)
        goto out;
    r = seal(type, &stored, pass, level, what, &sec, &sec_len, err);
    if (r < 0)
        goto out;
    secret_wipe(&stored);

    pub_text = json_dumps(pub, JSON_COMPACT);
    if (!pub_text) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    /* O_EXCL: a file that appeared meanwhile is not overwritten either */
    r = sw_fs_write_new(sec_path, sec, sec_len, 0600, err);
    if (r < 0)
        goto out;
    sec_written = true;
    {
        size_t tl = strlen(pub_text);
        char *nl = realloc(pub_text, tl + 2);
        if (!nl) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            goto out;
        }
        pub_text = nl;
        memcpy(pub_text + tl, "\n", 2);
        r = sw_fs_write_new(pub_path, pub_text, tl + 1, 0600, err);
        if (r < 0)
            goto out;
    }
    if (ret_public) {
        *ret_public = pub;
        pub = NULL;
    }
    r = 0;
out:
    if (r < 0 && sec_written) {
        /* no half key pair: take NAME.sec back */
        unlink(sec_path);
        sw_fs_fsync_dir(dir, NULL);
    }
    secret_wipe(&stored);
    json_decref(pub);
    free(pub_text);
    free(sec);
    free(raw);
    free(what);
    free(pub_path);
    free(sec_path);
    return r;
}

/* --- loading and signing ------------------------------------------------------ */

void
sw_signer_free(struct sw_signer *s)
{
    if (!s)
        return;
    if (s->secret)
        sodium_free(s->secret); /* makes it accessible, wipes, unmaps */
    json_decref(s->pub);
    free(s->raw);
    free(s->name);
    free(s);
}

/* Fill s's secret, public object and raw bytes from the decrypted material. */
static int
signer_from_stored(struct sw_signer *s, const struct secret *stored, const char *what,
                   struct sw_error *err)
{
    struct secret sk = {NULL, 0};
    EVP_PKEY *pk = NULL;
    int r;

    switch (s->type) {
    case SW_KEY_ED25519: {
        unsigned char pub[ED25519_PUB_LEN];
        if (stored->len != SW_KEYSEC_ED25519_SEED_LEN)
            return sw_error_set(err, SW_E_KEY, "%s holds an ed25519 key of %zu bytes, not %d", what,
                                stored->len, SW_KEYSEC_ED25519_SEED_LEN);
        r = secret_alloc(&sk, ED25519_SK_LEN, err);
        if (r < 0)
            return r;
        if (crypto_sign_ed25519_seed_keypair(pub, sk.data, stored->data) != 0) {
            secret_wipe(&sk);
            return sw_error_set(err, SW_E_INTERNAL, "cannot expand the ed25519 key of %s", what);
        }
        r = ed25519_public(pub, &s->pub, &s->raw, &s->raw_len, err);
        if (r < 0) {
            secret_wipe(&sk);
            return r;
        }
        s->secret = sk.data;
        s->secret_len = sk.len;
        return 0;
    }
    case SW_KEY_ECDSA_P256:
        /* the EVP_PKEY lives only long enough to read the public key off it */
        r = ecdsa_pkey(stored, &pk, what, err);
        if (r < 0)
            return r;
        r = ecdsa_public(pk, &s->pub, &s->raw, &s->raw_len, err);
        EVP_PKEY_free(pk);
        if (r < 0)
            return r;
        r = secret_alloc(&sk, stored->len, err);
        if (r < 0)
            return r;
        memcpy(sk.data, stored->data, stored->len);
        s->secret = sk.data;
        s->secret_len = sk.len;
        return 0;
    }
    return sw_error_set(err, SW_E_INTERNAL, "unknown key type %d", (int)s->type);
}

/* When NAME.pub exists, it must hold s's key; it then becomes s's public object. */
static int
match_public_file(struct sw_signer *s, const char *dir, const char *sec_path, struct sw_error *err)
{
    char *pub_path = key_path(dir, s->name, "pub"), *what = NULL;
    json_t *pub = NULL;
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    enum sw_key_type type;
    int r;

    if (!pub_path || asprintf(&what, "'%s'", pub_path) < 0) {
        what = NULL;
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    r = sw_fs_exists(pub_path, err);
    if (r <= 0)
        goto out; /* none: keep the object derived from the secret key */
    r = sw_keyfile_load_public(dir, s->name, &pub, err);
    if (r < 0)
        goto out;
    r = sw_keyfile_public_check(pub, what, &type, &raw, &raw_len, err);
    if (r < 0)
        goto out;
    if (type != s->type || raw_len != s->raw_len || memcmp(raw, s->raw, raw_len) != 0) {
        r = sw_error_set(err, SW_E_KEY,
                         "'%s' does not hold the public key of '%s'; restore the right one or "
                         "remove it",
                         pub_path, sec_path);
        goto out;
    }
    json_decref(s->pub);
    s->pub = pub;
    pub = NULL;
    r = 0;
out:
    json_decref(pub);
    free(raw);
    free(what);
    free(pub_path);
    return r;
}

int
sw_keyfile_load_signer(const char *dir, const char *name, const struct sw_passphrase *pass,
                       struct sw_signer **ret_signer, struct sw_error *err)
{
    struct secret key = {NULL, 0}, stored = {NULL, 0};
    struct sw_signer *s = NULL;
    struct sw_keysec ks;
    char *sec_path = NULL, *what = NULL;
    unsigned char *buf = NULL;
    unsigned long long plen = 0;
    size_t len = 0;
    int r;

    r = sodium_ready(err);
    if (r < 0)
        return r;
    r = sw_keyfile_check_name(name, err);
    if (r < 0)
        return r;
    sec_path = key_path(dir, name, "sec");
    if (!sec_path || asprintf(&what, "'%s'", sec_path) < 0) {
        what = NULL;
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    r = read_secret_file(sec_path, &buf, &len, err);
    if (r < 0)
        goto out;
    r = sw_keysec_parse(buf, len, what, &ks, err);
    if (r < 0)
        goto out;
    r = derive_key(pass, ks.salt, ks.opslimit, ks.memlimit, &key, what, err);
    if (r < 0)
        goto out;
    r = secret_alloc(&stored, ks.secret_len, err);
    if (r < 0)
        goto out;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(stored.data, &plen, NULL, ks.ciphertext,
                                                   ks.secret_len + SW_KEYSEC_TAG_LEN, ks.header,
                                                   SW_KEYSEC_HEADER_LEN, ks.nonce, key.data) != 0 ||
        plen != ks.secret_len) {
        r = sw_error_set(err, SW_E_PASSPHRASE,
                         "cannot decrypt %s: wrong passphrase or damaged file", what);
        goto out;
    }
    secret_wipe(&key);

    s = calloc(1, sizeof(*s));
    if (!s || !(s->name = strdup(name))) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    s->type = ks.type;
    r = signer_from_stored(s, &stored, what, err);
    if (r < 0)
        goto out;
    secret_wipe(&stored);
    r = match_public_file(s, dir, sec_path, err);
    if (r < 0)
        goto out;
    sodium_mprotect_noaccess(s->secret);
    *ret_signer = s;
    s = NULL;
    r = 0;
out:
    sw_signer_free(s);
    secret_wipe(&stored);
    secret_wipe(&key);
    free(buf);
    free(what);
    free(sec_path);
    return keyfile_refused(r, err);
}

static int
sign_ecdsa(const struct sw_signer *s, const void *msg, size_t len, unsigned char **ret_sig,
           size_t *ret_len, struct sw_error *err)
{
    struct secret der = {s->secret, s->secret_len}; /* borrowed */
    EVP_MD_CTX *ctx = NULL;
    EVP_PKEY *pk = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    int r;

    r = ecdsa_pkey(&der, &pk, s->name, err);
    if (r < 0)
        return r;
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk) != 1 ||
        EVP_DigestSign(ctx, NULL, &siglen, msg, len) != 1 || siglen == 0) {
        r = ossl_error(err, SW_E_INTERNAL, "cannot sign with ECDSA");
        goto out;
    }
    sig = malloc(siglen);
    if (!sig) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    if (EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1) {
        r = ossl_error(err, SW_E_INTERNAL, "cannot sign with ECDSA");
        goto out;
    }
    *ret_sig = sig;
    *ret_len = siglen;
    sig = NULL;
    r = 0;
out:
    free(sig);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk); /* clears the private scalar */
    return r;
}

int
sw_signer_sign(struct sw_signer *s, const void *msg, size_t len, char **ret_sig_hex,
               struct sw_error *err)
{
    unsigned char *sig = NULL;
    size_t siglen = 0;
    char *hex = NULL;
    int r;

    sodium_mprotect_readonly(s->secret);
    switch (s->type) {
    case SW_KEY_ED25519:
        sig = malloc(ED25519_SIG_LEN);
        if (!sig) {
            r = sw_error_set(err, SW_E_NOMEM, "out of memory");
            break;
        }
        if (crypto_sign_ed25519_detached(sig, NULL, msg, len, s->secret) != 0) {
            r = sw_error_set(err, SW_E_INTERNAL, "cannot sign with ed25519 key '%s'", s->name);
            break;
        }
        siglen = ED25519_SIG_LEN;
        r = 0;
        break;
    case SW_KEY_ECDSA_P256:
        r = sign_ecdsa(s, msg, len, &sig, &siglen, err);
        if (r < 0)
            sw_error_prefix(err, "key '%s': ", s->name);
        break;
    default:
        r = sw_error_set(err, SW_E_INTERNAL, "unknown key type %d", (int)s->type);
        break;
    }
    sodium_mprotect_noaccess(s->secret);
    if (r < 0)
        goto out;
    hex = malloc(2 * siglen + 1);
    if (!hex) {
        r = sw_error_set(err, SW_E_NOMEM, "out of memory");
        goto out;
    }
    sw_hex_encode(sig, siglen, hex);
    *ret_sig_hex = hex;
    r = 0;
out:
    free(sig);
    return r;
}

const json_t *
sw_signer_public_json(const struct sw_signer *s)
{
    return s->pub;
}

enum sw_key_type
sw_signer_type(const struct sw_signer *s)
{
    return s->type;
}

const unsigned char *
sw_signer_public_raw(const struct sw_signer *s, size_t *ret_len)
{
    if (ret_len)
        *ret_len = s->raw_len;
    return s->raw;
}

const char *
sw_signer_name(const struct sw_signer *s)
{
    return s->name;
}
