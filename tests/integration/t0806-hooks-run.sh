#!/bin/bash
# SPDX-License-Identifier: MIT
# `slipway hooks run NAME` as an author uses it: against the staged slot by
# default (its version and the active one's in the environment), against
# --slot-dir, in the phase where the name is; the exit code mirrors the
# hook's verdict (0 pass, 77 skip, 1 fail, refused, masked, unknown);
# everything the hook printed and reported is shown, escaped; --json read
# back by Python; nothing is stored and no state is created.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

stage_repo
publish_version 1.0.0
swc refresh >/dev/null && swc stage app-1.0.0.tar >/dev/null && swc promote >/dev/null || exit 1
publish_version 1.1.0
swc refresh >/dev/null && swc stage app-1.1.0.tar >/dev/null || exit 1

H=$TRASH/hooks
mkhook() { # PATH BODY
    mkdir -p "$(dirname "$1")" && printf '#!/bin/sh\n%s\n' "$2" >"$1" && chmod 0755 "$1"
}
mkhook "$H/pre-promote/10-env" 'echo "phase=$SLIPWAY_PHASE"
echo "slot=$SLIPWAY_SLOT dir=$SLIPWAY_SLOT_DIR"
echo "active=$SLIPWAY_ACTIVE_DIR"
echo "new=$SLIPWAY_VERSION_NEW old=$SLIPWAY_VERSION_OLD"
echo "cwd=$(pwd)"
cat "$SLIPWAY_SLOT_DIR/etc/release"'
mkhook "$H/pre-promote/20-fails" 'echo "checking"; echo "it broke" >&2; exit 3'
mkhook "$H/pre-promote/30-skips" 'echo "not here"; exit 77'
mkhook "$H/pre-promote/40-later" 'echo "attempt"; exit 75'
mkhook "$H/pre-promote/50-report" 'printf "{\"check\": \"ports\", \"status\": \"fail\", \"detail\": \"8080 open\"}\n" >&3
printf "not json\n" >&3
printf "bell \033]0;title\007 esc \033[31m\n"'
mkhook "$H/pre-promote/60-both" 'echo "phase=$SLIPWAY_PHASE"'
mkhook "$H/post-promote/60-both" 'echo "phase=$SLIPWAY_PHASE"'
mkhook "$H/post-promote/70-health" 'echo "phase=$SLIPWAY_PHASE dir=$SLIPWAY_SLOT_DIR"'
mkhook "$H/pre-promote/80-masked" 'exit 0'
mkhook "$H/local/pre-promote/80-masked" 'exit 0'
ln -sf /dev/null "$H/local/pre-promote/80-masked"
mkhook "$H/pre-promote/90-unsafe" 'exit 0'
chmod 0775 "$H/pre-promote/90-unsafe"
"$PYTHON" -c 'import sys; t = open(sys.argv[1]).read(); open(sys.argv[2], "w").write(t.replace("[slipway]\n", "[slipway]\n" + sys.argv[3], 1))' \
    "$STCONF" "$TRASH/h.conf" "hook-dirs = $H $H/local
hook-retries = 2
hook-retry-delay = 0
hook-lib = $SRCDIR/contrib/hooks/hook-lib.sh
"
hr() {
    "$SLIPWAY" -c "$TRASH/h.conf" --state-dir "$ST" hooks run "$@"
}
runs() {
    "$PYTHON" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from hook_runs").fetchone()[0])' "$ST/state.db"
}
RUNS_BEFORE=$(runs)

test_expect_success 'default: the staged slot, with both versions and the active tree' '
    expect_code 0 hr 10-env &&
    contains "$TRASH/out" "hook 10-env (pre-promote): $H/pre-promote/10-env" &&
    contains "$TRASH/out" "phase=pre-promote" &&
    contains "$TRASH/out" "slot=b dir=$ST/slots/b" &&
    contains "$TRASH/out" "active=$ST/current" &&
    contains "$TRASH/out" "new=1.1.0 old=1.0.0" &&
    contains "$TRASH/out" "cwd=$ST/slots/b" &&
    contains "$TRASH/out" "release 1.1.0" &&
    grep -E "^verdict: pass \(exit 0, 1 attempt, [0-9]+ ms\)$" "$TRASH/out"
'

test_expect_success 'the section name finds the hook too; --slot-dir is used as given' '
    mkdir -p "$TRASH/other/etc" && echo "release other" >"$TRASH/other/etc/release" &&
    expect_code 0 hr env --slot-dir "$TRASH/other" --active-dir "$TRASH" &&
    contains "$TRASH/out" "slot= dir=$TRASH/other" &&
    contains "$TRASH/out" "active=$TRASH" &&
    contains "$TRASH/out" "release other"
