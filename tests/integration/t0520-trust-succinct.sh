#!/bin/bash
# SPDX-License-Identifier: MIT
# TAP 15 succinct hash bins as the client searches them. The python-tuf
# vector succinct-bins (bit length 4, prefix "bins") through a real nginx:
# every target of its expect.json is found in the bin expect.json names,
# the four downloads work, only the bins on the way are fetched. Then a
# repository made by slipway-repo with forged entries (tuf-forge, with the
# bin key): a target listed in the wrong bin is not found, a delegation
# with both "roles" and "succinct_roles" and one above the bit-length cap
# are refused. Bins are computed here with Python's hashlib.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

V=succinct-bins
EXP=$VECTORS/tuf/$V/expect.json
serve_copy "$VECTORS/tuf/$V" "$V"

# bin_of PATH BITS: the bin python hashlib gives PATH, as lowercase hex without padding
bin_of() {
    "$PYTHON" -c 'import hashlib,sys; print("%x" % (int.from_bytes(hashlib.sha256(sys.argv[1].encode()).digest()[:4], "big") >> (32 - int(sys.argv[2]))))' "$1" "$2"
}

# role_of LIST PATH: the role 'list --json' names for PATH, or "absent"
role_of() {
    "$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(next((t["role"] for t in d["targets"] if t["name"] == sys.argv[2]), "absent"))' "$1" "$2"
}

nginx_start "$TRASH/www"
HTTPS_URL=$NGINX_URL
nginx_start "$TRASH/www" plain plain
PLAIN=$NGINX_URL

test_expect_success 'vector: slipway refreshes and lists every target from the bin expect.json names' '
    trust_conf "$TRASH/v.conf" "$HTTPS_URL$V/" &&
    "$SLIPWAY" -c "$TRASH/v.conf" --state-dir "$TRASH/st-v" init --root "$VECTORS/tuf/$V/metadata/1.root.json" >/dev/null &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/v.conf" --state-dir "$TRASH/st-v" refresh &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/v.conf" --state-dir "$TRASH/st-v" list --json --why &&
    cp "$TRASH/out" "$TRASH/vlist.json" &&
    "$PYTHON" - "$EXP" "$TRASH/vlist.json" <<-'"'PY'"'
	import json, sys
	want = json.load(open(sys.argv[1]))["bins"]
	got = {t["name"]: t["role"] for t in json.load(open(sys.argv[2]))["targets"]}
	assert len(want) == 24, len(want)
	assert got == want, (got, want)
	PY
'

test_expect_success 'vector: the client kept all 16 bins, as the snapshot lists them' '
    for b in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
        cmp "$TRASH/st-v/metadata/bins-$b.json" "$VECTORS/tuf/$V/metadata/1.bins-$b.json" || exit 1
    done
'

