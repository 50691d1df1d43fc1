# SPDX-License-Identifier: MIT
# hook-lib.sh: helpers for slipway test hooks (POSIX sh). Source it:
#
#     . "${SLIPWAY_HOOK_LIB:?not run by slipway}"
#
# slipway sets SLIPWAY_HOOK_LIB to the installed copy of this file. See
# slipway-hooks(7) for the contract. Every function name starts with
# slipway_; the library sets no shell options and defines no other names
# than those and _slipway_*.

# slipway_opt KEY [DEFAULT]: the value of the hook's configuration key KEY
# (as written in its [hook "NAME"] section: "min-version" and "MIN_VERSION"
# are the same key), or DEFAULT (or "") when the section does not set it.
slipway_opt() {
    _slipway_k=$(printf '%s' "$1" | tr 'a-z-' 'A-Z_')
    case $_slipway_k in
    *[!A-Z0-9_]* | "") return 2 ;;
    esac
    eval "_slipway_v=\${SLIPWAY_OPT_$_slipway_k-}"
    if [ -n "$_slipway_v" ]; then
        printf '%s\n' "$_slipway_v"
    else
        printf '%s\n' "${2-}"
    fi
}

# slipway_json_string TEXT: TEXT as a JSON string, quotes included
# (backslash, quote and control characters escaped; every newline kept,
# trailing ones too).
slipway_json_string() {
    # the "." sentinel keeps trailing newlines a record-reading awk would drop
    printf '%s.' "$1" | awk '
        BEGIN { for (i = 1; i < 32; i++) ctl[sprintf("%c", i)] = sprintf("\\u%04x", i)
                ctl["\t"] = "\\t"; ctl["\r"] = "\\r"; out = "" }
        { if (NR > 1) out = out "\\n"
          n = length($0)
          for (i = 1; i <= n; i++) {
              c = substr($0, i, 1)
              if (c == "\\" || c == "\"") out = out "\\" c
              else if (c in ctl) out = out ctl[c]
              else out = out c
          } }
        END { printf "\"%s\"", substr(out, 1, length(out) - 1) }'
}

# slipway_finding CHECK pass|fail|skip [DETAIL]: report one finding. slipway
# stores it with the run and shows it in `slipway check` and `history`.
# Outside slipway (no SLIPWAY_RESULT_FD) the finding goes to stderr.
slipway_finding() {
    case ${2-} in
    pass | fail | skip) ;;
    *)
        echo "slipway_finding: status must be pass, fail or skip, not '${2-}'" >&2
        return 2
        ;;
    esac
    _slipway_line="{\"check\": $(slipway_json_string "$1"), \"status\": \"$2\", \"detail\": $(slipway_json_string "${3-}")}"
    if [ -n "${SLIPWAY_RESULT_FD-}" ]; then
        case $SLIPWAY_RESULT_FD in
        *[!0-9]*) return 2 ;;
        esac
        eval "printf '%s\\n' \"\$_slipway_line\" >&$SLIPWAY_RESULT_FD"
    else
        printf '%s\n' "$_slipway_line" >&2
    fi
}

# slipway_pass [MESSAGE]: print MESSAGE and exit 0 (the hook passed).
slipway_pass() {
    [ $# -gt 0 ] && printf '%s\n' "$*"
    exit 0
}

# slipway_fail MESSAGE: print MESSAGE to stderr and exit 1 (the hook failed).
slipway_fail() {
    printf '%s\n' "${*:-failed}" >&2
    exit 1
}

# slipway_skip MESSAGE: print why and exit 77 (not applicable here).
slipway_skip() {
    printf 'skipped: %s\n' "${*:-not applicable}"
    exit 77
}

# slipway_retry MESSAGE: print why and exit 75 (try again later; slipway
# retries a bounded number of times, with a delay).
slipway_retry() {
    printf 'retry later: %s\n' "${*:-not ready}" >&2
    exit 75
}

# slipway_version_ge A B: true when version A >= version B in version
# order (sort -V: "3.0.10" > "3.0.9", "1.0.1g" > "1.0.1f" > "1.0.1").
slipway_version_ge() {
    [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}
