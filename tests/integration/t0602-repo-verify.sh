#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway-repo verify: it agrees with the expect.json of every vector in
# tests/vectors/tuf (made by python-tuf), and each kind of tampering with a
# repository slipway-repo made (edited target, stale snapshot, missing
# signature, expired timestamp, broken rotation link) makes it fail naming
# the file and the check; several at once are all reported. tuf-forge
# makes the hostile copies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"

KEYS=$TRASH/keys
R=$TRASH/repo
printf 'bundle one\n' >"$TRASH/app.tar"

# vector_verify NAME: exit status and problems of verify --root on vector NAME
vector_verify() {
    local v=$VECTORS/tuf/$1
    expect_code "$2" repo verify "$v" --root "$v/metadata/1.root.json" --json
}

for v in basic-ed25519 basic-ecdsa basic-rsa delegations root-rotation; do
    test_expect_success "vector $v: verify passes and lists the expected targets" '
        vector_verify '$v' 0 &&
        "$PYTHON" - "$TRASH/out" "$VECTORS/tuf/'$v'/expect.json" <<"PY"
import json, sys
rep, exp = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert exp["outcome"] == "ok" and rep["ok"] is True and rep["problems"] == [], rep
paths = {t["path"] for t in rep["targets"]}
assert set(exp["targets"]) <= paths, (paths, exp["targets"])
if "final_root_version" in exp:
    assert rep["root_version"] == exp["final_root_version"], rep["root_version"]
PY
    '
done

test_expect_success 'vector bad-target-hash: the target file is named, for each hash' '
    vector_verify bad-target-hash 5 &&
    problem_in "$TRASH/out" hash targets/92ac832a9f23d2f4d1ca03ff82cb8f9c1b4d376b261b00ecb49ed0d069f6f209.app-1.0.0.tar.gz &&
    test "$(json_get "$TRASH/out" "[\"problem_count\"]")" = 2
'

test_expect_success 'vector bad-threshold: snapshot, 1 of 2 signatures' '
    vector_verify bad-threshold 5 && problem_in "$TRASH/out" signature 1.snapshot.json &&
    contains "$TRASH/out" "role '"'"'snapshot'"'"': 1 of 2 required signatures" &&
    test "$(json_get "$TRASH/out" "[\"problem_count\"]")" = 1
'

test_expect_success 'vector expired-timestamp: timestamp expired 2020-01-01' '
    vector_verify expired-timestamp 5 && problem_in "$TRASH/out" expiry timestamp.json &&
    contains "$TRASH/out" "expired at 2020-01-01T00:00:00Z" &&
    test "$(json_get "$TRASH/out" "[\"problem_count\"]")" = 1
'

test_expect_success 'vector duplicate-signature: targets is refused' '
    vector_verify duplicate-signature 5 && problem_in "$TRASH/out" parse 1.targets.json &&
    contains "$TRASH/out" "signs more than once"
'

test_expect_success 'vector root-rotation from a later root: the chain starts there' '
    v=$VECTORS/tuf/root-rotation &&
    expect_code 0 repo verify "$v" --root "$v/metadata/2.root.json" --json &&
    test "$(json_get "$TRASH/out" "[\"root_version\"]")" = 3
'

# --- tampering with a repository slipway-repo made ------------------------------------------

test_expect_success 'setup: a repository with two releases and a rotated root' '
    repo init "$R" --key-dir "$KEYS" --passphrase-file "$PASS" >/dev/null &&
    repo add "$R" "$TRASH/app.tar" --version 1.0 --compatible dev >/dev/null &&
    repo commit "$R" --key-dir "$KEYS" --passphrase-file "$PASS" >/dev/null &&
    repo keygen root-2 --key-dir "$KEYS" --passphrase-file "$PASS" >/dev/null &&
    repo rotate-root "$R" --add-key root-2 --remove-key root-1 --key-dir "$KEYS" >/dev/null &&
    repo commit "$R" --key-dir "$KEYS" --passphrase-file "$PASS" >/dev/null &&
    expect_code 0 repo verify "$R" && $INDEP "$R" >/dev/null
'

# copy NAME: a fresh copy of the repository to tamper with
copy() {
    rm -rf "$TRASH/$1" && cp -a "$R" "$TRASH/$1"
}

test_expect_success 'an edited target file: hash and length problems naming the file' '
    copy t1 && h=$(sha256sum "$TRASH/app.tar" | cut -d" " -f1) &&
    printf "bundle ONE\n" >"$TRASH/t1/targets/$h.app.tar.new" &&
    mv "$TRASH/t1/targets/$h.app.tar.new" "$TRASH/t1/targets/$h.app.tar" &&
    expect_code 5 repo verify "$TRASH/t1" --json && problem_in "$TRASH/out" hash "targets/$h.app.tar" &&
    test "$(json_get "$TRASH/out" "[\"problem_count\"]")" = 1 &&
    expect_code 5 repo verify "$TRASH/t1" && contains "$TRASH/err" "problem: targets/$h.app.tar: hash:" &&
    rm "$TRASH/t1/targets/$h.app.tar" &&
    expect_code 5 repo verify "$TRASH/t1" --json && problem_in "$TRASH/out" missing "targets/$h.app.tar"
