#!/bin/bash
# SPDX-License-Identifier: MIT
# Delegated role names whose percent-encoded file names would be longer
# than a file name may be (255 bytes): kept as %%sha256-HEX.json, HEX the
# SHA-256 of the name, instead of failing the search. The repository is
# made by Python (tuf-oddnames.py), the expected file names by hashlib.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-trust.sh"

# 120 x "é" (240 bytes, 720 encoded), and "x/" x 70 + "y" (141 bytes, 281 encoded)
LONG=$("$PYTHON" -c 'print("\u00e9" * 120)')
SLASHES=$("$PYTHON" -c 'print("x/" * 70 + "y")')
"$PYTHON" "$SRCDIR/tests/integration/tuf-oddnames.py" "$TRASH/www/long" "$LONG=long" "$SLASHES=slash"
hashed() {
    "$PYTHON" -c 'import hashlib,sys; print("%%sha256-" + hashlib.sha256(sys.argv[1].encode()).hexdigest() + ".json")' "$1"
}
F1=$(hashed "$LONG")
F2=$(hashed "$SLASHES")
nginx_start "$TRASH/www" plain plain
PLAIN=$NGINX_URL
nginx_start "$TRASH/www"

test_expect_success 'adapter: both targets found and downloaded, the roles kept under hashed names' '
    "$ADAPTER" --metadata-dir "$TRASH/md" init "$TRASH/www/long/metadata/1.root.json" &&
    expect_code 0 "$ADAPTER" --metadata-dir "$TRASH/md" --metadata-url "${PLAIN}long/metadata/" \
        --target-name long/t.txt --target-name slash/t.txt --target-dir "$TRASH/td" \
        --target-base-url "${PLAIN}long/targets/" download &&
    test "$(cat "$TRASH/td/long%2Ft.txt")" = "from $LONG" &&
    test "$(cat "$TRASH/td/slash%2Ft.txt")" = "from $SLASHES" &&
    same_files "$TRASH/md" root.json timestamp.json snapshot.json targets.json "$F1" "$F2" &&
    test "$(json_get "$TRASH/md/$F1" "[\"signed\"][\"targets\"]" | grep -c long/t.txt)" = 1
'

test_expect_success 'a later search uses the kept files without fetching them again' '
    before=$(log_lines "$TRASH/plain/logs/access.log") &&
    rm -rf "$TRASH/td" &&
    expect_code 0 "$ADAPTER" --metadata-dir "$TRASH/md" --metadata-url "${PLAIN}long/metadata/" \
        --target-name long/t.txt --target-dir "$TRASH/td" \
        --target-base-url "${PLAIN}long/targets/" download &&
    requests_since "$TRASH/plain/logs/access.log" "$before" >got &&
    lacks got "%C3%A9"
'

test_expect_success 'slipway refresh and list: both targets, from roles with those names' '
    COMPATIBLE=dev trust_conf "$TRASH/c.conf" "${NGINX_URL}long/" &&
    "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" init --root "$TRASH/www/long/metadata/1.root.json" >/dev/null &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" refresh &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" list --json &&
    "$PYTHON" - "$TRASH/out" "$LONG" "$SLASHES" <<-\PY &&
	import json, sys
	d = json.load(open(sys.argv[1]))
	got = {t["name"]: t["role"] for t in d["targets"]}
	assert got == {"long/t.txt": sys.argv[2], "slash/t.txt": sys.argv[3]}, got
	PY
    same_files "$TRASH/st/metadata" root.json timestamp.json snapshot.json targets.json "$F1" "$F2"
'

test_done
