#!/bin/bash
# SPDX-License-Identifier: MIT
# Client parsing at scale, binaries side by side: the first refresh and the
# list after it, wall time and peak RSS (tests/bench/runstat.py), against
# repositories of N targets made once and kept between runs (slipway-repo
# flat, slipway-repo 256 succinct bins, gen-indep flat: compact JSON from
# securesystemslib), served by a local nginx over plain HTTP. For the
# parser work of issue 13 (a targets document at most 3 x its size in
# RSS); tests/bench/scale.sh is the whole scale benchmark.
#
# usage: tests/bench/client-scale.sh BUILD_DIR [OTHER_SLIPWAY...]
# Settings: BENCH_CLIENT_N (100000), BENCH_CLIENT_DIR (where repositories
# are kept: /dev/shm/slipway-client-scale), BENCH_ROUNDS (3; medians),
# BENCH_CLIENT_LAYOUTS ("srflat srbins giflat"), BENCH_CLIENT_BUILD_ONLY
# (set: make the repositories and stop).
set -u
BUILD=$(cd "${1:-build}" && pwd)
export BUILD
shift
OTHERS=("$@")
export TMPDIR=${TMPDIR:-/dev/shm}
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/lib-mirror.sh"
. "$(dirname "$0")/../integration/lib-repo.sh"
. "$(dirname "$0")/../integration/lib-trust.sh"

N=${BENCH_CLIENT_N:-100000}
ROUNDS=${BENCH_ROUNDS:-3}
KEEP=${BENCH_CLIENT_DIR:-/dev/shm/slipway-client-scale}
LAYOUTS=${BENCH_CLIENT_LAYOUTS:-srflat srbins giflat}
RUNSTAT="$PYTHON $SRCDIR/tests/bench/runstat.py"
. "$SRCDIR/tests/bench/lib-bench.bash"
WWW=$KEEP/www
mkdir -p "$WWW"

die() {
    echo "bench/client-scale: $*" >&2
    exit 1
}

# make_repo LAYOUT: the repository LAYOUT$N in $WWW, unless it is there
make_repo() {
    local l=$1 R=$WWW/$1$N K=$KEEP/k-$1$N
    [ -f "$R/metadata/timestamp.json" ] && return 0
    rm -rf "$R" "$K"
    case $l in
    giflat)
        "$PYTHON" "$SRCDIR/tests/bench/gen-indep.py" "$R" "$N" flat || die "gen-indep failed"
        return 0
        ;;
    esac
    [ -d "$KEEP/files$N" ] || files "$KEEP/files$N" "$N"
    repo init "$R" --key-dir "$K" --passphrase-file "$PASS" >/dev/null || die "init $l failed"
    if [ "$l" = srbins ]; then
        repo keygen bin-1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null &&
            repo delegate "$R" pkgs --succinct 8 --key bin-1 --key-dir "$K" >/dev/null ||
            die "delegate failed"
        repo add "$R" "$KEEP/files$N" --role pkgs --version 1.0.0 --compatible dev >/dev/null ||
            die "add failed"
    else
        repo add "$R" "$KEEP/files$N" --version 1.0.0 --compatible dev >/dev/null || die "add failed"
    fi
    repo commit "$R" --key-dir "$K" --passphrase-file "$PASS" >/dev/null || die "commit failed"
}

for l in $LAYOUTS; do
    make_repo "$l"
done
[ -n "${BENCH_CLIENT_BUILD_ONLY:-}" ] && exit 0
nginx_start "$WWW" nginx plain || die "nginx did not start"
echo "bench/client-scale: $N targets, repositories in $KEEP, $(nproc) CPUs shared; medians of $ROUNDS"

for l in $LAYOUTS; do
    name=$l$N
    for bin in "$SLIPWAY" "${OTHERS[@]}"; do
        t1=() m1=() t2=() m2=()
        for i in $(seq 1 "$ROUNDS"); do
            COMPATIBLE=dev trust_conf "$TRASH/$name.conf" "$NGINX_URL$name/"
            printf '%s\n' "[fetch]" "max-metadata-size = 256M" >>"$TRASH/$name.conf"
            rm -rf "$TRASH/st"
            "$bin" -c "$TRASH/$name.conf" --state-dir "$TRASH/st" init \
                --root "$WWW/$name/metadata/1.root.json" >/dev/null || die "init failed"
            x=$(stat_run "$bin" -c "$TRASH/$name.conf" --state-dir "$TRASH/st" refresh)
            t1+=("${x% *}")
            m1+=("${x#* }")
            # what list parses: the metadata the client keeps (as tests/bench/scale.sh counts it)
            doc=$(cat "$TRASH/st/metadata/"*.json | wc -c)
            x=$(stat_run "$bin" -c "$TRASH/$name.conf" --state-dir "$TRASH/st" list)
            t2+=("${x% *}")
            m2+=("${x#* }")
        done
        awk -v l="$l" -v bin="$bin" -v doc="$doc" -v t1="$(median "${t1[@]}")" \
            -v m1="$(median "${m1[@]}")" -v t2="$(median "${t2[@]}")" -v m2="$(median "${m2[@]}")" \
            'BEGIN { printf "  %-7s %-40s refresh %.3f s %6.1f MiB (%.2f x)  list %.3f s %6.1f MiB (%.2f x)  both %.3f s; targets metadata %.1f MiB\n",
                l, bin, t1, m1 / 1024, m1 * 1024 / doc, t2, m2 / 1024, m2 * 1024 / doc, t1 + t2, doc / 1048576 }'
    done
done
