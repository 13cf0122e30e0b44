#!/bin/sh
# SPDX-License-Identifier: MIT
# test-uid-orphans.sh - issue 9: closing does not free a slot the peer can
# keep. With limits.conns_per_uid = 4, a client opens 4 connections to a
# kernel peer that never reads, closes them with data unsent (orphans the
# peer can keep in FIN-WAIT-1 for tcp.orphan_retries zero-window probes),
# then opens 4 more. The uid must never hold more than 4 slots: its oldest
# orphans are reset to make room (SynackRpcUidOrphansReset,
# TcpExtTCPAbortOnMemory). Before, the orphans did not count: 8 slots.
. "$(dirname "$0")/rpc-env.sh"
SYNACKCTL="$(dirname "$RPC_CLIENT")/../../../ctl/synackctl"
CAP=4

ctl() { SYNACK_CONTROL=$T/control.sock "$SYNACKCTL" "$@"; }
# a counter's value (synackctl stats leaves zeros out, as nstat does)
stat_of() { ctl stats "$1" | awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'; }

rpc_start_daemon "limits: { conns_per_uid: $CAP }"
rpc_bg $KPEER hold 10.77.0.1 7001 > "$T/hold.log" 2>&1
wait_for_line "$T/hold.log" listening
wait_no_clients # the probe's session is gone

rpc_bg timeout 60 "$RPC_CLIENT" uidorphans 10.77.0.1 7001 $CAP > "$T/client.log" 2>&1
CLIENT=$LAST_PID
wait_for_line "$T/client.log" holding
ctl conns > "$T/conns.txt" || fail "synackctl conns"
cat "$T/conns.txt"
held=$(grep -c "10.77.0.1:7001" "$T/conns.txt" || true)
orphans=$(stat_of SynackTcpOrphans)
reset=$(stat_of SynackRpcUidOrphansReset)
echo "uid orphans: the uid holds $held slots (cap $CAP): $orphans orphans left, $reset reset for room"
[ "$held" -le "$CAP" ] || fail "the uid holds $held slots, more than conns_per_uid = $CAP"
[ "$held" -eq "$CAP" ] || fail "expected its $CAP new connections, found $held"
[ "$orphans" -eq 0 ] || fail "$orphans orphans left beside the uid's $CAP connections"
[ "$reset" -eq "$CAP" ] || fail "SynackRpcUidOrphansReset = $reset, expected $CAP"
[ "$(stat_of TcpExtTCPAbortOnMemory)" -eq "$CAP" ] || fail "TcpExtTCPAbortOnMemory"
kill "$CLIENT"
kill -0 "$DAEMON_PID" || fail "synackd died"
echo "PASS"
