#!/bin/bash
# SPDX-License-Identifier: MIT
# `slipway update`, the whole pipeline over a real nginx (HTTPS, test CA):
# nothing to do, update, --stage-only then --promote-only, a rollout that
# declines, a version rolled back from that is not taken again, refused by
# a pre-promote hook, rolled back by a post-promote hook, a second run
# locked out (naming the pid), and a run past its --timeout against a slow
# mirror stopped with nothing half done. Exit code, JSON summary and
# last-run.json each time; the metrics file parsed back by an independent
# parser of the Prometheus text format.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

STREPO=$TRASH/www/repo
HOOKS=$TRASH/hooks
METRICS=$TRASH/metrics/slipway.prom
mkdir -p "$TRASH/www" "$HOOKS/pre-promote" "$HOOKS/post-promote" "$TRASH/metrics"
nginx_start "$TRASH/www" || exit 1
stage_repo || exit 1
# the client reads the repository through nginx, not file://
conf() { # conf FILE BASE_URL
    {
        echo "[slipway]"
        echo "compatible = dev"
        echo "hook-dirs = $HOOKS"
        echo "metrics-file = $METRICS"
        echo "[fetch]"
        echo "retries = 0"
        echo "connect-timeout = 5"
        echo "low-speed-time = 30"
        echo "[mirror \"primary\"]"
        echo "metadata-url = ${2}metadata/"
        echo "targets-url = ${2}targets/"
        echo "ca-file = $PKI/ca.crt"
    } >"$1"
}
conf "$STCONF" "${NGINX_URL}repo/"

# sj EXPR: a value of the JSON summary on stdout ($TRASH/out)
sj() { json_get "$TRASH/out" "$1"; }
# steps: the summary's steps as "step=result" words
steps() {
    "$PYTHON" -c 'import json,sys; print(" ".join("%s=%s" % (s["step"], s["result"]) for s in json.load(open(sys.argv[1]))["steps"]))' "$TRASH/out"
}

# summary_ok RESULT EXIT: the summary on stdout has this result and exit
# code, its schema and txn, and last-run.json is the same object
summary_ok() {
    test "$(sj '["schema"]')" = 1 &&
        test "$(sj '["result"]')" = "$1" &&
        test "$(sj '["exit"]')" = "$2" &&
        sj '["txn"]' | grep -Eq '^tx-[0-9a-f]{16}$' &&
        "$PYTHON" -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
assert a == b, (a, b)
assert all(set(s) == {"step", "ms", "result"} for s in a["steps"]), a["steps"]
assert isinstance(a["hooks"], dict) and isinstance(a["reason"], str) and a["reason"]
' "$TRASH/out" "$ST/last-run.json" &&
        test "$(file_mode "$ST/last-run.json")" = 644
}

# metrics_check PYTHON-ASSERTS: parse the metrics file as the text
# exposition format (every line a HELP, a TYPE or a valid sample; label
# values unescaped), then run the asserts with m = {(name, labels): value}
metrics_check() {
    test "$(file_mode "$METRICS")" = 644 &&
        "$PYTHON" - "$METRICS" "$1" <<'PY'
import re, sys
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
m, typed, helped = {}, set(), set()
for n, line in enumerate(open(sys.argv[1], encoding="utf-8").read().split("\n")):
    if line == "":
        continue
    h = re.fullmatch(r"# (HELP|TYPE) (" + name_re + r") (.*)", line)
    if h:
        if h.group(1) == "TYPE":
            assert h.group(3) in ("gauge", "counter", "untyped"), line
            typed.add(h.group(2))
        else:
            helped.add(h.group(2))
        continue
    s = re.fullmatch(r"(" + name_re + r")(\{(.*)\})? (\S+)", line)
    assert s, "line %d is not in the exposition format: %r" % (n + 1, line)
    labels, rest = [], s.group(3) or ""
    while rest:
        l = re.match(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)', rest)
        assert l, "bad labels in line %d: %r" % (n + 1, line)
        val = re.sub(r'\\(.)', lambda x: {"n": "\n"}.get(x.group(1), x.group(1)), l.group(2))
        labels.append((l.group(1), val))
        rest = rest[l.end():]
    assert s.group(1) in typed and s.group(1) in helped, "no HELP/TYPE before " + line
    m[(s.group(1), tuple(sorted(labels)))] = float(s.group(4))
def get(name, **labels):
    return m[(name, tuple(sorted(labels.items())))]
exec(sys.argv[2])
PY
}

