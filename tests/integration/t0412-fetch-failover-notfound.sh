#!/bin/bash
# SPDX-License-Identifier: MIT
# "Not found" with a mirror down: a 404 for the next root from a mirror that
# answered, while the others could not be reached (refused connection, a
# mirror that accepts and never answers), means "no newer root", so one
# dead mirror does not stop every refresh. With a dead first mirror, a dead
# last one, and one that times out; -v names the mirrors that failed and
# why. Nothing answering at all, or a mirror answering with a bad root,
# still fails.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-fetch.sh"
. "$(dirname "$0")/lib-trust.sh"

serve_copy "$VECTORS/tuf/basic-ed25519" repo
nginx_start "$TRASH/www"
GOOD=${NGINX_URL}repo/
DEAD=https://127.0.0.1:$(free_port)/repo/
ROOT1=$VECTORS/tuf/basic-ed25519/metadata/1.root.json

HOSTILE_ROOT=$TRASH/www hostile_start silent server --max-seconds 20 --rule '*2.root.json=silent'
SILENT=${HOSTILE_URL}rules/repo/
SILENT_LOG=$HOSTILE_LOG

# a mirror that serves a 2.root.json that is not a valid next root
mkdir -p "$TRASH/www-bad"
cp -r "$TRASH/www/repo" "$TRASH/www-bad/repo"
sed 's/"version": *1/"version": 2/' "$ROOT1" >"$TRASH/www-bad/repo/metadata/2.root.json"
HOSTILE_ROOT=$TRASH/www-bad hostile_start badroot server
BADROOT=${HOSTILE_URL}ok/repo/

# setup NAME FIRST-BASE [SECOND-BASE] [FETCH-LINE...]: mirrors "primary" and
# "second", the vector's root pinned
setup() {
    local n=$1 first=$2 second=$3 l
    shift 3
    trust_conf "$TRASH/$n.conf" "$first" &&
        for l in "$@"; do sed -i "s/^\[fetch\]$/[fetch]\n$l/" "$TRASH/$n.conf"; done &&
        if [ -n "$second" ]; then
            printf '[mirror "second"]\nmetadata-url = %smetadata/\ntargets-url = %stargets/\nca-file = %s\n' \
                "$second" "$second" "$PKI/ca.crt" >>"$TRASH/$n.conf"
        fi &&
        "$SLIPWAY" -c "$TRASH/$n.conf" --state-dir "$TRASH/$n" init --root "$ROOT1" >/dev/null
}

refresh() {
    local n=$1
    shift
    expect_code "$@" "$SLIPWAY" -c "$TRASH/$n.conf" --state-dir "$TRASH/$n" refresh -v
}

# refreshed NAME: root kept, the other roles of the vector now trusted
refreshed() {
    cmp "$ROOT1" "$TRASH/$1/metadata/root.json" &&
        same_files "$TRASH/$1/metadata" root.json timestamp.json snapshot.json targets.json
}

test_expect_success 'a dead first mirror and a 404 for the next root: no newer root' '
    before=$(log_lines "$NGINX_LOG") &&
    setup deadfirst "$DEAD" "$GOOD" &&
    refresh deadfirst 0 &&
    refreshed deadfirst &&
    test "$(requests_since "$NGINX_LOG" "$before" | grep -c "GET /repo/metadata/2.root.json 404")" = 1 &&
    contains "$TRASH/err" "mirror '"'"'primary'"'"'" &&
    contains "$TRASH/err" "could not connect" &&
    contains "$TRASH/err" "2.root.json" &&
    contains "$TRASH/err" "taken as missing"
'

test_expect_success 'a 404 for the next root and a dead last mirror: no newer root' '
    before=$(log_lines "$NGINX_LOG") &&
    setup deadlast "$GOOD" "$DEAD" &&
    refresh deadlast 0 &&
    refreshed deadlast &&
    test "$(requests_since "$NGINX_LOG" "$before" | grep -c "GET /repo/metadata/2.root.json 404")" = 1 &&
    contains "$TRASH/err" "mirror '"'"'second'"'"'" &&
    contains "$TRASH/err" "could not connect" &&
    contains "$TRASH/err" "not found"
'

test_expect_success 'a first mirror that times out on the next root: no newer root, quickly' '
    before=$(log_lines "$NGINX_LOG") &&
    setup slow "$SILENT" "$GOOD" "timeout = 2" &&
    t0=$(date +%s) &&
    refresh slow 0 &&
    test $(($(date +%s) - t0)) -lt 15 &&
    refreshed slow &&
    contains "$SILENT_LOG" "GET /rules/repo/metadata/2.root.json" &&
    test "$(requests_since "$NGINX_LOG" "$before" | grep -c "GET /repo/metadata/2.root.json 404")" = 1 &&
    contains "$TRASH/err" "mirror '"'"'primary'"'"'" &&
    contains "$TRASH/err" "timeout of 2 s"
'

test_expect_success '-v says what each request returned: the status and bytes, the probe not found' '
    setup verbose "$GOOD" "" &&
    refresh verbose 0 &&
    grep -F "mirror '"'"'primary'"'"': " "$TRASH/err" | grep -E "timestamp\.json.*: HTTP 200, [0-9]+ bytes" &&
    grep -F "2.root.json" "$TRASH/err" | grep -F "not found" &&
    n=$(grep -cE ": HTTP 200, [0-9]+ bytes" "$TRASH/err") && test "$n" -eq 3 &&
    "$SLIPWAY" -c "$TRASH/verbose.conf" --state-dir "$TRASH/verbose" refresh >"$TRASH/out" 2>"$TRASH/err" &&
    lacks "$TRASH/err" "HTTP 200"
'

test_expect_success 'no mirror answering at all is still an error (exit 6)' '
    setup alldead "$DEAD" "$DEAD" &&
    refresh alldead 6 &&
    contains "$TRASH/err" "could not connect" &&
    lacks "$TRASH/err" "taken as missing" &&
    same_files "$TRASH/alldead/metadata" root.json
'

test_expect_success 'a mirror serving a bad next root is not outvoted by another one'"'"'s 404' '
    setup bad "$BADROOT" "$GOOD" &&
    "$SLIPWAY" -c "$TRASH/bad.conf" --state-dir "$TRASH/bad" refresh -v >"$TRASH/out" 2>"$TRASH/err"
    code=$? &&
    test "$code" -ne 0 &&
    contains "$TRASH/err" "mirror '"'"'primary'"'"'" &&
    contains "$TRASH/err" "2.root.json" &&
    lacks "$TRASH/err" "taken as missing" &&
    same_files "$TRASH/bad/metadata" root.json &&
    cmp "$ROOT1" "$TRASH/bad/metadata/root.json"
'

test_expect_success 'fetch-tool: a dead mirror and a 404 give SW_E_FETCH_NOTFOUND naming both' '
    { mirror_section dead "$DEAD"; mirror_section up "$GOOD"; } | fetch_conf "$TRASH/ft.conf" &&
    fetch_fails -c "$TRASH/ft.conf" --metadata --name --path 2.root.json --max 100000 &&
    error_is SW_E_FETCH_NOTFOUND &&
    names_mirror dead "could not connect" && names_mirror up "not found"
'

test_done
