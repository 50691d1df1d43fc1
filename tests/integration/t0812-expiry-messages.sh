#!/bin/bash
# SPDX-License-Identifier: MIT
# Expired metadata says who must act: a stale mirror (the publisher must
# renew), or a local clock that looks wrong (behind the clock floor, or far
# after it), always with the machine's time used and the role's expiry;
# list after a failed refresh says why; status marks expired and
# soon-expiring roles; the clock floor is reset only with confirmation, and
# the reset is recorded. Clocks are faked with faketime; mirrors are
# file:// (a faked clock would also judge TLS certificates).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

FAKETIME=$(command -v faketime) || { echo "1..0 # SKIP faketime is missing (contrib/deps.sh)"; exit 0; }
command -v sqlite3 >/dev/null || { echo "1..0 # SKIP sqlite3 is missing"; exit 0; }
URL=file://$TRASH/www/

# at OFFSET CMD...: run CMD with the clock moved by OFFSET (libfaketime's "+2d", "-1h")
at() {
    local off=$1
    shift
    "$FAKETIME" -f "$off" "$@"
}

# floor NAME: the clock floor of NAME's client, from its store
floor() {
    sqlite3 "$TRASH/st-$1/state.db" "SELECT value FROM settings WHERE key = 'time-floor'"
}

# utc EPOCH: RFC 3339 UTC
utc() {
    date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}

# time_near FILE TEXT EPOCH: FILE has TEXT followed (within a few words) by
# an RFC 3339 UTC time less than 5 minutes from EPOCH
time_near() {
    "$PYTHON" - "$@" <<'PY'
import re, sys, calendar, time
text = open(sys.argv[1]).read()
label, want = sys.argv[2], int(sys.argv[3])
i = text.find(label)
if i < 0:
    sys.exit("%r not in: %s" % (label, text))
m = re.search(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)", text[i + len(label):i + len(label) + 80])
if not m:
    sys.exit("no time after %r in: %s" % (label, text))
got = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ"))
if abs(got - want) > 300:
    sys.exit("time after %r is %s, expected about %s" % (label, m.group(1), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(want))))
PY
}

# the publisher's timestamp expires after one day
make_repo stale --expires-timestamp 1
make_repo ahead
make_repo beh
for n in stale ahead beh; do client_for $n "$URL"; done
sw stale refresh >/dev/null
sw ahead refresh >/dev/null
NOW=$(date +%s)
TS_EXPIRES=$(json_get "$TRASH/www/stale/metadata/timestamp.json" '["signed"]["expires"]')

test_expect_success 'stale mirror: refresh says the publisher must run slipway-repo timestamp' '
    expect_code 5 at +2d "$SLIPWAY" -c "$TRASH/stale.conf" --state-dir "$TRASH/st-stale" refresh &&
    contains "$TRASH/err" "the mirror looks stale" &&
    contains "$TRASH/err" "slipway-repo timestamp" &&
    contains "$TRASH/err" "role '"'"'timestamp'"'"' expired at $TS_EXPIRES" &&
    time_near "$TRASH/err" "time used," $((NOW + 2 * 86400)) &&
    time_near "$TRASH/err" "newest verified timestamp (" "$(floor stale)" &&
    lacks "$TRASH/err" "clock looks wrong"
'

test_expect_success 'list after the failed refresh says why and when, besides "run slipway refresh"' '
    expect_code 5 at +2d "$SLIPWAY" -c "$TRASH/stale.conf" --state-dir "$TRASH/st-stale" list &&
    contains "$TRASH/err" "run '"'"'slipway refresh'"'"'" &&
    contains "$TRASH/err" "the mirror looks stale" &&
    contains "$TRASH/err" "the last refresh, at" &&
    time_near "$TRASH/err" "the last refresh, at" $((NOW + 2 * 86400)) &&
    contains "$TRASH/err" "failed: role '"'"'timestamp'"'"'"
'

test_expect_success 'list at a clock where the kept metadata is fresh still warns of the failed refresh' '
    expect_code 0 sw stale list &&
    contains "$TRASH/err" "the last refresh, at" &&
    contains "$TRASH/err" "failed: role '"'"'timestamp'"'"'" &&
    contains "$TRASH/out" "app-1.0.tar"
'

