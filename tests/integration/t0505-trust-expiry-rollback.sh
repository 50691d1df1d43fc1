#!/bin/bash
# SPDX-License-Identifier: MIT
# Freeze, rollback and mix-and-match attacks against the client: expired
# timestamp, snapshot and targets; each role's version going back; a
# snapshot naming a targets version the mirror does not serve; files served
# under another version's name. The client must refuse, say which role and
# which check, and keep what it trusted before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

keys() {
    echo --key-dir "$TRASH/keys-$1" --passphrase-file "$PASS"
}

for n in exp rb mm mm2; do make_repo $n; done
nginx_start "$TRASH/www"
for n in exp rb mm mm2; do client_for $n "$NGINX_URL"; sw $n refresh >/dev/null; done
M=$TRASH/www

test_expect_success 'an expired timestamp is refused; the trusted one is kept' '
    repo timestamp "$M/exp" $(keys exp) --expires-at timestamp=2020-01-01T00:00:00Z >/dev/null 2>&1 &&
    expect_code 5 sw exp refresh &&
    contains "$TRASH/err" "role '"'"'timestamp'"'"': expired at 2020-01-01T00:00:00Z" &&
    test "$(trusted exp timestamp)" = 2 &&
    repo timestamp "$M/exp" $(keys exp) >/dev/null &&
    expect_code 0 sw exp refresh && test "$(trusted exp timestamp)" = 4
'

test_expect_success 'an expired snapshot is refused; the trusted one is kept' '
    repo snapshot "$M/exp" $(keys exp) --expires-at snapshot=2020-01-01T00:00:00Z >/dev/null 2>&1 &&
    expect_code 5 sw exp refresh &&
    contains "$TRASH/err" "role '"'"'snapshot'"'"': expired at 2020-01-01T00:00:00Z" &&
    test "$(trusted exp snapshot)" = 2 &&
    repo snapshot "$M/exp" $(keys exp) >/dev/null &&
    expect_code 0 sw exp refresh && test "$(trusted exp snapshot)" = 4
'

test_expect_success 'expired targets are refused; list then asks for a refresh' '
    repo renew "$M/exp" targets --expires-at targets=2020-01-01T00:00:00Z >/dev/null 2>&1 &&
    publish exp 2>/dev/null &&
    expect_code 5 sw exp refresh &&
    contains "$TRASH/err" "role '"'"'targets'"'"': expired at 2020-01-01T00:00:00Z" &&
    test "$(trusted exp targets)" = 2 &&
    expect_code 5 sw exp list &&
    contains "$TRASH/err" "run '"'"'slipway refresh'"'"'"
'

test_expect_success 'rollback: an older timestamp is refused' '
    cp "$M/rb/metadata/timestamp.json" "$TRASH/ts2" &&
    release rb app-1.1.tar 1.1.0 &&
    expect_code 0 sw rb refresh && test "$(trusted rb timestamp)" = 3 &&
    cp "$M/rb/metadata/timestamp.json" "$TRASH/ts3" &&
    cp "$TRASH/ts2" "$M/rb/metadata/timestamp.json" &&
    expect_code 5 sw rb refresh &&
    contains "$TRASH/err" "role '"'"'timestamp'"'"': version 2 is older than the trusted version 3" &&
    test "$(trusted rb timestamp)" = 3 &&
    cp "$TRASH/ts3" "$M/rb/metadata/timestamp.json"
'

test_expect_success 'rollback: a timestamp naming an older snapshot is refused' '
    forge_resign rb timestamp.json --key timestamp-1 --set version=10 \
        --set "meta[snapshot.json].version=2" --unset "meta[snapshot.json].length" \
        --unset "meta[snapshot.json].hashes" &&
    expect_code 5 sw rb refresh &&
    contains "$TRASH/err" "names snapshot version 2, older than the trusted snapshot version 3" &&
    test "$(trusted rb timestamp)" = 3 &&
    cp "$TRASH/ts3" "$M/rb/metadata/timestamp.json"
'

test_expect_success 'rollback: a snapshot naming older targets is refused' '
    relink rb --role-version targets=2 --set-timestamp-version 11 &&
    expect_code 5 sw rb refresh &&
    contains "$TRASH/err" "'"'"'targets.json'"'"' goes back from version 3 to 2" &&
    test "$(trusted rb snapshot)" = 3 && test "$(trusted rb targets)" = 3
'

test_expect_success 'rollback: an older root served as the next one is refused' '
    cp "$M/rb/metadata/1.root.json" "$M/rb/metadata/2.root.json" &&
    expect_code 5 sw rb refresh &&
    contains "$TRASH/err" "2.root.json holds version 1" &&
    rm "$M/rb/metadata/2.root.json"
'

test_expect_success 'mix-and-match: a snapshot naming a targets version that is not served' '
    cp "$M/mm/metadata/2.targets.json" "$M/mm/metadata/9.targets.json" &&
    relink mm --role-version targets=9 &&
    rm "$M/mm/metadata/9.targets.json" &&
    expect_code 6 sw mm refresh &&
    contains "$TRASH/err" "9.targets.json" &&
    contains "$TRASH/err" "404" &&
    test "$(trusted mm targets)" = 2 &&
    test "$(trusted mm snapshot)" = 3 &&
    expect_code 5 sw mm list &&
    contains "$TRASH/err" "versions do not match"
'

test_expect_success 'mix-and-match: another version served under a versioned name is refused' '
    relink mm2 --no-meta-hashes &&
    snap=$(json_get "$M/mm2/metadata/timestamp.json" "[\"signed\"][\"meta\"][\"snapshot.json\"][\"version\"]") &&
    cp "$M/mm2/metadata/2.snapshot.json" "$M/mm2/metadata/$snap.snapshot.json" &&
    expect_code 5 sw mm2 refresh &&
    contains "$TRASH/err" "role '"'"'snapshot'"'"': version 2 does not match the version $snap the timestamp names"
'

test_done
