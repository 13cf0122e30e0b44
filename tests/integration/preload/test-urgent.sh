#!/bin/sh
# SPDX-License-Identifier: MIT
# test-urgent.sh - issue 12: urgent data (RFC 9293 §3.8.5, MUST-30/31) under
# synack-run. The kernel sends "abc", then "X" with MSG_OOB, then "def": the
# program is told (POLLPRI) and reads "X" with MSG_OOB and "abcdef" in band;
# with SO_OOBINLINE it reads "abcXdef", and SIOCATMARK says where the mark
# is. A byte the program sends with MSG_OOB reaches the kernel in order
# (synack sends no urgent data: inline, never lost). Each run twice, on the
# kernel's TCP and under synack-run, with the same results. libsynack's
# blocking API (synack-nc) reads the urgent byte inline, as before; its event
# API on the Send/Data path gets an URGENT event that marks it.
. "$(dirname "$0")/preload-env.sh"
rpc_start_daemon
port=7400

# the kernel's end: two connections (out of band, inline), then one the
# program sends an OOB byte on; it prints what that one carried
kernel_side()
{
	python3 -c "
import socket, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('10.77.0.1', $1))
l.listen(4)
print('listening', flush=True)
for _ in range(2):
    c, _ = l.accept()
    c.sendall(b'abc')
    time.sleep(0.2)
    c.send(b'X', socket.MSG_OOB)
    time.sleep(0.2)
    c.sendall(b'def')
    c.recv(16)  # the program's done
    c.close()
c, _ = l.accept()
got = b''
while True:
    b = c.recv(64)
    if not b:
        break
    got += b
print('kernel got', got.decode(), flush=True)
"
}

# urgent_sender PORT: a kernel server sending abc, X (urgent), def to one client
urgent_sender()
{
	python3 -c "
import socket, time
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('10.77.0.1', $1))
l.listen(1)
print('listening', flush=True)
c, _ = l.accept()
c.sendall(b'abc')
time.sleep(0.2)
c.send(b'X', socket.MSG_OOB)
time.sleep(0.2)
c.sendall(b'def')
c.close()
" > "$T/k.$1" 2>&1 &
	PIDS="$PIDS $!"
	wait_for_line "$T/k.$1" listening
}

app='
import fcntl, select, socket, struct, sys, time
def conn():
    return socket.create_connection(("10.77.0.1", PORT))
def read_n(s, n):
    got = b""
    while len(got) < n:
        b = s.recv(n - len(got))
        if not b:
            break
        got += b
    return got
s = conn()
p = select.poll()
p.register(s, select.POLLPRI)
ev = p.poll(5000)
oob = s.recv(1, socket.MSG_OOB) if ev else b"?"
print("oob", oob.decode(), "inband", read_n(s, 6).decode(), flush=True)
s.send(b"done")
s.close()
s = conn()
s.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
before = read_n(s, 3)
# the urgent byte comes 0.2 s after "abc": wait for the mark, up to 10 s
deadline = time.monotonic() + 10
while True:
    mark = struct.unpack("i", fcntl.ioctl(s, 0x8905, struct.pack("i", 0)))[0]  # SIOCATMARK
    if mark == 1 or time.monotonic() > deadline:
        break
    select.select([], [], [], 0.05)
print("inline", (before + read_n(s, 4)).decode(), "atmark", mark, flush=True)
s.send(b"done")
s.close()
s = conn()
s.sendall(b"12")
s.send(b"Y", socket.MSG_OOB)
s.sendall(b"34")
s.close()
'
for how in kernel synack; do
	port=$((port + 1))
	kernel_side "$port" > "$T/k.$how" 2>&1 &
	PIDS="$PIDS $!"
	wait_for_line "$T/k.$how" listening
	code=$(echo "$app" | sed "s/PORT/$port/")
	if [ "$how" = kernel ]; then
		timeout 30 python3 -c "$code" > "$T/a.$how" 2>&1 < /dev/null || fail "$how: $(cat "$T/a.$how")"
	else
		timeout 30 "$RUN" python3 -c "$code" > "$T/a.$how" 2>&1 < /dev/null ||
			fail "$how: $(cat "$T/a.$how")"
	fi
	wait_for_line "$T/k.$how" "kernel got"
	cat "$T/a.$how" "$T/k.$how" | grep -v listening > "$T/out.$how"
done
cat "$T/out.synack"
grep -q "^oob X inband abcdef$" "$T/out.synack" || fail "out of band: $(cat "$T/out.synack")"
grep -q "^inline abcXdef atmark 1$" "$T/out.synack" || fail "inline: $(cat "$T/out.synack")"
grep -q "^kernel got 12Y34$" "$T/out.synack" || fail "an OOB byte sent: $(cat "$T/out.synack")"
# the receiving side as the kernel's own TCP gives it; sending differs by design
# (a kernel sender marks "Y" urgent, and its receiver takes it out of band)
[ "$(head -2 "$T/out.kernel")" = "$(head -2 "$T/out.synack")" ] ||
	fail "the kernel's TCP reads differently: $(cat "$T/out.kernel")"
[ "$(counter SynackRpcUrgentMarks)" -ge 2 ] || fail "SynackRpcUrgentMarks did not count them"
echo "ok: urgent data is told (POLLPRI, MSG_OOB, SO_OOBINLINE, SIOCATMARK); an OOB byte sent is not lost"

# libsynack's blocking API reads a plain stream: the urgent byte stays inline
urgent_sender 7499
got=$(timeout 30 "$SYNACK_NC" -d 10.77.0.1 7499)
[ "$got" = abcXdef ] || fail "synack-nc (blocking API) read '$got', not abcXdef"
echo "ok: synack-nc (libsynack blocking API) read abcXdef: the urgent byte inline"

# libsynack's event API on the Send/Data path: an URGENT event marks the byte
urgent_sender 7498
SYNACK_NO_FD_DATA=1 timeout 30 "$RPC_CLIENT" urgent 10.77.0.1 7498 || fail "the URGENT event"
echo "ok: libsynack's URGENT event marks the byte on the Send/Data path"
