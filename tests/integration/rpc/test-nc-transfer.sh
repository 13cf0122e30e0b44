#!/bin/sh
# SPDX-License-Identifier: MIT
# test-nc-transfer.sh - issue 5: kernel nc -> synack-nc -l and synack-nc ->
# kernel nc -l, SIZE_MB (default 100) each way, SHA-256 identical, and both
# sides see an orderly close (exit status 0). --help answers with exit
# status 0; a bad -w is refused with exit status 1.
. "$(dirname "$0")/rpc-env.sh"
MB=${SIZE_MB:-100}
"$SYNACK_NC" --help | grep -q '^Usage: synack-nc' || fail "synack-nc --help"
rc=0
"$SYNACK_NC" -w soon 10.77.0.1 5000 2> "$T/badw" || rc=$?
[ "$rc" = 1 ] && grep -q "bad -w" "$T/badw" || fail "-w soon: exit $rc, $(cat "$T/badw")"
rpc_start_daemon
head -c $((MB * 1000000)) /dev/urandom > "$T/data"
want=$(sha256sum < "$T/data" | cut -d' ' -f1)

# synack-nc -> kernel
rpc_bg sh -c "timeout 120 nc -N -l 10.77.0.1 5000 < /dev/null | sha256sum > '$T/k.sum'; echo \$? > '$T/k.rc'"
K=$LAST_PID
wait_kernel_listen 5000
timeout 120 "$SYNACK_NC" -v 10.77.0.1 5000 < "$T/data" 2> "$T/nc.err" ||
	fail "synack-nc -> kernel: exit $?"
grep -q "(data socket)" "$T/nc.err" || fail "synack-nc did not get a data socket: $(cat "$T/nc.err")"
wait "$K" || true
[ "$(cut -d' ' -f1 "$T/k.sum")" = "$want" ] || fail "synack-nc -> kernel: data differs"
echo "ok: synack-nc -> kernel nc, $MB MB, SHA-256 identical, orderly close"

# kernel -> synack-nc -l
rpc_bg sh -c "timeout 120 '$SYNACK_NC' -l -d 6000 | sha256sum > '$T/s.sum'"
S=$LAST_PID
wait_synack_listen 6000
timeout 120 nc -N 10.77.0.2 6000 < "$T/data" || fail "kernel nc -> synack-nc: nc exit $?"
wait "$S" || fail "synack-nc -l did not end cleanly"
[ "$(cut -d' ' -f1 "$T/s.sum")" = "$want" ] || fail "kernel -> synack-nc: data differs"
echo "ok: kernel nc -> synack-nc -l, $MB MB, SHA-256 identical, orderly close"

# the Send/Data path, for clients that do not ask for data sockets
head -c 20000000 "$T/data" > "$T/data20"
want20=$(sha256sum < "$T/data20" | cut -d' ' -f1)
rpc_bg sh -c "timeout 60 nc -N -l 10.77.0.1 5002 < /dev/null | sha256sum > '$T/k20.sum'"
K=$LAST_PID
wait_kernel_listen 5002
SYNACK_NO_FD_DATA=1 timeout 60 "$SYNACK_NC" -v 10.77.0.1 5002 < "$T/data20" 2> "$T/nc20.err" ||
	fail "synack-nc (Send/Data) -> kernel: exit $?"
wait "$K" || true
! grep -q "(data socket)" "$T/nc20.err" || fail "SYNACK_NO_FD_DATA=1 still got a data socket"
[ "$(cut -d' ' -f1 "$T/k20.sum")" = "$want20" ] || fail "synack-nc (Send/Data) -> kernel: data differs"
echo "ok: SYNACK_NO_FD_DATA=1: the Send/Data path, 20 MB, SHA-256 identical"

# a peer's RST: synack-nc reads the reason on the session (ECONNRESET), exit 3
rpc_bg /usr/bin/python3 -c "
import socket, struct
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('10.77.0.1', 5003)); l.listen(1); l.settimeout(20)
c, _ = l.accept(); c.settimeout(20); c.recv(10)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()"
wait_kernel_listen 5003
set +e
(echo hello; sleep 5) | timeout 20 "$SYNACK_NC" 10.77.0.1 5003 > /dev/null 2> "$T/rst.err"
rc=$?
set -e
[ "$rc" = 3 ] && grep -qi "reset" "$T/rst.err" ||
	fail "peer RST: synack-nc exit $rc, $(cat "$T/rst.err") (want 3, connection reset)"
echo "ok: a peer's RST ends synack-nc with: $(cat "$T/rst.err")"
