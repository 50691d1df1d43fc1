/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the publisher's key files (src/repo/keyfile.c): generate,
 * load and sign for ed25519 and ECDSA P-256 with the signatures checked by
 * libsodium and libcrypto's verifiers; the documented NAME.sec layout;
 * modes; and refusals: wrong passphrase, every field of the file damaged,
 * truncation, unsafe modes and links, overwriting, weak passphrases, bad
 * names, a NAME.pub of another key, malformed public keys.
 */
#include "testutil.h"

#include "repo/keyfile-int.h"
#include "repo/keyfile.h"
#include "repo/passphrase.h"

#include <slipway/hash.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GOOD_PASS "umbrella quarry violet 1987 tundra"
#define OTHER_PASS "umbrella quarry violet 1988 tundra"

static const char message[] = "{\"_type\":\"root\",\"version\":1}";

struct fixture {
    char *tmp;
    char *keys; /* TMP/keys, not created in advance */
    struct sw_passphrase *pass;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->tmp = tu_tmpdir();
    f->keys = tu_path(f->tmp, "keys");
    assert_int_equal(sw_passphrase_from_mem(GOOD_PASS, strlen(GOOD_PASS), &f->pass, NULL), 0);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    tu_rmtree(f->tmp);
    free(f->tmp);
    free(f->keys);
    sw_passphrase_free(f->pass);
    free(f);
    return 0;
}

static char *
key_file(const struct fixture *f, const char *name)
{
    return tu_path(f->keys, name);
}

static void
generate(struct fixture *f, const char *name, enum sw_key_type type)
{
    struct sw_error err = SW_ERROR_INIT;
    int r = sw_keyfile_generate(f->keys, name, type, f->pass, SW_KDF_INTERACTIVE, NULL, &err);
    if (r != 0)
        fail_msg("generate %s: %s", name, err.msg);
}

static mode_t
mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    return st.st_mode & 07777;
}

/* Verify with libsodium, independently of sw_signer. */
static int
ed25519_verify(const char *pub_hex, const char *sig_hex, const void *msg, size_t len)
{
    unsigned char pk[32], sig[64];
    size_t n;
    assert_int_equal(sw_hex_decode(pub_hex, pk, sizeof(pk), &n), 0);
    assert_int_equal(n, 32);
    if (sw_hex_decode(sig_hex, sig, sizeof(sig), &n) < 0 || n != 64)
        return -1;
    return crypto_sign_ed25519_verify_detached(sig, msg, len, pk);
}

/* Verify with libcrypto: ECDSA over SHA-256, DER signature. 1 = good. */
static int
ecdsa_verify(const char *pem, const char *sig_hex, const void *msg, size_t len)
{
    unsigned char sig[80];
    size_t n;
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *pk = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok;
    assert_non_null(pk);
    assert_int_equal(sw_hex_decode(sig_hex, sig, sizeof(sig), &n), 0);
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pk), 1);
    ok = EVP_DigestVerify(ctx, sig, n, msg, len);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk);
    BIO_free(b);
    return ok;
}

static const char *
public_text(const json_t *pub)
{
    return json_string_value(json_object_get(json_object_get(pub, "keyval"), "public"));
}