test_expect_success 'show and fetch at the stale clock say who must act' '
    expect_code 5 at +2d "$SLIPWAY" -c "$TRASH/stale.conf" --state-dir "$TRASH/st-stale" show app-1.0.tar &&
    contains "$TRASH/err" "the mirror looks stale" &&
    expect_code 5 at +2d "$SLIPWAY" -c "$TRASH/stale.conf" --state-dir "$TRASH/st-stale" fetch &&
    contains "$TRASH/err" "the mirror looks stale" &&
    contains "$TRASH/err" "expired at $TS_EXPIRES" &&
    expect_code 5 at +2d "$SLIPWAY" -c "$TRASH/stale.conf" --state-dir "$TRASH/st-stale" stage &&
    contains "$TRASH/err" "the mirror looks stale"
'

test_expect_success 'status marks the expired timestamp (text and JSON)' '
    expect_code 0 at +2d "$SLIPWAY" -c "$TRASH/stale.conf" --state-dir "$TRASH/st-stale" status &&
    grep -E "^  timestamp +version [0-9]+ +expires $TS_EXPIRES  ! EXPIRED" "$TRASH/out" &&
    grep -E "^  targets +version [0-9]+ +expires [0-9TZ:-]+$" "$TRASH/out" &&
    expect_code 0 at +2d "$SLIPWAY" -c "$TRASH/stale.conf" --state-dir "$TRASH/st-stale" status --json &&
    "$PYTHON" - "$TRASH/out" "$TS_EXPIRES" $((NOW + 2 * 86400)) <<-"PY"
	import json, sys, calendar, time
	o = json.load(open(sys.argv[1]))
	roles = {m["role"]: m for m in o["trusted_metadata"]}
	ts = roles["timestamp"]
	assert ts["expired"] is True and ts["expires_soon"] is False, ts
	want = calendar.timegm(time.strptime(sys.argv[2], "%Y-%m-%dT%H:%M:%SZ")) - int(sys.argv[3])
	assert abs(ts["expires_in_s"] - want) < 300, (ts, want)
	assert roles["targets"]["expired"] is False and roles["targets"]["expires_soon"] is False
	assert roles["targets"]["expires_in_s"] > 80 * 86400
	PY
'

test_expect_success 'status marks a role expiring within 24 h with "expires in N h"' '
    expect_code 0 at +20h "$SLIPWAY" -c "$TRASH/stale.conf" --state-dir "$TRASH/st-stale" status &&
    grep -E "^  timestamp +version [0-9]+ +expires $TS_EXPIRES  ! expires in [345] h$" "$TRASH/out" &&
    expect_code 0 at +20h "$SLIPWAY" -c "$TRASH/stale.conf" --state-dir "$TRASH/st-stale" status --json &&
    test "$(json_get "$TRASH/out" "[\"trusted_metadata\"][[m[\"role\"] for m in json.load(open(sys.argv[1]))[\"trusted_metadata\"]].index(\"timestamp\")][\"expires_soon\"]")" = true
'

test_expect_success 'a clock far ahead of the newest verified timestamp: the local clock looks wrong' '
    expect_code 5 at +400d "$SLIPWAY" -c "$TRASH/ahead.conf" --state-dir "$TRASH/st-ahead" refresh &&
    contains "$TRASH/err" "the local clock looks wrong" &&
    contains "$TRASH/err" "after the newest verified timestamp" &&
    time_near "$TRASH/err" "time used is" $((NOW + 400 * 86400)) &&
    time_near "$TRASH/err" "newest verified timestamp (" "$(floor ahead)" &&
    contains "$TRASH/err" "expired at" &&
    lacks "$TRASH/err" "the mirror looks stale"
'

