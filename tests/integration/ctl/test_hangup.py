#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A control client that floods requests, so its session stops reading, and
then hangs up without reading the replies, is closed when the writes fail:
with reading stopped the daemon never sees EOF, so a failed write is the
only sign. Otherwise each such client leaves its session, its socket and one
of its uid's CTL_SESSIONS_PER_UID (8) slots behind for good. Nobody does it
9 times; then its synackctl must still get in and the daemon hold no more
descriptors than before."""

import os
import subprocess
import sys
import time

import synacktest as st
from ctltest import DISCARD, LIST_CONNS_FRAME, Ctl, check, nfds, wait_counter

CONNS = 400
MAX_QUEUED = 16 << 20  # CTL_SESSION_MAX_QUEUED
PER_UID = 8  # CTL_SESSIONS_PER_UID
NOBODY = ("nobody", "nogroup", [])

# as nobody, line by line from stdin: "flood" opens a session and sends one
# write of ListConns requests, "close" hangs it up without reading a reply
CLIENT = r"""
import socket, sys
path, frame = sys.argv[1], bytes.fromhex(sys.argv[2])
s = None
for line in sys.stdin:
    if line.strip() == "flood":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(frame * (16384 // len(frame)))
    else:
        s.close()
    print("done", flush=True)
"""


def main():
    if os.geteuid() != 0 or os.environ.get("SYNACK_TEST_USERNS"):
        st.skip("needs root: runs the client as nobody")
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    t = Ctl("ctl-hangup", mode="0666")
    socks = [t.h.connect(DISCARD) for _ in range(CONNS)]
    t.find(lambda c: c["remote"]["port"] == socks[-1].getsockname()[1])
    base_fds = nfds(t.d.pid)

    p = t.h.spawn([python, "-c", CLIENT, t.sock, LIST_CONNS_FRAME.hex()], user="nobody",
                  group="nogroup", stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def say(what):
        p.stdin.write(what + "\n")
        p.stdin.flush()
        check(p.stdout.readline().strip() == "done", f"the client did {what}")

    for i in range(PER_UID + 1):
        say("flood")
        check(wait_counter(t, "SynackClientQueuedBytes", lambda v: v >= MAX_QUEUED)
              is not None, f"flood {i + 1}: the session's output reached its bound")
        say("close")
        # the queued replies fail to go out (EPIPE) and are freed either way
        wait_counter(t, "SynackClientQueuedBytes", lambda v: v == 0, timeout=5)

    deadline = time.monotonic() + 10
    while nfds(t.d.pid) > base_fds and time.monotonic() < deadline:
        time.sleep(0.1)
    fds = nfds(t.d.pid)
    print(f"synackd holds {fds} descriptors, {base_fds} before the clients", flush=True)
    check(fds <= base_fds, f"every hung-up session is closed ({fds} fds, {base_fds} before)")
    check(t.counters()["SynackClientQueuedBytes"] == 0, "nothing left queued")
    t.run("ping", user=NOBODY)
    check(True, f"nobody's synackctl still gets in after {PER_UID + 1} such clients")
    p.stdin.close()
    p.wait(10)
    check(t.d.alive(), "synackd is alive")
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
