#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Congestion control end to end: CUBIC is the default and `synackctl conns -i`
names it where ss(8) does (after ts/sack, before wscale), with cwnd counted in
segments of the effective MSS; `synackctl set congestion_control newreno`
reaches new connections only, and refuses an unknown name clearly; the RPC
option OPTION_CONGESTION sets and reads it per connection by name (raw
protobuf, so the daemon's status message can be read), EINVAL with the known
names for another. The kernel is the peer."""

import socket
import struct
import time

import synacktest as st
from ctltest import ECHO, Ctl, _field, check, fail, pb_bytes, pb_varint

KPORT = 5000
OPTION_CONGESTION = 8


def frame(b):
    return struct.pack(">I", len(b)) + b


def request(rid, field, body):
    return frame(pb_bytes(2, pb_varint(1, rid) + pb_bytes(field, body)))


class Rpc:
    """A raw RPC session: requests by id, replies as (code, message, reply bytes)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.s.sendall(frame(pb_bytes(1, pb_varint(1, 1))))  # Hello {version: 1}
        self.buf = b""
        self.rid = 1

    def _msg(self):
        while len(self.buf) < 4 or len(self.buf) < 4 + struct.unpack(">I", self.buf[:4])[0]:
            chunk = self.s.recv(65536)
            if not chunk:
                fail("the RPC socket closed")
            self.buf += chunk
        n = struct.unpack(">I", self.buf[:4])[0]
        msg, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
        return msg

    def call(self, field, body):
        self.rid += 1
        self.s.sendall(request(self.rid, field, body))
        while True:
            rp = _field(self._msg(), 2)  # ServerMessage.reply (skips hello, events)
            if rp is not None and (_field(rp, 1) or 0) == self.rid:
                st_ = _field(rp, 2) or b""
                return _field(st_, 1) or 0, (_field(st_, 2) or b"").decode(), rp

    def connect(self, addr, port):
        ep = pb_bytes(1, socket.inet_aton(addr)) + pb_varint(2, port)
        code, msg, rp = self.call(16, pb_bytes(1, ep))
        check(code == 0, f"RPC connect: {code} {msg}")
        return _field(_field(rp, 16), 1)  # ConnectResult.conn

    def set_cc(self, conn, name):
        body = pb_varint(1, conn) + pb_varint(2, OPTION_CONGESTION) + pb_bytes(4, name.encode())
        code, msg, _ = self.call(23, body)
        return code, msg

    def get_cc(self, conn):
        code, msg, rp = self.call(24, pb_varint(1, conn) + pb_varint(2, OPTION_CONGESTION))
        check(code == 0, f"RPC get option: {code} {msg}")
        return (_field(_field(rp, 24) or b"", 2) or b"").decode()  # OptionValue.name


def info_line(t, port):
    """The ss -i line of the connection from our kernel port to synack's."""
    lines = t.run("conns", "-i").stdout.splitlines()
    for i, line in enumerate(lines):
        if f"{st.KERNEL}:{port} " in line + " " and i + 1 < len(lines):
            return lines[i + 1].split()
    fail(f"no conns -i row for port {port}: {lines}")


def echo_some(s, n=200000):
    s.sendall(b"y" * n)
    got = 0
    while got < n:
        got += len(s.recv(65536))


def main():
    t = Ctl("ctl-congestion")
    check("cubic" in t.run("get", "congestion_control").stdout, "cubic is the default")

    # synack sends (the echo service answers): the default's name, in ss's place
    s1 = t.h.connect(ECHO)
    echo_some(s1)
    p1 = s1.getsockname()[1]
    info = info_line(t, p1)
    check("cubic" in info, f"conns -i names cubic: {info}")
    check(info.index("cubic") < [w.startswith("wscale:") for w in info].index(True),
          f"the name comes before wscale, as in ss: {info}")
    js = t.find(lambda c: c["remote"]["port"] == p1)
    check(js["congestion"] == "cubic", f"JSON says cubic: {js}")
    # the effective MSS: 1500 - 40 - 12 bytes of timestamps
    check(f"mss:{js['mss']}" in info and js["mss"] == 1448, f"mss is the effective one: {info}")
    check(f"cwnd:{js['cwnd']}" in info and 10 <= js["cwnd"] < 1000,
          f"cwnd in segments: {info}")

    # the tunable: a clear refusal, then new connections only
    r = t.run("set", "congestion_control", "vegas", rc=None)
    check(r.returncode != 0 and "unknown name 'vegas' (one of: cubic, newreno)" in r.stderr,
          f"an unknown name is refused clearly: {r.stderr}")
    t.run("set", "congestion_control", "newreno")
    check("newreno" in t.run("get", "congestion_control").stdout, "get shows newreno")
    s2 = t.h.connect(ECHO)
    echo_some(s2)
    p2 = s2.getsockname()[1]
    check("newreno" in info_line(t, p2), "a new connection is newreno")
    check("cubic" in info_line(t, p1), "the existing one stays cubic")

    # per connection over RPC
    k = socket.socket()
    k.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    k.bind((st.KERNEL, KPORT))
    k.listen(4)
    rpc = Rpc(t.rpc)
    conn = rpc.connect(st.KERNEL, KPORT)
    k.settimeout(5)
    kc, _ = k.accept()
    check(rpc.get_cc(conn) == "newreno", "the RPC connection has the tunable's algorithm")
    code, msg = rpc.set_cc(conn, "vegas")
    check(code == 22 and "unknown congestion control 'vegas' (known: cubic newreno)" in msg,
          f"an unknown name: EINVAL with the known ones ({code} {msg!r})")
    check(rpc.get_cc(conn) == "newreno", "a refused name changes nothing")
    code, msg = rpc.set_cc(conn, "cubic")
    check(code == 0, f"set cubic: {code} {msg}")
    check(rpc.get_cc(conn) == "cubic", "get reads back cubic")
    lport = kc.getpeername()[1]
    rows = t.run("conns", "-i").stdout.splitlines()
    row = [i for i, line in enumerate(rows) if f"{st.OURS}:{lport} " in line]
    check(len(row) == 1 and "cubic" in rows[row[0] + 1].split(),
          f"conns -i shows the RPC connection's cubic: {rows}")
    for x in (s1, s2, kc, k):
        x.close()
    time.sleep(0.1)


if __name__ == "__main__":
    main()