# hook PHASE NAME SCRIPT-BODY: an executable hook
hook() {
    printf '#!/bin/sh\n%s\n' "$3" >"$HOOKS/$1/$2" && chmod 755 "$HOOKS/$1/$2"
}

test_expect_success 'nothing published: nothing to do (0), and the summary says so' '
    expect_code 0 swc update --json &&
    summary_ok nothing-to-do 0 &&
    test "$(sj "[\"to\"]")" = null &&
    test "$(steps)" = "recover=ok refresh=ok choose=none" &&
    metrics_check "assert get(\"slipway_last_run_exit_code\") == 0
assert get(\"slipway_last_run_result\", result=\"nothing-to-do\") == 1
assert get(\"slipway_last_run_result\", result=\"updated\") == 0
assert get(\"slipway_metadata_expiry_timestamp_seconds\", role=\"timestamp\") > 1.6e9"
'

test_expect_success 'a first release: updated (14), installed, every step in the summary' '
    publish_version 1.0.0 &&
    expect_code 14 swc update --json &&
    summary_ok updated 14 &&
    test "$(sj "[\"from\"]")" = null && test "$(sj "[\"to\"]")" = 1.0.0 &&
    test "$(steps)" = "recover=ok refresh=ok choose=chosen fetch=ok stage=ok check=passed promote=committed" &&
    slot_holds a 1.0.0 &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")" &&
    test "$(status_field "[\"pending\"]")" = null &&
    test "$(swc history --json | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)[\"updates\"][0][\"txn\"])")" = "$(sj "[\"txn\"]")" &&
    metrics_check "assert get(\"slipway_last_run_exit_code\") == 14
assert get(\"slipway_last_run_result\", result=\"updated\") == 1
assert get(\"slipway_installed_version_info\", version=\"1.0.0\", slot=\"a\") == 1
assert get(\"slipway_step_duration_seconds\", step=\"stage\") >= 0
assert not [k for k in m if k[0] == \"slipway_staged_version_info\"]"
'

test_expect_success 'again with nothing new: nothing to do (0), no download, nothing changed' '
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 0 swc update --json &&
    summary_ok nothing-to-do 0 &&
    requests_since "$NGINX_LOG" "$before" >"$TRASH/req" &&
    lacks "$TRASH/req" "/targets/" &&
    slot_holds a 1.0.0
'

test_expect_success 'every log line of an update run carries its transaction id' '
    publish_version 1.0.1 &&
    expect_code 14 swc -vv update --json &&
    txn=$(sj "[\"txn\"]") &&
    grep -v "^slipway: \[$txn\] " "$TRASH/err" >"$TRASH/untagged" || true &&
    test ! -s "$TRASH/untagged" &&
    test "$(grep -c "^slipway: \[$txn\] " "$TRASH/err")" -ge 5
'

test_expect_success '--stage-only stages and checks (15); --promote-only promotes it (14)' '
    publish_version 1.1.0 &&
    expect_code 15 swc update --stage-only --json &&
    summary_ok staged 15 &&
    test "$(sj "[\"to\"]")" = 1.1.0 &&
    slot_holds a 1.1.0 && slot_holds b 1.0.1 &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/b")" &&
    metrics_check "assert get(\"slipway_staged_version_info\", version=\"1.1.0\", slot=\"a\") == 1
assert get(\"slipway_last_run_result\", result=\"staged\") == 1" &&
    staged_txn=$(sj "[\"txn\"]") &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 14 swc update --promote-only --json &&
    summary_ok updated 14 &&
    test "$(sj "[\"txn\"]")" = "$staged_txn" &&
    test "$(requests_since "$NGINX_LOG" "$before" | wc -l)" = 0 &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")" &&
    expect_code 0 swc update --promote-only --json &&
    summary_ok nothing-to-do 0
'

test_expect_success '--dry-run says what it would do and changes nothing' '
    publish_version 1.2.0 &&
    swc refresh >/dev/null &&
    cp "$ST/last-run.json" "$TRASH/lr-before" &&
    swc history --json >"$TRASH/h-before" &&
    before=$(log_lines "$NGINX_LOG") &&
    expect_code 15 swc update --dry-run --json &&
    test "$(sj "[\"dry_run\"]")" = true && test "$(sj "[\"to\"]")" = 1.2.0 &&
    contains "$TRASH/out" "would update from 1.1.0 to 1.2.0" &&
    test "$(requests_since "$NGINX_LOG" "$before" | wc -l)" = 0 &&
    cmp "$ST/last-run.json" "$TRASH/lr-before" &&
    swc history --json >"$TRASH/h-after" && cmp "$TRASH/h-before" "$TRASH/h-after"
'

test_expect_success 'a release at rollout 0 %: declined (16), nothing staged' '
    repo remove "$STREPO" app-1.2.0.tar >/dev/null &&
    publish_version 1.2.0 tar --rollout 0 &&
    expect_code 16 swc update --json &&
    summary_ok declined 16 &&
    contains "$TRASH/out" "rollout" &&
    test "$(status_field "[\"pending\"]")" = null &&
    metrics_check "assert get(\"slipway_last_run_exit_code\") == 16
assert get(\"slipway_last_run_result\", result=\"declined\") == 1"
'

test_expect_success 'a version this machine rolled back from is not taken again' '
    repo remove "$STREPO" app-1.2.0.tar >/dev/null &&
    publish_version 1.2.0 &&
    expect_code 14 swc update --json && test "$(sj "[\"to\"]")" = 1.2.0 &&
    swc rollback --reason "test: 1.2.0 is bad" >/dev/null &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")" &&
    expect_code 0 swc update --json &&
    summary_ok nothing-to-do 0 &&
    slot_holds a 1.1.0 &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")" &&
    publish_version 1.3.0 &&
    expect_code 14 swc update --json && test "$(sj "[\"to\"]")" = 1.3.0
'

test_expect_success 'held by the operator: declined (16) with the reason, nothing staged' '
    swc hold --reason "test: change freeze" >/dev/null &&
    publish_version 1.4.0 &&
    expect_code 16 swc update --json &&
    summary_ok declined 16 &&
    contains "$TRASH/out" "test: change freeze" &&
    test "$(status_field "[\"pending\"]")" = null &&
    slot_holds b 1.3.0 &&
    swc unhold >/dev/null
'

test_expect_success 'outside the maintenance window: staged (15), says when it opens' '
    from=$(date -d "+2 hours" +%H) && to=$(date -d "+3 hours" +%H) &&
    cp "$STCONF" "$TRASH/window.conf" &&
    sed -i "s/^\[slipway\]\$/[slipway]\nmaintenance-window = $from:00-$to:00/" "$TRASH/window.conf" &&
    expect_code 15 "$SLIPWAY" -c "$TRASH/window.conf" --state-dir "$ST" update --json &&
    summary_ok staged 15 &&
    contains "$TRASH/out" "outside the maintenance window" &&
    contains "$TRASH/out" "opens at" &&
    slot_holds a 1.4.0 &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/b")" &&
    expect_code 15 "$SLIPWAY" -c "$TRASH/window.conf" --state-dir "$ST" update --promote-only &&
    expect_code 14 swc update --promote-only --json &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")"
'

test_expect_success 'refused by a required pre-promote hook: exit 12, the machine stays' '
    hook pre-promote 50-refuse "test \"\$SLIPWAY_VERSION_NEW\" != 2.0.0" &&
    publish_version 2.0.0 &&
    expect_code 12 swc update --json &&
    summary_ok failed 12 &&
    contains "$TRASH/out" "50-refuse" &&
    test "$(sj "[\"hooks\"][\"pre-promote\"][0][\"status\"]")" = fail &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")" &&
    slot_holds a 1.4.0 &&
    metrics_check "assert get(\"slipway_last_run_exit_code\") == 12
assert get(\"slipway_last_run_hook_failures\", phase=\"pre-promote\", hook=\"50-refuse\") == 1" &&
    rm "$HOOKS/pre-promote/50-refuse" &&
    repo remove "$STREPO" app-2.0.0.tar >/dev/null &&
    repo commit "$STREPO" --key-dir "$STKEYS" --passphrase-file "$PASS" >/dev/null
'

test_expect_success 'rolled back by a required post-promote hook: exit 13, history names it' '
    hook post-promote 50-smoke "test \"\$SLIPWAY_VERSION_NEW\" != 2.1.0" &&
    publish_version 2.1.0 &&
    expect_code 13 swc update --json &&
    summary_ok rolled-back 13 &&
    contains "$TRASH/out" "50-smoke" &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")" &&
    swc history >"$TRASH/h" && contains "$TRASH/h" "50-smoke" &&
    metrics_check "assert get(\"slipway_last_run_result\", result=\"rolled-back\") == 1
assert get(\"slipway_last_run_hook_failures\", phase=\"post-promote\", hook=\"50-smoke\") == 1" &&
    expect_code 0 swc update --json && summary_ok nothing-to-do 0 &&
    rm "$HOOKS/post-promote/50-smoke"
'

# the slow mirror: metadata as it is, the bundle one byte every 0.5 s
hostile_start hostile server --rule "*app-*=drip" --max-seconds 20 || exit 1
SLOWCONF=$TRASH/slow.conf
conf "$SLOWCONF" "${HOSTILE_URL}rules/repo/"

test_expect_success 'a second run while one holds the lock: 17, naming its pid' '
    publish_version 3.0.0 || exit 1
    t0=$(date +%s)
    "$SLIPWAY" -c "$SLOWCONF" --state-dir "$ST" update --timeout 3 --json \
        >"$TRASH/slow.out" 2>"$TRASH/slow.err" &
    bg=$! &&
    for i in $(seq 1 100); do
        test "$(sed -n "s/^pid //p" "$ST/lock")" = "$bg" && break
        sleep 0.05
    done &&
    expect_code 17 swc update --json &&
    contains "$TRASH/err" "pid $bg" &&
    test "$(sj "[\"result\"]")" = locked &&
    test "$(sj "[\"exit\"]")" = 17 &&
    rc=0 && wait $bg || rc=$? &&
    echo $rc >"$TRASH/slow.rc" &&
    echo "$(( $(date +%s) - t0 ))" >"$TRASH/slow.secs"
'

test_expect_success 'the run past its --timeout 3 stopped at the bound: exit 6, nothing half done' '
    test "$(cat "$TRASH/slow.rc")" = 6 &&
    test "$(cat "$TRASH/slow.secs")" -le 8 &&
    cp "$TRASH/slow.out" "$TRASH/out" &&
    summary_ok failed 6 &&
    contains "$TRASH/out" "deadline" &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")" &&
    slot_holds a 1.4.0 &&
    test "$(status_field "[\"consistent\"]")" = true &&
    test "$(status_field "[\"pending\"]")" = null &&
    swc status --json | "$PYTHON" -c "import json,sys; s=json.load(sys.stdin); assert all(x[\"state\"] in (\"active\", \"previous\", \"bad\", \"empty\") for x in s[\"slots\"]), s[\"slots\"]" &&
    expect_code 14 swc update --json && test "$(sj "[\"to\"]")" = 3.0.0 &&
    slot_holds b 3.0.0
'

test_expect_success 'usage: --stage-only and --promote-only together, a bad --timeout (2)' '
    expect_code 2 swc update --stage-only --promote-only &&
    expect_code 2 swc update --timeout soon &&
    expect_code 2 swc update --metrics-file relative.prom
'

test_done