'

test_expect_success 'a stale snapshot: an older one served as the current one' '
    copy t2 && cp "$TRASH/t2/metadata/1.snapshot.json" "$TRASH/t2/metadata/3.snapshot.json" &&
    expect_code 5 repo verify "$TRASH/t2" --json &&
    problem_in "$TRASH/out" hash 3.snapshot.json && problem_in "$TRASH/out" version 3.snapshot.json &&
    contains "$TRASH/out" "snapshot is version 1, the timestamp lists 3"
'

test_expect_success 'a stale snapshot: a newer targets version it does not list' '
    copy t3 && cp "$TRASH/t3/metadata/2.targets.json" "$TRASH/t3/metadata/3.targets.json" &&
    expect_code 5 repo verify "$TRASH/t3" --json && problem_in "$TRASH/out" stale 3.targets.json &&
    contains "$TRASH/out" "the snapshot is stale"
'

test_expect_success 'a missing signature: targets re-linked without its signature' '
    copy t4 &&
    "$FORGE" resign "$TRASH/t4/metadata/2.targets.json" --no-signatures &&
    "$FORGE" relink "$TRASH/t4" --key-dir "$KEYS" --snapshot-key snapshot-1 \
        --timestamp-key timestamp-1 --passphrase-file "$PASS" >/dev/null &&
    expect_code 5 repo verify "$TRASH/t4" --json && problem_in "$TRASH/out" signature 2.targets.json &&
    contains "$TRASH/out" "role '"'"'targets'"'"': 0 of 1 required signatures" &&
    test "$(json_get "$TRASH/out" "[\"problem_count\"]")" = 2 &&
    problem_in "$TRASH/out" copy targets.json
'

test_expect_success 'an expired timestamp (made with --expires-at, which warns)' '
    copy t5 &&
    expect_code 0 repo timestamp "$TRASH/t5" --key-dir "$KEYS" --passphrase-file "$PASS" \
        --expires-at timestamp=2020-01-01T00:00:00Z &&
    contains "$TRASH/err" "is in the past" &&
    expect_code 5 repo verify "$TRASH/t5" --json && problem_in "$TRASH/out" expiry timestamp.json &&
    test "$(json_get "$TRASH/out" "[\"problem_count\"]")" = 1 &&
    expect_code 0 repo verify "$TRASH/t5" --at 2019-12-31T00:00:00Z
'

test_expect_success 'a broken rotation link: root 2 not signed by root 1' '
    copy t6 &&
    "$FORGE" resign "$TRASH/t6/metadata/2.root.json" --key-dir "$KEYS" --key root-2 \
        --passphrase-file "$PASS" &&
    cp "$TRASH/t6/metadata/2.root.json" "$TRASH/t6/metadata/root.json" &&
    expect_code 5 repo verify "$TRASH/t6" --json &&
    problem_in "$TRASH/out" signature 2.root.json && problem_in "$TRASH/out" link 2.root.json &&
    contains "$TRASH/out" "previous root" &&
    test "$(json_get "$TRASH/out" "[\"root_version\"]")" = 1
'

test_expect_success 'every problem is reported, not only the first' '
    copy t7 && h=$(sha256sum "$TRASH/app.tar" | cut -d" " -f1) &&
    printf "x" >>"$TRASH/t7/targets/$h.app.tar" &&
    cp "$TRASH/t7/metadata/1.targets.json" "$TRASH/t7/metadata/targets.json" &&
    cp "$TRASH/t7/metadata/1.root.json" "$TRASH/t7/metadata/root.json" &&
    "$FORGE" resign "$TRASH/t7/metadata/3.snapshot.json" --key-dir "$KEYS" --key snapshot-1 \
        --set expires="\"2020-01-01T00:00:00Z\"" --passphrase-file "$PASS" &&
    expect_code 5 repo verify "$TRASH/t7" --json &&
    problem_in "$TRASH/out" hash 3.snapshot.json &&
    problem_in "$TRASH/out" expiry 3.snapshot.json &&
    problem_in "$TRASH/out" length "targets/$h.app.tar" &&
    problem_in "$TRASH/out" copy targets.json &&
    problem_in "$TRASH/out" copy root.json &&
    test "$(json_get "$TRASH/out" "[\"problem_count\"]")" = 7
'

test_expect_success 'tuf-forge relink keeps an edited role consistent, so only the edit fails' '
    copy t8 &&
    "$FORGE" resign "$TRASH/t8/metadata/2.targets.json" --key-dir "$KEYS" --key targets-1 \
        --set "targets[app.tar].length=12" --passphrase-file "$PASS" &&
    cp "$TRASH/t8/metadata/2.targets.json" "$TRASH/t8/metadata/targets.json" &&
    "$FORGE" relink "$TRASH/t8" --key-dir "$KEYS" --snapshot-key snapshot-1 \
        --timestamp-key timestamp-1 --passphrase-file "$PASS" >/dev/null &&
    expect_code 5 repo verify "$TRASH/t8" --json &&
    "$PYTHON" - "$TRASH/out" <<"PY"
import json, sys
rep = json.load(open(sys.argv[1]))
assert {p["check"] for p in rep["problems"]} == {"length"}, rep["problems"]
PY
'

test_done
