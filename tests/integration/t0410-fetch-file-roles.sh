#!/bin/bash
# SPDX-License-Identifier: MIT
# Delegated roles whose names hold '/' on a file:// mirror (removable
# media): slipway-repo keeps role "a/b" as metadata/N.a/b.json, which the
# client reads as a path below the mirror, one segment at a time without
# following links. A symbolic link in any segment is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

R=$TRASH/www/media
K=$TRASH/keys-media
make_repo media
repo keygen d1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null
repo delegate "$R" a/b --key d1 --paths "deep/*" --key-dir "$K" >/dev/null
printf 'deep one\n' >"$TRASH/deep.tar"
repo add "$R" "$TRASH/deep.tar" --name deep/x.tar --role a/b --version 1.0.0 --compatible dev \
    >/dev/null
publish media

# media N DIR: a client $TRASH/N.conf reading DIR by file://, DIR's root pinned
media() {
    client_conf "$TRASH/$1.conf" "$2" &&
        "$SLIPWAY" -c "$TRASH/$1.conf" --state-dir "$TRASH/st-$1" init \
            --root "$2/metadata/1.root.json" >/dev/null
}

# role_of FILE PATH: the role 'list --json --why' names for PATH, or "absent"
role_of() {
    "$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(next((t["role"] for t in d["targets"] if t["name"] == sys.argv[2]), "absent"))' "$1" "$2"
}

test_expect_success 'setup: the role a/b is the file metadata/1.a/b.json' '
    test -f "$R/metadata/1.a/b.json" && test ! -L "$R/metadata/1.a"
'

test_expect_success 'refresh and list find a target of role a/b on a file:// mirror' '
    media ok "$R" &&
    expect_code 0 sw ok refresh &&
    expect_code 0 sw ok list --json --why &&
    cp "$TRASH/out" "$TRASH/list.json" &&
    test "$(role_of "$TRASH/list.json" deep/x.tar)" = a/b &&
    test "$(role_of "$TRASH/list.json" app-1.0.tar)" = targets &&
    cmp "$TRASH/st-ok/metadata/a%2Fb.json" "$R/metadata/1.a/b.json"
'

test_expect_success 'a directory segment of the role file that is a symbolic link is refused' '
    cp -r "$R" "$TRASH/linked" &&
    mv "$TRASH/linked/metadata/1.a" "$TRASH/elsewhere" &&
    ln -s "$TRASH/elsewhere" "$TRASH/linked/metadata/1.a" &&
    media lk "$TRASH/linked" &&
    expect_code 6 sw lk refresh &&
    test ! -e "$TRASH/st-lk/metadata/a%2Fb.json" &&
    contains "$TRASH/err" "1.a" &&
    contains "$TRASH/err" "symbolic link" &&
    expect_code 0 sw lk list --json --why &&
    test "$(json_get "$TRASH/out" "[\"skipped_roles\"][0][\"role\"]")" = a/b
'

test_expect_success 'the role file itself as a symbolic link is refused' '
    cp -r "$R" "$TRASH/linked2" &&
    mv "$TRASH/linked2/metadata/1.a/b.json" "$TRASH/b.json" &&
    ln -s "$TRASH/b.json" "$TRASH/linked2/metadata/1.a/b.json" &&
    media lk2 "$TRASH/linked2" &&
    expect_code 6 sw lk2 refresh &&
    test ! -e "$TRASH/st-lk2/metadata/a%2Fb.json" &&
    contains "$TRASH/err" "b.json" &&
    contains "$TRASH/err" "symbolic link" &&
    expect_code 0 sw lk2 list --json --why &&
    test "$(json_get "$TRASH/out" "[\"skipped_roles\"][0][\"role\"]")" = a/b
'

test_done
