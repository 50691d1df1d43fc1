#!/bin/bash
# SPDX-License-Identifier: MIT
# Kept roles of 64 KiB and more are mapped for their parse, not read into a
# buffer (src/trust.c map_local): the same bytes, the same checks. A
# top-level targets and a delegated role above that size are listed in
# full offline; each kept file changed in place (the same length, one byte
# of a hash) is refused as a read one would be: the delegated role by its
# snapshot hash, the top-level targets by its signatures.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

N=400
R=$TRASH/www/big
K=$TRASH/keys-big
make_repo big
repo keygen d1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null
repo delegate "$R" apps --paths "apps/*" --key d1 --key-dir "$K" >/dev/null
mkdir -p "$TRASH/top" "$TRASH/d/apps"
for i in $(seq 1 $N); do
    printf 'top %d\n' "$i" >"$TRASH/top/top-$i.tar"
    printf 'app %d\n' "$i" >"$TRASH/d/apps/app-$i.tar"
done
repo add "$R" "$TRASH/top" --version 1.0.0 --compatible dev >/dev/null
repo add "$R" "$TRASH/d" --role apps --version 1.0.0 --compatible dev >/dev/null
publish big
nginx_start "$TRASH/www"
client_for big "$NGINX_URL"
M=$TRASH/st-big/metadata

# names OUT: the target names a list --json printed, one per line, sorted
names() {
    "$PYTHON" -c 'import json,sys; print("\n".join(sorted(t["name"] for t in json.load(open(sys.argv[1]))["targets"])))' "$1"
}
# flip FILE: change one hex digit of the first sha256 value, in place (same length, same inode)
flip() {
    "$PYTHON" - "$1" <<'PY'
import re, sys
p = sys.argv[1]
with open(p, "r+b") as f:
    b = f.read()
    m = re.search(rb'"sha256": ?"([0-9a-f])', b)
    i = m.start(1)
    f.seek(i)
    f.write(b"0" if b[i:i + 1] != b"0" else b"1")
PY
}

test_expect_success 'setup: both kept files are over 64 KiB' '
    expect_code 0 sw big refresh &&
    test "$(wc -c <"$M/targets.json")" -gt 65536 &&
    test "$(wc -c <"$M/apps.json")" -gt 65536
'

test_expect_success 'list (offline) lists every target of both mapped roles' '
    expect_code 0 sw big --json list &&
    names "$TRASH/out" >got &&
    { echo app-1.0.tar; ls "$TRASH/top"; ls "$TRASH/d/apps" | sed "s|^|apps/|"; } | sort >all &&
    test "$(wc -l <got)" = $((2 * N + 1)) &&
    test "$(json_get "$TRASH/out" "[\"offered\"]")" = $((2 * N + 1)) &&
    diff all got &&
    sw big list >text && test "$(grep -c " bytes$" text)" = $((2 * N + 1))
'

test_expect_success 'a kept delegated role changed in place is refused (snapshot hash)' '
    cp "$M/apps.json" "$TRASH/apps.keep" &&
    flip "$M/apps.json" &&
    ! cmp -s "$M/apps.json" "$TRASH/apps.keep" &&
    sw big list --why >why 2>&1 &&
    contains why "role '\''apps'\''" &&
    ! grep "^apps/" why | grep -q " bytes$" &&
    test "$(grep -c " bytes$" why)" = $((N + 1)) &&
    cp "$TRASH/apps.keep" "$M/apps.json"
'

test_expect_success 'the kept top-level targets changed in place is refused (signatures)' '
    flip "$M/targets.json" &&
    ! sw big list >out 2>err &&
    ! grep -q " bytes$" out
'

test_done
