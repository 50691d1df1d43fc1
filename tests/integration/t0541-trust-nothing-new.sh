#!/bin/bash
# SPDX-License-Identifier: MIT
# A refresh with nothing new checks the root probe and the timestamp and
# nothing else: the kept snapshot, targets and delegated roles are judged
# from the store's records (version, length, sha256, expiry), not read.
# Shown by damaging the kept files (same size): a nothing-new refresh makes
# the same two requests and leaves them as they are; list (which reads
# them) finds the damage and drops the file, and the next refresh repairs
# it. A file removed or cut short is noticed by one stat a role. A walk
# that left a role out is walked again; an expired kept role is not
# "nothing new"; a new timestamp is fetched through as before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

FAKETIME=$(command -v faketime) || { echo "1..0 # SKIP faketime is missing (contrib/deps.sh)"; exit 0; }
R=$TRASH/www/nn
K=$TRASH/keys-nn
make_repo nn
repo keygen d1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null
repo delegate "$R" team --paths "team/*" --key d1 --key-dir "$K" >/dev/null
printf 'team\n' >"$TRASH/t.tar"
repo add "$R" "$TRASH/t.tar" --name team/t.tar --role team --version 1.0.0 --compatible dev >/dev/null
publish nn
nginx_start "$TRASH/www"
client_for nn "$NGINX_URL"
M=$TRASH/st-nn/metadata

# only_probe_and_timestamp FILE: the requests in FILE are the next root's probe and the timestamp
only_probe_and_timestamp() {
    printf '%s\n' "GET /nn/metadata/2.root.json 404" "GET /nn/metadata/timestamp.json 200" >want.req &&
        diff want.req "$1"
}

test_expect_success 'first refresh keeps every role; the second makes two requests' '
    expect_code 0 sw nn refresh &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw nn refresh --json &&
    requests_since "$NGINX_LOG" "$before" >got &&
    only_probe_and_timestamp got &&
    test "$(json_get "$TRASH/out" "[\"timestamp_unchanged\"]")" = true &&
    test "$(json_get "$TRASH/out" "[\"requests\"]")" = 2 &&
    test "$(json_get "$TRASH/out" "[\"versions\"][\"targets\"]")" = "$(trusted nn targets)" &&
    test "$(json_get "$TRASH/out" "[\"versions\"][\"snapshot\"]")" = "$(trusted nn snapshot)" &&
    test "$(json_get "$TRASH/out" "[\"delegated_roles\"]")" = 1 &&
    expect_code 0 sw nn refresh &&
    contains "$TRASH/out" "up to date: timestamp version $(trusted nn timestamp), targets version $(trusted nn targets)"
'

test_expect_success 'a nothing-new refresh does not read the kept snapshot, targets or roles' '
    for f in snapshot targets team; do cp "$M/$f.json" "$TRASH/$f.good"; done &&
    for f in snapshot targets team; do
        printf "X" | dd of="$M/$f.json" conv=notrunc status=none &&
        cp "$M/$f.json" "$TRASH/$f.bad" || exit 1
    done &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw nn refresh &&
    requests_since "$NGINX_LOG" "$before" >got &&
    only_probe_and_timestamp got &&
    for f in snapshot targets team; do
        cmp "$M/$f.json" "$TRASH/$f.bad" || exit 1
    done
'

test_expect_success 'list reads them, finds the damage and drops it; the next refresh repairs it' '
    expect_code 5 sw nn list &&
    contains "$TRASH/err" "slipway refresh" &&
    test ! -e "$M/targets.json" -o ! -e "$M/snapshot.json" &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw nn refresh &&
    requests_since "$NGINX_LOG" "$before" >got &&
    grep -q "^GET /nn/metadata/[0-9]*.targets.json 200" got &&
    cmp "$M/targets.json" "$TRASH/targets.good" &&
    cmp "$M/snapshot.json" "$TRASH/snapshot.good" &&
    cmp "$M/team.json" "$TRASH/team.good" &&
    expect_code 0 sw nn list &&
    contains "$TRASH/out" "team/t.tar"
'

test_expect_success 'a kept file removed or cut short is noticed without reading it (one stat)' '
    cp "$M/team.json" "$TRASH/team.bad" &&
    rm "$M/team.json" &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw nn refresh &&
    requests_since "$NGINX_LOG" "$before" >got &&
    contains got "GET /nn/metadata/1.team.json 200" &&
    cmp "$M/team.json" "$TRASH/team.good" &&
    cp "$TRASH/team.bad" "$M/team.json"
'

test_expect_success 'a kept file cut short in place (no change to its directory) is noticed too' '
    truncate -s 10 "$M/team.json" &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw nn refresh &&
    requests_since "$NGINX_LOG" "$before" >got &&
    contains got "GET /nn/metadata/1.team.json 200" &&
    cmp "$M/team.json" "$TRASH/team.good"
'

test_expect_success 'a kept role list finds missing, or a walk that left it out, is walked again' '
    rm "$M/team.json" &&
    mv "$R/metadata/1.team.json" "$TRASH/team.away" &&
    expect_code 0 sw nn list --why &&
    contains "$TRASH/out" "role '"'"'team'"'"' (delegated by '"'"'targets'"'"') cannot be used" &&
    expect_code 6 sw nn refresh &&
    expect_code 6 sw nn refresh &&
    mv "$TRASH/team.away" "$R/metadata/1.team.json" &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw nn refresh --json &&
    test "$(json_get "$TRASH/out" "[\"timestamp_unchanged\"]")" = true &&
    requests_since "$NGINX_LOG" "$before" >got &&
    contains got "GET /nn/metadata/1.team.json 200" &&
    cmp "$M/team.json" "$TRASH/team.good" &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw nn refresh &&
    requests_since "$NGINX_LOG" "$before" >got &&
    only_probe_and_timestamp got
'

test_expect_success 'a new timestamp is fetched through: snapshot and targets as before' '
    release nn app-2.0.tar 2.0.0 &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw nn refresh &&
    requests_since "$NGINX_LOG" "$before" >got &&
    grep -q "^GET /nn/metadata/[0-9]*.snapshot.json 200" got &&
    grep -q "^GET /nn/metadata/[0-9]*.targets.json 200" got &&
    expect_code 0 sw nn list &&
    contains "$TRASH/out" "app-2.0.tar"
'

# last: faketime raises the time floor
test_expect_success 'a kept role that expired under an unchanged timestamp is not "nothing new"' '
    soon=$(date -u -d "+2 hours" +%Y-%m-%dT%H:%M:%SZ) &&
    repo renew "$R" team --expires-at team=$soon >/dev/null 2>&1 &&
    publish nn --expires-timestamp 30 --expires-snapshot 30 &&
    expect_code 0 sw nn refresh &&
    expect_code 0 sw nn refresh --json &&
    test "$(json_get "$TRASH/out" "[\"timestamp_unchanged\"]")" = true &&
    code=0 &&
    { "$FAKETIME" "$(date -u -d "+3 hours" "+%Y-%m-%d %H:%M:%S")" \
        "$SLIPWAY" -c "$TRASH/nn.conf" --state-dir "$TRASH/st-nn" refresh >"$TRASH/out" \
        2>"$TRASH/err" || code=$?; } &&
    echo "exit $code" && test "$code" = 5 -o "$code" = 6 &&
    contains "$TRASH/out" "1 delegated role(s) cannot be used" &&
    contains "$TRASH/err" "role '"'"'team'"'"' (delegated by '"'"'targets'"'"') cannot be used" &&
    contains "$TRASH/err" "expired"
'

test_done
