#!/bin/bash
# SPDX-License-Identifier: MIT
# Target files are copied into targets/ at commit, not at add: add only
# hashes the file and remembers where it is; commit copies it, checking
# its hashes again while it streams (a file changed between add and commit
# is refused, nothing published, nothing left under targets/), before any
# metadata is written. unstage discards staged edits (all, or of the roles
# named, a new delegated role with its delegator), saying what went, and
# leaves targets/ and the published files alone. prune lists the files
# under targets/ no published or staged role names, and removes them only
# with --yes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-repo.sh"

R=$TRASH/www/u
K=$TRASH/keys-u

# tree DIR: every file under DIR with its sha256, sorted (what "untouched" means)
tree() {
    (cd "$1" && find . -type f ! -name lock -print0 | sort -z | xargs -0 -r sha256sum)
}
# names_of FILE: the two content-addressed names of FILE (python, independently)
names_of() {
    "$PYTHON" -c 'import hashlib,sys,os; b=open(sys.argv[1],"rb").read(); n=os.path.basename(sys.argv[2]); print(hashlib.sha256(b).hexdigest()+"."+n); print(hashlib.sha512(b).hexdigest()+"."+n)' "$1" "$2"
}

test_expect_success 'setup: a published repository' '
    make_repo u &&
    repo keygen apps-1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null
'

test_expect_success 'add copies nothing into targets/; commit copies it under both names' '
    printf "new bundle\n" >"$TRASH/new.tar" &&
    tree "$R/targets" >before &&
    expect_code 0 repo add "$R" "$TRASH/new.tar" --version 2.0.0 --compatible dev &&
    tree "$R/targets" >after && diff before after &&
    contains "$R/staged/sources.json" "$TRASH/new.tar" &&
    expect_code 0 repo commit "$R" --key-dir "$K" --passphrase-file "$PASS" -v &&
    contains "$TRASH/err" "copied '"'"'$TRASH/new.tar'"'"'" &&
    contains "$TRASH/err" "wrote" &&
    contains "$TRASH/err" "signed role '"'"'targets'"'"'" &&
    names_of "$TRASH/new.tar" new.tar >names &&
    while read -r n; do cmp "$TRASH/new.tar" "$R/targets/$n" || exit 1; done <names &&
    test ! -e "$R/staged/sources.json" &&
    repo verify "$R" >out && contains out "ok: 2 targets" &&
    $INDEP "$R" >/dev/null
'

test_expect_success 'a file changed between add and commit is refused; nothing is published' '
    printf "version three\n" >"$TRASH/three.tar" &&
    repo add "$R" "$TRASH/three.tar" --version 3.0.0 --compatible dev >/dev/null &&
    printf "version three, edited\n" >"$TRASH/three.tar" &&
    tree "$R/metadata" >md-before && tree "$R/targets" >t-before &&
    expect_code 1 repo commit "$R" --key-dir "$K" --passphrase-file "$PASS" &&
    contains "$TRASH/err" "target '"'"'three.tar'"'"'" &&
    contains "$TRASH/err" "changed since it was added" &&
    tree "$R/metadata" >md-after && diff md-before md-after &&
    tree "$R/targets" >t-after && diff t-before t-after &&
    test -z "$(ls -A "$R/targets" | grep -v -e "\.app-1\.0\.tar$" -e "\.new\.tar$")" &&
    test -e "$R/staged/roles/targets.json"
'

test_expect_success 'a source removed before commit is refused, naming it' '
    mv "$TRASH/three.tar" "$TRASH/three.moved" &&
    expect_code 1 repo commit "$R" --key-dir "$K" --passphrase-file "$PASS" &&
    contains "$TRASH/err" "cannot open '"'"'$TRASH/three.tar'"'"'"
'

test_expect_success 'unstage discards every staged edit, says so, touches neither metadata nor targets' '
    tree "$R/metadata" >md-before && tree "$R/targets" >t-before &&
    expect_code 0 repo unstage "$R" &&
    contains "$TRASH/out" "discarded staged role '"'"'targets'"'"' version 4" &&
    contains "$TRASH/out" "1 target file not yet copied" &&
    test ! -e "$R/staged/roles/targets.json" && test ! -e "$R/staged/sources.json" &&
    tree "$R/metadata" >md-after && diff md-before md-after &&
    tree "$R/targets" >t-after && diff t-before t-after &&
    expect_code 0 repo status "$R" && contains "$TRASH/out" "nothing staged" &&
    expect_code 0 repo unstage "$R" --json &&
    test "$(json_get "$TRASH/out" "[\"discarded\"]")" = "[]" &&
    expect_code 0 repo unstage "$R" && contains "$TRASH/out" "nothing was staged"
