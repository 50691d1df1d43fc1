# SPDX-License-Identifier: MIT
# A tiny TAP harness for slipway's integration tests (after git's t/).
# Source it at the top of tests/integration/tNNNN-what.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   test_expect_success 'what it checks' '
#       "$SLIPWAY" --state-dir "$TRASH/st" status
#   '
#   test_done
#
# Each script runs in a fresh directory $TRASH (removed at exit unless
# KEEP_TRASH=1); cleanup hooks added with at_exit run even when a test fails.
# Variables: SRCDIR, BUILD (release build), TBUILD (fault-injection build),
# SLIPWAY, SLIPWAY_REPO, SLIPWAY_T (fault build of slipway), PYTHON (Debian's
# python3, which has securesystemslib and nacl), VECTORS.

set -u
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$SRCDIR/build}
TBUILD=${TBUILD:-$BUILD/test}
SLIPWAY=$BUILD/slipway
SLIPWAY_REPO=$BUILD/slipway-repo
SLIPWAY_T=$TBUILD/slipway
SLIPWAY_REPO_T=$TBUILD/slipway-repo
PYTHON=${PYTHON:-/usr/bin/python3}
VECTORS=$SRCDIR/tests/vectors
TEST_NAME=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/slipway-$TEST_NAME.XXXXXX")
chmod 700 "$TRASH"
# tell run.sh where this test's processes live (it checks none is left)
if [ -n "${SLIPWAY_TRASH_NOTE:-}" ]; then
    echo "$TRASH" >"$SLIPWAY_TRASH_NOTE"
    unset SLIPWAY_TRASH_NOTE
fi
export LC_ALL=C.UTF-8
# never let a test read the machine's configuration or journal settings
unset JOURNAL_STREAM SLIPWAY_FAULT SLIPWAY_REPO_KEY_DIR

_test_count=0
_test_failed=0
_at_exit=()

# at_exit CMD: run CMD when the test ends. A test_expect_success body runs
# in a subshell, whose array would be lost: from there CMD goes to a file
# that _cleanup reads (so a server started inside a test is stopped too).
at_exit() {
    if [ "${BASH_SUBSHELL:-0}" -gt 0 ]; then
        printf '%s\n' "$1" >>"$TRASH/.at-exit"
    else
        _at_exit+=("$1")
    fi
}

_cleanup() {
    local i line
    if [ -f "$TRASH/.at-exit" ]; then
        while IFS= read -r line; do
            eval "$line" >/dev/null 2>&1 || true
        done < <(tac "$TRASH/.at-exit")
    fi
    for ((i = ${#_at_exit[@]} - 1; i >= 0; i--)); do
        eval "${_at_exit[$i]}" >/dev/null 2>&1 || true
    done
    if [ "${KEEP_TRASH:-0}" = 1 ]; then
        echo "# trash kept in $TRASH"
    else
        rm -rf "$TRASH"
    fi
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

say() {
    echo "# $*"
}

# test_expect_success DESCRIPTION SCRIPT
test_expect_success() {
    _test_count=$((_test_count + 1))
    local out="$TRASH/.test-$_test_count.out"
    if (cd "$TRASH" && set -e && eval "$2") >"$out" 2>&1; then
        echo "ok $_test_count - $1"
    else
        _test_failed=$((_test_failed + 1))
        echo "not ok $_test_count - $1"
        sed 's/^/#   /' "$out"
    fi
}

test_done() {
    echo "1..$_test_count"
    if [ "$_test_failed" -ne 0 ]; then
        echo "# $TEST_NAME: $_test_failed of $_test_count failed"
        exit 1
    fi
    exit 0
}

# expect_code CODE CMD...: run CMD, which must exit with CODE; its stdout
# goes to $TRASH/out, stderr to $TRASH/err.
expect_code() {
    local want=$1 got=0
    shift
    "$@" >"$TRASH/out" 2>"$TRASH/err" || got=$?
    if [ "$got" -ne "$want" ]; then
        echo "expected exit $want, got $got from: $*"
        echo "--- stdout"; cat "$TRASH/out"
        echo "--- stderr"; cat "$TRASH/err"
        return 1
    fi
}

# contains FILE PATTERN: a fixed string must appear in FILE
contains() {
    if ! grep -qF -- "$2" "$1"; then
        echo "'$2' not found in $1:"
        cat "$1"
        return 1
    fi
}

# lacks FILE PATTERN: a fixed string must not appear in FILE
lacks() {
    if grep -qF -- "$2" "$1"; then
        echo "'$2' unexpectedly found in $1:"
        cat "$1"
        return 1
    fi
}

# json_get FILE EXPR: print a value from a JSON file with Python (an
# independent parser), e.g. json_get out '["store"]["schema_version"]'
json_get() {
    "$PYTHON" -c 'import json,sys; v=eval("json.load(open(sys.argv[1]))"+sys.argv[2]); print(json.dumps(v) if not isinstance(v,str) else v)' "$1" "$2"
}

# file_mode PATH: octal permission bits
file_mode() {
    stat -c '%a' "$1"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now
free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
