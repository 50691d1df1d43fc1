#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway-repo delegate --succinct BITS: TAP 15 hash bins made, signed and
# listed in the snapshot; 'add' puts each target in the bin its path
# hashes to (computed here with Python's hashlib); 'verify' checks them and
# names a target forged into the wrong bin or a bin missing from the
# snapshot; the refusals (both kinds of delegation, bits out of range,
# re-binning); a 10-bit (1024 bins) repository lists end to end with
# slipway's client, and the independent checker (tuf-indep.py) agrees.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-repo.sh"

bin_of() { # bin_of PATH BITS DIGITS: python hashlib's bin of PATH, zero-padded
    "$PYTHON" -c 'import hashlib,sys; print("%0*x" % (int(sys.argv[3]), int.from_bytes(hashlib.sha256(sys.argv[1].encode()).digest()[:4], "big") >> (32 - int(sys.argv[2]))))' "$1" "$2" "$3"
}

R=$TRASH/www/sb
K=$TRASH/keys-sb
# role_file ROLE: the published file of ROLE at the version the snapshot lists
role_file() {
    local snap v
    snap=$(json_get "$R/metadata/timestamp.json" '["signed"]["meta"]["snapshot.json"]["version"]')
    v=$(json_get "$R/metadata/$snap.snapshot.json" "[\"signed\"][\"meta\"][\"$1.json\"][\"version\"]")
    echo "$R/metadata/$v.$1.json"
}
make_repo sb
repo keygen bin-1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null
repo keygen bin-2 --key-dir "$K" --passphrase-file "$PASS" >/dev/null

test_expect_success 'delegate --succinct 4: 16 bins from targets, staged and published' '
    repo delegate "$R" pkgs --succinct 4 --key bin-1 --key-dir "$K" >out &&
    contains out "delegated 16 hash bins '"'"'pkgs-0'"'"' to '"'"'pkgs-f'"'"' from '"'"'targets'"'"' (16 new)" &&
    contains out "and 9 more staged roles" &&
    publish sb &&
    "$PYTHON" - "$R/metadata" <<-'"'PY'"'
	import json, sys, os
	md = sys.argv[1]
	t = json.load(open(os.path.join(md, "targets.json")))["signed"]["delegations"]
	assert "roles" not in t, t
	sr = t["succinct_roles"]
	assert sr["bit_length"] == 4 and sr["name_prefix"] == "pkgs" and sr["threshold"] == 1, sr
	assert list(t["keys"]) == sr["keyids"], t
	snap = json.load(open(os.path.join(md, "snapshot.json")))["signed"]["meta"]
	for b in "0123456789abcdef":
	    assert "pkgs-%s.json" % b in snap, b
	    d = json.load(open(os.path.join(md, "1.pkgs-%s.json" % b)))
	    assert d["signed"]["targets"] == {} and d["signatures"][0]["keyid"] == sr["keyids"][0], d
	PY
'

test_expect_success 'add puts targets in their bins, by the delegator or by the prefix' '
    for i in 0 1 2 3 4 5 6 7; do
        printf "p%s\n" $i >"$TRASH/p$i.tar" &&
        repo add "$R" "$TRASH/p$i.tar" --name "apps/p$i.tar" --version 1.0.$i --compatible dev >out &&
        contains out "to role '"'"'pkgs-$(bin_of apps/p$i.tar 4 1)'"'"'" || exit 1
    done &&
    printf "q\n" >"$TRASH/q.tar" &&
    repo add "$R" "$TRASH/q.tar" --name q.tar --role pkgs --version 1.0.0 --compatible dev >out &&
    contains out "to role '"'"'pkgs-$(bin_of q.tar 4 1)'"'"'" &&
    publish sb &&
    for i in 0 1 2 3 4 5 6 7; do
        test "$(json_get "$(role_file pkgs-$(bin_of apps/p$i.tar 4 1))" \
            "[\"signed\"][\"targets\"][\"apps/p$i.tar\"][\"length\"]")" = 3 || exit 1
    done &&
    repo verify "$R" >out && contains out "ok: 10 targets"
'

test_expect_success 'add --role to a bin the path does not hash to is refused' '
    b=$(bin_of apps/x.tar 4 1) &&
    other=$(printf "%x" $(( (0x$b + 1) % 16 ))) &&
    printf x >"$TRASH/x.tar" &&
    expect_code 1 repo add "$R" "$TRASH/x.tar" --name apps/x.tar --role "pkgs-$other" --version 1.0.0 --compatible dev &&
    contains "$TRASH/err" "outside the paths" &&
    repo add "$R" "$TRASH/x.tar" --name apps/x.tar --role "pkgs-$b" --version 1.0.0 --compatible dev >/dev/null
