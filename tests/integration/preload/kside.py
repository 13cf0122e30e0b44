#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# kside.py - the kernel's end of test-kill.sh: one connection each, and how it ended.
#   kside.py collect ADDR PORT        read until the end; print "bytes N end EOF|RESET"
#   kside.py lazy ADDR PORT FILE      read nothing for 1.5 s, append "kernel-reads"
#                                     to FILE, then read to the end
#   kside.py push ADDR PORT BYTES     send BYTES, then read; print "end EOF|RESET"
#                                     (BYTES 0: read to the end, then hold the
#                                     connection open, silent, for 60 s)
import socket
import sys
import time


def listener(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    print("listening", flush=True)
    c, _ = s.accept()
    s.close()
    c.settimeout(30)
    return c


def collect(addr, port):
    c = listener(addr, port)
    n, end = 0, "EOF"
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            n += len(b)
    except ConnectionResetError:
        end = "RESET"
    print(f"bytes {n} end {end}", flush=True)


def lazy(addr, port, order):
    """Read nothing for 1.5 s (the window closes), say so in order, then read to the end."""
    c = listener(addr, port)
    time.sleep(1.5)
    with open(order, "a") as f:
        f.write("kernel-reads\n")
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
    print(f"bytes {n} end EOF", flush=True)


def push(addr, port, count):
    c = listener(addr, port)
    end = "EOF"
    try:
        c.sendall(b"p" * count)
        while c.recv(65536):
            pass
        if not count:
            time.sleep(60)  # the silent peer: never closes its side
    except (ConnectionResetError, BrokenPipeError):
        end = "RESET"
    print(f"end {end}", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "collect":
        collect(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "lazy":
        lazy(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        push(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
