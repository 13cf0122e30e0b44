# SPDX-License-Identifier: MIT
"""synacktest - the integration tests' shared harness.

Each test gets its own network namespace (named sk-<test>-<pid> when we are
root, or an anonymous one from `unshare -rn` otherwise), a TAP device in it
that the test creates, synackd processes on that TAP with the Linux kernel as
the peer, and a NOTIFY_SOCKET the test owns. Everything the test starts is
killed by PID and the namespace is deleted on exit, whatever happens.
Every wait is bounded. Exit code 77 means "skipped" (with the reason on
stderr).
"""

import atexit
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
CLONE_NEWNET = 0x40000000

TAP = "sk0"
OURS = "10.77.0.2"  # synack's address
KERNEL = "10.77.0.1"  # the kernel side of the TAP
PREFIX = 24


def skip(reason):
    print(f"SKIP: {reason}", file=sys.stderr)
    sys.exit(SKIP)


_current = None  # the running Harness, for fail() to show the daemons' logs


def fail(reason):
    print(f"FAIL: {reason}", file=sys.stderr)
    if _current is not None:
        for d in _current.daemons:
            print(f"--- synackd {d.pid} log ({d.log_path}) ---", file=sys.stderr)
            print(d.log()[-4000:], file=sys.stderr)
    sys.exit(1)


def check(cond, what):
    if not cond:
        fail(what)
    print(f"ok: {what}")


