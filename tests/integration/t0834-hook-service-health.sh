#!/bin/bash
# SPDX-License-Identifier: MIT
# The shipped service-health hook against real services started from a test
# slot: a small HTTP service (healthy; a wrong path), one that exits at once,
# one that never listens (fails after start-timeout), one that ignores
# SIGTERM (killed after stop-timeout), a program path leaving the slot, a
# slot path with a space and a quote, the hook itself killed mid-start, and
# mosquitto started from the slot and probed over MQTT; post-promote against
# a live mosquitto and a dead port with retries; unconfigured it skips; and
# once through the real runner (slipway hooks run --slot-dir). After every
# run no process of the service is left (pgrep on a unique marker).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-mqtt.sh"
. "$(dirname "$0")/lib-hook.sh"

H=50-service-health
SLOT=$TRASH/slot
M=t0834-$$ # marker: every service process has it on its command line
mkdir -p "$SLOT/bin" "$SLOT/etc"

cat >"$SLOT/bin/server" <<'EOS'
#!/bin/sh
# server PORT MARKER [DIR]: HTTP on 127.0.0.1:PORT, /health 200, else 404;
# a child process in the same group; DIR, when given, must exist
[ -z "${3-}" ] || [ -d "$3" ] || { echo "server: no directory '$3'" >&2; exit 4; }
/usr/bin/python3 -c 'import time; time.sleep(300)' "$2-child" &
exec /usr/bin/python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
print("server: listening", flush=True)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$1" "$2"
EOS
cat >"$SLOT/bin/crash" <<'EOS'
#!/bin/sh
echo "crash: configuration broken" >&2
exit 3
EOS
cat >"$SLOT/bin/mute" <<'EOS'
#!/bin/sh
exec /usr/bin/python3 -c 'import time; time.sleep(300)' "$2"
EOS
cat >"$SLOT/bin/stubborn" <<'EOS'
#!/bin/sh
exec /usr/bin/python3 -c '
import signal, socket, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(4)
time.sleep(300)' "$1" "$2"
EOS
cat >"$SLOT/bin/broker" <<'EOS'
#!/bin/sh
# broker PORT MARKER: mosquitto on 127.0.0.1:PORT, its configuration
# written outside the slot (a hook never writes into the slot under test)
d=$(mktemp -d "${TMPDIR:-/tmp}/broker-$2.XXXXXX")
{
    echo "listener $1 127.0.0.1"
    echo "allow_anonymous true"
    echo "persistence false"
    echo "log_dest stdout"
    [ "$(id -u)" -eq 0 ] && echo "user root"
} >"$d/mosquitto.conf"
exec /usr/sbin/mosquitto -c "$d/mosquitto.conf"
EOS
chmod 755 "$SLOT"/bin/*
ln -s /bin/sleep "$SLOT/bin/escape"
echo "not a program" >"$SLOT/etc/data"

left() { # processes with marker $1 still running (prints them)
    pgrep -af -- "$1" | grep -v pgrep || true
}
none_left() {
    local l
    sleep 0.2
    l=$(left "$1")
    if [ -n "$l" ]; then
        echo "processes left: $l"
        return 1
    fi
}
at_exit "pkill -KILL -f -- '$M'"

elapsed_run() { # like run_hook, ELAPSED (seconds)
    local t0
    t0=$(date +%s)
    run_hook "$@"
    ELAPSED=$(($(date +%s) - t0))
}

test_expect_success 'make install puts the hook in both phases (the link copied as the file)' '
    MAKEFLAGS= make -s -C "$SRCDIR" install DESTDIR="$TRASH/root" PREFIX=/usr >/dev/null &&
    d=$TRASH/root/usr/lib/slipway/hooks.d &&
    test -f "$d/pre-promote/$H" && ! test -L "$d/pre-promote/$H" &&
    test -f "$d/post-promote/$H" && ! test -L "$d/post-promote/$H" &&
    test "$(file_mode "$d/post-promote/$H")" = 755 &&
    cmp "$d/post-promote/$H" "$SRCDIR/contrib/hooks/pre-promote/$H"
'

test_expect_success 'unconfigured it skips and names the key to set; a bad probe fails' '
    run_hook $H pre-promote "$SLOT" && expect_hook 77 &&
    contains "$TRASH/hook.out" "set probe = tcp, http or mqtt" &&
    test "$(findings_count)" = 0 &&
    run_hook $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=tcp && expect_hook 77 &&
    contains "$TRASH/hook.out" "set command" &&
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_PROBE=mqtt && expect_hook 77 &&
    contains "$TRASH/hook.out" "set live-port" &&
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_PROBE=http && expect_hook 77 &&
    contains "$TRASH/hook.out" "set live-url" &&
    run_hook $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=udp && expect_hook 1 &&
    test "$(finding config)" = "fail probe = '"'"'udp'"'"' is not tcp, http or mqtt" &&
    run_hook $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=tcp SLIPWAY_OPT_COMMAND="bin/missing" \
        SLIPWAY_HOOK_TIMEOUT=20 && expect_hook 1 &&
    contains "$TRASH/hook.out" "(37s) reach the hook timeout (20s): raise timeout" &&
    run_hook $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=tcp SLIPWAY_OPT_COMMAND="bin/missing" &&
    lacks "$TRASH/hook.out" "warning" &&
    run_hook $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=tcp SLIPWAY_OPT_COMMAND="bin/server" \
        SLIPWAY_OPT_START_TIMEOUT=soon && expect_hook 1 &&
    contains "$TRASH/findings" "start-timeout = '"'"'soon'"'"' is not a whole number" &&
    test -z "$(left "$M")"
'

test_expect_success 'pre-promote: a healthy HTTP service passes; it and its child are stopped' '
    run_hook $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=http \
        SLIPWAY_OPT_COMMAND="bin/server {port} $M-a" SLIPWAY_OPT_HTTP_PATH=/health \
        SLIPWAY_OPT_START_TIMEOUT=15 && expect_hook 0 &&
    finding started | grep -E "^pass .bin/server. started \(process group [0-9]+, test port [0-9]+\)$" &&
    finding probe | grep -E "^pass http://127.0.0.1:[0-9]+/health answered within [0-9]+s$" &&
    finding stopped | grep -E "^pass process group [0-9]+ stopped by SIGTERM$" &&
    contains "$TRASH/hook.out" "server: listening" &&
    none_left "$M-a"
'

test_expect_success 'pre-promote: the wrong path is a 404 until start-timeout; port = N is used' '
    port=$(free_port) &&
    elapsed_run $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=http \
        SLIPWAY_OPT_COMMAND="bin/server {port} $M-b" SLIPWAY_OPT_HTTP_PATH=nope \
        SLIPWAY_OPT_PORT=$port SLIPWAY_OPT_START_TIMEOUT=2 && expect_hook 1 &&
    test "$(finding probe)" = "fail http://127.0.0.1:$port/nope: no healthy answer within start-timeout 2s: '"'"'http://127.0.0.1:$port/nope'"'"' answered status 404, wanted 200-399" &&
    finding stopped | grep -q "^pass " &&
    test "$ELAPSED" -ge 2 && test "$ELAPSED" -lt 10 &&
    none_left "$M-b"
'

test_expect_success 'pre-promote: a service that exits at once fails at once, with its output' '
    elapsed_run $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=tcp \
        SLIPWAY_OPT_COMMAND="bin/crash {port}" SLIPWAY_OPT_START_TIMEOUT=30 && expect_hook 1 &&
    test "$(finding started)" = "fail '"'"'bin/crash'"'"' exited with status 3 before it answered" &&
    finding probe | grep -q "^fail tcp 127.0.0.1:[0-9]*: cannot connect" &&
    contains "$TRASH/hook.out" "crash: configuration broken" &&
    test "$ELAPSED" -lt 10
'

test_expect_success 'pre-promote: one that never listens fails after start-timeout and is stopped' '
    elapsed_run $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=mqtt \
        SLIPWAY_OPT_COMMAND="bin/mute {port} $M-c" SLIPWAY_OPT_START_TIMEOUT=2 && expect_hook 1 &&
    finding started | grep -q "^pass " &&
    finding probe | grep -E "^fail mqtt 127.0.0.1:[0-9]+: no healthy answer within start-timeout 2s: cannot connect" &&
    finding stopped | grep -E "^pass process group [0-9]+ stopped by SIGTERM$" &&
    test "$ELAPSED" -ge 2 && test "$ELAPSED" -lt 10 &&
    none_left "$M-c"
'

test_expect_success 'pre-promote: one that ignores SIGTERM is killed after stop-timeout, and that fails' '
    elapsed_run $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=tcp \
        SLIPWAY_OPT_COMMAND="bin/stubborn {port} $M-d" SLIPWAY_OPT_STOP_TIMEOUT=1 && expect_hook 1 &&
    finding probe | grep -q "^pass " &&
    finding stopped | grep -E "^fail process group [0-9]+ did not stop within 1s of SIGTERM: killed$" &&
    none_left "$M-d"
'

test_expect_success 'pre-promote: a program outside the slot is refused and nothing is started' '
    run_hook $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=tcp SLIPWAY_OPT_COMMAND="bin/escape 300" &&
    expect_hook 1 &&
    finding started | grep -q "^fail the program .bin/escape. resolves outside the slot" &&
    ! pgrep -f "^/bin/sleep 300$" >/dev/null &&
    run_hook $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=tcp SLIPWAY_OPT_COMMAND="/bin/sleep 300" &&
    expect_hook 1 && contains "$TRASH/findings" "must be a path relative to the slot" &&
    run_hook $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=tcp SLIPWAY_OPT_COMMAND="bin/../../x" &&
    expect_hook 1 && contains "$TRASH/findings" "without '"'"'..'"'"'" &&
    run_hook $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=tcp SLIPWAY_OPT_COMMAND="bin/missing" &&
    expect_hook 1 && test "$(finding started)" = "fail the program '"'"'bin/missing'"'"' is not in the slot" &&
    run_hook $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=tcp SLIPWAY_OPT_COMMAND="etc/data" &&
    expect_hook 1 && test "$(finding started)" = "fail the program '"'"'etc/data'"'"' is not an executable file"
'

test_expect_success 'pre-promote: {slot} reaches the program intact from a path with a space and a quote' '
    odd="$TRASH/odd '"'"'slot'"'"' dir" && mkdir -p "$odd" && cp -a "$SLOT/bin" "$odd/" &&
    run_hook $H pre-promote "$odd" SLIPWAY_OPT_PROBE=http \
        SLIPWAY_OPT_COMMAND="bin/server {port} $M-e {slot}/bin" SLIPWAY_OPT_HTTP_PATH=/health &&
    expect_hook 0 && lacks "$TRASH/hook.out" "no directory" &&
    none_left "$M-e"
'

test_expect_success 'the hook killed by SIGTERM while it waits still stops the service' '
    # (the hook alone in the background: $! must be its pid)
    (cd "$SLOT" && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        SLIPWAY_HOOK_LIB="$SRCDIR/contrib/hooks/hook-lib.sh" SLIPWAY_PHASE=pre-promote \
        SLIPWAY_SLOT_DIR="$SLOT" SLIPWAY_BIN="$SLIPWAY" SLIPWAY_OPT_PROBE=tcp \
        SLIPWAY_OPT_COMMAND="bin/mute {port} $M-f" SLIPWAY_OPT_START_TIMEOUT=60 \
        "$SRCDIR/contrib/hooks/pre-promote/$H" >"$TRASH/bg.out" 2>&1) &
    hpid=$! &&
    # the service itself (not the env command that carries the marker too)
    for i in $(seq 1 100); do pgrep -f "sleep\(300\) $M-f" >/dev/null && break; sleep 0.1; done &&
    pgrep -f "sleep\(300\) $M-f" &&
    kill -TERM $hpid && rc=0 && { wait $hpid || rc=$?; } &&
    test "$rc" = 143 &&
    none_left "$M-f"
'

if ! have_mosquitto; then
    say "skipping the broker tests: $MOSQUITTO is not installed (contrib/deps.sh installs mosquitto)"
    test_done
fi

test_expect_success 'pre-promote: mosquitto started from the slot answers an MQTT CONNECT' '
    run_hook $H pre-promote "$SLOT" SLIPWAY_OPT_PROBE=mqtt \
        SLIPWAY_OPT_COMMAND="bin/broker {port} $M-g" SLIPWAY_OPT_START_TIMEOUT=15 &&
    expect_hook 0 &&
    finding probe | grep -E "^pass mqtt 127.0.0.1:[0-9]+ answered within" &&
    finding stopped | grep -q "^pass .* stopped by SIGTERM" &&
    contains "$TRASH/hook.out" "as slipway-probe-" &&
    none_left "$M-g"
'

mosquitto_start live || exit 1

test_expect_success 'post-promote: a live mosquitto passes; a dead port fails after its retries' '
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_PROBE=mqtt SLIPWAY_OPT_LIVE_PORT=$MQTT_PORT \
        SLIPWAY_OPT_CLIENT_ID=t0834-live && expect_hook 0 &&
    test "$(finding probe)" = "pass mqtt 127.0.0.1:$MQTT_PORT is healthy" &&
    sleep 0.2 && contains "$MQTT_LOG" "as t0834-live" &&
    dead=$(free_port) &&
    elapsed_run $H post-promote "$SLOT" SLIPWAY_OPT_PROBE=mqtt SLIPWAY_OPT_LIVE_PORT=$dead \
        SLIPWAY_OPT_RETRIES=2 SLIPWAY_OPT_RETRY_DELAY=1 && expect_hook 1 &&
    finding probe | grep -E "^fail mqtt 127.0.0.1:$dead: cannot connect to 127.0.0.1:$dead: .* \(after 3 attempts\)$" &&
    test "$ELAPSED" -ge 2 &&
    run_hook $H post-promote "$SLOT" SLIPWAY_OPT_PROBE=tcp SLIPWAY_OPT_LIVE_HOST=localhost \
        SLIPWAY_OPT_LIVE_PORT=$MQTT_PORT && expect_hook 0
'

test_expect_success 'through the runner: slipway hooks run 50-service-health --slot-dir' '
    mkdir -p "$TRASH/hooks/pre-promote" "$TRASH/hooks/post-promote" &&
    cp "$SRCDIR/contrib/hooks/pre-promote/$H" "$TRASH/hooks/pre-promote/" &&
    cp -L "$SRCDIR/contrib/hooks/post-promote/$H" "$TRASH/hooks/post-promote/" &&
    cat >"$TRASH/r.conf" <<EOC &&
[slipway]
state-dir = $TRASH/st
hook-dirs = $TRASH/hooks
hook-lib = $SRCDIR/contrib/hooks/hook-lib.sh

[hook "service-health"]
probe = mqtt
command = bin/broker {port} $M-h
start-timeout = 15
live-port = $MQTT_PORT
EOC
    expect_code 0 "$SLIPWAY" -c "$TRASH/r.conf" hooks run $H --phase pre-promote --slot-dir "$SLOT" &&
    contains "$TRASH/out" "answered within" &&
    contains "$TRASH/out" "stopped by SIGTERM" &&
    none_left "$M-h" &&
    expect_code 0 "$SLIPWAY" -c "$TRASH/r.conf" hooks run $H --phase post-promote --slot-dir "$SLOT" &&
    contains "$TRASH/out" "mqtt 127.0.0.1:$MQTT_PORT is healthy"
'

test_done
