#!/bin/bash
# SPDX-License-Identifier: MIT
# Redirects stay below the mirror's base path, not only on its scheme, host
# and port: compared segment by segment after normalisation, so dot
# segments (literal or percent-encoded), an encoded '/', a sibling directory
# sharing the base's prefix, the base itself, and other paths on the same
# server are refused without a request there; redirects below the base
# (relative, absolute, resolving "sub/.." inside it) are followed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-fetch.sh"

WWW=$TRASH/www
for f in repo/metadata/sub/a.bin repo/metadata/b.bin other/x.bin repo/other/x.bin \
    repo/metadata-evil/x.bin; do
    random_file "$WWW/$f" 5000
done
chmod -R a+rX "$WWW"
A_SHA=$(sha256_of "$WWW/repo/metadata/sub/a.bin")
B_SHA=$(sha256_of "$WWW/repo/metadata/b.bin")

M=/ok/repo/metadata
loc=(
    "$M/f1=$M/sub/a.bin"
    "$M/f2=sub/a.bin"
    "$M/f3=https://127.0.0.1:{port}$M/sub/a.bin"
    "$M/f4=$M/sub/../b.bin"
    "$M/f5=/ok/repo/%6detadata/sub/%61.bin"
    "$M/r1=/ok/other/x.bin"
    "$M/r2=../../other/x.bin"
    "$M/r3=$M/../other/x.bin"
    "$M/r4=$M/%2e%2e/other/x.bin"
    "$M/r5=$M/%2E%2e/%2e%2E/other/x.bin"
    "$M/r6=/ok/repo/metadata-evil/x.bin"
    "$M/r7=$M/sub%2F..%2F..%2Fother/x.bin"
    "$M/r8=https://127.0.0.1:{port}/ok/other/x.bin"
    "$M/r9=/ok/repo/metadata"
    "$M/r10=$M/"
    "$M/r11=$M//b.bin"
    "$M/r12=$M/.%2e/other/x.bin"
    "$M/r13=$M/sub/%2e%2e/%2e%2e/other/x.bin"
    "$M/r14=$M/sub%5C..%5C..%5Cother/x.bin"
)
args=()
for l in "${loc[@]}"; do args+=(--location "$l"); done
mirror_ca_init
hostile_start hostile server "${args[@]}"
HLOG=$HOSTILE_LOG
mirror_section m "${HOSTILE_URL}ok/repo/metadata/" | fetch_conf "$TRASH/c.conf"

# followed NAME FILE SHA: NAME is redirected to FILE (as requested) and fetched
followed() {
    : >"$HLOG" &&
        fetch_ok -c "$TRASH/c.conf" --path "$1" --max 100000 --sha256 &&
        test "$(result sha256)" = "$3" &&
        test "$(result requests)" = 2 &&
        contains "$HLOG" "GET $M/$1 -" &&
        contains "$HLOG" "GET $2 -"
}

# refused NAME REASON: NAME's redirect is refused with REASON, and nothing
# but the first request reached the server
refused() {
    : >"$HLOG" &&
        fetch_fails -c "$TRASH/c.conf" --path "$1" --max 100000 &&
        error_is SW_E_FETCH_REDIRECT && names_mirror m "refused: $2" &&
        test "$(count_lines "$HLOG" GET)" = 1 ||
        { echo "for $1:"; cat "$HLOG"; return 1; }
}

test_expect_success 'redirects below the base path are followed' '
    followed f1 "$M/sub/a.bin" "$A_SHA" &&
    followed f2 "$M/sub/a.bin" "$A_SHA" &&
    followed f3 "$M/sub/a.bin" "$A_SHA"
'

test_expect_success 'dot segments inside the base are resolved before the request' '
    followed f4 "$M/b.bin" "$B_SHA"
'

test_expect_success 'percent-encoded unreserved bytes compare equal to their plain form' '
    followed f5 "/ok/repo/%6detadata/sub/%61.bin" "$A_SHA"
'

test_expect_success 'another path on the same server is refused' '
    refused r1 "it leaves the mirror" &&
    refused r8 "it leaves the mirror"
'

test_expect_success 'a relative redirect climbing out of the base is refused' '
    refused r2 "it leaves the mirror"
'

test_expect_success 'literal dot segments out of the base are refused after resolving them' '
    refused r3 "it leaves the mirror"
'

test_expect_success 'percent-encoded dot segments are refused' '
    refused r4 "it has a" &&
    refused r5 "it has a" &&
    refused r12 "it has a" &&
    refused r13 "it has a"
'

test_expect_success 'an encoded / or backslash is refused' '
    refused r7 "it holds an encoded" &&
    refused r14 "it holds a backslash"
'

test_expect_success 'a sibling directory sharing the base as a string prefix is refused' '
    refused r6 "it leaves the mirror"
'

test_expect_success 'the base itself, with or without its /, and empty segments are refused' '
    refused r9 "it leaves the mirror" &&
    refused r10 "it leaves the mirror" &&
    refused r11 "it leaves the mirror"
'

test_done
