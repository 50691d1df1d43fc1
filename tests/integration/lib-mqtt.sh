# SPDX-License-Identifier: MIT
# Services for the probe and service-health tests: Debian's mosquitto on a
# free 127.0.0.1 port, and the fake servers of fake-service.py. Source it
# after lib.sh; everything is stopped by at_exit cleanup, also on failure.
#
#   have_mosquitto || say "..."       # is /usr/sbin/mosquitto there
#   mosquitto_conf FILE PORT LOG      # a config: that listener only, anonymous
#   mosquitto_start NAME              # MQTT_PORT MQTT_PID MQTT_LOG
#   fake_start NAME MODE [ARG]        # FAKE_PORT FAKE_PID FAKE_LOG

MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
FAKE_PY=$SRCDIR/tests/integration/fake-service.py

have_mosquitto() {
    [ -x "$MOSQUITTO" ]
}

# mosquitto_conf FILE PORT LOG: a broker on 127.0.0.1:PORT only, no
# persistence, logging to LOG; as root it stays root (no switch to the
# mosquitto user, who could not write LOG under $TRASH).
mosquitto_conf() {
    {
        echo "listener $2 127.0.0.1"
        echo "allow_anonymous true"
        echo "persistence false"
        echo "log_dest file $3"
        echo "log_type all"
        [ "$(id -u)" -eq 0 ] && echo "user root"
        true
    } >"$1"
}

mosquitto_start() {
    local name=${1:-mosquitto} dir try port pid
    dir=$TRASH/$name
    mkdir -p "$dir"
    for try in 1 2 3 4 5; do
        port=$(free_port)
        mosquitto_conf "$dir/mosquitto.conf" "$port" "$dir/log"
        "$MOSQUITTO" -c "$dir/mosquitto.conf" >"$dir/stdout" 2>&1 &
        pid=$!
        if _wait_port "$port" "$pid"; then
            MQTT_PORT=$port
            MQTT_PID=$pid
            MQTT_LOG=$dir/log
            at_exit "kill $pid; wait $pid"
            return 0
        fi
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    echo "mosquitto_start: mosquitto did not start:" >&2
    cat "$dir/stdout" "$dir/log" >&2
    return 1
}

fake_start() {
    local name=$1 pid i
    shift
    mkdir -p "$TRASH/$name"
    rm -f "$TRASH/$name/port"
    : >"$TRASH/$name/log"
    "$PYTHON" "$FAKE_PY" --port-file "$TRASH/$name/port" --log "$TRASH/$name/log" "$@" \
        >"$TRASH/$name/stdout" 2>&1 &
    pid=$!
    at_exit "kill $pid; wait $pid"
    for i in $(seq 1 100); do
        [ -s "$TRASH/$name/port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ ! -s "$TRASH/$name/port" ]; then
        echo "fake_start: $* did not start:" >&2
        cat "$TRASH/$name/stdout" >&2
        return 1
    fi
    FAKE_PORT=$(cat "$TRASH/$name/port")
    FAKE_PID=$pid
    FAKE_LOG=$TRASH/$name/log
}
