# SPDX-License-Identifier: MIT
# Run one shipped hook directly, as the runner would, against a fake slot:
# source after lib.sh.
#
#   HOOK=$SRCDIR/contrib/hooks/pre-promote/20-openssl-version
#   expect_code 0 run_hook "$TRASH/slot" "$TRASH/active" SLIPWAY_OPT_MIN_VERSION=3.0.13
#   test "$(finding_status "version usr/bin/openssl")" = pass
#
# run_hook SLOT ACTIVE [VAR=VALUE...]: run $HOOK with a scrubbed environment
# (the runner's variables, SLOT as SLIPWAY_SLOT_DIR and working directory,
# ACTIVE, possibly "", as SLIPWAY_ACTIVE_DIR, then the extra assignments),
# stdin from /dev/null, findings (SLIPWAY_RESULT_FD=3) into $TRASH/findings.
# Use it under expect_code: stdout goes to $TRASH/out, stderr to $TRASH/err.

run_hook() {
    local slot=$1 active=$2
    shift 2
    (cd "$slot" && exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LC_ALL=C.UTF-8 SLIPWAY_HOOK_LIB="$SRCDIR/contrib/hooks/hook-lib.sh" \
        SLIPWAY_PHASE=pre-promote SLIPWAY_TXN=txn-test SLIPWAY_SLOT=b \
        SLIPWAY_SLOT_DIR="$slot" SLIPWAY_ACTIVE_DIR="$active" SLIPWAY_VERSION_NEW=2 \
        SLIPWAY_VERSION_OLD=1 SLIPWAY_CHANNEL=stable SLIPWAY_HOOK_TIMEOUT=60 \
        SLIPWAY_RESULT_FD=3 SLIPWAY_BIN="$SLIPWAY" "$@" "$HOOK" 3>"$TRASH/findings" </dev/null)
}

# findings_py EXPR: evaluate a Python expression over F, the list of the
# findings of the last run (each line must be one JSON object with check,
# status and detail, or the run fails)
findings_py() {
    "$PYTHON" - "$TRASH/findings" "$1" <<'EOF'
import json, sys
F = []
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    o = json.loads(line)
    assert set(o) == {"check", "status", "detail"}, "line %d: %r" % (n, o)
    assert o["status"] in ("pass", "fail", "skip"), "line %d: %r" % (n, o)
    F.append(o)
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# finding_status CHECK: the status of the one finding named CHECK ("" if none)
finding_status() {
    CHECK=$1 findings_py '",".join(f["status"] for f in F if f["check"] == __import__("os").environ["CHECK"])'
}

# finding_detail CHECK: the detail of the finding named CHECK
finding_detail() {
    CHECK=$1 findings_py '"\n".join(f["detail"] for f in F if f["check"] == __import__("os").environ["CHECK"])'
}

# count_status STATUS: how many findings have STATUS
count_status() {
    findings_py "len([f for f in F if f['status'] == '$1'])"
}

# tree_state DIR: a listing of DIR (names, types, modes, sizes, times,
# link targets, checksums) to show that a hook changed nothing in it
tree_state() {
    (cd "$1" && find . -printf '%p %y %m %s %T@ %l\n' | sort && find . -type f -exec md5sum {} + | sort)
}

# runner_conf [TEXT]: $TRASH/r.conf, a configuration whose hook-dirs is the
# source tree's contrib/hooks (the shipped hooks as make install puts them),
# with TEXT (e.g. a [hook "NAME"] section) appended
runner_conf() {
    printf '[slipway]\nstate-dir = %s\nhook-dirs = %s\nhook-lib = %s\n%s\n' \
        "$TRASH/runner-state" "$SRCDIR/contrib/hooks" "$SRCDIR/contrib/hooks/hook-lib.sh" \
        "${1-}" >"$TRASH/r.conf"
}

# via_runner NAME ARGS...: `slipway hooks run NAME ARGS... --json` with
# $TRASH/r.conf; the result in $TRASH/out. Use under expect_code.
via_runner() {
    "$SLIPWAY" -c "$TRASH/r.conf" hooks run "$@" --json
}