static void
test_ed25519_round_trip(void **state)
{
    struct fixture *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_signer *s = NULL;
    json_t *made = NULL, *loaded = NULL;
    char *sig = NULL, *sig2 = NULL;
    const unsigned char *raw;
    unsigned char expect_raw[32];
    size_t raw_len, n;

    assert_int_equal(sw_keyfile_generate(f->keys, "root", SW_KEY_ED25519, f->pass,
                                         SW_KDF_INTERACTIVE, &made, &err),
                     0);
    assert_int_equal(sw_keyfile_load_public(f->keys, "root", &loaded, &err), 0);
    assert_true(json_equal(made, loaded));
    assert_string_equal(json_string_value(json_object_get(loaded, "keytype")), "ed25519");
    assert_string_equal(json_string_value(json_object_get(loaded, "scheme")), "ed25519");

    assert_int_equal(sw_keyfile_load_signer(f->keys, "root", f->pass, &s, &err), 0);
    assert_true(json_equal(sw_signer_public_json(s), loaded));
    assert_int_equal(sw_signer_type(s), SW_KEY_ED25519);
    assert_string_equal(sw_signer_name(s), "root");
    raw = sw_signer_public_raw(s, &raw_len);
    assert_int_equal(raw_len, 32);
    assert_int_equal(sw_hex_decode(public_text(loaded), expect_raw, 32, &n), 0);
    assert_memory_equal(raw, expect_raw, 32);

    assert_int_equal(sw_signer_sign(s, message, strlen(message), &sig, &err), 0);
    assert_int_equal(strlen(sig), 128);
    assert_int_equal(ed25519_verify(public_text(loaded), sig, message, strlen(message)), 0);
    /* the verifier can say no: another message does not verify */
    assert_int_not_equal(ed25519_verify(public_text(loaded), sig, "other", 5), 0);
    /* ed25519 is deterministic: the same message, the same signature */
    assert_int_equal(sw_signer_sign(s, message, strlen(message), &sig2, &err), 0);
    assert_string_equal(sig, sig2);

    free(sig);
    free(sig2);
    sw_signer_free(s);
    json_decref(made);
    json_decref(loaded);
}

