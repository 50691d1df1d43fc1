#!/bin/bash
# SPDX-License-Identifier: MIT
# `slipway update` after a refresh that verified everything but one
# delegated role: the run goes on with what verified (a top-level target
# is installed), leaves out the targets of the role it could not use (even
# a newer one), and says so in its summary, its warnings and its exit code.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

stage_repo || exit 1
sj() { json_get "$TRASH/out" "$1"; }

test_expect_success 'setup: a top-level release 1.0.0 and a newer 2.0.0 in a delegated role' '
    repo keygen apps-1 --key-dir "$STKEYS" --passphrase-file "$PASS" >/dev/null &&
    repo delegate "$STREPO" apps --key apps-1 --paths "apps/*" --key-dir "$STKEYS" >/dev/null &&
    publish_version 1.0.0 &&
    f=$(make_bundle 2.0.0) &&
    repo add "$STREPO" "$f" --name apps/app-2.0.0.tar --role apps --version 2.0.0 \
        --compatible dev >/dev/null &&
    repo commit "$STREPO" --key-dir "$STKEYS" --passphrase-file "$PASS" >/dev/null &&
    ls "$STREPO"/metadata/*.apps.json >/dev/null
'

test_expect_success 'the delegated role tampered with: 1.0.0 installed, the role named as unusable' '
    for m in "$STREPO"/metadata/*.apps.json; do printf " " >>"$m"; done &&
    expect_code 14 swc update --json &&
    test "$(sj "[\"result\"]")" = updated &&
    test "$(sj "[\"to\"]")" = 1.0.0 &&
    "$PYTHON" -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert [s[\"result\"] for s in j[\"steps\"] if s[\"step\"] == \"refresh\"] == [\"partial\"], j[\"steps\"]
assert len(j[\"warnings\"]) == 1 and \"apps\" in j[\"warnings\"][0], j[\"warnings\"]
" "$TRASH/out" &&
    contains "$TRASH/err" "role '\''apps'\''" &&
    slot_holds a 1.0.0
'

test_expect_success 'the role repaired by a new commit: 2.0.0 is taken' '
    repo renew "$STREPO" apps >/dev/null &&
    repo commit "$STREPO" --key-dir "$STKEYS" --passphrase-file "$PASS" >/dev/null &&
    expect_code 14 swc update --json &&
    test "$(sj "[\"to\"]")" = 2.0.0 &&
    test "$(sj "[\"warnings\"]")" = "[]" &&
    slot_holds b 2.0.0
'

test_done
