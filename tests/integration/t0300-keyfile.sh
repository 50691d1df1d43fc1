#!/bin/bash
# SPDX-License-Identifier: MIT
# The publisher's key files, driven through the test driver keyfile-tool
# (tests/tools/keyfile-tool.c): keys made and used by slipway's code are
# checked by independent implementations (Python's nacl, cryptography and
# securesystemslib); damaged, exposed, overwritten or weakly protected keys
# are refused; passphrases are typed on a real pseudo-terminal (with ^C and
# ^Z) and never shown.
. "$(dirname "$0")/lib.sh"

TOOL=$BUILD/tools/keyfile-tool
PTY="$PYTHON $SRCDIR/tests/integration/ptydrive.py"
KEYS=$TRASH/keys
PASS="tundra violet quarry 1987 umbrella"

printf '%s\n' "$PASS" >"$TRASH/pass"
chmod 600 "$TRASH/pass"
printf '{"signed":{"_type":"root","version":1}}' >"$TRASH/msg"

# verify.py PUBFILE SIGHEX MSGFILE: independent verification, and the
# verifier must also refuse a changed message (so it can say no)
cat >"$TRASH/verify.py" <<'EOF'
import hashlib, json, sys
from securesystemslib.signer import SSlibKey, Signature
pub_text = open(sys.argv[1]).read()
key = json.loads(pub_text)
sig = bytes.fromhex(sys.argv[2])
msg = open(sys.argv[3], "rb").read()
kv = key["keyval"]["public"]
if key["keytype"] == "ed25519":
    from nacl.signing import VerifyKey
    from nacl.exceptions import BadSignatureError
    assert key == {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": kv}}
    assert len(kv) == 64 and kv == kv.lower() and len(sig) == 64
    vk = VerifyKey(bytes.fromhex(kv))
    vk.verify(msg, sig)
    try:
        vk.verify(msg + b" ", sig)
        sys.exit("nacl accepted a changed message")
    except BadSignatureError:
        pass
else:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    assert key == {"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": kv}}
    pk = serialization.load_pem_public_key(kv.encode())
    assert isinstance(pk.curve, ec.SECP256R1)
    # the PEM is exactly what the standard SubjectPublicKeyInfo encoding gives
    assert pk.public_bytes(serialization.Encoding.PEM,
                           serialization.PublicFormat.SubjectPublicKeyInfo).decode() == kv
    pk.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
    try:
        pk.verify(sig, msg + b" ", ec.ECDSA(hashes.SHA256()))
        sys.exit("cryptography accepted a changed message")
    except InvalidSignature:
        pass
# the TUF implementation takes the object as a key and the signature as valid
assert pub_text == json.dumps(key, separators=(",", ":")) + "\n"
keyid = hashlib.sha256(json.dumps(key, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
SSlibKey.from_dict(keyid, dict(key)).verify_signature(Signature(keyid, sys.argv[2]), msg)
print("verified")
EOF

# flip.py FILE OFFSET: flip the lowest bit of one byte (negative: from the end)
cat >"$TRASH/flip.py" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[2])] ^= 1
open(sys.argv[1], "wb").write(bytes(b))
EOF

test_expect_success 'an ed25519 key is made with private modes' '
    expect_code 0 "$TOOL" generate "$KEYS" root --passphrase-file "$TRASH/pass" &&
    test "$(file_mode "$KEYS")" = 700 &&
    test "$(file_mode "$KEYS/root.sec")" = 600 &&
    test "$(file_mode "$KEYS/root.pub")" = 600 &&
    test "$(json_get "$TRASH/out" "[\"keytype\"]")" = ed25519 &&
    "$PYTHON" -c "import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))" \
        "$TRASH/out" "$KEYS/root.pub"
'

test_expect_success 'its signature verifies with nacl and securesystemslib' '
    expect_code 0 "$TOOL" sign "$KEYS" root --passphrase-file "$TRASH/pass" "$TRASH/msg" &&
    sig=$(cat "$TRASH/out") &&
    "$PYTHON" "$TRASH/verify.py" "$KEYS/root.pub" "$sig" "$TRASH/msg"
'

