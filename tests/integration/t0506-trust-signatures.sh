#!/bin/bash
# SPDX-License-Identifier: MIT
# Signatures and target files: a threshold not met, one key signing twice,
# an invalid signature beside enough valid ones (accepted), a target with a
# hash algorithm nobody knows, target bytes and lengths that do not match
# what is signed. Downloads go through the conformance adapter; nothing
# unverified may land in its target directory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

make_repo thr --targets-keys 2 --targets-threshold 2
make_repo dup
make_repo inv --targets-keys 2 --targets-threshold 1
make_repo uh
make_repo th
nginx_start "$TRASH/www"
for n in thr dup inv uh th; do client_for $n "$NGINX_URL"; done
nginx_start "$TRASH/www" plain plain
PLAIN=$NGINX_URL
M=$TRASH/www

# download NAME TARGET: the adapter, fresh metadata dir, target dir $TRASH/td-NAME
download() {
    rm -rf "$TRASH/md-$1"
    "$ADAPTER" --metadata-dir "$TRASH/md-$1" init "$M/$1/metadata/1.root.json" &&
        "$ADAPTER" --metadata-dir "$TRASH/md-$1" --metadata-url "${PLAIN}$1/metadata/" \
            --target-name "$2" --target-dir "$TRASH/td-$1" --target-base-url "${PLAIN}$1/targets/" \
            download
}

# valid_signatures FILE ROOT: "VALID of TOTAL" signatures of FILE by ROOT's
# targets keys, checked by Python (securesystemslib's canonical form, nacl)
valid_signatures() {
    "$PYTHON" - "$1" "$2" <<'PY'
import json, sys
from nacl.signing import VerifyKey
from securesystemslib.formats import encode_canonical
md, root = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
msg = encode_canonical(md["signed"]).encode()
ok = 0
for s in md["signatures"]:
    key = root["signed"]["keys"].get(s["keyid"])
    try:
        VerifyKey(bytes.fromhex(key["keyval"]["public"])).verify(msg, bytes.fromhex(s["sig"]))
        ok += 1
    except Exception:
        pass
print("%d of %d" % (ok, len(md["signatures"])))
PY
}

served() {
    ls "$M/$1/targets/"*".$2"
}

test_expect_success 'targets signed by 1 of the 2 keys its threshold needs is refused' '
    forge_resign thr 2.targets.json --key targets-1 &&
    relink thr &&
    expect_code 5 sw thr refresh &&
    contains "$TRASH/err" "role '"'"'targets'"'"': 1 of 2 required signatures" &&
    test "$(trusted thr targets)" = none &&
    test "$(trusted thr snapshot)" = 3
'

test_expect_success 'the same key signing twice is refused' '
    forge_resign dup 2.targets.json --key targets-1 --duplicate-signature &&
    relink dup &&
    expect_code 5 sw dup refresh &&
    contains "$TRASH/err" "signs more than once" &&
    test "$(trusted dup targets)" = none
'

test_expect_success 'an invalid signature beside enough valid ones is ignored' '
    forge_resign inv 2.targets.json --key targets-2 --bogus-signature --keep-signatures &&
    valid_signatures "$M/inv/metadata/2.targets.json" "$M/inv/metadata/1.root.json" >n &&
    test "$(cat n)" = "1 of 2" &&
    relink inv &&
    expect_code 0 sw inv refresh &&
    test "$(trusted inv targets)" = 2 &&
    cmp "$TRASH/st-inv/metadata/targets.json" "$M/inv/metadata/2.targets.json"
'

test_expect_success 'an unknown hash algorithm on a target: refresh ok, the download refused' '
    forge_resign uh 2.targets.json --key targets-1 \
        --set "targets[app-1.0.tar].hashes.md5=\"9f1bd7a5db0b3bd4b3e3ac86f8ac8fa2\"" &&
    relink uh &&
    expect_code 0 sw uh refresh &&
    expect_code 1 download uh app-1.0.tar &&
    contains "$TRASH/err" "md5" &&
    test -z "$(ls -A "$TRASH/td-uh" 2>/dev/null)"
'

test_expect_success 'target bytes that do not match their hashes are refused and not kept' '
    for f in $(served th app-1.0.tar); do printf "bundle ONE\n" >"$f"; done &&
    expect_code 1 download th app-1.0.tar &&
    contains "$TRASH/err" "target '"'"'app-1.0.tar'"'"': sha256 is" &&
    test -z "$(ls -A "$TRASH/td-th" 2>/dev/null)"
'

test_expect_success 'a target longer than its signed length is cut off and refused' '
    for f in $(served th app-1.0.tar); do printf "bundle one\nand more\n" >"$f"; done &&
    expect_code 1 download th app-1.0.tar &&
    contains "$TRASH/err" "app-1.0.tar" &&
    grep -q "cap\|length" "$TRASH/err" &&
    test -z "$(ls -A "$TRASH/td-th" 2>/dev/null)"
'

test_expect_success 'a target shorter than its signed length is refused' '
    for f in $(served th app-1.0.tar); do printf "bundle\n" >"$f"; done &&
    expect_code 1 download th app-1.0.tar &&
    contains "$TRASH/err" "app-1.0.tar" &&
    test -z "$(ls -A "$TRASH/td-th" 2>/dev/null)"
'

test_expect_success 'once the right bytes are back, the download succeeds' '
    for f in $(served th app-1.0.tar); do printf "bundle one\n" >"$f"; done &&
    expect_code 0 download th app-1.0.tar &&
    test "$(cat "$TRASH/td-th/app-1.0.tar")" = "bundle one"
'

test_done
