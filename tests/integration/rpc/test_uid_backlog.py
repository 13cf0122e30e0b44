#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A listener's accept queue cannot take a uid past limits.conns_per_uid: the
connections queued there become the uid's once accepted, so the backlog is
clamped to the room the uid (and the client) has left beside the listener.
Here conns_per_uid is 2 and max_conns 40; a client listens with backlog 1000
and can accept only one connection; the kernel opens 60 at once. At most 2
of them are established in synack (1 accepted, 1 queued): the rest wait in
SYN-RECEIVED (the SYN queue is the core's, bounded by tcp.syn_backlog) or
are dropped. The built-in discard service still gets a connection."""

import errno
import socket
import time

import synacktest as st
from ctltest import DISCARD, Ctl, check
from rpctest import Session, listen, wait_listener

PORT = 6000
CAP = 2
KNOCKS = 60


def main():
    t = Ctl("rpc-uid-backlog", extra=f"limits:\n  conns_per_uid: {CAP}\n  max_conns: 40\n")
    a = Session(t.rpc, listen(PORT, backlog=1000))
    wait_listener(t, PORT)
    knocks, errs = [], set()
    for _ in range(KNOCKS):
        k = socket.socket()
        k.setblocking(False)
        errs.add(k.connect_ex((st.OURS, PORT)))
        knocks.append(k)
    check(errs <= {0, errno.EINPROGRESS}, f"the kernel's {KNOCKS} connects started ({errs})")
    time.sleep(1.5)
    mine = [c for c in t.conns() if c["local"]["port"] == PORT]
    est = [c for c in mine if c["state"] == "ESTABLISHED"]
    print(f"{KNOCKS} kernel connects to the uid's listener (backlog 1000): "
          f"{len(mine)} rows for port {PORT}, {len(est)} established", flush=True)
    check(len(est) <= CAP,
          f"accepted + queued stay within conns_per_uid = {CAP} ({len(est)} established)")
    d = t.h.connect(DISCARD, timeout=5)
    d.sendall(b"x")
    check(True, "the discard service still gets a connection")
    check(t.d.alive(), "synackd is alive")
    for s in knocks + [d, a.s]:
        s.close()


if __name__ == "__main__":
    main()
