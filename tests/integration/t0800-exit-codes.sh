#!/bin/bash
# SPDX-License-Identifier: MIT
# One exit-code scheme for both programs (docs/exit-codes.md): every
# documented failure that slipway and slipway-repo can reach in this
# release, run for real, exits with its documented code. Codes 9-11 belong
# to update commands that are not in this release.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

# the number docs/exit-codes.md gives NAME, read from the document
doc_code() {
    sed -n "s/^| \([0-9]*\) | \`$1\` |.*/\1/p" "$SRCDIR/docs/exit-codes.md"
}

test_expect_success 'the document and the header agree on every number' '
    sed -n "s/^ *\(SW_EXIT_[A-Z_]*\) = \([0-9]*\),.*/\1 \2/p" "$SRCDIR/include/slipway/exit.h" >"$TRASH/h" &&
    test "$(wc -l <"$TRASH/h")" -eq 18 &&
    while read -r n c; do test "$(doc_code "$n")" = "$c" || { echo "$n"; exit 1; }; done <"$TRASH/h"
'

make_repo r >/dev/null 2>&1
nginx_start "$TRASH/www" >/dev/null

test_expect_success 'slipway 0: status' '
    expect_code "$(doc_code SW_EXIT_OK)" "$SLIPWAY" --state-dir "$TRASH/st0" status
'

test_expect_success 'slipway --help names every exit code of the header' '
    "$SLIPWAY" --help >"$TRASH/help" &&
    sed -n "/^Exit status:/,\$p" "$TRASH/help" | tr -c "0-9\n" "\n" | grep -E "^[0-9]+$" | sort -un >"$TRASH/hc" &&
    sed -n "s/^ *SW_EXIT_[A-Z_]* = \([0-9]*\),.*/\1/p" "$SRCDIR/include/slipway/exit.h" | sort -un >"$TRASH/xc" &&
    test -s "$TRASH/xc" && cmp "$TRASH/hc" "$TRASH/xc"
'

test_expect_success 'slipway 1: init with a root file that does not exist' '
    expect_code "$(doc_code SW_EXIT_FAILURE)" "$SLIPWAY" --state-dir "$TRASH/st1" init --root "$TRASH/none.json" &&
    contains "$TRASH/err" "none.json"
'

test_expect_success 'slipway 2: unknown command, unknown option, missing argument' '
    expect_code "$(doc_code SW_EXIT_USAGE)" "$SLIPWAY" frobnicate &&
    expect_code 2 "$SLIPWAY" --state-dir "$TRASH/st2" status --bogus &&
    expect_code 2 "$SLIPWAY" --state-dir "$TRASH/st2" init
'

test_expect_success 'slipway 3: a configuration that is missing or has an unknown key' '
    expect_code "$(doc_code SW_EXIT_CONFIG)" "$SLIPWAY" -c "$TRASH/none.conf" --state-dir "$TRASH/st3" status &&
    printf "[slipway]\nfrobnicate = 1\n" >"$TRASH/bad.conf" &&
    expect_code 3 "$SLIPWAY" -c "$TRASH/bad.conf" --state-dir "$TRASH/st3" status &&
    contains "$TRASH/err" "unknown key"
'

test_expect_success 'slipway 4: a state directory open to others' '
    mkdir -m 755 "$TRASH/st4" &&
    expect_code "$(doc_code SW_EXIT_STORE)" "$SLIPWAY" --state-dir "$TRASH/st4" status
'

test_expect_success 'slipway 17: a lock held by another slipway' '
    mkdir -m 700 "$TRASH/st4b" && "$SLIPWAY" --state-dir "$TRASH/st4b" status >/dev/null &&
    rc=0 && flock "$TRASH/st4b/lock" "$SLIPWAY" --state-dir "$TRASH/st4b" refresh \
        >"$TRASH/out" 2>"$TRASH/err" || rc=$? &&
    test "$rc" -eq "$(doc_code SW_EXIT_LOCKED)" && contains "$TRASH/err" "another slipway"
