#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Bulk transfer between the kernel and synackd's built-in servers:
100 MB to discard (RFC 863) arrives complete, 100 MB from chargen (RFC 864) arrive
with the right pattern, and echo (RFC 862) returns a SHA-256-identical stream.
Usage: test_transfer.py --offload on|off --mtu N [--mb N]"""
import argparse
import hashlib
import os
import socket
import threading
import time

import synacktest as st

ap = argparse.ArgumentParser()
ap.add_argument("--offload", choices=["on", "off"], default="on")
ap.add_argument("--mtu", type=int, default=1500)
ap.add_argument("--mb", type=int, default=100)
ap.add_argument("--echo-mb", type=int, default=32)
a = ap.parse_args()

TIMEOUT = 120  # seconds for any one transfer
MB = 1000 * 1000

h = st.Harness(f"xfer-{a.offload}-{a.mtu}")
h.make_tap()
cfg = h.config(services={"echo": 7, "discard": 9, "chargen": 19})
cfg = cfg.replace("interface:\n", f"interface:\n  mtu: {a.mtu}\n  offload: "
                  f"{'true' if a.offload == 'on' else 'false'}\n", 1)
d = h.start(cfg)
d.wait_log(rf"MTU {a.mtu}, offloads {a.offload}")
link = st.run(["ip", "-o", "link", "show", st.TAP]).stdout
st.check(f" mtu {a.mtu} " in link, f"the TAP's MTU is {a.mtu}")


def rate(n, t):
    return f"{n / MB:.0f} MB in {t:.2f} s = {n * 8 / t / 1e9:.2f} Gbit/s"


# discard: send, half-close, and wait for discard's FIN: it closes only after reading
# everything up to our FIN, so its FIN proves every byte arrived
s = h.connect(9, timeout=TIMEOUT)
buf = bytes(1 << 20)
t0 = time.monotonic()
left = a.mb * MB
while left:
    left -= s.send(buf[:min(left, len(buf))])
s.shutdown(socket.SHUT_WR)
st.check(s.recv(1) == b"", "discard closed after reading up to our FIN")
t = time.monotonic() - t0
s.close()
st.check(True, f"discard: {rate(a.mb * MB, t)}")

# chargen: read N MB and check every byte against the RFC 864 pattern
line = 74
pattern = b"".join(bytes((32 + (ln + i) % 95) for i in range(72)) + b"\r\n" for ln in range(95))
period = len(pattern)
reps = pattern * ((2 << 20) // period + 2)
s = h.connect(19, timeout=TIMEOUT)
got, bad = 0, None
t0 = time.monotonic()
while got < a.mb * MB:
    b = s.recv(1 << 20)
    if not b:
        break
    off = got % period
    if bad is None and b != reps[off:off + len(b)]:
        bad = got
    got += len(b)
t = time.monotonic() - t0
s.close()
st.check(got >= a.mb * MB, f"chargen: {rate(got, t)}")
st.check(bad is None, f"chargen: every byte follows the RFC 864 pattern (first bad at {bad})")

# echo: a writer thread and a reader; compare SHA-256 of both directions
data = os.urandom(4 << 20)
total = a.echo_mb * MB
s = h.connect(7, timeout=TIMEOUT)
sent_hash = hashlib.sha256()
werr = []


def writer():
    try:
        left = total
        i = 0
        while left:
            chunk = data[i % len(data):][:min(left, 256 << 10)]
            i += len(chunk)
            n = s.send(chunk)
            sent_hash.update(chunk[:n])
            left -= n
            i -= len(chunk) - n
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        werr.append(e)


t0 = time.monotonic()
w = threading.Thread(target=writer, daemon=True)
w.start()
recv_hash = hashlib.sha256()
got = 0
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    recv_hash.update(b)
    got += len(b)
t = time.monotonic() - t0
w.join(TIMEOUT)
s.close()
st.check(not werr, f"echo: writer finished ({werr})")
st.check(got == total, f"echo: {got} of {total} bytes came back, then echo closed")
st.check(recv_hash.hexdigest() == sent_hash.hexdigest(),
         f"echo: SHA-256 identical ({recv_hash.hexdigest()[:16]}...), {rate(got, t)}")

ok, out = h.ping(count=1)
st.check(ok, "still answers ping")
st.check(d.stop() == 0, "SIGTERM: synackd exits 0")
