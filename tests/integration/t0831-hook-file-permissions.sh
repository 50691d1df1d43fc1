#!/bin/bash
# SPDX-License-Identifier: MIT
# The shipped hook pre-promote/10-file-permissions against fake slots:
# world-writable files and directories, a sticky /tmp-like directory (fine),
# setuid and setgid files allowed and not, exclude prefixes, names with
# newlines, spaces and a leading dash, and links to world-writable things
# outside the slot (never followed nor reported); another file system
# mounted inside the slot is not entered (when the test may mount).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hookrun.sh"

HOOK=$SRCDIR/contrib/hooks/pre-promote/10-file-permissions
S=$TRASH/s

# mkslot: a clean slot with the usual modes, a sticky tmp and a setuid passwd
mkslot() {
    rm -rf "$S"
    mkdir -p "$S/usr/bin" "$S/etc" "$S/tmp" "$S/var/tmp" "$S/srv/shared"
    printf '#!/bin/sh\n' >"$S/usr/bin/tool"
    chmod 0755 "$S/usr/bin/tool"
    printf 'x\n' >"$S/etc/conf"
    chmod 0644 "$S/etc/conf"
    chmod 0664 "$S/etc/conf" # group-writable is not world-writable
    chmod 1777 "$S/tmp" "$S/var/tmp"
    chmod 2775 "$S/srv/shared" # a setgid directory is not a setgid file
    printf 'passwd\n' >"$S/usr/bin/passwd"
    chmod 4755 "$S/usr/bin/passwd"
}

test_expect_success 'the hook is an executable POSIX sh script in git' '
    test -x "$HOOK" && test "$(head -n1 "$HOOK")" = "#!/bin/sh" && sh -n "$HOOK" &&
    if git -C "$SRCDIR" ls-files --error-unmatch "$HOOK" >/dev/null 2>&1; then
        git -C "$SRCDIR" ls-files -s "$HOOK" | grep -q "^100755 "
    fi
'

test_expect_success 'a clean slot passes: sticky world-writable dirs, setgid dir, allowed setuid' '
    mkslot &&
    before=$(tree_state "$S") &&
    expect_code 0 run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin/passwd usr/bin/su" &&
    test "$(finding_status "setuid usr/bin/passwd")" = pass &&
    test "$(finding_status file-permissions)" = pass &&
    test "$(count_status fail)" = 0 &&
    test "$(tree_state "$S")" = "$before"
'

test_expect_success 'unconfigured, the allow-list is empty: a setuid passwd fails' '
    mkslot &&
    expect_code 1 run_hook "$S" "" &&
    test "$(finding_status "setuid usr/bin/passwd")" = fail &&
    finding_detail "setuid usr/bin/passwd" | grep -F "mode 4755" &&
    test "$(count_status fail)" = 1
'

test_expect_success 'allow-list entries are exact slot-relative paths (a leading / is the slot root)' '
    mkslot &&
    expect_code 0 run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="/usr/bin/passwd/" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin/pass*" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin/passwd2"
'

test_expect_success 'bad modes: world-writable file and directory, setuid and setgid not allowed' '
    mkslot &&
    printf x >"$S/etc/open" && chmod 0646 "$S/etc/open" &&
    mkdir "$S/srv/drop" && chmod 0777 "$S/srv/drop" &&
    mkdir "$S/srv/drop2" && chmod 0703 "$S/srv/drop2" &&
    printf x >"$S/usr/bin/mount-helper" && chmod 4711 "$S/usr/bin/mount-helper" &&
    printf x >"$S/usr/bin/wall" && chmod 2755 "$S/usr/bin/wall" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin/passwd" &&
    test "$(finding_status "world-writable etc/open")" = fail &&
    finding_detail "world-writable etc/open" | grep -F "regular file" &&
    test "$(finding_status "world-writable srv/drop")" = fail &&
    finding_detail "world-writable srv/drop" | grep -F "sticky" &&
    test "$(finding_status "world-writable srv/drop2")" = fail &&
    test "$(finding_status "setuid usr/bin/mount-helper")" = fail &&
    test "$(finding_status "setgid usr/bin/wall")" = fail &&
    test "$(finding_status "setuid usr/bin/passwd")" = pass &&
    test "$(finding_status "world-writable tmp")" = "" &&
    test "$(count_status fail)" = 5 &&
    contains "$TRASH/err" "5 problem(s)" &&
    test "$(finding_status file-permissions)" = ""
