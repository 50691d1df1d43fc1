#!/bin/bash
# SPDX-License-Identifier: MIT
# slipway probe against real servers on 127.0.0.1: a TCP port open and
# closed, nginx over HTTP and HTTPS (a file, a 404, --status, --ca-file),
# a redirect that is not followed, a silent server (every probe times out
# within its deadline), fake MQTT brokers answering chosen CONNACKs (the
# CONNECT bytes checked as sent), retries, and Debian's mosquitto: anonymous,
# with a password file (right and wrong password), the client id in its log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-mqtt.sh"

mkdir -p "$TRASH/www"
echo ok >"$TRASH/www/health"
nginx_start "$TRASH/www" plainnginx plain || exit 1
PLAIN_PORT=$NGINX_PORT
PLAIN_URL=$NGINX_URL
nginx_start "$TRASH/www" tlsnginx || exit 1
TLS_URL=$NGINX_URL
CLOSED=$(free_port)

# elapsed CMD...: run CMD like expect_code does (no exit check); ELAPSED_MS
elapsed() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >"$TRASH/out" 2>"$TRASH/err" || true
    t1=$(date +%s%N)
    ELAPSED_MS=$(((t1 - t0) / 1000000))
}

test_expect_success 'tcp: an open port is healthy, a closed one is refused and named' '
    expect_code 0 "$SLIPWAY" probe tcp 127.0.0.1 "$PLAIN_PORT" &&
    contains "$TRASH/out" "healthy: tcp 127.0.0.1 $PLAIN_PORT" &&
    expect_code 0 "$SLIPWAY" probe tcp localhost "$PLAIN_PORT" &&
    expect_code 1 "$SLIPWAY" probe tcp 127.0.0.1 "$CLOSED" &&
    test "$(wc -l <"$TRASH/err")" = 1 &&
    contains "$TRASH/err" "unhealthy: cannot connect to 127.0.0.1:$CLOSED" &&
    grep -qi "connection refused" "$TRASH/err"
'

test_expect_success 'http: a file is healthy, a 404 is not, --status chooses' '
    expect_code 0 "$SLIPWAY" probe http "${PLAIN_URL}health" &&
    expect_code 1 "$SLIPWAY" probe http "${PLAIN_URL}missing" &&
    contains "$TRASH/err" "answered status 404, wanted 200-399" &&
    expect_code 0 "$SLIPWAY" probe http "${PLAIN_URL}missing" --status 404 &&
    expect_code 0 "$SLIPWAY" probe http "${PLAIN_URL}missing" --status 400-499 &&
    expect_code 1 "$SLIPWAY" probe http "${PLAIN_URL}health" --status 201 &&
    contains "$TRASH/err" "answered status 200, wanted 201" &&
    expect_code 1 "$SLIPWAY" probe http "http://127.0.0.1:$CLOSED/" &&
    contains "$TRASH/err" "cannot connect to" &&
    grep -E "^GET /health 200 " "$TRASH/plainnginx/logs/access.log"
'

test_expect_success 'https: verified against --ca-file; the system CAs do not know the test CA' '
    expect_code 0 "$SLIPWAY" probe http "${TLS_URL}health" --ca-file "$PKI/ca.crt" &&
    expect_code 1 "$SLIPWAY" probe http "${TLS_URL}health" &&
    grep -qi "certificate" "$TRASH/err"
'

test_expect_success 'http: a redirect is not followed (its status is judged)' '
    fake_start redir redirect "http://127.0.0.1:$CLOSED/elsewhere" &&
    expect_code 0 "$SLIPWAY" probe http "http://127.0.0.1:$FAKE_PORT/x" &&
    expect_code 1 "$SLIPWAY" probe http "http://127.0.0.1:$FAKE_PORT/x" --status 200 &&
    contains "$TRASH/err" "answered status 302, wanted 200"
'

