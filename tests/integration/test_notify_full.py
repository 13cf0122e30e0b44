#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A service manager that does not read its notification socket must not stop
synackd. The test owns NOTIFY_SOCKET and reads nothing while synackd reloads
(SIGHUP: RELOADING=1, then READY=1) until the socket's queue is full and more
reloads follow. synackd must go on reloading and answering pings; once the
socket is read, every RELOADING=1 and READY=1 arrives, in order. sd_notify()
blocked the loop here for good: the reload after the queue filled never
finished and pings went unanswered."""
import os
import re
import signal
import socket
import time

import synacktest as st

h = st.Harness("notify-full")
h.make_tap()
d = h.start(h.config())  # reads READY=1: the queue starts empty
CTL = [os.environ.get("SYNACKCTL", "synackctl"), "-s", os.path.join(h.tmp, "control.sock")]


def counter(name):
    for line in st.run(CTL + ["stats", "-z", name]).stdout.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] == name:
            return int(f[1])
    return None

with open("/proc/sys/net/unix/max_dgram_qlen") as f:
    qlen = int(f.read())
# two datagrams per reload: fill the queue, then 3 reloads more (6 datagrams wait)
reloads = qlen // 2 + 3


def applied():
    return len(re.findall(r"reload: .* applied", d.log()))


for i in range(reloads):
    before = applied()
    d.send(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while applied() == before and time.monotonic() < deadline:
        time.sleep(0.02)
    st.check(applied() > before,
             f"reload {i + 1} of {reloads} applied with {2 * i} notifications unread "
             f"(queue of {qlen})")
ok, out = h.ping(count=1)
st.check(ok, f"synackd answers a ping with its notification socket full ({out.strip()})")
d.wait_log(r"notification socket is full", 5)
pending = counter("SynackNotifyPending")
st.check(pending is not None and 1 <= pending <= 8,
         f"SynackNotifyPending counts the notifications waiting ({pending})")

# now read: every RELOADING=1 and READY=1, in order (the ones that waited are sent again)
got = []
deadline = time.monotonic() + 10
while len(got) < 2 * reloads and time.monotonic() < deadline:
    text = d._recv_notify(0.2)
    if text is None:
        continue
    kind = [ln for ln in text.split("\n") if ln in ("RELOADING=1", "READY=1")]
    got += kind
want = ["RELOADING=1", "READY=1"] * reloads
st.check(got == want, f"{2 * reloads} notifications, in order, once read (got {got})")
st.check(counter("SynackNotifyPending") == 0, "none waits once the socket is read")
st.check(counter("SynackNotifyDropped") == 0,
         "none of those dropped (no status line or watchdog ping came meanwhile)")

d.send(signal.SIGTERM)
d.wait_notify("STOPPING=1", 5)
st.check(d.p.wait(10) == 0, "exit status 0")

# a manager whose queue is full before synackd starts
path = os.path.join(h.tmp, "full-at-start.sock")
mgr = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
mgr.bind(path)
os.chmod(path, 0o777)
filler = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
filler.setblocking(False)
queued = 0
try:
    while queued < 1000:
        filler.sendto(b"FILLER=1", path)
        queued += 1
except BlockingIOError:
    pass
st.check(queued >= 1, f"the manager's queue is full ({queued} datagrams)")
d2 = h.start(h.config(), env={"NOTIFY_SOCKET": path}, notify=False, wait_ready=False)
d2.wait_log(r"ready: ", 15)
ok, _ = h.ping(count=1)
st.check(ok, "synackd started and answers a ping with its manager's queue full")
mgr.settimeout(0.2)
seen = []
deadline = time.monotonic() + 10
while "READY=1" not in seen and time.monotonic() < deadline:
    try:
        seen += mgr.recv(4096).decode().split("\n")
    except socket.timeout:
        pass
st.check("READY=1" in seen, "READY=1 arrives once the manager reads")
d2.send(signal.SIGTERM)
st.check(d2.p.wait(10) == 0, "exit status 0")
