#!/bin/bash
# SPDX-License-Identifier: MIT
# The client against repositories made with slipway-repo (ed25519 and
# ECDSA keys), served by a real nginx: what it asks for, what it keeps, how
# it follows a new release, and the conformance adapter downloading from it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

make_repo ed
make_repo ec --key-type ecdsa
nginx_start "$TRASH/www"
URL=$NGINX_URL
LOG=$NGINX_LOG
nginx_start "$TRASH/www" plain plain
PLAIN=$NGINX_URL

for n in ed ec; do
    test_expect_success "$n: a fresh refresh asks for exactly these files" '
        client_for '$n' "$URL" &&
        before=$(log_lines "$LOG") &&
        expect_code 0 sw '$n' refresh &&
        requests_since "$LOG" "$before" >got &&
        printf "%s\n" \
            "GET /'$n'/metadata/2.root.json 404" \
            "GET /'$n'/metadata/timestamp.json 200" \
            "GET /'$n'/metadata/2.snapshot.json 200" \
            "GET /'$n'/metadata/2.targets.json 200" >want &&
        diff want got &&
        for r in timestamp snapshot targets; do
            test "$(trusted '$n' $r)" = 2 || exit 1
        done &&
        cmp "$TRASH/st-'$n'/metadata/snapshot.json" "$TRASH/www/'$n'/metadata/2.snapshot.json" &&
        cmp "$TRASH/st-'$n'/metadata/targets.json" "$TRASH/www/'$n'/metadata/2.targets.json"
    '

    test_expect_success "$n: list offers the release" '
        expect_code 0 sw '$n' list --json &&
        test "$(json_get "$TRASH/out" "[\"offered\"]")" = 1 &&
        test "$(json_get "$TRASH/out" "[\"targets\"][0][\"name\"]")" = app-1.0.tar &&
        test "$(json_get "$TRASH/out" "[\"targets\"][0][\"version\"]")" = 1.0.0
    '
done

test_expect_success 'nothing new: only the root probe and the timestamp are asked for' '
    before=$(log_lines "$LOG") &&
    expect_code 0 sw ed refresh &&
    contains "$TRASH/out" "up to date" &&
    requests_since "$LOG" "$before" >got &&
    printf "%s\n" "GET /ed/metadata/2.root.json 404" "GET /ed/metadata/timestamp.json 200" >want &&
    diff want got
'

test_expect_success 'a new release: timestamp, snapshot and targets move to version 3' '
    release ed app-1.1.tar 1.1.0 &&
    before=$(log_lines "$LOG") &&
    expect_code 0 sw ed refresh --json &&
    test "$(json_get "$TRASH/out" "[\"versions\"]")" = "{\"root\": 1, \"timestamp\": 3, \"snapshot\": 3, \"targets\": 3}" &&
    requests_since "$LOG" "$before" >got &&
    printf "%s\n" \
        "GET /ed/metadata/2.root.json 404" \
        "GET /ed/metadata/timestamp.json 200" \
        "GET /ed/metadata/3.snapshot.json 200" \
        "GET /ed/metadata/3.targets.json 200" >want &&
    diff want got &&
    expect_code 0 sw ed list --json &&
    test "$(json_get "$TRASH/out" "[\"offered\"]")" = 2
'

test_expect_success 'only a new timestamp: snapshot and targets are not fetched again' '
    repo timestamp "$TRASH/www/ed" --key-dir "$TRASH/keys-ed" --passphrase-file "$PASS" >/dev/null &&
    before=$(log_lines "$LOG") &&
    expect_code 0 sw ed refresh &&
    contains "$TRASH/out" "timestamp  version 3 -> 4" &&
    requests_since "$LOG" "$before" >got &&
    printf "%s\n" "GET /ed/metadata/2.root.json 404" "GET /ed/metadata/timestamp.json 200" >want &&
    diff want got
'

test_expect_success 'the store records each trusted version' '
    expect_code 0 sw ed status --json &&
    "$PYTHON" - "$TRASH/out" <<-\PY
	import json, sys
	d = json.load(open(sys.argv[1]))
	got = {m["role"]: m["version"] for m in d["trusted_metadata"]}
	assert got == {"root": 1, "timestamp": 4, "snapshot": 3, "targets": 3}, got
	PY
'

for n in ed ec; do
    test_expect_success "$n: the conformance adapter downloads a release over plain HTTP" '
        "$ADAPTER" --metadata-dir "$TRASH/ad-'$n'/md" init "$TRASH/www/'$n'/metadata/1.root.json" &&
        "$ADAPTER" --metadata-dir "$TRASH/ad-'$n'/md" --metadata-url "${PLAIN}'$n'/metadata/" \
            --target-name app-1.0.tar --target-dir "$TRASH/ad-'$n'/td" \
            --target-base-url "${PLAIN}'$n'/targets/" download &&
        cmp "$TRASH/ad-'$n'/td/app-1.0.tar" "$TRASH/app-1.0.tar" &&
        same_files "$TRASH/ad-'$n'/md" root.json timestamp.json snapshot.json targets.json
    '
done

test_expect_success 'adapter: several targets in order; the first missing one stops it' '
    expect_code 1 "$ADAPTER" --metadata-dir "$TRASH/ad-ed/md" --metadata-url "${PLAIN}ed/metadata/" \
        --target-name app-1.1.tar --target-name nope.tar --target-name app-1.0.tar \
        --target-dir "$TRASH/ad-ed/td2" --target-base-url "${PLAIN}ed/targets/" download &&
    contains "$TRASH/err" "nope.tar" &&
    same_files "$TRASH/ad-ed/td2" app-1.1.tar
'

test_done
