#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synackctl stats counters move as expected (TcpPassiveOpens for a kernel
connection, TcpActiveOpens for one synack opens, TcpOutRsts after a kill),
and kill aborts with RST: the kernel peer sees a reset, and an RPC client
owning the connection (synack-nc) is told and exits with its reset status."""

import socket
import subprocess
import time

import synacktest as st
from ctltest import DISCARD, Ctl, check


def delta(before, after, name):
    return after.get(name, 0) - before.get(name, 0)


def main():
    t = Ctl("ctl-stats")
    c0 = t.counters()
    check("TcpActiveOpens" in c0 and "TcpOutRsts" in c0, "stats -z lists nstat names")

    s = t.h.connect(DISCARD)
    port = s.getsockname()[1]
    conn = t.find(lambda c: c["remote"]["port"] == port and c["state"] == "ESTABLISHED")
    c1 = t.counters()
    check(delta(c0, c1, "TcpPassiveOpens") == 1, "TcpPassiveOpens +1 for the kernel's connection")
    check(c1.get("TcpCurrEstab") == 1, "TcpCurrEstab is 1")

    r = t.run("kill", "dport", "=", f":{port}", "--dry-run")
    check(r.stdout.startswith("would kill ESTAB"), f"kill --dry-run lists it: {r.stdout.strip()}")
    check(any(c["id"] == conn["id"] for c in t.conns()), "--dry-run kills nothing")
    r = t.run("kill", "dport", "=", f":{port}")
    check(r.stdout.startswith("killed ESTAB") and f"id:{conn['id']}" in r.stdout,
          f"kill reports the outcome: {r.stdout.strip()}")
    s.settimeout(5)
    try:
        s.sendall(b"x")
        got = s.recv(10)
        reset = False
    except ConnectionResetError:
        reset = True
    check(reset, "the kernel peer sees the reset")
    c2 = t.counters()
    check(delta(c1, c2, "TcpOutRsts") >= 1, f"TcpOutRsts +{delta(c1, c2, 'TcpOutRsts')} after kill")

    # synack opens: an RPC client's connection, then killed
    srv = socket.socket()
    srv.bind((st.KERNEL, 0))
    srv.listen(1)
    srv.settimeout(10)
    kport = srv.getsockname()[1]
    nc = t.nc(st.KERNEL, kport, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
              stderr=subprocess.PIPE)
    peer, _ = srv.accept()
    own = t.find(lambda c: c["remote"]["port"] == kport and c["state"] == "ESTABLISHED")
    c3 = t.counters()
    check(delta(c2, c3, "TcpActiveOpens") == 1, "TcpActiveOpens +1 for synack-nc's connection")
    table = t.run("conns", "-p", "dport", "=", f":{kport}").stdout
    check("synack-nc" in table or "pid=" in table, f"conns -p names the owner:\n{table}")
    r = t.run("kill", "dport", "=", f":{kport}")
    check(r.stdout.startswith("killed"), f"kill of an RPC client's connection: {r.stdout.strip()}")
    try:
        rc = nc.wait(5)
    except subprocess.TimeoutExpired:
        rc = None
    check(rc == 3, f"synack-nc is told its connection was reset (exit {rc}: "
                   f"{nc.stderr.read().decode(errors='replace').strip() if rc is not None else ''})")
    peer.settimeout(5)
    try:
        peer.recv(10)
        preset = False
    except ConnectionResetError:
        preset = True
    check(preset, "the kernel side of it sees the reset")
    c4 = t.counters()
    check(delta(c3, c4, "TcpOutRsts") >= 1, "TcpOutRsts moves again")
    check(not any(c["remote"]["port"] == kport for c in t.conns()), "the killed connection is gone")
    r = t.run("kill", "dport", "=", ":1", rc=0)
    check("no connection matches" in r.stderr, "kill with nothing matching says so")
    prom = t.run("stats", "--prometheus").stdout
    check("TcpOutRsts" in prom or "OutRsts" in prom, "stats --prometheus prints the counters")


if __name__ == "__main__":
    main()
