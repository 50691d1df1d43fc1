#!/bin/bash
# SPDX-License-Identifier: MIT
# A bundle changed on disk between fetch and stage is refused: stage checks
# the very file it extracts against the verified metadata, never fetches
# over it, leaves the slot empty and stores why. A bundle that breaks an
# extraction rule is refused the same way, with the entry and the rule in
# the history, and the active slot untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

stage_repo
publish_version 1.0.0
publish_version 1.1.0 tar.gz
"$PYTHON" "$SRCDIR/tests/integration/mkbundle.py" dotdot "$TRASH/evil.tar" >/dev/null
repo add "$STREPO" "$TRASH/evil.tar" --version 1.2.0 --compatible dev >/dev/null
repo commit "$STREPO" --key-dir "$STKEYS" --passphrase-file "$PASS" >/dev/null
swc refresh >/dev/null

test_expect_success 'a downloaded bundle whose bytes changed (same length) is refused by stage' '
    expect_code 0 swc fetch app-1.0.0.tar &&
    printf X | dd of="$ST/downloads/app-1.0.0.tar" bs=1 seek=600 conv=notrunc 2>/dev/null &&
    expect_code 5 swc stage app-1.0.0.tar &&
    contains "$TRASH/err" "app-1.0.0.tar" &&
    contains "$TRASH/err" "sha256 mismatch" &&
    slot_empty a &&
    test ! -e "$ST/current" &&
    swc history --json >"$TRASH/h.json" &&
    test "$(json_get "$TRASH/h.json" "[\"updates\"][0][\"state\"]")" = failed &&
    json_get "$TRASH/h.json" "[\"updates\"][0][\"error\"]" | grep -q "sha256 mismatch" &&
    test "$(status_field "[\"slots\"][0][\"state\"]")" = empty &&
    test "$(status_field "[\"consistent\"]")" = true
'

test_expect_success 'a bundle grown on disk is refused too' '
    expect_code 0 swc fetch app-1.0.0.tar &&
    contains "$TRASH/out" "fetched app-1.0.0.tar" &&
    cmp "$ST/downloads/app-1.0.0.tar" "$TRASH/app-1.0.0.tar" &&
    printf extra >>"$ST/downloads/app-1.0.0.tar" &&
    expect_code 5 swc stage app-1.0.0.tar &&
    slot_empty a
'

test_expect_success 'a bundle replaced by a symlink to a good copy is refused' '
    expect_code 0 swc fetch app-1.0.0.tar &&
    cp "$TRASH/app-1.0.0.tar" "$TRASH/copy.tar" &&
    rm "$ST/downloads/app-1.0.0.tar" &&
    ln -s "$TRASH/copy.tar" "$ST/downloads/app-1.0.0.tar" &&
    expect_code 1 swc stage app-1.0.0.tar &&
    contains "$TRASH/err" "is a symlink" &&
    slot_empty a
'

test_expect_success 'a downloaded bundle that went missing is fetched again by stage' '
    rm -f "$ST/downloads/app-1.0.0.tar" &&
    expect_code 0 swc fetch app-1.0.0.tar &&
    rm "$ST/downloads/app-1.0.0.tar" &&
    expect_code 0 swc stage app-1.0.0.tar &&
    slot_holds a 1.0.0 &&
    expect_code 0 swc promote
'

test_expect_success 'a bundle with a ../ entry: refused, slot b left empty, the rule stored' '
    expect_code 10 swc stage --json evil.tar &&
    test "$(json_get "$TRASH/out" "[\"error\"][\"name\"]")" = SW_E_BUNDLE &&
    contains "$TRASH/err" "entry '\''../x'\'': path holds a '\''..'\'' component" &&
    slot_empty b &&
    test ! -e "$ST/slots/x" && test ! -e "$ST/x" &&
    slot_holds a 1.0.0 &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")" &&
    swc history --json >"$TRASH/h.json" &&
    test "$(json_get "$TRASH/h.json" "[\"updates\"][0][\"target\"]")" = evil.tar &&
    test "$(json_get "$TRASH/h.json" "[\"updates\"][0][\"state\"]")" = failed &&
    json_get "$TRASH/h.json" "[\"updates\"][0][\"error\"]" | grep -qF "entry '\''../x'\'': path holds a '\''..'\'' component" &&
    test "$(status_field "[\"slots\"][1][\"state\"]")" = empty &&
    test "$(status_field "[\"active_slot\"]")" = a &&
    test "$(status_field "[\"consistent\"]")" = true
'

test_expect_success 'after a refused bundle the next good one stages into the same slot' '
    expect_code 0 swc stage app-1.1.0.tar.gz &&
    slot_holds b 1.1.0
'

test_done
