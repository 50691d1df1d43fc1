#!/bin/bash
# SPDX-License-Identifier: MIT
# Root rotation as the client sees it: chained versions 1 -> 2 -> 3 with
# threshold changes, links that are broken (old threshold missing, a wrong
# version inside, a gap), and a final root that has expired.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

keygen() {
    repo keygen "$2" --key-dir "$TRASH/keys-$1" --passphrase-file "$PASS" >/dev/null
}

rotate() {
    local n=$1
    shift
    repo rotate-root "$TRASH/www/$n" --key-dir "$TRASH/keys-$n" --passphrase-file "$PASS" "$@" \
        >/dev/null
}

make_repo rot
make_repo brk
make_repo gap
make_repo old
nginx_start "$TRASH/www"
for n in rot brk gap old; do client_for $n "$NGINX_URL"; sw $n refresh >/dev/null; done

test_expect_success '1 -> 2 -> 3: 1-of-1, then 2-of-3, then a key replaced' '
    keygen rot root-2 && keygen rot root-3 && keygen rot root-4 &&
    rotate rot --add-key root-2 --add-key root-3 --threshold 2 && publish rot &&
    rotate rot --remove-key root-1 --add-key root-4 && publish rot &&
    test -f "$TRASH/www/rot/metadata/3.root.json" &&
    test "$(json_get "$TRASH/www/rot/metadata/3.root.json" "[\"signed\"][\"roles\"][\"root\"][\"threshold\"]")" = 2 &&
    expect_code 0 sw rot refresh &&
    contains "$TRASH/out" "root       version 1 -> 3" &&
    cmp "$TRASH/st-rot/metadata/root.json" "$TRASH/www/rot/metadata/3.root.json" &&
    expect_code 0 sw rot status --json &&
    test "$(json_get "$TRASH/out" "[\"trusted_metadata\"][0][\"version\"]")" = 3
'

test_expect_success 'a new root without the old root threshold is refused; the client stays at 2' '
    keygen brk root-2 &&
    rotate brk --add-key root-2 --threshold 2 && publish brk &&
    rotate brk --remove-key root-1 --threshold 1 && publish brk &&
    forge_resign brk 3.root.json --key root-2 &&
    expect_code 5 sw brk refresh &&
    contains "$TRASH/err" "root version 3 against the trusted root" &&
    contains "$TRASH/err" "1 of 2 required signatures" &&
    cmp "$TRASH/st-brk/metadata/root.json" "$TRASH/www/brk/metadata/2.root.json"
'

test_expect_success 'N.root.json holding another version is refused' '
    forge_resign brk 3.root.json --key root-1 --key root-2 --set version=4 &&
    expect_code 5 sw brk refresh &&
    contains "$TRASH/err" "3.root.json holds version 4" &&
    cmp "$TRASH/st-brk/metadata/root.json" "$TRASH/www/brk/metadata/2.root.json"
'

test_expect_success 'a gap in the chain means no newer root: version 3 is never used without 2' '
    keygen gap root-2 &&
    rotate gap --add-key root-2 && publish gap &&
    rotate gap --threshold 2 && publish gap &&
    mv "$TRASH/www/gap/metadata/2.root.json" "$TRASH/gap-2.root.json" &&
    expect_code 0 sw gap refresh &&
    cmp "$TRASH/st-gap/metadata/root.json" "$TRASH/www/gap/metadata/1.root.json" &&
    mv "$TRASH/gap-2.root.json" "$TRASH/www/gap/metadata/2.root.json" &&
    expect_code 0 sw gap refresh &&
    cmp "$TRASH/st-gap/metadata/root.json" "$TRASH/www/gap/metadata/3.root.json"
'

test_expect_success 'a final root that has expired stops the refresh (freeze attack)' '
    rotate old --expires-at root=2020-01-01T00:00:00Z 2>/dev/null &&
    publish old 2>/dev/null &&
    expect_code 5 sw old refresh &&
    contains "$TRASH/err" "role '"'"'root'"'"': expired at 2020-01-01T00:00:00Z" &&
    test "$(trusted old timestamp)" = 2
'

test_done
