#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# make-tcp.py - writes the seed corpus of the fuzz-tcp target (see
# tests/fuzz/targets/fuzz-tcp.c for the record format) into corpus/tcp/.
# The found-* files beside them are inputs libFuzzer found (a -merge=1
# minimised run, largest 60 kept); they are kept as they are.
import os
import struct

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tcp')
os.makedirs(out, exist_ok=True)

ACK, FIN, SYN, RST, PSH = 0x10, 0x01, 0x02, 0x04, 0x08


def step(n):
    return bytes([0]) + struct.pack('>H', n)


def seg(flags, dseq=0, dack=0, wnd=8192, length=0, opts=0, op=1):
    return bytes([op, flags]) + struct.pack('>IIHHB', dseq & 0xffffffff, dack & 0xffffffff,
                                           wnd, length, opts)


def call(which, length=0):
    return bytes([3, which]) + struct.pack('>H', length)


seeds = {
    'data-in': seg(ACK | PSH, length=100) + step(300) + call(1, 500) + step(1000),
    'data-out': call(0, 5000) + seg(ACK, dack=1460) + step(500) + seg(ACK, dack=4000) + step(2000),
    'ooo': seg(ACK, dseq=200, length=100) + seg(ACK, dseq=100, length=100, opts=1)
           + seg(ACK, length=100) + call(1, 1000),
    'close-active': call(3) + seg(ACK, dack=1) + seg(ACK | FIN, dack=1) + step(8000) + step(8000),
    'close-passive': seg(ACK | FIN) + call(1, 10) + call(2) + seg(ACK, dack=1),
    'rst': seg(RST, dseq=1) + seg(RST) + seg(SYN) + seg(ACK, dack=100000),
    'zero-window': seg(ACK, wnd=0) + call(0, 3000) + step(500) + step(800) + step(1200)
                   + seg(ACK, wnd=4000) + step(2000),
    'retransmit': call(0, 3000) + step(500) + step(700) + step(1000) + step(1500)
                  + seg(ACK, dack=1460) + seg(ACK, dack=1460) + seg(ACK, dack=1460)
                  + seg(ACK, dack=1460),
    'listen': seg(SYN, dseq=12345, op=5) + seg(ACK, op=5) + call(5) + call(0x80 | 3),
    'raw': bytes([2, 24]) + bytes(range(24)) + bytes([10, 30]) + bytes(30),
    'keepalive': call(7, 0x0001) + step(65535) + step(65535) + step(30000),
    'connect': call(6, 1) + step(1000) + step(1400) + step(2000) + step(3000),
    'blocked': call(9, 1) + call(0, 100) + step(10) + call(9, 0) + step(10),
    'timewait': call(2) + seg(ACK | FIN, dack=1) + step(8000) + seg(SYN, dseq=100000)
                + step(8000),
    # three SYNs on fresh ports fill the 2-entry SYN queue: the third gets a cookie,
    # which the peer then answers (op bit 4), with data and FIN in the second seed
    'syncookie': seg(SYN, op=5, opts=5) + seg(SYN, op=5, length=1, opts=5)
                 + seg(SYN, op=5, length=2, opts=5) + seg(ACK, op=21, opts=1) + call(5)
                 + step(100),
    'syncookie-data': seg(SYN, op=5) + seg(SYN, op=5, length=1) + seg(SYN, op=5, length=2)
                      + seg(ACK | PSH | FIN, op=21, length=100) + call(5) + call(1, 500)
                      + step(3000),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
