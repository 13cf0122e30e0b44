#!/bin/sh
# SPDX-License-Identifier: MIT
# test-many.sh - issue 5: one client holds CONNS (default 1000) concurrent
# connections to a kernel echo server through the async API, all data verified.
. "$(dirname "$0")/rpc-env.sh"
N=${CONNS:-1000}
rpc_start_daemon
rpc_bg env KPEER_CHECK=1 $KPEER echo 10.77.0.1 7000 > "$T/echo.log" 2>&1
wait_for_line "$T/echo.log" listening
timeout 150 "$RPC_CLIENT" many 10.77.0.1 7000 "$N" 20000 || fail "many connections: $(grep bad "$T/echo.log" | head -3)"