static void
test_ecdsa_round_trip(void **state)
{
    struct fixture *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_signer *s = NULL;
    json_t *made = NULL, *loaded = NULL;
    char *sig = NULL;
    const char *pem;
    size_t raw_len;

    assert_int_equal(sw_keyfile_generate(f->keys, "targets", SW_KEY_ECDSA_P256, f->pass,
                                         SW_KDF_INTERACTIVE, &made, &err),
                     0);
    assert_int_equal(sw_keyfile_load_public(f->keys, "targets", &loaded, &err), 0);
    assert_true(json_equal(made, loaded));
    assert_string_equal(json_string_value(json_object_get(loaded, "keytype")), "ecdsa");
    assert_string_equal(json_string_value(json_object_get(loaded, "scheme")),
                        "ecdsa-sha2-nistp256");
    pem = public_text(loaded);
    assert_true(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
    assert_non_null(strstr(pem, "\n-----END PUBLIC KEY-----\n"));

    assert_int_equal(sw_keyfile_load_signer(f->keys, "targets", f->pass, &s, &err), 0);
    assert_true(json_equal(sw_signer_public_json(s), loaded));
    assert_int_equal(sw_signer_type(s), SW_KEY_ECDSA_P256);
    sw_signer_public_raw(s, &raw_len);
    assert_int_equal(raw_len, 91); /* DER SubjectPublicKeyInfo of an uncompressed P-256 point */

    assert_int_equal(sw_signer_sign(s, message, strlen(message), &sig, &err), 0);
    assert_true(strncmp(sig, "30", 2) == 0); /* a DER SEQUENCE */
    assert_int_equal(ecdsa_verify(pem, sig, message, strlen(message)), 1);
    assert_int_not_equal(ecdsa_verify(pem, sig, "other", 5), 1);

    free(sig);
    sw_signer_free(s);
    json_decref(made);
    json_decref(loaded);
}

static void
test_files_and_modes(void **state)
{
    struct fixture *f = *state;
    char *pub, *sec, *nested, *nested_keys;
    unsigned char *text;
    size_t len;

    generate(f, "root", SW_KEY_ED25519);
    pub = key_file(f, "root.pub");
    sec = key_file(f, "root.sec");
    assert_int_equal(mode_of(f->keys), 0700);
    assert_int_equal(mode_of(sec), 0600);
    assert_int_equal(mode_of(pub), 0600);

    /* NAME.pub is exactly the public key object and a newline */
    text = tu_read(pub, &len);
    assert_int_equal(len, strlen("{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\","
                                 "\"keyval\":{\"public\":\"\"}}\n") +
                              64);
    {
        static const char head[] =
            "{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\",\"keyval\":{\"public\":\"";
        size_t hl = sizeof(head) - 1;
        assert_memory_equal(text, head, hl);
        for (size_t i = hl; i < hl + 64; i++)
            assert_non_null(strchr("0123456789abcdef", text[i]));
        assert_string_equal((char *)text + hl + 64, "\"}}\n");
    }
    free(text);

    /* parents are made too, all 0700; an existing directory keeps its mode */
    nested = tu_path(f->tmp, "a");
    nested_keys = tu_path(f->tmp, "a/b/keys");
    {
        struct sw_error err = SW_ERROR_INIT;
        assert_int_equal(sw_keyfile_generate(nested_keys, "k", SW_KEY_ED25519, f->pass,
                                             SW_KDF_INTERACTIVE, NULL, &err),
                         0);
    }
    assert_int_equal(mode_of(nested), 0700);
    assert_int_equal(mode_of(nested_keys), 0700);
    assert_int_equal(chmod(nested_keys, 0750), 0);
    {
        struct sw_error err = SW_ERROR_INIT;
        assert_int_equal(sw_keyfile_generate(nested_keys, "k2", SW_KEY_ED25519, f->pass,
                                             SW_KDF_INTERACTIVE, NULL, &err),
                         0);
    }
    assert_int_equal(mode_of(nested_keys), 0750);
    free(nested);
    free(nested_keys);
    free(pub);
    free(sec);
}

/* The header is what docs/keyfile.md says, numbers taken from the libsodium documentation. */
static void
test_sec_layout(void **state)
{
    struct fixture *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    char *sec;
    unsigned char *b;
    size_t len;
    static const unsigned char interactive[16] = {0, 0, 0, 0, 0, 0, 0, 2,
                                                  0, 0, 0, 0, 4, 0, 0, 0}; /* 2, 64 MiB */
    static const unsigned char moderate[16] = {0, 0, 0, 0, 0,    0, 0, 3,
                                               0, 0, 0, 0, 0x10, 0, 0, 0}; /* 3, 256 MiB */

    generate(f, "root", SW_KEY_ED25519);
    sec = key_file(f, "root.sec");
    b = tu_read(sec, &len);
    assert_int_equal(len, 72 + 32 + 16);
    assert_memory_equal(b, "SWSECKEY", 8);
    assert_int_equal(b[8], 1);  /* format version */
    assert_int_equal(b[9], 1);  /* ed25519 */
    assert_int_equal(b[10], 1); /* argon2id v1.3 */
    assert_int_equal(b[11], 1); /* xchacha20poly1305-ietf */
    assert_memory_equal(b + 12, interactive, 16);
    assert_memory_equal(b + 68, "\0\0\0\x20", 4); /* 32 secret bytes */
    free(b);
    free(sec);

    assert_int_equal(
        sw_keyfile_generate(f->keys, "ec", SW_KEY_ECDSA_P256, f->pass, SW_KDF_MODERATE, NULL, &err),
        0);
    sec = key_file(f, "ec.sec");
    b = tu_read(sec, &len);
    assert_int_equal(b[9], 2); /* ecdsa */
    assert_memory_equal(b + 12, moderate, 16);
    assert_int_equal(len, 72 + ((size_t)b[70] << 8 | b[71]) + 16);
    free(b);
    free(sec);
}

static void
test_refuses_overwrite(void **state)
{
    struct fixture *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    unsigned char *before, *after;
    size_t lb, la;
    char *sec = key_file(f, "root.sec"), *pub = key_file(f, "root.pub");
    char *sec2 = key_file(f, "other.sec"), *pub2 = key_file(f, "other.pub");

    generate(f, "root", SW_KEY_ED25519);
    before = tu_read(sec, &lb);
    assert_int_equal(sw_keyfile_generate(f->keys, "root", SW_KEY_ED25519, f->pass,
                                         SW_KDF_INTERACTIVE, NULL, &err),
                     -SW_E_EXISTS);
    assert_non_null(strstr(err.msg, "already exists"));
    assert_non_null(strstr(err.msg, "refusing to overwrite"));
    after = tu_read(sec, &la);
    assert_int_equal(la, lb);
    assert_memory_equal(before, after, lb);
    free(after);

    /* only NAME.pub there: still refused, and no NAME.sec is left behind */
    tu_write_str(pub2, "not mine\n");
    sw_error_clear(&err);
    assert_int_equal(sw_keyfile_generate(f->keys, "other", SW_KEY_ECDSA_P256, f->pass,
                                         SW_KDF_INTERACTIVE, NULL, &err),
                     -SW_E_EXISTS);
    assert_non_null(strstr(err.msg, pub2));
    assert_int_equal(access(sec2, F_OK), -1);

    /* a dangling link counts as existing too */
    assert_int_equal(unlink(pub2), 0);
    assert_int_equal(symlink("/nonexistent/x", sec2), 0);
    assert_int_equal(sw_keyfile_generate(f->keys, "other", SW_KEY_ED25519, f->pass,
                                         SW_KDF_INTERACTIVE, NULL, &err),
                     -SW_E_EXISTS);
    assert_int_equal(access(pub2, F_OK), -1);

    free(before);
    free(sec);
    free(pub);
    free(sec2);
    free(pub2);
}

static void
test_wrong_passphrase(void **state)
{
    struct fixture *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_passphrase *other = NULL;
    struct sw_signer *s = NULL;
    char *expect;

    generate(f, "root", SW_KEY_ED25519);
    assert_int_equal(sw_passphrase_from_mem(OTHER_PASS, strlen(OTHER_PASS), &other, NULL), 0);
    assert_int_equal(sw_keyfile_load_signer(f->keys, "root", other, &s, &err), -SW_E_PASSPHRASE);
    assert_null(s);
    assert_true(asprintf(&expect, "cannot decrypt '%s/root.sec': wrong passphrase or damaged file",
                         f->keys) > 0);
    assert_string_equal(err.msg, expect);
    free(expect);
    sw_passphrase_free(other);
    /* an empty one too */
    assert_int_equal(sw_passphrase_from_mem("", 0, &other, NULL), 0);
    assert_int_equal(sw_keyfile_load_signer(f->keys, "root", other, &s, &err), -SW_E_PASSPHRASE);
    sw_passphrase_free(other);
}

static void
check_flip(struct fixture *f, const char *name, const unsigned char *orig, size_t len, size_t pos,
           unsigned char mask, int want)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_signer *s = NULL;
    unsigned char *copy = malloc(len);
    char *sec, *file;
    int r;

    assert_true(asprintf(&file, "%s.sec", name) > 0);
    sec = key_file(f, file);
    memcpy(copy, orig, len);
    copy[pos] ^= mask;
    tu_write(sec, copy, len);
    r = sw_keyfile_load_signer(f->keys, name, f->pass, &s, &err);
    if (r != -want)
        fail_msg("flipped byte %zu of %s: got %d (%s), want %d", pos, sec, r, err.msg, -want);
    assert_null(s);
    assert_non_null(strstr(err.msg, sec));
    free(copy);
    free(sec);
    free(file);
}

