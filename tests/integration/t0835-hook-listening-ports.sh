#!/bin/bash
# SPDX-License-Identifier: MIT
# The shipped listening-ports hook: unconfigured it skips; a bad allow-list
# fails naming the entry; hand-made /proc/net tables (IPv4, IPv6, a
# v4-mapped and a link-local address, non-listening TCP and connected UDP
# sockets that must not count) give exactly the unexpected listeners
# written below; then real sockets: in a private network namespace (as
# root) the hook is compared with ss(8) and with python3 listeners opened
# there (tcp vs udp, bare ports, ignore-loopback, IPv6); in the machine's
# namespace a baseline of what listens now is allowed and one new listener
# is named. Every listener the test opens is killed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hook.sh"

H=40-listening-ports
SLOT=$TRASH/slot
mkdir -p "$SLOT"

# findings_checks: the check names of the failing findings, sorted, one line
fails() {
    "$PYTHON" -c '
import json, sys
print(" ".join(sorted(f["check"] for f in map(json.loads, open(sys.argv[1])) if f["status"] == "fail")))' \
        "$TRASH/findings"
}

test_expect_success 'unconfigured it skips naming allow; bad settings fail naming them' '
    run_hook $H post-promote "$SLOT" && expect_hook 77 &&
    contains "$TRASH/hook.out" "set allow = PORT, tcp:PORT or udp:PORT" &&
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_ALLOW="22 sctp:9" && expect_hook 1 &&
    test "$(finding config)" = "fail allow: '"'"'sctp:9'"'"' is not PORT, tcp:PORT or udp:PORT" &&
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_ALLOW="70000" && expect_hook 1 &&
    contains "$TRASH/findings" "is not a port from 1 to 65535" &&
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_ALLOW="tcp:" && expect_hook 1 &&
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_ALLOW="*" && expect_hook 1 &&
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_ALLOW=22 SLIPWAY_OPT_IGNORE_LOOPBACK=maybe &&
    expect_hook 1 && contains "$TRASH/findings" "ignore-loopback = '"'"'maybe'"'"' is not yes or no" &&
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_ALLOW=22 SLIPWAY_OPT_PROC_NET="$TRASH/nothing" &&
    expect_hook 1 && contains "$TRASH/hook.out" "cannot read"
'

# hand-made tables, as a little-endian kernel prints them: addresses are
# 32-bit words in host order (127.0.0.1 = 0100007F), ports big-endian hex
P=$TRASH/procnet
mkdir -p "$P"
cat >"$P/tcp" <<'EOT'
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 101 1 0 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 102 1 0 100 0 0 10 0
   2: 00000000:075B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 103 1 0 100 0 0 10 0
   3: 0100007F:0050 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 104 1 0 100 0 0 10 0
   4: 0A00020F:1F91 00000000:0000 06 00000000:00000000 00:00000000 00000000     0        0 0 1 0 100 0 0 10 0
   5: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 105 1 0 100 0 0 10 0
EOT
cat >"$P/tcp6" <<'EOT'
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:075B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 201 1 0 100 0 0 10 0
   1: 00000000000000000000000001000000:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 202 1 0 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:22B3 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 203 1 0 100 0 0 10 0
   3: 000080FE000000000000000001000000:1112 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 204 1 0 100 0 0 10 0
   4: B80D0120000000000000000001000000:14F2 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 205 1 0 100 0 0 10 0
EOT
cat >"$P/udp" <<'EOT'
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 301 2 0 0
  101: 0100007F:0044 0100007F:0043 01 00000000:00000000 00:00000000 00000000     0        0 302 2 0 0
  102: 00000000:1F90 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 303 2 0 0
EOT
LE=$(printf '\001\000' | od -An -tu2 | tr -d " ")

