#!/bin/bash
# SPDX-License-Identifier: MIT
# Time: expiry is judged by the local clock (read through libc, faked here
# with faketime), and never below the floor kept from the last verified
# timestamp, so setting the clock back cannot revive expired metadata. The
# mirror is file:// here: a faked clock would also judge TLS certificates.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-trust.sh"

FAKETIME=$(command -v faketime) || { echo "1..0 # SKIP faketime is missing (contrib/deps.sh)"; exit 0; }

serve_copy "$VECTORS/tuf/basic-ed25519" basic
serve_copy "$VECTORS/tuf/expired-timestamp" expired
URL=file://$TRASH/www/

sw() {
    "$SLIPWAY" -c "$TRASH/$1.conf" --state-dir "$TRASH/st" "${@:2}"
}

test_expect_success 'init refuses a root that has expired by the local clock' '
    trust_conf "$TRASH/basic.conf" "${URL}basic/" &&
    expect_code 5 "$FAKETIME" "2099-06-01 00:00:00" "$SLIPWAY" -c "$TRASH/basic.conf" \
        --state-dir "$TRASH/st0" init --root "$VECTORS/tuf/basic-ed25519/metadata/1.root.json" &&
    contains "$TRASH/err" "expired at 2099-01-01T00:00:00Z" &&
    test ! -e "$TRASH/st0/metadata/root.json"
'

test_expect_success 'a timestamp that expired in 2020 is accepted by a clock in 2019' '
    trust_conf "$TRASH/expired.conf" "${URL}expired/" &&
    "$SLIPWAY" -c "$TRASH/expired.conf" --state-dir "$TRASH/st1" init \
        --root "$VECTORS/tuf/expired-timestamp/metadata/1.root.json" >/dev/null &&
    expect_code 0 "$FAKETIME" "2019-06-01 00:00:00" "$SLIPWAY" -c "$TRASH/expired.conf" \
        --state-dir "$TRASH/st1" refresh
'

test_expect_success 'once a timestamp was verified today, a clock set back to 2019 is not believed' '
    trust_conf "$TRASH/basic.conf" "${URL}basic/" &&
    sw basic init --root "$VECTORS/tuf/basic-ed25519/metadata/1.root.json" >/dev/null &&
    sw basic refresh >/dev/null &&
    floor=$(sqlite3 "$TRASH/st/state.db" "SELECT value FROM settings WHERE key = '"'"'time-floor'"'"'") &&
    test "$floor" -ge "$(date -d 2026-01-01 +%s)" &&
    sw expired init --force --root "$VECTORS/tuf/expired-timestamp/metadata/1.root.json" >/dev/null &&
    expect_code 5 "$FAKETIME" "2019-06-01 00:00:00" "$SLIPWAY" -c "$TRASH/expired.conf" \
        --state-dir "$TRASH/st" refresh &&
    contains "$TRASH/err" "clock is behind the last verified time" &&
    contains "$TRASH/err" "role '"'"'timestamp'"'"': expired at 2020-01-01T00:00:00Z" &&
    test ! -e "$TRASH/st/metadata/timestamp.json"
'

test_expect_success 'the floor never goes down' '
    before=$(sqlite3 "$TRASH/st/state.db" "SELECT value FROM settings WHERE key = '"'"'time-floor'"'"'") &&
    sw basic init --force --root "$VECTORS/tuf/basic-ed25519/metadata/1.root.json" >/dev/null &&
    "$FAKETIME" "2019-06-01 00:00:00" "$SLIPWAY" -c "$TRASH/basic.conf" --state-dir "$TRASH/st" \
        refresh >/dev/null 2>&1 &&
    after=$(sqlite3 "$TRASH/st/state.db" "SELECT value FROM settings WHERE key = '"'"'time-floor'"'"'") &&
    test "$after" -ge "$before"
'

test_done
