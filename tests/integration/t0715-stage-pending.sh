#!/bin/bash
# SPDX-License-Identifier: MIT
# What is staged stays staged when something else is fetched after it:
# promote switches to the staged update, not to the newest download. A
# `current` that cannot be read is a disagreement to report and refuse,
# never "nothing active".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"
. "$(dirname "$0")/lib-trust.sh"
. "$(dirname "$0")/lib-stage.sh"

stage_repo
publish_version 1.0.0
publish_version 1.1.0
publish_version 1.2.0
swc refresh >/dev/null
swc stage app-1.0.0.tar >/dev/null && swc promote >/dev/null

test_expect_success 'stage 1.1.0, then fetch 1.2.0: promote switches to the staged 1.1.0' '
    expect_code 0 swc stage app-1.1.0.tar &&
    expect_code 0 swc fetch app-1.2.0.tar &&
    test "$(status_field "[\"slots\"][1][\"state\"]")" = staged &&
    test "$(status_field "[\"slots\"][1][\"version\"]")" = 1.1.0 &&
    test -f "$ST/downloads/app-1.1.0.tar" && test -f "$ST/downloads/app-1.0.0.tar" &&
    expect_code 0 swc promote --json &&
    test "$(json_get "$TRASH/out" "[\"version\"]")" = 1.1.0 &&
    slot_holds b 1.1.0 &&
    test "$(readlink -f "$ST/current")" = "$(readlink -f "$ST/slots/b")"
'

test_expect_success 'the fetched 1.2.0 is still pending, and stages into slot a' '
    test "$(status_field "[\"pending\"][\"version\"]")" = 1.2.0 &&
    test "$(json_get "$TRASH/status.json" "[\"pending\"][\"state\"]")" = downloaded &&
    expect_code 0 swc stage &&
    slot_holds a 1.2.0
'

test_expect_success 'a current that is not a link to a slot: reported, promote and rollback refuse' '
    mv "$ST/current" "$TRASH/current.saved" &&
    mkdir "$ST/current" &&
    expect_code 0 swc status --json &&
    test "$(json_get "$TRASH/out" "[\"consistent\"]")" = false &&
    json_get "$TRASH/out" "[\"problems\"]" | grep -q "active" &&
    expect_code 11 swc promote &&
    expect_code 11 swc rollback &&
    rmdir "$ST/current" && mv "$TRASH/current.saved" "$ST/current" &&
    test "$(status_field "[\"consistent\"]")" = true &&
    expect_code 0 swc promote &&
    slot_holds a 1.2.0
'

test_done
