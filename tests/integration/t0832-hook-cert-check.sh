#!/bin/bash
# SPDX-License-Identifier: MIT
# The shipped hook pre-promote/30-cert-check against fake slots, with a PKI
# made here by openssl: a root CA, an intermediate CA (openssl ca) that signs
# a good leaf, an expired leaf (-startdate/-enddate in the past), one
# expiring in 10 days, one not valid yet, and one it revokes in a CRL
# (openssl ca -revoke, -gencrl); a leaf of another CA; garbage. Unset paths
# skip; ca-file and crl-file from the host or the slot (slot:); globs; links
# out of the slot not followed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hookrun.sh"

HOOK=$SRCDIR/contrib/hooks/pre-promote/30-cert-check
S=$TRASH/s
P=$TRASH/pki
command -v openssl >/dev/null || {
    echo "not ok 1 - the openssl command is missing (contrib/deps.sh installs it)"
    exit 1
}

# ca_conf DIR: an openssl ca configuration for the CA in DIR
ca_conf() {
    mkdir -p "$1/newcerts"
    : >"$1/index.txt"
    echo 1000 >"$1/serial"
    echo 1000 >"$1/crlnumber"
    cat >"$1/ca.cnf" <<EOF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = $1
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_days = 365
default_crl_days = 30
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
[ v3_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
}

# self_ca DIR CN: a self-signed root CA in DIR
self_ca() {
    ca_conf "$1"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/ca.key" \
        -out "$1/ca.pem" -subj "/CN=$2" -days 3650 -config "$1/ca.cnf" -extensions v3_ca 2>/dev/null
}

# sign CADIR OUT CN EXT [openssl ca options]: a new key and CSR for CN,
# signed by the CA in CADIR with the extensions section EXT
sign() {
    local ca=$1 out=$2 cn=$3 ext=$4
    shift 4
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$out.key" \
        -out "$out.csr" -subj "/CN=$cn" 2>/dev/null &&
        openssl ca -batch -notext -config "$ca/ca.cnf" -in "$out.csr" -out "$out" -extensions "$ext" "$@" 2>/dev/null
}

# an ASN.1 time N days from now (negative: in the past) for openssl ca
at() {
    date -u -d "$1 days" +%Y%m%d%H%M%SZ
}

make_pki() {
    self_ca "$P/root" "Test Root" &&
        mkdir -p "$P/int" && ca_conf "$P/int" &&
        sign "$P/root" "$P/int/ca.pem" "Test Intermediate" v3_ca -days 1800 &&
        mv "$P/int/ca.pem.key" "$P/int/ca.key" &&
        sign "$P/int" "$P/good.pem" "good.example" v3_leaf -days 365 &&
        sign "$P/int" "$P/expired.pem" "expired.example" v3_leaf -startdate "$(at -400)" -enddate "$(at -30)" &&
        sign "$P/int" "$P/soon.pem" "soon.example" v3_leaf -startdate "$(at -100)" -enddate "$(at 10)" &&
        sign "$P/int" "$P/future.pem" "future.example" v3_leaf -startdate "$(at 20)" -enddate "$(at 400)" &&
        sign "$P/int" "$P/revoked.pem" "revoked.example" v3_leaf -days 365 &&
        openssl ca -batch -config "$P/int/ca.cnf" -revoke "$P/revoked.pem" 2>/dev/null &&
        openssl ca -batch -config "$P/int/ca.cnf" -gencrl -out "$P/int.crl" 2>/dev/null &&
        openssl ca -batch -config "$P/int/ca.cnf" -gencrl -crl_lastupdate "$(at -60)" \
            -crl_nextupdate "$(at -30)" -out "$P/int-stale.crl" 2>/dev/null &&
        self_ca "$P/other" "Other Root" &&
        sign "$P/other" "$P/other.pem" "other.example" v3_leaf -days 365
}

# with_chain NAME: the leaf then the intermediate, as a server sends them
with_chain() {
    cat "$P/$1.pem" "$P/int/ca.pem"
}

mkslot() {
    rm -rf "$S"
    mkdir -p "$S/etc/app/tls" "$S/etc/app/ca"
    with_chain good >"$S/etc/app/tls/server.pem"
    cp "$P/root/ca.pem" "$S/etc/app/ca/root.pem"
}

test_expect_success 'the PKI: a root, an intermediate, leaves, a CRL (made by openssl, checked by openssl)' '
    make_pki &&
    openssl verify -CAfile "$P/root/ca.pem" -untrusted "$P/int/ca.pem" "$P/good.pem" &&
    ! openssl x509 -in "$P/expired.pem" -noout -checkend 0 &&
    openssl x509 -in "$P/soon.pem" -noout -checkend 0 &&
    ! openssl x509 -in "$P/soon.pem" -noout -checkend $((30 * 86400)) &&
    openssl x509 -in "$P/soon.pem" -noout -checkend $((5 * 86400)) &&
    ! openssl verify -CAfile "$P/root/ca.pem" -untrusted "$P/int/ca.pem" -crl_check -CRLfile "$P/int.crl" "$P/revoked.pem" &&
    ! openssl verify -CAfile "$P/root/ca.pem" "$P/other.pem"
'

test_expect_success 'the hook is an executable POSIX sh script in git' '
    test -x "$HOOK" && test "$(head -n1 "$HOOK")" = "#!/bin/sh" && sh -n "$HOOK" &&
    if git -C "$SRCDIR" ls-files --error-unmatch "$HOOK" >/dev/null 2>&1; then
        git -C "$SRCDIR" ls-files -s "$HOOK" | grep -q "^100755 "
    fi
'

test_expect_success 'unconfigured (no paths): skip, naming the key' '
    mkslot &&
    expect_code 77 run_hook "$S" "" &&
    contains "$TRASH/out" "paths" &&
    test "$(count_status fail)" = 0
'

test_expect_success 'a good leaf and its intermediate: parse, expiry, chain, revocation all pass' '
    mkslot &&
    before=$(tree_state "$S") &&
    expect_code 0 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/server.pem \
        SLIPWAY_OPT_CA_FILE="$P/root/ca.pem" SLIPWAY_OPT_CRL_FILE="$P/int.crl" &&
    f=etc/app/tls/server.pem &&
    test "$(finding_status "parse $f")" = pass &&
    finding_detail "parse $f" | grep -F "CN=good.example" &&
    test "$(finding_status "parse $f#2")" = pass &&
    finding_detail "parse $f#2" | grep -F "CN=Test Intermediate" &&
    test "$(finding_status "expiry $f")" = pass &&
    test "$(finding_status "expiry $f#2")" = pass &&
    test "$(finding_status "chain $f")" = pass &&
    test "$(finding_status "revocation $f")" = pass &&
    test "$(finding_status crl)" = pass &&
    test "$(count_status fail)" = 0 &&
    test "$(tree_state "$S")" = "$before"
'

test_expect_success 'without ca-file the chain is not checked (skip finding), the rest is' '
    mkslot &&
    expect_code 0 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/server.pem &&
    test "$(finding_status "chain etc/app/tls/server.pem")" = skip &&
    finding_detail "chain etc/app/tls/server.pem" | grep -F ca-file &&
    test "$(finding_status "expiry etc/app/tls/server.pem")" = pass
'

test_expect_success 'an expired leaf fails its expiry check, saying when' '
    mkslot && with_chain expired >"$S/etc/app/tls/old.pem" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/old.pem SLIPWAY_OPT_CA_FILE="$P/root/ca.pem" &&
    test "$(finding_status "expiry etc/app/tls/old.pem")" = fail &&
    finding_detail "expiry etc/app/tls/old.pem" | grep -F "expired $(openssl x509 -in "$P/expired.pem" -noout -enddate | cut -d= -f2)" &&
    test "$(finding_status "chain etc/app/tls/old.pem")" = pass &&
    test "$(count_status fail)" = 1
'

test_expect_success 'expiring in 10 days fails with expiry-days 30 (the default), passes with 5' '
    mkslot && with_chain soon >"$S/etc/app/tls/soon.pem" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/soon.pem &&
    test "$(finding_status "expiry etc/app/tls/soon.pem")" = fail &&
    finding_detail "expiry etc/app/tls/soon.pem" | grep -F "within expiry-days 30" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/soon.pem SLIPWAY_OPT_EXPIRY_DAYS=30 &&
    expect_code 0 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/soon.pem SLIPWAY_OPT_EXPIRY_DAYS=5 &&
    test "$(finding_status "expiry etc/app/tls/soon.pem")" = pass &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/soon.pem SLIPWAY_OPT_EXPIRY_DAYS=ten &&
    contains "$TRASH/err" "expiry-days"
'

test_expect_success 'a certificate not valid yet fails' '
    mkslot && with_chain future >"$S/etc/app/tls/future.pem" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/future.pem &&
    finding_detail "expiry etc/app/tls/future.pem" | grep -F "not valid before"
'

test_expect_success 'a leaf signed by another CA fails the chain check' '
    mkslot && cp "$P/other.pem" "$S/etc/app/tls/other.pem" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/other.pem SLIPWAY_OPT_CA_FILE="$P/root/ca.pem" &&
    test "$(finding_status "chain etc/app/tls/other.pem")" = fail &&
    finding_detail "chain etc/app/tls/other.pem" | grep -F "unable to get local issuer certificate" &&
    test "$(finding_status "expiry etc/app/tls/other.pem")" = pass &&
    cp "$P/good.pem" "$S/etc/app/tls/bare.pem" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/bare.pem SLIPWAY_OPT_CA_FILE="$P/root/ca.pem" &&
    test "$(finding_status "chain etc/app/tls/bare.pem")" = fail
'

test_expect_success 'a leaf revoked in the CRL fails; without crl-file it passes' '
    mkslot && with_chain revoked >"$S/etc/app/tls/revoked.pem" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/revoked.pem \
        SLIPWAY_OPT_CA_FILE="$P/root/ca.pem" SLIPWAY_OPT_CRL_FILE="$P/int.crl" &&
    test "$(finding_status "revocation etc/app/tls/revoked.pem")" = fail &&
    finding_detail "revocation etc/app/tls/revoked.pem" | grep -F "certificate revoked" &&
    test "$(finding_status "chain etc/app/tls/revoked.pem")" = pass &&
    expect_code 0 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/revoked.pem SLIPWAY_OPT_CA_FILE="$P/root/ca.pem"
'

test_expect_success 'crl-file needs ca-file; a CRL that is not one, or out of date, fails' '
    mkslot &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/server.pem SLIPWAY_OPT_CRL_FILE="$P/int.crl" &&
    contains "$TRASH/err" "crl-file needs ca-file" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/server.pem \
        SLIPWAY_OPT_CA_FILE="$P/root/ca.pem" SLIPWAY_OPT_CRL_FILE="$P/good.pem" &&
    contains "$TRASH/err" "not a PEM certificate revocation list" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/server.pem \
        SLIPWAY_OPT_CA_FILE="$P/root/ca.pem" SLIPWAY_OPT_CRL_FILE="$P/int-stale.crl" &&
    test "$(finding_status crl)" = fail &&
    finding_detail crl | grep -F "out of date" &&
    test "$(finding_status "revocation etc/app/tls/server.pem")" = pass
'

test_expect_success 'garbage: no PEM at all, a PEM block of junk, a huge file' '
    mkslot &&
    head -c 5000 /dev/urandom >"$S/etc/app/tls/junk.pem" &&
    { echo "-----BEGIN CERTIFICATE-----"; head -c 600 /dev/urandom | base64; echo "-----END CERTIFICATE-----"; } >"$S/etc/app/tls/bad.pem" &&
    head -c 2000000 /dev/zero >"$S/etc/app/tls/huge.pem" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS="etc/app/tls/junk.pem etc/app/tls/bad.pem etc/app/tls/huge.pem etc/app/tls/server.pem" &&
    test "$(finding_status "parse etc/app/tls/junk.pem")" = fail &&
    finding_detail "parse etc/app/tls/junk.pem" | grep -F "no PEM certificate" &&
    test "$(finding_status "parse etc/app/tls/bad.pem")" = fail &&
    test "$(finding_status "file etc/app/tls/huge.pem")" = fail &&
    test "$(finding_status "parse etc/app/tls/server.pem")" = pass &&
    test "$(count_status fail)" = 3
'

test_expect_success 'a file of several certificates: each checked, the first is the leaf' '
    mkslot && { cat "$P/good.pem" "$P/expired.pem" "$P/int/ca.pem"; } >"$S/etc/app/tls/mixed.pem" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/mixed.pem SLIPWAY_OPT_CA_FILE="$P/root/ca.pem" &&
    test "$(finding_status "expiry etc/app/tls/mixed.pem")" = pass &&
    test "$(finding_status "expiry etc/app/tls/mixed.pem#2")" = fail &&
    test "$(finding_status "expiry etc/app/tls/mixed.pem#3")" = pass &&
    test "$(finding_status "chain etc/app/tls/mixed.pem")" = pass
'

test_expect_success 'globs in the file name, names with spaces and newlines; missing files fail' '
    mkslot &&
    with_chain good >"$S/etc/app/tls/b c.pem" &&
    with_chain expired >"$S/etc/app/tls/d
e.pem" &&
    printf "not a cert" >"$S/etc/app/tls/notes.txt" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS="etc/app/tls/*.pem etc/app/none.pem etc/app/empty/*.pem" &&
    test "$(finding_status "expiry etc/app/tls/server.pem")" = pass &&
    test "$(finding_status "expiry etc/app/tls/b c.pem")" = pass &&
    test "$(findings_py "[f[\"status\"] for f in F if f[\"check\"] == \"expiry etc/app/tls/d\\ne.pem\"]")" = "[\"fail\"]" &&
    test "$(finding_status "parse etc/app/tls/notes.txt")" = "" &&
    test "$(finding_status "file etc/app/none.pem")" = fail &&
    test "$(finding_status "file etc/app/empty/*.pem")" = fail &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS="etc/*/tls/server.pem" &&
    contains "$TRASH/err" "a glob may only be in the file name"
'

test_expect_success 'ca-file from the slot (slot:PATH); a relative host path is refused' '
    mkslot &&
    expect_code 0 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/server.pem SLIPWAY_OPT_CA_FILE=slot:etc/app/ca/root.pem &&
    test "$(finding_status "chain etc/app/tls/server.pem")" = pass &&
    cp "$P/other/ca.pem" "$S/etc/app/ca/root.pem" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/server.pem SLIPWAY_OPT_CA_FILE=slot:etc/app/ca/root.pem &&
    test "$(finding_status "chain etc/app/tls/server.pem")" = fail &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/server.pem SLIPWAY_OPT_CA_FILE=etc/app/ca/root.pem &&
    contains "$TRASH/err" "absolute host path or slot:PATH"
'

test_expect_success 'links out of the slot are resolved inside it: host certificates are not read' '
    mkslot &&
    mkdir -p "$TRASH/host" && with_chain good >"$TRASH/host/cert.pem" && cp "$P/root/ca.pem" "$TRASH/host/ca.pem" &&
    ln -s "$TRASH/host/cert.pem" "$S/etc/app/tls/abs.pem" &&
    ln -s "../../../../../../../../../..$TRASH/host/cert.pem" "$S/etc/app/tls/rel.pem" &&
    ln -s "$TRASH/host" "$S/etc/app/hostdir" &&
    ln -s "$TRASH/host/ca.pem" "$S/etc/app/ca/link.pem" &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS="etc/app/tls/abs.pem etc/app/tls/rel.pem etc/app/hostdir/cert.pem etc/app/hostdir/*.pem" &&
    test "$(count_status pass)" = 0 &&
    test "$(finding_status "file etc/app/tls/abs.pem")" = fail &&
    test "$(finding_status "file etc/app/tls/rel.pem")" = fail &&
    test "$(finding_status "file etc/app/hostdir/cert.pem")" = fail &&
    test "$(finding_status "file etc/app/hostdir/*.pem")" = fail &&
    expect_code 1 run_hook "$S" "" SLIPWAY_OPT_PATHS=etc/app/tls/server.pem SLIPWAY_OPT_CA_FILE=slot:etc/app/ca/link.pem &&
    contains "$TRASH/err" "no such file in the slot"
'

test_expect_success 'links inside the slot are followed (an absolute one from the slot root)' '
    mkslot && ln -s /etc/app/tls/server.pem "$S/etc/app/current.pem" &&
    expect_code 0 run_hook "$S" "" SLIPWAY_OPT_PATHS="etc/app/current.pem etc/app/tls/server.pem" SLIPWAY_OPT_CA_FILE="$P/root/ca.pem" &&
    test "$(finding_status "chain etc/app/current.pem")" = pass &&
    test "$(finding_status "chain etc/app/tls/server.pem")" = ""
'

test_expect_success 'through the runner: slipway hooks run cert-check --slot-dir (and unconfigured: skip)' '
    mkslot && with_chain revoked >"$S/etc/app/tls/revoked.pem" &&
    runner_conf "" &&
    expect_code 77 via_runner cert-check --slot-dir "$S" &&
    test "$(json_get "$TRASH/out" "[\"status\"]")" = skip &&
    runner_conf "[hook \"cert-check\"]
paths = etc/app/tls/*.pem
ca-file = slot:etc/app/ca/root.pem
crl-file = $P/int.crl" &&
    expect_code 1 via_runner cert-check --slot-dir "$S" &&
    "$PYTHON" -c "import json,sys; r=json.load(open(sys.argv[1])); f={x[\"check\"]: x[\"status\"] for x in r[\"findings\"]}; assert f[\"revocation etc/app/tls/revoked.pem\"] == \"fail\" and f[\"revocation etc/app/tls/server.pem\"] == \"pass\", f" "$TRASH/out"
'

test_done
