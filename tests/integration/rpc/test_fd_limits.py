#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What data sockets (FEATURE_FD_DATA) can make synackd hold is bounded and
counted (issue 12):

- A client that never reads its session (so never picks up its data
  sockets) holds at most 2 descriptors per connection in synackd, within
  limits.conns_per_client; connections reset meanwhile do not let it hold
  more (SynackRpcFdHeld <= 2 x conns_per_client); all of it goes when it
  hangs up, and synackd's descriptor count comes back to where it was.
- Under a low RLIMIT_NOFILE, Connect with fd gets EMFILE with a message
  naming the limit (SynackRpcFdLimit) while a connection without a data
  socket still works.
- The data socket synackd makes ahead after a Connect (the spare) lends its
  room only to the data socket that takes it: a Listen with an accept queue
  (a socketpair of its own) at the budget gets EMFILE, and SynackRpcFdHeld
  never passes the budget (issue 11).
- Descriptors a client sends to synackd are closed at once (SynackRpcFdsDropped).
- A listener whose connections wait for descriptors uses every one the
  budget allows, and takes the next as soon as one is let go, also when
  what lets it go is a write: a client end still to be written, or the end
  of a connection the peer reset, kept until the Reset is written. (Once
  sessions wrote their batches in place, without libuv's callback after
  each write, the last accept waited for an event that never came.)
