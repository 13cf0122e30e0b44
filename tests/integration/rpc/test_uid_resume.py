#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A listener whose accepts are held because its uid is at limits.conns_per_uid
(2 here) accepts again as soon as the uid has room: when a sibling session of
the same uid hangs up (its connection given back), and when a reload raises
conns_per_uid. Nothing else happens meanwhile, so a session that is only
resumed by some later event of its own would wait forever. A hold counts
once in SynackRpcUidConnLimit, however often the session wakes meanwhile. Raw protobuf over
the RPC socket; the kernel is the peer on both sides."""

import signal
import socket

import synacktest as st
from ctltest import Ctl, check
from rpctest import Session, connect, info, listen, wait_listener

PORT = 6000  # the session's listener
KPORT = 5000  # the kernel's listener the sibling connects to


def main():
    config = "limits:\n  conns_per_uid: {}\n"
    t = Ctl("rpc-uid-resume", extra=config.format(2))
    k = socket.socket()
    k.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    k.bind((st.KERNEL, KPORT))
    k.listen(8)

    a = Session(t.rpc, listen(PORT))  # the uid's 1st connection: a listener
    wait_listener(t, PORT)
    b = Session(t.rpc, connect(st.KERNEL, KPORT))  # its 2nd, from a sibling session
    k.settimeout(5)
    kb, _ = k.accept()
    k1 = t.h.connect(PORT)
    check(a.incoming(1.0) == 0, "with the uid at its cap the listener's accept is held")
    # the session keeps working meanwhile: each reply written wakes its held listener
    held = t.counters().get("SynackRpcUidConnLimit", 0)
    a.s.sendall(b"".join(info(2 + i) for i in range(50)))
    check(a.incoming(1.0) == 0, "after 50 Info requests the accept is still held")
    held = t.counters().get("SynackRpcUidConnLimit", 0) - held
    check(held <= 1, f"SynackRpcUidConnLimit counts the hold once, not each wake-up ({held})")

    b.s.close()
    check(a.incoming(5.0) == 1, "the sibling hung up: the held accept goes on (within 5 s)")

    k2 = t.h.connect(PORT)  # the uid is at its cap again: listener + k1
    check(a.incoming(1.0) == 0, "at the cap again: the next accept is held")
    t.h.write_config(t.text.replace(config.format(2), config.format(3)), "synackd-0.yaml")
    t.d.send(signal.SIGHUP)
    t.d.wait_notify("READY=1")
    check(a.incoming(5.0) == 1, "a reload raised conns_per_uid: the held accept goes on")
    check(t.d.alive(), "synackd is alive")
    for s in (kb, k1, k2, k, a.s):
        s.close()


if __name__ == "__main__":
    main()
