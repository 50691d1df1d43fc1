#!/bin/bash
# SPDX-License-Identifier: MIT
# Good bundles, built with Python's tarfile: the four compressions (plain,
# gzip, xz, zstd) and the GNU format extract to the same tree as GNU tar
# makes of the same bundle (modes, mtimes, symlinks, hard links; setuid kept
# only with keep-setid), ownership is not restored when unprivileged, and
# the checks against metadata come first: a wrong hash or length is refused
# with nothing written, and a bundle changed on disk after a successful
# check is refused by the extraction itself.
. "$(dirname "$0")/lib.sh"

TOOL=$BUILD/tools/bundle-tool
MK="$PYTHON $SRCDIR/tests/integration/mkbundle.py"

# slot/ and ref/ emptied (they hold a read-only directory)
fresh() {
    chmod -R u+w slot ref 2>/dev/null || true
    rm -rf slot ref && mkdir slot
}
at_exit "chmod -R u+w '$TRASH'"

sha() {
    sha256sum "$1" | cut -d' ' -f1
}

# the tree below DIR (the root itself left out: it is the slot backend's);
# no times of directories: GNU tar creates symlinks last, after it has set
# the times of their directories (checked on their own below)
listing() {
    (cd "$1" && find . -mindepth 1 \( -type d -printf '%P %y %m %u\n' \) -o \
        -printf '%P %y %m %T@ %l %n %u\n' | sort)
}

# extract_like_tar BUNDLE [OPTIONS]: ours and GNU tar's trees are the same
extract_like_tar() {
    local b=$1
    shift
    fresh && mkdir ref &&
        "$TOOL" "$b" slot --sha256 "$(sha "$b")" --reserve 0 "$@" >stats &&
        tar -C ref -xpf "$b" &&
        listing slot >ours && listing ref >theirs &&
        diff theirs ours
}

test_expect_success 'plain, gzip and xz bundles extract as GNU tar extracts them (setid kept)' '
    for c in "" gz xz; do
        $MK good "b.tar${c:+.$c}" "$c" &&
        extract_like_tar "b.tar${c:+.$c}" --keep-setid || exit 1
    done &&
    grep -q "\"entries\":12," stats
'
test_expect_success 'a zstd bundle and a GNU-format bundle extract as GNU tar extracts them' '
    $MK good b.tar && zstd -q -f b.tar -o b.tar.zst &&
    extract_like_tar b.tar.zst --keep-setid &&
    $MK good-gnu g.tar &&
    extract_like_tar g.tar --keep-setid
'
test_expect_success 'modes, mtimes, symlinks and hard links are kept' '
    $MK good b.tar &&
    fresh &&
    "$TOOL" b.tar slot --sha256 "$(sha b.tar)" --reserve 0 &&
    [ "$(stat -c %a slot/etc)" = 750 ] &&
    [ "$(stat -c %a slot/etc/ro)" = 555 ] &&
    [ "$(stat -c %a slot/etc/ro/key)" = 400 ] &&
    [ "$(cat slot/etc/ro/key)" = secret ] &&
    [ "$(stat -c %Y slot/etc/hostname)" = 1500000000 ] &&
    [ "$(stat -c %Y slot/etc)" = 1500000000 ] &&
    [ "$(readlink slot/etc/tool)" = ../bin/tool ] &&
    [ "$(readlink slot/bin/link)" = tool ] &&
    [ "$(stat -c %i slot/bin/hard)" = "$(stat -c %i slot/bin/tool)" ] &&
    [ "$(stat -c %h slot/bin/tool)" = 2 ] &&
    [ "$(slot/etc/tool)" = tool ]
'
test_expect_success 'setuid and setgid are stripped by default and kept with keep-setid' '
    $MK good b.tar &&
    fresh &&
    "$TOOL" b.tar slot --sha256 "$(sha b.tar)" --reserve 0 &&
    [ "$(stat -c %a slot/bin/su)" = 755 ] && [ "$(stat -c %a slot/bin/sg)" = 755 ] &&
    fresh &&
    "$TOOL" b.tar slot --sha256 "$(sha b.tar)" --reserve 0 --keep-setid &&
    [ "$(stat -c %a slot/bin/su)" = 4755 ] && [ "$(stat -c %a slot/bin/sg)" = 2755 ]
