/* SPDX-License-Identifier: MIT */
/*
 * TLS pins: the SHA-256 of a DER SubjectPublicKeyInfo, base64, after
 * "sha256//", as libcurl's CURLOPT_PINNEDPUBLICKEY compares them. Reads
 * certificates with libcrypto; connects with libcurl only to be shown a
 * server's certificate, never to download.
 */
#include <slipway/fs.h>
#include <slipway/pin.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIN_FILE_MAX (1024 * 1024)

static int
pin_of_pkey(EVP_PKEY *pkey, char ret_pin[SW_PIN_SIZE], struct sw_error *err)
{
    unsigned char *der = NULL, digest[SHA256_DIGEST_LENGTH];
    int len = i2d_PUBKEY(pkey, &der);

    if (len <= 0)
        return sw_error_set(err, SW_E_INVAL, "cannot encode the public key");
    SHA256(der, (size_t)len, digest);
    OPENSSL_free(der);
    memcpy(ret_pin, "sha256//", 8);
    /* 32 bytes are 44 base64 characters with padding, plus NUL */
    if (EVP_EncodeBlock((unsigned char *)ret_pin + 8, digest, sizeof(digest)) != 44)
        return sw_error_set(err, SW_E_INTERNAL, "base64 of a SHA-256 is not 44 characters");
    return 0;
}

int
sw_pin_from_pem(const char *pem, size_t len, char ret_pin[SW_PIN_SIZE], struct sw_error *err)
{
    BIO *bio = NULL;
    X509 *cert = NULL;
    EVP_PKEY *pkey = NULL;
    int r;

    if (len > PIN_FILE_MAX || !(bio = BIO_new_mem_buf(pem, (int)len)))
        return sw_error_set(err, SW_E_NOMEM, "out of memory reading a certificate");
    cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (cert) {
        pkey = X509_get_pubkey(cert);
    } else {
        (void)BIO_reset(bio);
        pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    }
    if (!pkey) {
        r = sw_error_set(err, SW_E_INVAL,
                         "no PEM certificate (BEGIN CERTIFICATE) or public key (BEGIN PUBLIC "
                         "KEY) found");
        goto out;
    }
    r = pin_of_pkey(pkey, ret_pin, err);
out:
    EVP_PKEY_free(pkey);
    X509_free(cert);
    BIO_free(bio);
    return r;
}

int
sw_pin_from_file(const char *path, char ret_pin[SW_PIN_SIZE], struct sw_error *err)
{
    unsigned char *text = NULL;
    size_t len = 0;
    int r = sw_fs_read_file(path, PIN_FILE_MAX, &text, &len, err);

    if (r < 0)
        return r;
    if (memmem(text, len, "PRIVATE KEY-----", 16))
        r = sw_error_set(err, SW_E_INVAL,
                         "'%s' holds a private key; give the certificate (or public key) instead",
                         path);
    else if ((r = sw_pin_from_pem((const char *)text, len, ret_pin, err)) < 0)
        sw_error_prefix(err, "'%s': ", path);
    free(text);
    return r;
}

int
sw_pin_from_curl(CURL *curl, char ret_pin[SW_PIN_SIZE], struct sw_error *err)
{
    struct curl_certinfo *ci = NULL;

    if (curl_easy_getinfo(curl, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci || ci->num_of_certs < 1)
        return sw_error_set(err, SW_E_NOTFOUND, "libcurl kept no certificate of the server");
    for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next)
        if (strncmp(s->data, "Cert:", 5) == 0)
            return sw_pin_from_pem(s->data + 5, strlen(s->data + 5), ret_pin, err);
    return sw_error_set(err, SW_E_NOTFOUND, "libcurl kept no PEM of the server's certificate");
}

int
sw_pin_of_server(const char *url, const char *ca_file, unsigned connect_timeout,
                 char ret_pin[SW_PIN_SIZE], struct sw_error *err)
{
    char why[CURL_ERROR_SIZE] = "";
    CURL *c;
    CURLcode rc = CURLE_OK;
    int r;

    if (strncmp(url, "https://", 8) != 0)
        return sw_error_set(err, SW_E_FETCH_URL, "'%s' is not an https:// URL", url);
    c = curl_easy_init();
    if (!c)
        return sw_error_set(err, SW_E_NOMEM, "cannot start libcurl");
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(c, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "https");
    SET(CURLOPT_CONNECT_ONLY, 1L); /* the handshake, then hang up: nothing is downloaded */
    SET(CURLOPT_CERTINFO, 1L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, why);
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_CONNECTTIMEOUT, (long)(connect_timeout ? connect_timeout : 30));
    if (ca_file)
        SET(CURLOPT_CAINFO, ca_file);
#undef SET
    if (rc != CURLE_OK) {
        r = sw_error_set(err, SW_E_FETCH, "cannot set up libcurl: %s", curl_easy_strerror(rc));
        goto out;
    }
    rc = curl_easy_perform(c);
    switch ((int)rc) {
    case CURLE_OK:
        r = sw_pin_from_curl(c, ret_pin, err);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
        r = sw_error_set(err, SW_E_FETCH_CONNECT, "%s: could not connect (%s)", url,
                         why[0] ? why : curl_easy_strerror(rc));
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        r = sw_error_set(err, SW_E_FETCH_TLS,
                         "%s: TLS failed (%s); give the CA that signs the server's certificate "
                         "with --ca-file, or run 'slipway pin CERT-FILE' on the certificate file",
                         url, why[0] ? why : curl_easy_strerror(rc));
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        r = sw_error_set(err, SW_E_FETCH_URL, "%s: %s", url, why[0] ? why : curl_easy_strerror(rc));
        break;
    default:
        r = sw_error_set(err, SW_E_FETCH, "%s: %s", url, why[0] ? why : curl_easy_strerror(rc));
        break;
    }
out:
    curl_easy_cleanup(c);
    return r;
}
