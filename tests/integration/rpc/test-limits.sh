#!/bin/sh
# SPDX-License-Identifier: MIT
# test-limits.sh - issue 5: per-client limits (connections, clients) answer
# with clear errors, and connect errors map to errno (ECONNREFUSED for a
# closed port, ETIMEDOUT for a silent address within the Connect timeout).
. "$(dirname "$0")/rpc-env.sh"

rpc_start_daemon "limits: { conns_per_client: 4, max_clients: 3 }"
rpc_bg $KPEER echo 10.77.0.1 7000 > "$T/echo.log" 2>&1
wait_for_line "$T/echo.log" listening
wait_no_clients # the probe's session counts against max_clients
timeout 60 "$RPC_CLIENT" limits 10.77.0.1 7000 || fail "limits"
# issue 12: the async API's data sockets (synack_connect_fd_async), against the same echo
timeout 30 "$RPC_CLIENT" fdasync 10.77.0.1 7000 || fail "fdasync"
# detached connections: another session acts on one only by showing its data socket
timeout 30 "$RPC_CLIENT" proof 10.77.0.1 7000 || fail "proof"
# a data socket dropped at the client's RLIMIT_NOFILE: that connect gets EMFILE
timeout 30 "$RPC_CLIENT" fdlimit 10.77.0.1 7000 || fail "fdlimit"
