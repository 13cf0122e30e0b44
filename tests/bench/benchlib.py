# SPDX-License-Identifier: MIT
"""benchlib - the benchmarks' shared harness (run-bench loads it).

What a benchmark gets from here:
- Build: the paths of the built programs (synackd, synackctl, bench-xfer,
  impair-fwd) in a meson build directory.
- Run: a scope that owns network namespaces (named skb-<pid>-<n>), TAPs,
  synackd processes and helpers; leaving it kills every process it started by
  PID and deletes its namespaces, whatever happened. Every wait is bounded.
- Paths: the two paths a bench measures over, set up the way
  tests/integration/synacktest.py sets up its tests (a TAP in a namespace,
  the kernel at 10.77.0.1, synackd at 10.77.0.2/24, same configuration keys):
    synack_path()    kernel <-> synackd on one TAP; synackd's own impairment
                     stage does the impairing (synackctl impair)
    kernel_path()    kernel <-> kernel: two namespaces joined by impair-fwd
                     between two TAPs, on the same engine with the same seed;
                     the second namespace (10.77.0.2) stands where synackd does
- Transfers: transfer() runs bench-xfer at both ends and checks the SHA-256.
- Counters: nstat-named counters of a namespace's kernel (/proc/net/snmp and
  /proc/net/netstat read inside it: what nstat -a shows) and of synackd
  (synackctl stats).
- Output: table() prints a Markdown table.

Traffic stays inside the namespaces created here.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

KERNEL = "10.77.0.1"  # the kernel side of the TAP (as in synacktest.py)
OURS = "10.77.0.2"  # synackd's address, or the far kernel's on the reference path
PREFIX = 24
TAP = "sk0"
# kernel congestion control name -> synackd's tcp.congestion_control for the same algorithm
SYNACK_CC = {"cubic": "cubic", "reno": "newreno"}
TXQUEUELEN = 10000


class BenchError(Exception):
    pass


class Build:
    """The programs of a meson build directory."""

    def __init__(self, builddir):
        self.dir = os.path.abspath(builddir)
        self.synackd = self._prog("daemon/synackd")
        self.synackctl = self._prog("ctl/synackctl")
        self.xfer = self._prog("tests/bench/bench-xfer")
        self.fwd = self._prog("tests/bench/impair-fwd")
        self.synack_run = self._prog("lib/synack-run")

    def _prog(self, rel):
        p = os.path.join(self.dir, rel)
        return p if os.access(p, os.X_OK) else None

    def need(self, *names):
        missing = [n for n in names if getattr(self, n) is None]
        if missing:
            raise BenchError(f"not built in {self.dir}: {', '.join(missing)} "
                             "(see tests/bench/README.md)")


class Proc:
    """A process the run started: its Popen and where its output goes."""

    def __init__(self, popen, name, out_path):
        self.p = popen
        self.name = name
        self.out_path = out_path

    @property
    def pid(self):
        return self.p.pid

    def output(self):
        try:
            with open(self.out_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_line(self, text, timeout):
        """Wait until a line equal to text appears in its output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output().splitlines():
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.02)
        raise BenchError(f"{self.name}: no '{text}' within {timeout} s "
                         f"(exit {self.p.poll()}): {self.output()[-2000:]}")


