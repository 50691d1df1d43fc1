#!/bin/bash
# SPDX-License-Identifier: MIT
# Downloads into NAME.part and their resumption: a transfer cut half-way is
# resumed with a range request to the right bytes (on the same mirror and
# on the next one), an old .part is continued from nginx, a bad .part is
# thrown away once the caller's check fails, servers that ignore or botch
# ranges, a crash before the rename, and .part files that are not ours.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-fetch.sh"

WWW=$TRASH/www
SIZE=1000000
HALF=$((SIZE / 2))
random_file "$WWW/data.bin" $SIZE
chmod -R a+rX "$WWW"
DATA_SHA=$(sha256_of "$WWW/data.bin")

mirror_ca_init
nginx_start "$WWW"
hostile_start hostile server
H=$HOSTILE_URL
HLOG=$HOSTILE_LOG

test_expect_success 'a transfer cut half-way is resumed on retry to the right bytes' '
    mirror_section cutter "${H}cut/" | fetch_conf c1.conf retries=1 &&
    fetch_ok -c c1.conf --path data.bin --max 2000000 --sha256 --out "$TRASH/o1.bin" &&
    cmp "$WWW/data.bin" "$TRASH/o1.bin" &&
    test "$(result sha256)" = "$DATA_SHA" &&
    test "$(result resumed_from)" = $HALF &&
    test "$(result length)" = $SIZE &&
    test "$(count_lines "$HLOG" "GET /cut/data.bin")" = 2 &&
    contains "$HLOG" "GET /cut/data.bin -" &&
    contains "$HLOG" "GET /cut/data.bin bytes=$HALF-" &&
    test ! -e "$TRASH/o1.bin%part"
'

test_expect_success 'without retries the .part is left, and the next mirror continues it' '
    : >"$HLOG" &&
    { mirror_section cutter "${H}cutalways/"; mirror_section good "$NGINX_URL"; } |
        fetch_conf c2.conf retries=0 &&
    fetch_ok -c c2.conf --path data.bin --max 2000000 --sha256 --out "$TRASH/o2.bin" &&
    test "$(result mirror)" = good &&
    test "$(result resumed_from)" = $HALF &&
    test "$(result sha256)" = "$DATA_SHA" &&
    cmp "$WWW/data.bin" "$TRASH/o2.bin" &&
    contains "$NGINX_LOG" "GET /data.bin 206 bytes=$HALF-"
'

test_expect_success 'an existing .part is continued from nginx with a range request' '
    head -c 300000 "$WWW/data.bin" >"$TRASH/o3.bin%part" &&
    mirror_section good "$NGINX_URL" | fetch_conf c3.conf &&
    fetch_ok -c c3.conf --path data.bin --max 2000000 --sha256 --out "$TRASH/o3.bin" &&
    test "$(result resumed_from)" = 300000 &&
    test "$(result sha256)" = "$DATA_SHA" &&
    cmp "$WWW/data.bin" "$TRASH/o3.bin" &&
    contains "$NGINX_LOG" "GET /data.bin 206 bytes=300000-"
'

test_expect_success 'a .part with wrong bytes fails the check once, then starts from byte 0' '
    head -c 300000 /dev/zero >"$TRASH/o4.bin%part" &&
    fetch_ok -c c3.conf --path data.bin --max 2000000 --expect-sha256 "$DATA_SHA" \
        --out "$TRASH/o4.bin" &&
    test "$(result resumed_from)" = 0 &&
    test "$(result requests)" = 2 &&
    cmp "$WWW/data.bin" "$TRASH/o4.bin" &&
    tail -n 2 "$NGINX_LOG" >last2 &&
    contains last2 "GET /data.bin 206 bytes=300000-" &&
    contains last2 "GET /data.bin 200 -"
'

