#!/bin/bash
# SPDX-License-Identifier: MIT
# Fetch against a real nginx over HTTPS and a file:// mirror: plain success
# (file and memory, digests checked with coreutils), pins that match and
# pins that do not, an unknown CA, plain http only where allowed, relative
# paths that try to leave the mirror, and file:// links and devices.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mirror.sh"
. "$(dirname "$0")/lib-fetch.sh"

WWW=$TRASH/www
random_file "$WWW/data.bin" 1048576
random_file "$WWW/sub/dir/odd name+1.bin" 4099
printf '{"signed": {}}\n' >"$WWW/1.root.json"
chmod -R a+rX "$WWW"

mirror_ca_init
nginx_start "$WWW"
hostile_start other other
OTHER_URL=$HOSTILE_URL
hostile_start rogue rogue
ROGUE_URL=$HOSTILE_URL
hostile_start plain plain
PLAIN_URL=$HOSTILE_URL
hostile_start plainredir server --redirect-base "${PLAIN_URL}ok/"
PLAINREDIR_URL=$HOSTILE_URL
SERVER_PIN=$(spki_pin "$PKI/server.crt")
OTHER_PIN=$(spki_pin "$PKI/other.crt")

test_expect_success 'the pin helper agrees with an independent computation' '
    "$PYTHON" - "$PKI/server.crt" "$SERVER_PIN" <<-EOF
	import base64, hashlib, sys
	from cryptography import x509
	from cryptography.hazmat.primitives import serialization
	cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
	der = cert.public_key().public_bytes(serialization.Encoding.DER,
	                                     serialization.PublicFormat.SubjectPublicKeyInfo)
	want = "sha256//" + base64.b64encode(hashlib.sha256(der).digest()).decode()
	assert want == sys.argv[2], (want, sys.argv[2])
	EOF
'

test_expect_success 'success over HTTPS into a file: bytes, length and digests' '
    mirror_section main "$NGINX_URL" | fetch_conf c1.conf &&
    fetch_ok -c c1.conf --path data.bin --max 2000000 --sha256 --sha512 --out "$TRASH/got.bin" &&
    cmp "$WWW/data.bin" "$TRASH/got.bin" &&
    test "$(result mirror)" = main &&
    test "$(result length)" = 1048576 &&
    test "$(result sha256)" = "$(sha256_of "$WWW/data.bin")" &&
    test "$(result sha512)" = "$(sha512sum "$WWW/data.bin" | cut -d" " -f1)" &&
    test "$(result url)" = "${NGINX_URL}data.bin" &&
    test ! -e "$TRASH/got.bin%part" &&
    test "$(file_mode "$TRASH/got.bin")" = 600 &&
    contains "$NGINX_LOG" "GET /data.bin 200"
'

test_expect_success 'success over HTTPS into memory' '
    fetch_ok -c c1.conf --metadata --name --path 1.root.json --max 16384 --sha256 \
        --dump "$TRASH/mem.json" &&
    cmp "$WWW/1.root.json" "$TRASH/mem.json" &&
    test "$(result sha256)" = "$(sha256_of "$WWW/1.root.json")"
'

test_expect_success 'odd characters in a target path are percent-encoded' '
    fetch_ok -c c1.conf --path "sub/dir/odd name+1.bin" --max 10000 --out "$TRASH/odd.bin" &&
    cmp "$WWW/sub/dir/odd name+1.bin" "$TRASH/odd.bin" &&
    test "$(result url)" = "${NGINX_URL}sub/dir/odd%20name%2B1.bin"
'

