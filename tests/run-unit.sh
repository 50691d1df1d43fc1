#!/bin/bash
# SPDX-License-Identifier: MIT
# Run cmocka unit-test binaries; print one line each and a summary.
# usage: tests/run-unit.sh VARIANT_DIR BINARY...
set -u
variant=$1
shift
pass=0
fail=0
failed=()
for t in "$@"; do
    log=$(mktemp)
    if "$t" >"$log" 2>&1; then
        pass=$((pass + 1))
        printf 'ok      %s\n' "$t"
    else
        fail=$((fail + 1))
        failed+=("$t")
        printf 'FAIL    %s\n' "$t"
        sed 's/^/    | /' "$log"
    fi
    rm -f "$log"
done
echo "unit tests ($variant): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