static void
test_flipped_bytes(void **state)
{
    struct fixture *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_signer *s = NULL;
    static const char *const names[] = {"ed", "ec"};
    unsigned char *orig;
    size_t len;

    generate(f, "ed", SW_KEY_ED25519);
    generate(f, "ec", SW_KEY_ECDSA_P256);
    for (size_t k = 0; k < 2; k++) {
        char *file, *sec;
        assert_true(asprintf(&file, "%s.sec", names[k]) > 0);
        sec = key_file(f, file);
        orig = tu_read(sec, &len);
        /* header fields that are parsed: refused before any decryption */
        check_flip(f, names[k], orig, len, 0, 0x01, SW_E_KEYFILE);     /* magic */
        check_flip(f, names[k], orig, len, 7, 0x01, SW_E_KEYFILE);     /* magic */
        check_flip(f, names[k], orig, len, 8, 0x01, SW_E_UNSUPPORTED); /* version */
        check_flip(f, names[k], orig, len, 10, 0x01, SW_E_UNSUPPORTED);
        check_flip(f, names[k], orig, len, 11, 0x01, SW_E_UNSUPPORTED);
        check_flip(f, names[k], orig, len, 71, 0x01, SW_E_KEYFILE); /* secret length */
        /* the key type, or a cost that stays in range: caught as associated data */
        check_flip(f, names[k], orig, len, 9, 0x01, SW_E_UNSUPPORTED); /* type 3 or 0 */
        check_flip(f, names[k], orig, len, 9, 0x03, SW_E_PASSPHRASE);  /* ed25519 <-> ecdsa */
        check_flip(f, names[k], orig, len, 19, 0x01, SW_E_PASSPHRASE); /* opslimit 2 -> 3 */
        check_flip(f, names[k], orig, len, 27, 0x01, SW_E_PASSPHRASE); /* memlimit + 1 byte */
        /* salt, nonce, ciphertext, tag: first and last byte of each */
        static const size_t pos[] = {28, 43, 44, 67, 72};
        for (size_t i = 0; i < sizeof(pos) / sizeof(pos[0]); i++)
            check_flip(f, names[k], orig, len, pos[i], 0x01, SW_E_PASSPHRASE);
        check_flip(f, names[k], orig, len, len - 17, 0x01, SW_E_PASSPHRASE); /* last secret byte */
        check_flip(f, names[k], orig, len, len - 16, 0x01, SW_E_PASSPHRASE); /* tag */
        check_flip(f, names[k], orig, len, len - 1, 0x01, SW_E_PASSPHRASE);  /* tag */
        /* and the untouched file still loads */
        tu_write(sec, orig, len);
        assert_int_equal(sw_keyfile_load_signer(f->keys, names[k], f->pass, &s, &err), 0);
        sw_signer_free(s);
        s = NULL;
        free(orig);
        free(sec);
        free(file);
    }
}

