#!/bin/sh
# SPDX-License-Identifier: MIT
# test-abuse.sh - issue 5: malformed, unknown, oversized and out-of-order
# frames from raw clients get error replies and a hang-up, while another
# client's transfer (20 MB through synack-nc) completes intact.
. "$(dirname "$0")/rpc-env.sh"
rpc_start_daemon
head -c 20000000 /dev/urandom > "$T/data"
want=$(sha256sum < "$T/data" | cut -d' ' -f1)
rpc_bg sh -c "timeout 60 nc -N -l 10.77.0.1 5000 < /dev/null | sha256sum > '$T/k.sum'"
K=$LAST_PID
wait_kernel_listen 5000
rpc_bg sh -c "timeout 60 '$SYNACK_NC' 10.77.0.1 5000 < '$T/data'; echo \$? > '$T/nc.rc'"
N=$LAST_PID
for i in 1 2 3; do
	timeout 30 "$RPC_CLIENT" raw || fail "raw client round $i"
done
wait "$N" || true
wait "$K" || true
[ "$(cat "$T/nc.rc")" = 0 ] || fail "the well-behaved client's synack-nc failed"
[ "$(cut -d' ' -f1 "$T/k.sum")" = "$want" ] || fail "the well-behaved client's data differs"
kill -0 "$DAEMON_PID" || fail "synackd died"
echo "ok: abusive clients were refused and dropped; the other transfer arrived intact"