'

test_expect_success 'a failing hook: its output (stdout and stderr) and exit 1' '
    expect_code 1 hr 20-fails &&
    contains "$TRASH/out" "checking" &&
    contains "$TRASH/out" "it broke" &&
    contains "$TRASH/out" "verdict: fail (exit 3, 1 attempt" &&
    contains "$TRASH/out" "exited with status 3"
'

test_expect_success 'skip exits 77; retry later past its bound fails after 1 + hook-retries attempts' '
    expect_code 77 hr skips &&
    contains "$TRASH/out" "not here" &&
    contains "$TRASH/out" "verdict: skip (exit 77" &&
    expect_code 1 hr later --json &&
    test "$(json_get "$TRASH/out" "[\"attempts\"]")" = 3 &&
    test "$(json_get "$TRASH/out" "[\"status\"]")" = fail &&
    test "$(json_get "$TRASH/out" "[\"exit_code\"]")" = 75
'

test_expect_success 'findings, bad lines and escaped output, as text and as JSON' '
    expect_code 0 hr report &&
    contains "$TRASH/out" "--- findings ---" &&
    contains "$TRASH/out" "fail  ports: 8080 open" &&
    contains "$TRASH/out" "--- bad result lines ---" &&
    contains "$TRASH/out" "not JSON: not json" &&
    contains "$TRASH/out" "\\x1b]0;title\\x07 esc \\x1b[31m" &&
    ! grep -q "$(printf "\033")" "$TRASH/out" &&
    expect_code 0 hr report --json &&
    test "$(json_get "$TRASH/out" "[\"findings\"][0][\"check\"]")" = ports &&
    test "$(json_get "$TRASH/out" "[\"findings\"][0][\"status\"]")" = fail &&
    test "$(json_get "$TRASH/out" "[\"findings\"][0][\"detail\"]")" = "8080 open" &&
    test "$(json_get "$TRASH/out" "[\"bad_lines\"]")" = "[\"not JSON: not json\"]" &&
    test "$(json_get "$TRASH/out" "[\"status\"]")" = pass &&
    ! grep -q "$(printf "\033")" "$TRASH/out"
'

test_expect_success 'the phase: where the name is; pre-promote when in both; --phase' '
    expect_code 0 hr health &&
    contains "$TRASH/out" "hook 70-health (post-promote)" &&
    contains "$TRASH/out" "phase=post-promote dir=$ST/current" &&
    expect_code 0 hr both &&
    contains "$TRASH/out" "phase=pre-promote" &&
    expect_code 0 hr both --phase post-promote &&
    contains "$TRASH/out" "phase=post-promote" &&
    expect_code 1 hr health --phase pre-promote &&
    contains "$TRASH/err" "no hook '"'"'health'"'"' in pre-promote" &&
    expect_code 2 hr both --phase sideways
'

test_expect_success 'masked, refused and unknown hooks exit 1 with a message naming them' '
    expect_code 1 hr masked &&
    contains "$TRASH/err" "80-masked" &&
    contains "$TRASH/err" "masked" &&
    expect_code 1 hr unsafe &&
    contains "$TRASH/out" "verdict: refused" &&
    contains "$TRASH/out" "group-writable" &&
    expect_code 1 hr no-such-hook &&
    contains "$TRASH/err" "no-such-hook" &&
    expect_code 2 hr
'

test_expect_success '-v says how the hook was contained' '
    expect_code 0 hr 10-env -v &&
    grep -E "^contained by: (cgroup|process-group)$" "$TRASH/out" &&
    expect_code 0 hr 10-env --json &&
    "$PYTHON" -c "import json,sys; assert json.load(open(sys.argv[1]))[\"containment\"] in (\"cgroup\", \"process-group\")" "$TRASH/out"
'

test_expect_success 'nothing was stored' '
    test "$(runs)" = "$RUNS_BEFORE"
'

test_expect_success 'without a store: needs --slot-dir, and creates no state' '
    expect_code 1 "$SLIPWAY" -c "$TRASH/h.conf" --state-dir "$TRASH/fresh" hooks run 10-env &&
    contains "$TRASH/err" "give --slot-dir DIR" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/h.conf" --state-dir "$TRASH/fresh" hooks run 10-env \
        --slot-dir "$TRASH/other" &&
    contains "$TRASH/out" "release other" &&
    test ! -e "$TRASH/fresh"
'

test_done