test_expect_success 'vector: the adapter downloads the four targets, fetching only their bins' '
    "$ADAPTER" --metadata-dir "$TRASH/md" init "$VECTORS/tuf/$V/metadata/1.root.json" &&
    names=() &&
    mapfile -t names < <("$PYTHON" -c "import json,sys; print(\"\\n\".join(json.load(open(sys.argv[1]))[\"targets\"]))" "$EXP") &&
    test ${#names[@]} = 4 &&
    args=() && for n in "${names[@]}"; do args+=(--target-name "$n"); done &&
    "$ADAPTER" --metadata-dir "$TRASH/md" --metadata-url "${PLAIN}$V/metadata/" "${args[@]}" \
        --target-dir "$TRASH/td" --target-base-url "${PLAIN}$V/targets/" download &&
    for n in "${names[@]}"; do
        want=$("$PYTHON" -c "import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))[\"targets\"][sys.argv[2]])" "$EXP" "$n") &&
        test "$(cat "$TRASH/td/${n//\//%2F}")" = "${want%$'"'\n'"'}" || exit 1
    done &&
    bins=$("$PYTHON" -c "import json,sys; e=json.load(open(sys.argv[1])); print(\" \".join(sorted({e[\"bins\"][n] + \".json\" for n in e[\"targets\"]})))" "$EXP") &&
    same_files "$TRASH/md" root.json timestamp.json snapshot.json targets.json $bins &&
    test "$bins" = "bins-1.json bins-3.json bins-e.json bins-f.json"
'

test_expect_success 'vector: a path in no bin is not found, after asking only its own bin' '
    b=$(bin_of apps/none.tar.gz 4) &&
    "$ADAPTER" --metadata-dir "$TRASH/md-none" init "$VECTORS/tuf/$V/metadata/1.root.json" &&
    expect_code 1 "$ADAPTER" --metadata-dir "$TRASH/md-none" --metadata-url "${PLAIN}$V/metadata/" \
        --target-name apps/none.tar.gz --target-dir "$TRASH/td-none" --target-base-url "${PLAIN}$V/targets/" download &&
    contains "$TRASH/err" "apps/none.tar.gz" &&
    same_files "$TRASH/md-none" root.json timestamp.json snapshot.json targets.json "bins-$b.json"
'

test_expect_success 'vector: a bin served with a target it was never signed for is refused' '
    f=$TRASH/www/$V/metadata/1.bins-0.json &&
    cp "$f" "$TRASH/bins-0.orig" &&
    "$PYTHON" - "$f" <<-'"'PY'"' &&
	import json, sys
	d = json.load(open(sys.argv[1]))
	d["signed"]["targets"]["apps/evil.tar.gz"] = {"length": 1, "hashes": {"sha256": "00" * 32}}
	json.dump(d, open(sys.argv[1], "w"))
	PY
    trust_conf "$TRASH/v2.conf" "$HTTPS_URL$V/" &&
    "$SLIPWAY" -c "$TRASH/v2.conf" --state-dir "$TRASH/st-v2" init --root "$VECTORS/tuf/$V/metadata/1.root.json" >/dev/null &&
    expect_code 5 "$SLIPWAY" -c "$TRASH/v2.conf" --state-dir "$TRASH/st-v2" refresh &&
    contains "$TRASH/err" "bins-0" &&
    test ! -e "$TRASH/st-v2/metadata/bins-0.json" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/v2.conf" --state-dir "$TRASH/st-v2" list --json --why &&
    test "$(json_get "$TRASH/out" "[\"skipped_roles\"][0][\"role\"]")" = bins-0 &&
    ! grep -q "apps/evil.tar.gz" "$TRASH/out" &&
    cp "$TRASH/bins-0.orig" "$f"
'

# --- a repository made with slipway-repo, forged with the bin key -------------------

R=$TRASH/www/sr
make_repo sr
repo keygen b1 --key-dir "$TRASH/keys-sr" --passphrase-file "$PASS" >/dev/null
repo delegate "$R" bins --succinct 3 --key b1 --key-dir "$TRASH/keys-sr" >/dev/null
printf 'one\n' >"$TRASH/one.tar"
repo add "$R" "$TRASH/one.tar" --name apps/one.tar --version 1.0.0 --compatible dev >/dev/null
publish sr
ONE_BIN=$(bin_of apps/one.tar 3)
# a path that hashes to another bin than apps/one.tar
for i in 0 1 2 3 4 5 6 7 8 9; do
    if [ "$(bin_of "apps/other-$i.tar" 3)" != "$ONE_BIN" ]; then OTHER=apps/other-$i.tar; break; fi
done

test_expect_success 'own repository: the target is in the bin its hash names, and found there' '
    test -n "$OTHER" &&
    test "$(json_get "$R/metadata/1.bins-$ONE_BIN.json" "[\"signed\"][\"targets\"][\"apps/one.tar\"][\"length\"]")" = 4 &&
    client_for sr "$NGINX_URL" &&
    expect_code 0 sw sr refresh &&
    expect_code 0 sw sr list --json --why &&
    test "$(role_of "$TRASH/out" apps/one.tar)" = "bins-$ONE_BIN"
'

test_expect_success 'own repository: a target listed in the wrong bin (validly signed) is never found' '
    entry=$("$PYTHON" -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[\"signed\"][\"targets\"][\"apps/one.tar\"]))" "$R/metadata/1.bins-$ONE_BIN.json") &&
    forge_resign sr "1.bins-$ONE_BIN.json" --key b1 --set "targets[$OTHER]=$entry" &&
    relink sr &&
    expect_code 0 sw sr refresh &&
    expect_code 0 sw sr list --json --why &&
    test "$(role_of "$TRASH/out" "$OTHER")" = absent &&
    test "$(role_of "$TRASH/out" apps/one.tar)" = "bins-$ONE_BIN" &&
    "$ADAPTER" --metadata-dir "$TRASH/md-sr" init "$R/metadata/1.root.json" &&
    expect_code 1 "$ADAPTER" --metadata-dir "$TRASH/md-sr" --metadata-url "${PLAIN}sr/metadata/" \
        --target-name "$OTHER" --target-dir "$TRASH/td-sr" --target-base-url "${PLAIN}sr/targets/" download &&
    contains "$TRASH/err" "$OTHER" &&
    test ! -e "$TRASH/md-sr/bins-$ONE_BIN.json" &&
    test -z "$(ls -A "$TRASH/td-sr" 2>/dev/null)"
'

test_expect_success 'own repository: a delegation with both roles and succinct_roles is refused' '
    tv=$(json_get "$R/metadata/targets.json" "[\"signed\"][\"version\"]") &&
    cp "$R/metadata/$tv.targets.json" "$TRASH/targets.orig" &&
    forge_resign sr "$tv.targets.json" --key targets-1 \
        --set "delegations.roles=[{\"name\":\"x\",\"keyids\":[],\"threshold\":1,\"terminating\":false,\"paths\":[\"*\"]}]" &&
    relink sr &&
    COMPATIBLE=dev trust_conf "$TRASH/both.conf" "${NGINX_URL}sr/" &&
    "$SLIPWAY" -c "$TRASH/both.conf" --state-dir "$TRASH/st-both" init --root "$R/metadata/1.root.json" >/dev/null &&
    expect_code 5 "$SLIPWAY" -c "$TRASH/both.conf" --state-dir "$TRASH/st-both" refresh &&
    contains "$TRASH/err" "must not have both '"'"'roles'"'"' and '"'"'succinct_roles'"'"'" &&
    test ! -e "$TRASH/st-both/metadata/targets.json"
'

test_expect_success 'own repository: a bit_length above the cap is refused, naming the cap' '
    tv=$(json_get "$R/metadata/targets.json" "[\"signed\"][\"version\"]") &&
    cp "$TRASH/targets.orig" "$R/metadata/$tv.targets.json" &&
    forge_resign sr "$tv.targets.json" --key targets-1 --set "delegations.succinct_roles.bit_length=20" &&
    relink sr &&
    # a named limit (-SW_E_LIMIT) exits 1, where a malformed field exits 5
    expect_code 1 "$SLIPWAY" -c "$TRASH/both.conf" --state-dir "$TRASH/st-both" refresh &&
    contains "$TRASH/err" "bit_length'"'"' is 20: slipway accepts at most 16 (65536 bins)" &&
    test ! -e "$TRASH/st-both/metadata/targets.json"
'

test_done
