#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway-repo add takes many targets in one process: several FILEs, a
# DIRECTORY (its regular files under their relative paths) or a manifest
# (JSON Lines, docs/repo.md), staged with one write of each role at the
# end. The result is the one single adds would stage, is all-or-nothing,
# goes to hash bins, is read by the client and checked by an independent
# implementation (tuf-indep.py).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

bin_of() { # bin_of PATH BITS DIGITS: python hashlib's bin of PATH, zero-padded
    "$PYTHON" -c 'import hashlib,sys; print("%0*x" % (int(sys.argv[3]), int.from_bytes(hashlib.sha256(sys.argv[1].encode()).digest()[:4], "big") >> (32 - int(sys.argv[2]))))' "$1" "$2" "$3"
}
# targets_of FILE: the target paths of a staged or published role, sorted, one a line
targets_of() {
    "$PYTHON" -c 'import json,sys; print("\n".join(sorted(json.load(open(sys.argv[1]))["signed"]["targets"])))' "$1"
}
# signed_of FILE: the "signed" object of a role without its expiry, as sorted JSON
signed_of() {
    "$PYTHON" -c 'import json,sys; s=json.load(open(sys.argv[1]))["signed"]; s.pop("expires"); print(json.dumps(s, sort_keys=True))' "$1"
}

mkdir -p "$TRASH/in/sub/deeper" "$TRASH/big"
for i in 1 2 3; do printf 'file %s\n' "$i" >"$TRASH/in/f$i.tar"; done
printf 'nested\n' >"$TRASH/in/sub/n.tar"
printf 'deeper\n' >"$TRASH/in/sub/deeper/d.tar"
# a bundle larger than the copy chunk, hashed while streamed
head -c 3000000 /dev/urandom >"$TRASH/big/large.tar"

make_repo one
make_repo many
A=$TRASH/www/one
M=$TRASH/www/many

test_expect_success 'several FILEs in one add stage what one add each stages' '
    for i in 1 2 3; do
        repo add "$A" "$TRASH/in/f$i.tar" --version 2.0.0 --compatible dev --channel beta >/dev/null || exit 1
    done &&
    repo add "$M" "$TRASH/in/f1.tar" "$TRASH/in/f2.tar" "$TRASH/in/f3.tar" \
        --version 2.0.0 --compatible dev --channel beta >out &&
    contains out "added target '"'"'f3.tar'"'"'" &&
    test "$(signed_of "$A/staged/roles/targets.json")" = "$(signed_of "$M/staged/roles/targets.json")"
'

test_expect_success 'a DIRECTORY adds its regular files under their relative paths' '
    repo add "$M" "$TRASH/in" --version 2.0.1 --compatible dev --replace --json >out &&
    test "$(json_get out "[\"added\"][3][\"target\"]")" = sub/deeper/d.tar &&
    targets_of "$M/staged/roles/targets.json" >got &&
    printf "%s\n" app-1.0.tar f1.tar f2.tar f3.tar sub/deeper/d.tar sub/n.tar >want &&
    diff want got &&
    test "$(json_get "$M/staged/roles/targets.json" "[\"signed\"][\"targets\"][\"sub/n.tar\"][\"custom\"][\"slipway\"][\"version\"]")" = 2.0.1
'

