#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A listener whose accepts are held because its uid is at limits.conns_per_uid
(2 here) accepts again as soon as the uid has room: when a sibling session of
the same uid hangs up (its connection given back), and when a reload raises
conns_per_uid. Nothing else happens meanwhile, so a session that is only
resumed by some later event of its own would wait forever. Raw protobuf over
the RPC socket; the kernel is the peer on both sides."""

import signal
import socket
import struct
import time

import synacktest as st
from ctltest import Ctl, _field, check, pb_bytes, pb_varint

PORT = 6000  # the session's listener
KPORT = 5000  # the kernel's listener the sibling connects to


def frame(b):
    return struct.pack(">I", len(b)) + b


HELLO = frame(pb_bytes(1, pb_varint(1, 1)))  # ClientMessage {hello: {version: 1}}


def request(rid, field, body):
    return frame(pb_bytes(2, pb_varint(1, rid) + pb_bytes(field, body)))


def listen(port):  # Request {listen (17): {local: {port}}}
    return request(1, 17, pb_bytes(1, pb_varint(2, port)))


def connect(addr, port):  # Request {connect (16): {remote: {addr, port}}}
    ep = pb_bytes(1, socket.inet_aton(addr)) + pb_varint(2, port)
    return request(1, 16, pb_bytes(1, ep))


class Session:
    """One RPC client: sends raw frames, reads the events it gets."""

    def __init__(self, path, first):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.sendall(HELLO + first)
        self.buf = b""

    def incoming(self, timeout):
        """How many Incoming events arrive within timeout seconds (stops at the first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while len(self.buf) >= 4 and len(self.buf) >= 4 + struct.unpack(">I", self.buf[:4])[0]:
                n = struct.unpack(">I", self.buf[:4])[0]
                msg, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                ev = _field(msg, 3)  # ServerMessage.event
                if ev is not None and _field(ev, 17) is not None:  # Event.incoming
                    return 1
            self.s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            self.buf += chunk
        return 0


def main():
    config = "limits:\n  conns_per_uid: {}\n"
    t = Ctl("rpc-uid-resume", extra=config.format(2))
    k = socket.socket()
    k.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    k.bind((st.KERNEL, KPORT))
    k.listen(8)

    a = Session(t.rpc, listen(PORT))  # the uid's 1st connection: a listener
    time.sleep(0.3)
    b = Session(t.rpc, connect(st.KERNEL, KPORT))  # its 2nd, from a sibling session
    k.settimeout(5)
    kb, _ = k.accept()
    k1 = t.h.connect(PORT)
    check(a.incoming(1.0) == 0, "with the uid at its cap the listener's accept is held")

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
