#!/bin/bash
# SPDX-License-Identifier: MIT
# Fetch against the hostile mirror, with a real nginx as the good mirror:
# redirects off the mirror, endless data stopped at the cap, a slow drip
# aborted, a deadline, errors (500, 404) with bounded retries and failover,
# wrong bytes caught by the caller's check, an unreachable mirror, a
# bandwidth limit, and every error message naming the mirror and the reason.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-fetch.sh"

WWW=$TRASH/www
random_file "$WWW/data.bin" 262144
random_file "$WWW/drip.bin" 4096
chmod -R a+rX "$WWW"
DATA_SHA=$(sha256_of "$WWW/data.bin")

mirror_ca_init
nginx_start "$WWW"
hostile_start hostile server --redirect-base "$NGINX_URL" --max-seconds 20
H=$HOSTILE_URL
HLOG=$HOSTILE_LOG
CLOSED_PORT=$(free_port)

test_expect_success 'a redirect to another port is refused and not followed' '
    mirror_section evil "${H}redirect/" | fetch_conf c1.conf &&
    fetch_fails -c c1.conf --path data.bin --max 1000000 --out "$TRASH/o.bin" &&
    error_is SW_E_FETCH_REDIRECT && names_mirror evil "leaves the mirror" &&
    contains "$TRASH/err" "redirect to '"'"'${NGINX_URL}data.bin'"'"' refused" &&
    lacks "$NGINX_LOG" "/data.bin" &&
    test ! -e "$TRASH/o.bin"
'

test_expect_success 'a redirect within the mirror is followed' '
    mirror_section here "${H}redirect-here/" | fetch_conf c2.conf &&
    fetch_ok -c c2.conf --path data.bin --max 1000000 --sha256 --out "$TRASH/o2.bin" &&
    test "$(result sha256)" = "$DATA_SHA" &&
    contains "$HLOG" "GET /redirect-here/data.bin" &&
    contains "$HLOG" "GET /redirect-here/moved/data.bin" &&
    test "$(result requests)" = 2
'

test_expect_success 'a redirect loop ends after a bounded number of hops' '
    : >"$HLOG" &&
    mirror_section loop "${H}redirect-loop/" | fetch_conf c3.conf &&
    fetch_fails -c c3.conf --path data.bin --max 1000000 &&
    error_is SW_E_FETCH_REDIRECT && names_mirror loop "more than 5 redirects" &&
    test "$(count_lines "$HLOG" GET)" = 6
'

test_expect_success 'endless data is cut off at the cap; nothing beyond it is kept' '
    mirror_section endless "${H}endless/" | fetch_conf c4.conf &&
    { ( while :; do s=$(file_size "$TRASH/e.bin%part"); [ "$s" -le 100000 ] || echo "$s" >>"$TRASH/over"; sleep 0.01; done ) & } &&
    watcher=$! &&
    if fetch_fails -c c4.conf --path data.bin --max 100000 --out "$TRASH/e.bin"; then rc=0; else rc=1; fi
    kill $watcher && wait $watcher 2>/dev/null || :
    test $rc = 0 &&
    error_is SW_E_FETCH_TOOBIG && names_mirror endless "more than the cap of 100000 bytes" &&
    test ! -e "$TRASH/over" &&
    test ! -e "$TRASH/e.bin" &&
    test "$(file_size "$TRASH/e.bin%part")" -le 100000
'

test_expect_success 'endless data into memory is cut off at the cap too' '
    fetch_fails -c c4.conf --metadata --path timestamp.json --max 16384 &&
    error_is SW_E_FETCH_TOOBIG && names_mirror endless "cap of 16384"
'

test_expect_success 'a Content-Length beyond the cap is refused before the body' '
    mirror_section big "${H}biglen/" | fetch_conf c5.conf &&
    fetch_fails -c c5.conf --path data.bin --max 100000 --out "$TRASH/b.bin" &&
    error_is SW_E_FETCH_TOOBIG && names_mirror big "announces 1000000000000 bytes" &&
    test "$(file_size "$TRASH/b.bin%part")" = 0
'

test_expect_success 'a slow drip is aborted by the minimum speed (slow retrieval)' '
    mirror_section drip "${H}drip/" | fetch_conf c6.conf low-speed-limit=100 low-speed-time=1 &&
    t0=$(date +%s) &&
    fetch_fails -c c6.conf --path drip.bin --max 100000 --out "$TRASH/d.bin" &&
    t1=$(date +%s) &&
    error_is SW_E_FETCH_SLOW && names_mirror drip "slow retrieval" &&
    test $((t1 - t0)) -le 6 &&
    test ! -e "$TRASH/d.bin"
'

test_expect_success 'a download is aborted at the deadline' '
    mirror_section drip "${H}drip/" | fetch_conf c7.conf low-speed-time=0 timeout=2 &&
    t0=$(date +%s) &&
    fetch_fails -c c7.conf --path drip.bin --max 100000 --out "$TRASH/d.bin" &&
    t1=$(date +%s) &&
    error_is SW_E_FETCH_SLOW && names_mirror drip "timeout of 2 s" &&
    test $((t1 - t0)) -le 6
'

