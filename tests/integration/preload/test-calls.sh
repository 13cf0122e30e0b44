#!/bin/sh
# SPDX-License-Identifier: MIT
# test-calls.sh - issue 12: each call libsynack-preload interposes, with its
# error paths (preload-calls.c), run under synack-run against a kernel echo
# server; a forked child's option request proves itself by the data socket
# (SynackRpcFdProofs); a program that cannot reach synackd is told so.
. "$(dirname "$0")/preload-env.sh"
CALLS=$4
need socat
rpc_start_daemon
rpc_bg socat TCP-LISTEN:7007,bind=10.77.0.1,reuseaddr,fork EXEC:cat
wait_port 10.77.0.1 7007
proofs0=$(counter SynackRpcFdProofs)
timeout 60 "$RUN" "$CALLS" 10.77.0.1 7007 < /dev/null > "$T/calls.log" 2>&1 ||
	{ cat "$T/calls.log"; fail "preload-calls"; }
cat "$T/calls.log"
n=$(grep -c '^ok:' "$T/calls.log")
[ "$n" -eq 56 ] || fail "$n checks passed, not the 56 preload-calls makes"
proofs=$(counter SynackRpcFdProofs)
[ "$proofs" -gt "${proofs0:-0}" ] || fail "no request proved itself by its data socket"
echo "ok: $n checks; $proofs request(s) acted on a connection by its data socket"

# the runner refuses what it cannot do, with a reason
if "$RUN" --socket "$T/nope.sock" true 2> "$T/err"; then fail "ran without a daemon"; fi
grep -q "no synackd socket" "$T/err" || fail "no reason: $(cat "$T/err")"
if "$RUN" --others sometimes true 2> "$T/err"; then fail "took --others sometimes"; fi
st=0
"$RUN" synack-no-such-program 2> "$T/err" || st=$?
[ "$st" -eq 127 ] && grep -q "synack-no-such-program: command not found" "$T/err" ||
	fail "a missing command: status $st, $(cat "$T/err")"
# a user who may not connect is told so, not left with failing socket calls
# (a socket only root may write to: this daemon's is 0666)
as_nobody()
{
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
if ! id nobody > /dev/null 2>&1 || ! command -v setpriv > /dev/null 2>&1 ||
	! as_nobody sh -c "[ -x '$RUN' ] && [ -r '$RUN' ]" 2> /dev/null; then
	echo "not checked: a user without access to the socket (no user nobody, no" \
		"setpriv, or the build tree is out of its reach)"
else
	python3 -c "import os, socket; s = socket.socket(socket.AF_UNIX); s.bind('$T/root.sock'); os.chmod('$T/root.sock', 0o600)"
	st=0
	as_nobody "$RUN" --socket "$T/root.sock" true 2> "$T/err" || st=$?
	[ "$st" -eq 0 ] && grep -q "not writable for this user.*permission denied" "$T/err" ||
		fail "a user without access to the socket: status $st, $(cat "$T/err")"
fi
"$RUN" --help | grep -q '^Usage: synack-run' || fail "--help"
echo "ok: the runner's errors"

# other IP sockets: the kernel's by default, refused with --others refuse
probe='import socket, sys
try:
    socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
    print("kernel")
except OSError as e:
    print(e.errno == 97 and "refused" or e)'
[ "$("$RUN" python3 -c "$probe" < /dev/null)" = kernel ] || fail "IPv6/UDP not the kernel's"
[ "$("$RUN" --others refuse python3 -c "$probe" < /dev/null)" = refused ] ||
	fail "--others refuse did not refuse with EAFNOSUPPORT"
echo "ok: IPv6 and UDP sockets go to the kernel, or are refused with --others refuse"
