#!/bin/bash
# SPDX-License-Identifier: MIT
# Threshold signing with slipway-repo: keys held by different people in
# different key directories, a 2-of-3 targets role and a 2-of-3 root made
# in a ceremony (root holders make keys offline and sign the staged root),
# refused to publish with one signature, published with two; a rotation
# signed by the old and the new thresholds. Checked by tuf-indep.py.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"

R=$TRASH/repo
ONLINE=$TRASH/online
printf 'bundle\n' >"$TRASH/app.tar"

test_expect_success 'root and targets holders make their keys in their own key directories' '
    for p in alice bob carol; do
        expect_code 0 repo keygen "root-$p" --key-dir "$TRASH/$p" --passphrase-file "$PASS" &&
        expect_code 0 repo keygen "targets-$p" --key-dir "$TRASH/$p" --passphrase-file "$PASS" || exit 1
    done
'

test_expect_success 'init with the holders public keys and thresholds of 2 waits for signatures' '
    expect_code 0 repo init "$R" --key-dir "$ONLINE" --passphrase-file "$PASS" \
        --root-key "$TRASH/alice/root-alice.pub" --root-key "$TRASH/bob/root-bob.pub" \
        --root-key "$TRASH/carol/root-carol.pub" --root-threshold 2 \
        --targets-key "$TRASH/alice/targets-alice.pub" --targets-key "$TRASH/bob/targets-bob.pub" \
        --targets-key "$TRASH/carol/targets-carol.pub" --targets-threshold 2 &&
    contains "$TRASH/out" "not yet published" &&
    contains "$TRASH/out" "role '"'"'root'"'"' version 1: 0 of 2 signatures" &&
    contains "$TRASH/out" "slipway-repo sign $R root --key root-alice" &&
    test ! -e "$R/metadata/1.root.json" && test -f "$R/staged/roles/root.json" &&
    test -f "$ONLINE/snapshot-1.sec" && test ! -e "$ONLINE/root-1.sec"
'

test_expect_success 'one root holder signing is not enough: commit refuses and says who must sign' '
    expect_code 0 repo sign "$R" root --key root-alice --key-dir "$TRASH/alice" --passphrase-file "$PASS" &&
    contains "$TRASH/out" "1 of 2 signatures" &&
    expect_code 0 repo sign "$R" targets --key targets-alice --key-dir "$TRASH/alice" --passphrase-file "$PASS" &&
    expect_code 8 repo commit "$R" --key-dir "$ONLINE" --passphrase-file "$PASS" --json &&
    test "$(json_get "$TRASH/out" "[\"error\"][\"name\"]")" = SW_E_REPO_UNSIGNED &&
    "$PYTHON" - "$TRASH/out" <<"PY" &&
import json, sys
rep = json.load(open(sys.argv[1]))
pend = {p["role"]: p for p in rep["pending"]}
assert set(pend) == {"root", "targets"}, pend
for role in ("root", "targets"):
    assert pend[role]["signatures"] == 1 and pend[role]["threshold"] == 2, pend[role]
    names = sorted(m["name"] for m in pend[role]["missing"])
    assert names == [role + "-bob", role + "-carol"], names
PY
    test ! -e "$R/metadata/1.root.json" &&
    expect_code 8 repo commit "$R" --key-dir "$ONLINE" --passphrase-file "$PASS" &&
    contains "$TRASH/out" "slipway-repo sign $R targets --key targets-bob" &&
    contains "$TRASH/err" "nothing was published"
'

test_expect_success 'a key the role does not list cannot sign it' '
    expect_code 7 repo sign "$R" root --key targets-bob --key-dir "$TRASH/bob" --passphrase-file "$PASS" &&
    contains "$TRASH/err" "is not a key of role '"'"'root'"'"'" &&
    expect_code 1 repo sign "$R" snapshot --key targets-bob --key-dir "$TRASH/bob" --passphrase-file "$PASS"
'

