#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway show TARGET (text and --json): every signed field of one target
# (version, compatible, channels, rollout, min_client, length, hashes), the
# role that signed it (a delegated one too) and whether it is offered here
# and why, the same verdict as list --why; no request is made. list has a
# header row, and list --json carries channels, compatible, rollout and
# hashes. Lengths and digests are checked against stat and sha256sum /
# sha512sum, the signed fields against what slipway-repo was told.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

R=$TRASH/www/sh
K=$TRASH/keys-sh
make_repo sh
repo keygen d1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null
repo delegate "$R" apps --paths "apps/*" --key d1 --key-dir "$K" >/dev/null
printf 'beta bundle\n' >"$TRASH/beta.tar"
repo add "$R" "$TRASH/beta.tar" --version 2.0.0 --compatible dev --compatible dev-b \
    --channel beta --channel edge --rollout 30 >/dev/null
printf 'other board\n' >"$TRASH/other.tar"
repo add "$R" "$TRASH/other.tar" --version 3.0.0 --compatible board-x >/dev/null
printf 'delegated app\n' >"$TRASH/app.tar"
repo add "$R" "$TRASH/app.tar" --name apps/tool.tar --role apps --version 1.5.0 \
    --compatible dev --min-client 0.0.1 >/dev/null
# wider than list's columns: the name (40) and the version (14) push the rest right
LONG=a-bundle-name-longer-than-the-forty-columns-of-list.tar
printf 'long bundle\n' >"$TRASH/long.tar"
repo add "$R" "$TRASH/long.tar" --name "$LONG" --version 10.20.30-rc.1+b.5 --compatible dev >/dev/null
publish sh

nginx_start "$TRASH/www"
client_for sh "$NGINX_URL"

# field NAME: the value of "NAME:" in show's text output
field() {
    sed -n "s/^$1: *//p" "$TRASH/out"
}

test_expect_success 'setup: refresh' '
    expect_code 0 sw sh refresh
'

test_expect_success 'show: every signed field of a target, and no request' '
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw sh show beta.tar &&
    test "$(log_lines "$NGINX_LOG")" = "$before" &&
    test "$(field target)" = beta.tar &&
    test "$(field version)" = 2.0.0 &&
    test "$(field compatible)" = "dev, dev-b" &&
    test "$(field channels)" = "beta, edge" &&
    field rollout | grep -q "^30% of machines (this machine.s bucket [0-9]* of 10000)$" &&
    test "$(field length)" = "$(file_size "$TRASH/beta.tar") bytes" &&
    test "$(field sha256)" = "$(sha256sum <"$TRASH/beta.tar" | cut -d" " -f1)" &&
    test "$(field sha512)" = "$(sha512sum <"$TRASH/beta.tar" | cut -d" " -f1)" &&
    test "$(field "signed by")" = "role '"'"'targets'"'"'" &&
    test "$(field offered)" = "no (channel): on channel '"'"'beta'"'"', '"'"'edge'"'"', this machine follows '"'"'stable'"'"'"
'

test_expect_success 'show: a target of a delegated role names that role; an offered one says so' '
    expect_code 0 sw sh show apps/tool.tar &&
    test "$(field "signed by")" = "role '"'"'apps'"'"'" &&
    test "$(field "min client")" = 0.0.1 &&
    test "$(field channels)" = "(any channel)" &&
    test "$(field rollout)" = "(everyone)" &&
    test "$(field offered)" = "yes: offered: version 1.5.0" &&
    expect_code 0 sw sh show other.tar &&
    test "$(field offered)" = "no (incompatible): for '"'"'board-x'"'"', not for '"'"'dev'"'"'"
'

test_expect_success 'show --json: the fields, with hashes from sha256sum and the role' '
    expect_code 0 sw sh show beta.tar --json &&
    test "$(json_get "$TRASH/out" "[\"schema\"]")" = 1 &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"name\"]")" = beta.tar &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"version\"]")" = 2.0.0 &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"compatible\"]")" = "[\"dev\", \"dev-b\"]" &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"channels\"]")" = "[\"beta\", \"edge\"]" &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"rollout\"][\"percent\"]")" = 30 &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"length\"]")" = "$(file_size "$TRASH/beta.tar")" &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"hashes\"][\"sha256\"]")" = "$(sha256sum <"$TRASH/beta.tar" | cut -d" " -f1)" &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"role\"]")" = targets &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"offered\"]")" = false &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"verdict\"]")" = channel &&
    expect_code 0 sw sh show apps/tool.tar --json &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"role\"]")" = apps &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"offered\"]")" = true &&
    test "$(json_get "$TRASH/out" "[\"target\"][\"channels\"]")" = null
