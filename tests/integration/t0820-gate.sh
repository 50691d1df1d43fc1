#!/bin/bash
# SPDX-License-Identifier: MIT
# The promote gate: `check` runs the pre-promote hooks against the staged
# slot (table and --json); `promote` refuses while a required one fails
# (exit 12, nothing switched), lets a failing wanted one through, is forced
# only with a reason (recorded), re-runs the checks when a hook changed
# after `check`; a failing required post-promote hook rolls back at once
# (exit 13) and `history` (text and --json) says which hook and why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

H=$TRASH/hooks
mkdir -p "$H/pre-promote" "$H/post-promote"
stage_repo
for v in 1.0.0 1.1.0 1.2.0 1.3.0 1.4.0; do
    publish_version $v
done
{
    echo "[slipway]"
    echo "compatible = dev"
    echo "hook-dirs = $H"
    echo "[mirror \"local\"]"
    echo "metadata-url = file://$STREPO/metadata/"
    echo "targets-url = file://$STREPO/targets/"
} >"$STCONF"
# the same, with the gate hook advisory
{
    cat "$STCONF"
    echo "[hook \"gate\"]"
    echo "required = no"
} >"$TRASH/wanted.conf"
swc refresh >/dev/null

# hook PHASE NAME BODY: an executable hook owned by us, mode 0755
hook() {
    printf '#!/bin/sh\n%s\n' "$3" >"$H/$1/$2" && chmod 0755 "$H/$1/$2"
}
hook pre-promote 10-env 'env | grep "^SLIPWAY_" | sort >"$SLIPWAY_OPT_OUT/env-$SLIPWAY_PHASE"; exit 0'
printf '[hook "env"]\nout = %s\n' "$TRASH" >>"$STCONF"
printf '[hook "env"]\nout = %s\n' "$TRASH" >>"$TRASH/wanted.conf"
# 20-gate fails while $TRASH/gate-fail exists
hook pre-promote 20-gate "if [ -e '$TRASH/gate-fail' ]; then echo \"gate says no: \$(cat '$TRASH/gate-fail')\"; exit 1; fi; echo fine"

# py EXPR: evaluate EXPR with j = $TRASH/j.json loaded
py() {
    "$PYTHON" -c '
import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$TRASH/j.json" "$1"
}
current() {
    readlink -f "$ST/current"
}

test_expect_success 'first install 1.0.0 passes the gate and goes live in slot a' '
    expect_code 0 swc stage app-1.0.0.tar &&
    expect_code 0 swc promote &&
    test "$(current)" = "$(readlink -f "$ST/slots/a")"
'

test_expect_success 'check: a failing required hook exits 12; the table names it and shows its output (escaped)' '
    expect_code 0 swc stage app-1.1.0.tar &&
    printf "disk too small\033]0;pwned\007\n" >"$TRASH/gate-fail" &&
    expect_code 12 swc check &&
    contains "$TRASH/out" "20-gate" &&
    contains "$TRASH/out" "exited with status 1" &&
    contains "$TRASH/out" "| gate says no: disk too small\x1b]0;pwned\x07" &&
    ! grep -q "$(printf "\033")" "$TRASH/out" &&
    contains "$TRASH/out" "FAILED" &&
    lacks "$TRASH/out" "| fine"
'

test_expect_success 'the hooks saw the staged slot, the live one, both versions and the phase' '
    e=$TRASH/env-pre-promote &&
    grep -qx "SLIPWAY_PHASE=pre-promote" "$e" &&
    grep -qx "SLIPWAY_SLOT=b" "$e" &&
    grep -qx "SLIPWAY_SLOT_DIR=$ST/slots/b" "$e" &&
    grep -qx "SLIPWAY_ACTIVE_DIR=$ST/slots/a" "$e" &&
    grep -qx "SLIPWAY_VERSION_NEW=1.1.0" "$e" &&
    grep -qx "SLIPWAY_VERSION_OLD=1.0.0" "$e" &&
    grep -q "^SLIPWAY_TXN=tx-" "$e"
'