static void
test_truncated_and_garbage(void **state)
{
    struct fixture *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_signer *s = NULL;
    char *sec = key_file(f, "root.sec");
    unsigned char *orig, *longer;
    size_t len;
    static const size_t cuts[] = {0, 4, 8, 40, 71, 72, 100, 119};

    generate(f, "root", SW_KEY_ED25519);
    orig = tu_read(sec, &len);
    assert_int_equal(len, 120);
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        sw_error_clear(&err);
        tu_write(sec, orig, cuts[i]);
        assert_int_equal(sw_keyfile_load_signer(f->keys, "root", f->pass, &s, &err), -SW_E_KEYFILE);
        assert_non_null(strstr(err.msg, sec));
        if (cuts[i] >= 8)
            assert_non_null(strstr(err.msg, "truncated"));
        else
            assert_non_null(strstr(err.msg, "not a slipway secret key file"));
    }
    /* a byte more */
    longer = malloc(len + 1);
    memcpy(longer, orig, len);
    longer[len] = '\n';
    tu_write(sec, longer, len + 1);
    assert_int_equal(sw_keyfile_load_signer(f->keys, "root", f->pass, &s, &err), -SW_E_KEYFILE);
    assert_non_null(strstr(err.msg, "trailing bytes"));
    /* a later format version is named as such, whatever its length */
    tu_write(sec, "SWSECKEY\x02", 9);
    assert_int_equal(sw_keyfile_load_signer(f->keys, "root", f->pass, &s, &err), -SW_E_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "format version 2; this program reads version 1"));
    /* something else entirely */
    tu_write_str(sec, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n");
    assert_int_equal(sw_keyfile_load_signer(f->keys, "root", f->pass, &s, &err), -SW_E_KEYFILE);
    assert_non_null(strstr(err.msg, "is not a slipway secret key file"));
    assert_null(s);
    /* missing */
    assert_int_equal(unlink(sec), 0);
    assert_int_equal(sw_keyfile_load_signer(f->keys, "root", f->pass, &s, &err), -SW_E_NOTFOUND);
    assert_non_null(strstr(err.msg, sec));
    free(longer);
    free(orig);
    free(sec);
}

