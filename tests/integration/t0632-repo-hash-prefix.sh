#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway-repo delegate --hash-prefix-for PATH: the sha256 of the target
# path, its first N bits as a hex prefix and a TAP 15 bin, the bin's name
# for a prefix, and with DIR ROLE whether that delegation (hash prefixes
# or succinct bins) holds the path; every value compared with Python's
# hashlib computing it independently, and with the bin 'add' places the
# target in.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-repo.sh"

R=$TRASH/www/h
K=$TRASH/keys-h

# py PATH BITS PREFIX: "sha256 hexprefix bin binname" as python-tuf computes them
cat >"$TRASH/bin.py" <<'PY'
import hashlib, sys
path, bits, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
d = hashlib.sha256(path.encode("utf-8")).digest()
b = int.from_bytes(d[:4], "big") >> (32 - bits)
width = len("%x" % (2 ** bits - 1))
print(d.hex(), d.hex()[:(bits + 3) // 4], b, "%s-%0*x" % (prefix, width, b))
PY

test_expect_success 'the sha256, prefix, bin and bin name match Python for many paths and widths' '
    for p in a.tar apps/core-2.0.tar "dir/with space.bin" "ünï/cödé.tar" x/y/z/w.img 0; do
        for bits in 1 3 4 5 8 12 16 20 32; do
            "$PYTHON" "$TRASH/bin.py" "$p" "$bits" pkgs >want || exit 1
            expect_code 0 repo delegate --hash-prefix-for "$p" --succinct "$bits" pkgs --json || exit 1
            "$PYTHON" -c "import json,sys; r=json.load(open(sys.argv[1])); print(r[\"sha256\"], r[\"prefix\"], r[\"bin\"], r[\"bin_name\"])" "$TRASH/out" >got &&
            diff want got || { echo "path [$p] bits $bits"; exit 1; }
        done
    done
'

test_expect_success 'text output; --bits without a name gives no bin name' '
    expect_code 0 repo delegate --hash-prefix-for apps/core-2.0.tar --bits 8 &&
    read -r sha prefix bin name < <("$PYTHON" "$TRASH/bin.py" apps/core-2.0.tar 8 x) &&
    contains "$TRASH/out" "sha256 $sha" &&
    contains "$TRASH/out" "prefix $prefix (the first 2 hex digits: --hash-prefix $prefix)" &&
    contains "$TRASH/out" "bin $bin of 256" &&
    lacks "$TRASH/out" "role " &&
    expect_code 0 repo delegate --hash-prefix-for apps/core-2.0.tar &&
    contains "$TRASH/out" "sha256 $sha" && lacks "$TRASH/out" "prefix"
'

test_expect_success 'bad uses are refused' '
    expect_code 2 repo delegate --hash-prefix-for a.tar --bits 0 &&
    expect_code 2 repo delegate --hash-prefix-for a.tar --bits 33 &&
    expect_code 2 repo delegate --hash-prefix-for a.tar --bits 4 --succinct 4 &&
    expect_code 2 repo delegate --hash-prefix-for a.tar pkgs &&
    contains "$TRASH/err" "needs --succinct BITS" &&
    expect_code 1 repo delegate --hash-prefix-for ../a.tar --bits 4 &&
    expect_code 2 repo delegate "$R" &&
    expect_code 2 repo delegate a b c --hash-prefix-for a.tar
'

test_expect_success 'DIR ROLE: the bin of a repository'"'"'s succinct delegation, the one add uses' '
    make_repo h &&
    repo keygen bin-1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null &&
    repo delegate "$R" pkgs --succinct 4 --key bin-1 --key-dir "$K" >/dev/null &&
    printf "pkg\n" >"$TRASH/p.tar" &&
    repo add "$R" "$TRASH/p.tar" --name lib/p-1.tar --role pkgs --version 1.0.0 \
        --compatible dev >/dev/null &&
    publish h &&
    expect_code 0 repo delegate "$R" pkgs --hash-prefix-for lib/p-1.tar --json &&
    read -r sha prefix bin name < <("$PYTHON" "$TRASH/bin.py" lib/p-1.tar 4 pkgs) &&
    test "$(json_get "$TRASH/out" "[\"bin_name\"]")" = "$name" &&
    test "$(json_get "$TRASH/out" "[\"bits\"]")" = 4 &&
    expect_code 0 repo list "$R" --role "$name" &&
    contains "$TRASH/out" lib/p-1.tar &&
    expect_code 2 repo delegate "$R" pkgs --hash-prefix-for lib/p-1.tar --bits 5 &&
    expect_code 1 repo delegate "$R" nosuch --hash-prefix-for lib/p-1.tar &&
    contains "$TRASH/err" "no delegated role or hash bins named"
'

test_expect_success 'DIR ROLE: whether a --hash-prefix delegation holds the path' '
    make_repo h2 &&
    read -r sha prefix bin name < <("$PYTHON" "$TRASH/bin.py" apps/q.tar 8 x) &&
    other=$(printf "%02x" $(( (0x$prefix + 1) % 256 ))) &&
    repo keygen d-1 --key-dir "$TRASH/keys-h2" --passphrase-file "$PASS" >/dev/null &&
    repo delegate "$TRASH/www/h2" yes --key d-1 --hash-prefix "$other" --hash-prefix "$prefix" \
        --key-dir "$TRASH/keys-h2" >/dev/null &&
    repo delegate "$TRASH/www/h2" no --key d-1 --hash-prefix "$other" \
        --key-dir "$TRASH/keys-h2" >/dev/null &&
    repo delegate "$TRASH/www/h2" bypath --key d-1 --paths "apps/*" \
        --key-dir "$TRASH/keys-h2" >/dev/null &&
    expect_code 0 repo delegate "$TRASH/www/h2" yes --hash-prefix-for apps/q.tar --json &&
    test "$(json_get "$TRASH/out" "[\"matches\"]")" = true &&
    test "$(json_get "$TRASH/out" "[\"matching_prefix\"]")" = "$prefix" &&
    expect_code 0 repo delegate "$TRASH/www/h2" no --hash-prefix-for apps/q.tar &&
    contains "$TRASH/out" "is not trusted for it" &&
    expect_code 0 repo delegate "$TRASH/www/h2" yes --hash-prefix-for apps/q.tar &&
    contains "$TRASH/out" "is trusted for it: prefix $prefix" &&
    expect_code 2 repo delegate "$TRASH/www/h2" bypath --hash-prefix-for apps/q.tar &&
    contains "$TRASH/err" "delegated by paths"
'

test_done