'

test_expect_success 'remove and rollout find the bin that lists the target' '
    repo rollout "$R" apps/p1.tar --percent 50 >/dev/null &&
    repo remove "$R" apps/p2.tar >/dev/null &&
    publish sb &&
    test "$(json_get "$(role_file pkgs-$(bin_of apps/p1.tar 4 1))" \
        "[\"signed\"][\"targets\"][\"apps/p1.tar\"][\"custom\"][\"slipway\"][\"rollout\"][\"percent\"]")" = 50 &&
    expect_code 1 json_get "$(role_file pkgs-$(bin_of apps/p2.tar 4 1))" "[\"signed\"][\"targets\"][\"apps/p2.tar\"]"
'

test_expect_success 'refusals: paths and bins in one delegator, bits out of range, re-binning, options' '
    expect_code 1 repo delegate "$R" other --paths "x/*" --key bin-1 --key-dir "$K" &&
    contains "$TRASH/err" "delegates to TAP 15 hash bins" &&
    expect_code 1 repo delegate "$R" pkgs --succinct 5 --key bin-1 --key-dir "$K" &&
    contains "$TRASH/err" "only their keys and threshold can change" &&
    expect_code 1 repo delegate "$R" pkgs2 --succinct 4 --key bin-1 --key-dir "$K" &&
    contains "$TRASH/err" "already has succinct bins '"'"'pkgs'"'"'" &&
    expect_code 2 repo delegate "$R" big --from targets --succinct 15 --key bin-1 --key-dir "$K" &&
    expect_code 2 repo delegate "$R" zero --succinct 0 --key bin-1 --key-dir "$K" &&
    expect_code 2 repo delegate "$R" mix --succinct 2 --paths "a/*" --key bin-1 --key-dir "$K" &&
    contains "$TRASH/err" "takes no --paths"
'

test_expect_success 'bins from a role that already delegates by paths are refused' '
    make_repo p2 &&
    repo keygen a-1 --key-dir "$TRASH/keys-p2" --passphrase-file "$PASS" >/dev/null &&
    repo delegate "$TRASH/www/p2" apps --paths "apps/*" --key a-1 --key-dir "$TRASH/keys-p2" >/dev/null &&
    expect_code 1 repo delegate "$TRASH/www/p2" bins --succinct 2 --key a-1 --key-dir "$TRASH/keys-p2" &&
    contains "$TRASH/err" "already delegates by '"'"'roles'"'"'" &&
    repo delegate "$TRASH/www/p2" bins --from apps --succinct 2 --key a-1 --key-dir "$TRASH/keys-p2" >/dev/null &&
    publish p2 &&
    repo verify "$TRASH/www/p2" >/dev/null
'

test_expect_success 'changing the bin keys and threshold keeps the bins and re-signs them' '
    repo delegate "$R" pkgs --succinct 4 --key bin-1 --key bin-2 --threshold 2 --key-dir "$K" >out &&
    contains out "changed 16 hash bins" && contains out "(0 new)" &&
    publish sb &&
    repo verify "$R" >/dev/null &&
    test "$(json_get "$R/metadata/targets.json" "[\"signed\"][\"delegations\"][\"succinct_roles\"][\"threshold\"]")" = 2 &&
    "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d[\"signatures\"]) == 2, d" "$(role_file pkgs-0)"
'