test_expect_success 'success over file://' '
    mirror_section media "file://$WWW/" | fetch_conf cf.conf &&
    fetch_ok -c cf.conf --path data.bin --max 2000000 --sha256 --out "$TRASH/f.bin" &&
    cmp "$WWW/data.bin" "$TRASH/f.bin" &&
    test "$(result mirror)" = media &&
    test "$(result sha256)" = "$(sha256_of "$WWW/data.bin")" &&
    fetch_ok -c cf.conf --path "sub/dir/odd name+1.bin" --max 10000 --dump "$TRASH/f2.bin" &&
    cmp "$WWW/sub/dir/odd name+1.bin" "$TRASH/f2.bin"
'

test_expect_success 'file:// refuses symbolic links, devices and FIFOs, and honours the cap' '
    mkdir -p "$TRASH/media/d" &&
    cp "$WWW/data.bin" "$TRASH/media/real.bin" &&
    ln -s real.bin "$TRASH/media/link.bin" &&
    ln -s "$TRASH/media" "$TRASH/media/d/up" &&
    mkfifo "$TRASH/media/fifo.bin" &&
    mirror_section usb "file://$TRASH/media/" | fetch_conf cu.conf &&
    fetch_fails -c cu.conf --path link.bin --max 2000000 --out "$TRASH/l.bin" &&
    error_is SW_E_FETCH_URL && names_mirror usb "symbolic link" &&
    fetch_fails -c cu.conf --path d/up/real.bin --max 2000000 --out "$TRASH/l.bin" &&
    error_is SW_E_FETCH_URL && names_mirror usb "symbolic link" &&
    fetch_fails -c cu.conf --path fifo.bin --max 2000000 --out "$TRASH/l.bin" &&
    error_is SW_E_FETCH_URL && names_mirror usb "not a regular file" &&
    fetch_fails -c cu.conf --path real.bin --max 1000 --out "$TRASH/l.bin" &&
    error_is SW_E_FETCH_TOOBIG && names_mirror usb "cap of 1000" &&
    fetch_fails -c cu.conf --path none.bin --max 1000 --out "$TRASH/l.bin" &&
    error_is SW_E_FETCH_NOTFOUND && names_mirror usb "not found" &&
    test ! -e "$TRASH/l.bin" && test "$(file_size "$TRASH/l.bin%part")" = 0
'

test_expect_success 'a matching pin is accepted' '
    mirror_section pinned "$NGINX_URL" "pin = $SERVER_PIN" | fetch_conf cp.conf &&
    fetch_ok -c cp.conf --path data.bin --max 2000000 --out "$TRASH/p.bin" &&
    cmp "$WWW/data.bin" "$TRASH/p.bin"
'

test_expect_success 'a pin mismatch is refused even with a certificate from the right CA' '
    mirror_section pinned "${OTHER_URL}ok/" "pin = $SERVER_PIN" | fetch_conf cpm.conf &&
    fetch_fails -c cpm.conf --path data.bin --max 2000000 --out "$TRASH/pm.bin" &&
    error_is SW_E_FETCH_PIN && names_mirror pinned "does not match" &&
    test ! -e "$TRASH/pm.bin" &&
    test "$(count_lines "$TRASH/other/requests.log" GET)" = 0 &&
    mirror_section pinned2 "$NGINX_URL" "pin = $OTHER_PIN" | fetch_conf cpm2.conf &&
    fetch_fails -c cpm2.conf --path data.bin --max 2000000 --out "$TRASH/pm.bin" &&
    error_is SW_E_FETCH_PIN && names_mirror pinned2 "pin"
'

test_expect_success 'a list of pins accepts any of them' '
    mirror_section pinned "$NGINX_URL" "pin = $OTHER_PIN;$SERVER_PIN" | fetch_conf cpl.conf &&
    fetch_ok -c cpl.conf --path data.bin --max 2000000 --out "$TRASH/pl.bin"
'

test_expect_success 'a server whose CA is unknown is refused' '
    mirror_section rogue "${ROGUE_URL}ok/" | fetch_conf cr.conf &&
    fetch_fails -c cr.conf --path data.bin --max 2000000 --out "$TRASH/r.bin" &&
    error_is SW_E_FETCH_TLS && names_mirror rogue "TLS failed" &&
    contains "$TRASH/err" "certificate" &&
    test "$(count_lines "$TRASH/rogue/requests.log" GET)" = 0 &&
    test ! -e "$TRASH/r.bin"
