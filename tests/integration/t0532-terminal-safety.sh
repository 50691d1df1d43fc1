#!/bin/bash
# SPDX-License-Identifier: MIT
# Terminal safety: target and role names from signed metadata holding
# escape sequences (CSI, OSC titles), carriage returns, C1 controls and DEL
# (a repository made by tuf-ctlnames.py, independently of slipway, served
# by a real nginx) never reach the terminal raw: not through `slipway
# list`, `list --why`, `--json`, -v logging, error messages, `status`, nor
# `slipway-repo verify`. Text output shows them as \xNN; JSON output is
# ASCII and decodes back to the exact names.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"

"$PYTHON" "$SRCDIR/tests/integration/tuf-ctlnames.py" "$TRASH/www/ctl" >"$TRASH/names.json"
"$PYTHON" "$SRCDIR/tests/integration/tuf-ctlnames.py" "$TRASH/www/ghost" --unlisted-ghost >/dev/null
nginx_start "$TRASH/www"

# no_ctl FILE...: no C0 control but '\n', no DEL, no C1 control (raw or as UTF-8)
no_ctl() {
    local f
    for f in "$@"; do
        if LC_ALL=C grep -naP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|[\x80-\x9f]' "$f" >/dev/null; then
            echo "raw control bytes in $f:"
            od -c "$f" | head -40
            return 1
        fi
    done
}

ctl() {
    "$SLIPWAY" -c "$TRASH/ctl.conf" --state-dir "$TRASH/st-ctl" "$@"
}

test_expect_success 'setup: the names really hold raw control bytes' '
    "$PYTHON" - "$TRASH/names.json" <<-\PY &&
	import json, sys
	gen = json.load(open(sys.argv[1]))
	names = list(gen["names"].values()) + [gen["role"], gen["ghost"]]
	for n in names:
	    assert any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in n), repr(n)
	PY
    ls "$TRASH/www/ctl/metadata" >"$TRASH/files" && ! no_ctl "$TRASH/files" >/dev/null
'

test_expect_success 'init and refresh: output holds no control byte' '
    COMPATIBLE=dev trust_conf "$TRASH/ctl.conf" "${NGINX_URL}ctl/" &&
    expect_code 0 ctl init --root "$TRASH/www/ctl/metadata/1.root.json" &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    expect_code 0 ctl -v refresh &&
    no_ctl "$TRASH/out" "$TRASH/err"
'

test_expect_success 'list: names shown escaped, no control byte' '
    expect_code 0 ctl list &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    contains "$TRASH/out" "\\x1b[2J\\x1b]0;owned\\x07app-2.0.tar" &&
    contains "$TRASH/out" "team/\\x1b]2;t\\x07x\\xc2\\x85y.tar" &&
    head -n 1 "$TRASH/out" | grep -q "^TARGET " &&
    test "$(wc -l <"$TRASH/out")" = 4
'

test_expect_success 'list --why: names and reasons escaped, one line per target' '
    expect_code 0 ctl list --why &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    contains "$TRASH/out" "evil\\x0dname\\xc2\\x9b31m.tar" &&
    contains "$TRASH/out" "for '"'"'\\x1b]2;title\\x07'"'"', '"'"'other\\x7f'"'"', not for '"'"'dev'"'"'" &&
    contains "$TRASH/out" "del\\x7fname.tar" &&
    head -n 1 "$TRASH/out" | grep -q "^TARGET " &&
    test "$(wc -l <"$TRASH/out")" = 6
'

test_expect_success 'show: names and reasons escaped, no control byte' '
    off=$(json_get "$TRASH/names.json" "[\"names\"][\"offered\"]") &&
    expect_code 0 ctl show "$off" &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    contains "$TRASH/out" "target:      \\x1b[2J\\x1b]0;owned\\x07app-2.0.tar" &&
    other=$(json_get "$TRASH/names.json" "[\"names\"][\"other\"]") &&
    expect_code 0 ctl show "$other" &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    contains "$TRASH/out" "evil\\x0dname\\xc2\\x9b31m.tar" &&
    contains "$TRASH/out" "'"'"'\\x1b]2;title\\x07'"'"', '"'"'other\\x7f'"'"'" &&
    expect_code 1 ctl show "$off-x" &&
    no_ctl "$TRASH/out" "$TRASH/err"
