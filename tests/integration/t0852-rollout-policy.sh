#!/bin/bash
# SPDX-License-Identifier: MIT
# Rollout policy end to end: slipway-repo rollout signs percentages, waves
# (--wave AFTER:PERCENT, --start, --ramp), --salt, --pull, --replace-with and
# --unpull (refusing what clients would refuse), and slipway list --why
# explains each decision in words and in --json (share, bucket, wave_step,
# pulled, replace_with, downgrade): waves before their start and, under
# faketime, at a step; a pulled release not taken by a new machine, kept by
# one running it, and its replace-with (older) offered to that one as a
# policy downgrade. Expected shares are worked out from the options given.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-stage.sh"

export TZ=UTC
EXP="--expires-targets 60 --expires-snapshot 60 --expires-timestamp 60"
commit() {
    repo commit "$STREPO" --key-dir "$STKEYS" --passphrase-file "$PASS" $EXP >/dev/null
}
# ro ARGS...: slipway-repo rollout on $STREPO, then publish
ro() {
    repo rollout "$STREPO" "$@" $EXP >"$TRASH/ro.out" && commit
}
c() {
    "$SLIPWAY" -c "$STCONF" --state-dir "$ST" "$@"
}
# the second machine: nothing installed
c2() {
    "$SLIPWAY" -c "$STCONF" --state-dir "$TRASH/st2" "$@"
}
# why FILE TARGET FIELD: a field of TARGET in list --json output FILE
why() {
    "$PYTHON" -c 'import json,sys
t=[t for t in json.load(open(sys.argv[1]))["targets"] if t["name"]==sys.argv[2]][0]
v=t[sys.argv[3]]
print(json.dumps(v) if not isinstance(v,str) else v)' "$1" "$2" "$3"
}

stage_repo
publish_version 1.0.0
publish_version 2.0.0
c2 init --root "$STREPO/metadata/1.root.json" >/dev/null

test_expect_success 'setup: the first machine runs 2.0.0' '
    expect_code 0 c refresh &&
    expect_code 0 c stage app-2.0.0.tar &&
    expect_code 0 c promote &&
    expect_code 0 c2 refresh
'

