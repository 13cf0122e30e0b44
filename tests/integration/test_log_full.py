#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A reader of synackd's stderr that stops reading must not stop synackd.

synackd's stderr is a pipe (4 KiB) whose only reader is synackd itself, which
never reads it: a container log shim or a journal that went quiet. Every
`synackctl reload` logs a line; past the first few dozen the pipe is full.
With blocking writes synackd then stopped in write() for good and the next
reload never got its answer. Now each reload is answered, synackd answers a
ping, and the lines that found no room are counted in SynackLogDropped."""
import os
import sys

import synacktest as st

# stdout and stderr into a 4 KiB pipe; the read end stays open in synackd
WRAP = ("import fcntl, os, sys\n"
        "r, w = os.pipe()\n"
        "fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ\n"
        "os.set_inheritable(r, True)\n"
        "os.dup2(w, 1)\n"
        "os.dup2(w, 2)\n"
        "os.execv(sys.argv[1], sys.argv[1:])\n")
RELOADS = 300

h = st.Harness("log-full")
h.make_tap()
ctl = [os.environ.get("SYNACKCTL", "synackctl"), "-s", os.path.join(h.tmp, "control.sock")]
d = h.start(h.config(), prefix=[sys.executable, "-c", WRAP])

for i in range(RELOADS):
    try:
        r = st.run(ctl + ["reload"], check_rc=False, timeout=10)
        ok = r.returncode == 0
    except Exception as e:  # subprocess.TimeoutExpired: synackd is stuck
        ok, r = False, e
    if not ok:
        st.fail(f"reload {i + 1} of {RELOADS} not answered, its log line to a full pipe: {r}")
st.check(True, f"{RELOADS} reloads answered, each logging a line into a 4 KiB pipe nobody reads")
ok, out = h.ping(count=1)
st.check(ok, "synackd answers a ping")
stats = st.run(ctl + ["stats", "-z", "SynackLogDropped"]).stdout.split()
dropped = int(stats[stats.index("SynackLogDropped") + 1]) if "SynackLogDropped" in stats else -1
st.check(dropped > 0, f"the lines that found no room are counted (SynackLogDropped {dropped})")
st.check(d.alive(), "synackd is alive")
