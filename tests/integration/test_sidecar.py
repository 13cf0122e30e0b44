#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The sidecar case: synackd runs inside an existing network namespace, either
started under `ip netns exec NS` or given `--netns /run/netns/NS` from outside;
the TAP appears in that namespace only, and the kernel there reaches synack."""
import os
import subprocess

import synacktest as st

h = st.Harness("sidecar", need_named_netns=True)
tap = f"skc{os.getpid() % 100000}"
h.make_tap(tap)


def tap_in_host():
    return subprocess.run(["ip", "link", "show", tap], capture_output=True,
                          preexec_fn=h.in_orig_ns()).returncode == 0


st.check(not tap_in_host(), f"{tap} exists only in the test's namespace")

# 1. started from the host namespace under ip netns exec
d = h.start(h.config(tap=tap), prefix=["ip", "netns", "exec", h.netns],
            preexec_fn=h.in_orig_ns())
ok, out = h.ping(count=2)
st.check(ok, f"under ip netns exec {h.netns}: ping gets replies")
st.check(d.stop() == 0, "stopped")

# 2. started in the host namespace with --netns PATH
d = h.start(h.config(tap=tap), args=["--netns", f"/run/netns/{h.netns}"],
            preexec_fn=h.in_orig_ns())
d.wait_log(rf"running in network namespace /run/netns/{h.netns}")
ok, out = h.ping(count=2)
st.check(ok, f"with --netns /run/netns/{h.netns}: ping gets replies")
st.check(not tap_in_host(), "nothing was created in the host namespace")
st.check(os.path.exists(os.path.join(h.tmp, "synackd.sock")),
         "the app socket is in a shared directory")
st.check(d.stop() == 0, "stopped")

# 3. the namespace from the config (interface.netns)
d = h.start(h.config(tap=tap).replace("interface:\n", f"interface:\n  netns: /run/netns/{h.netns}\n", 1),
            preexec_fn=h.in_orig_ns())
ok, out = h.ping(count=1)
st.check(ok, "with interface.netns in the config: ping gets replies")
st.check(d.stop() == 0, "stopped")
