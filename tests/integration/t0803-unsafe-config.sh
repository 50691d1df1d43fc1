#!/bin/bash
# SPDX-License-Identifier: MIT
# A configuration that another user could change is refused (exit 3): it
# decides which hosts and keys are trusted. The rule is the same for every
# user (root included), so it is tested here without root: the file and its
# directory must be owned by root or the user running slipway and not be
# writable by group or others; a sticky directory (/tmp) is accepted.
. "$(dirname "$0")/lib.sh"

mkdir -m 700 "$TRASH/etc"
printf '[slipway]\ncompatible = dev\n' >"$TRASH/etc/slipway.conf"
chmod 644 "$TRASH/etc/slipway.conf"
sw_conf() { "$SLIPWAY" -c "$1" --state-dir "$TRASH/st" status; }

test_expect_success 'a file of mode 0644 in a 0700 directory is used' '
    expect_code 0 sw_conf "$TRASH/etc/slipway.conf"
'

test_expect_success 'a group- or world-writable file is refused, with the chmod that fixes it' '
    rm -rf "$TRASH/st" &&
    for m in 664 646 666 620; do
        chmod "$m" "$TRASH/etc/slipway.conf" &&
        expect_code 3 sw_conf "$TRASH/etc/slipway.conf" &&
        contains "$TRASH/err" "refusing '"'"'$TRASH/etc/slipway.conf'"'"': its mode 0$m" &&
        contains "$TRASH/err" "which hosts and keys are trusted" &&
        contains "$TRASH/err" "chmod go-w $TRASH/etc/slipway.conf" || exit 1
    done &&
    test ! -e "$TRASH/st"
'

test_expect_success 'a file in a directory others can write is refused; a sticky one is not' '
    chmod 644 "$TRASH/etc/slipway.conf" && chmod 777 "$TRASH/etc" &&
    expect_code 3 sw_conf "$TRASH/etc/slipway.conf" &&
    contains "$TRASH/err" "its directory '"'"'$TRASH/etc'"'"' has mode 0777" &&
    contains "$TRASH/err" "chmod go-w $TRASH/etc" &&
    chmod 775 "$TRASH/etc" && expect_code 3 sw_conf "$TRASH/etc/slipway.conf" &&
    chmod 1777 "$TRASH/etc" && expect_code 0 sw_conf "$TRASH/etc/slipway.conf" &&
    chmod 700 "$TRASH/etc"
'

# as root, chown makes a file of another user; otherwise look for one
if [ "$(id -u)" = 0 ]; then
    cp "$TRASH/etc/slipway.conf" "$TRASH/etc/nobody.conf" && chown 65534 "$TRASH/etc/nobody.conf"
    mkdir -m 755 "$TRASH/nobody" && cp "$TRASH/etc/slipway.conf" "$TRASH/nobody/" && chown 65534 "$TRASH/nobody"
    OTHER=$TRASH/etc/nobody.conf
else
    OTHER=$(find /usr/share /var/lib /etc -maxdepth 3 -type f -readable ! -uid 0 ! -uid "$(id -u)" \
        -size -64k 2>/dev/null | head -n 1)
fi

test_expect_success 'a file owned by another user (not root) is refused' '
    if [ -z "$OTHER" ]; then say "no readable file of another user here: skipped"; exit 0; fi &&
    expect_code 3 sw_conf "$OTHER" &&
    contains "$TRASH/err" "is owned by uid $(stat -c %u "$OTHER"), not by root or uid $(id -u)"
'

test_expect_success 'a directory owned by another user (not root) is refused' '
    if [ ! -d "$TRASH/nobody" ]; then say "needs root to chown: skipped"; exit 0; fi &&
    expect_code 3 sw_conf "$TRASH/nobody/slipway.conf" &&
    contains "$TRASH/err" "its directory '"'"'$TRASH/nobody'"'"' is owned by uid 65534"
'

test_expect_success 'a root-owned file in a root-owned directory passes the check' '
    f=$(find /etc -maxdepth 1 -type f -readable -uid 0 ! -perm /022 -name "*.conf" | head -n 1) &&
    test -n "$f" &&
    { sw_conf "$f" >"$TRASH/out" 2>"$TRASH/err" || true; } && lacks "$TRASH/err" "refusing"
'

test_done
