# SPDX-License-Identifier: MIT
"""rpctest - raw-protobuf RPC clients for the python RPC tests: the frames
libsynack would send (Hello, Listen, Connect), and a session that reads the
events it gets. On top of ../ctl/ctltest.py's protobuf helpers."""

import socket
import struct
import time

from ctltest import _field, pb_bytes, pb_varint


def frame(b):
    return struct.pack(">I", len(b)) + b


HELLO = frame(pb_bytes(1, pb_varint(1, 1)))  # ClientMessage {hello: {version: 1}}


def request(rid, field, body):
    return frame(pb_bytes(2, pb_varint(1, rid) + pb_bytes(field, body)))


def listen(port, backlog=0):  # Request {listen (17): {local: {port}, backlog}}
    body = pb_bytes(1, pb_varint(2, port)) + (pb_varint(2, backlog) if backlog else b"")
    return request(1, 17, body)


def info(rid):  # Request {info (25): {}}: the daemon's info
    return request(rid, 25, b"")


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