"""

import array
import select
import socket
import struct
import time

import synacktest as st
from ctltest import Ctl, check, nfds, pb_bytes, pb_varint, wait_counter
from rpctest import FdSession, connect_fd, frame, hello_fd, listen_fd, request

EMFILE = 24
CONNS = 8


def kernel_listener(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((st.KERNEL, port))
    ls.listen(64)
    ls.settimeout(10)
    return ls


def never_reads():
    t = Ctl("rpc-fd-never-reads", extra=f"limits:\n  conns_per_client: {CONNS}\n")
    pid = t.d.p.pid
    base = nfds(pid)
    ls = kernel_listener(7100)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(t.rpc)
    s.sendall(hello_fd() + b"".join(connect_fd(i + 1, st.KERNEL, 7100) for i in range(12)))
    peers = []
    for _ in range(CONNS):
        k, _ = ls.accept()
        peers.append(k)
    wait_counter(t, "SynackRpcFdConns", lambda v: v == CONNS, 20.0)
    time.sleep(0.5)  # and the Connects past the cap answered, if they were to be
    c = t.counters()
    held = nfds(pid) - base
    print(f"a client that never reads, 12 Connects with fd: SynackRpcFdHeld "
          f"{c.get('SynackRpcFdHeld', 0)}, SynackRpcFdConns {c.get('SynackRpcFdConns', 0)}, "
          f"synackd holds {held} more descriptors", flush=True)
    check(c.get("SynackRpcFdConns", 0) == CONNS, f"{CONNS} connections (conns_per_client)")
    check(c.get("SynackRpcFdHeld", 0) <= 2 * CONNS, "at most 2 descriptors each")
    check(held <= 2 * CONNS + 2, f"synackd's descriptors grew by {held} (<= {2 * CONNS} + 2)")
    # the peers reset them all; the client, still not reading, asks for more
    for k in peers:
        k.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        k.close()
    time.sleep(0.5)
    s.sendall(b"".join(connect_fd(100 + i, st.KERNEL, 7100) for i in range(20)))
    time.sleep(1.0)
    c = t.counters()
    held = nfds(pid) - base
    print(f"after the peers reset them and 20 more Connects: SynackRpcFdHeld "
          f"{c.get('SynackRpcFdHeld', 0)}, synackd holds {held} more descriptors", flush=True)
    check(c.get("SynackRpcFdHeld", 0) <= 2 * CONNS, "still at most 2 x conns_per_client")
    check(held <= 2 * CONNS + 2, f"synackd's descriptors grew by {held} (<= {2 * CONNS} + 2)")
    s.close()
    check(wait_counter(t, "SynackRpcFdHeld", lambda v: v == 0) == 0,
          "the client hung up: synackd holds none of its data sockets")
    check(wait_counter(t, "SynackRpcFdConns", lambda v: v == 0) == 0, "and no fd connection")
    deadline = time.monotonic() + 5
    while nfds(pid) > base and time.monotonic() < deadline:
        time.sleep(0.1)
    check(nfds(pid) <= base, f"synackd's descriptors are back to {base} ({nfds(pid)})")
    ls.close()
    t.h.cleanup()


def rlimit():
    # RLIMIT_NOFILE 110 less max_clients 4 and a reserve of 64: 42 descriptors. A data
    # socket holds two in synackd until the write carrying its client end is done, then
    # one; a reply with a descriptor writes the batch before it (rpc_session_send_fd), and
    # a Connect that finds no room writes the batch holding the last client end first
    # (rpc_fd_room), so of 60 Connects in one read each holds one: 41 fit (a 42nd would
    # need two). (Before the client ends went as soon as their write was done, each held
    # two while the turn lasted: 21 fit; before a Connect at the budget wrote the batch
    # holding the last client end, that end still counted: 40 fit.)
    t = Ctl("rpc-fd-rlimit", extra="limits:\n  max_clients: 4\n",
            start_kw={"prefix": ["prlimit", "--nofile=110:110"]})
    ls = kernel_listener(7101)
    s = FdSession(t.rpc)
    # one write, so synackd reads them at once (the count above)
    s.send(b"".join(connect_fd(i + 1, st.KERNEL, 7101) for i in range(60)))
    codes = []
    for i in range(60):
        r = s.next(lambda m, i=i: m.kind == "reply" and m.id == i + 1)
        check(r is not None, f"Connect {i + 1} answered")
        codes.append((r.code, r.message))
    ok = sum(1 for c, _ in codes if c == 0)
    refused = [m for c, m in codes if c == EMFILE]
    print(f"60 Connects with fd under RLIMIT_NOFILE 110: {ok} made, {len(refused)} EMFILE "
          f"({refused[0] if refused else ''})", flush=True)
    check(ok == 41 and len(refused) == 19, "41 data sockets fit, the rest get EMFILE")
    check(all("RLIMIT_NOFILE" in m for m in refused), "and the message names RLIMIT_NOFILE")
    check(t.counters().get("SynackRpcFdLimit", 0) == 19, "counted as SynackRpcFdLimit")
    s.send(connect_fd(99, st.KERNEL, 7101, fd=False))
    r = s.next(lambda m: m.kind == "reply" and m.id == 99)
    check(r is not None and r.code == 0 and r.fd is None,
          "a connection without a data socket still works")
    check(t.d.alive(), "synackd is alive")
    s.close()
    ls.close()
    t.h.cleanup()


def listen_queue(rid, port):
    """Listen on port with fd and queue (an accept socket: FEATURE_DETACHED)."""
    body = pb_bytes(1, pb_varint(2, port)) + pb_varint(4, 1) + pb_varint(5, 1)
    return request(rid, 17, body)


def spare_budget():
    # RLIMIT_NOFILE 110 less max_clients 4 and a reserve of 64: 42 descriptors.
    # 39 Connects (one each, two for the last, whose client end is not written
    # yet: 40, and the spare made after the last: 42; see rlimit()), then a
    # Listen with queue, which needs a socketpair beside the spare: it writes
    # the last client end first (41 held) and still finds no room for two;
    # then a Connect, which takes the spare.
    t = Ctl("rpc-fd-spare", extra="limits:\n  max_clients: 4\n  conns_per_client: 64\n",
            start_kw={"prefix": ["prlimit", "--nofile=110:110"]})
    ls = kernel_listener(7102)
    s = FdSession(t.rpc, features=3)
    s.send(b"".join(connect_fd(i + 1, st.KERNEL, 7102) for i in range(39)) +
           listen_queue(50, 7200) + connect_fd(60, st.KERNEL, 7102))
    for i in range(39):
        r = s.next(lambda m, i=i: m.kind == "reply" and m.id == i + 1)
        check(r is not None and r.code == 0, f"Connect {i + 1} made")
    r = s.next(lambda m: m.kind == "reply" and m.id == 50)
    print(f"Listen with queue at the budget: {r.code if r else None} "
          f"({r.message if r else ''})", flush=True)
    check(r is not None and r.code == EMFILE and "41 held, at most 42" in r.message,
          "a Listen with queue at the budget gets EMFILE: the spare's room is not its own")
    r = s.next(lambda m: m.kind == "reply" and m.id == 60)
    check(r is not None and r.code == 0, "the next Connect takes the spare")
    held = t.counters().get("SynackRpcFdHeld", 0)
    check(held <= 42, f"SynackRpcFdHeld {held} within the budget of 42")
    s.close()
    check(wait_counter(t, "SynackRpcFdHeld", lambda v: v == 0) == 0,
          "the last client gone: no spare held either")
    ls.close()
    t.h.cleanup()


def sent_fds():
    t = Ctl("rpc-fd-sent")
    pid = t.d.p.pid
    base = nfds(pid)
    ls = kernel_listener(7102)
    # a plain session refuses descriptors where the kernel can (SO_PASSRIGHTS,
    # Linux >= 6.16: the rpc listener's, test_fd_linger.py); one that asked
    # for detached connections takes them (its proofs) and closes the rest
    junk = [socket.socket() for _ in range(10)]
    fds = array.array("i", [j.fileno() for j in junk])
    p = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    p.connect(t.rpc)
    try:
        p.sendmsg([hello_fd()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        plain = "taken"
    except PermissionError:
        plain = "refused"
    p.close()
    print(f"10 descriptors sent on a plain session: {plain}", flush=True)
    want = 10 if plain == "refused" else 20
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(t.rpc)
    s.settimeout(5)
    s.sendall(frame(pb_bytes(1, pb_varint(1, 1) + pb_varint(3, 3))))  # FD_DATA | DETACHED
    check(len(s.recv(4096)) > 0, "a session that asked for detached connections")
    s.sendmsg([request(1, 25, b"")], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
    for j in junk:
        j.close()
    check(wait_counter(t, "SynackRpcFdsDropped", lambda v: v == want) == want,
          "10 descriptors a client sent are closed (SynackRpcFdsDropped)")
    check(nfds(pid) <= base + 1, f"synackd holds none of them ({nfds(pid)} vs {base} + the session)")
    s.sendall(connect_fd(1, st.KERNEL, 7102))
    s.settimeout(5)
    check(len(s.recv(4096)) > 0, "the session still answers")
    s.close()
    ls.close()


def accept_resumes():
    # the budget of rlimit(): 42 descriptors. A listener with data sockets and
    # more connections than fit: the ones past the budget wait in its queue.
    t = Ctl("rpc-fd-accept", extra="limits:\n  max_clients: 4\n  conns_per_client: 64\n",
            start_kw={"prefix": ["prlimit", "--nofile=110:110"]})
    s = FdSession(t.rpc)
    s.send(listen_fd(1, 7300, 64))
    r = s.next(lambda m: m.kind == "reply" and m.id == 1)
    check(r is not None and r.code == 0, "Listen with fd")
    # all at once, so that synackd reads their handshakes in a batch and takes
    # them from the listener in one go
    peers = []
    for _ in range(48):
        p = socket.socket()
        p.setblocking(False)
        p.connect_ex((st.OURS, 7300))
        peers.append(p)
    for p in peers:
        select.select([], [p], [], 10)
        p.setblocking(True)
    taken = []
    while True:
        m = s.next(lambda m: m.kind == "event" and m.event == "incoming", 1.0)
        if m is None:
            break
        check(m.fd is not None, "each Incoming comes with its data socket")
        taken.append(m)
    held = t.counters().get("SynackRpcFdLimit", 0)
    print(f"48 connections to a listener under RLIMIT_NOFILE 110: {len(taken)} taken, "
          f"the rest held (SynackRpcFdLimit {held})", flush=True)
    # each taken one holds a descriptor once its client end is written; a 42nd
    # would need two. The 41st fits only if the batch holding the 40th's client
    # end is written before its room is looked at (rpc_fd_room): written in
    # place later, with no write callback to try the listener again, it waited.
    check(len(taken) == 41 and held >= 1,
          "41 are taken, every descriptor the budget allows; the rest wait")
    # the peer of the first one resets it: its end goes once the Reset is written
    # (nothing else happens on the session: no Close, no new connection)
    peers[0].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peers[0].close()
    ev = s.next(lambda m: m.kind == "event" and m.event == "reset", 10)
    check(ev is not None, "the Reset reaches the client")
    more = s.next(lambda m: m.kind == "event" and m.event == "incoming", 10)
    check(more is not None and more.fd is not None,
          "and the end it let go is taken by the next waiting connection")
    check(t.d.alive(), "synackd is alive")
    s.close()
    for p in peers[1:]:
        p.close()
    t.h.cleanup()


def main():
    never_reads()
    rlimit()
    spare_budget()
    accept_resumes()
    sent_fds()


if __name__ == "__main__":
    main()