test_expect_success 'check --json: parsed, per hook status, required, exit code, output' '
    expect_code 12 swc check --json &&
    cp "$TRASH/out" "$TRASH/j.json" &&
    test "$(py "j[\"passed\"]")" = false &&
    test "$(py "j[\"state\"]")" = check_failed &&
    test "$(py "j[\"phase\"]")" = pre-promote &&
    test "$(py "[h[\"hook\"] for h in j[\"hooks\"]]")" = "[\"10-env\", \"20-gate\"]" &&
    test "$(py "[h[\"status\"] for h in j[\"hooks\"]]")" = "[\"pass\", \"fail\"]" &&
    test "$(py "j[\"hooks\"][1][\"required\"]")" = true &&
    test "$(py "j[\"hooks\"][1][\"exit_code\"]")" = 1 &&
    test "$(py "j[\"hooks\"][1][\"output\"] == \"gate says no: disk too small\\\\x1b]0;pwned\\\\x07\\n\"")" = true &&
    test "$(py "j[\"required_failed\"]")" = 1
'

test_expect_success 'promote is refused (exit 12): nothing switched, the slot still staged' '
    expect_code 12 swc promote &&
    contains "$TRASH/err" "20-gate" &&
    contains "$TRASH/err" "refused" &&
    contains "$TRASH/out" "refused: pre-promote checks" &&
    contains "$TRASH/out" "| gate says no: disk too small" &&
    test "$(current)" = "$(readlink -f "$ST/slots/a")" &&
    slot_holds b 1.1.0 &&
    test "$(status_field "[\"slots\"][1][\"state\"]")" = staged &&
    test "$(status_field "[\"active_slot\"]")" = a
'

test_expect_success 'status says the staged update failed its checks' '
    expect_code 0 swc status &&
    contains "$TRASH/out" "check_failed" &&
    contains "$TRASH/out" "slipway check"
'

test_expect_success '--force without --reason is a usage error (exit 2), nothing switched' '
    expect_code 2 swc promote --force &&
    contains "$TRASH/err" "--reason" &&
    test "$(current)" = "$(readlink -f "$ST/slots/a")"
'

test_expect_success 'promote --force --reason goes live; the forced event keeps who, why and which hook' '
    expect_code 0 swc promote --force --reason "vendor ticket 4711" &&
    test "$(current)" = "$(readlink -f "$ST/slots/b")" &&
    swc history --json >"$TRASH/j.json" &&
    test "$(py "[e[\"reason\"] for e in j[\"updates\"][0][\"events\"] if e[\"kind\"] == \"forced\"]")" = "[\"vendor ticket 4711\"]" &&
    test "$(py "[e[\"actor\"] for e in j[\"updates\"][0][\"events\"] if e[\"kind\"] == \"forced\"]")" = "[\"operator:$(id -un)\"]" &&
    test "$(py "[e[\"from_state\"] for e in j[\"updates\"][0][\"events\"] if e[\"kind\"] == \"forced\"]")" = "[\"check_failed\"]" &&
    test "$(py "[f[\"hook\"] for e in j[\"updates\"][0][\"events\"] if e[\"kind\"] == \"forced\" for f in e[\"detail\"][\"failed\"]]")" = "[\"20-gate\"]" &&
    test "$(py "j[\"updates\"][0][\"state\"]")" = committed &&
    expect_code 0 swc history --limit 1 &&
    contains "$TRASH/out" "forced" &&
    contains "$TRASH/out" "vendor ticket 4711" &&
    contains "$TRASH/out" "hook 20-gate: fail, exit 1"
'

test_expect_success 'a failing wanted hook (required = no) never blocks' '
    expect_code 0 "$SLIPWAY" -c "$TRASH/wanted.conf" --state-dir "$ST" stage app-1.2.0.tar &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/wanted.conf" --state-dir "$ST" promote &&
    test "$(current)" = "$(readlink -f "$ST/slots/a")" &&
    swc history --json --limit 1 >"$TRASH/j.json" &&
    test "$(py "[(h[\"hook\"], h[\"status\"], h[\"required\"]) for p in j[\"updates\"][0][\"hook_phases\"] for h in p[\"hooks\"]]")" = "[[\"10-env\", \"pass\", true], [\"20-gate\", \"fail\", false]]" &&
    test "$(py "j[\"updates\"][0][\"hook_phases\"][0][\"passed\"]")" = true &&
    test "$(py "[e[\"kind\"] for e in j[\"updates\"][0][\"events\"] if e[\"kind\"] == \"forced\"]")" = "[]"
'

test_expect_success 'a hook changed after check is run again at promote (and now refuses)' '
    rm -f "$TRASH/gate-fail" &&
    expect_code 0 swc stage app-1.3.0.tar &&
    expect_code 0 swc check &&
    contains "$TRASH/out" "passed" &&
    hook pre-promote 20-gate "echo changed my mind; exit 3" &&
    expect_code 12 swc promote &&
    contains "$TRASH/err" "20-gate" &&
    test "$(current)" = "$(readlink -f "$ST/slots/a")" &&
    swc history --json --limit 1 >"$TRASH/j.json" &&
    test "$(py "[p[\"passed\"] for p in j[\"updates\"][0][\"hook_phases\"]]")" = "[true, false]" &&
    test "$(py "j[\"updates\"][0][\"hook_phases\"][1][\"hooks\"][1][\"exit_code\"]")" = 3 &&
    test "$(py "j[\"updates\"][0][\"hook_phases\"][0][\"hooks_fingerprint\"] != j[\"updates\"][0][\"hook_phases\"][1][\"hooks_fingerprint\"]")" = true &&
    test "$(py "j[\"updates\"][0][\"hook_phases\"][0][\"slot_fingerprint\"] == j[\"updates\"][0][\"hook_phases\"][1][\"slot_fingerprint\"]")" = true
'

test_expect_success 'a verdict that still holds is not run again: promote goes straight through' '
    hook pre-promote 20-gate "echo fine" &&
    expect_code 0 swc check &&
    expect_code 0 swc promote &&
    test "$(current)" = "$(readlink -f "$ST/slots/b")" &&
    swc history --json --limit 1 >"$TRASH/j.json" &&
    test "$(py "[p[\"phase\"] for p in j[\"updates\"][0][\"hook_phases\"]]")" = "[\"pre-promote\", \"pre-promote\", \"pre-promote\", \"post-promote\"]" &&
    test "$(py "[e[\"from_state\"] for e in j[\"updates\"][0][\"events\"] if e[\"to_state\"] == \"promoting\"]")" = "[\"checked\"]"
'

test_expect_success 'a changed slot tree is checked again at promote' '
    expect_code 0 swc stage app-1.4.0.tar &&
    expect_code 0 swc check &&
    touch "$ST/slots/a/etc/release" &&
    hook post-promote 10-env "env | grep \"^SLIPWAY_\" | sort >\"\$SLIPWAY_OPT_OUT/env-\$SLIPWAY_PHASE\"" &&
    hook post-promote 50-health "echo \"probe 127.0.0.1:1883: connection refused\"; echo second line; exit 2" &&
    expect_code 13 swc promote &&
    swc history --json --limit 1 >"$TRASH/j.json" &&
    test "$(py "[p[\"phase\"] for p in j[\"updates\"][0][\"hook_phases\"]]")" = "[\"pre-promote\", \"pre-promote\", \"post-promote\"]" &&
    test "$(py "j[\"updates\"][0][\"hook_phases\"][0][\"slot_fingerprint\"] != j[\"updates\"][0][\"hook_phases\"][1][\"slot_fingerprint\"]")" = true
'

test_expect_success 'the post-promote failure rolled back at once (exit 13) and said which hook' '
    test "$(current)" = "$(readlink -f "$ST/slots/b")" &&
    contains "$TRASH/err" "50-health" &&
    contains "$TRASH/out" "rolled back" &&
    contains "$TRASH/out" "connection refused" &&
    test "$(status_field "[\"active_slot\"]")" = b &&
    test "$(status_field "[\"slots\"][0][\"state\"]")" = bad &&
    grep -qx "SLIPWAY_PHASE=post-promote" "$TRASH/env-post-promote" &&
    grep -qx "SLIPWAY_SLOT=a" "$TRASH/env-post-promote" &&
    grep -qx "SLIPWAY_SLOT_DIR=$ST/slots/a" "$TRASH/env-post-promote" &&
    grep -qx "SLIPWAY_VERSION_NEW=1.4.0" "$TRASH/env-post-promote"
'

test_expect_success 'history --json: the rollback event names the hook, its exit and its output' '
    swc history --json --limit 1 >"$TRASH/j.json" &&
    test "$(py "j[\"updates\"][0][\"state\"]")" = rolled_back &&
    test "$(py "[e[\"detail\"][\"failed\"][0][\"hook\"] for e in j[\"updates\"][0][\"events\"] if e[\"kind\"] == \"rollback\"]")" = "[\"50-health\"]" &&
    test "$(py "[e[\"detail\"][\"failed\"][0][\"exit_code\"] for e in j[\"updates\"][0][\"events\"] if e[\"kind\"] == \"rollback\"]")" = "[2]" &&
    test "$(py "[e[\"detail\"][\"failed\"][0][\"output\"] for e in j[\"updates\"][0][\"events\"] if e[\"kind\"] == \"rollback\"][0]")" = "probe 127.0.0.1:1883: connection refused
second line" &&
    test "$(py "[\"50-health\" in e[\"reason\"] for e in j[\"updates\"][0][\"events\"] if e[\"kind\"] == \"rollback\"]")" = "[true]" &&
    test "$(py "[h[\"status\"] for h in j[\"updates\"][0][\"hook_phases\"][2][\"hooks\"]]")" = "[\"pass\", \"fail\"]" &&
    test "$(py "j[\"updates\"][0][\"hook_phases\"][2][\"passed\"]")" = false
'

test_expect_success 'history (text): the rollback, which hook and why' '
    expect_code 0 swc history --limit 1 &&
    contains "$TRASH/out" "rollback" &&
    contains "$TRASH/out" "hook 50-health: fail, exit 2" &&
    contains "$TRASH/out" "output: probe 127.0.0.1:1883: connection refused ..." &&
    contains "$TRASH/out" "hooks post-promote: FAILED"
'

test_done
