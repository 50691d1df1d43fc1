#!/bin/bash
# SPDX-License-Identifier: MIT
# The systemd units of contrib/systemd/: systemd-analyze verify passes on
# each (the slipway path substituted so verify finds the executable) with
# nothing to say, and does complain about a broken copy (so the check can
# fail); SuccessExitStatus= of the update services is exactly updated,
# staged and declined as include/slipway/exit.h numbers them; the timers
# are as documented; both services set GNUTLS_NO_IMPLICIT_INIT=1 (and the
# bench reads it from there). Under the journal (JOURNAL_STREAM naming
# stderr) a rollback logs at warning (<4>) and a refused signature at
# error (<3>).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-stage.sh"

UNITS=$SRCDIR/contrib/systemd
U=$TRASH/units
mkdir -p "$U"
for f in "$UNITS"/*.service "$UNITS"/*.timer; do
    sed "s|@BINDIR@|$BUILD|g" "$f" >"$U/$(basename "$f")"
done

test_expect_success 'make install puts the units in SYSTEMDDIR with the installed slipway path' '
    MAKEFLAGS= make -s -C "$SRCDIR" install DESTDIR="$TRASH/root" PREFIX=/usr >/dev/null &&
    d=$TRASH/root/usr/lib/systemd/system &&
    grep -qx "ExecStart=/usr/bin/slipway update \$SLIPWAY_UPDATE_ARGS" "$d/slipway-update.service" &&
    grep -qx "ExecStart=/usr/bin/slipway update --promote-only" "$d/slipway-promote.service" &&
    test "$(file_mode "$d/slipway-update.timer")" = 644 && test -f "$d/slipway-promote.timer"
'

# exit_value NAME: the number of SW_EXIT_NAME in exit.h
exit_value() {
    sed -n "s/^ *SW_EXIT_$1 = \([0-9]*\),.*/\1/p" "$SRCDIR/include/slipway/exit.h"
}
# unit_value FILE KEY: the value of KEY= in FILE (the last one)
unit_value() {
    sed -n "s/^$2=//p" "$1" | tail -n 1
}

