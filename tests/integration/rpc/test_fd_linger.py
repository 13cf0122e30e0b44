#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A descriptor a client sends in must not stop synackd when synackd closes it.

close() of the last reference to a TCP socket with SO_LINGER on waits, up to
the linger time, for its unsent data and FIN to be acknowledged. A client can
make such a socket (a kernel connection whose peer never reads: data stuck
behind a zero window, linger 30 s), send it to synackd over its session with
SCM_RIGHTS and close its own copy: synackd, which closes descriptors it did
not ask for, then held the last reference and sat in close() for 30 s, every
connection with it. synackd turns linger off on any socket it is sent before
closing it, and refuses descriptors on the sockets that never carry any (the
data sockets, where the kernel allows it, SO_PASSRIGHTS).

Checked, each with a fresh lingering socket sent while synackd is stopped
(so that its close is the last), that while it still lingers (FIN-WAIT-1,
its data unsent) synackd answers synackctl and new RPC sessions:
- on a session that asked for detached connections (it takes descriptors,
  its proofs): closed disarmed, SynackRpcFdsDropped;
- on a plain session, on a data socket and on the control socket: refused
  by the kernel (EPERM) where it has SO_PASSRIGHTS (Linux >= 6.16); on
  older kernels the plain session's is closed disarmed and the rest is
  skipped with a note (synackd's reads of those sockets would still
  release it: see daemon/system/sent_fds.h).
"""

import array
import errno
import os
import signal
import socket
import struct

import synacktest as st
from ctltest import Ctl, check, wait_counter
from ctltest import pb_bytes, pb_varint
from rpctest import FdSession, connect_fd, frame

PORT = 7120
DATA_PORT = 7121
LINGER_S = 30
SO_PASSRIGHTS = 83
FEATURE_FD_DATA = 1
FEATURE_DETACHED = 2


def lingering_socket():
    return lingering_socket_on(PORT)


def lingering_socket_on(port):
    """A kernel TCP socket whose close() would wait LINGER_S seconds: its peer
    never reads, so data waits behind a zero window; and the peer (kept)."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ls.bind((st.KERNEL, port))
    ls.listen(1)
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    c.connect((st.KERNEL, port))
    peer, _ = ls.accept()
    ls.close()
    c.setblocking(False)
    sent = 0
    try:
        while True:
            sent += c.send(b"x" * 65536)
    except BlockingIOError:
        pass
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, LINGER_S))
    return c, peer, sent


def lingers():
    """The states of the orphaned sockets still waiting (FIN-WAIT-1)."""
    out = st.run(["ss", "-Htn"]).stdout
    return [f[0] for f in (line.split() for line in out.splitlines()) if f and f[0] == "FIN-WAIT-1"]


def rights(fd):
    return [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))]


def responsive(t, what, lingering=True):
    """synackd answers synackctl and a new RPC session (while the socket lingers)."""
    r = t.run("ping", timeout=10)
    check(r.returncode == 0, f"{what}: synackctl ping answered ({r.stdout.strip()})")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(t.rpc)
    s.sendall(hello(FEATURE_FD_DATA) + connect_fd(1, st.KERNEL, 9))
    check(len(s.recv(4096)) > 0, f"{what}: a new session is answered")
    s.close()
    if not lingering:
        return
    states = lingers()
    check(len(states) >= 1,
          f"{what}: ...while the socket it closed still lingers ({len(states)} in FIN-WAIT-1)")


def close_now(c):
    """Close our own lingering socket without waiting (it was refused)."""
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 0, 0))
    c.close()


def kernel_refuses():
    a, b = socket.socketpair()
    try:
        a.setsockopt(socket.SOL_SOCKET, SO_PASSRIGHTS, 0)
        return True
    except OSError:
        return False
    finally:
        a.close()
        b.close()


def hello(features):  # ClientMessage {hello: {version: 1, features}}
    return frame(pb_bytes(1, pb_varint(1, 1) + pb_varint(3, features)))