if [ "$LE" = 1 ]; then
test_expect_success 'hand-made tables: exactly the unexpected listeners, by address and protocol' '
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_PROC_NET="$P" \
        SLIPWAY_OPT_ALLOW="1883, 8883 8083 8084 4370,5370 tcp:22 udp:53" && expect_hook 1 &&
    # 127.0.0.1:80 is an established connection and 10.0.2.15:8081 a
    # TIME_WAIT: neither listens; the connected UDP socket on 68 is no server
    test "$(fails)" = "summary tcp:5362 tcp:8000 tcp:8080 udp:8080" &&
    test "$(finding tcp:8080)" = "fail unexpected tcp listener on 0.0.0.0:8080 (not in allow)" &&
    test "$(finding udp:8080)" = "fail unexpected udp listener on 0.0.0.0:8080 (not in allow)" &&
    test "$(finding tcp:8000)" = "fail unexpected tcp listener on [::1]:8000 (not in allow)" &&
    test "$(finding tcp:5362)" = "fail unexpected tcp listener on [2001:db8::1]:5362 (not in allow)" &&
    test "$(finding summary)" = "fail 10 listening sockets, 4 unexpected" &&
    contains "$TRASH/hook.out" "allowed:    tcp [::ffff:127.0.0.1]:8883" &&
    contains "$TRASH/hook.out" "allowed:    tcp [fe80::1]:4370" &&
    contains "$TRASH/hook.out" "allowed:    tcp [::]:1883" &&
    contains "$TRASH/hook.out" "allowed:    tcp 127.0.0.1:22" &&
    lacks "$TRASH/hook.out" ":80 " && lacks "$TRASH/hook.out" ":8081" && lacks "$TRASH/hook.out" ":68"
'

test_expect_success 'hand-made tables: ignore-loopback, tcp: vs udp:, a bare port covers both' '
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_PROC_NET="$P" SLIPWAY_OPT_IGNORE_LOOPBACK=yes \
        SLIPWAY_OPT_ALLOW="1883 4370 5362 udp:53 tcp:8080" && expect_hook 1 &&
    test "$(fails)" = "summary udp:8080" &&
    test "$(finding summary)" = "fail 7 listening sockets, 1 unexpected (3 on loopback ignored)" &&
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_PROC_NET="$P" SLIPWAY_OPT_IGNORE_LOOPBACK=yes \
        SLIPWAY_OPT_ALLOW="1883 4370 5362 53 8080" && expect_hook 0 &&
    test "$(finding summary)" = "pass 7 listening sockets, 0 unexpected (3 on loopback ignored)"
'

test_expect_success 'through the runner: slipway hooks run 40-listening-ports --slot-dir' '
    mkdir -p "$TRASH/hooks/post-promote" &&
    cp "$SRCDIR/contrib/hooks/post-promote/$H" "$TRASH/hooks/post-promote/" &&
    printf "[slipway]\nstate-dir = %s\nhook-dirs = %s\nhook-lib = %s\n\n[hook \"listening-ports\"]\nallow = 1883 8883 8083 8084 4370 5370 22 53\nproc-net = %s\n" \
        "$TRASH/st" "$TRASH/hooks" "$SRCDIR/contrib/hooks/hook-lib.sh" "$P" >"$TRASH/r.conf" &&
    expect_code 1 "$SLIPWAY" -c "$TRASH/r.conf" hooks run $H --slot-dir "$SLOT" &&
    contains "$TRASH/out" "unexpected tcp listener on 0.0.0.0:8080 (not in allow)" &&
    contains "$TRASH/out" "unexpected tcp listener on [2001:db8::1]:5362 (not in allow)" &&
    contains "$TRASH/out" "10 listening sockets, 4 unexpected"
'
else
    say "skipping the hand-made tables: they are written as a little-endian kernel prints them"
fi

# listen PROTO HOST [NS_PID]: a python3 socket bound to a free port on HOST,
# kept open; LPORT and LPID set, killed at exit
listen() {
    local proto=$1 host=$2 ns=${3:-} f=$TRASH/listen.$RANDOM pre=()
    [ -n "$ns" ] && pre=(nsenter -t "$ns" -n)
    "${pre[@]}" "$PYTHON" -c '
import socket, sys, time
fam = socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM)
s.bind((sys.argv[2], 0))
if sys.argv[1] == "tcp":
    s.listen(4)
open(sys.argv[3] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[3] + ".tmp", sys.argv[3])
time.sleep(600)' "$proto" "$host" "$f" &
    LPID=$!
    at_exit "kill $LPID"
    for _ in $(seq 1 100); do [ -s "$f" ] && break; sleep 0.05; done
    LPORT=$(cat "$f")
}

NS=
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && command -v nsenter >/dev/null; then
    unshare -n sleep 600 &
    NS=$!
    at_exit "kill $NS"
    sleep 0.2
    nsenter -t "$NS" -n ip link set lo up 2>/dev/null || NS=
fi

