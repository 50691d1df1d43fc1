# SPDX-License-Identifier: MIT
# Helpers of the staging tests (t07NN-*.sh), sourced after lib.sh and
# lib-repo.sh: a repository made with slipway-repo holding bundles the test
# builds (a small tree per version, as tar, tar.gz or tar.zst), a client
# reading it through file://, with its slots and `current` under its state
# dir, and checks of what the slots hold.

STREPO=$TRASH/repo
STKEYS=$TRASH/keys
ST=$TRASH/st
STCONF=$TRASH/client.conf

# stage_repo: an empty repository $STREPO and a client $STCONF/$ST pinned to it
stage_repo() {
    repo init "$STREPO" --key-dir "$STKEYS" --passphrase-file "$PASS" >/dev/null || return 1
    {
        echo "[slipway]"
        echo "compatible = dev"
        echo "[mirror \"local\"]"
        echo "metadata-url = file://$STREPO/metadata/"
        echo "targets-url = file://$STREPO/targets/"
    } >"$STCONF"
    "$SLIPWAY" -c "$STCONF" --state-dir "$ST" init --root "$STREPO/metadata/1.root.json" >/dev/null
}

# make_tree VERSION: $TRASH/trees/VERSION, a small tree naming its version
make_tree() {
    local d=$TRASH/trees/$1
    rm -rf "$d"
    mkdir -p "$d/etc" "$d/usr/bin" "$d/var/empty"
    printf 'release %s\n' "$1" >"$d/etc/release"
    printf '#!/bin/sh\necho %s\n' "$1" >"$d/usr/bin/app"
    chmod 755 "$d/usr/bin/app"
    head -c 3000 /dev/urandom >"$d/usr/bin/blob"
    ln -s ../etc/release "$d/usr/release-link"
}

# make_bundle VERSION [tar|tar.gz|tar.zst]: $TRASH/app-VERSION.EXT of that tree; prints its path
make_bundle() {
    local v=$1 ext=${2:-tar} out
    make_tree "$v"
    out=$TRASH/app-$v.$ext
    case "$ext" in
    tar) tar -C "$TRASH/trees/$v" -cf "$out" . ;;
    tar.gz) tar -C "$TRASH/trees/$v" -czf "$out" . ;;
    tar.xz) tar -C "$TRASH/trees/$v" -cJf "$out" . ;;
    tar.zst) tar -C "$TRASH/trees/$v" --zstd -cf "$out" . ;;
    esac
    echo "$out"
}

# publish_version VERSION [EXT] [ADD-OPTION...]: build, add and publish a bundle
publish_version() {
    local v=$1 ext=${2:-tar} f
    shift
    [ $# -gt 0 ] && shift
    f=$(make_bundle "$v" "$ext") || return 1
    repo add "$STREPO" "$f" --version "$v" --compatible dev "$@" >/dev/null &&
        repo commit "$STREPO" --key-dir "$STKEYS" --passphrase-file "$PASS" >/dev/null
}

# swc ARGS...: the client (release build); swt ARGS...: the fault-injection build
swc() {
    "$SLIPWAY" -c "$STCONF" --state-dir "$ST" "$@"
}
swt() {
    "$SLIPWAY_T" -c "$STCONF" --state-dir "$ST" "$@"
}

# slot_holds SLOT VERSION: the slot's tree is exactly VERSION's tree
slot_holds() {
    diff -r --no-dereference "$TRASH/trees/$2" "$ST/slots/$1" >/dev/null || {
        echo "slot $1 does not hold the tree of $2:"
        diff -r --no-dereference "$TRASH/trees/$2" "$ST/slots/$1" | head -20
        return 1
    }
}

# slot_empty SLOT: the slot's directory holds nothing (or does not exist)
slot_empty() {
    [ ! -e "$ST/slots/$1" ] || [ -z "$(ls -A "$ST/slots/$1")" ] || {
        echo "slot $1 is not empty:"
        ls -lA "$ST/slots/$1"
        return 1
    }
}

# status_field EXPR: a value of 'status --json' (Python parses it)
status_field() {
    swc status --json >"$TRASH/status.json" && json_get "$TRASH/status.json" "$1"
}
