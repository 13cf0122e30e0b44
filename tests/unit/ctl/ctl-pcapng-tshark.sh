#!/bin/sh
# SPDX-License-Identifier: MIT
# ctl-pcapng-tshark.sh EMIT - a pcapng file from the writer reads back in
# tshark with the right packet count, link type, interface name and
# per-packet direction. Skips (77) without tshark.
set -eu
emit=$1
command -v tshark >/dev/null 2>&1 || { echo "SKIP: tshark not installed (apt-get install tshark)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
f=$tmp/cap.pcapng

"$emit" pcapng "$f" 5
# tshark refuses to run as root unless told it may; keep its config out of $HOME
export WIRESHARK_CONFIG_DIR="$tmp"
tshark -r "$f" -T fields -E separator=, \
	-e frame.number -e frame.packet_flags_direction -e frame.interface_name -e ip.src -e tcp.srcport \
	> "$tmp/out" 2> "$tmp/err" || { echo "FAIL: tshark could not read the file:"; cat "$tmp/err"; exit 1; }
# tshark writes the direction bits as 1/2 or as 0x00000001/0x00000002 by version
sed 's/,0x0*\([0-9a-f]\),/,\1,/' "$tmp/out" > "$tmp/norm"
cat "$tmp/norm"
count=$(wc -l < "$tmp/norm")
[ "$count" -eq 5 ] || { echo "FAIL: expected 5 packets, tshark read $count"; exit 1; }
# epb_flags direction: 2 outbound (frames 1, 3, 5), 1 inbound (2, 4)
expect="1,2,synack0,10.77.0.2,40000
2,1,synack0,10.77.0.1,80
3,2,synack0,10.77.0.2,40000
4,1,synack0,10.77.0.1,80
5,2,synack0,10.77.0.2,40000"
[ "$(cat "$tmp/norm")" = "$expect" ] || { echo "FAIL: expected"; echo "$expect"; exit 1; }
if command -v capinfos >/dev/null 2>&1; then
	info=$(capinfos -t -E "$f")
	printf '%s\n' "$info"
	case $info in *pcapng*) ;; *) echo "FAIL: not read as pcapng"; exit 1 ;; esac
	case $info in *Ethernet*) ;; *) echo "FAIL: link type is not Ethernet"; exit 1 ;; esac
fi
echo "ok: tshark read 5 packets with their directions"