'

test_expect_success 'slipway 5: a root whose signature does not verify' '
    sed "s/\"version\": 1/\"version\": 2/; s/\"version\":1/\"version\":2/" \
        "$TRASH/www/r/metadata/1.root.json" >"$TRASH/forged-root.json" &&
    ! cmp -s "$TRASH/www/r/metadata/1.root.json" "$TRASH/forged-root.json" &&
    expect_code "$(doc_code SW_EXIT_TRUST)" "$SLIPWAY" --state-dir "$TRASH/st5" init --root "$TRASH/forged-root.json"
'

test_expect_success 'slipway 6: no mirror could deliver (a port nothing listens on)' '
    port=$(free_port) &&
    COMPATIBLE=dev trust_conf "$TRASH/dead.conf" "https://127.0.0.1:$port/r/" &&
    "$SLIPWAY" -c "$TRASH/dead.conf" --state-dir "$TRASH/st6" init --root "$TRASH/www/r/metadata/1.root.json" >/dev/null &&
    expect_code "$(doc_code SW_EXIT_FETCH)" "$SLIPWAY" -c "$TRASH/dead.conf" --state-dir "$TRASH/st6" refresh
'

test_expect_success 'slipway 0 after a refresh from the real mirror (the setting of 5 and 6 works)' '
    client_for r "$NGINX_URL" && expect_code 0 sw r refresh
'

test_expect_success 'slipway-repo 0, 1, 2: status, add of a missing file, usage' '
    expect_code "$(doc_code SW_EXIT_OK)" repo status "$TRASH/www/r" &&
    expect_code "$(doc_code SW_EXIT_FAILURE)" repo add "$TRASH/www/r" "$TRASH/none.tar" --version 2.0.0 --compatible dev &&
    expect_code "$(doc_code SW_EXIT_USAGE)" repo frobnicate
'

test_expect_success 'slipway-repo 5: verify finds an edited target file' '
    cp -r "$TRASH/www/r" "$TRASH/r5" && chmod -R u+w "$TRASH/r5" &&
    for f in "$TRASH"/r5/targets/*; do printf x >>"$f"; done &&
    expect_code "$(doc_code SW_EXIT_TRUST)" repo verify "$TRASH/r5"
'

test_expect_success 'slipway-repo 7: a secret key file of mode 0644 (slipway-repo(1) says 7, not 1)' '
    cp -r "$TRASH/keys-r" "$TRASH/k7" && chmod 644 "$TRASH/k7/timestamp-1.sec" &&
    expect_code "$(doc_code SW_EXIT_KEYS)" repo timestamp "$TRASH/www/r" --key-dir "$TRASH/k7" --passphrase-file "$PASS" &&
    contains "$TRASH/err" "chmod 600"
'

test_expect_success 'slipway-repo 7: a passphrase file of mode 0644, a wrong passphrase, keys inside the repository' '
    cp "$PASS" "$TRASH/pass644" && chmod 644 "$TRASH/pass644" &&
    expect_code 7 repo timestamp "$TRASH/www/r" --key-dir "$TRASH/keys-r" --passphrase-file "$TRASH/pass644" &&
    printf "wrong wrong wrong wrong\n" >"$TRASH/wrong" && chmod 600 "$TRASH/wrong" &&
    expect_code 7 repo timestamp "$TRASH/www/r" --key-dir "$TRASH/keys-r" --passphrase-file "$TRASH/wrong" &&
    expect_code 7 repo init "$TRASH/in" --key-dir "$TRASH/in/keys" --passphrase-file "$PASS"
'

test_expect_success 'slipway-repo 8: nothing published when a threshold is not met' '
    mkdir -m 700 "$TRASH/online" && cp "$TRASH"/keys-r/timestamp-1.* "$TRASH/online/" &&
    expect_code "$(doc_code SW_EXIT_UNSIGNED)" repo snapshot "$TRASH/www/r" --key-dir "$TRASH/online" --passphrase-file "$PASS"
'

test_done
