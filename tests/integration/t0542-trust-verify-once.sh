#!/bin/bash
# SPDX-License-Identifier: MIT
# Verify once: list does not check the signatures of a kept role again when
# its bytes are the ones the store recorded when they verified (one
# SHA-256 of the file), but bytes that differ from the record by one
# character are checked, refused and dropped, and refresh fetches the role
# again. Also after a new root: kept roles are checked under it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

make_repo vo
nginx_start "$TRASH/www"
client_for vo "$NGINX_URL"
M=$TRASH/st-vo/metadata

# edit FILE: the same JSON with the first target's length changed (signatures left as they are)
edit() {
    "$PYTHON" - "$1" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
t = next(iter(d["signed"]["targets"].values()))
t["length"] += 1
open(p, "w").write(json.dumps(d, indent=1, sort_keys=True))
PY
}

test_expect_success 'list after refresh lists the kept targets' '
    expect_code 0 sw vo refresh &&
    cp "$M/targets.json" "$TRASH/targets.good" &&
    expect_code 0 sw vo list &&
    grep -q "^app-1.0.tar  *1.0.0  *11 bytes" "$TRASH/out"
'

test_expect_success 'a kept targets changed on disk is checked again, refused and dropped' '
    edit "$M/targets.json" &&
    expect_code 5 sw vo list &&
    contains "$TRASH/err" "slipway refresh" &&
    test ! -e "$M/targets.json" &&
    lacks "$TRASH/out" "12 bytes"
'

test_expect_success 'refresh fetches it again; list is as before' '
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw vo refresh &&
    requests_since "$NGINX_LOG" "$before" >got &&
    grep -q "^GET /vo/metadata/[0-9]*.targets.json 200" got &&
    cmp "$M/targets.json" "$TRASH/targets.good" &&
    expect_code 0 sw vo list &&
    grep -q "^app-1.0.tar  *1.0.0  *11 bytes" "$TRASH/out"
'

test_expect_success 'the same edit made right after refresh is caught by the next refresh too' '
    edit "$M/targets.json" &&
    release vo app-2.0.tar 2.0.0 &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 sw vo refresh &&
    requests_since "$NGINX_LOG" "$before" >got &&
    grep -q "^GET /vo/metadata/[0-9]*.targets.json 200" got &&
    cmp "$M/targets.json" "$TRASH/www/vo/metadata/targets.json" &&
    expect_code 0 sw vo list &&
    contains "$TRASH/out" "app-2.0.tar"
'

test_done
