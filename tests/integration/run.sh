#!/bin/bash
# SPDX-License-Identifier: MIT
# Run the integration tests (tests/integration/tNNNN-*.sh, or those named on
# the command line), print their TAP and a summary; fail if any failed.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
if [ $# -gt 0 ]; then
    tests=("$@")
else
    tests=("$dir"/t[0-9][0-9][0-9][0-9]-*.sh)
fi
pass=0
fail=0
failed=()
start=$(date +%s)
for t in "${tests[@]}"; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    t0=$(date +%s)
    ok=1
    note=/tmp/slipway-it-$$.trash
    : >"$note"
    SLIPWAY_TRASH_NOTE=$note bash "$t" >"/tmp/slipway-it-$$.log" 2>&1 || ok=0
    trash=$(cat "$note")
    # a test stops every process it started: one still running from its
    # trash directory (a server, a hook) is a failure, and is stopped here
    # (one the test's cleanup signalled but could not wait for, not being its
    # parent, gets 5 s to exit)
    # (the test's own trash directory: another run's are not looked at)
    left=
    for _ in $(seq 50); do
        [ -n "$trash" ] || break
        left=$(pgrep -f "$trash/" || true)
        [ -z "$left" ] && break
        sleep 0.1
    done
    if [ -n "$left" ]; then
        {
            echo "# processes left running by $name:"
            ps -o pid=,args= -p "$(echo $left | tr ' ' ',')"
        } >>"/tmp/slipway-it-$$.log"
        kill $left 2>/dev/null || true
        ok=0
    fi
    if [ "$ok" = 1 ]; then
        pass=$((pass + 1))
        printf 'ok      %-40s (%ss)\n' "$name" $(($(date +%s) - t0))
        [ "${VERBOSE:-0}" = 1 ] && sed 's/^/    | /' "/tmp/slipway-it-$$.log"
    else
        fail=$((fail + 1))
        failed+=("$name")
        printf 'FAIL    %-40s (%ss)\n' "$name" $(($(date +%s) - t0))
        sed 's/^/    | /' "/tmp/slipway-it-$$.log"
    fi
done
rm -f "/tmp/slipway-it-$$.log" "/tmp/slipway-it-$$.trash"
echo "integration tests: $pass passed, $fail failed ($(($(date +%s) - start))s)"
if [ "$fail" -ne 0 ]; then
    echo "failed: ${failed[*]}"
    exit 1
fi
