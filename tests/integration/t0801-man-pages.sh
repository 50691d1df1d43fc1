#!/bin/bash
# SPDX-License-Identifier: MIT
# The man pages as a reader sees them: build/man/* rendered by man(1) (no
# hyphenation, so phrases can be searched) to
# text, checked for the words that must be there (every command of both
# programs, every exit code, the syntax a reader types) and for the
# mis-renderings go-md2man is prone to (Markdown links, lost underscores
# and quotes, paragraphs run together, literal markup).
. "$(dirname "$0")/lib.sh"

MANDIR=$BUILD/man
render() {
    MANWIDTH=80 MANROFFOPT=-rHY=0 man -l "$MANDIR/$1" 2>"$TRASH/man.err" | col -b >"$TRASH/$1.txt" &&
        ! test -s "$TRASH/man.err"
}

# the words a section between two headings holds (headings start a line)
section() {
    awk -v s="$2" '/^[^ \t]/ { on = ($0 == s) ; next } on' "$TRASH/$1.txt"
}

test_expect_success 'make builds the four man pages and man renders them without warnings' '
    for m in slipway.1 slipway-repo.1 slipway.conf.5 slipway-hooks.7; do
        test -s "$MANDIR/$m" && render "$m" || exit 1
    done
'

test_expect_success 'no markup, link or run-together paragraph survives rendering' '
    for m in slipway.1 slipway-repo.1 slipway.conf.5 slipway-hooks.7; do
        lacks "$TRASH/$m.txt" "**" && lacks "$TRASH/$m.txt" "\\f" &&
        lacks "$TRASH/$m.txt" "⟨" && lacks "$TRASH/$m.txt" "⟩" || exit 1
        # a sentence ending where the next begins: "missing.With"
        if grep -nE "[a-z]\.[A-Z][a-z]" "$TRASH/$m.txt"; then exit 1; fi
        # an asterisk glued to a word: emphasis left as text
        if grep -nE "[A-Za-z]\*[A-Za-z]|\*[A-Z]+\*" "$TRASH/$m.txt"; then exit 1; fi
    done
'

test_expect_success 'slipway-repo(1): the delegate synopsis reads as typed' '
    tr -s " \t\n" "   " <"$TRASH/slipway-repo.1.txt" >"$TRASH/repo.flat" &&
    contains "$TRASH/repo.flat" "[--threshold N] (--paths GLOB ... | --hash-prefix HEX ...) [--terminating]"
'

test_expect_success 'slipway.conf(5): underscores and quoted section names' '
    contains "$TRASH/slipway.conf.5.txt" "SLIPWAY_OPT_KEY" &&
    lacks "$TRASH/slipway.conf.5.txt" "SLIPWAYOPTKEY" &&
    grep -qx "\[mirror \"NAME\"\]" "$TRASH/slipway.conf.5.txt" &&
    grep -qx "\[hook \"NAME\"\]" "$TRASH/slipway.conf.5.txt" &&
    lacks "$TRASH/slipway.conf.5.txt" "[mirror NAME" &&
    lacks "$TRASH/slipway.conf.5.txt" "[hook NAME"
'

test_expect_success 'slipway(1): status and its --json fields are two sentences; SW_E_ names kept' '
    tr -s " \t\n" "   " <"$TRASH/slipway.1.txt" >"$TRASH/sw.flat" &&
    contains "$TRASH/sw.flat" "when missing. With --json, one JSON object" &&
    contains "$TRASH/sw.flat" "\"name\": \"SW_E_...\""
'

test_expect_success 'every command in --help is described in the man page' '
    "$SLIPWAY" --help >"$TRASH/h1" && "$SLIPWAY_REPO" --help >"$TRASH/h2" &&
    sed -n "/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p" "$TRASH/h1" >"$TRASH/c1" &&
    sed -n "/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p" "$TRASH/h2" >"$TRASH/c2" &&
    test -s "$TRASH/c1" && test -s "$TRASH/c2" &&
    section slipway.1 COMMANDS >"$TRASH/s1" && section slipway-repo.1 COMMANDS >"$TRASH/s2" &&
    while read -r c; do grep -qE "^       $c( |$)" "$TRASH/s1" || { echo "slipway $c"; exit 1; }; done <"$TRASH/c1" &&
    while read -r c; do grep -qE "^       $c( |$)" "$TRASH/s2" || { echo "slipway-repo $c"; exit 1; }; done <"$TRASH/c2"
'

test_expect_success 'EXIT STATUS of both pages lists every code of slipway/exit.h' '
    sed -n "s/^ *SW_EXIT_[A-Z_]* = \([0-9]*\),.*/\1/p" "$SRCDIR/include/slipway/exit.h" >"$TRASH/codes" &&
    test "$(wc -l <"$TRASH/codes")" -ge 18 &&
    for m in slipway.1 slipway-repo.1; do
        section "$m" "EXIT STATUS" | tr -s " ,\t" "\n\n\n" >"$TRASH/es" &&
        while read -r c; do grep -qx "$c" "$TRASH/es" || { echo "$m lacks $c"; exit 1; }; done <"$TRASH/codes" || exit 1
    done &&
    while read -r c; do grep -q "^| $c |" "$SRCDIR/docs/exit-codes.md" || exit 1; done <"$TRASH/codes"
'

test_done
