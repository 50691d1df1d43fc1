#!/bin/bash
# SPDX-License-Identifier: MIT
# The shipped hook pre-promote/20-openssl-version against fake slots: a
# libcrypto and an openssl "binary" carrying version strings amid junk
# bytes; pass, below min-version, Heartbleed and other listed releases
# (letter releases and 3.0.x order at the boundaries), several versions in
# one slot, a downgrade against the active slot and allow-downgrade, an extra
# vulnerable-list file, no OpenSSL (skip), and symbolic links that point
# out of the slot (to the host's own libcrypto): never followed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hookrun.sh"

HOOK=$SRCDIR/contrib/hooks/pre-promote/20-openssl-version
LIBDIR=usr/lib/x86_64-linux-gnu
LIB=$LIBDIR/libcrypto.so.3

# put_version FILE VERSION: a file of junk bytes carrying the version text
# as OpenSSL writes it ("OpenSSL 3.0.13 30 Jan 2024"), as a library or
# program does, with a NUL after it
put_version() {
    mkdir -p "$(dirname "$1")"
    {
        printf '\177ELF\002\001\001\000junk\000\001\002'
        head -c 3000 /dev/urandom | tr -d 'O'
        printf '\000OpenSSL %s 30 Jan 2024\000%s\000' "$2" "$2"
        head -c 2000 /dev/urandom | tr -d 'O'
    } >"$1"
}

# mkslot DIR VERSION: a slot with libcrypto.so.3 of VERSION (and the usual
# libcrypto.so link to it) and a merged-/usr /lib link
mkslot() {
    rm -rf "$1"
    mkdir -p "$1/etc"
    put_version "$1/$LIB" "$2"
    ln -s libcrypto.so.3 "$1/$LIBDIR/libcrypto.so"
    ln -s usr/lib "$1/lib"
}

test_expect_success 'slipway_version_ge: letter releases and 3.x numbers in version order' '
    . "$SRCDIR/contrib/hooks/hook-lib.sh" &&
    slipway_version_ge 1.0.1g 1.0.1f && ! slipway_version_ge 1.0.1f 1.0.1g &&
    slipway_version_ge 1.0.1a 1.0.1 && ! slipway_version_ge 1.0.1 1.0.1a &&
    slipway_version_ge 3.0.10 3.0.9 && ! slipway_version_ge 3.0.9 3.0.10 &&
    slipway_version_ge 0.9.8za 0.9.8z && ! slipway_version_ge 0.9.8z 0.9.8za &&
    slipway_version_ge 1.0.2 1.0.1zz && ! slipway_version_ge 1.0.1u 1.0.2 &&
    slipway_version_ge 1.0.2zc 1.0.2z && slipway_version_ge 3.0.13 3.0.13 &&
    slipway_version_ge 3.1.0 3.0.19 && ! slipway_version_ge 1.1.1w 3.0.0
'

test_expect_success 'the hook is an executable POSIX sh script in git' '
    test -x "$HOOK" &&
    test "$(head -n1 "$HOOK")" = "#!/bin/sh" &&
    if git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1 &&
        git -C "$SRCDIR" ls-files --error-unmatch "$HOOK" >/dev/null 2>&1; then
        git -C "$SRCDIR" ls-files -s "$HOOK" | grep -q "^100755 "
    fi &&
    sh -n "$HOOK"
'

test_expect_success 'a good release passes, one finding per file (library and program)' '
    mkslot "$TRASH/s" 3.0.13 &&
    put_version "$TRASH/s/usr/bin/openssl" 3.0.13 &&
    before=$(tree_state "$TRASH/s") &&
    expect_code 0 run_hook "$TRASH/s" "" SLIPWAY_OPT_MIN_VERSION=3.0.13 &&
    test "$(finding_status "version $LIB")" = pass &&
    test "$(finding_status "version usr/bin/openssl")" = pass &&
    finding_detail "version $LIB" | grep -F "OpenSSL 3.0.13" &&
    test "$(finding_status downgrade)" = skip &&
    test "$(count_status pass)" = 2 &&
    test "$(count_status fail)" = 0 &&
    test "$(tree_state "$TRASH/s")" = "$before"
