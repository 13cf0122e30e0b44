#!/bin/sh
# SPDX-License-Identifier: MIT
# test-impair-transfer.sh SYNACKD SYNACK_NC RPC_CLIENT SYNACKCTL DIRECTION PROFILE
# (issue 10) - 50 MB (SIZE_MB) through synack's own impairment stage, both
# ways of the path impaired, the Linux kernel as the peer:
#   DIRECTION k2s: kernel nc -> synack-nc -l;  s2k: synack-nc -> kernel nc -l
#   PROFILE loss1: 1 % loss;  mix: 5 % loss, 2 % reorder, 1 % dup, 0.5 % corrupt
# The data arrives SHA-256-identical, both ends close in order (exit 0), and
# the impairment really acted (its counters, and for corruption the
# receivers' checksum-error counters). Goodput and the sender's retransmission
# counters are printed. A generous wall-clock timeout is only a safety net
# (before the SACK/RACK-TLP sender, synack -> kernel at the mix took 259 s;
# now about 10 s). Goodput against the kernel's own is the bench's job
# (tests/bench), not a timed assertion here.
. "$(dirname "$0")/rpc-env.sh"
SYNACKCTL=$4
DIR=$5
PROFILE=$6
MB=${SIZE_MB:-50}
LIMIT=${IMPAIR_TIMEOUT:-120}

case "$PROFILE" in
loss1) IMPAIR="impair: { loss: 1%, seed: 7 }" ;;
mix) IMPAIR="impair: { loss: 5%, reorder: 2%, duplicate: 1%, corrupt: 0.5%, seed: 7 }" ;;
*) fail "unknown profile $PROFILE" ;;
esac

rpc_start_daemon "$IMPAIR"
ctl() { "$SYNACKCTL" -s "$T/control.sock" "$@"; }
ctr() { ctl stats -z "$1" | awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }'; }
# the kernel's TCP InCsumErrors (/proc/net/snmp in this namespace)
kcsum() { awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["InCsumErrors"] }' /proc/net/snmp; }
kretrans() { awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RetransSegs"] }' /proc/net/snmp; }

ctl status | grep -q "^impairment:  direction both" || fail "synackctl status does not show the impairment: $(ctl status)"
head -c $((MB * 1000000)) /dev/urandom > "$T/data"
want=$(sha256sum < "$T/data" | cut -d' ' -f1)
k_csum0=$(kcsum)
k_retx0=$(kretrans)
t0=$(date +%s.%N)
if [ "$DIR" = s2k ]; then
	rpc_bg sh -c "timeout $LIMIT nc -N -l 10.77.0.1 5000 < /dev/null | sha256sum > '$T/got.sum'"
	R=$LAST_PID
	wait_kernel_listen 5000
	timeout "$LIMIT" "$SYNACK_NC" 10.77.0.1 5000 < "$T/data" || fail "synack-nc -> kernel: exit $?"
	wait "$R" || fail "kernel nc -l did not end cleanly"
else
	rpc_bg sh -c "timeout $LIMIT '$SYNACK_NC' -l -d 6000 | sha256sum > '$T/got.sum'; echo \$? > '$T/rc'"
	R=$LAST_PID
	wait_synack_listen 6000
	timeout "$LIMIT" nc -N 10.77.0.2 6000 < "$T/data" || fail "kernel nc -> synack-nc: nc exit $?"
	wait "$R" || fail "synack-nc -l did not end cleanly"
fi
t1=$(date +%s.%N)
[ "$(cut -d' ' -f1 "$T/got.sum")" = "$want" ] || fail "$DIR $PROFILE: data differs"
secs=$(echo "$t1 - $t0" | bc -l)
echo "ok: $DIR $PROFILE: $MB MB SHA-256 identical, orderly close, in $(printf %.1f "$secs") s" \
	"= $(echo "$MB * 8 / $secs" | bc -l | xargs printf %.1f) Mbit/s"

# what the impairment did, and what the senders had to do about it
for c in SynackImpairInDropped SynackImpairOutDropped SynackImpairInReordered \
	SynackImpairOutReordered SynackImpairInDuplicated SynackImpairOutDuplicated \
	SynackImpairInCorrupted SynackImpairOutCorrupted SynackImpairQueueOverflow \
	SynackImpairSegErrors TcpRetransSegs TcpExtTCPTimeouts TcpExtTCPFastRetrans \
	TcpInCsumErrors TcpExtTCPSackRecovery TcpExtTCPLossProbes TcpExtTCPLossProbeRecovery \
	TcpExtTCPDSACKUndo TcpExtTCPLossUndo; do
	eval "$c=$(ctr $c)"
	eval "echo \"  $c \$$c\""
done
k_csum=$(( $(kcsum) - k_csum0 ))
k_retx=$(( $(kretrans) - k_retx0 ))
echo "  kernel TCP InCsumErrors $k_csum, RetransSegs $k_retx"
[ "$SynackImpairInDropped" -gt 0 ] && [ "$SynackImpairOutDropped" -gt 0 ] ||
	fail "the impairment dropped nothing in one direction"
[ "$SynackImpairSegErrors" -eq 0 ] || fail "super-frames the stage could not cut"
if [ "$PROFILE" = mix ]; then
	[ "$SynackImpairInReordered" -gt 0 ] && [ "$SynackImpairOutReordered" -gt 0 ] &&
		[ "$SynackImpairInDuplicated" -gt 0 ] && [ "$SynackImpairOutDuplicated" -gt 0 ] ||
		fail "the mix did not reorder and duplicate both ways"
	# a corrupted frame fails the checksum at its receiver (a corrupted duplicate
	# twice). synack checks the checksum before anything else, so it counts every one;
	# Linux first drops a segment whose data offset is too small or points past its
	# end (a flip in those 4 bits, ~1.5 % of a pure ACK's header) without counting a
	# checksum error, so for the kernel the bound is 90 %.
	[ "$SynackImpairInCorrupted" -gt 0 ] && [ "$TcpInCsumErrors" -ge "$SynackImpairInCorrupted" ] ||
		fail "synack counted $TcpInCsumErrors checksum errors for $SynackImpairInCorrupted corrupted frames"
	[ "$SynackImpairOutCorrupted" -gt 0 ] && [ "$((k_csum * 10))" -ge "$((SynackImpairOutCorrupted * 9))" ] ||
		fail "the kernel counted $k_csum checksum errors for $SynackImpairOutCorrupted corrupted frames"
	echo "ok: corrupted frames failed their receiver's checksum" \
		"(synack $TcpInCsumErrors >= $SynackImpairInCorrupted, kernel $k_csum >= 90 % of $SynackImpairOutCorrupted)"
fi
kill -0 "$DAEMON_PID" || fail "synackd died"
