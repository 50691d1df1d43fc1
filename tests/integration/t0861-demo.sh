#!/bin/bash
# SPDX-License-Identifier: MIT
# `make demo` (contrib/demo.sh) runs to its end in under a minute, each of
# its steps has the result it announces (the exit code of every command and
# what the machine runs after it), and it leaves nothing behind: its
# temporary directory is gone and none of its processes is running.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TRASH/tmp"

test_expect_success 'the demo runs to its end in under a minute' '
    t0=$(date +%s)
    rc=0 && TMPDIR=$TRASH/tmp bash "$SRCDIR/contrib/demo.sh" "$BUILD" >"$TRASH/demo.out" 2>&1 || rc=$?
    echo "$(( $(date +%s) - t0 ))" >"$TRASH/demo.secs" &&
    test "$rc" = 0 || { cat "$TRASH/demo.out"; exit 1; }
    test "$(cat "$TRASH/demo.secs")" -lt 60 &&
    contains "$TRASH/demo.out" "demo finished"
'

test_expect_success 'each step shows what it says: updates 14, 14, refused 12, on 2.0.0' '
    "$PYTHON" - "$TRASH/demo.out" <<-'\''PY'\''
	import re, sys
	text = open(sys.argv[1]).read()
	steps = {}
	for part in text.split("\n==> ")[1:]:
	    head, _, body = part.partition("\n")
	    steps[head] = body
	def step(words):
	    hits = [b for h, b in steps.items() if words in h]
	    assert len(hits) == 1, (words, list(steps))
	    return hits[0]
	def exits(body):
	    return [int(x) for x in re.findall(r"^\(exit (\d+)\)$", body, re.M)]
	# every publisher command succeeded
	for h, b in steps.items():
	    if h.startswith("publisher:"):
	        assert all(e == 0 for e in exits(b)), (h, b)
	assert exits(step("pin the root")) == [0]
	s = step("installs release 1.0.0")
	assert exits(s) == [14], s
	assert "running now: demo app 1.0.0" in s, s
	s = step("to 2.0.0; the OpenSSL check")
	assert exits(s) == [14], s
	assert re.search(r"^pre-promote hook 20-openssl-version: pass", s, re.M), s
	assert "running now: demo app 2.0.0" in s, s
	s = step("stages 3.0.0")
	assert exits(s) == [12], s
	assert re.search(r"^pre-promote hook 20-openssl-version: fail", s, re.M), s
	assert "3.0.5" in s, s  # a finding names the version it refused
	assert re.search(r"^failed: .*refused it: hook .20-openssl-version.", s, re.M), s
	assert "running now: demo app 2.0.0" in s, s
	s = step("list --why")
	assert exits(s) == [0, 0, 0], s
	# the bucket of this machine is random: 3.1.0 is held back (the line says 25%) or offered
	line = re.search(r"^app-3\.1\.0\.tar\.gz .*$", s, re.M).group(0)
	assert "25%" in line or "not offered" not in line, line
	assert re.search(r"rollout.*25", s), s
	s = step("status")
	assert exits(s) == [0, 0], s
	assert re.search(r"active +2\.0\.0", s), s
	assert len(re.findall(r"^tx-[0-9a-f]{16} app-", s, re.M)) == 3, s
	PY
'

test_expect_success 'nothing is left: no temporary directory, no process of the demo' '
    test -z "$(ls -A "$TRASH/tmp")" &&
    ! pgrep -f "$TRASH/tmp/" >/dev/null
'

test_done
