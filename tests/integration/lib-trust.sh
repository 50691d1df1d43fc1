# SPDX-License-Identifier: MIT
# Helpers of the trust tests (t05NN-*.sh), sourced after lib.sh and
# lib-mirror.sh: serving a repository, a slipway configuration pointing at
# it, the conformance adapter, and reading what the server saw.

ADAPTER=${ADAPTER:-$BUILD/conformance/slipway-tuf-client}

# serve_copy SRC NAME: copy repository SRC (metadata/, targets/) to
# $TRASH/www/NAME, where the test's nginx serves it.
serve_copy() {
    mkdir -p "$TRASH/www"
    rm -rf "$TRASH/www/$2"
    cp -r "$1" "$TRASH/www/$2"
    chmod -R u+w "$TRASH/www/$2"
}

# trust_conf FILE BASE_URL [SLIPWAY-LINE...]: a configuration whose one
# mirror serves BASE_URL/metadata/ and BASE_URL/targets/, trusting the test
# CA, with fast fetch settings; extra lines go into [slipway].
trust_conf() {
    local file=$1 base=$2 l
    shift 2
    {
        echo "[slipway]"
        echo "compatible = ${COMPATIBLE:-vector-device}"
        for l in "$@"; do echo "$l"; done
        echo "[fetch]"
        echo "retries = 0"
        echo "connect-timeout = 5"
        echo "low-speed-time = 10"
        echo "[mirror \"primary\"]"
        echo "metadata-url = ${base}metadata/"
        echo "targets-url = ${base}targets/"
        case "$base" in
        https://*) echo "ca-file = $PKI/ca.crt" ;;
        http://*) echo "allow-insecure-http = yes" ;;
        esac
    } >"$file"
}

# requests_since LOG LINE: the requests logged after line LINE, as
# "METHOD URI STATUS", one per line
requests_since() {
    tail -n +"$(($2 + 1))" "$1" | awk '{print $1, $2, $3}'
}

# log_lines LOG: how many lines the log has now
log_lines() {
    if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# expect_value FILE KEY: the value of KEY in a vector's expect.json
expect_value() {
    json_get "$1" "$2"
}

# same_files DIR NAME...: DIR holds exactly these names, nothing else
same_files() {
    local dir=$1 want got
    shift
    want=$(printf '%s\n' "$@" | sort)
    got=$(ls -A "$dir" | sort)
    if [ "$want" != "$got" ]; then
        echo "in $dir: expected"
        echo "$want"
        echo "found"
        echo "$got"
        return 1
    fi
}
