#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synackctl conns with many more rows than the handler's first allocation
(64): 200 kernel connections to discard are listed, ESTABLISHED and then in
TIME-WAIT (discard turned off by a reload, so synack closes first), by a
member of the read-only control.group when the test can make one. Every
connection is listed once and synackd is alive afterwards (issue 9: the
listing used to keep pointers into an array it then reallocated)."""

import grp
import json
import os
import subprocess
import time

import synacktest as st
from ctltest import DISCARD, ECHO, Ctl, check

COUNT = 200


def listed(t, user, state):
    """The local ports of our connections to discard in state, as user lists them."""
    r = t.run("conns", "-o", "json", user=user)
    return sorted(c["remote"]["port"] for c in json.loads(r.stdout)
                  if c["local"]["port"] == DISCARD and c["state"] == state)


def wait_listed(t, user, state, want, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        got = listed(t, user, state)
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def run_checks(groups):
    t = Ctl("ctl-many-conns", control_groups=groups)
    user = None
    if groups:
        user = ("nobody", "nogroup", [grp.getgrnam(groups[0]).gr_gid])
    socks = [t.h.connect(DISCARD) for _ in range(COUNT)]
    ports = sorted(s.getsockname()[1] for s in socks)

    got = wait_listed(t, user, "ESTABLISHED", ports)
    check(t.d.alive(), "synackd is alive after listing 200 connections")
    check(got == ports, f"all {COUNT} ESTABLISHED connections listed once ({len(got)})")

    # discard off: synack closes first, the kernel closes too, synack holds TIME-WAIT
    text = t.text.replace(f"  discard: {DISCARD}\n", "  discard: 0\n")
    t.h.write_config(text, "synackd-0.yaml")
    t.run("reload")
    fins = 0
    for s in socks:
        s.settimeout(10)
        fins += s.recv(1) == b""
        s.close()
    check(fins == COUNT, f"synack closed all {COUNT} connections first ({fins})")
    got = wait_listed(t, user, "TIME-WAIT", ports)
    check(t.d.alive(), "synackd is alive after listing 200 TIME-WAIT connections")
    check(got == ports, f"all {COUNT} TIME-WAIT connections listed once ({len(got)})")
    r = t.run("conns", "-H", "state", "time-wait", user=user)
    check(len(r.stdout.splitlines()) == COUNT, "the table has one row per connection")
    t.run("ping")
    check(t.d.alive(), "synackd still answers")


def main():
    if os.geteuid() != 0 or os.environ.get("SYNACK_TEST_USERNS"):
        run_checks(None)  # no groups without root: list as ourselves
        return
    tag = os.getpid() % 100000
    reader, admin = f"skr{tag}", f"ska{tag}"
    made = []
    try:
        for g in (reader, admin):
            r = subprocess.run(["groupadd", "-f", g], capture_output=True, text=True)
            if r.returncode != 0:
                st.skip(f"groupadd {g} failed: {r.stderr.strip()}")
            made.append(g)
        run_checks((reader, admin))
    finally:
        for g in made:
            subprocess.run(["groupdel", g], capture_output=True)


if __name__ == "__main__":
    main()
