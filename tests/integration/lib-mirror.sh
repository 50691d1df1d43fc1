# SPDX-License-Identifier: MIT
# Mirrors for integration tests and benchmarks: a test CA and certificates
# made with openssl at test time, a real nginx serving a directory over
# HTTPS on a free 127.0.0.1 port, and the hostile mirror
# (hostile-mirror.py). Source it after lib.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/lib-mirror.sh"
#   mirror_ca_init                   # $PKI/{ca,server,other,rogue-ca,rogue}.{crt,key}
#   nginx_start "$TRASH/www"         # NGINX_PORT NGINX_URL NGINX_LOG NGINX_PID
#   hostile_start                    # HOSTILE_PORT HOSTILE_URL HOSTILE_LOG HOSTILE_PID
#   spki_pin "$PKI/server.crt"       # prints sha256//BASE64 (computed by openssl)
#
# Everything lives under $TRASH and is stopped by at_exit cleanup, also when
# a test fails. nginx runs as one process without a master (no privilege
# switch), so it works the same as root and as a normal user.

NGINX=${NGINX:-/usr/sbin/nginx}
HOSTILE_PY=$SRCDIR/tests/integration/hostile-mirror.py
PKI=$TRASH/pki
# never let a proxy setting of the machine get between a test and loopback
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY

# _mk_cert NAME CA_NAME: an EC P-256 key and a certificate for 127.0.0.1 and
# localhost, signed by CA_NAME.
_mk_cert() {
    local name=$1 ca=$2
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$PKI/$name.key" -out "$PKI/$name.csr" -subj "/CN=127.0.0.1" 2>/dev/null &&
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
            >"$PKI/$name.ext" &&
        openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" \
            -CAcreateserial -out "$PKI/$name.crt" -days 2 -extfile "$PKI/$name.ext" 2>/dev/null
}

_mk_ca() {
    local name=$1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$PKI/$name.key" -out "$PKI/$name.crt" -days 2 -subj "/CN=slipway test $name" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        2>/dev/null
}

# mirror_ca_init: the test CA ($PKI/ca.crt), the server's certificate
# ($PKI/server.*), a second certificate from the same CA with another key
# ($PKI/other.*, for pin mismatches), and a rogue CA with its own server
# certificate ($PKI/rogue.*, for "unknown CA").
mirror_ca_init() {
    [ -f "$PKI/ca.crt" ] && return 0
    mkdir -p "$PKI" &&
        _mk_ca ca && _mk_cert server ca && _mk_cert other ca &&
        _mk_ca rogue-ca && _mk_cert rogue rogue-ca || {
        echo "mirror_ca_init: openssl failed" >&2
        return 1
    }
}

# spki_pin CERT: libcurl's pinned-public-key form of CERT's key, computed
# with openssl alone: sha256// + base64(SHA-256(DER SubjectPublicKeyInfo)).
spki_pin() {
    printf 'sha256//%s\n' "$(openssl x509 -in "$1" -pubkey -noout |
        openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64 -w0)"
}

# _wait_port PORT PIDFILE-OR-PID: until something accepts on 127.0.0.1:PORT
_wait_port() {
    local port=$1 pid=$2 i
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 1
        if "$PYTHON" -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.2); s.close()' "$port" 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    return 1
}

