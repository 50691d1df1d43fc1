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

# --- repositories made with slipway-repo (source lib-repo.sh first) ------------

# make_repo NAME [INIT-OPTION...]: a repository $TRASH/www/NAME made with
# slipway-repo (keys in $TRASH/keys-NAME), with app-1.0.tar (version 1.0.0,
# compatible "dev") published
make_repo() {
    local n=$1
    shift
    mkdir -p "$TRASH/www"
    repo init "$TRASH/www/$n" --key-dir "$TRASH/keys-$n" --passphrase-file "$PASS" "$@" \
        >/dev/null || return 1
    printf 'bundle one\n' >"$TRASH/app-1.0.tar"
    repo add "$TRASH/www/$n" "$TRASH/app-1.0.tar" --version 1.0.0 --compatible dev >/dev/null &&
        publish "$n"
}

# publish NAME [OPTION...]: slipway-repo commit with NAME's keys
publish() {
    local n=$1
    shift
    repo commit "$TRASH/www/$n" --key-dir "$TRASH/keys-$n" --passphrase-file "$PASS" "$@" >/dev/null
}

# release NAME FILE VERSION: add FILE (with the given content) and publish it
release() {
    printf '%s\n' "$3" >"$TRASH/$2"
    repo add "$TRASH/www/$1" "$TRASH/$2" --version "$3" --compatible dev >/dev/null && publish "$1"
}

# forge_resign NAME FILE ARGS...: tuf-forge resign a published metadata file of NAME
forge_resign() {
    local n=$1 f=$2
    shift 2
    "$FORGE" resign "$TRASH/www/$n/metadata/$f" --key-dir "$TRASH/keys-$n" \
        --passphrase-file "$PASS" "$@"
}

# relink NAME ARGS...: tuf-forge relink NAME's snapshot and timestamp
relink() {
    local n=$1
    shift
    "$FORGE" relink "$TRASH/www/$n" --key-dir "$TRASH/keys-$n" --passphrase-file "$PASS" \
        --snapshot-key snapshot-1 --timestamp-key timestamp-1 "$@"
}

# client_for NAME BASE_URL: a configuration $TRASH/NAME.conf for BASE_URL/NAME/
# and a state dir $TRASH/st-NAME with NAME's 1.root.json pinned
client_for() {
    COMPATIBLE=dev trust_conf "$TRASH/$1.conf" "$2$1/" &&
        "$SLIPWAY" -c "$TRASH/$1.conf" --state-dir "$TRASH/st-$1" init \
            --root "$TRASH/www/$1/metadata/1.root.json" >/dev/null
}

# sw NAME ARGS...: the slipway client of NAME
sw() {
    local n=$1
    shift
    "$SLIPWAY" -c "$TRASH/$n.conf" --state-dir "$TRASH/st-$n" "$@"
}

# trusted NAME ROLE: the version of ROLE the client of NAME trusts (from its
# kept file, read by Python), or "none"
trusted() {
    local f=$TRASH/st-$1/metadata/$2.json
    if [ -f "$f" ]; then json_get "$f" '["signed"]["version"]'; else echo none; fi
}
