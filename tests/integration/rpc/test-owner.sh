#!/bin/sh
# SPDX-License-Identifier: MIT
# test-owner.sh - issue 5: a client of another uid cannot send on, credit,
# close or abort a connection it does not own.
. "$(dirname "$0")/rpc-env.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to switch uid"; exit 77; }
rpc_start_daemon
rpc_bg $KPEER echo 10.77.0.1 7000 > "$T/echo.log" 2>&1
wait_for_line "$T/echo.log" listening
timeout 30 "$RPC_CLIENT" owner 10.77.0.1 7000 || fail "ownership"
