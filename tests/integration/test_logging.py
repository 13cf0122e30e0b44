#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Logging and the command line: plain "synackd: level: message" lines on stderr;
journald priority prefixes ("<3>") when $JOURNAL_STREAM names stderr; --log-level
debug shows the TCP state changes; --check-config and a bad --config fail cleanly."""
import os
import subprocess

import synacktest as st

h = st.Harness("logging")
bad = h.write_config("tcp:\n  msl: 30\n", "bad.yaml")
good = h.write_config(h.config(), "good.yaml")


def run(args, env=None):
    e = dict(os.environ)
    e.pop("JOURNAL_STREAM", None)
    e.update(env or {})
    return subprocess.run([h.synackd] + args, capture_output=True, text=True, env=e,
                          timeout=10)


r = run(["--check-config", good])
st.check(r.returncode == 0 and "configuration OK" in r.stdout, "--check-config of a good file: 0")
r = run(["--check-config", bad])
st.check(r.returncode == 1 and f"{bad}:2:" in r.stderr, "--check-config of a bad file: 1, FILE:LINE:COL")
r = run(["--config", bad])
st.check(r.returncode == 1 and r.stderr.startswith("synackd: err: " + bad + ":2:"),
         f"a bad --config: exit 1, plain 'synackd: err:' lines ({r.stderr.splitlines()[:1]})")
r = run(["--bogus"])
st.check(r.returncode == 2, "an unknown option: exit 2")
r = run(["--log-level", "loud"])
st.check(r.returncode == 2, "an unknown log level: exit 2")

# journald: stderr is the stream named by $JOURNAL_STREAM
path = os.path.join(h.tmp, "journal.log")
with open(path, "w") as f:
    st_ = os.fstat(f.fileno())
    e = dict(os.environ, JOURNAL_STREAM=f"{st_.st_dev}:{st_.st_ino}")
    rc = subprocess.run([h.synackd, "--config", bad], stderr=f, env=e, timeout=10).returncode
text = open(path).read()
st.check(rc == 1 and text.startswith("<3>" + bad + ":2:"), f"journald prefixes: {text.splitlines()[:1]}")
# a JOURNAL_STREAM that is not our stderr (inherited by a child): plain lines
r = run(["--config", bad], env={"JOURNAL_STREAM": "1:2"})
st.check(r.stderr.startswith("synackd: err:"), "a stale $JOURNAL_STREAM is ignored")

# --log-level debug on a running daemon
h.make_tap()
d = h.start(h.config(services={"echo": 7}), args=["--log-level", "debug"])
s = h.connect(7)
s.close()
d.wait_log(r"synackd: debug: tcp 10\.77\.0\.2:7 10\.77\.0\.1:\d+: SYN-RECEIVED -> ESTABLISHED")
st.check(True, "--log-level debug logs TCP state changes")
st.check(d.stop() == 0, "SIGTERM: exit 0")
