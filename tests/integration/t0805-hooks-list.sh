#!/bin/bash
# SPDX-License-Identifier: MIT
# `slipway hooks list` as an author uses it: hooks of both phases over two
# hook directories, one overridden by the later directory, one masked by a
# /dev/null link and one by an empty file, per-hook required and timeout
# from [hook "NAME"] sections, --phase, --json read back by Python.
. "$(dirname "$0")/lib.sh"

H=$TRASH/hooks
mkhook() {
    mkdir -p "$(dirname "$1")" && printf '#!/bin/sh\nexit 0\n' >"$1" && chmod 0755 "$1"
}
mkhook "$H/vendor/pre-promote/50-openssl-version"
mkhook "$H/local/pre-promote/50-openssl-version"
mkhook "$H/vendor/pre-promote/60-ports"
ln -s /dev/null "$H/local/pre-promote/60-ports"
mkhook "$H/vendor/pre-promote/70-certs"
: >"$H/local/pre-promote/70-certs"
mkhook "$H/vendor/post-promote/10-health"
mkhook "$H/vendor/pre-promote/README"
cat >"$TRASH/c.conf" <<EOC
[slipway]
state-dir = $TRASH/st
hook-timeout = 45
hook-dirs = $H/vendor $H/local $H/missing

[hook "openssl-version"]
required = no
timeout = 30
min-version = 3.0.13
EOC

test_expect_success 'the table: override, masks, settings, both phases, no stray names' '
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" hooks list &&
    grep -E "^pre-promote +50-openssl-version +active +no +30s +$H/local/pre-promote/50-openssl-version$" "$TRASH/out" &&
    contains "$TRASH/out" "(overrides $H/vendor/pre-promote/50-openssl-version)" &&
    grep -E "^pre-promote +60-ports +masked +yes +45s " "$TRASH/out" &&
    grep -E "^pre-promote +70-certs +masked " "$TRASH/out" &&
    grep -E "^post-promote +10-health +active +yes +45s +$H/vendor/post-promote/10-health$" "$TRASH/out" &&
    lacks "$TRASH/out" "README"
'

test_expect_success '--json and --phase' '
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" hooks list --phase pre-promote --json &&
    test "$(json_get "$TRASH/out" "[\"hooks\"].__len__()")" = 3 &&
    test "$(json_get "$TRASH/out" "[\"hooks\"][0][\"name\"]")" = 50-openssl-version &&
    test "$(json_get "$TRASH/out" "[\"hooks\"][0][\"origin\"]")" = "$H/local" &&
    test "$(json_get "$TRASH/out" "[\"hooks\"][0][\"overrides\"]")" = "$H/vendor/pre-promote/50-openssl-version" &&
    test "$(json_get "$TRASH/out" "[\"hooks\"][0][\"required\"]")" = false &&
    test "$(json_get "$TRASH/out" "[\"hooks\"][0][\"timeout\"]")" = 30 &&
    test "$(json_get "$TRASH/out" "[\"hooks\"][1][\"masked\"]")" = true &&
    test "$(json_get "$TRASH/out" "[\"hooks\"][1][\"overrides\"]")" = "$H/vendor/pre-promote/60-ports" &&
    test "$(json_get "$TRASH/out" "[\"hooks\"][2][\"masked\"]")" = true &&
    lacks "$TRASH/out" "10-health"
'

test_expect_success 'an unknown phase or subcommand is a usage error naming it' '
    expect_code 2 "$SLIPWAY" -c "$TRASH/c.conf" hooks list --phase sideways &&
    contains "$TRASH/err" "unknown phase '"'"'sideways'"'"'" &&
    expect_code 2 "$SLIPWAY" -c "$TRASH/c.conf" hooks frob &&
    contains "$TRASH/err" "frob"
'

test_done
