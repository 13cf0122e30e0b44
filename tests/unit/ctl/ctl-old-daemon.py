#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ctl-old-daemon.py SYNACKCTL - synackctl against a synackd older than
itself, whose control socket lacks the later additions it relies on.

A stand-in control socket speaks protocol version 1 as a synackd from
before ControlHelloReply.features did: its hello reply has no features, and
it answers ListConns with the open connections only (an older synackd
ignores ListConns.closed). synackctl must say so rather than show nothing:

- `conns --closed` exits 1 with "keeps no record of closed connections",
  and names the daemon from its hello;
- plain `conns` still works (exit 0, the open connection listed);
- `capture -c 2` sends no CaptureStop (it would draw ENOMSG) and says its
  drop count is the last frame's ("as of the last frame received");
- against one that claims CaptureStop and never answers it, a second ^C
  ends the wait at once, also when it came with the first (^C and SIGTERM
  together), and `-w -` into a pipe whose reader has gone ends with a
  summary (a write error), not killed by SIGPIPE.

The ^Cs are sent once synackctl is where they are meant to find it (its
handler installed, the frames read; then the CaptureStop sent), not after a
fixed sleep.

Frames are a 4-byte big-endian length and a protobuf message
(proto/synack.proto), written with the integration tests' helpers.
"""

import fcntl
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

# the integration tests' hand-written protobuf helpers (ctltest wants $SYNACKCTL)
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "../../integration"), os.path.join(HERE, "../../integration/ctl")]
os.environ.setdefault("SYNACKCTL", sys.argv[1] if len(sys.argv) > 1 else "synackctl")
from ctltest import _field, pb_bytes as field_bytes, pb_varint as field_varint  # noqa: E402
from ctltest import sleeping  # noqa: E402


def reply(rid, body_field, body):
    # ControlServerMessage { reply (1): ControlReply { id 1, status 2 {}, body } }
    r = field_varint(1, rid) + field_bytes(2, b"") + field_bytes(body_field, body)
    m = field_bytes(1, r)
    return struct.pack(">I", len(m)) + m


def conn_entry():
    # ConnEntry: id 1, state 2 (ESTABLISHED = 5), local 3 / remote 4 Endpoint
    # {addr 1 (4 bytes), port 2}
    local = field_bytes(1, socket.inet_aton("10.77.0.2")) + field_varint(2, 7)
    remote = field_bytes(1, socket.inet_aton("10.77.0.1")) + field_varint(2, 40000)
    return field_varint(1, 3) + field_varint(2, 5) + field_bytes(3, local) + \
        field_bytes(4, remote)


def serve(ls, seen, features=0, socks=None):
    """Answer each client's Hello and ListConns as an older synackd would (or,
    with features, one that claims CaptureStop and never answers it). Each
    request's ops go to seen once it is answered; each client socket to socks."""
    while True:
        try:
            c, _ = ls.accept()
        except OSError:
            return
        if socks is not None:
            socks.append(c)
        buf = b""
        with c:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                buf += data
                while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
                    n = struct.unpack(">I", buf[:4])[0]
                    msg, buf = buf[4:4 + n], buf[4 + n:]
                    rid = _field(msg, 1)
                    ops = [k for k in range(16, 40) if _field(msg, k) is not None]
                    if 16 in ops:  # ControlHello: version 1, a name, no features
                        c.sendall(reply(rid, 16, field_varint(1, 1) +
                                        field_bytes(2, b"synackd 0.0.9") +
                                        (field_varint(4, features) if features else b"")))
                    elif 29 in ops:  # CaptureStop, from a synackd that hangs
                        pass
                    elif 19 in ops:  # ListConns: the open ones only
                        c.sendall(reply(rid, 19, field_bytes(1, conn_entry())))
                    elif 26 in ops:  # Capture: started, then two frames
                        c.sendall(reply(rid, 26, field_bytes(1, b"sk0")))
                        for dropped in (0, 5):
                            f = field_varint(1, 1_700_000_000_000_000) + field_varint(2, 0) + \
                                field_varint(3, 60) + field_bytes(4, bytes(60)) + \
                                field_varint(5, dropped)
                            m = field_bytes(2, field_bytes(18, f))
                            c.sendall(struct.pack(">I", len(m)) + m)
                    else:  # what an older synackd does not know
                        r = field_varint(1, rid) + field_bytes(
                            2, field_varint(1, 42) + field_bytes(2, b"unknown"))
                        m = field_bytes(1, r)
                        c.sendall(struct.pack(">I", len(m)) + m)
                    seen.append(ops)  # answered (a Capture: its two frames sent too)


