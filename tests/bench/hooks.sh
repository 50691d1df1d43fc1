#!/bin/bash
# SPDX-License-Identifier: MIT
# Hook runner benchmark (run by `make bench` as tests/bench/hooks.sh
# BUILD_DIR): 200 no-op hooks ("#!/bin/sh" + "exit 0") run by the runner
# (tools/hook-bench: sw_hook_run_phase() over the discovered list, timed
# inside the process, so start-up is not counted) against a plain
# `for f in ...; do sh -c "$f"; done` loop over the same files, in
# alternating rounds. The runner is measured as configured by default (its
# own cgroup v2 per hook where one is writable) and with the process-group
# fallback forced. Prints every round, the medians, the ratio and the budget
# of issue 10: the runner's cost per hook at most 1.5 x the loop's.
#
# Settings (environment): BENCH_HOOKS (200), BENCH_ROUNDS (7).
set -u
BUILD=$(cd "${1:-build}" && pwd)
export BUILD
. "$(dirname "$0")/../integration/lib.sh"

N=${BENCH_HOOKS:-200}
ROUNDS=${BENCH_ROUNDS:-7}
TOOL=$BUILD/tools/hook-bench
BUDGET=1.5

die() {
    echo "bench/hooks: $*" >&2
    exit 1
}

[ -x "$TOOL" ] || die "$TOOL is missing (make test-programs)"
D=$TRASH/hooks
mkdir -p "$D/pre-promote"
for i in $(seq 1 "$N"); do
    f=$D/pre-promote/$(printf '%04d' "$i")-noop
    printf '#!/bin/sh\nexit 0\n' >"$f"
    chmod 0755 "$f"
done

# loop_ms: one round of the plain shell loop, in milliseconds
loop_ms() {
    local t0 t1 f
    t0=$EPOCHREALTIME
    for f in "$D"/pre-promote/*; do sh -c "$f" || die "$f failed"; done
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", (b - a) * 1000}'
}

median() {
    printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}

echo "bench/hooks: $N no-op hooks, $ROUNDS rounds"
echo "  runner:   $TOOL $D 1 [--no-cgroup] --store $TRASH/st  (sw_hook_run_phase over the list, then the phase and its $N rows stored in one transaction)"
echo "  baseline: for f in $D/pre-promote/*; do sh -c \"\$f\"; done"
"$TOOL" "$D" 1 --store "$TRASH/st" >/dev/null || die "the runner failed"
loop_ms >/dev/null

declare -a T_LOOP T_RUN T_PG
CONTAIN=
for i in $(seq 1 "$ROUNDS"); do
    tl=$(loop_ms)
    read -r tr CONTAIN < <("$TOOL" "$D" 1 --store "$TRASH/st") || die "the runner failed"
    read -r tp _ < <("$TOOL" "$D" 1 --no-cgroup --store "$TRASH/st") || die "the runner (--no-cgroup) failed"
    [ -n "$tr" ] && [ -n "$tp" ] || die "the runner printed no time"
    T_LOOP+=("$tl")
    T_RUN+=("$tr")
    T_PG+=("$tp")
    printf '  round %d: sh -c loop %8.1f ms   runner (%s) %8.1f ms   runner (process-group) %8.1f ms\n' \
        "$i" "$tl" "$CONTAIN" "$tr" "$tp"
done
ml=$(median "${T_LOOP[@]}")
mr=$(median "${T_RUN[@]}")
mp=$(median "${T_PG[@]}")
awk -v l="$ml" -v r="$mr" -v p="$mp" -v n="$N" -v k="$ROUNDS" -v b="$BUDGET" -v c="$CONTAIN" 'BEGIN {
    printf "  median of %d rounds: sh -c loop %.1f ms (%.3f ms per hook), runner (%s) %.1f ms (%.3f ms per hook)\n",
        k, l, l / n, c, r, r / n
    printf "  ratio runner / loop: %.2f (budget %.2f: %s)\n", r / l, b, (r / l <= b) ? "met" : "NOT met"
    printf "  with the process-group fallback forced: %.1f ms, ratio %.2f (%s)\n", p, p / l,
        (p / l <= b) ? "met" : "NOT met"
}'
