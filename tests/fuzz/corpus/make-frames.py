#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# make-frames.py - writes the seed corpus of the 'frames' fuzz target
# (tests/fuzz/targets/fuzz-frames.c documents the input format) into
# tests/fuzz/corpus/frames/. Run it from anywhere; it overwrites its files.
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'frames')
US = bytes([2, 0, 0, 0, 0, 2])
PEER = bytes([2, 0, 0, 0, 0, 3])
GW = bytes([2, 0, 0, 0, 0, 1])
BCAST = b'\xff' * 6
ADDR, PEER_IP, GW_IP, FAR = 0x0a000002, 0x0a000003, 0x0a000001, 0x08080808


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def eth(dst, src, etype, payload):
    return dst + src + struct.pack('!H', etype) + payload


def arp(op, sha, spa, tha, tpa):
    return struct.pack('!HHBBH6sI6sI', 1, 0x0800, 6, 4, op, sha, spa, tha, tpa)


def ip(src, dst, proto, payload, ident=1, frag=0, ttl=64, opts=b''):
    ihl = 5 + len(opts) // 4
    h = struct.pack('!BBHHHBBHII', 0x40 | ihl, 0, 4 * ihl + len(payload), ident, frag, ttl,
                    proto, 0, src, dst) + opts
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload


def icmp(typ, code, rest, data):
    m = struct.pack('!BBH', typ, code, 0) + rest + data
    return m[:2] + struct.pack('!H', csum(m)) + m[4:]


def echo(ident, seq, n):
    return icmp(8, 0, struct.pack('!HH', ident, seq), bytes(i & 0xff for i in range(n)))


def tcp_syn(sport, dport, seq):
    return struct.pack('!HHIIBBHHH', sport, dport, seq, 0, 5 << 4, 0x02, 65535, 0, 0)


def ipf(payload, **kw):
    return eth(US, PEER, 0x0800, ip(PEER_IP, ADDR, **kw, payload=payload))


def rec(frame, step=0, valid=False, partial=False):
    n = len(frame) | (0x8000 if valid else 0) | (0x4000 if partial else 0)
    return struct.pack('!BH', step, n) + frame


def write(name, flags, *records):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(bytes([flags]) + b''.join(records))


def frags(payload, size, ident, proto=1):
    out = []
    for off in range(0, len(payload), size):
        more = 0x2000 if off + size < len(payload) else 0
        out.append(ipf(payload[off:off + size], proto=proto, ident=ident,
                       frag=more | (off // 8)))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    req = eth(BCAST, PEER, 0x0806, arp(1, PEER, PEER_IP, b'\0' * 6, ADDR))
    write('arp-request', 0, rec(req))
    write('arp-probe', 0, rec(eth(BCAST, PEER, 0x0806, arp(1, PEER, 0, b'\0' * 6, ADDR))))
    # an unknown protocol from an unresolved host: ARP, then the answer flushes the queue
    write('arp-resolve', 1,
          rec(ipf(b'x' * 16, proto=99)),
          rec(eth(US, PEER, 0x0806, arp(2, PEER, PEER_IP, US, ADDR)), step=10))
    write('arp-timeout', 1, rec(ipf(b'x' * 16, proto=17)), rec(b'', step=60))
    write('ping', 2, rec(ipf(echo(1, 1, 56), proto=1)))
    write('ping-padded', 2, rec(ipf(echo(1, 2, 4), proto=1) + b'\0' * 14))
    write('ping-valid-meta', 2, rec(ipf(echo(1, 3, 32), proto=1), valid=True))
    write('ping-bcast', 2, rec(eth(BCAST, PEER, 0x0800, ip(PEER_IP, 0xffffffff, 1,
                                                          echo(1, 4, 8)))))
    write('ping-options', 2, rec(ipf(echo(1, 5, 8), proto=1, opts=b'\x94\x04\0\0')))
    write('ping-mtu576', 2 | 4, rec(ipf(echo(1, 6, 1400), proto=1)))
    big = echo(7, 7, 4000)
    f = frags(big, 1480, 77)
    write('frag-in-order', 2, *[rec(x) for x in f])
    write('frag-reverse', 2, *[rec(x) for x in reversed(f)])
    write('frag-dup', 2, rec(f[0]), rec(f[0]), rec(f[2]), rec(f[1]))
    write('frag-overlap', 2, rec(f[0]),
          rec(ipf(big[1472:1488], proto=1, ident=77, frag=0x2000 | 184)), rec(f[1]))
    write('frag-timeout', 2, rec(f[0]), rec(b'', step=200))
    write('frag-huge', 2, *[rec(x) for x in frags(echo(8, 8, 65000), 1480, 78)])
    write('udp', 2, rec(ipf(struct.pack('!HHHH', 5353, 53, 8, 0), proto=17)))
    write('tcp-syn', 2, rec(ipf(tcp_syn(40000, 80, 1), proto=6, frag=0x4000)))
    quoted = ip(ADDR, FAR, 6, tcp_syn(50000, 443, 1000), frag=0x4000)
    err = icmp(3, 4, struct.pack('!HH', 0, 1400), quoted)
    write('icmp-frag-needed', 3, rec(eth(US, GW, 0x0800, ip(FAR, ADDR, 1, err))))
    write('icmp-time-exceeded', 3,
          rec(eth(US, GW, 0x0800, ip(GW_IP, ADDR, 1, icmp(11, 0, b'\0' * 4, quoted[:28])))))
    good = ipf(echo(1, 9, 8), proto=1)
    bad = [
        good[:14 + 19],                                         # short
        good[:14] + bytes([0x65]) + good[15:],                  # version 6
        good[:14] + bytes([0x44]) + good[15:],                  # IHL 4
        good[:14] + bytes([0x4f]) + good[15:],                  # IHL 15
        good[:16] + struct.pack('!H', 200) + good[18:],         # length beyond frame
        good[:24] + bytes([good[24] ^ 1]) + good[25:],          # checksum
        eth(US, PEER, 0x0800, ip(0xe0000001, ADDR, 1, echo(1, 1, 8))),  # multicast source
        eth(US, PEER, 0x86dd, b'\x60' + b'\0' * 39),            # IPv6
        b'\x01\x00\x5e\0\0\x01' + PEER + b'\x08\x00' + good[14:],  # multicast MAC
        good[:10],                                              # runt
    ]
    write('bad-headers', 2, *[rec(x) for x in bad])


if __name__ == '__main__':
    main()
