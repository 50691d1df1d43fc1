#!/bin/bash
# SPDX-License-Identifier: MIT
# Delegations as the client searches them: listed order decides, a
# terminating role ends the search, '*' and '?' never cross '/', patterns
# are case-sensitive, hash prefixes, a cycle, a role the snapshot does not
# list. The repository is made with slipway-repo; entries a role is not
# trusted for are forged into it with tuf-forge (slipway-repo refuses them).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

R=$TRASH/www/del
K=$TRASH/keys-del
make_repo del
repo keygen d1 --key-dir "$K" --passphrase-file "$PASS" >/dev/null
deleg() {
    repo delegate "$R" "$@" --key d1 --key-dir "$K" >/dev/null
}
put() { # put ROLE PATH CONTENT VERSION
    local f # a file of its own: commit copies it, so it stays until then
    f=$(mktemp "$TRASH/src.XXXXXX") && printf '%s\n' "$3" >"$f" &&
    repo add "$R" "$f" --name "$2" --role "$1" --version "$4" --compatible dev >/dev/null
}
deleg first --paths "apps/*"
deleg second --paths "apps/*"
deleg term --paths "t/*" --terminating
deleg after --paths "t/*"
deleg q --paths "q/v?.tar"
deleg star --paths "s/*"
deleg case --paths "Cx/*"
deleg bins --hash-prefix 00
deleg ca --paths "c/*"
deleg cb --from ca --paths "c/*"
put first apps/app.tar first 1.0.0
put second apps/app.tar second 2.0.0
put after t/only-after.tar after 1.0.0
put q q/v1.tar q1 1.0.0
put star s/a.tar sa 1.0.0
put case Cx/x.tar cx 1.0.0
put bins pkg3.bin pkg3 1.0.0
publish del

