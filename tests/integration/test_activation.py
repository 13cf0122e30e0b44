#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Socket activation and the fd store, without systemd as PID 1:
- systemd-socket-activate passes the rpc and control sockets by name
  (FileDescriptorName=), and synackd serves those instead of binding its own paths;
- the TAP fd synackd stores (FDSTORE=1 FDNAME=tap) keeps a TAP synackd created
  alive across a restart, and the next synackd takes it back from $LISTEN_FDS."""
import os
import socket
import subprocess
import time

import synacktest as st

h = st.Harness("activation")
if not st.have("systemd-socket-activate"):
    st.skip("systemd-socket-activate is not installed")

# ---- socket activation by name ----
h.make_tap()
act_rpc = os.path.join(h.tmp, "act-rpc.sock")
act_ctl = os.path.join(h.tmp, "act-ctl.sock")
own_rpc = os.path.join(h.tmp, "own-rpc.sock")
own_ctl = os.path.join(h.tmp, "own-ctl.sock")
cfg = h.write_config(h.config(rpc=own_rpc, control=own_ctl), "activated.yaml")
d = h.start(argv=["systemd-socket-activate", "-l", act_rpc, "-l", act_ctl,
                  "--fdname=rpc:control", "-E", "NOTIFY_SOCKET", h.synackd, "--config", cfg],
            wait_ready=False)
# systemd-socket-activate starts the program on the first connection, like systemd does
deadline = time.monotonic() + 5
while not os.path.exists(act_rpc) and time.monotonic() < deadline:
    time.sleep(0.05)
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect(act_rpc)
d.wait_notify("READY=1", 15)



def accept_queue(path):
    """Connections waiting in a listening Unix socket's accept queue (ss Recv-Q)."""
    for line in st.run(["ss", "-xlnH"]).stdout.splitlines():
        f = line.split()
        if path in f:
            return int(f[2])
    return None


deadline = time.monotonic() + 5
while accept_queue(act_rpc) != 0 and time.monotonic() < deadline:
    time.sleep(0.05)
st.check(accept_queue(act_rpc) == 0, "synackd accepted the connection queued before it started")
client.close()
d.wait_log(r"rpc socket: socket-activated")
d.wait_log(r"control socket: socket-activated")
st.check(not os.path.exists(own_rpc) and not os.path.exists(own_ctl),
         "the configured socket paths were not bound")
ss = st.run(["ss", "-xlpn"]).stdout
for path in (act_rpc, act_ctl):
    line = [x for x in ss.splitlines() if path in x]
    st.check(line and f"pid={d.pid}," in line[0], f"synackd (pid {d.pid}) listens on {path}")
ok, _ = h.ping(count=1)
st.check(ok, "the activated synackd answers ping")
st.check(d.stop() == 0, "SIGTERM: exit 0")

# ---- the fd store keeps a TAP synackd created ----
st.run(["ip", "link", "del", st.TAP])
d = h.start(h.config())
st.check(len(d.fds) == 1, "synackd stored its TAP fd (FDSTORE=1 FDNAME=tap)")
tapfd = d.fds[0]
mac = d.mac()
st.check(d.stop() == 0, "first synackd stopped")
st.check(st.run(["ip", "link", "show", st.TAP], check_rc=False).returncode == 0,
         "the TAP outlives synackd while its fd is stored")
wrapper = 'export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=tap; exec "$0" "$@"'
d2 = h.start(argv=["sh", "-c", wrapper, h.synackd, "--config",
                   h.write_config(h.config(), "second.yaml")],
             preexec_fn=lambda: os.dup2(tapfd, 3), pass_fds=(3,), keep_fds=(tapfd,))
d2.wait_log(r"TAP sk0: reusing the fd from the service manager's fd store")
st.check(d2.mac() == mac, "same TAP, same MAC")
ok, _ = h.ping(count=2)
st.check(ok, "the restarted synackd answers ping on the kept TAP")
st.check(d2.stop() == 0, "second synackd stopped")
h.close_stored_fds()
r = subprocess.run(["ip", "link", "show", st.TAP], capture_output=True)
st.check(r.returncode != 0, "the TAP goes away once nobody holds its fd")
