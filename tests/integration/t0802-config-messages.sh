#!/bin/bash
# SPDX-License-Identifier: MIT
# Errors that say who must act and how: an unknown configuration key names
# the nearest valid one (or the section it belongs in), and a metadata size
# cap that is hit names the [fetch] setting that raises it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

conf_err() { # conf_err SECTION-AND-LINES...: status with this configuration, exit 3
    printf '%s\n' "$@" >"$TRASH/c.conf" &&
        expect_code 3 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" status
}

test_expect_success 'a misspelt key: did you mean the nearest one of its section' '
    conf_err "[slipway]" "compatable = dev" &&
    contains "$TRASH/err" "c.conf:2: unknown key '"'"'compatable'"'"' in section [slipway]; did you mean '"'"'compatible'"'"'?" &&
    conf_err "[fetch]" "max-metdata-size = 1M" &&
    contains "$TRASH/err" "did you mean '"'"'max-metadata-size'"'"'?" &&
    conf_err "[fetch]" "retires = 3" && contains "$TRASH/err" "did you mean '"'"'retries'"'"'?" &&
    conf_err "[mirror \"m\"]" "metadata_url = https://127.0.0.1/" &&
    contains "$TRASH/err" "did you mean '"'"'metadata-url'"'"'?"
'

test_expect_success 'a key of another section says where it belongs' '
    conf_err "[slipway]" "retries = 3" &&
    contains "$TRASH/err" "'"'"'retries'"'"' belongs in section [fetch]" &&
    conf_err "[fetch]" "pin = sha256//x" &&
    contains "$TRASH/err" "belongs in section [mirror \"NAME\"]"
'

test_expect_success 'nothing is suggested for a key far from every valid one' '
    conf_err "[slipway]" "frobnicate = 1" &&
    contains "$TRASH/err" "unknown key '"'"'frobnicate'"'"' in section [slipway]" &&
    lacks "$TRASH/err" "did you mean" && lacks "$TRASH/err" "belongs in" &&
    conf_err "[fetch]" "max = 1" && lacks "$TRASH/err" "did you mean"
'

make_repo r >/dev/null 2>&1
nginx_start "$TRASH/www" >/dev/null

# capped NAME SETTING BYTES: a client of repository NAME with [fetch] SETTING = BYTES
capped() {
    COMPATIBLE=dev trust_conf "$TRASH/$1.conf" "$NGINX_URL$1/" &&
        sed -i "s/^\[fetch\]$/[fetch]\n$2 = $3/" "$TRASH/$1.conf" &&
        grep -q "^$2 = $3$" "$TRASH/$1.conf"
}

test_expect_success 'max-timestamp-size hit: the message names [fetch] max-timestamp-size' '
    capped r max-timestamp-size 200 &&
    "$SLIPWAY" -c "$TRASH/r.conf" --state-dir "$TRASH/st-r" init --root "$TRASH/www/r/metadata/1.root.json" >/dev/null &&
    expect_code 6 sw r refresh &&
    contains "$TRASH/err" "more than the cap of 200" &&
    contains "$TRASH/err" "raise [fetch] max-timestamp-size (now 200 bytes)"
'

test_expect_success 'max-root-size hit by init --root and by the next root' '
    size=$(wc -c <"$TRASH/www/r/metadata/1.root.json") &&
    capped r max-root-size 100 && rm -rf "$TRASH/st-r" &&
    expect_code 1 "$SLIPWAY" -c "$TRASH/r.conf" --state-dir "$TRASH/st-r" init --root "$TRASH/www/r/metadata/1.root.json" &&
    contains "$TRASH/err" "raise [fetch] max-root-size" &&
    capped r max-root-size "$size" &&
    "$SLIPWAY" -c "$TRASH/r.conf" --state-dir "$TRASH/st-r" init --root "$TRASH/www/r/metadata/1.root.json" >/dev/null &&
    repo keygen extra-1 --key-dir "$TRASH/keys-r" --passphrase-file "$PASS" >/dev/null &&
    repo rotate-root "$TRASH/www/r" --add-key extra-1 --key-dir "$TRASH/keys-r" >/dev/null &&
    publish r && test "$(wc -c <"$TRASH/www/r/metadata/2.root.json")" -gt "$size" &&
    expect_code 6 sw r refresh &&
    contains "$TRASH/err" "2.root.json" &&
    contains "$TRASH/err" "raise [fetch] max-root-size (now $size bytes)"
'

test_expect_success 'max-metadata-size hit by a role the snapshot gives no length for' '
    make_repo m >/dev/null && relink m --no-meta-hashes >/dev/null &&
    ! grep -q "\"length\"" "$TRASH/www/m/metadata/timestamp.json" &&
    capped m max-metadata-size 300 &&
    "$SLIPWAY" -c "$TRASH/m.conf" --state-dir "$TRASH/st-m" init --root "$TRASH/www/m/metadata/1.root.json" >/dev/null &&
    expect_code 6 sw m refresh &&
    contains "$TRASH/err" "raise [fetch] max-metadata-size (now 300 bytes)"
'

test_expect_success 'with the cap raised as the message says, the refresh succeeds' '
    capped m max-metadata-size 33554432 &&
    expect_code 0 sw m refresh &&
    lacks "$TRASH/err" "raise [fetch]"
'

test_done
