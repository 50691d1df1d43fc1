#!/bin/bash
# SPDX-License-Identifier: MIT
# The command frame, driven as a user would: --help, --version, unknown
# commands and options, exit codes, configuration errors, and
# `status --json` read back by an independent JSON parser.
. "$(dirname "$0")/lib.sh"

test_expect_success '--help lists the commands and exits 0' '
    expect_code 0 "$SLIPWAY" --help &&
    contains "$TRASH/out" "usage: slipway" &&
    contains "$TRASH/out" "status" &&
    contains "$TRASH/out" "--state-dir"
'

test_expect_success 'COMMAND --help and help COMMAND show its usage' '
    expect_code 0 "$SLIPWAY" status --help &&
    contains "$TRASH/out" "usage: slipway status" &&
    contains "$TRASH/out" "--json" &&
    expect_code 0 "$SLIPWAY" help status &&
    contains "$TRASH/out" "usage: slipway status"
'

test_expect_success '--version prints the version' '
    expect_code 0 "$SLIPWAY" --version &&
    grep -qE "^slipway [0-9]+\.[0-9]+\.[0-9]+$" "$TRASH/out" &&
    expect_code 0 "$SLIPWAY_REPO" --version &&
    grep -qE "^slipway-repo [0-9]+\.[0-9]+\.[0-9]+$" "$TRASH/out"
'

test_expect_success 'no command is a usage error (exit 2)' '
    expect_code 2 "$SLIPWAY" &&
    contains "$TRASH/err" "no command given"
'

test_expect_success 'an unknown command is a usage error naming it' '
    expect_code 2 "$SLIPWAY" frobnicate &&
    contains "$TRASH/err" "unknown command '"'"'frobnicate'"'"'"
'

test_expect_success 'an unknown option is a usage error naming it' '
    expect_code 2 "$SLIPWAY" status --frobnicate &&
    contains "$TRASH/err" "unknown option '"'"'--frobnicate'"'"'" &&
    expect_code 2 "$SLIPWAY" -Z status &&
    contains "$TRASH/err" "unknown option '"'"'-Z'"'"'" &&
    expect_code 2 "$SLIPWAY" status --state-dir &&
    contains "$TRASH/err" "needs a value"
'

test_expect_success 'an extra argument is a usage error' '
    expect_code 2 "$SLIPWAY" --state-dir "$TRASH/st0" status extra &&
    contains "$TRASH/err" "status: expected no arguments" &&
    test ! -e "$TRASH/st0"
'

test_expect_success 'status creates a private state dir and store' '
    expect_code 0 "$SLIPWAY" --state-dir "$TRASH/st" status &&
    contains "$TRASH/out" "schema 4" &&
    test "$(file_mode "$TRASH/st")" = 700 &&
    test "$(file_mode "$TRASH/st/state.db")" = 600
'

test_expect_success 'status --json is one object with the documented fields' '
    expect_code 0 "$SLIPWAY" status --json --state-dir "$TRASH/st" &&
    test "$(json_get "$TRASH/out" "[\"state_dir\"]")" = "$TRASH/st" &&
    test "$(json_get "$TRASH/out" "[\"store\"][\"schema_version\"]")" = 4 &&
    test "$(json_get "$TRASH/out" "[\"store\"][\"path\"]")" = "$TRASH/st/state.db" &&
    json_get "$TRASH/out" "[\"device_id\"]" | grep -qE "^[0-9a-f]{32}$" &&
    test "$(json_get "$TRASH/out" "[\"channel\"]")" = stable &&
    test "$(json_get "$TRASH/out" "[\"compatible\"]")" = null &&
    test "$(json_get "$TRASH/out" "[\"active_slot\"]")" = null &&
    test "$(json_get "$TRASH/out" "[\"slots\"][0][\"name\"]")" = a &&
    test "$(json_get "$TRASH/out" "[\"slots\"][0][\"state\"]")" = empty &&
    test "$(json_get "$TRASH/out" "[\"slots\"][0][\"version\"]")" = null &&
    test "$(json_get "$TRASH/out" "[\"slots\"][1][\"path\"]")" = "$TRASH/st/slots/b" &&
    test "$(json_get "$TRASH/out" "[\"trusted_metadata\"]")" = "[]" &&
    test "$(json_get "$TRASH/out" "[\"mirrors\"]")" = "[]"
