#!/bin/bash
# SPDX-License-Identifier: MIT
# The --progress-fd stream against its documented schema: every line of a
# refresh, a fetch and a stage (two mirrors, the first empty, so failovers
# happen; a slow target, so rates and ETAs happen) is validated against
# docs/progress.schema.json by a small validator written here (no package);
# the next-root probe's expected "not found" is no failure and carries no
# error; no ETA comes before there is a rate; the workflow steps; and every
# command that downloads nothing refuses --progress-fd (exit 2).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

SCHEMA=$SRCDIR/docs/progress.schema.json

stage_repo
# a 3 MB bundle read at 2 MB/s: more than the 0.5 s before a rate is known
make_tree 1.0.0
head -c 3000000 /dev/urandom >"$TRASH/trees/1.0.0/usr/bin/big"
tar -C "$TRASH/trees/1.0.0" -cf "$TRASH/app-1.0.0.tar" .
repo add "$STREPO" "$TRASH/app-1.0.0.tar" --version 1.0.0 --compatible dev >/dev/null &&
    repo commit "$STREPO" --key-dir "$STKEYS" --passphrase-file "$PASS" >/dev/null
# one nginx (HTTPS, the test CA) serves the repository and an empty tree
mkdir -p "$TRASH/srv/empty/metadata" "$TRASH/srv/empty/targets"
ln -s "$STREPO" "$TRASH/srv/repo"
chmod -R a+rX "$TRASH/srv" "$STREPO"
nginx_start "$TRASH/srv"
CONF=$TRASH/two.conf
{
    echo "[slipway]"
    echo "compatible = dev"
    echo "[fetch]"
    echo "max-bandwidth = 2000000"
    echo "retries = 0"
    echo "[mirror \"gone\"]"
    echo "metadata-url = ${NGINX_URL}empty/metadata/"
    echo "targets-url = ${NGINX_URL}empty/targets/"
    echo "ca-file = $PKI/ca.crt"
    echo "[mirror \"local\"]"
    echo "metadata-url = ${NGINX_URL}repo/metadata/"
    echo "targets-url = ${NGINX_URL}repo/targets/"
    echo "ca-file = $PKI/ca.crt"
} >"$CONF"
s2() { "$SLIPWAY" -c "$CONF" --state-dir "$ST" "$@"; }

# validate SCHEMA FILE: every line of FILE is one object valid under SCHEMA
# (the JSON Schema keywords the schema uses: type, const, enum, minimum,
# required, properties, additionalProperties, oneOf, boolean schemas)
validate() {
    "$PYTHON" - "$@" <<'PY'
import json, sys
schema = json.load(open(sys.argv[1]))
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
def is_type(v, t):
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])
def check(v, s, where):
    if s is True:
        return []
    if s is False:
        return ["%s: not allowed" % where]
    errs = []
    if "type" in s:
        ts = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(is_type(v, t) for t in ts):
            return ["%s: %r is not %s" % (where, v, ts)]
    if "const" in s and (v != s["const"] or type(v) != type(s["const"])):
        errs.append("%s: %r is not %r" % (where, v, s["const"]))
    if "enum" in s and v not in s["enum"]:
        errs.append("%s: %r not in %s" % (where, v, s["enum"]))
    if "minimum" in s and is_type(v, "number") and v < s["minimum"]:
        errs.append("%s: %r < %r" % (where, v, s["minimum"]))
    if isinstance(v, dict):
        for k in s.get("required", []):
            if k not in v:
                errs.append("%s: %s is missing" % (where, k))
        props = s.get("properties", {})
        for k, sub in props.items():
            if k in v:
                errs += check(v[k], sub, where + "." + k)
        if s.get("additionalProperties") is False:
            for k in v:
                if k not in props:
                    errs.append("%s: unknown field %s" % (where, k))
    if "oneOf" in s:
        ok = [i for i, sub in enumerate(s["oneOf"]) if not check(v, sub, where)]
        if len(ok) != 1:
            errs.append("%s: matches %d of the oneOf alternatives %s" % (where, len(ok), ok))
    return errs
