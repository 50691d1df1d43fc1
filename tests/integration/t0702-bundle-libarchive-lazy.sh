#!/bin/bash
# SPDX-License-Identifier: MIT
# libarchive is loaded only when a bundle is extracted (src/bundle.c dlopens
# it by the soname found at build time): the programs are not linked to it,
# staging still extracts every compression through it, and when it cannot
# be loaded (a test build's fault point asks the loader for a soname that
# does not exist) extraction fails with a message saying what is missing,
# before anything is written to the slot.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

stage_repo
publish_version 1.0.0 tar.zst
swc refresh >/dev/null

test_expect_success 'slipway, slipway-repo and the bundle tool are not linked to libarchive' '
    for b in "$SLIPWAY" "$SLIPWAY_REPO" "$SLIPWAY_T" "$BUILD/tools/bundle-tool"; do
        ldd "$b" >ldd.out &&
        contains ldd.out libc.so &&
        lacks ldd.out libarchive || exit 1
    done
'

test_expect_success 'staging extracts a zstd bundle through the loaded libarchive' '
    expect_code 0 swc stage app-1.0.0.tar.zst &&
    slot_holds a 1.0.0
'

test_expect_success 'the bundle tool extracts plain, gzip and xz bundles the same way' '
    for c in tar tar.gz tar.xz; do
        b=$(make_bundle 2.0.0 $c) &&
        rm -rf x && mkdir x &&
        "$BUILD/tools/bundle-tool" "$b" x --sha256 "$(sha256sum "$b" | cut -d" " -f1)" \
            --reserve 0 --no-restore-owner >/dev/null &&
        diff -r --no-dereference "$TRASH/trees/2.0.0" x || exit 1
    done
'

test_expect_success 'libarchive missing: extraction fails naming it, the slot stays empty' '
    b=$(make_bundle 3.0.0 tar) &&
    rm -rf x && mkdir x &&
    SLIPWAY_FAULT=bundle-libarchive-load:fail expect_code 1 "$TBUILD/tools/bundle-tool" "$b" x \
        --sha256 "$(sha256sum "$b" | cut -d" " -f1)" --reserve 0 &&
    contains "$TRASH/err" "bundles cannot be extracted: cannot load libarchive-missing.so.0: " &&
    contains "$TRASH/err" "the libarchive package, libarchive13 on Debian, is missing" &&
    test -z "$(ls -A x)"
'

test_expect_success 'libarchive missing: slipway stage fails with the message, then works with it' '
    publish_version 1.1.0 tar.gz &&
    swc refresh >/dev/null &&
    SLIPWAY_FAULT=bundle-libarchive-load:fail expect_code 1 swt stage app-1.1.0.tar.gz &&
    contains "$TRASH/err" "bundles cannot be extracted: cannot load libarchive-missing.so.0" &&
    slot_empty a && slot_empty b &&
    expect_code 0 swc stage --json app-1.1.0.tar.gz &&
    slot_holds "$(json_get "$TRASH/out" "[\"slot\"]")" 1.1.0
'

test_done
