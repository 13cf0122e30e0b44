#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A control client that pipelines requests without reading the replies holds
at most CTL_SESSION_MAX_QUEUED (16 MiB) of replies: the requests past that
stay unread (in the session's read buffer, then the kernel's socket buffer)
until the replies drain, however many one read brings. With 400 connections
one 16 KiB write carries 1,820 ListConns requests whose replies (~24 KB each)
came to 43.8 MB when a whole read was handled before the bound was checked. The flood comes from an unprivileged uid (nobody, socket
mode 0666, no reading group); root's and nobody's synackctl still answer
while it is held, and every request is answered once the client reads."""

import os
import subprocess
import sys
import time

import synacktest as st
from ctltest import DISCARD, LIST_CONNS_FRAME, Ctl, check, rss_kib, wait_counter

CONNS = 400
MAX_QUEUED = 16 << 20  # CTL_SESSION_MAX_QUEUED
NOBODY = ("nobody", "nogroup", [])

# as nobody: one write of ListConns requests; on a line from stdin, read every reply
CLIENT = r"""
import socket, struct, sys
path, frame = sys.argv[1], bytes.fromhex(sys.argv[2])
n = 16384 // len(frame)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.sendall(frame * n)
print(n, flush=True)
sys.stdin.readline()
s.settimeout(30)
got, buf = 0, b""
while got < n:
    chunk = s.recv(1 << 16)
    if not chunk:
        break
    buf += chunk
    while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
        buf = buf[4 + struct.unpack(">I", buf[:4])[0]:]
        got += 1
print(got, flush=True)
"""


def main():
    if os.geteuid() != 0 or os.environ.get("SYNACK_TEST_USERNS"):
        st.skip("needs root: runs the client as nobody")
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    t = Ctl("ctl-flood", mode="0666")
    socks = [t.h.connect(DISCARD) for _ in range(CONNS)]
    t.find(lambda c: c["remote"]["port"] == socks[-1].getsockname()[1])
    base_rss = rss_kib(t.d.pid)
    base_req = t.counters()["SynackCtlRequests"]

    p = t.h.spawn([python, "-c", CLIENT, t.sock, LIST_CONNS_FRAME.hex()], user="nobody",
                  group="nogroup", stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    sent = int(p.stdout.readline())
    # the queue grows until the session stops taking requests, then holds still
    last = -1
    for _ in range(100):
        queued = t.counters()["SynackClientQueuedBytes"]
        if queued == last and queued > 0:
            break
        last = queued
        time.sleep(0.3)
    c = t.counters()
    queued, handled = c["SynackClientQueuedBytes"], c["SynackCtlRequests"] - base_req
    grown = (rss_kib(t.d.pid) - base_rss) << 10
    print(f"sent {sent} requests in one write; {handled} handled, {queued} bytes queued, "
          f"RSS +{grown >> 10} KiB", flush=True)
    check(queued <= MAX_QUEUED * 1.1,
          f"replies queued to one session within 16 MiB + 10 % ({queued} bytes)")
    if not st.rss_meaningful():
        print("RSS not checked: synackd is built with AddressSanitizer", flush=True)
    else:
        check(grown <= MAX_QUEUED * 1.1 + (2 << 20),
              f"RSS grew by the bound + 10 % + 2 MiB at most ({grown >> 10} KiB)")
    check(handled < sent, f"the requests past the bound are held back ({handled} of {sent})")

    t.run("ping")
    t.run("stats", user=NOBODY)
    check(True, "root's and nobody's synackctl answer while the flood is held")

    p.stdin.write("read\n")
    p.stdin.flush()
    got = int(p.stdout.readline())
    check(got == sent, f"every request held back is answered once the client reads ({got})")
    check(wait_counter(t, "SynackClientQueuedBytes", lambda v: v == 0) is not None,
          "nothing left queued")
    p.wait(10)
    check(t.d.alive(), "synackd is alive")
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
