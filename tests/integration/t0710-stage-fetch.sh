#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway fetch: the newest offered target (or the one named) downloaded
# into STATE_DIR/downloads through the trust client, verified, under a name
# safe for any target path; old downloads pruned; every step in history.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

stage_repo
publish_version 1.0.0
publish_version 1.1.0 tar.gz
swc refresh >/dev/null

test_expect_success 'nothing offered to this machine: fetch says so, exits 0, downloads nothing' '
    "$SLIPWAY" -c "$STCONF" --state-dir "$TRASH/other" init --root "$STREPO/metadata/1.root.json" >/dev/null &&
    sed "s/^compatible = dev/compatible = other/" "$STCONF" >"$TRASH/other.conf" &&
    "$SLIPWAY" -c "$TRASH/other.conf" --state-dir "$TRASH/other" refresh >/dev/null &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/other.conf" --state-dir "$TRASH/other" fetch &&
    contains "$TRASH/out" "no update is offered" &&
    test ! -e "$TRASH/other/downloads/app-1.0.0.tar"
'

test_expect_success 'fetch without a target downloads the newest offered, verified, private' '
    expect_code 0 swc fetch --json &&
    test "$(json_get "$TRASH/out" "[\"target\"]")" = app-1.1.0.tar.gz &&
    test "$(json_get "$TRASH/out" "[\"version\"]")" = 1.1.0 &&
    test "$(json_get "$TRASH/out" "[\"path\"]")" = "$ST/downloads/app-1.1.0.tar.gz" &&
    test "$(json_get "$TRASH/out" "[\"cached\"]")" = false &&
    test "$(json_get "$TRASH/out" "[\"state\"]")" = downloaded &&
    json_get "$TRASH/out" "[\"txn\"]" | grep -qE "^tx-[0-9a-f]{16}$" &&
    test "$(json_get "$TRASH/out" "[\"length\"]")" = "$(stat -c %s "$TRASH/app-1.1.0.tar.gz")" &&
    cmp "$ST/downloads/app-1.1.0.tar.gz" "$TRASH/app-1.1.0.tar.gz" &&
    test "$(file_mode "$ST/downloads")" = 700 &&
    test "$(file_mode "$ST/downloads/app-1.1.0.tar.gz")" = 600
'

test_expect_success 'a second fetch keeps the verified file without a download' '
    before=$(stat -c %Y.%i "$ST/downloads/app-1.1.0.tar.gz") &&
    expect_code 0 swc fetch --json &&
    test "$(json_get "$TRASH/out" "[\"cached\"]")" = true &&
    test "$(stat -c %Y.%i "$ST/downloads/app-1.1.0.tar.gz")" = "$before"
'

test_expect_success 'history records the update: available, downloading, downloaded' '
    expect_code 0 swc history --json &&
    test "$(json_get "$TRASH/out" "[\"updates\"][0][\"target\"]")" = app-1.1.0.tar.gz &&
    test "$(json_get "$TRASH/out" "[\"updates\"][0][\"state\"]")" = downloaded &&
    test "$(json_get "$TRASH/out" "[\"updates\"][0][\"actor\"]")" = "operator:$(id -un)" &&
    "$PYTHON" -c "import json,sys; print(\" \".join(e[\"to_state\"] for e in json.load(open(sys.argv[1]))[\"updates\"][0][\"events\"]))" "$TRASH/out" >got &&
    echo "available downloading downloaded" >want &&
    diff want got
'

test_expect_success 'fetch TARGET takes that one; the older download of another target is pruned' '
    expect_code 0 swc fetch app-1.0.0.tar &&
    contains "$TRASH/out" "fetched app-1.0.0.tar" &&
    cmp "$ST/downloads/app-1.0.0.tar" "$TRASH/app-1.0.0.tar" &&
    test ! -e "$ST/downloads/app-1.1.0.tar.gz" &&
    expect_code 0 swc history --json &&
    test "$(json_get "$TRASH/out" "[\"updates\"][1][\"state\"]")" = cancelled
'

test_expect_success 'a target nobody signed is refused by name' '
    expect_code 1 swc fetch no-such.tar &&
    contains "$TRASH/err" "no trusted target '\''no-such.tar'\''"
'

test_expect_success 'a target for other machines is refused even when named' '
    f=$(make_bundle 9.0.0) &&
    repo add "$STREPO" "$f" --name other.tar --version 9.0.0 --compatible not-this >/dev/null &&
    repo commit "$STREPO" --key-dir "$STKEYS" --passphrase-file "$PASS" >/dev/null &&
    swc refresh >/dev/null &&
    expect_code 5 swc fetch other.tar &&
    contains "$TRASH/err" "not for this machine" &&
    test ! -e "$ST/downloads/other.tar"
'

test_expect_success 'target paths with directories, dots and great length stay inside downloads' '
    seg=$(printf "d%.0s" $(seq 1 45)) &&
    long="$seg/$seg/$seg/$seg/$seg/app" &&
    f=$(make_bundle 2.0.0) &&
    repo add "$STREPO" "$f" --name "rel/v2/.app.tar" --version 2.0.0 --compatible dev >/dev/null &&
    repo add "$STREPO" "$f" --name "rel/$long.tar" --version 2.0.1 --compatible dev >/dev/null &&
    repo commit "$STREPO" --key-dir "$STKEYS" --passphrase-file "$PASS" >/dev/null &&
    swc refresh >/dev/null &&
    expect_code 0 swc fetch --json "rel/v2/.app.tar" &&
    test "$(json_get "$TRASH/out" "[\"path\"]")" = "$ST/downloads/rel%2Fv2%2F.app.tar" &&
    cmp "$ST/downloads/rel%2Fv2%2F.app.tar" "$f" &&
    expect_code 0 swc fetch --json "rel/$long.tar" &&
    want=$(printf "%s" "rel/$long.tar" | sha256sum | cut -d" " -f1) &&
    test "$(json_get "$TRASH/out" "[\"path\"]")" = "$ST/downloads/%%sha256-$want" &&
    cmp "$ST/downloads/%%sha256-$want" "$f" &&
    test ! -e "$ST/rel" && test ! -e "$ST/downloads/rel" &&
    same_files "$ST/downloads" "%%sha256-$want"
'

test_done