def _setns(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {path}: {os.strerror(err)}")
    finally:
        os.close(fd)


def run(cmd, check_rc=True, timeout=30, **kw):
    """Run a command in the test's namespace; returns CompletedProcess (text)."""
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check_rc and r.returncode != 0:
        fail(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    return r


class Daemon:
    """One synackd process, its log file and its notification socket."""

    def __init__(self, harness, popen, log_path, notify_sock):
        self.h = harness
        self.p = popen
        self.pid = popen.pid
        self.log_path = log_path
        self.notify = notify_sock
        self.messages = []  # every datagram received, decoded
        self.fds = []  # fds received with FDSTORE=1

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, timeout=10.0):
        """Wait for a log line matching pattern; returns the match."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.M)
        while time.monotonic() < deadline:
            m = rx.search(self.log())
            if m:
                return m
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        m = rx.search(self.log())
        if not m:
            fail(f"no log line matching {pattern!r} within {timeout}s; log:\n{self.log()}")
        return m

    def _recv_notify(self, timeout):
        self.notify.settimeout(timeout)
        try:
            msg, anc, _flags, _addr = self.notify.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
        except socket.timeout:
            return None
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                n = len(data) // 4
                self.fds.extend(int.from_bytes(data[i * 4:i * 4 + 4], sys.byteorder)
                                for i in range(n))
        text = msg.decode(errors="replace")
        self.messages.append(text)
        return text

    def wait_notify(self, needle, timeout=10.0):
        """Wait for a notification containing the line needle; returns the datagram."""
        if self.notify is None:
            fail("this synackd has no NOTIFY_SOCKET")
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            text = self._recv_notify(min(left, 0.2))
            if text is not None and needle in text.split("\n"):
                return text
            if text is None and self.p.poll() is not None:
                break
        fail(f"no {needle!r} notification within {timeout}s (got {self.messages}); "
             f"log:\n{self.log()}")

    def send(self, sig):
        self.p.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signal and wait; returns the exit status (SIGKILL after timeout)."""
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
                fail(f"synackd {self.pid} did not exit within {timeout}s of {sig!r}")
        return self.p.returncode

    def alive(self):
        return self.p.poll() is None

    def mac(self):
        m = self.wait_log(r"TAP \S+: ([0-9a-f:]{17}), MTU")
        return m.group(1)


class Harness:
    def __init__(self, test, need_named_netns=False):
        self.test = test
        self.pid = os.getpid()
        self.synackd = os.environ.get("SYNACKD") or fail("$SYNACKD is not set")
        self.netns = None  # name, when we made a named one
        self.orig_ns = None  # fd of the namespace we started in
        self.daemons = []
        self.procs = []
        self.tmp = None
        self._cleaned = False
        global _current
        _current = self
        self._enter(need_named_netns)
        self.tmp = tempfile.mkdtemp(prefix=f"synack-{test}-{self.pid}-")
        os.chmod(self.tmp, 0o755)
        atexit.register(self.cleanup)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, self._on_signal)

    # ---- namespaces ----

    def _enter(self, need_named):
        if os.geteuid() == 0 and not os.environ.get("SYNACK_TEST_USERNS"):
            self.netns = f"sk-{self.test}-{self.pid}"[:40]
            r = subprocess.run(["ip", "netns", "add", self.netns], capture_output=True,
                               text=True)
            if r.returncode != 0:
                skip(f"ip netns add failed: {r.stderr.strip()}")
            self.orig_ns = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            _setns(f"/run/netns/{self.netns}")
        elif os.environ.get("SYNACK_TEST_USERNS"):
            if need_named:
                skip("needs root: named network namespaces (ip netns) are not available "
                     "inside unshare -rn")
        else:
            if need_named:
                skip("needs root: named network namespaces (ip netns add)")
            r = subprocess.run(["unshare", "-rn", "true"], capture_output=True, text=True)
            if r.returncode != 0:
                skip(f"not root and unshare -rn is refused: {r.stderr.strip()}")
            os.environ["SYNACK_TEST_USERNS"] = "1"
            os.execvp("unshare", ["unshare", "-rn", "--", sys.executable] + sys.argv)
        if not os.access("/dev/net/tun", os.R_OK | os.W_OK):
            skip("/dev/net/tun is missing or not accessible")
        run(["ip", "link", "set", "lo", "up"])

    @property
    def root(self):
        return self.netns is not None

    def in_orig_ns(self):
        """preexec_fn: move a child back to the namespace the test started in."""
        fd = self.orig_ns

        def go():
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.setns(fd, CLONE_NEWNET) != 0:
                os._exit(127)

        return go

    # ---- the TAP and the kernel side ----

    def make_tap(self, name=TAP, user=None, up=False, mtu=None):
        cmd = ["ip", "tuntap", "add", "dev", name, "mode", "tap"]
        if user is not None:
            cmd += ["user", str(user)]
        run(cmd)
        if mtu:
            run(["ip", "link", "set", name, "mtu", str(mtu)])
        if up:
            run(["ip", "addr", "add", f"{KERNEL}/{PREFIX}", "dev", name])
            run(["ip", "link", "set", name, "up"])

    # ---- synackd ----

    def config(self, extra="", tap=TAP, configure=True, services=None, rpc=None, control=None):
        services = services or {}
        rpc = rpc or os.path.join(self.tmp, "synackd.sock")
        control = control or os.path.join(self.tmp, "control.sock")
        text = (
            "interface:\n"
            f"  tap: {tap}\n"
            f"  address: {OURS}/{PREFIX}\n"
            f"  gateway: {KERNEL}\n"
            f"  peer_address: {KERNEL}\n"
            f"  configure: {'true' if configure else 'false'}\n"
            "rpc:\n"
            f"  socket: {rpc}\n"
            '  group: ""\n'
            "control:\n"
            f"  socket: {control}\n"
            '  group: ""\n'
            '  admin_group: ""\n'
            "services:\n"
            f"  echo: {services.get('echo', 0)}\n"
            f"  discard: {services.get('discard', 0)}\n"
            f"  chargen: {services.get('chargen', 0)}\n"
        ) + extra
        return text

    def write_config(self, text, name="synackd.yaml"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def notify_socket(self):
        path = os.path.join(self.tmp, f"notify-{len(self.daemons)}.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        os.chmod(path, 0o777)
        return s, path

    def start(self, config_text=None, args=(), env=None, prefix=(), wait_ready=True,
              notify=True, preexec_fn=None, pass_fds=(), argv=None, keep_fds=()):
        """Start synackd (argv overrides the whole command line)."""
        self.close_stored_fds(keep_fds)
        n = len(self.daemons)
        log_path = os.path.join(self.tmp, f"synackd-{n}.log")
        cmd = list(prefix)
        if argv is None:
            cmd += [self.synackd]
            if config_text is not None:
                cmd += ["--config", self.write_config(config_text, f"synackd-{n}.yaml")]
            cmd += list(args)
        else:
            cmd += list(argv)
        e = dict(os.environ)
        e.pop("LISTEN_FDS", None)
        e.pop("LISTEN_PID", None)
        e.pop("LISTEN_FDNAMES", None)
        sock = None
        if notify:
            sock, path = self.notify_socket()
            e["NOTIFY_SOCKET"] = path
        e.update(env or {})
        log = open(log_path, "w")
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=e,
                             preexec_fn=preexec_fn, pass_fds=pass_fds)
        log.close()
        d = Daemon(self, p, log_path, sock)
        self.daemons.append(d)
        if wait_ready and notify:
            d.wait_notify("READY=1", 15)
        elif wait_ready:
            d.wait_log(r"ready: ", 15)
        return d

    def close_stored_fds(self, keep=()):
        """Close the fds earlier daemons stored with us (FDSTORE=1), except keep: a
        stored TAP fd keeps the TAP attached, as systemd's fd store does."""
        for d in self.daemons:
            for fd in d.fds:
                if fd not in keep:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            d.fds = [fd for fd in d.fds if fd in keep]

    def spawn(self, cmd, **kw):
        """Start a helper process the harness kills on exit."""
        p = subprocess.Popen(cmd, **kw)
        self.procs.append(p)
        return p

    # ---- the kernel as the peer ----

    def ping(self, count=3, addr=OURS, timeout=10):
        """ICMP echo from the kernel side: ping(8), or the same over a raw socket."""
        if not have("ping"):
            return icmp_echo(addr, count)
        r = run(["ping", "-c", str(count), "-i", "0.2", "-W", "2", "-n", addr],
                check_rc=False, timeout=timeout)
        return r.returncode == 0, r.stdout + r.stderr

    def ss(self, *filt):
        return run(["ss", "-tanH"] + list(filt)).stdout

    def connect(self, port, timeout=10, **kw):
        return socket.create_connection((OURS, port), timeout=timeout, **kw)

    # ---- tear-down ----

    def _on_signal(self, signum, frame):
        self.cleanup()
        os._exit(128 + signum)

    def cleanup(self):
        if self._cleaned:
            return
        self._cleaned = True
        for p in self.procs + [d.p for d in self.daemons]:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 5
        for p in self.procs + [d.p for d in self.daemons]:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        self.close_stored_fds()
        for d in self.daemons:
            if d.notify:
                d.notify.close()
        if self.netns:
            if self.orig_ns is not None:
                _setns(f"/proc/self/fd/{self.orig_ns}")
            subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)
        if self.tmp and os.environ.get("SYNACK_TEST_KEEP") is None:
            shutil.rmtree(self.tmp, ignore_errors=True)