'

test_expect_success 'a file both world-writable and setuid is reported for both' '
    mkslot &&
    printf x >"$S/usr/bin/both" && chmod 4777 "$S/usr/bin/both" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin/passwd" &&
    test "$(finding_status "world-writable usr/bin/both")" = fail &&
    test "$(finding_status "setuid usr/bin/both")" = fail
'

test_expect_success 'the slot root itself world-writable without sticky is reported as "."' '
    mkslot && chmod 0777 "$S" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin/passwd" &&
    test "$(finding_status "world-writable .")" = fail &&
    chmod 0755 "$S"
'

test_expect_success 'names with a newline, spaces and a leading dash are named intact' '
    mkslot &&
    nl="$S/etc/-rf bad
name" &&
    printf x >"$nl" && chmod 0666 "$nl" &&
    mkdir "$S/srv/a dir
--x" && chmod 0777 "$S/srv/a dir
--x" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin/passwd" &&
    test "$(findings_py "sorted(f[\"check\"] for f in F if f[\"status\"] == \"fail\")")" = \
        "$("$PYTHON" -c "import json; print(json.dumps(sorted([\"world-writable etc/-rf bad\\nname\", \"world-writable srv/a dir\\n--x\"])))")" &&
    ! grep -q "^name" "$TRASH/err" && ! grep -q "^--x" "$TRASH/err" &&
    contains "$TRASH/err" "\"etc/-rf bad\\nname\""
'

test_expect_success 'links to world-writable things outside the slot are not followed nor reported' '
    mkslot &&
    mkdir -p "$TRASH/outside/open" && chmod 0777 "$TRASH/outside/open" &&
    printf x >"$TRASH/outside/ww" && chmod 0666 "$TRASH/outside/ww" &&
    printf x >"$TRASH/outside/open/ww2" && chmod 0666 "$TRASH/outside/open/ww2" &&
    printf x >"$TRASH/outside/suid" && chmod 4755 "$TRASH/outside/suid" &&
    ln -s "$TRASH/outside/ww" "$S/etc/abs-link" &&
    ln -s ../../outside/ww "$S/etc/rel-link" &&
    ln -s "$TRASH/outside/open" "$S/srv/dir-link" &&
    ln -s "$TRASH/outside/suid" "$S/usr/bin/suid-link" &&
    ln -s "$TRASH/outside" "$S/outside" &&
    expect_code 0 run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin/passwd" &&
    test "$(findings_py "sorted(f[\"check\"] for f in F)")" = "[\"file-permissions\", \"setuid usr/bin/passwd\"]" &&
    lacks "$TRASH/err" "link" && lacks "$TRASH/err" "ww" &&
    test "$(count_status fail)" = 0
'

test_expect_success 'a slot directory given through a link is resolved, then walked' '
    mkslot && printf x >"$S/etc/open" && chmod 0666 "$S/etc/open" &&
    ln -s "$S" "$TRASH/slot-link" &&
    expect_code 1 run_hook "$TRASH/slot-link" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin/passwd" &&
    test "$(finding_status "world-writable etc/open")" = fail
'

test_expect_success 'exclude skips slot-relative prefixes, at a path boundary only' '
    mkslot &&
    mkdir -p "$S/opt/scratch/deep" "$S/opt/scratchy" &&
    printf x >"$S/opt/scratch/deep/ww" && chmod 0666 "$S/opt/scratch/deep/ww" &&
    printf x >"$S/opt/scratch/suid" && chmod 4755 "$S/opt/scratch/suid" &&
    printf x >"$S/opt/scratchy/ww" && chmod 0666 "$S/opt/scratchy/ww" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin/passwd" SLIPWAY_OPT_EXCLUDE="/opt/scratch/ var/log" &&
    test "$(finding_status "world-writable opt/scratchy/ww")" = fail &&
    test "$(finding_status "world-writable opt/scratch/deep/ww")" = "" &&
    test "$(finding_status "setuid opt/scratch/suid")" = "" &&
    test "$(count_status fail)" = 1 &&
    expect_code 0 run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin/passwd" SLIPWAY_OPT_EXCLUDE="opt"
'

# unprivileged (user = nobody): a directory it may not read makes the check
# incomplete, which is a failure, not a pass
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
    setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$HOOK"; then
    test_expect_success 'run as an unprivileged user, an unreadable directory fails the walk' '
        U=$(mktemp -d /tmp/slipway-t0831-nobody.XXXXXX) && at_exit "rm -rf $U" &&
        chmod 0755 "$U" && mkdir -p "$U/s/etc/private" "$U/s/usr" && chmod 0755 "$U/s" "$U/s/etc" &&
        chmod 0700 "$U/s/etc/private" &&
        printf x >"$U/s/usr/open" && chmod 0666 "$U/s/usr/open" &&
        rc=0 &&
        { (cd "$U/s" && exec env -i PATH=/usr/bin:/bin SLIPWAY_HOOK_LIB="$SRCDIR/contrib/hooks/hook-lib.sh" \
            SLIPWAY_SLOT_DIR="$U/s" SLIPWAY_RESULT_FD=3 \
            setpriv --reuid=65534 --regid=65534 --clear-groups "$HOOK" 3>"$TRASH/findings" \
            >"$TRASH/out" 2>"$TRASH/err") || rc=$?; } &&
        test "$rc" = 1 &&
        test "$(finding_status walk)" = fail &&
        test "$(finding_status "world-writable usr/open")" = fail &&
        contains "$TRASH/err" "could not walk the whole slot" &&
        chmod 0000 "$U/s/usr/open" && chmod 0755 "$U/s/etc/private" && rc=0 &&
        { (cd "$U/s" && exec env -i PATH=/usr/bin:/bin SLIPWAY_HOOK_LIB="$SRCDIR/contrib/hooks/hook-lib.sh" \
            SLIPWAY_SLOT_DIR="$U/s" SLIPWAY_RESULT_FD=3 \
            setpriv --reuid=65534 --regid=65534 --clear-groups "$HOOK" 3>"$TRASH/findings" \
            >"$TRASH/out" 2>"$TRASH/err") || rc=$?; } &&
        test "$rc" = 0
    '
else
    say "skipped the unprivileged walk test: needs root, setpriv, and the source tree readable by uid 65534"
fi

# -xdev: a file system mounted inside the slot is not entered
can_mount=no
if [ "$(id -u)" = 0 ] && mkdir -p "$TRASH/mnt-probe" &&
    mount -t tmpfs -o size=1M tmpfs "$TRASH/mnt-probe" 2>/dev/null; then
    umount "$TRASH/mnt-probe"
    can_mount=yes
    at_exit "umount '$TRASH/s/mnt'"
fi
if [ "$can_mount" = yes ]; then
    test_expect_success 'another file system mounted in the slot is not entered (-xdev)' '
        mkslot && mkdir "$S/mnt" &&
        mount -t tmpfs -o size=1M,mode=0755 tmpfs "$S/mnt" &&
        rc=0 &&
        printf x >"$S/mnt/ww" && chmod 0666 "$S/mnt/ww" &&
        printf x >"$S/etc/ww" && chmod 0666 "$S/etc/ww" &&
        { run_hook "$S" "" SLIPWAY_OPT_SETUID_ALLOW="usr/bin/passwd" >"$TRASH/out" 2>"$TRASH/err" || rc=$?; } &&
        umount "$S/mnt" && test "$rc" = 1 &&
        test "$(finding_status "world-writable etc/ww")" = fail &&
        test "$(finding_status "world-writable mnt/ww")" = ""
    '
else
    say "skipped the -xdev test: mounting a tmpfs needs root and a mount namespace that allows it"
fi

test_expect_success 'through the runner: slipway hooks run file-permissions --slot-dir' '
    mkslot && printf x >"$S/etc/open" && chmod 0666 "$S/etc/open" &&
    runner_conf "[hook \"file-permissions\"]
setuid-allow = usr/bin/passwd" &&
    expect_code 1 via_runner file-permissions --slot-dir "$S" &&
    test "$(json_get "$TRASH/out" "[\"status\"]")" = fail &&
    "$PYTHON" -c "import json,sys; r=json.load(open(sys.argv[1])); f={x[\"check\"]: x[\"status\"] for x in r[\"findings\"]}; assert f == {\"world-writable etc/open\": \"fail\", \"setuid usr/bin/passwd\": \"pass\"}, f" "$TRASH/out" &&
    rm "$S/etc/open" &&
    expect_code 0 via_runner 10-file-permissions --slot-dir "$S" &&
    test "$(json_get "$TRASH/out" "[\"status\"]")" = pass
'

test_done
