#!/bin/bash
# SPDX-License-Identifier: MIT
# Verify once for delegated roles (docs/trust.md): a kept hash bin whose
# bytes have the SHA-256 and length the store recorded when a delegation
# with the same binding (root version, delegator, threshold, keys) accepted
# them is not checked again by list; the digest is what guards it (the
# same tampered bytes are refused until the record is rewritten to match
# them, which only someone who can already write the 0700 state dir can
# do). Bytes changed on disk are checked again and refused; new keys for
# the bins in a new delegator version check the kept bins again and refuse
# them; the same keys in a new delegator version keep the verdicts; a new
# root checks everything again. The snapshot lists no hashes or lengths for
# the roles (tuf-forge relink --no-meta-hashes), so only the store's record
# stands between a changed kept file and its signatures. Counts come from
# the debug line of the walk (-vv).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

R=$TRASH/www/vb
K=$TRASH/keys-vb
M=$TRASH/st-vb/metadata
DB=$TRASH/st-vb/state.db

bin_of() { # bin_of PATH: python hashlib's bin of PATH among 4
    "$PYTHON" -c 'import hashlib,sys; print("%x" % (int.from_bytes(hashlib.sha256(sys.argv[1].encode()).digest()[:4], "big") >> 30))' "$1"
}
# checks FILE CHECKED REUSED: the walk's debug line in FILE says so
checks() {
    grep -q "debug: walked [0-9]* delegated role(s): $2 signature check(s), $3 verdict(s) recorded before" "$1" ||
        { echo "want $2 checks, $3 reused:"; grep "debug: walked" "$1"; return 1; }
}
# tamper FILE: one hex digit of its first signature changed (same length, still JSON)
tamper() {
    "$PYTHON" - "$1" <<'PY'
import sys
p = sys.argv[1]
b = open(p, "rb").read()
i = b.index(b'"sig"')
j = b.index(b'"', b.index(b':', i) + 1) + 1
c = b[j:j + 1]
b = b[:j] + (b"1" if c != b"1" else b"2") + b[j + 1:]
open(p, "wb").write(b)
PY
}
# record_sha ROLE FILE: rewrite the store's verdicts on ROLE to the SHA-256 of FILE
record_sha() {
    "$PYTHON" - "$DB" "$1" "$2" <<'PY'
import hashlib, sqlite3, sys
db, role, f = sys.argv[1:]
sha = hashlib.sha256(open(f, "rb").read()).hexdigest()
c = sqlite3.connect(db)
n = c.execute("UPDATE delegation_verdicts SET sha256 = ? WHERE role = ?", (sha, role)).rowcount
c.commit()
assert n == 1, n
PY
}

make_repo vb
repo keygen bin-1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null
repo keygen bin-2 --key-dir "$K" --passphrase-file "$PASS" >/dev/null
repo delegate "$R" pkgs --succinct 2 --key bin-1 --key-dir "$K" >/dev/null
for i in 0 1 2 3 4 5 6 7; do
    printf 'p%s\n' $i >"$TRASH/p$i.tar"
    repo add "$R" "$TRASH/p$i.tar" --name "apps/p$i.tar" --version 1.0.$i --compatible dev >/dev/null
done
publish vb
relink vb --no-meta-hashes
P=apps/p1.tar
B=pkgs-$(bin_of $P)
nginx_start "$TRASH/www"
client_for vb "$NGINX_URL"

test_expect_success 'refresh checks each bin once; list checks none and lists every target' '
    expect_code 0 sw vb -vv refresh &&
    checks "$TRASH/err" 4 0 &&
    expect_code 0 sw vb -vv list &&
    checks "$TRASH/err" 0 4 &&
    for i in 0 1 2 3 4 5 6 7; do contains "$TRASH/out" "apps/p$i.tar" || exit 1; done &&
    cp "$M/$B.json" "$TRASH/bin.good"
'

test_expect_success 'a kept bin changed on disk (one signature digit) is checked again and refused' '
    tamper "$M/$B.json" &&
    ! cmp -s "$M/$B.json" "$TRASH/bin.good" &&
    expect_code 0 sw vb -vv list &&
    checks "$TRASH/err" 1 3 &&
    contains "$TRASH/err" "$B" &&
    contains "$TRASH/err" "signature" &&
    lacks "$TRASH/out" "$P"