test_expect_success 'a silent server: http and mqtt time out within the deadline and say so' '
    fake_start silent silent &&
    expect_code 0 "$SLIPWAY" probe tcp 127.0.0.1 "$FAKE_PORT" &&
    elapsed "$SLIPWAY" probe http "http://127.0.0.1:$FAKE_PORT/" --timeout 1 &&
    contains "$TRASH/err" "no answer from '"'"'http://127.0.0.1:$FAKE_PORT/'"'"' within 1s" &&
    test "$ELAPSED_MS" -ge 900 && test "$ELAPSED_MS" -lt 4000 &&
    elapsed "$SLIPWAY" probe mqtt 127.0.0.1 "$FAKE_PORT" --timeout 0.5 &&
    contains "$TRASH/err" "127.0.0.1:$FAKE_PORT: no CONNACK within 0.5s" &&
    test "$ELAPSED_MS" -ge 400 && test "$ELAPSED_MS" -lt 3000 &&
    expect_code 1 "$SLIPWAY" probe mqtt 127.0.0.1 "$FAKE_PORT" --timeout 0.5
'

test_expect_success 'fake broker refusing with return code 5: named; the CONNECT sent is MQTT 3.1.1' '
    fake_start rc5 answer 20020005 &&
    expect_code 1 "$SLIPWAY" probe mqtt 127.0.0.1 "$FAKE_PORT" --client-id t0833-client &&
    contains "$TRASH/err" "return code 5 (not authorized)" &&
    id=$(printf t0833-client | od -An -tx1 | tr -d " \n") &&
    sleep 0.2 &&
    # 0x10, remaining length 10+2+12 = 24 (0x18), "MQTT", level 4,
    # clean session, keep-alive 30, the client id; no DISCONNECT after a refusal
    test "$(head -n1 "$FAKE_LOG")" = "101800044d5154540402001e000c$id"
'

test_expect_success 'fake broker accepting: healthy, default client id, then DISCONNECT' '
    fake_start rc0 answer 20020000 &&
    expect_code 0 "$SLIPWAY" probe mqtt 127.0.0.1 "$FAKE_PORT" &&
    sleep 0.2 &&
    line=$(head -n1 "$FAKE_LOG") &&
    id=$(printf slipway-probe- | od -An -tx1 | tr -d " \n") &&
    case $line in 10??00044d5154540402001e00??${id}*e000) ;; *) echo "sent: $line"; false ;; esac
'

test_expect_success 'bad answers from a fake broker are named' '
    fake_start pub answer 30020000 &&
    expect_code 1 "$SLIPWAY" probe mqtt 127.0.0.1 "$FAKE_PORT" &&
    contains "$TRASH/err" "not a CONNACK (packet type byte 0x30" &&
    fake_start len answer 20030000 &&
    expect_code 1 "$SLIPWAY" probe mqtt 127.0.0.1 "$FAKE_PORT" &&
    contains "$TRASH/err" "CONNACK remaining length 3, wanted 2" &&
    fake_start short answer 2002 &&
    expect_code 1 "$SLIPWAY" probe mqtt 127.0.0.1 "$FAKE_PORT" --timeout 0.5 &&
    contains "$TRASH/err" "no CONNACK within 0.5s (2 of 4 bytes received)"
'

test_expect_success 'retries: each failed attempt waits --retry-delay; a late listener is found' '
    elapsed "$SLIPWAY" -v probe tcp 127.0.0.1 "$CLOSED" --retries 2 --retry-delay 0.4 &&
    contains "$TRASH/err" "probe attempt 1 of 3 failed" &&
    contains "$TRASH/err" "probe attempt 2 of 3 failed" &&
    lacks "$TRASH/err" "attempt 3 of 3" &&
    contains "$TRASH/err" "unhealthy: cannot connect" &&
    test "$ELAPSED_MS" -ge 800 &&
    late=$(free_port) &&
    { "$PYTHON" -c "import socket,sys,time; time.sleep(1); s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"127.0.0.1\",$late)); s.listen(1); time.sleep(5)" & } &&
    lpid=$! &&
    expect_code 0 "$SLIPWAY" probe tcp 127.0.0.1 "$late" --retries 20 --retry-delay 0.2; r=$?;
    kill $lpid; wait $lpid; test $r = 0
'

