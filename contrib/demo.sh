#!/bin/bash
# SPDX-License-Identifier: MIT
# `make demo`: everything slipway does so far, on embedded defaults, in a
# temporary directory: a publisher makes keys and a signed repository with
# slipway-repo and releases a bundle; a machine pins the repository's root,
# refreshes its trusted metadata through the TUF workflow, and lists what
# is offered to it; a second release is rolled out to a share of machines;
# the machine stages a release into its inactive slot, promotes it, and an
# operator stages, promotes and rolls back the second. Hooks extend it later.
# usage: contrib/demo.sh BUILD_DIR
set -eu
build=$(cd "${1:-build}" && pwd)
demo=$(mktemp -d "${TMPDIR:-/tmp}/slipway-demo.XXXXXX")
trap 'rm -rf "$demo"' EXIT
chmod 700 "$demo"
cd "$demo"

bold= plain=
if [ -t 1 ]; then
    bold=$(tput bold 2>/dev/null || true)
    plain=$(tput sgr0 2>/dev/null || true)
fi
step() {
    printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"
}
run() {
    printf '$ %s\n' "$*" | sed "s|$build/||g; s|$demo/||g"
    "$@"
}

# A demo passphrase, made afresh and kept in a private file.
printf 'demo %s harbour slipway\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >pass
chmod 600 pass
REPO="$build/slipway-repo"
SW=("$build/slipway" -c "$demo/slipway.conf")

step "publisher: keys (outside the repository) and a signed repository"
run "$REPO" init "$demo/repo" --key-dir "$demo/keys" --passphrase-file "$demo/pass"

step "publisher: release 1.0.0 of a bundle for machines of type 'demo-gateway'"
mkdir -p tree/etc
echo "demo release 1.0.0" >tree/etc/demo-release
tar -C tree -czf app-1.0.0.tar.gz .
run "$REPO" add "$demo/repo" "$demo/app-1.0.0.tar.gz" --version 1.0.0 --compatible demo-gateway \
    --channel stable
run "$REPO" commit "$demo/repo" --key-dir "$demo/keys" --passphrase-file "$demo/pass"
run "$REPO" verify "$demo/repo"

step "machine: a configuration whose mirror is the repository (file://)"
cat >slipway.conf <<EOC
[slipway]
state-dir = $demo/state
compatible = demo-gateway
channel = stable

[mirror "local"]
metadata-url = file://$demo/repo/metadata/
targets-url = file://$demo/repo/targets/
EOC
cat slipway.conf

step "machine: pin the root that reached it out of band, then refresh"
run "${SW[@]}" init --root "$demo/repo/metadata/1.root.json"
run "${SW[@]}" refresh
run "${SW[@]}" list

step "publisher: release 1.1.0 to 25 % of machines (a staged rollout)"
echo "demo release 1.1.0" >tree/etc/demo-release
tar -C tree -czf app-1.1.0.tar.gz .
run "$REPO" add "$demo/repo" "$demo/app-1.1.0.tar.gz" --version 1.1.0 --compatible demo-gateway \
    --channel stable --rollout 25
run "$REPO" commit "$demo/repo" --key-dir "$demo/keys" --passphrase-file "$demo/pass"

step "machine: refresh, and why each release is or is not offered"
run "${SW[@]}" refresh
run "${SW[@]}" list --why

step "machine: stage release 1.0.0 (offered to every machine) into the inactive slot, and switch"
run "${SW[@]}" stage app-1.0.0.tar.gz
run "${SW[@]}" promote
cat "$demo/state/current/etc/demo-release"

step "operator: stage 1.1.0 by name (a rollout does not hold back an operator), promote, roll back"
run "${SW[@]}" stage app-1.1.0.tar.gz
run "${SW[@]}" promote
cat "$demo/state/current/etc/demo-release"
run "${SW[@]}" rollback --reason "demo: the new release is thrown back"
cat "$demo/state/current/etc/demo-release"

step "machine: status and history"
run "${SW[@]}" status
run "${SW[@]}" history

echo
echo "demo finished; its temporary directory is removed."
