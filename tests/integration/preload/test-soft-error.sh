#!/bin/sh
# SPDX-License-Identifier: MIT
# test-soft-error.sh - issue 12: an ICMP error a connection survives (host
# unreachable, RFC 5927) is visible through the connection's error, as on
# Linux: getsockopt(SO_ERROR) says EHOSTUNREACH once, then 0, and the
# connection stays ESTABLISHED. The kernel side learns synack's SND.NXT with
# TCP_REPAIR (its own RCV.NXT) and sends the ICMP message from a raw socket,
# quoting a segment of the connection.
. "$(dirname "$0")/preload-env.sh"
rpc_start_daemon
soft0=$(counter SynackTcpIcmpSoftErrors)
python3 -c "
import socket, struct, time
def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('10.77.0.1', 7008))
l.listen(1)
print('listening', flush=True)
c, (paddr, pport) = l.accept()
time.sleep(0.3)
# synack's SND.NXT is our RCV.NXT: read it in repair mode (TCP_REPAIR 19,
# TCP_REPAIR_QUEUE 20 = TCP_RECV_QUEUE 1, TCP_QUEUE_SEQ 21), then leave it
c.setsockopt(socket.IPPROTO_TCP, 19, 1)
c.setsockopt(socket.IPPROTO_TCP, 20, 1)
seq = struct.unpack('I', c.getsockopt(socket.IPPROTO_TCP, 21, 4))[0]
c.setsockopt(socket.IPPROTO_TCP, 19, 0)
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, 0, 0, 64, 6, 0,
                 socket.inet_aton(paddr), socket.inet_aton('10.77.0.1'))
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
quote = ip + struct.pack('!HHI', pport, 7008, seq)
icmp = struct.pack('!BBHI', 3, 1, 0, 0) + quote
icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
r.sendto(icmp, (paddr, 0))
print('sent', flush=True)
time.sleep(30)
" > "$T/k.log" 2>&1 &
PIDS="$PIDS $!"
wait_for_line "$T/k.log" listening
"$RUN" python3 -c "
import socket, time
s = socket.create_connection(('10.77.0.1', 7008))
for _ in range(200):
    if 'sent' in open('$T/k.log').read():
        break
    time.sleep(0.05)
# the ICMP message is on its way: wait for the error, up to 10 s
deadline = time.monotonic() + 10
while True:
    e1 = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if e1 or time.monotonic() > deadline:
        break
    time.sleep(0.05)
e2 = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
state = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
print('errors', e1, e2, 'state', state, flush=True)
" > "$T/app.log" 2>&1 < /dev/null || fail "the program: $(cat "$T/app.log")"
cat "$T/app.log"
grep -q "^errors 113 0 state 1$" "$T/app.log" ||
	fail "want SO_ERROR EHOSTUNREACH (113) once, then 0, ESTABLISHED (1): $(cat "$T/app.log") $(cat "$T/k.log")"
soft=$(counter SynackTcpIcmpSoftErrors)
[ "$soft" -gt "${soft0:-0}" ] || fail "SynackTcpIcmpSoftErrors did not count it"
echo "ok: an ICMP host unreachable shows once through SO_ERROR; the connection lives on"