test_expect_success 'an ECDSA P-256 key signs what cryptography and securesystemslib verify' '
    expect_code 0 "$TOOL" generate "$KEYS" targets --type ecdsa --passphrase-file "$TRASH/pass" &&
    test "$(file_mode "$KEYS/targets.sec")" = 600 &&
    test "$(json_get "$KEYS/targets.pub" "[\"scheme\"]")" = ecdsa-sha2-nistp256 &&
    expect_code 0 "$TOOL" sign "$KEYS" targets --passphrase-file "$TRASH/pass" "$TRASH/msg" &&
    sig=$(cat "$TRASH/out") &&
    "$PYTHON" "$TRASH/verify.py" "$KEYS/targets.pub" "$sig" "$TRASH/msg" &&
    : >"$TRASH/empty" &&
    expect_code 0 "$TOOL" sign "$KEYS" targets --passphrase-file "$TRASH/pass" "$TRASH/empty" &&
    "$PYTHON" "$TRASH/verify.py" "$KEYS/targets.pub" "$(cat "$TRASH/out")" "$TRASH/empty"
'

test_expect_success 'the public key reads back as the same object' '
    expect_code 0 "$TOOL" public "$KEYS" targets &&
    "$PYTHON" -c "import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))" \
        "$TRASH/out" "$KEYS/targets.pub"
'

test_expect_success 'a wrong passphrase is refused naming the file' '
    printf "tundra violet quarry 1988 umbrella\n" >"$TRASH/wrong" && chmod 600 "$TRASH/wrong" &&
    expect_code 1 "$TOOL" sign "$KEYS" root --passphrase-file "$TRASH/wrong" "$TRASH/msg" &&
    contains "$TRASH/err" "cannot decrypt '"'"'$KEYS/root.sec'"'"': wrong passphrase or damaged file" &&
    contains "$TRASH/err" SW_E_PASSPHRASE &&
    test ! -s "$TRASH/out"
'

test_expect_success 'a flipped bit anywhere in the secret key file is refused' '
    for off in 0 8 9 10 11 12 19 27 28 43 44 67 70 71 72 100 -17 -16 -1; do
        cp "$KEYS/root.sec" "$TRASH/bad.sec" &&
        "$PYTHON" "$TRASH/flip.py" "$TRASH/bad.sec" "$off" &&
        mkdir -p "$TRASH/bad$off" && chmod 700 "$TRASH/bad$off" &&
        cp "$TRASH/bad.sec" "$TRASH/bad$off/root.sec" && chmod 600 "$TRASH/bad$off/root.sec" &&
        expect_code 1 "$TOOL" sign "$TRASH/bad$off" root --passphrase-file "$TRASH/pass" "$TRASH/msg" &&
        contains "$TRASH/err" "$TRASH/bad$off/root.sec" &&
        test ! -s "$TRASH/out" || { echo "offset $off was not refused"; exit 1; }
    done
'

test_expect_success 'a truncated secret key file is refused' '
    mkdir -m 700 "$TRASH/trunc" &&
    head -c 60 "$KEYS/root.sec" >"$TRASH/trunc/root.sec" && chmod 600 "$TRASH/trunc/root.sec" &&
    expect_code 1 "$TOOL" sign "$TRASH/trunc" root --passphrase-file "$TRASH/pass" "$TRASH/msg" &&
    contains "$TRASH/err" "'"'"'$TRASH/trunc/root.sec'"'"' is truncated" &&
    head -c 100 "$KEYS/root.sec" >"$TRASH/trunc/root.sec" &&
    expect_code 1 "$TOOL" sign "$TRASH/trunc" root --passphrase-file "$TRASH/pass" "$TRASH/msg" &&
    contains "$TRASH/err" "truncated"
'

test_expect_success 'an existing key is never overwritten' '
    cp "$KEYS/root.sec" "$TRASH/root.sec.before" &&
    cp "$KEYS/root.pub" "$TRASH/root.pub.before" &&
    expect_code 1 "$TOOL" generate "$KEYS" root --passphrase-file "$TRASH/pass" &&
    contains "$TRASH/err" "already exists" &&
    contains "$TRASH/err" SW_E_EXISTS &&
    cmp "$KEYS/root.sec" "$TRASH/root.sec.before" &&
    cmp "$KEYS/root.pub" "$TRASH/root.pub.before" &&
    expect_code 1 "$TOOL" generate "$KEYS" root --type ecdsa --passphrase-file "$TRASH/pass" &&
    cmp "$KEYS/root.sec" "$TRASH/root.sec.before"
'

test_expect_success 'a secret key readable by others is refused with the fix' '
    chmod 640 "$KEYS/root.sec" &&
    expect_code 1 "$TOOL" sign "$KEYS" root --passphrase-file "$TRASH/pass" "$TRASH/msg" &&
    contains "$TRASH/err" "run '"'"'chmod 600 $KEYS/root.sec'"'"'" &&
    contains "$TRASH/err" SW_E_KEYFILE &&
    chmod 604 "$KEYS/root.sec" &&
    expect_code 1 "$TOOL" sign "$KEYS" root --passphrase-file "$TRASH/pass" "$TRASH/msg" &&
    chmod 600 "$KEYS/root.sec" &&
    expect_code 0 "$TOOL" sign "$KEYS" root --passphrase-file "$TRASH/pass" "$TRASH/msg"