class Run:
    """One measurement's namespaces and processes; a context manager that
    tears everything down on exit."""

    count = 0

    def __init__(self, build, keep_logs=False, cc=None, kernel_cc=None, busy_poll=None):
        self.b = build
        # congestion control of synackd (cc) and of every kernel socket bench-xfer
        # opens (kernel_cc, by default cc), or None for each one's default: a new
        # namespace takes the host's default, which need not be the algorithm the
        # comparison is about (this VM's is bbr)
        self.cc = cc
        self.kernel_cc = kernel_cc or cc
        # synackd's interface.busy_poll (a duration such as "50us"), or None for its default
        self.busy_poll = busy_poll
        self.netns = []
        self.procs = []
        self.keep = keep_logs
        Run.count += 1
        self.tag = f"skb-{os.getpid()}-{Run.count}"
        self.tmp = tempfile.mkdtemp(prefix=f"synack-bench-{self.tag}-")
        os.chmod(self.tmp, 0o755)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ---- namespaces and processes ----

    def make_netns(self, ipv6=False):
        name = f"{self.tag}-{len(self.netns)}"
        sh(["ip", "netns", "add", name])
        self.netns.append(name)
        sh(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"])
        if ipv6:
            return name
        # IPv4 only: no IPv6 neighbour discovery frames on the path to draw on the
        # impairment's random numbers or take a share of the losses
        sh(["ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1"])
        return name

    def spawn(self, name, cmd, netns=None, env=None):
        """Start cmd (inside netns when given); stdout and stderr to a log file."""
        out_path = os.path.join(self.tmp, f"{len(self.procs)}-{name}.log")
        if netns:
            cmd = ["ip", "netns", "exec", netns] + list(cmd)
        e = dict(os.environ)
        e.update(env or {})
        with open(out_path, "w") as out:
            # ip netns exec execs the command: the PID is the program's own
            p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=e,
                                 start_new_session=True)
        proc = Proc(p, name, out_path)
        self.procs.append(proc)
        return proc

    def stop(self, proc, sig=signal.SIGTERM, timeout=10):
        if proc.p.poll() is None:
            proc.p.send_signal(sig)
            try:
                proc.p.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.p.kill()
                proc.p.wait(5)
        return proc.p.returncode

    def close(self):
        for proc in reversed(self.procs):
            if proc.p.poll() is None:
                proc.p.terminate()
        deadline = time.monotonic() + 5
        for proc in self.procs:
            try:
                proc.p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.p.kill()
                proc.p.wait(5)
        self.procs = []
        for ns in self.netns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.netns = []
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- the two paths ----

    def make_tap(self, netns, addr, mtu):
        sh(["ip", "netns", "exec", netns, "ip", "tuntap", "add", "dev", TAP, "mode", "tap"])
        # a TAP queues what the kernel sends in a ring of txqueuelen frames and drops
        # when it is full; 1000 wire-sized frames (1.5 MB) is less than a kernel sender
        # has in flight, so the reader's pace would add losses no impairment decided
        sh(["ip", "netns", "exec", netns, "ip", "link", "set", TAP, "mtu", str(mtu),
            "txqueuelen", str(TXQUEUELEN)])
        if addr:
            sh(["ip", "netns", "exec", netns, "ip", "addr", "add", f"{addr}/{PREFIX}",
                "dev", TAP])
            sh(["ip", "netns", "exec", netns, "ip", "link", "set", TAP, "up"])

    def synack_path(self, mtu=1500, offload=True, extra_config=""):
        """kernel <-> synackd on one TAP. Returns a SynackPath."""
        self.b.need("synackd", "synackctl")
        ns = self.make_netns()
        self.make_tap(ns, KERNEL, mtu)
        rpc = os.path.join(self.tmp, "synackd.sock")
        ctl = os.path.join(self.tmp, "control.sock")
        cfg = os.path.join(self.tmp, "synackd.yaml")
        text = synackd_config(rpc, ctl, mtu, offload) + extra_config
        if self.cc:
            # into the tcp section extra_config may already have (a key twice is an error)
            line = f"  congestion_control: {SYNACK_CC[self.cc]}\n"
            text, n = re.subn(r"^tcp:\n", lambda m: m.group(0) + line, text, count=1,
                              flags=re.M)
            if not n:
                text += "tcp:\n" + line
        if self.busy_poll:
            text = re.sub(r"^interface:\n", f"interface:\n  busy_poll: {self.busy_poll}\n", text,
                          count=1, flags=re.M)
        with open(cfg, "w") as f:
            f.write(text)
        d = self.spawn("synackd", [self.b.synackd, "--config", cfg], netns=ns)
        wait_for(lambda: os.path.exists(ctl) and ctl_ok(self.b.synackctl, ctl), 15,
                 lambda: f"synackd did not become ready: {d.output()[-2000:]}")
        return SynackPath(self, ns, d, rpc, ctl)

    def kernel_path(self, impair_args, mtu=1500, offload=True):
        """kernel <-> kernel through impair-fwd, its TAPs attached with offloads or
        not, as synackd's would be. Returns a KernelPath."""
        self.b.need("fwd")
        near, far = self.make_netns(), self.make_netns()
        self.make_tap(near, None, mtu)
        self.make_tap(far, None, mtu)
        fwd = self.spawn("impair-fwd", [self.b.fwd] + list(impair_args) +
                         ([] if offload else ["--plain"]) +
                         [f"{near}/{TAP}", f"{far}/{TAP}"])
        fwd.wait_line("ready", 10)
        for ns, addr in ((near, KERNEL), (far, OURS)):
            sh(["ip", "netns", "exec", ns, "ip", "addr", "add", f"{addr}/{PREFIX}", "dev", TAP])
            sh(["ip", "netns", "exec", ns, "ip", "link", "set", TAP, "up"])
        return KernelPath(self, near, far, fwd)


