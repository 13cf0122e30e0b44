#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A reload that shortens rpc.hello_timeout and rpc.idle_timeout applies to the
sessions already connected, not only to new ones: a client that has not said
Hello, and a session that owns nothing, are hung up within the new timeouts
(here 200 ms and 300 ms; checked within 4 s) rather than at the deadlines
computed from the defaults they started with (10 s and 5 min). A session
holding a connection stays. Raw protobuf over the RPC socket."""

import signal
import socket
import time

import synacktest as st
from ctltest import Ctl, check, wait_counter
from rpctest import HELLO, Session, connect, info


def main():
    t = Ctl("rpc-timeouts-reload")
    k = socket.socket()
    k.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    k.bind((st.KERNEL, 5000))
    k.listen(8)

    mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mute.connect(t.rpc)  # never says Hello
    idle = Session(t.rpc, info(2))  # Hello, one request, then nothing
    busy = Session(t.rpc, connect(st.KERNEL, 5000))  # holds a connection
    k.settimeout(5)
    kb, _ = k.accept()
    time.sleep(0.5)
    check(t.counters().get("SynackRpcHelloTimeouts", 0) == 0, "no Hello timeout before the reload")
    check(t.counters().get("SynackRpcIdleTimeouts", 0) == 0, "no idle timeout before the reload")

    text = t.text.replace('  group: ""\ncontrol:',
                          '  group: ""\n  hello_timeout: 200ms\n  idle_timeout: 300ms\ncontrol:')
    check(text != t.text, "the test's config has the rpc section it edits")
    t.h.write_config(text, "synackd-0.yaml")
    reloaded = time.monotonic()
    t.d.send(signal.SIGHUP)
    t.d.wait_notify("READY=1")
    check(wait_counter(t, "SynackRpcHelloTimeouts", lambda v: v == 1, 4.0) == 1,
          "the client without Hello is hung up after the reload's hello_timeout")
    check(wait_counter(t, "SynackRpcIdleTimeouts", lambda v: v == 1, 4.0) == 1,
          "the idle session is hung up after the reload's idle_timeout")
    print(f"both hung up {time.monotonic() - reloaded:.2f} s after the reload")
    mute.settimeout(2)
    check(mute.recv(65536) is not None, "the mute client's socket is readable")
    busy.s.sendall(info(3))
    time.sleep(0.5)
    check(t.counters().get("SynackRpcIdleTimeouts", 0) == 1, "the session holding a connection stays")
    check(t.d.alive(), "synackd is alive")
    for s in (kb, k, mute, idle.s, busy.s):
        s.close()


if __name__ == "__main__":
    main()
