#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The file descriptor data path (issue 12, FEATURE_FD_DATA), with the kernel
as the peer: a raw-protobuf client asks for data sockets and moves bytes on
them, as libsynack does.

- Hello grants the feature; a session that did not ask gets EINVAL for fd
  (and for Connect.data without FEATURE_CONNECT_DATA).
- Bulk both ways at once, SHA-256 checked, on a connection made with Connect,
  with half-closes both ways: the client's shutdown(SHUT_WR) reaches the
  kernel as a FIN while the kernel goes on sending; the kernel's FIN reaches
  the client as a read of 0; then the daemon lets the connection go (Closed).
- A listener's accepted connection with its data socket; close() then Close:
  what the client wrote before still arrives, the Close reply comes after.
- Buffer autotuning: during that bulk transfer SNDBUF grows past its
  default (SynackTcpSndBufGrown); neither buffer is seen past
  tcp.send_buffer_max / tcp.recv_buffer_max.
- Flow control end to end: a client that never reads holds at most the
  receive buffer in synackd (Recv-Q <= RCVBUF) and the socketpair's
  bound in the kernel (half of that, at least 128 KiB); the kernel's sender stalls (the window closes); then
  everything arrives intact once the client reads.
- The daemon's end does not grow for a receive buffer the client set: with
  SetOption RCVBUF 4 MiB and nothing read, it stays at 128 KiB (no
  SynackRpcFdBufsGrown); its growth for an autotuned one, and the budget
  for growth, are test_fd_bufs.py's.
- The other way: to a peer that never reads, a client's writes stop once the
  send buffer, the peer's window and the client's socketpair end are full;
  that end holds at most its bound (SO_SNDBUF 512 KiB, 1 MiB as Linux counts,
  capped by net.core.wmem_max), and every byte arrives once the peer reads.
- A detached Connect still in its handshake: the end is unwritable, with
  SO_SNDBUF 128 KiB, holding about a quarter of that as filler.
- A peer's RST: the session's Reset says ECONNRESET, and it is readable on the
  session by the time the data socket reads its end.
- The client closes its data socket with bytes unread: the kernel gets a RST
  (RFC 2525 §2.17), counted as SynackRpcFdResets; closed with nothing
  unread: a FIN.
- A client that writes and hangs up without Close: its bytes still arrive.
- A client gone with bytes unread, its session's hang-up handled before its
  data socket's (synackd stopped meanwhile): the kernel still gets a RST.
- Replies behind a full session: while a session that does not read is full
  of Data (limits.buffered_per_client 2 MiB in this daemon; the other
  sessions here carry no Data, and their events are far below that), the
  Connects it asked for are answered through libuv's queue
  (SynackRpcWritesQueued), each reply with its own working data socket.
  Otherwise the session writes a batch itself, the descriptor attached
  (frame_batch_try_send()).
- A Reset behind a full session: the peer resets a connection whose Close
  waits for its data socket's EOF; its data socket stays open until the
  Reset is written, so the client finds the reason before the end.
