#!/bin/bash
# SPDX-License-Identifier: MIT
# One size rule: the cap that admits a snapshot or targets role at download
# is the one that admits it from disk (max-metadata-size). A role the
# metadata above signs as longer than the setting is refused before any
# request, with a message naming max-metadata-size, and never kept; so
# every later refresh refuses it the same way instead of downloading it
# again, and list says refresh is needed. Raising the setting admits it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

R=$TRASH/www/big
D=$TRASH/www/dg
make_repo big
make_repo dg
repo keygen d1 --key-dir "$TRASH/keys-dg" --passphrase-file "$PASS" >/dev/null
repo delegate "$D" team --paths "team/*" --key d1 --key-dir "$TRASH/keys-dg" >/dev/null
# 40 targets of about 450 bytes of metadata each: in targets of big, in team of dg
for i in $(seq 1 40); do
    printf 'bundle %s\n' "$i" >"$TRASH/b$i"
    repo add "$R" "$TRASH/b$i" --name "pad/bundle-with-a-long-name-$i.tar" --version 1.0.$i \
        --compatible dev >/dev/null
    repo add "$D" "$TRASH/b$i" --name "team/bundle-$i.tar" --role team --version 1.0.$i \
        --compatible dev >/dev/null
done
publish big
publish dg
tlen=$(stat -c %s "$R/metadata/targets.json")
dlen=$(stat -c %s "$D/metadata/1.team.json")
dtlen=$(stat -c %s "$D/metadata/targets.json")

nginx_start "$TRASH/www"
client_for big "$NGINX_URL"
# a cap below the targets file (16 KiB), and one that admits both
COMPATIBLE=dev trust_conf "$TRASH/small.conf" "${NGINX_URL}big/"
printf '%s\n' "[fetch]" "max-metadata-size = 16K" >>"$TRASH/small.conf"
small() { "$SLIPWAY" -c "$TRASH/small.conf" --state-dir "$TRASH/st-big" "$@"; }

test_expect_success 'big has a targets role over 16 KiB, dg a small targets and a delegated role over it' '
    echo "targets $tlen bytes; dg: targets $dtlen bytes, team $dlen bytes" &&
    test "$tlen" -gt 16384 && test "$dlen" -gt 16384 && test "$dtlen" -lt 4096
'

test_expect_success 'a targets role over max-metadata-size is refused before its request, not kept' '
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 1 small refresh &&
    contains "$TRASH/err" "role '"'"'targets'"'"' is $tlen bytes, more than max-metadata-size (16384 bytes)" &&
    requests_since "$NGINX_LOG" "$before" >got &&
    contains got "GET /big/metadata/timestamp.json 200" &&
    grep -q "^GET /big/metadata/[0-9]*.snapshot.json 200" got &&
    lacks got "targets.json" &&
    test ! -e "$TRASH/st-big/metadata/targets.json" &&
    test -e "$TRASH/st-big/metadata/snapshot.json"
'

test_expect_success 'every later refresh refuses it the same way, without downloading it' '
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 1 small refresh &&
    contains "$TRASH/err" "max-metadata-size" &&
    requests_since "$NGINX_LOG" "$before" >got &&
    lacks got "targets.json" &&
    test ! -e "$TRASH/st-big/metadata/targets.json" &&
    expect_code 5 small list &&
    contains "$TRASH/err" "slipway refresh"
'

test_expect_success 'raising the setting admits it; refresh and list agree' '
    COMPATIBLE=dev trust_conf "$TRASH/mid.conf" "${NGINX_URL}big/" &&
    printf "%s\n" "[fetch]" "max-metadata-size = $tlen" >>"$TRASH/mid.conf" &&
    mid() { "$SLIPWAY" -c "$TRASH/mid.conf" --state-dir "$TRASH/st-big" "$@"; } &&
    expect_code 0 mid refresh &&
    cmp "$TRASH/st-big/metadata/targets.json" "$R/metadata/targets.json" &&
    expect_code 0 mid list &&
    contains "$TRASH/out" "pad/bundle-with-a-long-name-40.tar"
'

test_expect_success 'a delegated role over the setting is a skip naming max-metadata-size, not kept' '
    client_for dg "$NGINX_URL" &&
    printf "%s\n" "[fetch]" "max-metadata-size = 16K" >>"$TRASH/dg.conf" &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 1 sw dg refresh &&
    contains "$TRASH/err" "role '"'"'team'"'"' (delegated by '"'"'targets'"'"') cannot be used" &&
    contains "$TRASH/err" "role '"'"'team'"'"' is $dlen bytes, more than max-metadata-size (16384 bytes)" &&
    requests_since "$NGINX_LOG" "$before" >got &&
    grep -q "^GET /dg/metadata/[0-9]*.targets.json 200" got &&
    lacks got "team.json" &&
    test ! -e "$TRASH/st-dg/metadata/team.json" &&
    expect_code 0 sw dg list --why &&
    contains "$TRASH/out" "app-1.0.tar" &&
    contains "$TRASH/out" "role '"'"'team'"'"' (delegated by '"'"'targets'"'"') cannot be used"
'

test_done