# nginx_start DIR [NAME] [CERT]: serve DIR over HTTPS with the test CA's
# server certificate (or $PKI/CERT.{crt,key}; CERT "plain" serves plain
# HTTP, as the TUF conformance harness does). Sets NGINX_PORT, NGINX_URL
# (https://127.0.0.1:PORT/), NGINX_LOG (access log: one line per request,
# "METHOD URI STATUS RANGE BYTES_SENT"), NGINX_PID. Several may run, with
# distinct NAMEs.
nginx_start() {
    local dir=$1 name=${2:-nginx} cert=${3:-server} try port pid prefix listen scheme=https
    mirror_ca_init || return 1
    prefix=$TRASH/$name
    mkdir -p "$prefix/logs" "$prefix/tmp"
    for try in 1 2 3 4 5; do
        port=$(free_port)
        if [ "$cert" = plain ]; then
            scheme=http
            listen="listen 127.0.0.1:$port;"
        else
            listen="listen 127.0.0.1:$port ssl;
        ssl_certificate $PKI/$cert.crt;
        ssl_certificate_key $PKI/$cert.key;
        ssl_protocols TLSv1.2 TLSv1.3;"
        fi
        cat >"$prefix/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 256; }
http {
    log_format slipway '\$request_method \$request_uri \$status \$http_range \$bytes_sent';
    access_log $prefix/logs/access.log slipway;
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
    types { application/octet-stream bin; application/json json; text/plain txt; }
    default_type application/octet-stream;
    sendfile on;
    server_tokens off;
    server {
        $listen
        root $dir;
        location / { try_files \$uri =404; }
    }
}
EOF
        : >"$prefix/logs/error.log"
        "$NGINX" -p "$prefix" -c "$prefix/nginx.conf" >"$prefix/logs/stdout" 2>&1 &
        pid=$!
        if _wait_port "$port" "$pid"; then
            NGINX_PORT=$port
            NGINX_URL=$scheme://127.0.0.1:$port/
            NGINX_LOG=$prefix/logs/access.log
            NGINX_PID=$pid
            at_exit "kill $pid; wait $pid"
            return 0
        fi
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        # another process took the port between free_port and bind: try again
        grep -q "Address already in use" "$prefix/logs/error.log" "$prefix/logs/stdout" ||
            break
    done
    echo "nginx_start: nginx did not start:" >&2
    cat "$prefix/logs/error.log" "$prefix/logs/stdout" >&2
    return 1
}

# hostile_start [NAME] [CERT] [ARGS...]: the hostile mirror serving
# $HOSTILE_ROOT (default $TRASH/www) with $PKI/CERT.{crt,key} (default
# server; "plain" for HTTP). Sets HOSTILE_PORT, HOSTILE_URL
# (https://127.0.0.1:PORT/), HOSTILE_LOG, HOSTILE_PID.
hostile_start() {
    local name=${1:-hostile} cert=${2:-server} pid i tls
    shift 2 2>/dev/null || shift $#
    mirror_ca_init || return 1
    mkdir -p "$TRASH/$name"
    rm -f "$TRASH/$name/port"
    : >"$TRASH/$name/requests.log"
    if [ "$cert" = plain ]; then
        tls=(--plain)
    else
        tls=(--cert "$PKI/$cert.crt" --key "$PKI/$cert.key")
    fi
    "$PYTHON" "$HOSTILE_PY" --root "${HOSTILE_ROOT:-$TRASH/www}" --port-file "$TRASH/$name/port" \
        --log "$TRASH/$name/requests.log" "${tls[@]}" "$@" \
        >"$TRASH/$name/stdout" 2>&1 &
    pid=$!
    at_exit "kill $pid; wait $pid"
    for i in $(seq 1 100); do
        [ -s "$TRASH/$name/port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ ! -s "$TRASH/$name/port" ]; then
        echo "hostile_start: the hostile mirror did not start:" >&2
        cat "$TRASH/$name/stdout" >&2
        return 1
    fi
    HOSTILE_PORT=$(cat "$TRASH/$name/port")
    if [ "$cert" = plain ]; then
        HOSTILE_URL=http://127.0.0.1:$HOSTILE_PORT/
    else
        HOSTILE_URL=https://127.0.0.1:$HOSTILE_PORT/
    fi
    HOSTILE_LOG=$TRASH/$name/requests.log
    HOSTILE_PID=$pid
}

# random_file PATH BYTES: BYTES random bytes
random_file() {
    mkdir -p "$(dirname "$1")" && head -c "$2" /dev/urandom >"$1"
}

# sha256_of FILE: the hex digest, from coreutils (independent of slipway)
sha256_of() {
    sha256sum "$1" | cut -d' ' -f1
}

# file_size FILE: bytes (0 when missing)
file_size() {
    # the file may vanish between a test and stat: that is size 0, not an error
    stat -c %s "$1" 2>/dev/null || echo 0
}
