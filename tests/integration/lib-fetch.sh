# SPDX-License-Identifier: MIT
# Helpers of the fetch tests (t04NN-*.sh), sourced after lib.sh and
# lib-mirror.sh: the fetch-tool driver, configuration files with mirrors,
# and the checks every failure must pass.

FETCH_TOOL=${FETCH_TOOL:-$TBUILD/tools/fetch-tool}

# fetch_conf FILE [FETCH-KEY=VALUE...]: a configuration with a [fetch]
# section (fast test settings, overridable) followed by the mirror
# sections read from stdin (see mirror_section).
fetch_conf() {
    local file=$1 kv k
    local -A set=([connect-timeout]=5 [low-speed-limit]=1000 [low-speed-time]=10 [retries]=0)
    shift
    for kv in "$@"; do set[${kv%%=*}]=${kv#*=}; done
    {
        echo "[fetch]"
        for k in "${!set[@]}"; do echo "$k = ${set[$k]}"; done
        cat
    } >"$file"
}

# mirror_section NAME BASE [LINE...]: one [mirror] section for BASE (used for
# metadata and targets), trusting the test CA; extra lines are added as is.
mirror_section() {
    local name=$1 base=$2 l
    shift 2
    printf '[mirror "%s"]\nmetadata-url = %s\ntargets-url = %s\n' "$name" "$base" "$base"
    case "$base" in
    https://*) printf 'ca-file = %s\n' "$PKI/ca.crt" ;;
    esac
    for l in "$@"; do echo "$l"; done
}

# fetch_ok / fetch_fails ARGS...: run fetch-tool (output in $TRASH/out,
# errors in $TRASH/err) expecting success (exit 0) or failure (exit 1).
fetch_ok() {
    expect_code 0 "$FETCH_TOOL" --backoff-ms 10 "$@"
}

fetch_fails() {
    expect_code 1 "$FETCH_TOOL" --backoff-ms 10 "$@"
}

# error_is NAME: the JSON error of the last failing run has this code name
error_is() {
    local got
    got=$(json_get "$TRASH/out" '["error"]["name"]')
    if [ "$got" != "$1" ]; then
        echo "expected error $1, got $got:"
        cat "$TRASH/out" "$TRASH/err"
        return 1
    fi
}

# names_mirror MIRROR REASON: stderr names the mirror and says why
names_mirror() {
    contains "$TRASH/err" "mirror '$1'" && contains "$TRASH/err" "$2"
}

# result FIELD: a field of the last successful run's JSON result
result() {
    json_get "$TRASH/out" "[\"$1\"]"
}

# count_lines FILE PATTERN: lines of FILE holding the fixed string PATTERN
count_lines() {
    grep -cF -- "$2" "$1" || true
}
