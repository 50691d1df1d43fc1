#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway-repo list: the published targets with their slipway fields
# (version, length, channels, compatible, rollout) and the role that lists
# each, delegated roles included; --staged for what commit would publish;
# --role to narrow it; a header row in text, "schema": 1 in JSON; the JSON
# compared with what Python reads itself from the published files; a tree
# that no longer verifies (expired) is listed with a warning.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-repo.sh"

R=$TRASH/www/l
K=$TRASH/keys-l

# expected_from_files DIR: what the published metadata lists, read by Python
# from timestamp -> snapshot -> each N.ROLE.json, walking delegations itself
cat >"$TRASH/expected.py" <<'PY'
import json, os, sys
d = os.path.join(sys.argv[1], "metadata")
ts = json.load(open(os.path.join(d, "timestamp.json")))
sv = ts["signed"]["meta"]["snapshot.json"]["version"]
snap = json.load(open(os.path.join(d, "%d.snapshot.json" % sv)))["signed"]["meta"]
out = []
def walk(role):
    v = snap["%s.json" % role]["version"]
    s = json.load(open(os.path.join(d, "%d.%s.json" % (v, role))))["signed"]
    for name, t in s["targets"].items():
        sw = t.get("custom", {}).get("slipway", {})
        out.append({"name": name, "version": sw.get("version"), "length": t["length"],
                    "channels": sw.get("channels"), "compatible": sw.get("compatible"),
                    "rollout": sw.get("rollout"), "role": role})
    for r in s.get("delegations", {}).get("roles", []):
        walk(r["name"])
walk("targets")
print(json.dumps(sorted(out, key=lambda e: (e["role"], e["name"])), sort_keys=True))
PY
cat >"$TRASH/got.py" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
keep = ("name", "version", "length", "channels", "compatible", "rollout", "role")
out = [{k: e[k] for k in keep} for e in rep["targets"]]
print(json.dumps(sorted(out, key=lambda e: (e["role"], e["name"])), sort_keys=True))
PY

test_expect_success 'setup: targets in targets and in a delegated role, published' '
    make_repo l &&
    printf "two\n" >"$TRASH/b.tar" &&
    repo add "$R" "$TRASH/b.tar" --version 2.0.0 --compatible dev --compatible lab \
        --channel beta --channel stable --rollout 25 >/dev/null &&
    repo keygen apps-1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null &&
    repo delegate "$R" apps --key apps-1 --paths "apps/*" --key-dir "$K" >/dev/null &&
    printf "app\n" >"$TRASH/x.tar" &&
    repo add "$R" "$TRASH/x.tar" --name apps/x.tar --role apps --version 0.3.1 \
        --compatible dev >/dev/null &&
    publish l
'

test_expect_success 'text: a header row, then each target with its fields and role' '
    expect_code 0 repo list "$R" &&
    head -1 "$TRASH/out" >head &&
    for w in TARGET VERSION LENGTH CHANNELS COMPATIBLE ROLLOUT ROLE; do contains head "$w"; done &&
    grep "^b.tar " "$TRASH/out" >row &&
    for w in 2.0.0 " 4 " beta,stable dev,lab 25% targets; do contains row "$w"; done &&
    grep "^apps/x.tar " "$TRASH/out" >row &&
    for w in 0.3.1 dev " apps"; do contains row "$w"; done &&
    grep "^app-1.0.tar " "$TRASH/out" >row && contains row 1.0.0 && contains row all &&
    test "$(wc -l <"$TRASH/out")" = 4
'

test_expect_success 'JSON: schema 1, and exactly what the published files say' '
    expect_code 0 repo list "$R" --json &&
    test "$(json_get "$TRASH/out" "[\"schema\"]")" = 1 &&
    test "$(json_get "$TRASH/out" "[\"view\"]")" = published &&
    test "$(json_get "$TRASH/out" "[\"verified\"]")" = true &&
    "$PYTHON" "$TRASH/expected.py" "$R" >want &&
    "$PYTHON" "$TRASH/got.py" "$TRASH/out" >got &&
    diff want got &&
    test "$(json_get want "[1][\"role\"]")" = targets
'

test_expect_success '--role narrows the list; an unknown role is refused' '
    expect_code 0 repo list "$R" --role apps --json &&
    test "$(json_get "$TRASH/out" "[\"targets\"][0][\"name\"]")" = apps/x.tar &&
    test "$("$PYTHON" -c "import json,sys; print(len(json.load(open(sys.argv[1]))[\"targets\"]))" "$TRASH/out")" = 1 &&
    expect_code 1 repo list "$R" --role nosuch &&
    contains "$TRASH/err" "no targets role '"'"'nosuch'"'"'"
'

test_expect_success 'a staged target is listed only with --staged' '
    printf "three\n" >"$TRASH/c.tar" &&
    repo add "$R" "$TRASH/c.tar" --version 3.0.0 --compatible dev >/dev/null &&
    expect_code 0 repo list "$R" &&
    lacks "$TRASH/out" c.tar &&
    expect_code 0 repo list "$R" --staged --json &&
    test "$(json_get "$TRASH/out" "[\"view\"]")" = staged &&
    "$PYTHON" - "$TRASH/out" <<-PY
	import json, sys
	t = {e["name"]: e for e in json.load(open(sys.argv[1]))["targets"]}
	assert t["c.tar"]["version"] == "3.0.0" and t["c.tar"]["role"] == "targets", t
	assert t["c.tar"]["length"] == 6, t
	assert "apps/x.tar" in t and "b.tar" in t, t
	PY
'

test_expect_success 'an expired tree is still listed, with a warning naming verify' '
    SLIPWAY_REPO_NOW=2099-01-01T00:00:00Z expect_code 0 "$SLIPWAY_REPO_T" list "$R" --json &&
    test "$(json_get "$TRASH/out" "[\"verified\"]")" = false &&
    contains "$TRASH/err" "does not verify" &&
    contains "$TRASH/err" "slipway-repo verify" &&
    "$PYTHON" "$TRASH/got.py" "$TRASH/out" >got &&
    "$PYTHON" "$TRASH/expected.py" "$R" >want &&
    diff want got
'

test_expect_success 'every --json report carries "schema": 1, errors too' '
    for cmd in "status $R" "verify $R" "list $R --staged" "unstage $R"; do
        expect_code 0 repo $cmd --json &&
        test "$(json_get "$TRASH/out" "[\"schema\"]")" = 1 || { echo "$cmd"; exit 1; }
    done &&
    expect_code 1 repo status "$TRASH/nowhere" --json &&
    test "$(json_get "$TRASH/out" "[\"schema\"]")" = 1 &&
    test "$(json_get "$TRASH/out" "[\"error\"][\"name\"]")" = SW_E_NOTFOUND
'

test_done
