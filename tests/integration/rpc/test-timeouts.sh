#!/bin/sh
# SPDX-License-Identifier: MIT
# test-timeouts.sh - issue 9: a client that never says Hello is dropped after
# rpc.hello_timeout, a session that owns no connection after
# rpc.idle_timeout; a session holding a connection is served throughout.
. "$(dirname "$0")/rpc-env.sh"
RPC_EXTRA="hello_timeout: 200ms, idle_timeout: 800ms"
rpc_start_daemon
rpc_bg $KPEER echo 10.77.0.1 7000 > "$T/echo.log" 2>&1
wait_for_line "$T/echo.log" listening
timeout 50 "$RPC_CLIENT" timeouts 200 800 10.77.0.1 7000 || fail "session timeouts"
grep -q "no Hello within" "$T/synackd.log" || fail "the Hello timeout was not logged"
grep -q "rpc.idle_timeout" "$T/synackd.log" || fail "the idle timeout was not logged"
kill -0 "$DAEMON_PID" || fail "synackd died"
# both drops are counted where an operator looks: synackctl stats
SYNACKCTL="$(dirname "$RPC_CLIENT")/../../../ctl/synackctl"
stats=$(SYNACK_CONTROL=$T/control.sock "$SYNACKCTL" stats 'SynackRpc*' 2>&1) ||
	fail "synackctl stats: $stats"
ctr() { printf '%s\n' "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
echo "counters: SynackRpcHelloTimeouts $(ctr SynackRpcHelloTimeouts)" \
	"SynackRpcIdleTimeouts $(ctr SynackRpcIdleTimeouts)"
[ "$(ctr SynackRpcHelloTimeouts)" = 1 ] || fail "SynackRpcHelloTimeouts is not 1: $stats"
[ "$(ctr SynackRpcIdleTimeouts)" = 1 ] || fail "SynackRpcIdleTimeouts is not 1: $stats"