'
test_expect_success 'ownership is not restored when unprivileged' '
    $MK good b.tar &&
    fresh &&
    if [ "$(id -u)" = 0 ]; then
        chown 65534:65534 slot && chmod 755 "$TRASH" &&
        setpriv --reuid=65534 --regid=65534 --clear-groups \
            "$TOOL" b.tar slot --sha256 "$(sha b.tar)" --reserve 0 &&
        want=65534
    else
        "$TOOL" b.tar slot --sha256 "$(sha b.tar)" --reserve 0 && want=$(id -u)
    fi &&
    [ "$(stat -c %u slot/etc/hostname)" = "$want" ] &&
    [ "$(stat -c %u slot/etc)" = "$want" ] &&
    [ "$(stat -c %u slot/bin/link)" = "$want" ]
'
test_expect_success 'ownership is restored when root (skipped otherwise)' '
    if [ "$(id -u)" != 0 ]; then echo "skipped: not root"; exit 0; fi &&
    $MK good b.tar && fresh &&
    "$TOOL" b.tar slot --sha256 "$(sha b.tar)" --reserve 0 &&
    [ "$(stat -c %u:%g slot/etc/hostname)" = 4242:4243 ] &&
    fresh &&
    "$TOOL" b.tar slot --sha256 "$(sha b.tar)" --reserve 0 --no-restore-owner &&
    [ "$(stat -c %u slot/etc/hostname)" = 0 ]
'
test_expect_success 'a bundle whose bytes do not match its hash is refused before anything is written' '
    $MK good b.tar && fresh &&
    bad=$(sha b.tar | tr 0-9a-f 1-9a-f0) &&
    ! "$TOOL" b.tar slot --sha256 "$bad" --reserve 0 2>err &&
    grep -q "SW_E_HASH: .*sha256 mismatch" err &&
    [ -z "$(ls -A slot)" ] &&
    ! "$TOOL" b.tar slot --sha256 "$(sha b.tar)" --length 1 --reserve 0 2>err &&
    grep -q "SW_E_LENGTH" err && [ -z "$(ls -A slot)" ]
'
test_expect_success 'a bundle changed on disk between check and extraction is refused by the extraction' '
    $MK good b.tar && fresh &&
    good=$(sha b.tar) &&
    "$TOOL" --check b.tar --sha256 "$good" &&
    printf "X" | dd of=b.tar bs=1 seek=600 conv=notrunc 2>/dev/null &&
    ! "$TOOL" --check b.tar --sha256 "$good" 2>err &&
    ! "$TOOL" b.tar slot --sha256 "$good" --reserve 0 2>err &&
    grep -q "SW_E_HASH" err && [ -z "$(ls -A slot)" ]
'
test_expect_success 'the bundle itself may not be a symlink' '
    $MK good b.tar && ln -sf b.tar l.tar && fresh &&
    ! "$TOOL" l.tar slot --sha256 "$(sha b.tar)" --length "$(stat -c %s b.tar)" 2>err &&
    grep -q "is a symlink" err
'
test_expect_success 'free space: the bundle and the reserve must fit before anything is written' '
    $MK good b.tar && fresh &&
    ! "$TOOL" b.tar slot --sha256 "$(sha b.tar)" --reserve 1125899906842624 2>err &&
    grep -q "SW_E_NOSPACE: .*the \[stage\] reserve of 1125899906842624" err &&
    [ -z "$(ls -A slot)" ]
'
test_expect_success 'progress is reported up to the bundle length' '
    $MK good b.tar && fresh &&
    "$TOOL" b.tar slot --sha256 "$(sha b.tar)" --reserve 0 --progress 2>prog &&
    tail -n 1 prog | grep -qx "progress $(stat -c %s b.tar) $(stat -c %s b.tar)"
'
test_done
