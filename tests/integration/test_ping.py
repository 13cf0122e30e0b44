#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ping from the kernel side gets replies from synackd, and ARP resolves both ways:
the kernel learns synack's MAC from an ARP reply, and synack asks the kernel for
its MAC (checked on the wire with a packet socket while the kernel holds a static
entry for synack, so only synack's own ARP request can resolve the reply path)."""
import socket
import struct
import time

import synacktest as st

h = st.Harness("ping")
if not st.have("ping"):
    st.skip("ping (iputils-ping) is not installed")
h.make_tap()
d = h.start(h.config())
mac = d.mac()
out = st.run(["ip", "-o", "link", "show", st.TAP]).stdout
kmac = out.split("link/ether ")[1].split()[0]
st.check("state UP" in out or "UP" in out.split("<")[1].split(">")[0],
         f"synackd brought {st.TAP} up (rtnetlink)")
st.check(f"{st.KERNEL}/{st.PREFIX}" in st.run(["ip", "-o", "addr", "show", st.TAP]).stdout,
         "synackd gave the kernel side its address (rtnetlink)")

# 1. synack resolves the kernel: the kernel never asks (static entry), so synack must.
st.run(["ip", "neigh", "replace", st.OURS, "lladdr", mac, "nud", "permanent", "dev", st.TAP])
# ETH_P_ALL: a protocol-bound packet socket never sees the kernel's outgoing frames
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
sniff.bind((st.TAP, 0))
sniff.settimeout(0.2)
ok, out = h.ping(count=2)
st.check(ok, "ping with a static neighbour entry gets replies (synack resolved the kernel)")
seen_req = seen_rep = False
deadline = time.monotonic() + 2
while time.monotonic() < deadline and not (seen_req and seen_rep):
    try:
        f = sniff.recv(2048)
    except socket.timeout:
        continue
    if len(f) < 42 or f[12:14] != b"\x08\x06":
        continue
    op = struct.unpack("!H", f[20:22])[0]
    sha = ":".join(f"{b:02x}" for b in f[22:28])
    spa = socket.inet_ntoa(f[28:32])
    tpa = socket.inet_ntoa(f[38:42])
    if op == 1 and sha == mac and spa == st.OURS and tpa == st.KERNEL:
        seen_req = True
    if op == 2 and sha == kmac and spa == st.KERNEL and tpa == st.OURS:
        seen_rep = True
sniff.close()
st.check(seen_req, f"synack sent 'who-has {st.KERNEL} tell {st.OURS}' from {mac}")
st.check(seen_rep, f"the kernel answered with {kmac}")

# 2. the kernel resolves synack
st.run(["ip", "neigh", "del", st.OURS, "dev", st.TAP])
ok, out = h.ping(count=3)
st.check(ok, "ping 3 packets: all replies")
st.check(" 0% packet loss" in out, "no packet lost")
neigh = st.run(["ip", "neigh", "show", st.OURS, "dev", st.TAP]).stdout
st.check(f"lladdr {mac}" in neigh and "PERMANENT" not in neigh,
         f"the kernel learned synack's MAC over ARP ({neigh.strip()})")

# larger than the MTU: fragmented echo requests are reassembled and answered
r = st.run(["ping", "-c", "2", "-i", "0.2", "-W", "2", "-s", "4000", st.OURS], check_rc=False)
st.check(r.returncode == 0, "ping -s 4000 (fragmented both ways) gets replies")

st.check(d.stop() == 0, "SIGTERM: synackd exits 0")
