#!/bin/bash
# SPDX-License-Identifier: MIT
# Versions are bounded: 1 to INT64_MAX - 1 (SW_MD_MAX_VERSION) for every
# role and every version in timestamp and snapshot "meta", so that the
# next root's number (version + 1) can always be computed. A root signed at
# INT64_MAX (made with slipway-repo and re-signed with tuf-forge) is
# refused by init, as the next root served by a real nginx, and as a
# trusted root.json found in the state; a timestamp at INT64_MAX and a
# snapshot named at INT64_MAX are refused by refresh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

MAX=9223372036854775807
MAX1=9223372036854775806

make_repo vb
make_repo ts
nginx_start "$TRASH/www"
M=$TRASH/www
LOG=$NGINX_LOG

test_expect_success 'setup: roots at INT64_MAX and INT64_MAX - 1, signed by the root key' '
    forge_resign vb 1.root.json --key root-1 --set version=$MAX --out "$TRASH/max.root.json" &&
    forge_resign vb 1.root.json --key root-1 --set version=$MAX1 --out "$TRASH/max1.root.json" &&
    test "$(json_get "$TRASH/max.root.json" "[\"signed\"][\"version\"]")" = $MAX
'

test_expect_success 'init refuses a root at INT64_MAX, naming the bound, and keeps nothing' '
    COMPATIBLE=dev trust_conf "$TRASH/vb.conf" "${NGINX_URL}vb/" &&
    expect_code 5 sw vb init --root "$TRASH/max.root.json" &&
    contains "$TRASH/err" "field '"'"'version'"'"' is $MAX, above the largest version $MAX1" &&
    test ! -e "$TRASH/st-vb/metadata/root.json"
'

test_expect_success 'init takes a root at INT64_MAX - 1; refresh asks for INT64_MAX.root.json' '
    expect_code 0 sw vb init --root "$TRASH/max1.root.json" &&
    before=$(log_lines "$LOG") &&
    expect_code 0 sw vb refresh &&
    requests_since "$LOG" "$before" >got &&
    grep -qxF "GET /vb/metadata/$MAX.root.json 404" got &&
    lacks got "GET /vb/metadata/-" &&
    test "$(trusted vb root)" = $MAX1
'

test_expect_success 'a next root at INT64_MAX is refused; the trusted root stays' '
    cp "$TRASH/max.root.json" "$M/vb/metadata/$MAX.root.json" &&
    expect_code 5 sw vb refresh &&
    contains "$TRASH/err" "above the largest version $MAX1" &&
    test "$(trusted vb root)" = $MAX1 &&
    rm "$M/vb/metadata/$MAX.root.json"
'

test_expect_success 'a trusted root.json at INT64_MAX stops refresh before any request' '
    cp "$TRASH/max.root.json" "$TRASH/st-vb/metadata/root.json" &&
    before=$(log_lines "$LOG") &&
    expect_code 5 sw vb refresh &&
    contains "$TRASH/err" "above the largest version $MAX1" &&
    requests_since "$LOG" "$before" >got &&
    test ! -s got
'

test_expect_success 'a timestamp at INT64_MAX is refused; the trusted one is kept' '
    client_for ts "$NGINX_URL" && expect_code 0 sw ts refresh &&
    test "$(trusted ts timestamp)" = 2 &&
    forge_resign ts timestamp.json --key timestamp-1 --set version=$MAX &&
    expect_code 5 sw ts refresh &&
    contains "$TRASH/err" "role '"'"'timestamp'"'"': field '"'"'version'"'"' is $MAX" &&
    test "$(trusted ts timestamp)" = 2
'

test_expect_success 'a timestamp naming snapshot version INT64_MAX is refused' '
    forge_resign ts timestamp.json --key timestamp-1 --set version=$MAX1 \
        --set "meta[snapshot.json].version=$MAX" --unset "meta[snapshot.json].length" \
        --unset "meta[snapshot.json].hashes" &&
    expect_code 5 sw ts refresh &&
    contains "$TRASH/err" "field '"'"'meta.snapshot.json.version'"'"' is $MAX, above the largest version" &&
    test "$(trusted ts timestamp)" = 2
'

test_expect_success 'slipway-repo refuses to publish past the largest version' '
    make_repo pub &&
    forge_resign pub timestamp.json --key timestamp-1 --set version=$MAX1 &&
    cp "$TRASH/www/pub/metadata/timestamp.json" "$TRASH/ts.before" &&
    ! repo timestamp "$TRASH/www/pub" --key-dir "$TRASH/keys-pub" --passphrase-file "$PASS" \
        >"$TRASH/out" 2>"$TRASH/err" &&
    contains "$TRASH/err" "role '"'"'timestamp'"'"' is at version $MAX1, the largest a client accepts" &&
    cmp "$TRASH/ts.before" "$TRASH/www/pub/metadata/timestamp.json"
'

test_done
