#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synackctl events -o json reports a fresh connection's transitions in
order, one JSON object per line, each with its cause."""

import json
import socket
import subprocess

import synacktest as st
from ctltest import DISCARD, ECHO, Ctl, Lines, check


def main():
    t = Ctl("ctl-events")
    ev = t.spawn("events", "-o", "json", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # subscribed once a throw-away connection's events show up
    lines = Lines(ev)
    early = []
    for _ in range(50):
        socket.create_connection((st.OURS, DISCARD), timeout=5).close()
        early += lines.read(0.2)
        if early:
            break
    check(early, "events is streaming")
    s = t.h.connect(ECHO)
    port = s.getsockname()[1]
    s.sendall(b"ping")
    check(s.recv(8) == b"ping", "echo answers")
    s.close()

    def closed(line):  # the connection's last transition
        e = json.loads(line) if line.strip() else {}
        return e.get("remote", {}).get("port") == port and e.get("to") == "CLOSED"

    # read until it is printed (10 s at most), then stop events
    late = lines.until(closed, timeout=10)
    ev.terminate()
    out, err = ev.communicate(timeout=5)
    check(ev.returncode == 0, f"events ends cleanly on SIGTERM ({ev.returncode}: {err!r})")
    text = "\n".join(early + late) + "\n" + lines.buf.decode() + out.decode()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    mine = [e for e in lines if e["remote"]["port"] == port]
    steps = [(e["from"], e["to"]) for e in mine]
    print("\n".join(f"{a} -> {b} ({e['cause']})" for (a, b), e in zip(steps, mine)))
    want = [("LISTEN", "SYN-RECEIVED"), ("SYN-RECEIVED", "ESTABLISHED"),
            ("ESTABLISHED", "CLOSE-WAIT"), ("CLOSE-WAIT", "LAST-ACK"), ("LAST-ACK", "CLOSED")]
    i = 0
    for s_ in steps:
        if i < len(want) and s_ == want[i]:
            i += 1
    check(i == len(want), f"the transitions come in order: {steps}")
    check(steps and steps[0] == ("LISTEN", "SYN-RECEIVED"),
          f"an accepted connection's events start where it starts, in LISTEN: {steps[:1]}")
    chained = all(steps[k][1] == steps[k + 1][0] for k in range(len(steps) - 1))
    check(chained, "each transition starts where the previous one ended")
    times = [e["monotonic_us"] for e in mine]
    check(times == sorted(times), "timestamps never go back")
    syn = [e for e in mine if e["to"] == "SYN-RECEIVED"][0]
    check(syn["cause"] == "rcv SYN" and syn["segment"]["flags"] == "SYN",
          f"the cause names the segment ({syn['cause']}, {syn['segment']})")
    check(len({e["id"] for e in mine}) == 1 and mine[0]["id"] > 0,
          "every event names the same connection id")


if __name__ == "__main__":
    main()
