/* SPDX-License-Identifier: MIT */
/*
 * TLS public-key pins in libcurl's CURLOPT_PINNEDPUBLICKEY form,
 * "sha256//" + base64(SHA-256(DER SubjectPublicKeyInfo)): computed from a
 * PEM certificate (or public key), from the chain libcurl collected for a
 * transfer, or from what an https server presents. Choosing to trust a pin
 * is left to the operator and the configuration.
 */
#ifndef SLIPWAY_PIN_H
#define SLIPWAY_PIN_H

#include <slipway/error.h>

#include <curl/curl.h>
#include <stddef.h>

#define SW_PIN_SIZE 64 /* "sha256//" + 44 base64 characters + NUL, rounded up */

/*
 * The pin of the first certificate (or, failing that, public key) in the
 * PEM text pem[0..len). -SW_E_INVAL when it holds neither.
 */
int sw_pin_from_pem(const char *pem, size_t len, char ret_pin[SW_PIN_SIZE], struct sw_error *err);

/* sw_pin_from_pem() of a file (at most 1 MiB; not a private key file). */
int sw_pin_from_file(const char *path, char ret_pin[SW_PIN_SIZE], struct sw_error *err);

/*
 * The pin of the server's (leaf) certificate of the last transfer of curl,
 * made with CURLOPT_CERTINFO set. -SW_E_NOTFOUND when libcurl kept none.
 */
int sw_pin_from_curl(CURL *curl, char ret_pin[SW_PIN_SIZE], struct sw_error *err);

/*
 * Connect to the https URL, verify its certificate against ca_file (NULL:
 * the system's CAs) and its host name, and return the pin of the key it
 * presents. Nothing is downloaded. A failure is -SW_E_FETCH_* as fetch
 * reports it.
 */
int sw_pin_of_server(const char *url, const char *ca_file, unsigned connect_timeout,
                     char ret_pin[SW_PIN_SIZE], struct sw_error *err);

#endif
