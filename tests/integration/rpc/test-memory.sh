#!/bin/sh
# SPDX-License-Identifier: MIT
# test-memory.sh - issue 9: one client opens 1,024 connections to a kernel
# peer that never reads but sends all it can, asks for 64 MiB SNDBUF and
# RCVBUF on each, reads nothing and sends all it can (from SYN-SENT on), so
# both rings of every connection fill. synackd's RSS stays within
# limits.memory + 10 % of its baseline, another client is served meanwhile,
# and RSS comes back to within 10 % of the baseline once the client leaves.
# Also prints the RSS an idle established connection costs.
. "$(dirname "$0")/rpc-env.sh"

BUDGET_KIB=65536
# history.events: the control plane's per-connection trace rings (up to 256
# entries of each busy connection, 12 MiB for these 1,024) are bounded on
# their own and are not socket buffers; keep them small to measure the budget
rpc_start_daemon "limits: { memory: 64MiB, memory_per_uid: 64MiB }
shutdown: { abort_on_disconnect: true }
history: { events: 16 }"
rpc_bg $KPEER flood 10.77.0.1 7000 > "$T/flood.log" 2>&1
wait_for_line "$T/flood.log" listening
rpc_bg $KPEER hold 10.77.0.1 7001 > "$T/hold.log" 2>&1
wait_for_line "$T/hold.log" listening
sleep 0.5

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status"; }

BASE=$(rss)
timeout 90 "$RPC_CLIENT" mem 10.77.0.1 7000 1024 "$DAEMON_PID" "$BUDGET_KIB" ||
	fail "1,024 x 64 MiB client"
# the client is gone: its connections are reset and their memory given back
AFTER=$(rss)
for _ in $(seq 100); do
	AFTER=$(rss)
	[ "$AFTER" -le $((BASE + BASE / 10)) ] && break
	sleep 0.1
done
echo "memory: synackd RSS baseline $BASE KiB, after the client left $AFTER KiB"
[ -n "${SYNACK_RSS_UNCHECKED:-}" ] || [ "$AFTER" -le $((BASE + BASE / 10)) ] ||
	fail "RSS $AFTER KiB did not return to within 10 % of $BASE KiB"

# the cost of an idle established connection
timeout 60 "$RPC_CLIENT" idle 10.77.0.1 7001 1000 "$DAEMON_PID" 0 || fail "idle connections"
echo "PASS"