'

test_expect_success 'unstage ROLE: a new role goes with its delegator, not alone' '
    expect_code 0 repo delegate "$R" apps --key apps-1 --paths "apps/*" --key-dir "$K" &&
    test -e "$R/staged/roles/apps.json" &&
    expect_code 1 repo unstage "$R" apps &&
    contains "$TRASH/err" "the staged role '"'"'targets'"'"' delegates to it" &&
    test -e "$R/staged/roles/apps.json" &&
    expect_code 1 repo unstage "$R" nosuch && contains "$TRASH/err" "no role '"'"'nosuch'"'"'" &&
    expect_code 2 repo unstage "$R" timestamp &&
    expect_code 0 repo unstage "$R" targets --json &&
    test "$(json_get "$TRASH/out" "[\"discarded\"][0][\"role\"]")" = targets &&
    test "$(json_get "$TRASH/out" "[\"discarded\"][1][\"role\"]")" = apps &&
    test ! -e "$R/staged/roles/apps.json" && test ! -e "$R/staged/roles/targets.json"
'

test_expect_success 'unstage ROLE keeps the other roles staged' '
    repo delegate "$R" apps --key apps-1 --paths "apps/*" --key-dir "$K" >/dev/null &&
    publish u &&
    printf "a\n" >"$TRASH/a.tar" && printf "b\n" >"$TRASH/b.tar" &&
    repo add "$R" "$TRASH/a.tar" --name apps/a.tar --role apps --version 1.0.0 --compatible dev >/dev/null &&
    repo add "$R" "$TRASH/b.tar" --version 1.0.0 --compatible dev >/dev/null &&
    expect_code 0 repo unstage "$R" apps &&
    contains "$TRASH/out" "discarded staged role '"'"'apps'"'"'" &&
    lacks "$TRASH/out" "'"'"'targets'"'"'" &&
    test -e "$R/staged/roles/targets.json" &&
    lacks "$R/staged/sources.json" "apps/a.tar" && contains "$R/staged/sources.json" "b.tar" &&
    publish u &&
    expect_code 0 repo list "$R" && contains "$TRASH/out" b.tar && lacks "$TRASH/out" apps/a.tar
'

test_expect_success 'prune: a dry run by default, listing what no role names and its bytes' '
    repo remove "$R" new.tar >/dev/null && publish u &&
    printf "stray bytes\n" >"$R/targets/stray.bin" &&
    tree "$R/targets" >t-before &&
    expect_code 0 repo prune "$R" --json &&
    test "$(json_get "$TRASH/out" "[\"schema\"]")" = 1 &&
    test "$(json_get "$TRASH/out" "[\"dry_run\"]")" = true &&
    { names_of "$TRASH/new.tar" new.tar; echo stray.bin; } | sort >want &&
    "$PYTHON" -c "import json,sys; [print(f[\"file\"]) for f in json.load(open(sys.argv[1]))[\"files\"]]" "$TRASH/out" | sort >got &&
    diff want got &&
    want_bytes=$(( $(stat -c %s "$TRASH/new.tar") * 2 + $(stat -c %s "$R/targets/stray.bin") )) &&
    test "$(json_get "$TRASH/out" "[\"bytes\"]")" = "$want_bytes" &&
    expect_code 0 repo prune "$R" &&
    contains "$TRASH/out" "would remove targets/stray.bin (12 bytes)" &&
    contains "$TRASH/out" "--yes" &&
    tree "$R/targets" >t-after && diff t-before t-after
'

test_expect_success 'prune keeps a file only a staged role names' '
    mkdir -p "$TRASH/again" && printf "new bundle\n" >"$TRASH/again/new.tar" &&
    repo add "$R" "$TRASH/again/new.tar" --version 2.0.1 --compatible dev >/dev/null &&
    expect_code 0 repo prune "$R" --json &&
    echo stray.bin >want &&
    "$PYTHON" -c "import json,sys; [print(f[\"file\"]) for f in json.load(open(sys.argv[1]))[\"files\"]]" "$TRASH/out" >got &&
    diff want got &&
    repo unstage "$R" >/dev/null
