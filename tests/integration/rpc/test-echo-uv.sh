#!/bin/sh
# SPDX-License-Identifier: MIT
# test-echo-uv.sh - the libuv adapter: the echo example (synack-echo-uv)
# echoes 20 MB from kernel nc intact, then serves 20 short connections.
. "$(dirname "$0")/rpc-env.sh"
SYNACK_ECHO_UV=$(dirname "$SYNACK_NC")/synack-echo-uv
rpc_start_daemon
rpc_bg "$SYNACK_ECHO_UV" 7777
wait_synack_listen 7777
head -c 20000000 /dev/urandom > "$T/data"
want=$(sha256sum < "$T/data" | cut -d' ' -f1)
got=$(timeout 60 nc -N 10.77.0.2 7777 < "$T/data" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "20 MB echo differs"
echo "ok: 20 MB echoed intact"
for i in $(seq 20); do
	[ "$(echo "hello $i" | timeout 5 nc -N 10.77.0.2 7777)" = "hello $i" ] || fail "short echo $i"
done
echo "ok: 20 short connections echoed"
