#!/bin/sh
# SPDX-License-Identifier: MIT
# test-iperf3.sh - issue 12: unmodified iperf3 under synack-run, as client
# and as server, each direction, against the kernel's iperf3: every run
# completes, both ends count the same bytes, and the synack end reports
# retransmits and its congestion window (TCP_INFO through the runner).
. "$(dirname "$0")/preload-env.sh"
need iperf3
rpc_start_daemon
port=5300

# json FILE EXPR: a value from iperf3's -J output
json()
{
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

# run NAME SERVER_PREFIX CLIENT_PREFIX [CLIENT_ARGS]: one 2 s test
run()
{
	name=$1 sp=$2 cp=$3
	shift 3
	port=$((port + 1))
	srv=10.77.0.1
	[ "$sp" = run ] && srv=10.77.0.2
	if [ "$sp" = run ]; then
		"$RUN" iperf3 -s -4 -1 -p "$port" -J > "$T/s.$port.json" 2>&1 < /dev/null &
	else
		iperf3 -s -1 -B 10.77.0.1 -p "$port" -J > "$T/s.$port.json" 2>&1 < /dev/null &
	fi
	PIDS="$PIDS $!"
	sleep 0.5
	if [ "$cp" = run ]; then
		timeout 60 "$RUN" iperf3 -c "$srv" -p "$port" -t 2 -J "$@" > "$T/c.$port.json" \
			< /dev/null || fail "$name: iperf3 client: $(tail -5 "$T/c.$port.json")"
	else
		timeout 60 iperf3 -c "$srv" -p "$port" -t 2 -J "$@" > "$T/c.$port.json" \
			< /dev/null || fail "$name: iperf3 client: $(tail -5 "$T/c.$port.json")"
	fi
	sent=$(json "$T/c.$port.json" "d['end']['sum_sent']['bytes']")
	rcvd=$(json "$T/c.$port.json" "d['end']['sum_received']['bytes']")
	[ "$sent" -gt 0 ] && [ "$rcvd" -gt 0 ] || fail "$name: sent $sent, received $rcvd"
	mbps=$(json "$T/c.$port.json" "int(d['end']['sum_received']['bits_per_second'] / 1e6)")
	echo "ok: $name: $rcvd bytes, $mbps Mbit/s"
}

run "synack client -> kernel server" kernel run
run "kernel server -> synack client (-R)" kernel run -R
run "kernel client -> synack server" run kernel
run "synack server -> kernel client (-R)" run kernel -R
# the synack sender's TCP_INFO: iperf3 reports retransmits and cwnd per interval
f=$T/c.5301.json
json "$f" "d['end']['streams'][0]['sender']['retransmits']" > /dev/null ||
	fail "no retransmits from TCP_INFO"
cwnd=$(json "$f" "d['intervals'][0]['streams'][0]['snd_cwnd']")
[ "$cwnd" -gt 0 ] || fail "snd_cwnd $cwnd"
echo "ok: TCP_INFO under synack-run: retransmits reported, snd_cwnd $cwnd bytes"
