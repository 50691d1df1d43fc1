#!/bin/bash
# SPDX-License-Identifier: MIT
# Partial files cannot collide with targets: a download goes to DEST%part,
# a form no target path can take ('%' is refused in target paths), so a
# target named "a.part" is never taken for the partial file of "a", nor
# the other way round; resume keeps working; a destination ending in
# "%part" is refused. Over nginx (and the hostile mirror to cut a
# transfer), with fetch-tool and with the trust engine's target download
# (the conformance adapter) on a repository made by slipway-repo.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-fetch.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

WWW=$TRASH/www
SIZE=600000
HALF=$((SIZE / 2))
random_file "$WWW/a" $SIZE
random_file "$WWW/a.part" 200000
chmod -R a+rX "$WWW"
A_SHA=$(sha256_of "$WWW/a")
AP_SHA=$(sha256_of "$WWW/a.part")

mirror_ca_init
nginx_start "$WWW"
hostile_start hostile server
mirror_section good "$NGINX_URL" | fetch_conf "$TRASH/good.conf"
mirror_section cutter "${HOSTILE_URL}cutalways/" | fetch_conf "$TRASH/cut.conf"

test_expect_success 'a target named a.part is not taken for the partial file of a' '
    mkdir "$TRASH/d1" &&
    fetch_ok -c "$TRASH/good.conf" --path a.part --max 1000000 --sha256 --out "$TRASH/d1/a.part" &&
    test "$(result sha256)" = "$AP_SHA" &&
    before=$(wc -l <"$NGINX_LOG") &&
    fetch_ok -c "$TRASH/good.conf" --path a --max 1000000 --sha256 --expect-sha256 "$A_SHA" \
        --out "$TRASH/d1/a" &&
    test "$(result resumed_from)" = 0 &&
    cmp "$WWW/a" "$TRASH/d1/a" &&
    cmp "$WWW/a.part" "$TRASH/d1/a.part" &&
    tail -n +$((before + 1)) "$NGINX_LOG" | grep -q "^GET /a 200 - " &&
    ! tail -n +$((before + 1)) "$NGINX_LOG" | grep -q "bytes="
'

test_expect_success 'fetching a.part leaves the partial file of a, whose resume continues it' '
    mkdir "$TRASH/d2" &&
    fetch_fails -c "$TRASH/cut.conf" --path a --max 1000000 --out "$TRASH/d2/a" &&
    test ! -e "$TRASH/d2/a" && test ! -e "$TRASH/d2/a.part" &&
    test "$(file_size "$TRASH/d2/a%part")" = $HALF &&
    fetch_ok -c "$TRASH/good.conf" --path a.part --max 1000000 --sha256 --out "$TRASH/d2/a.part" &&
    test "$(result resumed_from)" = 0 &&
    cmp "$WWW/a.part" "$TRASH/d2/a.part" &&
    test "$(file_size "$TRASH/d2/a%part")" = $HALF &&
    fetch_ok -c "$TRASH/good.conf" --path a --max 1000000 --sha256 --expect-sha256 "$A_SHA" \
        --out "$TRASH/d2/a" &&
    test "$(result resumed_from)" = $HALF &&
    test "$(result sha256)" = "$A_SHA" &&
    contains "$NGINX_LOG" "GET /a 206 bytes=$HALF-" &&
    cmp "$WWW/a" "$TRASH/d2/a" && cmp "$WWW/a.part" "$TRASH/d2/a.part" &&
    same_files "$TRASH/d2" a a.part
'

test_expect_success 'a destination in the form of a partial file is refused, nothing made' '
    mkdir "$TRASH/d3" &&
    fetch_fails -c "$TRASH/good.conf" --path a --max 1000000 --out "$TRASH/d3/a%part" &&
    error_is SW_E_INVAL && contains "$TRASH/err" "partial" &&
    same_files "$TRASH/d3"
'

# The same through the trust engine: targets "a" and "a.part" of one
# repository, downloaded into one directory by the conformance adapter.
make_repo parts
cp "$WWW/a" "$TRASH/ta" && cp "$WWW/a.part" "$TRASH/tap"
repo add "$TRASH/www/parts" "$TRASH/ta" --name a --version 2.0.0 --compatible dev >/dev/null
repo add "$TRASH/www/parts" "$TRASH/tap" --name a.part --version 3.0.0 --compatible dev >/dev/null
publish parts
chmod -R a+rX "$WWW"
nginx_start "$WWW" plain plain
PLAIN=$NGINX_URL
PLAIN_LOG=$NGINX_LOG

adapter() {
    "$ADAPTER" --metadata-dir "$TRASH/ad/md" --metadata-url "${PLAIN}parts/metadata/" \
        --target-dir "$TRASH/ad/td" --target-base-url "${PLAIN}parts/targets/" "$@"
}

test_expect_success 'trust: targets a.part then a land side by side in one directory' '
    "$ADAPTER" --metadata-dir "$TRASH/ad/md" init "$TRASH/www/parts/metadata/1.root.json" &&
    adapter --target-name a.part download &&
    cmp "$WWW/a.part" "$TRASH/ad/td/a.part" &&
    adapter --target-name a download &&
    cmp "$WWW/a" "$TRASH/ad/td/a" &&
    cmp "$WWW/a.part" "$TRASH/ad/td/a.part" &&
    same_files "$TRASH/ad/td" a a.part &&
    lacks "$PLAIN_LOG" "bytes="
'

test_done
