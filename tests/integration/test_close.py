#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Handshake, transfer and close, from both ends, checked with ss on the kernel side
and synackd's own state transitions (its debug log of every TCP state change).
- the kernel closes first: kernel FIN-WAIT -> TIME-WAIT; synack CLOSE-WAIT -> LAST-ACK -> CLOSED
- synack closes first (a reload turns the echo service off, which closes its
  connections with FIN): kernel CLOSE-WAIT -> (close) LAST-ACK -> gone;
  synack FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT."""
import re
import signal
import time

import synacktest as st

h = st.Harness("close")
h.make_tap()
cfg_on = h.config(services={"echo": 7}) + "log:\n  level: debug\n"
cfg_off = h.config(services={"echo": 0}) + "log:\n  level: debug\n"
d = h.start(cfg_on)
cfg_path = h.write_config(cfg_on, "synackd-0.yaml")


def transitions(port):
    rx = re.compile(rf"tcp {st.OURS}:7 {st.KERNEL}:{port}: (\S+) -> (\S+) at")
    return [m.groups() for m in rx.finditer(d.log())]


def wait_transition(port, to, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(t == to for _f, t in transitions(port)):
            return True
        time.sleep(0.05)
    return False


def ss_state(port, timeout=3.0, want=None):
    """The kernel's state for the connection from local port (None when gone)."""
    deadline = time.monotonic() + timeout
    while True:
        state = None
        for line in h.ss().splitlines():
            f = line.split()
            if len(f) >= 4 and f[3] == f"{st.KERNEL}:{port}" and f[4] == f"{st.OURS}:7":
                state = f[0]
        if want is None or state == want or time.monotonic() >= deadline:
            return state
        time.sleep(0.05)


# ---- the kernel closes first ----
s = h.connect(7)
port = s.getsockname()[1]
st.check(ss_state(port) == "ESTAB", f"kernel: ESTAB on :{port}")
st.check(wait_transition(port, "ESTABLISHED"), "synack: SYN-RECEIVED -> ESTABLISHED")
s.sendall(b"x" * 100000)
got = b""
while len(got) < 100000:
    b = s.recv(65536)
    if not b:
        break
    got += b
st.check(got == b"x" * 100000, "100000 bytes echoed")
s.close()
st.check(ss_state(port, want="TIME-WAIT") == "TIME-WAIT", "kernel closed first: TIME-WAIT")
st.check(wait_transition(port, "CLOSED"), "synack: connection CLOSED")
seq = [t for _f, t in transitions(port)]
st.check(seq[-3:] == ["CLOSE-WAIT", "LAST-ACK", "CLOSED"],
         f"synack: ... -> CLOSE-WAIT -> LAST-ACK -> CLOSED ({seq})")

# ---- synack closes first ----
s = h.connect(7)
port = s.getsockname()[1]
s.sendall(b"ping")
st.check(s.recv(16) == b"ping", "second connection echoes")
h.write_config(cfg_off, "synackd-0.yaml")
d.send(signal.SIGHUP)
d.wait_notify("READY=1")
s.settimeout(5)
st.check(s.recv(16) == b"", "echo turned off by reload: synack sent FIN")
st.check(ss_state(port, want="CLOSE-WAIT") == "CLOSE-WAIT", "kernel: CLOSE-WAIT")
st.check(wait_transition(port, "FIN-WAIT-2"), "synack: FIN-WAIT-1 -> FIN-WAIT-2")
s.close()
st.check(ss_state(port, want=None, timeout=0) in (None, "LAST-ACK"), "kernel: LAST-ACK or gone")
deadline = time.monotonic() + 3
while ss_state(port) is not None and time.monotonic() < deadline:
    time.sleep(0.05)
st.check(ss_state(port) is None, "kernel: connection gone after synack's last ACK")
st.check(wait_transition(port, "TIME-WAIT"), "synack: TIME-WAIT")
seq = [t for _f, t in transitions(port)]
st.check(seq[-3:] == ["FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"],
         f"synack: ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT ({seq})")

st.check(d.stop() == 0, "SIGTERM: synackd exits 0 (TIME-WAIT does not hold the stop)")
