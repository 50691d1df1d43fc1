#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages that slipway's build, tests, demo and
# benchmarks need; only the missing ones. As root it runs apt-get; otherwise
# it prints the command to run. `contrib/deps.sh --list` prints the list.
set -eu

# build: compiler, libraries, man pages
BUILD="gcc make pkg-config libcurl4-openssl-dev libsodium-dev libarchive-dev
libsqlite3-dev libjansson-dev libinih-dev libssl-dev go-md2man"
# tests: unit tests, the real mirror, independent TUF/ed25519 implementations,
# the rendered man pages (man, groff, col), a real MQTT broker (service-health)
TEST="libcmocka-dev nginx-light openssl curl sqlite3 python3 python3-securesystemslib
python3-nacl python3-cryptography clang-format faketime man-db groff-base bsdextrautils
mosquitto"

PKGS=$(echo $BUILD $TEST)

if [ "${1:-}" = "--list" ]; then
    echo "$PKGS" | tr ' ' '\n'
    exit 0
fi

missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
    *" installed") ;;
    *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "deps.sh: missing Debian packages:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: run as root: apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# nginx must not start a system-wide server on install: tests run their own
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
if ! apt-get install -y --no-install-recommends $missing; then
    apt-get update
    apt-get install -y --no-install-recommends $missing
fi
