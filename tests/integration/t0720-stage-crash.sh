#!/bin/bash
# SPDX-License-Identifier: MIT
# The crash campaign (driven by stage-crash.py). The pipeline fetch ->
# stage -> promote -> a second stage -> promote -> rollback -> a third
# stage (over a complete tree) -> promote is run once with
# SLIPWAY_FAULT_LIST, so the test build itself lists every fault point each
# step hits and how often; a new point is covered without editing this
# test. Then, for every step, every point and every hit of it, the step is
# killed there (SIGKILL), the next start recovers, and the invariant is
# checked: the active slot is complete and is the version the store names,
# the other slot is complete or empty, store and disk agree, no update is
# left in a step, and history shows the recovery. A crash during that
# recovery is tried at every point it hits. The pipeline must then finish
# with the result of the run without a crash.
# A kill is not a power loss: durability is not what is tested here, so the
# campaign runs on a tmpfs when there is one (fsync and syncfs cost nothing).
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

stage_repo
publish_version 1.0.0
publish_version 1.1.0 tar.gz
publish_version 1.2.0 tar.zst
swc refresh >/dev/null
cp -a "$ST" "$TRASH/snap"

test_expect_success 'every fault point of the pipeline, every hit: killed, recovered, finished' '
    "$PYTHON" "$SRCDIR/tests/integration/stage-crash.py" "$SLIPWAY_T" "$STCONF" "$ST" \
        "$TRASH/trees" "$TRASH/snap" "$TRASH" >"$TRASH/campaign" 2>&1 || { cat "$TRASH/campaign"; exit 1; }
    tail -1 "$TRASH/campaign"
'

test_expect_success 'the points listed cover the whole path: store, update, fetch, slot backend' '
    for p in store-commit update-transition update-promote-switch update-rollback-switch \
             slot-dir-prepare-rename slot-dir-finish-syncfs slot-dir-activate-rename \
             slot-dir-activate-fsync fetch-fsync fetch-rename; do
        grep -qx "$p" "$TRASH/points" || { echo "point $p not hit"; cat "$TRASH/points"; exit 1; }
    done &&
    grep -q "^ok   step 6 .rollback --reason campaign.: killed at update-rollback-switch@1$" "$TRASH/campaign" &&
    grep -q "^ok   step 7 .stage app-1.2.0.tar.zst.: killed at slot-dir-prepare-rename@1$" "$TRASH/campaign"
'

test_done
