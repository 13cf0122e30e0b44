#!/bin/sh
# SPDX-License-Identifier: MIT
# test-tw-reuse.sh - issue 11: a libsynack client making short connections
# to one address and port faster than 28232 ephemeral ports per 2 MSL.
# Each connection closes first on our side and leaves a TIME-WAIT, so
# without tcp.tw_reuse the 28233rd connect fails with EADDRNOTAVAIL (the
# first phase shows it); with it, a tuple whose peer's last timestamp is a
# second old is taken again (TcpExtTWRecycled) and every connect succeeds,
# with no more records than ports.
. "$(dirname "$0")/rpc-env.sh"
SYNACKCTL="$(dirname "$RPC_CLIENT")/../../../ctl/synackctl"
N=30000
PORTS=28232 # 32768..60999, tcp_isn.h

# TIME-WAIT of 20 min (msl 10min): no record expires during the test, however
# slow the machine, so running out of ports depends on the count alone
rpc_start_daemon "tcp: { tw_reuse: false, msl: 10min }"
rpc_bg $KPEER echo 10.77.0.1 7300 > "$T/echo.log" 2>&1
wait_for_line "$T/echo.log" listening
export SYNACK_CONTROL=$T/control.sock
ctr() { printf '%s\n' "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }

# without reuse: the ports run out (the connect that fails says so)
if timeout 120 "$RPC_CLIENT" churn 10.77.0.1 7300 "$N" > "$T/off.log" 2>&1; then
	fail "tw_reuse off: $N connections to one port within 2 MSL succeeded: $(cat "$T/off.log")"
fi
grep -q "connection $((PORTS + 1)) of $N: .*address not available" "$T/off.log" ||
	grep -q "connection $((PORTS + 1)) of $N: .*EADDRNOTAVAIL" "$T/off.log" ||
	fail "tw_reuse off: expected the connect past $PORTS ports to fail: $(tail -2 "$T/off.log")"
echo "ok: without tw_reuse, $(tail -1 "$T/off.log")"

# on, live (the records of the first phase are still there): every connect goes
"$SYNACKCTL" set tw_reuse true > /dev/null || fail "synackctl set tw_reuse true"
sleep 1.1 # the last phase's timestamps a second old
timeout 120 "$RPC_CLIENT" churn 10.77.0.1 7300 "$N" > "$T/on.log" 2>&1 ||
	fail "tw_reuse on: $(tail -2 "$T/on.log")"
stats=$("$SYNACKCTL" stats 2>&1) || fail "synackctl stats: $stats"
recycled=$(ctr TcpExtTWRecycled)
records=$(ctr SynackTcpTimeWait)
echo "counters: TcpExtTWRecycled ${recycled:-0} SynackTcpTimeWait ${records:-0}"
# every port was in TIME-WAIT (the first phase's records are all still there):
# every connect took a tuple in TIME-WAIT
[ "${recycled:-0}" -ge "$N" ] ||
	fail "TcpExtTWRecycled ${recycled:-0}: not all $N connects took a tuple in TIME-WAIT"
[ "${records:-0}" -le "$PORTS" ] || fail "$records TIME-WAIT records for $PORTS ports"
echo "PASS: $(cat "$T/on.log"); $recycled TIME-WAIT tuples taken again"
