#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synackd attaches to a persistent TAP owned by its user with no capabilities at all
(run as nobody through setpriv with every capability set cleared), skips the link
configuration it is not allowed to do, and serves; a TAP owned by someone else is
refused with a clear message."""
import os
import shutil
import stat

import synacktest as st

h = st.Harness("nocap", need_named_netns=True)
if not st.have("setpriv"):
    st.skip("setpriv (util-linux) is not installed")
NOBODY = 65534
h.make_tap(user=NOBODY, up=True)
h.make_tap("sk1", user=0)
# a copy nobody can execute, and a socket directory nobody can write
exe = os.path.join(h.tmp, "synackd")
shutil.copy(h.synackd, exe)
os.chmod(exe, 0o755)
run = os.path.join(h.tmp, "run")
os.mkdir(run)
os.chown(run, NOBODY, NOBODY)
# /dev/net/tun is normally 0666; where it is not, give synackd (only) a 0666 node for
# the same device in a private mount namespace instead of touching the host's
wrap = []
if os.stat("/dev/net/tun").st_mode & 0o006 != 0o006:
    node = os.path.join(h.tmp, "tun")
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(10, 200))
    os.chmod(node, 0o666)
    wrap = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
            'mount --bind "$0" /dev/net/tun && exec "$@"', node]
setpriv = wrap + ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
           "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
cfg = h.config(services={"echo": 7}, rpc=f"{run}/synackd.sock", control=f"{run}/control.sock")

d = h.start(argv=setpriv + [exe, "--config", h.write_config(cfg, "nocap.yaml")])
status = open(f"/proc/{d.pid}/status").read()
caps = {l.split(":")[0]: l.split()[1] for l in status.splitlines() if l.startswith("Cap")}
st.check(caps["CapEff"] == "0" * 16 and caps["CapPrm"] == "0" * 16 and
         caps["CapBnd"] == "0" * 16, f"synackd runs with no capabilities ({caps})")
st.check(f"Uid:\t{NOBODY}" in status, "as nobody")
d.wait_log(r"no CAP_NET_ADMIN, leaving its state")
ok, _ = h.ping(count=2)
st.check(ok, "ping through the user-owned TAP")
s = h.connect(7)
s.sendall(b"unprivileged")
st.check(s.recv(64) == b"unprivileged", "echo through the user-owned TAP")
s.close()
st.check(d.stop() == 0, "stopped")

d = h.start(argv=setpriv + [exe, "--config", h.write_config(cfg.replace("tap: sk0", "tap: sk1"),
                                                            "other.yaml")], wait_ready=False)
rc = d.p.wait(10)
st.check(rc == 1, f"a TAP owned by root is refused (exit {rc})")
d.wait_log(r"TAP sk1: not allowed")