test_expect_success 'the four units are there, and nothing is left to substitute' '
    for f in slipway-update.service slipway-update.timer slipway-promote.service \
        slipway-promote.timer; do test -f "$UNITS/$f" || { echo "missing $f"; exit 1; }; done &&
    grep -q "^ExecStart=@BINDIR@/slipway update" "$UNITS/slipway-update.service" &&
    ! grep -n "@[A-Z]*@" "$U"/*
'

if command -v systemd-analyze >/dev/null 2>&1; then
    verify() {
        SYSTEMD_UNIT_PATH="$U:" systemd-analyze verify --man=no "$@" >"$TRASH/verify.out" 2>&1
    }
    test_expect_success 'systemd-analyze verify: every unit, with nothing to say' '
        for f in "$U"/*.service "$U"/*.timer; do
            verify "$f" || { echo "$f:"; cat "$TRASH/verify.out"; exit 1; }
            if test -s "$TRASH/verify.out"; then echo "$f:"; cat "$TRASH/verify.out"; exit 1; fi
        done
    '
    test_expect_success 'systemd-analyze verify does catch a broken unit (the check can fail)' '
        mkdir bad && cp "$U"/* bad/ &&
        sed -i "s/^ProtectHome=yes/ProtectHme=yes/" bad/slipway-update.service &&
        SYSTEMD_UNIT_PATH="$TRASH/bad:" systemd-analyze verify --man=no bad/slipway-update.service >v.out 2>&1 || true &&
        contains v.out "ProtectHme" &&
        sed -i "s|^ExecStart=$BUILD/slipway|ExecStart=/nonexistent/slipway|" bad/slipway-promote.service &&
        ! SYSTEMD_UNIT_PATH="$TRASH/bad:" systemd-analyze verify --man=no bad/slipway-promote.service >v2.out 2>&1 &&
        contains v2.out "/nonexistent/slipway"
    '
    if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
        test_expect_success 'systemd-analyze security --offline: the exposure score (docs/operations.md)' '
            for s in slipway-update slipway-promote; do
                systemd-analyze security --offline=yes "$U/$s.service" >sec.out 2>&1 || true
                grep "Overall exposure level" sec.out || { cat sec.out; exit 1; }
            done
        '
    fi
else
    say "systemd-analyze is not installed: the units are not verified here"
fi

test_expect_success 'SuccessExitStatus= is updated, staged and declined from exit.h' '
    want="$(exit_value UPDATED) $(exit_value STAGED) $(exit_value DECLINED)" &&
    test "$want" = "14 15 16" &&
    for s in slipway-update slipway-promote; do
        got=$(unit_value "$UNITS/$s.service" SuccessExitStatus) &&
        test "$(echo $got | tr " " "\n" | sort -n | xargs)" = "$want" || { echo "$s: $got"; exit 1; }
    done
'

test_expect_success 'the services and timers say what docs/operations.md says' '
    test "$(unit_value "$UNITS/slipway-update.service" Type)" = oneshot &&
    test "$(unit_value "$UNITS/slipway-promote.service" ExecStart)" = "@BINDIR@/slipway update --promote-only" &&
    test "$(unit_value "$UNITS/slipway-update.timer" OnCalendar)" = hourly &&
    test "$(unit_value "$UNITS/slipway-update.timer" RandomizedDelaySec)" = 30min &&
    test "$(unit_value "$UNITS/slipway-update.timer" Persistent)" = yes &&
    test -n "$(unit_value "$UNITS/slipway-promote.timer" OnCalendar)" &&
    for s in slipway-update slipway-promote; do
        f=$UNITS/$s.service
        test "$(unit_value "$f" ProtectSystem)" = strict &&
        grep -q "^ReadWritePaths=/var/lib/slipway$" "$f" &&
        test "$(unit_value "$f" NoNewPrivileges)" = yes &&
        test "$(unit_value "$f" UMask)" = 0077 &&
        test "$(unit_value "$f" SystemCallFilter)" = @system-service &&
        test "$(unit_value "$f" RestrictAddressFamilies)" = "AF_UNIX AF_INET AF_INET6" || exit 1
    done
'

test_expect_success 'both services skip GnuTLS start-up (GNUTLS_NO_IMPLICIT_INIT=1), as the bench runs them' '
    for s in slipway-update slipway-promote; do
        test "$(unit_value "$UNITS/$s.service" Environment)" = GNUTLS_NO_IMPLICIT_INIT=1 ||
            { echo "$s: $(unit_value "$UNITS/$s.service" Environment)"; exit 1; }
    done &&
    grep -q "Environment=" "$SRCDIR/tests/bench/update.sh"
'

# journal JOURNAL_FILE CMD...: run CMD with stderr to FILE and JOURNAL_STREAM naming that file
journal() {
    local f=$1
    shift
    : >"$f"
    JOURNAL_STREAM="$(stat -c "%d:%i" "$f")" "$@" 2>>"$f"
}

stage_repo
publish_version 1.0.0
publish_version 2.0.0
c() {
    "$SLIPWAY" -c "$STCONF" --state-dir "$ST" "$@"
}

test_expect_success 'under the journal a rollback is a warning (<4>)' '
    c refresh >/dev/null && c stage app-1.0.0.tar >/dev/null && c promote >/dev/null &&
    c stage app-2.0.0.tar >/dev/null && c promote >/dev/null &&
    rc=0; journal j1 "$SLIPWAY" -c "$STCONF" --state-dir "$ST" rollback --reason drill >/dev/null || rc=$? &&
    test $rc = 0 && cat j1 &&
    grep -q "^<4>\[[0-9a-z-]*\] .*rolled back update .*version 2.0.0 left" j1 &&
    ! grep -q "^slipway:" j1
'

test_expect_success 'under the journal a refused signature is an error (<3>)' '
    publish_version 3.0.0 &&
    "$PYTHON" - "$STREPO/metadata/timestamp.json" <<"PY" &&
import json, sys
p = sys.argv[1]
md = json.load(open(p))
s = md["signatures"][0]["sig"]
md["signatures"][0]["sig"] = ("0" if s[0] != "0" else "1") + s[1:]
open(p, "w").write(json.dumps(md))
PY
    rc=0; journal j2 "$SLIPWAY" -c "$STCONF" --state-dir "$ST" refresh >/dev/null || rc=$? &&
    cat j2 && test $rc = "$(exit_value TRUST)" &&
    grep -q "^<3>error: .*timestamp.*signature" j2 &&
    ! grep -q "^slipway:" j2 &&
    : without JOURNAL_STREAM the same line is prefixed for a person &&
    rc=0; c refresh >/dev/null 2>j3 || rc=$? &&
    grep -q "^slipway: error: .*timestamp.*signature" j3
'

test_done
