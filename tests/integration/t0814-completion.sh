#!/bin/bash
# SPDX-License-Identifier: MIT
# Shell completion for both programs, generated from their command and
# option tables: the bash scripts are loaded in bash and asked, through
# COMP_WORDS/COMP_CWORD and the completion function, for commands,
# options, option values and sub-commands; every command and option that
# --help lists is completed (so commands added to a table appear without
# editing a script); the zsh scripts parse (zsh -n) and, with stubs for
# zsh's completion functions, offer the same; make install puts them in
# place.
. "$(dirname "$0")/lib.sh"

COMP=$BUILD/completion

# comp SCRIPT FUNCTION WORD...: the completions bash offers for the words
# (the last one is the word being completed), one per line, sorted
comp() {
    local script=$1 fn=$2
    shift 2
    bash -c '
        . "$1"
        fn=$2
        shift 2
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMPREPLY=()
        "$fn"
        printf "%s\n" "${COMPREPLY[@]}"
    ' bash "$script" "$fn" "$@" | sed '/^$/d' | sort
}
sw_comp() { comp "$COMP/slipway.bash" _slipway slipway "$@"; }
repo_comp() { comp "$COMP/slipway-repo.bash" _slipway_repo slipway-repo "$@"; }

# words FILE...: the lines of the files as one space-separated sorted list
words() { sort "$@" | tr '\n' ' ' | sed 's/ $//'; }

# help_commands PROGRAM: the commands its --help lists
help_commands() {
    "$1" --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1; next} on {exit}'
}

