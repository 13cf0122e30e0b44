#!/bin/sh
# SPDX-License-Identifier: MIT
# test-kill.sh - issue 12: a program under synack-run that is killed, or
# closes with SO_LINGER 0, ends its connections as the kernel ends a killed
# program's: FIN after every byte it wrote (the kernel's end reads them all,
# then EOF); RST when bytes it was sent were left unread; RST for SO_LINGER 0.
# Each case runs twice, on the kernel's TCP and under synack-run, and both
# must end the same way.
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