'

test_expect_success 'without a ca-file the system store does not know the test CA' '
    fetch_fails --url "$NGINX_URL" --path data.bin --max 2000000 --out "$TRASH/s.bin" &&
    error_is SW_E_FETCH_TLS && names_mirror url "TLS failed"
'

test_expect_success 'plain http is refused unless the mirror allows it' '
    fetch_fails --url "${PLAIN_URL}ok/" --path data.bin --max 2000000 --out "$TRASH/h.bin" &&
    error_is SW_E_FETCH_URL && contains "$TRASH/err" "plain http" &&
    test "$(count_lines "$TRASH/plain/requests.log" GET)" = 0 &&
    printf "[mirror \"web\"]\nmetadata-url = %s\ntargets-url = %s\n" "${PLAIN_URL}ok/" "${PLAIN_URL}ok/" |
        fetch_conf ch.conf &&
    expect_code 1 "$FETCH_TOOL" -c ch.conf --path data.bin --max 2000000 &&
    contains "$TRASH/err" "plain http"
'

test_expect_success 'plain http with allow-insecure-http works and warns on every run' '
    mirror_section web "${PLAIN_URL}ok/" "allow-insecure-http = yes" | fetch_conf ci.conf &&
    fetch_ok -c ci.conf --path data.bin --max 2000000 --out "$TRASH/h.bin" &&
    cmp "$WWW/data.bin" "$TRASH/h.bin" &&
    contains "$TRASH/err" "mirror '"'"'web'"'"' is plain http" &&
    fetch_ok -c ci.conf --path 1.root.json --max 2000 &&
    contains "$TRASH/err" "mirror '"'"'web'"'"' is plain http"
'

test_expect_success 'an https mirror never follows a redirect to http' '
    mirror_section m "${PLAINREDIR_URL}redirect/" | fetch_conf crh.conf &&
    fetch_fails -c crh.conf --path data.bin --max 2000000 &&
    error_is SW_E_FETCH_REDIRECT && names_mirror m "leaves the mirror" &&
    test "$(count_lines "$TRASH/plain/requests.log" "GET /ok/data.bin")" = 1 &&
    test "$(count_lines "$TRASH/plainredir/requests.log" "GET /redirect/data.bin")" = 1
'

test_expect_success 'relative paths that would leave the mirror make no request' '
    before=$(wc -l <"$NGINX_LOG") &&
    for p in ../data.bin /etc/passwd a/../data.bin ./data.bin a//b "a\\b" "a%2e%2e/b" \
             "data.bin?x=1" "data.bin#f" "$(printf "a\tb")" "" sub/; do
        fetch_fails -c c1.conf --path "$p" --max 100 || return 1
        error_is SW_E_FETCH_URL || return 1
        contains "$TRASH/err" "is refused" || return 1
    done &&
    test "$(wc -l <"$NGINX_LOG")" = "$before"
'

test_expect_success 'a metadata name is one segment: / and .. are encoded, not followed' '
    mirror_section h "${PLAINREDIR_URL}404/" | fetch_conf c404.conf &&
    fetch_fails -c c404.conf --metadata --name --path "../1 root/x.json" --max 100 &&
    error_is SW_E_FETCH_NOTFOUND &&
    contains "$TRASH/plainredir/requests.log" "GET /404/..%2F1%20root%2Fx.json -" &&
    fetch_fails -c c1.conf --metadata --name --path .. --max 100 &&
    error_is SW_E_FETCH_URL &&
    fetch_fails -c cf.conf --metadata --name --path sub/../x --max 100 &&
    error_is SW_E_FETCH_URL && names_mirror media "segment"
'

test_done
