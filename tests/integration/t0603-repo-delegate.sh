#!/bin/bash
# SPDX-License-Identifier: MIT
# Delegations, online key rotation and snapshots with slipway-repo: roles
# by path pattern and by hash prefix (one named "team/edge", which a web
# server serves from metadata/N.team/edge.json), targets placed in them,
# role names that would leave metadata/ refused; the slipway client finds
# the delegated targets through a real nginx; a timestamp key rotated out;
# a role signed outside slipway-repo picked up by 'snapshot'.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-repo.sh"

KEYS=$TRASH/keys
R=$TRASH/www/repo
printf 'core\n' >"$TRASH/core.tar"
printf 'edge\n' >"$TRASH/edge.tar"
printf 'pkg\n' >"$TRASH/pkg.bin"

test_expect_success 'setup: a repository and the delegated roles keys' '
    repo init "$R" --key-dir "$KEYS" --passphrase-file "$PASS" >/dev/null &&
    repo keygen apps-1 --key-dir "$KEYS" --passphrase-file "$PASS" >/dev/null &&
    repo keygen edge-1 --key-dir "$KEYS" --passphrase-file "$PASS" >/dev/null
'

test_expect_success 'role names that would leave metadata/ or clash are refused' '
    for bad in ../x a//b /abs a/./b a/.. targets root "a b" a%2Fb x.json/y ""; do
        expect_code 1 repo delegate "$R" "$bad" --key apps-1 --paths "x/*" --key-dir "$KEYS" ||
            { echo "role name [$bad] was accepted"; exit 1; }
    done &&
    test ! -e "$R/staged/roles/targets.json"
'

test_expect_success 'a --key that names no key is refused, by paths and by bins, nothing staged' '
    expect_code 1 repo delegate "$R" apps --key no-such --paths "x/*" --key-dir "$KEYS" &&
    contains "$TRASH/err" "delegate: --key: cannot open" &&
    expect_code 1 repo delegate "$R" bins --succinct 2 --key no-such --key-dir "$KEYS" &&
    contains "$TRASH/err" "delegate: --key: cannot open" &&
    test ! -e "$R/staged/roles/targets.json" &&
    test -z "$(ls -A "$R/staged/roles" 2>/dev/null)"
'

test_expect_success 'delegate by paths and by hash prefix, nested, terminating' '
    expect_code 0 repo delegate "$R" apps --key apps-1 --paths "apps/*" --key-dir "$KEYS" &&
    expect_code 0 repo delegate "$R" team/edge --from apps --key "$KEYS/edge-1.pub" \
        --paths "apps/edge-*" --terminating &&
    expect_code 0 repo delegate "$R" bins --key apps-1 --hash-prefix 0 --hash-prefix 1 \
        --hash-prefix 2 --hash-prefix 3 --hash-prefix 4 --hash-prefix 5 --hash-prefix 6 \
        --hash-prefix 7 --hash-prefix 8 --hash-prefix 9 --hash-prefix a --hash-prefix b \
        --hash-prefix c --hash-prefix d --hash-prefix e --hash-prefix f --key-dir "$KEYS" &&
    expect_code 2 repo delegate "$R" x --key apps-1 --paths "a" --hash-prefix 0 --key-dir "$KEYS" &&
    expect_code 2 repo delegate "$R" x --key apps-1 --hash-prefix 0G --key-dir "$KEYS" &&
    expect_code 2 repo delegate "$R" x --key apps-1 --paths "a" --threshold 2 --key-dir "$KEYS"
'

test_expect_success 'add --role places targets; a path outside the delegation is refused' '
    expect_code 0 repo add "$R" "$TRASH/core.tar" --name apps/core-2.0.tar --role apps \
        --version 2.0 --compatible dev &&
    expect_code 0 repo add "$R" "$TRASH/edge.tar" --name apps/edge-1.0.tar --role team/edge \
        --version 1.0 --compatible dev &&
    expect_code 0 repo add "$R" "$TRASH/pkg.bin" --role bins --version 3.0 --compatible dev &&
    expect_code 1 repo add "$R" "$TRASH/pkg.bin" --name other/x.bin --role apps --version 1.0 \
        --compatible dev && contains "$TRASH/err" "outside the paths" &&
    expect_code 1 repo add "$R" "$TRASH/pkg.bin" --role nosuch --version 1.0 --compatible dev &&
    expect_code 0 repo commit "$R" --key-dir "$KEYS" --passphrase-file "$PASS" &&
    test -f "$R/metadata/1.apps.json" && test -f "$R/metadata/1.team/edge.json" &&
    test -f "$R/metadata/1.bins.json" && test ! -e "$R/metadata/apps.json" &&
    test -f "$R/targets/apps/$(sha256sum "$TRASH/core.tar" | cut -d" " -f1).core-2.0.tar" &&
    expect_code 0 repo verify "$R" --json &&
    test "$(json_get "$TRASH/out" "[\"targets\"]" | "$PYTHON" -c "import json,sys; print(len(json.load(sys.stdin)))")" = 3 &&
    $INDEP "$R" >"$TRASH/indep" &&
    test "$(json_get "$TRASH/indep" "[\"targets\"]")" = 3