'

test_expect_success 'the device id stays the same across runs' '
    "$SLIPWAY" --state-dir "$TRASH/st" --json status >a.json &&
    "$SLIPWAY" --state-dir "$TRASH/st" --json status >b.json &&
    test "$(json_get a.json "[\"device_id\"]")" = "$(json_get b.json "[\"device_id\"]")"
'

test_expect_success 'a configuration file is read with -c' '
    cat >"$TRASH/sw.conf" <<-EOC &&
	[slipway]
	state-dir = $TRASH/cst
	channel = beta
	compatible = acme-gw
	[mirror "m1"]
	metadata-url = https://127.0.0.1:1/metadata/
	targets-url = https://127.0.0.1:1/targets/
	EOC
    expect_code 0 "$SLIPWAY" -c "$TRASH/sw.conf" status --json &&
    test "$(json_get "$TRASH/out" "[\"channel\"]")" = beta &&
    test "$(json_get "$TRASH/out" "[\"compatible\"]")" = acme-gw &&
    test "$(json_get "$TRASH/out" "[\"config\"]")" = "$TRASH/sw.conf" &&
    test "$(json_get "$TRASH/out" "[\"state_dir\"]")" = "$TRASH/cst" &&
    test "$(json_get "$TRASH/out" "[\"mirrors\"][0][\"name\"]")" = m1
'

test_expect_success 'a bad configuration exits 3 naming file, line and key' '
    printf "[slipway]\nchannel = a\nchanel = b\n" >"$TRASH/bad.conf" &&
    expect_code 3 "$SLIPWAY" -c "$TRASH/bad.conf" --state-dir "$TRASH/st" status &&
    contains "$TRASH/err" "$TRASH/bad.conf:3: unknown key '"'"'chanel'"'"'"
'

test_expect_success 'a missing configuration file exits 3 naming it' '
    expect_code 3 "$SLIPWAY" -c "$TRASH/none.conf" --state-dir "$TRASH/st" status &&
    contains "$TRASH/err" "$TRASH/none.conf"
'

test_expect_success 'errors are also JSON on stdout with --json' '
    expect_code 3 "$SLIPWAY" -c "$TRASH/none.conf" --state-dir "$TRASH/st" status --json &&
    test "$(json_get "$TRASH/out" "[\"error\"][\"name\"]")" = SW_E_CONFIG
'

test_expect_success 'a store that is not ours exits 4 and is left alone' '
    mkdir -m 700 "$TRASH/foreign" &&
    printf "not a database at all, just text\n" >"$TRASH/foreign/state.db" &&
    chmod 600 "$TRASH/foreign/state.db" &&
    cp "$TRASH/foreign/state.db" "$TRASH/copy" &&
    expect_code 4 "$SLIPWAY" --state-dir "$TRASH/foreign" status &&
    contains "$TRASH/err" "not a slipway state store" &&
    cmp "$TRASH/foreign/state.db" "$TRASH/copy"
'

test_expect_success 'a state dir open to others is refused with the fix' '
    mkdir -m 755 "$TRASH/open" &&
    expect_code 4 "$SLIPWAY" --state-dir "$TRASH/open" status &&
    contains "$TRASH/err" "chmod 700" &&
    test ! -e "$TRASH/open/state.db"
'

test_expect_success 'log lines carry <N> prefixes when stderr is the journal' '
    : >"$TRASH/journal" &&
    js=$(stat -c "%d:%i" "$TRASH/journal") &&
    (JOURNAL_STREAM=$js "$SLIPWAY" frobnicate 2>>"$TRASH/journal" || true) &&
    grep -q "^<3>" "$TRASH/journal" &&
    ("$SLIPWAY" frobnicate 2>"$TRASH/plain" || true) &&
    grep -q "^slipway: error: " "$TRASH/plain"
'

test_expect_success '-q and -v are accepted on any command' '
    expect_code 0 "$SLIPWAY" -q status --state-dir "$TRASH/st" &&
    expect_code 0 "$SLIPWAY" status -v -v --state-dir "$TRASH/st"
'

test_done
