# SPDX-License-Identifier: MIT
"""ctltest - what the synackctl integration tests share, on top of synacktest:
a synackd with the built-in services on, synackctl run against its control
socket, synack-nc over its RPC socket, and a raw control-socket client for
requests synackctl would refuse to send (it checks ranges itself first).
"""

import json
import os
import socket
import struct
import subprocess
import time

import synacktest as st
from synacktest import check, fail

SYNACKCTL = os.environ.get("SYNACKCTL") or fail("$SYNACKCTL is not set")
SYNACK_NC = os.environ.get("SYNACK_NC", "")

DISCARD = 9
ECHO = 7



def tshark(path, *args):
    """tshark -n -r PATH ARGS; its stdout, once it read the file without errors."""
    r = subprocess.run(["tshark", "-n", "-r", path] + list(args), capture_output=True,
                       text=True, timeout=60)
    noise = [l for l in r.stderr.splitlines() if "Running as user" not in l and l.strip()]
    check(r.returncode == 0 and not noise,
          f"tshark reads {os.path.basename(path)} without errors (rc {r.returncode} {noise})")
    return r.stdout

class Ctl:
    """A synackd in its own namespace, driven with synackctl."""

    def __init__(self, test, extra="", control_groups=None, mode=None, start_kw=None,
                 interface=""):
        self.h = st.Harness(test)
        self.h.make_tap()
        text = self.h.config(services={"discard": DISCARD, "echo": ECHO}) + extra
        # keys of the interface section (which the harness's config already has)
        text = text.replace("interface:\n", "interface:\n" + interface, 1)
        if control_groups:
            group, admin = control_groups
            text = text.replace('  group: ""\n  admin_group: ""\n',
                                f'  group: {group}\n  admin_group: {admin}\n  mode: "0666"\n')
        if mode:
            text = text.replace('  admin_group: ""\n', f'  admin_group: ""\n  mode: "{mode}"\n')
        self.text = text
        self.d = self.h.start(text, **(start_kw or {}))
        self.sock = os.path.join(self.h.tmp, "control.sock")
        self.rpc = os.path.join(self.h.tmp, "synackd.sock")

    def run(self, *args, user=None, rc=0, timeout=15):
        """synackctl ARGS; checks the exit code when rc is not None."""
        cmd = [SYNACKCTL, "-s", self.sock] + [str(a) for a in args]
        kw = {}
        if user is not None:
            kw["user"], kw["group"], kw["extra_groups"] = user
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
        if rc is not None and r.returncode != rc:
            fail(f"synackctl {' '.join(map(str, args))} exited {r.returncode}, not {rc}:\n"
                 f"{r.stdout}{r.stderr}")
        return r

    def json(self, *args):
        return json.loads(self.run(*args, "-o", "json").stdout)

    def conns(self):
        return self.json("conns")

    def counters(self):
        return self.json("stats", "-z")

    def spawn(self, *args, **kw):
        return self.h.spawn([SYNACKCTL, "-s", self.sock] + [str(a) for a in args], **kw)

    def wait_log_count(self, pattern, count, timeout=10.0):
        """Wait until synackd's log has count lines matching pattern."""
        import re
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(re.findall(pattern, self.d.log(), re.M)) >= count:
                return
            time.sleep(0.05)
        fail(f"fewer than {count} log lines matching {pattern!r} within {timeout}s")

    def nc(self, *args, **kw):
        if not SYNACK_NC:
            fail("$SYNACK_NC is not set")
        return self.h.spawn([SYNACK_NC, "-s", self.rpc] + [str(a) for a in args], **kw)

    def find(self, pred, timeout=5.0):
        """Wait for a connection (conns -o json) matching pred; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for c in self.conns():
                if pred(c):
                    return c
            time.sleep(0.05)
        fail(f"no matching connection within {timeout}s: {self.conns()}")

    def raw(self, payload):
        """One raw ControlRequest frame; returns (status code, message) of the reply."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(self.sock)
        s.sendall(struct.pack(">I", len(payload)) + payload)
        hdr = _recv_exact(s, 4)
        body = _recv_exact(s, struct.unpack(">I", hdr)[0])
        s.close()
        reply = _field(body, 1) or b""  # ControlServerMessage.reply
        status = _field(reply, 2) or b""  # ControlReply.status
        return _field(status, 1) or 0, (_field(status, 2) or b"").decode()


class Lines:
    """Lines from a child's stdout pipe, read without blocking past a deadline."""

    def __init__(self, proc):
        self.fd = proc.stdout.fileno()
        self.buf = b""
        self.eof = False

    def read(self, timeout):
        """Every complete line that arrives within timeout seconds (at least one if any)."""
        import select
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                break
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self.eof = True
                break
            self.buf += chunk
        *lines, self.buf = self.buf.split(b"\n")
        return [l.decode() for l in lines]

    def until(self, pred, timeout=10.0):
        """Every line read until one for which pred holds (included), the end of
        the output, or timeout seconds."""
        deadline = time.monotonic() + timeout
        got = []
        while not self.eof and time.monotonic() < deadline:
            new = self.read(deadline - time.monotonic())
            got += new
            if any(pred(l) for l in new):
                break
        return got


def _recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            fail("the control socket closed before the reply")
        b += chunk
    return b


def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_varint(field, v):
    return varint(field << 3) + varint(v)


def pb_bytes(field, b):
    return varint(field << 3 | 2) + varint(len(b)) + b


def _read_varint(b, i):
    v = shift = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7F) << shift
        shift += 7
        if not x & 0x80:
            return v, i


def _field(b, want):
    """The first occurrence of field want in a protobuf message (varint or bytes)."""
    i = 0
    while i < len(b):
        key, i = _read_varint(b, i)
        num, kind = key >> 3, key & 7
        if kind == 0:
            v, i = _read_varint(b, i)
        elif kind == 2:
            n, i = _read_varint(b, i)
            v, i = b[i:i + n], i + n
        elif kind == 1:
            v, i = b[i:i + 8], i + 8
        elif kind == 5:
            v, i = b[i:i + 4], i + 4
        else:
            fail(f"cannot parse the reply (wire type {kind})")
        if num == want:
            return v
    return None


# A ControlRequest {id: 1, list_conns: {}}, framed: each one walks the whole table.
LIST_CONNS_FRAME = struct.pack(">I", 5) + bytes([0x08, 0x01, 0x9a, 0x01, 0x00])


def rss_kib(pid):
    """The process's resident set (VmRSS), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    fail(f"no VmRSS for pid {pid}")


def nfds(pid):
    """The number of file descriptors the process holds."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def proc_state(pid):
    """The process's state letter (/proc/PID/stat: R, S, D, Z...), "" once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return ""


def sleeping(pid):
    """pid is blocked (state S): a synackctl stream in poll has read all there was."""
    return proc_state(pid) == "S"


def wait_sleeping(pid, timeout=10.0):
    """Wait until pid is blocked (sleeping()); False if it ended or did not within
    timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = proc_state(pid)
        if state == "S":
            return True
        if state in ("", "Z", "X"):
            return False
        time.sleep(0.01)
    return False


def wait_counter(t, name, pred, timeout=15.0):
    """Poll stats until pred(counter name) holds; returns the last value (None on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = t.counters().get(name, 0)
        if pred(v):
            return v
        time.sleep(0.1)
    return None