# help_options PROGRAM COMMAND: the long options its COMMAND --help lists
help_options() {
    "$1" "$2" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

test_expect_success 'the build made all four scripts, the same as the programs print now' '
    for f in slipway.bash slipway-repo.bash _slipway _slipway-repo; do test -s "$COMP/$f" || return 1; done &&
    "$SLIPWAY" --completion bash | cmp - "$COMP/slipway.bash" &&
    "$SLIPWAY" --completion zsh | cmp - "$COMP/_slipway" &&
    "$SLIPWAY_REPO" --completion bash | cmp - "$COMP/slipway-repo.bash" &&
    "$SLIPWAY_REPO" --completion zsh | cmp - "$COMP/_slipway-repo" &&
    bash -n "$COMP/slipway.bash" && bash -n "$COMP/slipway-repo.bash"
'

test_expect_success '--completion with another shell is a usage error' '
    expect_code 2 "$SLIPWAY" --completion fish &&
    contains "$TRASH/err" "bash or zsh" &&
    expect_code 2 "$SLIPWAY_REPO" --completion &&
    expect_code 2 "$SLIPWAY_REPO" --completion tcsh
'

test_expect_success 'bash: a command ("sta" -> stage status) and an option ("stage --all")' '
    test "$(sw_comp sta | words)" = "stage status" &&
    test "$(sw_comp stage --all | words)" = "--allow-downgrade" &&
    test "$(sw_comp -c /etc/slipway.conf --state-dir /tmp st | words)" = "stage status" &&
    test "$(sw_comp --ver | words)" = "--verbose --version"
'

test_expect_success 'bash: sub-commands and option values where the tables know them' '
    test "$(sw_comp hooks "" | words)" = "list" &&
    test "$(sw_comp hooks list --phase "" | words)" = "post-promote pre-promote" &&
    test "$(sw_comp config "" | words)" = "check" &&
    test "$(sw_comp help sh | words)" = "show" &&
    test "$(repo_comp keygen k1 --kdf "" | words)" = "interactive moderate sensitive" &&
    test "$(repo_comp keygen k1 --type e | words)" = "ecdsa ed25519"
'

test_expect_success 'bash: file and directory values complete from the disk' '
    mkdir -p "$TRASH/d/conf.d" && touch "$TRASH/d/cfg-one" &&
    test "$(sw_comp -c "$TRASH/d/cf" | words)" = "$TRASH/d/cfg-one" &&
    test "$(sw_comp status --state-dir "$TRASH/d/c" | words)" = "$TRASH/d/conf.d" &&
    test "$(repo_comp commit "$TRASH/d/co" | words)" = "$TRASH/d/conf.d"
'

test_expect_success 'bash: --progress-fd only for commands that download, --json only where taken' '
    test "$(sw_comp refresh --progress | words)" = "--progress-fd" &&
    test "$(sw_comp stage --progress | words)" = "--progress-fd" &&
    test -z "$(sw_comp status --progress)" &&
    test -z "$(sw_comp history --progress)" &&
    test "$(sw_comp status --js | words)" = "--json"
'

test_expect_success 'bash: every command --help lists is completed, with every option its --help lists' '
    for p in slipway slipway-repo; do
        if [ $p = slipway ]; then prog=$SLIPWAY; f=sw_comp; else prog=$SLIPWAY_REPO; f=repo_comp; fi
        help_commands "$prog" >"$TRASH/cmds" &&
        test -s "$TRASH/cmds" &&
        $f "" >"$TRASH/got" &&
        for c in $(cat "$TRASH/cmds"); do
            grep -qx -- "$c" "$TRASH/got" || { echo "$p: command $c not completed"; return 1; }
            help_options "$prog" "$c" >"$TRASH/opts"
            $f "$c" -- >"$TRASH/gotopts"
            for o in $(cat "$TRASH/opts"); do
                grep -qx -- "$o" "$TRASH/gotopts" || { echo "$p $c: option $o not completed"; return 1; }
            done
            for o in $(cat "$TRASH/gotopts"); do
                grep -qx -- "$o" "$TRASH/opts" || { echo "$p $c: $o completed, not in --help"; return 1; }
            done
        done || return 1
    done
'

test_expect_success 'slipway-repo: commands and their option groups' '
    test "$(repo_comp del | words)" = "delegate" &&
    test "$(repo_comp commit --key | words)" = "--key-dir" &&
    repo_comp timestamp --expires | grep -qx -- --expires-timestamp &&
    test -z "$(repo_comp status --key)"
'

if command -v zsh >/dev/null; then
    test_expect_success 'zsh: both scripts parse (zsh -n)' '
        zsh -n "$COMP/_slipway" && zsh -n "$COMP/_slipway-repo"
    '

    # zcomp SCRIPT STATE WORD...: what the script hands a command's _arguments
    # or _describe, both stubbed (STATE is what the top _arguments -C would set)
    zcomp() {
        zsh -c '
            script=$1 st=$2
            shift 2
            _arguments() { if [[ $1 == -C ]]; then state=$st; else print -rl -- "$@"; fi; return 0 }
            _describe() { print -rl -- "${(@P)4}"; return 0 }
            words=("$@")
            source "$script"
        ' zsh "$@"
    }

    test_expect_success 'zsh: the commands, and the options and values of one command' '
        zcomp "$COMP/_slipway" command >"$TRASH/z" &&
        for c in $(help_commands "$SLIPWAY"); do grep -q "^$c:" "$TRASH/z" || { echo "zsh: no $c"; return 1; }; done &&
        zcomp "$COMP/_slipway" args stage >"$TRASH/z" &&
        grep -q "^--allow-downgrade\[" "$TRASH/z" &&
        grep -q "^--progress-fd\[" "$TRASH/z" &&
        zcomp "$COMP/_slipway" args hooks >"$TRASH/z" &&
        grep -qF -- "--phase[" "$TRASH/z" && grep -qF "(pre-promote post-promote)" "$TRASH/z" &&
        grep -qF "1: :(list)" "$TRASH/z" &&
        ! grep -q "^--progress-fd" "$TRASH/z" &&
        zcomp "$COMP/_slipway-repo" args keygen >"$TRASH/z" &&
        grep -qF "(interactive moderate sensitive)" "$TRASH/z"
    '
else
    say "SKIP zsh is not installed: the zsh checks are skipped"
fi

test_expect_success 'make install puts them where bash-completion and zsh look' '
    MAKEFLAGS= make -s -C "$SRCDIR" install DESTDIR="$TRASH/root" PREFIX=/usr >/dev/null &&
    cmp "$COMP/slipway.bash" "$TRASH/root/usr/share/bash-completion/completions/slipway" &&
    cmp "$COMP/slipway-repo.bash" "$TRASH/root/usr/share/bash-completion/completions/slipway-repo" &&
    cmp "$COMP/_slipway" "$TRASH/root/usr/share/zsh/site-functions/_slipway" &&
    cmp "$COMP/_slipway-repo" "$TRASH/root/usr/share/zsh/site-functions/_slipway-repo" &&
    MAKEFLAGS= make -s -C "$SRCDIR" uninstall DESTDIR="$TRASH/root" PREFIX=/usr >/dev/null &&
    test ! -e "$TRASH/root/usr/share/bash-completion/completions/slipway" &&
    test ! -e "$TRASH/root/usr/share/zsh/site-functions/_slipway"
'

test_done