# forge ROLE PATH: list PATH in ROLE (copying the entry of another target)
forge_entry() {
    local entry
    entry=$("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d["signed"]["targets"][sys.argv[2]]))' "$R/metadata/1.$1.json" "$3")
    forge_resign del "1.$1.json" --key d1 --set "targets[$2]=$entry"
}
forge_entry q q/v10.tar q/v1.tar
forge_entry star s/deep/b.tar s/a.tar
forge_entry case cx/y.tar Cx/x.tar
forge_entry bins pkg0.bin pkg3.bin
# the cycle: cb delegates back to ca
cycle=$("$PYTHON" -c '
import json, sys
ca = json.load(open(sys.argv[1]))["signed"]["delegations"]
role = dict(ca["roles"][0]); role["name"] = "ca"
print(json.dumps({"keys": ca["keys"], "roles": [role]}))' "$R/metadata/1.ca.json")
forge_resign del 1.cb.json --key d1 --set "delegations=$cycle"
relink del

nginx_start "$TRASH/www"
client_for del "$NGINX_URL"
sw del refresh >/dev/null
sw del list --json --why >"$TRASH/list.json"
nginx_start "$TRASH/www" plain plain
PLAIN=$NGINX_URL

# role_of PATH: the role list names for PATH, or "absent"
role_of() {
    "$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(next((t["role"] for t in d["targets"] if t["name"] == sys.argv[2]), "absent"))' "$TRASH/list.json" "$1"
}

test_expect_success 'the first role listed wins when two are trusted for a path' '
    test "$(role_of apps/app.tar)" = first &&
    "$ADAPTER" --metadata-dir "$TRASH/md" init "$R/metadata/1.root.json" &&
    "$ADAPTER" --metadata-dir "$TRASH/md" --metadata-url "${PLAIN}del/metadata/" \
        --target-name apps/app.tar --target-dir "$TRASH/td" --target-base-url "${PLAIN}del/targets/" download &&
    test "$(cat "$TRASH/td/apps%2Fapp.tar")" = first
'

test_expect_success 'a terminating role ends the search: later roles are not asked' '
    test "$(role_of t/only-after.tar)" = absent &&
    expect_code 1 "$ADAPTER" --metadata-dir "$TRASH/md" --metadata-url "${PLAIN}del/metadata/" \
        --target-name t/only-after.tar --target-dir "$TRASH/td" --target-base-url "${PLAIN}del/targets/" download &&
    test ! -e "$TRASH/md/after.json"
'

test_expect_success '? matches one character, not two' '
    test "$(role_of q/v1.tar)" = q &&
    test "$(role_of q/v10.tar)" = absent
'

test_expect_success '* does not cross /' '
    test "$(role_of s/a.tar)" = star &&
    test "$(role_of s/deep/b.tar)" = absent
'

test_expect_success 'patterns are case-sensitive' '
    test "$(role_of Cx/x.tar)" = case &&
    test "$(role_of cx/y.tar)" = absent
'

test_expect_success 'hash prefixes: sha256 of the path decides' '
    test "$(printf pkg3.bin | sha256sum | cut -c1-2)" = 00 &&
    test "$(printf pkg0.bin | sha256sum | cut -c1-2)" != 00 &&
    test "$(role_of pkg3.bin)" = bins &&
    test "$(role_of pkg0.bin)" = absent
'

test_expect_success 'a delegation cycle ends the search instead of looping' '
    expect_code 1 "$ADAPTER" --metadata-dir "$TRASH/md" --metadata-url "${PLAIN}del/metadata/" \
        --target-name c/none.tar --target-dir "$TRASH/td" --target-base-url "${PLAIN}del/targets/" download &&
    contains "$TRASH/err" "c/none.tar" &&
    test -f "$TRASH/md/ca.json" && test -f "$TRASH/md/cb.json"
'

test_expect_success 'only the roles on the way are fetched' '
    lacks "$TRASH/plain/logs/access.log" "bins.json" &&
    lacks "$TRASH/plain/logs/access.log" "star.json"
'

test_expect_success 'a delegated role the snapshot does not list is never fetched' '
    snap=$(json_get "$R/metadata/timestamp.json" "[\"signed\"][\"meta\"][\"snapshot.json\"][\"version\"]") &&
    forge_resign del "$snap.snapshot.json" --key snapshot-1 --unset "meta[star.json]" &&
    relink del &&
    expect_code 5 sw del refresh &&
    contains "$TRASH/err" "no longer lists '"'"'star.json'"'"'" &&
    COMPATIBLE=dev trust_conf "$TRASH/fresh.conf" "${NGINX_URL}del/" &&
    "$SLIPWAY" -c "$TRASH/fresh.conf" --state-dir "$TRASH/st-fresh" init --root "$R/metadata/1.root.json" >/dev/null &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 5 "$SLIPWAY" -c "$TRASH/fresh.conf" --state-dir "$TRASH/st-fresh" refresh &&
    contains "$TRASH/err" "role '"'"'star'"'"' (delegated by '"'"'targets'"'"') cannot be used" &&
    contains "$TRASH/err" "role '"'"'star'"'"' is delegated but snapshot version" &&
    requests_since "$NGINX_LOG" "$before" >got &&
    lacks got "star" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/fresh.conf" --state-dir "$TRASH/st-fresh" list --why &&
    contains "$TRASH/out" "role '"'"'star'"'"' (delegated by '"'"'targets'"'"') cannot be used" &&
    contains "$TRASH/out" "apps/app.tar" &&
    test ! -e "$TRASH/st-fresh/metadata/star.json" &&
    "$ADAPTER" --metadata-dir "$TRASH/md-fresh" init "$R/metadata/1.root.json" &&
    before=$(log_lines "$TRASH/plain/logs/access.log") &&
    expect_code 1 "$ADAPTER" --metadata-dir "$TRASH/md-fresh" --metadata-url "${PLAIN}del/metadata/" \
        --target-name s/a.tar --target-dir "$TRASH/td-fresh" --target-base-url "${PLAIN}del/targets/" download &&
    contains "$TRASH/err" "role '"'"'star'"'"' is delegated but snapshot" &&
    requests_since "$TRASH/plain/logs/access.log" "$before" >got &&
    lacks got "star" &&
    test ! -e "$TRASH/md-fresh/star.json"
'

# --- role names that look like paths (a repository made by Python) -----------------

"$PYTHON" "$SRCDIR/tests/integration/tuf-oddnames.py" "$TRASH/www/odd"

test_expect_success 'roles named ../x and a/b: kept inside the metadata directory, percent-encoded' '
    mkdir -p "$TRASH/odd" &&
    "$ADAPTER" --metadata-dir "$TRASH/odd/md" init "$TRASH/www/odd/metadata/1.root.json" &&
    "$ADAPTER" --metadata-dir "$TRASH/odd/md" --metadata-url "${PLAIN}odd/metadata/" \
        --target-name x/t.txt --target-name ab/u.txt --target-dir "$TRASH/odd/td" \
        --target-base-url "${PLAIN}odd/targets/" download &&
    same_files "$TRASH/odd/md" root.json timestamp.json snapshot.json targets.json \
        "..%2Fx.json" "a%2Fb.json" &&
    same_files "$TRASH/odd" md td &&
    test "$(cat "$TRASH/odd/td/x%2Ft.txt")" = "from ../x" &&
    test "$(cat "$TRASH/odd/td/ab%2Fu.txt")" = "from a/b" &&
    grep -q "GET /odd/metadata/1...%2Fx.json 200" "$TRASH/plain/logs/access.log" &&
    grep -q "GET /odd/metadata/1.a%2Fb.json 200" "$TRASH/plain/logs/access.log"
'

test_expect_success 'the slipway client lists them from the same roles' '
    COMPATIBLE=dev trust_conf "$TRASH/odd.conf" "${NGINX_URL}odd/" &&
    "$SLIPWAY" -c "$TRASH/odd.conf" --state-dir "$TRASH/st-odd" init \
        --root "$TRASH/www/odd/metadata/1.root.json" >/dev/null &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/odd.conf" --state-dir "$TRASH/st-odd" refresh &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/odd.conf" --state-dir "$TRASH/st-odd" list --json &&
    cp "$TRASH/out" "$TRASH/list.json" &&
    test "$(role_of x/t.txt)" = "../x" &&
    test "$(role_of ab/u.txt)" = "a/b" &&
    same_files "$TRASH/st-odd/metadata" root.json timestamp.json snapshot.json targets.json \
        "..%2Fx.json" "a%2Fb.json"
'

test_done
