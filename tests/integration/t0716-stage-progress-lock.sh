#!/bin/bash
# SPDX-License-Identifier: MIT
# Long steps report progress on --progress-fd (download and extraction);
# commands that change state take the lock; every log line of an update
# carries its transaction id.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

stage_repo
publish_version 1.0.0 tar.xz
swc refresh >/dev/null

test_expect_success 'stage --progress-fd: JSON lines for the download and the extraction' '
    swc stage --progress-fd 3 3>"$TRASH/progress" >/dev/null &&
    "$PYTHON" - "$TRASH/progress" <<-PY
	import json, sys
	ev = [json.loads(l) for l in open(sys.argv[1])]
	dl = [e for e in ev if e["mirror"] == "local"]
	ex = [e for e in ev if e["mirror"] == "extract"]
	assert dl and dl[0]["event"] == "start" and dl[-1]["event"] == "done", dl
	assert ex and ex[0]["event"] == "start" and ex[-1]["event"] == "done", ex
	assert all(e["path"].endswith("app-1.0.0.tar.xz") for e in dl), dl
	assert all(e["path"] == "app-1.0.0.tar.xz" for e in ex), ex
	assert ex[-1]["bytes"] == ex[-1]["total"] > 0, ex[-1]
	PY
'

test_expect_success 'the lock: stage, promote, rollback and fetch wait for no one (exit 17)' '
    exec 9>"$ST/lock" && flock -x 9 &&
    for c in "stage" "promote" "rollback" "fetch"; do
        expect_code 17 swc $c || exit 1
        contains "$TRASH/err" "another slipway holds" || exit 1
    done &&
    exec 9>&-
'

test_expect_success 'every log line of an update names its transaction id' '
    txn=$(swc history --json | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)[\"updates\"][0][\"txn\"])") &&
    expect_code 0 swc -vv promote &&
    grep -F -- " -> " "$TRASH/err" >"$TRASH/steps" &&
    test "$(wc -l <"$TRASH/steps")" -ge 3 &&
    ! grep -v "^slipway: \[$txn\] debug: update $txn: " "$TRASH/steps"
'

test_done