test_expect_success 'rollout --percent and --salt: signed, and list --why says the share' '
    ro app-2.0.0.tar --percent 25 --salt fleet-a &&
    contains "$TRASH/ro.out" "rolls out to 25% of machines" &&
    test "$(json_get "$STREPO/metadata/targets.json" "[\"signed\"][\"targets\"][\"app-2.0.0.tar\"][\"custom\"][\"slipway\"][\"rollout\"]")" = "{\"percent\": 25, \"salt\": \"fleet-a\"}" &&
    expect_code 0 c2 refresh && expect_code 0 c2 list --why --json &&
    cp "$TRASH/out" list.json &&
    test "$(why list.json app-2.0.0.tar share)" = 25.0 &&
    bucket=$(why list.json app-2.0.0.tar bucket) &&
    test "$(why list.json app-2.0.0.tar wave_step)" = null &&
    if [ "$bucket" -lt 2500 ]; then want=true; else want=false; fi &&
    test "$(why list.json app-2.0.0.tar offered)" = $want &&
    expect_code 0 c2 list --why &&
    if [ $want = false ]; then contains "$TRASH/out" "rolling out to 25% of machines; this one (bucket $bucket of 10000)"; fi
'

START=$(date -u -d "+10 days" +%Y-%m-%dT%H:%M:%SZ)
AT_STEP2=$(date -u -d "+11 days 12 hours" "+%Y-%m-%d %H:%M:%S")
AT_END=$(date -u -d "+14 days" "+%Y-%m-%d %H:%M:%S")

test_expect_success 'rollout --wave: before its start nothing is offered, and why' '
    ro app-2.0.0.tar --wave 0h:1 --wave 1d:10 --wave 3d:100 --start "$START" &&
    contains "$TRASH/ro.out" "in 3 wave steps from $START (step)" &&
    test "$(json_get "$STREPO/metadata/targets.json" "[\"signed\"][\"targets\"][\"app-2.0.0.tar\"][\"custom\"][\"slipway\"][\"rollout\"][\"waves\"]")" = "{\"ramp\": \"step\", \"start\": \"$START\", \"steps\": [{\"after\": \"0h\", \"percent\": 1}, {\"after\": \"1d\", \"percent\": 10}, {\"after\": \"3d\", \"percent\": 100}]}" &&
    test "$(json_get "$STREPO/metadata/targets.json" "[\"signed\"][\"targets\"][\"app-2.0.0.tar\"][\"custom\"][\"slipway\"][\"rollout\"][\"salt\"]")" = fleet-a &&
    expect_code 0 c2 refresh && expect_code 0 c2 list --why --json && cp "$TRASH/out" w.json &&
    test "$(why w.json app-2.0.0.tar offered)" = false &&
    test "$(why w.json app-2.0.0.tar share)" = 0.0 &&
    test "$(why w.json app-2.0.0.tar wave_step)" = 0 &&
    test "$(why w.json app-2.0.0.tar wave_steps)" = 3 &&
    expect_code 0 c2 list --why &&
    contains "$TRASH/out" "a wave rollout of 3 steps that has not reached its first step yet (starts $START)"
'

if command -v faketime >/dev/null 2>&1; then
    test_expect_success 'waves follow the clock: at step 2 (faketime), then after the last step' '
        faketime "$AT_STEP2" "$SLIPWAY" -c "$STCONF" --state-dir "$TRASH/st2" list --why --json >w2.json &&
        test "$(why w2.json app-2.0.0.tar wave_step)" = 2 &&
        test "$(why w2.json app-2.0.0.tar share)" = 10.0 &&
        bucket=$(why w2.json app-2.0.0.tar bucket) &&
        if [ "$bucket" -lt 1000 ]; then want=true; else want=false; fi &&
        test "$(why w2.json app-2.0.0.tar offered)" = $want &&
        faketime "$AT_END" "$SLIPWAY" -c "$STCONF" --state-dir "$TRASH/st2" list --why --json >w3.json &&
        test "$(why w3.json app-2.0.0.tar offered)" = true &&
        why w3.json app-2.0.0.tar reason >w3.txt &&
        contains w3.txt "offered: version 2.0.0 (wave step 3 of 3, 100% of machines now, this one in bucket $bucket)" ||
        { cat w2.json w3.json; exit 1; }
    '
else
    say "faketime is not installed: waves at a later time are not tested here"
fi

test_expect_success 'rollout --ramp linear, and what clients would refuse is refused' '
    ro app-2.0.0.tar --wave 0h:0 --wave 2d:100 --start "$START" --ramp linear &&
    contains "$TRASH/ro.out" "(linear)" &&
    expect_code 2 repo rollout "$STREPO" app-2.0.0.tar --wave 1d:50 --wave 2d:10 &&
    contains "$TRASH/err" "lowers the share" &&
    expect_code 2 repo rollout "$STREPO" app-2.0.0.tar --wave 2d:10 --wave 1d:50 &&
    contains "$TRASH/err" "must come after the step before" &&
    expect_code 2 repo rollout "$STREPO" app-2.0.0.tar --wave 1x:5 &&
    expect_code 2 repo rollout "$STREPO" app-2.0.0.tar --wave 1d &&
    expect_code 2 repo rollout "$STREPO" app-2.0.0.tar --percent 5 --wave 0h:5 &&
    expect_code 2 repo rollout "$STREPO" app-2.0.0.tar --ramp linear &&
    expect_code 2 repo rollout "$STREPO" app-2.0.0.tar --replace-with 1.0.0 &&
    contains "$TRASH/err" "needs \"pulled\": true" &&
    expect_code 2 repo rollout "$STREPO" app-2.0.0.tar --pull --replace-with 2.0.0 &&
    expect_code 2 repo rollout "$STREPO" app-2.0.0.tar --pull --unpull &&
    expect_code 2 repo rollout "$STREPO" app-2.0.0.tar
'

test_expect_success 'rollout --pull: a new machine does not take it, one running it keeps it' '
    ro app-2.0.0.tar --percent 100 --pull &&
    contains "$TRASH/ro.out" "; pulled" &&
    expect_code 0 c2 refresh && expect_code 0 c2 list --why --json && cp "$TRASH/out" p2.json &&
    test "$(why p2.json app-2.0.0.tar offered)" = false &&
    test "$(why p2.json app-2.0.0.tar verdict)" = pulled &&
    test "$(why p2.json app-2.0.0.tar pulled)" = true &&
    test "$(why p2.json app-1.0.0.tar offered)" = true &&
    expect_code 0 c refresh && expect_code 0 c list --why --json && cp "$TRASH/out" p1.json &&
    test "$(why p1.json app-2.0.0.tar verdict)" = pulled &&
    test "$(why p1.json app-1.0.0.tar verdict)" = not-newer &&
    test "$(json_get p1.json "[\"offered\"]")" = 0 &&
    expect_code 0 c list --why &&
    contains "$TRASH/out" "version 2.0.0 was pulled by its publisher; this machine runs it and keeps it"
'

test_expect_success 'rollout --replace-with: the machine on the pulled release is offered the older one' '
    ro app-2.0.0.tar --pull --replace-with 1.0.0 &&
    contains "$TRASH/ro.out" "machines on it move to 1.0.0" &&
    expect_code 0 c refresh && expect_code 0 c list --why --json && cp "$TRASH/out" r1.json &&
    test "$(why r1.json app-1.0.0.tar offered)" = true &&
    test "$(why r1.json app-1.0.0.tar downgrade)" = true &&
    test "$(why r1.json app-2.0.0.tar replace_with)" = 1.0.0 &&
    expect_code 0 c list --why &&
    contains "$TRASH/out" "version 1.0.0 replaces the pulled 2.0.0 installed here" &&
    expect_code 0 c2 refresh && expect_code 0 c2 list --why --json && cp "$TRASH/out" r2.json &&
    test "$(why r2.json app-1.0.0.tar downgrade)" = false &&
    test "$(why r2.json app-2.0.0.tar verdict)" = pulled
'

test_expect_success 'rollout --unpull: offered again; malformed signed policy is never offered' '
    ro app-2.0.0.tar --unpull &&
    expect_code 0 c2 refresh && expect_code 0 c2 list --why --json && cp "$TRASH/out" u.json &&
    test "$(why u.json app-2.0.0.tar pulled)" = false &&
    test "$(why u.json app-2.0.0.tar offered)" = true &&
    test "$(why u.json app-2.0.0.tar replace_with)" = null
'

test_done
