#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A configuration error on SIGHUP is refused with FILE:LINE:COLUMN messages in the
log and the running configuration kept (still answering ping and TCP, READY=1 again);
a good file on the next SIGHUP changes a tunable at once. A FIFO in the file's
place is refused at once ("not a regular file"), by a reload and by
--check-config: opening it waited for a writer, a reload with the loop."""
import os
import signal
import subprocess

import synacktest as st

h = st.Harness("reload")
h.make_tap()
good = h.config(services={"echo": 7})
d = h.start(good)
path = h.write_config(good, "synackd-0.yaml")

bad = good + "tcp:\n  msl: 30\n  no_such_key: 1\n"
h.write_config(bad, "synackd-0.yaml")
d.send(signal.SIGHUP)
d.wait_notify("RELOADING=1", 5)
d.wait_notify("READY=1", 5)
d.wait_log(rf"{path}:\d+:\d+: .*", 5)
d.wait_log(r"reload: .* refused; keeping the running configuration", 5)
st.check(True, "the bad file's errors are logged as FILE:LINE:COLUMN and the file refused")
st.check(d.alive(), "synackd still runs")
ok, _ = h.ping(count=2)
st.check(ok, "still answers ping")
s = h.connect(7)
s.sendall(b"still here")
st.check(s.recv(64) == b"still here", "echo (from the old configuration) still serves")
s.close()
st.check(any("STATUS=Reload refused" in m for m in d.messages), "STATUS= says the reload was refused")

h.write_config(good + "tcp:\n  msl: 5s\n", "synackd-0.yaml")
d.send(signal.SIGHUP)
d.wait_notify("RELOADING=1", 5)
d.wait_notify("READY=1", 5)
d.wait_log(r"reload: tcp\.msl: 30s -> 5s$", 5)
st.check(True, "a good file applies tcp.msl at once")

h.write_config(good.replace("address: 10.77.0.2/24", "address: 10.77.0.3/24")
               + "tcp:\n  msl: 5s\n", "synackd-0.yaml")
d.send(signal.SIGHUP)
d.wait_notify("READY=1", 5)
d.wait_log(r"interface changes need a restart", 5)
ok, _ = h.ping(count=1)
st.check(ok, "an interface change is logged as needing a restart; the old address still answers")

os.replace(path, path + ".kept")
os.mkfifo(path)
d.send(signal.SIGHUP)
d.wait_notify("READY=1", 5)
d.wait_log(r"cannot read: not a regular file", 5)
ok, _ = h.ping(count=1)
st.check(ok, "a FIFO in the configuration's place is refused at once; synackd still answers")
r = subprocess.run([h.synackd, "--check-config", path], capture_output=True, text=True,
                   timeout=10)
st.check(r.returncode != 0 and "not a regular file" in r.stderr,
         f"--check-config refuses it too (rc {r.returncode}: {r.stderr.strip()})")
os.unlink(path)
os.replace(path + ".kept", path)
st.check(d.stop() == 0, "SIGTERM: synackd exits 0")
