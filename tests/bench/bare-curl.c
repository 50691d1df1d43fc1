/* SPDX-License-Identifier: MIT */
/*
 * The floor of the nothing-new run (tests/bench/update.sh): a program that
 * links only libcurl and makes the two requests `slipway update` makes,
 * the next root's probe and the timestamp, over one HTTPS connection with
 * the same TLS settings (TLS 1.2 or later, the mirror's CA file, peer and
 * host checked), and keeps the bodies in memory. What it costs is what
 * loading libcurl's dependency tree, OpenSSL's start-up and the TLS
 * handshake cost any client; slipway's own work is the difference.
 *
 * usage: bare-curl CA-FILE URL...   (exit 0 when every URL answered; a 404
 * counts as an answer: the probe of the next root is one)
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct body {
    char buf[64 * 1024];
    size_t len;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t len = size * n;

    if (len > sizeof(b->buf) - b->len)
        return 0; /* a cap, as every download has */
    memcpy(b->buf + b->len, p, len);
    b->len += len;
    return len;
}

int
main(int argc, char **argv)
{
    static struct body body;
    CURL *c;
    int rc = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: bare-curl CA-FILE URL...\n");
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(c = curl_easy_init()))
        return 1;
    for (int i = 2; i < argc; i++) {
        long status = 0;
        body.len = 0;
        curl_easy_setopt(c, CURLOPT_URL, argv[i]);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(c, CURLOPT_CAINFO, argv[1]);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        if (curl_easy_perform(c) != CURLE_OK ||
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
            (status != 200 && status != 404)) {
            fprintf(stderr, "bare-curl: %s: failed (HTTP %ld)\n", argv[i], status);
            rc = 1;
        }
    }
    curl_easy_cleanup(c);
    curl_global_cleanup();
    return rc;
}
