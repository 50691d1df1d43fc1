#!/bin/bash
# SPDX-License-Identifier: MIT
# Staging benchmark (run by `make bench` as tests/bench/stage.sh BUILD_DIR):
# a bundle of about 5 000 files and 256 MiB (zstd), extracted by slipway's
# bundle module (bundle-tool: SHA-256 check of the bundle, extraction, one
# syncfs) against `tar -xf` of the same bundle into an empty directory
# followed by `sync`, in alternating rounds, onto a fresh journaled ext4
# loop image when run as root (elsewhere into $TMPDIR, with a note).
# Prints the commands, every round, the medians, their ratio (budget 1.10)
# and slipway's peak resident memory for the bundle and for one of 1 GiB
# (budget 32 MiB).
#
# Settings (environment): BENCH_STAGE_MIB (256), BENCH_STAGE_FILES (5000),
# BENCH_STAGE_BIG_MIB (1024; 0 skips the memory run), BENCH_ROUNDS (7),
# BENCH_IMG_DIR (where the image file lives; default the test's directory).
set -u
BUILD=$(cd "${1:-build}" && pwd)
export BUILD
. "$(dirname "$0")/../integration/lib.sh"

MIB=${BENCH_STAGE_MIB:-256}
FILES=${BENCH_STAGE_FILES:-5000}
BIG_MIB=${BENCH_STAGE_BIG_MIB:-1024}
ROUNDS=${BENCH_ROUNDS:-7}
TOOL=$BUILD/tools/bundle-tool
RUNSTAT="$PYTHON $SRCDIR/tests/bench/runstat.py"

die() {
    echo "bench/stage: $*" >&2
    exit 1
}

[ -x "$TOOL" ] || die "$TOOL is missing (make test-programs)"
command -v zstd >/dev/null || die "zstd is missing (contrib/deps.sh)"

