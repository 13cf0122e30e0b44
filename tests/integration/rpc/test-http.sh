#!/bin/sh
# SPDX-License-Identifier: MIT
# test-http.sh - issue 5: curl on the kernel side fetches a 10 MB file from
# the HTTP example (synack-http) intact, 100 times over one keep-alive
# connection; HEAD, 404 and the index work; the port is 8080 unless -p says
# otherwise (as the README types it); Content-Type follows the extension;
# --help answers with exit status 0 and a bad port is refused.
. "$(dirname "$0")/rpc-env.sh"
SYNACK_HTTP=$(dirname "$SYNACK_NC")/synack-http
command -v curl >/dev/null || { echo "SKIP: no curl"; exit 77; }
rpc_start_daemon
mkdir -p "$T/www"
head -c 10000000 /dev/urandom > "$T/www/big.bin"
echo "<h1>synack</h1>" > "$T/www/index.html"
"$SYNACK_HTTP" --help | grep -q '^Usage: synack-http' || fail "synack-http --help"
if "$SYNACK_HTTP" -p 70000 "$T/www" 2> "$T/badport"; then fail "port 70000 taken"; fi
grep -q "bad port" "$T/badport" || fail "port 70000: $(cat "$T/badport")"
rpc_bg "$SYNACK_HTTP" "$T/www"
wait_synack_listen 8080
want=$(sha256sum < "$T/www/big.bin" | cut -d' ' -f1)
args=""
for i in $(seq 100); do
	args="$args -o $T/out.$i http://10.77.0.2:8080/big.bin"
done
# shellcheck disable=SC2086
timeout 120 curl -sv --fail $args 2> "$T/curl.log" || fail "curl: $(tail -3 "$T/curl.log")"
conns=$(grep -c '^\* Connected to' "$T/curl.log")
[ "$conns" -eq 1 ] || fail "curl opened $conns connections, not one kept alive"
for i in $(seq 100); do
	[ "$(sha256sum < "$T/out.$i" | cut -d' ' -f1)" = "$want" ] || fail "fetch $i differs"
	rm -f "$T/out.$i"
done
echo "ok: 100 x 10 MB over one keep-alive connection, all intact"
curl -sI http://10.77.0.2:8080/big.bin | grep -q '^Content-Length: 10000000' || fail "HEAD"
[ "$(curl -s -o /dev/null -w '%{http_code}' http://10.77.0.2:8080/nope)" = 404 ] || fail "404"
[ "$(curl -s http://10.77.0.2:8080/)" = "<h1>synack</h1>" ] || fail "index"
echo "ok: HEAD, 404 and the index"
curl -sI http://10.77.0.2:8080/ | grep -qi '^Content-Type: text/html' || fail "index: not text/html"
curl -sI http://10.77.0.2:8080/big.bin | grep -qi '^Content-Type: application/octet-stream' ||
	fail "big.bin: not application/octet-stream"
echo "ok: Content-Type by extension"
