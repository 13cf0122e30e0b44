#!/bin/sh
# SPDX-License-Identifier: MIT
# test-kill.sh - issue 5: killing a client mid-transfer ends the connection
# for the kernel peer, and synackd's connection and client counts (its
# sd_notify STATUS=) return to zero.
. "$(dirname "$0")/rpc-env.sh"
export NOTIFY_SOCKET="$T/notify"
rpc_bg $KPEER notify "$NOTIFY_SOCKET" 60 > "$T/notify.log" 2>&1
# bound before synackd starts: its STATUS= messages go there
for _ in $(seq 200); do
	[ -S "$NOTIFY_SOCKET" ] && break
	sleep 0.1
done
[ -S "$NOTIFY_SOCKET" ] || fail "kpeer.py notify did not bind $NOTIFY_SOCKET"
rpc_start_daemon
rpc_bg sh -c "timeout 60 nc -l 10.77.0.1 5000 > /dev/null; echo done > '$T/k.done'"
wait_kernel_listen 5000
# stdin inside sh -c: a background job's own stdin would be /dev/null
rpc_bg sh -c "exec '$SYNACK_NC' 10.77.0.1 5000 < /dev/zero"
C=$LAST_PID
wait_for_line "$T/notify.log" "1 connections established, 1 clients"
kill -9 "$C"
wait_for_line "$T/k.done" done
echo "ok: the kernel peer saw the connection end"
: > "$T/notify.log"
for _ in $(seq 150); do
	grep -q "0 connections established, 0 clients" "$T/notify.log" && break
	sleep 0.1
done
grep -q "0 connections established, 0 clients" "$T/notify.log" ||
	fail "synackd still counts the killed client's connection: $(tail -1 "$T/notify.log")"
echo "ok: synackd's connection and client counts are back to zero"
