#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway config check: validates -c FILE and prints every key of every
# section with its effective value; the defaults it prints are the ones
# slipway.conf(5) documents (read from the man page source here, in the
# man page's order), set values win, [mirror] and [hook] sections and a
# hook's own options are printed; --json carries the same; a bad file exits
# 3 with the message; nothing is created (no state dir, no store).
. "$(dirname "$0")/lib.sh"

MAN=$SRCDIR/contrib/man/slipway.conf.5.md
ST=$TRASH/state

# the documented defaults: "SECTION KEY VALUE" lines, in the man page's
# order; "(unset)"-like values become "-"
"$PYTHON" - "$MAN" >"$TRASH/doc-defaults" <<'PY'
import re, sys
sect = None
for line in open(sys.argv[1]):
    m = re.match(r'^# \[(\w+)', line)
    if m:
        sect = m.group(1)
        continue
    if line.startswith('# '):
        sect = None
        continue
    if not sect or not line.startswith('**'):
        continue
    pairs = re.findall(r'\*\*([a-z-]+)\*\* = \*([^*]+)\*', line)
    if len(pairs) > 1:  # "**a** = *x*, **b** = *y*"
        for k, v in pairs:
            print(sect, k, v)
        continue
    m = re.match(r'^((?:\*\*[a-z-]+\*\*(?:, )?)+)(?: = (.*))?$', line.strip())
    if not m:
        continue
    keys = re.findall(r'\*\*([a-z-]+)\*\*', m.group(1))
    vals = re.findall(r'\*([^*]+)\*', m.group(2) or '')
    if len(vals) != len(keys):
        vals = ['-'] * len(keys)
    for k, v in zip(keys, vals):
        print(sect, k, v)
PY

test_expect_success 'the man page yields the defaults this test checks' '
    test "$(wc -l <"$TRASH/doc-defaults")" -ge 30 &&
    contains "$TRASH/doc-defaults" "fetch max-root-size 512K" &&
    contains "$TRASH/doc-defaults" "stage restore-owner yes"
'

cat >"$TRASH/c.conf" <<'CONF'
[slipway]
compatible = board-7
channel = beta
[fetch]
retries = 5
max-metadata-size = 4M
[mirror "primary"]
metadata-url = https://updates.example.com/metadata
targets-url = https://updates.example.com/targets/
[mirror "usb"]
metadata-url = file:///media/usb/metadata/
targets-url = file:///media/usb/targets/
[hook "smoke"]
required = no
url = http://127.0.0.1:9/health
CONF

# value SECTION KEY [NAME]: the value config check printed ("-" when not set)
value() {
    "$PYTHON" - "$TRASH/out" "$@" <<'PY'
import re, sys
want_sect, key = sys.argv[2], sys.argv[3]
name = sys.argv[4] if len(sys.argv) > 4 else None
cur = None
for line in open(sys.argv[1]):
    line = line.rstrip('\n')
    m = re.match(r'^\[(\w+)(?: "(.*)")?\]$', line)
    if m:
        cur = (m.group(1), m.group(2))
        continue
    if cur != (want_sect, name):
        continue
    if line == '# %s is not set' % key:
        print('-'); sys.exit(0)
    if line.startswith(key + ' = '):
        print(line[len(key) + 3:]); sys.exit(0)
sys.exit('no %s in [%s %s]' % (key, want_sect, name))
PY
}

: >"$TRASH/empty.conf"

