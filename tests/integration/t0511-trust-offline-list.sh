#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway refresh keeps every delegated role, so slipway list needs no
# network afterwards (no request, and it works with the mirror gone); a
# delegated role that cannot be fetched or verified is named, its targets
# are not offered, and every other target is still listed. The repository
# is made with slipway-repo; the broken roles are made with tuf-forge.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

R=$TRASH/www/off
K=$TRASH/keys-off
make_repo off
repo keygen d1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null
for r in good bad gone; do
    repo delegate "$R" "$r" --paths "$r/*" --key d1 --key-dir "$K" >/dev/null
done
put() { # put ROLE PATH CONTENT
    local f # a file of its own: commit copies it, so it stays until then
    f=$(mktemp "$TRASH/src.XXXXXX") && printf '%s\n' "$3" >"$f" &&
    repo add "$R" "$f" --name "$2" --role "$1" --version 1.0.0 --compatible dev >/dev/null
}
put good good/a.tar ga
put bad bad/b.tar bb
put gone gone/c.tar gc
publish off

nginx_start "$TRASH/www"
client_for off "$NGINX_URL"
# the same state through a mirror that is not there
COMPATIBLE=dev trust_conf "$TRASH/dead.conf" "https://127.0.0.1:$(free_port)/off/"
dead() { "$SLIPWAY" -c "$TRASH/dead.conf" --state-dir "$TRASH/st-off" "$@"; }

# names OUT: the target names a list --json printed, one per line
names() {
    "$PYTHON" -c 'import json,sys; print("\n".join(t["name"] for t in json.load(open(sys.argv[1]))["targets"]))' "$1"
}

test_expect_success 'refresh fetches and keeps every delegated role' '
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw off refresh --json &&
    test "$(json_get "$TRASH/out" "[\"delegated_roles\"]")" = 3 &&
    test "$(json_get "$TRASH/out" "[\"unusable_roles\"]")" = "[]" &&
    requests_since "$NGINX_LOG" "$before" >got &&
    for r in good bad gone; do
        contains got "GET /off/metadata/1.$r.json 200" &&
        cmp "$TRASH/st-off/metadata/$r.json" "$R/metadata/1.$r.json" || exit 1
    done
'

test_expect_success 'list right after refresh works with the mirror unreachable' '
    expect_code 0 dead list --json --why &&
    names "$TRASH/out" >got &&
    printf "%s\n" app-1.0.tar bad/b.tar gone/c.tar good/a.tar >want &&
    diff want got &&
    test "$(json_get "$TRASH/out" "[\"offered\"]")" = 4
'

test_expect_success 'list and list --why after refresh make no request' '
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw off list --json --why &&
    names "$TRASH/out" >got &&
    diff want got &&
    expect_code 0 sw off list &&
    contains "$TRASH/out" "good/a.tar" &&
    test "$(log_lines "$NGINX_LOG")" = "$before"
'

test_expect_success 'a role that cannot be fetched: refresh exits 6 naming it, list lists the rest' '
    mv "$R/metadata/1.gone.json" "$TRASH/gone.json" &&
    { COMPATIBLE=dev trust_conf "$TRASH/late.conf" "${NGINX_URL}off/" &&
          "$SLIPWAY" -c "$TRASH/late.conf" --state-dir "$TRASH/st-late" init --root "$R/metadata/1.root.json" >/dev/null; } &&
    expect_code 6 sw late refresh &&
    contains "$TRASH/err" "role '"'"'gone'"'"' (delegated by '"'"'targets'"'"') cannot be used" &&
    contains "$TRASH/out" "1 delegated role(s) cannot be used" &&
    test ! -e "$TRASH/st-late/metadata/gone.json" &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw late list --why --json &&
    names "$TRASH/out" >got &&
    printf "%s\n" app-1.0.tar bad/b.tar good/a.tar >want2 &&
    diff want2 got &&
    test "$(json_get "$TRASH/out" "[\"skipped_roles\"][0][\"role\"]")" = gone &&
    expect_code 0 sw late list --why &&
    contains "$TRASH/out" "role '"'"'gone'"'"' (delegated by '"'"'targets'"'"') cannot be used" &&
    contains "$TRASH/out" "slipway refresh" &&
    test "$(log_lines "$NGINX_LOG")" = "$before" &&
    mv "$TRASH/gone.json" "$R/metadata/1.gone.json"
'

test_expect_success 'a role that does not verify: refresh exits 5 naming it, list lists the rest' '
    forge_resign off 1.bad.json --key d1 --bogus-signature &&
    relink off &&
    expect_code 5 sw off refresh &&
    contains "$TRASH/err" "role '"'"'bad'"'"' (delegated by '"'"'targets'"'"') cannot be used" &&
    contains "$TRASH/err" "signature" &&
    lacks "$TRASH/err" "gone" &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw off list --why &&
    grep -q "^good/a.tar  *1.0.0  *3 bytes" "$TRASH/out" &&
    grep -q "^gone/c.tar  *1.0.0  *3 bytes" "$TRASH/out" &&
    grep -q "^app-1.0.tar " "$TRASH/out" &&
    lacks "$TRASH/out" "bad/b.tar" &&
    contains "$TRASH/out" "role '"'"'bad'"'"' (delegated by '"'"'targets'"'"') cannot be used" &&
    contains "$TRASH/err" "role '"'"'bad'"'"'" &&
    test "$(log_lines "$NGINX_LOG")" = "$before" &&
    expect_code 0 dead list --json &&
    names "$TRASH/out" >got &&
    printf "%s\n" app-1.0.tar gone/c.tar good/a.tar >want3 &&
    diff want3 got
'

test_done