"""

import fcntl
import hashlib
import os
import select
import signal
import socket
import struct
import termios
import threading
import time

import synacktest as st
from ctltest import Ctl, check, fail, pb_bytes, pb_varint, rss_kib, wait_counter
from rpctest import (FEATURE_FD_DATA, OPTION_RCVBUF, FdSession, close_req, connect_fd, listen_fd,
                     request, setopt_req)

FEATURE_DETACHED = 2  # Hello.features (proto/synack.proto)

ECONNRESET = 104
EINVAL = 22
# the defaults of tcp.send_buffer, send_buffer_max, recv_buffer, recv_buffer_max:
# where buffers start, and how far autotuning may take them
SEND_BUFFER, SEND_BUFFER_MAX = 256 * 1024, 4 << 20
RECV_BUFFER, RECV_BUFFER_MAX = 256 * 1024, 6 << 20
# RPC_FD_SOCKBUF_TO_APP (128 KiB) and RPC_FD_SOCKBUF_FROM_APP (512 KiB), doubled
# by Linux (capped by net.core.wmem_max; the daemon's end may keep Linux's
# default instead, never more than the doubled 128 KiB); a Unix stream sender
# checks its buffer before each skb of at most half of it, so one skb may overshoot
WMEM_MAX = int(open("/proc/sys/net/core/wmem_max").read())
SOCKPAIR_BOUND = 2 * 128 * 1024 * 3 // 2
CLIENT_SNDBUF = 2 * min(512 * 1024, WMEM_MAX)
GATED_SNDBUF = 2 * min(128 * 1024, WMEM_MAX)  # RPC_FD_SOCKBUF_GATED
CLIENT_PAIR_BOUND = CLIENT_SNDBUF * 3 // 2
TO_APP_MAX = 2 << 20  # RPC_FD_SOCKBUF_TO_APP_MAX: the most the daemon's end is set to


def kernel_listener(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((st.KERNEL, port))
    ls.listen(8)
    ls.settimeout(10)
    return ls


def connect(s, rid, port):
    """Connect with a data socket to the kernel's port: (conn id, data socket, kernel side)."""
    ls = kernel_listener(port)
    s.send(connect_fd(rid, st.KERNEL, port))
    r = s.next(lambda m: m.kind == "reply" and m.id == rid)
    check(r is not None and r.code == 0, f"Connect {rid} answered 0 ({r and r.message})")
    check(r.fd is not None, f"Connect {rid}'s reply came with a data socket")
    ks, _ = ls.accept()
    ls.close()
    ks.settimeout(20)
    r.fd.settimeout(20)
    return r.conn, r.fd, ks


def sender(sock, data, done):
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
    done.append(True)