# make_tree DIR MIB FILES: files of mixed sizes, about half compressible
make_tree() {
    "$PYTHON" - "$1" "$2" "$3" <<'EOF'
import os, random, sys
root, mib, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(9)
total = mib << 20
# sizes: many small files and a few large ones, scaled to the total
weights = [rnd.paretovariate(1.2) for _ in range(files)]
scale = total / sum(weights)
text = (b"slipway bundle benchmark line of fairly compressible text 0123456789\n" * 2048)
for i, w in enumerate(weights):
    d = os.path.join(root, "d%02d" % (i % 40), "s%02d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    n = max(1, int(w * scale))
    with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
        while n > 0:
            k = min(n, 65536)
            half = k // 2
            f.write(os.urandom(half))
            f.write(text[: k - half])
            n -= k
    if i % 50 == 0:
        os.chmod(os.path.join(d, "f%05d.bin" % i), 0o755)
for i in range(20):
    os.symlink("s00/f%05d.bin" % (i * 40), os.path.join(root, "d00", "l%02d" % i))
EOF
}

SRC=$TRASH/tree
BUNDLE=$TRASH/bundle.tar.zst
mkdir -p "$SRC"
make_tree "$SRC" "$MIB" "$FILES" || die "cannot make the tree"
tar -C "$SRC" --owner=0 --group=0 -cf - . | zstd -q -3 -T0 -o "$BUNDLE" || die "cannot make the bundle"
rm -rf "$SRC"
SHA=$(sha256sum "$BUNDLE" | cut -d' ' -f1)

OUT=$TRASH/out
mkdir -p "$OUT"
where="$OUT (no loop image: not root or no mkfs.ext4/losetup; page cache and disk of this machine)"
if [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null; then
    img=${BENCH_IMG_DIR:-$TRASH}/slipway-stage-$$.img
    # the image holds a 1 GiB extraction for the memory run too
    if truncate -s 2G "$img" && mkfs.ext4 -q -F -O has_journal "$img" &&
        loopdev=$(losetup -f --show --direct-io=on "$img") &&
        { mount "$loopdev" "$OUT" || { losetup -d "$loopdev"; false; }; }; then
        at_exit "umount '$OUT'; losetup -d '$loopdev'; rm -f '$img'"
        where="a fresh ext4 image (journal, data=ordered) on $loopdev (direct I/O to $img)"
    else
        rm -f "$img"
        where="$OUT (mounting a loop image failed; page cache and disk of this machine)"
    fi
fi

TAR_CMD=(sh -c 'mkdir "$1" && tar -C "$1" -xf "$2" && sync' sh "$OUT/t" "$BUNDLE")
SW_CMD=(sh -c 'mkdir "$1" && exec "$2" "$3" "$1" --sha256 "$4" --reserve 0' sh "$OUT/s" "$TOOL"
    "$BUNDLE" "$SHA")
# the same with a sync of this one file system (syncfs, as slipway does): a stricter reference
TARFS_CMD=(sh -c 'mkdir "$1" && tar -C "$1" -xf "$2" && sync -f "$1"' sh "$OUT/t" "$BUNDLE")
CLEAN="rm -rf '$OUT/t' '$OUT/s'; sync"

echo "staging benchmark: $(du -m "$BUNDLE" | cut -f1) MiB zstd bundle of $FILES files, $MIB MiB of data"
echo "  output on: $where"
echo "  slipway:   ${SW_CMD[*]}"
echo "  tar:       ${TAR_CMD[*]}"
echo "  tar+syncfs: ${TARFS_CMD[*]}"
echo "  (slipway checks the bundle's SHA-256 first and ends with one syncfs; tar checks nothing and ends with sync)"

# warm the page cache with the bundle; check that both trees agree
eval "$CLEAN"
"${TAR_CMD[@]}" || die "tar failed"
"${SW_CMD[@]}" >/dev/null || die "slipway's extraction failed"
diff -r --no-dereference "$OUT/t" "$OUT/s" >/dev/null || die "the two trees differ"
eval "$CLEAN"

median() {
    printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}

declare -a T_TAR T_SW T_TARFS
R_SW=0
for i in $(seq 1 "$ROUNDS"); do
    read -r tt _ code < <($RUNSTAT --before "$CLEAN" -- "${TAR_CMD[@]}")
    [ "$code" = 0 ] || die "tar failed ($code)"
    read -r ts rs code < <($RUNSTAT --before "$CLEAN" -- "${SW_CMD[@]}")
    [ "$code" = 0 ] || die "slipway's extraction failed ($code)"
    read -r tf _ code < <($RUNSTAT --before "$CLEAN" -- "${TARFS_CMD[@]}")
    [ "$code" = 0 ] || die "tar + sync -f failed ($code)"
    T_TAR+=("$tt")
    T_SW+=("$ts")
    T_TARFS+=("$tf")
    [ "$rs" -gt "$R_SW" ] && R_SW=$rs
    printf '  round %d: tar -xf + sync %.3f s   slipway %.3f s   ratio %.2f   tar -xf + sync -f %.3f s\n' \
        "$i" "$tt" "$ts" "$(awk -v a="$ts" -v b="$tt" 'BEGIN {print a / b}')" "$tf"
done
eval "$CLEAN"
mt=$(median "${T_TAR[@]}")
ms=$(median "${T_SW[@]}")
mf=$(median "${T_TARFS[@]}")
awk -v t="$mt" -v s="$ms" -v f="$mf" -v n="$ROUNDS" -v rs="$R_SW" -v mib="$MIB" 'BEGIN {
    printf "  median of %d: tar -xf + sync %.3f s, slipway %.3f s, ratio %.2f (budget 1.10: %s)\n",
        n, t, s, s / t, (s / t <= 1.10) ? "met" : "NOT met"
    printf "  against tar -xf + sync -f (syncfs of the image only, %.3f s): ratio %.2f\n", f, s / f
    printf "  peak RSS of slipway: %.1f MiB for the %d MiB bundle\n", rs / 1024, mib
}'
printf '  ratio of each round, sorted: %s\n' "$(for i in $(seq 0 $((ROUNDS - 1))); do
    awk -v a="${T_SW[$i]}" -v b="${T_TAR[$i]}" 'BEGIN {printf "%.2f\n", a / b}'; done | sort -n | tr '\n' ' ')"

if [ "$BIG_MIB" -gt 0 ]; then
    rm -f "$BUNDLE"
    mkdir -p "$SRC"
    make_tree "$SRC" "$BIG_MIB" "$FILES" || die "cannot make the big tree"
    tar -C "$SRC" -cf - . | zstd -q -3 -T0 -o "$BUNDLE" || die "cannot make the big bundle"
    rm -rf "$SRC"
    SHA=$(sha256sum "$BUNDLE" | cut -d' ' -f1)
    SW_CMD[7]=$SHA
    read -r ts rs code < <($RUNSTAT --before "$CLEAN" -- "${SW_CMD[@]}")
    [ "$code" = 0 ] || die "slipway's extraction of the big bundle failed ($code)"
    eval "$CLEAN"
    awk -v rs="$rs" -v mib="$BIG_MIB" -v t="$ts" 'BEGIN {
        printf "  peak RSS of slipway: %.1f MiB for a %d MiB bundle (%.2f s) (budget 32 MiB: %s)\n",
            rs / 1024, mib, t, (rs / 1024 < 32) ? "met" : "NOT met"
    }'
fi
