#!/bin/sh
# SPDX-License-Identifier: MIT
# test-kill.sh - issue 12: a program under synack-run that is killed, or
# closes with SO_LINGER 0, ends its connections as the kernel ends a killed
# program's: FIN after every byte it wrote (the kernel's end reads them all,
# then EOF); RST when bytes it was sent were left unread; RST for SO_LINGER 0,
# at the last close only when a forked child still holds the socket. Each
# case runs twice, on the kernel's TCP and under synack-run, and both must
# end the same way. Then a half-closed connection whose program then closes
# it is let go (synackd watches for that close: SynackRpcFdConns drops), and
# SO_LINGER with a timeout makes close() wait for the peer to take every byte.
. "$(dirname "$0")/preload-env.sh"
KSIDE="python3 $(cd "$(dirname "$0")" && pwd)/kside.py"
rpc_start_daemon
port=7200

# case NAME WANT KSIDE_ARGS -- APP_CODE: the app connects to the kernel side and
# runs APP_CODE, then prints "ready" and sleeps; it is killed once "ready" shows
# (SIGKILL: no exit handlers); WANT is what the kernel side must print.
case_run()
{
	name=$1 want=$2 mode=$3 extra=$4 code=$5
	for how in kernel synack; do
		port=$((port + 1))
		$KSIDE "$mode" 10.77.0.1 "$port" $extra > "$T/k.$name.$how" 2>&1 &
		kp=$!
		PIDS="$PIDS $kp"
		wait_for_line "$T/k.$name.$how" listening
		app="import socket, time
s = socket.create_connection(('10.77.0.1', $port))
$code
print('ready', flush=True)
time.sleep(60)"
		if [ "$how" = kernel ]; then
			python3 -c "$app" > "$T/a.$name.$how" 2>&1 < /dev/null &
		else
			"$RUN" python3 -c "$app" > "$T/a.$name.$how" 2>&1 < /dev/null &
		fi
		ap=$!
		PIDS="$PIDS $ap"
		wait_for_line "$T/a.$name.$how" ready
		kill -9 "$ap"
		wait "$kp" || true
		got=$(tail -1 "$T/k.$name.$how")
		[ "$got" = "$want" ] || fail "$name ($how): the kernel side says '$got', not '$want'"
	done
	echo "ok: $name: '$want', on the kernel's TCP and under synack-run"
}

case_run "killed after writing 1 MB" "bytes 1000000 end EOF" collect "" \
	"s.sendall(b'w' * 1000000)"
case_run "killed with 1 MB unread" "end RESET" push 1000000 \
	"time.sleep(0.5)"
case_run "closed with SO_LINGER 0" "bytes 5 end RESET" collect "" \
	"import struct
s.sendall(b'hello')
time.sleep(0.5)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()"
case_run "SO_LINGER 0, a forked child closes last" "bytes 11 end RESET" collect "" \
	"import os, struct
s.sendall(b'hello')
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
if os.fork() == 0:
    time.sleep(0.5)
    s.sendall(b' world')
    os._exit(0)
s.close()"

# shutdown(SHUT_WR), then close(), the peer silent: the connection is let go
port=$((port + 1))
$KSIDE push 10.77.0.1 "$port" 0 > "$T/k.half" 2>&1 &
PIDS="$PIDS $!"
wait_for_line "$T/k.half" listening
conns0=$(counter SynackRpcFdConns)
"$RUN" python3 -c "
import os, socket, time
s = socket.create_connection(('10.77.0.1', $port))
s.sendall(b'abc')
s.shutdown(socket.SHUT_WR)
print('half', flush=True)
# close once the test has read the counter (it writes go.half), up to 60 s
for _ in range(600):
    if os.path.exists('$T/go.half'):
        break
    time.sleep(0.1)
s.close()
print('closed', flush=True)
time.sleep(60)
" > "$T/a.half" 2>&1 < /dev/null &
PIDS="$PIDS $!"
wait_for_line "$T/a.half" half
[ "$(counter SynackRpcFdConns)" -gt "${conns0:-0}" ] || fail "no data-socket connection while half-closed"
touch "$T/go.half"
wait_for_line "$T/a.half" closed
for _ in $(seq 100); do
	[ "$(counter SynackRpcFdConns)" -le "${conns0:-0}" ] && break
	sleep 0.1
done
[ "$(counter SynackRpcFdConns)" -le "${conns0:-0}" ] ||
	fail "a half-closed connection closed by its program is still held"
echo "ok: half-closed, then closed by its program while the peer stays silent: let go"

# SO_LINGER with a timeout: close() returns once the peer has taken every byte
# (our FIN ACKed), here after it starts reading 1.5 s later; as the kernel's.
# 200 KB: written at once (the buffers take it), more than the peer's window
for how in kernel synack; do
	port=$((port + 1))
	rm -f "$T/order.$how"
	$KSIDE lazy 10.77.0.1 "$port" "$T/order.$how" > "$T/k.linger.$how" 2>&1 &
	PIDS="$PIDS $!"
	wait_for_line "$T/k.linger.$how" listening
	app="import socket, struct
s = socket.create_connection(('10.77.0.1', $port))
s.sendall(b'w' * 200000)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 10))
s.close()
open('$T/order.$how', 'a').write('app-closed\\n')"
	if [ "$how" = kernel ]; then
		timeout 30 python3 -c "$app" < /dev/null || fail "linger ($how)"
	else
		timeout 30 "$RUN" python3 -c "$app" < /dev/null || fail "linger ($how)"
	fi
	wait_for_line "$T/k.linger.$how" "bytes 200000 end EOF"
	[ "$(head -1 "$T/order.$how")" = kernel-reads ] ||
		fail "SO_LINGER 10 s ($how): close() returned before the peer read: $(cat "$T/order.$how")"
done
echo "ok: SO_LINGER with a timeout: close() waits until the peer has taken every byte, as the kernel's"
