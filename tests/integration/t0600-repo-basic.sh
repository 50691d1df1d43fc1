#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway-repo's command frame and a publisher's first day: init, add,
# commit, verify; the repository read by the slipway client and checked by
# an independent implementation (securesystemslib's canonical JSON, nacl,
# cryptography): key ids, signatures, thresholds, lengths and hashes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"

KEYS=$TRASH/keys
R=$TRASH/repo
printf 'bundle one\n' >"$TRASH/app-1.0.tar"

test_expect_success '--help, --version and usage errors' '
    expect_code 0 repo --help && contains "$TRASH/out" "rotate-root" &&
    contains "$TRASH/out" "8 waiting for signatures" &&
    expect_code 0 repo --version && contains "$TRASH/out" "slipway-repo 0.1.0" &&
    for c in keygen init add remove rollout delegate rotate-root renew sign commit timestamp \
             snapshot status verify; do
        expect_code 0 repo "$c" --help && contains "$TRASH/out" "usage: slipway-repo $c" || exit 1
    done &&
    expect_code 0 repo commit --help && contains "$TRASH/out" "--key-dir KEYS" &&
    contains "$TRASH/out" "--expires-at ROLE=DATE" &&
    expect_code 2 repo && expect_code 2 repo frobnicate &&
    expect_code 2 repo add "$R" && contains "$TRASH/err" "FILE..., a DIRECTORY or --manifest FILE" &&
    expect_code 2 repo verify "$R" --bogus && contains "$TRASH/err" "unknown option" &&
    expect_code 2 repo init "$R" && contains "$TRASH/err" "no key directory"
'

test_expect_success 'a key directory inside the repository is refused, either way round' '
    mkdir -p "$TRASH/inside" &&
    expect_code 7 repo init "$TRASH/inside" --key-dir "$TRASH/inside/keys" --passphrase-file "$PASS" --json &&
    contains "$TRASH/err" "is inside the repository" &&
    test "$(json_get "$TRASH/out" "[\"error\"][\"name\"]")" = SW_E_REPO_KEYDIR &&
    test ! -e "$TRASH/inside/keys" &&
    expect_code 7 repo init "$TRASH/k2/repo" --key-dir "$TRASH/k2" --passphrase-file "$PASS" &&
    contains "$TRASH/err" "inside the key directory" &&
    SLIPWAY_REPO_KEY_DIR=$TRASH/inside/./keys expect_code 7 repo init "$TRASH/inside" --passphrase-file "$PASS"
'

test_expect_success 'init makes keys outside the repository and publishes version 1' '
    expect_code 0 repo init "$R" --key-dir "$KEYS" --passphrase-file "$PASS" --json &&
    for f in 1.root.json root.json 1.targets.json targets.json 1.snapshot.json snapshot.json timestamp.json; do
        test -f "$R/metadata/$f" || { echo "missing $f"; exit 1; }
    done &&
    cmp "$R/metadata/1.root.json" "$R/metadata/root.json" &&
    for k in root-1 targets-1 snapshot-1 timestamp-1; do
        test "$(file_mode "$KEYS/$k.sec")" = 600 || exit 1
    done &&
    test "$(file_mode "$KEYS")" = 700 &&
    test -z "$(find "$R" -name "*.sec")" &&
    test "$(json_get "$R/metadata/1.root.json" "[\"signed\"][\"consistent_snapshot\"]")" = true &&
    test "$(json_get "$R/metadata/1.root.json" "[\"signed\"][\"spec_version\"]")" = 1.0.31 &&
    expect_code 1 repo init "$R" --key-dir "$KEYS" --passphrase-file "$PASS" &&
    contains "$TRASH/err" "already holds a repository"
'

test_expect_success 'default expiry: root 365 days, targets 90, snapshot 7, timestamp 1' '
    "$PYTHON" - "$R/metadata" <<"PY"
