#!/bin/bash
# SPDX-License-Identifier: MIT
# Progress: the JSON-lines stream on --progress-fd read back by Python (one
# object per line, the documented events and fields, bytes that only grow
# up to the total), retry and failover events, and the bar drawn on stderr
# only when it is a terminal and not quiet.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-fetch.sh"

WWW=$TRASH/www
SIZE=3000000
random_file "$WWW/data.bin" $SIZE
chmod -R a+rX "$WWW"

mirror_ca_init
nginx_start "$WWW"
hostile_start hostile server
H=$HOSTILE_URL

test_expect_success 'the JSON-lines stream describes the download' '
    mirror_section main "$NGINX_URL" | fetch_conf c1.conf max-bandwidth=4M &&
    fetch_ok -c c1.conf --path data.bin --max 4000000 --out "$TRASH/o.bin" --progress-fd 3 \
        3>"$TRASH/p.jsonl" &&
    "$PYTHON" - "$TRASH/p.jsonl" $SIZE "$NGINX_URL" <<-EOF
	import json, sys
	lines = open(sys.argv[1]).read().split("\n")
	assert lines[-1] == "", "stream does not end with a newline"
	ev = [json.loads(l) for l in lines[:-1]]
	size = int(sys.argv[2])
	assert ev[0]["event"] == "start", ev[0]
	assert ev[0]["url"] == sys.argv[3] + "data.bin", ev[0]
	assert ev[-1]["event"] == "done", ev[-1]
	assert ev[-1]["bytes"] == size and ev[-1]["total"] == size, ev[-1]
	prog = [e for e in ev if e["event"] == "progress"]
	assert len(prog) >= 3, len(prog)
	last = 0
	for e in ev:
	    assert e["mirror"] == "main" and e["path"] == "data.bin", e
	    assert isinstance(e["elapsed"], float) or isinstance(e["elapsed"], int), e
	    assert last <= e["bytes"] <= size, e
	    last = e["bytes"]
	for e in prog:
	    assert e["total"] == size and (e["rate"] is None or e["rate"] > 0), e
	    assert e["eta"] is None or (e["eta"] >= 0 and e["rate"] is not None), e
	EOF
'

test_expect_success 'retry, failover and fail events carry the error' '
    { mirror_section bad "${H}500/"; mirror_section down "${H}404/"; } |
        fetch_conf c2.conf retries=1 &&
    fetch_fails -c c2.conf --path data.bin --max 4000000 --progress-fd 3 3>"$TRASH/p2.jsonl" &&
    "$PYTHON" - "$TRASH/p2.jsonl" <<-EOF
	import json, sys
	ev = [json.loads(l) for l in open(sys.argv[1])]
	kinds = [e["event"] for e in ev]
	assert kinds == ["start", "retry", "start", "failover", "start", "fail"], kinds
	assert ev[1]["error"]["name"] == "SW_E_FETCH_HTTP", ev[1]
	assert "HTTP 500" in ev[1]["error"]["message"], ev[1]
	assert ev[3]["mirror"] == "bad", ev[3]
	assert ev[5]["error"]["name"] == "SW_E_FETCH_HTTP", ev[5]
	assert "mirror '"'"'down'"'"'" in ev[5]["error"]["message"], ev[5]
	EOF
'

test_expect_success 'no bar when stderr is not a terminal' '
    fetch_ok -c c1.conf --bar --path data.bin --max 4000000 --out "$TRASH/o2.bin" &&
    test ! -s "$TRASH/err"
'

test_expect_success 'a bar with bytes, rate and ETA when stderr is a terminal' '
    TERM=xterm script -qfec "$FETCH_TOOL -c c1.conf --bar --path data.bin --max 4000000 --out $TRASH/o3.bin" \
        "$TRASH/tty.txt" >/dev/null </dev/null &&
    cmp "$WWW/data.bin" "$TRASH/o3.bin" &&
    contains "$TRASH/tty.txt" "data.bin" &&
    contains "$TRASH/tty.txt" "MiB/s" &&
    contains "$TRASH/tty.txt" "ETA " &&
    contains "$TRASH/tty.txt" "100% 2.9 MiB / 2.9 MiB" &&
    test "$(tr -cd "\r" <"$TRASH/tty.txt" | wc -c)" -ge 3
'

test_expect_success 'no bar with -q, even on a terminal' '
    TERM=xterm script -qfec "$FETCH_TOOL -q -c c1.conf --bar --path data.bin --max 4000000 --out $TRASH/o4.bin" \
        "$TRASH/tty2.txt" >/dev/null </dev/null &&
    cmp "$WWW/data.bin" "$TRASH/o4.bin" &&
    lacks "$TRASH/tty2.txt" "MiB/s" &&
    contains "$TRASH/tty2.txt" "\"length\":$SIZE"
'

test_done
