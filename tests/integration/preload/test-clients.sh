#!/bin/sh
# SPDX-License-Identifier: MIT
# test-clients.sh - issue 12: unmodified clients under synack-run against the
# kernel: curl and wget download 10 MB from a kernel HTTP server intact (the
# server's log names synack's address, so the bytes crossed synack's stack);
# curl to a closed port says "Connection refused" (non-blocking connect, then
# SO_ERROR); socat relays 1 MB from a kernel client through a synack listener
# to a kernel echo server and back; an address on loopback stays the kernel's.
. "$(dirname "$0")/preload-env.sh"
need curl wget socat
rpc_start_daemon
mkdir -p "$T/www"
head -c 10000000 /dev/urandom > "$T/www/big.bin"
want=$(sha "$T/www/big.bin")
(cd "$T/www" && exec python3 -m http.server --bind 10.77.0.1 8000) > "$T/httpd.log" 2>&1 &
PIDS="$PIDS $!"
wait_port 10.77.0.1 8000

timeout 60 "$RUN" curl -sS --fail -o "$T/curl.bin" http://10.77.0.1:8000/big.bin < /dev/null ||
	fail "curl under synack-run"
[ "$(sha "$T/curl.bin")" = "$want" ] || fail "curl's copy differs"
timeout 60 "$RUN" wget -q -O "$T/wget.bin" http://10.77.0.1:8000/big.bin < /dev/null ||
	fail "wget under synack-run"
[ "$(sha "$T/wget.bin")" = "$want" ] || fail "wget's copy differs"
n=$(grep -c '^10\.77\.0\.2 .*"GET /big.bin' "$T/httpd.log" || true)
[ "$n" -eq 2 ] || fail "the kernel server saw $n downloads from synack's 10.77.0.2, not 2"
echo "ok: curl and wget downloaded 10 MB each through synack, intact"

set +e
timeout 30 "$RUN" curl -v http://10.77.0.1:8001/ < /dev/null 2> "$T/refused"
rc=$?
set -e
[ "$rc" -eq 7 ] && grep -q "Connection refused" "$T/refused" ||
	fail "curl to a closed port: exit $rc, $(tail -3 "$T/refused")"
echo "ok: curl to a closed port: Connection refused (exit 7)"

# a kernel echo server, socat under synack-run relaying to it from a synack listener
socat TCP-LISTEN:7007,bind=10.77.0.1,reuseaddr,fork EXEC:cat &
PIDS="$PIDS $!"
wait_port 10.77.0.1 7007
"$RUN" socat TCP-LISTEN:9000,reuseaddr,fork TCP:10.77.0.1:7007 < /dev/null &
PIDS="$PIDS $!"
wait_port 10.77.0.2 9000
head -c 1000000 /dev/urandom > "$T/relay.in"
timeout 30 socat -t 5 - TCP:10.77.0.2:9000 < "$T/relay.in" > "$T/relay.out" ||
	fail "the relay"
cmp -s "$T/relay.in" "$T/relay.out" || fail "1 MB through the relay came back different"
echo "ok: socat under synack-run relayed 1 MB there and back"

# loopback is the kernel's: a server on 127.0.0.1 answers a program under synack-run
(cd "$T/www" && exec python3 -m http.server --bind 127.0.0.1 8002) > "$T/lo.log" 2>&1 &
PIDS="$PIDS $!"
wait_port 127.0.0.1 8002
timeout 30 "$RUN" curl -sS --fail -o /dev/null http://127.0.0.1:8002/big.bin < /dev/null ||
	fail "curl to loopback under synack-run"
grep -q '^127\.0\.0\.1 ' "$T/lo.log" || fail "the loopback server saw no kernel client"
echo "ok: 127.0.0.1 stays with the kernel"
