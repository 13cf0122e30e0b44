#!/bin/sh
# SPDX-License-Identifier: MIT
# test-reconnect.sh - a closed connection's slot is free for the Connect
# right behind its Close, however fast the client is: with
# limits.conns_per_client 1, 200 connections one after another, each closed
# as soon as it is established (rpc-client reconnect), none refused. A
# closed connection's data-socket end lingers until the write holding its
# Closed event is done; synackd let it go only in that write's callback, a
# loop turn later, so the Connect read with the Close found the session's
# descriptors taken and the second connection was refused ("connection limit
# per client reached"); rpc short connections met the same race only when
# the machine was loaded.
. "$(dirname "$0")/rpc-env.sh"

rpc_start_daemon "limits: { conns_per_client: 1 }"
rpc_bg $KPEER echo 10.77.0.1 7000 > "$T/echo.log" 2>&1
wait_for_line "$T/echo.log" listening
timeout 60 "$RPC_CLIENT" reconnect 10.77.0.1 7000 200 || fail "connections one after another"
echo "PASS"
