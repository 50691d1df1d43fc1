#!/bin/bash
# SPDX-License-Identifier: MIT
# `make demo`: slipway end to end, in a temporary directory that is removed
# at the end. A publisher makes keys and a signed repository with
# slipway-repo and publishes three releases of a small app bundle: 1.0.0,
# 2.0.0 with a newer OpenSSL and a tiny service, 3.0.0 with an OpenSSL that
# the shipped pre-promote hook 20-openssl-version rejects. nginx serves it
# over HTTPS with a pinned key when nginx is installed, else file:// is
# used. A machine pins the root and runs `slipway update` (what its timer
# runs) three times: to 1.0.0, to 2.0.0 with the checks shown, and to 3.0.0,
# refused by its checks so the machine stays on 2.0.0. Then a release at a
# 25 % rollout explained by `list --why`, and `status` and `history`.
# Nothing is left running and nothing is written outside the directory.
# usage: contrib/demo.sh BUILD_DIR
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
demo=$(mktemp -d "${TMPDIR:-/tmp}/slipway-demo.XXXXXX")
nginx_pid=
cleanup() {
    if [ -n "$nginx_pid" ]; then
        kill "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    rm -rf "$demo"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 700 "$demo"
cd "$demo"
export LC_ALL=C.UTF-8

bold= plain=
if [ -t 1 ]; then
    bold=$(tput bold 2>/dev/null || true)
    plain=$(tput sgr0 2>/dev/null || true)
fi
# step TEXT: what the next commands show
step() {
    printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"
}
# run CMD...: show the command, run it, show its exit code (the demo goes on)
run() {
    local rc=0
    printf '$ %s\n' "$*" | sed "s|$build/||g; s|$demo/||g; s|$src/||g"
    "$@" || rc=$?
    printf '(exit %d)\n' "$rc"
}

# A demo passphrase, made afresh and kept in a private file.
printf 'demo %s harbour slipway\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >pass
chmod 600 pass
REPO=("$build/slipway-repo")
SW=("$build/slipway" -c "$demo/slipway.conf")
KEYS=(--key-dir "$demo/keys" --passphrase-file "$demo/pass")

# release VERSION OPENSSL [ROLLOUT]: a bundle of the app with a fake
# libcrypto carrying that OpenSSL version string, added and signed
release() {
    local v=$1 ossl=$2 t=$demo/tree-$1
    mkdir -p "$t/etc" "$t/usr/bin" "$t/usr/lib"
    echo "demo app $v" >"$t/etc/demo-release"
    printf '#!/bin/sh\necho "demo app %s"\n' "$v" >"$t/usr/bin/demo-app"
    chmod 755 "$t/usr/bin/demo-app"
    # not a real library: the bytes the hook reads the version from
    printf 'ELF? no: a stand-in for libcrypto.so.3\0OpenSSL %s\0' "$ossl" >"$t/usr/lib/libcrypto.so.3"
    if [ "$v" != 1.0.0 ]; then
        mkdir -p "$t/usr/lib/systemd/system"
        printf '#!/bin/sh\nwhile :; do echo "demo service %s"; sleep 60; done\n' "$v" \
            >"$t/usr/bin/demo-service"
        chmod 755 "$t/usr/bin/demo-service"
        printf '[Unit]\nDescription=demo service\n[Service]\nExecStart=/usr/bin/demo-service\n' \
            >"$t/usr/lib/systemd/system/demo.service"
    fi
    tar -C "$t" -czf "app-$v.tar.gz" .
    run "${REPO[@]}" add "$demo/repo" "$demo/app-$v.tar.gz" --version "$v" \
        --compatible demo-gateway --channel stable ${3:+--rollout "$3"}
    run "${REPO[@]}" commit "$demo/repo" "${KEYS[@]}"
}

step "publisher: keys (outside the repository) and an empty signed repository"
run "${REPO[@]}" init "$demo/repo" "${KEYS[@]}"

step "publisher: release 1.0.0 of the app (its libcrypto says OpenSSL 3.0.11)"
release 1.0.0 "3.0.11 19 Sep 2023"

# The mirror: nginx over HTTPS with a pinned key, else the directory itself.
mirror_lines=
if [ -x /usr/sbin/nginx ] && command -v openssl >/dev/null; then
    step "publisher: serve the repository over HTTPS from nginx on 127.0.0.1 (a private CA)"
    mkdir -p pki nginx/logs nginx/tmp
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pki/ca.key \
        -out pki/ca.crt -days 2 -subj "/CN=slipway demo CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
        2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pki/server.key \
        -out pki/server.csr -subj "/CN=127.0.0.1" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >pki/server.ext
    openssl x509 -req -in pki/server.csr -CA pki/ca.crt -CAkey pki/ca.key -CAcreateserial \
        -out pki/server.crt -days 2 -extfile pki/server.ext 2>/dev/null
    for try in 1 2 3 4 5; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        cat >nginx/nginx.conf <<EOC
daemon off;
master_process off;
worker_processes 1;
pid $demo/nginx/nginx.pid;
error_log $demo/nginx/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log $demo/nginx/logs/access.log;
    client_body_temp_path $demo/nginx/tmp/body;
    proxy_temp_path $demo/nginx/tmp/proxy;
    fastcgi_temp_path $demo/nginx/tmp/fastcgi;
    uwsgi_temp_path $demo/nginx/tmp/uwsgi;
    scgi_temp_path $demo/nginx/tmp/scgi;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $demo/pki/server.crt;
        ssl_certificate_key $demo/pki/server.key;
        root $demo/repo;
        location /metadata/ { try_files \$uri =404; }
        location /targets/ { try_files \$uri =404; }
    }
}
EOC
        /usr/sbin/nginx -p "$demo/nginx" -c "$demo/nginx/nginx.conf" >nginx/logs/stdout 2>&1 &
        nginx_pid=$!
        for i in $(seq 1 50); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
            kill -0 "$nginx_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$nginx_pid" 2>/dev/null && break
        wait "$nginx_pid" 2>/dev/null || true
        nginx_pid=
    done
    if [ -n "$nginx_pid" ]; then
        pin=$("$build/slipway" pin "$demo/pki/server.crt")
        echo "nginx serves https://127.0.0.1:$port/; the server key's pin is $pin"
        mirror_lines="metadata-url = https://127.0.0.1:$port/metadata/
