#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Control sessions are bounded: a uid other than root holds at most 8 at once
(CTL_SESSIONS_PER_UID); the ones past that are told why (a reply with id 0
and EUSERS, which synackctl prints) and closed as they come, counted in
SynackCtlSessionsRefused, and root's synackctl still gets in. Runs the
client as nobody on a socket anyone may open (mode 0666, no reading group)."""

import errno
import os
import subprocess
import sys

import synacktest as st
from ctltest import Ctl, check

PER_UID = 8
OPENED = 20

# as nobody: open OPENED sessions, ping on each, hold them; report how many
# answered the ping (reply id 1), how many were refused with a reply of id 0
# and a status (its code), and how many closed without a word
CLIENT = r"""
import socket, struct, sys
def varint(b, i):
    v = shift = 0
    while True:
        v, i, shift = v | (b[i] & 0x7F) << shift, i + 1, shift + 7
        if not b[i - 1] & 0x80:
            return v, i
def field(b, want):  # the first varint or bytes field numbered want
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        if key & 7 == 0:
            v, i = varint(b, i)
        else:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        if key >> 3 == want:
            return v
path, n = sys.argv[1], int(sys.argv[2])
ping = bytes([0x08, 0x01, 0x92, 0x01, 0x00])  # ControlRequest {id: 1, ping: {}}
held, ok, refused, silent, codes = [], 0, 0, 0, set()
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    held.append(s)
    try:
        s.sendall(struct.pack(">I", len(ping)) + ping)
    except OSError:
        pass
    try:
        hdr = s.recv(4)
        body = s.recv(struct.unpack(">I", hdr)[0]) if len(hdr) == 4 else b""
    except OSError:
        body = b""
    # ControlServerMessage {reply (1): {id (1), status (2): {code (1)}}}
    reply = field(body, 1) or b""
    if not body:
        silent += 1
    elif field(reply, 1) == 1:
        ok += 1
    else:
        refused += 1
        codes.add(field(field(reply, 2) or b"", 1) or 0)
print(ok, refused, silent, ",".join(map(str, sorted(codes))) or "-", flush=True)
sys.stdin.read()
"""


def main():
    if os.geteuid() != 0 or os.environ.get("SYNACK_TEST_USERNS"):
        st.skip("needs root: runs the client as nobody")
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    t = Ctl("ctl-sessions", mode="0666")
    p = t.h.spawn([python, "-c", CLIENT, t.sock, str(OPENED)], user="nobody",
                  group="nogroup", stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ok, refused, silent, codes = p.stdout.readline().split()
    ok, refused, silent = int(ok), int(refused), int(silent)
    check(ok == PER_UID, f"nobody got {PER_UID} sessions that answer ({ok})")
    check(refused == OPENED - PER_UID and silent == 0,
          f"the other {OPENED - PER_UID} were refused with a reply ({refused}; "
          f"{silent} closed without one)")
    check(codes == str(errno.EUSERS), f"their status is EUSERS ({codes})")
    r = t.run("ping", user=("nobody", "nogroup", []), rc=None)
    check(r.returncode != 0 and os.strerror(errno.EUSERS) in r.stderr,
          f"nobody's synackctl says why it is refused ({r.returncode}: {r.stderr.strip()})")
    t.run("ping")
    check(True, "root's synackctl still gets in while nobody holds its sessions")
    counters = t.counters()
    check(counters.get("SynackCtlSessionsRefused") == OPENED - PER_UID + 1,
          f"SynackCtlSessionsRefused = {counters.get('SynackCtlSessionsRefused')}")
    p.stdin.close()
    p.wait(10)
    check(t.d.alive(), "synackd is alive")


if __name__ == "__main__":
    main()