'

test_expect_success 'the next refresh (nothing new) walks again and fetches the bin back' '
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw vb refresh &&
    requests_since "$NGINX_LOG" "$before" >got &&
    grep -q "^GET /vb/metadata/[0-9]*\.$B\.json 200" got &&
    cmp "$M/$B.json" "$TRASH/bin.good" &&
    expect_code 0 sw vb -vv list &&
    checks "$TRASH/err" 0 4 &&
    contains "$TRASH/out" "$P"
'

test_expect_success 'attack: the tampered bytes with the record rewritten to them pass unchecked (the digest guards)' '
    record_sha "$B" "$M/$B.json" &&
    expect_code 0 sw vb -vv list &&
    checks "$TRASH/err" 0 4 &&
    contains "$TRASH/out" "$P" &&
    cp "$TRASH/bin.good" "$M/$B.json" &&
    record_sha "$B" "$M/$B.json"
'

# new_targets [--set DELEGATIONS-JSON]: targets re-signed as the next version, relinked
new_targets() {
    local v
    v=$(ls "$R/metadata" | sed -n "s/^\([0-9]*\)\.targets\.json$/\1/p" | sort -n | tail -1)
    forge_resign vb "$v.targets.json" --key targets-1 --set "version=$((v + 1))" "$@" \
        --out "$R/metadata/$((v + 1)).targets.json" &&
        relink vb --role-version "targets=$((v + 1))" --no-meta-hashes
}
# delegations of the bins to bin-2 (a scratch repository delegating the same bins)
dels() { # dels FILE: the delegations object of a published targets FILE
    "$PYTHON" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["signed"]["delegations"]))' "$1"
}
make_repo vb2
cp "$K/bin-2.pub" "$K/bin-2.sec" "$TRASH/keys-vb2/"
repo delegate "$TRASH/www/vb2" pkgs --succinct 2 --key bin-2 --key-dir "$TRASH/keys-vb2" >/dev/null
publish vb2
DELS2=$(dels "$TRASH/www/vb2/metadata/targets.json")
DELS1=$(dels "$R/metadata/targets.json")

test_expect_success 'the same keys in a new targets version: the bins keep their verdicts' '
    new_targets &&
    expect_code 0 sw vb -vv refresh &&
    contains "$TRASH/out" "targets" &&
    checks "$TRASH/err" 0 4 &&
    expect_code 0 sw vb list &&
    contains "$TRASH/out" "$P"
'

test_expect_success 'attack: new keys for the bins, bins unchanged: each kept bin is checked against them and refused' '
    new_targets --set "delegations=$DELS2" &&
    expect_code 5 sw vb -vv refresh &&
    contains "$TRASH/out" "4 delegated role(s) cannot be used" &&
    lacks "$TRASH/err" "recorded before: [1-9]" &&
    grep -q "debug: walked [0-9]* delegated role(s): [1-9][0-9]* signature check(s), 0 verdict(s)" "$TRASH/err" &&
    expect_code 0 sw vb -vv list &&
    checks "$TRASH/err" 4 0 &&
    contains "$TRASH/err" "signature" &&
    for i in 0 1 2 3 4 5 6 7; do lacks "$TRASH/out" "apps/p$i.tar" || exit 1; done
'

test_expect_success 'the old keys back: the verdicts they gave hold again' '
    new_targets --set "delegations=$DELS1" &&
    expect_code 0 sw vb -vv refresh &&
    checks "$TRASH/err" 0 4 &&
    expect_code 0 sw vb list &&
    for i in 0 1 2 3 4 5 6 7; do contains "$TRASH/out" "apps/p$i.tar" || exit 1; done
'

test_expect_success 'a new root: refresh checks every kept bin again, then list checks none' '
    repo keygen root-2 --key-dir "$K" --passphrase-file "$PASS" >/dev/null &&
    repo rotate-root "$R" --key-dir "$K" --passphrase-file "$PASS" --add-key root-2 >/dev/null &&
    publish vb &&
    expect_code 0 sw vb -vv refresh &&
    contains "$TRASH/out" "root" &&
    checks "$TRASH/err" 4 0 &&
    expect_code 0 sw vb -vv list &&
    checks "$TRASH/err" 0 4 &&
    contains "$TRASH/out" "$P"
'

test_done
