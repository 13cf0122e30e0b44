#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""SIGTERM with connections open: shutdown.mode fin closes them with FIN and exits
once they are closed (well within shutdown.drain); mode rst resets them at once."""
import signal
import time

import synacktest as st

h = st.Harness("stop")
h.make_tap()

# graceful: FIN, then exit as soon as the kernel closes too
d = h.start(h.config(services={"echo": 7}) + "shutdown:\n  mode: fin\n  drain: 30s\n")
s = h.connect(7)
s.sendall(b"a")
st.check(s.recv(1) == b"a", "connection up")
t0 = time.monotonic()
d.send(signal.SIGTERM)
s.settimeout(10)
st.check(s.recv(16) == b"", "mode fin: the kernel got FIN")
s.close()
rc = d.p.wait(40)
el = time.monotonic() - t0
st.check(rc == 0, f"exit 0 after the connection closed ({el:.2f} s, drain 30 s)")
# well under the drain time: it left when the connection closed, not at 30 s
st.check(el < 15, "did not wait for the whole drain time")
d.wait_log(r"all connections closed; exiting")

# drain bound: the kernel never closes; synackd leaves after drain
d = h.start(h.config(services={"echo": 7}) + "shutdown:\n  mode: fin\n  drain: 1s\n")
s = h.connect(7)
s.sendall(b"b")
st.check(s.recv(1) == b"b", "connection up")
t0 = time.monotonic()
d.send(signal.SIGTERM)
rc = d.p.wait(30)
el = time.monotonic() - t0
# at least the 1 s drain, and under the 5 s default drain (slack for a busy machine)
st.check(rc == 0 and 0.9 <= el < 4.5,
         f"the peer never closes: exit 0 after the 1 s drain ({el:.2f} s)")
d.wait_log(r"drain time over")
s.close()

# abort: RST
d = h.start(h.config(services={"echo": 7}) + "shutdown:\n  mode: rst\n")
s = h.connect(7)
s.sendall(b"c")
st.check(s.recv(1) == b"c", "connection up")
d.send(signal.SIGTERM)
s.settimeout(5)
try:
    r = s.recv(16)
    reset = False
except ConnectionResetError:
    reset = True
st.check(reset, "mode rst: the kernel got RST")
st.check(d.p.wait(10) == 0, "exit 0")