bad = 0
for f in sys.argv[2:]:
    data = open(f).read()
    if data and not data.endswith("\n"):
        print("%s: does not end with a newline" % f); bad += 1
    for n, line in enumerate(data.splitlines(), 1):
        try:
            o = json.loads(line)
        except ValueError as e:
            print("%s:%d: not JSON: %s" % (f, n, e)); bad += 1; continue
        errs = check(o, schema, "line")
        if errs:
            print("%s:%d: %s\n    %s" % (f, n, "; ".join(errs), line)); bad += 1
sys.exit(1 if bad else 0)
PY
}

test_expect_success 'the validator rejects what the schema forbids' '
    base="\"version\":1,\"kind\":\"metadata\",\"role\":\"root\",\"target\":null,\"step\":1,\"steps\":5,\"probe\":true,\"mirror\":\"m\",\"path\":\"2.root.json\",\"bytes\":0,\"total\":null,\"resumed_from\":0,\"elapsed\":0.1" &&
    echo "{$base,\"event\":\"absent\",\"not_found\":true}" >"$TRASH/good" &&
    validate "$SCHEMA" "$TRASH/good" &&
    echo "{$base,\"event\":\"absent\",\"not_found\":true,\"error\":{\"code\":1,\"name\":\"x\",\"message\":\"y\"}}" >"$TRASH/bad1" &&
    ! validate "$SCHEMA" "$TRASH/bad1" >/dev/null &&
    echo "{${base#\"version\":1,},\"event\":\"start\"}" >"$TRASH/bad2" &&
    ! validate "$SCHEMA" "$TRASH/bad2" >/dev/null &&
    echo "{$base,\"event\":\"progress\",\"rate\":null}" >"$TRASH/bad3" &&
    ! validate "$SCHEMA" "$TRASH/bad3" >/dev/null &&
    echo "{$base,\"event\":\"start\",\"colour\":\"red\"}" >"$TRASH/bad4" &&
    ! validate "$SCHEMA" "$TRASH/bad4" >/dev/null
'

