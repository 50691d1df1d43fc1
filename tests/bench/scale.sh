#!/bin/bash
# SPDX-License-Identifier: MIT
# Scale benchmark (run by `make bench` as tests/bench/scale.sh BUILD_DIR):
# repositories of 1 000, 10 000 and 100 000 targets, made with slipway-repo
# (flat; 256 TAP 15 succinct bins) and with an independent generator
# (tests/bench/gen-indep.py: securesystemslib + nacl; flat; 256 classic
# path_hash_prefixes bins), served by a local nginx over plain HTTP. For
# each it prints the publish time (slipway-repo add of a directory +
# commit, one process each), the first refresh and the list after it,
# the refresh with nothing new (median of BENCH_ROUNDS, paired with the
# same refresh of a 10-target repository), the requests each made and
# the peak resident memory (getrusage of the child, tests/bench/runstat.py),
# and the ratios the issue budgets. python-tuf is not a Debian package: its
# column is printed when `import tuf` works, else skipped with a note.
#
# Then the largest bins: for each of BENCH_SCALE_MAXBITS, 2^BITS empty
# succinct bins made by 'slipway-repo delegate --succinct' and published by
# 'commit' (each timed, with its peak RSS), and the client's first refresh +
# list and nothing-new refresh of that repository (its [fetch]
# max-delegated-roles raised to admit every bin).
#
# Settings (environment): BENCH_SCALE_SIZES ("1000 10000 100000"),
# BENCH_SCALE_BITS (bit lengths of the succinct-bins repositories of each
# size: "8", 256 bins), BENCH_SCALE_MAXBITS (bit lengths of the largest-bins
# block: "12", 4096 bins; "12 13 14" for TAP 15's largest; "" skips it),
# BENCH_ROUNDS (5), BENCH_SCALE_DIR (where repositories are made: default
# /dev/shm when writable, so the file system's inode allocator is not what
# is measured; else $TMPDIR).
set -u
BUILD=$(cd "${1:-build}" && pwd)
export BUILD
if [ -z "${BENCH_SCALE_DIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    BENCH_SCALE_DIR=/dev/shm
fi
[ -n "${BENCH_SCALE_DIR:-}" ] && export TMPDIR=$BENCH_SCALE_DIR
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/lib-mirror.sh"
. "$(dirname "$0")/../integration/lib-repo.sh"
. "$(dirname "$0")/../integration/lib-trust.sh"

SIZES=${BENCH_SCALE_SIZES:-1000 10000 100000}
BITS=${BENCH_SCALE_BITS:-8}
MAXBITS=${BENCH_SCALE_MAXBITS-12}
ROUNDS=${BENCH_ROUNDS:-5}
RUNSTAT="$PYTHON $SRCDIR/tests/bench/runstat.py"
. "$SRCDIR/tests/bench/lib-bench.bash"
GEN="$PYTHON $SRCDIR/tests/bench/gen-indep.py"
WWW=$TRASH/www
mkdir -p "$WWW"

die() {
    echo "bench/scale: $*" >&2
    exit 1
}

nginx_start "$WWW" nginx plain || die "nginx did not start"
echo "bench/scale: repositories and client state in $TRASH ($(df -T "$TRASH" | awk 'NR==2 {print $2}')); nginx $NGINX_URL (plain HTTP)"
echo "bench/scale: $(nproc) CPUs, shared with other work: figures are medians of $ROUNDS paired rounds where repeated"
if "$PYTHON" -c "import tuf" 2>/dev/null; then
    PYTUF=1
else
    PYTUF=0
    echo "bench/scale: python-tuf is not installed (not a Debian package; no PyPI here): its column is skipped"
fi

maxof() {
    printf '%s\n' "$@" | sort -g | tail -1
}
# roles_for BITS: the max-delegated-roles a client of 2^BITS bins needs when
# the default (8192 delegated roles) is too few: every bin and headroom
roles_for() {
    [ $((1 << $1)) -gt 8192 ] && echo $(((1 << $1) + 64))
}

# client NAME: a state dir and configuration for $WWW/NAME ($CLIENT_ROLES:
# max-delegated-roles when set)
client() {
    COMPATIBLE=dev trust_conf "$TRASH/$1.conf" "$NGINX_URL$1/"
    printf '%s\n' "[fetch]" "max-metadata-size = 256M" >>"$TRASH/$1.conf"
    [ -n "${CLIENT_ROLES:-}" ] && echo "max-delegated-roles = $CLIENT_ROLES" >>"$TRASH/$1.conf"
    rm -rf "$TRASH/st-$1"
    "$SLIPWAY" -c "$TRASH/$1.conf" --state-dir "$TRASH/st-$1" init \
        --root "$WWW/$1/metadata/1.root.json" >/dev/null || die "init $1 failed"
}
swc() {
    local n=$1
    shift
    echo "$SLIPWAY" -c "$TRASH/$n.conf" --state-dir "$TRASH/st-$n" "$@"
}

# the 10-target repository the nothing-new refresh is paired with
$GEN "$WWW/small" 10 flat || die "gen-indep failed"
client small
$(swc small refresh) >/dev/null || die "refresh small failed"

# measure_client NAME LABEL PUBLISH: first refresh + list, nothing new, requests, RSS
measure_client() {
    local n=$1 label=$2 publish=$3 before r1 l1 req1 reqn doc i t_nn=() r_nn=() t_sm=() r_sm=() x
    client "$n"
    before=$(log_lines "$NGINX_LOG")
    r1=$(stat_run $(swc "$n" refresh))
    req1=$(($(log_lines "$NGINX_LOG") - before))
    before=$(log_lines "$NGINX_LOG")
    l1=$(stat_run $(swc "$n" list))
    [ "$(log_lines "$NGINX_LOG")" = "$before" ] || die "list made requests"
    # the metadata a client keeps (targets and every delegated role): what list parses
    doc=$(cat "$TRASH/st-$n/metadata/"*.json | wc -c)
    for i in $(seq 1 "$ROUNDS"); do
        before=$(log_lines "$NGINX_LOG")
        x=$(stat_run $(swc "$n" refresh))
        reqn=$(($(log_lines "$NGINX_LOG") - before))
        t_nn+=("${x% *}")
        r_nn+=("${x#* }")
        x=$(stat_run $(swc small refresh))
        t_sm+=("${x% *}")
        r_sm+=("${x#* }")
    done
    awk -v label="$label" -v pub="$publish" -v r1="$r1" -v l1="$l1" -v req1="$req1" \
        -v tnn="$(median "${t_nn[@]}")" -v rnn="$(maxof "${r_nn[@]}")" -v reqn="$reqn" \
        -v tsm="$(median "${t_sm[@]}")" -v rsm="$(maxof "${r_sm[@]}")" \
        -v tnnmin="$(median "${t_nn[0]}")" -v tnnmax="$(maxof "${t_nn[@]}")" -v doc="$doc" 'BEGIN {
        split(r1, a, " "); split(l1, b, " ")
        printf "  %-28s publish %s\n", label, pub
        printf "  %-28s first refresh %.3f s %.1f MiB (%d requests) + list %.3f s %.1f MiB; kept metadata %.1f MiB, list RSS %.2f x it, refresh RSS %.2f x it\n",
            "", a[1], a[2] / 1024, req1, b[1], b[2] / 1024, doc / 1048576, b[2] * 1024 / doc, a[2] * 1024 / doc
        printf "  %-28s nothing new: %.1f ms (max %.1f) %.1f MiB, %d requests; paired 10 targets: %.1f ms %.1f MiB\n",
            "", tnn * 1000, tnnmax * 1000, rnn / 1024, reqn, tsm * 1000, rsm / 1024
    }'
}

