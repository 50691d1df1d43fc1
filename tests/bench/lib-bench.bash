# SPDX-License-Identifier: MIT
# Shell functions shared by tests/bench/scale.sh and client-scale.sh
# (sourced; not a bench itself: `make bench` runs tests/bench/*.sh).
# They use the sourcing script's $PYTHON, $RUNSTAT and die().

# stat_run CMD...: run once, "SECONDS RSS_KB" (exit status must be 0)
stat_run() {
    local s k c
    read -r s k c < <($RUNSTAT -- "$@" 2>/dev/null)
    [ "$c" = 0 ] || die "failed (exit $c): $*"
    echo "$s $k"
}

median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'
}

# files DIR N: N small bundles pkgs/bundle-NNNNNNN.tar
files() {
    "$PYTHON" - "$1" "$2" <<'PY'
import os, sys
d = os.path.join(sys.argv[1], "pkgs")
os.makedirs(d, exist_ok=True)
for i in range(int(sys.argv[2])):
    with open(os.path.join(d, "bundle-%07d.tar" % i), "w") as f:
        f.write("bundle %d\n" % i)
PY
}
