#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway hold / unhold: the hold is kept in the store with who and why,
# recorded as hold/unhold events with the actor (timer when INVOCATION_ID is
# set or with --actor timer; operator:USER otherwise, SUDO_USER noted);
# status shows it (text and --json), history lists the events (text and
# --json), manual stage/promote/rollback still work and say the machine is
# held; bad --actor and --reason values are usage errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-stage.sh"

unset INVOCATION_ID SUDO_USER
ME=$(id -un)
c() {
    "$SLIPWAY" -c "$STCONF" --state-dir "$ST" "$@"
}

stage_repo
publish_version 1.0.0

test_expect_success 'not held at first: status says so' '
    expect_code 0 c status && contains "$TRASH/out" "held:         no" &&
    expect_code 0 c status --json && test "$(json_get "$TRASH/out" "[\"hold\"]")" = "{\"held\": false}"
'

test_expect_success 'hold --reason by an operator: status text and JSON' '
    expect_code 0 c hold --reason "disk swap on rack 4" &&
    contains "$TRASH/out" "by operator:$ME: disk swap on rack 4" &&
    expect_code 0 c status && contains "$TRASH/out" "held:         yes, since " &&
    contains "$TRASH/out" "by operator:$ME: disk swap on rack 4" &&
    expect_code 0 c status --json &&
    test "$(json_get "$TRASH/out" "[\"hold\"][\"held\"]")" = true &&
    test "$(json_get "$TRASH/out" "[\"hold\"][\"actor\"]")" = "operator:$ME" &&
    test "$(json_get "$TRASH/out" "[\"hold\"][\"reason\"]")" = "disk swap on rack 4" &&
    json_get "$TRASH/out" "[\"hold\"][\"since\"]" | grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"
'

test_expect_success 'manual commands still work while held, and say so' '
    expect_code 0 c refresh && expect_code 0 c stage &&
    contains "$TRASH/err" "note: this machine is held" &&
    contains "$TRASH/err" "this manual '"'"'stage'"'"' goes ahead" &&
    expect_code 0 c promote && contains "$TRASH/err" "note: this machine is held" &&
    test "$(readlink "$ST/current")" != "" &&
    expect_code 0 c list && lacks "$TRASH/err" "held"
'

test_expect_success 'unhold under systemd (INVOCATION_ID): the actor is timer' '
    expect_code 0 env INVOCATION_ID=0123abcd "$SLIPWAY" -c "$STCONF" --state-dir "$ST" unhold &&
    contains "$TRASH/out" "released the hold" &&
    expect_code 0 c status --json && test "$(json_get "$TRASH/out" "[\"hold\"][\"held\"]")" = false &&
    expect_code 0 c unhold && contains "$TRASH/out" "not held: nothing to release"
'

test_expect_success '--actor timer, --actor operator over INVOCATION_ID, SUDO_USER noted' '
    expect_code 0 c --actor timer hold --reason "from the timer" &&
    expect_code 0 c status --json && test "$(json_get "$TRASH/out" "[\"hold\"][\"actor\"]")" = timer &&
    expect_code 0 env INVOCATION_ID=x "$SLIPWAY" -c "$STCONF" --state-dir "$ST" unhold --actor operator &&
    expect_code 0 env SUDO_USER=alice "$SLIPWAY" -c "$STCONF" --state-dir "$ST" hold --json &&
    test "$(json_get "$TRASH/out" "[\"actor\"]")" = "operator:$ME (sudo: alice)" &&
    test "$(json_get "$TRASH/out" "[\"reason\"]")" = null &&
    expect_code 0 c unhold --reason "swap done"
'

test_expect_success 'history lists every hold and unhold with actor and reason, in order' '
    expect_code 0 c history --json &&
    "$PYTHON" -c "import json,sys
h=json.load(open(sys.argv[1]))
got=[(e[\"kind\"], e[\"actor\"], e[\"reason\"]) for e in h[\"controls\"]]
want=[(\"hold\", \"operator:$ME\", \"disk swap on rack 4\"), (\"unhold\", \"timer\", None),
      (\"hold\", \"timer\", \"from the timer\"), (\"unhold\", \"operator:$ME\", None),
      (\"hold\", \"operator:$ME (sudo: alice)\", None), (\"unhold\", \"operator:$ME\", \"swap done\")]
assert got == want, got
# the manual update made while held is recorded with the operator
assert h[\"updates\"][0][\"actor\"] == \"operator:$ME\", h[\"updates\"][0]
" "$TRASH/out" &&
    expect_code 0 c history &&
    contains "$TRASH/out" "operator controls:" &&
    contains "$TRASH/out" "hold       by operator:$ME: disk swap on rack 4" &&
    contains "$TRASH/out" "unhold     by timer" &&
    contains "$TRASH/out" "unhold     by operator:$ME: swap done" &&
    expect_code 0 c history --limit 1 --json &&
    test "$(json_get "$TRASH/out" "[\"controls\"][0][\"reason\"]")" = "swap done"
'

test_expect_success 'bad --actor and --reason are usage errors; nothing recorded' '
    expect_code 2 c --actor root hold && contains "$TRASH/err" "only '"'"'timer'"'"' or '"'"'operator'"'"'" &&
    expect_code 2 c hold --reason "$(printf "two\nlines")" &&
    expect_code 2 c hold --reason "$(head -c 201 /dev/zero | tr "\0" x)" &&
    expect_code 2 c hold --reason "$(printf "caf\351")" && contains "$TRASH/err" "must be UTF-8" &&
    expect_code 0 c status --json && test "$(json_get "$TRASH/out" "[\"hold\"][\"held\"]")" = false
'

test_done