test_expect_success 'refresh, fetch and stage: every line is valid under docs/progress.schema.json' '
    s2 refresh --progress-fd 3 3>"$TRASH/refresh.jsonl" >/dev/null &&
    s2 fetch --progress-fd 3 3>"$TRASH/fetch.jsonl" >/dev/null &&
    rm -f "$ST"/downloads/* &&
    s2 stage --progress-fd 3 3>"$TRASH/stage.jsonl" >/dev/null &&
    for f in refresh fetch stage; do test -s "$TRASH/$f.jsonl" || exit 1; done &&
    validate "$SCHEMA" "$TRASH/refresh.jsonl" "$TRASH/fetch.jsonl" "$TRASH/stage.jsonl"
'

# py FILE EXPR...: run Python statements with ev = the events of FILE
py() {
    local f=$1
    shift
    "$PYTHON" -c "
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
$*" "$f"
}

test_expect_success 'the next-root probe: "absent", step 1 of 5, no error, no fail' '
    py "$TRASH/refresh.jsonl" "
probe = [e for e in ev if e[\"probe\"]]
assert probe and all(e[\"role\"] == \"root\" and e[\"path\"] == \"2.root.json\" for e in probe), probe
assert [e[\"event\"] for e in probe] == [\"start\", \"failover\", \"start\", \"absent\"], probe
assert all(\"error\" not in e for e in probe), probe
assert all(e[\"step\"] == 1 and e[\"steps\"] == 5 for e in probe), probe
assert probe[1][\"not_found\"] is True and probe[3][\"not_found\"] is True, probe
assert not [e for e in ev if e[\"event\"] == \"fail\"], ev
"
'

test_expect_success 'a real failure keeps its error: the empty mirror fails over with one' '
    py "$TRASH/refresh.jsonl" "
fo = [e for e in ev if e[\"event\"] == \"failover\" and not e[\"probe\"]]
assert fo and all(e[\"mirror\"] == \"gone\" and e[\"error\"][\"name\"] == \"SW_E_FETCH_NOTFOUND\" for e in fo), fo
assert any(e[\"role\"] == \"timestamp\" for e in fo), fo
"
'

test_expect_success 'the role or target and step N of M of each download' '
    py "$TRASH/refresh.jsonl" "
want = {\"root\": 1, \"timestamp\": 2, \"snapshot\": 3, \"targets\": 4}
for e in ev:
    assert e[\"kind\"] == \"metadata\" and e[\"target\"] is None, e
    assert e[\"step\"] == want[e[\"role\"]] and e[\"steps\"] == 5, e
assert {e[\"role\"] for e in ev if e[\"event\"] == \"done\"} == {\"timestamp\", \"snapshot\", \"targets\"}, ev
" &&
    py "$TRASH/fetch.jsonl" "
assert ev and all(e[\"kind\"] == \"target\" and e[\"target\"] == \"app-1.0.0.tar\" and e[\"role\"] is None for e in ev), ev
assert all((e[\"step\"], e[\"steps\"]) == (1, 1) for e in ev), ev
assert ev[-1][\"event\"] == \"done\" and ev[-1][\"bytes\"] == ev[-1][\"total\"], ev[-1]
" &&
    py "$TRASH/stage.jsonl" "
dl = [e for e in ev if e[\"kind\"] == \"target\"]
ex = [e for e in ev if e[\"kind\"] == \"extract\"]
assert dl and ex and len(dl) + len(ex) == len(ev), ev
assert all((e[\"step\"], e[\"steps\"]) == (1, 2) for e in dl), dl
assert all((e[\"step\"], e[\"steps\"]) == (2, 2) and e[\"target\"] == \"app-1.0.0.tar\" for e in ex), ex
assert ev.index(ex[0]) > ev.index(dl[-1]), ev
"
'

test_expect_success 'no rate in the first 0.5 s, and no ETA before there is a rate' '
    py "$TRASH/fetch.jsonl" "
prog = [e for e in ev if e[\"event\"] == \"progress\"]
assert [e for e in prog if e[\"elapsed\"] < 0.5], prog
for e in prog:
    if e[\"elapsed\"] < 0.5:
        assert e[\"rate\"] is None and e[\"eta\"] is None, e
    if e[\"rate\"] is None:
        assert e[\"eta\"] is None, e
rated = [e for e in prog if e[\"rate\"] is not None]
assert rated and all(e[\"eta\"] is not None and e[\"eta\"] >= 0 for e in rated), prog
assert all(500000 < e[\"rate\"] < 8000000 for e in rated), rated
"
'

test_expect_success 'commands that download nothing refuse --progress-fd (exit 2), before or after' '
    for c in "status" "history" "hooks list" "config check" "show app-1.0.0.tar" "list" \
        "promote" "rollback" "init --root $STREPO/metadata/1.root.json"; do
        : >"$TRASH/p.jsonl"
        expect_code 2 s2 $c --progress-fd 3 3>"$TRASH/p.jsonl" || exit 1
        contains "$TRASH/err" "--progress-fd is not supported here" || exit 1
        test ! -s "$TRASH/p.jsonl" || exit 1
        expect_code 2 s2 --progress-fd 3 $c 3>"$TRASH/p.jsonl" || exit 1
        contains "$TRASH/err" "downloads nothing" || exit 1
    done &&
    expect_code 2 "$SLIPWAY" pin "$STREPO/metadata/1.root.json" --progress-fd 3 3>/dev/null &&
    expect_code 0 s2 refresh --progress-fd 3 3>/dev/null
'

test_done
