#!/bin/sh
# SPDX-License-Identifier: MIT
# test-backlog.sh - issue 12: listen()'s backlog holds under synack-run. A
# program listens with backlog 2 and does not accept while 20 kernel
# clients connect, 50 ms apart: backlog + 1 connections wait in its accept
# socket and as many in the listener's queue; the rest overflow it
# (TcpExtListenOverflows) and wait in their handshakes, as with a kernel
# listener. So when the program looks, at most 2 x (backlog + 1) + 1 are
# ready at once (not 20), which synackctl conns shows as the listener's
# Recv-Q (its backlog as Send-Q); then every one of the 20 arrives, as its
# handshake is retried.
. "$(dirname "$0")/preload-env.sh"
rpc_start_daemon
over0=$(counter TcpExtListenOverflows)
"$RUN" python3 -c "
import os, socket, time
l = socket.socket()
l.bind(('0.0.0.0', 7300))
l.listen(2)
print('listening', flush=True)
# accept once the test has looked at the listener (it writes go), up to 60 s
for _ in range(600):
    if os.path.exists('$T/go'):
        break
    time.sleep(0.1)
l.setblocking(False)
peers = set()
try:
    while True:
        c, peer = l.accept()
        peers.add(peer)
        c.close()
except BlockingIOError:
    pass
print('ready', len(peers), flush=True)
# the rest complete as their handshakes are retried (SYN-ACK retransmission)
l.setblocking(True)
l.settimeout(25)
while len(peers) < 20:
    c, peer = l.accept()
    peers.add(peer)
    c.close()
print('accepted', len(peers), flush=True)
" > "$T/app.log" 2>&1 < /dev/null &
APP=$!
PIDS="$PIDS $APP"
wait_for_line "$T/app.log" listening
python3 -c "
import socket, time
socks = []
for i in range(20):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(('10.77.0.2', 7300))
    except BlockingIOError:
        pass
    socks.append(s)
    time.sleep(0.05)
print('connected', flush=True)
time.sleep(40)
" > "$T/k.log" 2>&1 &
K=$!
PIDS="$PIDS $K"
wait_for_line "$T/k.log" connected
# ss's columns for the listener: Recv-Q what waits (the accept socket's
# records and the core's queue), Send-Q the backlog. Nobody accepts until
# go: wait (10 s) for the queue to fill and overflow, then check it
for _ in $(seq 100); do
	"$SYNACKCTL" -s "$T/control.sock" conns -l -H > "$T/listen.txt"
	read -r _ recvq sendq _ < "$T/listen.txt"
	over=$(counter TcpExtListenOverflows)
	[ "$recvq" -ge 3 ] && [ "$over" -gt "${over0:-0}" ] && break
	sleep 0.1
done
[ "$sendq" -eq 2 ] || fail "the listener's Send-Q is $sendq, not its backlog 2: $(cat "$T/listen.txt")"
[ "$recvq" -ge 3 ] && [ "$recvq" -le 7 ] ||
	fail "the listener's Recv-Q is $recvq, not the 3 to 7 waiting: $(cat "$T/listen.txt")"
[ "$over" -gt "${over0:-0}" ] ||
	fail "20 connections to a backlog of 2 that nobody accepts never overflowed the listener"
touch "$T/go"
wait "$APP" || { cat -A "$T/app.log"; cat "$T/k.log"; fail "the program failed"; }
grep -q '^accepted 20$' "$T/app.log" || fail "the program: $(cat "$T/app.log")"
ready=$(awk '$1 == "ready" { print $2 }' "$T/app.log")
[ "$ready" -le 7 ] || fail "$ready connections were ready at once for a backlog of 2"
echo "ok: backlog 2 held: Recv-Q $recvq / Send-Q $sendq while nobody accepted, $ready ready at once, $((over - ${over0:-0})) overflows; then all 20 accepted"