'

test_expect_success 'unconfigured (no min-version, no active slot) it still checks the list' '
    mkslot "$TRASH/s" 3.0.12 &&
    expect_code 0 run_hook "$TRASH/s" "" &&
    test "$(finding_status "version $LIB")" = pass &&
    mkslot "$TRASH/s" 3.0.2 &&
    expect_code 1 run_hook "$TRASH/s" "" &&
    test "$(finding_status "vulnerable $LIB")" = fail
'

test_expect_success 'below min-version fails and says so' '
    mkslot "$TRASH/s" 3.0.12 &&
    expect_code 1 run_hook "$TRASH/s" "" SLIPWAY_OPT_MIN_VERSION=3.0.13 &&
    test "$(finding_status "version $LIB")" = fail &&
    finding_detail "version $LIB" | grep -F "3.0.12 is older than min-version 3.0.13" &&
    mkslot "$TRASH/s" 3.0.9 &&
    expect_code 1 run_hook "$TRASH/s" "" SLIPWAY_OPT_MIN_VERSION=3.0.10 &&
    test "$(finding_status "version $LIB")" = fail &&
    mkslot "$TRASH/s" 3.0.10 &&
    expect_code 0 run_hook "$TRASH/s" "" SLIPWAY_OPT_MIN_VERSION=3.0.9
'

test_expect_success 'a min-version that is no release number is a failure, not a pass' '
    mkslot "$TRASH/s" 3.0.13 &&
    expect_code 1 run_hook "$TRASH/s" "" SLIPWAY_OPT_MIN_VERSION="three" &&
    contains "$TRASH/err" "min-version"
'

test_expect_success 'Heartbleed: 1.0.1f fails with CVE-2014-0160, 1.0.1g is past it' '
    mkslot "$TRASH/s" 1.0.1f &&
    expect_code 1 run_hook "$TRASH/s" "" &&
    test "$(finding_status "vulnerable $LIB")" = fail &&
    finding_detail "vulnerable $LIB" | grep -F CVE-2014-0160 &&
    finding_detail "vulnerable $LIB" | grep -F 2026-12-01 &&
    mkslot "$TRASH/s" 1.0.1 &&
    expect_code 1 run_hook "$TRASH/s" "" &&
    finding_detail "vulnerable $LIB" | grep -F CVE-2014-0160 &&
    mkslot "$TRASH/s" 1.0.1g &&
    expect_code 1 run_hook "$TRASH/s" "" &&
    ! finding_detail "vulnerable $LIB" | grep -F CVE-2014-0160 &&
    finding_detail "vulnerable $LIB" | grep -F CVE-2014-0224
'

test_expect_success '3.0.5 fails with CVE-2022-3602; 3.0.7 is past it; 3.0.10 is past 3.0.6 and 3.0.7' '
    mkslot "$TRASH/s" 3.0.5 &&
    expect_code 1 run_hook "$TRASH/s" "" &&
    finding_detail "vulnerable $LIB" | grep -F CVE-2022-3602 &&
    mkslot "$TRASH/s" 3.0.7 &&
    expect_code 1 run_hook "$TRASH/s" "" &&
    ! finding_detail "vulnerable $LIB" | grep -F CVE-2022-3602 &&
    finding_detail "vulnerable $LIB" | grep -F CVE-2023-0286 &&
    mkslot "$TRASH/s" 3.0.10 &&
    expect_code 0 run_hook "$TRASH/s" "" &&
    test "$(finding_status "vulnerable $LIB")" = ""
'

