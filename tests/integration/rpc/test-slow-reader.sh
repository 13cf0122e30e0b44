#!/bin/sh
# SPDX-License-Identifier: MIT
# test-slow-reader.sh - issue 5: a reader that withholds credit gets exactly
# its credit, the kernel sender blocks on a closed window, synackd's memory
# does not grow; once credit comes, the rest arrives.
. "$(dirname "$0")/rpc-env.sh"
rpc_start_daemon
TOTAL=50000000
rpc_bg $KPEER send 10.77.0.1 7001 $TOTAL > "$T/send.log" 2>&1
wait_for_line "$T/send.log" listening
timeout 90 "$RPC_CLIENT" slow 10.77.0.1 7001 "$DAEMON_PID" $TOTAL || fail "slow reader"