test_expect_success 'built-in defaults: every documented key with its documented default' '
    expect_code 0 "$SLIPWAY" -c "$TRASH/empty.conf" config check &&
    contains "$TRASH/out" "effective configuration" &&
    sd=$(awk "\$2 == \"state-dir\" {print \$3}" "$TRASH/doc-defaults") &&
    test -n "$sd" &&
    while read -r sect key val; do
        case $sect in mirror|hook) continue ;; esac
        val=${val//STATE_DIR/$sd}
        got=$(value "$sect" "$key") || exit 1
        if [ "$got" != "$val" ]; then echo "[$sect] $key: documented $val, printed $got"; exit 1; fi
    done <"$TRASH/doc-defaults"
'

test_expect_success 'the keys come in the order of the key table (the man page order)' '
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$ST" config check &&
    awk "\$1 == \"slipway\" || \$1 == \"fetch\" || \$1 == \"stage\" {print \$2}" "$TRASH/doc-defaults" >want &&
    sed -n "s/^# \([a-z-]*\) is not set$/\1/p; s/^\([a-z-]*\) = .*/\1/p" "$TRASH/out" |
        head -n "$(wc -l <want)" >got &&
    diff want got &&
    grep "^\[" "$TRASH/out" >sections &&
    printf "%s\n" "[slipway]" "[fetch]" "[stage]" "[mirror \"primary\"]" "[mirror \"usb\"]" "[hook \"smoke\"]" >want &&
    diff want sections
'

test_expect_success 'set values win, the rest stay default; mirrors and hooks are printed' '
    test "$(value slipway compatible)" = board-7 &&
    test "$(value slipway channel)" = beta &&
    test "$(value slipway slot-a)" = "$ST/slots/a" &&
    test "$(value fetch retries)" = 5 &&
    test "$(value fetch max-metadata-size)" = 4M &&
    test "$(value fetch connect-timeout)" = 30 &&
    test "$(value stage max-bytes)" = 16G &&
    test "$(value mirror metadata-url primary)" = https://updates.example.com/metadata/ &&
    test "$(value mirror pin primary)" = - &&
    test "$(value mirror allow-insecure-http usb)" = no &&
    test "$(value mirror targets-url usb)" = file:///media/usb/targets/ &&
    test "$(value hook required smoke)" = no &&
    test "$(value hook timeout smoke)" = 0 &&
    test "$(value hook url smoke)" = http://127.0.0.1:9/health
'

test_expect_success 'config check creates nothing: no state directory, no store' '
    test ! -e "$ST" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$ST" config check --json &&
    test ! -e "$ST"
'

test_expect_success '--json carries the same settings, mirrors and hooks as lists' '
    expect_code 0 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$ST" config check --json &&
    test "$(json_get "$TRASH/out" "[\"schema\"]")" = 1 &&
    test "$(json_get "$TRASH/out" "[\"valid\"]")" = true &&
    test "$(json_get "$TRASH/out" "[\"path\"]")" = "$TRASH/c.conf" &&
    test "$(json_get "$TRASH/out" "[\"slipway\"][\"compatible\"]")" = board-7 &&
    test "$(json_get "$TRASH/out" "[\"fetch\"][\"max-root-size\"]")" = 512K &&
    test "$(json_get "$TRASH/out" "[\"stage\"][\"keep-setid\"]")" = no &&
    test "$(json_get "$TRASH/out" "[\"mirrors\"][1][\"name\"]")" = usb &&
    test "$(json_get "$TRASH/out" "[\"mirrors\"][0][\"pin\"]")" = null &&
    test "$(json_get "$TRASH/out" "[\"hooks\"][0][\"url\"]")" = http://127.0.0.1:9/health &&
    "$PYTHON" -c "import json,sys; print(\"\n\".join(json.load(open(sys.argv[1]))[\"stage\"]))" "$TRASH/out" >got &&
    awk "\$1 == \"stage\" {print \$2}" "$TRASH/doc-defaults" >want &&
    diff want got &&
    "$SLIPWAY" -c "$TRASH/empty.conf" config check --json >empty.json &&
    test "$(json_get empty.json "[\"mirrors\"]")" = "[]" &&
    test "$(json_get empty.json "[\"slipway\"][\"compatible\"]")" = null
'

test_expect_success 'a bad file exits 3 with the message and creates nothing' '
    printf "[slipway]\ncompatible = ok\n[fetch]\nretries = many\n" >"$TRASH/bad.conf" &&
    expect_code 3 "$SLIPWAY" -c "$TRASH/bad.conf" --state-dir "$ST" config check &&
    contains "$TRASH/err" "bad.conf:4:" &&
    contains "$TRASH/err" "retries" &&
    test ! -s "$TRASH/out" &&
    printf "[slipway]\ncompatibel = x\n" >"$TRASH/typo.conf" &&
    expect_code 3 "$SLIPWAY" -c "$TRASH/typo.conf" --state-dir "$ST" config check --json &&
    contains "$TRASH/err" "did you mean '"'"'compatible'"'"'?" &&
    test "$(json_get "$TRASH/out" "[\"error\"][\"name\"]")" != "" &&
    expect_code 3 "$SLIPWAY" -c "$TRASH/missing.conf" --state-dir "$ST" config check &&
    test ! -e "$ST"
'

test_expect_success 'config needs the action check; others are usage errors (2)' '
    expect_code 2 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$ST" config &&
    expect_code 2 "$SLIPWAY" -c "$TRASH/c.conf" --state-dir "$ST" config edit &&
    contains "$TRASH/err" "unknown action '"'"'edit'"'"'" &&
    expect_code 2 "$SLIPWAY" -c "$TRASH/c.conf" config check extra &&
    test ! -e "$ST"
'

test_done
