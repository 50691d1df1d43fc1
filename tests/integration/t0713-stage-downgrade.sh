#!/bin/bash
# SPDX-License-Identifier: MIT
# Downgrades: an older version than the active one is refused by fetch and
# stage (exit 9) unless --allow-downgrade, which stages and promotes it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

stage_repo
publish_version 1.0.0
publish_version 1.10.0 tar.gz
swc refresh >/dev/null
swc stage app-1.10.0.tar.gz >/dev/null && swc promote >/dev/null

test_expect_success 'without a target, nothing newer than 1.10.0 is offered' '
    expect_code 0 swc stage &&
    contains "$TRASH/out" "no update is offered"
'

test_expect_success 'stage of 1.0.0 under 1.10.0 is refused as a downgrade (exit 9), nothing written' '
    expect_code 9 swc stage app-1.0.0.tar &&
    contains "$TRASH/err" "version 1.0.0, older than the active 1.10.0" &&
    contains "$TRASH/err" "--allow-downgrade" &&
    slot_empty b &&
    test ! -e "$ST/downloads/app-1.0.0.tar"
'

test_expect_success 'fetch of it is refused the same way, with --json naming the error' '
    expect_code 9 swc fetch --json app-1.0.0.tar &&
    test "$(json_get "$TRASH/out" "[\"error\"][\"name\"]")" = SW_E_DOWNGRADE
'

test_expect_success '--allow-downgrade stages it into slot b, and promote switches to it' '
    expect_code 0 swc stage --allow-downgrade app-1.0.0.tar &&
    slot_holds b 1.0.0 &&
    expect_code 0 swc promote &&
    test "$(status_field "[\"slots\"][1][\"state\"]")" = active &&
    test "$(status_field "[\"slots\"][1][\"version\"]")" = 1.0.0 &&
    test "$(status_field "[\"slots\"][0][\"state\"]")" = previous
'

test_done
