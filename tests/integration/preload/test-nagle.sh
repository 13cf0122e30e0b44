#!/bin/sh
# SPDX-License-Identifier: MIT
# test-nagle.sh - quick ACKs (tcp.quick_acks): a kernel client with Nagle's
# algorithm on (RFC 1122 §4.2.3.4) writes a request in two parts and waits
# for the answer, each time on a new connection, from a program under
# synack-run that answers once it has both. Nagle holds the second part
# until the first is ACKed; with every ACK delayed (main before quick ACKs)
# each exchange waited out tcp.delayed_ack (40 ms): 40.6 ms median against
# 0.07 ms between two kernel sockets. Here the first part's ACK is a quick
# one (SynackTcpQuickAcks) in every exchange. The times are printed, not
# asserted (the bound on time is test-tcp-quickack.c's, in virtual time).
. "$(dirname "$0")/preload-env.sh"
rpc_start_daemon
N=20
cat > "$T/answer.py" <<'PY'
import socket
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('0.0.0.0', 7009))
l.listen(8)
while True:
    c, _ = l.accept()
    got = b''
    while len(got) < 200:
        d = c.recv(4096)
        if not d:
            break
        got += d
    c.sendall(b'answer')
    c.close()
PY
"$RUN" python3 "$T/answer.py" > "$T/answer.log" 2>&1 &
PIDS="$PIDS $!"
wait_port 10.77.0.2 7009
quick0=$(counter SynackTcpQuickAcks)
python3 - "$N" <<'PY' || fail "the exchanges did not complete"
import socket, statistics, sys, time
n = int(sys.argv[1])
took = []
for _ in range(n):
    c = socket.create_connection(('10.77.0.2', 7009), 5)
    t = time.monotonic()
    c.send(b'a' * 100)
    c.send(b'b' * 100)  # Nagle: held until the first part is ACKed
    got = b''
    while len(got) < 6:
        d = c.recv(16)
        if not d:
            break
        got += d
    took.append((time.monotonic() - t) * 1000)
    c.close()
    if got != b'answer':
        sys.exit(f'answer {got!r}')
print(f'{n} exchanges: median {statistics.median(took):.2f} ms, '
      f'longest {max(took):.2f} ms (tcp.delayed_ack 40 ms)')
PY
quick=$(( $(counter SynackTcpQuickAcks) - quick0 ))
echo "SynackTcpQuickAcks: $quick for $N exchanges"
[ "$quick" -ge "$N" ] || fail "not every exchange's first part was ACKed at once"
echo "PASS: the first part of every request ACKed at once"
