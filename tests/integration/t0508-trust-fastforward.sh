#!/bin/bash
# SPDX-License-Identifier: MIT
# Fast-forward attacks and recovery: with a stolen timestamp, snapshot or
# targets key an attacker makes the client trust version 1000; the
# repository's own next versions are then refused as rollbacks, until it
# rotates the stolen keys in a new root. The client then drops what the
# old keys signed and accepts the repository's versions again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

for n in ft fs fg; do make_repo $n; done
nginx_start "$TRASH/www"
for n in ft fs fg; do client_for $n "$NGINX_URL"; sw $n refresh >/dev/null; done
M=$TRASH/www

keys() {
    echo --key-dir "$TRASH/keys-$1" --passphrase-file "$PASS"
}

# save NAME / restore NAME: the repository's own metadata before an attack
save() {
    rm -rf "$TRASH/saved-$1" && cp -a "$M/$1/metadata" "$TRASH/saved-$1"
}
restore() {
    rm -rf "$M/$1/metadata" && cp -a "$TRASH/saved-$1" "$M/$1/metadata"
}

# rotate NAME ROLE...: replace ROLE-1 by ROLE-2 for each ROLE, and publish
rotate() {
    local n=$1 r
    shift
    for r in "$@"; do
        repo keygen "$r-2" $(keys "$n") >/dev/null &&
            repo rotate-root "$M/$n" --role "$r" --remove-key "$r-1" --add-key "$r-2" $(keys "$n") \
                >/dev/null || return 1
    done
    publish "$n"
}

test_expect_success 'timestamp: fast-forwarded to 1000 by a stolen key' '
    save ft &&
    forge_resign ft timestamp.json --key timestamp-1 --set version=1000 &&
    expect_code 0 sw ft refresh && test "$(trusted ft timestamp)" = 1000 &&
    restore ft &&
    repo timestamp "$M/ft" $(keys ft) >/dev/null &&
    expect_code 5 sw ft refresh &&
    contains "$TRASH/err" "version 3 is older than the trusted version 1000"
'

test_expect_success 'timestamp: recovered by rotating the timestamp key' '
    rotate ft timestamp &&
    expect_code 0 sw ft refresh &&
    contains "$TRASH/out" "root       version 1 -> 2" &&
    ts=$(json_get "$M/ft/metadata/timestamp.json" "[\"signed\"][\"version\"]") &&
    test "$(trusted ft timestamp)" = "$ts" && test "$ts" -lt 1000
'

test_expect_success 'snapshot: fast-forwarded to 1000 by a stolen key' '
    save fs &&
    relink fs --set-snapshot-version 1000 &&
    expect_code 0 sw fs refresh && test "$(trusted fs snapshot)" = 1000 &&
    restore fs &&
    release fs app-1.1.tar 1.1.0 &&
    repo timestamp "$M/fs" $(keys fs) >/dev/null &&
    expect_code 5 sw fs refresh &&
    contains "$TRASH/err" "older than the trusted snapshot version 1000"
'

test_expect_success 'snapshot: recovered by rotating the snapshot key' '
    rotate fs snapshot &&
    expect_code 0 sw fs refresh &&
    snap=$(json_get "$M/fs/metadata/snapshot.json" "[\"signed\"][\"version\"]") &&
    test "$(trusted fs snapshot)" = "$snap" && test "$snap" -lt 1000 &&
    expect_code 0 sw fs list --json &&
    test "$(json_get "$TRASH/out" "[\"offered\"]")" = 2
'

test_expect_success 'targets: fast-forwarded to 1000 by stolen targets and snapshot keys' '
    save fg &&
    forge_resign fg 2.targets.json --key targets-1 --set version=1000 \
        --out "$M/fg/metadata/1000.targets.json" &&
    relink fg --role-version targets=1000 &&
    expect_code 0 sw fg refresh && test "$(trusted fg targets)" = 1000 &&
    restore fg &&
    release fg app-1.1.tar 1.1.0 &&
    repo timestamp "$M/fg" $(keys fg) >/dev/null &&
    expect_code 5 sw fg refresh &&
    contains "$TRASH/err" "'"'"'targets.json'"'"' goes back from version 1000 to 3"
'

test_expect_success 'targets: recovered by rotating the targets and snapshot keys' '
    rotate fg targets snapshot &&
    expect_code 0 sw fg refresh &&
    tg=$(json_get "$M/fg/metadata/targets.json" "[\"signed\"][\"version\"]") &&
    test "$(trusted fg targets)" = "$tg" && test "$tg" -lt 1000 &&
    expect_code 0 sw fg list --json &&
    test "$(json_get "$TRASH/out" "[\"offered\"]")" = 2
'

test_done
