#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test_readme.py SOURCE_DIR BUILD_DIR - issue 13: the README works to the
letter. The commands are read from README.md itself, so the document cannot
drift from what the programs do:

- "Try it": synackd started as `.ci/setup run` starts it (the embedded
  defaults: TAP synack0, 10.77.0.2, sockets in /run/synack), then the sh
  block run as written; the kernel's `nc` reaches synack-nc ("hello").
- "A live session with synackctl": synackd with the YAML block shown there
  as its --config, the two background commands the paragraph names, the
  `export PATH=...` it gives, then every `$ ` command of the transcript in
  order. Each must succeed and print what the README shows, compared line
  by line with digits, spacing and column widths set aside (addresses,
  ports, times and counts differ from run to run), and timers that come
  and go (a delayed ACK's); a trace must walk the same states in the same
  order; stats must name the same counters.

It runs in a network namespace and a mount namespace of its own (unshare
-n -m), with a tmpfs on /run/synack, so the default socket paths the
README uses are the test's and nothing else's. Needs root (exit 77
otherwise).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77


def fail(why):
    print(f"FAIL: {why}", file=sys.stderr)
    sys.exit(1)


def ok(what):
    print(f"ok: {what}", flush=True)


# ---------------------------------------------------------------- README parsing


def section(text, title):
    """The text of the '## title' section, up to the next '## '."""
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.M | re.S)
    if not m:
        fail(f"README.md has no section '## {title}'")
    return m.group(1)


def blocks(sec):
    """The fenced blocks of a section: [(language, body)]."""
    return re.findall(r"^```(\w*)\n(.*?)^```", sec, re.M | re.S)


def transcript(body):
    """[(command, [expected output lines])] from a '$ ' transcript."""
    steps = []
    for line in body.rstrip("\n").split("\n"):
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    # the blank line that separates one command from the next is not output
    return [(c, out[:-1] if out and out[-1] == "" else out) for c, out in steps]


# ---------------------------------------------------------------- comparing


# timers that come and go from one instant to the next on a busy connection
# (a delayed ACK, a retransmission or probe timer): conns -o shows whichever
# runs when it looks
TRANSIENT_TIMER = re.compile(r"timer:\((delack|on|persist|keepalive),[^)]*\)")


def norm(line):
    """A line with what changes between runs set aside: digits, spacing and
    transient timers."""
    return " ".join(re.sub(r"\d+(\.\d+)?", "N", TRANSIENT_TIMER.sub("", line)).split())


TRACE_STATE = re.compile(r"^\s*[\d.]+\s+([A-Z][A-Z-]+)\s+\|")


def trace_states(lines):
    return [m.group(1) for m in map(TRACE_STATE.match, lines) if m]


def compare(cmd, want, got):
    """Raise AssertionError when got is not what the README shows for cmd."""
    if cmd.split()[:2] == ["synackctl", "trace"]:
        # segments may interleave differently; the ladder's header and the
        # states the connection went through may not
        assert norm(got[0]) == norm(want[0]), f"header {got[0]!r}, README {want[0]!r}"
        assert trace_states(got) == trace_states(want), (
            f"states {trace_states(got)}, README {trace_states(want)}")
        return
    if cmd.split()[:2] == ["synackctl", "stats"]:
        names = {line.split()[0] for line in got[1:] if line.strip()}
        missing = [line.split()[0] for line in want[1:] if line.split()[0] not in names]
        assert norm(got[0]) == norm(want[0]), f"header {got[0]!r}"
        assert not missing, f"counters the README shows are missing: {missing}"
        return
    assert [norm(x) for x in got] == [norm(x) for x in want], (
        "output differs:\n--- README\n" + "\n".join(want) + "\n--- now\n" + "\n".join(got))


# ---------------------------------------------------------------- running


