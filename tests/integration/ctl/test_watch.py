#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synackctl watch on a terminal (a pty, its controlling terminal, watch in
the foreground as a shell runs it): it redraws every interval, a `q` typed on
the terminal ends it with exit status 0, and the terminal's modes (echo, line
editing) are as they were before it started."""

import fcntl
import os
import pty
import select
import subprocess
import termios
import time

from ctltest import Ctl, check


def read_until(fd, needle, count, timeout):
    """Read the pty until needle was seen count times; returns what was read."""
    buf, deadline = b"", time.monotonic() + timeout
    while buf.count(needle) < count and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                buf += os.read(fd, 4096)
            except OSError:
                break
    return buf


def main():
    t = Ctl("ctl-watch")
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    def as_terminal_session():
        # the pty is the child's controlling terminal and it is in the
        # foreground, as in a shell (watch reads keys only then)
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    w = t.spawn("watch", "-n", "200ms", stdin=slave, stdout=slave, stderr=slave,
                preexec_fn=as_terminal_session)
    out = read_until(master, b"every 0.2s", 2, 10)
    check(out.count(b"every 0.2s") >= 2, f"watch redraws every 200 ms on a terminal: {out[-200:]!r}")
    os.write(master, b"q")
    try:
        rc = w.wait(timeout=5)
    except subprocess.TimeoutExpired:
        w.kill()
        rc = None
    check(rc == 0, f"q on the terminal ends watch with exit status 0 ({rc})")
    after = termios.tcgetattr(slave)
    check(after[3] == before[3], "the terminal's local modes (echo, line editing) are restored")
    os.close(master)
    os.close(slave)


if __name__ == "__main__":
    main()