test_expect_success 'a second holder signs; commit publishes; two valid signatures each' '
    expect_code 0 repo sign "$R" root --key root-bob --key-dir "$TRASH/bob" --passphrase-file "$PASS" &&
    contains "$TRASH/out" "2 of 2 signatures" &&
    expect_code 0 repo sign "$R" targets --key targets-carol --key-dir "$TRASH/carol" --passphrase-file "$PASS" &&
    contains "$TRASH/out" "ready: publish with" &&
    expect_code 0 repo commit "$R" --key-dir "$ONLINE" --passphrase-file "$PASS" &&
    expect_code 0 repo verify "$R" &&
    $INDEP "$R" >"$TRASH/indep" &&
    test "$(json_get "$TRASH/indep" "[\"roles\"][0][\"valid_signatures\"]")" = 2 &&
    "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d[\"signatures\"])==2" \
        "$R/metadata/1.root.json"
'

test_expect_success 'a release needs two targets holders again' '
    expect_code 0 repo add "$R" "$TRASH/app.tar" --version 1.0 --compatible dev &&
    expect_code 8 repo commit "$R" --key-dir "$ONLINE" --passphrase-file "$PASS" &&
    expect_code 0 repo sign "$R" targets --key targets-bob --key-dir "$TRASH/bob" --passphrase-file "$PASS" &&
    expect_code 8 repo commit "$R" --key-dir "$ONLINE" --passphrase-file "$PASS" &&
    test ! -e "$R/metadata/2.targets.json" &&
    expect_code 0 repo sign "$R" targets --key targets-carol --key-dir "$TRASH/carol" --passphrase-file "$PASS" &&
    expect_code 0 repo commit "$R" --key-dir "$ONLINE" --passphrase-file "$PASS" &&
    test -f "$R/metadata/2.targets.json" && $INDEP "$R" >/dev/null
'

test_expect_success 'an edit after signing drops the signatures it made invalid' '
    expect_code 0 repo rollout "$R" app.tar --percent 10 &&
    expect_code 0 repo sign "$R" targets --key targets-bob --key-dir "$TRASH/bob" --passphrase-file "$PASS" &&
    expect_code 0 repo rollout "$R" app.tar --percent 20 &&
    contains "$TRASH/err" "no longer applies" &&
    test "$(json_get "$R/staged/roles/targets.json" "[\"signatures\"]")" = "[]"
'

test_expect_success 'rotating a root key: the old threshold and the new one must both sign' '
    expect_code 0 repo keygen root-dave --key-dir "$TRASH/dave" --passphrase-file "$PASS" &&
    expect_code 0 repo rotate-root "$R" --remove-key "$TRASH/carol/root-carol.pub" \
        --add-key "$TRASH/dave/root-dave.pub" &&
    expect_code 0 repo sign "$R" root --key root-dave --key-dir "$TRASH/dave" --passphrase-file "$PASS" &&
    expect_code 0 repo sign "$R" root --key root-alice --key-dir "$TRASH/alice" --passphrase-file "$PASS" &&
    expect_code 0 repo sign "$R" targets --key targets-alice --key-dir "$TRASH/alice" --passphrase-file "$PASS" &&
    expect_code 0 repo sign "$R" targets --key targets-bob --key-dir "$TRASH/bob" --passphrase-file "$PASS" &&
    expect_code 8 repo commit "$R" --key-dir "$ONLINE" --passphrase-file "$PASS" --json &&
    "$PYTHON" - "$TRASH/out" <<"PY" &&
import json, sys
rep = json.load(open(sys.argv[1]))
p = [x for x in rep["pending"] if x["role"] == "root"]
# alice + dave meet the new 2-of-3 (alice, bob, dave); the old root (alice, bob, carol) has 1 of 2
assert len(p) == 1 and p[0]["check"] == "the previous root'"'"'s keys" and p[0]["signatures"] == 1, p
PY
    expect_code 0 repo sign "$R" root --key root-carol --key-dir "$TRASH/carol" --passphrase-file "$PASS" &&
    expect_code 0 repo commit "$R" --key-dir "$ONLINE" --passphrase-file "$PASS" &&
    test -f "$R/metadata/2.root.json" && cmp "$R/metadata/2.root.json" "$R/metadata/root.json" &&
    expect_code 0 repo verify "$R" && $INDEP "$R" >"$TRASH/indep" &&
    test "$(json_get "$TRASH/indep" "[\"root_version\"]")" = 2
'

test_done