for n in $SIZES; do
    echo "bench/scale: $n targets"
    rm -rf "$TRASH/files"
    files "$TRASH/files" "$n"

    # slipway-repo, flat
    R=$WWW/srflat$n
    repo init "$R" --key-dir "$TRASH/k-srflat$n" --passphrase-file "$PASS" >/dev/null || die "init failed"
    a=$(stat_run "$SLIPWAY_REPO" add "$R" "$TRASH/files" --version 1.0.0 --compatible dev)
    c=$(stat_run "$SLIPWAY_REPO" commit "$R" --key-dir "$TRASH/k-srflat$n" --passphrase-file "$PASS")
    pub=$(awk -v a="$a" -v c="$c" 'BEGIN { split(a, x, " "); split(c, y, " ");
        printf "%.3f s (add %.3f s %.1f MiB + commit %.3f s %.1f MiB)", x[1] + y[1], x[1], x[2] / 1024, y[1], y[2] / 1024 }')
    echo "$n ${a% *} ${c% *}" >>"$TRASH/publish-times"
    measure_client "srflat$n" "slipway-repo flat" "$pub"

    # slipway-repo, 2^BITS succinct bins for each of $BITS (256 by default)
    for b in $BITS; do
        nm=srbins$n
        [ "$b" = 8 ] || nm=srbins$n-$b
        R=$WWW/$nm
        repo init "$R" --key-dir "$TRASH/k-$nm" --passphrase-file "$PASS" >/dev/null &&
            repo keygen bin-1 --key-dir "$TRASH/k-$nm" --passphrase-file "$PASS" >/dev/null &&
            repo delegate "$R" pkgs --succinct "$b" --key bin-1 --key-dir "$TRASH/k-$nm" >/dev/null ||
            die "init with bins failed"
        a=$(stat_run "$SLIPWAY_REPO" add "$R" "$TRASH/files" --role pkgs --version 1.0.0 --compatible dev)
        c=$(stat_run "$SLIPWAY_REPO" commit "$R" --key-dir "$TRASH/k-$nm" --passphrase-file "$PASS")
        pub=$(awk -v a="$a" -v c="$c" 'BEGIN { split(a, x, " "); split(c, y, " ");
            printf "%.3f s (add %.3f s %.1f MiB + commit %.3f s %.1f MiB)", x[1] + y[1], x[1], x[2] / 1024, y[1], y[2] / 1024 }')
        CLIENT_ROLES=$(roles_for "$b") measure_client "$nm" "slipway-repo $((1 << b)) succinct" "$pub"
    done

    # the independent generator, flat and 256 path_hash_prefixes bins
    for layout in flat bins256; do
        g=$(stat_run $GEN "$WWW/gi$layout$n" "$n" "$layout")
        measure_client "gi$layout$n" "gen-indep $layout" "$(awk -v g="$g" 'BEGIN { split(g, x, " "); printf "%.3f s (gen-indep.py, not slipway)", x[1] }')"
    done
    if [ "$PYTUF" = 1 ]; then
        echo "  python-tuf: installed, but its scripted run is not written yet"
    fi
    rm -rf "$TRASH/files"
