#!/bin/sh
# SPDX-License-Identifier: MIT
# test-uidcaps.sh - issue 9: one uid cannot take every client or connection
# slot: past limits.clients_per_uid and limits.conns_per_uid it gets EUSERS
# and EMFILE while a client of another uid (65534) still connects.
. "$(dirname "$0")/rpc-env.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to switch uid"; exit 77; }
rpc_start_daemon "limits: { clients_per_uid: 2, conns_per_uid: 3 }"
rpc_bg $KPEER echo 10.77.0.1 7000 > "$T/echo.log" 2>&1
wait_for_line "$T/echo.log" listening
wait_no_clients # the probe's session counts against uid 0's clients
timeout 50 "$RPC_CLIENT" uidcaps 10.77.0.1 7000 || fail "per-uid caps"
grep -q "limits.clients_per_uid" "$T/synackd.log" || fail "the uid's refusal was not logged"
kill -0 "$DAEMON_PID" || fail "synackd died"
