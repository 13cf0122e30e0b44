#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synackd's start-up memory does not grow with limits.max_conns (issue 11):
the slot table and the tuple table are zero-filled and nothing walks them at
start, so their pages cost RSS only as connections use them. synackd started
with max_conns 4096 and with 1,048,576 (the maximum): the second may cost at
most 8 MiB more once ready (before, every slot and table entry was written at
start: about 1.3 KiB per slot, 1.3 GiB at the maximum). A connection through
the large table still works."""
import os
import socket

import synacktest as st

# meson test sets MALLOC_PERTURB_, which makes glibc fill every allocation,
# calloc's too: that would touch the very pages this test says stay untouched
os.environ.pop("MALLOC_PERTURB_", None)

SMALL, LARGE = 4096, 1048576


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    st.fail(f"no VmRSS for pid {pid}")


h = st.Harness("startup-memory")
h.make_tap()
rss = {}
for n in (SMALL, LARGE):
    d = h.start(h.config(f"limits:\n  max_conns: {n}\n  conns_per_uid: {n // 2}\n",
                         services={"echo": 7}))
    rss[n] = rss_kib(d.pid)
    if n == LARGE:
        s = socket.create_connection((st.OURS, 7), timeout=5)
        s.sendall(b"hello")
        st.check(s.recv(5) == b"hello", "an echo through the 1,048,576-slot table")
        s.close()
    d.stop()
extra = rss[LARGE] - rss[SMALL]
print(f"RSS once ready: {rss[SMALL]} KiB at max_conns {SMALL}, {rss[LARGE]} KiB at {LARGE}: "
      f"{extra} KiB more ({extra * 1024 / (LARGE - SMALL):.2f} bytes per extra slot)")
st.check(extra <= 8 * 1024, f"1,044,480 more slots cost {extra} KiB, at most 8 MiB")