'

test_expect_success 'prune --yes removes them; the published files stay and verify' '
    expect_code 0 repo prune "$R" --yes &&
    contains "$TRASH/out" "removed targets/stray.bin" &&
    test ! -e "$R/targets/stray.bin" &&
    while read -r n; do test ! -e "$R/targets/$n" || exit 1; done < <(names_of "$TRASH/new.tar" new.tar) &&
    repo verify "$R" >out && contains out "ok:" &&
    expect_code 0 repo prune "$R" && contains "$TRASH/out" "nothing to prune"
'

test_expect_success 'one path in two roles, two contents: each role gets its own file; -vv says what add hashed' '
    repo delegate "$R" two --key apps-1 --paths "apps/*" --key-dir "$K" >/dev/null && publish u &&
    mkdir -p "$TRASH/r1" "$TRASH/r2" &&
    printf "first\n" >"$TRASH/r1/s.tar" && printf "second one\n" >"$TRASH/r2/s.tar" &&
    expect_code 0 repo add "$R" "$TRASH/r1/s.tar" --name apps/s.tar --role apps --version 1.0.0 \
        --compatible dev -vv &&
    contains "$TRASH/err" "hashed '"'"'$TRASH/r1/s.tar'"'"' for target '"'"'apps/s.tar'"'"'" &&
    repo add "$R" "$TRASH/r2/s.tar" --name apps/s.tar --role two --version 2.0.0 --compatible dev >/dev/null &&
    publish u &&
    for f in r1 r2; do
        names_of "$TRASH/$f/s.tar" s.tar >names &&
        while read -r n; do cmp "$TRASH/$f/s.tar" "$R/targets/apps/$n" || exit 1; done <names || exit 1
    done &&
    repo verify "$R" >out && contains out "ok:"
'

test_expect_success 'commit killed at each fault point: metadata never names a missing file; a rerun finishes' '
    printf "crash bundle\n" >"$TRASH/crash.tar" &&
    repo add "$R" "$TRASH/crash.tar" --version 9.0.0 --compatible dev >/dev/null &&
    cp -a "$R" "$TRASH/pristine" &&
    cp -a "$R" "$TRASH/probe" &&
    SLIPWAY_FAULT_LIST=$TRASH/points "$SLIPWAY_REPO_T" commit "$TRASH/probe" --key-dir "$K" \
        --passphrase-file "$PASS" >/dev/null &&
    grep -qx repo-target-link "$TRASH/points" && grep -qx repo-target-sync "$TRASH/points" &&
    sort "$TRASH/points" | uniq -c >counts && n=0 &&
    while read -r count point; do
        for hit in $(seq 1 "$count"); do
            n=$((n + 1)) && rm -rf "$TRASH/c" && cp -a "$TRASH/pristine" "$TRASH/c" &&
            expect_code 137 env SLIPWAY_FAULT="$point@$hit" "$SLIPWAY_REPO_T" commit "$TRASH/c" \
                --key-dir "$K" --passphrase-file "$PASS" ||
                { echo "no crash at $point@$hit"; exit 1; }
            # the published metadata names no target file that is missing or unreadable
            # (a role newer than the snapshot links, or root copies behind, are what the
            # rerun finishes)
            repo verify "$TRASH/c" --json >v.out 2>/dev/null;
            "$PYTHON" -c "import json,sys; p=[x for x in json.load(open(sys.argv[1]))[\"problems\"] if x[\"check\"] not in (\"stale\", \"copy\")]; sys.exit(json.dumps(p) if p else 0)" v.out ||
                { echo "after a crash at $point@$hit"; exit 1; }
            expect_code 0 repo commit "$TRASH/c" --key-dir "$K" --passphrase-file "$PASS" ||
                { echo "rerun after $point@$hit failed"; exit 1; }
            repo verify "$TRASH/c" >v.out 2>&1 && contains v.out "ok:" &&
            repo list "$TRASH/c" >l.out && contains l.out crash.tar || exit 1
        done
    done <counts &&
    say "$n crash points tried" && test "$n" -ge 3 &&
    repo unstage "$R" >/dev/null
'

test_done
