#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# make-ctl.py - writes the seed corpus of the 'ctl' fuzz target
# (tests/fuzz/targets/fuzz-ctl.c documents the input format) into
# tests/fuzz/corpus/ctl/: valid packed ControlRequests of every kind, for
# each kind of client, around a world with a few connections in it. Run it
# from anywhere; it overwrites its files (not the crash inputs kept there).
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ctl')
ROOT, READER, STRANGER = 0, 1, 2


def varint(v):
    out = b''
    while True:
        b = v & 0x7F
        v >>= 7
        if not v:
            return out + bytes([b])
        out += bytes([b | 0x80])


def f_varint(field, v):
    return varint(field << 3) + varint(v)


def f_bytes(field, b):
    if isinstance(b, str):
        b = b.encode()
    return varint(field << 3 | 2) + varint(len(b)) + b


# ControlRequest: id = 1, the op's field number, its body
def request(rid, op, body=b''):
    return f_varint(1, rid) + f_bytes(op, body)


(HELLO, STATUS, PING, LIST, SUBSCRIBE, TRACE, STATS, GET, SET, KILL, CAPTURE, RELOAD, IMPAIR,
 CAPTURE_STOP) = range(16, 30)


def rec_request(payload):
    return bytes([0]) + struct.pack('>H', len(payload)) + payload


def rec_time(n):
    return bytes([1]) + struct.pack('>H', n)


def rec_world(a):
    return bytes([2, a])


# a few connections: the peer connects to echo and discard, we accept some,
# the peer sends and closes one, we close one (orphan), we connect out
WORLD = (rec_world(0x10) + rec_world(0x28) + rec_world(0x30) + rec_time(300) +
         rec_world(0x11) + rec_world(0x31) + rec_world(0x1b) + rec_world(0x13) +
         rec_world(0x32) + rec_world(0x44) + rec_world(0x05) + rec_time(500))

KINDS = {
    'hello': request(1, HELLO, f_varint(1, 1) + f_bytes(2, 'synackctl')),
    'hello-old': request(2, HELLO, f_varint(1, 99)),
    'status': request(3, STATUS),
    'ping': request(4, PING),
    'conns': request(5, LIST),
    'subscribe': request(6, SUBSCRIBE),
    'trace': request(7, TRACE, f_varint(1, 3)),
    'trace-follow': request(8, TRACE, f_varint(1, 4) + f_varint(2, 1)),
    'trace-none': request(9, TRACE, f_varint(1, 999)),
    'stats': request(10, STATS),
    'get-all': request(11, GET),
    'get-msl': request(12, GET, f_bytes(1, 'msl')),
    'get-unknown': request(13, GET, f_bytes(1, 'nope')),
    'set-msl': request(14, SET, f_bytes(1, 'msl') + f_varint(2, 1000000)),
    'set-range': request(15, SET, f_bytes(1, 'msl') + f_varint(2, 1 << 60)),
    'set-unknown': request(16, SET, f_bytes(1, 'x' * 100) + f_varint(2, 1)),
    'kill': request(17, KILL, f_bytes(1, varint(3) + varint(4) + varint(5)) + f_varint(2, 0)),
    'kill-one': request(18, KILL, f_varint(1, 3)),
    'kill-dry': request(19, KILL, f_bytes(1, b''.join(varint(i) for i in range(1, 9))) +
                        f_varint(2, 1)),
    'capture': request(20, CAPTURE, f_varint(1, 5) + f_varint(2, 1000) + f_varint(3, 64)),
    'capture-stop': request(24, CAPTURE_STOP),
    'reload': request(21, RELOAD) + b'',
    'impair': request(22, IMPAIR, f_varint(1, 1) + f_varint(2, 1000)),
    'impair-get': request(23, IMPAIR),
    'unknown-op': f_varint(1, 24),
}


def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, rq in KINDS.items():
        write(f'root-{name}', bytes([ROOT]) + WORLD + rec_request(rq) + rec_request(
            KINDS['conns']))
    for name in ('conns', 'set-msl', 'kill', 'kill-dry', 'capture', 'capture-stop', 'reload',
                 'trace', 'hello'):
        write(f'reader-{name}', bytes([READER]) + WORLD + rec_request(KINDS[name]))
    for name in ('conns', 'ping', 'hello', 'set-msl'):
        write(f'stranger-{name}', bytes([STRANGER]) + WORLD + rec_request(KINDS[name]))
    # one session: everything in turn, time passing, connections coming and going
    session = bytes([ROOT]) + WORLD
    for i, rq in enumerate(KINDS.values()):
        session += rec_request(rq) + rec_world(0x10 + 0x10 * (i % 5) + i % 6) + rec_time(40 * i)
    session += rec_time(0xffff) + rec_request(KINDS['conns']) + rec_request(KINDS['trace'])
    write('root-session', session)
    # many rows: more connections than the first allocation of the listing
    many = bytes([READER]) + rec_world(0x06) + rec_time(300) + rec_world(0x0e) + rec_time(300)
    write('reader-many', many + rec_request(KINDS['conns']) + rec_request(KINDS['status']))
    write('root-many', bytes([ROOT]) + many[1:] + rec_request(KINDS['conns']) +
          rec_request(KINDS['kill-dry']) + rec_request(KINDS['kill']) + rec_time(0xffff) +
          rec_request(KINDS['conns']))


if __name__ == '__main__':
    main()
