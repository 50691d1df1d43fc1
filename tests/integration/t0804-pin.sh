#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway pin URL|CERT-FILE prints libcurl's sha256// pin of a certificate
# file or of what an https server (the real nginx, the test CA) presents,
# checked against openssl's own computation (spki_pin); the pin it prints
# works in a configuration; a pin mismatch names the pin the server
# presented. The HTTPS quick start of docs/fetch.md, run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

make_repo r >/dev/null 2>&1
nginx_start "$TRASH/www" >/dev/null
nginx_start "$TRASH/www" other other >/dev/null
OTHER_URL=$NGINX_URL
nginx_start "$TRASH/www" >/dev/null
SERVER_PIN=$(spki_pin "$PKI/server.crt")
OTHER_PIN=$(spki_pin "$PKI/other.crt")

test_expect_success 'the two test certificates have distinct pins of the documented form' '
    test "$SERVER_PIN" != "$OTHER_PIN" &&
    echo "$SERVER_PIN" | grep -qE "^sha256//[A-Za-z0-9+/]{43}=$"
'

test_expect_success 'pin CERT-FILE prints what openssl computes, and nothing else on stdout' '
    expect_code 0 "$SLIPWAY" pin "$PKI/server.crt" &&
    test "$(cat "$TRASH/out")" = "$SERVER_PIN" &&
    contains "$TRASH/err" "pin = $SERVER_PIN" &&
    expect_code 0 "$SLIPWAY" pin "$PKI/other.crt" && test "$(cat "$TRASH/out")" = "$OTHER_PIN"
'

test_expect_success 'pin of a PEM public key and of a chain (leaf first) file' '
    openssl x509 -in "$PKI/server.crt" -pubkey -noout >"$TRASH/server.pub" &&
    expect_code 0 "$SLIPWAY" pin "$TRASH/server.pub" && test "$(cat "$TRASH/out")" = "$SERVER_PIN" &&
    cat "$PKI/other.crt" "$PKI/ca.crt" >"$TRASH/chain.pem" &&
    expect_code 0 "$SLIPWAY" pin "$TRASH/chain.pem" && test "$(cat "$TRASH/out")" = "$OTHER_PIN"
'

test_expect_success 'pin https://nginx --ca-file: the pin of the certificate the server presents' '
    expect_code 0 "$SLIPWAY" pin "$NGINX_URL" --ca-file "$PKI/ca.crt" &&
    test "$(cat "$TRASH/out")" = "$SERVER_PIN" &&
    expect_code 0 "$SLIPWAY" pin "${OTHER_URL}r/metadata/" --ca-file "$PKI/ca.crt" &&
    test "$(cat "$TRASH/out")" = "$OTHER_PIN" &&
    expect_code 0 "$SLIPWAY" pin "$NGINX_URL" --ca-file "$PKI/ca.crt" --json &&
    test "$(json_get "$TRASH/out" "[\"pin\"]")" = "$SERVER_PIN" &&
    test "$(json_get "$TRASH/out" "[\"source\"]")" = server
'

test_expect_success 'pin downloads nothing: nginx logs no request' '
    before=$(wc -l <"$NGINX_LOG") &&
    expect_code 0 "$SLIPWAY" pin "${NGINX_URL}r/metadata/timestamp.json" --ca-file "$PKI/ca.crt" &&
    sleep 0.2 && test "$(wc -l <"$NGINX_LOG")" = "$before"
'

test_expect_success 'a server whose certificate does not verify gets no pin (exit 6, says what to do)' '
    expect_code 6 "$SLIPWAY" pin "$NGINX_URL" &&
    contains "$TRASH/err" "TLS failed" && contains "$TRASH/err" "--ca-file" &&
    lacks "$TRASH/out" "sha256//" &&
    expect_code 6 "$SLIPWAY" pin "$NGINX_URL" --ca-file "$PKI/rogue-ca.crt"
'

test_expect_success 'refusals: http://, a private key, a file with no PEM, a missing file' '
    expect_code 2 "$SLIPWAY" pin "http://127.0.0.1:1/" && contains "$TRASH/err" "not https://" &&
    expect_code 2 "$SLIPWAY" pin "$PKI/server.crt" --ca-file "$PKI/ca.crt" &&
    expect_code 2 "$SLIPWAY" pin &&
    expect_code 1 "$SLIPWAY" pin "$PKI/server.key" && contains "$TRASH/err" "private key" &&
    lacks "$TRASH/out" "sha256//" &&
    echo "not a certificate" >"$TRASH/junk.pem" &&
    expect_code 1 "$SLIPWAY" pin "$TRASH/junk.pem" && contains "$TRASH/err" "no PEM certificate" &&
    expect_code 1 "$SLIPWAY" pin "$TRASH/none.pem"
'

test_expect_success 'pin needs no configuration and no state directory' '
    expect_code 0 "$SLIPWAY" -c "$TRASH/none.conf" --state-dir "$TRASH/nost" pin "$PKI/server.crt" &&
    test ! -e "$TRASH/nost"
'

test_expect_success 'the printed pin, put in the configuration, lets refresh through' '
    pin=$("$SLIPWAY" pin "$PKI/server.crt" 2>/dev/null) &&
    client_for r "$NGINX_URL" && echo "pin = $pin" >>"$TRASH/r.conf" &&
    expect_code 0 sw r refresh
'

test_expect_success 'a pin mismatch shows the pin the server presented and the one configured' '
    COMPATIBLE=dev trust_conf "$TRASH/o.conf" "${OTHER_URL}r/" && echo "pin = $SERVER_PIN" >>"$TRASH/o.conf" &&
    "$SLIPWAY" -c "$TRASH/o.conf" --state-dir "$TRASH/st-o" init --root "$TRASH/www/r/metadata/1.root.json" >/dev/null &&
    expect_code 6 "$SLIPWAY" -c "$TRASH/o.conf" --state-dir "$TRASH/st-o" refresh &&
    contains "$TRASH/err" "does not match the mirror'"'"'s pin" &&
    contains "$TRASH/err" "the server presented $OTHER_PIN" &&
    contains "$TRASH/err" "the configuration pins $SERVER_PIN" &&
    contains "$TRASH/err" "slipway pin CERT-FILE"
'

test_done
