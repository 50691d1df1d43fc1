#!/bin/bash
# SPDX-License-Identifier: MIT
# Passphrases on a terminal (driven through a real pty by ptydrive.py):
# keygen asks again, with the reason, after a weak passphrase or two that
# differ, up to 3 tries; a wrong passphrase when signing says so with the
# tries left. Without a terminal (passphrase file, no controlling tty)
# nothing is asked again and the error is as before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-repo.sh"

PTY="$PYTHON $SRCDIR/tests/integration/ptydrive.py"
K=$TRASH/keys
R=$TRASH/repo
GOOD="tundra violet quarry 1987 umbrella"

test_expect_success 'keygen: a weak passphrase is asked again with the reason, then accepted' '
    $PTY "[[\"expect\",\"passphrase for the new key: \"],[\"echo\",false],[\"send\",\"short\\n\"],
           [\"expect\",\"the same passphrase again: \"],[\"send\",\"short\\n\"],
           [\"expect\",\"passphrase refused: it has 5 characters\"],
           [\"expect\",\"(2 tries left)\"],
           [\"expect\",\"passphrase for the new key: \"],[\"send\",\"$GOOD\\n\"],
           [\"expect\",\"the same passphrase again: \"],[\"send\",\"$GOOD\\n\"],
           [\"exit\",0],[\"echo\",true],[\"absent\",\"tundra\"]]" \
        -- "$SLIPWAY_REPO" keygen k1 --key-dir "$K" >pty.out &&
    test -e "$K/k1.sec" && test -e "$K/k1.pub" &&
    printf "%s\n" "$GOOD" >good && chmod 600 good &&
    "$SLIPWAY_REPO" init "$R" --key-dir "$K" --passphrase-file good >/dev/null
'

test_expect_success 'keygen: two answers that differ are asked again too' '
    $PTY "[[\"expect\",\"passphrase for the new key: \"],[\"send\",\"$GOOD\\n\"],
           [\"expect\",\"the same passphrase again: \"],[\"send\",\"$GOOD!\\n\"],
           [\"expect\",\"do not match\"],[\"expect\",\"(2 tries left)\"],
           [\"expect\",\"passphrase for the new key: \"],[\"send\",\"$GOOD\\n\"],
           [\"expect\",\"the same passphrase again: \"],[\"send\",\"$GOOD\\n\"],
           [\"exit\",0]]" \
        -- "$SLIPWAY_REPO" keygen k2 --key-dir "$K" >pty.out &&
    test -e "$K/k2.sec"
'

test_expect_success 'keygen: after 3 weak answers it gives up (exit 7), no key written' '
    $PTY "[[\"expect\",\"passphrase for the new key: \"],[\"send\",\"password\\n\"],
           [\"expect\",\"again: \"],[\"send\",\"password\\n\"],
           [\"expect\",\"(2 tries left)\"],
           [\"expect\",\"passphrase for the new key: \"],[\"send\",\"1234567890123\\n\"],
           [\"expect\",\"again: \"],[\"send\",\"1234567890123\\n\"],
           [\"expect\",\"only of digits and punctuation\"],[\"expect\",\"(1 try left)\"],
           [\"expect\",\"passphrase for the new key: \"],[\"send\",\"aaaaaaaaaaaaaaa\\n\"],
           [\"expect\",\"again: \"],[\"send\",\"aaaaaaaaaaaaaaa\\n\"],
           [\"expect\",\"fewer than 5 different characters\"],
           [\"exit\",7]]" \
        -- "$SLIPWAY_REPO" keygen k3 --key-dir "$K" >pty.out &&
    test ! -e "$K/k3.sec" && test ! -e "$K/k3.pub"
'

test_expect_success 'keygen without a terminal: no second question, the error as before' '
    printf "short\n" >weak && chmod 600 weak &&
    expect_code 7 "$SLIPWAY_REPO" keygen k4 --key-dir "$K" --passphrase-file weak &&
    contains "$TRASH/err" "passphrase refused" && lacks "$TRASH/err" "tries left" &&
    expect_code 1 setsid -w "$SLIPWAY_REPO" keygen k5 --key-dir "$K" </dev/null &&
    contains "$TRASH/err" "cannot open the terminal" && contains "$TRASH/err" "--passphrase-file" &&
    test ! -e "$K/k4.sec" && test ! -e "$K/k5.sec"
'

test_expect_success 'signing: a wrong passphrase says so with the tries left, the right one works' '
    cp "$R/metadata/timestamp.json" ts.before &&
    $PTY "[[\"expect\",\"passphrase for the keys in\"],[\"echo\",false],[\"send\",\"not it at all\\n\"],
           [\"expect\",\"wrong passphrase for key '"'"'timestamp-1'"'"' (2 tries left)\"],
           [\"expect\",\"passphrase for key '"'"'timestamp-1'"'"': \"],[\"send\",\"still not it\\n\"],
           [\"expect\",\"wrong passphrase for key '"'"'timestamp-1'"'"' (1 try left)\"],
           [\"expect\",\"passphrase for key '"'"'timestamp-1'"'"': \"],[\"send\",\"$GOOD\\n\"],
           [\"exit\",0],[\"echo\",true],[\"absent\",\"tundra\"]]" \
        -- "$SLIPWAY_REPO" timestamp "$R" --key-dir "$K" >pty.out &&
    ! cmp -s ts.before "$R/metadata/timestamp.json"
'

test_expect_success 'signing: three wrong answers fail (exit 7) and publish nothing' '
    cp "$R/metadata/timestamp.json" ts.before &&
    $PTY "[[\"expect\",\"passphrase for the keys in\"],[\"send\",\"one\\n\"],
           [\"expect\",\"(2 tries left)\"],[\"send\",\"two\\n\"],
           [\"expect\",\"(1 try left)\"],[\"send\",\"three\\n\"],
           [\"expect\",\"wrong passphrase\"],[\"exit\",7]]" \
        -- "$SLIPWAY_REPO" timestamp "$R" --key-dir "$K" >pty.out &&
    cmp ts.before "$R/metadata/timestamp.json"
'

test_expect_success 'signing from a passphrase file: a wrong one fails at once, no tries counted' '
    printf "wrong passphrase here\n" >bad && chmod 600 bad &&
    expect_code 7 "$SLIPWAY_REPO" timestamp "$R" --key-dir "$K" --passphrase-file bad &&
    contains "$TRASH/err" "wrong passphrase" && lacks "$TRASH/err" "tries left"
'

test_done