done

# the largest bins: 2^BITS empty bins delegated and committed, then the client
for b in $MAXBITS; do
    nm=srmax$b
    R=$WWW/$nm
    echo "bench/scale: largest bins: $((1 << b)) succinct bins ($b bits), empty"
    repo init "$R" --key-dir "$TRASH/k-$nm" --passphrase-file "$PASS" >/dev/null &&
        repo keygen bin-1 --key-dir "$TRASH/k-$nm" --passphrase-file "$PASS" >/dev/null ||
        die "init for $b bits failed"
    d=$(stat_run "$SLIPWAY_REPO" delegate "$R" pkgs --succinct "$b" --key bin-1 --key-dir "$TRASH/k-$nm")
    c=$(stat_run "$SLIPWAY_REPO" commit "$R" --key-dir "$TRASH/k-$nm" --passphrase-file "$PASS")
    pub=$(awk -v d="$d" -v c="$c" 'BEGIN { split(d, x, " "); split(c, y, " ");
        printf "%.3f s (delegate %.3f s %.1f MiB + commit %.3f s %.1f MiB)", x[1] + y[1], x[1], x[2] / 1024, y[1], y[2] / 1024 }')
    # the client walks every bin and targets: max-delegated-roles raised to admit them
    CLIENT_ROLES=$(roles_for "$b") measure_client "$nm" "slipway-repo $((1 << b)) bins" "$pub"
    echo "  $(printf '%-28s' '') client: [fetch] max-delegated-roles = $(roles_for "$b" | grep . || echo '8192 (the default)')"
    rm -rf "$R" "$TRASH/st-$nm"
done

# linearity of publishing: the largest size against the one ten times smaller
awk '{ t[$1] = $2 + $3 } END {
    for (n in t) if ((n / 10) in t)
        printf "bench/scale: slipway-repo publish %d targets %.2f s = %.2f x the %d-target run (budget 11 x); 10 000 budget 2.5 s\n", n, t[n], t[n] / t[n / 10], n / 10
}' "$TRASH/publish-times"
