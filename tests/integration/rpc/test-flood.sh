#!/bin/sh
# SPDX-License-Identifier: MIT
# test-flood.sh - issue 9: RPC clients that flood Info requests and never
# read the replies keep synackd within limits.buffered_per_client per client
# (+ its baseline + 10 %) while another client's transfer completes, and the
# memory goes back to the system once they hang up. 1 client, then 8. Under
# AddressSanitizer RSS says nothing (rpc-env.sh sets SYNACK_RSS_UNCHECKED):
# there the counters and the transfers are what is checked.
. "$(dirname "$0")/rpc-env.sh"
SYNACKCTL="$(dirname "$RPC_CLIENT")/../../../ctl/synackctl"
BUDGET_KIB=${FLOOD_BUDGET_KIB:-512}
# a short MSL: the transfers' TIME-WAIT connections (and their buffers) are
# gone before RSS is compared with the baseline; small socket buffers, so
# the transfer running during the flood adds little to what is measured
# (fixed: autotuning would grow them to megabytes)
rpc_start_daemon "limits: { buffered_per_client: ${BUDGET_KIB}KiB }
tcp: { msl: 100ms, send_buffer: 64KiB, recv_buffer: 64KiB, buffer_autotune: false }"
head -c 5000000 /dev/urandom > "$T/data"
want=$(sha256sum < "$T/data" | cut -d' ' -f1)

# transfer DATA through synack-nc to a kernel nc; TAG names the logs
transfer_start()
{
	rpc_bg sh -c "timeout 60 nc -N -l 10.77.0.1 5000 < /dev/null | sha256sum > '$T/k.$1'"
	K=$LAST_PID
	wait_kernel_listen 5000
	rpc_bg sh -c "timeout 60 '$SYNACK_NC' 10.77.0.1 5000 < '$T/data'; echo \$? > '$T/nc.$1'"
	N=$LAST_PID
}

transfer_check()
{
	wait "$N" || true
	wait "$K" || true
	[ "$(cat "$T/nc.$1")" = 0 ] || fail "$1: the well-behaved client's synack-nc failed"
	[ "$(cut -d' ' -f1 "$T/k.$1")" = "$want" ] || fail "$1: the well-behaved client's data differs"
}

# SynackRpcInputHeld: the holds of a session's input over its budget so far
# (synackctl's own errors go to stderr; a missing number fails the caller)
input_held()
{
	SYNACK_CONTROL=$T/control.sock "$SYNACKCTL" stats -z |
		awk '$1 == "SynackRpcInputHeld" { print $2 }'
}

# input_held's answer, or fail
counted()
{
	case $1 in
	'' | *[!0-9]*) fail "synackctl stats gave no SynackRpcInputHeld ('$1')" ;;
	esac
}

# a first transfer, so the baseline includes a connection's buffers once
transfer_start warmup
transfer_check warmup
sleep 0.5
held_before=$(input_held)
counted "$held_before"
for n in ${FLOOD_CLIENTS:-1 8}; do
	transfer_start "flood$n"
	timeout 50 "$RPC_CLIENT" flood "$n" 3000 "$DAEMON_PID" "$BUDGET_KIB" ||
		fail "$n never-reading clients"
	transfer_check "flood$n"
	kill -0 "$DAEMON_PID" || fail "synackd died"
	# the bound acted: the flooding clients' input was held, at least once
	# per client on average (a session may be held, let go and held again)
	held=$(input_held)
	counted "$held"
	[ $((held - held_before)) -ge "$n" ] ||
		fail "SynackRpcInputHeld rose by $((held - held_before)) for $n flooding clients: the budget held fewer"
	held_before=$held
	echo "flood$n: SynackRpcInputHeld $held"
done
grep -i "heap" "$T/synackd.log" | tail -5 || true
echo "ok: never-reading clients stayed within their budget; the other transfers arrived intact"
