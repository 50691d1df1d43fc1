#!/bin/bash
# SPDX-License-Identifier: MIT
# stage, promote, rollback and promote again across both slots of the dir
# backend; status --json and history --json checked field by field.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

stage_repo
publish_version 1.0.0
publish_version 1.1.0 tar.zst
swc refresh >/dev/null

# py EXPR: evaluate EXPR with s = status.json and h = history.json loaded
py() {
    "$PYTHON" -c '
import json, sys
s = json.load(open(sys.argv[1])) if sys.argv[1] != "-" else None
h = json.load(open(sys.argv[2])) if sys.argv[2] != "-" else None
v = eval(sys.argv[3])
print(v if isinstance(v, str) else json.dumps(v))' "$TRASH/s.json" "$TRASH/h.json" "$1"
}
snap() {
    swc status --json >"$TRASH/s.json" && swc history --json >"$TRASH/h.json"
}

test_expect_success 'before anything: both slots empty, nothing active, consistent' '
    snap &&
    test "$(py "s[\"active_slot\"]")" = null &&
    test "$(py "s[\"active_slot_on_disk\"]")" = null &&
    test "$(py "[x[\"state\"] for x in s[\"slots\"]]")" = "[\"empty\", \"empty\"]" &&
    test "$(py "s[\"consistent\"]")" = true &&
    test "$(py "s[\"pending\"]")" = null &&
    test "$(py "h[\"updates\"]")" = "[]"
'

test_expect_success 'promote with nothing staged is refused (exit 9)' '
    expect_code 9 swc promote &&
    contains "$TRASH/err" "nothing is staged"
'

test_expect_success 'stage 1.0.0: first install goes to slot a, nothing switched yet' '
    expect_code 0 swc stage --json app-1.0.0.tar &&
    test "$(json_get "$TRASH/out" "[\"slot\"]")" = a &&
    test "$(json_get "$TRASH/out" "[\"state\"]")" = staged &&
    test "$(json_get "$TRASH/out" "[\"staged\"]")" = true &&
    slot_holds a 1.0.0 &&
    test ! -e "$ST/current" &&
    snap &&
    test "$(py "s[\"slots\"][0][\"state\"]")" = staged &&
    test "$(py "s[\"slots\"][0][\"version\"]")" = 1.0.0 &&
    test "$(py "s[\"slots\"][0][\"on_disk\"][\"complete\"]")" = true &&
    test "$(py "s[\"pending\"][\"state\"]")" = staged &&
    test "$(py "s[\"pending\"][\"slot\"]")" = a &&
    test "$(py "s[\"pending\"][\"version\"]")" = 1.0.0 &&
    test "$(py "s[\"active_slot\"]")" = null
'

test_expect_success 'staging the staged version again is a no-op that says so' '
    expect_code 0 swc stage app-1.0.0.tar &&
    contains "$TRASH/out" "already staged in slot '\''a'\''" &&
    swc history --json >"$TRASH/h.json" &&
    test "$(py "len(h[\"updates\"])")" = 1
'

test_expect_success 'promote 1.0.0: current points at slot a' '
    expect_code 0 swc promote --json &&
    test "$(json_get "$TRASH/out" "[\"slot\"]")" = a &&
    test "$(json_get "$TRASH/out" "[\"version\"]")" = 1.0.0 &&
    test "$(json_get "$TRASH/out" "[\"state\"]")" = committed &&
    test "$(json_get "$TRASH/out" "[\"from_version\"]")" = null &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")" &&
    snap &&
    test "$(py "s[\"active_slot\"]")" = a &&
    test "$(py "s[\"active_slot_on_disk\"]")" = a &&
    test "$(py "[x[\"state\"] for x in s[\"slots\"]]")" = "[\"active\", \"empty\"]" &&
    test "$(py "s[\"slots\"][0][\"active\"]")" = true &&
    test "$(py "s[\"slots\"][0][\"on_disk\"][\"active\"]")" = true &&
    test "$(py "s[\"pending\"]")" = null
'

test_expect_success 'staging the active version is a no-op that says so' '
    expect_code 0 swc stage app-1.0.0.tar &&
    contains "$TRASH/out" "already active in slot '\''a'\''"
'

test_expect_success 'stage the newest (1.1.0, zstd) into slot b and promote it: a is previous' '
    expect_code 0 swc stage &&
    contains "$TRASH/out" "in slot '\''b'\''" &&
    slot_holds b 1.1.0 && slot_holds a 1.0.0 &&
    expect_code 0 swc promote &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/b")" &&
    snap &&
    test "$(py "[(x[\"name\"], x[\"state\"], x[\"version\"]) for x in s[\"slots\"]]")" = "[[\"a\", \"previous\", \"1.0.0\"], [\"b\", \"active\", \"1.1.0\"]]" &&
    test "$(py "s[\"active_slot\"]")" = b
'

test_expect_success 'rollback --reason: back to slot a, slot b marked bad, reason kept' '
    expect_code 0 swc rollback --json --reason "service did not answer" &&
    test "$(json_get "$TRASH/out" "[\"slot\"]")" = b &&
    test "$(json_get "$TRASH/out" "[\"version\"]")" = 1.1.0 &&
    test "$(json_get "$TRASH/out" "[\"active_slot\"]")" = a &&
    test "$(json_get "$TRASH/out" "[\"active_version\"]")" = 1.0.0 &&
    test "$(json_get "$TRASH/out" "[\"state\"]")" = rolled_back &&
    test "$(json_get "$TRASH/out" "[\"reason\"]")" = "service did not answer" &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")" &&
    slot_holds a 1.0.0 &&
    snap &&
    test "$(py "[(x[\"name\"], x[\"state\"], x[\"version\"]) for x in s[\"slots\"]]")" = "[[\"a\", \"active\", \"1.0.0\"], [\"b\", \"bad\", \"1.1.0\"]]" &&
    test "$(py "s[\"consistent\"]")" = true
'

test_expect_success 'a second rollback has nothing to go back to (exit 9)' '
    expect_code 9 swc rollback &&
    contains "$TRASH/err" "no complete previous version"
'

test_expect_success 'promote again: stage 1.1.0 afresh into slot b and promote it' '
    expect_code 0 swc stage &&
    contains "$TRASH/out" "in slot '\''b'\''" &&
    expect_code 0 swc promote &&
    slot_holds b 1.1.0 &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/b")" &&
    snap &&
    test "$(py "[(x[\"name\"], x[\"state\"], x[\"version\"]) for x in s[\"slots\"]]")" = "[[\"a\", \"previous\", \"1.0.0\"], [\"b\", \"active\", \"1.1.0\"]]"
'

test_expect_success 'history --json: three updates, newest first, every field' '
    swc history --json >"$TRASH/h.json" &&
    test "$(py "[u[\"state\"] for u in h[\"updates\"]]")" = "[\"committed\", \"rolled_back\", \"committed\"]" &&
    test "$(py "[u[\"version\"] for u in h[\"updates\"]]")" = "[\"1.1.0\", \"1.1.0\", \"1.0.0\"]" &&
    test "$(py "[u[\"from_version\"] for u in h[\"updates\"]]")" = "[\"1.0.0\", \"1.0.0\", null]" &&
    test "$(py "[u[\"slot\"] for u in h[\"updates\"]]")" = "[\"b\", \"b\", \"a\"]" &&
    test "$(py "[u[\"target\"] for u in h[\"updates\"]]")" = "[\"app-1.1.0.tar.zst\", \"app-1.1.0.tar.zst\", \"app-1.0.0.tar\"]" &&
    test "$(py "len(set(u[\"txn\"] for u in h[\"updates\"]))")" = 3 &&
    test "$(py "all(u[\"actor\"] == \"operator:$(id -un)\" and u[\"error\"] is None for u in h[\"updates\"])")" = true &&
    test "$(py "h[\"updates\"][2][\"length\"]")" = "$(stat -c %s "$TRASH/app-1.0.0.tar")" &&
    test "$(py "h[\"updates\"][2][\"sha256\"]")" = "$(sha256sum "$TRASH/app-1.0.0.tar" | cut -d" " -f1)" &&
    test "$(py "[(e[\"kind\"], e[\"from_state\"], e[\"to_state\"]) for e in h[\"updates\"][1][\"events\"]]")" = "[[\"transition\", null, \"available\"], [\"transition\", \"available\", \"downloading\"], [\"transition\", \"downloading\", \"downloaded\"], [\"transition\", \"downloaded\", \"staging\"], [\"transition\", \"staging\", \"staged\"], [\"promotion\", \"staged\", \"promoting\"], [\"promotion\", \"promoting\", \"promoted\"], [\"transition\", \"promoted\", \"committed\"], [\"rollback\", \"committed\", \"rolled_back\"], [\"switch\", null, \"rolled_back\"]]" &&
    test "$(py "h[\"updates\"][1][\"events\"][8][\"reason\"]")" = "service did not answer" &&
    test "$(py "all(e[\"elapsed_ms\"] >= 0 and e[\"at_ms\"] > 1700000000000 for u in h[\"updates\"] for e in u[\"events\"])")" = true &&
    test "$(py "all(u[\"duration_ms\"] == u[\"events\"][-1][\"at_ms\"] - u[\"events\"][0][\"at_ms\"] for u in h[\"updates\"])")" = true &&
    test "$(py "all(len(e[\"at\"]) == 20 and e[\"at\"].endswith(\"Z\") for u in h[\"updates\"] for e in u[\"events\"])")" = true
'

test_expect_success 'history --limit 1 shows only the newest; text form names txn and states' '
    swc history --json --limit 1 >"$TRASH/h.json" &&
    test "$(py "len(h[\"updates\"])")" = 1 &&
    txn=$(py "h[\"updates\"][0][\"txn\"]") &&
    expect_code 0 swc history --limit 1 &&
    contains "$TRASH/out" "$txn app-1.1.0.tar.zst 1.0.0 -> 1.1.0  committed slot b" &&
    expect_code 2 swc history --limit 0 &&
    expect_code 2 swc history --limit x
'

test_done
