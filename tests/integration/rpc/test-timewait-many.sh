#!/bin/sh
# SPDX-License-Identifier: MIT
# test-timewait-many.sh - issue 9: a libsynack client opens and closes first
# CONNS (default 50,000) connections as fast as it can, to kernel listeners,
# with synackd's DEFAULT limits (max_conns 4096, msl 30s): every one must
# succeed, which needs TIME-WAIT outside the connection slots (before, the
# 4,093rd connect got ENOBUFS). Prints synackd's RSS per TIME-WAIT entry and
# the record's static size; checks with synackctl stats that every one is
# still in TIME-WAIT (none expired, none recycled).
. "$(dirname "$0")/rpc-env.sh"
N=${CONNS:-50000}
SYNACKCTL="$(dirname "$RPC_CLIENT")/../../../ctl/synackctl"
# Measuring RSS per entry: keep glibc from recycling freed 256 KiB socket
# buffers inside the heap (its mmap threshold grows after the first free),
# or the records land in memory the buffers already made resident and the
# delta says nothing. A fixed threshold maps and unmaps each buffer. (meson's
# MALLOC_PERTURB_ would also fill 1 MiB per connection: minutes, not seconds.)
export MALLOC_MMAP_THRESHOLD_=131072
unset MALLOC_PERTURB_
rpc_start_daemon
timeout 110 "$RPC_CLIENT" closefirst 10.77.0.1 7100 "$N" "$DAEMON_PID" ||
	fail "close-first connections"
export SYNACK_CONTROL=$T/control.sock
stats=$("$SYNACKCTL" stats 2>&1) || fail "synackctl stats: $stats"
ctr() { printf '%s\n' "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
echo "counters: TcpActiveOpens $(ctr TcpActiveOpens) SynackTcpTimeWait $(ctr SynackTcpTimeWait)" \
	"TcpExtTW $(ctr TcpExtTW) TcpExtTCPTimeWaitOverflow $(ctr TcpExtTCPTimeWaitOverflow)"
# every connection is still in TIME-WAIT: none expired, none recycled
[ "$(ctr TcpActiveOpens)" = "$((N + 8192))" ] ||
	fail "TcpActiveOpens $(ctr TcpActiveOpens), expected $N + 8192 to warm up"
[ "$(ctr TcpExtTW)" = "0" ] || [ -z "$(ctr TcpExtTW)" ] || fail "TIME-WAIT ended early"
[ -z "$(ctr TcpExtTCPTimeWaitOverflow)" ] || [ "$(ctr TcpExtTCPTimeWaitOverflow)" = 0 ] ||
	fail "TIME-WAIT records recycled: $(ctr TcpExtTCPTimeWaitOverflow)"
[ "$(ctr SynackTcpTimeWait)" = "$((N + 8192))" ] ||
	fail "SynackTcpTimeWait $(ctr SynackTcpTimeWait), expected $N + 8192 records"
echo "PASS: $N connections closed first, all in TIME-WAIT, none refused"