static void
test_unsafe_sec(void **state)
{
    struct fixture *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_signer *s = NULL;
    char *sec = key_file(f, "root.sec"), *real = key_file(f, "real.sec");
    static const mode_t bad[] = {0640, 0604, 0644, 0660, 0610};
    char expect[4096];

    generate(f, "root", SW_KEY_ED25519);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(chmod(sec, bad[i]), 0);
        assert_int_equal(sw_keyfile_load_signer(f->keys, "root", f->pass, &s, &err), -SW_E_KEYFILE);
        snprintf(expect, sizeof(expect), "run 'chmod 600 %s'", sec);
        assert_non_null(strstr(err.msg, expect));
        assert_null(s);
    }
    assert_int_equal(chmod(sec, 0400), 0); /* read-only for the owner is fine */
    assert_int_equal(sw_keyfile_load_signer(f->keys, "root", f->pass, &s, &err), 0);
    sw_signer_free(s);
    s = NULL;

    /* a symbolic link is refused, even to a good file */
    assert_int_equal(rename(sec, real), 0);
    assert_int_equal(symlink(real, sec), 0);
    assert_int_equal(sw_keyfile_load_signer(f->keys, "root", f->pass, &s, &err), -SW_E_KEYFILE);
    assert_non_null(strstr(err.msg, "symbolic link"));
    free(sec);
    free(real);
}

static void
test_weak_passphrase_refused(void **state)
{
    struct fixture *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_passphrase *weak = NULL;

    assert_int_equal(sw_passphrase_from_mem("Password1234", 12, &weak, NULL), 0);
    assert_int_equal(
        sw_keyfile_generate(f->keys, "root", SW_KEY_ED25519, weak, SW_KDF_INTERACTIVE, NULL, &err),
        -SW_E_WEAK_PASSPHRASE);
    assert_non_null(strstr(err.msg, "common password"));
    assert_int_equal(access(f->keys, F_OK), -1); /* nothing made, not even the directory */
    sw_passphrase_free(weak);
}

static void
test_names(void **state)
{
    struct fixture *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_signer *s = NULL;
    json_t *pub = NULL;
    static const char *const bad[] = {"",    "../root", ".hidden", "a/b", "-x",
                                      "a b", "root\n",  "é",       "_x",  NULL};
    char long_name[SW_KEY_NAME_MAX + 2];
    enum sw_key_type t;
    enum sw_kdf_level l;

    for (size_t i = 0; bad[i]; i++) {
        assert_int_equal(sw_keyfile_check_name(bad[i], &err), -SW_E_INVAL);
        assert_int_equal(sw_keyfile_generate(f->keys, bad[i], SW_KEY_ED25519, f->pass,
                                             SW_KDF_INTERACTIVE, NULL, &err),
                         -SW_E_INVAL);
        assert_int_equal(sw_keyfile_load_signer(f->keys, bad[i], f->pass, &s, &err), -SW_E_INVAL);
        assert_int_equal(sw_keyfile_load_public(f->keys, bad[i], &pub, &err), -SW_E_INVAL);
    }
    assert_non_null(strstr(err.msg, "invalid key name"));
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(sw_keyfile_check_name(long_name, &err), -SW_E_INVAL);
    long_name[SW_KEY_NAME_MAX] = '\0';
    assert_int_equal(sw_keyfile_check_name(long_name, &err), 0);
    assert_int_equal(sw_keyfile_check_name("targets-2024.bins_0", &err), 0);
    assert_int_equal(sw_keyfile_check_name("0", &err), 0);

    assert_int_equal(sw_key_type_from_string("ecdsa", &t, &err), 0);
    assert_int_equal(t, SW_KEY_ECDSA_P256);
    assert_string_equal(sw_key_type_to_string(t), "ecdsa");
    assert_int_equal(sw_key_type_from_string("ecdsa-sha2-nistp256", &t, &err), 0);
    assert_int_equal(sw_key_type_from_string("ed25519", &t, &err), 0);
    assert_int_equal(t, SW_KEY_ED25519);
    assert_int_equal(sw_key_type_from_string("rsa", &t, &err), -SW_E_UNSUPPORTED);
    assert_int_equal(sw_kdf_level_from_string("moderate", &l, &err), 0);
    assert_int_equal(l, SW_KDF_MODERATE);
    assert_string_equal(sw_kdf_level_to_string(SW_KDF_SENSITIVE), "sensitive");
    assert_int_equal(sw_kdf_level_from_string("fast", &l, &err), -SW_E_INVAL);
}