def reader(sock, out):
    h, n = hashlib.sha256(), 0
    while True:
        b = sock.recv(1 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
    out.append((h.hexdigest(), n))


def run_threads(*ts):
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
        if t.is_alive():
            fail("a transfer did not finish within 60 s")


def negotiation(t):
    s = FdSession(t.rpc)
    check(s.hello.features == 1, "Hello grants FEATURE_FD_DATA")
    s.close()
    old = FdSession(t.rpc, features=0)
    check(old.hello.features == 0, "a session that does not ask gets no feature")
    old.send(connect_fd(1, st.KERNEL, 7000))
    r = old.next(lambda m: m.kind == "reply" and m.id == 1)
    check(r is not None and r.code == EINVAL, f"and Connect with fd gets EINVAL ({r and r.message})")
    old.send(connect_fd(2, st.KERNEL, 7000, fd=False, data=b"early"))
    r = old.next(lambda m: m.kind == "reply" and m.id == 2)
    check(r is not None and r.code == EINVAL,
          f"and Connect with data (no FEATURE_CONNECT_DATA) gets EINVAL ({r and r.message})")
    old.close()


def buffer_sampler(t, port, most, stop):
    """Keep the largest SNDBUF and RCVBUF synackd reports for the connection."""
    while not stop:
        for c in t.conns():
            if c["remote"]["port"] == port:
                most["sndbuf"] = max(most.get("sndbuf", 0), c["sndbuf"])
                most["rcvbuf"] = max(most.get("rcvbuf", 0), c["rcvbuf"])
        time.sleep(0.05)


def bulk_both_ways(t, s):
    conn, fd, ks = connect(s, 1, 7001)
    up, down = os.urandom(24 << 20), os.urandom(24 << 20)
    got_k, got_a, done = [], [], []
    most, stop = {}, []
    grown0 = {k: t.counters().get(k, 0) for k in ("SynackTcpSndBufGrown", "SynackTcpRcvBufGrown")}
    sampler = threading.Thread(target=buffer_sampler, args=(t, 7001, most, stop))
    sampler.start()
    # the client half-closes after its bytes; the kernel reads them to EOF while
    # it is still sending its own, then half-closes; the client reads them to 0
    run_threads(threading.Thread(target=sender, args=(fd, up, done)),
                threading.Thread(target=reader, args=(ks, got_k)),
                threading.Thread(target=sender, args=(ks, down, done)),
                threading.Thread(target=reader, args=(fd, got_a)))
    stop.append(True)
    sampler.join()
    # tcp.buffer_autotune: the send buffer outgrew its 256 KiB default (the
    # counter says so whether or not the sampler caught the connection alive:
    # on a fast machine the transfer can be over within its first look); the
    # receive buffer grows only when an RTT's worth outgrows 256 KiB, which a
    # loaded machine's short RTTs may not need (reported, and bounded; its
    # growth is asserted in test-tcp-autotune and measured by the benches)
    grown = {k: t.counters().get(k, 0) - v for k, v in grown0.items()}
    print(f"autotuning: SNDBUF grew {grown['SynackTcpSndBufGrown']} times, RCVBUF "
          f"{grown['SynackTcpRcvBufGrown']} times; seen: SNDBUF up to "
          f"{most.get('sndbuf', 0) >> 10} KiB, RCVBUF up to {most.get('rcvbuf', 0) >> 10} KiB",
          flush=True)
    check(grown["SynackTcpSndBufGrown"] > 0,
          "SNDBUF grew during the transfer (SynackTcpSndBufGrown)")
    check(most.get("sndbuf", 0) <= SEND_BUFFER_MAX and most.get("rcvbuf", 0) <= RECV_BUFFER_MAX,
          "neither past tcp.send_buffer_max / tcp.recv_buffer_max")
    check(not most or (most["sndbuf"] >= SEND_BUFFER and most["rcvbuf"] >= RECV_BUFFER),
          "neither below its tcp.send_buffer / tcp.recv_buffer default")
    check(got_k[0] == (hashlib.sha256(up).hexdigest(), len(up)),
          f"client -> kernel: {len(up) >> 20} MiB intact, then the client's FIN as EOF")
    check(got_a[0] == (hashlib.sha256(down).hexdigest(), len(down)),
          f"kernel -> client: {len(down) >> 20} MiB intact, then the kernel's FIN as a read of 0")
    c = s.next(lambda m: m.kind == "event" and m.conn == conn and m.event == "closed", 10)
    check(c is not None, "both ways finished: the daemon lets the connection go (Closed)")
    fd.close()
    ks.close()


def accepted(t, s):
    s.send(listen_fd(2, 7002))
    r = s.next(lambda m: m.kind == "reply" and m.id == 2)
    check(r is not None and r.code == 0, "Listen with fd")
    ks = t.h.connect(7002)
    inc = s.next(lambda m: m.kind == "event" and m.event == "incoming", 10)
    check(inc is not None and inc.fd is not None, "the Incoming event came with a data socket")
    fd = inc.fd
    fd.settimeout(20)
    ks.settimeout(20)
    up = os.urandom(8 << 20)
    got = []
    th = threading.Thread(target=reader, args=(ks, got))
    th.start()
    fd.sendall(up)
    fd.close()  # close() at once, as a program exiting would: the bytes still go out
    s.send(close_req(3, inc.new_conn))
    rp = s.next(lambda m: m.kind == "reply" and m.id == 3, 20)
    check(rp is not None and rp.code == 0, "the Close reply comes (once the data socket drained)")
    th.join(30)
    check(got and got[0] == (hashlib.sha256(up).hexdigest(), len(up)),
          "the bytes written before close() arrived, then the FIN")
    ks.close()


def fionread(sock):
    b = fcntl.ioctl(sock.fileno(), termios.FIONREAD, struct.pack("i", 0))
    return struct.unpack("i", b)[0]


def send_until_stalled(sock):
    """Write random bytes to non-blocking sock, as fast as it takes them, for
    at least 3 s and until it took nothing for 1 s (20 s at most: the caller
    checks the stall): (bytes sent, their SHA-256 so far, the running total
    each 0.1 s)."""
    sent, h = 0, hashlib.sha256()
    chunk = os.urandom(64 << 10)
    samples = []
    start = time.monotonic()
    while time.monotonic() - start < 20:
        if (time.monotonic() - start >= 3 and len(samples) > 10
                and samples[-1] == samples[-11]):
            break
        while True:
            try:
                n = sock.send(chunk)
            except BlockingIOError:
                break
            h.update(chunk[:n])
            sent += n
        samples.append(sent)
        time.sleep(0.1)
    return sent, h, samples


def read_after_stall(ks, fd, h, sent, what="once the client reads"):
    """The kernel stops sending; the client reads its data socket to the end:
    every byte the kernel sent (sent, hashed in h) must be there."""
    ks.setblocking(True)
    ks.shutdown(socket.SHUT_WR)
    got = []
    reader(fd, got)
    check(got[0] == (h.hexdigest(), sent), f"{what}, every byte arrives intact")
    fd.close()
    ks.close()


def flow_control(t, s):
    conn, fd, ks = connect(s, 4, 7003)
    ks.setblocking(False)
    base = rss_kib(t.d.p.pid)
    sent, h, samples = send_until_stalled(ks)
    row = [c for c in t.conns() if c["remote"]["port"] == 7003]
    recvq = row[0]["recv_q"] if row else -1
    # autotuning may have grown RCVBUF while synackd still moved bytes into the
    # socketpair; once that is full nothing is read and it grows no more
    rcvbuf = row[0]["rcvbuf"] if row else -1
    inpair = fionread(fd)
    grown = rss_kib(t.d.p.pid) - base
    print(f"a client that never reads: the kernel sent {sent >> 10} KiB; synackd Recv-Q "
          f"{recvq >> 10} KiB (RCVBUF {rcvbuf >> 10} KiB), socketpair {inpair >> 10} KiB, "
          f"synackd RSS +{grown} KiB", flush=True)
    check(0 <= recvq <= rcvbuf <= RECV_BUFFER_MAX,
          f"synackd holds at most RCVBUF ({recvq} of {rcvbuf} bytes; at most {RECV_BUFFER_MAX})")
    # the end may have grown: what synackd moved into it counted as read for
    # autotuning, and the end follows an autotuned RCVBUF (test_fd_bufs.py)
    end = max(2 * 128 * 1024, min(rcvbuf, 2 * TO_APP_MAX))
    check(inpair <= end * 3 // 2, f"the socketpair holds at most its bound: RCVBUF as Linux "
          f"counts it, at least 256 KiB, at most 4 MiB, one skb over ({inpair} of {end * 3 // 2} "
          "bytes)")
    check(samples[-1] == samples[-10], "the kernel's sender stalled: the window is closed")
    if st.rss_meaningful():
        check(grown < 2048, f"synackd's RSS grew by {grown} KiB (< 2 MiB)")
    else:
        print("RSS bound not checked: synackd is built with AddressSanitizer", flush=True)
    read_after_stall(ks, fd, h, sent)


def locked_rcvbuf(t, s):
    """A receive buffer the client set does not grow the daemon's end."""
    conn, fd, ks = connect(s, 12, 7012)
    s.send(setopt_req(13, conn, OPTION_RCVBUF, 4 << 20))
    r = s.next(lambda m: m.kind == "reply" and m.id == 13)
    check(r is not None and r.code == 0, "SetOption RCVBUF 4 MiB")
    grew0 = t.counters().get("SynackRpcFdBufsGrown", 0)
    ks.setblocking(False)
    sent, h, samples = send_until_stalled(ks)
    inpair = fionread(fd)
    grew = t.counters().get("SynackRpcFdBufsGrown", 0) - grew0
    print(f"RCVBUF 4 MiB, set by the client, which does not read: the kernel sent "
          f"{sent >> 10} KiB; socketpair {inpair >> 10} KiB; the end grew {grew} times",
          flush=True)
    check(grew == 0, "the daemon's end did not grow (SynackRpcFdBufsGrown)")
    check(inpair <= SOCKPAIR_BOUND, f"the socketpair holds at most its 128 KiB bound ({inpair})")
    read_after_stall(ks, fd, h, sent)
    c = s.next(lambda m: m.kind == "event" and m.conn == conn and m.event == "closed", 10)
    check(c is not None, "the connection is let go (Closed)")


def siocoutq(sock):
    b = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
    return struct.unpack("i", b)[0]


def peer_never_reads(t, s):
    conn, fd, ks = connect(s, 9, 7009)
    fd.setblocking(False)
    sndbuf = fd.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    check(sndbuf == CLIENT_SNDBUF,
          f"the client's end has SO_SNDBUF {CLIENT_SNDBUF} (it has {sndbuf})")
    sent, h, samples = send_until_stalled(fd)
    outq = siocoutq(fd)
    row = [c for c in t.conns() if c["remote"]["port"] == 7009]
    sendq = row[0]["send_q"] if row else -1
    print(f"a peer that never reads: the client wrote {sent >> 10} KiB; its socketpair end "
          f"holds {outq >> 10} KiB, synackd's Send-Q {sendq >> 10} KiB", flush=True)
    check(samples[-1] == samples[-10], "the client's writes stalled")
    check(0 < outq <= CLIENT_PAIR_BOUND,
          f"the client's end holds at most its bound ({outq} of {CLIENT_PAIR_BOUND} bytes)")
    check(0 < sendq <= SEND_BUFFER_MAX, f"synackd's Send-Q is within send_buffer_max ({sendq})")
    got = []
    ks.settimeout(20)
    fd.setblocking(True)
    fd.shutdown(socket.SHUT_WR)
    reader(ks, got)
    check(got[0] == (h.hexdigest(), sent), "once the peer reads, every byte arrives intact")
    fd.close()
    ks.close()


def gated_connect(t):
    """A detached Connect whose handshake cannot finish (no host answers ARP
    for 10.77.0.9): its data socket comes at once and stays unwritable, held
    shut by filler; the end keeps the smaller buffer, so the filler it holds
    for as long as the handshake runs is a quarter of that, not of 1 MiB."""
    s = FdSession(t.rpc, FEATURE_FD_DATA | FEATURE_DETACHED)
    ep = pb_bytes(1, socket.inet_aton("10.77.0.9")) + pb_varint(2, 9)
    s.send(request(60, 16, pb_bytes(1, ep) + pb_varint(5, 1) + pb_varint(6, 1)))
    r = s.next(lambda m: m.kind == "reply" and m.id == 60)
    check(r is not None and r.code == 0 and r.fd is not None,
          f"the detached Connect is answered with its data socket ({r and r.message})")
    sndbuf = r.fd.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    filler = siocoutq(r.fd)
    writable = select.select([], [r.fd], [], 0.2)[1]
    print(f"a pending detached connect: SO_SNDBUF {sndbuf}, filler {filler >> 10} KiB",
          flush=True)
    check(not writable, "its end is not writable while the handshake runs")
    check(sndbuf == GATED_SNDBUF, f"its end has SO_SNDBUF {GATED_SNDBUF} ({sndbuf})")
    check(0 < filler <= GATED_SNDBUF // 4 + GATED_SNDBUF // 8 * 2,
          f"the filler is about a quarter of that ({filler} bytes)")
    r.fd.close()
    s.close()


def peer_reset(t, s):
    conn, fd, ks = connect(s, 5, 7004)
    ks.sendall(b"before the reset")
    check(fd.recv(100) == b"before the reset", "bytes before the reset arrive")
    ks.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ks.close()  # RST
    check(fd.recv(100) == b"", "the data socket ends after the peer's RST")
    s.poll()  # only what has arrived: the Reset was written before the daemon's end closed
    ev = s.next(lambda m: m.kind == "event" and m.conn == conn and m.event == "reset", 0.001)
    check(ev is not None and ev.code == ECONNRESET,
          "the session's Reset (ECONNRESET) was there when the data socket ended")
    fd.close()


def client_closes(t, s):
    before = t.counters().get("SynackRpcFdResets", 0)
    conn, fd, ks = connect(s, 6, 7005)
    ks.sendall(os.urandom(100 << 10))
    deadline = time.monotonic() + 5
    while fionread(fd) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    check(fionread(fd) > 0, "bytes wait unread in the data socket")
    fd.close()
    try:
        ks.settimeout(5)
        while ks.recv(65536):
            pass
        fail("the kernel got a FIN, not a RST, for a close with bytes unread")
    except ConnectionResetError:
        check(True, "closed with bytes unread: the kernel gets a RST (RFC 2525 §2.17)")
    check(t.counters().get("SynackRpcFdResets", 0) == before + 1, "counted as SynackRpcFdResets")
    ks.close()
    conn, fd, ks = connect(s, 7, 7006)
    fd.close()
    check(ks.recv(10) == b"", "closed with nothing unread: the kernel reads a FIN")
    ks.close()


def client_exits(t):
    """A client writes and exits without Close: the bytes it wrote still arrive, then FIN."""
    s = FdSession(t.rpc)
    conn, fd, ks = connect(s, 1, 7007)
    data = os.urandom(100 << 10)
    fd.sendall(data)
    s.close()  # the session first, as an exiting process may close them in any order
    fd.close()
    got = []
    reader(ks, got)
    check(got[0] == (hashlib.sha256(data).hexdigest(), len(data)),
          "a client that wrote and hung up: its bytes arrive, then a FIN")
    ks.close()


def client_exits_unread(t):
    """A client exits with the peer's bytes unread, having just written some that
    synackd has not read yet, and its session's hang-up reaches synackd first:
    the peer gets a RST, as for a close with bytes unread (RFC 2525 §2.17), not
    a FIN after the client's last bytes. synackd is stopped while the client
    goes, so that both wait for it in that order."""
    before = t.counters().get("SynackRpcFdResets", 0)
    s = FdSession(t.rpc)
    conn, fd, ks = connect(s, 1, 7008)
    ks.sendall(os.urandom(100 << 10))
    # all of them, so that nothing of the connection's but the hang-up and the
    # last bytes is left for synackd to handle once it goes on
    deadline = time.monotonic() + 5
    while fionread(fd) < 100 << 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    check(fionread(fd) == 100 << 10, "the kernel's 100 KiB wait unread in the data socket")
    os.kill(t.d.pid, signal.SIGSTOP)
    try:
        s.close()
        fd.send(b"last words")
        fd.close()
    finally:
        os.kill(t.d.pid, signal.SIGCONT)
    got = b""
    try:
        ks.settimeout(5)
        while True:
            b = ks.recv(65536)
            if not b:
                break
            got += b
        fail(f"the kernel got a FIN, not a RST, after {got!r} from a client gone with bytes unread")
    except ConnectionResetError:
        check(True, "a client gone with bytes unread: the kernel gets a RST")
    except socket.timeout:
        fail(f"neither a FIN nor a RST within 5 s of the client's going (after {got!r})")
    check(got in (b"", b"last words"), f"what the client wrote, or nothing, came before the RST ({got!r})")
    check(t.counters().get("SynackRpcFdResets", 0) == before + 1, "counted as SynackRpcFdResets")
    ks.close()


IDLE_CONNS = 8
IDLE_BOUND = 96 * 1024  # a 64 KiB receive window's promise and a small send ring


def idle_memory(t, s):
    """Idle data-socket connections hold little: synackd reserves send-ring room
    for what the client wrote, not a whole send buffer (256 KiB) each time it
    looks at the socket. Before, every such connection kept a full ring."""
    held = []
    for i in range(IDLE_CONNS):
        conn, fd, ks = connect(s, 40 + i, 7040 + i)
        ks.sendall(b"x" * 10)  # a receive event: synackd pumps the data socket
        check(fd.recv(10) == b"x" * 10, f"idle connection {i}: 10 bytes through")
        held.append((fd, ks))
        if i == 0:
            # Shutdown over the session: refused, a FIN queued there could
            # overtake bytes still in the socketpair (shutdown(2) the socket)
            s.send(request(60, 20, pb_varint(1, conn)))
            r = s.next(lambda m: m.kind == "reply" and m.id == 60)
            check(r is not None and r.code == EINVAL,
                  f"Shutdown of a data-socket connection gets EINVAL ({r and r.message})")
    time.sleep(0.5)
    used = t.counters().get("SynackTcpMemBytes", 0)
    print(f"{IDLE_CONNS} idle data-socket connections: {used} bytes charged "
          f"({used // IDLE_CONNS} each)", flush=True)
    check(used <= IDLE_CONNS * IDLE_BOUND,
          f"at most {IDLE_BOUND // 1024} KiB charged per idle connection ({used // IDLE_CONNS})")
    for fd, ks in held:
        fd.close()
        ks.close()


def fill_session(s, rid, port):
    """Fill session s with Data it does not read: a Connect without a data
    socket and credit for far more than the session may buffer, to a kernel
    that sends until its sends stall for a second. (kernel socket, bytes sent)"""
    ls = kernel_listener(port)
    ep = pb_bytes(1, socket.inet_aton(st.KERNEL)) + pb_varint(2, port)
    s.send(request(rid, 16, pb_bytes(1, ep) + pb_varint(4, 64 << 20)))
    r = s.next(lambda m: m.kind == "reply" and m.id == rid)
    check(r is not None and r.code == 0, f"Connect on the Data path answered ({r and r.message})")
    ks, _ = ls.accept()
    ls.close()
    ks.setblocking(False)
    sent, last = 0, time.monotonic()
    while time.monotonic() - last < 1.0:
        try:
            sent += ks.send(b"d" * 65536)
            last = time.monotonic()
        except BlockingIOError:
            time.sleep(0.01)
    return ks, sent


def replies_behind_a_full_session(t):
    s = FdSession(t.rpc)
    ks, sent = fill_session(s, 70, 7050)
    before = t.counters().get("SynackRpcWritesQueued", 0)
    ls = kernel_listener(7051)
    for i in range(8):
        s.send(connect_fd(71 + i, st.KERNEL, 7051))
    # until they are answered, and wait behind the Data
    v = wait_counter(t, "SynackRpcWritesQueued", lambda v: v > before, 20.0)
    queued = 0 if v is None else v - before
    print(f"a session full of Data ({sent >> 10} KiB sent by the kernel): {queued} writes "
          "queued in libuv for 8 Connects", flush=True)
    check(queued >= 1, "the replies waited in libuv's queue (SynackRpcWritesQueued)")
    for i in range(8):
        r = s.next(lambda m: m.kind == "reply" and m.id == 71 + i, 20)
        check(r is not None and r.code == 0 and r.fd is not None,
              f"Connect {71 + i}, answered behind the Data, brought its data socket")
        kc, _ = ls.accept()
        r.fd.sendall(b"hi %d" % i)
        kc.settimeout(5)
        check(kc.recv(16) == b"hi %d" % i, f"and that data socket reaches the kernel ({i})")
        kc.close()
        r.fd.close()
    ls.close()
    ks.close()
    s.close()


def reset_behind_a_full_session(t):
    """The peer resets a connection whose Close waits for its data socket's
    EOF while the session is full: the Reset waits in libuv's queue, and the
    data socket stays open until it is written, so a client still reading
    the socket finds the reason on the session before the end."""
    s = FdSession(t.rpc)
    conn, fd, kc = connect(s, 80, 7060)
    ks, _ = fill_session(s, 81, 7061)
    s.send(close_req(82, conn))  # its end is not shut: the Close waits for EOF
    time.sleep(0.2)
    kc.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    kc.close()  # RST
    fd.settimeout(0.5)
    try:
        early = fd.recv(100)
    except socket.timeout:
        early = None
    except ConnectionResetError:
        early = b""
    check(early is None, "while the Reset waits behind the Data, the data socket stays open "
          f"(read {early!r})")
    ev = s.next(lambda m: m.kind == "event" and m.conn == conn and m.event == "reset", 20)
    check(ev is not None and ev.code == ECONNRESET, "the session's Reset comes")
    fd.settimeout(5)
    try:
        end = fd.recv(100)
    except ConnectionResetError:
        end = b""
    check(end == b"", "and then the data socket ends")
    fd.close()
    ks.close()
    s.close()


def main():
    t = Ctl("rpc-fd-path", extra="tcp:\n  msl: 100ms\nlimits:\n  buffered_per_client: 2MiB\n")
    negotiation(t)
    s = FdSession(t.rpc)
    bulk_both_ways(t, s)
    accepted(t, s)
    flow_control(t, s)
    locked_rcvbuf(t, s)
    peer_never_reads(t, s)
    gated_connect(t)
    peer_reset(t, s)
    client_closes(t, s)
    client_exits(t)
    client_exits_unread(t)
    idle_memory(t, FdSession(t.rpc))
    replies_behind_a_full_session(t)
    reset_behind_a_full_session(t)
    check(t.d.alive(), "synackd is alive")
    s.close()


if __name__ == "__main__":
    main()
