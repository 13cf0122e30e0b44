#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The old duplicate SYN (RFC 9293 §3.5, Figure 9; RFC 793's "half-open
connections and other anomalies"), live through synack's impairment stage:
`synackctl impair --dup 100% --match syn --dup-delay 3s --direction in`
delivers a copy of the kernel client's SYN 3 s after the original, when that
connection has long closed. synack's listener answers the old SYN with a
SYN,ACK; the kernel, which has no connection for it, answers RST; the
half-open child is dropped, the listener stays in LISTEN, and nothing reaches
the application: synack-nc -l -k accepted exactly one connection.
Checked in the counters (TcpPassiveOpens +2, TcpAttemptFails +1,
SynackImpairInDuplicated 1), in `synackctl trace` of the child (SYN, SYN,ACK,
RST; SYN-RECEIVED -> LISTEN), and in `synackctl status`. Then the impair:
section of the file is applied by `synackctl reload`."""

import json
import os
import re
import socket
import subprocess
import time

import synacktest as st
from ctltest import DISCARD, Ctl, Lines, check

PORT = 6000


def ctr(t, name):
    return t.counters().get(name)


def main():
    # TIME-WAIT of 2 x 250 ms: synack closes first, so its TIME-WAIT is over long before
    # the copy arrives and the SYN meets the listener, as in the RFC's figure
    t = Ctl("ctl-old-dup-syn", extra="tcp:\n  msl: 250ms\n")
    errf = open(os.path.join(t.h.tmp, "nc.err"), "w+")
    nc = t.nc("-l", "-k", "-d", "-v", PORT, stdout=subprocess.DEVNULL, stderr=errf)
    t.find(lambda c: c["state"] == "LISTEN" and c["local"]["port"] == PORT)
    # (before the rule, so these throw-away SYNs are not duplicated)
    # state events name the half-open child, whose history `trace` then shows
    ev = t.spawn("events", "-o", "json", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines, events = Lines(ev), []
    for _ in range(50):
        socket.create_connection((st.OURS, DISCARD), timeout=5).close()
        events += lines.read(0.2)
        if events:
            break
    check(events, "events is streaming")
    r = t.run("impair", "--dup", "100%", "--match", "syn", "--dup-delay", "3s",
              "--direction", "in", "--seed", "7")
    print(r.stdout, end="")
    check("duplicate 100% (copy 3s later)" in r.stdout and "match syn" in r.stdout,
          "synackctl impair shows the rule in force")
    status = t.run("status").stdout
    check(re.search(r"^impairment:  direction in, match syn, duplicate 100%", status, re.M),
          f"synackctl status shows it ({status.splitlines()[-1]})")
    opens0, fails0 = ctr(t, "TcpPassiveOpens"), ctr(t, "TcpAttemptFails")

    # one connection from the kernel: synack-nc sends FIN at once (-d), the kernel closes
    s = socket.socket()
    s.bind((st.KERNEL, 0))
    s.settimeout(10)
    cport = s.getsockname()[1]
    t0 = time.monotonic()
    s.connect((st.OURS, PORT))
    check(s.recv(10) == b"", "the kernel client reads synack's FIN")
    s.close()
    first = t.find(lambda c: c["remote"]["port"] == cport)
    print(f"the connection from port {cport} is {first['id']}")

    # the copy of its SYN arrives at t0 + 3 s; its handshake ends in the kernel's RST
    deadline = t0 + 10
    while time.monotonic() < deadline and ctr(t, "TcpAttemptFails") == fails0:
        time.sleep(0.1)
    took = time.monotonic() - t0
    check(ctr(t, "TcpAttemptFails") == fails0 + 1,
          f"the half-open child was dropped (TcpAttemptFails +1, {took:.1f} s after the SYN)")
    check(took >= 2.9, "... not before the copy was due (3 s)")
    check(ctr(t, "TcpPassiveOpens") == opens0 + 2,
          "the listener answered the old SYN (TcpPassiveOpens +2)")
    check(ctr(t, "SynackImpairInDuplicated") == 1 and ctr(t, "SynackImpairInMatched") == 1,
          "one SYN matched the rule and was duplicated (SynackImpairIn{Matched,Duplicated})")

    def reset(ln):  # the old SYN's child back to LISTEN, after SYN-RECEIVED
        e = json.loads(ln) if ln.strip() else {}
        return (e.get("remote", {}).get("port") == cport and e.get("id") != first["id"] and
                e.get("to") == "LISTEN")

    events = [json.loads(ln) for ln in events + lines.until(reset, timeout=10) if ln.strip()]
    mine = [e for e in events if e["remote"]["port"] == cport]
    for e in mine:
        print(f"  event: conn {e['id']} {e['from']} -> {e['to']} ({e['cause']})")
    child = [e for e in mine if e["id"] != first["id"]]
    moves = [(e["from"], e["to"], e["cause"]) for e in child]
    check(("LISTEN", "SYN-RECEIVED", "rcv SYN") in moves and
          ("SYN-RECEIVED", "LISTEN", "rcv RST") in moves and
          not any(to == "ESTABLISHED" for _, to, _ in moves),
          "events: the old SYN's child went SYN-RECEIVED -> LISTEN on the RST, never ESTABLISHED")
    # the child's history: the old SYN, our SYN,ACK, the kernel's RST
    ladder = t.run("trace", child[0]["id"]).stdout
    print(ladder)
    check(re.search(r"<-+ SYN seq=0 [^\n]*\n.*-+ SYN,ACK seq=0 ack=1 [^\n]*-+>\|"
                    r"(.|\n)*<-+ RST", ladder),
          "trace: the old SYN in, SYN,ACK out, the kernel's RST in")
    listener = t.find(lambda c: c["state"] == "LISTEN" and c["local"]["port"] == PORT)
    check(listener["state"] == "LISTEN", "the listener is still listening")
    check(not any(c["remote"]["port"] == cport and c["state"] != "LISTEN" for c in t.conns()
                  if c["state"] not in ("TIME-WAIT",)),
          "no connection is left for the old SYN's tuple")
    time.sleep(0.5)  # an accept would have reached synack-nc by now
    errf.seek(0)
    accepted = [ln for ln in errf.read().splitlines() if "connection from" in ln]
    check(len(accepted) == 1, f"the application accepted exactly one connection ({accepted})")
    check(nc.poll() is None, "synack-nc still listens")
    r = t.run("impair", "off")
    check("impairment: off" in r.stdout, "synackctl impair off clears it")
    check(t.run("status").stdout.rstrip().endswith("impairment:  off"), "... and status says so")

    # the impair: section is applied on reload too (and a reload puts the file's back)
    t.h.write_config(t.text + "impair:\n  loss: 2.5%\n  match: data,fin\n  direction: out\n",
                     "synackd-0.yaml")
    t.run("reload")
    status = t.run("status").stdout
    check("impairment:  direction out, match fin,data, loss 2.5%" in status,
          f"reload applies the file's impair: section ({status.splitlines()[-1]})")
    check(re.search(r"reload: link impairment on: loss 2.5%", t.d.log()),
          "... and logs it")


if __name__ == "__main__":
    main()
