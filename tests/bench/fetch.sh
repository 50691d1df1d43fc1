#!/bin/bash
# SPDX-License-Identifier: MIT
# Fetch benchmark (run by `make bench` as tests/bench/fetch.sh BUILD_DIR):
# a 256 MiB file from a local nginx over HTTPS, slipway's fetch (the
# fetch-tool driver of the fetch module: sha256 while writing, fsync,
# rename) against `curl -o` of the same file, in alternating rounds, onto
# a fresh journaled ext4 loop image when run as root (the developers'
# guide: disk benchmarks on a fresh image, both tools side by side in one
# run); elsewhere into $TMPDIR, with a note. Prints the commands, every
# round, the medians, their ratio and peak resident memory at two sizes.
#
# Settings (environment): BENCH_FETCH_MIB (256), BENCH_FETCH_SMALL_MIB (32),
# BENCH_ROUNDS (5), BENCH_IMG_DIR (where the image file lives; default the
# test's temporary directory).
set -u
BUILD=$(cd "${1:-build}" && pwd)
export BUILD
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/lib-mirror.sh"

MIB=${BENCH_FETCH_MIB:-256}
SMALL_MIB=${BENCH_FETCH_SMALL_MIB:-32}
ROUNDS=${BENCH_ROUNDS:-5}
TOOL=$BUILD/tools/fetch-tool
RUNSTAT="$PYTHON $SRCDIR/tests/bench/runstat.py"

die() {
    echo "bench/fetch: $*" >&2
    exit 1
}

[ -x "$TOOL" ] || die "$TOOL is missing (make test-programs)"
command -v curl >/dev/null || die "curl is missing (contrib/deps.sh)"

WWW=$TRASH/www
random_file "$WWW/big.bin" $((MIB * 1048576)) || die "cannot write the test file"
random_file "$WWW/small.bin" $((SMALL_MIB * 1048576)) || die "cannot write the test file"
chmod -R a+rX "$WWW"
mirror_ca_init || die "openssl failed"
nginx_start "$WWW" || die "nginx did not start"

# where both tools write: a fresh ext4 image on a loop device when we can
OUT=$TRASH/out
mkdir -p "$OUT"
where="$OUT (no loop image: not root or no mkfs.ext4/losetup; page cache and disk of this machine)"
if [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null; then
    img=${BENCH_IMG_DIR:-$TRASH}/slipway-bench-$$.img
    # direct I/O from the loop device to its file: like a real disk, what
    # is written (and fsynced) reaches the device once, not a second cache
    if truncate -s $((3 * MIB + 256))M "$img" && mkfs.ext4 -q -F -O has_journal "$img" &&
        loopdev=$(losetup -f --show --direct-io=on "$img") &&
        { mount "$loopdev" "$OUT" || { losetup -d "$loopdev"; false; }; }; then
        at_exit "umount '$OUT'; losetup -d '$loopdev'; rm -f '$img'"
        where="a fresh ext4 image (journal, data=ordered) on $loopdev (direct I/O to $img)"
    else
        rm -f "$img"
        where="$OUT (mounting a loop image failed; page cache and disk of this machine)"
    fi
fi

URL=${NGINX_URL}big.bin
CURL_CMD=(curl -s --cacert "$PKI/ca.crt" -o "$OUT/curl.bin" "$URL")
SW_CMD=("$TOOL" -q --url "$NGINX_URL" --ca-file "$PKI/ca.crt" --path big.bin
    --max $((MIB * 1048576)) --sha256 --out "$OUT/slipway.bin")
SW_SMALL_CMD=("$TOOL" -q --url "$NGINX_URL" --ca-file "$PKI/ca.crt" --path small.bin
    --max $((SMALL_MIB * 1048576)) --sha256 --out "$OUT/small.bin")
CURL_SYNC_CMD=(sh -c 'curl -s --cacert "$1" -o "$2" "$3" && sync "$2"' sh "$PKI/ca.crt"
    "$OUT/curl.bin" "$URL")
CLEAN="rm -f '$OUT'/*.bin '$OUT'/*%part; sync"

echo "fetch benchmark: $MIB MiB over HTTPS (TLS 1.3, loopback) from nginx $("$NGINX" -v 2>&1 | sed 's/.*\///')"
echo "  output on: $where"
echo "  slipway:   ${SW_CMD[*]}"
echo "  curl:      ${CURL_CMD[*]}"
echo "  (slipway also hashes with SHA-256 and fsyncs before its rename; curl -o does neither)"

# warm the server's page cache and the TLS code paths
"${CURL_CMD[@]}" && eval "$CLEAN"
"${SW_CMD[@]}" >/dev/null || die "slipway's fetch failed"
cmp -s "$WWW/big.bin" "$OUT/slipway.bin" || die "slipway's download differs from the file"
eval "$CLEAN"

declare -a T_CURL T_SW T_SYNC
R_SW=0
R_CURL=0
for i in $(seq 1 "$ROUNDS"); do
    read -r tc rc code < <($RUNSTAT --before "$CLEAN" -- "${CURL_CMD[@]}")
    [ "$code" = 0 ] || die "curl failed ($code)"
    read -r ts rs code < <($RUNSTAT --before "$CLEAN" -- "${SW_CMD[@]}")
    [ "$code" = 0 ] || die "slipway's fetch failed ($code)"
    read -r ty _ code < <($RUNSTAT --before "$CLEAN" -- "${CURL_SYNC_CMD[@]}")
    [ "$code" = 0 ] || die "curl + sync failed ($code)"
    T_CURL+=("$tc")
    T_SW+=("$ts")
    T_SYNC+=("$ty")
    [ "$rs" -gt "$R_SW" ] && R_SW=$rs
    [ "$rc" -gt "$R_CURL" ] && R_CURL=$rc
    printf '  round %d: curl -o %.3f s   slipway %.3f s   curl -o + fsync %.3f s\n' "$i" "$tc" "$ts" "$ty"
done
R_SMALL=0
for i in 1 2 3; do
    read -r _ rs code < <($RUNSTAT --before "$CLEAN" -- "${SW_SMALL_CMD[@]}")
    [ "$code" = 0 ] || die "slipway's fetch of the small file failed ($code)"
    [ "$rs" -gt "$R_SMALL" ] && R_SMALL=$rs
done
eval "$CLEAN"

median() {
    printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}
mc=$(median "${T_CURL[@]}")
ms=$(median "${T_SW[@]}")
my=$(median "${T_SYNC[@]}")
awk -v c="$mc" -v s="$ms" -v y="$my" -v mib="$MIB" -v n="$ROUNDS" \
    -v rs="$R_SW" -v rsm="$R_SMALL" -v rc="$R_CURL" -v small="$SMALL_MIB" 'BEGIN {
    printf "  median of %d: curl -o %.3f s (%.0f MiB/s), slipway %.3f s (%.0f MiB/s), ratio %.2f (budget 1.10: %s)\n",
        n, c, mib / c, s, mib / s, s / c, (s / c <= 1.10) ? "met" : "NOT met"
    printf "  against curl -o + fsync (%.3f s): ratio %.2f\n", y, s / y
    printf "  peak RSS: slipway %.1f MiB at %d MiB, %.1f MiB at %d MiB; curl %.1f MiB\n",
        rs / 1024, mib, rsm / 1024, small, rc / 1024
}'
