#!/bin/bash
# SPDX-License-Identifier: MIT
# Friendly expiry: every --expires-* option takes plain DAYS (as before), a
# lifetime with a unit (90m, 6h, 30d, 12w, 1y where y is 365 days) or a
# date (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ); anything else is refused listing
# the accepted forms. The clock is fixed (SLIPWAY_REPO_NOW, test build) and
# every expected date is computed by Python's datetime, not by slipway-repo.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"

NOW=2031-06-01T00:00:00Z
R=$TRASH/repo
K=$TRASH/keys

rt() {
    SLIPWAY_REPO_NOW=$NOW "$SLIPWAY_REPO_T" "$@"
}
# after SECONDS: NOW + SECONDS as a TUF date, by Python
after() {
    "$PYTHON" -c 'import datetime,sys; t=datetime.datetime(2031,6,1,tzinfo=datetime.timezone.utc)+datetime.timedelta(seconds=int(sys.argv[1])); print(t.strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"
}
# expires FILE: the "expires" of a metadata file under metadata/
expires() {
    json_get "$R/metadata/$1" '["signed"]["expires"]'
}
# snap: the snapshot file the timestamp links
snap() {
    echo "$(json_get "$R/metadata/timestamp.json" '["signed"]["meta"]["snapshot.json"]["version"]').snapshot.json"
}

test_expect_success 'init: --expires-root 2y is 730 days, --expires-timestamp 6h six hours' '
    expect_code 0 rt init "$R" --key-dir "$K" --passphrase-file "$PASS" \
        --expires-root 2y --expires-timestamp 6h &&
    test "$(expires 1.root.json)" = "$(after $((730 * 86400)))" &&
    test "$(expires timestamp.json)" = "$(after $((6 * 3600)))"
'

test_expect_success 'timestamp: 90m, and plain days as before' '
    expect_code 0 rt timestamp "$R" --key-dir "$K" --passphrase-file "$PASS" --expires-timestamp 90m &&
    test "$(expires timestamp.json)" = "$(after $((90 * 60)))" &&
    expect_code 0 rt timestamp "$R" --key-dir "$K" --passphrase-file "$PASS" --expires-timestamp 3 &&
    test "$(expires timestamp.json)" = "$(after $((3 * 86400)))" &&
    expect_code 0 rt timestamp "$R" --key-dir "$K" --passphrase-file "$PASS" --expires-timestamp 3d &&
    test "$(expires timestamp.json)" = "$(after $((3 * 86400)))"
'

test_expect_success 'renew and commit: 12w targets, 1y (365 days, not a calendar year) snapshot' '
    expect_code 0 rt renew "$R" targets --expires-targets 12w &&
    expect_code 0 rt commit "$R" --key-dir "$K" --passphrase-file "$PASS" --expires-snapshot 1y &&
    test "$(expires 2.targets.json)" = "$(after $((84 * 86400)))" &&
    test "$(expires "$(snap)")" = "$(after $((365 * 86400)))" &&
    test "$(expires "$(snap)")" = 2032-05-31T00:00:00Z
'

test_expect_success 'dates: YYYY-MM-DD is midnight UTC; the full form is exact; --expires-at takes both kinds' '
    expect_code 0 rt renew "$R" targets --expires-targets 2031-09-01 &&
    expect_code 0 rt commit "$R" --key-dir "$K" --passphrase-file "$PASS" \
        --expires-snapshot 2031-07-04T12:30:00Z --expires-at timestamp=36h &&
    test "$(expires 3.targets.json)" = 2031-09-01T00:00:00Z &&
    test "$(expires "$(snap)")" = 2031-07-04T12:30:00Z &&
    test "$(expires timestamp.json)" = "$(after $((36 * 3600)))" &&
    expect_code 0 rt timestamp "$R" --key-dir "$K" --passphrase-file "$PASS" \
        --expires-at timestamp=2031-06-02T06:00:00Z &&
    test "$(expires timestamp.json)" = 2031-06-02T06:00:00Z
'

test_expect_success 'anything else is refused with the accepted forms, nothing written' '
    cp "$R/metadata/timestamp.json" ts.before &&
    for bad in 6x 0d 0 -1 1.5d 6hh "" 101y 40000 d 2031-13-01 2031-06-01T25:00:00Z "1 d" 6H; do
        expect_code 2 rt timestamp "$R" --key-dir "$K" --passphrase-file "$PASS" \
            --expires-timestamp "$bad" || { echo "[$bad] was accepted"; exit 1; }
        contains "$TRASH/err" "90m, 6h, 30d, 12w, 1y" &&
        contains "$TRASH/err" "y 365 days" &&
        contains "$TRASH/err" "YYYY-MM-DD" || exit 1
    done &&
    expect_code 2 rt timestamp "$R" --key-dir "$K" --passphrase-file "$PASS" --expires-at timestamp=soon &&
    contains "$TRASH/err" "90m, 6h, 30d, 12w, 1y" &&
    cmp ts.before "$R/metadata/timestamp.json"
'

test_expect_success 'a date in the past is signed with a warning' '
    expect_code 0 rt timestamp "$R" --key-dir "$K" --passphrase-file "$PASS" \
        --expires-timestamp 2031-05-01 &&
    contains "$TRASH/err" "is in the past" &&
    test "$(expires timestamp.json)" = 2031-05-01T00:00:00Z
'

test_expect_success 'the help names the forms' '
    expect_code 0 "$SLIPWAY_REPO" timestamp --help &&
    contains "$TRASH/out" "90m, 6h, 30d, 12w, 1y (365 d)"
'

test_done