static void
test_public_file_must_match(void **state)
{
    struct fixture *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_signer *s = NULL;
    char *a_pub = key_file(f, "a.pub"), *b_pub = key_file(f, "b.pub");
    unsigned char *a_text, *b_text;
    size_t la, lb;
    json_t *orig = NULL;

    generate(f, "a", SW_KEY_ED25519);
    generate(f, "b", SW_KEY_ED25519);
    a_text = tu_read(a_pub, &la);
    b_text = tu_read(b_pub, &lb);
    assert_int_equal(sw_keyfile_load_public(f->keys, "a", &orig, &err), 0);

    tu_write(a_pub, b_text, lb);
    assert_int_equal(sw_keyfile_load_signer(f->keys, "a", f->pass, &s, &err), -SW_E_KEYFILE);
    assert_non_null(strstr(err.msg, "does not hold the public key of"));
    assert_non_null(strstr(err.msg, a_pub));
    assert_null(s);

    /* without NAME.pub the object is derived from the secret key: the same one */
    assert_int_equal(unlink(a_pub), 0);
    assert_int_equal(sw_keyfile_load_signer(f->keys, "a", f->pass, &s, &err), 0);
    assert_true(json_equal(sw_signer_public_json(s), orig));
    sw_signer_free(s);

    free(a_text);
    free(b_text);
    free(a_pub);
    free(b_pub);
    json_decref(orig);
}