test_expect_success 'usage errors exit 2 and name the problem' '
    expect_code 2 "$SLIPWAY" probe udp 127.0.0.1 53 &&
    contains "$TRASH/err" "unknown probe '"'"'udp'"'"'" &&
    expect_code 2 "$SLIPWAY" probe tcp 127.0.0.1 0 &&
    expect_code 2 "$SLIPWAY" probe tcp 127.0.0.1 65536 &&
    expect_code 2 "$SLIPWAY" probe tcp 127.0.0.1 &&
    expect_code 2 "$SLIPWAY" probe http ftp://127.0.0.1/ &&
    expect_code 2 "$SLIPWAY" probe http "$PLAIN_URL" --status 7 &&
    expect_code 2 "$SLIPWAY" probe tcp 127.0.0.1 80 --username u &&
    expect_code 2 "$SLIPWAY" probe tcp 127.0.0.1 80 --timeout 0 &&
    expect_code 2 "$SLIPWAY" probe tcp 127.0.0.1 80 --retries -1
'

if ! have_mosquitto; then
    say "skipping the real-broker tests: $MOSQUITTO is not installed (contrib/deps.sh installs mosquitto)"
    test_done
fi

test_expect_success 'a real mosquitto: CONNECT accepted, client id in its log, clean DISCONNECT' '
    mosquitto_start broker &&
    expect_code 0 "$SLIPWAY" probe mqtt 127.0.0.1 "$MQTT_PORT" --client-id t0833-real &&
    contains "$TRASH/out" "healthy: mqtt 127.0.0.1 $MQTT_PORT" &&
    sleep 0.3 &&
    contains "$MQTT_LOG" "as t0833-real (p2, c1, k30)" &&
    contains "$MQTT_LOG" "Received DISCONNECT from t0833-real" &&
    contains "$MQTT_LOG" "Client t0833-real disconnected." &&
    expect_code 0 "$SLIPWAY" probe mqtt localhost "$MQTT_PORT" &&
    kill "$MQTT_PID" && wait "$MQTT_PID";
    expect_code 1 "$SLIPWAY" probe mqtt 127.0.0.1 "$MQTT_PORT" --retries 1 --retry-delay 0.1 &&
    grep -qi "connection refused" "$TRASH/err"
'

test_expect_success 'a real mosquitto with passwords: right one accepted, wrong one and none refused by name' '
    command -v mosquitto_passwd >/dev/null || { echo "mosquitto_passwd missing"; exit 1; } &&
    d=$TRASH/authbroker && mkdir -p "$d" && port=$(free_port) &&
    mosquitto_passwd -c -b "$d/passwd" probe "s3cret pass" 2>/dev/null &&
    mosquitto_conf "$d/conf" "$port" "$d/log" &&
    sed -i "s/^allow_anonymous true/allow_anonymous false\npassword_file ${d//\//\\/}\/passwd/" "$d/conf" &&
    { "$MOSQUITTO" -c "$d/conf" >"$d/stdout" 2>&1 & } && bpid=$! &&
    at_exit "kill $bpid; wait $bpid" &&
    _wait_port "$port" "$bpid" &&
    printf "s3cret pass\n" >"$d/pw" && chmod 600 "$d/pw" &&
    printf "wrong\n" >"$d/bad" && chmod 600 "$d/bad" &&
    expect_code 0 "$SLIPWAY" probe mqtt 127.0.0.1 "$port" --username probe --password-file "$d/pw" &&
    expect_code 1 "$SLIPWAY" probe mqtt 127.0.0.1 "$port" --username probe --password-file "$d/bad" &&
    grep -E "return code (4 \(bad user name or password\)|5 \(not authorized\))" "$TRASH/err" &&
    expect_code 1 "$SLIPWAY" probe mqtt 127.0.0.1 "$port" &&
    grep -E "return code 5 \(not authorized\)" "$TRASH/err" &&
    chmod 644 "$d/pw" &&
    expect_code 1 "$SLIPWAY" probe mqtt 127.0.0.1 "$port" --username probe --password-file "$d/pw" &&
    contains "$TRASH/err" "chmod 600"
'

test_done
