#!/bin/bash
# SPDX-License-Identifier: MIT
# When the slots on disk and the store disagree, status reports it and
# promote, rollback and stage refuse (exit 11) without changing anything.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

stage_repo
publish_version 1.0.0
publish_version 1.1.0
publish_version 1.2.0
swc refresh >/dev/null
swc stage app-1.0.0.tar >/dev/null && swc promote >/dev/null
swc stage app-1.1.0.tar >/dev/null && swc promote >/dev/null

test_expect_success 'consistent to begin with' '
    test "$(status_field "[\"consistent\"]")" = true &&
    test "$(status_field "[\"problems\"]")" = "[]"
'

test_expect_success 'current switched by hand: status reports the disagreement' '
    ln -sfn slots/a "$ST/current" &&
    expect_code 0 swc status --json &&
    test "$(json_get "$TRASH/out" "[\"consistent\"]")" = false &&
    test "$(json_get "$TRASH/out" "[\"active_slot\"]")" = b &&
    test "$(json_get "$TRASH/out" "[\"active_slot_on_disk\"]")" = a &&
    json_get "$TRASH/out" "[\"problems\"][0]" | grep -qF "slot '\''a'\'' is active on disk, but the store says slot '\''b'\'' is" &&
    expect_code 0 swc status &&
    contains "$TRASH/out" "PROBLEM:" &&
    contains "$TRASH/err" "warning: slots:"
'

test_expect_success 'rollback, stage and promote refuse it (exit 11) and change nothing' '
    cp "$ST/state.db" "$TRASH/before.db" &&
    swc history --json >"$TRASH/h1" &&
    expect_code 11 swc rollback &&
    contains "$TRASH/err" "the slots on disk and the state store disagree" &&
    expect_code 11 swc stage app-1.2.0.tar &&
    expect_code 11 swc promote &&
    swc history --json >"$TRASH/h2" &&
    diff "$TRASH/h1" "$TRASH/h2" &&
    test "$(readlink "$ST/current")" = slots/a &&
    slot_holds a 1.0.0 && slot_holds b 1.1.0
'

test_expect_success 'current removed: reported, and refused' '
    rm "$ST/current" &&
    test "$(status_field "[\"active_slot_on_disk\"]")" = null &&
    json_get "$TRASH/status.json" "[\"problems\"][0]" | grep -qF "no slot is active on disk" &&
    expect_code 11 swc rollback
'

test_expect_success 'put back as the store says: consistent again, rollback works' '
    ln -sfn slots/b "$ST/current" &&
    test "$(status_field "[\"consistent\"]")" = true &&
    expect_code 0 swc rollback --reason "after repair" &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")"
'

test_done