test_expect_success 'a manifest gives each target its own fields; the command line the rest' '
    cat >"$TRASH/big/list.jsonl" <<-EOF2 &&
	# comments and blank lines are skipped

	{"file": "large.tar", "name": "os/large.tar", "version": "3.0.0", "compatible": ["a", "b"], "rollout": 25}
	{"file": "$TRASH/in/f1.tar", "name": "os/small.tar", "channels": "stable", "min_client": "0.1.0"}
	EOF2
    repo add "$M" --manifest "$TRASH/big/list.jsonl" --version 9.9.9 --compatible dev >out &&
    t() { json_get "$M/staged/roles/targets.json" "[\"signed\"][\"targets\"]$1"; } &&
    test "$(t "[\"os/large.tar\"][\"length\"]")" = 3000000 &&
    test "$(t "[\"os/large.tar\"][\"hashes\"][\"sha256\"]")" = "$(sha256sum <"$TRASH/big/large.tar" | cut -d" " -f1)" &&
    test "$(t "[\"os/large.tar\"][\"hashes\"][\"sha512\"]")" = "$(sha512sum <"$TRASH/big/large.tar" | cut -d" " -f1)" &&
    test "$(t "[\"os/large.tar\"][\"custom\"][\"slipway\"]")" = "{\"compatible\": [\"a\", \"b\"], \"rollout\": {\"percent\": 25}, \"version\": \"3.0.0\"}" &&
    test "$(t "[\"os/small.tar\"][\"custom\"][\"slipway\"]")" = "{\"channels\": [\"stable\"], \"compatible\": [\"dev\"], \"min_client\": \"0.1.0\", \"version\": \"9.9.9\"}" &&
    test ! -e "$M/targets/os/$(sha256sum <"$TRASH/big/large.tar" | cut -d" " -f1).large.tar"
'

test_expect_success 'a bad line, a missing file or a path named twice stages nothing' '
    cp "$M/staged/roles/targets.json" before.json &&
    printf "%s\n" "{\"file\": \"large.tar\", \"nmae\": \"x\"}" >"$TRASH/big/bad.jsonl" &&
    expect_code 2 repo add "$M" --manifest "$TRASH/big/bad.jsonl" --version 1.0.0 --compatible dev &&
    contains "$TRASH/err" "manifest line 1: unknown field '"'"'nmae'"'"'" &&
    printf "%s\n" "{\"file\": \"large.tar\"" >"$TRASH/big/bad.jsonl" &&
    expect_code 2 repo add "$M" --manifest "$TRASH/big/bad.jsonl" --version 1.0.0 --compatible dev &&
    contains "$TRASH/err" "manifest line 1: not a JSON object" &&
    printf "%s\n" "{\"file\": \"large.tar\", \"name\": \"z.tar\"}" >"$TRASH/big/nov.jsonl" &&
    expect_code 2 repo add "$M" --manifest "$TRASH/big/nov.jsonl" --compatible dev &&
    contains "$TRASH/err" "manifest line 1: --version V is required" &&
    printf new >"$TRASH/new.tar" &&
    expect_code 1 repo add "$M" "$TRASH/new.tar" "$TRASH/nope.tar" --version 1.0.0 --compatible dev &&
    contains "$TRASH/err" "nope.tar" &&
    expect_code 2 repo add "$M" "$TRASH/new.tar" "$TRASH/in/sub/../../new.tar" --version 1.0.0 --compatible dev &&
    contains "$TRASH/err" "target '"'"'new.tar'"'"' is named twice in one add" &&
    expect_code 1 repo add "$M" "$TRASH/in/f1.tar" "$TRASH/new.tar" --version 1.0.0 --compatible dev &&
    contains "$TRASH/err" "already lists target '"'"'f1.tar'"'"'" &&
    expect_code 2 repo add "$M" "$TRASH/in/f1.tar" "$TRASH/new.tar" --name x.tar --version 1.0.0 --compatible dev &&
    contains "$TRASH/err" "--name goes with exactly one FILE" &&
    expect_code 2 repo add "$M" --version 1.0.0 --compatible dev &&
    cmp before.json "$M/staged/roles/targets.json"
'

test_expect_success 'commit publishes it all; verify and an independent implementation agree' '
    publish many &&
    cmp "$TRASH/big/large.tar" "$M/targets/os/$(sha256sum <"$TRASH/big/large.tar" | cut -d" " -f1).large.tar" &&
    repo verify "$M" >out && contains out "ok: 8 targets" &&
    $INDEP "$M" >/dev/null
'

test_expect_success 'a directory into hash bins: each target in the bin its path hashes to' '
    repo keygen bin-1 --key-dir "$TRASH/keys-many" --passphrase-file "$PASS" >/dev/null &&
    repo delegate "$M" pkgs --succinct 3 --key bin-1 --key-dir "$TRASH/keys-many" >/dev/null &&
    mkdir -p "$TRASH/bins" &&
    for i in $(seq 1 40); do printf "b%s\n" "$i" >"$TRASH/bins/p$i.tar"; done &&
    repo add "$M" "$TRASH/bins" --role pkgs --version 1.0.0 --compatible dev >out &&
    contains out "added 40 targets" &&
    publish many &&
    snap=$(json_get "$M/metadata/timestamp.json" "[\"signed\"][\"meta\"][\"snapshot.json\"][\"version\"]") &&
    for i in $(seq 1 40); do
        b=$(bin_of "p$i.tar" 3 1) &&
        v=$(json_get "$M/metadata/$snap.snapshot.json" "[\"signed\"][\"meta\"][\"pkgs-$b.json\"][\"version\"]") &&
        test "$(json_get "$M/metadata/$v.pkgs-$b.json" "[\"signed\"][\"targets\"][\"p$i.tar\"][\"length\"]")" = $((${#i} + 2)) || exit 1
    done &&
    repo verify "$M" >out && contains out "ok: 48 targets" &&
    $INDEP "$M" >/dev/null
'

test_expect_success 'the client reads what one add published' '
    nginx_start "$TRASH/www" &&
    client_for many "$NGINX_URL" &&
    expect_code 0 sw many refresh &&
    expect_code 0 sw many list &&
    contains "$TRASH/out" "sub/deeper/d.tar" &&
    contains "$TRASH/out" "p40.tar"
'

test_done
