#!/bin/bash
# SPDX-License-Identifier: MIT
# make install honours PREFIX and DESTDIR and puts each file in its FHS
# place; the installed program runs.
. "$(dirname "$0")/lib.sh"

test_expect_success 'make install DESTDIR=... PREFIX=/usr' '
    MAKEFLAGS= make -s -C "$SRCDIR" install DESTDIR="$TRASH/root" PREFIX=/usr >/dev/null &&
    test -x "$TRASH/root/usr/bin/slipway" &&
    test -x "$TRASH/root/usr/bin/slipway-repo" &&
    test -f "$TRASH/root/usr/share/man/man1/slipway.1" &&
    test -f "$TRASH/root/usr/share/man/man5/slipway.conf.5" &&
    test -f "$TRASH/root/etc/slipway/slipway.conf.example" &&
    test -f "$TRASH/root/usr/share/doc/slipway/README.md" &&
    test -d "$TRASH/root/usr/lib/slipway/hooks.d" &&
    test "$(file_mode "$TRASH/root/usr/bin/slipway")" = 755 &&
    test -f "$TRASH/root/usr/share/man/man7/slipway-hooks.7" &&
    cmp "$TRASH/root/usr/lib/slipway/hook-lib.sh" "$SRCDIR/contrib/hooks/hook-lib.sh" &&
    test "$(file_mode "$TRASH/root/usr/lib/slipway/hook-lib.sh")" = 644
'

test_expect_success 'the docs are installed under distinct names: README, key ceremony, docs/' '
    d=$TRASH/root/usr/share/doc/slipway &&
    cmp "$d/README.md" "$SRCDIR/README.md" &&
    cmp "$d/CHANGELOG.md" "$SRCDIR/CHANGELOG.md" &&
    cmp "$d/key-ceremony.md" "$SRCDIR/keys/README.md" &&
    for f in "$SRCDIR"/docs/*.md; do cmp "$d/docs/$(basename "$f")" "$f" || exit 1; done &&
    test -f "$d/docs/exit-codes.md" &&
    test -f "$TRASH/root/usr/share/man/man1/slipway-repo.1"
'

test_expect_success 'the installed binary runs' '
    expect_code 0 "$TRASH/root/usr/bin/slipway" --version &&
    expect_code 0 "$TRASH/root/usr/bin/slipway" --state-dir "$TRASH/st" status
'

test_expect_success 'the default PREFIX is /usr/local' '
    MAKEFLAGS= make -s -C "$SRCDIR" install DESTDIR="$TRASH/root2" >/dev/null &&
    test -x "$TRASH/root2/usr/local/bin/slipway" &&
    test -f "$TRASH/root2/usr/local/share/man/man1/slipway.1"
'

test_expect_success 'uninstall removes the programs and the docs' '
    MAKEFLAGS= make -s -C "$SRCDIR" uninstall DESTDIR="$TRASH/root" PREFIX=/usr >/dev/null &&
    test ! -e "$TRASH/root/usr/bin/slipway" &&
    test ! -e "$TRASH/root/usr/lib/slipway/hook-lib.sh" &&
    test ! -e "$TRASH/root/usr/share/man/man7/slipway-hooks.7" &&
    test ! -e "$TRASH/root/usr/share/doc/slipway"
'

test_done