test_expect_success 'several versions in one slot: each file checked on its own' '
    mkslot "$TRASH/s" 3.0.13 &&
    put_version "$TRASH/s/$LIBDIR/libcrypto.so.1.1" 1.1.1s &&
    put_version "$TRASH/s/opt/app/lib/libcrypto-app.so.1" 1.0.2zf &&
    expect_code 1 run_hook "$TRASH/s" "" SLIPWAY_OPT_PATHS="opt/app/lib" &&
    test "$(finding_status "version $LIB")" = pass &&
    test "$(finding_status "vulnerable $LIBDIR/libcrypto.so.1.1")" = fail &&
    finding_detail "vulnerable $LIBDIR/libcrypto.so.1.1" | grep -F CVE-2023-0286 &&
    test "$(finding_status "vulnerable opt/app/lib/libcrypto-app.so.1")" = fail &&
    expect_code 1 run_hook "$TRASH/s" "" &&
    test "$(finding_status "vulnerable opt/app/lib/libcrypto-app.so.1")" = ""
'

test_expect_success 'paths may name a file (a static program); the same file is read once' '
    mkslot "$TRASH/s" 3.0.13 &&
    put_version "$TRASH/s/opt/app/bin/appd" 3.0.4 &&
    expect_code 1 run_hook "$TRASH/s" "" SLIPWAY_OPT_PATHS="opt/app/bin/appd $LIBDIR" &&
    test "$(finding_status "vulnerable opt/app/bin/appd")" = fail &&
    test "$(findings_py "len([f for f in F if f[\"check\"].endswith(\"libcrypto.so.3\")])")" = 1 &&
    test "$(findings_py "len([f for f in F if f[\"check\"].endswith(\"libcrypto.so\")])")" = 0
'

test_expect_success 'a downgrade against the active slot fails; allow-downgrade = yes lets it pass' '
    mkslot "$TRASH/a" 3.0.14 &&
    mkslot "$TRASH/s" 3.0.13 &&
    expect_code 1 run_hook "$TRASH/s" "$TRASH/a" &&
    test "$(finding_status "downgrade $LIB")" = fail &&
    finding_detail "downgrade $LIB" | grep -F "3.0.13 is older than 3.0.14" &&
    test "$(finding_status downgrade)" = fail &&
    test "$(finding_status "version $LIB")" = pass &&
    expect_code 0 run_hook "$TRASH/s" "$TRASH/a" SLIPWAY_OPT_ALLOW_DOWNGRADE=yes &&
    test "$(finding_status downgrade)" = pass &&
    test "$(count_status fail)" = 0 &&
    expect_code 1 run_hook "$TRASH/s" "$TRASH/a" SLIPWAY_OPT_ALLOW_DOWNGRADE=maybe
'

test_expect_success 'an upgrade passes the downgrade check; so does an active slot without OpenSSL' '
    mkslot "$TRASH/a" 3.0.9 &&
    mkslot "$TRASH/s" 3.0.13 &&
    expect_code 0 run_hook "$TRASH/s" "$TRASH/a" &&
    test "$(finding_status downgrade)" = pass &&
    rm -rf "$TRASH/a" && mkdir -p "$TRASH/a/usr/bin" &&
    expect_code 0 run_hook "$TRASH/s" "$TRASH/a" &&
    test "$(finding_status downgrade)" = skip
'

test_expect_success 'a library renamed (libcrypto.so.3 -> libcrypto.so.1.1) is still a downgrade' '
    mkslot "$TRASH/a" 3.0.13 &&
    rm -rf "$TRASH/s" && put_version "$TRASH/s/$LIBDIR/libcrypto.so.1.1" 1.1.1w &&
    expect_code 1 run_hook "$TRASH/s" "$TRASH/a" &&
    test "$(finding_status downgrade)" = fail &&
    test "$(finding_status "version $LIBDIR/libcrypto.so.1.1")" = pass
'

test_expect_success 'vulnerable-list = FILE adds ranges; a bad line is a failure naming the line' '
    mkslot "$TRASH/s" 3.0.13 &&
    printf "# local list\n\n3.0.12 3.0.13 CVE-2099-0001 a test advisory\n" >"$TRASH/vl" &&
    expect_code 1 run_hook "$TRASH/s" "" SLIPWAY_OPT_VULNERABLE_LIST="$TRASH/vl" &&
    finding_detail "vulnerable $LIB" | grep -F "CVE-2099-0001 (a test advisory, 3.0.12 to 3.0.13)" &&
    printf "3.0.14 3.0.15 CVE-2099-0002\n" >"$TRASH/vl" &&
    expect_code 0 run_hook "$TRASH/s" "" SLIPWAY_OPT_VULNERABLE_LIST="$TRASH/vl" &&
    printf "# ok\n3.0.x 3.0.13 CVE-2099-0003\n" >"$TRASH/vl" &&
    expect_code 1 run_hook "$TRASH/s" "" SLIPWAY_OPT_VULNERABLE_LIST="$TRASH/vl" &&
    contains "$TRASH/err" "line 2" &&
    expect_code 1 run_hook "$TRASH/s" "" SLIPWAY_OPT_VULNERABLE_LIST="$TRASH/missing" &&
    contains "$TRASH/err" "$TRASH/missing"
'

test_expect_success 'no OpenSSL in the slot: skip (77), saying where it looked' '
    rm -rf "$TRASH/s" && mkdir -p "$TRASH/s/usr/bin" "$TRASH/s/$LIBDIR" &&
    printf "#!/bin/sh\n" >"$TRASH/s/usr/bin/true" &&
    put_version "$TRASH/s/$LIBDIR/libssl.so.3" 1.0.1f &&
    expect_code 77 run_hook "$TRASH/s" "" &&
    contains "$TRASH/out" "no OpenSSL in the slot" &&
    contains "$TRASH/out" "paths" &&
    test "$(count_status fail)" = 0
'

test_expect_success 'a libcrypto without a version string: skip finding, exit 77' '
    rm -rf "$TRASH/s" && mkdir -p "$TRASH/s/$LIBDIR" &&
    printf "\177ELF no version here OpenSSL 3\000" >"$TRASH/s/$LIB" &&
    expect_code 77 run_hook "$TRASH/s" "" &&
    test "$(finding_status "version $LIB")" = skip
'

# the host's own libcrypto: links to it must not be followed out of the slot
HOSTLIB=$(ls /usr/lib/*-linux-gnu/libcrypto.so.3 /usr/lib*/libcrypto.so.3 2>/dev/null | head -n1)
HOSTVER=$(LC_ALL=C grep -a -o -E "OpenSSL [0-9]+\.[0-9]+\.[0-9]+[a-z]* [0-9]+ [A-Z][a-z]+ [0-9]+" "$HOSTLIB" 2>/dev/null | head -n1 | cut -d" " -f2)

test_expect_success 'links pointing out of the slot (to the host libcrypto) are resolved inside it' '
    test -n "$HOSTLIB" && test -n "$HOSTVER" &&
    rm -rf "$TRASH/s" && mkdir -p "$TRASH/s/$LIBDIR" "$TRASH/s/usr/local" "$TRASH/s/opt" &&
    ln -s "$HOSTLIB" "$TRASH/s/$LIB" &&
    ln -s "../../../../../../../../../../..$HOSTLIB" "$TRASH/s/$LIBDIR/libcrypto.so.9" &&
    ln -s "$(dirname "$HOSTLIB")" "$TRASH/s/usr/lib64" &&
    ln -s /usr/bin "$TRASH/s/usr/local/bin" &&
    ln -s / "$TRASH/s/opt/host" &&
    expect_code 77 run_hook "$TRASH/s" "" \
        SLIPWAY_OPT_PATHS="/usr/lib/x86_64-linux-gnu ../../../../..$HOSTLIB opt/host$HOSTLIB opt/host/usr/bin/openssl" &&
    lacks "$TRASH/findings" "$HOSTVER" &&
    lacks "$TRASH/out" "$HOSTVER"
'

test_expect_success 'links inside the slot are followed (absolute ones from the slot root)' '
    test -n "$HOSTLIB" &&
    rm -rf "$TRASH/s" && put_version "$TRASH/s/opt/ssl/lib/libcrypto.so.3" 1.0.1c &&
    mkdir -p "$TRASH/s/$LIBDIR" && ln -s /opt/ssl/lib/libcrypto.so.3 "$TRASH/s/$LIB" &&
    expect_code 1 run_hook "$TRASH/s" "" &&
    test "$(finding_status "vulnerable opt/ssl/lib/libcrypto.so.3")" = fail &&
    lacks "$TRASH/findings" "$HOSTVER"
'

test_expect_success 'a link loop ends, and file names with newlines and spaces are reported intact' '
    mkslot "$TRASH/s" 3.0.13 &&
    ln -s loop2 "$TRASH/s/$LIBDIR/libcrypto.so.loop1" &&
    ln -s libcrypto.so.loop1 "$TRASH/s/$LIBDIR/loop2" &&
    put_version "$TRASH/s/$LIBDIR/libcrypto.so.3 old
copy" 3.0.5 &&
    expect_code 1 run_hook "$TRASH/s" "" &&
    test "$(finding_status "version $LIB")" = pass &&
    test "$(findings_py "[f[\"status\"] for f in F if f[\"check\"] == \"vulnerable $LIB old\\ncopy\"]")" = "[\"fail\"]" &&
    contains "$TRASH/out" "FAIL \"vulnerable $LIB old\\ncopy\"" &&
    ! grep -q "^copy" "$TRASH/out"
'

test_expect_success 'make install puts it in the vendor directory, where hooks list finds it' '
    MAKEFLAGS= make -s -C "$SRCDIR" install DESTDIR="$TRASH/root" PREFIX=/usr >/dev/null &&
    v=$TRASH/root/usr/lib/slipway/hooks.d &&
    cmp "$v/pre-promote/20-openssl-version" "$HOOK" &&
    test "$(file_mode "$v/pre-promote/20-openssl-version")" = 755 &&
    printf "[slipway]\nstate-dir = %s\nhook-dirs = %s\n" "$TRASH/st" "$v" >"$TRASH/c.conf" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" hooks list --phase pre-promote &&
    grep -E "^pre-promote +20-openssl-version +active +yes " "$TRASH/out"
'

test_expect_success 'through the runner: slipway hooks run openssl-version --slot-dir --active-dir' '
    mkslot "$TRASH/a" 3.0.14 && mkslot "$TRASH/s" 3.0.13 &&
    runner_conf "[hook \"openssl-version\"]
min-version = 3.0.13" &&
    expect_code 1 via_runner openssl-version --slot-dir "$TRASH/s" --active-dir "$TRASH/a" &&
    test "$(json_get "$TRASH/out" "[\"status\"]")" = fail &&
    "$PYTHON" -c "import json,sys; r=json.load(open(sys.argv[1])); f={x[\"check\"]: x[\"status\"] for x in r[\"findings\"]}; assert f[\"version $LIB\"] == \"pass\" and f[\"downgrade $LIB\"] == \"fail\", f; assert not r[\"bad_lines\"], r" "$TRASH/out" &&
    expect_code 0 via_runner 20-openssl-version --slot-dir "$TRASH/s" &&
    test "$(json_get "$TRASH/out" "[\"status\"]")" = pass &&
    rm -rf "$TRASH/empty" && mkdir "$TRASH/empty" &&
    expect_code 77 via_runner openssl-version --slot-dir "$TRASH/empty" &&
    test "$(json_get "$TRASH/out" "[\"status\"]")" = skip &&
    test ! -e "$TRASH/runner-state"
'

test_done
