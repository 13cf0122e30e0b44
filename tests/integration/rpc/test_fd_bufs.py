#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The daemon's end of a data socket follows the connection's receive buffer
(rpc_fd.h, rpc_fd_grow_to_app), within a budget, with the kernel as the
peer. synackd runs with tcp.recv_buffer 2 MiB (not one a client set, so the
end follows it) and limits.memory 8 MiB, so grown ends may add 2 MiB
together; autotuning is off, so that the buffer stays 2 MiB and the end
grows once (with it on, a slow run, under ASan, once saw the buffer grow
after the end had, and the end a second time).

- A client that has not read yet, its end full: the end grows to the
  receive buffer as Linux counts it (SO_SNDBUF 1 MiB): SynackRpcFdBufsGrown
  +1, the gauge SynackRpcFdBufBytes up by the growth, and the socketpair
  holds more than a 128 KiB end could and at most the new bound.
- A second one at the same time: growing it too would pass the budget, so
  it stays where it started, at most 128 KiB (Linux's default where that is
  less; SynackRpcFdBufsCapped +1).
- Every byte of both still arrives, and once both connections are gone the
  gauge is back where it started.
- Then, with tcp.recv_buffer 256 KiB: a full end is not
  grown, since a new end is given that much already (neither counter moves;
  an end that kept Linux's 208 KiB default was grown to 256 KiB here once).

Growing past net.core.wmem_max takes SO_SNDBUFFORCE, which Linux allows
only with CAP_NET_ADMIN in the initial user namespace: without it (under
unshare -rn) and with wmem_max under 1 MiB the test skips (77).
"""

import sys

from ctltest import Ctl, check
from test_fd_path import SOCKPAIR_BOUND, connect, fionread, read_after_stall, send_until_stalled
from rpctest import FdSession

GROWN_END = 2 << 20  # SO_SNDBUF 1 MiB (half of recv_buffer) as Linux counts it


def can_grow():
    """Whether synackd can set a 1 MiB end: real root, or wmem_max allows it."""
    wmem_max = int(open("/proc/sys/net/core/wmem_max").read())
    init_ns = open("/proc/self/uid_map").read().split()[:3] == ["0", "0", "4294967295"]
    return wmem_max >= GROWN_END // 2 or init_ns


def fill(t, s, rid, port):
    """A connection whose client does not read, filled by the kernel until it stalls."""
    conn, fd, ks = connect(s, rid, port)
    ks.setblocking(False)
    sent, h, _ = send_until_stalled(ks)
    return conn, fd, ks, sent, h


def drain(s, conn, fd, ks, sent, h, what):
    read_after_stall(ks, fd, h, sent, f"{what}: once read")
    c = s.next(lambda m: m.kind == "event" and m.conn == conn and m.event == "closed", 10)
    check(c is not None, f"{what}: the connection is let go (Closed)")


def small_buffer(t, s):
    """A receive buffer of 256 KiB asks for SO_SNDBUF 128 KiB: what a new end has."""
    t.run("set", "recv_buffer", "256KiB")
    c0 = t.counters()
    c = fill(t, s, 3, 7103)
    c1 = t.counters()
    grew = c1["SynackRpcFdBufsGrown"] - c0["SynackRpcFdBufsGrown"]
    capped = c1["SynackRpcFdBufsCapped"] - c0["SynackRpcFdBufsCapped"]
    inpair = fionread(c[1])
    print(f"recv_buffer 256 KiB: socketpair {inpair >> 10} KiB, grown {grew}, refused {capped}",
          flush=True)
    check(grew == 0 and capped == 0,
          f"a full end is not grown for a 256 KiB receive buffer (grown {grew}, refused {capped})")
    check(inpair <= SOCKPAIR_BOUND, f"it holds at most a 128 KiB end's bound ({inpair})")
    drain(s, *c, "256 KiB")


def main():
    t = Ctl("rpc-fd-bufs", extra="tcp:\n  msl: 100ms\n  recv_buffer: 2MiB\n  buffer_autotune: false\n"
            "limits:\n  memory: 8MiB\n  memory_per_uid: 8MiB\n")
    if not can_grow():
        print("SKIP: SO_SNDBUFFORCE needs CAP_NET_ADMIN in the initial user namespace, and "
              "net.core.wmem_max is under 1 MiB", flush=True)
        sys.exit(77)
    s = FdSession(t.rpc)
    c0 = t.counters()
    held0 = c0.get("SynackRpcFdBufBytes", 0)

    a = fill(t, s, 1, 7101)
    c1 = t.counters()
    grew = c1["SynackRpcFdBufsGrown"] - c0["SynackRpcFdBufsGrown"]
    held = c1["SynackRpcFdBufBytes"] - held0
    inpair = fionread(a[1])
    print(f"first connection: the kernel sent {a[3] >> 10} KiB, socketpair {inpair >> 10} KiB, "
          f"grown {grew} times, SynackRpcFdBufBytes +{held >> 10} KiB", flush=True)
    check(grew == 1, f"its end grew once (SynackRpcFdBufsGrown +{grew})")
    check(GROWN_END <= held <= GROWN_END + SOCKPAIR_BOUND,
          f"SynackRpcFdBufBytes counts the grown end ({held} bytes)")
    check(SOCKPAIR_BOUND < inpair <= GROWN_END * 3 // 2,
          f"it holds more than a 128 KiB end could ({SOCKPAIR_BOUND}), at most its new "
          f"bound ({inpair} bytes)")

    b = fill(t, s, 2, 7102)
    c2 = t.counters()
    capped = c2["SynackRpcFdBufsCapped"] - c1["SynackRpcFdBufsCapped"]
    inpair_b = fionread(b[1])
    print(f"second connection: socketpair {inpair_b >> 10} KiB, growths refused {capped}",
          flush=True)
    check(c2["SynackRpcFdBufsGrown"] == c1["SynackRpcFdBufsGrown"],
          "the second end did not grow: the budget (limits.memory / 4) is taken")
    check(capped >= 1, f"the refusal is counted (SynackRpcFdBufsCapped +{capped})")
    check(inpair_b <= SOCKPAIR_BOUND, f"it holds at most a 128 KiB end's bound ({inpair_b})")

    drain(s, *a, "first")
    drain(s, *b, "second")
    check(t.counters().get("SynackRpcFdBufBytes", 0) == held0,
          "with both gone, SynackRpcFdBufBytes is back where it started")
    small_buffer(t, s)
    check(t.d.alive(), "synackd is alive")
    s.close()


if __name__ == "__main__":
    main()
