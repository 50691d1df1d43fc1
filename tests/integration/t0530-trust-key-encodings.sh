#!/bin/bash
# SPDX-License-Identifier: MIT
# One ECDSA key listed twice, once with an uncompressed and once with a
# compressed point (the ecdsa-two-encodings vector, made by python-tuf), is
# one key: targets' threshold of 2, signed by that key under both ids, is
# not met. Served by a real nginx, through the slipway client and the
# conformance adapter.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-trust.sh"

V=ecdsa-two-encodings
serve_copy "$VECTORS/tuf/$V" "$V"
serve_copy "$VECTORS/tuf/basic-ecdsa" basic-ecdsa
nginx_start "$TRASH/www" https
HTTPS_URL=$NGINX_URL
nginx_start "$TRASH/www" plain plain
PLAIN_URL=$NGINX_URL

test_expect_success 'the vector holds one P-256 point under two encodings and two key ids' '
    "$PYTHON" - "$VECTORS/tuf/$V/metadata/1.root.json" <<-\PY
	import base64, json, sys
	root = json.load(open(sys.argv[1]))["signed"]
	ids = root["roles"]["targets"]["keyids"]
	assert root["roles"]["targets"]["threshold"] == 2 and len(set(ids)) == 2, ids
	ders = [base64.b64decode("".join(root["keys"][i]["keyval"]["public"].splitlines()[1:-1])) for i in ids]
	pts = sorted((d[-33:] if d[-33] in (2, 3) else d[-65:]) for d in ders)
	assert pts[0][0] in (2, 3) and pts[1][0] == 4, pts
	assert pts[0][1:] == pts[1][1:33], "not the same x"
	PY
'

test_expect_success 'slipway: refresh fails at targets, one distinct key of the two required' '
    trust_conf "$TRASH/c.conf" "$HTTPS_URL$V/" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" init \
        --root "$VECTORS/tuf/$V/metadata/1.root.json" &&
    expect_code 5 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" refresh &&
    contains "$TRASH/err" "role '"'"'targets'"'"': 1 of 2 required signatures" &&
    test -e "$TRASH/st/metadata/snapshot.json" &&
    test ! -e "$TRASH/st/metadata/targets.json"
'

test_expect_success 'slipway: list offers nothing from the refused targets' '
    expect_code 5 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$TRASH/st" list &&
    contains "$TRASH/err" "targets"
'

test_expect_success 'the same nginx and client refresh an ECDSA repository whose keys are distinct' '
    trust_conf "$TRASH/b.conf" "${HTTPS_URL}basic-ecdsa/" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/b.conf" --state-dir "$TRASH/stb" init \
        --root "$VECTORS/tuf/basic-ecdsa/metadata/1.root.json" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/b.conf" --state-dir "$TRASH/stb" refresh
'

test_expect_success 'the conformance adapter over plain HTTP: refresh and download fail, nothing is written' '
    "$ADAPTER" --metadata-dir "$TRASH/md" init "$VECTORS/tuf/$V/metadata/1.root.json" &&
    expect_code 1 "$ADAPTER" --metadata-url "$PLAIN_URL$V/metadata/" --metadata-dir "$TRASH/md" \
        refresh &&
    test ! -e "$TRASH/md/targets.json" &&
    expect_code 1 "$ADAPTER" --metadata-dir "$TRASH/md" --target-name app-1.0.0.tar.gz \
        --target-dir "$TRASH/td" --target-base-url "$PLAIN_URL$V/targets/" \
        --metadata-url "$PLAIN_URL$V/metadata/" download &&
    test -z "$(ls -A "$TRASH/td" 2>/dev/null)"
'

test_expect_success 'the conformance adapter over the same plain nginx refreshes basic-ecdsa' '
    "$ADAPTER" --metadata-dir "$TRASH/mdb" init "$VECTORS/tuf/basic-ecdsa/metadata/1.root.json" &&
    "$ADAPTER" --metadata-url "${PLAIN_URL}basic-ecdsa/metadata/" --metadata-dir "$TRASH/mdb" refresh
'

test_done
