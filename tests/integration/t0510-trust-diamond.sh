#!/bin/bash
# SPDX-License-Identifier: MIT
# A delegation "diamond" (tests/vectors/tuf/diamond-delegation, made by
# python-tuf): parent-a (team-a/*) and parent-b (team-b/*) each delegate a
# role named release, with another key; release is signed by parent-a's key
# only and lists a target under each. A role is trusted per delegation:
# release verified through parent-a is no authority for team-b/*, through
# the conformance adapter (two targets in one process, both orders; the
# adapter stops at the first target that fails) and through slipway
# refresh / list. Both orders inside one trust handle: tests/unit/test_trust.c.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-trust.sh"

V=diamond-delegation
serve_copy "$VECTORS/tuf/$V" "$V"
nginx_start "$TRASH/www" https
HTTPS_URL=$NGINX_URL
HTTPS_LOG=$NGINX_LOG
nginx_start "$TRASH/www" plain plain
PLAIN_URL=$NGINX_URL
A=team-a/app.tar.gz
B=team-b/app.tar.gz

# adapter DIR TARGET...: init DIR/md and download the targets into DIR/td
adapter() {
    local d=$1 args=()
    shift
    for n in "$@"; do args+=(--target-name "$n"); done
    "$ADAPTER" --metadata-dir "$d/md" init "$VECTORS/tuf/$V/metadata/1.root.json" &&
        "$ADAPTER" --metadata-dir "$d/md" --metadata-url "$PLAIN_URL$V/metadata/" \
            --target-base-url "$PLAIN_URL$V/targets/" --target-dir "$d/td" "${args[@]}" download
}

test_expect_success 'adapter, team-a then team-b in one process: only team-a is downloaded' '
    expect_code 1 adapter "$TRASH/ab" "$A" "$B" &&
    contains "$TRASH/err" "team-b/app.tar.gz" &&
    contains "$TRASH/err" "parent-b" &&
    same_files "$TRASH/ab/td" "team-a%2Fapp.tar.gz" &&
    test "$(cat "$TRASH/ab/td/team-a%2Fapp.tar.gz")" = "trusted A" &&
    test -f "$TRASH/ab/md/release.json"
'

test_expect_success 'adapter, team-b then team-a in one process: team-b is refused, nothing kept for it' '
    expect_code 1 adapter "$TRASH/ba" "$B" "$A" &&
    contains "$TRASH/err" "team-b/app.tar.gz" &&
    contains "$TRASH/err" "parent-b" &&
    test -z "$(ls -A "$TRASH/ba/td" 2>/dev/null)" &&
    test ! -e "$TRASH/ba/md/release.json" &&
    test -f "$TRASH/ba/md/parent-b.json"
'

test_expect_success 'adapter, then team-a alone in that directory: downloaded' '
    expect_code 0 "$ADAPTER" --metadata-dir "$TRASH/ba/md" --metadata-url "$PLAIN_URL$V/metadata/" \
        --target-base-url "$PLAIN_URL$V/targets/" --target-dir "$TRASH/ba/td" --target-name "$A" download &&
    same_files "$TRASH/ba/td" "team-a%2Fapp.tar.gz" &&
    cmp "$TRASH/ba/md/release.json" "$VECTORS/tuf/$V/metadata/1.release.json"
'

test_expect_success 'adapter, team-b alone in a later process: refused, and release.json is kept' '
    expect_code 1 "$ADAPTER" --metadata-dir "$TRASH/ab/md" --metadata-url "$PLAIN_URL$V/metadata/" \
        --target-base-url "$PLAIN_URL$V/targets/" --target-dir "$TRASH/ab/td2" --target-name "$B" download &&
    test ! -e "$TRASH/ab/td2/team-b%2Fapp.tar.gz" &&
    cmp "$TRASH/ab/md/release.json" "$VECTORS/tuf/$V/metadata/1.release.json"
'

client() {
    "$SLIPWAY" -c "$TRASH/sw.conf" --state-dir "$TRASH/st" "$@"
}

test_expect_success 'slipway refresh keeps every role, says release is unusable through parent-b' '
    trust_conf "$TRASH/sw.conf" "$HTTPS_URL$V/" &&
    client init --root "$VECTORS/tuf/$V/metadata/1.root.json" >/dev/null &&
    expect_code 5 client refresh --json &&
    test "$(json_get "$TRASH/out" "[\"delegated_roles\"]")" = 3 &&
    test "$(json_get "$TRASH/out" "[\"unusable_roles\"][0][\"role\"]")" = release &&
    test "$(json_get "$TRASH/out" "[\"unusable_roles\"][0][\"delegator\"]")" = parent-b &&
    test "$(json_get "$TRASH/out" "[\"unusable_roles\"][0][\"error\"]")" = SW_E_SIGNATURE &&
    contains "$TRASH/err" "role '"'"'release'"'"' (delegated by '"'"'parent-b'"'"')" &&
    for r in parent-a parent-b release; do
        cmp "$TRASH/st/metadata/$r.json" "$VECTORS/tuf/$V/metadata/1.$r.json" || exit 1
    done
'

test_expect_success 'slipway list --why: team-a offered, team-b not, with the reason, no request' '
    before=$(log_lines "$HTTPS_LOG") &&
    expect_code 0 client list --why &&
    grep -q "^team-a/app.tar.gz  *1.0.0  *10 bytes" "$TRASH/out" &&
    grep "^team-b/app.tar.gz" "$TRASH/out" >line &&
    contains line "not offered: role '"'"'release'"'"' (delegated by '"'"'parent-b'"'"')" &&
    contains line "signatures" &&
    contains "$TRASH/out" "role '"'"'release'"'"' (delegated by '"'"'parent-b'"'"') cannot be used" &&
    test "$(log_lines "$HTTPS_LOG")" = "$before"
'

test_expect_success 'slipway list --why --json: the same, for machines' '
    expect_code 0 client list --why --json &&
    "$PYTHON" - "$TRASH/out" <<-\PY
	import json, sys
	d = json.load(open(sys.argv[1]))
	t = {x["name"]: x for x in d["targets"]}
	assert t["team-a/app.tar.gz"]["offered"] is True, t
	assert t["team-a/app.tar.gz"]["role"] == "release", t
	b = t["team-b/app.tar.gz"]
	assert b["offered"] is False and b["verdict"] == "role-unusable", b
	assert b["role"] == "release" and b["delegator"] == "parent-b", b
	assert d["offered"] == 1, d
	assert [(s["role"], s["delegator"]) for s in d["skipped_roles"]] == [("release", "parent-b")], d
	PY
'

test_expect_success 'slipway list without --why lists only team-a' '
    expect_code 0 client list &&
    contains "$TRASH/out" "team-a/app.tar.gz" &&
    lacks "$TRASH/out" "team-b"
'

test_done