'

test_expect_success 'the slipway client finds the delegated targets over HTTP' '
    nginx_start "$TRASH/www" plain plain &&
    trust_conf "$TRASH/c.conf" "${NGINX_URL}repo/" "channel = stable" &&
    sed -i "s/compatible = .*/compatible = dev/" "$TRASH/c.conf" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" init --root "$R/metadata/1.root.json" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" refresh &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" list --json --why &&
    for t in apps/core-2.0.tar apps/edge-1.0.tar pkg.bin; do
        "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); assert sys.argv[2] in [t[\"name\"] for t in d[\"targets\"]], d" "$TRASH/out" "$t" || exit 1
    done &&
    grep -q "GET /repo/metadata/1.team%2Fedge.json 200" "$NGINX_LOG"
'

test_expect_success 'a timestamp key rotated out: the next commit signs with the new one' '
    expect_code 0 repo keygen timestamp-2 --key-dir "$KEYS" --passphrase-file "$PASS" &&
    expect_code 0 repo rotate-root "$R" --role timestamp --remove-key timestamp-1 \
        --add-key timestamp-2 --key-dir "$KEYS" &&
    expect_code 0 repo commit "$R" --key-dir "$KEYS" --passphrase-file "$PASS" &&
    test "$(json_get "$R/metadata/timestamp.json" "[\"signatures\"][0][\"keyid\"]")" = \
         "$(json_get "$R/metadata/2.root.json" "[\"signed\"][\"roles\"][\"timestamp\"][\"keyids\"][0]")" &&
    expect_code 0 repo verify "$R" && $INDEP "$R" >/dev/null &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" refresh &&
    contains "$TRASH/out" "root       version 1 -> 2"
'

test_expect_success 'a targets key rotated: targets is signed again with the new key' '
    expect_code 0 repo keygen targets-2 --key-dir "$KEYS" --passphrase-file "$PASS" &&
    expect_code 0 repo rotate-root "$R" --role targets --remove-key targets-1 \
        --add-key targets-2 --key-dir "$KEYS" &&
    expect_code 0 repo commit "$R" --key-dir "$KEYS" --passphrase-file "$PASS" --json &&
    test "$(json_get "$TRASH/out" "[\"restaged\"]")" = true &&
    test -f "$R/metadata/3.targets.json" &&
    expect_code 0 repo verify "$R" && $INDEP "$R" >/dev/null
'

test_expect_success 'snapshot picks up a role signed outside slipway-repo; a bad one is refused' '
    cp "$R/metadata/1.apps.json" "$TRASH/apps2.json" &&
    "$FORGE" resign "$TRASH/apps2.json" --key-dir "$KEYS" --key apps-1 --set version=2 \
        --passphrase-file "$PASS" --out "$R/metadata/2.apps.json" &&
    expect_code 5 repo verify "$R" --json && problem_in "$TRASH/out" stale 2.apps.json &&
    expect_code 0 repo snapshot "$R" --key-dir "$KEYS" --passphrase-file "$PASS" &&
    expect_code 0 repo verify "$R" &&
    test "$(json_get "$R/metadata/snapshot.json" "[\"signed\"][\"meta\"][\"apps.json\"][\"version\"]")" = 2 &&
    "$FORGE" resign "$TRASH/apps2.json" --key-dir "$KEYS" --key edge-1 --set version=3 \
        --passphrase-file "$PASS" --out "$R/metadata/3.apps.json" &&
    expect_code 5 repo snapshot "$R" --key-dir "$KEYS" --passphrase-file "$PASS" &&
    contains "$TRASH/err" "refusing to snapshot" && contains "$TRASH/err" "apps" &&
    rm "$R/metadata/3.apps.json" && expect_code 0 repo verify "$R"
'

test_expect_success 'tuf-forge duplicate and bogus signatures are caught by verify' '
    cp -a "$R" "$TRASH/dup" &&
    "$FORGE" resign "$TRASH/dup/metadata/1.bins.json" --key-dir "$KEYS" --key apps-1 \
        --duplicate-signature --passphrase-file "$PASS" &&
    "$FORGE" relink "$TRASH/dup" --key-dir "$KEYS" --snapshot-key snapshot-1 \
        --timestamp-key timestamp-2 --passphrase-file "$PASS" >/dev/null &&
    expect_code 5 repo verify "$TRASH/dup" --json && contains "$TRASH/out" "signs more than once" &&
    "$FORGE" resign "$TRASH/dup/metadata/1.bins.json" --key-dir "$KEYS" --key apps-1 \
        --bogus-signature --passphrase-file "$PASS" --canonical &&
    "$FORGE" relink "$TRASH/dup" --key-dir "$KEYS" --snapshot-key snapshot-1 \
        --timestamp-key timestamp-2 --passphrase-file "$PASS" >/dev/null &&
    expect_code 5 repo verify "$TRASH/dup" --json && problem_in "$TRASH/out" signature 1.bins.json &&
    test "$(json_get "$TRASH/out" "[\"problem_count\"]")" = 1
'

test_done
