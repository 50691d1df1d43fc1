#!/bin/bash
# SPDX-License-Identifier: MIT
# `slipway update` killed in the middle of a step (SIGKILL at a fault point
# of the test build, as systemd's TimeoutStartSec would): the next run
# recovers first (its first step), nothing is left half done, and it
# finishes the update. A killed run writes no last-run.json.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

[ -x "$SLIPWAY_T" ] || { echo "1..0 # SKIP $SLIPWAY_T is not built (make test-programs)"; exit 0; }
stage_repo || exit 1
publish_version 1.0.0 || exit 1
sj() { json_get "$TRASH/out" "$1"; }

test_expect_success 'killed while staging: the slot is not complete, the store says staging' '
    rc=0 && SLIPWAY_FAULT=slot-dir-finish-syncfs swt update >"$TRASH/out" 2>"$TRASH/err" || rc=$? &&
    test "$rc" = 137 &&
    test ! -e "$ST/last-run.json" &&
    swc history --json >"$TRASH/h.json" &&
    test "$(json_get "$TRASH/h.json" "[\"updates\"][0][\"state\"]")" = staging
'

test_expect_success 'the next run recovers first, then installs it (14)' '
    expect_code 14 swc update --json &&
    test "$(sj "[\"steps\"][0][\"step\"]")" = recover &&
    test "$(sj "[\"to\"]")" = 1.0.0 &&
    slot_holds a 1.0.0 &&
    test "$(status_field "[\"consistent\"]")" = true &&
    swc history >"$TRASH/h" && contains "$TRASH/h" "recovery" &&
    test -e "$ST/last-run.json"
'

test_expect_success 'killed at the switch: the next run undoes it, then promotes again (14)' '
    publish_version 1.1.0 &&
    rc=0 && SLIPWAY_FAULT=update-promote-switch swt update >"$TRASH/out" 2>"$TRASH/err" || rc=$? &&
    test "$rc" = 137 &&
    expect_code 14 swc update --json &&
    test "$(sj "[\"steps\"][0][\"step\"]")" = recover &&
    test "$(sj "[\"to\"]")" = 1.1.0 &&
    contains "$TRASH/err" "recovered an interrupted promoting" &&
    slot_holds b 1.1.0 &&
    test "$(status_field "[\"consistent\"]")" = true &&
    test "$(status_field "[\"pending\"]")" = null &&
    v=$(status_field "[\"slots\"][0][\"state\"]"),$(status_field "[\"slots\"][1][\"state\"]") &&
    case "$v" in active,previous|previous,active) ;; *) echo "slots: $v"; exit 1 ;; esac
'

test_done