'

test_expect_success 'a passphrase file readable by others is refused' '
    cp "$TRASH/pass" "$TRASH/open-pass" && chmod 644 "$TRASH/open-pass" &&
    expect_code 1 "$TOOL" sign "$KEYS" root --passphrase-file "$TRASH/open-pass" "$TRASH/msg" &&
    contains "$TRASH/err" "run '"'"'chmod 600 $TRASH/open-pass'"'"'"
'

test_expect_success 'weak passphrases are refused with the reason, and nothing is made' '
    for weak in "short one" "password1234" "Correct Horse Battery Staple" "iloveyou1234" \
                "qwertyuiop123" "123456789012345"; do
        printf "%s\n" "$weak" >"$TRASH/weak" && chmod 600 "$TRASH/weak" &&
        expect_code 1 "$TOOL" generate "$KEYS" weak --passphrase-file "$TRASH/weak" &&
        contains "$TRASH/err" "passphrase refused: " &&
        contains "$TRASH/err" SW_E_WEAK_PASSPHRASE || { echo "accepted: $weak"; exit 1; }
    done &&
    printf "short one\n" >"$TRASH/weak" &&
    expect_code 1 "$TOOL" generate "$KEYS" weak --passphrase-file "$TRASH/weak" &&
    contains "$TRASH/err" "at least 12 are needed" &&
    printf "password1234\n" >"$TRASH/weak" &&
    expect_code 1 "$TOOL" generate "$KEYS" weak --passphrase-file "$TRASH/weak" &&
    contains "$TRASH/err" "common password" &&
    test ! -e "$KEYS/weak.sec" && test ! -e "$KEYS/weak.pub"
'

test_expect_success 'on a terminal: asked twice without echo, and the key works' '
    $PTY "[[\"expect\",\"Passphrase: \"],[\"echo\",false],[\"send\",\"$PASS\\n\"],
           [\"expect\",\"Passphrase (again): \"],[\"echo\",false],[\"send\",\"$PASS\\n\"],
           [\"exit\",0],[\"echo\",true],[\"absent\",\"tundra\"]]" \
        -- "$TOOL" generate "$KEYS" typed &&
    test "$(file_mode "$KEYS/typed.sec")" = 600 &&
    expect_code 0 "$TOOL" sign "$KEYS" typed --passphrase-file "$TRASH/pass" "$TRASH/msg" &&
    "$PYTHON" "$TRASH/verify.py" "$KEYS/typed.pub" "$(cat "$TRASH/out")" "$TRASH/msg"
'

test_expect_success 'on a terminal: two different answers make nothing' '
    $PTY "[[\"expect\",\"Passphrase: \"],[\"send\",\"$PASS\\n\"],
           [\"expect\",\"Passphrase (again): \"],[\"send\",\"$PASS!\\n\"],
           [\"expect\",\"do not match\"],[\"exit\",1],[\"absent\",\"tundra\"]]" \
        -- "$TOOL" generate "$KEYS" typo &&
    test ! -e "$KEYS/typo.sec" && test ! -e "$KEYS/typo.pub"
'

test_expect_success 'on a terminal: ^C kills it and echo is back' '
    $PTY "[[\"expect\",\"Passphrase: \"],[\"echo\",false],[\"send\",\"half typed\"],
           [\"send\",\"\\u0003\"],[\"killed\",\"SIGINT\"],[\"echo\",true],[\"absent\",\"half\"]]" \
        -- "$TOOL" ask "$TRASH/answer" &&
    test ! -e "$TRASH/answer"
'

test_expect_success 'on a terminal: ^Z stops it with echo back, and it asks again after' '
    $PTY "[[\"expect\",\"Passphrase: \"],[\"echo\",false],[\"send\",\"\\u001a\"],
           [\"stopped\"],[\"echo\",true],[\"cont\"],
           [\"expect\",\"Passphrase: \"],[\"echo\",false],[\"send\",\"after the stop\\n\"],
           [\"exit\",0],[\"echo\",true]]" \
        -- "$TOOL" ask "$TRASH/answer" &&
    want=$(printf "after the stop" | sha256sum | cut -d" " -f1) &&
    test "$(cat "$TRASH/answer")" = "14 $want"
'

test_expect_success 'without a terminal the message names --passphrase-file' '
    expect_code 1 setsid -w "$TOOL" sign "$KEYS" root "$TRASH/msg" </dev/null &&
    contains "$TRASH/err" "--passphrase-file"
'

test_done
