#!/bin/bash
# SPDX-License-Identifier: MIT
# The client binary must contain no signing code (DESIGN: "the client
# binary contains no signing code"): everything that signs or unlocks a
# secret key lives in src/repo/ and must stay unreferenced from the client,
# so the linker leaves it out. Checked on the dynamic symbols the programs
# import; a test driver that does sign shows the check can fail.
. "$(dirname "$0")/lib.sh"

SIGNING="crypto_sign_detached crypto_sign_ed25519_detached crypto_pwhash EVP_DigestSign
EVP_DigestSignInit crypto_sign_keypair crypto_sign_ed25519_seed_keypair crypto_sign_seed_keypair
crypto_sign crypto_sign_ed25519 EVP_DigestSignUpdate EVP_DigestSignFinal EVP_PKEY_sign
EVP_PKEY_sign_init EVP_PKEY_keygen EVP_PKEY_Q_keygen crypto_pwhash_str
crypto_aead_xchacha20poly1305_ietf_encrypt crypto_aead_xchacha20poly1305_ietf_decrypt"

# imports BINARY: the undefined dynamic symbols, without version suffixes
imports() {
    nm -D --undefined-only "$1" | awk '{print $NF}' | sed 's/@.*//' | sort -u
}

# signing_imports BINARY: the imports of BINARY that are signing functions
signing_imports() {
    local list
    list=$(imports "$1") || return 1
    for s in $SIGNING; do
        if printf '%s\n' "$list" | grep -qx -- "$s"; then
            echo "$s"
        fi
    done
}

test_expect_success 'nm can read the programs' '
    command -v nm &&
    imports "$SLIPWAY" >"$TRASH/slipway.imports" &&
    contains "$TRASH/slipway.imports" sodium_init
'

test_expect_success 'the check finds signing code where there is some (the key test driver)' '
    signing_imports "$BUILD/tools/keyfile-tool" >"$TRASH/found" &&
    contains "$TRASH/found" crypto_sign_ed25519_detached &&
    contains "$TRASH/found" crypto_pwhash &&
    contains "$TRASH/found" EVP_DigestSign
'

test_expect_success 'build/slipway imports no signing function' '
    signing_imports "$SLIPWAY" >"$TRASH/found" &&
    if test -s "$TRASH/found"; then
        echo "signing functions in $SLIPWAY:"; cat "$TRASH/found"; false
    fi
'

test_expect_success 'the fault-injection build of slipway imports none either' '
    signing_imports "$SLIPWAY_T" >"$TRASH/found" &&
    if test -s "$TRASH/found"; then
        echo "signing functions in $SLIPWAY_T:"; cat "$TRASH/found"; false
    fi
'

test_expect_success 'no signing symbol is linked in statically either' '
    for sym in sw_keyfile_generate sw_keyfile_load_signer sw_signer_sign \
               sw_passphrase_read_tty sw_keysec_parse; do
        if nm "$SLIPWAY" 2>/dev/null | grep -qw -- "$sym"; then
            echo "$sym is in $SLIPWAY"; exit 1
        fi
    done &&
    nm "$BUILD/tools/keyfile-tool" | grep -qw sw_signer_sign
'

test_done