import datetime, json, sys
now = datetime.datetime.now(datetime.timezone.utc)
for f, days in (("1.root.json", 365), ("1.targets.json", 90), ("1.snapshot.json", 7), ("timestamp.json", 1)):
    exp = json.load(open(sys.argv[1] + "/" + f))["signed"]["expires"]
    d = datetime.datetime.strptime(exp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    left = (d - now).total_seconds() / 86400
    assert days - 0.01 < left <= days, (f, exp, left)
PY
'

test_expect_success 'add stages a target; commit publishes it; verify passes' '
    expect_code 0 repo add "$R" "$TRASH/app-1.0.tar" --version 1.0.0 --compatible dev \
        --compatible lab --channel stable --rollout 25 &&
    contains "$TRASH/out" "added target" &&
    test -f "$R/staged/roles/targets.json" && test ! -e "$R/metadata/2.targets.json" &&
    expect_code 0 repo commit "$R" --key-dir "$KEYS" --passphrase-file "$PASS" --json &&
    test "$(json_get "$TRASH/out" "[\"published\"][0][\"file\"]")" = 2.targets.json &&
    test ! -e "$R/staged/roles/targets.json" &&
    expect_code 0 repo verify "$R" --json &&
    test "$(json_get "$TRASH/out" "[\"ok\"]")" = true &&
    test "$(json_get "$TRASH/out" "[\"targets\"][0][\"path\"]")" = app-1.0.tar
'

test_expect_success 'the target is stored as HASH.NAME for sha256 and sha512, with its custom.slipway' '
    h256=$(sha256sum "$TRASH/app-1.0.tar" | cut -d" " -f1) &&
    h512=$(sha512sum "$TRASH/app-1.0.tar" | cut -d" " -f1) &&
    cmp "$R/targets/$h256.app-1.0.tar" "$TRASH/app-1.0.tar" &&
    cmp "$R/targets/$h512.app-1.0.tar" "$TRASH/app-1.0.tar" &&
    "$PYTHON" - "$R/metadata/2.targets.json" "$h256" "$h512" <<"PY"
import json, sys
t = json.load(open(sys.argv[1]))["signed"]["targets"]["app-1.0.tar"]
assert t["length"] == 11 and t["hashes"] == {"sha256": sys.argv[2], "sha512": sys.argv[3]}, t
assert t["custom"] == {"slipway": {"version": "1.0.0", "compatible": ["dev", "lab"],
                                   "channels": ["stable"], "rollout": {"percent": 25}}}, t
PY
'

test_expect_success 'an independent implementation accepts keys ids, signatures, lengths and hashes' '
    $INDEP "$R" >"$TRASH/indep" &&
    test "$(json_get "$TRASH/indep" "[\"root_version\"]")" = 1 &&
    test "$(json_get "$TRASH/indep" "[\"targets\"]")" = 1 &&
    test "$(json_get "$TRASH/indep" "[\"signatures\"]")" = 4
'

test_expect_success 'a changed byte breaks the independent check (it can say no)' '
    cp -r "$R" "$TRASH/flip" &&
    sed -i "s/\"version\": 2/\"version\": 2 /" "$TRASH/flip/metadata/2.targets.json" &&
    $INDEP "$TRASH/flip" >/dev/null 2>&1 && exit 1 ;
    cp "$R/metadata/2.targets.json" "$TRASH/flip/metadata/2.targets.json" &&
    "$PYTHON" -c "
import json,sys; p=sys.argv[1]; d=json.load(open(p)); s=d[\"signatures\"][0][\"sig\"]
d[\"signatures\"][0][\"sig\"]=(\"0\" if s[0]!=\"0\" else \"1\")+s[1:]; open(p,\"w\").write(json.dumps(d))" \
        "$TRASH/flip/metadata/1.root.json" &&
    ! $INDEP "$TRASH/flip" 2>"$TRASH/e" && contains "$TRASH/e" "does not verify"
'

test_expect_success 'the slipway client pins the root, refreshes and lists the target' '
    client_conf "$TRASH/c.conf" "$R" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" init --root "$R/metadata/1.root.json" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" refresh --json &&
    test "$(json_get "$TRASH/out" "[\"versions\"][\"targets\"]")" = 2 &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" list --json --why &&
    test "$(json_get "$TRASH/out" "[\"targets\"][0][\"name\"]")" = app-1.0.tar &&
    test "$(json_get "$TRASH/out" "[\"targets\"][0][\"version\"]")" = 1.0.0
'

test_expect_success 'rollout and remove stage edits the client then sees' '
    expect_code 0 repo rollout "$R" app-1.0.tar --percent 100 &&
    expect_code 0 repo commit "$R" --key-dir "$KEYS" --passphrase-file "$PASS" &&
    test "$(json_get "$R/metadata/3.targets.json" "[\"signed\"][\"targets\"][\"app-1.0.tar\"][\"custom\"][\"slipway\"][\"rollout\"][\"percent\"]")" = 100 &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" refresh &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" list --json &&
    test "$(json_get "$TRASH/out" "[\"offered\"]")" = 1 &&
    printf "two\n" >"$TRASH/app-2.0.tar" &&
    expect_code 0 repo add "$R" "$TRASH/app-2.0.tar" --version 2.0.0 --compatible dev --min-client 0.1.0 &&
    expect_code 0 repo remove "$R" app-1.0.tar &&
    expect_code 1 repo remove "$R" app-1.0.tar && contains "$TRASH/err" "lists target" &&
    expect_code 1 repo add "$R" "$TRASH/app-2.0.tar" --version 2.0.0 --compatible dev &&
    contains "$TRASH/err" "already lists target" &&
    expect_code 0 repo commit "$R" --key-dir "$KEYS" --passphrase-file "$PASS" &&
    expect_code 0 repo verify "$R" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" refresh &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" list --json &&
    test "$(json_get "$TRASH/out" "[\"targets\"][0][\"name\"]")" = app-2.0.tar &&
    test "$(json_get "$TRASH/out" "[\"targets\"]" | "$PYTHON" -c "import json,sys; print(len(json.load(sys.stdin)))")" = 1
'

test_expect_success 'bad add arguments are refused before anything is staged' '
    expect_code 2 repo add "$R" "$TRASH/app-2.0.tar" --compatible dev &&
    expect_code 1 repo add "$R" "$TRASH/app-2.0.tar" --version 1.02 --compatible dev &&
    expect_code 2 repo add "$R" "$TRASH/app-2.0.tar" --version 2.1 &&
    expect_code 2 repo add "$R" "$TRASH/app-2.0.tar" --version 2.1 --compatible d --rollout 101 &&
    expect_code 1 repo add "$R" "$TRASH/app-2.0.tar" --version 2.1 --compatible d --name ../x &&
    expect_code 1 repo add "$R" "$TRASH/app-2.0.tar" --version 2.1 --compatible d --name "a%2Fb" &&
    test ! -e "$R/staged/roles/targets.json"
'

test_expect_success 'commit with nothing staged writes nothing; timestamp renews only the timestamp' '
    cp "$R/metadata/timestamp.json" "$TRASH/ts.before" &&
    expect_code 0 repo commit "$R" --key-dir "$KEYS" --passphrase-file "$PASS" &&
    contains "$TRASH/out" "nothing is staged" && cmp "$R/metadata/timestamp.json" "$TRASH/ts.before" &&
    ls "$R/metadata" >"$TRASH/ls.before" &&
    expect_code 0 repo timestamp "$R" --key-dir "$KEYS" --passphrase-file "$PASS" --expires-timestamp 2 &&
    ls "$R/metadata" >"$TRASH/ls.after" && diff "$TRASH/ls.before" "$TRASH/ls.after" &&
    test "$(json_get "$R/metadata/timestamp.json" "[\"signed\"][\"version\"]")" = \
         "$(( $(json_get "$TRASH/ts.before" "[\"signed\"][\"version\"]") + 1 ))" &&
    expect_code 0 repo verify "$R" && $INDEP "$R" >/dev/null
'

test_expect_success 'the timestamp job needs only the timestamp key' '
    mkdir -m 700 "$TRASH/online" && cp "$KEYS"/timestamp-1.* "$TRASH/online/" &&
    expect_code 0 repo timestamp "$R" --key-dir "$TRASH/online" --passphrase-file "$PASS" &&
    expect_code 8 repo snapshot "$R" --key-dir "$TRASH/online" --passphrase-file "$PASS" &&
    contains "$TRASH/err" "role '"'"'snapshot'"'"' needs 1 signature"
'

test_expect_success 'a wrong passphrase is exit 7 and publishes nothing' '
    printf "wrong wrong wrong wrong\n" >"$TRASH/wrong" && chmod 600 "$TRASH/wrong" &&
    cp "$R/metadata/timestamp.json" "$TRASH/ts.before" &&
    expect_code 7 repo timestamp "$R" --key-dir "$KEYS" --passphrase-file "$TRASH/wrong" --json &&
    test "$(json_get "$TRASH/out" "[\"error\"][\"name\"]")" = SW_E_PASSPHRASE &&
    contains "$TRASH/err" "wrong passphrase" && cmp "$R/metadata/timestamp.json" "$TRASH/ts.before" &&
    chmod 644 "$TRASH/wrong" &&
    expect_code 7 repo timestamp "$R" --key-dir "$KEYS" --passphrase-file "$TRASH/wrong" &&
    contains "$TRASH/err" "chmod"
'

test_expect_success 'an ECDSA repository verifies with cryptography and the client reads it' '
    expect_code 0 repo init "$TRASH/ec" --key-dir "$TRASH/eckeys" --key-type ecdsa --passphrase-file "$PASS" &&
    test "$(json_get "$TRASH/eckeys/targets-1.pub" "[\"scheme\"]")" = ecdsa-sha2-nistp256 &&
    expect_code 0 repo add "$TRASH/ec" "$TRASH/app-1.0.tar" --version 1.0.0 --compatible dev &&
    expect_code 0 repo commit "$TRASH/ec" --key-dir "$TRASH/eckeys" --passphrase-file "$PASS" &&
    expect_code 0 repo verify "$TRASH/ec" && $INDEP "$TRASH/ec" >/dev/null &&
    client_conf "$TRASH/ec.conf" "$TRASH/ec" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/ec.conf" --state-dir "$TRASH/st-ec" init --root "$TRASH/ec/metadata/1.root.json" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/ec.conf" --state-dir "$TRASH/st-ec" refresh
'

test_expect_success 'keygen refuses weak passphrases and existing names, and reports the key id' '
    printf "password123\n" >"$TRASH/weak" && chmod 600 "$TRASH/weak" &&
    expect_code 7 repo keygen extra --key-dir "$KEYS" --passphrase-file "$TRASH/weak" &&
    test ! -e "$KEYS/extra.pub" &&
    expect_code 0 repo keygen extra --key-dir "$KEYS" --passphrase-file "$PASS" --json &&
    id=$(json_get "$TRASH/out" "[\"keyid\"]") &&
    "$PYTHON" -c "
import hashlib,json,sys
from securesystemslib.formats import encode_canonical
k=json.load(open(sys.argv[1])); assert hashlib.sha256(encode_canonical(k).encode()).hexdigest()==sys.argv[2]" \
        "$KEYS/extra.pub" "$id" &&
    expect_code 1 repo keygen extra --key-dir "$KEYS" --passphrase-file "$PASS" &&
    contains "$TRASH/err" "already exists"
'

test_expect_success 'status shows what is published and staged' '
    expect_code 0 repo status "$R" --json &&
    test "$(json_get "$TRASH/out" "[\"published\"][0][\"role\"]")" = root &&
    expect_code 0 repo renew "$R" targets &&
    expect_code 0 repo status "$R" &&
    contains "$TRASH/out" "staged:" && contains "$TRASH/out" "role '"'"'targets'"'"' version 5"
'

test_done
