#!/bin/bash
# SPDX-License-Identifier: MIT
# One commit of many staged roles: 2^10 succinct bins delegated and targets
# added in the same staging, published by one 'commit' (1025 staged roles,
# each bin signed once), then checked by 'slipway-repo verify', by the
# independent checker (tuf-indep.py) and by slipway's client (refresh +
# list put each target in the bin Python's hashlib computes). Every
# published file is byte for byte what python-tuf writes for its content
# (json.dumps with sorted keys and indent 1), computed here by Python, not
# by slipway-repo. With SLIPWAY_REPO_BASELINE set to a slipway-repo test
# build of an earlier commit (e.g. main's), the same commands run by it
# from the same keys and clock publish the same bytes. 2^14 bins are
# staged; 2^15 are refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-repo.sh"

NOW=2030-06-01T12:00:00Z
W=$TRASH/work
mkdir -p "$W"
for i in 0 1 2 3 4 5; do printf "pool %s\n" $i >"$W/t$i.tar"; done

# steps BINARY DIR KEYS: the publishing commands after init, with a fixed clock
steps() {
    local bin=$1 dir=$2 keys=$3
    SLIPWAY_REPO_NOW=$NOW "$bin" delegate "$dir" h --succinct 10 --key bin-1 --key-dir "$keys" >/dev/null &&
        for i in 0 1 2 3; do
            SLIPWAY_REPO_NOW=$NOW "$bin" add "$dir" "$W/t$i.tar" --name "pool/t$i.tar" --role h \
                --version "1.0.$i" --compatible dev >/dev/null || return 1
        done &&
        SLIPWAY_REPO_NOW=$NOW "$bin" commit "$dir" --key-dir "$keys" --passphrase-file "$PASS" --json >"$dir.commit.json" &&
        SLIPWAY_REPO_NOW=$NOW "$bin" add "$dir" "$W/t4.tar" "$W/t5.tar" --role h --version 2.0.0 \
            --compatible dev >/dev/null &&
        SLIPWAY_REPO_NOW=$NOW "$bin" commit "$dir" --key-dir "$keys" --passphrase-file "$PASS" >/dev/null
}

R=$TRASH/www/bc
K=$TRASH/keys-bc
test_expect_success 'init and keys (kept for a baseline run)' '
    SLIPWAY_REPO_NOW=$NOW "$SLIPWAY_REPO_T" init "$R" --key-dir "$K" --passphrase-file "$PASS" >/dev/null &&
    repo keygen bin-1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null &&
    cp -a "$R" "$TRASH/bc-fresh" && cp -a "$K" "$TRASH/keys-fresh"
'

test_expect_success '1024 bins and targets staged together, published by one commit, each bin signed once' '
    steps "$SLIPWAY_REPO_T" "$R" "$K" &&
    "$PYTHON" - "$R" <<-'"'PY'"'
	import json, os, sys
	r = sys.argv[1]
	rep = json.load(open(r + ".commit.json"))
	signed = rep["signed"]
	bins = ["h-%03x" % i for i in range(1024)]
	for b in bins:
	    assert signed.get(b) == 1, (b, signed.get(b))
	pub = {p["role"] for p in rep["published"]}
	assert set(bins) <= pub and "targets" in pub, sorted(pub)[:5]
	md = os.path.join(r, "metadata")
	snap = json.load(open(os.path.join(md, "snapshot.json")))["signed"]["meta"]
	assert len([k for k in snap if k.startswith("h-")]) == 1024, len(snap)
	for b in bins:
	    d = json.load(open(os.path.join(md, "%d.%s.json" % (snap[b + ".json"]["version"], b))))
	    assert len(d["signatures"]) == 1, (b, d["signatures"])
	PY
'

test_expect_success 'verify and the independent checker accept it' '
    repo verify "$R" >out && contains out "ok: 6 targets" &&
    $INDEP "$R" >/dev/null
'

test_expect_success 'every published file is what python-tuf writes for its content' '
    "$PYTHON" - "$R/metadata" <<-'"'PY'"'
	import json, os, sys
	n = 0
	for dp, _, fs in os.walk(sys.argv[1]):
	    for f in fs:
	        p = os.path.join(dp, f)
	        data = open(p, "rb").read()
	        want = json.dumps(json.loads(data), sort_keys=True, indent=1, ensure_ascii=False).encode()
	        assert data == want, p
	        n += 1
	assert n >= 1024 + 8, n
	PY
'

test_expect_success 'the client finds each target in the bin hashlib names' '
    client_conf "$TRASH/bc.conf" "$R" &&
    printf "%s\n" "[fetch]" "max-delegated-roles = 2048" >>"$TRASH/bc.conf" &&
    "$SLIPWAY" -c "$TRASH/bc.conf" --state-dir "$TRASH/st-bc" init --root "$R/metadata/1.root.json" >/dev/null &&
    "$SLIPWAY" -c "$TRASH/bc.conf" --state-dir "$TRASH/st-bc" refresh >/dev/null &&
    "$SLIPWAY" -c "$TRASH/bc.conf" --state-dir "$TRASH/st-bc" list --json --why >"$TRASH/list.json" &&
    "$PYTHON" - "$TRASH/list.json" <<-'"'PY'"'
	import hashlib, json, sys
	got = {t["name"]: t["role"] for t in json.load(open(sys.argv[1]))["targets"]}
	names = ["pool/t%d.tar" % i for i in range(4)] + ["t4.tar", "t5.tar"]
	for p in names:
	    b = int.from_bytes(hashlib.sha256(p.encode()).digest()[:4], "big") >> 22
	    assert got.get(p) == "h-%03x" % b, (p, got)
	PY
'

test_expect_success 'a baseline slipway-repo (SLIPWAY_REPO_BASELINE) publishes the same bytes' '
    if [ -z "${SLIPWAY_REPO_BASELINE:-}" ]; then
        echo "# skipped: SLIPWAY_REPO_BASELINE is not set (a test build of an earlier commit)" >&2
    else
        steps "$SLIPWAY_REPO_BASELINE" "$TRASH/bc-fresh" "$TRASH/keys-fresh" &&
        diff -r "$R/metadata" "$TRASH/bc-fresh/metadata" >"$TRASH/diff" &&
        diff -r "$R/targets" "$TRASH/bc-fresh/targets"
    fi
'

test_expect_success '2^14 bins (TAP 15 largest) are staged, 2^15 refused as a usage error' '
    R14=$TRASH/www/b14 &&
    repo init "$R14" --key-dir "$TRASH/keys-b14" --passphrase-file "$PASS" >/dev/null &&
    repo keygen bin-1 --key-dir "$TRASH/keys-b14" --passphrase-file "$PASS" >/dev/null &&
    expect_code 2 repo delegate "$R14" h --succinct 15 --key bin-1 --key-dir "$TRASH/keys-b14" &&
    repo delegate "$R14" h --succinct 14 --key bin-1 --key-dir "$TRASH/keys-b14" >out &&
    contains out "delegated 16384 hash bins" && contains out "(16384 new)" &&
    test "$(ls "$R14/staged/roles" | grep -c "^h-")" = 16384
'

test_done
