#!/bin/bash
# SPDX-License-Identifier: MIT
# `slipway update` and a pulled release (custom.slipway.rollout.pulled,
# signed by the targets key): a device already running it stays on it, a
# new device does not take it (it takes the newest release not pulled),
# and with replace-with a device running it is moved to that version, a
# downgrade the signed policy allows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

FORGE=${FORGE:-$BUILD/tools/tuf-forge}
[ -x "$FORGE" ] || { echo "1..0 # SKIP $FORGE is not built (make test-programs)"; exit 0; }
stage_repo || exit 1
ST2=$TRASH/st2
sj() { json_get "$TRASH/out" "$1"; }
swb() { "$SLIPWAY" -c "$STCONF" --state-dir "$ST2" "$@"; }

# pull TARGET ROLLOUT-JSON: set the target's custom.slipway.rollout in the
# published targets role, signed by the targets key, with a new snapshot
# and timestamp
pull() {
    local f key
    f=$(cd "$STREPO/metadata" && ls [0-9]*.targets.json | sort -n | tail -1) &&
        key=$(cd "$STKEYS" && ls targets*.sec | head -1) &&
        "$FORGE" resign "$STREPO/metadata/$f" --key-dir "$STKEYS" --key "${key%.sec}" \
            --passphrase-file "$PASS" --set "targets[$1].custom.slipway.rollout=$2" >/dev/null &&
        "$FORGE" relink "$STREPO" --key-dir "$STKEYS" --passphrase-file "$PASS" \
            --snapshot-key "$(cd "$STKEYS" && ls snapshot*.sec | head -1 | sed 's/\.sec$//')" \
            --timestamp-key "$(cd "$STKEYS" && ls timestamp*.sec | head -1 | sed 's/\.sec$//')" \
            >/dev/null
}

test_expect_success 'setup: 1.0.0 and 1.1.0; device A updates to 1.1.0' '
    publish_version 1.0.0 &&
    publish_version 1.1.0 &&
    expect_code 14 swc update --json && test "$(sj "[\"to\"]")" = 1.1.0 &&
    "$SLIPWAY" -c "$STCONF" --state-dir "$ST2" init --root "$STREPO/metadata/1.root.json" >/dev/null
'

test_expect_success '1.1.0 pulled: device A stays on it (0), a new device B takes 1.0.0' '
    pull app-1.1.0.tar "{\"percent\": 100, \"pulled\": true}" &&
    expect_code 0 swc update --json &&
    test "$(sj "[\"result\"]")" = nothing-to-do &&
    slot_holds a 1.1.0 &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/a")" &&
    expect_code 14 swb update --json &&
    test "$(sj "[\"to\"]")" = 1.0.0 &&
    swb list --why >"$TRASH/why" && contains "$TRASH/why" "pulled"
'

# list decides one target at a time (issue 13): what needs the whole set, a
# replacement named by the pulled release installed here, is found first
test_expect_success 'replace-with a version not published: list and show say so on device A' '
    pull app-1.1.0.tar "{\"percent\": 100, \"pulled\": true, \"replace-with\": \"9.9.9\"}" &&
    swc refresh >/dev/null 2>&1 &&
    swc list --why >"$TRASH/l" &&
    grep "^app-1.1.0.tar " "$TRASH/l" >"$TRASH/l1" &&
    contains "$TRASH/l1" "its replacement 9.9.9 is not among the targets for this machine" &&
    swc show app-1.1.0.tar >"$TRASH/s" &&
    contains "$TRASH/s" "its replacement 9.9.9 is not among the targets for this machine"
'

test_expect_success 'pulled with replace-with 1.0.0: list and show on device A offer 1.0.0' '
    pull app-1.1.0.tar "{\"percent\": 100, \"pulled\": true, \"replace-with\": \"1.0.0\"}" &&
    swc refresh >/dev/null 2>&1 &&
    swc list --why >"$TRASH/l" &&
    grep "^app-1.0.0.tar " "$TRASH/l" >"$TRASH/l1" &&
    contains "$TRASH/l1" "replaces the pulled 1.1.0 installed here" &&
    grep "^app-1.1.0.tar " "$TRASH/l" >"$TRASH/l2" &&
    contains "$TRASH/l2" "this machine runs it and keeps it; machines running it move to 1.0.0" &&
    swc --json list >"$TRASH/out" && test "$(sj "[\"offered\"]")" = 1 &&
    swc show app-1.0.0.tar >"$TRASH/s" &&
    contains "$TRASH/s" "replaces the pulled 1.1.0 installed here"
'

test_expect_success 'pulled with replace-with 1.0.0: device A is moved to 1.0.0, B stays' '
    pull app-1.1.0.tar "{\"percent\": 100, \"pulled\": true, \"replace-with\": \"1.0.0\"}" &&
    expect_code 14 swc update --json &&
    test "$(sj "[\"from\"]")" = 1.1.0 && test "$(sj "[\"to\"]")" = 1.0.0 &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/b")" &&
    slot_holds b 1.0.0 &&
    expect_code 0 swc update --json &&
    expect_code 0 swb update --json
'

test_done
