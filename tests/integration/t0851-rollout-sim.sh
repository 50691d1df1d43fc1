#!/bin/bash
# SPDX-License-Identifier: MIT
# Rollout bucketing simulation (tests/tools/rollout-sim.c, linked against
# the real offer code): 100 000 random device ids, every share from 0 to
# 100 % in steps of 0.5 admits a fraction within 0.5 points of it, no
# device leaves as the share grows, canaries come first; and a wave policy
# follows the clock, given as a time and read through libc under faketime.
# The expected shares below are worked out by hand from the policy.
. "$(dirname "$0")/lib.sh"

SIM=$BUILD/tools/rollout-sim
export TZ=UTC

test_expect_success 'buckets: fraction within 0.5 points at every half percent, nobody leaves, canaries first' '
    "$SIM" buckets 100000 >out 2>err || { cat out err; exit 1; } &&
    cat out &&
    contains out "devices: 100000;" && contains out "left: 0;" &&
    contains out "disagreeing: 0" && contains out "canaries at 0.01%: 1000 of 1000 admitted" &&
    test "$(tail -n 1 out)" = ok && ! test -s err
'

cat >"$TRASH/step.json" <<'EOF2'
{"waves": {"start": "2030-01-01T00:00:00Z", "ramp": "step",
           "steps": [{"after": "0h", "percent": 1}, {"after": "1d", "percent": 10},
                     {"after": "3d", "percent": 100}]}}
EOF2
cat >"$TRASH/linear.json" <<'EOF2'
{"waves": {"start": "2030-01-01T00:00:00Z", "ramp": "linear",
           "steps": [{"after": "0h", "percent": 1}, {"after": "1d", "percent": 10},
                     {"after": "3d", "percent": 100}]}}
EOF2

# share_at FILE WHEN: the "share P% step S" the simulation prints for FILE at WHEN
share_at() {
    "$SIM" share "$1" "$2" | sed -n "s/.*: \(share [0-9.]*% step [0-9-]*\) .*/\1/p"
}

test_expect_success 'waves given a time: before start, each step, linear between steps' '
    test "$(share_at step.json 2029-12-31T23:59:59Z)" = "share 0.00% step 0" &&
    test "$(share_at step.json 2030-01-01T00:00:00Z)" = "share 1.00% step 1" &&
    test "$(share_at step.json 2030-01-01T23:59:59Z)" = "share 1.00% step 1" &&
    test "$(share_at step.json 2030-01-02T00:00:00Z)" = "share 10.00% step 2" &&
    test "$(share_at step.json 2030-01-04T00:00:00Z)" = "share 100.00% step 3" &&
    test "$(share_at linear.json 2030-01-01T12:00:00Z)" = "share 5.50% step 1" &&
    test "$(share_at linear.json 2030-01-03T00:00:00Z)" = "share 55.00% step 2" &&
    test "$(share_at linear.json 2031-01-01T00:00:00Z)" = "share 100.00% step 3"
'

if command -v faketime >/dev/null 2>&1; then
    # clock_at FILE "YYYY-MM-DD HH:MM:SS": the same through the trust client's clock
    clock_at() {
        faketime "$2" "$SIM" share "$1" | sed -n "s/.*: \(share [0-9.]*% step [0-9-]*\) .*/\1/p"
    }
    test_expect_success 'waves follow the clock (faketime through libc)' '
        faketime "2030-01-02 12:00:00" "$SIM" share step.json >out && cat out &&
        contains out "at 2030-01-02T12:00:00Z:" &&
        test "$(clock_at step.json "2029-12-31 12:00:00")" = "share 0.00% step 0" &&
        test "$(clock_at step.json "2030-01-01 06:00:00")" = "share 1.00% step 1" &&
        test "$(clock_at step.json "2030-01-02 12:00:00")" = "share 10.00% step 2" &&
        test "$(clock_at linear.json "2030-01-03 00:00:00")" = "share 55.00% step 2" &&
        test "$(clock_at step.json "2030-01-05 00:00:00")" = "share 100.00% step 3"
    '
else
    say "faketime is not installed: the clock path is not tested (contrib/deps.sh installs it)"
fi

test_expect_success 'a malformed wave is reported, not offered' '
    echo "{\"waves\": {\"start\": \"2030-01-01T00:00:00Z\", \"steps\": [{\"after\": \"1d\", \"percent\": 50}, {\"after\": \"2d\", \"percent\": 10}]}}" >bad.json &&
    expect_code 1 "$SIM" share bad.json 2030-01-05T00:00:00Z &&
    contains "$TRASH/out" "malformed: custom.slipway.rollout.waves.steps[1] lowers the share"
'

test_done
