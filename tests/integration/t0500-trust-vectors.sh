#!/bin/bash
# SPDX-License-Identifier: MIT
# Every repository in tests/vectors/tuf (made by python-tuf, an independent
# implementation), served by a real nginx, through both the slipway client
# and the conformance adapter, with the outcome its expect.json gives.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-trust.sh"

for v in "$VECTORS"/tuf/*/; do
    serve_copy "$v" "$(basename "$v")"
done
nginx_start "$TRASH/www" https
HTTPS_URL=$NGINX_URL
HTTPS_LOG=$NGINX_LOG
nginx_start "$TRASH/www" plain plain
PLAIN_URL=$NGINX_URL

# client NAME ARGS...: slipway with the state and configuration of vector NAME
client() {
    local n=$1
    shift
    "$SLIPWAY" -c "$TRASH/$n.conf" --state-dir "$TRASH/st-$n" "$@"
}

pin() {
    trust_conf "$TRASH/$1.conf" "$HTTPS_URL$1/" &&
        expect_code 0 client "$1" init --root "$VECTORS/tuf/$1/metadata/1.root.json"
}

# --- the slipway client ------------------------------------------------------------

for v in basic-ed25519 basic-ecdsa basic-rsa; do
    test_expect_success "$v: init, refresh and list through slipway" '
        pin '$v' &&
        expect_code 0 client '$v' refresh --json &&
        test "$(json_get "$TRASH/out" "[\"versions\"][\"targets\"]")" = 1 &&
        test "$(json_get "$TRASH/out" "[\"changed\"]")" = true &&
        expect_code 0 client '$v' list --json --why &&
        test "$(json_get "$TRASH/out" "[\"offered\"]")" = 1 &&
        test "$(json_get "$TRASH/out" "[\"targets\"][0][\"name\"]")" = app-1.0.0.tar.gz &&
        test "$(json_get "$TRASH/out" "[\"targets\"][0][\"version\"]")" = 1.0.0 &&
        test "$(json_get "$TRASH/out" "[\"targets\"][0][\"offered\"]")" = true &&
        test "$(json_get "$TRASH/out" "[\"targets\"][1][\"name\"]")" = sub/dir/notes.txt &&
        test "$(json_get "$TRASH/out" "[\"targets\"][1][\"verdict\"]")" = no-fields
    '
done

test_expect_success 'basic-ed25519: the exact requests of a fresh refresh' '
    trust_conf "$TRASH/fresh.conf" "${HTTPS_URL}basic-ed25519/" &&
    "$SLIPWAY" -c "$TRASH/fresh.conf" --state-dir "$TRASH/st-fresh" init \
        --root "$VECTORS/tuf/basic-ed25519/metadata/1.root.json" >/dev/null &&
    before=$(log_lines "$HTTPS_LOG") &&
    "$SLIPWAY" -c "$TRASH/fresh.conf" --state-dir "$TRASH/st-fresh" refresh >/dev/null &&
    requests_since "$HTTPS_LOG" "$before" >got &&
    printf "%s\n" \
        "GET /basic-ed25519/metadata/2.root.json 404" \
        "GET /basic-ed25519/metadata/timestamp.json 200" \
        "GET /basic-ed25519/metadata/1.snapshot.json 200" \
        "GET /basic-ed25519/metadata/1.targets.json 200" >want &&
    diff want got
'

test_expect_success 'basic-ed25519: a refresh with nothing new asks only for the next root and the timestamp' '
    before=$(log_lines "$HTTPS_LOG") &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/fresh.conf" --state-dir "$TRASH/st-fresh" refresh --json &&
    test "$(json_get "$TRASH/out" "[\"changed\"]")" = false &&
    test "$(json_get "$TRASH/out" "[\"timestamp_unchanged\"]")" = true &&
    requests_since "$HTTPS_LOG" "$before" >got &&
    printf "%s\n" \
        "GET /basic-ed25519/metadata/2.root.json 404" \
        "GET /basic-ed25519/metadata/timestamp.json 200" >want &&
    diff want got
'

test_expect_success 'refresh --progress-fd writes one JSON object per download event' '
    trust_conf "$TRASH/prog.conf" "${HTTPS_URL}basic-ecdsa/" &&
    "$SLIPWAY" -c "$TRASH/prog.conf" --state-dir "$TRASH/st-prog" init \
        --root "$VECTORS/tuf/basic-ecdsa/metadata/1.root.json" >/dev/null &&
    "$SLIPWAY" -c "$TRASH/prog.conf" --state-dir "$TRASH/st-prog" refresh --progress-fd 3 \
        3>"$TRASH/progress.jsonl" >/dev/null &&
    "$PYTHON" - "$TRASH/progress.jsonl" <<-\PY
	import json, sys
	events = [json.loads(l) for l in open(sys.argv[1])]
	done = [e["path"] for e in events if e["event"] == "done"]
	assert done == ["timestamp.json", "1.snapshot.json", "1.targets.json"], done
	# the probe for root 2 is a 404: the expected end, "absent", not a failure
	assert any(e["event"] == "absent" and e["path"] == "2.root.json" for e in events), events
	assert not any(e["event"] == "fail" or "error" in e for e in events), events
	assert all(e["mirror"] == "primary" for e in events)
	PY
'

test_expect_success '--progress-fd must name an open descriptor' '
    expect_code 2 "$SLIPWAY" -c "$TRASH/prog.conf" --state-dir "$TRASH/st-prog" refresh --progress-fd 9 &&
    contains "$TRASH/err" "--progress-fd" &&
    expect_code 2 "$SLIPWAY" -c "$TRASH/prog.conf" --state-dir "$TRASH/st-prog" refresh --progress-fd x
'

test_expect_success 'root-rotation: slipway ends trusting root version 3' '
    pin root-rotation &&
    expect_code 0 client root-rotation refresh &&
    contains "$TRASH/out" "root       version 1 -> 3" &&
    expect_code 0 client root-rotation status --json &&
    test "$(json_get "$TRASH/out" "[\"trusted_metadata\"][0][\"role\"]")" = root &&
    test "$(json_get "$TRASH/out" "[\"trusted_metadata\"][0][\"version\"]")" = 3 &&
    cmp "$TRASH/st-root-rotation/metadata/root.json" "$VECTORS/tuf/root-rotation/metadata/3.root.json"
'

test_expect_success 'delegations: slipway finds the four delegated targets' '
    pin delegations &&
    expect_code 0 client delegations refresh &&
    expect_code 0 client delegations list --json --why &&
    for t in apps/core-2.0.tar.gz apps/edge-1.0.tar.gz pkg0.bin pkg3.bin; do
        "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); assert sys.argv[2] in [t[\"name\"] for t in d[\"targets\"]], d" "$TRASH/out" "$t" || exit 1
    done
'

test_expect_success 'bad-target-hash: refresh succeeds' '
    pin bad-target-hash &&
    expect_code 0 client bad-target-hash refresh
'

test_expect_success 'bad-threshold: refresh fails at snapshot, 1 of 2 signatures' '
    pin bad-threshold &&
    expect_code 5 client bad-threshold refresh &&
    contains "$TRASH/err" "role '"'"'snapshot'"'"': 1 of 2 required signatures" &&
    test ! -e "$TRASH/st-bad-threshold/metadata/snapshot.json"
'

test_expect_success 'expired-timestamp: refresh fails at timestamp, naming the expiry' '
    pin expired-timestamp &&
    expect_code 5 client expired-timestamp refresh &&
    contains "$TRASH/err" "role '"'"'timestamp'"'"': expired at 2020-01-01T00:00:00Z" &&
    test ! -e "$TRASH/st-expired-timestamp/metadata/timestamp.json"
'

test_expect_success 'duplicate-signature: refresh fails at targets' '
    pin duplicate-signature &&
    expect_code 5 client duplicate-signature refresh &&
    contains "$TRASH/err" "1.targets.json" &&
    test ! -e "$TRASH/st-duplicate-signature/metadata/targets.json"
'

# --- the conformance adapter over plain HTTP -----------------------------------------

# adapter_vector NAME: init, refresh and download every target of
# expect.json, checking the outcome the vector expects
adapter_vector() {
    local v=$1 md=$TRASH/ad-$1/md td=$TRASH/ad-$1/td exp=$VECTORS/tuf/$1/expect.json
    local names=() rc
    "$ADAPTER" --metadata-dir "$md" init "$VECTORS/tuf/$v/metadata/1.root.json" || return 1
    mapfile -t names < <("$PYTHON" -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1])).get("targets", {"app-1.0.0.tar.gz": ""})))' "$exp")
    rc=0
    "$ADAPTER" --metadata-url "$PLAIN_URL$v/metadata" --metadata-dir "$md" refresh || rc=$?
    case "$v" in
    bad-threshold | expired-timestamp | duplicate-signature | ecdsa-two-encodings)
        [ "$rc" -eq 1 ] || { echo "refresh: expected exit 1, got $rc"; return 1; }
        ;;
    *)
        [ "$rc" -eq 0 ] || { echo "refresh: expected exit 0, got $rc"; return 1; }
        ;;
    esac
    local args=()
    for n in "${names[@]}"; do args+=(--target-name "$n"); done
    rc=0
    "$ADAPTER" --metadata-dir "$md" "${args[@]}" --target-dir "$td" \
        --target-base-url "$PLAIN_URL$v/targets/" --metadata-url "$PLAIN_URL$v/metadata/" download || rc=$?
    case "$v" in
    bad-target-hash | bad-threshold | expired-timestamp | duplicate-signature | ecdsa-two-encodings)
        [ "$rc" -eq 1 ] || { echo "download: expected exit 1, got $rc"; return 1; }
        [ -z "$(ls -A "$td" 2>/dev/null)" ] || { echo "TD is not empty:"; ls -la "$td"; return 1; }
        ;;
    *)
        [ "$rc" -eq 0 ] || { echo "download: expected exit 0, got $rc"; return 1; }
        "$PYTHON" - "$exp" "$td" <<'PY' || return 1
import json, os, sys, urllib.parse
exp = json.load(open(sys.argv[1]))["targets"]
td = sys.argv[2]
files = sorted(os.listdir(td))
want = sorted(urllib.parse.quote(n, safe="") for n in exp)
assert files == want, (files, want)
for name, content in exp.items():
    got = open(os.path.join(td, urllib.parse.quote(name, safe="")), "rb").read()
    assert got == content.encode(), (name, got)
PY
        ;;
    esac
    # MD holds only the trusted roles' files, and no other .json
    for f in "$md"/*; do
        case "$(basename "$f")" in
        root.json | timestamp.json | snapshot.json | targets.json) ;;
        apps.json | apps-edge.json | bins.json | bins-rest.json) [ "$v" = delegations ] || return 1 ;;
        parent-a.json | release.json) [ "$v" = diamond-delegation ] || return 1 ;;
        bins-?.json) [ "$v" = succinct-bins ] || return 1 ;;
        *) echo "unexpected file in MD: $f"; return 1 ;;
        esac
    done
}

for v in "$VECTORS"/tuf/*/; do
    v=$(basename "$v")
    test_expect_success "$v: the conformance adapter gives the expected outcome" "
        adapter_vector $v
    "
