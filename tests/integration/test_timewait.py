#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""With tcp.msl at 1s, a connection synack closes first leaves TIME-WAIT after 2 s
(Linux would hold it 60 s). Timed from synackd's debug log of state changes, which
carries the core's clock; then the kernel reuses the same 4-tuple."""
import re
import signal
import socket
import time

import synacktest as st

h = st.Harness("timewait")
h.make_tap()
extra = "tcp:\n  msl: 1s\nlog:\n  level: debug\n"
cfg_on = h.config(services={"echo": 7}) + extra
cfg_off = h.config(services={"echo": 0}) + extra
d = h.start(cfg_on)
path = h.write_config(cfg_on, "synackd-0.yaml")

s = h.connect(7)
port = s.getsockname()[1]
s.sendall(b"hello")
st.check(s.recv(16) == b"hello", "echo works")
h.write_config(cfg_off, "synackd-0.yaml")
d.send(signal.SIGHUP)
d.wait_notify("READY=1")
s.settimeout(10)
st.check(s.recv(16) == b"", "synack closed first (FIN)")
s.close()
tw = d.wait_log(rf"tcp {st.OURS}:7 {st.KERNEL}:{port}: \S+ -> TIME-WAIT at (\d+)\.(\d+)")
t_tw = int(tw.group(1)) + int(tw.group(2)) / 1e6
t_seen = time.monotonic()
cl = d.wait_log(rf"tcp {st.OURS}:7 {st.KERNEL}:{port}: TIME-WAIT -> CLOSED at (\d+)\.(\d+)",
                timeout=20)
t_cl = int(cl.group(1)) + int(cl.group(2)) / 1e6
held = t_cl - t_tw
# at least 2 x msl; the upper bounds leave room for a busy machine and are
# still far from the 60 s of Linux or of the default msl (30 s)
st.check(1.95 <= held <= 10, f"TIME-WAIT lasted {held:.3f} s (2 x msl = 2 s)")
st.check(time.monotonic() - t_seen < 20, "observed well before Linux's 60 s")

# the same 4-tuple again, once echo listens again
h.write_config(cfg_on, "synackd-0.yaml")
d.send(signal.SIGHUP)
d.wait_notify("READY=1")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((st.KERNEL, port))
s.settimeout(5)
s.connect((st.OURS, 7))
s.sendall(b"again")
st.check(s.recv(16) == b"again", f"the kernel reuses {st.KERNEL}:{port} -> {st.OURS}:7")
s.close()
st.check(d.stop() == 0, "SIGTERM: synackd exits 0")
