#!/bin/bash
# SPDX-License-Identifier: MIT
# Malicious mirrors against the trust workflow: endless and oversized
# metadata stopped at the configured caps, slow retrieval, wrong bytes
# (refused, and the next mirror used), redirects off the mirror, missing
# files. The repository is a shared vector; the hostile mirror misbehaves
# for the files each test names. Each test checks the exit code, the message
# and what the metadata directory holds afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-trust.sh"

serve_copy "$VECTORS/tuf/basic-ed25519" repo
nginx_start "$TRASH/www"
GOOD=${NGINX_URL}repo/
GOOD_LOG=$NGINX_LOG

# start_hostile NAME RULE...: a hostile mirror applying the rules
start_hostile() {
    local name=$1 r args=()
    shift
    for r in "$@"; do args+=(--rule "$r"); done
    HOSTILE_ROOT=$TRASH/www hostile_start "$name" server --max-seconds 20 \
        --redirect-base "${NGINX_URL}" "${args[@]}"
}

start_hostile endless-ts '*timestamp.json=endless'
ENDLESS_TS=${HOSTILE_URL}rules/repo/
start_hostile endless-root '*2.root.json=endless'
ENDLESS_ROOT=${HOSTILE_URL}rules/repo/
start_hostile biglen-ts '*timestamp.json=biglen'
BIGLEN_TS=${HOSTILE_URL}rules/repo/
start_hostile drip-ts '*timestamp.json=drip'
DRIP_TS=${HOSTILE_URL}rules/repo/
start_hostile wrong-snap '*1.snapshot.json=wrong'
WRONG_SNAP=${HOSTILE_URL}rules/repo/
WRONG_SNAP_LOG=$HOSTILE_LOG
start_hostile redirect-ts '*timestamp.json=redirect'
REDIRECT_TS=${HOSTILE_URL}rules/repo/
start_hostile missing-ts '*timestamp.json=404'
MISSING_TS=${HOSTILE_URL}rules/repo/

# setup NAME BASE [SLIPWAY-LINES]: a state dir with the vector's root pinned
setup() {
    local n=$1 base=$2
    shift 2
    trust_conf "$TRASH/$n.conf" "$base" "$@" &&
        "$SLIPWAY" -c "$TRASH/$n.conf" --state-dir "$TRASH/$n" init \
            --root "$VECTORS/tuf/basic-ed25519/metadata/1.root.json" >/dev/null
}

run() {
    local n=$1
    shift
    expect_code "$@" "$SLIPWAY" -c "$TRASH/$n.conf" --state-dir "$TRASH/$n" refresh
}

only_root() {
    same_files "$TRASH/$1/metadata" root.json
}

test_expect_success 'endless timestamp: cut off at max-timestamp-size, nothing kept' '
    setup ets "$ENDLESS_TS" &&
    sed -i "s/^\[fetch\]$/[fetch]\nmax-timestamp-size = 4K/" "$TRASH/ets.conf" &&
    run ets 6 &&
    contains "$TRASH/err" "mirror '"'"'primary'"'"'" &&
    contains "$TRASH/err" "timestamp.json" &&
    contains "$TRASH/err" "cap of 4096" &&
    only_root ets
'

test_expect_success 'endless next root: cut off at max-root-size, the old root kept' '
    setup eroot "$ENDLESS_ROOT" &&
    sed -i "s/^\[fetch\]$/[fetch]\nmax-root-size = 8K/" "$TRASH/eroot.conf" &&
    cp "$TRASH/eroot/metadata/root.json" "$TRASH/root-before" &&
    run eroot 6 &&
    contains "$TRASH/err" "2.root.json" &&
    contains "$TRASH/err" "cap of 8192" &&
    only_root eroot &&
    cmp "$TRASH/root-before" "$TRASH/eroot/metadata/root.json"
'

test_expect_success 'a 1 TB Content-Length for the timestamp is refused before its body' '
    setup bts "$BIGLEN_TS" &&
    run bts 6 &&
    contains "$TRASH/err" "timestamp.json" &&
    contains "$TRASH/err" "cap" &&
    only_root bts
'

test_expect_success 'a timestamp dripped a byte at a time is abandoned (slow retrieval)' '
    setup dts "$DRIP_TS" &&
    sed -i "s/^low-speed-time = 10$/low-speed-time = 2/" "$TRASH/dts.conf" &&
    sed -i "s/^\[fetch\]$/[fetch]\nlow-speed-limit = 1000/" "$TRASH/dts.conf" &&
    run dts 6 &&
    contains "$TRASH/err" "timestamp.json" &&
    grep -qi "slow\|speed" "$TRASH/err" &&
    only_root dts
'

test_expect_success 'wrong snapshot bytes are refused; the next mirror delivers the right ones' '
    trust_conf "$TRASH/two.conf" "$WRONG_SNAP" &&
    {
        echo "[mirror \"good\"]"
        echo "metadata-url = ${GOOD}metadata/"
        echo "targets-url = ${GOOD}targets/"
        echo "ca-file = $PKI/ca.crt"
    } >>"$TRASH/two.conf" &&
    "$SLIPWAY" -c "$TRASH/two.conf" --state-dir "$TRASH/two" init \
        --root "$VECTORS/tuf/basic-ed25519/metadata/1.root.json" >/dev/null &&
    before=$(log_lines "$GOOD_LOG") &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/two.conf" --state-dir "$TRASH/two" refresh -v &&
    grep -q "1.snapshot.json" "$WRONG_SNAP_LOG" &&
    requests_since "$GOOD_LOG" "$before" | grep -q "GET /repo/metadata/1.snapshot.json 200" &&
    cmp "$TRASH/two/metadata/snapshot.json" "$VECTORS/tuf/basic-ed25519/metadata/1.snapshot.json"
'

test_expect_success 'wrong snapshot bytes from the only mirror: refused, exit 5, not kept' '
    setup wsn "$WRONG_SNAP" &&
    run wsn 5 &&
    contains "$TRASH/err" "role '"'"'snapshot'"'"'" &&
    same_files "$TRASH/wsn/metadata" root.json timestamp.json
'

test_expect_success 'a redirect off the mirror is not followed' '
    setup rts "$REDIRECT_TS" &&
    before=$(log_lines "$GOOD_LOG") &&
    run rts 6 &&
    contains "$TRASH/err" "redirect" &&
    test "$(log_lines "$GOOD_LOG")" = "$before" &&
    only_root rts
'

test_expect_success 'no timestamp on the mirror: exit 6, naming the file and the mirror' '
    setup mts "$MISSING_TS" &&
    run mts 6 &&
    contains "$TRASH/err" "timestamp.json" &&
    contains "$TRASH/err" "404" &&
    only_root mts
'

test_expect_success 'refresh without a configured mirror says so (exit 3)' '
    printf "[slipway]\ncompatible = x\n" >"$TRASH/nomirror.conf" &&
    "$SLIPWAY" -c "$TRASH/nomirror.conf" --state-dir "$TRASH/nm" init \
        --root "$VECTORS/tuf/basic-ed25519/metadata/1.root.json" >/dev/null &&
    expect_code 3 "$SLIPWAY" -c "$TRASH/nomirror.conf" --state-dir "$TRASH/nm" refresh &&
    contains "$TRASH/err" "no [mirror"
'

test_expect_success 'refresh before init names the fix (exit 5)' '
    trust_conf "$TRASH/noinit.conf" "$GOOD" &&
    expect_code 5 "$SLIPWAY" -c "$TRASH/noinit.conf" --state-dir "$TRASH/ni" refresh &&
    contains "$TRASH/err" "slipway init --root"
'

test_done
