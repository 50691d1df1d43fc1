# SPDX-License-Identifier: MIT
# Running one shipped hook directly, as the runner would (t0834, t0835):
#
#   run_hook HOOK PHASE SLOT_DIR [SLIPWAY_OPT_KEY=VALUE ...]
#
# runs contrib/hooks/PHASE/HOOK in SLOT_DIR with a scrubbed environment
# (the documented SLIPWAY_* variables, SLIPWAY_RESULT_FD=3), its exit code
# in HOOK_RC, what it printed in $TRASH/hook.out, its findings (JSON lines)
# in $TRASH/findings. finding CHECK prints "STATUS DETAIL" of the first
# finding of CHECK (parsed by Python); findings_count counts them.

run_hook() {
    local hook=$1 phase=$2 slot=$3
    shift 3
    mkdir -p "$TRASH/tmp"
    HOOK_RC=0
    (cd "$slot" && env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        TMPDIR="$TRASH/tmp" SLIPWAY_HOOK_LIB="$SRCDIR/contrib/hooks/hook-lib.sh" \
        SLIPWAY_RESULT_FD=3 SLIPWAY_PHASE="$phase" SLIPWAY_TXN=t-test SLIPWAY_SLOT=b \
        SLIPWAY_SLOT_DIR="$slot" SLIPWAY_ACTIVE_DIR= SLIPWAY_VERSION_NEW=1.1.0 \
        SLIPWAY_VERSION_OLD=1.0.0 SLIPWAY_CHANNEL=stable SLIPWAY_HOOK_TIMEOUT=60 \
        SLIPWAY_BIN="$SLIPWAY" "$@" "$SRCDIR/contrib/hooks/$phase/$hook" \
        3>"$TRASH/findings" >"$TRASH/hook.out" 2>&1) || HOOK_RC=$?
}

# expect_hook CODE: the last run_hook exited CODE (else show everything)
expect_hook() {
    if [ "$HOOK_RC" -ne "$1" ]; then
        echo "expected the hook to exit $1, got $HOOK_RC"
        echo "--- output"; cat "$TRASH/hook.out"
        echo "--- findings"; cat "$TRASH/findings"
        return 1
    fi
}

finding() {
    "$PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    f = json.loads(line)
    if f["check"] == sys.argv[2]:
        print(f["status"], f["detail"])
        break
else:
    print("none")' "$TRASH/findings" "$1"
}

# findings_count [STATUS]: how many findings (of STATUS)
findings_count() {
    "$PYTHON" -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    f = json.loads(line)
    if len(sys.argv) < 3 or f["status"] == sys.argv[2]:
        n += 1
print(n)' "$TRASH/findings" "$@"
}
