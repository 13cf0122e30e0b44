#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Control sessions are bounded: a uid other than root holds at most 8 at once
(CTL_SESSIONS_PER_UID); the ones past that are closed as they come, counted
in SynackCtlSessionsRefused, and root's synackctl still gets in. Runs the
client as nobody on a socket anyone may open (mode 0666, no reading group)."""

import os
import subprocess
import sys

import synacktest as st
from ctltest import Ctl, check

PER_UID = 8
OPENED = 20

# as nobody: open OPENED sessions, ping on each, report how many answered, hold them
CLIENT = r"""
import socket, struct, sys
path, n = sys.argv[1], int(sys.argv[2])
ping = bytes([0x08, 0x01, 0x92, 0x01, 0x00])  # ControlRequest {id: 1, ping: {}}
held, ok = [], 0
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    held.append(s)
    try:
        s.sendall(struct.pack(">I", len(ping)) + ping)
        ok += len(s.recv(4)) == 4
    except OSError:
        pass
print(ok, n - ok, flush=True)
sys.stdin.read()
"""


def main():
    if os.geteuid() != 0 or os.environ.get("SYNACK_TEST_USERNS"):
        st.skip("needs root: runs the client as nobody")
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    t = Ctl("ctl-sessions", mode="0666")
    p = t.h.spawn([python, "-c", CLIENT, t.sock, str(OPENED)], user="nobody",
                  group="nogroup", stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ok, refused = map(int, p.stdout.readline().split())
    check(ok == PER_UID, f"nobody got {PER_UID} sessions that answer ({ok})")
    check(refused == OPENED - PER_UID, f"the other {OPENED - PER_UID} were closed ({refused})")
    t.run("ping")
    check(True, "root's synackctl still gets in while nobody holds its sessions")
    counters = t.counters()
    check(counters.get("SynackCtlSessionsRefused") == OPENED - PER_UID,
          f"SynackCtlSessionsRefused = {counters.get('SynackCtlSessionsRefused')}")
    p.stdin.close()
    p.wait(10)
    check(t.d.alive(), "synackd is alive")


if __name__ == "__main__":
    main()