def wait_for(cond, timeout=10.0):
    """Poll cond until it holds; False if it did not within timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return False


def catches_sigint(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (signal.SIGINT - 1) & 1)
    return False


def unread(c):
    """Bytes sent on c its peer has not read yet (SIOCOUTQ)."""
    return struct.unpack("i", fcntl.ioctl(c.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


def capturing(p, seen, socks):
    """p has its ^C handler and has written both frames: the server sent them,
    p read them all and then sleeps in its capture loop (or p has ended)."""
    if p.poll() is not None:
        return True
    try:
        return (any(26 in ops for ops in seen) and unread(socks[-1]) == 0 and
                catches_sigint(p.pid) and sleeping(p.pid))
    except (OSError, IndexError):
        return False


def stopping(p, seen):
    """p has sent CaptureStop and waits for the answer in poll (or has ended)."""
    if p.poll() is not None:
        return True
    try:
        return any(29 in ops for ops in seen) and sleeping(p.pid)
    except OSError:
        return False


def finish(p):
    """Wait (8 s at most) for p: its stderr."""
    try:
        return p.communicate(timeout=8)[1]
    except subprocess.TimeoutExpired:
        p.kill()
        return p.communicate()[1]


def main():
    ctl = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="ctl-old-daemon-")
    path = os.path.join(tmp, "control.sock")
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(4)
    seen, socks = [], []
    threading.Thread(target=serve, args=(ls, seen, 0, socks), daemon=True).start()
    fails = 0

    def run(*args):
        return subprocess.run([ctl, "-s", path] + list(args), capture_output=True, text=True,
                              timeout=20)

    r = run("conns", "--closed")
    if r.returncode != 1 or "keeps no record of closed connections" not in r.stderr \
            or "synackd 0.0.9" not in r.stderr or r.stdout:
        print(f"FAIL: conns --closed against an older synackd: rc {r.returncode}, "
              f"stdout {r.stdout!r}, stderr {r.stderr!r}")
        fails += 1
    else:
        print(f"ok: conns --closed against an older synackd: {r.stderr.strip()}")
    r = run("conns")
    if r.returncode != 0 or "10.77.0.1:40000" not in r.stdout:
        print(f"FAIL: plain conns against an older synackd: rc {r.returncode}, "
              f"stdout {r.stdout!r}, stderr {r.stderr!r}")
        fails += 1
    else:
        print("ok: plain conns still lists the open connection")
    pcap = os.path.join(tmp, "old.pcapng")
    seen.clear()
    r = run("capture", "-w", pcap, "-c", "2")
    if r.returncode != 0 or "2 frames written" not in r.stderr or \
            "5 dropped by synackd (the reader was too slow) as of the last frame received" \
            not in r.stderr or any(29 in ops for ops in seen):
        print(f"FAIL: capture against an older synackd: rc {r.returncode}, "
              f"stderr {r.stderr!r}, requests {seen}")
        fails += 1
    else:
        print(f"ok: capture against an older synackd, no CaptureStop sent: {r.stderr.strip()}")
    # a synackd that claims CaptureStop (feature 2) and then never answers it:
    # a second ^C ends the wait at once; -w - into a pipe whose reader has
    # gone is a write error in the summary, not a death by SIGPIPE
    hang = os.path.join(tmp, "hang.sock")
    ls2 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls2.bind(hang)
    ls2.listen(4)
    hang_seen, hang_socks = [], []
    threading.Thread(target=serve, args=(ls2, hang_seen, 2, hang_socks), daemon=True).start()
    hang_pcap = os.path.join(tmp, "hang.pcapng")
    p = subprocess.Popen([ctl, "-s", hang, "capture", "-w", hang_pcap],
                         stderr=subprocess.PIPE, text=True)
    # the first ^C once both frames are written, the second once the
    # CaptureStop is out (before it, the wait has not begun: its give-up
    # flag is reset when it does)
    wait_for(lambda: capturing(p, hang_seen, hang_socks))
    p.send_signal(signal.SIGINT)
    wait_for(lambda: stopping(p, hang_seen))
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    err = finish(p)
    took = time.monotonic() - t0
    if p.returncode != 0 or took > 3 or "2 frames written" not in err or \
            "as of the last frame received" not in err:
        print(f"FAIL: ^C twice while synackd does not answer the stop: rc {p.returncode}, "
              f"{took:.1f} s after the second, stderr {err!r}, requests {hang_seen}")
        fails += 1
    else:
        print(f"ok: ^C twice ends the wait for the final count ({took:.1f} s after the "
              f"second): {err.strip()}")
    # both signals before synackctl turns to the stop (^C and a SIGTERM from
    # a supervisor at once): the second one ends the wait too. Before, the
    # wait forgot any signal that came before it began and sat out 10 s.
    hang_seen.clear()
    p = subprocess.Popen([ctl, "-s", hang, "capture", "-w", hang_pcap],
                         stderr=subprocess.PIPE, text=True)
    wait_for(lambda: capturing(p, hang_seen, hang_socks))
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    p.send_signal(signal.SIGTERM)
    err = finish(p)
    took = time.monotonic() - t0
    if p.returncode != 0 or took > 3 or "2 frames written" not in err:
        print(f"FAIL: ^C and SIGTERM at once while synackd does not answer the stop: "
              f"rc {p.returncode}, {took:.1f} s, stderr {err!r}, requests {hang_seen}")
        fails += 1
    else:
        print(f"ok: ^C and SIGTERM at once end the wait too ({took:.1f} s): {err.strip()}")
    # as `synackctl capture -w - | tshark -r -` when ^C ends both and tshark
    # goes first: the frames buffered for stdout meet a pipe without a reader
    seen.clear()
    rd, wr = os.pipe()
    p = subprocess.Popen([ctl, "-s", path, "capture", "-w", "-"], stdout=wr,
                         stderr=subprocess.PIPE, text=True)
    os.close(wr)
    wait_for(lambda: capturing(p, seen, socks))
    os.close(rd)
    p.send_signal(signal.SIGINT)
    err = finish(p)
    if p.returncode != 1 or "Broken pipe" not in err or "written to stdout" not in err:
        print(f"FAIL: -w - into a pipe without a reader: rc {p.returncode}, stderr {err!r}")
        fails += 1
    else:
        print(f"ok: -w - into a pipe without a reader ends with a summary (rc 1): "
              f"{err.strip()}")
    ls2.close()
    os.unlink(hang)
    ls.close()
    for f in (path, pcap, hang_pcap):
        if os.path.exists(f):
            os.unlink(f)
    os.rmdir(tmp)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
