#!/bin/bash
# SPDX-License-Identifier: MIT
# The hostile-bundle corpus, built here with Python's tarfile (not
# libarchive, not committed binaries): every escape and every cap is
# refused by the bundle module (bundle-tool) with its message, and nothing
# beside the slot is written or changed: a sentinel directory next to it
# keeps its one file, the whole test directory outside the slot is the same
# before and after, and /etc/x never appears.
. "$(dirname "$0")/lib.sh"

TOOL=$BUILD/tools/bundle-tool
MK="$PYTHON $SRCDIR/tests/integration/mkbundle.py"

# snapshot: every path outside the slot with its size, mtime and mode
snapshot() {
    find "$TRASH" -path "$TRASH/slot" -prune -o -path "$TRASH/.test-*" -prune -o \
        -path "$TRASH/snap" -prune -o -printf '%p %y %s %T@ %m\n' | sort
    stat -c '%n %s %Y' /etc/passwd
    [ ! -e /etc/x ] || echo "/etc/x exists"
}

# refused CASE 'MESSAGE' [ARG] [TOOL OPTIONS...]: built, refused with the message, nothing outside changed
refused() {
    local case=$1 want=$2 arg=${3:-}
    shift 3 || shift $#
    rm -rf "$TRASH/slot" "$TRASH/b.tar"
    mkdir "$TRASH/slot"
    $MK "$case" "$TRASH/b.tar" "$arg"
    local sha
    sha=$(sha256sum "$TRASH/b.tar" | cut -d' ' -f1)
    snapshot >"$TRASH/snap/before"
    if "$TOOL" "$TRASH/b.tar" "$TRASH/slot" --sha256 "$sha" --reserve 0 "$@" >"$TRASH/snap/out" 2>&1; then
        echo "accepted a hostile bundle ($case)"
        return 1
    fi
    cat "$TRASH/snap/out"
    grep -qF -- "$want" "$TRASH/snap/out" || { echo "message lacks: $want"; return 1; }
    snapshot >"$TRASH/snap/after"
    diff "$TRASH/snap/before" "$TRASH/snap/after" || { echo "something outside the slot changed"; return 1; }
    [ "$(cat "$TRASH/sentinel/passwd")" = "root:x:0:0" ]
    [ "$(ls -A "$TRASH/sentinel")" = passwd ]
}

mkdir -p "$TRASH/sentinel" "$TRASH/snap"
echo "root:x:0:0" >"$TRASH/sentinel/passwd"
[ ! -e /etc/x ] || { echo "Bail out! /etc/x exists before the test"; exit 1; }

test_expect_success '../x is refused' '
    refused dotdot "entry '\''../x'\'': path holds a '\''..'\'' component"
'
test_expect_success '/etc/x is refused' '
    refused absolute "entry '\''/etc/x'\'': path is absolute"
'
test_expect_success 'a symlink, then a file written through it, is refused' '
    refused symlink-then-file "entry '\''l/x'\'': a write through a symlink ('\''l'\'' is a symlink)"
'
test_expect_success 'a symlink to a directory outside (absolute), then a file under it, is refused' '
    refused symlink-outside "entry '\''out'\'': symlink target is absolute" "$TRASH/sentinel"
'
test_expect_success 'a symlink to a directory outside (relative), then a file under it, is refused' '
    refused symlink-outside-rel "entry '\''out'\'': symlink target climbs out of the tree ('\''../sentinel'\'')"
'
test_expect_success 'a symlink replaced by a later entry is refused' '
    refused symlink-replaced "entry '\''l'\'': path already exists in the bundle"
'
test_expect_success 'a symlink loop, then a file under it, is refused' '
    refused symlink-loop "entry '\''loop1/x'\'': a write through a symlink ('\''loop1'\'' is a symlink)"
'
test_expect_success 'a hard link to /etc/passwd is refused' '
    refused hardlink-passwd "entry '\''pw'\'': hard link to '\''/etc/passwd'\'' outside the tree (path is absolute)"
'
test_expect_success 'a hard link to a file beside the slot is refused' '
    refused hardlink-outside-rel "entry '\''pw'\'': hard link to '\''../sentinel/passwd'\'' outside the tree"
'
test_expect_success 'a device node is refused' '
    refused device "entry '\''null'\'': device node refused (set [stage] allow-devices = yes; root only)"
'
test_expect_success 'a FIFO is refused' '
    refused fifo "entry '\''p'\'': FIFO refused (set [stage] allow-fifos = yes)"
'
test_expect_success '10 000 tiny entries past a cap of 5 000 are refused' '
    refused many "entry '\''f05000'\'': the bundle holds more than 5000 entries (raise [stage] max-entries)" "" --max-entries 5000
'
test_expect_success 'a small archive that inflates past the size cap is refused' '
    refused inflate "entry '\''zeros'\'': the bundle holds more than 16777216 bytes of file data (raise [stage] max-bytes)" "" --max-bytes 16777216 &&
    [ "$(stat -c %s "$TRASH/b.tar")" -lt 1048576 ] &&
    refused inflate "entry '\''zeros'\'': file is larger than 1048576 bytes (raise [stage] max-entry-bytes)" "" --max-entry-bytes 1048576
'
test_expect_success 'a non-UTF-8 name is refused' '
    refused non-utf8 "entry '\''caf\xe9'\'': name is not valid UTF-8"
'
test_expect_success 'a non-UTF-8 pax name is refused (marked binary, or claiming UTF-8)' '
    refused non-utf8-pax "entry '\''caf\xe9'\'': name is not valid UTF-8" &&
    refused non-utf8-pax-raw "entry '\''caf\xe9'\'': libarchive: Pathname can'\''t be converted from UTF-8"
'
test_expect_success 'a truncated archive is refused (plain and gzip)' '
    refused truncated "is damaged or truncated" &&
    refused truncated-gz "is damaged or truncated"
'
test_expect_success 'an archive of the wrong format (zip) is refused' '
    refused zip "is not a tar archive (plain, gzip, xz or zstd)"
'
test_expect_success 'a setuid and a setgid file are extracted with the bits stripped' '
    rm -rf slot && mkdir slot &&
    $MK setuid b.tar &&
    "$TOOL" b.tar slot --sha256 "$(sha256sum b.tar | cut -d" " -f1)" --reserve 0 &&
    [ "$(stat -c %a slot/su)" = 755 ] && [ "$(stat -c %a slot/sg)" = 711 ]
'
test_expect_success 'nothing was ever written to /etc/x' '
    [ ! -e /etc/x ]
'
test_done