if [ -n "$NS" ]; then
ns_hook() { # run_hook inside the namespace: the hook reads its own /proc/net
    local save=$SLIPWAY
    HOOK_RC=0
    (cd "$SLOT" && nsenter -t "$NS" -n env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        SLIPWAY_HOOK_LIB="$SRCDIR/contrib/hooks/hook-lib.sh" SLIPWAY_RESULT_FD=3 \
        SLIPWAY_PHASE=post-promote SLIPWAY_SLOT_DIR="$SLOT" SLIPWAY_BIN="$save" "$@" \
        "$SRCDIR/contrib/hooks/post-promote/$H" 3>"$TRASH/findings" >"$TRASH/hook.out" 2>&1) ||
        HOOK_RC=$?
}

test_expect_success 'private namespace: nothing listens, then each new listener is named exactly' '
    ns_hook SLIPWAY_OPT_ALLOW=1 && expect_hook 0 &&
    test "$(finding summary)" = "pass 0 listening sockets, 0 unexpected" &&
    listen tcp 127.0.0.1 "$NS" && T=$LPORT &&
    listen udp 0.0.0.0 "$NS" && U=$LPORT &&
    listen tcp :: "$NS" && T6=$LPORT &&
    ns_hook SLIPWAY_OPT_ALLOW=1 && expect_hook 1 &&
    test "$(fails)" = "$(printf "%s\n" summary tcp:$T tcp:$T6 udp:$U | sort | tr "\n" " " | sed "s/ $//")" &&
    test "$(finding tcp:$T)" = "fail unexpected tcp listener on 127.0.0.1:$T (not in allow)" &&
    test "$(finding tcp:$T6)" = "fail unexpected tcp listener on [::]:$T6 (not in allow)" &&
    test "$(finding udp:$U)" = "fail unexpected udp listener on 0.0.0.0:$U (not in allow)" &&
    # the same set as ss(8) sees, an independent reader of the kernel tables
    nsenter -t "$NS" -n ss -lntuH | awk "{ n = split(\$5, a, \":\"); print \$1 \":\" a[n] }" | sort -u >"$TRASH/ss" &&
    "$PYTHON" -c "import json,sys; [print(f[\"check\"]) for f in map(json.loads, open(sys.argv[1])) if f[\"check\"] != \"summary\"]" "$TRASH/findings" | sort -u >"$TRASH/hookset" &&
    diff "$TRASH/ss" "$TRASH/hookset" &&
    # tcp: and udp: are told apart; a bare port covers both
    ns_hook SLIPWAY_OPT_ALLOW="udp:$T udp:$T6 tcp:$U" && expect_hook 1 &&
    test "$(fails)" = "$(printf "%s\n" summary tcp:$T tcp:$T6 udp:$U | sort | tr "\n" " " | sed "s/ $//")" &&
    ns_hook SLIPWAY_OPT_ALLOW="tcp:$T tcp:$T6 udp:$U" && expect_hook 0 &&
    ns_hook SLIPWAY_OPT_ALLOW="$T,$T6,$U" && expect_hook 0 &&
    test "$(finding summary)" = "pass 3 listening sockets, 0 unexpected" &&
    # a loopback listener counts unless ignore-loopback = yes
    ns_hook SLIPWAY_OPT_ALLOW="$T6 $U" && expect_hook 1 && test "$(fails)" = "summary tcp:$T" &&
    ns_hook SLIPWAY_OPT_ALLOW="$T6 $U" SLIPWAY_OPT_IGNORE_LOOPBACK=yes && expect_hook 0
'
else
    say "skipping the private-namespace test: needs root, unshare(1) and nsenter(1)"
fi

test_expect_success 'the machine: a baseline of what listens now is allowed; one new listener is named' '
    ss -lntuH | awk "{ n = split(\$5, a, \":\"); print \$1 \":\" a[n] }" | sort -u | tr "\n" " " >"$TRASH/base" &&
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_ALLOW="$(cat "$TRASH/base") 1" &&
    listen tcp 0.0.0.0 && N=$LPORT &&
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_ALLOW="$(cat "$TRASH/base") 1" && expect_hook 1 &&
    # other tests on this machine may open listeners meanwhile: ours must be named
    test "$(finding tcp:$N)" = "fail unexpected tcp listener on 0.0.0.0:$N (not in allow)" &&
    kill $LPID && wait $LPID 2>/dev/null; sleep 0.1;
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_ALLOW="$(cat "$TRASH/base") 1" &&
    test "$(finding tcp:$N)" = none
'

test_done
