#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 11's budget: a `slipway update` with nothing new commits one store
# transaction, the raised time floor and its `refresh` event together
# (counted with fault point store-write-commit of the test build: a hit
# per commit that changed a row). The floor is still raised by every
# refresh, and a commit refused there leaves neither half.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

[ -x "$SLIPWAY_T" ] || { echo "1..0 # SKIP $SLIPWAY_T is not built (make test-programs)"; exit 0; }
command -v sqlite3 >/dev/null || { echo "1..0 # SKIP no sqlite3 program"; exit 0; }
stage_repo || exit 1
publish_version 1.0.0 || exit 1
db() { sqlite3 "$ST/state.db" "$1"; }
floor() { db "SELECT value FROM settings WHERE key = 'time-floor'"; }
refreshes() { db "SELECT count(*) FROM events WHERE kind = 'refresh' AND reason = 'refreshed by update'"; }

test_expect_success 'the first update installs 1.0.0 (14)' '
    expect_code 14 swc update
'

# the floor set back first, so that the run must raise it (a run in the same
# second as the last one would leave it as it is)
test_expect_success 'a run with nothing new: exit 0 and exactly one commit that writes' '
    db "UPDATE settings SET value = '"'"'1000'"'"' WHERE key = '"'"'time-floor'"'"'" &&
    rm -f "$TRASH/hits" &&
    rc=0 && SLIPWAY_FAULT_LIST=$TRASH/hits swt update >"$TRASH/out" 2>"$TRASH/err" || rc=$? &&
    test "$rc" = 0 &&
    n=$(grep -c "^store-write-commit\$" "$TRASH/hits") &&
    { test "$n" = 1 || { echo "$n commits:"; cat "$TRASH/hits"; exit 1; }; }
'

test_expect_success 'that commit still raises the floor and records the refresh' '
    db "UPDATE settings SET value = '"'"'1000'"'"' WHERE key = '"'"'time-floor'"'"'" &&
    before=$(refreshes) &&
    expect_code 0 swt update &&
    test "$(floor)" -gt "$(date +%s -d "-1 hour")" &&
    test "$(refreshes)" = $((before + 1))
'

test_expect_success 'that commit refused: neither the floor nor the refresh event is kept' '
    db "UPDATE settings SET value = '"'"'1000'"'"' WHERE key = '"'"'time-floor'"'"'" &&
    before=$(refreshes) &&
    rc=0 && SLIPWAY_FAULT=store-write-commit@1:fail swt update >"$TRASH/out" 2>"$TRASH/err" || rc=$? &&
    test "$rc" != 0 &&
    contains "$TRASH/err" "refresh: " &&
    test "$(floor)" = 1000 &&
    test "$(refreshes)" = "$before"
'

test_expect_success 'the next run raises it again (0)' '
    expect_code 0 swc update &&
    test "$(floor)" -gt 1000
'

test_done