'

test_expect_success 'refresh -vv: the debug log escapes role names' '
    rm -f "$TRASH"/st-ctl/metadata/*red* &&
    expect_code 0 ctl -vv refresh &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    contains "$TRASH/err" "\\x1b[31mred\\x1b[0m\\xc2\\x9b"
'

test_expect_success 'list --json --why: ASCII only, and the names decode back exactly' '
    expect_code 0 ctl list --json --why &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    ! LC_ALL=C grep -qaP "[\x80-\xff]" "$TRASH/out" &&
    "$PYTHON" - "$TRASH/out" "$TRASH/names.json" <<-\PY
	import json, sys
	out, gen = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
	by = {t["name"]: t for t in out["targets"]}
	assert set(by) == set(gen["names"].values()) | {"ghost/g.tar"}, (sorted(by), gen)
	assert by[gen["names"]["team"]]["role"] == gen["role"], by
	assert by[gen["names"]["offered"]]["offered"] is True
	assert by[gen["names"]["other"]]["verdict"] == "incompatible"
	assert "\x1b" not in by[gen["names"]["other"]]["reason"], by
	assert out["offered"] == 3, out
	PY
'

test_expect_success 'status: no control byte' '
    expect_code 0 ctl status &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    expect_code 0 ctl status --json &&
    no_ctl "$TRASH/out" "$TRASH/err"
'

test_expect_success 'an error naming a role: escaped in the message' '
    COMPATIBLE=dev trust_conf "$TRASH/gh.conf" "${NGINX_URL}ghost/" &&
    "$SLIPWAY" -c "$TRASH/gh.conf" --state-dir "$TRASH/st-gh" init \
        --root "$TRASH/www/ghost/metadata/1.root.json" >/dev/null &&
    expect_code 5 "$SLIPWAY" -c "$TRASH/gh.conf" --state-dir "$TRASH/st-gh" refresh &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    contains "$TRASH/err" "ghost\\x1b[5m\\x0d" &&
    "$SLIPWAY" -c "$TRASH/gh.conf" --state-dir "$TRASH/st-gh" list >"$TRASH/out" 2>"$TRASH/err" &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    contains "$TRASH/err" "ghost\\x1b[5m\\x0d"
'

# verify exits 0 or with a problem (the repository is not slipway-repo's own):
# either way its output is clean
test_expect_success 'slipway-repo verify: role names escaped in text and JSON output' '
    { repo verify "$TRASH/www/ctl" >"$TRASH/out" 2>"$TRASH/err" || :; } &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    cat "$TRASH/out" "$TRASH/err" >"$TRASH/both" &&
    contains "$TRASH/both" "\\x1b[31mred\\x1b[0m\\xc2\\x9b" &&
    { repo verify --json "$TRASH/www/ctl" >"$TRASH/out" 2>"$TRASH/err" || :; } &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    ! LC_ALL=C grep -qaP "[\x80-\xff]" "$TRASH/out" &&
    "$PYTHON" -c "import json,sys; json.load(open(sys.argv[1]))" "$TRASH/out"
'

test_expect_success 'slipway-repo verify: problems naming a role escaped' '
    { repo verify "$TRASH/www/ghost" >"$TRASH/out" 2>"$TRASH/err" || :; } &&
    no_ctl "$TRASH/out" "$TRASH/err" &&
    cat "$TRASH/out" "$TRASH/err" >"$TRASH/both" &&
    contains "$TRASH/both" "ghost\\x1b[5m\\x0d"
'

test_done
