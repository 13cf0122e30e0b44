#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Flow control through the built-in servers: a client that sends to echo but never
reads, and a client that never reads chargen, are held back by TCP windows, not by
daemon memory. The bytes in flight stay within the buffers (kernel socket buffers,
synack's send and receive buffers, one echo read) and synackd's RSS stays flat;
afterwards both connections still work."""
import socket
import time

import synacktest as st

h = st.Harness("flow")
h.make_tap()
d = h.start(h.config(services={"echo": 7, "chargen": 19}))


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


base = rss_kb(d.pid)

# echo, never read: the send side must stall
s = h.connect(7)
s.setblocking(False)
chunk = bytes(65536)
taken = 0
stalled_since = None
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    try:
        taken += s.send(chunk)
        stalled_since = None
    except BlockingIOError:
        if stalled_since is None:
            stalled_since = time.monotonic()
        elif time.monotonic() - stalled_since > 1.0:
            break
        time.sleep(0.01)
st.check(stalled_since is not None, "echo without reading: the sender stalls")
st.check(taken < 32 << 20, f"echo: {taken / 1e6:.1f} MB in flight when stalled (buffers only)")

# chargen, never read
c = h.connect(19)
c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
time.sleep(1.0)
grown = rss_kb(d.pid) - base
st.check(grown < 16 << 10, f"synackd's RSS grew {grown} KiB with two stalled connections")
time.sleep(1.0)
grown2 = rss_kb(d.pid) - base
st.check(grown2 - grown < 1024, f"... and stays there ({grown2} KiB after another second)")

# both still work once read
s.setblocking(True)
s.settimeout(10)
got = 0
s.shutdown(socket.SHUT_WR)
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    got += len(b)
st.check(got == taken, f"echo: all {taken} bytes come back once read, then FIN")
c.settimeout(5)
n = 0
while n < 10 << 20:
    b = c.recv(1 << 20)
    if not b:
        break
    n += len(b)
st.check(n >= 10 << 20, "chargen resumes when read")
s.close()
c.close()
st.check(d.stop() == 0, "SIGTERM: synackd exits 0")
