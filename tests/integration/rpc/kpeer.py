#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# kpeer.py - the kernel side of the RPC integration tests:
#   kpeer.py echo ADDR PORT            an echo server (many connections at once)
#   kpeer.py send ADDR PORT BYTES      accept one connection, send BYTES, close;
#                                      prints how many bytes the kernel took
#   kpeer.py sink ADDR PORT            accept one connection, read it to its end,
#                                      check rpc-client's words (KPEER_CHECK's
#                                      check); prints "sink: N bytes, ok|bad"
#   kpeer.py notify PATH SECONDS       an sd_notify socket: print each message
#   kpeer.py hold ADDR PORT            a listener that never accepts nor reads:
#                                      handshakes complete in its backlog, and
#                                      each connection takes a few KiB at most
#   kpeer.py flood ADDR PORT           accept everything, never read, and send
#                                      on every connection as fast as it can
import asyncio
import os
import signal
import socket
import sys


def check_words(state, data):
    """The rpc-client stream is 64-bit words (k << 40 | index): say where it breaks."""
    buf = state["rest"] + data
    n = len(buf) // 8
    for i in range(n):
        w = int.from_bytes(buf[i * 8:i * 8 + 8], "little")
        if state["k"] is None:
            state["k"] = w >> 40
        want = (state["k"] << 40) | state["idx"]
        if w != want and not state["bad"]:
            state["bad"] = True
            print("kernel got a bad word at byte", state["idx"] * 8, hex(w), "want", hex(want),
                  flush=True)
        state["idx"] += 1
    state["rest"] = buf[n * 8:]


async def echo_client(reader, writer):
    state = {"rest": b"", "k": None, "idx": 0, "bad": False}
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if CHECK:
                check_words(state, data)
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def echo(addr, port):
    server = await asyncio.start_server(echo_client, addr, port, backlog=2048)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


def accept_one(addr, port):
    """Listen on addr:port, say "listening", and return the first connection."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    print("listening", flush=True)
    c, _ = ls.accept()
    ls.close()
    return c


def send(addr, port, total):
    c = accept_one(addr, port)
    block = bytes(range(256)) * 256
    sent = 0
    while sent < total:
        sent += c.send(block[: min(len(block), total - sent)])
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    c.close()
    print("sent", sent, flush=True)


def sink(addr, port):
    c = accept_one(addr, port)
    state = {"rest": b"", "k": None, "idx": 0, "bad": False}
    total = 0
    while True:
        data = c.recv(65536)
        if not data:
            break
        total += len(data)
        check_words(state, data)
    c.close()
    print("sink:", total, "bytes,", "bad" if state["bad"] or state["rest"] else "ok", flush=True)


def hold(addr, port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # a small receive buffer, inherited by every connection: the kernel side
    # of the test holds little, so synackd's buffers are what fills
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ls.bind((addr, port))
    ls.listen(4096)
    print("listening", flush=True)
    while True:
        signal.pause()


def flood(addr, port):
    import resource
    import selectors
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # small kernel buffers: what piles up is in synackd, not in the kernel
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
    ls.bind((addr, port))
    ls.listen(4096)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    chunk = b"f" * 65536
    print("listening", flush=True)
    while True:
        for key, _ in sel.select():
            if key.fileobj is ls:
                try:
                    c, _ = ls.accept()
                except BlockingIOError:
                    continue
                c.setblocking(False)
                sel.register(c, selectors.EVENT_WRITE)
                continue
            try:
                key.fileobj.send(chunk)
            except BlockingIOError:
                pass
            except OSError:
                sel.unregister(key.fileobj)
                key.fileobj.close()


def notify(path, seconds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s.bind(path)
    s.settimeout(seconds)
    try:
        while True:
            print(s.recv(4096).decode(errors="replace").replace("\n", " "), flush=True)
    except socket.timeout:
        pass


CHECK = False

if __name__ == "__main__":
    mode = sys.argv[1]
    CHECK = os.environ.get("KPEER_CHECK") == "1"
    if mode == "echo":
        asyncio.run(echo(sys.argv[2], int(sys.argv[3])))
    elif mode == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "notify":
        notify(sys.argv[2], float(sys.argv[3]))
    elif mode == "flood":
        flood(sys.argv[2], int(sys.argv[3]))
    elif mode == "sink":
        sink(sys.argv[2], int(sys.argv[3]))
    elif mode == "hold":
        hold(sys.argv[2], int(sys.argv[3]))
