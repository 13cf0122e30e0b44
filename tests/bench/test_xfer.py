#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench-xfer over loopback (CI keeps the bench's tool honest): a transfer of
an odd number of bytes ends done at both ends, and both SHA-256 digests equal
the digest of the stream as modelled here (xoshiro256** seeded through
splitmix64, little-endian words), so the sender sends what the seed says and
the receiver hashes what it got. Usage: test_xfer.py BENCH-XFER"""
import hashlib
import json
import socket
import subprocess
import sys

M = (1 << 64) - 1


def stream(seed, n):
    x = seed

    def splitmix():
        nonlocal x
        x = (x + 0x9E3779B97F4A7C15) & M
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        return z ^ (z >> 31)

    s = [splitmix() for _ in range(4)]

    def rotl(v, k):
        return ((v << k) | (v >> (64 - k))) & M

    out = bytearray()
    while len(out) < n:
        r = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        out += r.to_bytes(8, "little")
    return bytes(out[:n])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    xfer = sys.argv[1]
    n, seed = 1_000_003, 42  # not a multiple of 8 nor of the 256 KiB chunk
    port = str(free_port())
    rx = subprocess.Popen([xfer, "recv", "kernel", "127.0.0.1", port, str(n), "30"],
                          stdout=subprocess.PIPE, text=True)
    try:
        if rx.stdout.readline().strip() != "listening":
            sys.exit("FAIL: the receiver did not say it was listening")
        tx = subprocess.run([xfer, "send", "kernel", "127.0.0.1", port, str(n), str(seed), "30"],
                            capture_output=True, text=True, timeout=60)
        out, _ = rx.communicate(timeout=60)
    finally:
        if rx.poll() is None:
            rx.kill()
            rx.wait()
    srep, rrep = json.loads(tx.stdout), json.loads(out.strip().splitlines()[-1])
    want = hashlib.sha256(stream(seed, n)).hexdigest()
    checks = [
        (tx.returncode == 0 and srep["done"], f"the sender is done ({srep})"),
        (rx.returncode == 0 and rrep["done"], f"the receiver is done ({rrep})"),
        (rrep["moved"] == n, f"the receiver got {n} bytes ({rrep['moved']})"),
        (srep["sha256"] == want, f"the sender sent the seeded stream ({srep['sha256']} vs {want})"),
        (rrep["sha256"] == want, f"the receiver hashed the stream ({rrep['sha256']} vs {want})"),
    ]
    for ok, what in checks:
        print(("ok: " if ok else "FAIL: ") + what)
    return 0 if all(ok for ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