test_expect_success 'a clock behind the floor: the warning shows both times; an expiry blames the clock' '
    expect_code 0 at +20h "$SLIPWAY" -c "$TRASH/beh.conf" --state-dir "$TRASH/st-beh" refresh &&
    F=$(floor beh) && test "$F" -gt $((NOW + 19 * 3600)) &&
    expect_code 0 sw beh list &&
    contains "$TRASH/err" "the clock is behind the last verified time" &&
    time_near "$TRASH/err" "the local clock says" "$(date +%s)" &&
    contains "$TRASH/err" "before the clock floor $(utc "$F")" &&
    contains "$TRASH/err" "slipway init --reset-clock-floor" &&
    EXP10=$(date -u -d "+10 hours" +%Y-%m-%dT%H:%M:%SZ) &&
    repo timestamp "$TRASH/www/beh" --key-dir "$TRASH/keys-beh" --passphrase-file "$PASS" \
        --expires-at "timestamp=$EXP10" >/dev/null 2>&1 &&
    expect_code 5 sw beh refresh &&
    contains "$TRASH/err" "the local clock looks wrong" &&
    contains "$TRASH/err" "time used is $(utc "$F") (UTC), the clock floor" &&
    contains "$TRASH/err" "expired at $EXP10" &&
    time_near "$TRASH/err" "because the clock (" "$(date +%s)" &&
    lacks "$TRASH/err" "the mirror looks stale"
'

test_expect_success 'the floor is not reset without confirmation' '
    F=$(floor beh) &&
    expect_code 2 sw beh init --reset-clock-floor </dev/null &&
    contains "$TRASH/err" "without confirmation" &&
    contains "$TRASH/err" "$(utc "$F")" &&
    test "$(floor beh)" = "$F" &&
    expect_code 2 sw beh init --reset-clock-floor --root "$TRASH/www/beh/metadata/1.root.json" --yes &&
    test "$(floor beh)" = "$F" &&
    expect_code 2 sw beh init --yes --root "$TRASH/www/beh/metadata/1.root.json" &&
    test "$(floor beh)" = "$F"
'

test_expect_success 'a typed answer other than "yes" on a terminal keeps the floor' '
    F=$(floor beh) &&
    $PYTHON "$SRCDIR/tests/integration/ptydrive.py" \
        "[[\"expect\", \"Type '"'"'yes'"'"' to go on\"], [\"send\", \"no\\r\"], [\"exit\", 2]]" -- \
        "$SLIPWAY" -c "$TRASH/beh.conf" --state-dir "$TRASH/st-beh" init --reset-clock-floor \
        >"$TRASH/pty" 2>&1 &&
    contains "$TRASH/pty" "$(utc "$F")" &&
    test "$(floor beh)" = "$F"
'

test_expect_success 'typed "yes" on a terminal resets the floor to the clock; history shows it' '
    F=$(floor beh) &&
    $PYTHON "$SRCDIR/tests/integration/ptydrive.py" \
        "[[\"expect\", \"Type '"'"'yes'"'"' to go on\"], [\"send\", \"yes\\r\"], [\"exit\", 0]]" -- \
        "$SLIPWAY" -c "$TRASH/beh.conf" --state-dir "$TRASH/st-beh" init --reset-clock-floor \
        >"$TRASH/pty" 2>&1 &&
    G=$(floor beh) && test "$G" -lt "$F" && test $((G - $(date +%s))) -le 5 &&
    expect_code 0 sw beh history &&
    contains "$TRASH/out" "clock-floor-reset by user:" &&
    contains "$TRASH/out" "from $(utc "$F") to the local clock $(utc "$G")" &&
    expect_code 0 sw beh history --json &&
    test "$(json_get "$TRASH/out" "[\"clock_floor_resets\"][0][\"old_floor\"]")" = "$(utc "$F")" &&
    test "$(json_get "$TRASH/out" "[\"clock_floor_resets\"][0][\"new_floor\"]")" = "$(utc "$G")" &&
    json_get "$TRASH/out" "[\"clock_floor_resets\"][0][\"actor\"]" | grep -q "^user:" &&
    expect_code 0 sw beh refresh
'

test_expect_success '--yes resets without asking, and is recorded too' '
    sw beh refresh >/dev/null &&
    expect_code 0 at +1h "$SLIPWAY" -c "$TRASH/beh.conf" --state-dir "$TRASH/st-beh" refresh &&
    F=$(floor beh) &&
    expect_code 0 sw beh init --reset-clock-floor --yes </dev/null &&
    contains "$TRASH/out" "clock floor reset from $(utc "$F")" &&
    expect_code 0 sw beh history --json &&
    test "$(json_get "$TRASH/out" "[\"clock_floor_resets\"][1][\"old_floor\"]")" = "$(utc "$F")"
'

test_done