test_expect_success 'verify names a target forged into the wrong bin' '
    b=$(bin_of apps/p0.tar 4 1) &&
    other=$(printf "%x" $(( (0x$b + 1) % 16 ))) &&
    f=$(role_file "pkgs-$other") && v=${f##*/} && v=${v%%.*} &&
    entry=$("$PYTHON" -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[\"signed\"][\"targets\"][\"apps/p0.tar\"]))" "$(role_file "pkgs-$b")") &&
    forge_resign sb "$v.pkgs-$other.json" --key bin-1 --key bin-2 --set "targets[apps/p0.tar]=$entry" &&
    relink sb &&
    expect_code 5 repo verify "$R" --json &&
    problem_in "$TRASH/out" delegation "$v.pkgs-$other.json" &&
    contains "$TRASH/out" "hashes to bin '"'"'pkgs-$b'"'"'"
'

test_expect_success 'verify names a bin the snapshot does not list' '
    snap=$(json_get "$R/metadata/timestamp.json" "[\"signed\"][\"meta\"][\"snapshot.json\"][\"version\"]") &&
    forge_resign sb "$snap.snapshot.json" --key snapshot-1 --unset "meta[pkgs-3.json]" &&
    relink sb &&
    expect_code 5 repo verify "$R" --json &&
    contains "$TRASH/out" "role '"'"'pkgs-3'"'"' is delegated by '"'"'targets'"'"' but the snapshot does not list it"
'

# --- 1024 bins, end to end ------------------------------------------------------

R10=$TRASH/www/s10
make_repo s10
repo keygen b-1 --key-dir "$TRASH/keys-s10" --passphrase-file "$PASS" >/dev/null

test_expect_success '10 bits: 1024 bins published; the client finds and lists every target' '
    repo delegate "$R10" h --succinct 10 --key b-1 --key-dir "$TRASH/keys-s10" >/dev/null &&
    for i in 0 1 2 3; do
        printf "t%s\n" $i >"$TRASH/t$i.tar" &&
        repo add "$R10" "$TRASH/t$i.tar" --name "pool/t$i.tar" --version 2.0.$i --compatible dev >/dev/null || exit 1
    done &&
    publish s10 &&
    test "$(ls "$R10"/metadata/1.h-*.json | wc -l)" = 1024 &&
    test -f "$R10/metadata/1.h-3ff.json" && test -f "$R10/metadata/1.h-000.json" &&
    repo verify "$R10" >out && contains out "ok: 5 targets" &&
    $INDEP "$R10" >/dev/null &&
    nginx_start "$TRASH/www" &&
    client_for s10 "$NGINX_URL" &&
    nginx_start "$TRASH/www" plain plain &&
    echo "$NGINX_URL" >"$TRASH/plain-url" &&
    expect_code 0 sw s10 refresh &&
    expect_code 0 sw s10 list --json --why &&
    "$PYTHON" - "$TRASH/out" <<-'"'PY'"'
	import hashlib, json, sys
	got = {t["name"]: t["role"] for t in json.load(open(sys.argv[1]))["targets"]}
	for i in range(4):
	    p = "pool/t%d.tar" % i
	    b = int.from_bytes(hashlib.sha256(p.encode()).digest()[:4], "big") >> 22
	    assert got[p] == "h-%03x" % b, (p, got)
	assert got["app-1.0.tar"] == "targets", got
	PY
'

test_expect_success '10 bits: max-delegated-roles below the bin count walks that many and names the setting' '
    sed "s/^\[fetch\]\$/[fetch]\nmax-delegated-roles = 100/" "$TRASH/s10.conf" >"$TRASH/s10cap.conf" &&
    grep -qx "max-delegated-roles = 100" "$TRASH/s10cap.conf" &&
    "$SLIPWAY" -c "$TRASH/s10cap.conf" --state-dir "$TRASH/st-s10cap" init --root "$R10/metadata/1.root.json" >/dev/null &&
    rc=0 && "$SLIPWAY" -c "$TRASH/s10cap.conf" --state-dir "$TRASH/st-s10cap" refresh >"$TRASH/out" 2>"$TRASH/err" || rc=$? &&
    test "$rc" -eq 1 && contains "$TRASH/err" "more than 100 delegated roles (raise [fetch] max-delegated-roles)" &&
    n=$(ls "$TRASH/st-s10cap/metadata/" | grep -c "^h-") && test "$n" -le 100 && test "$n" -ge 99 &&
    "$SLIPWAY" -c "$TRASH/s10cap.conf" config check >"$TRASH/cc" && grep -qx "max-delegated-roles = 100" "$TRASH/cc"
'

test_expect_success '10 bits: the adapter downloads a target fetching one bin' '
    PLAIN=$(cat "$TRASH/plain-url") &&
    "$ADAPTER" --metadata-dir "$TRASH/md10" init "$R10/metadata/1.root.json" &&
    "$ADAPTER" --metadata-dir "$TRASH/md10" --metadata-url "${PLAIN}s10/metadata/" \
        --target-name pool/t2.tar --target-dir "$TRASH/td10" --target-base-url "${PLAIN}s10/targets/" download &&
    test "$(cat "$TRASH/td10/pool%2Ft2.tar")" = t2 &&
    same_files "$TRASH/md10" root.json timestamp.json snapshot.json targets.json "h-$(bin_of pool/t2.tar 10 3).json"
'

test_done
