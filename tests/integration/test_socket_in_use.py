#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synackd will not take over a socket path a live server listens on, and
finds out at once even when that server is hung: its backlog full, it
accepts nobody. synackd's check connected with a blocking connect() and
waited there for good; now it exits 1 saying another server listens there.
A stale socket file (nobody listening) is still replaced."""
import os
import socket
import subprocess

import synacktest as st

h = st.Harness("socket-in-use")
h.make_tap()
path = os.path.join(h.tmp, "busy.sock")
busy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
busy.bind(path)
busy.listen(0)
queued = []
while len(queued) < 64:  # fill its backlog: the next connect would wait
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.setblocking(False)
    try:
        c.connect(path)
    except BlockingIOError:
        c.close()
        break
    queued.append(c)
st.check(len(queued) >= 1, f"a hung server: backlog full after {len(queued)} connects")
d = h.start(h.config(rpc=path), wait_ready=False, notify=False)  # no TAP in an fd store
try:
    rc = d.p.wait(15)
except subprocess.TimeoutExpired:
    rc = None
st.check(rc == 1, f"synackd exits 1 at once (rc {rc})")
d.wait_log(r"another server is listening there", 1)
st.check(True, "... saying another server listens there")
for c in queued:
    c.close()
busy.close()  # the file stays: stale now
d = h.start(h.config(rpc=path))
st.check(d.alive(), "a stale socket file is replaced")
st.check(d.stop() == 0, "SIGTERM: synackd exits 0")
