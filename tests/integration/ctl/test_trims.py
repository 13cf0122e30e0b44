#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synackd gives its heap back (malloc_trim, SynackClientHeapTrims) at most
once a second: 100 RPC clients that each queue a burst of replies (64 KiB
of Info requests, unread) and hang up within about a second asked for 100
trims, one per session; then 3 s of kernel connections each sending 200 KB
to discard free socket buffers in 4 MiB steps. Each trim walks the whole
heap, so trims are bounded by the seconds elapsed (+ 2)."""

import socket
import struct
import time

from ctltest import DISCARD, Ctl, check

SESSIONS = 100
BULK_S = 3.0


def frame(b):
    return struct.pack(">I", len(b)) + b


# ClientMessage {hello: {version: 1}}, then {id: 1, info: {detail: 1}}
HELLO = frame(bytes([0x0A, 0x02, 0x08, 0x01]))
INFO = frame(bytes([0x12, 0x07, 0x08, 0x01, 0xCA, 0x01, 0x02, 0x08, 0x01]))


def trims(t):
    return t.counters().get("SynackClientHeapTrims", 0)


def main():
    # room for every session at once: on a loaded machine synackd may not
    # have seen the earlier ones hang up yet, and a refused session (over
    # limits.max_clients or clients_per_uid) would be hung up mid-burst
    t = Ctl("ctl-trims", extra="limits:\n  max_clients: 256\n  clients_per_uid: 256\n")
    burst = HELLO + INFO * ((65536 - len(HELLO)) // len(INFO))

    before, t0 = trims(t), time.monotonic()
    for _ in range(SESSIONS):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(t.rpc)
        s.sendall(burst)
        time.sleep(0.01)
        s.close()
    time.sleep(1.2)  # an owed trim is done once its second is up
    n, secs = trims(t) - before, time.monotonic() - t0
    print(f"{SESSIONS} RPC sessions with a burst left in {secs:.1f} s: {n} trims", flush=True)
    check(n >= 1, "the bursts' memory was given back")
    check(n <= secs + 2, f"at most one trim a second ({n} in {secs:.1f} s)")

    before, t0, conns = trims(t), time.monotonic(), 0
    data = b"x" * 200000
    while time.monotonic() - t0 < BULK_S:
        s = t.h.connect(DISCARD)
        s.sendall(data)
        s.close()
        conns += 1
    time.sleep(1.2)
    n, secs = trims(t) - before, time.monotonic() - t0
    print(f"{conns} connections of 200 KB to discard in {secs:.1f} s: {n} trims", flush=True)
    check(n >= 1, "the freed socket buffers were given back")
    check(n <= secs + 2, f"at most one trim a second ({n} in {secs:.1f} s)")
    check(t.d.alive(), "synackd is alive")


if __name__ == "__main__":
    main()
