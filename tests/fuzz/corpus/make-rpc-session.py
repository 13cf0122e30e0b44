#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# make-rpc-session.py - writes the seed corpus of the 'rpc-session' fuzz
# target (tests/fuzz/targets/fuzz-rpc-session.c documents the input format)
# into tests/fuzz/corpus/rpc-session/: valid sequences that reach each
# handler, ownership checks, flow control, accepting and refusals. Run it
# from anywhere; it overwrites its files.
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'rpc-session')
CONNECT, LISTEN, SEND, CREDIT, SHUTDOWN, CLOSE, ABORT, SETOPT, GETOPT, INFO = range(10)


def hello(k=0, v=0):
    return bytes([0x01 | k << 7, v])


def req(kind, sel=0, val=0, extra=0, k=0):
    return bytes([0x02 | k << 7, kind, sel]) + struct.pack('<I', val) + bytes([extra])


def time(ms):
    return bytes([0x03]) + struct.pack('<H', ms)


def peer(kind, arg=0):
    return bytes([0x04, kind, arg])


def reading(k=0):
    return bytes([0x05 | k << 7])


def hangup(k=0):
    return bytes([0x06 | k << 7])


def frame(payload, k=0):
    return bytes([0x00 | k << 7, len(payload)]) + payload


def raw(b, k=0):
    return bytes([0x07 | k << 7, len(b)]) + b


def connect_echo(k=0, credit=0xffff):
    return req(CONNECT, val=credit, extra=1, k=k) + time(1)


OPTIONS = b''.join(req(SETOPT, 0, v, o) + req(GETOPT, 0, 0, o)
                   for o, v in [(1, 1), (2, 1), (3, 5000), (4, 1000), (5, 3), (6, 65536),
                                (7, 65536), (8, 1), (0x86, 0xffffffff), (0x83, 0xffffffff)])

SEEDS = {
    'connect-echo': hello() + connect_echo() + req(SEND, 0, 1000) + time(1) +
    req(CREDIT, 0, 5000) + req(INFO) + OPTIONS + req(SEND, 0, 5999) + time(5) +
    req(SHUTDOWN) + time(1) + req(CLOSE) + time(100),
    'ownership': hello(0) + hello(k=1) + connect_echo(0) +
    b''.join(req(kind, 16, 10, 1, k=1) for kind in
             (SEND, CREDIT, SHUTDOWN, SETOPT, GETOPT, INFO, CLOSE, ABORT)) +
    req(SEND, 0, 100) + time(1) + req(ABORT) + time(1),
    'listen-accept': hello() + req(LISTEN, 0, 0x10000, 0x40) + peer(0, 0) + time(1) +
    peer(1, 100) + time(1) + req(CREDIT, 1, 1000) + time(1) + req(SEND, 1, 300) +
    time(1) + peer(2, 0) + time(1) + req(CLOSE, 1) + req(CLOSE, 0) + time(1),
    'listen-backlog': hello() + req(LISTEN, 0, 0x100, 0x10) +
    b''.join(peer(0, 0) for _ in range(8)) + time(1) + time(10) + peer(3, 1) + time(1),
    'no-reader': hello() + reading() + b''.join(req(INFO, 40, 12345) for _ in range(150)) +
    time(1) + reading() + time(1),
    'no-reader-data': hello() + connect_echo(credit=0x8000) + reading() +
    b''.join(req(SEND, 0, 5000) + time(2) for _ in range(20)) + reading() + time(5),
    'refusals': hello() + req(CONNECT, 0, 0, 2) + time(1) + req(CONNECT, 0, 0, 0x81) +
    req(CONNECT, 0, 0, 0x83) + req(CONNECT, 0, 0, 0x40) + req(CONNECT, 0, 0x10000, 4) +
    time(3) + req(LISTEN, 0, 7, 0) + req(LISTEN, 0, 7, 0) + time(1),
    'limits': hello() + b''.join(req(LISTEN, 0, i, 0) for i in range(8)) + hello(k=1) +
    b''.join(req(LISTEN, 0, i, 1, k=1) for i in range(4)) + time(1),
    'garbage': req(INFO) + frame(b'\xff\xff\xff\xff\xff\x01') + hello() + hello() +
    frame(b'\x12\x05\x08\x07\x9a\x06\x00') + frame(b'\xff\xff') + raw(b'\x00\x00'),
    'oversized': hello(k=1) + raw(b'\x7f\xff\xff\xff', k=1) + hello() + req(INFO) +
    raw(b'\x00\x00\x00\x00'),
    'version': hello(0, 251) + hello() + hello(k=1) + req(INFO, k=1),
    'reopen': hello() + connect_echo() + hangup() + hangup() + hello() + req(INFO, 40, 1) +
    hangup(1) + hangup(1) + hangup(1) + hangup(1) + hello(k=1) + time(1),
    'peer-reset': hello() + connect_echo() + peer(3, 0) + time(1) + req(SEND, 0, 10) +
    time(1) + req(INFO) + time(200),
    'retransmit': hello() + req(CONNECT, 0, 0xffff, 0x81) + time(1000) + time(3000) +
    time(60000) + time(60000) + req(INFO),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)
