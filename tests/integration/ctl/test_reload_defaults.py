#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synackctl reload against a synackd started without --config (the README's
first run): it answers that there is no file to read again and exits with
status 1, instead of "configuration reloaded" for a reload that did nothing.

synackd runs on its built-in defaults, so its sockets are the default paths
under /run/synack: it runs in a private mount namespace with its own tmpfs on /run
(and in the test's network namespace), and synackctl joins that mount
namespace, so nothing of the host's /run is touched."""

import subprocess

import synacktest as st
from ctltest import SYNACKCTL, check

PRIVATE_RUN = 'mount -t tmpfs -o mode=0755 none /run && mkdir /run/synack && exec "$@"'


def main():
    h = st.Harness("ctl-reload-defaults")
    # unshare and sh exec in turn, so the PID is synackd's own
    d = h.start(None, prefix=["unshare", "--mount", "--propagation", "private",
                              "sh", "-c", PRIVATE_RUN, "sh"])
    r = subprocess.run(["nsenter", "--mount", "--target", str(d.p.pid), SYNACKCTL, "reload"],
                       capture_output=True, text=True, timeout=15)
    print(f"synackctl reload: exit {r.returncode}: {(r.stdout + r.stderr).strip()}", flush=True)
    check(r.returncode == 1, f"reload without a file is refused (exit {r.returncode})")
    check("without --config" in r.stderr and "reloaded" not in r.stdout,
          "synackctl says synackd runs without a file, not that it reloaded")
    d.wait_log(r"reload: running on the built-in defaults", 5)
    check(d.alive(), "synackd runs on")


if __name__ == "__main__":
    main()