targets-url = https://127.0.0.1:$port/targets/
ca-file = $demo/pki/ca.crt
pin = $pin"
    fi
fi
if [ -z "$mirror_lines" ]; then
    step "publisher: no nginx here, so the machine reads the repository through file://"
    mirror_lines="metadata-url = file://$demo/repo/metadata/
targets-url = file://$demo/repo/targets/"
fi

step "machine: its configuration, and the shipped OpenSSL check as a pre-promote hook"
mkdir -p hooks/pre-promote
# the shipped hook and its shell helpers, from the source tree (make install puts them in LIBDIR)
install -m 0755 "$src/contrib/hooks/pre-promote/20-openssl-version" hooks/pre-promote/
cat >slipway.conf <<EOC
[slipway]
state-dir = $demo/state
compatible = demo-gateway
channel = stable
hook-dirs = $demo/hooks
hook-lib = $src/contrib/hooks/hook-lib.sh

[mirror "demo"]
$mirror_lines
EOC
sed "s|$demo/||g" slipway.conf

step "machine: pin the root that reached it out of band"
run "${SW[@]}" init --root "$demo/repo/metadata/1.root.json"

step "machine: 'slipway update' installs release 1.0.0 (exit 14: updated)"
run "${SW[@]}" update
echo "running now: $(cat "$demo/state/current/etc/demo-release")"

step "publisher: release 2.0.0, with OpenSSL 3.0.13 and a tiny service"
release 2.0.0 "3.0.13 30 Jan 2024"

step "machine: 'slipway update' to 2.0.0; the OpenSSL check runs before the switch (exit 14)"
run "${SW[@]}" update
echo "running now: $(cat "$demo/state/current/etc/demo-release")"

step "publisher: release 3.0.0, whose libcrypto is OpenSSL 3.0.5 (known-vulnerable, a downgrade)"
release 3.0.0 "3.0.5 5 Jul 2022"

step "machine: 'slipway update' stages 3.0.0, its checks refuse it (exit 12): it stays on 2.0.0"
run "${SW[@]}" update
echo "running now: $(cat "$demo/state/current/etc/demo-release")"

step "publisher: release 3.1.0 to 25 % of machines (a staged rollout)"
release 3.1.0 "3.0.13 30 Jan 2024" 25

step "machine: refresh, and 'list --why' says why each release is or is not offered here"
run "${SW[@]}" refresh
run "${SW[@]}" list --why
run "${SW[@]}" show app-3.1.0.tar.gz

step "machine: status (slots, versions, trusted metadata) and history (every step, who, why)"
run "${SW[@]}" status
run "${SW[@]}" history

echo
echo "demo finished; its temporary directory is removed and nothing is left running."
