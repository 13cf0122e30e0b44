# SPDX-License-Identifier: MIT
"""rpctest - raw-protobuf RPC clients for the python RPC tests: the frames
libsynack would send (Hello, Listen, Connect), and a session that reads the
events it gets. On top of ../ctl/ctltest.py's protobuf helpers."""

import socket
import struct
import time

from ctltest import _field, fail, pb_bytes, pb_varint


def frame(b):
    return struct.pack(">I", len(b)) + b


HELLO = frame(pb_bytes(1, pb_varint(1, 1)))  # ClientMessage {hello: {version: 1}}


def request(rid, field, body):
    return frame(pb_bytes(2, pb_varint(1, rid) + pb_bytes(field, body)))


def listen(port, backlog=0):  # Request {listen (17): {local: {port}, backlog}}
    body = pb_bytes(1, pb_varint(2, port)) + (pb_varint(2, backlog) if backlog else b"")
    return request(1, 17, body)


def wait_listener(t, port, timeout=20.0):
    """Until synackd lists a listener on port (a session's Listen was taken)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(c["state"] == "LISTEN" and c["local"]["port"] == port for c in t.conns()):
            return
        time.sleep(0.1)
    fail(f"synackd has no listener on port {port} after {timeout:.0f} s")


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


# ---------------------------------------------------------------- data sockets (fd path)

FEATURE_FD_DATA = 1


def hello_fd():  # ClientMessage {hello: {version: 1, features: FEATURE_FD_DATA}}
    return frame(pb_bytes(1, pb_varint(1, 1) + pb_varint(3, FEATURE_FD_DATA)))


def connect_fd(rid, addr, port, fd=True, data=b""):  # Connect {remote, fd, data}
    ep = pb_bytes(1, socket.inet_aton(addr)) + pb_varint(2, port)
    body = pb_bytes(1, ep) + (pb_varint(5, 1) if fd else b"")
    return request(rid, 16, body + (pb_bytes(8, data) if data else b""))


def listen_fd(rid, port, backlog=0):  # Listen {local: {port}, backlog, fd}
    body = pb_bytes(1, pb_varint(2, port)) + (pb_varint(2, backlog) if backlog else b"")
    return request(rid, 17, body + pb_varint(4, 1))


def close_req(rid, conn):  # Request {close (21): {conn}}
    return request(rid, 21, pb_varint(1, conn))


OPTION_RCVBUF = 7  # Option (proto/synack.proto)


def setopt_req(rid, conn, option, value):  # Request {set_option (23): {conn, option, value}}
    return request(rid, 23, pb_varint(1, conn) + pb_varint(2, option) + pb_varint(3, value))


class Msg:
    """One ServerMessage: kind 'hello', 'reply' or 'event', with the fields tests use."""

    EVENTS = {16: "established", 17: "incoming", 18: "data", 19: "writable",
              20: "peer_closed", 21: "reset", 22: "closed", 23: "error"}

    def __init__(self, raw):
        self.raw = raw
        self.fd = None  # the data socket that came with it, if it says one did
        h, rp, ev = _field(raw, 1), _field(raw, 2), _field(raw, 3)
        if h is not None:
            self.kind = "hello"
            self.features = _field(h, 6) or 0
            self.code = _field(_field(h, 1) or b"", 1) or 0
        elif rp is not None:
            self.kind = "reply"
            self.id = _field(rp, 1) or 0
            st = _field(rp, 2) or b""
            self.code = _field(st, 1) or 0
            self.message = (_field(st, 2) or b"").decode()
            cr = _field(rp, 16)
            self.conn = _field(cr, 1) if cr is not None else None
            self.has_fd = bool(cr is not None and _field(cr, 2))
        else:
            self.kind = "event"
            self.conn = _field(ev, 1) or 0
            self.event, body = None, None
            for num, name in Msg.EVENTS.items():
                body = _field(ev, num)
                if body is not None:
                    self.event = name
                    break
            self.new_conn = _field(body, 1) if self.event == "incoming" else None
            self.has_fd = bool(self.event == "incoming" and _field(body, 4))
            st = _field(body, 1) if self.event in ("reset", "error") else None
            self.code = (_field(st, 1) or 0) if st is not None else 0


class FdSession:
    """An RPC client that asks for data sockets: frames and descriptors in order."""

    def __init__(self, path, features=FEATURE_FD_DATA):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""
        self.fds = []  # received, not yet matched to their frame
        self.msgs = []  # parsed, not yet taken
        self.s.sendall(frame(pb_bytes(1, pb_varint(1, 1) + pb_varint(3, features))))
        self.hello = self.next(lambda m: m.kind == "hello", 5)

    def send(self, b):
        self.s.sendall(b)

    def _read(self, timeout):
        self.s.settimeout(max(0.001, timeout))
        try:
            data, anc, _, _ = self.s.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
        except (socket.timeout, BlockingIOError):
            return True
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                n = len(cdata) // 4
                self.fds += list(struct.unpack(f"{n}i", cdata[:4 * n]))
        if not data:
            return False
        self.buf += data
        while len(self.buf) >= 4 and len(self.buf) >= 4 + struct.unpack(">I", self.buf[:4])[0]:
            n = struct.unpack(">I", self.buf[:4])[0]
            m = Msg(self.buf[4:4 + n])
            self.buf = self.buf[4 + n:]
            if getattr(m, "has_fd", False):
                if not self.fds:
                    raise AssertionError("a frame says a data socket came with it: none did")
                m.fd = socket.socket(fileno=self.fds.pop(0))
            self.msgs.append(m)
        return True

    def next(self, pred, timeout=10.0):
        """The first message (taken in order) for which pred holds, within timeout."""
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.msgs):
                if pred(m):
                    return self.msgs.pop(i)
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                return None

    def poll(self):
        """Read what has arrived without waiting."""
        self._read(0.001)

    def close(self):
        self.s.close()
