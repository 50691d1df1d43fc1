#!/bin/bash
# SPDX-License-Identifier: MIT
# `make demo`: run slipway on embedded defaults in a temporary state
# directory and show the result. Later stages of the pipeline extend it.
# usage: contrib/demo.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
demo=$(mktemp -d "${TMPDIR:-/tmp}/slipway-demo.XXXXXX")
trap 'rm -rf "$demo"' EXIT
chmod 700 "$demo"

step() {
    printf '\n\033[1m==> %s\033[0m\n' "$*"
}

step "slipway $("$build/slipway" --version | cut -d" " -f2): a fresh state directory in $demo/state"
"$build/slipway" --state-dir "$demo/state" status

step "the same as JSON (slipway status --json)"
"$build/slipway" --state-dir "$demo/state" status --json

echo
echo "demo finished; its temporary directory is removed."