'

test_expect_success 'show decides as list --why does, for every target' '
    expect_code 0 sw sh list --why --json &&
    cp "$TRASH/out" list.json &&
    for t in app-1.0.tar beta.tar other.tar apps/tool.tar; do
        expect_code 0 sw sh show "$t" --json &&
        "$PYTHON" - list.json "$TRASH/out" "$t" <<-'"'"'PY'"'"' || exit 1
	import json, sys
	listed = [x for x in json.load(open(sys.argv[1]))["targets"] if x["name"] == sys.argv[3]]
	shown = json.load(open(sys.argv[2]))["target"]
	assert len(listed) == 1, listed
	assert listed[0] == shown, (listed[0], shown)
	PY
    done
'

test_expect_success 'show: a target no role lists exits 1 naming it' '
    expect_code 1 sw sh show nope.tar &&
    contains "$TRASH/err" "no trusted role lists target '"'"'nope.tar'"'"'" &&
    expect_code 2 sw sh show &&
    expect_code 2 sw sh show a b
'

test_expect_success 'list: a header row, then one row per target' '
    expect_code 0 sw sh list --why &&
    head -n 1 "$TRASH/out" | grep -q "^TARGET  *VERSION  *LENGTH OR WHY NOT OFFERED$" &&
    test "$(grep -c "not offered" "$TRASH/out")" = 2 &&
    grep -q "^apps/tool.tar  *1.5.0  *$(file_size "$TRASH/app.tar") bytes$" "$TRASH/out" &&
    expect_code 0 sw sh list &&
    head -n 1 "$TRASH/out" | grep -q "^TARGET " &&
    test "$(wc -l <"$TRASH/out")" = 4
'

test_expect_success 'list --why: each row as printf pads it (%-40s %-14s), with the reasons of --json' '
    expect_code 0 sw sh list --why &&
    cp "$TRASH/out" list.txt &&
    reason() {
        "$PYTHON" -c "import json, sys; print([x for x in json.load(open(sys.argv[1]))[\"targets\"] if x[\"name\"] == sys.argv[2]][0][\"reason\"])" list.json "$1"
    } &&
    head -n 1 list.txt | grep -qxF "$(printf "%-40s %-14s %s" TARGET VERSION "LENGTH OR WHY NOT OFFERED")" &&
    grep -qxF "$(printf "%-40s %-14s %12d bytes" apps/tool.tar 1.5.0 "$(file_size "$TRASH/app.tar")")" list.txt &&
    grep -qxF "$(printf "%-40s %-14s %12d bytes" "$LONG" 10.20.30-rc.1+b.5 "$(file_size "$TRASH/long.tar")")" list.txt &&
    test -n "$(reason beta.tar)" &&
    grep -qxF "$(printf "%-40s %-14s not offered: %s" beta.tar 2.0.0 "$(reason beta.tar)")" list.txt &&
    grep -qxF "$(printf "%-40s %-14s not offered: %s" other.tar 3.0.0 "$(reason other.tar)")" list.txt
'

test_expect_success 'list --json: channels, compatible, rollout and hashes per target' '
    "$PYTHON" - list.json "$TRASH/beta.tar" "$TRASH/app.tar" <<-'"'"'PY'"'"'
	import hashlib, json, sys
	t = {x["name"]: x for x in json.load(open(sys.argv[1]))["targets"]}
	b = t["beta.tar"]
	data = open(sys.argv[2], "rb").read()
	assert b["channels"] == ["beta", "edge"], b
	assert b["compatible"] == ["dev", "dev-b"], b
	assert b["rollout"]["percent"] == 30, b
	assert b["hashes"]["sha256"] == hashlib.sha256(data).hexdigest(), b
	assert b["hashes"]["sha512"] == hashlib.sha512(data).hexdigest(), b
	a = t["apps/tool.tar"]
	assert a["channels"] is None and a["rollout"] is None, a
	assert a["min_client"] == "0.0.1", a
	assert a["hashes"]["sha256"] == hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest(), a
	PY
'

test_done