test_expect_success 'a server that ignores the range: the download starts over' '
    head -c 300000 "$WWW/data.bin" >"$TRASH/o5.bin%part" &&
    mirror_section norange "${H}norange/" | fetch_conf c5.conf &&
    fetch_ok -c c5.conf --path data.bin --max 2000000 --sha256 --out "$TRASH/o5.bin" &&
    test "$(result resumed_from)" = 0 &&
    test "$(result sha256)" = "$DATA_SHA" &&
    cmp "$WWW/data.bin" "$TRASH/o5.bin" &&
    contains "$HLOG" "GET /norange/data.bin bytes=300000-"
'

test_expect_success 'a range answer that does not continue the .part is refused' '
    head -c 300000 "$WWW/data.bin" >"$TRASH/o6.bin%part" &&
    mirror_section botch "${H}badrange/" | fetch_conf c6.conf &&
    fetch_fails -c c6.conf --path data.bin --max 2000000 --out "$TRASH/o6.bin" &&
    error_is SW_E_FETCH && names_mirror botch "Content-Range" &&
    test ! -e "$TRASH/o6.bin" && test ! -e "$TRASH/o6.bin%part"
'

test_expect_success 'a crash before the rename leaves a complete .part that is then used' '
    expect_code 137 env SLIPWAY_FAULT=fetch-rename "$FETCH_TOOL" -c c3.conf --path data.bin \
        --max $SIZE --out "$TRASH/o7.bin" &&
    test ! -e "$TRASH/o7.bin" &&
    cmp "$WWW/data.bin" "$TRASH/o7.bin%part" &&
    fetch_ok -c c3.conf --path data.bin --max $SIZE --sha256 --out "$TRASH/o7.bin" &&
    test "$(result resumed_from)" = $SIZE &&
    test "$(result sha256)" = "$DATA_SHA" &&
    test "$(result requests)" = 1 &&
    cmp "$WWW/data.bin" "$TRASH/o7.bin" &&
    tail -n 1 "$NGINX_LOG" | grep -q "GET /data.bin 416 bytes=$SIZE-"
'

test_expect_success 'a crash before the fsync loses nothing that was renamed' '
    expect_code 137 env SLIPWAY_FAULT=fetch-fsync "$FETCH_TOOL" -c c3.conf --path data.bin \
        --max 2000000 --out "$TRASH/o8.bin" &&
    test ! -e "$TRASH/o8.bin" &&
    fetch_ok -c c3.conf --path data.bin --max 2000000 --out "$TRASH/o8.bin" &&
    cmp "$WWW/data.bin" "$TRASH/o8.bin"
'

test_expect_success 'a .part longer than the resource is not resumed' '
    head -c 1200000 /dev/zero >"$TRASH/o9.bin%part" &&
    fetch_ok -c c3.conf --path data.bin --max 2000000 --expect-sha256 "$DATA_SHA" \
        --out "$TRASH/o9.bin" &&
    cmp "$WWW/data.bin" "$TRASH/o9.bin"
'

test_expect_success 'a .part that is a symbolic link or has another link is refused' '
    echo precious >"$TRASH/precious" &&
    ln -s "$TRASH/precious" "$TRASH/o10.bin%part" &&
    fetch_fails -c c3.conf --path data.bin --max 2000000 --out "$TRASH/o10.bin" &&
    error_is SW_E_PERM && contains "$TRASH/err" "symbolic link" &&
    test "$(cat "$TRASH/precious")" = precious &&
    rm "$TRASH/o10.bin%part" &&
    ln "$TRASH/precious" "$TRASH/o10.bin%part" &&
    fetch_fails -c c3.conf --path data.bin --max 2000000 --out "$TRASH/o10.bin" &&
    error_is SW_E_PERM && contains "$TRASH/err" "one link" &&
    test "$(cat "$TRASH/precious")" = precious
'

test_expect_success 'memory downloads never send a range' '
    n=$(wc -l <"$NGINX_LOG") &&
    fetch_ok -c c3.conf --metadata --path data.bin --max 2000000 --sha256 &&
    test "$(result sha256)" = "$DATA_SHA" &&
    tail -n +$((n + 1)) "$NGINX_LOG" >new &&
    test "$(count_lines new "GET /data.bin 200 -")" = 1 &&
    test "$(wc -l <new)" = 1
'

test_done