/* Public key objects from the independent vectors pass; broken ones do not. */
static void
test_public_check(void **state)
{
    struct sw_error err = SW_ERROR_INIT;
    enum sw_key_type type;
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    static const char *const vectors[] = {"tests/vectors/tuf/basic-ed25519/metadata/1.root.json",
                                          "tests/vectors/tuf/basic-ecdsa/metadata/1.root.json"};
    (void)state;

    for (size_t v = 0; v < 2; v++) {
        char *path = tu_src_path(vectors[v]);
        json_t *root = json_load_file(path, 0, NULL), *keys, *key;
        const char *id;
        assert_non_null(root);
        keys = json_object_get(json_object_get(root, "signed"), "keys");
        assert_true(json_object_size(keys) > 0);
        json_object_foreach(keys, id, key)
        {
            assert_int_equal(sw_keyfile_public_check(key, id, &type, &raw, &raw_len, &err), 0);
            assert_int_equal(type, v == 0 ? SW_KEY_ED25519 : SW_KEY_ECDSA_P256);
            assert_int_equal(raw_len, v == 0 ? 32 : 91);
            free(raw);
            raw = NULL;
        }
        json_decref(root);
        free(path);
    }

    static const struct {
        const char *json;
        int code;
        const char *why;
    } bad[] = {
        {"[]", SW_E_KEY, "JSON object"},
        {"{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\"}", SW_E_KEY, "exactly the fields"},
        {"{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\",\"keyval\":{\"public\":\"00\"},"
         "\"x\":1}",
         SW_E_KEY, "exactly the fields"},
        {"{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\",\"keyval\":{\"public\":\"00\"}}",
         SW_E_KEY, "64 lowercase hex"},
        {"{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\",\"keyval\":{\"public\":"
         "\"3CA811929C3C45997C709DF7167E9988C2410202F305D4CD863EF7E29345C183\"}}",
         SW_E_KEY, "64 lowercase hex"},
        {"{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\",\"keyval\":{\"public\":"
         "\"3ca811929c3c45997c709df7167e9988c2410202f305d4cd863ef7e29345c183\",\"private\":\"\"}}",
         SW_E_KEY, "exactly one field"},
        {"{\"keytype\":\"ed25519\",\"scheme\":\"ecdsa-sha2-nistp256\",\"keyval\":{\"public\":"
         "\"3ca811929c3c45997c709df7167e9988c2410202f305d4cd863ef7e29345c183\"}}",
         SW_E_UNSUPPORTED, "unsupported key type"},
        {"{\"keytype\":\"ecdsa\",\"scheme\":\"ecdsa-sha2-nistp256\",\"keyval\":{\"public\":"
         "\"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\"}}",
         SW_E_KEY, "PEM block"},
        {"{\"keytype\":\"ecdsa\",\"scheme\":\"ecdsa-sha2-nistp256\",\"keyval\":{\"public\":"
         "\"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\\n\"}}",
         SW_E_KEY, "cannot parse"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *k = json_loads(bad[i].json, 0, NULL);
        assert_non_null(k);
        sw_error_clear(&err);
        if (sw_keyfile_public_check(k, "'x.pub'", &type, NULL, NULL, &err) != -bad[i].code ||
            !strstr(err.msg, bad[i].why) || !strstr(err.msg, "'x.pub'"))
            fail_msg("case %zu: got '%s'", i, err.msg);
        json_decref(k);
    }

    /* an RSA key (from the rsa vector) is not a P-256 key */
    {
        char *path = tu_src_path("tests/vectors/tuf/basic-rsa/metadata/1.root.json");
        json_t *root = json_load_file(path, 0, NULL), *keys, *key, *fake;
        const char *id;
        assert_non_null(root);
        keys = json_object_get(json_object_get(root, "signed"), "keys");
        json_object_foreach(keys, id, key)
        {
            fake = json_pack("{s:s,s:s,s:O}", "keytype", "ecdsa", "scheme", "ecdsa-sha2-nistp256",
                             "keyval", json_object_get(key, "keyval"));
            assert_int_equal(sw_keyfile_public_check(fake, id, &type, NULL, NULL, &err), -SW_E_KEY);
            assert_non_null(strstr(err.msg, "not on curve P-256"));
            json_decref(fake);
            break;
        }
        json_decref(root);
        free(path);
    }

    /* duplicate keys in NAME.pub are refused by the text parser */
    {
        json_t *k = NULL;
        const char *dup = "{\"keytype\":\"ed25519\",\"keytype\":\"ed25519\"}";
        assert_int_equal(sw_keyfile_public_parse_mem(dup, strlen(dup), "'d.pub'", &k, &err),
                         -SW_E_JSON);
        assert_null(k);
    }
}

/* sw_keysec_parse() never reads outside the buffer, whatever its length. */
static void
test_keysec_parse_short(void **state)
{
    struct fixture *f = *state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_keysec ks;
    char *sec = key_file(f, "root.sec");
    unsigned char *orig;
    size_t len;

    generate(f, "root", SW_KEY_ED25519);
    orig = tu_read(sec, &len);
    assert_int_equal(sw_keysec_parse(orig, len, "x", &ks, &err), 0);
    assert_int_equal(ks.type, SW_KEY_ED25519);
    assert_int_equal(ks.opslimit, 2);
    assert_int_equal(ks.memlimit, 64 * 1024 * 1024);
    assert_int_equal(ks.secret_len, 32);
    assert_ptr_equal(ks.salt, orig + 28);
    assert_ptr_equal(ks.nonce, orig + 44);
    assert_ptr_equal(ks.ciphertext, orig + 72);
    for (size_t n = 0; n < len; n++) {
        unsigned char *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
        memcpy(copy, orig, n);
        assert_true(sw_keysec_parse(copy, n, "x", &ks, &err) < 0);
        free(copy);
    }
    /* a cost beyond the bounds is refused before anything is allocated */
    orig[20 + 3] = 0xff; /* memlimit: about 1 TiB */
    assert_int_equal(sw_keysec_parse(orig, len, "x", &ks, &err), -SW_E_KEY);
    assert_non_null(strstr(err.msg, "out of range"));
    free(orig);
    free(sec);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ed25519_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ecdsa_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_and_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sec_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_passphrase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flipped_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_and_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsafe_sec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weak_passphrase_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_public_file_must_match, setup, teardown),
        cmocka_unit_test(test_public_check),
        cmocka_unit_test_setup_teardown(test_keysec_parse_short, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
