#!/bin/bash
# SPDX-License-Identifier: MIT
# Replay every fuzz target's seed corpus (tests/fuzz/corpus/NAME/) through
# the sanitizer build of the target (BUILDDIR/NAME).
set -u
builddir=$1
src=$(cd "$(dirname "$0")" && pwd)
fail=0
for bin in "$builddir"/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    corpus="$src/corpus/$name"
    if [ ! -d "$corpus" ]; then
        echo "FAIL    $name: no seed corpus in $corpus"
        fail=1
        continue
    fi
    if out=$("$bin" "$corpus" 2>&1); then
        echo "ok      $name: $out"
    else
        echo "FAIL    $name"
        echo "$out" | sed 's/^/    | /'
        fail=1
    fi
done
exit $fail
