#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sd_notify without systemd: READY=1 (with STATUS=) once the TAP is up and the
sockets listen, WATCHDOG=1 at half of $WATCHDOG_USEC, RELOADING=1 + MONOTONIC_USEC=
then READY=1 on SIGHUP, STOPPING=1 on SIGTERM, all on a NOTIFY_SOCKET the test owns;
and FDSTORE=1 FDNAME=tap hands the TAP fd over."""
import os
import signal
import time

import synacktest as st

h = st.Harness("notify")
h.make_tap()
sock = os.path.join(h.tmp, "synackd.sock")
d = h.start(h.config(rpc=sock, services={"echo": 7}), env={"WATCHDOG_USEC": "400000"},
            wait_ready=False)
ready = d.wait_notify("READY=1", 15)
st.check(os.path.exists(sock), "READY=1 came after the rpc socket was bound")
ok, _ = h.ping(count=1)
st.check(ok, "the TAP answers once READY=1 arrived")
st.check(any(line.startswith("STATUS=") and st.TAP in line for line in ready.split("\n")),
         f"READY=1 carries STATUS= ({ready!r})")
store = [m for m in d.messages if "FDSTORE=1" in m.split("\n")]
st.check(store and "FDNAME=tap" in store[0].split("\n") and d.fds,
         f"FDSTORE=1 FDNAME=tap with an fd ({store})")
st.check(os.readlink(f"/proc/self/fd/{d.fds[0]}") == "/dev/net/tun", "the stored fd is the TAP")

# pings queued since READY=1 say nothing of the pace: read them (until 50 ms
# pass without one), then time 10 fresh ones: 9 intervals, 1.8 s at 200 ms,
# at least 3.6 s at the full 400 ms
for _ in range(100):
    if d._recv_notify(0.05) is None:
        break
t0 = time.monotonic()
for _ in range(10):
    d.wait_notify("WATCHDOG=1", 2)
el = time.monotonic() - t0
st.check(1.6 <= el < 3.5, f"WATCHDOG=1 about every 200 ms (WATCHDOG_USEC=400000): 10 in {el:.2f} s")

conn = h.connect(7)
deadline = time.monotonic() + 8
status = None
while time.monotonic() < deadline and status is None:
    d.wait_notify("WATCHDOG=1", 2)
    status = next((m for m in d.messages if "1 connections established" in m), None)
st.check(status is not None, f"STATUS= follows the connection count ({status!r})")
conn.close()

before = time.clock_gettime(time.CLOCK_MONOTONIC)
d.send(signal.SIGHUP)
msg = d.wait_notify("RELOADING=1", 5)
lines = msg.split("\n")
mono = [int(x.split("=", 1)[1]) for x in lines if x.startswith("MONOTONIC_USEC=")]
after = time.clock_gettime(time.CLOCK_MONOTONIC)
st.check(mono and before * 1e6 - 1000 <= mono[0] <= after * 1e6 + 1000,
         f"RELOADING=1 with MONOTONIC_USEC= of CLOCK_MONOTONIC ({msg!r})")
d.wait_notify("READY=1", 5)
st.check(True, "READY=1 after the reload")

d.send(signal.SIGTERM)
d.wait_notify("STOPPING=1", 5)
st.check(True, "STOPPING=1 on SIGTERM")
st.check(d.p.wait(10) == 0, "exit status 0")
st.check(not os.path.exists(sock), "the rpc socket file is removed on exit")
