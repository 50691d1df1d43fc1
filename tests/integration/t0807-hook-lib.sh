#!/bin/bash
# SPDX-License-Identifier: MIT
# contrib/hooks/hook-lib.sh through the real runner (`slipway hooks run`):
# findings whose check names and details carry quotes, backslashes,
# newlines (trailing ones too) and control characters arrive intact (the
# runner's JSON parser and Python agree with what the hook meant);
# slipway_opt with dashes, upper case, defaults and a bad key;
# slipway_version_ge; slipway_pass, slipway_fail, slipway_skip and
# slipway_retry (once, then pass; and past the bound); a finding outside
# slipway goes to stderr.
. "$(dirname "$0")/lib.sh"

LIB=$SRCDIR/contrib/hooks/hook-lib.sh
H=$TRASH/hooks
mkdir -p "$H/pre-promote" "$TRASH/slot"
mkhook() { # NAME BODY
    printf '#!/bin/sh\n. "$SLIPWAY_HOOK_LIB"\n%s\n' "$2" >"$H/pre-promote/$1" &&
        chmod 0755 "$H/pre-promote/$1"
}
mkhook 10-lib 'slipway_finding quote pass "say \"hi\""
slipway_finding backslash pass '"'"'C:\dir\n and \\ two'"'"'
slipway_finding newline pass "$(printf "one\ntwo")
"
slipway_finding control pass "$(printf "tab\there\001\033[31m\177end\r")"
slipway_finding "name \"quoted\" \\ back" skip ""
slipway_finding opt-dash pass "$(slipway_opt min-version)"
slipway_finding opt-upper pass "$(slipway_opt MIN_VERSION)"
slipway_finding opt-multi pass "$(slipway_opt allow-ports)"
slipway_finding opt-default pass "$(slipway_opt not-set fallback)"
slipway_finding opt-empty pass "[$(slipway_opt not-set)]"
slipway_opt "bad;key" >/dev/null; slipway_finding opt-bad pass "rc=$?"
slipway_finding bogus maybe x 2>/dev/null; slipway_finding status-bad pass "rc=$?"
slipway_version_ge 3.0.10 3.0.9 && slipway_finding ge-minor pass yes
slipway_version_ge 1.0.1g 1.0.1f && slipway_finding ge-letter pass yes
slipway_version_ge 1.0.1 1.0.1f || slipway_finding ge-below fail no
slipway_version_ge 3.0.13 3.0.13 && slipway_finding ge-equal pass yes
slipway_pass "all reported"'
mkhook 20-fails 'slipway_finding version fail "1.0.2 < 3.0.13"
slipway_fail "too old: 1.0.2"'
mkhook 30-skips 'slipway_skip "no openssl in this slot"'
mkhook 40-once 'f=$(slipway_opt counter)
if [ ! -e "$f" ]; then : >"$f"; slipway_retry "service not up yet"; fi
slipway_pass "up now"'
mkhook 50-never 'slipway_retry "still not ready"'
cat >"$TRASH/c.conf" <<EOC
[slipway]
state-dir = $TRASH/st
hook-dirs = $H
hook-lib = $LIB
hook-retries = 2
hook-retry-delay = 0

[hook "lib"]
min-version = 3.0.13
allow-ports = 1883 8883

[hook "once"]
counter = $TRASH/counter
EOC
hr() {
    "$SLIPWAY" -c "$TRASH/c.conf" hooks run --slot-dir "$TRASH/slot" "$@"
}

test_expect_success 'every finding arrives as the hook meant it (JSON escaping)' '
    expect_code 0 hr lib --json &&
    "$PYTHON" - "$TRASH/out" <<EOP
import json, sys
r = json.load(open(sys.argv[1]))
got = [(f["check"], f["status"], f["detail"]) for f in r["findings"]]
want = [
    ("quote", "pass", "say \"hi\""),
    ("backslash", "pass", "C:\\\\dir\\\\n and \\\\\\\\ two"),
    ("newline", "pass", "one\ntwo\n"),
    ("control", "pass", "tab\there\x01\x1b[31m\x7fend\r"),
    ("name \"quoted\" \\\\ back", "skip", ""),
    ("opt-dash", "pass", "3.0.13"),
    ("opt-upper", "pass", "3.0.13"),
    ("opt-multi", "pass", "1883 8883"),
    ("opt-default", "pass", "fallback"),
    ("opt-empty", "pass", "[]"),
    ("opt-bad", "pass", "rc=2"),
    ("status-bad", "pass", "rc=2"),
    ("ge-minor", "pass", "yes"),
    ("ge-letter", "pass", "yes"),
    ("ge-below", "fail", "no"),
    ("ge-equal", "pass", "yes"),
]
for g, w in zip(got, want):
    assert g == w, "got %r, want %r" % (g, w)
assert len(got) == len(want), "got %d findings, want %d: %r" % (len(got), len(want), got)
assert r["bad_lines"] == [], r["bad_lines"]
assert r["status"] == "pass" and r["exit_code"] == 0, r
assert r["output"] == "all reported\n", r["output"]
EOP
'

test_expect_success 'the backslash case byte for byte' '
    "$PYTHON" -c "import json,sys; d=[f for f in json.load(open(sys.argv[1]))[\"findings\"] if f[\"check\"]==\"backslash\"][0][\"detail\"]; sys.stdout.write(d)" "$TRASH/out" >"$TRASH/bs" &&
    printf "%s" "C:\\dir\\n and \\\\ two" >"$TRASH/bs.want" &&
    cmp "$TRASH/bs" "$TRASH/bs.want"
'

test_expect_success 'slipway_fail: exit 1 with its message, findings kept' '
    expect_code 1 hr fails &&
    contains "$TRASH/out" "too old: 1.0.2" &&
    contains "$TRASH/out" "fail  version: 1.0.2 < 3.0.13" &&
    contains "$TRASH/out" "verdict: fail (exit 1"
'

test_expect_success 'slipway_skip: exit 77 with why' '
    expect_code 77 hr skips &&
    contains "$TRASH/out" "skipped: no openssl in this slot" &&
    contains "$TRASH/out" "verdict: skip (exit 77"
'

test_expect_success 'slipway_retry once, then pass: two attempts' '
    rm -f "$TRASH/counter" &&
    expect_code 0 hr once --json &&
    test "$(json_get "$TRASH/out" "[\"attempts\"]")" = 2 &&
    test "$(json_get "$TRASH/out" "[\"output\"]")" = "up now" &&
    test -e "$TRASH/counter"
'

test_expect_success 'slipway_retry past the bound: fails after 1 + hook-retries attempts' '
    expect_code 1 hr never --json &&
    test "$(json_get "$TRASH/out" "[\"attempts\"]")" = 3 &&
    test "$(json_get "$TRASH/out" "[\"exit_code\"]")" = 75 &&
    contains "$TRASH/out" "retry later: still not ready"
'

test_expect_success 'outside slipway a finding goes to stderr; a bad SLIPWAY_RESULT_FD is refused' '
    env -u SLIPWAY_RESULT_FD sh -c ". \"$LIB\"; slipway_finding a pass \"b c\"" 2>"$TRASH/err" &&
    contains "$TRASH/err" "{\"check\": \"a\", \"status\": \"pass\", \"detail\": \"b c\"}" &&
    ! SLIPWAY_RESULT_FD="1; echo owned" sh -c ". \"$LIB\"; slipway_finding a pass b" >"$TRASH/o2" &&
    lacks "$TRASH/o2" "owned"
'

test_done