def synackd_config(rpc, ctl, mtu, offload):
    """The configuration synacktest.Harness.config() writes, with the MTU and offloads."""
    return (
        "interface:\n"
        f"  tap: {TAP}\n"
        f"  mtu: {mtu}\n"
        f"  offload: {'true' if offload else 'false'}\n"
        f"  address: {OURS}/{PREFIX}\n"
        f"  gateway: {KERNEL}\n"
        f"  peer_address: {KERNEL}\n"
        "  configure: true\n"
        "rpc:\n"
        f"  socket: {rpc}\n"
        '  group: ""\n'
        "control:\n"
        f"  socket: {ctl}\n"
        '  group: ""\n'
        '  admin_group: ""\n'
    )


def ctl_ok(synackctl, ctl):
    return subprocess.run([synackctl, "-s", ctl, "ping"], capture_output=True).returncode == 0


class SynackPath:
    """The kernel (namespace ns, 10.77.0.1) and synackd (10.77.0.2) on one TAP."""

    def __init__(self, run, ns, daemon, rpc, ctl):
        self.run, self.ns, self.daemon, self.rpc, self.ctl = run, ns, daemon, rpc, ctl

    def ctl_cmd(self, *args, check=True):
        r = subprocess.run([self.run.b.synackctl, "-s", self.ctl] + list(args),
                           capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise BenchError(f"synackctl {' '.join(args)}: exit {r.returncode}: "
                             f"{(r.stderr or r.stdout).strip()}")
        return r

    def impair(self, args):
        """Set synackd's impairment (synackctl impair ARGS); none when args is empty."""
        if args:
            self.ctl_cmd("impair", *args)

    def start_capture(self, file):
        """synackctl capture -w file, until the returned Proc gets SIGINT."""
        proc = self.run.spawn("capture", [self.run.b.synackctl, "-s", self.ctl,
                                          "capture", "-w", file])
        wait_for(lambda: os.path.exists(file), 10,
                 lambda: f"synackctl capture did not start: {proc.output()[-2000:]}")
        return proc

    def synack_counters(self):
        r = self.ctl_cmd("-o", "json", "stats", "-z")
        return parse_counters_json(r.stdout)

    def impair_status(self):
        """The impairment in force, as synackctl impair says it."""
        r = self.ctl_cmd("impair", check=False)
        return r.stdout.strip() if r.returncode == 0 else None

    def impair_counters(self):
        """What synackd's stage did per direction, in impair-fwd's terms."""
        c = self.synack_counters()
        out = {}
        for d, D in (("in", "In"), ("out", "Out")):
            out[d] = {k: c.get(f"SynackImpair{D}{n}") for k, n in
                      (("frames", "Matched"), ("dropped", "Dropped"),
                       ("duplicated", "Duplicated"), ("reordered", "Reordered"),
                       ("corrupted", "Corrupted"))}
        return out

    def kernel_counters(self):
        return netns_counters(self.ns)

    def endpoint(self, side):
        """('synack' | 'kernel') -> how bench-xfer reaches that end."""
        if side == "synack":
            return Endpoint("synack", None, OURS, {"SYNACK_SOCKET": self.rpc})
        return Endpoint("kernel", self.ns, KERNEL, {})


class KernelPath:
    """Two kernels through impair-fwd: near (10.77.0.1, the kernel's place) and
    far (10.77.0.2, synackd's place)."""

    def __init__(self, run, near, far, fwd):
        self.run, self.near, self.far, self.fwd = run, near, far, fwd

    def endpoint(self, side):
        if side == "synack":  # the end that stands where synackd stands
            return Endpoint("kernel", self.far, OURS, {})
        return Endpoint("kernel", self.near, KERNEL, {})

    def start_capture(self, file):
        """tcpdump on the far kernel's TAP (where synackd's capture would be), until
        the returned Proc gets SIGINT."""
        proc = self.run.spawn("tcpdump", ["tcpdump", "-i", TAP, "-s", "128", "-U", "-w", file],
                              netns=self.far)
        wait_for(lambda: "listening on" in proc.output(), 10,
                 lambda: f"tcpdump did not start: {proc.output()[-2000:]}")
        return proc

    def forwarder_counters(self):
        """Stop impair-fwd and return what its engine did, per direction."""
        self.run.stop(self.fwd)
        for line in reversed(self.fwd.output().splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        return None


class Endpoint:
    def __init__(self, stack, netns, addr, env):
        self.stack, self.netns, self.addr, self.env = stack, netns, addr, env


def transfer(run, sender, receiver, nbytes, seed, cap_s, port=5001):
    """nbytes from sender to receiver (Endpoints), bench-xfer at both ends, at most
    cap_s seconds. Returns a dict: mbit (goodput at the receiver), done, verified
    (SHA-256 identical and every byte there), the two reports."""
    run.b.need("xfer")
    cc = {"XFER_TCP_CONGESTION": run.kernel_cc} if run.kernel_cc else {}
    rx = run.spawn("recv", [run.b.xfer, "recv", receiver.stack, receiver.addr, str(port),
                            str(nbytes), str(cap_s + 15)],
                   netns=receiver.netns, env={**receiver.env, **cc})
    rx.wait_line("listening", 15)
    tx = run.spawn("send", [run.b.xfer, "send", sender.stack, receiver.addr, str(port),
                            str(nbytes), str(seed), str(cap_s)],
                   netns=sender.netns, env={**sender.env, **cc})
    t0 = time.monotonic()
    for p in (tx, rx):
        try:
            p.p.wait(max(1, cap_s + 20 - (time.monotonic() - t0)))
        except subprocess.TimeoutExpired:
            run.stop(p, signal.SIGKILL)
    srep, rrep = last_json(tx.output()), last_json(rx.output())
    if srep is None or rrep is None:
        raise BenchError(f"bench-xfer gave no report: send: {tx.output()[-1000:]} "
                         f"recv: {rx.output()[-1000:]}")
    done = srep["done"] and rrep["done"]
    verified = done and rrep["moved"] == nbytes and rrep["sha256"] == srep["sha256"]
    secs = rrep["seconds"] or 1e-9
    return {
        "mbit": rrep["moved"] * 8 / secs / 1e6,
        "seconds": rrep["seconds"],
        "moved": rrep["moved"],
        "done": done,
        "verified": verified,
        "send": srep,
        "recv": rrep,
    }


def last_json(text):
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


# ---- counters ----

def netns_counters(ns):
    """The kernel's TCP/IP counters in namespace ns, by nstat name (TcpRetransSegs,
    TcpExtTCPTimeouts, ...): /proc/net/snmp and /proc/net/netstat read inside it."""
    out = {}
    for f in ("/proc/net/snmp", "/proc/net/netstat"):
        text = sh(["ip", "netns", "exec", ns, "cat", f]).stdout
        lines = text.splitlines()
        for names, values in zip(lines[0::2], lines[1::2]):
            kind, names = names.split(":", 1)
            _, values = values.split(":", 1)
            for n, v in zip(names.split(), values.split()):
                out[kind + n] = int(v)
    return out


def parse_counters_json(text):
    """synackctl -o json stats: {name: value} from whatever shape it prints."""
    data = json.loads(text)
    if isinstance(data, dict) and "counters" in data:
        data = data["counters"]
    if isinstance(data, list):
        return {c.get("name"): int(c.get("value", 0)) for c in data if isinstance(c, dict)}
    return {k: int(v) for k, v in data.items() if isinstance(v, (int, float))}


# ---- helpers ----

def sh(cmd, timeout=30):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise BenchError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def wait_for(cond, timeout, why):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise BenchError(why())


def table(headers, rows, out=sys.stdout):
    """A Markdown table, columns padded for the terminal."""
    cells = [list(map(str, headers))] + [[str(c) for c in r] for r in rows]
    w = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r):
        return "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |"

    print(line(cells[0]), file=out)
    print("|" + "|".join("-" * (x + 2) for x in w) + "|", file=out)
    for r in cells[1:]:
        print(line(r), file=out)
    out.flush()


def host_note():
    """One line about the machine, printed with the results."""
    try:
        load = os.getloadavg()
        load = f"load {load[0]:.2f}"
    except OSError:
        load = ""
    return f"{socket.gethostname()}: {os.cpu_count()} CPUs, {os.uname().release}, {load}"
