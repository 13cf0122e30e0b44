#!/bin/sh
# SPDX-License-Identifier: MIT
# test-congestion.sh - issue 10: the per-connection congestion control option
# through libsynack (synack_set_congestion / synack_get_congestion): the
# config's tcp.congestion_control is the default, a connection switches to
# newreno and back to cubic, an unknown name is refused with EINVAL and
# changes nothing, and the echo still comes back whole.
. "$(dirname "$0")/rpc-env.sh"

rpc_start_daemon "tcp: { congestion_control: newreno }"
rpc_bg $KPEER echo 10.77.0.1 7000 > "$T/echo.log" 2>&1
wait_for_line "$T/echo.log" listening
timeout 60 "$RPC_CLIENT" congestion 10.77.0.1 7000 newreno || fail "congestion"
echo "PASS"
