#!/bin/sh
# SPDX-License-Identifier: MIT
# ctl-json-valid.sh EMIT - every JSON document synackctl writes parses with
# python3's json module (python3 -m json.tool); events are one per line.
set -eu
emit=$1
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for kind in conns conns-empty tunables counters status trace hostile; do
	"$emit" json "$kind" > "$tmp/$kind.json"
	if ! python3 -m json.tool "$tmp/$kind.json" > /dev/null; then
		echo "FAIL: $kind is not valid JSON:"; cat "$tmp/$kind.json"; exit 1
	fi
	echo "ok: $kind"
done

"$emit" json events > "$tmp/events"
lines=0
while IFS= read -r line; do
	printf '%s\n' "$line" | python3 -m json.tool > /dev/null || {
		echo "FAIL: event line is not a JSON object: $line"; exit 1; }
	lines=$((lines + 1))
done < "$tmp/events"
[ "$lines" -eq 2 ] || { echo "FAIL: expected 2 event lines, got $lines"; exit 1; }
echo "ok: events ($lines lines)"

# The decoded hostile strings are exactly what went in (invalid bytes as U+FFFD).
python3 - "$tmp/hostile.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["controls"] == "".join(chr(i) for i in range(1, 32)), d["controls"]
assert d["quotes"] == "\"'\\\"\\\\", d["quotes"]
assert d["utf8"] == "zoë ✓ 𝄞 日本"
assert d["invalid"] == "a\ufffd\ufffd\ufffd(\ufffd\ufffd\ufffdz", ascii(d["invalid"])
assert d["del"] == "\x7f"
assert d["ke\"y\n"] == "key escaped too"
print("ok: hostile strings round-trip")
PY

# conns: an array whose objects carry the fields the issue names.
python3 - "$tmp/conns.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
assert isinstance(rows, list) and len(rows) == 3
est = [r for r in rows if r["state"] == "ESTABLISHED"][0]
for k in ("id", "local", "remote", "recv_q", "send_q", "timer", "rtt_ms", "rttvar_ms",
          "rto_ms", "cwnd", "ssthresh", "mss", "wscale", "bytes_acked", "bytes_received",
          "retrans", "owner"):
    assert k in est, k
assert est["local"] == {"address": "10.77.0.2", "port": 80}
assert est["timer"] == {"name": "on", "remaining_ms": 204, "retransmits": 0}
print("ok: conns fields")
PY