class Run:
    def __init__(self, src, build):
        self.src = src
        self.tmp = tempfile.mkdtemp(prefix="synack-readme-")
        # the README's paths are relative to the top of the tree: build/...
        os.symlink(build, os.path.join(self.tmp, "build"))
        self.procs = []

    def bg(self, cmd, name, env=None):
        log = open(os.path.join(self.tmp, name + ".log"), "w")
        p = subprocess.Popen(cmd, shell=isinstance(cmd, str), cwd=self.tmp, stdout=log,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                             start_new_session=True)
        self.procs.append(p)
        return p

    def log(self, name):
        with open(os.path.join(self.tmp, name + ".log")) as f:
            return f.read()

    def stop(self, p, sig=signal.SIGTERM):
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def cleanup(self):
        for p in self.procs:
            self.stop(p, signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def sh(self, script, env, timeout=30):
        return subprocess.run(["sh", "-c", script], cwd=self.tmp, env=env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def synackd(self, args, name):
        """synackd as the README starts it; back once it answers ping."""
        p = self.bg(["build/daemon/synackd"] + args, name)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if p.poll() is not None:
                fail(f"synackd {' '.join(args)} exited: {self.log(name)[-2000:]}")
            r = subprocess.run(["ping", "-c1", "-W1", "10.77.0.2"], capture_output=True)
            if r.returncode == 0 and os.path.exists("/run/synack/control.sock"):
                return p
            time.sleep(0.1)
        fail(f"synackd {' '.join(args)} did not come up: {self.log(name)[-2000:]}")


def try_it(run, readme, env):
    sec = section(readme, "Try it")
    sh = [b for lang, b in blocks(sec) if lang == "sh"]
    if len(sh) != 1:
        fail(f"'Try it' has {len(sh)} sh blocks, the test knows one")
    d = run.synackd(["--foreground"], "synackd-defaults")
    # the block as written, a line at a time as a person types it (a second
    # after starting a background job, so the listener is up before the next
    # line connects); the job is waited for (synack-nc ends when the kernel's
    # nc closes)
    lines = []
    for line in sh[0].split("\n"):
        lines.append(line)
        if line.split("#")[0].rstrip().endswith("&"):
            lines.append("sleep 1")
    try:
        r = run.sh("\n".join(lines) + "\nwait\n", env)
    except subprocess.TimeoutExpired as e:
        fail(f"'Try it' did not finish in {e.timeout} s:\n{e.stdout}\n{e.stderr}")
    if r.returncode != 0:
        fail(f"'Try it' exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    if "3 received" not in r.stdout:
        fail(f"'Try it': ping did not get 3 answers:\n{r.stdout}")
    if "hello" not in r.stdout.split("\n"):
        fail(f"'Try it': synack-nc did not print the kernel's hello:\n{r.stdout}")
    ok("'Try it' as written: ping answered 3 of 3, synack-nc printed the kernel's hello")
    run.stop(d)


def live_session(run, readme, env):
    sec = section(readme, "A live session with synackctl")
    bl = blocks(sec)
    yaml = [b for lang, b in bl if lang == "yaml"]
    plain = [b for lang, b in bl if lang == ""]
    if len(yaml) != 1 or len(plain) != 1:
        fail("the live session should have one yaml block (the config) and one transcript")
    prose = sec.split("```")[0]
    # the commands the paragraph says are running, and the PATH it gives
    bulk = re.search(r"`(nc 10\.77\.0\.2 9 < /dev/zero &)`", prose)
    listen = re.search(r"`(nc -l 10\.77\.0\.1 8080)`", prose)
    path = re.search(r"`export PATH=([^`]+)`", prose)
    if not (bulk and listen and path):
        fail("the live session's paragraph no longer names the bulk transfer, the "
             "listener or the PATH (update the test with the README)")
    conf = os.path.join(run.tmp, "synackd.yaml")
    with open(conf, "w") as f:
        f.write(yaml[0])
    d = run.synackd(["--foreground", "--config", conf], "synackd-live")
    env = dict(env)
    env["PATH"] = path.group(1).replace("$PWD", run.tmp).replace("$PATH", env["PATH"])
    run.bg(bulk.group(1).rstrip("&").strip(), "bulk", env)
    run.bg(listen.group(1), "listen", env)
    # the bulk transfer is established before the transcript starts, so the
    # connections' ids are the README's (listeners 1 and 2, the bulk 3, ...)
    deadline = time.monotonic() + 10
    while "ESTAB" not in run.sh("synackctl conns -H sport = :9", env).stdout:
        if time.monotonic() > deadline:
            fail("the bulk transfer to discard (port 9) did not start within 10 s")
        time.sleep(0.1)
    steps = transcript(plain[0])
    record = os.environ.get("README_TEST_RECORD")  # write this run's transcript there
    for cmd, want in steps:
        try:
            r = run.sh(cmd, env)
        except subprocess.TimeoutExpired as e:
            fail(f"$ {cmd}\ndid not finish in {e.timeout} s: {e.stdout} {e.stderr}")
        got = r.stdout.rstrip("\n").split("\n") if r.stdout.strip() else []
        if r.returncode != 0:
            fail(f"$ {cmd}\nexited {r.returncode}: {r.stderr.strip()}")
        if record:
            with open(record, "a") as f:
                f.write(f"$ {cmd}\n" + "".join(x + "\n" for x in got) + "\n")
            continue
        try:
            compare(cmd, want, got)
        except AssertionError as e:
            fail(f"$ {cmd}\n{e}")
        ok(f"$ {cmd}  ({len(got)} lines, as the README shows)")
    ok(f"the live session: {len(steps)} commands, each as the README shows it")
    run.stop(d)


def main():
    if len(sys.argv) != 3:
        print("usage: test_readme.py SOURCE_DIR BUILD_DIR", file=sys.stderr)
        return 2
    if not os.environ.get("README_TEST_NS"):
        if os.geteuid() != 0:
            print("SKIP: needs root (a network namespace, a TAP, a mount on /run/synack)",
                  file=sys.stderr)
            return SKIP
        os.environ["README_TEST_NS"] = "1"
        os.execvp("unshare", ["unshare", "-n", "-m", "--propagation", "private", "--",
                              sys.executable] + sys.argv)
    src, build = (os.path.abspath(a) for a in sys.argv[1:])
    for tool in ("nc", "ping"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed", file=sys.stderr)
            return SKIP
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    os.makedirs("/run/synack", exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run/synack"],
                   check=True)
    with open(os.path.join(src, "README.md")) as f:
        readme = f.read()
    run = Run(src, build)
    env = {k: v for k, v in os.environ.items()
           if k not in ("SYNACK_SOCKET", "SYNACK_CONTROL", "README_TEST_NS",
                        "README_TEST_RECORD")}
    try:
        try_it(run, readme, env)
        live_session(run, readme, env)
    finally:
        run.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