test_expect_success '500 on the first mirror (retried, bounded), then success on the second' '
    : >"$HLOG" &&
    { mirror_section first "${H}500/"; mirror_section second "$NGINX_URL"; } |
        fetch_conf c8.conf retries=2 &&
    fetch_ok -c c8.conf --path data.bin --max 1000000 --sha256 --out "$TRASH/f.bin" &&
    test "$(result mirror)" = second &&
    test "$(result sha256)" = "$DATA_SHA" &&
    cmp "$WWW/data.bin" "$TRASH/f.bin" &&
    test "$(count_lines "$HLOG" "GET /500/data.bin")" = 3 &&
    test "$(result requests)" = 4
'

test_expect_success 'retries = 0 makes exactly one request per mirror' '
    : >"$HLOG" &&
    mirror_section first "${H}500/" | fetch_conf c9.conf retries=0 &&
    fetch_fails -c c9.conf --path data.bin --max 1000000 &&
    error_is SW_E_FETCH_HTTP && names_mirror first "HTTP 500" &&
    test "$(count_lines "$HLOG" GET)" = 1
'

test_expect_success '404 and 403 mean not found: never retried, next mirror asked' '
    : >"$HLOG" &&
    { mirror_section a "${H}404/"; mirror_section b "${H}403/"; } |
        fetch_conf c10.conf retries=3 &&
    fetch_fails -c c10.conf --metadata --name --path 2.root.json --max 1000 &&
    error_is SW_E_FETCH_NOTFOUND &&
    names_mirror a "not found (HTTP 404)" && names_mirror b "not found (HTTP 403)" &&
    test "$(count_lines "$HLOG" "GET /404/2.root.json")" = 1 &&
    test "$(count_lines "$HLOG" "GET /403/2.root.json")" = 1 &&
    { mirror_section a "${H}404/"; mirror_section b "$NGINX_URL"; } | fetch_conf c11.conf &&
    fetch_ok -c c11.conf --path data.bin --max 1000000 --out "$TRASH/n.bin" &&
    test "$(result mirror)" = b
'

test_expect_success 'not found on one mirror and broken on another is not "not found"' '
    { mirror_section a "${H}404/"; mirror_section b "${H}500/"; } | fetch_conf c12.conf &&
    fetch_fails -c c12.conf --metadata --name --path 2.root.json --max 1000 &&
    error_is SW_E_FETCH_HTTP
'

test_expect_success 'wrong bytes fail the caller'"'"'s check and the next mirror delivers' '
    { mirror_section liar "${H}wrong/"; mirror_section good "$NGINX_URL"; } | fetch_conf c13.conf &&
    fetch_ok -c c13.conf --path data.bin --max 1000000 --expect-sha256 "$DATA_SHA" \
        --out "$TRASH/w.bin" &&
    test "$(result mirror)" = good &&
    cmp "$WWW/data.bin" "$TRASH/w.bin" &&
    contains "$HLOG" "GET /wrong/data.bin" &&
    mirror_section liar "${H}wrong/" | fetch_conf c14.conf &&
    fetch_fails -c c14.conf --path data.bin --max 1000000 --expect-sha256 "$DATA_SHA" \
        --out "$TRASH/w2.bin" &&
    error_is SW_E_HASH && names_mirror liar "verification failed" &&
    test ! -e "$TRASH/w2.bin" && test ! -e "$TRASH/w2.bin%part" &&
    fetch_fails -c c14.conf --metadata --path data.bin --max 1000000 --expect-length 5 &&
    error_is SW_E_LENGTH && names_mirror liar "verification failed"
'

test_expect_success 'an unreachable mirror is skipped after its retries' '
    { mirror_section down "https://127.0.0.1:$CLOSED_PORT/"; mirror_section up "$NGINX_URL"; } |
        fetch_conf c15.conf retries=1 &&
    fetch_ok -c c15.conf --path data.bin --max 1000000 --out "$TRASH/u.bin" &&
    test "$(result mirror)" = up &&
    mirror_section down "https://127.0.0.1:$CLOSED_PORT/" | fetch_conf c16.conf &&
    fetch_fails -c c16.conf --path data.bin --max 1000000 &&
    error_is SW_E_FETCH_CONNECT && names_mirror down "could not connect"
'

test_expect_success 'every mirror and its reason are in the final message' '
    { mirror_section m500 "${H}500/"; mirror_section m404 "${H}404/";
      mirror_section mredir "${H}redirect/"; mirror_section mdown "https://127.0.0.1:$CLOSED_PORT/";
      mirror_section mbig "${H}biglen/"; } | fetch_conf c17.conf &&
    fetch_fails -c c17.conf --path data.bin --max 100000 &&
    names_mirror m500 "HTTP 500" && names_mirror m404 "not found" &&
    names_mirror mredir "leaves the mirror" && names_mirror mdown "could not connect" &&
    names_mirror mbig "more than the cap" &&
    contains "$TRASH/err" "cannot fetch '"'"'data.bin'"'"'"
'

test_expect_success 'max-bandwidth limits the rate' '
    random_file "$WWW/bw.bin" 3000000 && chmod a+r "$WWW/bw.bin" &&
    mirror_section main "$NGINX_URL" | fetch_conf c18.conf max-bandwidth=1M &&
    fetch_ok -c c18.conf --path bw.bin --max 4000000 --out "$TRASH/bw.bin" &&
    "$PYTHON" -c "import json,sys; t=json.load(open(sys.argv[1]))[\"seconds\"]; sys.exit(0 if t >= 1.0 else 1)" "$TRASH/out"
'

test_done
