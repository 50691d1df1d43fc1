#!/bin/bash
# SPDX-License-Identifier: MIT
# Every --json output of slipway and slipway-repo, run on a prepared state,
# is one object whose first field is "schema": 1 and whose top-level fields
# are exactly those JSON OUTPUT in the man page source lists for it, in
# that order; every command whose --help offers --json is documented there
# (a new command needs an entry there and a run here); failures carry
# "schema" too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

J=$TRASH/json
mkdir -p "$J"
# j NAME CMD...: run CMD --json, its stdout into $J/NAME.json (NAME: the man page term, "_" for " ")
j() {
    local name=$1 rc=0
    shift
    "$@" --json >"$J/$name.json" 2>"$J/$name.err" || rc=$?
    echo "$rc" >"$J/$name.rc"
}

stage_repo
publish_version 1.0.0
publish_version 1.1.0
mirror_ca_init
j refresh swc refresh
j list swc list
j show swc show app-1.0.0.tar
j status swc status
j fetch swc fetch app-1.0.0.tar
swc stage app-1.0.0.tar >/dev/null 2>&1 && swc promote >/dev/null 2>&1
j stage swc stage
j check swc check
j promote swc promote
j rollback swc rollback --reason "json test"
j hold swc hold --reason "json test"
j unhold swc unhold
j update swc update
j history swc history
j hooks_list swc hooks list
j config_check swc config check
j pin "$SLIPWAY" pin "$PKI/server.crt"
j init "$SLIPWAY" -c "$STCONF" --state-dir "$TRASH/st2" init --root "$STREPO/metadata/1.root.json"
j init_--reset-clock-floor swc init --reset-clock-floor --yes
j error swc show no-such-target

R=$TRASH/r2
K2=$TRASH/k2
mkdir -m 700 "$K2"
K="--key-dir $K2 --passphrase-file $PASS"
echo bundle >"$TRASH/b.tar"
mkdir -p "$J/repo"
jr() {
    local name=$1
    shift
    j "repo/$name" "$SLIPWAY_REPO" "$@"
}
jr keygen keygen extra $K
jr init init "$R" $K
jr add add "$R" "$TRASH/b.tar" --version 1 --compatible dev
jr rollout rollout "$R" b.tar --percent 50
jr commit commit "$R" $K
jr list list "$R"
jr remove remove "$R" b.tar
jr unstage unstage "$R"
jr delegate delegate "$R" team --key "$K2/extra.pub" --threshold 1 --paths "team/*" $K
jr renew renew "$R" targets
jr status status "$R"
jr sign sign "$R" targets --key targets-1 $K
repo commit "$R" $K >/dev/null
jr timestamp timestamp "$R" $K
jr snapshot snapshot "$R" $K
jr rotate-root rotate-root "$R" --add-key "$K2/extra.pub" $K
jr verify verify "$R"
jr prune prune "$R"
jr error status "$TRASH/no-such-repo"

# the commands whose --help offers --json, as each program lists them
json_commands() {
    "$1" --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1; next} on {exit}' |
        while read -r c; do
            "$1" "$c" --help 2>/dev/null | grep -q -- "--json" && echo "$c"
        done
}
json_commands "$SLIPWAY" >"$TRASH/help-slipway"
json_commands "$SLIPWAY_REPO" >"$TRASH/help-repo"

# check MAN_SOURCE DIR HELP: the documented fields against the outputs in DIR
check() {
    "$PYTHON" - "$@" <<'PY'
import json, os, re, sys
man, d, helpfile = sys.argv[1:4]
text = open(man).read()
sec = text.split("\n# JSON OUTPUT\n", 1)[1].split("\n# ", 1)[0]
doc = {}
lines = sec.split("\n")
for i, l in enumerate(lines):
    m = re.fullmatch(r"\*\*([a-z -]+)\*\*", l)
    if m and i + 1 < len(lines) and lines[i + 1].startswith(":   "):
        body = []
        for b in lines[i + 1:]:
            if not (b.startswith(":   ") or b.startswith("    ")):
                break
            body.append(b[4:])
        para = " ".join(body)
        while "(" in para:  # what is in parentheses describes, it is not a top-level field
            para = re.sub(r"\([^()]*\)", "", para)
        doc[m.group(1)] = re.findall(r"\*\*([a-z_]+)\*\*", para)
if not doc:
    sys.exit("no JSON OUTPUT entries in " + man)
bad = []
# every command that takes --json is documented
cmds = open(helpfile).read().split()
if len(cmds) < 10:
    sys.exit("only %d commands take --json: %s" % (len(cmds), cmds))
for c in cmds:
    if c != "help" and not any(t.split()[0] == c for t in doc):
        bad.append("%s: command '%s' has no JSON OUTPUT entry" % (man, c))
for term, fields in doc.items():
    f = os.path.join(d, term.replace(" ", "_") + ".json")
    if not os.path.exists(f):
        bad.append("%s: the test does not run '%s'" % (man, term))
        continue
    raw = open(f).read()
    try:
        o = json.loads(raw)
    except ValueError as e:
        bad.append("%s: not JSON (%s): %r" % (term, e, raw[:200]))
        continue
    keys = list(o.keys()) if isinstance(o, dict) else None
    if not keys or keys[0] != "schema" or o["schema"] != 1:
        bad.append("%s: \"schema\": 1 is not the first field: %s" % (term, keys))
        continue
    rc = int(open(f[:-5] + ".rc").read())
    if (term == "error") != (rc != 0):
        bad.append("%s: exit status %d" % (term, rc))
    if keys != fields:
        bad.append("%s: fields %s, documented %s" % (term, keys, fields))
if bad:
    sys.exit("\n".join(bad))
print("checked %d outputs of %s" % (len(doc), man))
PY
}

test_expect_success 'slipway: every --json output has "schema": 1 and the documented fields' '
    check "$SRCDIR/contrib/man/slipway.1.md" "$J" "$TRASH/help-slipway"
'

test_expect_success 'slipway-repo: every --json output has "schema": 1 and the documented fields' '
    check "$SRCDIR/contrib/man/slipway-repo.1.md" "$J/repo" "$TRASH/help-repo"
'

test_expect_success 'a usage error with --json still says so on stderr only, nothing half-written' '
    expect_code 2 swc status --json --no-such-option &&
    "$PYTHON" -c "import sys; d=open(sys.argv[1]).read(); sys.exit(0 if d.strip()==\"\" or __import__(\"json\").loads(d)[\"schema\"]==1 else 1)" "$TRASH/out"
'

test_expect_success 'status --json trusted_metadata carries the expiry fields' '
    "$PYTHON" - "$J/status.json" <<-"PY"
	import json, sys
	o = json.load(open(sys.argv[1]))
	for m in o["trusted_metadata"]:
	    assert set(m) == {"role", "version", "expires", "expired", "expires_in_s", "expires_soon"}, m
	    assert m["expired"] is False and m["expires_in_s"] > 0, m
	PY
'

test_done