def rss_meaningful():
    """False for a synackd built with AddressSanitizer: its allocator keeps freed
    memory in quarantine and adds shadow memory, so RSS bounds say nothing there
    (rpc-env.sh sets SYNACK_RSS_UNCHECKED for the shell tests the same way)."""
    path = os.environ.get("SYNACKD")
    if not path:
        return True
    with open(path, "rb") as f:
        return b"__asan_init" not in f.read()


def have(prog):
    return shutil.which(prog) is not None


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def icmp_echo(addr, count=3, wait=2.0):
    """ping without ping(8): echo requests over a raw socket; (all answered, summary)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xffff
    got = 0
    try:
        for seq in range(count):
            body = b"synack-test-ping"
            hdr = bytes([8, 0, 0, 0]) + ident.to_bytes(2, "big") + seq.to_bytes(2, "big")
            c = _csum(hdr + body)
            s.sendto(hdr[:2] + c.to_bytes(2, "big") + hdr[4:] + body, (addr, 0))
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    pkt, src = s.recvfrom(2048)
                except socket.timeout:
                    break
                ihl = (pkt[0] & 15) * 4
                icmp = pkt[ihl:]
                if (src[0] == addr and icmp[0] == 0 and
                        int.from_bytes(icmp[4:6], "big") == ident and
                        int.from_bytes(icmp[6:8], "big") == seq):
                    got += 1
                    break
    finally:
        s.close()
    return got == count, f"{count} packets transmitted, {got} received (raw socket)"
