#!/bin/sh
# SPDX-License-Identifier: MIT
# test-short-conns.sh - issue 11: short connections through libsynack take
# fewer round trips to synackd. synack_connect_data() hands the first bytes
# over while the SYN is out, so they leave with the handshake's last ACK
# (checked on the wire: no bare ACK between synack's SYN and its first data);
# synack_close() does not wait, and yet a closed connection's slot is free
# for the next connect (conns_per_client 2, 50 in a row) and a client that
# closes and exits at once loses none of what it wrote (1 MiB, checked by
# the kernel's sink). And synackd reads the kernel's SYN-ACK back at once,
# within the Connect (the kernel answers inside the SYN's write): at least
# 90 % of the Connects have their handshake over before the reply
# (SynackRpcConnectsInline). Not every one: 1 of 51 missed in one CI run
# (2026-12-07), presumably because the other CPU was sending on the TAP at
# that moment (the kernel's ACKs for the 1 MiB) and the TAP's queueing
# discipline (pfifo_fast) sent the SYN-ACK from there just after the write.
# Below 90 %, one more round is measured on its own: the misses depend on
# what the other CPU does at the time.
# Batches to a client that keeps up are written at once, by synackd itself
# (SynackRpcWritesQueued at most half the writes), and libsynack's
# blocking calls still work once the program made the session non-blocking.
. "$(dirname "$0")/rpc-env.sh"
SYNACKCTL="$(dirname "$RPC_CLIENT")/../../../ctl/synackctl"

command -v tcpdump >/dev/null || { echo "SKIP: tcpdump not installed"; exit 77; }
rpc_start_daemon "limits: { conns_per_client: 2 }"
rpc_bg $KPEER echo 10.77.0.1 7000 > "$T/echo.log" 2>&1
wait_for_line "$T/echo.log" listening
rpc_bg $KPEER sink 10.77.0.1 7001 > "$T/sink.log" 2>&1
wait_for_line "$T/sink.log" listening
rpc_bg tcpdump -i sk0 -n -U -w "$T/short.pcap" \
	> "$T/tcpdump.log" 2>&1
wait_for_line "$T/tcpdump.log" listening
timeout 60 "$RPC_CLIENT" short 10.77.0.1 7000 7001 || fail "short connections"
wait_for_line "$T/sink.log" "sink:"
grep -q "sink: 1048576 bytes, ok" "$T/sink.log" || fail "the sink got $(cat "$T/sink.log")"
echo "ok: $(grep sink: "$T/sink.log") (closed without waiting, session gone at once)"
# the last frames reach tcpdump's file: the sink's FIN comes after every
# connection's first segments (a missing one is the wire check's to tell)
fin='tcp src port 7001 and tcp[tcpflags] & tcp-fin != 0'
for _ in $(seq 200); do
	[ -n "$(tcpdump -n -r "$T/short.pcap" "$fin" 2>/dev/null)" ] && break
	sleep 0.1
done
kill "$LAST_PID" 2>/dev/null || true
wait "$LAST_PID" 2>/dev/null || true
# per connection (source port), synack's segments in order: SYN, then the
# first must carry the request (a bare ACK there is a round trip lost)
tcpdump -n -r "$T/short.pcap" 2>/dev/null | awk '
	{ split($3, a, "."); port = a[5] }
	/Flags \[S\]/ { syn[port] = 1; next }
	syn[port] && !(port in first) { first[port] = ($0 ~ /length [1-9]/) }
	END {
		n = 0; with = 0
		for (p in first) { n++; with += first[p] }
		printf "%d connections, %d with the request right after the SYN\n", n, with
		exit !(n >= 50 && with == n)
	}' > "$T/wire.txt" || fail "on the wire: $(cat "$T/wire.txt")"
echo "ok: on the wire, $(cat "$T/wire.txt")"
get_stats() { stats=$(SYNACK_CONTROL=$T/control.sock "$SYNACKCTL" stats -z 2>&1) || fail "synackctl stats: $stats"; }
ctr() { printf '%s\n' "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
get_stats
opens=$(ctr TcpActiveOpens)
inline=$(ctr SynackRpcConnectsInline)
[ "${opens:-0}" -ge 50 ] || fail "TcpActiveOpens ${opens:-none}"
n=$opens
k=${inline:-0}
if [ "$k" -lt $((n - n / 10)) ]; then
	# misses come from the kernel's other CPU (see above), which a busy
	# machine may hold up more often: one more round, measured on its own
	echo "SynackRpcConnectsInline $k of $n Connects: measuring a second round"
	rpc_bg $KPEER sink 10.77.0.1 7002 > "$T/sink2.log" 2>&1
	wait_for_line "$T/sink2.log" listening
	timeout 60 "$RPC_CLIENT" short 10.77.0.1 7000 7002 || fail "short connections, second round"
	wait_for_line "$T/sink2.log" "sink:"
	get_stats
	n=$(($(ctr TcpActiveOpens) - opens))
	k=$(($(ctr SynackRpcConnectsInline) - ${inline:-0}))
	opens=$(ctr TcpActiveOpens)
	[ "$n" -ge 50 ] || fail "second round: TcpActiveOpens +$n"
fi
[ "$k" -ge $((n - n / 10)) ] ||
	fail "SynackRpcConnectsInline $k of $n Connects: SYN-ACKs waited for the poll"
echo "ok: $k of $n Connects established within the request ($(ctr SynackTapRxAnswers) frames read back)"
# a turn's replies and events go to the client in one write (rpc_session_flush):
# a short connection's Connect reply, its events and its Close reply are more
# frames than writes. With batching off (RPC_SESSION_BATCH_BYTES 1) it fails:
# one write per frame.
frames=$(ctr SynackRpcFramesOut)
writes=$(ctr SynackRpcWritesOut)
[ "${frames:-0}" -ge $((3 * opens)) ] || fail "SynackRpcFramesOut ${frames:-none} for $opens Connects"
[ "${writes:-0}" -gt 0 ] && [ $((writes * 3)) -le $((frames * 2)) ] ||
	fail "SynackRpcWritesOut ${writes:-none} for ${frames:-0} frames: not batched"
echo "ok: $frames frames to the client in $writes writes"
# a client that keeps up takes each batch whole at once: synackd writes it
# itself (frame_batch_try_send), libuv's queue is for a session whose socket
# is full or whose batch goes out while it takes requests (a Connect's reply
# with a data socket writes the batch before it). 0 of 58 here; at most half,
# so a loaded machine's timing does not fail it. With every batch sent
# through libuv it fails: queued = writes.
queued=$(ctr SynackRpcWritesQueued)
[ "${queued:-x}" != x ] && [ $((queued * 2)) -le "$writes" ] ||
	fail "SynackRpcWritesQueued ${queued:-none} of $writes writes: not written at once"
echo "ok: $queued of $writes writes waited in libuv's queue"