def send_while_stopped(t, sock, c, data):
    """Send c on sock and close our copy while synackd is stopped, so that
    synackd's close is the last (else ours could be, and wait itself)."""
    os.kill(t.d.pid, signal.SIGSTOP)
    try:
        sock.sendmsg([data], rights(c.fileno()))
        c.close()
    except OSError:
        close_now(c)  # refused: ours is the last, and need not wait
        raise
    finally:
        os.kill(t.d.pid, signal.SIGCONT)


def main():
    t = Ctl("rpc-fd-linger")
    refuses = kernel_refuses()

    # a session that asked for detached connections takes descriptors (its
    # proofs): one that is no proof is closed, disarmed
    c, peer, sent = lingering_socket()
    print(f"a TCP socket with {sent} bytes its peer never reads, SO_LINGER {LINGER_S} s",
          flush=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(t.rpc)
    s.settimeout(10)
    s.sendall(hello(FEATURE_FD_DATA | FEATURE_DETACHED))
    check(len(s.recv(4096)) > 0, "the detached-capable session's Hello is answered")
    send_while_stopped(t, s, c, connect_fd(1, st.KERNEL, 9))
    check(wait_counter(t, "SynackRpcFdsDropped", lambda v: v == 1, 10) == 1,
          "synackd closed the descriptor it was sent (SynackRpcFdsDropped 1)")
    responsive(t, "sent on a detached-capable session")
    check(len(s.recv(4096)) > 0, "the session that sent it answers its Connect")
    s.close()
    peer.close()

    # a session that did not: refused where the kernel can (the listener
    # refuses them), else taken in and closed disarmed as above
    c, peer, _ = lingering_socket_on(PORT + 1)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(t.rpc)
    try:
        send_while_stopped(t, s, c, hello(FEATURE_FD_DATA))
        refused = None
    except OSError as e:
        refused = e.errno
    if refuses:
        check(refused == errno.EPERM,
              f"a descriptor sent on a plain session is refused (EPERM: {refused})")
        responsive(t, "after the refusal on the session", lingering=False)
    else:
        check(refused is None and
              wait_counter(t, "SynackRpcFdsDropped", lambda v: v == 2, 10) == 2,
              "a plain session's descriptor is closed too (SynackRpcFdsDropped 2)")
        responsive(t, "sent on a plain session")
    s.close()
    peer.close()

    if not refuses:
        print("SKIP (part): this kernel has no SO_PASSRIGHTS (Linux >= 6.16): data and "
              "control sockets cannot refuse descriptors", flush=True)
        check(t.d.alive(), "synackd is alive")
        return

    # on a data socket: refused at the send
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((st.KERNEL, DATA_PORT))
    ls.listen(1)
    ls.settimeout(10)
    fs = FdSession(t.rpc)
    fs.send(connect_fd(1, st.KERNEL, DATA_PORT))
    r = fs.next(lambda m: m.kind == "reply" and m.id == 1)
    check(r is not None and r.code == 0 and r.fd is not None, "a Connect with a data socket")
    ks, _ = ls.accept()
    c, peer, _ = lingering_socket_on(PORT + 2)
    try:
        r.fd.sendmsg([b"x"], rights(c.fileno()))
        refused = None
    except OSError as e:
        refused = e.errno
    check(refused == errno.EPERM, f"a descriptor sent on a data socket is refused (EPERM: {refused})")
    r.fd.sendall(b"y")
    ks.settimeout(10)
    check(ks.recv(1) == b"y", "the data socket still carries bytes")
    close_now(c)
    peer.close()

    # on the control socket: refused at the send
    c, peer, _ = lingering_socket_on(PORT + 3)
    cs = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cs.connect(t.sock)
    try:
        cs.sendmsg([b"\0"], rights(c.fileno()))
        refused = None
    except OSError as e:
        refused = e.errno
    check(refused == errno.EPERM,
          f"a descriptor sent on the control socket is refused (EPERM: {refused})")
    close_now(c)
    cs.close()
    peer.close()
    responsive(t, "after the refusals", lingering=False)
    check(t.d.alive(), "synackd is alive")


if __name__ == "__main__":
    main()