done

test_expect_success 'root-rotation: the adapter keeps root version 3 as root.json' '
    cmp "$TRASH/ad-root-rotation/md/root.json" "$VECTORS/tuf/root-rotation/metadata/3.root.json"
'

test_expect_success 'adapter: a target already downloaded is not fetched again' '
    before=$(log_lines "$TRASH/plain/logs/access.log") &&
    "$ADAPTER" --metadata-dir "$TRASH/ad-basic-ed25519/md" --target-name app-1.0.0.tar.gz \
        --target-dir "$TRASH/ad-basic-ed25519/td" --target-base-url "${PLAIN_URL}basic-ed25519/targets/" \
        --metadata-url "${PLAIN_URL}basic-ed25519/metadata/" download &&
    requests_since "$TRASH/plain/logs/access.log" "$before" >got &&
    lacks got "/targets/"
'

test_expect_success 'adapter: usage errors exit exactly 1' '
    expect_code 1 "$ADAPTER" &&
    expect_code 1 "$ADAPTER" --metadata-dir "$TRASH/x" frobnicate &&
    expect_code 1 "$ADAPTER" --metadata-dir "$TRASH/x" refresh &&
    expect_code 1 "$ADAPTER" --bogus --metadata-dir "$TRASH/x" init "$VECTORS/tuf/basic-ed25519/metadata/1.root.json"
'

test_done
